#!/usr/bin/python3
"""Runs examples/infer (C, linked with simple_cnn.o) on random weights and
checks its top-1 class per image against PyTorch on the same weights and the
same synthetic images (the formula in examples/infer.c).

  check_infer.py --infer build/bin/infer --batch 5
"""

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "models"))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import e2e_lib  # noqa: E402
import reference_models  # noqa: E402


def images(batch):
    import torch
    x = torch.empty(batch, 3, 32, 32)
    for k in range(batch):
        for c in range(3):
            for y in range(32):
                for i in range(32):
                    x[k, c, y, i] = math.sin(0.3 * (k + 1) * i + 0.2 * c) * math.cos(0.25 * y - 0.1 * k)
    return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--infer", required=True)
    ap.add_argument("--batch", type=int, default=5)
    args = ap.parse_args()
    import torch
    model = reference_models.build_reference("simple_cnn").eval()
    state = reference_models.random_state_dict("simple_cnn")
    model.load_state_dict(state)
    with tempfile.TemporaryDirectory() as tmp:
        weights = os.path.join(tmp, "w.safetensors")
        e2e_lib.write_safetensors(weights, {k: v.numpy() for k, v in state.items()})
        run = subprocess.run([args.infer, weights, str(args.batch)], capture_output=True, text=True)
    if run.returncode != 0:
        print(run.stdout, run.stderr)
        return 1
    with torch.no_grad():
        logits = model(images(args.batch))
    ours = [(int(m.group(1)), int(m.group(2)), float(m.group(3)))
            for m in re.finditer(r"image (\d+): class (\d+) \(logit (-?[\d.]+)\)", run.stdout)]
    if len(ours) != args.batch:
        print("expected", args.batch, "lines, got:\n" + run.stdout)
        return 1
    failed = False
    for k, cls, logit in ours:
        want = int(logits[k].argmax())
        ok = cls == want and abs(logit - float(logits[k, want])) <= 1e-3 * max(1.0, abs(float(logits[k, want])))
        print(f"image {k}: infer class {cls} logit {logit:.4f}, torch class {want} logit {float(logits[k, want]):.4f}"
              + ("" if ok else "  MISMATCH"))
        failed |= not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
