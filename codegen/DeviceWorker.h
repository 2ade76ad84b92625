//===- DeviceWorker.h - A GPU model in a process of its own -----*- C++ -*-===//
//
// cnnopt-run's side of cnnopt-device-worker (codegen/WorkerProtocol.h): the
// worker loads a model's GPU code (a shared object) and runs it on
// request; this process sends it the plan, the parameters and each run's
// tensors.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_DEVICEWORKER_H
#define CNNOPT_CODEGEN_DEVICEWORKER_H

#include "codegen/WorkerProtocol.h"

#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

namespace cnnopt::codegen {

class DeviceWorker {
public:
  /// Starts cnnopt-device-worker (beside this executable) on
  /// `sharedObject` and sends it `plan`, whose steps and packs are the
  /// functions named `stepNames` and `packNames`, and the packed array's
  /// size. Null with `error` when the worker cannot start or load them.
  static std::unique_ptr<DeviceWorker> start(const std::string &sharedObject,
                                             const cnnopt_plan &plan,
                                             const std::vector<std::string> &stepNames,
                                             const std::vector<std::string> &packNames,
                                             int64_t packedFloats, std::string &error);
  ~DeviceWorker();

  /// The parameters, packed by the worker.
  bool setParams(const std::vector<float> &params, std::string &error);

  /// One tensor of a run: its type, shape and data (4-byte elements).
  struct Tensor {
    bool isInt = false;
    std::vector<int64_t> shape;
    const void *data = nullptr;
  };
  /// Runs the plan at `batch` on `inputs`, into `outputs` (their data
  /// written, of their shapes); with `stepMilliseconds`, times the stages.
  bool run(int batch, const std::vector<Tensor> &inputs, const std::vector<Tensor> &outputs,
           std::vector<double> *stepMilliseconds, std::string &error);

private:
  DeviceWorker(pid_t pid, int in, int out) : pid(pid), channel(in, out), in(in), out(out) {}
  /// The reply's status; false with `error` (or why the worker is gone).
  bool replied(std::string &error);

  pid_t pid;
  worker::Channel channel;
  int in, out;
  size_t steps = 0;
};

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_DEVICEWORKER_H
