#!/usr/bin/env bash
# The GPU suite through CUDA, on a machine with an NVIDIA GPU and its driver
# (libcuda.so) where cnnopt is built (`bash .ci/bootstrap`):
#
#   bash test/gpu/run_cuda.sh [--quick] [--bench]
#
# Every model of models/ forward at batch 1 and 3 and one training step of
# simple_cnn and resnet18 (SGD and Adam) against PyTorch 1.13 on the CPU,
# with the tolerances of the CPU and OpenCL suites; the models run through
# `cnnopt-run --target host-cuda-cuda_capability_NN` (NN from nvidia-smi,
# at most 80: LLVM 14's PTX back end knows sm_86 at most, and sm_80 PTX runs
# on every later GPU). --quick runs simple_cnn, resnet18 and the training
# steps only. --bench then times each model at batch 1 and 16 (median of 20
# runs after the first; the worker's copies to and from the host included)
# and prints latency and the share of the GPU's peak FP32 rate
# (CNNOPT_PEAK_TFLOPS, default 67, an H100/H200 SXM's). Exit status: the
# number of failed checks.
set -uo pipefail
cd "$(dirname "$0")/../.."
quick=0 bench=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --bench) bench=1 ;;
    *) echo "usage: $0 [--quick] [--bench]" >&2; exit 2 ;;
  esac
done
run=build/bin/cnnopt-run
python=/usr/bin/python3
if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "run_cuda.sh: no NVIDIA GPU here (nvidia-smi finds none)" >&2
  exit 2
fi
if [[ ! -x $run ]]; then
  echo "run_cuda.sh: build cnnopt first (bash .ci/bootstrap)" >&2
  exit 2
fi
cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d . | tr -d ' ')
((cap > 80)) && cap=80
target="host-cuda-cuda_capability_${cap}"
echo "GPU: $(nvidia-smi -L | head -1); target $target"

failed=0
check() { # a name, then the command
  local name=$1 start end
  shift
  start=$(date +%s.%N)
  if "$@" >/tmp/run_cuda.log 2>&1; then
    end=$(date +%s.%N)
    printf 'ok   %-40s %6.1f s\n' "$name" "$(echo "$end - $start" | bc)"
  else
    echo "FAIL $name"
    tail -20 /tmp/run_cuda.log
    failed=$((failed + 1))
  fi
}

# name, then models.py arguments (the e2e suite's reduced input sizes)
models=(
  "lenet" "simple_cnn" "cnn_with_dropout" "se_block" "spp" "inception_module" "dense_block"
  "seg_head" "resnet18 --input-shape 3,64,64" "resnet50 --input-shape 3,64,64"
  "vgg16 --input-shape 3,64,64" "mobilenet_v2 --input-shape 3,64,64"
  "mobilenet_v3_small --input-shape 3,64,64" "efficientnet_b0 --input-shape 3,64,64"
  "googlenet --input-shape 3,64,64" "densenet121 --input-shape 3,64,64"
)
((quick)) && models=("simple_cnn" "resnet18 --input-shape 3,64,64")
for m in "${models[@]}"; do
  read -r -a args <<<"$m"
  check "forward ${args[0]} (batch 1, 3)" $python test/e2e/models.py --cnnopt-run $run \
    --reference "${args[@]}" --batch 1 3 "--flag=--target=$target"
done
for opt in sgd adam; do
  check "training step simple_cnn $opt" $python test/e2e/training.py --cnnopt-run $run \
    --reference simple_cnn --optimizer $opt --steps 3 --input-shape 3,16,16 "--flag=--target=$target"
  check "training step resnet18 $opt" $python test/e2e/training.py --cnnopt-run $run \
    --reference resnet18 --optimizer $opt --init default --input-shape 3,32,32 \
    "--flag=--target=$target"
done

if ((bench)); then
  peak=${CNNOPT_PEAK_TFLOPS:-67}
  echo "model          batch   latency ms   GFLOP/s   % of ${peak} TFLOP/s"
  for m in resnet18 resnet50 mobilenet_v2 vgg16 densenet121 efficientnet_b0; do
    for batch in 1 16; do
      $python - "$run" "$m" "$batch" "$target" "$peak" <<'EOF'
import json, os, re, subprocess, sys, tempfile
import numpy as np
run, model, batch, target, peak = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
with tempfile.TemporaryDirectory() as d:
    x = os.path.join(d, "x.npy")
    np.save(x, np.random.rand(batch, 3, 224, 224).astype(np.float32))
    stats = subprocess.run([run.replace("cnnopt-run", "cnnopt"), f"models/{model}.cnn", "--print-stats", "--json"],
                           capture_output=True, text=True).stdout
    macs = json.loads(stats)["total_macs"]
    out = subprocess.run([run, f"models/{model}.cnn", "--target", target, "--input", f"x={x}",
                          "--bench", "20"], capture_output=True, text=True)
    ms = float(re.search(r"median latency: ([0-9.]+) ms", out.stdout).group(1))
    gflops = 2 * macs * batch / (ms * 1e-3) / 1e9
    print(f"{model:14s} {batch:5d} {ms:12.3f} {gflops:9.1f} {100 * gflops / (peak * 1e3):8.2f}%")
EOF
    done
  done
fi
echo "run_cuda.sh: $failed failed"
exit $failed
