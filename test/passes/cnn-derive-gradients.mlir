// RUN: cnnopt-opt %s --split-input-file --cnn-derive-gradients | FileCheck %s

// A conv -> batch_norm (training) -> relu -> linear classifier with SGD
// (momentum, Nesterov, weight decay). The step takes the data, lr, step and
// seed, the parameters and buffers, then one momentum buffer per parameter.
// CHECK-LABEL: func.func @M_train_step
// CHECK-SAME: {cnn.input = "x"}
// CHECK-SAME: {cnn.input = "labels"}
// CHECK-SAME: %[[LR:[a-z0-9]+]]: tensor<f32> {cnn.input = "lr"}
// CHECK-SAME: %[[STEP:[a-z0-9]+]]: tensor<i32> {cnn.input = "step"}
// CHECK-SAME: {cnn.input = "seed"}
// CHECK-SAME: %[[W:[a-z0-9]+]]: tensor<4x2x3x3xf32> {cnn.param = "conv.weight"}
// CHECK-SAME: %[[MEAN:[a-z0-9]+]]: tensor<4xf32> {cnn.buffer = "bn.running_mean"}
// CHECK-SAME: %[[VAR:[a-z0-9]+]]: tensor<4xf32> {cnn.buffer = "bn.running_var"}
// CHECK-SAME: %[[COUNT:[a-z0-9]+]]: tensor<i64> {cnn.buffer = "bn.num_batches_tracked"}
// CHECK-SAME: %[[WBUF:[a-z0-9]+]]: tensor<4x2x3x3xf32> {cnn.input = "conv.weight.momentum_buffer", cnn.opt_state = "conv.weight"}
// Results: the loss, then each new value named after what it replaces.
// CHECK-SAME: {cnn.output = "loss"}
// CHECK-SAME: {cnn.output = "bn.running_mean", cnn.updates = "bn.running_mean"}
// CHECK-SAME: {cnn.output = "conv.weight", cnn.updates = "conv.weight"}
// CHECK-SAME: attributes {cnn.train_step_of = "M"}
// Forward in training mode: batch statistics, running averages, the counter.
// CHECK: %[[CONV:.*]] = cnn.conv2d
// CHECK: %[[STATS:.*]] = cnn.batch_norm_stats %[[CONV]]
// CHECK: %[[BN:.*]] = cnn.batch_norm_train %[[CONV]], %[[STATS]] affine
// CHECK: %[[NEWMEAN:.*]] = cnn.running_average %[[MEAN]], %[[STATS]] {momentum = 1.000000e-01 : f64, row = 0 : i64}
// CHECK: %[[NEWVAR:.*]] = cnn.running_average %[[VAR]], %[[STATS]] {momentum = 1.000000e-01 : f64, row = 2 : i64}
// CHECK: %[[NEWCOUNT:.*]] = cnn.increment %[[COUNT]]
// CHECK: %[[LOGITS:.*]] = cnn.linear
// CHECK: %[[LOSS:.*]] = cnn.cross_entropy %[[LOGITS]]
// Reverse sweep from d loss = 1. The input x needs no derivative.
// CHECK: %[[ONE:.*]] = cnn.constant 1.0
// CHECK: %[[DLOGITS:.*]] = cnn.cross_entropy_grad %[[LOGITS]], %{{.*}}, %[[ONE]]
// CHECK: cnn.matmul %[[DLOGITS]], %{{.*}} {transpose_lhs = false}
// CHECK: cnn.matmul %[[DLOGITS]], %{{.*}} {transpose_lhs = true}
// CHECK: cnn.reduce_sum %[[DLOGITS]] {axes = array<i64: 0>, keepdim = false}
// CHECK: %[[DRELU:.*]] = cnn.activation_grad %{{.*}}, %[[BN]] {activation = #cnn<activation relu>}
// CHECK: %[[SUMS:.*]] = cnn.batch_norm_grad_sums %[[DRELU]], %[[CONV]], %[[STATS]]
// CHECK: %[[DCONV:.*]] = cnn.batch_norm_grad_input %[[DRELU]], %[[CONV]], %[[STATS]], %[[SUMS]] affine
// CHECK: cnn.take_row %[[SUMS]] {index = 1 : i64}
// CHECK: cnn.take_row %[[SUMS]] {index = 0 : i64}
// CHECK-NOT: cnn.conv2d_grad_input
// CHECK: %[[DW:.*]] = cnn.conv2d_grad_weight %[[DCONV]], %arg0, %[[W]]
// Updates: the momentum buffer, then the parameter from it.
// CHECK: %[[NEWBUF:.*]] = cnn.sgd_momentum %[[WBUF]], %[[DW]], %[[W]], %[[STEP]] {momentum = 9.000000e-01 : f64, weight_decay = 5.000000e-04 : f64}
// CHECK: %[[NEWW:.*]] = cnn.sgd_step %[[W]], %[[DW]] lr(%[[LR]]) momentum_buffer(%[[NEWBUF]]) {momentum = 9.000000e-01 : f64, nesterov, weight_decay = 5.000000e-04 : f64}
// CHECK: return %[[LOSS]], %[[NEWMEAN]], %[[NEWVAR]], %[[NEWCOUNT]], %[[NEWBUF]], %[[NEWW]]
func.func @M_train(%x: tensor<?x2x6x6xf32> {cnn.input = "x"}, %labels: tensor<?xi32> {cnn.input = "labels"},
                   %w: tensor<4x2x3x3xf32> {cnn.param = "conv.weight"},
                   %g: tensor<4xf32> {cnn.param = "bn.weight"}, %b: tensor<4xf32> {cnn.param = "bn.bias"},
                   %mean: tensor<4xf32> {cnn.buffer = "bn.running_mean"}, %var: tensor<4xf32> {cnn.buffer = "bn.running_var"},
                   %count: tensor<i64> {cnn.buffer = "bn.num_batches_tracked"},
                   %fw: tensor<3x4xf32> {cnn.param = "fc.weight"}, %fb: tensor<3xf32> {cnn.param = "fc.bias"})
    -> (tensor<f32> {cnn.output = "loss"})
    attributes {cnn.optimizer = {kind = "sgd", momentum = 9.000000e-01 : f64, nesterov = true, weight_decay = 5.000000e-04 : f64}, cnn.train_of = "M"} {
  %0 = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x2x6x6xf32>, tensor<4x2x3x3xf32>) -> tensor<?x4x6x6xf32>
  %1 = cnn.batch_norm %0 affine(%g, %b) stats(%mean, %var) {eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64, training} : (tensor<?x4x6x6xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x6x6xf32>
  %2 = cnn.relu %1 : tensor<?x4x6x6xf32>
  %3 = cnn.adaptive_avg_pool2d %2 {size = array<i64: 1, 1>} : (tensor<?x4x6x6xf32>) -> tensor<?x4x1x1xf32>
  %4 = cnn.flatten %3 {start = 1 : i64} : (tensor<?x4x1x1xf32>) -> tensor<?x4xf32>
  %5 = cnn.linear %4, %fw, %fb : (tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<?x3xf32>
  %6 = cnn.cross_entropy %5, %labels {label_smoothing = 0.000000e+00 : f64} : (tensor<?x3xf32>, tensor<?xi32>) -> tensor<f32>
  return %6 : tensor<f32>
}

// -----

// Fan-out: a value read twice (a residual) gets the sum of both
// derivatives. Adam keeps two moments per parameter; a parameter off every
// path to the loss gets neither a derivative nor state, and keeps its value.
// CHECK-LABEL: func.func @R_train_step
// CHECK-SAME: {cnn.input = "a.exp_avg", cnn.opt_state = "a"}
// CHECK-SAME: {cnn.input = "a.exp_avg_sq", cnn.opt_state = "a"}
// CHECK-NOT: "unused.exp_avg"
// CHECK: %[[H:.*]] = cnn.mul %arg0, %[[A:arg[0-9]+]]
// CHECK: %[[S:.*]] = cnn.add %[[H]], %[[H]]
// CHECK: %[[ONE:.*]] = cnn.constant 1.0
// CHECK: %[[DS:.*]] = cnn.mse_loss_grad %[[S]], %arg1, %[[ONE]]
// CHECK: %[[DH:.*]] = cnn.add %[[DS]], %[[DS]]
// CHECK: %[[DA1:.*]] = cnn.mul %[[DH]], %arg0
// CHECK: %[[DA:.*]] = cnn.reduce_sum %[[DA1]] {axes = array<i64: 0>, keepdim = false}
// CHECK: %[[M:.*]] = cnn.adam_moment %{{.*}}, %[[DA]], %[[A]] {beta = 9.000000e-01 : f64, order = 1 : i64, weight_decay = 0.000000e+00 : f64}
// CHECK: %[[V:.*]] = cnn.adam_moment %{{.*}}, %[[DA]], %[[A]] {beta = {{.*}} : f64, order = 2 : i64, weight_decay = 0.000000e+00 : f64}
// CHECK: cnn.adam_step %[[A]], %[[M]], %[[V]], %arg2, %arg3 {beta1 = 9.000000e-01 : f64, beta2 = {{.*}} : f64, decoupled_weight_decay = 1.000000e-02 : f64, eps = 1.000000e-08 : f64}
// CHECK-NOT: cnn.adam_step
// CHECK: return
func.func @R_train(%x: tensor<?x4xf32> {cnn.input = "x"}, %t: tensor<?x4xf32> {cnn.input = "target"},
                   %a: tensor<4xf32> {cnn.param = "a"}, %u: tensor<4xf32> {cnn.param = "unused"})
    -> (tensor<f32> {cnn.output = "loss"})
    attributes {cnn.optimizer = {kind = "adamw"}, cnn.train_of = "R"} {
  %0 = cnn.mul %x, %a : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %1 = cnn.add %0, %0 : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %2 = cnn.mse_loss %1, %t : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<f32>
  return %2 : tensor<f32>
}
