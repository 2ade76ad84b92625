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
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
OPTIMIZERS = ("sgd", "adam", "adamw")
# Options of a test line that choose the run, not the model's setting.
PER_RUN = ("--optimizer", "--steps", "--label-smoothing", "--flag")
# Models CI does not train (training_deep.test says why), at the size the
# others of their kind use.
BY_HAND = {
    name: ["--reference", name, "--input-shape", "3,64,64", "--init", "default"]
    for name in ("resnet50", "googlenet", "efficientnet_b0", "densenet121")
}
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
    return {**BY_HAND, **found}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cnnopt-run", required=True)
    ap.add_argument("--reference", action="append", default=[],
                    help="only these models (default: all)")
    args = ap.parse_args()
    failed = []
    for reference, options in sorted(model_options().items()):
        if args.reference and reference not in args.reference:
            continue
        for optimizer in OPTIMIZERS:
            cmd = [sys.executable, os.path.join(HERE, "training.py"),
                   "--cnnopt-run", args.cnnopt_run, "--optimizer", optimizer] + options
            if optimizer != "sgd" and "--init" in options and "--adam-eps" not in options:
                cmd += ["--adam-eps", DEEP_ADAM_EPS]
            start = time.time()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            status = "ok  " if proc.returncode == 0 else "FAIL"
            print(f"{status} {reference} {optimizer} ({time.time() - start:.0f}s)", flush=True)
            if proc.returncode:
                failed.append(f"{reference} {optimizer}")
                print("".join(l + "\n" for l in proc.stdout.splitlines()
                              if not l.startswith("ok "))[-3000:])
    print(f"{'all passed' if not failed else 'failed: ' + ', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
