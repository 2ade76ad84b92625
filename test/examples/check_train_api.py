#!/usr/bin/python3
"""Runs test/examples/train_api.c (SimpleCNN 1x28x28 compiled with --train)
and repeats its three training steps in PyTorch 1.13 from its initial
weights: each loss and every tensor of the trained state_dict (BatchNorm
buffers included) within 1e-3 * max(1, max|torch|).

  check_train_api.py --train-api build/bin/train-api
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
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import e2e_lib  # noqa: E402
import fashion_mnist_torch  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--train-api", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="cnnopt-train-api-") as tmp:
        proc = subprocess.run([args.train_api, f"{tmp}/initial.safetensors",
                               f"{tmp}/trained.safetensors"], capture_output=True, text=True)
        print(proc.stdout, end="")
        if proc.returncode != 0:
            print(f"FAIL: train-api exited with {proc.returncode}\n{proc.stderr}")
            return 1
        losses = [float(v) for v in re.findall(r"loss ([0-9.eE+-]+)", proc.stdout)]
        initial = fashion_mnist_torch.read_safetensors(f"{tmp}/initial.safetensors")
        trained = fashion_mnist_torch.read_safetensors(f"{tmp}/trained.safetensors")
    module = fashion_mnist_torch.model()
    module.load_state_dict(initial, strict=True)
    module.train()
    i = np.arange(4 * 28 * 28)
    x = torch.from_numpy((np.sin(0.37 * i).astype(np.float32) *
                          np.cos(0.011 * i).astype(np.float32)).reshape(4, 1, 28, 28))
    y = torch.tensor([3, 7, 0, 9])
    opt = torch.optim.SGD(module.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                          weight_decay=5e-4)
    ref = []
    for _ in range(3):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(module(x), y)
        loss.backward()
        opt.step()
        ref.append(float(loss))
    good = e2e_lib.compare("losses", np.array(losses), np.array(ref), 1e-3)
    for name, value in module.state_dict().items():
        good &= e2e_lib.compare(name, trained[name].numpy(), value.numpy(), 1e-3)
    print("passed" if good else "FAILED")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
