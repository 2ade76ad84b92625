"""Helpers for the end-to-end numeric tests: cnnopt-run against PyTorch 1.13.

- `write_safetensors(path, tensors)`: a `.safetensors` file written by hand
  (8-byte little-endian header length, a JSON header
  `{name: {dtype, shape, data_offsets}}` padded with spaces to a multiple of
  8 bytes, then the raw little-endian data): F32 for float tensors, I64 for
  integer ones (`num_batches_tracked`).
- `random_state_dict(shapes, seed)`: random parameters by state_dict name,
  scaled so that activations stay O(1) (BatchNorm running statistics
  randomised too, so inference BN is not the identity).
- `run_cnnopt(...)`: runs `cnnopt-run` on .npy inputs and reads its outputs.
- `compare(...)`: `max|ours - torch| <= 1e-4 * max(1, max|torch|)`, with a
  one-line report per output.
"""

import json
import os
import re
import struct
import subprocess
import sys
import time

import numpy as np

sys.dont_write_bytecode = True  # run from lit on the source tree: leave no __pycache__

RTOL = 1e-4
# Extra cnnopt-run arguments for every run (-O0, --conv-algorithm=...), set
# by the scripts' --flag options.
EXTRA_ARGS = []


def commit_count():
    """The number of commits of the checkout this file is in (0 outside git):
    the key of the suites' rotations (each commit runs the next turn)."""
    proc = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(__file__)), "rev-list",
                           "--count", "HEAD"], capture_output=True, text=True)
    return int(proc.stdout) if proc.returncode == 0 and proc.stdout.strip().isdigit() else 0


def rotation_turn(runs, count, key):
    """The `count` of `runs` whose turn it is at `key`: successive keys walk
    through all of them."""
    return [runs[(key * count + j) % len(runs)] for j in range(count)]


def run_check(label, cmd):
    """Runs the test script `cmd`; prints `ok   LABEL (Ns)`, or FAIL with the
    command and its output's lines other than passing checks (the last 3000
    characters); returns whether it passed."""
    start = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    good = proc.returncode == 0
    print(f"{'ok  ' if good else 'FAIL'} {label} ({time.time() - start:.0f}s)", flush=True)
    if not good:
        print("  command: " + " ".join(cmd))
        print("".join(line + "\n" for line in (proc.stdout + proc.stderr).splitlines()
                      if not line.startswith("ok "))[-3000:])
    return good


def add_common_options(ap):
    """--flag and --rtol, shared by ops.py and models.py."""
    ap.add_argument("--flag", action="append", default=[],
                    help="pass this argument to cnnopt-run (repeatable), e.g. --flag=-O0")
    ap.add_argument("--rtol", type=float, default=RTOL,
                    help="tolerance: max|err| <= rtol * max(1, max|torch|)")


def apply_common_options(args):
    global RTOL
    EXTRA_ARGS[:] = args.flag
    RTOL = args.rtol
    if args.flag:
        print(f"cnnopt-run flags: {' '.join(args.flag)}; tolerance {RTOL:g}")


# ---------------------------------------------------------------------------
# .safetensors
# ---------------------------------------------------------------------------
def onnx_identifier(name):
    """The C identifier cnnopt's ONNX importer names an input or output by
    (frontend/onnx/Importer.cpp: identifier)."""
    out = re.sub(r"[^A-Za-z0-9]", "_", name)
    return "v" + out if not out or out[0].isdigit() else out


def write_safetensors(path, tensors):
    """Writes `tensors` ({name: numpy array or torch tensor}) in insertion order."""
    header, blobs, offset = {}, [], 0
    for name, value in tensors.items():
        if hasattr(value, "detach"):  # torch.Tensor
            value = value.detach().cpu().numpy()
        value = np.asarray(value)
        if np.issubdtype(value.dtype, np.integer):
            data, dtype = value.astype("<i8"), "I64"
        else:
            data, dtype = value.astype("<f4"), "F32"
        raw = np.ascontiguousarray(data).tobytes()
        header[name] = {"dtype": dtype, "shape": list(value.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def read_safetensors(path):
    """{name: numpy array} of a .safetensors file of F32 and I64 tensors."""
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = {"F32": "<f4", "I64": "<i8"}[entry["dtype"]]
        out[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(entry["shape"]).copy()
    return out


# ---------------------------------------------------------------------------
# Random parameters and inputs
# ---------------------------------------------------------------------------
def random_param(name, shape, rng, gain=1.0, norm_scopes=()):
    """One random parameter for state_dict key `name` of `shape`.

    Norm affine weights (1-D `weight`, or any `weight` under a scope in
    `norm_scopes`) are U(0.5, 1.5); BatchNorm's running_mean is N(0, 0.1^2)
    and running_var U(0.5, 2); biases U(-0.2, 0.2); conv/linear weights
    N(0, gain^2 / fan_in), fan_in = prod(shape[1:]).
    """
    shape = tuple(int(d) for d in shape)
    leaf = name.rsplit(".", 1)[-1]
    scope = name.rsplit(".", 1)[0] if "." in name else ""
    if leaf == "num_batches_tracked":
        return np.array(rng.integers(0, 1000), dtype=np.int64).reshape(shape)
    if leaf == "running_mean":
        return rng.normal(0.0, 0.1, shape).astype(np.float32)
    if leaf == "running_var":
        return rng.uniform(0.5, 2.0, shape).astype(np.float32)
    if leaf == "bias":
        return rng.uniform(-0.2, 0.2, shape).astype(np.float32)
    if leaf == "weight" and (len(shape) == 1 or scope in norm_scopes):
        return rng.uniform(0.5, 1.5, shape).astype(np.float32)
    fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else 1
    return rng.normal(0.0, gain / np.sqrt(max(fan_in, 1)), shape).astype(np.float32)


def random_state_dict(shapes, seed=0, gain=1.0, norm_scopes=()):
    """{name: numpy array} for [(name, shape)] (program order kept)."""
    rng = np.random.default_rng(seed)
    return {name: random_param(name, shape, rng, gain, norm_scopes) for name, shape in shapes}


def random_input(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def print_params(cnnopt, model_file, model=None, input_shapes=()):
    """[(name, shape)] from `cnnopt FILE --print-params`."""
    cmd = [cnnopt, model_file, "--print-params"]
    if model:
        cmd += ["--model", model]
    for spec in input_shapes:
        cmd += ["--input-shape", spec]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}")
    out = []
    for line in proc.stdout.splitlines():
        line = line.strip()
        if not line or line.startswith("total parameters"):
            continue
        name, _, shape = line.partition(" ")
        dims = [int(d) for d in shape.strip()[1:-1].split(",") if d.strip()]
        out.append((name, dims))
    return out


# ---------------------------------------------------------------------------
# Running cnnopt-run
# ---------------------------------------------------------------------------
class RunError(Exception):
    pass


def run_cnnopt(cnnopt_run, model_file, inputs, outputs, workdir, weights=None,
               model=None, input_shapes=(), tag="run"):
    """Runs cnnopt-run; `inputs` {name: array}, `outputs` [name]; returns
    ({name: array}, seconds)."""
    results, seconds = run_cnnopt_batches(cnnopt_run, model_file, [inputs], outputs, workdir,
                                          weights, model, input_shapes, tag)
    return results[0], seconds


def run_cnnopt_batches(cnnopt_run, model_file, input_sets, outputs, workdir, weights=None,
                       model=None, input_shapes=(), tag="run"):
    """Runs cnnopt-run once, compiling once, on every {name: array} of
    `input_sets` (file lists, one run each); returns ([{name: array}] per
    set, seconds)."""
    os.makedirs(workdir, exist_ok=True)
    cmd = [cnnopt_run, model_file] + EXTRA_ARGS
    if model:
        cmd += ["--model", model]
    if weights:
        cmd += ["--weights", weights]
    for spec in input_shapes:
        cmd += ["--input-shape", spec]
    for name in input_sets[0]:
        files = []
        for k, inputs in enumerate(input_sets):
            path = os.path.join(workdir, f"{tag}.{k}.in.{name}.npy")
            np.save(path, np.ascontiguousarray(inputs[name], dtype=np.float32))
            files.append(path)
        cmd += ["--input", f"{name}={','.join(files)}"]
    paths = [{} for _ in input_sets]
    for name in outputs:
        for k in range(len(input_sets)):
            paths[k][name] = os.path.join(workdir, f"{tag}.{k}.out.{name}.npy")
            if os.path.exists(paths[k][name]):
                os.remove(paths[k][name])
        cmd += ["--output", f"{name}={','.join(p[name] for p in paths)}"]
    start = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.time() - start
    if proc.returncode != 0:
        raise RunError(f"cnnopt-run exited with {proc.returncode}\n  command: {' '.join(cmd)}\n"
                       f"  stdout: {proc.stdout.strip()}\n  stderr: {proc.stderr.strip()}")
    return [{name: np.load(path) for name, path in p.items()} for p in paths], seconds


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------
def compare(label, ours, ref, rtol=None, atol=0.0):
    """True when `ours` matches `ref` (numpy arrays) within the tolerance,
    rtol * max(1, max|ref|) or atol where that is larger; prints one line
    either way, and where the worst error is on failure."""
    rtol = RTOL if rtol is None else rtol
    ref = np.asarray(ref, dtype=np.float64)
    ours = np.asarray(ours, dtype=np.float64)
    if ours.shape != ref.shape:
        print(f"FAIL {label}: shape {list(ours.shape)}, torch {list(ref.shape)}")
        return False
    peak = float(np.max(np.abs(ref))) if ref.size else 0.0
    tol = max(rtol * max(1.0, peak), atol)
    if ref.size == 0:
        print(f"ok   {label}: empty {list(ref.shape)}")
        return True
    # NaN where PyTorch has NaN (pow of a negative base) matches; anywhere
    # else a non-finite value fails.
    nan = np.isnan(ref)
    if nan.any():
        if not np.isnan(ours[nan]).all():
            print(f"FAIL {label}: torch has {int(nan.sum())} NaNs, ours "
                  f"{int(np.isnan(ours[nan]).sum())} of them")
            return False
        ours, ref = ours[~nan], ref[~nan]
        peak = float(np.max(np.abs(ref))) if ref.size else 0.0
        tol = max(rtol * max(1.0, peak), atol)
    diff = np.abs(ours - ref)
    finite = np.isfinite(ours).all()
    err = float(np.max(diff)) if finite and diff.size else (0.0 if finite else float("inf"))
    good = finite and err <= tol
    status = "ok  " if good else "FAIL"
    print(f"{status} {label}: shape {list(ref.shape)}  max|err| {err:.3e}  tol {tol:.3e}"
          f"  max|torch| {peak:.3e}")
    if not good:
        if not finite:
            bad = np.argwhere(~np.isfinite(ours))
            print(f"       {len(bad)} non-finite values, first at {tuple(bad[0])}")
        else:
            where = np.unravel_index(int(np.argmax(diff)), diff.shape)
            nbad = int(np.sum(diff > tol))
            print(f"       worst at {tuple(int(i) for i in where)}: ours {ours[where]:.6g} "
                  f"torch {ref[where]:.6g}; {nbad} of {diff.size} elements out of tolerance")
    return good
