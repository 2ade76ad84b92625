#!/usr/bin/python3
"""The GPU suite. Through OpenCL on this CPU (PoCL), with `cnnopt-run
--target host-opencl`: every model of models/ forward at batch 1 and 3
(models.py, the e2e suite's input sizes and tolerances), one training step
of simple_cnn and resnet18 with SGD and Adam (training.py), every op family
of ops.py at batch 3 and the derivatives of the main ones (grads.py). For
CUDA, which no GPU here runs: every model (simple_cnn and resnet18 with
their training steps) compiles to an object with PTX for every stage
(test/gpu/run_cuda.sh runs the numeric checks where a GPU is).

  gpu_suite.py --cnnopt-run build/bin/cnnopt-run            # all of it (about 25 minutes)
  gpu_suite.py --cnnopt-run ... --light                      # the light checks (CI: every commit)
  gpu_suite.py --cnnopt-run ... --rotation 2                 # the next two heavy ones (CI)

PoCL builds every kernel when a program first runs it, a third of a second
each: a deep model's forward (200-300 stages) or ResNet-18's training step
(380) takes one to three minutes, and a deep model's CUDA compile half a
minute; more than CI has for all of them on every commit. The light checks
run on every commit; the heavy ones take turns two by two, a long one with
a short one (keyed by the commit count, as training_matrix.py's turns).
Prints one line per check and exits 1 if any failed.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
E2E = os.path.join(HERE, "..", "e2e")
sys.path.insert(0, E2E)
import e2e_lib  # noqa: E402

MODELS = os.path.join(HERE, "..", "..", "models")
OPENCL = "--flag=--target=host-opencl"
# sm_80 PTX: what run_cuda.sh runs on A100 and later GPUs.
CUDA = "host-cuda-cuda_capability_80"


def forward(reference, *options):
    return (f"opencl forward {reference}", "models.py",
            ["--reference", reference, "--batch", "1", "3", *options])


def training(reference, optimizer, *options):
    return (f"opencl training {reference} {optimizer}", "training.py",
            ["--reference", reference, "--optimizer", optimizer, *options])


def cuda_object(reference, *options):
    return (f"cuda object {reference}{' ' + ' '.join(options) if options else ''}", None,
            [(reference, list(options))])


def cuda_objects(label, references):
    return (f"cuda objects of {label}", None, [(reference, []) for reference in references])


def op_families(script, families):
    """ops.py (forward, batch 3, every case of a family in one model) or
    grads.py (training step) over `families` through OpenCL."""
    options = [f"--family={f}" for f in families]
    if script == "ops.py":
        options += ["--batch", "3", "--group-size", "40"]
    return (f"opencl {script[:-3]} {' '.join(families)}", script, options)


def with_cases(check, label, cases):
    """`check` (an ops.py or grads.py run) with ops.py's `cases` added."""
    name, script, options = check
    return (f"{name}, {label}", script, options + [f"--case={c}" for c in cases])


# The derivatives of the kernels DSL.md's newer ops added (pad2d_grad,
# pixel_unshuffle, prelu's weight, glu, the activations with parameters,
# fused too, pow): one of each, in one training step.
NEW_OP_GRADS = ("pad2d_reflect", "pad2d_replicate", "pixel_shuffle", "prelu", "glu", "softplus",
                "elu", "pow_fraction", "conv_bn_add_softplus")
SMALL = "3,64,64"  # the e2e suite's reduced input of the ImageNet models
LIGHT_MODELS = ("lenet", "simple_cnn", "cnn_with_dropout", "se_block", "spp", "inception_module",
                "dense_block", "seg_head")
HEAVY_MODELS = ("densenet121", "efficientnet_b0", "googlenet", "mobilenet_v2",
                "mobilenet_v3_small", "resnet50", "vgg16")
# Every commit: a training step, the small models that cover most op kinds
# (ResNet-18: conv/BN/ReLU/add/pools/linear; the dense block: concat) and
# the CUDA objects of a training step and of ResNet-18.
LIGHT = [
    training("simple_cnn", "sgd", "--steps", "3", "--input-shape", "3,16,16"),
    forward("resnet18", "--input-shape", SMALL),
    cuda_object("simple_cnn", "--train"), forward("dense_block"), cuda_object("resnet18"),
    forward("lenet"),
]
HEAVY_OPENCL = [forward(name, "--input-shape", SMALL) for name in HEAVY_MODELS] + [
    training("resnet18", optimizer, "--init", "default", "--input-shape", "3,32,32")
    for optimizer in ("sgd", "adam")
] + [
    training("simple_cnn", "adam", "--steps", "3", "--input-shape", "3,16,16"),
    forward("inception_module"), forward("spp"), forward("seg_head"),
    forward("cnn_with_dropout"), forward("se_block"),
    # Every op family of ops.py (DSL.md's operator table), then derivatives.
    op_families("ops.py", ["conv2d", "conv_transpose2d", "linear", "fusion"]),
    op_families("ops.py", ["batch_norm", "group_norm", "instance_norm", "layer_norm",
                           "softmax", "activation"]),
    op_families("ops.py", ["max_pool2d", "avg_pool2d", "adaptive_pool", "upsample2d",
                           "mean", "regularizer"]),
    op_families("ops.py", ["arith", "shape", "concat", "channels_last"]),
    op_families("grads.py", ["conv2d"]),
    with_cases(op_families("grads.py", ["linear", "batch_norm", "softmax"]), "new ops",
               NEW_OP_GRADS),
    op_families("grads.py", ["max_pool2d", "avg_pool2d"]),
]
OTHER_SMALL = [m for m in LIGHT_MODELS if m != "simple_cnn"]
HEAVY_CUDA = [cuda_object(name) for name in HEAVY_MODELS] + [
    cuda_object("resnet18", "--train"),
    cuda_objects("the small models (1)", OTHER_SMALL[:4]),
    cuda_objects("the small models (2)", OTHER_SMALL[4:])]
# About how long the long checks take here (PoCL's kernel builds, CUDA
# compiles), in seconds; the others take 10-40.
SECONDS = {
    "opencl training resnet18 adam": 170, "opencl training resnet18 sgd": 150,
    "opencl forward densenet121": 136, "cuda object densenet121": 83,
    "opencl grads conv2d": 70, "opencl grads max_pool2d avg_pool2d": 70,
    "cuda object resnet18 --train": 67, "opencl forward vgg16": 65,
    "opencl ops arith shape concat channels_last": 63, "opencl forward resnet50": 57,
    "opencl grads linear batch_norm softmax, new ops": 86,
}


def balanced_pairs(checks):
    """`checks` (an even number) as pairs of about equal total time, the
    longest with the shortest, flattened: each CI turn (--rotation 2) runs
    one pair."""
    ranked = sorted(checks, key=lambda check: -SECONDS.get(check[0], 25))
    half = len(ranked) // 2
    return [check for k in range(half) for check in (ranked[k], ranked[-1 - k])]


HEAVY = balanced_pairs(HEAVY_OPENCL + HEAVY_CUDA)


def check_cuda_object(cnnopt, reference, options):
    """Compiles models/<reference>.cnn for CUDA (with --train, a model
    without a train declaration gets training.py's, with Adam); returns
    (ok, message): ok when the object's PTX targets sm_80 and holds a kernel
    (.entry) for at least every stage the header's plans list."""
    with tempfile.TemporaryDirectory() as work:
        model = os.path.join(MODELS, reference + ".cnn")
        source = open(model).read()
        if "--train" in options and not re.search(r"^train\s", source, re.M):
            import training  # noqa: E402 (PyTorch: only when needed)
            output = re.findall(r"\breturn\s+(\w+)", source)[-1]  # the model's, after its blocks
            model = os.path.join(work, "model.cnn")
            with open(model, "w") as f:
                f.write(training.with_train_declaration(source, output, "adam()", 0.0, None))
        obj = os.path.join(work, "model.o")
        proc = subprocess.run([cnnopt, model, "--target", CUDA, "-o", obj, *options],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            return False, proc.stderr[-2000:]
        data = open(obj, "rb").read()
        header = open(os.path.join(work, "model.h")).read()
    stages = len(re.findall(r"^int \w+_s\d+_argv\(void \*\*args\);$", header, re.M))
    entries = data.count(b".entry ")
    targets = set(re.findall(rb"\.target (sm_\d+)", data))
    good = stages > 0 and entries >= stages and targets == {b"sm_80"}
    return good, f"{stages} stages, {entries} PTX kernels, targets {sorted(targets)}"


def run(cnnopt_run, check):
    name, script, options = check
    start = time.time()
    if script is None:
        cnnopt = os.path.join(os.path.dirname(cnnopt_run), "cnnopt")
        good = True
        for reference, flags in options:
            ok, detail = check_cuda_object(cnnopt, reference, flags)
            good = good and ok
            if not ok or len(options) > 1:
                print(f"  {'ok  ' if ok else 'FAIL'} {reference}: {detail}")
        print(f"{'ok  ' if good else 'FAIL'} {name} ({time.time() - start:.0f}s)"
              f"{': ' + detail if len(options) == 1 else ''}", flush=True)
        return good
    cmd = [sys.executable, os.path.join(E2E, script), "--cnnopt-run", cnnopt_run, *options, OPENCL]
    return e2e_lib.run_check(name, cmd)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cnnopt-run", required=True)
    ap.add_argument("--light", action="store_true", help="only the light checks")
    ap.add_argument("--rotation", type=int, metavar="K",
                    help="only the K heavy checks whose turn it is at --key")
    ap.add_argument("--key", type=int, help="the rotation's key (default: the commit count)")
    args = ap.parse_args()
    if args.rotation:
        key = e2e_lib.commit_count() if args.key is None else args.key
        plan = e2e_lib.rotation_turn(HEAVY, args.rotation, key)
        print(f"rotation key {key}: {', '.join(name for name, _, _ in plan)} "
              f"(of {len(HEAVY)} heavy checks)")
    elif args.light:
        plan = LIGHT
    else:
        plan = LIGHT + HEAVY
    failed = [check[0] for check in plan if not run(args.cnnopt_run, check)]
    print("all passed" if not failed else "failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
