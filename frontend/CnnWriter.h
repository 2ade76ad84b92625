//===- CnnWriter.h - A model graph printed as .cnn source -------*- C++ -*-===//
//
// `cnnopt --emit=cnn`: any loaded model (an ONNX import or a `.cnn` file,
// whose blocks and loops are then expanded) printed as one flat `.cnn` model
// that compiles to the same graph. Parameters keep their names through
// `name=` scopes; names that cannot be written as `<scope>.<role>` (ONNX
// exports with folded BatchNorms name weights `onnx::Conv_193`) get a scope
// of their own, reported in `renamed` and listed in the file's header.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_FRONTEND_CNNWRITER_H
#define CNNOPT_FRONTEND_CNNWRITER_H

#include "frontend/Graph.h"

#include <map>
#include <string>

namespace cnnopt {

struct CnnSource {
  std::string text;
  /// Parameter name in the model -> its name in the printed file, for the
  /// names that had to change.
  std::map<std::string, std::string> renamed;
  /// Why the model cannot be printed (empty when it can).
  std::string error;
};

/// Prints `model` as a `.cnn` model; `origin` names the file it came from
/// (for the header comment).
CnnSource writeCnn(const ModelGraph &model, const std::string &origin);

} // namespace cnnopt

#endif // CNNOPT_FRONTEND_CNNWRITER_H
