// RUN: cnnopt-opt %s --split-input-file --cnn-fold-batch-norm | FileCheck %s

// conv2d -> batch_norm: the conv becomes a fused_conv2d with the BN's scale
// and shift, computed from its parameters before the conv.
// CHECK-LABEL: func.func @conv_bn
// CHECK-NEXT: %[[S:.*]] = cnn.batch_norm_scale %arg5, %arg2 {eps = 1.000000e-03 : f64} : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
// CHECK-NEXT: %[[T:.*]] = cnn.batch_norm_shift %arg4, %[[S]], %arg3 : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
// CHECK-NEXT: %[[Y:.*]] = cnn.fused_conv2d %arg0, %arg1 bias(%arg6) affine(%[[S]], %[[T]]) {activation = #cnn<activation none>
// CHECK-NEXT: return %[[Y]]
func.func @conv_bn(%x: tensor<?x3x8x8xf32>, %w: tensor<8x3x3x3xf32>, %g: tensor<8xf32>,
                   %b: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>,
                   %cb: tensor<8xf32>) -> tensor<?x8x8x8xf32> {
  %0 = cnn.conv2d %x, %w, %cb {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<?x8x8x8xf32>
  %1 = cnn.batch_norm %0 affine(%g, %b) stats(%m, %v) {eps = 1.000000e-03 : f64, momentum = 1.000000e-01 : f64} : (tensor<?x8x8x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8x8x8xf32>
  return %1 : tensor<?x8x8x8xf32>
}

// -----

// A batch_norm without affine folds too (scale 1/sqrt(var+eps), shift -mean*scale).
// CHECK-LABEL: func.func @conv_bn_no_affine
// CHECK-NEXT: %[[S:.*]] = cnn.batch_norm_scale %arg3 {eps
// CHECK-NEXT: %[[T:.*]] = cnn.batch_norm_shift %arg2, %[[S]] :
// CHECK-NEXT: cnn.fused_conv2d %arg0, %arg1 affine(%[[S]], %[[T]])
func.func @conv_bn_no_affine(%x: tensor<?x3x8x8xf32>, %w: tensor<8x3x1x1xf32>, %m: tensor<8xf32>,
                             %v: tensor<8xf32>) -> tensor<?x8x8x8xf32> {
  %0 = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<8x3x1x1xf32>) -> tensor<?x8x8x8xf32>
  %1 = cnn.batch_norm %0 stats(%m, %v) {eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64} : (tensor<?x8x8x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8x8x8xf32>
  return %1 : tensor<?x8x8x8xf32>
}

// -----

// conv_transpose2d takes the affine itself; linear becomes fused_linear.
// CHECK-LABEL: func.func @transposed_and_linear
// CHECK: cnn.conv_transpose2d %arg0, %arg1 affine(%{{.*}}, %{{.*}}) {
// CHECK: cnn.fused_linear %arg4, %arg5 bias(%arg6) affine(%{{.*}}, %{{.*}}) {activation = #cnn<activation none>}
// CHECK-NOT: cnn.batch_norm %
func.func @transposed_and_linear(%x: tensor<?x4x4x4xf32>, %w: tensor<4x2x2x2xf32>,
                                 %m: tensor<2xf32>, %v: tensor<2xf32>,
                                 %f: tensor<?x16xf32>, %lw: tensor<10x16xf32>, %lb: tensor<10xf32>,
                                 %lm: tensor<10xf32>, %lv: tensor<10xf32>) -> (tensor<?x2x8x8xf32>, tensor<?x10xf32>) {
  %0 = cnn.conv_transpose2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, output_padding = array<i64: 0, 0>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x4x4x4xf32>, tensor<4x2x2x2xf32>) -> tensor<?x2x8x8xf32>
  %1 = cnn.batch_norm %0 stats(%m, %v) {eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64} : (tensor<?x2x8x8xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<?x2x8x8xf32>
  %2 = cnn.linear %f, %lw, %lb : (tensor<?x16xf32>, tensor<10x16xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  %3 = cnn.batch_norm %2 stats(%lm, %lv) {eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64} : (tensor<?x10xf32>, tensor<10xf32>, tensor<10xf32>) -> tensor<?x10xf32>
  return %1, %3 : tensor<?x2x8x8xf32>, tensor<?x10xf32>
}

// -----

// Must not fold: a training-mode batch_norm, a conv with another user, a
// batch_norm after something that is not a conv or linear, a linear whose
// output has rank 3 (BatchNorm1d normalises axis 1, not the features).
// CHECK-LABEL: func.func @no_fold
// CHECK-NOT: cnn.batch_norm_scale
// CHECK-NOT: cnn.fused_conv2d
// CHECK-NOT: cnn.fused_linear
// CHECK-COUNT-4: cnn.batch_norm %
func.func @no_fold(%x: tensor<?x3x8x8xf32>, %w: tensor<3x3x1x1xf32>, %m: tensor<3xf32>,
                   %v: tensor<3xf32>, %s: tensor<?x3x4xf32>, %lw: tensor<4x4xf32>)
    -> (tensor<?x3x8x8xf32>, tensor<?x3x8x8xf32>, tensor<?x3x8x8xf32>, tensor<?x3x8x8xf32>, tensor<?x3x4xf32>) {
  %0 = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<3x3x1x1xf32>) -> tensor<?x3x8x8xf32>
  %1 = cnn.batch_norm %0 stats(%m, %v) {eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64, training} : (tensor<?x3x8x8xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<?x3x8x8xf32>
  %2 = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<3x3x1x1xf32>) -> tensor<?x3x8x8xf32>
  %3 = cnn.batch_norm %2 stats(%m, %v) {eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64} : (tensor<?x3x8x8xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<?x3x8x8xf32>
  %4 = cnn.relu %x : tensor<?x3x8x8xf32>
  %5 = cnn.batch_norm %4 stats(%m, %v) {eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64} : (tensor<?x3x8x8xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<?x3x8x8xf32>
  %6 = cnn.linear %s, %lw : (tensor<?x3x4xf32>, tensor<4x4xf32>) -> tensor<?x3x4xf32>
  %7 = cnn.batch_norm %6 stats(%m, %v) {eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64} : (tensor<?x3x4xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<?x3x4xf32>
  return %1, %2, %3, %5, %7 : tensor<?x3x8x8xf32>, tensor<?x3x8x8xf32>, tensor<?x3x8x8xf32>, tensor<?x3x8x8xf32>, tensor<?x3x4xf32>
}

// -----

// A fused_conv2d that already has an epilogue keeps the batch_norm.
// CHECK-LABEL: func.func @no_fold_after_activation
// CHECK: cnn.batch_norm %
func.func @no_fold_after_activation(%x: tensor<?x3x8x8xf32>, %w: tensor<3x3x1x1xf32>, %m: tensor<3xf32>,
                                    %v: tensor<3xf32>) -> tensor<?x3x8x8xf32> {
  %0 = cnn.fused_conv2d %x, %w {activation = #cnn<activation relu>, dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<3x3x1x1xf32>) -> tensor<?x3x8x8xf32>
  %1 = cnn.batch_norm %0 stats(%m, %v) {eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64} : (tensor<?x3x8x8xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<?x3x8x8xf32>
  return %1 : tensor<?x3x8x8xf32>
}
