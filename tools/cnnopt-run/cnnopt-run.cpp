//===- cnnopt-run.cpp - Run a model on .npy inputs ------------------------===//
//
//   cnnopt-run MODEL.cnn [--model NAME] [--weights W.safetensors]
//              --input NAME=FILE.npy ... [--output NAME=FILE.npy ...]
//              [--bench N [--profile]] [--threads T] [--seed S] [--input-shape x=3,64,64]
//              [-O0|-O2] [--conv-algorithm [SCOPE=]ALG ...]
//
// `--input x=a.npy,b.npy --output y=ya.npy,yb.npy` runs the model once per
// file of the lists (batch 1 then batch 3, say) on one compile.
//
// Compiles the model through the same pipeline and lowering as `cnnopt -o` (JIT for the
// host), loads the weights by state_dict name (or PyTorch's default
// initialisers), checks every input against the model's signature, runs
// and writes the outputs. The parameters are packed once (folded batch
// norms, transformed weights), as a C program's M_context_create does.
// `--bench N` prints the median latency of N runs (`--profile`: and each
// stage's); `--threads T` sets the threads the generated code runs on
// (default: one per core).
//
// Training (tools/cnnopt-run/Training.h): the model's train declaration,
//   cnnopt-run MODEL.cnn --train-steps K [--lr LR] [--seed S] [--weights W]
//              --input x=X.npy --input labels=Y.npy [--output loss=L.npy]
//              [--output x.grad=G.npy ...] [--save-weights OUT.safetensors]
//              [--bench N] [--profile]
// runs K steps on one batch, writes the loss of each step ([K]), the last
// step's derivatives with respect to inputs and parameters (`NAME.grad`),
// and the trained state_dict; `--bench N` times N more steps.
//===----------------------------------------------------------------------===//

#include "codegen/CnnToKernelSpecs.h"
#include "codegen/HalideTarget.h"
#include "codegen/JitRunner.h"
#include "tools/common/Npy.h"
#include "codegen/ParamTable.h"
#include "tools/common/ModelLoader.h"
#include "tools/common/OptimizationFlags.h"
#include "tools/cnnopt-run/Training.h"

#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <map>

namespace cl = llvm::cl;
using cnnopt::codegen::HostTensor;
using cnnopt::codegen::KernelProgram;

namespace {

const std::string kTool = "cnnopt-run";

cl::OptionCategory category("cnnopt-run options");
cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.cnn>"), cl::Required,
                               cl::cat(category));
cl::opt<std::string> modelName("model", cl::desc("The model to run when the file defines several"),
                               cl::value_desc("name"), cl::cat(category));
cl::opt<std::string> weightsFile("weights",
                                 cl::desc("Parameters by state_dict name (.safetensors); "
                                          "without it, PyTorch's default initialisers"),
                                 cl::value_desc("file"), cl::cat(category));
cl::list<std::string> inputs("input",
                             cl::desc("A model input from a .npy file (a list: one run each)"),
                             cl::value_desc("name=file.npy[,file.npy...]"), cl::cat(category));
cl::list<std::string> outputs("output", cl::desc("Write a model output to a .npy file"),
                              cl::value_desc("name=file.npy[,file.npy...]"), cl::cat(category));
cl::opt<unsigned> benchRuns("bench", cl::desc("Time N runs and print the median latency (with "
                                              "--train-steps K: N more steps after the K)"),
                            cl::value_desc("N"), cl::init(0), cl::cat(category));
cl::opt<bool> profile("profile",
                      cl::desc("With --bench: also print each stage's median time, slowest first"),
                      cl::cat(category));
cl::opt<uint64_t> seed("seed", cl::desc("Seed of the default initialisers"), cl::init(0),
                       cl::cat(category));
cl::opt<std::string> target("target", cl::desc("Halide target (default: host)"),
                            cl::init("host"), cl::cat(category));
cl::opt<unsigned> trainSteps("train-steps",
                             cl::desc("Run K training steps on the inputs (the model's train "
                                      "declaration) instead of inference"),
                             cl::value_desc("K"), cl::init(0), cl::cat(category));
cl::opt<float> learningRate("lr", cl::desc("With --train-steps: the learning rate (default 0.01)"),
                            cl::value_desc("LR"), cl::init(0.01f), cl::cat(category));
cl::opt<std::string> saveWeights("save-weights",
                                 cl::desc("With --train-steps: write the trained state_dict "
                                          "(.safetensors)"),
                                 cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> gradCam("grad-cam",
                             cl::desc("Run the Grad-CAM map of the layer named SCOPE (inputs: "
                                      "the model's and class; output: heatmap)"),
                             cl::value_desc("SCOPE"), cl::cat(category));
cl::list<std::string> inputShapes("input-shape",
                                  cl::desc("Override an input's non-batch dimensions"),
                                  cl::value_desc("name=d1,d2,..."), cl::cat(category));

/// Files by tensor name, for one run of the model.
using Bindings = std::map<std::string, std::string>;

/// Splits `name=path[,path...]` options into one Bindings per run; fails on
/// a malformed or repeated name, or lists of different lengths.
bool parseBindings(const char *flag, const std::vector<std::string> &specs,
                   std::vector<Bindings> &runs) {
  for (const std::string &spec : specs) {
    auto [name, paths] = llvm::StringRef(spec).split('=');
    llvm::SmallVector<llvm::StringRef> files;
    paths.split(files, ',');
    if (name.empty() || paths.empty() ||
        llvm::any_of(files, [](llvm::StringRef f) { return f.empty(); })) {
      cnnopt::tools::fail(kTool, llvm::Twine(flag) + " expects name=file.npy[,file.npy...], got '" +
                                     spec + "'");
      return false;
    }
    if (runs.empty())
      runs.resize(files.size());
    if (runs.size() != files.size()) {
      cnnopt::tools::fail(kTool, llvm::Twine(flag) + " '" + name + "' lists " +
                                     llvm::Twine(files.size()) + " files, the others " +
                                     llvm::Twine(runs.size()));
      return false;
    }
    for (size_t r = 0; r < files.size(); ++r)
      if (!runs[r].emplace(name.str(), files[r].str()).second) {
        cnnopt::tools::fail(kTool, llvm::Twine(flag) + " '" + name + "' is given twice");
        return false;
      }
  }
  return true;
}

/// "[N, 3, 32, 32]" with the batch as N.
std::string formatShape(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t k = 0; k < shape.size(); ++k)
    s += (k ? ", " : "") + (shape[k] == cnnopt::kDynamic ? std::string("N") : std::to_string(shape[k]));
  return s + "]";
}

/// NumPy's name of an .npy dtype code ("i4" -> "int32").
std::string dtypeName(const std::string &code) {
  if (code == "f4")
    return "float32";
  if (code == "f8")
    return "float64";
  if (code == "i4")
    return "int32";
  if (code == "i8")
    return "int64";
  return code;
}

/// Names of `ios` for messages: "x, labels".
template <typename IOs> std::string namesOf(const IOs &ios) {
  std::vector<std::string> names;
  for (const auto &io : ios)
    names.push_back(io.name);
  return llvm::join(names, ", ");
}

/// Whether the model has an input or output called `name`.
template <typename IOs> bool hasNamed(const IOs &ios, const std::string &name) {
  return std::any_of(ios.begin(), ios.end(), [&](const auto &io) { return io.name == name; });
}

/// Reads and checks every model input; the batch must agree across inputs.
bool readInputs(const KernelProgram &program, const std::map<std::string, std::string> &files,
                std::vector<HostTensor> &out) {
  for (const auto &[name, path] : files)
    if (!hasNamed(program.inputs, name))
      return cnnopt::tools::fail(kTool, "model " + program.name + " has no input '" + name +
                                            "' (its inputs: " + namesOf(program.inputs) + ")"),
             false;
  int64_t batch = -1;
  for (const auto &io : program.inputs) {
    auto file = files.find(io.name);
    if (file == files.end())
      return cnnopt::tools::fail(kTool, "missing --input for '" + io.name + "' (model " +
                                            program.name + " takes: " + namesOf(program.inputs) + ")"),
             false;
    cnnopt::npy::Array array;
    std::string error;
    if (!cnnopt::npy::read(file->second, array, error))
      return cnnopt::tools::fail(kTool, error), false;
    const cnnopt::TensorType &type = program.values[io.value];
    bool wantInt = type.dtype != cnnopt::DType::F32;
    bool isInt = array.dtype == "i4" || array.dtype == "i8";
    if (wantInt != isInt)
      return cnnopt::tools::fail(kTool, "input '" + io.name + "' must be " +
                                            (wantInt ? "int32" : "float32") + ", " +
                                            file->second + " holds " + dtypeName(array.dtype)),
             false;
    bool fits = array.shape.size() == type.shape.size();
    for (size_t a = 0; fits && a < type.shape.size(); ++a)
      fits = type.shape[a] == cnnopt::kDynamic ? array.shape[a] >= 1
                                               : array.shape[a] == type.shape[a];
    if (!fits)
      return cnnopt::tools::fail(kTool, "input '" + io.name + "' must have shape " +
                                            formatShape(type.shape) + ", " + file->second +
                                            " has " + formatShape(array.shape)),
             false;
    if (!type.shape.empty() && type.shape[0] == cnnopt::kDynamic) {
      if (batch >= 0 && array.shape[0] != batch)
        return cnnopt::tools::fail(kTool, "input '" + io.name + "' has batch " +
                                              std::to_string(array.shape[0]) +
                                              ", the other inputs " + std::to_string(batch)),
               false;
      batch = array.shape[0];
    }
    HostTensor t;
    t.shape = array.shape;
    t.isInt = wantInt;
    std::vector<float> values = cnnopt::npy::asFloat(array);
    if (wantInt)
      t.ints.assign(values.begin(), values.end());
    else
      t.floats = std::move(values);
    out.push_back(std::move(t));
  }
  return true;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// One line per stage, slowest first: median and fastest ms, share of the
/// medians' total, step number and the tensor it stores.
void printProfile(const std::vector<std::string> &names,
                  const std::vector<std::vector<double>> &times) {
  std::vector<std::pair<double, size_t>> rows;
  double total = 0;
  for (size_t s = 0; s < names.size(); ++s) {
    rows.push_back({median(times[s]), s});
    total += rows.back().first;
  }
  std::sort(rows.rbegin(), rows.rend());
  llvm::outs() << llvm::format("stage medians (sum %.3f ms), fastest runs:\n", total);
  for (const auto &[ms, s] : rows)
    llvm::outs() << llvm::format("  %9.3f ms %9.3f ms %5.1f%%  step %3zu  %s\n", ms,
                                 *std::min_element(times[s].begin(), times[s].end()),
                                 total > 0 ? 100 * ms / total : 0.0, s, names[s].c_str());
}

/// --train-steps K: K steps of the model's training step on one batch.
int runTraining(cnnopt::tools::ModelLoader &loader, const cnnopt::ModelGraph &model,
                const std::vector<Bindings> &inputRuns, const std::vector<Bindings> &outputRuns,
                int threads) {
  if (inputRuns.size() != 1)
    return cnnopt::tools::fail(kTool, "--train-steps runs on one batch: give one file per input");
  auto func = loader.module().lookupSymbol<mlir::func::FuncOp>(model.name + "_train_step");
  if (!func)
    return cnnopt::tools::fail(kTool, "model " + model.name + " has no train declaration; "
                                      "--train-steps needs one (DSL.md, 'train')");
  std::optional<KernelProgram> step = cnnopt::codegen::describeModel(func);
  if (!step)
    return 1;
  for (const auto &[name, path] : outputRuns.front())
    if (name != "loss" && !hasNamed(step->outputs, name))
      return cnnopt::tools::fail(kTool, "--train-steps writes the output 'loss' (one value per "
                                        "step) and '<input or parameter>.grad' (the last "
                                        "step's derivatives), not '" + name + "'");
  std::vector<float> params;
  std::string message;
  if (!cnnopt::codegen::loadParams(*step, weightsFile, seed, params, message))
    return cnnopt::tools::fail(kTool, message);
  // The inputs a caller gives: the model's and the train declaration's.
  KernelProgram data = *step;
  data.name = model.name;
  data.inputs.clear();
  for (const cnnopt::codegen::KernelIO &input : step->inputs)
    if (cnnopt::tools::isDataInput(*step, input))
      data.inputs.push_back(input);
  std::vector<HostTensor> tensors;
  if (!readInputs(data, inputRuns.front(), tensors))
    return 1;
  cnnopt::tools::TrainingRun run;
  // --bench N: N more steps, timed, after the K steps.
  run.steps = trainSteps + benchRuns;
  std::vector<double> stepTimes;
  run.stepMilliseconds = &stepTimes;
  run.lr = learningRate;
  run.seed = int32_t(seed);
  for (size_t k = 0; k < data.inputs.size(); ++k)
    run.data[data.inputs[k].name] = std::move(tensors[k]);
  if (!cnnopt::tools::checkLabels(*step, run.data, message))
    return cnnopt::tools::fail(kTool, "training failed: " + message);

  cnnopt::codegen::setJitThreads(threads);
  std::unique_ptr<cnnopt::codegen::JitModel> jit =
      cnnopt::codegen::JitModel::compile(*step, target, message);
  if (!jit)
    return cnnopt::tools::fail(kTool, "code generation failed: " + message);
  jit->setProfiling(profile);

  std::vector<float> losses;
  std::vector<HostTensor> last;
  if (!cnnopt::tools::runTrainingSteps(*jit, *step, run, params, losses, last, message))
    return cnnopt::tools::fail(kTool, "training failed: " + message);
  if (benchRuns > 0) {
    losses.resize(trainSteps);
    std::vector<double> timed(stepTimes.begin() + trainSteps, stepTimes.end());
    llvm::outs() << llvm::format("median step: %.3f ms over %u steps (after %u)\n",
                                 median(timed), unsigned(benchRuns), unsigned(trainSteps));
  }
  for (size_t k = 0; k < step->outputs.size(); ++k) {
    auto grad = outputRuns.front().find(step->outputs[k].name);
    std::string writeError;
    if (grad != outputRuns.front().end() && grad->first != "loss" &&
        !cnnopt::npy::write(grad->second,
                            cnnopt::npy::fromFloat(last[k].shape, last[k].floats), writeError))
      return cnnopt::tools::fail(kTool, writeError);
  }
  auto file = outputRuns.front().find("loss");
  std::string writeError;
  if (file == outputRuns.front().end()) {
    for (size_t k = 0; k < losses.size(); ++k)
      llvm::outs() << llvm::format("step %zu loss %.6f\n", k + 1, losses[k]);
  } else if (!cnnopt::npy::write(file->second,
                                 cnnopt::npy::fromFloat({int64_t(losses.size())}, losses),
                                 writeError)) {
    return cnnopt::tools::fail(kTool, writeError);
  }
  if (profile) {
    std::vector<std::vector<double>> times;
    for (double ms : jit->stageMilliseconds())
      times.push_back({ms});
    printProfile(jit->stageNames(), times);
  }
  if (!saveWeights.empty()) {
    std::vector<cnnopt_param_info> table = cnnopt::codegen::paramTable(*step);
    char error[1024];
    if (cnnopt_save_safetensors(saveWeights.c_str(), table.data(), int(table.size()),
                                params.data(), error, sizeof(error)))
      return cnnopt::tools::fail(kTool, error);
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::registerPassManagerCLOptions(); // --mlir-print-ir-after-all
  // LLVM's libraries register an undocumented --threads of their own;
  // it moves aside so that --threads is the generated code's thread count.
  if (cl::Option *foreign = cl::getRegisteredOptions().lookup("threads"))
    foreign->setArgStr("llvm-threads");
  static cl::opt<unsigned> threads(
      "threads", cl::desc("Threads the generated code runs on (default 0: one per core)"),
      cl::value_desc("T"), cl::init(0), cl::cat(category));
  cl::HideUnrelatedOptions({&category, &cnnopt::tools::optimizationCategory()});
  cl::ParseCommandLineOptions(argc, argv, "cnnopt-run: run a model on .npy inputs\n");

  if (profile && benchRuns == 0 && trainSteps == 0)
    return cnnopt::tools::fail(kTool, "--profile times the runs of --bench N (or the last of "
                                      "--train-steps K): add one");
  cnnopt::FrontendOptions options;
  std::vector<Bindings> inputRuns, outputRuns;
  if (!cnnopt::tools::parseShapeOverrides(kTool, inputShapes, options) ||
      !parseBindings("--input", inputs, inputRuns) ||
      !parseBindings("--output", outputs, outputRuns))
    return 1;
  std::optional<cnnopt::OptimizationOptions> optimization =
      cnnopt::tools::optimizationOptions(kTool);
  if (!optimization)
    return 1;
  if (inputRuns.empty())
    inputRuns.resize(1); // a model without inputs, or the error for them
  if (!outputRuns.empty() && outputRuns.size() != inputRuns.size())
    return cnnopt::tools::fail(kTool, "--output lists " + std::to_string(outputRuns.size()) +
                                          " files per name, --input " +
                                          std::to_string(inputRuns.size()));
  outputRuns.resize(inputRuns.size());
  cnnopt::tools::ModelLoader loader(kTool, inputFile);
  if (!loader.load(options))
    return 1;
  const cnnopt::ModelGraph *model = loader.select(modelName);
  if (!cnnopt::codegen::isValidTarget(target))
    return cnnopt::tools::fail(kTool, "unknown Halide target '" + target +
                                          "' (e.g. host, x86-64-linux-avx2, arm-64-linux)");
  optimization->vectorWidth = cnnopt::codegen::floatVectorWidth(target);
  optimization->train = trainSteps > 0;
  optimization->gradCamScope = gradCam;
  optimization->model = model ? model->name : "";
  // `--output x.grad=...`: the steps also return derivatives.
  for (const auto &[name, path] : outputRuns.front())
    optimization->gradients |= llvm::StringRef(name).ends_with(".grad");
  if (!model || !loader.optimize(*optimization))
    return 1;
  if (trainSteps > 0)
    return runTraining(loader, *model, inputRuns, outputRuns, int(threads));
  mlir::func::FuncOp func = loader.function(*model);
  if (!gradCam.empty())
    func = loader.module().lookupSymbol<mlir::func::FuncOp>(model->name + "_grad_cam");
  std::optional<KernelProgram> program = cnnopt::codegen::describeModel(func);
  if (!program)
    return 1;

  for (const auto &[name, path] : outputRuns.front())
    if (!hasNamed(program->outputs, name))
      return cnnopt::tools::fail(kTool, "model " + program->name + " has no output '" + name +
                                            "' (its outputs: " + namesOf(program->outputs) + ")");
  // Output files that cannot be written fail before the run, not after it.
  for (const Bindings &run : outputRuns)
    for (const auto &[name, path] : run)
      if (llvm::sys::fs::is_directory(path))
        return cnnopt::tools::fail(kTool, path + ": cannot write: it is a directory");

  std::vector<float> params;
  std::string message;
  if (!cnnopt::codegen::loadParams(*program, weightsFile, seed, params, message,
                                   &loader.program().paramValues))
    return cnnopt::tools::fail(kTool, message);

  // Every run's inputs are checked before the (slow) compile.
  std::vector<std::vector<HostTensor>> inputTensors(inputRuns.size());
  for (size_t r = 0; r < inputRuns.size(); ++r)
    if (!readInputs(*program, inputRuns[r], inputTensors[r]))
      return 1;

  cnnopt::codegen::setJitThreads(int(threads));
  std::unique_ptr<cnnopt::codegen::JitModel> jit =
      cnnopt::codegen::JitModel::compile(*program, target, message);
  if (!jit)
    return cnnopt::tools::fail(kTool, "code generation failed: " + message);
  if (!jit->setParams(params, message))
    return cnnopt::tools::fail(kTool, "packing the parameters failed: " + message);
  std::vector<HostTensor> results;
  for (size_t r = 0; r < inputRuns.size(); ++r) {
    if (!jit->run(inputTensors[r], results, message))
      return cnnopt::tools::fail(kTool, "run failed: " + message);
    for (size_t k = 0; k < program->outputs.size(); ++k) {
      const std::string &name = program->outputs[k].name;
      auto file = outputRuns[r].find(name);
      if (file == outputRuns[r].end()) {
        llvm::outs() << name << " " << formatShape(results[k].shape) << "\n";
        continue;
      }
      std::string writeError;
      if (!cnnopt::npy::write(file->second,
                              cnnopt::npy::fromFloat(results[k].shape, results[k].floats),
                              writeError))
        return cnnopt::tools::fail(kTool, writeError);
    }
  }

  if (benchRuns > 0) {
    std::vector<double> times;
    std::vector<std::vector<double>> stageTimes(jit->stageNames().size());
    jit->setProfiling(profile);
    for (unsigned r = 0; r < benchRuns; ++r) {
      auto start = std::chrono::steady_clock::now();
      if (!jit->run(inputTensors.front(), results, message))
        return cnnopt::tools::fail(kTool, "run failed: " + message);
      times.push_back(std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - start).count());
      for (size_t s = 0; profile && s < stageTimes.size(); ++s)
        stageTimes[s].push_back(jit->stageMilliseconds()[s]);
    }
    llvm::outs() << llvm::format("median latency: %.3f ms over %u runs\n", median(times),
                                 unsigned(benchRuns));
    if (profile)
      printProfile(jit->stageNames(), stageTimes);
  }
  return 0;
}
