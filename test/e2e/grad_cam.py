#!/usr/bin/python3
"""Grad-CAM (cnnopt-run --grad-cam SCOPE) against the seed document's PyTorch
implementation: hooks on the layer, the class score of each sample
back-propagated, channel weights = the gradient averaged over the map,
heatmap = ReLU(sum over channels of weight * activation), the model in
eval mode. Random weights and inputs; each sample its own class.

  grad_cam.py --cnnopt-run build/bin/cnnopt-run --reference simple_cnn \
      --scope features.8 --module features.8

Exit status 0 when the heatmaps match within 1e-3 * max|torch|.
"""

import argparse
import os
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "models"))
import e2e_lib  # noqa: E402
import models  # noqa: E402
import reference_models  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402


def torch_grad_cam(module, layer, x, classes):
    """The seed's compute_grad_cam, for every sample at once."""
    saved = {}

    def hook(mod, inputs, output):
        output.retain_grad()
        saved["a"] = output

    handle = layer.register_forward_hook(hook)
    out = module(x)
    out[torch.arange(len(classes)), classes].sum().backward()
    handle.remove()
    a = saved["a"]
    weights = a.grad.mean(dim=(2, 3), keepdim=True)
    return torch.relu((weights * a).sum(dim=1, keepdim=True)).detach()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cnnopt-run", required=True)
    ap.add_argument("--reference", required=True, choices=sorted(reference_models.REFERENCES))
    ap.add_argument("--scope", required=True, help="the layer's name in the .cnn file")
    ap.add_argument("--module", required=True, help="the same layer in the PyTorch module")
    ap.add_argument("--batch", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    e2e_lib.add_common_options(ap)
    args = ap.parse_args()
    e2e_lib.apply_common_options(args)
    torch.set_num_threads(1)
    file, _, shape = reference_models.REFERENCES[args.reference]
    module = reference_models.build_reference(args.reference)
    models.randomise(module, args.seed, 1.0)
    models.calibrate(module, tuple(shape), args.seed)
    module.eval()
    x = e2e_lib.random_input((args.batch,) + tuple(shape), seed=args.seed + 3)
    with torch.no_grad():
        classes_n = module(torch.from_numpy(x)).shape[1]
    classes = np.random.default_rng(args.seed).integers(0, classes_n, args.batch).astype(np.int32)
    layer = dict(module.named_modules())[args.module]
    ref = torch_grad_cam(module, layer, torch.from_numpy(x), torch.from_numpy(classes).long())
    with tempfile.TemporaryDirectory(prefix="cnnopt-cam-") as tmp:
        weights = f"{tmp}/w.safetensors"
        e2e_lib.write_safetensors(weights, {k: v.numpy() for k, v in module.state_dict().items()})
        np.save(f"{tmp}/x.npy", x)
        np.save(f"{tmp}/class.npy", classes)
        cmd = [args.cnnopt_run, os.path.join(models.REPO_ROOT, "models", file), "--grad-cam",
               args.scope, "--weights", weights, "--input", f"x={tmp}/x.npy", "--input",
               f"class={tmp}/class.npy", "--output", f"heatmap={tmp}/h.npy"] + e2e_lib.EXTRA_ARGS
        import subprocess
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"FAIL: {' '.join(cmd)}\n{proc.stderr}")
            return 1
        ours = np.load(f"{tmp}/h.npy")
    peak = float(ref.abs().max())
    good = peak > 0 and e2e_lib.compare(f"{args.reference} grad-cam {args.scope}", ours,
                                        ref.numpy(), 1e-3 / max(1.0, peak) * peak)
    print(f"max|heatmap| {peak:.4g}; {'passed' if good else 'FAILED'}")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
