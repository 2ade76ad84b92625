//===- OnnxImport.h - ONNX files to elaborated graphs -----------*- C++ -*-===//
//
// The second way into the compiler: an ONNX model (opsets 1-17; 11-17 is
// what torch.onnx.export writes) becomes the same Program a `.cnn` file
// elaborates to, so every tool and pass works on it unchanged. Initializers
// become parameters named as in the ONNX graph, with their values in
// Program::paramValues; shape computations (Shape/Gather/Concat chains) are
// folded at import.
//
// Errors name the file and the node: `model.onnx: node 'Conv_3' (Conv):
// error: ...` (or `model.onnx: error: ...` for the file as a whole).
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_FRONTEND_ONNX_ONNXIMPORT_H
#define CNNOPT_FRONTEND_ONNX_ONNXIMPORT_H

#include "frontend/Frontend.h"

#include <optional>
#include <string>
#include <string_view>

namespace cnnopt::onnx_import {

/// True when `path` names an ONNX file (by its extension), which the tools
/// then read with importOnnx instead of the `.cnn` front end.
bool isOnnxPath(std::string_view path);

/// Reads the serialized ModelProto in `bytes` (named `filename` in errors)
/// into a Program with one model, named after the file. Returns nothing with
/// `error` set (one formatted line) when the file is malformed or uses what
/// the importer does not support.
std::optional<Program> importOnnx(std::string_view bytes, const std::string &filename,
                                  std::string &error, const FrontendOptions &options = {});

} // namespace cnnopt::onnx_import

#endif // CNNOPT_FRONTEND_ONNX_ONNXIMPORT_H
