#!/usr/bin/python3
"""End-to-end model tests: a models/*.cnn file compiled and run by cnnopt-run
against its PyTorch reference (test/models/reference_models.py), both with
the same random weights (written as .safetensors) and the same random inputs.

  models.py --cnnopt-run build/bin/cnnopt-run --reference resnet18 \
      --batch 1 3 --input-shape 3,64,64

`--input-shape` (the non-batch dimensions, `3,64,64` or `x=3,64,64`) runs
both sides at another input size; without it the reference's own size is
used. All batches share one cnnopt-run (one compile, a file list per input).
Exit status 0 when every output matches
(max|ours - torch| <= 1e-4 * max(1, max|torch|)), 1 otherwise.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "models"))
import e2e_lib  # noqa: E402
import reference_models  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
NORMS = (nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm,
         nn.modules.instancenorm._InstanceNorm)


def model_io(cnnopt, model_file, input_shapes):
    """(input names, output names) of the file's model, from --emit=mlir."""
    cmd = [cnnopt, model_file, "--emit=mlir"] + [a for s in input_shapes
                                                  for a in ("--input-shape", s)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    header = next(l for l in proc.stdout.splitlines() if "func.func" in l)
    args, _, results = header.partition("->")
    inputs = re.findall(r'cnn\.input = "([^"]+)"', args)
    outputs = re.findall(r'cnn\.output = "([^"]+)"', results)
    nresults = results.count("tensor<")
    if len(outputs) < nresults:  # unnamed results are out<k>
        outputs = [f"out{k}" for k in range(nresults)]
    return inputs, outputs


def randomise(module, seed, gain):
    """Random state_dict for `module` (e2e_lib's rules), loaded into it."""
    norm_scopes = {name for name, m in module.named_modules() if isinstance(m, NORMS)}
    sd = module.state_dict()
    params = e2e_lib.random_state_dict([(k, list(v.shape)) for k, v in sd.items()],
                                       seed=seed, gain=gain, norm_scopes=norm_scopes)
    module.load_state_dict({k: torch.from_numpy(np.array(v)).to(sd[k].dtype)
                            for k, v in params.items()}, strict=True)
    return params


def calibrate(module, shape, seed):
    """Rescales every conv and linear weight (and bias) so that its output has
    unit standard deviation on random inputs of `shape` (LSUV-style, in one
    forward pass: each layer is rescaled as it runs, so later layers see
    calibrated inputs). Keeps activations O(1) and the output dependent on
    the input in deep models, whatever the random BatchNorm statistics do."""
    def hook(mod, inputs, output):
        std = float(output.std())
        if std > 0:
            mod.weight.mul_(1.0 / std)
            if mod.bias is not None:
                mod.bias.mul_(1.0 / std)
            return output / std
        return output
    handles = [m.register_forward_hook(hook) for m in module.modules()
               if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
    x = torch.from_numpy(e2e_lib.random_input((4,) + tuple(shape), seed=seed + 12345))
    with torch.no_grad():
        module(x)
    for h in handles:
        h.remove()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cnnopt-run", required=True)
    ap.add_argument("--cnnopt", help="path of cnnopt (default: next to cnnopt-run)")
    ap.add_argument("--reference", required=True, choices=sorted(reference_models.REFERENCES))
    ap.add_argument("--model-file", help="default: models/<REFERENCES file>")
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 3])
    ap.add_argument("--input-shape", help="non-batch input dims, e.g. 3,64,64 or x=3,64,64")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--gain", type=float, default=1.0,
                    help="conv/linear weights are N(0, gain^2/fan_in)")
    ap.add_argument("--no-calibrate", action="store_true",
                    help="keep the raw random weights (no per-layer rescaling)")
    ap.add_argument("--keep", help="write the work files here and keep them")
    e2e_lib.add_common_options(ap)
    args = ap.parse_args()
    e2e_lib.apply_common_options(args)

    torch.set_num_threads(1)
    cnnopt = args.cnnopt or os.path.join(os.path.dirname(args.cnnopt_run), "cnnopt")
    file, _, native = reference_models.REFERENCES[args.reference]
    model_file = args.model_file or os.path.join(REPO_ROOT, "models", file)
    overrides, shape = [], tuple(native)
    if args.input_shape:
        spec = args.input_shape.split("=")[-1]
        shape = tuple(int(d) for d in spec.split(","))
    start = time.time()
    inputs, outputs = model_io(cnnopt, model_file, [])
    if len(inputs) != 1:
        print(f"error: {model_file} has inputs {inputs}; expected one", file=sys.stderr)
        return 2
    if args.input_shape:
        overrides = [f"{inputs[0]}={','.join(map(str, shape))}"]

    module = reference_models.build_reference(args.reference)
    randomise(module, args.seed, args.gain)
    if not args.no_calibrate:
        calibrate(module, shape, args.seed)
    params = {k: v.numpy() for k, v in module.state_dict().items()}
    print(f"{args.reference}: {model_file}, input {inputs[0]} [N, {', '.join(map(str, shape))}], "
          f"{len(params)} state_dict entries, outputs {outputs}")

    good = True
    with tempfile.TemporaryDirectory(prefix="cnnopt-e2e-") as tmp:
        workdir = args.keep or tmp
        os.makedirs(workdir, exist_ok=True)
        weights = os.path.join(workdir, f"{args.reference}.safetensors")
        e2e_lib.write_safetensors(weights, params)
        xs = [e2e_lib.random_input((b,) + shape, seed=args.seed * 100 + b) for b in args.batch]
        try:
            # One compile for every batch size.
            ours_all, secs = e2e_lib.run_cnnopt_batches(
                args.cnnopt_run, model_file, [{inputs[0]: x} for x in xs], outputs, workdir,
                weights=weights, input_shapes=overrides, tag=args.reference)
        except e2e_lib.RunError as e:
            print(f"FAIL {args.reference}: {e}")
            return 1
        for b, x, ours in zip(args.batch, xs, ours_all):
            with torch.no_grad():
                ref = module(torch.from_numpy(x))
            refs = list(ref) if isinstance(ref, (tuple, list)) else [ref]
            if b > 1:  # how much the output depends on the input (0: a useless test)
                r = refs[0]
                spread = float((r - r.mean(0)).abs().max() / max(float(r.abs().max()), 1e-30))
                print(f"     {args.reference} batch {b}: max|out - mean over batch| / max|out| "
                      f"= {spread:.3f}")
            for name, r in zip(outputs, refs):
                good &= e2e_lib.compare(f"{args.reference} batch {b} {name} (cnnopt-run {secs:.1f}s)",
                                        ours[name], r.numpy())
    print(f"{'passed' if good else 'FAILED'} in {time.time() - start:.1f}s")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
