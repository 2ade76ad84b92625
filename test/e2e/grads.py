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
# Cases whose outputs are NaN by design: no derivative to compare.
SKIPPED_CASES = ("pow_negative_base_nan",)


def torch_outputs(c, inputs, params):
    ref = c.ref(inputs, params)
    return ref if isinstance(ref, dict) else {c.outputs[0]: ref}


def declared_shape(shape3, shape2):
    """An output's shape for a .cnn declaration: the axes that follow the
    batch (3 vs 2 samples) are N."""
    return ", ".join("N" if a != b else str(a) for a, b in zip(shape3, shape2))


def training_case(c):
    """`c` with its reference in training mode."""
    ref_fn = TRAINING_REFS[c.family](c) if c.family in TRAINING_REFS else c.ref
    return ops.Case(c.family, c.name, c.body, c.inputs, ref_fn, c.outputs, c.input_scale)


class Reference:
    """PyTorch's side of case `c` on `params` ({name: array}): its random
    inputs and mse_loss targets (`t_<output>`), the targets' .cnn
    declarations, the loss and the derivatives of its inputs and trainable
    parameters (`<name>.grad`, the case's own names)."""

    def __init__(self, c, params, seed):
        self.inputs = ops.case_inputs(c, BATCH, seed)
        tparams = ops.Params({k: torch.tensor(np.array(v)) for k, v in params.items()})
        with torch.no_grad():
            out3 = torch_outputs(c, {k: torch.from_numpy(v) for k, v in self.inputs.items()},
                                 tparams)
            out2 = torch_outputs(c, {k: torch.from_numpy(v[:2]) if c.inputs[k][0] == "N" else
                                     torch.from_numpy(v) for k, v in self.inputs.items()},
                                 tparams)
        rng = np.random.default_rng(seed + 99)
        self.targets = {o: rng.standard_normal(tuple(out3[o].shape)).astype(np.float32)
                        for o in c.outputs}
        self.target_shapes = {o: declared_shape(out3[o].shape, out2[o].shape)
                              for o in c.outputs}
        tin = {k: torch.from_numpy(v).requires_grad_() for k, v in self.inputs.items()}
        trainable = {k: v.clone().requires_grad_() for k, v in tparams.items()
                     if not k.endswith(BUFFERS)}
        tp = ops.Params({**{k: v.clone() for k, v in tparams.items()}, **trainable})
        outs = torch_outputs(c, tin, tp)
        loss = sum(F.mse_loss(outs[o], torch.from_numpy(self.targets[o])) for o in c.outputs)
        loss.backward()
        self.loss = float(loss)
        self.grads = {f"{k}.grad": v.grad for k, v in {**tin, **trainable}.items()
                      if v.grad is not None}


def train_declaration(model, outputs):
    """A train declaration of `model` over `outputs` ({output: declared
    shape}): the sum of each output's mse_loss against its target input
    t_<output>."""
    declaration = ", ".join(f"t_{o}: f32[{shape}]" for o, shape in outputs.items())
    loss = " + ".join(f"mse_loss({o}, t_{o})" for o in outputs)
    return f"train {model}({declaration}) {{\n  loss = {loss}\n  optimizer = sgd()\n}}\n"


def run_training_step(cnnopt_run, path, params, inputs, wanted, workdir, tag):
    """cnnopt-run's training step of `path` (learning rate 0): its loss and
    the derivatives `wanted` ({name: ...}) as arrays, and its seconds."""
    cmd = [cnnopt_run, path, "--train-steps", "1", "--lr", "0",
           "--output", f"loss={workdir}/{tag}.loss.npy"] + e2e_lib.EXTRA_ARGS
    if params:
        weights = os.path.join(workdir, tag + ".safetensors")
        e2e_lib.write_safetensors(weights, params)
        cmd += ["--weights", weights]
    for name, value in inputs.items():
        np.save(f"{workdir}/{tag}.in.{name}.npy", value)
        cmd += ["--input", f"{name}={workdir}/{tag}.in.{name}.npy"]
    for name in wanted:
        cmd += ["--output", f"{name}={workdir}/{tag}.out.{name}.npy"]
    start = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise e2e_lib.RunError(f"cnnopt-run exited with {proc.returncode}\n"
                               f"  command: {' '.join(cmd)}\n  stderr: {proc.stderr.strip()}")
    ours = {name: np.load(f"{workdir}/{tag}.out.{name}.npy") for name in wanted}
    return float(np.load(f"{workdir}/{tag}.loss.npy")[0]), ours, time.time() - start


def check(name, secs, loss, ours, ref, rename=lambda n: n):
    """Compares a case's loss and derivatives ({our name: array}) with
    `ref` (a Reference); `rename` maps the case's names to ours."""
    good = e2e_lib.compare(f"{name} loss ({secs:.1f}s)", np.array([loss]),
                           np.array([ref.loss]), RTOL)
    for grad_name, grad in ref.grads.items():
        good &= e2e_lib.compare(f"{name} {grad_name}", ours[rename(grad_name)], grad.numpy(),
                                RTOL)
    return good


def run_case(c, cnnopt_run, cnnopt, workdir, seed):
    """Case `c` as a model of its own."""
    path = os.path.join(workdir, c.name + ".cnn")
    with open(path, "w") as f:
        f.write(c.source())
    params = e2e_lib.random_state_dict(e2e_lib.print_params(cnnopt, path), seed=seed)
    ref = Reference(c, params, seed)
    with open(path, "a") as f:
        f.write(train_declaration("T", ref.target_shapes))
    feed = {**ref.inputs, **{f"t_{o}": t for o, t in ref.targets.items()}}
    try:
        loss, ours, secs = run_training_step(cnnopt_run, path, params, feed, ref.grads, workdir,
                                             c.name)
    except e2e_lib.RunError as e:
        print(f"FAIL {c.name}: {e}")
        return False
    good = check(c.name, secs, loss, ours, ref)
    if not good:
        print(f"---- {c.name}: model source ----\n{open(path).read()}------")
    return good


def run_group(cases, cnnopt_run, cnnopt, workdir, seed, label):
    """Every case of `cases` in one model (ops.group_source: case k's inputs
    are i<k>_<name>, its outputs c<k>_<output>, its parameters
    c<k>_<first output>.<name>), trained on the sum of their losses, whose
    derivatives are each case's own: one compile for the group. Returns the
    cases that failed; a group that does not compile or run is run case by
    case, and a case that fails in the group is rerun alone, to tell an
    interaction from a plain failure."""
    alone = lambda cs: [c for c in cs if not run_case(c, cnnopt_run, cnnopt, workdir, seed)]
    path = os.path.join(workdir, f"group_{label}.cnn")
    source = ops.group_source(cases)
    with open(path, "w") as f:
        f.write(source)
    try:
        shapes = e2e_lib.print_params(cnnopt, path)
    except RuntimeError as e:
        print(f"note: the group of {len(cases)} cases does not compile; running each alone\n{e}")
        return alone(cases)
    refs, params, feed, wanted, targets = [], {}, {}, {}, {}
    for k, c in enumerate(cases):
        prefix = f"c{k}_{c.outputs[0]}."
        mine = e2e_lib.random_state_dict([(n[len(prefix):], s) for n, s in shapes
                                          if n.startswith(prefix)], seed=seed)
        params.update({prefix + n: v for n, v in mine.items()})
        ref = Reference(c, mine, seed)
        refs.append(ref)
        feed.update({f"i{k}_{n}": v for n, v in ref.inputs.items()})
        feed.update({f"t_c{k}_{o}": t for o, t in ref.targets.items()})
        targets.update({f"c{k}_{o}": shape for o, shape in ref.target_shapes.items()})
        wanted.update({group_name(k, c, n): None for n in ref.grads})
    if len(params) != len(shapes):
        print("note: unexpected parameter names in the group; running each case alone")
        return alone(cases)
    with open(path, "a") as f:
        f.write(train_declaration("G", targets))
    try:
        loss, ours, secs = run_training_step(cnnopt_run, path, params, feed, wanted, workdir,
                                             f"group_{label}")
    except e2e_lib.RunError as e:
        print(f"note: the group of {len(cases)} cases fails; running each alone\n{e}")
        return alone(cases)
    print(f"group {label}: {len(cases)} cases in one training step ({secs:.1f}s)")
    total = sum(r.loss for r in refs)
    good = e2e_lib.compare(f"group {label} loss", np.array([loss]), np.array([total]), RTOL)
    failed = []
    for k, (c, ref) in enumerate(zip(cases, refs)):
        if not check(c.name, secs, ref.loss, ours, ref, lambda n: group_name(k, c, n)):
            print(f"---- {c.name} failed inside the group; alone: ----")
            passes = run_case(c, cnnopt_run, cnnopt, workdir, seed)
            print(f"---- {c.name} {'passes' if passes else 'fails'} alone ----")
            failed.append(c)
    if not good and not failed:
        print("---- the group's loss differs from the sum of its cases' ----")
        failed = list(cases)
    return failed


def group_name(k, c, grad_name):
    """The group's name of case `c`'s (the k-th) derivative `grad_name`: an
    input's is prefixed i<k>_, a parameter's c<k>_<first output>."""
    name = grad_name[:-len(".grad")]
    if name in c.inputs:
        return f"i{k}_{grad_name}"
    return f"c{k}_{c.outputs[0]}.{grad_name}"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cnnopt-run", required=True)
    ap.add_argument("--cnnopt", help="path of cnnopt (default: next to cnnopt-run)")
    ap.add_argument("--family", action="append", default=[])
    ap.add_argument("--case", action="append", default=[])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", help="write the work files here and keep them")
    ap.add_argument("--isolated", action="store_true",
                    help="one model per case (default: cases grouped into one model each "
                         "--group-size, one training step's compile per group)")
    ap.add_argument("--group-size", type=int, default=8)
    e2e_lib.add_common_options(ap)
    args = ap.parse_args()
    e2e_lib.apply_common_options(args)
    cnnopt = args.cnnopt or os.path.join(os.path.dirname(args.cnnopt_run), "cnnopt")
    cases = [c for c in ops.CASES if c.family not in SKIPPED_FAMILIES and
             c.name not in SKIPPED_CASES and
             (c.family in args.family or c.name in args.case)]
    if not cases:
        print("error: no case selected (--family F or --case C)", file=sys.stderr)
        return 2
    cases = [training_case(c) for c in cases]
    start = time.time()
    failed = []
    with tempfile.TemporaryDirectory(prefix="cnnopt-grads-") as tmp:
        workdir = args.keep or tmp
        os.makedirs(workdir, exist_ok=True)
        if args.isolated:
            failed = [c for c in cases
                      if not run_case(c, args.cnnopt_run, cnnopt, workdir, args.seed)]
        for k in range(0, 0 if args.isolated else len(cases), args.group_size):
            group = cases[k:k + args.group_size]
            failed += run_group(group, args.cnnopt_run, cnnopt, workdir, args.seed,
                                f"{group[0].family}_{k // args.group_size}")
    print(f"{len(cases) - len(failed)} of {len(cases)} cases passed in "
          f"{time.time() - start:.1f}s")
    if failed:
        print("failed: " + " ".join(c.name for c in failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
