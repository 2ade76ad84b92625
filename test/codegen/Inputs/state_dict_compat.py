#!/usr/bin/python3
"""--weights accepts what PyTorch 1.13's load_state_dict(strict=True)
accepts from a plain dict (a safetensors file has no version metadata):
each state_dict below is first loaded into torch.nn.BatchNorm2d, then given
to cnnopt-run (bn_train.cnn), whose output at inference and whose
num_batches_tracked after one training step (--save-weights) must be
PyTorch's. Cases: the counter left out (PyTorch adds it as 0), the counter
shaped [1] and [2] (PyTorch takes the first element of a 1-D tensor for a
0-D one). The counter shaped [0] is refused by both.

  state_dict_compat.py CNNOPT_RUN WORKDIR
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "e2e"))
import e2e_lib  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

MODEL = os.path.join(HERE, "bn_train.cnn")


def state_dict(counter):
    rng = np.random.default_rng(3)
    d = {"y.weight": rng.standard_normal(3), "y.bias": rng.standard_normal(3),
         "y.running_mean": rng.standard_normal(3), "y.running_var": rng.uniform(0.5, 2, 3)}
    d = {k: torch.tensor(v, dtype=torch.float32) for k, v in d.items()}
    if counter is not None:
        d["y.num_batches_tracked"] = torch.tensor(counter, dtype=torch.int64)
    return d


def check(label, counter, cnnopt_run, work):
    sd = state_dict(counter)
    module = torch.nn.Module()
    module.y = torch.nn.BatchNorm2d(3)
    module.load_state_dict(sd, strict=True)  # PyTorch accepts it: so must we
    x = np.random.default_rng(5).standard_normal((2, 3, 4, 4)).astype(np.float32)
    t = np.zeros_like(x)
    module.eval()
    with torch.no_grad():
        want = module.y(torch.from_numpy(x)).numpy()
    module.train()
    module.y(torch.from_numpy(x))
    want_count = int(module.y.num_batches_tracked)

    weights = os.path.join(work, label + ".safetensors")
    e2e_lib.write_safetensors(weights, sd)
    np.save(os.path.join(work, "x.npy"), x)
    np.save(os.path.join(work, "t.npy"), t)
    out = os.path.join(work, label + ".y.npy")
    subprocess.run([cnnopt_run, MODEL, "--weights", weights, "--input", f"x={work}/x.npy",
                    "--output", f"y={out}"], check=True)
    saved = os.path.join(work, label + ".trained.safetensors")
    subprocess.run([cnnopt_run, MODEL, "--weights", weights, "--train-steps", "1", "--lr", "0",
                    "--input", f"x={work}/x.npy", "--input", f"t={work}/t.npy",
                    "--save-weights", saved], check=True, stdout=subprocess.DEVNULL)
    good = e2e_lib.compare(f"{label} inference", np.load(out), want)
    count = int(e2e_lib.read_safetensors(saved)["y.num_batches_tracked"])
    print(f"{'ok  ' if count == want_count else 'FAIL'} {label} num_batches_tracked after a "
          f"step: {count} (PyTorch {want_count})")
    return good and count == want_count


def main():
    cnnopt_run, work = sys.argv[1], sys.argv[2]
    good = check("counter-missing", None, cnnopt_run, work)
    good &= check("counter-shape-1", [7], cnnopt_run, work)
    good &= check("counter-shape-2", [9, 4], cnnopt_run, work)
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
