#!/usr/bin/python3
"""Single conv layers of ResNet-50, MobileNetV2 and EfficientNet-B0: cnnopt
against oneDNN's best primitive, side by side in one run.

    /usr/bin/python3 bench/layers/run.py                  # 1 and 2 threads
    /usr/bin/python3 bench/layers/run.py --threads 2 --layers r50_3x3_56,dw3_112
    /usr/bin/python3 bench/layers/run.py --markdown /tmp/layers.md

For every layer it writes a model with the conv (conv2d with bias; the -O2
pipeline picks the algorithm, shown in the table) between two 1x1 max
pools, so that the conv reads and writes the layout it has inside a model
(channels-last where the kernels want it; the pools at the model's edges
permute from and to NCHW), times the conv's stage with
`cnnopt-run --bench RUNS --profile --threads T` (median, the parameters
packed once)
and `onednn-conv` (build/bin, format_tag::any and convolution_auto: the
layout and algorithm PyTorch's optimised path gets, weights prepacked;
OMP_NUM_THREADS=T), and prints GFLOP/s, cnnopt's speed as a percentage of
oneDNN's, and each side's share of the FMA peak measured on this host
(`onednn-conv --peak`, one thread, times T).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# name, (C, H, K, kernel, stride, groups): square maps, padding kernel // 2.
LAYERS = [
    ("r50_stem_7x7_s2", (3, 224, 64, 7, 2, 1)),
    ("r50_3x3_56", (64, 56, 64, 3, 1, 1)),
    ("r50_1x1_56", (256, 56, 64, 1, 1, 1)),
    ("r50_3x3_s2_56", (128, 56, 128, 3, 2, 1)),
    ("r50_3x3_28", (128, 28, 128, 3, 1, 1)),
    ("r50_1x1_28", (512, 28, 128, 1, 1, 1)),
    ("r50_3x3_14", (256, 14, 256, 3, 1, 1)),
    ("r50_1x1_14", (1024, 14, 256, 1, 1, 1)),
    ("r50_3x3_7", (512, 7, 512, 3, 1, 1)),
    ("r50_1x1_7", (2048, 7, 512, 1, 1, 1)),
    ("mv2_dw3_112", (32, 112, 32, 3, 1, 32)),
    ("mv2_dw3_s2_112", (96, 112, 96, 3, 2, 96)),
    ("mv2_dw3_14", (384, 14, 384, 3, 1, 384)),
    ("mv2_1x1_56", (24, 56, 144, 1, 1, 1)),
    ("eff_dw5_28", (240, 28, 240, 5, 1, 240)),
    ("eff_dw5_s2_56", (144, 56, 144, 5, 2, 144)),
]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", default="1,2", help="thread counts, comma-separated (default 1,2)")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--runs", type=int, default=30, help="timed runs per side (median)")
    p.add_argument("--layers", default=None, help="comma-separated layer names (default: all)")
    p.add_argument("--bin-dir", default=os.path.join(REPO, "build", "bin"))
    p.add_argument("--markdown", default=None, help="also write the table as Markdown")
    return p.parse_args()


def model_text(name, c, h, k, r, stride, groups):
    return (f"model {name}(x: f32[N, {c}, {h}, {h}]) {{\n"
            f"  a = max_pool2d(x, 1)\n"
            f"  y = conv2d(a, {k}, {r}, stride={stride}, padding={r // 2}, groups={groups})\n"
            f"  z = max_pool2d(y, 1)\n"
            f"  return z\n}}\n")


def conv_stage_ms(profile):
    """The median of the conv's stage (the tensor `y_...`) in --profile's table."""
    found = re.search(r"^\s+([0-9.]+) ms\s+[0-9.]+ ms\s+[0-9.]+%\s+step\s+\d+\s+y_", profile, re.M)
    if not found:
        sys.exit("no stage of the conv in cnnopt-run --profile's output:\n" + profile)
    return float(found.group(1))


def run(cmd, env=None):
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def main():
    args = parse_args()
    numpy = __import__("numpy")
    cnnopt, cnnopt_run = (os.path.join(args.bin_dir, t) for t in ("cnnopt", "cnnopt-run"))
    onednn = os.path.join(args.bin_dir, "onednn-conv")
    if not os.path.exists(onednn):
        sys.exit(f"{onednn} is missing: install libdnnl-dev and rebuild (bash .ci/bootstrap)")
    layers = LAYERS
    if args.layers:
        wanted = args.layers.split(",")
        layers = [l for l in LAYERS if l[0] in wanted]
        unknown = set(wanted) - {l[0] for l in layers}
        if unknown:
            sys.exit(f"unknown layers: {', '.join(sorted(unknown))} (known: "
                     f"{', '.join(l[0] for l in LAYERS)})")
    peak1 = float(run([onednn, "--peak"]).strip())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (c, h, k, r, stride, groups) in layers:
            path = os.path.join(tmp, name + ".cnn")
            with open(path, "w") as f:
                f.write(model_text("L_" + name, c, h, k, r, stride, groups))
            x = os.path.join(tmp, name + ".npy")
            numpy.save(x, numpy.random.default_rng(0).standard_normal(
                (args.batch, c, h, h)).astype(numpy.float32))
            kernels = run([cnnopt, path, "--emit=kernels"])
            algorithm = re.search(r"algorithm = (\w+)", kernels)
            algorithm = algorithm.group(1) if algorithm else "direct"
            out = (h + 2 * (r // 2) - r) // stride + 1
            flops = 2.0 * args.batch * k * out * out * (c // groups) * r * r
            for threads in map(int, args.threads.split(",")):
                ms = conv_stage_ms(run([cnnopt_run, path, "--input", f"x={x}", "--bench",
                                        str(args.runs), "--profile", "--threads", str(threads)]))
                env = dict(os.environ, OMP_NUM_THREADS=str(threads))
                text = run([onednn, str(args.batch), str(c), str(h), str(h), str(k), str(r),
                            str(r), str(stride), str(r // 2), str(groups), str(args.runs)], env)
                dnnl_ms = float(re.search(r"median ([0-9.]+) ms", text).group(1))
                impl = re.search(r"impl (\S+)", text).group(1)
                peak = peak1 * threads
                rows.append((name, threads, algorithm, ms, flops / ms / 1e6, dnnl_ms,
                             flops / dnnl_ms / 1e6, impl, 100 * dnnl_ms / ms,
                             100 * flops / ms / 1e6 / peak, 100 * flops / dnnl_ms / 1e6 / peak))
                print(f"{name:16s} T={threads} {algorithm:17s} cnnopt {ms:8.3f} ms "
                      f"{rows[-1][4]:6.1f} GF/s | oneDNN {dnnl_ms:8.3f} ms {rows[-1][6]:6.1f} GF/s "
                      f"({impl}) | {rows[-1][8]:5.1f}% of oneDNN, {rows[-1][9]:5.1f}% of peak",
                      flush=True)
    header = ("| layer | threads | cnnopt algorithm | cnnopt ms | GFLOP/s | oneDNN ms | GFLOP/s "
              "| oneDNN impl | cnnopt % of oneDNN | cnnopt % of peak | oneDNN % of peak |\n"
              "|---|---|---|---|---|---|---|---|---|---|---|\n")
    table = header + "".join(
        f"| {n} | {t} | {a} | {ms:.3f} | {g:.1f} | {dms:.3f} | {dg:.1f} | {impl} | {pct:.0f}% "
        f"| {pk:.0f}% | {dpk:.0f}% |\n" for n, t, a, ms, g, dms, dg, impl, pct, pk, dpk in rows)
    summary = (f"FMA peak, one thread: {peak1:.1f} GFLOP/s (measured); batch {args.batch}, "
               f"median of {args.runs} runs per side.\n")
    print("\n" + summary + "\n" + table)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(summary + "\n" + table)


if __name__ == "__main__":
    main()
