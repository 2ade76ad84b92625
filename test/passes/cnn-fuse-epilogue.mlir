// RUN: cnnopt-opt %s --split-input-file --cnn-fuse-epilogue | FileCheck %s

// The ResNet basic-block tail: conv (+ folded BN) -> add(identity) -> relu
// becomes one fused_conv2d with a residual and an activation, computed
// where the add was (after the identity's producer).
// CHECK-LABEL: func.func @residual_relu
// CHECK: %[[ID:.*]] = cnn.relu %arg0
// CHECK-NEXT: %[[Y:.*]] = cnn.fused_conv2d %arg0, %arg1 affine(%arg2, %arg3) residual(%[[ID]]) {activation = #cnn<activation relu>
// CHECK-NEXT: return %[[Y]]
func.func @residual_relu(%x: tensor<?x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %s: tensor<4xf32>,
                         %t: tensor<4xf32>) -> tensor<?x4x8x8xf32> {
  %0 = cnn.fused_conv2d %x, %w affine(%s, %t) {activation = #cnn<activation none>, dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32>
  %1 = cnn.relu %x : tensor<?x4x8x8xf32>
  %2 = cnn.add %0, %1 : (tensor<?x4x8x8xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  %3 = cnn.relu %2 : tensor<?x4x8x8xf32>
  return %3 : tensor<?x4x8x8xf32>
}

// -----

// conv2d and linear always take their fused forms; activations of every
// kind fuse (leaky_relu with its slope, gelu by its approximation).
// CHECK-LABEL: func.func @activations
// CHECK: cnn.fused_conv2d %arg0, %arg1 bias(%arg2) {activation = #cnn<activation leaky_relu>, {{.*}}activation_params = array<f64: 2.000000e-01>
// CHECK: cnn.fused_conv2d %arg0, %arg1 {activation = #cnn<activation none>
// CHECK: cnn.fused_linear %arg3, %arg4 {activation = #cnn<activation gelu_tanh>}
// CHECK-NOT: cnn.leaky_relu
// CHECK-NOT: cnn.gelu
func.func @activations(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>,
                       %f: tensor<?x8xf32>, %lw: tensor<2x8xf32>) -> (tensor<?x4x6x6xf32>, tensor<?x4x6x6xf32>, tensor<?x2xf32>) {
  %0 = cnn.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x6x6xf32>
  %1 = cnn.leaky_relu %0 {slope = 2.000000e-01 : f64} : tensor<?x4x6x6xf32>
  %2 = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x6x6xf32>
  %3 = cnn.linear %f, %lw : (tensor<?x8xf32>, tensor<2x8xf32>) -> tensor<?x2xf32>
  %4 = cnn.gelu %3 {approximate = "tanh"} : tensor<?x2xf32>
  return %1, %2, %4 : tensor<?x4x6x6xf32>, tensor<?x4x6x6xf32>, tensor<?x2xf32>
}

// -----

// Must not fuse: a conv result with another user (the relu would recompute
// it), a second activation after the first, an add whose other operand
// broadcasts, softmax (not an activation of the enum).
// CHECK-LABEL: func.func @no_fuse
// CHECK: %[[C:.*]] = cnn.fused_conv2d %arg0, %arg1 {activation = #cnn<activation none>
// CHECK: cnn.relu %[[C]]
// CHECK: %[[D:.*]] = cnn.fused_conv2d %arg0, %arg1 {activation = #cnn<activation relu>
// CHECK: cnn.sigmoid %[[D]]
// CHECK: %[[E:.*]] = cnn.fused_conv2d %arg0, %arg1 {activation = #cnn<activation none>
// CHECK: cnn.add %[[E]], %arg2
// CHECK: %[[F:.*]] = cnn.fused_linear
// CHECK: cnn.softmax %[[F]]
func.func @no_fuse(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %bc: tensor<?x4x1x1xf32>,
                   %f: tensor<?x8xf32>, %lw: tensor<2x8xf32>)
    -> (tensor<?x4x6x6xf32>, tensor<?x4x6x6xf32>, tensor<?x4x6x6xf32>, tensor<?x4x6x6xf32>, tensor<?x2xf32>) {
  %0 = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x6x6xf32>
  %1 = cnn.relu %0 : tensor<?x4x6x6xf32>
  %2 = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x6x6xf32>
  %3 = cnn.relu %2 : tensor<?x4x6x6xf32>
  %4 = cnn.sigmoid %3 : tensor<?x4x6x6xf32>
  %5 = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<?x4x6x6xf32>
  %6 = cnn.add %5, %bc : (tensor<?x4x6x6xf32>, tensor<?x4x1x1xf32>) -> tensor<?x4x6x6xf32>
  %7 = cnn.linear %f, %lw : (tensor<?x8xf32>, tensor<2x8xf32>) -> tensor<?x2xf32>
  %8 = cnn.softmax %7 {axis = 1 : i64} : tensor<?x2xf32>
  return %0, %1, %4, %6, %8 : tensor<?x4x6x6xf32>, tensor<?x4x6x6xf32>, tensor<?x4x6x6xf32>, tensor<?x4x6x6xf32>, tensor<?x2xf32>
}

// -----

// An add after an activation cannot become the residual (it would apply
// before the activation): it stays.
// CHECK-LABEL: func.func @no_residual_after_activation
// CHECK: %[[A:.*]] = cnn.fused_conv2d {{.*}}activation = #cnn<activation relu>
// CHECK: cnn.add %[[A]], %arg0
func.func @no_residual_after_activation(%x: tensor<?x4x6x6xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<?x4x6x6xf32> {
  %0 = cnn.conv2d %x, %w {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x4x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<?x4x6x6xf32>
  %1 = cnn.relu %0 : tensor<?x4x6x6xf32>
  %2 = cnn.add %1, %x : (tensor<?x4x6x6xf32>, tensor<?x4x6x6xf32>) -> tensor<?x4x6x6xf32>
  return %2 : tensor<?x4x6x6xf32>
}
