// RUN: cnnopt-opt %s --split-input-file --cnn-canonicalize | FileCheck %s

// Regularisers in inference are their input; in training they stay.
// CHECK-LABEL: func.func @regularizers_inference
// CHECK-NOT: cnn.dropout
// CHECK-NOT: cnn.dropblock
// CHECK-NOT: cnn.stochastic_depth
// CHECK: return %arg0
func.func @regularizers_inference(%x: tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32> {
  %0 = cnn.dropout %x {p = 5.000000e-01 : f64} : tensor<?x4x8x8xf32>
  %1 = cnn.dropblock %0 {block_size = 3 : i64, p = 1.000000e-01 : f64} : tensor<?x4x8x8xf32>
  %2 = cnn.stochastic_depth %1 {p = 2.000000e-01 : f64} : tensor<?x4x8x8xf32>
  return %2 : tensor<?x4x8x8xf32>
}

// -----

// CHECK-LABEL: func.func @regularizers_training
// CHECK: cnn.dropout %arg0 {p = 5.000000e-01 : f64, training}
// CHECK: cnn.stochastic_depth
func.func @regularizers_training(%x: tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32> {
  %0 = cnn.dropout %x {p = 5.000000e-01 : f64, training} : tensor<?x4x8x8xf32>
  %1 = cnn.stochastic_depth %0 {p = 2.000000e-01 : f64, training} : tensor<?x4x8x8xf32>
  return %1 : tensor<?x4x8x8xf32>
}

// -----

// A flatten/reshape chain becomes one reshape from the first input.
// CHECK-LABEL: func.func @reshape_chain
// CHECK-NEXT: %[[R:.*]] = cnn.reshape %arg0 {shape = array<i64: -1, 128>} : (tensor<?x8x4x4xf32>) -> tensor<?x128xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_chain(%x: tensor<?x8x4x4xf32>) -> tensor<?x128xf32> {
  %0 = cnn.reshape %x {shape = array<i64: -1, 2, 64>} : (tensor<?x8x4x4xf32>) -> tensor<?x2x64xf32>
  %1 = cnn.flatten %0 {start = 1 : i64} : (tensor<?x2x64xf32>) -> tensor<?x128xf32>
  return %1 : tensor<?x128xf32>
}

// -----

// CHECK-LABEL: func.func @flatten_of_flatten
// CHECK-NEXT: %[[R:.*]] = cnn.reshape %arg0 {shape = array<i64: 384>}
// CHECK-NEXT: return %[[R]]
func.func @flatten_of_flatten(%x: tensor<2x3x8x8xf32>) -> tensor<384xf32> {
  %0 = cnn.flatten %x {start = 1 : i64} : (tensor<2x3x8x8xf32>) -> tensor<2x192xf32>
  %1 = cnn.flatten %0 {start = 0 : i64} : (tensor<2x192xf32>) -> tensor<384xf32>
  return %1 : tensor<384xf32>
}

// -----

// A reshape or flatten to the same shape disappears.
// CHECK-LABEL: func.func @same_shape
// CHECK-NOT: cnn.reshape
// CHECK-NOT: cnn.flatten
// CHECK: return %arg0
func.func @same_shape(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %0 = cnn.reshape %x {shape = array<i64: -1, 16>} : (tensor<?x16xf32>) -> tensor<?x16xf32>
  %1 = cnn.flatten %0 {start = 1 : i64} : (tensor<?x16xf32>) -> tensor<?x16xf32>
  return %1 : tensor<?x16xf32>
}

// -----

// A single reshape that changes the shape stays.
// CHECK-LABEL: func.func @one_reshape
// CHECK: cnn.flatten %arg0 {start = 1 : i64}
func.func @one_reshape(%x: tensor<?x8x2x2xf32>) -> tensor<?x32xf32> {
  %0 = cnn.flatten %x {start = 1 : i64} : (tensor<?x8x2x2xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

// x * 1, 1 * x, x + 0, 0 + x, x - 0, x / 1 fold to x.
// CHECK-LABEL: func.func @identities
// CHECK-NOT: cnn.mul
// CHECK-NOT: cnn.add
// CHECK-NOT: cnn.sub
// CHECK-NOT: cnn.div
// CHECK-NOT: cnn.constant
// CHECK: return %arg0
func.func @identities(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %one = cnn.constant 1.000000e+00 : tensor<f32>
  %zero = cnn.constant 0.000000e+00 : tensor<f32>
  %0 = cnn.mul %x, %one : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  %1 = cnn.mul %one, %0 : (tensor<f32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %2 = cnn.add %1, %zero : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  %3 = cnn.add %zero, %2 : (tensor<f32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %4 = cnn.sub %3, %zero : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  %5 = cnn.div %4, %one : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  return %5 : tensor<?x4xf32>
}

// -----

// Must not fold: other constants (x * 2, x * 0), 0 - x and 1 / x.
// CHECK-LABEL: func.func @not_identities
// CHECK-DAG: %[[TWO:.*]] = cnn.constant 2.000000e+00
// CHECK-DAG: %[[ONE:.*]] = cnn.constant 1.000000e+00
// CHECK-DAG: %[[ZERO:.*]] = cnn.constant 0.000000e+00
// CHECK: cnn.mul %arg0, %[[TWO]]
// CHECK: cnn.sub %[[ZERO]], %arg0
// CHECK: cnn.div %[[ONE]], %arg0
// CHECK: cnn.mul %arg0, %[[ZERO]]
func.func @not_identities(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %two = cnn.constant 2.000000e+00 : tensor<f32>
  %one = cnn.constant 1.000000e+00 : tensor<f32>
  %zero = cnn.constant 0.000000e+00 : tensor<f32>
  %0 = cnn.mul %x, %two : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  %1 = cnn.sub %zero, %x : (tensor<f32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %2 = cnn.div %one, %x : (tensor<f32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %3 = cnn.mul %x, %zero : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  return %0, %1, %2, %3 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}
