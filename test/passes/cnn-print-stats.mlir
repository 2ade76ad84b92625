// RUN: cnnopt-opt %s --cnn-print-stats -o /dev/null | FileCheck %s
// RUN: cnnopt-opt %s --cnn-print-stats=json=true -o /dev/null | FileCheck %s --check-prefix=JSON
// Parameters, MACs per sample and RF/jump per the seed's recurrence:
//   conv 3x3 s1: RF 3, jump 1; pool 2 s2: RF 4, jump 2; conv 3x3 s1: RF 8, jump 2;
//   global pool over 4 rows: RF 8 + 3*2 = 14.

// CHECK-LABEL: model tiny
// CHECK-NEXT: layer op                  shape       params   MACs   RF   jump
// CHECK-NEXT: c1    conv2d              [N,4,8,8]      112   6,912    3      1
// CHECK-NEXT: -     relu                [N,4,8,8]        0       0    3      1
// CHECK-NEXT: -     max_pool2d          [N,4,4,4]        0       0    4      2
// CHECK-NEXT: c2    conv2d              [N,8,4,4]      288   4,608    8      2
// CHECK-NEXT: -     adaptive_avg_pool2d [N,8,1,1]        0       0   14      8
// CHECK-NEXT: -     flatten             [N,8]            0       0   14      8
// CHECK-NEXT: fc    linear              [N,2]           18      16   14      8
// CHECK-NEXT: total params: 418
// CHECK-NEXT: total MACs (per sample): 11,536
// torchinfo's footer at batch 1, by its rules: mult-adds per weight/bias
// element x output pixels for convs (c1: 108*64 + 4*64, c2: 288*16), x 1
// for fc (18); forward/backward = 2 x the outputs of the layers with
// parameters (2 * 4 * (256 + 128 + 2)); inputs 3*8*8*4; params 418*4.
// CHECK-NEXT: torchinfo summary (batch 1):
// CHECK-NEXT:   trainable params: 418
// CHECK-NEXT:   non-trainable params: 0
// CHECK-NEXT:   total mult-adds: 11,794
// CHECK-NEXT:   input size (MB): 0.00
// CHECK-NEXT:   forward/backward pass size (MB): 0.00
// CHECK-NEXT:   params size (MB): 0.00
// CHECK-NEXT:   estimated total size (MB): 0.01
// The pass plans no code: no peak memory.
// CHECK-NOT: peak activation

// JSON-LABEL: "layers": [
// JSON: "jump": 1,
// JSON-NEXT: "macs": 6912,
// JSON-NEXT: "name": "c1",
// JSON-NEXT: "op": "conv2d",
// JSON-NEXT: "params": 112,
// JSON-NEXT: "rf": 3,
// JSON-NEXT: "shape": [
// JSON-NEXT: -1,
// JSON: "model": "tiny",
// JSON-NEXT: "summary": {
// JSON-NEXT: "batch": 1,
// JSON-NEXT: "estimated_total_bytes": 5528,
// JSON-NEXT: "forward_backward_bytes": 3088,
// JSON-NEXT: "input_bytes": 768,
// JSON-NEXT: "non_trainable_params": 0,
// JSON-NEXT: "params_bytes": 1672,
// JSON-NEXT: "total_mult_adds": 11794,
// JSON-NEXT: "total_params": 418,
// JSON-NEXT: "trainable_params": 418
// JSON-NEXT: },
// JSON-NEXT: "total_macs": 11536,
// JSON-NEXT: "total_params": 418
func.func @tiny(%x: tensor<?x3x8x8xf32> {cnn.input = "x"},
                %w1: tensor<4x3x3x3xf32> {cnn.param = "c1.weight"},
                %b1: tensor<4xf32> {cnn.param = "c1.bias"},
                %w2: tensor<8x4x3x3xf32> {cnn.param = "c2.weight"},
                %w3: tensor<2x8xf32> {cnn.param = "fc.weight"},
                %b3: tensor<2xf32> {cnn.param = "fc.bias"}) -> tensor<?x2xf32> {
  %0 = cnn.conv2d %x, %w1, %b1 {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<?x4x8x8xf32> loc("c1"(unknown))
  %1 = cnn.relu %0 : tensor<?x4x8x8xf32>
  %2 = cnn.max_pool2d %1 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, ceil_mode = false} : (tensor<?x4x8x8xf32>) -> tensor<?x4x4x4xf32>
  %3 = cnn.conv2d %2, %w2 {stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<?x4x4x4xf32>, tensor<8x4x3x3xf32>) -> tensor<?x8x4x4xf32> loc("c2"(unknown))
  %4 = cnn.adaptive_avg_pool2d %3 {size = array<i64: 1, 1>} : (tensor<?x8x4x4xf32>) -> tensor<?x8x1x1xf32>
  %5 = cnn.flatten %4 {start = 1 : i64} : (tensor<?x8x1x1xf32>) -> tensor<?x8xf32>
  %6 = cnn.linear %5, %w3, %b3 : (tensor<?x8xf32>, tensor<2x8xf32>, tensor<2xf32>) -> tensor<?x2xf32> loc("fc"(unknown))
  return %6 : tensor<?x2xf32>
}

// An input with a fixed batch of 2: torchinfo's numbers at that batch
// (mult-adds 54*2*4 + 2*2*4; forward/backward 2 * 4 * 16; inputs 2*3*4*4*4).
// CHECK-LABEL: model fixed_batch
// CHECK: torchinfo summary (batch 2):
// CHECK-NEXT:   trainable params: 56
// CHECK-NEXT:   non-trainable params: 0
// CHECK-NEXT:   total mult-adds: 448
// JSON-LABEL: "model": "fixed_batch",
// JSON-NEXT: "summary": {
// JSON-NEXT: "batch": 2,
// JSON-NEXT: "estimated_total_bytes": 736,
// JSON-NEXT: "forward_backward_bytes": 128,
// JSON-NEXT: "input_bytes": 384,
// JSON-NEXT: "non_trainable_params": 0,
// JSON-NEXT: "params_bytes": 224,
// JSON-NEXT: "total_mult_adds": 448,
func.func @fixed_batch(%x: tensor<2x3x4x4xf32> {cnn.input = "x"},
                       %w: tensor<2x3x3x3xf32> {cnn.param = "c.weight"},
                       %b: tensor<2xf32> {cnn.param = "c.bias"}) -> tensor<2x2x2x2xf32> {
  %0 = cnn.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<2x3x4x4xf32>, tensor<2x3x3x3xf32>, tensor<2xf32>) -> tensor<2x2x2x2xf32> loc("c"(unknown))
  %1 = cnn.relu %0 : tensor<2x2x2x2xf32>
  return %1 : tensor<2x2x2x2xf32>
}
