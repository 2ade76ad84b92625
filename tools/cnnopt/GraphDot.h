//===- GraphDot.h - A model function as a Graphviz graph --------*- C++ -*-===//
//
// `cnnopt model.cnn --emit=dot`: one node per op (a fused op lists what it
// fused and the conv algorithm chosen), one per input, output and used
// parameter or buffer, edges labelled with the tensor's shape.
//===----------------------------------------------------------------------===//

#ifndef CNNOPT_TOOLS_CNNOPT_GRAPHDOT_H
#define CNNOPT_TOOLS_CNNOPT_GRAPHDOT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>

namespace cnnopt::tools {

/// The function as a Graphviz `digraph` (DOT language).
std::string graphToDot(mlir::func::FuncOp func);

} // namespace cnnopt::tools

#endif // CNNOPT_TOOLS_CNNOPT_GRAPHDOT_H
