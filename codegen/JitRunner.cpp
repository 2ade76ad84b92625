//===- JitRunner.cpp - Run a model in-process through Halide's JIT --------===//
//
// Every stage and pack function is JIT-compiled on its own, one thread per
// core; the plan runs through the same cnnopt_api_run_plan as a compiled
// object's header. Each call passes a user context whose error handler
// records Halide's message, and buffers wrapping the caller's arrays (no
// copies).
//
// GPU targets compile ahead of time instead: the functions become a shared
// object, as `cnnopt -o` would build them, with a Halide runtime of its
// own, and run in cnnopt-device-worker (codegen/DeviceWorker.h): PoCL's
// LLVM crashes in a process that holds Halide's and MLIR's (DESIGN.md).
//===----------------------------------------------------------------------===//

#include "codegen/JitRunner.h"
#include "codegen/HostTarget.h"
#include "codegen/Lowering.h"
// After Halide.h (through Lowering.h): the model API's copy of Halide's
// buffer structs stands aside when Halide's own are declared.
#include "codegen/DeviceWorker.h"
#include "codegen/ObjectParts.h"
#include "codegen/StepTimer.h"
#include "codegen/Threads.h"
#include "codegen/runtime/cnnopt_model_api.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <optional>
#include <unistd.h>

namespace cnnopt::codegen {

using namespace Halide;

namespace {

/// Halide lists dimensions innermost first: the reverse of `shape`.
std::vector<int> halideSizes(const std::vector<int64_t> &shape) {
  return std::vector<int>(shape.rbegin(), shape.rend());
}

/// A JIT call's user context, recording the first error message.
struct CallContext : JITUserContext {
  std::string error;

  CallContext() {
    JITHandlers handlers;
    handlers.custom_error = [](JITUserContext *context, const char *message) {
      auto *call = static_cast<CallContext *>(context);
      if (call->error.empty())
        call->error = message;
    };
    Internal::JITSharedRuntime::populate_jit_handlers(this, handlers);
  }
};

/// Every function of `model` JIT-compiled, on one thread per core (each is
/// a module of its own); their argv entry points, the stages' first.
std::vector<cnnopt_argv_fn> jitCompile(const LoweredModel &model, const Target &target,
                                       std::vector<Internal::JITModule> &keep) {
  std::vector<const LoweredFunction *> functions = model.functions();
  std::vector<std::optional<Internal::JITModule>> compiled(functions.size());
  forEachOnThreads(functions.size(), compileThreads(0), [&](size_t k) {
    Module module = lowerFunction(*functions[k], target);
    compiled[k].emplace(module, module.get_function_by_name(functions[k]->name));
  });
  std::vector<cnnopt_argv_fn> entries;
  for (std::optional<Internal::JITModule> &m : compiled) {
    keep.push_back(std::move(*m));
    entries.push_back(reinterpret_cast<cnnopt_argv_fn>(keep.back().argv_function()));
  }
  return entries;
}

/// A GPU target's functions compiled into a shared object in a scratch
/// folder, loaded by a device worker; the folder goes once it has (or failed).
std::unique_ptr<DeviceWorker> startWorker(const LoweredModel &model, const Target &target,
                                          const cnnopt_plan &table) {
  static std::atomic<int> serial{0};
  ScratchDir dir(std::filesystem::temp_directory_path() /
                 ("cnnopt-run-" + std::to_string(getpid()) + "-" + std::to_string(serial++)));
  std::string path = (dir.path / "model.so").string();
  std::vector<const LoweredFunction *> functions = model.functions();
  std::vector<std::string> stepNames, packNames;
  for (const LoweredFunction &f : model.stages)
    stepNames.push_back(f.name);
  for (const LoweredFunction &f : model.packs)
    packNames.push_back(f.name);
  emitObjectParts(functions, target, int(std::max<size_t>(functions.size(), 1)),
                  compileThreads(0), "model", path, JoinKind::Shared, {});
  std::string error;
  std::unique_ptr<DeviceWorker> worker = DeviceWorker::start(
      path, table, stepNames, packNames, model.plan.packedFloats, error);
  if (!worker)
    throw CompileError(error);
  return worker;
}

Buffer<> floatArray(std::vector<float> &data) {
  if (data.empty())
    data.push_back(0.0f); // a model without parameters still binds one
  return Buffer<float>(data.data(), int(data.size()));
}

/// `name` must outlive the result.
cnnopt_tensor_info tensorInfo(const std::string &name, const Shape &shape, bool isInt) {
  cnnopt_tensor_info info{};
  info.name = name.c_str();
  info.rank = int(shape.size());
  for (size_t a = 0; a < shape.size() && a < CNNOPT_MAX_RANK; ++a)
    info.shape[a] = shape[a];
  info.is_int = isInt;
  return info;
}

} // namespace

struct JitModel::Impl {
  KernelProgram program;
  ExecutionPlan plan;
  std::vector<Internal::JITModule> modules;
  std::unique_ptr<DeviceWorker> worker; ///< runs a GPU target's code, instead of the modules
  // The plan as cnnopt_api_run_plan reads it.
  std::vector<cnnopt_tensor_info> slots;
  std::vector<int> lastReader, reads;
  std::vector<cnnopt_plan_step> steps;
  std::vector<cnnopt_plan_pack> packs;
  std::vector<cnnopt_plan_piece> pieces;
  std::vector<cnnopt_plan_output> outputs;
  std::deque<std::string> names; ///< what the tensor infos point at
  cnnopt_plan table{};
  std::vector<float> params, packed;
  cnnopt_arena arena{}; ///< the tensors between stages, kept across runs

  ~Impl() { cnnopt_arena_release(&arena); }
  StepTimer timer; ///< each step's time, once profiling is on

  /// cnnopt_api_run_plan's view of `plan`, with `stageFns` and `packFns`.
  void buildTable(const std::vector<cnnopt_argv_fn> &stageFns,
                  const std::vector<cnnopt_argv_fn> &packFns);
  /// Runs `body(user context, message buffer)`; false with the message.
  template <typename Body> bool call(Body body, std::string &error);
};

void JitModel::Impl::buildTable(const std::vector<cnnopt_argv_fn> &stageFns,
                                const std::vector<cnnopt_argv_fn> &packFns) {
  for (size_t k = 0; k < plan.slots.size(); ++k) {
    const TensorType &t = program.values[plan.slots[k]];
    slots.push_back(tensorInfo(names.emplace_back(plan.slotNames[k]), plan.slotShapes[k],
                               t.dtype != DType::F32));
    lastReader.push_back(plan.lastReader(int(k)));
  }
  for (size_t k = 0; k < plan.steps.size(); ++k) {
    const PlanStep &step = plan.steps[k];
    steps.push_back({stageFns[k], step.result, int(reads.size()), int(step.reads.size()),
                     step.flatPixels ? 1 : 0});
    reads.insert(reads.end(), step.reads.begin(), step.reads.end());
  }
  for (const PlanPack &piece : plan.packs)
    pieces.push_back({piece.offset, tensorInfo(names.emplace_back(piece.key), piece.shape, false)});
  for (int f = 0; f < plan.packFunctions(); ++f) {
    int first = f * kPiecesPerPackFunction;
    packs.push_back({packFns[size_t(f)], first,
                     std::min<int>(kPiecesPerPackFunction, int(pieces.size()) - first)});
  }
  for (const PlanOutput &out : plan.outputs)
    outputs.push_back({int(out.source), out.slot, out.offset});
  table = {int(slots.size()), slots.data(),   lastReader.data(),
           int(steps.size()), steps.data(),   reads.data(),
           int(packs.size()), packs.data(),   pieces.data(), int(program.inputs.size()),
           int(outputs.size()), outputs.data(), 1};
}

template <typename Body> bool JitModel::Impl::call(Body body, std::string &error) {
  CallContext context;
  char message[512] = "";
  int status = body(static_cast<void *>(&context), message);
  if (status == 0)
    return true;
  error = message[0] ? std::string(message) : context.error;
  if (error.empty())
    error = "Halide error " + std::to_string(status);
  while (!error.empty() && error.back() == '\n')
    error.pop_back();
  return false;
}

JitModel::JitModel(std::unique_ptr<Impl> impl) : impl(std::move(impl)) {}
JitModel::~JitModel() = default;

void JitModel::setProfiling(bool on) {
  impl->table.on_step = on ? &StepTimer::onStep : nullptr;
  impl->table.on_step_user = on ? &impl->timer : nullptr;
  impl->timer.stepMilliseconds.assign(impl->steps.size(), 0.0);
}

std::vector<std::string> JitModel::stageNames() const {
  std::vector<std::string> names;
  for (const PlanStep &step : impl->plan.steps)
    names.push_back(impl->plan.slotNames[size_t(step.result)]);
  return names;
}

const std::vector<double> &JitModel::stageMilliseconds() const { return impl->timer.stepMilliseconds; }

void setJitThreads(int threads) {
  // Read when the JIT runtime starts its thread pool.
  if (threads > 0)
    setenv("HL_NUM_THREADS", std::to_string(threads).c_str(), 1);
}

std::unique_ptr<JitModel> JitModel::compile(const KernelProgram &program,
                                            const std::string &target,
                                            std::string &error) {
  try {
    auto impl = std::make_unique<Impl>();
    impl->program = program;
    Target t = (target == "host" ? jitTarget() : Target(target)).with_feature(Target::UserContext);
    if (!t.has_gpu_feature())
      t = t.with_feature(Target::JIT);
    LoweredModel lowered = lowerModel(program, t, "cnnopt_jit");
    impl->plan = lowered.plan;
    std::vector<cnnopt_argv_fn> stageFns(lowered.stages.size() + lowered.packs.size());
    if (!t.has_gpu_feature())
      stageFns = jitCompile(lowered, t, impl->modules);
    std::vector<cnnopt_argv_fn> packFns(stageFns.begin() + long(lowered.stages.size()),
                                        stageFns.end());
    stageFns.resize(lowered.stages.size());
    impl->buildTable(stageFns, packFns);
    if (t.has_gpu_feature())
      impl->worker = startWorker(lowered, t, impl->table);
    impl->packed.assign(size_t(lowered.plan.packedFloats), 0.0f);
    return std::unique_ptr<JitModel>(new JitModel(std::move(impl)));
  } catch (const Halide::Error &e) {
    error = e.what();
  }
  return nullptr;
}

bool JitModel::setParams(const std::vector<float> &params, std::string &error) {
  impl->params = params;
  if (impl->worker)
    return impl->worker->setParams(params, error);
  Buffer<> flat = floatArray(impl->params);
  return impl->call(
      [&](void *user, char *message) {
        return cnnopt_api_run_packs(&impl->table, user, flat.raw_buffer(), impl->packed.data(),
                                    message, 512);
      },
      error);
}

bool JitModel::run(const std::vector<HostTensor> &inputs, std::vector<HostTensor> &outputs,
                   std::string &error) {
  const KernelProgram &program = impl->program;
  int64_t batch = 1;
  std::vector<Buffer<>> in, out;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const HostTensor &t = inputs[k];
    if (!t.shape.empty() && program.values[program.inputs[k].value].shape[0] == kDynamic)
      batch = t.shape[0];
    if (t.isInt)
      in.push_back(Buffer<int32_t>(const_cast<int32_t *>(t.ints.data()), halideSizes(t.shape)));
    else
      in.push_back(Buffer<float>(const_cast<float *>(t.floats.data()), halideSizes(t.shape)));
  }
  outputs.assign(program.outputs.size(), HostTensor());
  for (size_t k = 0; k < program.outputs.size(); ++k) {
    HostTensor &o = outputs[k];
    o.shape = program.values[program.outputs[k].value].shape;
    if (!o.shape.empty() && o.shape[0] == kDynamic)
      o.shape[0] = batch;
    int64_t n = 1;
    for (int64_t d : o.shape)
      n *= d;
    o.floats.assign(size_t(n), 0.0f);
    out.push_back(Buffer<float>(o.floats.data(), halideSizes(o.shape)));
  }
  if (impl->worker) {
    std::vector<DeviceWorker::Tensor> in, out;
    for (const HostTensor &t : inputs)
      in.push_back({t.isInt, t.shape,
                    t.isInt ? static_cast<const void *>(t.ints.data()) : t.floats.data()});
    for (const HostTensor &t : outputs)
      out.push_back({false, t.shape, t.floats.data()});
    bool profiling = impl->table.on_step != nullptr;
    return impl->worker->run(int(batch), in, out, profiling ? &impl->timer.stepMilliseconds : nullptr,
                             error);
  }
  std::vector<halide_buffer_t *> inPtrs, outPtrs;
  for (Buffer<> &b : in)
    inPtrs.push_back(b.raw_buffer());
  for (Buffer<> &b : out)
    outPtrs.push_back(b.raw_buffer());
  Buffer<> params = floatArray(impl->params), packed = floatArray(impl->packed);
  return impl->call(
      [&](void *user, char *message) {
        return cnnopt_api_run_plan(&impl->table, user, int(batch), inPtrs.data(),
                                   params.raw_buffer(), packed.raw_buffer(), outPtrs.data(),
                                   &impl->arena, message, 512);
      },
      error);
}

} // namespace cnnopt::codegen
