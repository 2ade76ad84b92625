#!/usr/bin/python3
"""One training step (forward, backward, optimizer update) of cnnopt and of
PyTorch eager, side by side, with the same threads (see bench/README.md).

    /usr/bin/python3 bench/train.py                       # the three configs, 2 threads
    /usr/bin/python3 bench/train.py --configs simple_cnn:64 --steps 20
    /usr/bin/python3 bench/train.py --threads 1 --markdown /tmp/t.md

For every (model, batch, input size):
  1. writes a random batch and labels to .npy files and appends a train
     declaration (cross_entropy, SGD with momentum 0.9 and weight decay
     5e-4) to a copy of the model file;
  2. runs `cnnopt-run --train-steps 2 --bench N` with HL_NUM_THREADS=T
     (compiles, runs two untimed steps, then times N steps: packing the
     parameters, the step, the copies of the new values) and reads the
     median step;
  3. times the same step in PyTorch eager (test/models/reference_models.py,
     train mode, torch.optim.SGD with the same hyper-parameters,
     zero_grad + forward + loss + backward + step) with
     torch.set_num_threads(T), after 2 warm-up steps, median of N;
  4. repeats 2 and 3 `--rounds` times, alternating, and reports each side's
     best median and the ratio cnnopt / PyTorch (below 1: cnnopt faster).
Both sides start from their own random weights; only the shapes matter.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "test", "models"))

# (reference, batch, input shape without batch)
CONFIGS = {
    "simple_cnn:64": ("simple_cnn", 64, (3, 32, 32)),
    "resnet18:16": ("resnet18", 16, (3, 224, 224)),
    "mobilenet_v2:16": ("mobilenet_v2", 16, (3, 224, 224)),
}
DECLARATION = "optimizer = sgd(momentum=0.9, weight_decay=5e-4)"


def training_copy(model_file, output, workdir):
    source = re.sub(r"\btrain\s+\w+\s*\([^)]*\)\s*\{[^}]*\}", "", open(model_file).read())
    name = re.search(r"\bmodel\s+(\w+)", source).group(1)
    path = os.path.join(workdir, os.path.basename(model_file))
    with open(path, "w") as f:
        f.write(source + f"\ntrain {name}(labels: i32[N]) {{\n"
                f"  loss = cross_entropy({output}, labels)\n  {DECLARATION}\n}}\n")
    return path


def model_output(bin_dir, model_file):
    out = subprocess.run([os.path.join(bin_dir, "cnnopt"), model_file, "--emit=mlir"],
                         capture_output=True, text=True, check=True).stdout
    header = next(l for l in out.splitlines() if "func.func" in l)
    return re.findall(r'cnn\.output = "([^"]+)"', header.partition("->")[2])[0]


def time_cnnopt(bin_dir, model_file, x, labels, steps, threads, timeout):
    env = dict(os.environ, HL_NUM_THREADS=str(threads))
    cmd = [os.path.join(bin_dir, "cnnopt-run"), model_file, "--train-steps", "2",
           "--bench", str(steps), "--input", f"x={x}", "--input", f"labels={labels}",
           "--input-shape", "x=" + ",".join(map(str, SHAPE))]
    start = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}:\n{proc.stderr}")
    ms = float(re.search(r"median step: ([0-9.]+) ms", proc.stdout).group(1))
    return ms, time.time() - start


def time_torch(name, batch, shape, steps, threads):
    import torch
    import torch.nn as nn
    import reference_models
    torch.set_num_threads(threads)
    m = reference_models.build_reference(name).train()
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = torch.randn((batch,) + shape)
    with torch.no_grad():
        classes = m.eval()(x[:1]).shape[1]
    m.train()
    y = torch.randint(0, classes, (batch,))
    times = []
    for k in range(steps + 2):
        start = time.perf_counter()
        opt.zero_grad()
        nn.functional.cross_entropy(m(x), y).backward()
        opt.step()
        if k >= 2:
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    global SHAPE
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10, help="timed steps per round and side")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--bin-dir", default=os.path.join(REPO, "build", "bin"))
    ap.add_argument("--timeout", type=int, default=1800)
    ap.add_argument("--markdown", help="also write the table here")
    args = ap.parse_args()
    import numpy as np
    rows = []
    for key in args.configs.split(","):
        name, batch, SHAPE = CONFIGS[key]
        import reference_models
        model_file = os.path.join(REPO, "models", reference_models.REFERENCES[name][0])
        with tempfile.TemporaryDirectory(prefix="cnnopt-bench-train-") as tmp:
            copy = training_copy(model_file, model_output(args.bin_dir, model_file), tmp)
            np.save(f"{tmp}/x.npy", np.random.default_rng(0).standard_normal(
                (batch,) + SHAPE).astype(np.float32))
            np.save(f"{tmp}/labels.npy", np.zeros(batch, np.int32))
            ours, theirs, wall = [], [], 0.0
            for _ in range(args.rounds):
                ms, secs = time_cnnopt(args.bin_dir, copy, f"{tmp}/x.npy", f"{tmp}/labels.npy",
                                       args.steps, args.threads, args.timeout)
                ours.append(ms)
                wall = secs
                theirs.append(time_torch(name, batch, SHAPE, args.steps, args.threads))
        best_ours, best_theirs = min(ours), min(theirs)
        rows.append((f"{name} b{batch} {'x'.join(map(str, SHAPE[1:]))}", best_ours, best_theirs,
                     best_ours / best_theirs, wall))
        print(f"{rows[-1][0]}: cnnopt {best_ours:.1f} ms (rounds {', '.join(f'{v:.1f}' for v in ours)};"
              f" process {wall:.0f} s incl. compile), PyTorch eager {best_theirs:.1f} ms "
              f"(rounds {', '.join(f'{v:.1f}' for v in theirs)}), ratio {best_ours / best_theirs:.2f}",
              flush=True)
    table = ["| model | cnnopt step (ms) | PyTorch eager step (ms) | cnnopt / PyTorch |",
             "|---|---:|---:|---:|"]
    for label, a, b, r, _ in rows:
        table.append(f"| {label} | {a:.1f} | {b:.1f} | {r:.2f}x |")
    print("\n".join(table))
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("\n".join(table) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
