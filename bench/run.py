#!/usr/bin/python3
"""Side-by-side latency of cnnopt and PyTorch on the model zoo (see bench/README.md).

Run with Debian's interpreter (torch 1.13):

    /usr/bin/python3 bench/run.py                     # full run, 2 threads
    /usr/bin/python3 bench/run.py --quick             # smoke test, about a minute
    /usr/bin/python3 bench/run.py --models resnet18,simple_cnn:64 --runs 30
    /usr/bin/python3 bench/run.py --threads 1 --json /tmp/b.json --markdown /tmp/b.md
    /usr/bin/python3 bench/run.py --opt-levels 0,2    # cnnopt at -O0 and -O2 side by side

For every (model, batch) it
  1. writes one random float32 input of the model's shape to a .npy file;
  2. runs `cnnopt-run MODEL.cnn --input x=FILE --bench N` with HL_NUM_THREADS=T
     (cnnopt-run compiles through Halide, runs once untimed, then times N runs
     and prints their median) and records that median plus the process's wall
     time minus (N+1) x median as an estimate of load + compile time;
  3. times the PyTorch reference (test/models/reference_models.py) on the same
     input shape, with torch.set_num_threads(T):
       eager      m.eval() under torch.no_grad()
       optimized  torch.jit.optimize_for_inference(
                      torch.jit.freeze(torch.jit.trace(m.eval(), x)))
     each after warm-up runs, median of N timed runs, in a fresh child
     process per OpenMP wait policy (PASSIVE and libgomp's default by
     default; the faster median per column is reported).
The weights differ between the two sides (each uses its own random
initialisation); only the shapes matter for timing.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (reference name, batch, input shape without batch, "big": fewer cnnopt runs by default)
CONFIGS = [
    ("simple_cnn", 1, (3, 32, 32), False),
    ("simple_cnn", 64, (3, 32, 32), True),
    ("resnet18", 1, (3, 224, 224), True),
    ("resnet18", 8, (3, 224, 224), True),
    ("resnet50", 1, (3, 224, 224), True),
    ("resnet50", 8, (3, 224, 224), True),
    ("mobilenet_v2", 1, (3, 224, 224), True),
    ("mobilenet_v2", 8, (3, 224, 224), True),
    ("efficientnet_b0", 1, (3, 224, 224), True),
    ("efficientnet_b0", 8, (3, 224, 224), True),
]
QUICK_DEFAULT = ["simple_cnn", "mobilenet_v2"]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, default=2,
                   help="threads for both sides: torch.set_num_threads and HL_NUM_THREADS (default 2)")
    p.add_argument("--runs", type=int, default=None,
                   help="timed runs for PyTorch and for cnnopt on small configs (default 20; 3 with --quick)")
    p.add_argument("--big-runs", type=int, default=None,
                   help="timed cnnopt runs on big configs (224x224 models, simple_cnn batch 64); "
                        "default 10 (2 with --quick)")
    p.add_argument("--warmup", type=int, default=None,
                   help="untimed PyTorch warm-up runs per path (default 3, 1 with --quick; the "
                        "TorchScript path always gets at least 5: its profiling executor "
                        "specialises over the first 2-3 calls)")
    p.add_argument("--omp-wait-policy", choices=["best", "passive", "active", "default"],
                   default="best",
                   help="OMP_WAIT_POLICY for PyTorch's OpenMP (oneDNN) threads. 'best' (default) "
                        "times PyTorch twice, with PASSIVE and with libgomp's default (unset), and "
                        "reports the faster median per column: libgomp's spinning collapses on a "
                        "loaded 2-core machine, passive waiting can cost on an idle one")
    p.add_argument("--torch-budget", type=float, default=30,
                   help="seconds of timed PyTorch calls per path after which timing stops early "
                        "(at least 3 runs are kept; default 30)")
    p.add_argument("--torch-worker", default=None, help=argparse.SUPPRESS)
    p.add_argument("--input-npy", default=None, help=argparse.SUPPRESS)
    p.add_argument("--models", default=None,
                   help="comma-separated filter: NAME (all its batches) or NAME:BATCH, "
                        "e.g. resnet18,simple_cnn:64")
    p.add_argument("--quick", action="store_true",
                   help="few runs; unless --models is given, only simple_cnn and mobilenet_v2")
    p.add_argument("--aot", default=None,
                   help="comma-separated models whose AOT compile (`cnnopt MODEL.cnn -o X.o`) is "
                        "timed separately; default resnet50 in a full run, none with --quick; "
                        "'none' to skip")
    p.add_argument("--bin-dir", default=None,
                   help="directory with cnnopt-run and cnnopt (default: build/bin, else build-bench/bin)")
    p.add_argument("--timeout", type=float, default=900,
                   help="seconds allowed per cnnopt process (default 900)")
    p.add_argument("--opt-levels", default="2",
                   help="comma-separated cnnopt optimisation levels to time (e.g. 0,2); the "
                        "ratios to PyTorch use the last one")
    p.add_argument("--no-cnnopt", action="store_true", help="time only PyTorch")
    p.add_argument("--no-torch", action="store_true", help="time only cnnopt")
    p.add_argument("--json", default=None, help="also write all results as JSON to this file")
    p.add_argument("--markdown", default=None, help="also write the header and table as Markdown")
    p.add_argument("--seed", type=int, default=0, help="seed of the random input and torch weights")
    args = p.parse_args()
    if args.runs is None:
        args.runs = 3 if args.quick else 20
    if args.big_runs is None:
        args.big_runs = 2 if args.quick else 10
    if args.warmup is None:
        args.warmup = 1 if args.quick else 3
    if args.aot is None:
        args.aot = "none" if args.quick else "resnet50"
    if args.threads < 1 or args.runs < 1 or args.big_runs < 1 or args.warmup < 0:
        p.error("--threads, --runs and --big-runs must be >= 1, --warmup >= 0")
    return args


def select_configs(args):
    if args.models is None:
        if args.quick:
            return [c for c in CONFIGS if c[0] in QUICK_DEFAULT]
        return list(CONFIGS)
    chosen = []
    known = {c[0] for c in CONFIGS}
    for item in filter(None, (s.strip() for s in args.models.split(","))):
        name, _, batch = item.partition(":")
        if name not in known:
            sys.exit(f"run.py: unknown model '{name}'; known: {', '.join(sorted(known))}")
        matches = [c for c in CONFIGS if c[0] == name and (not batch or c[1] == int(batch))]
        if not matches:
            # Allow any batch for a known model, e.g. resnet18:8.
            base = next(c for c in CONFIGS if c[0] == name)
            matches = [(name, int(batch), base[2], True)]
        chosen += [c for c in matches if c not in chosen]
    return chosen


def find_bin_dir(args):
    candidates = [args.bin_dir] if args.bin_dir else [
        os.path.join(REPO, "build", "bin"), os.path.join(REPO, "build-bench", "bin")]
    for d in candidates:
        if d and os.access(os.path.join(d, "cnnopt-run"), os.X_OK):
            return os.path.abspath(d)
    sys.exit("run.py: no cnnopt-run found in " + ", ".join(c for c in candidates if c) +
             " (build it: ninja -C build -j2 cnnopt-run)")


def machine_info(threads):
    info = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "host_cpus": os.cpu_count(), "threads": threads, "python": platform.python_version()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for key in ("Model name", "CPU(s)", "Core(s) per socket", "Socket(s)", "Hypervisor vendor"):
            m = re.search(rf"^{re.escape(key)}:\s*(.+)$", out, re.M)
            if m:
                info[key] = m.group(1).strip()
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        flags = open("/proc/cpuinfo").read()
        info["avx512f"] = " avx512f" in flags
    except OSError:
        pass
    return info


def median_ms(times):
    return statistics.median(times) * 1e3


# --------------------------------------------------------------------------- cnnopt
def time_cnnopt(bin_dir, model_file, npy, shape, runs, threads, timeout, level=2):
    env = dict(os.environ, HL_NUM_THREADS=str(threads))
    cmd = [os.path.join(bin_dir, "cnnopt-run"), model_file, f"-O{level}", "--input", f"x={npy}",
           "--threads", str(threads),
           "--input-shape", "x=" + ",".join(map(str, shape)), "--bench", str(runs)]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - start
    m = re.search(r"median latency: ([0-9.]+) ms over (\d+) runs", proc.stdout)
    if proc.returncode != 0 or not m:
        msg = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        return {"error": f"exit {proc.returncode}: " + (msg[-1] if msg else "no output"),
                "wall_s": wall}
    med = float(m.group(1))
    n = int(m.group(2))
    # cnnopt-run runs the model once untimed before the N timed runs.
    setup = wall - (n + 1) * med / 1e3
    return {"ms": med, "runs": n, "wall_s": wall, "compile_s_est": setup,
            "cmd": " ".join(cmd), "output": proc.stdout.strip().splitlines()[:-1]}


def time_aot(bin_dir, model_file, tmpdir, timeout):
    out = os.path.join(tmpdir, os.path.basename(model_file).replace(".cnn", ".o"))
    cmd = [os.path.join(bin_dir, "cnnopt"), model_file, "-o", out]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-300:]}", "wall_s": wall}
    size = os.path.getsize(out) if os.path.exists(out) else None
    return {"wall_s": wall, "object_bytes": size, "cmd": " ".join(cmd)}


# --------------------------------------------------------------------------- torch
def time_fn(fn, x, warmup, runs, budget_s):
    """Median-ready times of `runs` calls after `warmup`; stops early (after at
    least 3 timed calls) once `budget_s` seconds have been spent timing."""
    for _ in range(warmup):
        fn(x)
    times = []
    spent = 0.0
    for _ in range(runs):
        t0 = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - t0)
        spent += times[-1]
        if spent > budget_s and len(times) >= 3:
            break
    return times


def time_torch(name, x_np, warmup, runs, budget_s):
    import torch
    from reference_models import build_reference
    res = {"torch_version": torch.__version__, "torch_threads": torch.get_num_threads(),
           "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "(unset)")}
    model = build_reference(name).eval()
    x = torch.from_numpy(x_np)
    with torch.no_grad():
        t = time_fn(model, x, warmup, runs, budget_s)
        res["eager_runs"] = len(t)
        res["eager_ms"] = median_ms(t)
        res["eager_min_ms"] = min(t) * 1e3
        ref = model(x)
        t0 = time.perf_counter()
        traced = torch.jit.trace(model, x)
        frozen = torch.jit.freeze(traced)
        opt = torch.jit.optimize_for_inference(frozen)
        res["torch_prepare_s"] = time.perf_counter() - t0
        t = time_fn(opt, x, max(warmup, 5), runs, budget_s)
        res["optimized_runs"] = len(t)
        res["optimized_ms"] = median_ms(t)
        res["optimized_min_ms"] = min(t) * 1e3
        got = opt(x)
        # Sanity: the optimized module must still compute the same function.
        err = (got - ref).abs().max().item()
        scale = ref.abs().max().item() or 1.0
        res["optimized_max_rel_err"] = err / scale
        if err > 1e-3 * scale:
            res["warning"] = f"optimized output differs from eager by {err:.3g} (max |ref| {scale:.3g})"
    return res


def torch_worker(args):
    """`--torch-worker NAME`: time one model in this (fresh) process, print JSON."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    sys.path.insert(0, os.path.join(REPO, "test", "models"))
    res = time_torch(args.torch_worker, np.load(args.input_npy), args.warmup, args.runs,
                     args.torch_budget)
    print("RESULT " + json.dumps(res), flush=True)
    return 0


def time_torch_policies(args, name, npy):
    """Runs the PyTorch timing in a fresh process per OpenMP wait policy (the
    policy is read once, when libgomp starts) and keeps, per column, the best
    median with the policy that gave it."""
    policies = {"best": ["passive", "default"]}.get(args.omp_wait_policy, [args.omp_wait_policy])
    by_policy = {}
    for policy in policies:
        env = dict(os.environ)
        env.pop("OMP_WAIT_POLICY", None)
        if policy != "default":
            env["OMP_WAIT_POLICY"] = policy.upper()
        cmd = [sys.executable, os.path.abspath(__file__), "--torch-worker", name,
               "--input-npy", npy, "--threads", str(args.threads), "--runs", str(args.runs),
               "--warmup", str(args.warmup), "--torch-budget", str(args.torch_budget),
               "--seed", str(args.seed)]
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=args.timeout)
            m = re.search(r"^RESULT (.*)$", proc.stdout, re.M)
            if proc.returncode != 0 or not m:
                err = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
                by_policy[policy] = {"error": f"exit {proc.returncode}: " + (err[-1] if err else "")}
            else:
                by_policy[policy] = json.loads(m.group(1))
        except subprocess.TimeoutExpired:
            by_policy[policy] = {"error": f"timed out after {args.timeout:.0f} s"}
        r = by_policy[policy]
        print(f"    torch, OMP_WAIT_POLICY {policy}: " +
              (f"FAILED {r['error']}" if "error" in r else
               f"eager {r['eager_ms']:.3f} ms ({r['eager_runs']} runs), optimized "
               f"{r['optimized_ms']:.3f} ms ({r['optimized_runs']} runs), trace+freeze+optimize "
               f"{r['torch_prepare_s']:.1f} s" + (f"  WARNING: {r['warning']}" if "warning" in r else "")),
              flush=True)
    ok = {p: r for p, r in by_policy.items() if "error" not in r}
    if not ok:
        return {"error": "; ".join(f"{p}: {r['error']}" for p, r in by_policy.items()),
                "by_policy": by_policy}
    best = {"by_policy": by_policy}
    for col in ("eager", "optimized"):
        p = min(ok, key=lambda k: ok[k][col + "_ms"])
        best[col + "_ms"] = ok[p][col + "_ms"]
        best[col + "_runs"] = ok[p][col + "_runs"]
        best[col + "_policy"] = p
    any_ok = next(iter(ok.values()))
    best["torch_version"] = any_ok["torch_version"]
    best["torch_threads"] = any_ok["torch_threads"]
    return best


# --------------------------------------------------------------------------- report
def fmt(v, spec="{:.2f}"):
    return "-" if v is None else spec.format(v)


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def table_rows(results, levels):
    last = levels[-1]
    header = ["model", "batch"] + [f"cnnopt -O{l} ms" for l in levels] + [
        "torch eager ms", "torch optimized ms"]
    if len(levels) > 1:
        header += [f"-O{last}/-O{levels[0]}"]
    header += [f"-O{last}/eager", f"-O{last}/optimized", "cnnopt runs", "torch runs (eager/opt)",
               "OMP wait (eager/opt)", f"cnnopt -O{last} compile s (est)"]
    rows = []
    for r in results:
        by_level = r.get("cnnopt_levels", {})
        c, t = by_level.get(str(last), {}), r.get("torch", {})
        cms = c.get("ms")
        row = [r["model"], str(r["batch"])]
        for l in levels:
            cl = by_level.get(str(l), {})
            row.append(fmt(cl.get("ms"), "{:.3f}") if "error" not in cl else "FAIL")
        row += [fmt(t.get("eager_ms"), "{:.3f}"), fmt(t.get("optimized_ms"), "{:.3f}")]
        if len(levels) > 1:
            row.append(fmt(ratio(cms, by_level.get(str(levels[0]), {}).get("ms")), "{:.3g}x"))
        row += [
            fmt(ratio(cms, t.get("eager_ms")), "{:.3g}x"),
            fmt(ratio(cms, t.get("optimized_ms")), "{:.3g}x"),
            str(c.get("runs", "-")),
            "-" if "eager_runs" not in t else f"{t['eager_runs']}/{t['optimized_runs']}",
            "-" if "eager_policy" not in t else f"{t['eager_policy']}/{t['optimized_policy']}",
            fmt(c.get("compile_s_est"), "{:.1f}"),
        ]
        rows.append(row)
    return header, rows


def print_table(header, rows):
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.rjust(w) if i > 0 else c.ljust(w)
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def markdown_table(header, rows):
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def main():
    args = parse_args()
    if args.torch_worker:
        return torch_worker(args)
    configs = select_configs(args)
    levels = [int(l) for l in args.opt_levels.split(",")]
    # PyTorch is timed in child processes (time_torch_policies); this one only
    # needs numpy and the reference table.
    import numpy as np
    sys.path.insert(0, os.path.join(REPO, "test", "models"))
    from reference_models import REFERENCES
    torch_version = subprocess.run(
        [sys.executable, "-c", "import torch; print(torch.__version__)"],
        capture_output=True, text=True).stdout.strip() or "?"

    bin_dir = None if args.no_cnnopt else find_bin_dir(args)
    info = machine_info(args.threads)
    info.update({"torch": torch_version, "HL_NUM_THREADS": args.threads, "bin_dir": bin_dir,
                 "omp_wait_policy": args.omp_wait_policy, "torch_budget_s": args.torch_budget,
                 "runs": args.runs, "big_runs": args.big_runs, "warmup": args.warmup,
                 "loadavg_start": os.getloadavg()})
    print(f"# {info['date']}  {info.get('Model name', '?')}  cpus={info['host_cpus']}  "
          f"threads={args.threads}  torch {torch_version} (OMP_WAIT_POLICY: {args.omp_wait_policy})  "
          f"loadavg {info['loadavg_start'][0]:.2f}", flush=True)
    if bin_dir:
        print(f"# cnnopt binaries: {bin_dir}", flush=True)

    rng = np.random.default_rng(args.seed)
    tmpdir = tempfile.mkdtemp(prefix="cnnopt-bench-")
    results = []
    t_all = time.perf_counter()
    try:
        for name, batch, shape, big in configs:
            model_file = os.path.join(REPO, "models", REFERENCES[name][0])
            x = rng.standard_normal((batch,) + tuple(shape), dtype=np.float32)
            npy = os.path.join(tmpdir, f"{name}_b{batch}.npy")
            np.save(npy, x)
            rec = {"model": name, "batch": batch, "shape": [batch, *shape],
                   "loadavg_before": os.getloadavg()[0]}
            if not args.no_cnnopt:
                n = args.big_runs if big else args.runs
                rec["cnnopt_levels"] = {}
                for level in levels:
                    print(f"[{name} b{batch}] cnnopt-run -O{level} --bench {n} ...", flush=True)
                    c = time_cnnopt(bin_dir, model_file, npy, shape, n, args.threads,
                                    args.timeout, level)
                    rec["cnnopt_levels"][str(level)] = c
                    if "error" in c:
                        print(f"    cnnopt FAILED: {c['error']}", flush=True)
                    else:
                        print(f"    cnnopt -O{level} {c['ms']:.3f} ms (median of {c['runs']}), "
                              f"process {c['wall_s']:.1f} s, load+compile ~{c['compile_s_est']:.1f} s",
                              flush=True)
                rec["cnnopt"] = rec["cnnopt_levels"][str(levels[-1])]
            if not args.no_torch:
                print(f"[{name} b{batch}] torch eager + optimized, up to {args.runs} runs ...",
                      flush=True)
                rec["torch"] = time_torch_policies(args, name, npy)
                t = rec["torch"]
                if "error" in t:
                    print(f"    torch FAILED: {t['error']}", flush=True)
                else:
                    print(f"    torch best: eager {t['eager_ms']:.3f} ms ({t['eager_policy']}), "
                          f"optimized {t['optimized_ms']:.3f} ms ({t['optimized_policy']})", flush=True)
            rec["loadavg_after"] = os.getloadavg()[0]
            results.append(rec)

        aot = []
        if not args.no_cnnopt and args.aot.lower() != "none":
            for name in filter(None, (s.strip() for s in args.aot.split(","))):
                if name not in REFERENCES:
                    print(f"# --aot: unknown model '{name}', skipped")
                    continue
                model_file = os.path.join(REPO, "models", REFERENCES[name][0])
                print(f"[{name}] AOT compile: cnnopt {REFERENCES[name][0]} -o X.o ...", flush=True)
                a = time_aot(bin_dir, model_file, tmpdir, args.timeout)
                a["model"] = name
                aot.append(a)
                print(f"    FAILED: {a['error']}" if "error" in a
                      else f"    {a['wall_s']:.1f} s, object {a['object_bytes']} bytes", flush=True)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)

    info["loadavg_end"] = os.getloadavg()
    info["total_wall_s"] = time.perf_counter() - t_all
    header, rows = table_rows(results, levels)
    print()
    print_table(header, rows)
    for a in aot:
        print(f"AOT compile {a['model']}: " +
              (f"FAILED ({a['error']})" if "error" in a else f"{a['wall_s']:.1f} s (cnnopt -o, object "
                                                              f"{a['object_bytes']} bytes)"))
    la = info["loadavg_end"]
    print(f"total {info['total_wall_s']:.0f} s; load average at end {la[0]:.2f} {la[1]:.2f} {la[2]:.2f} "
          f"on {info['host_cpus']} cpus")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "results": results, "aot": aot}, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(f"- date: {info['date']}\n- CPU: {info.get('Model name', '?')}, "
                    f"{info['host_cpus']} CPUs\n- threads: {args.threads} (torch.set_num_threads, "
                    f"HL_NUM_THREADS)\n- cnnopt levels: {', '.join('-O' + str(l) for l in levels)}\n- torch {torch_version}, OMP_WAIT_POLICY: {args.omp_wait_policy}\n- runs: {args.runs} "
                    f"(cnnopt big configs: {args.big_runs}), torch warm-up {args.warmup}\n"
                    f"- load average start/end: {info['loadavg_start'][0]:.2f} / {la[0]:.2f}\n\n")
            f.write(markdown_table(header, rows) + "\n")
            for a in aot:
                f.write(f"\nAOT compile {a['model']} (`cnnopt {a['model']}.cnn -o X.o`): " +
                        (f"FAILED ({a['error']})" if "error" in a else f"{a['wall_s']:.1f} s") + "\n")
    return 0 if all("error" not in r.get("cnnopt", {}) and "error" not in r.get("torch", {})
                    for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
