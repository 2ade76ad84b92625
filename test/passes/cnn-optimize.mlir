// RUN: cnnopt-opt %s --cnn-optimize | FileCheck %s

// The -O2 pipeline on a conv-BN-ReLU-dropout block with a residual:
// dropout goes, the BN folds, the add and the ReLU fuse, and the conv gets
// an algorithm.
// CHECK-LABEL: func.func @block
// CHECK-NEXT: %[[S:.*]] = cnn.batch_norm_scale %arg5, %arg2
// CHECK-NEXT: %[[T:.*]] = cnn.batch_norm_shift %arg4, %[[S]], %arg3
// CHECK-NEXT: %[[Y:.*]] = cnn.fused_conv2d %arg0, %arg1 affine(%[[S]], %[[T]]) residual(%arg0) {activation = #cnn<activation relu>, algorithm = #cnn<algorithm direct>
// CHECK-NEXT: return %[[Y]]
func.func @block(%x: tensor<?x8x8x8xf32>, %w: tensor<8x8x3x3xf32>, %g: tensor<8xf32>,
                 %b: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) -> tensor<?x8x8x8xf32> {
  %0 = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x8x8x8xf32>, tensor<8x8x3x3xf32>) -> tensor<?x8x8x8xf32>
  %1 = cnn.batch_norm %0 affine(%g, %b) stats(%m, %v) {eps = 1.000000e-05 : f64, momentum = 1.000000e-01 : f64} : (tensor<?x8x8x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8x8x8xf32>
  %2 = cnn.dropout %1 {p = 1.000000e-01 : f64} : tensor<?x8x8x8xf32>
  %3 = cnn.add %2, %x : (tensor<?x8x8x8xf32>, tensor<?x8x8x8xf32>) -> tensor<?x8x8x8xf32>
  %4 = cnn.relu %3 : tensor<?x8x8x8xf32>
  return %4 : tensor<?x8x8x8xf32>
}
