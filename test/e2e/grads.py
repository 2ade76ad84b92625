#!/usr/bin/python3
"""Derivative tests: for each op case of ops.py, the derivatives of a random
scalar function of its outputs (mse_loss against random targets) with
respect to its inputs and trainable parameters, from cnnopt-run's training
step (`--train-steps 1 --output x.grad=...`) against torch.autograd, each
within 1e-3 * max(1, max|torch|). batch_norm runs in training mode (batch
statistics), as a training step runs it.

  grads.py --cnnopt-run build/bin/cnnopt-run --family conv2d
  grads.py --cnnopt-run build/bin/cnnopt-run --case conv2d_k3

Exit status 0 when every selected case matches, 1 otherwise.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_lib  # noqa: E402
import ops  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

RTOL = 1e-3
BATCH = 3
BUFFERS = ("running_mean", "running_var", "num_batches_tracked")


def training_bn(t, p, s, eps=1e-5):
    """batch_norm `s` of p applied to t on batch statistics, as a training
    step computes it (its running statistics left as they are)."""
    return F.batch_norm(t, p[s + ".running_mean"].clone(), p[s + ".running_var"].clone(),
                        p[s + ".weight"], p[s + ".bias"], True, 0.1, eps)


def with_training_bn(ref):
    """`ref` of a fusion case with ops._bn on batch statistics."""
    def training_ref(i, p):
        inference_bn = ops._bn
        ops._bn = training_bn
        try:
            return ref(i, p)
        finally:
            ops._bn = inference_bn
    return training_ref


# Families whose forward differs in training (their ops.py references are
# inference's) and how to compute them in training mode.
TRAINING_REFS = {
    "batch_norm": lambda c: (lambda i, p: training_bn(i["x"], p, "y",
                                                      1e-3 if "eps" in c.name else 1e-5)),
    "fusion": lambda c: with_training_bn(c.ref),
}
# Regularisers draw random masks in training: regulariser_stats.py tests them.
SKIPPED_FAMILIES = ("regularizer",)


def torch_outputs(c, inputs, params):
    ref = c.ref(inputs, params)
    return ref if isinstance(ref, dict) else {c.outputs[0]: ref}


def declared_shape(shape3, shape2):
    """An output's shape for a .cnn declaration: the axes that follow the
    batch (3 vs 2 samples) are N."""
    return ", ".join("N" if a != b else str(a) for a, b in zip(shape3, shape2))


def run_case(c, cnnopt_run, cnnopt, workdir, seed):
    ref_fn = TRAINING_REFS[c.family](c) if c.family in TRAINING_REFS else c.ref
    c = ops.Case(c.family, c.name, c.body, c.inputs, ref_fn, c.outputs, c.input_scale)
    path = os.path.join(workdir, c.name + ".cnn")
    with open(path, "w") as f:
        f.write(c.source())
    shapes = e2e_lib.print_params(cnnopt, path)
    params = e2e_lib.random_state_dict(shapes, seed=seed)
    inputs = ops.case_inputs(c, BATCH, seed)
    tparams = ops.Params({k: torch.tensor(np.array(v)) for k, v in params.items()})
    with torch.no_grad():
        out3 = torch_outputs(c, {k: torch.from_numpy(v) for k, v in inputs.items()}, tparams)
        out2 = torch_outputs(c, {k: torch.from_numpy(v[:2]) if c.inputs[k][0] == "N" else
                                 torch.from_numpy(v) for k, v in inputs.items()}, tparams)
    rng = np.random.default_rng(seed + 99)
    targets = {f"t_{o}": rng.standard_normal(tuple(out3[o].shape)).astype(np.float32)
               for o in c.outputs}
    declaration = ", ".join(f"t_{o}: f32[{declared_shape(out3[o].shape, out2[o].shape)}]"
                            for o in c.outputs)
    loss = " + ".join(f"mse_loss({o}, t_{o})" for o in c.outputs)
    with open(path, "a") as f:
        f.write(f"train T({declaration}) {{\n  loss = {loss}\n  optimizer = sgd()\n}}\n")

    # PyTorch: the same loss and its derivatives.
    tin = {k: torch.from_numpy(v).requires_grad_() for k, v in inputs.items()}
    trainable = {k: v.clone().requires_grad_() for k, v in tparams.items()
                 if not k.endswith(BUFFERS)}
    tp = ops.Params({**{k: v.clone() for k, v in tparams.items()}, **trainable})
    outs = torch_outputs(c, tin, tp)
    ref_loss = sum(F.mse_loss(outs[o], torch.from_numpy(targets[f"t_{o}"])) for o in c.outputs)
    ref_loss.backward()
    wanted = {f"{k}.grad": v.grad for k, v in {**tin, **trainable}.items() if v.grad is not None}

    cmd = [cnnopt_run, path, "--train-steps", "1", "--lr", "0",
           "--output", f"loss={workdir}/{c.name}.loss.npy"] + e2e_lib.EXTRA_ARGS
    if params:
        weights = os.path.join(workdir, c.name + ".safetensors")
        e2e_lib.write_safetensors(weights, params)
        cmd += ["--weights", weights]
    for name, value in {**inputs, **targets}.items():
        np.save(f"{workdir}/{c.name}.in.{name}.npy", value)
        cmd += ["--input", f"{name}={workdir}/{c.name}.in.{name}.npy"]
    for name in wanted:
        cmd += ["--output", f"{name}={workdir}/{c.name}.out.{name}.npy"]
    start = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.time() - start
    if proc.returncode != 0:
        print(f"FAIL {c.name}: cnnopt-run exited with {proc.returncode}\n"
              f"  command: {' '.join(cmd)}\n  stderr: {proc.stderr.strip()}")
        return False
    good = e2e_lib.compare(f"{c.name} loss ({secs:.1f}s)",
                           np.load(f"{workdir}/{c.name}.loss.npy"),
                           np.array([float(ref_loss)]), RTOL)
    for name, grad in wanted.items():
        good &= e2e_lib.compare(f"{c.name} {name}", np.load(f"{workdir}/{c.name}.out.{name}.npy"),
                                grad.numpy(), RTOL)
    if not good:
        print(f"---- {c.name}: model source ----\n{open(path).read()}------")
    return good


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cnnopt-run", required=True)
    ap.add_argument("--cnnopt", help="path of cnnopt (default: next to cnnopt-run)")
    ap.add_argument("--family", action="append", default=[])
    ap.add_argument("--case", action="append", default=[])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", help="write the work files here and keep them")
    e2e_lib.add_common_options(ap)
    args = ap.parse_args()
    e2e_lib.apply_common_options(args)
    cnnopt = args.cnnopt or os.path.join(os.path.dirname(args.cnnopt_run), "cnnopt")
    cases = [c for c in ops.CASES if c.family not in SKIPPED_FAMILIES and
             (c.family in args.family or c.name in args.case)]
    if not cases:
        print("error: no case selected (--family F or --case C)", file=sys.stderr)
        return 2
    start = time.time()
    good = True
    with tempfile.TemporaryDirectory(prefix="cnnopt-grads-") as tmp:
        workdir = args.keep or tmp
        os.makedirs(workdir, exist_ok=True)
        for c in cases:
            good &= run_case(c, args.cnnopt_run, cnnopt, workdir, args.seed)
    print(f"{len(cases)} cases {'passed' if good else 'FAILED'} in {time.time() - start:.1f}s")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
