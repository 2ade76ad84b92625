//===- cnnopt.cpp - The cnnopt compiler driver ----------------------------===//
//
// Reads a `.cnn` file, elaborates it into the cnn dialect and runs the
// requested stage:
//
//   cnnopt model.cnn --emit=mlir          the module (every model), optimised
//   cnnopt model.cnn --emit=kernels       what code generation receives
//   cnnopt model.cnn --print-params       state_dict keys and shapes
//   cnnopt model.cnn --print-stats [--json]
//   cnnopt model.cnn -o model.o [--weights w.safetensors] [--target T]
//                                          model.o + model.h (C API)
//   cnnopt model.cnn --emit=lib|header|halide-stmt|assembly [-o FILE]
//   cnnopt model.cnn --emit=dot [-o FILE]  the graph for Graphviz
//   cnnopt model.cnn --train -o model.o   also <model>_train_step (the
//                                          model's train declaration)
//   cnnopt model.cnn --grad-cam SCOPE -o cam.o   <model>_grad_cam instead
//
// The optimisation pipeline (passes/Pipelines.cpp) runs between loading and
// everything but --print-stats/--print-params, which describe the model as
// written (--print-stats then plans the optimised code for its peak
// activation memory); -O0 runs none of it.
//
// Errors are printed as `file:line:col: error: ...` and exit with code 1.
//===----------------------------------------------------------------------===//

#include "codegen/CnnToKernelSpecs.h"
#include "codegen/HalideTarget.h"
#include "codegen/HeaderWriter.h"
#include "codegen/ModuleEmitter.h"
#include "codegen/ParamTable.h"
#include "dialect/ArgAttrs.h"
#include "passes/ModelStats.h"
#include "tools/cnnopt/EmitCnn.h"
#include "tools/cnnopt/GraphDot.h"
#include "tools/cnnopt/OutputFiles.h"
#include "tools/cnnopt/PeakMemory.h"
#include "tools/common/ModelLoader.h"
#include "tools/common/OptimizationFlags.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <functional>
#include <memory>


namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("cnnopt options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.cnn>"),
                               cl::Required, cl::cat(category));

cl::opt<std::string> modelName(
    "model", cl::desc("The model to use when the file defines several"),
    cl::value_desc("name"), cl::cat(category));

enum class Emit { None, Mlir, Cnn, Dot, Kernels, Obj, Lib, Header, HalideStmt, Assembly };
cl::opt<Emit> emit(
    "emit", cl::desc("Output to produce (default with -o: obj)"), cl::init(Emit::None),
    cl::values(clEnumValN(Emit::Mlir, "mlir", "the cnn dialect module (all models)"),
               clEnumValN(Emit::Cnn, "cnn",
                          ".cnn source of the model as loaded (all models without --model); "
                          "with -o, an ONNX file's weights go beside it as .safetensors"),
               clEnumValN(Emit::Dot, "dot",
                          "the model's graph for Graphviz (optimised; -O0: as written)"),
               clEnumValN(Emit::Kernels, "kernels", "the kernels code generation receives"),
               clEnumValN(Emit::Obj, "obj", "an object file and its C header"),
               clEnumValN(Emit::Lib, "lib", "a static library and its C header"),
               clEnumValN(Emit::Header, "header", "only the C header"),
               clEnumValN(Emit::HalideStmt, "halide-stmt", "Halide's lowered statement"),
               clEnumValN(Emit::Assembly, "assembly", "the generated assembly")),
    cl::cat(category));

cl::opt<std::string> outputFile("o", cl::desc("Output file; with obj/lib the header is "
                                              "written beside it (model.o -> model.h)"),
                                cl::value_desc("file"), cl::cat(category));

cl::opt<std::string> weightsFile(
    "weights", cl::desc("Embed these parameters (.safetensors, by state_dict name)"),
    cl::value_desc("file"), cl::cat(category));

cl::opt<std::string> target("target",
                            cl::desc("Halide target: host, x86-64-linux-avx2, arm-64-linux, ..."),
                            cl::init("host"), cl::cat(category));

cl::opt<int> jobs("jobs",
                  cl::desc("Threads compiling an object or library (default 0: one per core; 1 "
                           "compiles the model as one module, bit-for-bit reproducible)"),
                  cl::init(0), cl::cat(category));

cl::opt<bool> train("train",
                    cl::desc("Also compile the model's training step (its train declaration): "
                             "<model>_train_step in the header"),
                    cl::cat(category));

cl::opt<std::string> gradCam("grad-cam",
                             cl::desc("Compile the Grad-CAM map of the layer named SCOPE instead "
                                      "of the forward pass: <model>_grad_cam(x, class, batch, "
                                      "params, heatmap)"),
                             cl::value_desc("SCOPE"), cl::cat(category));

cl::opt<bool> printStats(
    "print-stats",
    cl::desc("Per-layer shape, parameters, MACs and receptive field; torchinfo's "
             "summary; the generated code's peak activation memory"),
    cl::cat(category));

cl::opt<bool> json("json", cl::desc("With --print-stats: print JSON"),
                   cl::cat(category));

cl::opt<bool> printParams(
    "print-params", cl::desc("List state_dict names and shapes in order"),
    cl::cat(category));

cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("Override an input's non-batch dimensions, e.g. x=3,64,64 "
             "(to run large models at a small size)"),
    cl::value_desc("name=d1,d2,..."), cl::cat(category));

void printParamList(mlir::func::FuncOp func) {
  int64_t total = 0;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    auto param = func.getArgAttrOfType<mlir::StringAttr>(i, cnnopt::kParamAttr);
    auto buffer = func.getArgAttrOfType<mlir::StringAttr>(i, cnnopt::kBufferAttr);
    if (!param && !buffer)
      continue;
    auto type = llvm::cast<mlir::RankedTensorType>(func.getArgumentTypes()[i]);
    llvm::outs() << (param ? param : buffer).getValue() << " [";
    llvm::interleaveComma(type.getShape(), llvm::outs());
    llvm::outs() << "]\n";
    if (param)
      total += type.getNumElements();
  }
  llvm::outs() << "total parameters: " << total << "\n";
}

/// `dir/model.o` -> `dir/model.h`
std::string headerPathFor(const std::string &output) {
  llvm::SmallString<256> path(output);
  llvm::sys::path::replace_extension(path, ".h");
  return path.str().str();
}

/// Writes `text` into `file`; false with `error` on failure.
bool writeFile(const std::string &file, const std::string &text, std::string &error) {
  std::error_code ec;
  llvm::raw_fd_ostream os(file, ec);
  if (!ec) {
    os << text;
    os.close();
    ec = os.error();
  }
  if (ec)
    error = ec.message();
  return !ec;
}

/// Progress of a long compile on a terminal: "lowering 12 of 87 (name)",
/// rewritten in place, once the compile has run for two seconds; nothing
/// when stderr is a file or a pipe.
std::function<void(int, int, const std::string &)> progressReporter() {
  if (!llvm::sys::Process::StandardErrIsDisplayed())
    return {};
  auto start = std::chrono::steady_clock::now();
  auto shown = std::make_shared<bool>(false);
  return [start, shown](int n, int of, const std::string &name) {
    if (std::chrono::steady_clock::now() - start < std::chrono::seconds(2))
      return;
    *shown = true;
    if (of > 0)
      llvm::errs() << llvm::format("\r\033[Kcnnopt: lowering %d of %d (%s)", n, of,
                                   name.c_str());
    else
      llvm::errs() << "\r\033[Kcnnopt: generating " << name << "\n";
  };
}

/// A text artifact (the module, the header alone) on stdout, or written to
/// -o's file under a scratch name and renamed into place.
int emitText(const std::string &text) {
  if (outputFile.empty()) {
    llvm::outs() << text;
    return 0;
  }
  cnnopt::tools::OutputFiles outputs;
  std::string error;
  std::string scratch = outputs.add(outputFile, error);
  if (scratch.empty())
    return cnnopt::tools::fail("cnnopt", error);
  if (!writeFile(scratch, text, error))
    return cnnopt::tools::fail("cnnopt", "cannot write " + outputFile + ": " + error);
  return outputs.commit(error) ? 0 : cnnopt::tools::fail("cnnopt", error);
}

/// --emit=mlir: the module after the pipeline.
int printModule(mlir::ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os, mlir::OpPrintingFlags());
  os << "\n";
  return emitText(text);
}

/// The generated code's memory for the tensors between stages at batch 1,
/// from the plan code generation would follow; -1 (and an error printed) if
/// the model cannot be planned.
int64_t peakActivationBytes(mlir::func::FuncOp func) {
  std::optional<cnnopt::codegen::KernelProgram> program = cnnopt::codegen::describeModel(func);
  if (!program)
    return -1;
  cnnopt::codegen::ExecutionPlan plan;
  std::string error;
  if (!cnnopt::codegen::planModel(*program, target, plan, error)) {
    cnnopt::tools::fail("cnnopt", "cannot plan the generated code: " + error);
    return -1;
  }
  return cnnopt::tools::arenaBytes(plan, 1);
}

/// -o / --emit: the object or library with its header, or one text artifact.
/// Every file is written under a scratch name and renamed into place once
/// all are complete (OutputFiles), so an error or an interrupt never leaves
/// a partial file or a new object beside an old header.
int generateCode(mlir::func::FuncOp func, mlir::func::FuncOp trainStep,
                 const cnnopt::codegen::ParamValues &carriedWeights) {
  std::optional<cnnopt::codegen::KernelProgram> program = cnnopt::codegen::describeModel(func);
  if (!program)
    return 1;
  std::optional<cnnopt::codegen::KernelProgram> step;
  if (trainStep && !(step = cnnopt::codegen::describeModel(trainStep)))
    return 1;
  if (emit == Emit::Kernels) {
    llvm::outs() << cnnopt::codegen::formatProgram(*program);
    if (step)
      llvm::outs() << "\n" << cnnopt::codegen::formatProgram(*step);
    return 0;
  }
  std::vector<float> weights;
  std::string error;
  // An ONNX file carries its weights: they are embedded like --weights.
  bool embed = !weightsFile.empty() || !carriedWeights.empty();
  if (embed && !cnnopt::codegen::loadParams(*program, weightsFile, 0, weights, error,
                                            &carriedWeights))
    return cnnopt::tools::fail("cnnopt", error);

  // Without -o (a header on stdout) the banner names the default files.
  std::string object = outputFile.empty() ? program->name + ".o" : outputFile.getValue();
  cnnopt::codegen::HeaderOptions headerOptions;
  headerOptions.sourceFile = llvm::sys::path::filename(inputFile).str();
  headerOptions.objectFile = llvm::sys::path::filename(object).str();
  headerOptions.headerFile = llvm::sys::path::filename(
      emit == Emit::Header && !outputFile.empty() ? outputFile.getValue()
                                                  : headerPathFor(object)).str();
  headerOptions.embeddedWeights = embed;
  headerOptions.gpu = cnnopt::codegen::isGpuTarget(target);
  headerOptions.gradCam = !gradCam.empty();
  const float *embedded = embed ? weights.data() : nullptr;
  cnnopt::codegen::ExecutionPlan plan;
  if (!cnnopt::codegen::planModel(*program, target, plan, error))
    return cnnopt::tools::fail("cnnopt", "code generation failed: " + error);
  headerOptions.plan = &plan;
  cnnopt::codegen::ExecutionPlan trainPlan;
  if (step) {
    if (!cnnopt::codegen::planModel(*step, target, trainPlan, error))
      return cnnopt::tools::fail("cnnopt", "code generation failed: " + error);
    headerOptions.trainProgram = &*step;
    headerOptions.trainPlan = &trainPlan;
  }
  headerOptions.pipelineSymbol =
      cnnopt::codegen::pipelineSymbol(*program, headerOptions, target, embedded);
  headerOptions.trainSymbol = headerOptions.pipelineSymbol + "_train";
  std::string header = cnnopt::codegen::writeHeader(*program, headerOptions);
  if (emit == Emit::Header)
    return emitText(header);

  // Scratch names for every file first: a destination that cannot be
  // written fails before the compile, not between two renames.
  cnnopt::tools::OutputFiles outputs;
  std::string scratch, headerScratch;
  if (!outputFile.empty()) {
    scratch = outputs.add(outputFile, error);
    if (scratch.empty())
      return cnnopt::tools::fail("cnnopt", error);
  }
  if (emit == Emit::Obj || emit == Emit::Lib) {
    headerScratch = outputs.add(headerPathFor(outputFile), error);
    if (headerScratch.empty())
      return cnnopt::tools::fail("cnnopt", error);
  }

  cnnopt::codegen::EmitRequest request;
  request.kind = emit == Emit::Obj        ? cnnopt::codegen::ArtifactKind::Object
                 : emit == Emit::Lib      ? cnnopt::codegen::ArtifactKind::StaticLibrary
                 : emit == Emit::Assembly ? cnnopt::codegen::ArtifactKind::Assembly
                                          : cnnopt::codegen::ArtifactKind::Stmt;
  request.target = target;
  request.symbol = headerOptions.pipelineSymbol;
  request.weights = embedded;
  request.path = scratch;
  request.jobs = jobs;
  request.progress = progressReporter();
  if (step) {
    request.trainProgram = &*step;
    request.trainSymbol = headerOptions.trainSymbol;
  }
  // A text artifact for stdout goes through a uniquely named temporary
  // file, removed on return and on interrupts.
  llvm::SmallString<128> printed;
  std::optional<llvm::FileRemover> removePrinted;
  if (outputFile.empty()) {
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile("cnnopt", "txt", printed))
      return cnnopt::tools::fail("cnnopt", "cannot create a temporary file: " + ec.message());
    llvm::sys::RemoveFileOnSignal(printed);
    removePrinted.emplace(printed);
    request.path = printed.str().str();
  }
  if (!cnnopt::codegen::emitModule(*program, request, error))
    return cnnopt::tools::fail("cnnopt", "code generation failed: " + error);
  if (outputFile.empty()) {
    auto text = llvm::MemoryBuffer::getFile(request.path);
    if (!text)
      return cnnopt::tools::fail("cnnopt", "cannot read " + request.path + ": " +
                                               text.getError().message());
    llvm::outs() << (*text)->getBuffer();
    return 0;
  }
  if (!headerScratch.empty() && !writeFile(headerScratch, header, error))
    return cnnopt::tools::fail("cnnopt",
                               "cannot write " + headerPathFor(outputFile) + ": " + error);
  if (!outputs.commit(error))
    return cnnopt::tools::fail("cnnopt", error);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // --mlir-print-debuginfo and friends, for tests that check locations.
  mlir::registerAsmPrinterCLOptions();
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  cl::HideUnrelatedOptions({&category, &cnnopt::tools::optimizationCategory()});
  cl::AddExtraVersionPrinter([](llvm::raw_ostream &os) {
    os << "cnnopt: Halide host target " << cnnopt::codegen::hostTargetString()
       << "\n";
  });
  cl::ParseCommandLineOptions(argc, argv, "cnnopt: a compiler for CNN models\n");

  cnnopt::FrontendOptions options;
  if (!cnnopt::tools::parseShapeOverrides("cnnopt", inputShapes, options))
    return 1;
  std::optional<cnnopt::OptimizationOptions> optimization =
      cnnopt::tools::optimizationOptions("cnnopt");
  if (!optimization)
    return 1;
  cnnopt::tools::ModelLoader loader("cnnopt", inputFile);
  if (!loader.load(options))
    return 1;

  if (!outputFile.empty() && emit == Emit::None)
    emit = Emit::Obj;
  bool generatesCode = emit != Emit::None && emit != Emit::Mlir && emit != Emit::Cnn;
  if (emit == Emit::Dot && train)
    return cnnopt::tools::fail("cnnopt", "--emit=dot draws the model's forward graph; drop "
                                         "--train");
  if (emit == Emit::Kernels && !outputFile.empty())
    return cnnopt::tools::fail("cnnopt", "--emit=kernels prints to stdout; drop -o");
  if ((emit == Emit::Obj || emit == Emit::Lib) && outputFile.empty())
    return cnnopt::tools::fail("cnnopt", "--emit=obj and --emit=lib need -o FILE");
  if (!outputFile.empty()) {
    llvm::StringRef dir = llvm::sys::path::parent_path(outputFile);
    if (!dir.empty() && !llvm::sys::fs::is_directory(dir))
      return cnnopt::tools::fail("cnnopt", "cannot write " + outputFile + ": directory '" +
                                               dir + "' does not exist");
  }
  if (jobs < 0)
    return cnnopt::tools::fail("cnnopt", "--jobs must be 0 (one per core) or more, not " +
                                             std::to_string(jobs));
  if (!cnnopt::codegen::isValidTarget(target))
    return cnnopt::tools::fail("cnnopt", "unknown Halide target '" + target +
                                             "' (e.g. host, x86-64-linux-avx2, arm-64-linux)");

  // --model is checked even when only --emit=mlir (which prints every model)
  // is asked for, so a misspelt name never passes silently.
  bool needsModel = printStats || printParams || generatesCode || emit == Emit::Dot;
  const cnnopt::ModelGraph *model = nullptr;
  if (needsModel || !modelName.empty()) {
    model = loader.select(modelName);
    if (!model)
      return 1;
  }
  // The model as written: its statistics and state_dict, before any pass.
  mlir::func::FuncOp func = model ? loader.function(*model) : nullptr;
  if (printParams)
    printParamList(func);
  std::optional<cnnopt::ModelStats> stats;
  if (printStats)
    stats = cnnopt::computeModelStats(func);
  if (emit == Emit::None && !printStats)
    return 0;
  // --emit=cnn prints the program as loaded: no pipeline, unless the
  // statistics' peak memory needs it (then it follows them).
  if (emit == Emit::Cnn && !stats)
    return cnnopt::tools::emitCnn(loader.program(), model, inputFile, outputFile);
  if (emit != Emit::None && train && !weightsFile.empty())
    return cnnopt::tools::fail("cnnopt", "--train updates the parameters at run time; it does "
                                         "not combine with --weights (embedded weights)");
  optimization->vectorWidth = cnnopt::codegen::floatVectorWidth(target);
  optimization->train = train;
  optimization->gradCamScope = gradCam;
  optimization->model = model ? model->name : "";
  if (!gradCam.empty() && train)
    return cnnopt::tools::fail("cnnopt", "--grad-cam and --train are separate compiles");
  if (!loader.optimize(*optimization))
    return 1;
  if (stats) {
    // The as-written statistics, with what the optimised code will hold.
    // A model that cannot be planned still gets the rest, and exit code 1.
    stats->peakActivationBytes = peakActivationBytes(loader.function(*model));
    if (json)
      cnnopt::printStatsJson(*stats, llvm::outs());
    else
      cnnopt::printStatsTable(*stats, llvm::outs());
    if (stats->peakActivationBytes < 0)
      return 1;
  }
  if (emit == Emit::None)
    return 0;
  if (emit == Emit::Cnn)
    return cnnopt::tools::emitCnn(loader.program(), model, inputFile, outputFile);
  if (emit == Emit::Dot)
    return emitText(cnnopt::tools::graphToDot(loader.function(*model)));
  if (emit == Emit::Mlir)
    return printModule(loader.module());
  mlir::func::FuncOp trainStep;
  if (train) {
    trainStep = loader.module().lookupSymbol<mlir::func::FuncOp>(model->name + "_train_step");
    if (!trainStep)
      return cnnopt::tools::fail("cnnopt", "model " + model->name + " has no train "
                                           "declaration; --train needs one (DSL.md, 'train')");
  }
  if (!gradCam.empty())
    return generateCode(
        loader.module().lookupSymbol<mlir::func::FuncOp>(model->name + "_grad_cam"), nullptr,
        loader.program().paramValues);
  return generateCode(loader.function(*model), trainStep, loader.program().paramValues);
}
