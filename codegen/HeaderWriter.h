//===- HeaderWriter.h - The C header of a compiled model --------*- C++ -*-===//
//
// Writes model.h: the support code every header carries (runtime/
// cnnopt_model_api.h, pasted verbatim), the parameter table, and the C entry
// points <model>_init_params, <model>_forward (plain pointers and a batch
// size), <model>_forward_buffers (Halide buffers), <model>_last_error,
// <model>_set_num_threads and, with run-time parameters, the context API
// (<model>_context_create / _context_forward / _context_destroy), which
// packs the parameters once instead of on every call.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_CODEGEN_HEADERWRITER_H
#define CNNOPT_CODEGEN_HEADERWRITER_H

#include "codegen/ExecutionPlan.h"
#include "codegen/KernelSpec.h"

#include <string>

namespace cnnopt::codegen {

struct HeaderOptions {
  std::string sourceFile;       ///< the .cnn file, for the banner
  std::string headerFile;       ///< this header's file name, for the banner
  std::string objectFile;       ///< what to link, for the banner
  bool embeddedWeights = false; ///< the stages take no parameter buffers
  /// The object's stages run on a GPU: its plans free device copies and
  /// bring outputs back through Halide's runtime (cnnopt_plan::copy_to_host).
  bool gpu = false;
  std::string pipelineSymbol;   ///< the prefix of the compiled functions' names
  const ExecutionPlan *plan = nullptr; ///< how the compiled functions run (required)
  /// With `cnnopt --train`: the training step, its plan and its functions'
  /// prefix (the header gains <model>_init_opt_state and <model>_train_step).
  const KernelProgram *trainProgram = nullptr;
  /// The program is a Grad-CAM map (cnnopt --grad-cam): <model>_grad_cam(...)
  /// calls its <model>_grad_cam_forward(...).
  bool gradCam = false;
  const ExecutionPlan *trainPlan = nullptr;
  std::string trainSymbol;
};

/// The prefix of the compiled functions' names in the object:
/// `<model>_pipeline_<hash>` (stages `_s<k>`, pack functions `_p<k>`), where
/// the hash covers the header's text (tables, shapes, plan, entry points),
/// the target and the embedded weights. The header's plan calls the
/// functions by these names, so a header and an object from different
/// compiles fail to link (an undefined reference) instead of running with
/// another layout.
std::string pipelineSymbol(const KernelProgram &program, const HeaderOptions &options,
                           const std::string &target, const float *weights);

/// The full text of the header for `program`.
std::string writeHeader(const KernelProgram &program, const HeaderOptions &options);

} // namespace cnnopt::codegen

#endif // CNNOPT_CODEGEN_HEADERWRITER_H
