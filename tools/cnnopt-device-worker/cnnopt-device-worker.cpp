//===- cnnopt-device-worker.cpp - Runs a GPU model for cnnopt-run ---------===//
//
//   cnnopt-device-worker MODEL.so   (started by cnnopt-run, never by hand)
//
// Loads a model compiled for a GPU target (a shared object with its own
// Halide runtime), reads its execution plan from stdin and then serves
// cnnopt-run's requests (codegen/WorkerProtocol.h) until it quits. The
// process holds no LLVM: the OpenCL implementation (PoCL) brings its own.
//===----------------------------------------------------------------------===//

#include "codegen/StepTimer.h"
#include "codegen/WorkerProtocol.h"

#include <cstdio>
#include <dlfcn.h>

namespace {

using cnnopt::worker::Channel;

/// The plan's tables as cnnopt_api_run_plan reads them, and the memory a
/// context would keep: parameters, packed data (their device copies
/// resident) and the tensors between stages.
struct Model {
  void *handle = nullptr;
  std::deque<std::string> names;
  std::vector<cnnopt_tensor_info> slots;
  std::vector<int> lastReader, reads;
  std::vector<cnnopt_plan_step> steps;
  std::vector<cnnopt_plan_piece> pieces;
  std::vector<cnnopt_plan_pack> packs;
  std::vector<cnnopt_plan_output> outputs;
  cnnopt_plan plan{};
  int64_t packedFloats = 1;
  std::vector<float> params, packed;
  cnnopt_arrays arrays{};
  cnnopt_arena arena{};
  halide_error_handler_t (*setErrorHandler)(halide_error_handler_t) = nullptr;
  cnnopt::codegen::StepTimer timer; // --profile: each stage's time

  void *symbol(const std::string &name, std::string &error) {
    void *address = dlsym(handle, name.c_str());
    if (!address)
      error = "the model's GPU code lacks '" + name + "'";
    return address;
  }

  bool readPlan(Channel &c, std::string &error);
  int setParams(Channel &c, char *message, size_t size);
  int run(Channel &c, std::vector<std::vector<char>> &results, bool &timed, char *message,
          size_t size);
};

bool Model::readPlan(Channel &c, std::string &error) {
  if (c.get<uint32_t>() != cnnopt::worker::kPlanMagic) {
    error = "cnnopt-run and cnnopt-device-worker are from different builds";
    return false;
  }
  slots.resize(c.get<uint32_t>());
  for (cnnopt_tensor_info &slot : slots)
    cnnopt::worker::getTensorInfo(c, slot, names);
  for (size_t k = 0; k < slots.size(); ++k)
    lastReader.push_back(c.get<int32_t>());
  steps.resize(c.get<uint32_t>());
  for (cnnopt_plan_step &step : steps) {
    std::string name;
    c.getString(name);
    step.run = reinterpret_cast<cnnopt_argv_fn>(symbol(name + "_argv", error));
    step.result = c.get<int32_t>();
    step.first_read = c.get<int32_t>();
    step.n_reads = c.get<int32_t>();
    step.flat_pixels = c.get<int32_t>();
  }
  reads.resize(c.get<uint32_t>());
  for (int &r : reads)
    r = c.get<int32_t>();
  pieces.resize(c.get<uint32_t>());
  for (cnnopt_plan_piece &piece : pieces) {
    piece.offset = c.get<int64_t>();
    cnnopt::worker::getTensorInfo(c, piece.shape, names);
  }
  packs.resize(c.get<uint32_t>());
  for (cnnopt_plan_pack &pack : packs) {
    std::string name;
    c.getString(name);
    pack.run = reinterpret_cast<cnnopt_argv_fn>(symbol(name + "_argv", error));
    pack.first_piece = c.get<int32_t>();
    pack.n_pieces = c.get<int32_t>();
  }
  int inputs = c.get<int32_t>();
  outputs.resize(c.get<uint32_t>());
  for (cnnopt_plan_output &out : outputs) {
    out.source = c.get<int32_t>();
    out.slot = c.get<int32_t>();
    out.offset = c.get<int64_t>();
  }
  packedFloats = std::max<int64_t>(c.get<int64_t>(), 1);
  if (!c.good()) {
    error = "cnnopt-run closed the plan early";
    return false;
  }
  if (!error.empty())
    return false;
  auto copyToHost = reinterpret_cast<int (*)(void *, halide_buffer_t *)>(
      symbol("halide_copy_to_host", error));
  auto deviceFree = reinterpret_cast<int (*)(void *, halide_buffer_t *)>(
      symbol("halide_device_free", error));
  setErrorHandler = reinterpret_cast<halide_error_handler_t (*)(halide_error_handler_t)>(
      symbol("halide_set_error_handler", error));
  timer.deviceSync = reinterpret_cast<int (*)(void *, halide_buffer_t *)>(
      symbol("halide_device_sync", error));
  if (!error.empty())
    return false;
  plan = {int(slots.size()), slots.data(), lastReader.data(), int(steps.size()), steps.data(),
          reads.data(), int(packs.size()), packs.data(), pieces.data(), inputs,
          int(outputs.size()), outputs.data(), 1, nullptr, nullptr, copyToHost, deviceFree};
  timer.stepMilliseconds.assign(steps.size(), 0.0);
  return true;
}

/// A call's user context, with Halide's errors recorded in it.
void *beginCall(Model &m, cnnopt_call &call) {
  call.magic = CNNOPT_CALL_MAGIC;
  call.message[0] = 0;
  call.device = 1;
  m.setErrorHandler(cnnopt_api_halide_error);
  return &call;
}

int Model::setParams(Channel &c, char *message, size_t size) {
  // Exactly the floats sent (none for a model without parameters), then
  // at least one: Halide's buffers need an element to point at.
  size_t sent = size_t(std::max<int64_t>(c.get<int64_t>(), 0));
  params.assign(std::max<size_t>(sent, 1), 0.0f);
  c.getBytes(params.data(), sent * sizeof(float));
  packed.assign(size_t(packedFloats), 0.0f);
  cnnopt_call call;
  void *user = beginCall(*this, call);
  cnnopt_api_arrays_release(&plan, &arrays); // the old parameters' device copies
  cnnopt_api_wrap_params(&arrays.params, &arrays.params_dim, params.data(), int64_t(params.size()));
  cnnopt_api_wrap_params(&arrays.packed, &arrays.packed_dim, packed.data(), packedFloats);
  int status = cnnopt_api_run_packs(&plan, user, &arrays.params, packed.data(), call.message,
                                    sizeof(call.message));
  return cnnopt_api_end_call(status, &call, message, size);
}

/// One tensor of a 'R' request: its shape as a table entry and its data.
struct Tensor {
  cnnopt_tensor_info info{};
  std::vector<char> data;
  halide_buffer_t buffer{};
  halide_dimension_t dims[CNNOPT_MAX_RANK]{};

  bool read(Channel &c, bool withData) {
    info.is_int = c.get<uint8_t>();
    info.rank = c.get<int32_t>();
    int64_t elements = 1;
    for (int a = 0; a < info.rank && a < CNNOPT_MAX_RANK; ++a)
      elements *= (info.shape[a] = c.get<int64_t>());
    data.resize(size_t(elements) * 4);
    return c.good() && info.rank <= CNNOPT_MAX_RANK && (!withData || c.getBytes(data.data(), data.size()));
  }
};

int Model::run(Channel &c, std::vector<std::vector<char>> &results, bool &timed, char *message,
               size_t size) {
  int batch = c.get<int32_t>();
  timed = c.get<uint8_t>() != 0;
  std::vector<Tensor> in(size_t(plan.n_inputs)), out(outputs.size());
  for (Tensor &t : in)
    t.read(c, true);
  for (Tensor &t : out)
    t.read(c, false);
  if (!c.good())
    return snprintf(message, size, "cnnopt-run closed the request early"), CNNOPT_ERROR_RUNTIME;
  std::vector<halide_buffer_t *> inPtrs, outPtrs;
  for (std::vector<Tensor> *list : {&in, &out})
    for (Tensor &t : *list) {
      if (cnnopt_api_wrap(&t.buffer, t.dims, &t.info, batch, t.data.data(), message, size))
        return CNNOPT_ERROR_SHAPE;
      (list == &in ? inPtrs : outPtrs).push_back(&t.buffer);
    }
  plan.on_step = timed ? &cnnopt::codegen::StepTimer::onStep : nullptr;
  plan.on_step_user = &timer;
  cnnopt_call call;
  void *user = beginCall(*this, call);
  int status = cnnopt_api_run_plan(&plan, user, batch, inPtrs.data(), &arrays.params,
                                   &arrays.packed, outPtrs.data(), &arena, call.message,
                                   sizeof(call.message));
  for (Tensor &t : out)
    results.push_back(std::move(t.data));
  return cnnopt_api_end_call(status, &call, message, size);
}

/// Replies with a status and its message.
void reply(Channel &c, int status, const char *message) {
  c.put<int32_t>(status);
  c.putString(message);
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: cnnopt-device-worker MODEL.so (started by cnnopt-run)\n");
    return 2;
  }
  Channel c(0, 1);
  Model model;
  std::string error;
  model.handle = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!model.handle)
    error = std::string("cannot load the model's GPU code: ") + dlerror();
  bool planned = model.handle && model.readPlan(c, error);
  reply(c, planned ? CNNOPT_OK : CNNOPT_ERROR_RUNTIME, error.c_str());
  if (!c.flush() || !planned)
    return 1;
  char message[512];
  for (uint8_t command; c.get(command) && command != cnnopt::worker::Quit;) {
    if (command == cnnopt::worker::SetParams) {
      int status = model.setParams(c, message, sizeof(message));
      reply(c, status, message);
    } else if (command == cnnopt::worker::Run) {
      std::vector<std::vector<char>> results;
      bool timed = false;
      int status = model.run(c, results, timed, message, sizeof(message));
      reply(c, status, message);
      if (status == CNNOPT_OK) {
        for (const std::vector<char> &r : results)
          c.putBytes(r.data(), r.size());
        if (timed)
          c.putBytes(model.timer.stepMilliseconds.data(),
                     model.timer.stepMilliseconds.size() * sizeof(double));
      }
    } else {
      reply(c, CNNOPT_ERROR_RUNTIME, "unknown request");
    }
    if (!c.flush())
      return 1;
  }
  cnnopt_api_arrays_release(&model.plan, &model.arrays);
  cnnopt_arena_release(&model.arena);
  return 0;
}
