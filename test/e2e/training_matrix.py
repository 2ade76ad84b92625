#!/usr/bin/python3
"""The whole training matrix, run by hand (about 40 minutes on 2 cores):
every model of models/ (those training*.test trains, with the input size
and options of their first line there, and BY_HAND's), one step of each
of sgd, adam and adamw (the deep models' Adam with eps 1e-2, as
training.py explains). CI samples the matrix; this runs all of it.

  training_matrix.py --cnnopt-run build/bin/cnnopt-run [--reference vgg16 ...]

Prints one line per run and exits 1 if any failed.
"""

import argparse
import glob
import os
import shlex
import sys

import e2e_lib

HERE = os.path.dirname(os.path.abspath(__file__))
OPTIMIZERS = ("sgd", "adam", "adamw")
# Options of a test line that choose the run, not the model's setting.
PER_RUN = ("--optimizer", "--steps", "--label-smoothing", "--flag")
# Models CI trains in turn (training_deep.test), not on every commit:
# the deep ones, whose compiles are too long (at the size the e2e suite
# runs them, from their own initialisation) ...
BY_HAND = {
    name: ["--reference", name, "--input-shape", "3,64,64", "--init", "default"]
    for name in ("resnet50", "googlenet", "efficientnet_b0", "densenet121", "vgg16",
                 "mobilenet_v2", "mobilenet_v3_small")
}
# ... and the small ones of models/ but SimpleCNN and ResNet-18 (training.test
# trains those every commit), one step each (mse_loss on a random target
# where the output is a feature map; dropout at p=0 on both sides, its masks
# are checked by regularizer_training.test).
SMALL = {name: ["--reference", name] + options for name, options in {
    "lenet": [],
    "se_block": ["--input-shape", "64,8,8"],
    "spp": ["--input-shape", "3,32,32"],
    "inception_module": ["--input-shape", "192,8,8"],
    "dense_block": ["--input-shape", "64,8,8"],
    "cnn_with_dropout": [],
    "seg_head": ["--input-shape", "3,32,32", "--init", "default"],
}.items()}
# DenseNet-121's step at this size is the most sensitive (training_deep.test).
BY_HAND["densenet121"] += ["--perturbation", "1e-5"]
# Adam's eps for the deep models (those that start from their own
# initialisation) where their line does not say: training.test says why.
DEEP_ADAM_EPS = "1e-2"


def model_options():
    """{reference: [options]} from the first training.py line of each
    model in training*.test."""
    found = {}
    for path in sorted(glob.glob(os.path.join(HERE, "training*.test"))):
        for line in open(path):
            if not line.startswith("RUN:") or "training.py" not in line:
                continue
            words = shlex.split(line.split("%cnnopt_run_bin", 1)[1])
            options, k = [], 0
            while k < len(words):
                flag = words[k].split("=")[0]
                takes_value = "=" not in words[k] and k + 1 < len(words) and \
                    not words[k + 1].startswith("--")
                span = words[k:k + 2] if takes_value else words[k:k + 1]
                if flag not in PER_RUN:
                    options += span
                k += len(span)
            reference = options[options.index("--reference") + 1]
            found.setdefault(reference, options)
    return {**BY_HAND, **SMALL, **found}


def rotation_turn(count, key):
    """The `count` runs of BY_HAND's models and the `count` of SMALL's
    (model x optimizer, in order) whose turn it is at `key`: successive
    keys walk through all of them."""
    turn = []
    for models in (BY_HAND, SMALL):
        runs = [(reference, optimizer) for reference in sorted(models) for optimizer in OPTIMIZERS]
        turn += e2e_lib.rotation_turn(runs, count, key)
    return turn


def run(cnnopt_run, reference, optimizer, options):
    """One training.py run; prints its status line (and its failures)."""
    cmd = [sys.executable, os.path.join(HERE, "training.py"),
           "--cnnopt-run", cnnopt_run, "--optimizer", optimizer] + options
    if optimizer != "sgd" and "--init" in options and "--adam-eps" not in options:
        cmd += ["--adam-eps", DEEP_ADAM_EPS]
    return e2e_lib.run_check(f"{reference} {optimizer}", cmd)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cnnopt-run", required=True)
    ap.add_argument("--reference", action="append", default=[],
                    help="only these models (default: all)")
    ap.add_argument("--rotation", type=int, metavar="K",
                    help="run only the K runs of BY_HAND's models and the K of SMALL's whose "
                         "turn it is at --key (CI: each commit runs the next ones)")
    ap.add_argument("--key", type=int, help="the rotation's key (default: the commit count)")
    args = ap.parse_args()
    options = model_options()
    if args.rotation:
        key = e2e_lib.commit_count() if args.key is None else args.key
        plan = rotation_turn(args.rotation, key)
        print(f"rotation key {key}: {', '.join(f'{r} {o}' for r, o in plan)} "
              f"(of {len(BY_HAND) * len(OPTIMIZERS)} deep and "
              f"{len(SMALL) * len(OPTIMIZERS)} small runs)")
    else:
        plan = [(r, o) for r in sorted(options) for o in OPTIMIZERS
                if not args.reference or r in args.reference]
    failed = [f"{r} {o}" for r, o in plan if not run(args.cnnopt_run, r, o, options[r])]
    print("all passed" if not failed else "failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
