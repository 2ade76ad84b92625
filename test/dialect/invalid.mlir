// RUN: cnnopt-opt %s --split-input-file --verify-diagnostics
// Every verifier and shape rule of the dialect rejects bad IR with a message
// that names the shapes involved.

func.func @conv_groups(%x: tensor<1x3x8x8xf32>, %w: tensor<4x1x3x3xf32>) {
  // expected-error @+2 {{'cnn.conv2d' op input has 3 channels, not divisible by groups=2}}
  // expected-error @+1 {{'cnn.conv2d' op failed to infer returned types}}
  %0 = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 2 : i64} : (tensor<1x3x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_weight(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+2 {{'cnn.conv2d' op weight [4,2,3,3] with groups=1 expects 2 input channels, input is [1,3,8,8]}}
  // expected-error @+1 {{'cnn.conv2d' op failed to infer returned types}}
  %0 = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @conv_window(%x: tensor<1x3x2x2xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'cnn.conv2d' op window [3, 3] is larger than the padded input [2, 2] of input [1,3,2,2]}}
  // expected-error @+1 {{'cnn.conv2d' op failed to infer returned types}}
  %0 = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x3x2x2xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x1x1xf32>
  return
}

// -----

func.func @conv_padding_length(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'cnn.conv2d' op padding must have 4 values [top, left, bottom, right], got 2}}
  // expected-error @+1 {{'cnn.conv2d' op failed to infer returned types}}
  %0 = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<5xf32>) {
  // expected-error @+1 {{'cnn.conv2d' op bias has shape [5], expected [4]}}
  %0 = cnn.conv2d %x, %w, %b {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<5xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @wrong_result(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+2 {{'cnn.conv2d' op inferred type(s) 'tensor<1x4x6x6xf32>' are incompatible with return type(s) of operation 'tensor<1x4x8x8xf32>'}}
  // expected-error @+1 {{'cnn.conv2d' op failed to infer returned types}}
  %0 = cnn.conv2d %x, %w {stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @transpose_output_padding(%x: tensor<1x3x8x8xf32>, %w: tensor<3x4x3x3xf32>) {
  // expected-error @+2 {{'cnn.conv_transpose2d' op output_padding [2, 2] must be smaller than stride [2, 2] or dilation [1, 1]}}
  // expected-error @+1 {{'cnn.conv_transpose2d' op failed to infer returned types}}
  %0 = cnn.conv_transpose2d %x, %w {stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, output_padding = array<i64: 2, 2>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<3x4x3x3xf32>) -> tensor<1x4x19x19xf32>
  return
}

// -----

func.func @linear_features(%x: tensor<?x10xf32>, %w: tensor<4x12xf32>) {
  // expected-error @+2 {{'cnn.linear' op input [N,10] has 10 features, weight [4,12] expects 12}}
  // expected-error @+1 {{'cnn.linear' op failed to infer returned types}}
  %0 = cnn.linear %x, %w : (tensor<?x10xf32>, tensor<4x12xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @bn_stats(%x: tensor<?x8x4x4xf32>, %m: tensor<4xf32>) {
  // expected-error @+1 {{'cnn.batch_norm' op running_mean has shape [4], expected [8]}}
  %0 = cnn.batch_norm %x stats(%m, %m) {eps = 1.0e-05 : f64, momentum = 0.1 : f64} : (tensor<?x8x4x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x8x4x4xf32>
  return
}

// -----

func.func @group_norm_groups(%x: tensor<2x6x4x4xf32>) {
  // expected-error @+2 {{'cnn.group_norm' op input has 6 channels, not divisible by groups=4}}
  // expected-error @+1 {{'cnn.group_norm' op failed to infer returned types}}
  %0 = cnn.group_norm %x {groups = 4 : i64, eps = 1.0e-05 : f64} : (tensor<2x6x4x4xf32>) -> tensor<2x6x4x4xf32>
  return
}

// -----

func.func @layer_norm_dims(%x: tensor<2x6x4x4xf32>) {
  // expected-error @+2 {{'cnn.layer_norm' op dims=4 must be between 1 and 3 for input [2,6,4,4]}}
  // expected-error @+1 {{'cnn.layer_norm' op failed to infer returned types}}
  %0 = cnn.layer_norm %x {dims = 4 : i64, eps = 1.0e-05 : f64} : (tensor<2x6x4x4xf32>) -> tensor<2x6x4x4xf32>
  return
}

// -----

func.func @pool_padding(%x: tensor<1x3x8x8xf32>) {
  // expected-error @+2 {{'cnn.max_pool2d' op padding [2, 2] must be at most half of kernel [3, 3]}}
  // expected-error @+1 {{'cnn.max_pool2d' op failed to infer returned types}}
  %0 = cnn.max_pool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 2, 2>, dilation = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x3x8x8xf32>) -> tensor<1x3x10x10xf32>
  return
}

// -----

func.func @upsample_mode(%x: tensor<1x3x8x8xf32>) {
  // expected-error @+1 {{'cnn.upsample2d' op mode must be "nearest" or "bilinear", got "bicubic"}}
  %0 = cnn.upsample2d %x {scale = 2 : i64, mode = "bicubic"} : (tensor<1x3x8x8xf32>) -> tensor<1x3x16x16xf32>
  return
}

// -----

func.func @concat_mismatch(%a: tensor<?x64x16x16xf32>, %b: tensor<?x32x8x8xf32>) {
  // expected-error @+2 {{'cnn.concat' op along axis 1: shapes [N,64,16,16] and [N,32,8,8] differ in axis 2}}
  // expected-error @+1 {{'cnn.concat' op failed to infer returned types}}
  %0 = cnn.concat %a, %b {axis = 1 : i64} : (tensor<?x64x16x16xf32>, tensor<?x32x8x8xf32>) -> tensor<?x96x16x16xf32>
  return
}

// -----

func.func @broadcast_mismatch(%a: tensor<?x4x8x8xf32>, %b: tensor<?x3x1x1xf32>) {
  // expected-error @+2 {{'cnn.add' op shapes [N,4,8,8] and [N,3,1,1] cannot be broadcast together}}
  // expected-error @+1 {{'cnn.add' op failed to infer returned types}}
  %0 = cnn.add %a, %b : (tensor<?x4x8x8xf32>, tensor<?x3x1x1xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func.func @reshape_batch(%x: tensor<?x48xf32>) {
  // expected-error @+2 {{'cnn.reshape' op input [N,48] has a run-time batch, so the -1 must be in position 0 of [4,-1]}}
  // expected-error @+1 {{'cnn.reshape' op failed to infer returned types}}
  %0 = cnn.reshape %x {shape = array<i64: 4, -1>} : (tensor<?x48xf32>) -> tensor<4x12xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<?x10xf32>) {
  // expected-error @+1 {{'cnn.softmax' op axis 2 is out of range for rank 2}}
  %0 = cnn.softmax %x {axis = 2 : i64} : tensor<?x10xf32>
  return
}

// -----

func.func @gelu_mode(%x: tensor<?x10xf32>) {
  // expected-error @+1 {{'cnn.gelu' op approximate must be "none" or "tanh", got "fast"}}
  %0 = cnn.gelu %x {approximate = "fast"} : tensor<?x10xf32>
  return
}

// -----

func.func @dropout_p(%x: tensor<?x10xf32>) {
  // expected-error @+1 {{'cnn.dropout' op p=1.5 must be in [0, 1)}}
  %0 = cnn.dropout %x {p = 1.5 : f64} : tensor<?x10xf32>
  return
}

// -----

func.func @cross_entropy_labels(%l: tensor<?x10xf32>, %y: tensor<?x2xi32>) {
  // expected-error @+2 {{'cnn.cross_entropy' op labels [N,2] must be [N] for logits [N,10]}}
  // expected-error @+1 {{'cnn.cross_entropy' op failed to infer returned types}}
  %0 = cnn.cross_entropy %l, %y {label_smoothing = 0.0 : f64} : (tensor<?x10xf32>, tensor<?x2xi32>) -> tensor<f32>
  return
}

// -----

func.func @relu_int(%x: tensor<4xi32>) {
  // expected-error @+1 {{'cnn.relu' op operand #0 must be ranked tensor of 32-bit float values}}
  %0 = cnn.relu %x : tensor<4xi32>
  return
}

// -----

func.func @fused_residual_shape(%x: tensor<1x8x8x8xf32>, %w: tensor<8x8x3x3xf32>, %r: tensor<1x8x4x4xf32>) {
  // expected-error @+1 {{'cnn.fused_conv2d' op residual has shape [1,8,4,4], expected [1,8,8,8]}}
  %0 = cnn.fused_conv2d %x, %w residual(%r) {activation = #cnn<activation none>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @fused_activation(%x: tensor<1x8x8x8xf32>, %w: tensor<8x8x3x3xf32>) {
  // expected-error @+2 {{expected ::mlir::cnn::Activation to be one of: none, relu, relu6, sigmoid, tanh, silu, hardswish, hardsigmoid}}
  // expected-error @+1 {{failed to parse Cnn_ActivationAttr parameter 'value' which is to be a `::mlir::cnn::Activation`}}
  %0 = cnn.fused_conv2d %x, %w {activation = #cnn<activation swish>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @fused_params_without_parametrised(%x: tensor<1x8x8x8xf32>, %w: tensor<8x8x1x1xf32>) {
  // expected-error @+1 {{'cnn.fused_conv2d' op activation relu takes 0 activation_params, got 1}}
  %0 = cnn.fused_conv2d %x, %w {activation = #cnn<activation relu>, activation_params = array<f64: 1.000000e-01>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @fused_leaky_without_slope(%x: tensor<1x8x8x8xf32>, %w: tensor<8x8x1x1xf32>) {
  // expected-error @+1 {{'cnn.fused_conv2d' op activation leaky_relu takes 1 activation_params, got none}}
  %0 = cnn.fused_conv2d %x, %w {activation = #cnn<activation leaky_relu>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x8x8x8xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @fused_softplus_one_param(%x: tensor<?x16xf32>, %w: tensor<10x16xf32>) {
  // expected-error @+1 {{'cnn.fused_linear' op activation softplus takes 2 activation_params, got 1}}
  %0 = cnn.fused_linear %x, %w {activation = #cnn<activation softplus>, activation_params = array<f64: 1.0>} : (tensor<?x16xf32>, tensor<10x16xf32>) -> tensor<?x10xf32>
  return
}

// -----

func.func @fused_linear_affine(%x: tensor<?x16xf32>, %w: tensor<10x16xf32>, %s: tensor<10xf32>, %t: tensor<16xf32>) {
  // expected-error @+1 {{'cnn.fused_linear' op shift has shape [16], expected [10]}}
  %0 = cnn.fused_linear %x, %w affine(%s, %t) {activation = #cnn<activation none>} : (tensor<?x16xf32>, tensor<10x16xf32>, tensor<10xf32>, tensor<16xf32>) -> tensor<?x10xf32>
  return
}

// -----

func.func @fused_linear_residual(%x: tensor<?x16xf32>, %w: tensor<10x16xf32>, %r: tensor<?x16xf32>) {
  // expected-error @+1 {{'cnn.fused_linear' op residual has shape [N,16], expected [N,10]}}
  %0 = cnn.fused_linear %x, %w residual(%r) {activation = #cnn<activation none>} : (tensor<?x16xf32>, tensor<10x16xf32>, tensor<?x16xf32>) -> tensor<?x10xf32>
  return
}

// -----

func.func @transpose_affine(%x: tensor<1x3x8x8xf32>, %w: tensor<3x4x3x3xf32>, %s: tensor<3xf32>) {
  // expected-error @+1 {{'cnn.conv_transpose2d' op scale has shape [3], expected [4]}}
  %0 = cnn.conv_transpose2d %x, %w affine(%s, %s) {stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, output_padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<3x4x3x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x4x10x10xf32>
  return
}

// -----

func.func @bn_scale_shape(%v: tensor<8xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{'cnn.batch_norm_scale' op operands must have the result's shape [8], got [4]}}
  %0 = cnn.batch_norm_scale %v, %g {eps = 1.000000e-05 : f64} : (tensor<8xf32>, tensor<4xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @bn_scale_eps(%v: tensor<8xf32>) {
  // expected-error @+1 {{'cnn.batch_norm_scale' op eps must not be negative}}
  %0 = cnn.batch_norm_scale %v {eps = -1.000000e-05 : f64} : (tensor<8xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @bn_shift_rank(%m: tensor<2x4xf32>, %s: tensor<2x4xf32>) {
  // expected-error @+1 {{'cnn.batch_norm_shift' op result must be [C], got [2,4]}}
  %0 = cnn.batch_norm_shift %m, %s : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

// Training-step ops (CnnGradOps.td).
func.func @conv_grad_input_shape(%dy: tensor<?x4x5x5xf32>, %w: tensor<4x2x3x3xf32>, %x: tensor<?x2x6x6xf32>) {
  // expected-error @+1 {{'cnn.conv2d_grad_input' op grad has shape [N,4,5,5], the forward op's output [N,4,6,6]}}
  %0 = cnn.conv2d_grad_input %dy, %w, %x {dilation = array<i64: 1, 1>, groups = 1 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x4x5x5xf32>, tensor<4x2x3x3xf32>, tensor<?x2x6x6xf32>) -> tensor<?x2x6x6xf32>
  return
}

// -----

func.func @conv_grad_weight_groups(%dy: tensor<?x4x6x6xf32>, %x: tensor<?x2x6x6xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+1 {{'cnn.conv2d_grad_weight' op forward op: }}
  %0 = cnn.conv2d_grad_weight %dy, %x, %w {dilation = array<i64: 1, 1>, groups = 2 : i64, padding = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<?x4x6x6xf32>, tensor<?x2x6x6xf32>, tensor<4x2x3x3xf32>) -> tensor<4x2x3x3xf32>
  return
}

// -----

func.func @activation_grad_none(%dy: tensor<?x4xf32>, %x: tensor<?x4xf32>) {
  // expected-error @+1 {{'cnn.activation_grad' op needs an activation, not none}}
  %0 = cnn.activation_grad %dy, %x {activation = #cnn<activation none>} : tensor<?x4xf32>
  return
}

// -----

func.func @activation_grad_slope(%dy: tensor<?x4xf32>, %x: tensor<?x4xf32>) {
  // expected-error @+1 {{'cnn.activation_grad' op leaky_relu takes 1 activation_params}}
  %0 = cnn.activation_grad %dy, %x {activation = #cnn<activation leaky_relu>} : tensor<?x4xf32>
  return
}

// -----

func.func @matmul_inner(%a: tensor<?x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error @+2 {{'cnn.matmul' op failed to infer returned types}}
  // expected-error @+1 {{'cnn.matmul' op inner sizes differ: [N,3] times [4,5]}}
  %0 = cnn.matmul %a, %b {transpose_lhs = false} : (tensor<?x3xf32>, tensor<4x5xf32>) -> tensor<?x5xf32>
  return
}

// -----

func.func @slice_outside(%x: tensor<?x8xf32>) {
  // expected-error @+2 {{'cnn.slice' op failed to infer returned types}}
  // expected-error @+1 {{'cnn.slice' op [6, 10) is outside axis 1 of [N,8]}}
  %0 = cnn.slice %x {axis = 1 : i64, start = 6 : i64, size = 4 : i64} : (tensor<?x8xf32>) -> tensor<?x4xf32>
  return
}

// -----

func.func @take_row_outside(%s: tensor<2x8xf32>) {
  // expected-error @+2 {{'cnn.take_row' op failed to infer returned types}}
  // expected-error @+1 {{'cnn.take_row' op row 2 is not a row of [2,8]}}
  %0 = cnn.take_row %s {index = 2 : i64} : (tensor<2x8xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @running_average_row(%r: tensor<8xf32>, %s: tensor<3x8xf32>) {
  // expected-error @+1 {{'cnn.running_average' op row 3 is not a row of batch_norm_stats (0..2)}}
  %0 = cnn.running_average %r, %s {momentum = 1.000000e-01 : f64, row = 3 : i64} : (tensor<8xf32>, tensor<3x8xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @batch_norm_train_stats(%x: tensor<?x8x4x4xf32>, %s: tensor<2x8xf32>) {
  // expected-error @+1 {{'cnn.batch_norm_train' op stats has shape [2,8], expected [3,8]}}
  %0 = cnn.batch_norm_train %x, %s {eps = 1.000000e-05 : f64} : (tensor<?x8x4x4xf32>, tensor<2x8xf32>) -> tensor<?x8x4x4xf32>
  return
}

// -----

func.func @max_pool_grad_shape(%dy: tensor<?x4x3x3xf32>, %x: tensor<?x4x8x8xf32>) {
  // expected-error @+1 {{'cnn.max_pool2d_grad' op grad has shape [N,4,3,3], the forward op's output [N,4,4,4]}}
  %0 = cnn.max_pool2d_grad %dy, %x {ceil_mode = false, dilation = array<i64: 1, 1>, kernel = array<i64: 2, 2>, padding = array<i64: 0, 0>, stride = array<i64: 2, 2>} : (tensor<?x4x3x3xf32>, tensor<?x4x8x8xf32>) -> tensor<?x4x8x8xf32>
  return
}

// -----

func.func @adam_order(%m: tensor<8xf32>, %g: tensor<8xf32>, %p: tensor<8xf32>) {
  // expected-error @+1 {{'cnn.adam_moment' op order 3 must be 1 or 2}}
  %0 = cnn.adam_moment %m, %g, %p {beta = 9.000000e-01 : f64, order = 3 : i64, weight_decay = 0.000000e+00 : f64} : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @prelu_weight(%x: tensor<?x8x4x4xf32>, %w: tensor<3xf32>) {
  // expected-error @+1 {{'cnn.prelu' op weight has shape [3], expected [1] or [channels] of input [N,8,4,4]}}
  %0 = cnn.prelu %x, %w : tensor<?x8x4x4xf32>, tensor<3xf32>
  return
}

// -----

func.func @glu_odd(%x: tensor<?x8x4x5xf32>) {
  // expected-error @+2 {{'cnn.glu' op halving axis 3 of [N,8,4,5] needs an even size, got 5}}
  // expected-error @+1 {{'cnn.glu' op failed to infer returned types}}
  %0 = cnn.glu %x {axis = 3 : i64} : (tensor<?x8x4x5xf32>) -> tensor<?x8x4x2xf32>
  return
}

// -----

func.func @pad2d_reflect_too_wide(%x: tensor<?x8x4x4xf32>) {
  // expected-error @+2 {{'cnn.pad2d' op mode "reflect" needs each pad less than its axis: right=4 on axis 3 of [N,8,4,4]}}
  // expected-error @+1 {{'cnn.pad2d' op failed to infer returned types}}
  %0 = cnn.pad2d %x {pads = array<i64: 1, 4, 0, 0>, mode = "reflect", value = 0.0 : f64} : (tensor<?x8x4x4xf32>) -> tensor<?x8x4x9xf32>
  return
}

// -----

func.func @pixel_shuffle_channels(%x: tensor<?x8x4x4xf32>) {
  // expected-error @+2 {{'cnn.pixel_shuffle' op input [N,8,4,4] has 8 channels, not divisible by factor*factor=9}}
  // expected-error @+1 {{'cnn.pixel_shuffle' op failed to infer returned types}}
  %0 = cnn.pixel_shuffle %x {factor = 3 : i64} : (tensor<?x8x4x4xf32>) -> tensor<?x1x12x12xf32>
  return
}

// -----

func.func @pad2d_grad_constant(%dy: tensor<?x8x6x6xf32>, %x: tensor<?x8x4x4xf32>) {
  // expected-error @+1 {{'cnn.pad2d_grad' op mode must be "reflect" or "replicate", got "constant"}}
  %0 = cnn.pad2d_grad %dy, %x {pads = array<i64: 1, 1, 1, 1>, mode = "constant"} : (tensor<?x8x6x6xf32>, tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  return
}
