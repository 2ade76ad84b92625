#!/usr/bin/python3
"""End-to-end training tests: K steps of a model's compiled training step
(`cnnopt-run --train-steps K`) against the same steps in PyTorch 1.13
(torch.autograd and torch.optim), from the same random weights on the same
random batch.

  training.py --cnnopt-run build/bin/cnnopt-run --reference simple_cnn \
      --optimizer sgd --steps 10 --input-shape 3,16,16

The model file's own train declaration is replaced by one the test writes
(cross_entropy on the model's output, the chosen optimizer and its
hyper-parameters), so any model of models/ trains with any optimizer.
Compared: each step's loss, then every parameter and buffer of the final
state_dict (running statistics and num_batches_tracked included), each
within 1e-3 * max(1, max|torch|), and SGD's updates at their own scale;
each tolerance grows by three times what rounding-sized input noise moves
the tensor in PyTorch's own reruns (ReLU kinks in deep models). Exit
status 0 when all match.
"""

import argparse
import copy
import os
import re
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "models"))
import e2e_lib  # noqa: E402
import models  # noqa: E402
import reference_models  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

RTOL = 1e-3
# PyTorch reruns on inputs perturbed by this relative noise, which measure
# each tensor's sensitivity to rounding (see torch_steps' caller).
SENSITIVITY_RUNS = 3
PERTURBATION = 1e-6
# cnnopt's rounding (Winograd's transforms, other summation orders) moves a
# deep model about as far as a few times that noise: its deviation is
# compared with SPREAD_FACTOR times the largest of the reruns'.
SPREAD_FACTOR = 3
# The change a step makes to each tensor, relative to PyTorch's change.
DELTA_RTOL = 2e-3
# Each optimizer as the .cnn train declaration writes it and as torch.optim
# builds it, with hyper-parameters that exercise every term of the update.
OPTIMIZERS = {
    "sgd": ("sgd(momentum=0.9, weight_decay=5e-4, nesterov=true)",
            lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9, weight_decay=5e-4,
                                          nesterov=True), 0.05),
    "sgd_plain": ("sgd()", lambda p, lr: torch.optim.SGD(p, lr=lr), 0.05),
    "sgd_momentum": ("sgd(momentum=0.9, weight_decay=1e-3)",
                     lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9,
                                                   weight_decay=1e-3), 0.05),
    "adam": ("adam(beta1=0.8, beta2=0.99, eps={eps}, weight_decay=1e-3)",
             lambda p, lr, eps: torch.optim.Adam(p, lr=lr, betas=(0.8, 0.99), eps=eps,
                                                 weight_decay=1e-3), 0.01),
    "adamw": ("adamw(eps={eps}, weight_decay=0.05)",
              lambda p, lr, eps: torch.optim.AdamW(p, lr=lr, eps=eps, weight_decay=0.05), 0.01),
}
ADAM_EPS = 1e-4
# Adam's eps is 1e-4 (ADAM_EPS), not 1e-8: its step is grad / (|grad| + eps)
# in size, so a gradient that is rounding noise (a conv bias before BatchNorm
# gets sum(dy) = 0 in exact arithmetic) would take a full step of random
# sign on either side. Deep models take a larger one (--adam-eps): there a
# ReLU input within rounding of zero moves a few gradients by a whole term,
# and Adam turns a small absolute change into a large step. Adam's updates
# are compared at the weights' scale only, for the same reason; SGD's,
# linear in the gradient, at their own too.


def without_random_ops(source, module):
    """Dropout, dropblock and stochastic_depth draw their own masks on each
    side (regularizer_stats.py tests cnnopt's by their statistics): here both
    sides run them at p=0, so that the rest of the step can be compared."""
    for m in module.modules():
        if hasattr(m, "p") and type(m).__name__ in ("Dropout", "StochasticDepth", "DropBlock2d"):
            m.p = 0.0
    out, pos = [], 0
    for call in re.finditer(r"\b(dropout|dropblock|stochastic_depth)\(", source):
        depth, k = 1, call.end()
        while depth and k < len(source):  # the call's closing parenthesis
            depth += {"(": 1, ")": -1}.get(source[k], 0)
            k += 1
        args = source[call.end():k - 1]
        # p= at the call's own level: after its last top-level comma.
        level, cut = 0, 0
        for j, ch in enumerate(args):
            level += {"(": 1, ")": -1}.get(ch, 0)
            if ch == "," and level == 0:
                cut = j
        tail = re.sub(r"\bp\s*=\s*[^,]+$", "p=0.0", args[cut:])
        out.append(source[pos:call.end()] + args[:cut] + tail + ")")
        pos = k
    return "".join(out) + source[pos:]


def with_train_declaration(source, output, optimizer, smoothing, target_shape):
    """`source` with its train declarations replaced by one for its model:
    cross_entropy against `labels` for [N, classes] logits, otherwise
    mse_loss against a `target` of `target_shape` (the output's, N first)."""
    source = re.sub(r"\btrain\s+\w+\s*\([^)]*\)\s*\{[^}]*\}", "", source)
    name = re.search(r"\bmodel\s+(\w+)", source).group(1)
    if target_shape is None:
        inputs = "labels: i32[N]"
        loss = f"cross_entropy({output}, labels, label_smoothing={smoothing})"
    else:
        inputs = f"target: f32[N, {', '.join(map(str, target_shape[1:]))}]"
        loss = f"mse_loss({output}, target)"
    return (source + f"\ntrain {name}({inputs}) {{\n  loss = {loss}\n"
            f"  optimizer = {optimizer}\n}}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cnnopt-run", required=True)
    ap.add_argument("--cnnopt", help="path of cnnopt (default: next to cnnopt-run)")
    ap.add_argument("--reference", required=True, choices=sorted(reference_models.REFERENCES))
    ap.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="sgd")
    ap.add_argument("--steps", type=int, default=1)
    ap.add_argument("--batch", type=int, default=3)
    ap.add_argument("--label-smoothing", type=float, default=0.0)
    ap.add_argument("--input-shape", help="non-batch input dims, e.g. 3,16,16")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init", choices=("random", "default"), default="random",
                    help="weights: random ones of e2e_lib's rules rescaled per layer (default), "
                         "or the module's own initialisation under torch.manual_seed(seed), "
                         "as training starts (deep models: random BatchNorm scales and shifts "
                         "leave near-constant channels whose derivatives are ill-conditioned)")
    ap.add_argument("--keep", help="write the work files here and keep them")
    ap.add_argument("--delta-rtol", type=float, default=DELTA_RTOL,
                    help="SGD's updates: max|ours - torch| <= delta_rtol * max|torch update|")
    ap.add_argument("--adam-eps", type=float, default=ADAM_EPS,
                    help="eps of adam and adamw (default %(default)s)")
    ap.add_argument("--sensitivity-runs", type=int, default=SENSITIVITY_RUNS,
                    help="PyTorch reruns on perturbed inputs that measure how far rounding "
                         "alone moves each tensor (default %(default)s)")
    ap.add_argument("--perturbation", type=float, default=PERTURBATION,
                    help="their relative input noise (default %(default)s)")
    e2e_lib.add_common_options(ap)
    ap.set_defaults(rtol=RTOL)
    args = ap.parse_args()
    e2e_lib.apply_common_options(args)

    torch.set_num_threads(1)
    start = time.time()
    cnnopt = args.cnnopt or os.path.join(os.path.dirname(args.cnnopt_run), "cnnopt")
    file, _, native = reference_models.REFERENCES[args.reference]
    shape = tuple(native)
    if args.input_shape:
        shape = tuple(int(d) for d in args.input_shape.split("=")[-1].split(","))
    declaration, make_optimizer, lr = OPTIMIZERS[args.optimizer]
    if "{eps}" in declaration:
        declaration = declaration.format(eps=args.adam_eps)
        make_adam = make_optimizer
        make_optimizer = lambda p, lr: make_adam(p, lr, args.adam_eps)  # noqa: E731

    torch.manual_seed(args.seed)
    module = reference_models.build_reference(args.reference)
    source = without_random_ops(open(os.path.join(models.REPO_ROOT, "models", file)).read(),
                                module)
    if args.init == "random":
        models.randomise(module, args.seed, 1.0)
        models.calibrate(module, shape, args.seed)
    initial = {k: v.clone().numpy() for k, v in module.state_dict().items()}
    x = e2e_lib.random_input((args.batch,) + shape, seed=args.seed + 7)
    with torch.no_grad():
        out_shape = tuple(module.eval()(torch.from_numpy(x)).shape)
    rng = np.random.default_rng(args.seed)
    classify = len(out_shape) == 2
    if classify:
        labels = rng.integers(0, out_shape[1], args.batch).astype(np.int32)
        target = torch.from_numpy(labels).long()
        loss_fn = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    else:
        labels = rng.standard_normal(out_shape).astype(np.float32)
        target = torch.from_numpy(labels)
        loss_fn = nn.MSELoss()

    def torch_steps(x):
        """PyTorch's run of the steps from the initial weights on batch x:
        the loss of each step and the final state_dict."""
        trained = copy.deepcopy(module).train()
        opt = make_optimizer(trained.parameters(), lr)
        losses = []
        for _ in range(args.steps):
            opt.zero_grad()
            loss = loss_fn(trained(torch.from_numpy(x)), target)
            loss.backward()
            opt.step()
            losses.append(float(loss))
        return losses, {k: v.numpy() for k, v in trained.state_dict().items()}

    ref_losses, final = torch_steps(x)
    # How far rounding-sized changes move each tensor on PyTorch's own side:
    # in a deep model a ReLU input within rounding of zero may fall on either
    # side of the kink, and the few gradients that sum over it then change by
    # a whole term (float32 and float64 PyTorch can disagree so too).
    # SPREAD_FACTOR times that spread widens each tensor's tolerance; where
    # no input is that close to a kink it is rounding noise and the
    # tolerance stays tight.
    noise = np.random.default_rng(args.seed + 11)
    spread = {k: 0.0 for k in final}
    for _ in range(args.sensitivity_runs):
        nudged = x * (1 + args.perturbation * noise.standard_normal(x.shape)).astype(np.float32)
        for k, v in torch_steps(nudged)[1].items():
            diff = np.abs(v.astype(np.float64) - final[k]) if v.size else np.zeros(1)
            spread[k] = max(spread[k], float(np.max(diff)))

    good = True
    with tempfile.TemporaryDirectory(prefix="cnnopt-train-") as tmp:
        workdir = args.keep or tmp
        os.makedirs(workdir, exist_ok=True)
        inputs, outputs = models.model_io(cnnopt, os.path.join(models.REPO_ROOT, "models", file),
                                          [])
        overrides = [f"{inputs[0]}={','.join(map(str, shape))}"] if args.input_shape else []
        model_file = os.path.join(workdir, "model.cnn")
        with open(model_file, "w") as f:
            f.write(with_train_declaration(source, outputs[0], declaration,
                                           args.label_smoothing,
                                           None if classify else out_shape))
        weights = os.path.join(workdir, "initial.safetensors")
        e2e_lib.write_safetensors(weights, initial)
        np.save(os.path.join(workdir, "x.npy"), x)
        np.save(os.path.join(workdir, "labels.npy"), labels)
        cmd = [args.cnnopt_run, model_file, "--train-steps", str(args.steps), "--lr", str(lr),
               "--weights", weights, "--input", f"{inputs[0]}={workdir}/x.npy",
               "--input", f"{'labels' if classify else 'target'}={workdir}/labels.npy",
               "--output", f"loss={workdir}/loss.npy",
               "--save-weights", f"{workdir}/trained.safetensors"] + e2e_lib.EXTRA_ARGS
        for spec in overrides:
            cmd += ["--input-shape", spec]
        import subprocess
        t0 = time.time()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        secs = time.time() - t0
        if proc.returncode != 0:
            print(f"FAIL {args.reference}: cnnopt-run exited with {proc.returncode}\n"
                  f"  command: {' '.join(cmd)}\n  stderr: {proc.stderr.strip()}")
            return 1
        label = f"{args.reference} {args.optimizer} x{args.steps}"
        good &= e2e_lib.compare(f"{label} losses (cnnopt-run {secs:.1f}s)",
                                np.load(f"{workdir}/loss.npy"), np.array(ref_losses))
        trained = e2e_lib.read_safetensors(f"{workdir}/trained.safetensors")
        if sorted(trained) != sorted(final):
            print(f"FAIL {label}: state_dict keys differ: "
                  f"{sorted(set(trained) ^ set(final))}")
            good = False
        for name in final:
            if name not in trained:
                continue
            good &= e2e_lib.compare(f"{label} {name}", trained[name], final[name],
                                    atol=SPREAD_FACTOR * spread[name])
            # The update itself, at its own scale: a wrong term of the
            # optimizer (a missing decay, bias correction) is small beside
            # the weights but not beside their change.
            if not args.optimizer.startswith("sgd"):
                continue
            delta = final[name].astype(np.float64) - initial[name]
            ours = trained[name].astype(np.float64) - initial[name]
            err = float(np.max(np.abs(ours - delta))) if delta.size else 0.0
            tol = args.delta_rtol * float(np.max(np.abs(delta))) + 1e-6 if delta.size else 0.0
            tol += SPREAD_FACTOR * spread[name]
            if err > tol:
                print(f"FAIL {label} {name}: the update differs by {err:.3e} "
                      f"(tol {tol:.3e}, max|torch update| {np.max(np.abs(delta)):.3e})")
                good = False
    print(f"{'passed' if good else 'FAILED'} in {time.time() - start:.1f}s")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
