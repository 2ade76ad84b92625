#!/usr/bin/python3
"""Training-mode dropout, dropblock and stochastic_depth, by their
statistics (their draws are cnnopt's own, not PyTorch's): a model
`y = REG(x)` trained one step on x = 1 with loss mse_loss(y, 0) = mean(y^2),
whose derivative 2 y mask / numel (`--output x.grad`) shows the mask.

Checked: the keep rate (within 4 standard deviations of 1 - p, per element,
per sample, or for dropblock near 1 - p), the scale of kept elements
(1/(1-p); dropblock's count / kept), the structure (stochastic_depth keeps
or drops whole samples, dropblock drops block_size squares), the same mask
for the same seed and step and another for another seed or step.

  regularizer_stats.py --cnnopt-run build/bin/cnnopt-run
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

SHAPE = (16, 8, 12, 12)


def run(cnnopt_run, workdir, body, seed, step_count=1, shape=SHAPE):
    """x.grad of one step (the last of `step_count`) of `y = body` on x of `shape`."""
    model = f"{workdir}/m.cnn"
    n, c, h, w = shape
    with open(model, "w") as f:
        f.write(f"model M(x: f32[N, {c}, {h}, {w}]) {{\n  y = {body}\n  return y\n}}\n"
                f"train M(t: f32[N, {c}, {h}, {w}]) {{\n  loss = mse_loss(y, t)\n"
                f"  optimizer = sgd()\n}}\n")
    np.save(f"{workdir}/x.npy", np.ones(shape, np.float32))
    np.save(f"{workdir}/t.npy", np.zeros(shape, np.float32))
    cmd = [cnnopt_run, model, "--train-steps", str(step_count), "--seed", str(seed),
           "--input", f"x={workdir}/x.npy", "--input", f"t={workdir}/t.npy",
           "--output", f"x.grad={workdir}/g.npy"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}:\n{proc.stderr}")
    # d mean(y^2) / dx = 2 y mask / numel with y = mask (x = 1).
    return np.load(f"{workdir}/g.npy") * np.prod(shape) / 2


def check(label, ok, detail):
    print(f"{'ok  ' if ok else 'FAIL'} {label}: {detail}")
    return ok


def keep_rate(label, kept, p, trials):
    sigma = np.sqrt(p * (1 - p) / trials)
    rate = float(np.mean(kept))
    return check(f"{label} keep rate", abs(rate - (1 - p)) <= 4 * sigma + 1e-9,
                 f"{rate:.4f}, expected {1 - p:.4f} +- {4 * sigma:.4f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cnnopt-run", required=True)
    args = ap.parse_args()
    good = True
    with tempfile.TemporaryDirectory(prefix="cnnopt-reg-") as tmp:
        # dropout: per element, squared mask = 1/(1-p)^2 where kept.
        p = 0.3
        m = run(args.cnnopt_run, tmp, f"dropout(x, p={p})", seed=5)
        kept = m != 0
        good &= keep_rate("dropout", kept, p, m.size)
        good &= check("dropout scale", np.allclose(m[kept], 1 / (1 - p) ** 2, rtol=1e-5),
                      f"kept elements {np.unique(np.round(m[kept], 5))}, expected {1 / (1 - p) ** 2:.5f}")
        again = run(args.cnnopt_run, tmp, f"dropout(x, p={p})", seed=5)
        other = run(args.cnnopt_run, tmp, f"dropout(x, p={p})", seed=6)
        later = run(args.cnnopt_run, tmp, f"dropout(x, p={p})", seed=5, step_count=2)
        good &= check("dropout same seed", np.array_equal(m, again), "identical masks")
        good &= check("dropout other seed", np.mean((m != 0) != (other != 0)) > 0.2,
                      f"{np.mean((m != 0) != (other != 0)):.3f} of the mask differs")
        good &= check("dropout other step", np.mean((m != 0) != (later != 0)) > 0.2,
                      f"{np.mean((m != 0) != (later != 0)):.3f} of the mask differs")
        p0 = run(args.cnnopt_run, tmp, "dropout(x, p=0.0)", seed=5)
        good &= check("dropout p=0", np.all(p0 == 1), "the identity")

        # stochastic_depth: whole samples, 1/(1-p) when kept.
        p, samples = 0.5, (400, 2, 3, 3)
        m = run(args.cnnopt_run, tmp, f"stochastic_depth(x, p={p})", seed=3, shape=samples)
        per_sample = m.reshape(samples[0], -1)
        whole = all(np.all(r == r[0]) for r in per_sample)
        good &= check("stochastic_depth per sample", whole, "each sample all kept or all dropped")
        good &= keep_rate("stochastic_depth", per_sample[:, 0] != 0, p, samples[0])
        good &= check("stochastic_depth scale",
                      np.allclose(per_sample[per_sample != 0], 1 / (1 - p) ** 2, rtol=1e-5),
                      f"{1 / (1 - p) ** 2:.4f} where kept")

        # dropblock: dropped pixels are unions of 3x3 squares; the rest
        # scaled by count / kept.
        p, bs = 0.2, 3
        m = run(args.cnnopt_run, tmp, f"dropblock(x, block_size={bs}, p={p})", seed=9)
        dropped = m == 0
        rate = 1 - float(np.mean(dropped))
        good &= check("dropblock keep rate", abs(rate - (1 - p)) < 0.1,
                      f"{rate:.3f}, expected about {1 - p}")
        scale = dropped.size / float(np.sum(~dropped))
        good &= check("dropblock scale", np.allclose(m[~dropped], scale ** 2, rtol=1e-4),
                      f"kept elements {scale ** 2:.4f} = (count / kept)^2")
        # Every dropped pixel lies in a 3x3 square of dropped pixels (blocks
        # are clipped at the border, where their seeds cannot lie).
        ok = True
        h, w = SHAPE[2], SHAPE[3]
        for n, c, y, x in zip(*np.nonzero(dropped)):
            ok &= any(np.all(dropped[n, c, y0:y0 + bs, x0:x0 + bs])
                      for y0 in range(max(0, y - bs + 1), min(y, h - bs) + 1)
                      for x0 in range(max(0, x - bs + 1), min(x, w - bs) + 1))
        good &= check("dropblock blocks", ok, f"dropped pixels form {bs}x{bs} blocks")
    print("passed" if good else "FAILED")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
