#!/usr/bin/python3
"""Checks that a .cnn model's parameters are its PyTorch reference's state_dict.

Runs `cnnopt MODEL.cnn --print-params` and compares its listing, one
`<name> <shape>` line per parameter in program order and a last line
`total parameters: <N>` (N = trainable parameters only), against the reference
module's `state_dict()` (keys, order, shapes, BatchNorm buffers included) and
`sum(p.numel() for p in model.parameters())`.

  check_params.py --cnnopt build/tools/cnnopt/cnnopt \
      --model-file models/resnet50.cnn --reference resnet50
  check_params.py --cnnopt build/tools/cnnopt/cnnopt --all
  check_params.py --reference resnet50 --print-expected

Exit status: 0 on an exact match, 1 on any mismatch (a diff is printed), 2 on a
usage error or when cnnopt cannot be run.
"""

import argparse
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True  # run from lit on the source tree: leave no __pycache__
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_models  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOTAL_RE = re.compile(r"^total parameters: (\d+)$")
SHAPE_RE = re.compile(r"^\[(\s*\d+\s*(,\s*\d+\s*)*)?\]$")


def expected_listing(name):
    """[(key, shape list)], total trainable parameters of reference `name`."""
    import torch  # noqa: F401  (reference_models imports it too)
    model = reference_models.build_reference(name)
    entries = [(k, list(v.shape)) for k, v in model.state_dict().items()]
    total = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return entries, total


def format_shape(shape):
    return "[" + ", ".join(str(d) for d in shape) + "]"


def parse_listing(text):
    """Parses --print-params output; returns (entries, total, format errors)."""
    entries, total, errors = [], None, []
    lines = [l.rstrip() for l in text.splitlines() if l.strip()]
    for n, line in enumerate(lines, 1):
        m = TOTAL_RE.match(line)
        if m:
            if n != len(lines):
                errors.append(f"line {n}: 'total parameters' is not the last line")
            total = int(m.group(1))
            continue
        name, _, shape = line.partition(" ")
        shape = shape.strip()
        if not name or not SHAPE_RE.match(shape):
            errors.append(f"line {n}: expected '<name> [d0, d1, ...]', got {line!r}")
            continue
        dims = [int(d) for d in shape[1:-1].split(",") if d.strip()]
        entries.append((name, dims))
    if total is None:
        errors.append("no last line 'total parameters: <N>'")
    return entries, total, errors


def compare(got, got_total, want, want_total):
    """Returns a list of human-readable differences (empty when they match)."""
    diffs = []
    got_names = [n for n, _ in got]
    want_names = [n for n, _ in want]
    got_map, want_map = dict(got), dict(want)

    dup = sorted({n for n in got_names if got_names.count(n) > 1})
    for n in dup:
        diffs.append(f"duplicate:  {n} (listed {got_names.count(n)} times)")
    missing = [n for n in want_names if n not in got_map]
    unexpected = [n for n in got_names if n not in want_map]
    for n in missing:
        diffs.append(f"missing:    {n} {format_shape(want_map[n])}")
    for n in unexpected:
        diffs.append(f"unexpected: {n} {format_shape(got_map[n])}")
    for n in want_names:
        if n in got_map and got_map[n] != want_map[n]:
            diffs.append(f"shape:      {n} is {format_shape(got_map[n])}, "
                         f"expected {format_shape(want_map[n])}")

    # Order: compare the common names in the two listings' orders.
    common = set(got_map) & set(want_map)
    got_order = [n for n in got_names if n in common]
    want_order = [n for n in want_names if n in common]
    if not dup and got_order != want_order:
        i = next(i for i, (a, b) in enumerate(zip(got_order, want_order)) if a != b)
        lo = max(0, i - 2)
        diffs.append(f"order:      first difference at common entry {i}:")
        diffs.append("              cnnopt:    " + ", ".join(got_order[lo:i + 3]))
        diffs.append("              state_dict: " + ", ".join(want_order[lo:i + 3]))

    if got_total is not None and got_total != want_total:
        diffs.append(f"total:      cnnopt says {got_total:,}, PyTorch has {want_total:,} "
                     f"(difference {got_total - want_total:+,})")
    return diffs


def run_cnnopt(cnnopt, model_file, model_name=None):
    cmd = [cnnopt, model_file, "--print-params"]
    if model_name:
        cmd += ["--model", model_name]
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"cannot run {' '.join(cmd)}: {e}"
    if proc.returncode != 0:
        return None, (f"{' '.join(cmd)} exited with {proc.returncode}:\n"
                      + (proc.stderr or proc.stdout).rstrip())
    return proc.stdout, None


def check_one(cnnopt, model_file, reference, model_name=None, verbose=False):
    """Checks one model; prints the result and returns 0 (match) or 1."""
    want, want_total = expected_listing(reference)
    text, err = run_cnnopt(cnnopt, model_file, model_name)
    label = f"{model_file} vs {reference}"
    if err:
        print(f"FAIL {label}\n  {err}")
        return 1
    got, got_total, errors = parse_listing(text)
    diffs = errors + compare(got, got_total, want, want_total)
    if diffs:
        print(f"FAIL {label}: {len(diffs)} difference(s) "
              f"(cnnopt lists {len(got)} entries, state_dict has {len(want)})")
        for d in diffs:
            print("  " + d)
        return 1
    print(f"OK   {label}: {len(want)} entries, {want_total:,} trainable parameters")
    if verbose:
        sys.stdout.write(text)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cnnopt", help="path to the cnnopt binary")
    ap.add_argument("--model-file", help="the .cnn file (default: the reference's file in models/)")
    ap.add_argument("--reference", help="reference name: " + ", ".join(reference_models.REFERENCES))
    ap.add_argument("--model", help="model name passed to cnnopt --model (files with several models)")
    ap.add_argument("--all", action="store_true", help="check every reference against its models/ file")
    ap.add_argument("--print-expected", action="store_true",
                    help="print the reference's expected --print-params listing and exit")
    ap.add_argument("-v", "--verbose", action="store_true", help="also print cnnopt's listing on success")
    args = ap.parse_args()

    if args.print_expected:
        if not args.reference:
            ap.error("--print-expected needs --reference")
        want, total = expected_listing(args.reference)
        for n, s in want:
            print(f"{n} {format_shape(s)}")
        print(f"total parameters: {total}")
        return 0

    if not args.cnnopt:
        ap.error("--cnnopt is required")
    if not (os.path.isfile(args.cnnopt) and os.access(args.cnnopt, os.X_OK)):
        print(f"error: {args.cnnopt} is not an executable file", file=sys.stderr)
        return 2

    if args.all:
        failed = []
        for ref, (fname, _, _) in reference_models.REFERENCES.items():
            if check_one(args.cnnopt, os.path.join(REPO_ROOT, "models", fname), ref,
                         verbose=args.verbose):
                failed.append(ref)
        print(f"{len(reference_models.REFERENCES) - len(failed)} of "
              f"{len(reference_models.REFERENCES)} models match"
              + (f"; failing: {', '.join(failed)}" if failed else ""))
        return 1 if failed else 0

    if not args.reference:
        ap.error("--reference is required (or --all)")
    if args.reference not in reference_models.REFERENCES:
        ap.error(f"unknown reference '{args.reference}'; known: "
                 + ", ".join(reference_models.REFERENCES))
    model_file = args.model_file or os.path.join(
        REPO_ROOT, "models", reference_models.REFERENCES[args.reference][0])
    return check_one(args.cnnopt, model_file, args.reference, args.model, args.verbose)


if __name__ == "__main__":
    sys.exit(main())
