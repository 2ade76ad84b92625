#!/usr/bin/python3
"""The deep models of models/ compiled as written (-O0: no folding, no
fusion, the written graph's kernels) against torchvision, at the sizes
their -O2 tests (model_<name>.test) run them. Their compiles are long, so
CI runs one per commit in turn (--rotation 1, keyed by the commit count);
the small models' -O0 runs are in their own tests, every commit.

  models_O0.py --cnnopt-run build/bin/cnnopt-run              # all of them
  models_O0.py --cnnopt-run build/bin/cnnopt-run --rotation 1 # this commit's turn

Prints one line per model and exits 1 if any failed.
"""

import argparse
import os
import sys

import e2e_lib

HERE = os.path.dirname(os.path.abspath(__file__))
SMALL = ["--input-shape", "3,64,64"]  # the e2e suite's reduced ImageNet input
DEEP = {
    "densenet121": SMALL, "efficientnet_b0": SMALL, "googlenet": SMALL,
    "mobilenet_v2": SMALL, "mobilenet_v3_small": SMALL,
    "resnet50": [],  # at 3x224x224, as model_resnet50_224.test
    "vgg16": SMALL,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cnnopt-run", required=True)
    ap.add_argument("--rotation", type=int, metavar="K",
                    help="only the K models whose turn it is at --key")
    ap.add_argument("--key", type=int, help="the rotation's key (default: the commit count)")
    args = ap.parse_args()
    plan = sorted(DEEP)
    if args.rotation:
        key = e2e_lib.commit_count() if args.key is None else args.key
        plan = e2e_lib.rotation_turn(plan, args.rotation, key)
        print(f"rotation key {key}: {', '.join(plan)} (of {len(DEEP)} models)")
    failed = [name for name in plan if not e2e_lib.run_check(
        f"{name} -O0", [sys.executable, os.path.join(HERE, "models.py"), "--cnnopt-run",
                        args.cnnopt_run, "--reference", name, "--batch", "1", "3",
                        *DEEP[name], "--flag=-O0"])]
    print("all passed" if not failed else "failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
