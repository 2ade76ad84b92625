//===- Passes.td - cnn passes ------------------------------*- tablegen -*-===//
//
// Every pass of cnnopt, grouped by banner, alphabetical inside a group.
//===----------------------------------------------------------------------===//

#ifndef CNN_PASSES
#define CNN_PASSES

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Analysis
//===----------------------------------------------------------------------===//

def CnnPrintStatsPass : Pass<"cnn-print-stats", "::mlir::ModuleOp"> {
  let summary = "Print per-layer shapes, parameters, MACs and receptive field";
  let description = [{
    For every function that is a model (its parameters carry `cnn.param`
    argument attributes), prints one row per cnn op: scope name (the op's
    `NameLoc`), op, output shape, trainable parameters, multiply-accumulates
    per sample, and the receptive field and jump of the output along the
    height axis:

      RF[n]   = RF[n-1] + (k_eff - 1) * jump[n-1],  k_eff = dilation*(k-1)+1
      jump[n] = jump[n-1] * stride[n]

    An op with several inputs takes the largest receptive field among them;
    ops that mix all positions (flatten, global pooling, mean over H and W)
    cover the whole input. Totals follow the rows. With `json=true` the same
    data is printed as one JSON object per function. The IR is unchanged.
  }];
  let options = [
    Option<"json", "json", "bool", /*default=*/"false",
           "Print JSON instead of a table">
  ];
}

#endif // CNN_PASSES
