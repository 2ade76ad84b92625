//===- EmitCnn.h - cnnopt --emit=cnn ----------------------------*- C++ -*-===//
//
// Prints loaded models as `.cnn` source (frontend/CnnWriter.h). With -o, a
// model file that carries its weights (ONNX) also gets them beside the
// source, `model.cnn` -> `model.safetensors`, under the printed names, so
// `cnnopt-run model.cnn --weights model.safetensors` runs the same model.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_TOOLS_CNNOPT_EMITCNN_H
#define CNNOPT_TOOLS_CNNOPT_EMITCNN_H

#include "frontend/Graph.h"

#include <string>

namespace cnnopt::tools {

/// Writes `only` (or every model of `program` when null) to `outputFile`
/// (stdout when empty); returns the exit code, errors printed.
int emitCnn(const Program &program, const ModelGraph *only, const std::string &inputFile,
            const std::string &outputFile);

} // namespace cnnopt::tools

#endif // CNNOPT_TOOLS_CNNOPT_EMITCNN_H
