#!/usr/bin/python3
"""The models of models/ exported by torch.onnx.export and run through cnnopt.

For each reference (test/models/reference_models.py), with the random,
calibrated weights of test/e2e/models.py:
1. `torch.onnx.export` (eval mode, opset --opset, dynamic batch, BatchNorm
   folded into the convs as PyTorch exports by default) -> `cnnopt-run
   model.onnx` (no --weights: the file carries them) against PyTorch at
   batch 1 and 3;
2. `cnnopt --emit=cnn model.onnx -o printed.cnn` (+ printed.safetensors) ->
   `cnnopt-run printed.cnn --weights printed.safetensors` gives the ONNX
   run's outputs (the round trip; --no-round-trip skips it);
3. the same model exported with training=PRESERVE (BatchNorm kept, state_dict
   names) and the models/ file give the same `--print-stats` totals (params
   and MACs) at the same input size.
The exported files live in a temporary directory, never in git.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
sys.dont_write_bytecode = True
import e2e_lib  # noqa: E402
import models as e2e_models  # noqa: E402
import reference_models  # noqa: E402

import onnx  # noqa: E402
import torch  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
# ImageNet models run at 64x64 (as test/e2e does), except VGG-16, whose
# adaptive pool to 7x7 torch exports only from a multiple of 7 (224).
SMALL = (3, 64, 64)
FULL_SIZE = {"vgg16"}


def export(module, shape, path, opset, preserve=False):
    kwargs = dict(opset_version=opset, input_names=["x"],
                  dynamic_axes={"x": {0: "N"}})
    if preserve:
        kwargs["training"] = torch.onnx.TrainingMode.PRESERVE
    with torch.no_grad():
        torch.onnx.export(module, torch.zeros((2,) + shape), path, **kwargs)


def stats(cnnopt, path, shape_override=None):
    cmd = [cnnopt, path, "--print-stats", "--json"]
    if shape_override:
        cmd += ["--input-shape", shape_override]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise e2e_lib.RunError(f"{' '.join(cmd)}: {proc.stderr.strip()}")
    return json.loads(proc.stdout)


def check_model(args, name, work):
    cnnopt = os.path.join(os.path.dirname(args.cnnopt_run), "cnnopt")
    file, _, native = reference_models.REFERENCES[name]
    shape = tuple(native)
    if shape == (3, 224, 224) and name not in FULL_SIZE:
        shape = SMALL
    module = reference_models.build_reference(name)
    e2e_models.randomise(module, 0, 1.0)
    e2e_models.calibrate(module, shape, 0)
    module.eval()
    onnx_path = os.path.join(work, name + ".onnx")
    export(module, shape, onnx_path, args.opset)
    xs = [e2e_lib.random_input((b,) + shape, seed=b) for b in (1, 3)]
    outputs = [e2e_lib.onnx_identifier(o.name) for o in onnx.load(onnx_path).graph.output]
    good = True
    ours, secs = e2e_lib.run_cnnopt_batches(args.cnnopt_run, onnx_path, [{"x": x} for x in xs],
                                            outputs, work, tag=name)
    for b, x, got in zip((1, 3), xs, ours):
        with torch.no_grad():
            ref = module(torch.from_numpy(x))
        refs = list(ref) if isinstance(ref, (tuple, list)) else [ref]
        for out, r in zip(outputs, refs):
            good &= e2e_lib.compare(f"{name}.onnx batch {b} {out} ({secs:.1f}s)", got[out],
                                    r.numpy())
    if not args.no_round_trip:
        printed = os.path.join(work, name + ".printed.cnn")
        subprocess.run([cnnopt, onnx_path, "--emit=cnn", "-o", printed], check=True)
        again, secs = e2e_lib.run_cnnopt_batches(
            args.cnnopt_run, printed, [{"x": x} for x in xs], outputs, work,
            weights=printed[:-4] + ".safetensors", tag=name + ".printed")
        for b, first, second in zip((1, 3), ours, again):
            for out in outputs:
                good &= e2e_lib.compare(f"{name}: --emit=cnn round trip batch {b} {out} "
                                        f"({secs:.1f}s)", second[out], first[out])
    preserved = os.path.join(work, name + ".preserve.onnx")
    export(module, shape, preserved, args.opset, preserve=True)
    cnn_file = os.path.join(REPO_ROOT, "models", file)
    ours_stats = stats(cnnopt, preserved)
    file_stats = stats(cnnopt, cnn_file, "x=" + ",".join(map(str, shape)))
    for key in ("total_params", "total_macs"):
        same = ours_stats.get(key) == file_stats.get(key)
        good &= same
        print(f"{'ok  ' if same else 'FAIL'} {name}: {key} {ours_stats.get(key)} (ONNX) vs "
              f"{file_stats.get(key)} ({file})")
    return good


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cnnopt-run", required=True)
    ap.add_argument("--reference", nargs="+", required=True,
                    choices=sorted(reference_models.REFERENCES))
    ap.add_argument("--rotation", type=int, default=0,
                    help="run only the N-th turn of the list (by commit count), N of them")
    ap.add_argument("--opset", type=int, default=13)
    ap.add_argument("--no-round-trip", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    names = args.reference
    if args.rotation:
        names = e2e_lib.rotation_turn(names, args.rotation, e2e_lib.commit_count())
        print(f"this commit's turn: {' '.join(names)}")
    good = True
    for name in names:
        with tempfile.TemporaryDirectory(prefix="cnnopt-onnx-") as work:
            try:
                good &= check_model(args, name, work)
            except (e2e_lib.RunError, subprocess.CalledProcessError) as e:
                print(f"FAIL {name}: {e}")
                good = False
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
