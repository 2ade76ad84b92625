//===- onednn_conv.cpp - oneDNN's best convolution, timed -----------------===//
//
//   onednn-conv N C H W K R S STRIDE PAD GROUPS RUNS
//
// Times one forward convolution (f32, batch N, C->K channels, RxS filter)
// the way PyTorch's optimised path runs it: oneDNN picks the layout
// (format_tag::any, blocked for the target) and the algorithm
// (convolution_auto); inputs are reordered once, outside the timing, and
// the weights are prepacked. Prints the median of RUNS runs in ms, then the
// implementation oneDNN chose. Threads: OMP_NUM_THREADS.
//
// `onednn-conv --peak` prints the measured FMA peak of one thread in
// GFLOP/s (AVX-512 or AVX2 FMAs, whichever the host has, on independent
// accumulators).
//===----------------------------------------------------------------------===//

#include "oneapi/dnnl/dnnl.hpp"

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using namespace dnnl;
using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// Independent accumulators (more than FMA latency x ports, fewer than the
/// vector registers) keep every FMA port busy; 2 flops per lane per FMA.
/// One loop per vector width, stamped out by a macro: intrinsics only
/// inline into functions of their own target.
constexpr long kPeakIterations = 20000000;

#define CNNOPT_FMA_LOOP(Vec, lanes, accs, fma, splat, store)                                  \
  Vec acc[accs];                                                                               \
  for (auto &a : acc)                                                                          \
    a = splat(1.0f);                                                                           \
  const Vec m = splat(0.999999f), b = splat(1e-7f);                                            \
  auto start = Clock::now();                                                                   \
  for (long i = 0; i < kPeakIterations; ++i) {                                                 \
    _Pragma("GCC unroll 32") for (auto &a : acc) a = fma(a, m, b);                             \
  }                                                                                            \
  double s = std::chrono::duration<double>(Clock::now() - start).count();                     \
  float lane[lanes];                                                                           \
  volatile float sink = 0;                                                                     \
  for (auto &a : acc) {                                                                        \
    store(lane, a);                                                                            \
    sink = sink + lane[0];                                                                     \
  }                                                                                            \
  return double(accs) * (lanes) * 2 * kPeakIterations / s / 1e9;

__attribute__((target("avx512f"))) double avx512Peak() {
  CNNOPT_FMA_LOOP(__m512, 16, 24, _mm512_fmadd_ps, _mm512_set1_ps, _mm512_storeu_ps)
}

__attribute__((target("avx2,fma"))) double avx2Peak() {
  CNNOPT_FMA_LOOP(__m256, 8, 12, _mm256_fmadd_ps, _mm256_set1_ps, _mm256_storeu_ps)
}

double fmaPeakGflops() {
  return __builtin_cpu_supports("avx512f") ? avx512Peak() : avx2Peak();
}

} // namespace

int main(int argc, char **argv) {
  if (argc == 2 && std::string(argv[1]) == "--peak") {
    std::printf("%.1f\n", fmaPeakGflops());
    return 0;
  }
  if (argc != 12) {
    std::fprintf(stderr, "usage: %s N C H W K R S STRIDE PAD GROUPS RUNS | --peak\n", argv[0]);
    return 2;
  }
  long v[11];
  for (int k = 0; k < 11; ++k)
    v[k] = std::atol(argv[k + 1]);
  const long n = v[0], c = v[1], h = v[2], w = v[3], k = v[4], r = v[5], s = v[6];
  const long stride = v[7], pad = v[8], groups = v[9], runs = v[10];
  const long oh = (h + 2 * pad - r) / stride + 1, ow = (w + 2 * pad - s) / stride + 1;

  engine eng(engine::kind::cpu, 0);
  stream strm(eng);
  memory::dims src{n, c, h, w}, dst{n, k, oh, ow}, bias{k};
  memory::dims wei = groups == 1 ? memory::dims{k, c, r, s}
                                 : memory::dims{groups, k / groups, c / groups, r, s};
  auto any = [](const memory::dims &d) {
    return memory::desc(d, memory::data_type::f32, memory::format_tag::any);
  };
  convolution_forward::desc desc(prop_kind::forward_inference, algorithm::convolution_auto,
                                 any(src), any(wei), any(bias), any(dst), {stride, stride},
                                 {pad, pad}, {pad, pad});
  convolution_forward::primitive_desc pd(desc, eng);
  memory srcMem(pd.src_desc(), eng), weiMem(pd.weights_desc(), eng), dstMem(pd.dst_desc(), eng),
      biasMem(pd.bias_desc(), eng);
  for (memory *m : {&srcMem, &weiMem, &biasMem}) {
    auto *p = static_cast<float *>(m->get_data_handle());
    size_t count = m->get_desc().get_size() / sizeof(float);
    for (size_t i = 0; i < count; ++i)
      p[i] = float((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
  }
  convolution_forward conv(pd);
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, srcMem},
                                       {DNNL_ARG_WEIGHTS, weiMem},
                                       {DNNL_ARG_BIAS, biasMem},
                                       {DNNL_ARG_DST, dstMem}};
  for (int i = 0; i < 3; ++i)
    conv.execute(strm, args);
  strm.wait();
  std::vector<double> times;
  for (long i = 0; i < runs; ++i) {
    auto start = Clock::now();
    conv.execute(strm, args);
    strm.wait();
    times.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::printf("median %.4f ms\nimpl %s\n", median(times), pd.impl_info_str());
  return 0;
}
