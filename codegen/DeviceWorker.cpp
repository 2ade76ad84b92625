//===- DeviceWorker.cpp - A GPU model in a process of its own -------------===//

#include "codegen/DeviceWorker.h"

#include <csignal>
#include <filesystem>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

namespace cnnopt::codegen {

namespace {

/// cnnopt-device-worker in the folder of this executable.
std::string workerPath() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "cnnopt-device-worker").string();
}

/// How a finished child ended, for messages.
std::string howItEnded(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid)
    return "it is gone";
  if (WIFSIGNALED(status))
    return "it was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "it exited with status " + std::to_string(WEXITSTATUS(status));
}

void putTensor(worker::Channel &c, const DeviceWorker::Tensor &t, bool withData) {
  c.put<uint8_t>(t.isInt ? 1 : 0);
  c.put<int32_t>(int32_t(t.shape.size()));
  int64_t elements = 1;
  for (int64_t d : t.shape) {
    c.put<int64_t>(d);
    elements *= d;
  }
  if (withData)
    c.putBytes(t.data, size_t(elements) * 4);
}

} // namespace

std::unique_ptr<DeviceWorker> DeviceWorker::start(const std::string &sharedObject,
                                                  const cnnopt_plan &plan,
                                                  const std::vector<std::string> &stepNames,
                                                  const std::vector<std::string> &packNames,
                                                  int64_t packedFloats, std::string &error) {
  // A worker that dies mid-request must not take this process with it.
  std::signal(SIGPIPE, SIG_IGN);
  int toWorker[2], fromWorker[2];
  if (pipe(toWorker) != 0 || pipe(fromWorker) != 0) {
    error = "cannot create the pipes to the device worker";
    return nullptr;
  }
  std::string path = workerPath();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, toWorker[0], 0);
  posix_spawn_file_actions_adddup2(&actions, fromWorker[1], 1);
  posix_spawn_file_actions_addclose(&actions, toWorker[1]);
  posix_spawn_file_actions_addclose(&actions, fromWorker[0]);
  std::vector<char *> argv{const_cast<char *>(path.c_str()),
                           const_cast<char *>(sharedObject.c_str()), nullptr};
  pid_t pid;
  int spawned = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(toWorker[0]);
  close(fromWorker[1]);
  if (spawned != 0) {
    close(toWorker[1]);
    close(fromWorker[0]);
    error = "cannot start " + path + ": " + strerror(spawned);
    return nullptr;
  }
  std::unique_ptr<DeviceWorker> w(new DeviceWorker(pid, fromWorker[0], toWorker[1]));
  w->steps = size_t(plan.n_steps);
  worker::Channel &c = w->channel;
  c.put<uint32_t>(worker::kPlanMagic);
  c.put<uint32_t>(uint32_t(plan.n_slots));
  for (int k = 0; k < plan.n_slots; ++k)
    worker::putTensorInfo(c, plan.slots[k]);
  for (int k = 0; k < plan.n_slots; ++k)
    c.put<int32_t>(plan.last_reader[k]);
  c.put<uint32_t>(uint32_t(plan.n_steps));
  int reads = 0;
  for (int k = 0; k < plan.n_steps; ++k) {
    const cnnopt_plan_step &step = plan.steps[k];
    c.putString(stepNames[size_t(k)]);
    for (int v : {step.result, step.first_read, step.n_reads, step.flat_pixels})
      c.put<int32_t>(v);
    reads = std::max(reads, step.first_read + step.n_reads);
  }
  c.put<uint32_t>(uint32_t(reads));
  for (int k = 0; k < reads; ++k)
    c.put<int32_t>(plan.reads[k]);
  int pieces = 0;
  for (int k = 0; k < plan.n_packs; ++k)
    pieces = std::max(pieces, plan.packs[k].first_piece + plan.packs[k].n_pieces);
  c.put<uint32_t>(uint32_t(pieces));
  for (int k = 0; k < pieces; ++k) {
    c.put<int64_t>(plan.pieces[k].offset);
    worker::putTensorInfo(c, plan.pieces[k].shape);
  }
  c.put<uint32_t>(uint32_t(plan.n_packs));
  for (int k = 0; k < plan.n_packs; ++k) {
    c.putString(packNames[size_t(k)]);
    c.put<int32_t>(plan.packs[k].first_piece);
    c.put<int32_t>(plan.packs[k].n_pieces);
  }
  c.put<int32_t>(plan.n_inputs);
  c.put<uint32_t>(uint32_t(plan.n_outputs));
  for (int k = 0; k < plan.n_outputs; ++k) {
    c.put<int32_t>(plan.outputs[k].source);
    c.put<int32_t>(plan.outputs[k].slot);
    c.put<int64_t>(plan.outputs[k].offset);
  }
  c.put<int64_t>(packedFloats);
  c.flush();
  if (!w->replied(error))
    return nullptr;
  return w;
}

DeviceWorker::~DeviceWorker() {
  channel.put<uint8_t>(worker::Quit);
  channel.flush();
  close(out);
  close(in);
  int status;
  if (pid > 0)
    waitpid(pid, &status, 0);
}

bool DeviceWorker::replied(std::string &error) {
  int32_t status = channel.get<int32_t>();
  std::string message;
  channel.getString(message);
  if (!channel.good()) {
    error = "the device worker (cnnopt-device-worker) stopped answering: " + howItEnded(pid);
    pid = -1;
    return false;
  }
  if (status != 0)
    error = message.empty() ? "the device worker failed (status " + std::to_string(status) + ")"
                            : message;
  return status == 0;
}

bool DeviceWorker::setParams(const std::vector<float> &params, std::string &error) {
  channel.put<uint8_t>(worker::SetParams);
  channel.put<int64_t>(int64_t(params.size()));
  channel.putBytes(params.data(), params.size() * sizeof(float));
  channel.flush();
  return replied(error);
}

bool DeviceWorker::run(int batch, const std::vector<Tensor> &inputs,
                       const std::vector<Tensor> &outputs, std::vector<double> *stepMilliseconds,
                       std::string &error) {
  channel.put<uint8_t>(worker::Run);
  channel.put<int32_t>(batch);
  channel.put<uint8_t>(stepMilliseconds ? 1 : 0);
  for (const Tensor &t : inputs)
    putTensor(channel, t, true);
  for (const Tensor &t : outputs)
    putTensor(channel, t, false);
  channel.flush();
  if (!replied(error))
    return false;
  for (const Tensor &t : outputs) {
    int64_t elements = 1;
    for (int64_t d : t.shape)
      elements *= d;
    channel.getBytes(const_cast<void *>(t.data), size_t(elements) * 4);
  }
  if (stepMilliseconds) {
    stepMilliseconds->resize(steps);
    channel.getBytes(stepMilliseconds->data(), steps * sizeof(double));
  }
  if (!channel.good())
    error = "the device worker (cnnopt-device-worker) stopped answering: " + howItEnded(pid);
  return channel.good();
}

} // namespace cnnopt::codegen
