// RUN: cnnopt-opt %s --split-input-file | cnnopt-opt --split-input-file | FileCheck %s
// Every op parses, verifies, prints and parses again unchanged.

// CHECK-LABEL: func.func @conv_bn_relu
// CHECK: cnn.conv2d %{{.*}}, %{{.*}}, %{{.*}} {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<?x3x32x32xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<?x8x16x16xf32>
// CHECK: cnn.batch_norm %{{.*}} affine(%{{.*}}, %{{.*}}) stats(%{{.*}}, %{{.*}})
// CHECK: cnn.batch_norm %{{.*}} stats(
// CHECK: cnn.relu %{{.*}} : tensor<?x8x16x16xf32>
func.func @conv_bn_relu(%x: tensor<?x3x32x32xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>,
                        %g: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) -> tensor<?x8x16x16xf32> {
  %0 = cnn.conv2d %x, %w, %b {stride = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<?x3x32x32xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<?x8x16x16xf32>
  %1 = cnn.batch_norm %0 affine(%g, %b) stats(%m, %v) {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<?x8x16x16xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8x16x16xf32>
  %2 = cnn.batch_norm %1 stats(%m, %v) {eps = 1.0e-05 : f64, momentum = 0.1 : f64, training} : (tensor<?x8x16x16xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8x16x16xf32>
  %3 = cnn.relu %2 : tensor<?x8x16x16xf32>
  return %3 : tensor<?x8x16x16xf32>
}

// -----

// CHECK-LABEL: func.func @conv_variants
// CHECK: cnn.conv2d {{.*}}algorithm = #cnn<algorithm winograd_2x2_3x3>
// CHECK: cnn.conv2d {{.*}}groups = 8 : i64{{.*}} -> tensor<1x8x8x8xf32>
// CHECK: cnn.conv2d {{.*}} -> tensor<1x4x8x8xf32>
// CHECK: cnn.conv_transpose2d {{.*}} -> tensor<1x4x16x16xf32>
func.func @conv_variants(%x: tensor<1x8x8x8xf32>, %w: tensor<8x8x3x3xf32>, %dw: tensor<8x1x3x3xf32>,
                         %w2: tensor<4x8x2x2xf32>, %wt: tensor<8x4x3x3xf32>) {
  %0 = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64, algorithm = #cnn<algorithm winograd_2x2_3x3>} : (tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x8x8xf32>
  %1 = cnn.conv2d %0, %dw {stride = array<i64: 1, 1>, padding = array<i64: 2, 2, 2, 2>, dilation = array<i64: 2, 2>, groups = 8 : i64} : (tensor<1x8x8x8xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x8x8xf32>
  // padding="same" with an even kernel: the odd one right and bottom.
  %2 = cnn.conv2d %1, %w2 {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<4x8x2x2xf32>) -> tensor<1x4x8x8xf32>
  %3 = cnn.conv_transpose2d %1, %wt {stride = array<i64: 2, 2>, padding = array<i64: 1, 1>, output_padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x4x16x16xf32>
  return
}

// -----

// CHECK-LABEL: func.func @norms
// CHECK: cnn.layer_norm {{.*}}affine
// CHECK: cnn.group_norm
// CHECK: cnn.instance_norm %{{[^ ]*}} {eps
func.func @norms(%x: tensor<2x8x4x4xf32>, %lw: tensor<8x4x4xf32>, %c: tensor<8xf32>) {
  %0 = cnn.layer_norm %x affine(%lw, %lw) {dims = 3 : i64, eps = 1.0e-05 : f64} : (tensor<2x8x4x4xf32>, tensor<8x4x4xf32>, tensor<8x4x4xf32>) -> tensor<2x8x4x4xf32>
  %1 = cnn.group_norm %0 affine(%c, %c) {groups = 4 : i64, eps = 1.0e-05 : f64} : (tensor<2x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8x4x4xf32>
  %2 = cnn.instance_norm %1 {eps = 1.0e-05 : f64} : (tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32>
  return
}

// -----

// CHECK-LABEL: func.func @activations
// CHECK-COUNT-7: : tensor<?x4xf32>
// CHECK: cnn.softsign
// CHECK: cnn.erf
// CHECK: cnn.leaky_relu {{.*}}slope
// CHECK: cnn.gelu {{.*}}approximate = "tanh"
// CHECK: cnn.softmax {{.*}}axis = 1
// CHECK: cnn.log_softmax
// CHECK: cnn.neg
func.func @activations(%x: tensor<?x4xf32>) {
  %0 = cnn.relu %x : tensor<?x4xf32>
  %1 = cnn.relu6 %0 : tensor<?x4xf32>
  %2 = cnn.sigmoid %1 : tensor<?x4xf32>
  %3 = cnn.tanh %2 : tensor<?x4xf32>
  %4 = cnn.silu %3 : tensor<?x4xf32>
  %5 = cnn.hardswish %4 : tensor<?x4xf32>
  %6 = cnn.hardsigmoid %5 : tensor<?x4xf32>
  %s = cnn.softsign %6 : tensor<?x4xf32>
  %e = cnn.erf %s : tensor<?x4xf32>
  %7 = cnn.leaky_relu %6 {slope = 0.01 : f64} : tensor<?x4xf32>
  %8 = cnn.gelu %7 {approximate = "tanh"} : tensor<?x4xf32>
  %9 = cnn.softmax %8 {axis = 1 : i64} : tensor<?x4xf32>
  %10 = cnn.log_softmax %9 {axis = 1 : i64} : tensor<?x4xf32>
  %11 = cnn.neg %10 : tensor<?x4xf32>
  return
}

// -----

// The activations with parameters, and the other ops of DSL.md's "more
// activations", pad2d, pixel_shuffle and pow rows.
// CHECK-LABEL: func.func @more_ops
// CHECK: cnn.elu %{{[^ ]+}} {alpha = 5.000000e-01 : f64} : tensor<?x8x4x6xf32>
// CHECK: cnn.softplus %{{[^ ]+}} {beta = 2.000000e+00 : f64, threshold = 1.500000e+01 : f64} : tensor<?x8x4x6xf32>
// CHECK: cnn.prelu %{{[^ ]+}}, %{{[^ ]+}} : tensor<?x8x4x6xf32>, tensor<8xf32>
// CHECK: cnn.prelu %{{[^ ]+}}, %{{[^ ]+}} : tensor<?x8x4x6xf32>, tensor<1xf32>
// CHECK: cnn.glu %{{[^ ]+}} {axis = 3 : i64} : (tensor<?x8x4x6xf32>) -> tensor<?x8x4x3xf32>
// CHECK: cnn.pow %{{[^ ]+}} {exponent = 1.500000e+00 : f64} : tensor<?x8x4x6xf32>
// CHECK: cnn.pad2d %{{[^ ]+}} {mode = "reflect", pads = array<i64: 1, 2, -1, 3>, value = 0.000000e+00 : f64} : (tensor<?x8x4x6xf32>) -> tensor<?x8x6x9xf32>
// CHECK: cnn.pixel_shuffle %{{[^ ]+}} {factor = 2 : i64} : (tensor<?x8x4x6xf32>) -> tensor<?x2x8x12xf32>
// CHECK: cnn.pixel_unshuffle %{{[^ ]+}} {factor = 2 : i64} : (tensor<?x2x8x12xf32>) -> tensor<?x8x4x6xf32>
// CHECK: cnn.pad2d_grad %{{[^ ]+}}, %{{[^ ]+}} {mode = "reflect", pads = array<i64: 1, 2, -1, 3>} : (tensor<?x8x6x9xf32>, tensor<?x8x4x6xf32>) -> tensor<?x8x4x6xf32>
// CHECK: cnn.activation_grad %{{[^ ]+}}, %{{[^ ]+}} {activation = #cnn<activation softplus>, activation_params = array<f64: 2.000000e+00, 1.500000e+01>} : tensor<?x8x4x6xf32>
func.func @more_ops(%x: tensor<?x8x4x6xf32>, %w: tensor<8xf32>, %w1: tensor<1xf32>) {
  %0 = cnn.elu %x {alpha = 0.5 : f64} : tensor<?x8x4x6xf32>
  %1 = cnn.softplus %0 {beta = 2.0 : f64, threshold = 15.0 : f64} : tensor<?x8x4x6xf32>
  %2 = cnn.prelu %1, %w : tensor<?x8x4x6xf32>, tensor<8xf32>
  %3 = cnn.prelu %2, %w1 : tensor<?x8x4x6xf32>, tensor<1xf32>
  %4 = cnn.glu %3 {axis = 3 : i64} : (tensor<?x8x4x6xf32>) -> tensor<?x8x4x3xf32>
  %5 = cnn.pow %3 {exponent = 1.5 : f64} : tensor<?x8x4x6xf32>
  %6 = cnn.pad2d %5 {pads = array<i64: 1, 2, -1, 3>, mode = "reflect", value = 0.0 : f64} : (tensor<?x8x4x6xf32>) -> tensor<?x8x6x9xf32>
  %7 = cnn.pixel_shuffle %5 {factor = 2 : i64} : (tensor<?x8x4x6xf32>) -> tensor<?x2x8x12xf32>
  %8 = cnn.pixel_unshuffle %7 {factor = 2 : i64} : (tensor<?x2x8x12xf32>) -> tensor<?x8x4x6xf32>
  %9 = cnn.pad2d_grad %6, %5 {pads = array<i64: 1, 2, -1, 3>, mode = "reflect"} : (tensor<?x8x6x9xf32>, tensor<?x8x4x6xf32>) -> tensor<?x8x4x6xf32>
  %10 = cnn.activation_grad %9, %x {activation = #cnn<activation softplus>, activation_params = array<f64: 2.0, 15.0>} : tensor<?x8x4x6xf32>
  return
}

// -----

// CHECK-LABEL: func.func @pools
// CHECK: cnn.max_pool2d {{.*}} -> tensor<1x3x4x4xf32>
// CHECK: cnn.avg_pool2d {{.*}} -> tensor<1x3x4x4xf32>
// CHECK: cnn.adaptive_avg_pool2d {{.*}} -> tensor<1x3x3x3xf32>
// CHECK: cnn.adaptive_max_pool2d {{.*}} -> tensor<1x3x2x5xf32>
// CHECK: cnn.upsample2d {{.*}} -> tensor<1x3x14x14xf32>
func.func @pools(%x: tensor<1x3x7x7xf32>) {
  // ceil_mode: ceil((7 - 2) / 2) + 1 = 4
  %0 = cnn.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, ceil_mode = true} : (tensor<1x3x7x7xf32>) -> tensor<1x3x4x4xf32>
  %1 = cnn.avg_pool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1>, ceil_mode = false, count_include_pad = false} : (tensor<1x3x7x7xf32>) -> tensor<1x3x4x4xf32>
  %2 = cnn.adaptive_avg_pool2d %x {size = array<i64: 3, 3>} : (tensor<1x3x7x7xf32>) -> tensor<1x3x3x3xf32>
  %3 = cnn.adaptive_max_pool2d %x {size = array<i64: 2, 5>} : (tensor<1x3x7x7xf32>) -> tensor<1x3x2x5xf32>
  %4 = cnn.upsample2d %x {scale = 2 : i64, mode = "bilinear"} : (tensor<1x3x7x7xf32>) -> tensor<1x3x14x14xf32>
  return
}

// -----

// CHECK-LABEL: func.func @shapes
// CHECK: cnn.flatten {{.*}} -> tensor<?x48xf32>
// CHECK: cnn.reshape {{.*}} -> tensor<?x3x16xf32>
// CHECK: cnn.concat {{.*}} -> tensor<?x6x4x4xf32>
// CHECK: cnn.mean {{.*}} -> tensor<?x3xf32>
// CHECK: cnn.add {{.*}} -> tensor<?x3x4x4xf32>
// CHECK: cnn.sub
// CHECK: cnn.div
func.func @shapes(%x: tensor<?x3x4x4xf32>, %s: tensor<?x3x1x1xf32>) {
  %0 = cnn.flatten %x {start = 1 : i64} : (tensor<?x3x4x4xf32>) -> tensor<?x48xf32>
  %1 = cnn.reshape %0 {shape = array<i64: -1, 3, 16>} : (tensor<?x48xf32>) -> tensor<?x3x16xf32>
  %2 = cnn.concat %x, %x {axis = 1 : i64} : (tensor<?x3x4x4xf32>, tensor<?x3x4x4xf32>) -> tensor<?x6x4x4xf32>
  %3 = cnn.mean %x {axes = array<i64: 2, 3>, keepdim = false} : (tensor<?x3x4x4xf32>) -> tensor<?x3xf32>
  %4 = cnn.add %x, %s : (tensor<?x3x4x4xf32>, tensor<?x3x1x1xf32>) -> tensor<?x3x4x4xf32>
  %5 = cnn.sub %4, %s : (tensor<?x3x4x4xf32>, tensor<?x3x1x1xf32>) -> tensor<?x3x4x4xf32>
  %6 = cnn.div %5, %s : (tensor<?x3x4x4xf32>, tensor<?x3x1x1xf32>) -> tensor<?x3x4x4xf32>
  return
}

// -----

// CHECK-LABEL: func.func @training_ops
// CHECK: cnn.dropblock {{.*}}block_size = 3
// CHECK: cnn.stochastic_depth {{.*}}training
// CHECK: cnn.cross_entropy {{.*}} -> tensor<f32>
// CHECK: cnn.mse_loss {{.*}} -> tensor<f32>
func.func @training_ops(%x: tensor<?x3x4x4xf32>, %logits: tensor<?x10xf32>, %labels: tensor<?xi32>) {
  %0 = cnn.dropblock %x {block_size = 3 : i64, p = 0.1 : f64, training} : tensor<?x3x4x4xf32>
  %1 = cnn.stochastic_depth %0 {p = 0.2 : f64, training} : tensor<?x3x4x4xf32>
  %2 = cnn.cross_entropy %logits, %labels {label_smoothing = 0.1 : f64} : (tensor<?x10xf32>, tensor<?xi32>) -> tensor<f32>
  %3 = cnn.mse_loss %x, %1 : (tensor<?x3x4x4xf32>, tensor<?x3x4x4xf32>) -> tensor<f32>
  return
}

// -----

// The fused form: conv + bias + folded batch_norm + residual + activation.
// CHECK-LABEL: func.func @fused_conv2d
// CHECK: cnn.fused_conv2d %{{[^ ]+}}, %{{[^ ]+}} bias(%{{[^ ]+}}) affine(%{{[^ ]+}}, %{{[^ ]+}}) residual(%{{[^ ]+}}) {activation = #cnn<activation relu>, algorithm = #cnn<algorithm direct>
// CHECK: cnn.fused_conv2d %{{[^ ]+}}, %{{[^ ]+}} {activation = #cnn<activation hardswish>
func.func @fused_conv2d(%x: tensor<?x8x8x8xf32>, %w: tensor<8x8x3x3xf32>, %c: tensor<8xf32>) -> tensor<?x8x8x8xf32> {
  %0 = cnn.fused_conv2d %x, %w bias(%c) affine(%c, %c) residual(%x) {activation = #cnn<activation relu>, algorithm = #cnn<algorithm direct>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<?x8x8x8xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<?x8x8x8xf32>) -> tensor<?x8x8x8xf32>
  %1 = cnn.fused_conv2d %0, %w {activation = #cnn<activation hardswish>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<?x8x8x8xf32>, tensor<8x8x3x3xf32>) -> tensor<?x8x8x8xf32>
  return %1 : tensor<?x8x8x8xf32>
}

// The forms the optimisation passes produce round-trip.
// CHECK-LABEL: func.func @optimized_forms
// CHECK: cnn.batch_norm_scale %{{[^ ]+}}, %{{[^ ]+}} {eps = 1.000000e-05 : f64}
// CHECK: cnn.batch_norm_shift %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} :
// CHECK: cnn.fused_linear %{{[^ ]+}}, %{{[^ ]+}} bias(%{{[^ ]+}}) affine(%{{[^ ]+}}, %{{[^ ]+}}) {activation = #cnn<activation leaky_relu>, activation_params = array<f64: 2.000000e-01>}
// CHECK: cnn.conv_transpose2d %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} affine(%{{[^ ]+}}, %{{[^ ]+}}) {
func.func @optimized_forms(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>, %c: tensor<8xf32>,
                           %i: tensor<?x8x4x4xf32>, %wt: tensor<8x8x1x1xf32>) -> (tensor<?x8xf32>, tensor<?x8x4x4xf32>) {
  %s = cnn.batch_norm_scale %c, %c {eps = 1.000000e-05 : f64} : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %t = cnn.batch_norm_shift %c, %s, %c : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %0 = cnn.fused_linear %x, %w bias(%c) affine(%s, %t) {activation = #cnn<activation leaky_relu>, activation_params = array<f64: 2.000000e-01>} : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %1 = cnn.conv_transpose2d %i, %wt, %c affine(%s, %t) {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, output_padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<?x8x4x4xf32>, tensor<8x8x1x1xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8x4x4xf32>
  return %0, %1 : tensor<?x8xf32>, tensor<?x8x4x4xf32>
}
