#!/usr/bin/python3
"""PyTorch's side of examples/train_fashion_mnist.c.

  fashion_mnist_torch.py --example build/bin/train_fashion_mnist \
      --epochs 1 --train-images 2048 --test-images 1000

Runs the example (it writes its initial and trained weights), then repeats
its training in PyTorch 1.13 from the same initial weights, with the same
data order (splitmix64 Fisher-Yates per epoch), normalisation and one-cycle
schedule (OneCycleLR, momentum not cycled), and checks:
  - the trained .safetensors loads with load_state_dict(strict=True) and
    gives, in PyTorch, the test accuracy the example printed;
  - PyTorch's own run ends within --tolerance points of the example's
    accuracy (default 0.5).
--expect-accuracy A also requires the example's last accuracy >= A.
Exit status 0 when all hold.
"""

import argparse
import gzip
import math
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
TEST = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TEST, "models"))
sys.path.insert(0, os.path.join(TEST, "e2e"))
import e2e_lib  # noqa: E402
import reference_models  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

MASK = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def shuffled(n, seed):
    order, state = list(range(n)), seed
    for i in range(n - 1, 0, -1):
        state, r = splitmix64(state)
        j = r % (i + 1)
        order[i], order[j] = order[j], order[i]
    return order


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(data_dir, prefix, limit):
    images = read_idx(f"{data_dir}/{prefix}-images-idx3-ubyte.gz")
    labels = read_idx(f"{data_dir}/{prefix}-labels-idx1-ubyte.gz")
    n = limit if 0 < limit < len(images) else len(images)
    x = (images[:n].astype(np.float32) / np.float32(255.0) - np.float32(0.2860)) / np.float32(0.3530)
    return torch.from_numpy(x.reshape(n, 1, 28, 28)), torch.from_numpy(labels[:n].astype(np.int64))


def read_safetensors(path):
    """{name: torch tensor} of a .safetensors file."""
    return {k: torch.from_numpy(v) for k, v in e2e_lib.read_safetensors(path).items()}


def model():
    m = reference_models.SimpleCNN()
    m.features[0] = nn.Conv2d(1, 32, 3, padding=1)
    return m


def accuracy(module, x, y):
    module.eval()
    with torch.no_grad():
        return 100.0 * float((module(x).argmax(1) == y).float().mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--example", required=True)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--train-images", type=int, default=0)
    ap.add_argument("--test-images", type=int, default=0)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--tolerance", type=float, default=0.5)
    ap.add_argument("--expect-accuracy", type=float)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory(prefix="cnnopt-fmnist-") as tmp:
        initial, trained = f"{tmp}/initial.safetensors", f"{tmp}/trained.safetensors"
        cmd = [args.example, "--epochs", str(args.epochs), "--batch", str(args.batch),
               "--lr", str(args.lr), "--seed", str(args.seed),
               "--train-images", str(args.train_images), "--test-images", str(args.test_images),
               "--data", args.data, "--save-initial", initial, "--save", trained]
        start = time.time()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        print(proc.stdout, end="")
        if proc.returncode != 0:
            print(f"FAIL: {' '.join(cmd)} exited with {proc.returncode}\n{proc.stderr}")
            return 1
        print(f"example: {time.time() - start:.1f}s")
        ours = [float(a) for a in re.findall(r"test accuracy ([0-9.]+)%", proc.stdout)]
        x_test, y_test = load(args.data, "t10k", args.test_images)
        good = True

        # The trained weights, in PyTorch, strictly.
        check = model()
        check.load_state_dict(read_safetensors(trained), strict=True)
        theirs = accuracy(check, x_test, y_test)
        same = abs(theirs - ours[-1]) <= 0.011
        print(f"{'ok  ' if same else 'FAIL'} trained weights in PyTorch: {theirs:.2f}% "
              f"(example: {ours[-1]:.2f}%)")
        good &= same

        # PyTorch's own run of the same training.
        x_train, y_train = load(args.data, "train", args.train_images)
        ref = model()
        ref.load_state_dict(read_safetensors(initial), strict=True)
        opt = torch.optim.SGD(ref.parameters(), lr=args.lr, momentum=0.9, nesterov=True,
                              weight_decay=5e-4)
        steps = math.ceil(len(x_train) / args.batch) * args.epochs
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps,
                                                    cycle_momentum=False)
        loss_fn = nn.CrossEntropyLoss()
        start = time.time()
        for epoch in range(args.epochs):
            ref.train()
            order = torch.tensor(shuffled(len(x_train), args.seed * 1000 + epoch))
            for first in range(0, len(x_train), args.batch):
                idx = order[first:first + args.batch]
                opt.zero_grad()
                loss_fn(ref(x_train[idx]), y_train[idx]).backward()
                opt.step()
                sched.step()
            print(f"pytorch epoch {epoch + 1}: test accuracy {accuracy(ref, x_test, y_test):.2f}% "
                  f"({time.time() - start:.1f}s)")
        final = accuracy(ref, x_test, y_test)
        close = abs(final - ours[-1]) <= args.tolerance
        print(f"{'ok  ' if close else 'FAIL'} PyTorch's run {final:.2f}%, the example's "
              f"{ours[-1]:.2f}% (tolerance {args.tolerance} points)")
        good &= close
        if args.expect_accuracy is not None:
            reached = ours[-1] >= args.expect_accuracy
            print(f"{'ok  ' if reached else 'FAIL'} the example reached {ours[-1]:.2f}% "
                  f"(expected at least {args.expect_accuracy}%)")
            good &= reached
    print("passed" if good else "FAILED")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
