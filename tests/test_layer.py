"""Layer arithmetic: output sizes, padding, MACs, parameters and vector operations.

Every expected value is worked out by hand from the counting conventions of
``shared/reference/networks.md`` (written as the calculation, not as its result).
"""

import pytest

from hwsim.workload import layer as L
from hwsim.workload.layer import Layer, TensorShape


def conv(in_shape, out_channels, out_hw, kernel=(1, 1), groups=1, bias=False, bn=False,
         activation=None, first_conv=False, stride=(1, 1), padding=(0, 0, 0, 0)):
    c, h, w = in_shape
    return Layer(name="x", type=L.CONV, inputs=("input",), in_shapes=(TensorShape(c, h, w),),
                 out_shape=TensorShape(out_channels, *out_hw), kernel=kernel, stride=stride,
                 padding=padding, groups=groups, bias=bias, bn=bn, activation=activation,
                 first_conv=first_conv)


# --- output sizes ------------------------------------------------------------------------

@pytest.mark.parametrize("size, kernel, stride, pad, expected", [
    (227, 11, 4, 0, (227 - 11) // 4 + 1),      # AlexNet conv1: 55
    (227, 7, 2, 0, (227 - 7) // 2 + 1),        # SqueezeNet v1.0 conv1: 111
    (227, 3, 2, 0, (227 - 3) // 2 + 1),        # SqueezeNet v1.1 conv1: 113
    (27, 5, 1, 2, 27),                         # AlexNet conv2 keeps the size: (27+4-5)/1+1
    (55, 1, 2, 0, 28),                         # SqueezeNext strided 1x1: floor(54/2)+1
    (224, 3, 1, 1, 224),
])
def test_conv_output_size_is_floor(size, kernel, stride, pad, expected):
    assert L.conv_output_size(size, kernel, stride, pad, pad) == expected


def test_conv_output_size_with_dilation_uses_the_effective_kernel():
    # kernel 3, dilation 2 spans 2*(3-1)+1 = 5 pixels: (9 - 5) // 1 + 1 = 5
    assert L.conv_output_size(9, 3, 1, 0, 0, dilation=2) == 5


def test_conv_output_size_with_asymmetric_padding():
    # 224 + 0 + 1 - 3 = 222, // 2 + 1 = 112 (TF SAME, stride 2)
    assert L.conv_output_size(224, 3, 2, 0, 1) == 112


@pytest.mark.parametrize("size, expected_ceil, expected_floor", [
    (111, -(-(111 - 3) // 2) + 1, (111 - 3) // 2 + 1),   # 55 and 55 (even span)
    (112, -(-(112 - 3) // 2) + 1, (112 - 3) // 2 + 1),   # 56 vs 55 (odd span)
    (54, -(-(54 - 3) // 2) + 1, (54 - 3) // 2 + 1),      # 27 vs 26
])
def test_pool_output_size_ceil_versus_floor(size, expected_ceil, expected_floor):
    assert L.pool_output_size(size, 3, 2, 0, 0, "ceil") == expected_ceil
    assert L.pool_output_size(size, 3, 2, 0, 0, "floor") == expected_floor


def test_pool_ceil_default_is_caffe():
    assert L.pool_output_size(13, 3, 2, 0, 0) == -(-(13 - 3) // 2) + 1  # 6


def test_caffe_clip_rule_drops_a_window_starting_in_the_trailing_padding():
    # 5 wide, kernel 2, stride 2, pad 1: span 5 + 2 - 2 = 5, ceil(5/2) + 1 = 4 windows
    # starting at -1, 1, 3, 5. The one at 5 starts past the input (0..4): Caffe drops it.
    assert L.pool_output_size(5, 2, 2, 1, 1, "ceil") == 4 - 1


def test_caffe_clip_rule_keeps_a_window_that_starts_inside_the_input():
    # 6 wide, kernel 3, stride 2, pad 1: span 6 + 2 - 3 = 5 -> ceil(5/2) + 1 = 4 windows
    # starting at -1, 1, 3, 5; 5 is inside the input (0..5): kept.
    assert L.pool_output_size(6, 3, 2, 1, 1, "ceil") == 4


def test_clip_rule_does_not_apply_without_padding():
    # 6 wide, kernel 2, stride 2, no pad: ceil(4/2) + 1 = 3 (windows at 0, 2, 4)
    assert L.pool_output_size(6, 2, 2, 0, 0, "ceil") == 3


@pytest.mark.parametrize("size, kernel, stride, expected", [
    (224, 3, 2, (0, 1)),   # out 112: total (112-1)*2 + 3 - 224 = 1, the extra pixel after
    (224, 3, 1, (1, 1)),   # out 224: total 223 + 3 - 224 = 2
    (7, 3, 2, (1, 1)),     # out 4: total 3*2 + 3 - 7 = 2
    (5, 2, 2, (0, 1)),     # out 3: total 2*2 + 2 - 5 = 1
    (224, 1, 2, (0, 0)),   # out 112: total 111*2 + 1 - 224 = -1 -> 0
    (113, 5, 2, (2, 2)),   # out 57: total 56*2 + 5 - 113 = 4
])
def test_tf_same_padding(size, kernel, stride, expected):
    assert L.same_padding(size, kernel, stride) == expected
    before, after = expected
    # SAME always gives ceil(size / stride)
    assert L.conv_output_size(size, kernel, stride, before, after) == -(-size // stride)


# --- counts ------------------------------------------------------------------------------

def test_conv_macs_and_params_with_bias():
    # SqueezeNet v1.0 conv1: 96 filters 7x7 over 3 channels, 111x111 outputs
    layer = conv((3, 227, 227), 96, (111, 111), kernel=(7, 7), bias=True, first_conv=True)
    assert layer.weight_count == 96 * 3 * 7 * 7
    assert layer.params == 96 * 3 * 7 * 7 + 96
    assert layer.macs == 96 * 111 * 111 * 3 * 7 * 7
    assert layer.bn_params == 0


def test_grouped_conv_divides_the_input_channels():
    # AlexNet conv2: 256 filters 5x5, groups 2, input 96 channels: each filter sees 48
    layer = conv((96, 27, 27), 256, (27, 27), kernel=(5, 5), groups=2, bias=True)
    assert layer.params == 256 * 48 * 5 * 5 + 256
    assert layer.macs == 256 * 27 * 27 * 48 * 5 * 5
    assert not layer.is_depthwise
    assert layer.mac_class == L.CONV_FXF


def test_depthwise_conv():
    # MobileNet conv1/depthwise: 32 channels, 3x3, 112x112
    layer = conv((32, 112, 112), 32, (112, 112), kernel=(3, 3), groups=32, bn=True,
                 activation="relu6")
    assert layer.is_depthwise
    assert layer.params == 32 * 1 * 3 * 3
    assert layer.macs == 32 * 112 * 112 * 1 * 3 * 3
    assert layer.bn_params == 2 * 32
    assert layer.mac_class == L.DEPTHWISE


def test_rectangular_kernel():
    # SqueezeNext 3x1 separable conv: 8 -> 16 channels, 55x55
    layer = conv((8, 55, 55), 16, (55, 55), kernel=(3, 1), padding=(1, 1, 0, 0))
    assert layer.params == 16 * 8 * 3 * 1
    assert layer.macs == 16 * 55 * 55 * 8 * 3 * 1
    assert layer.mac_class == L.CONV_FXF


def test_fc_flattens_its_input():
    # AlexNet fc6: 256x6x6 = 9216 inputs -> 4096
    layer = Layer(name="fc6", type=L.FC, inputs=("pool5",), in_shapes=(TensorShape(256, 6, 6),),
                  out_shape=TensorShape(4096, 1, 1), bias=True)
    assert layer.in_channels == 256 * 6 * 6
    assert layer.params == 256 * 6 * 6 * 4096 + 4096
    assert layer.macs == 256 * 6 * 6 * 4096
    assert layer.mac_class == L.FC_CLASS


def test_fc_without_bias():
    layer = Layer(name="fc", type=L.FC, inputs=("p",), in_shapes=(TensorShape(128, 1, 1),),
                  out_shape=TensorShape(1000, 1, 1))
    assert layer.params == 128 * 1000


def test_bn_params_fused_and_standalone():
    fused = conv((64, 55, 55), 32, (55, 55), bn=True)
    assert fused.bn_params == 2 * 32
    standalone = Layer(name="bn", type=L.BN, inputs=("c",), in_shapes=(TensorShape(32, 55, 55),),
                       out_shape=TensorShape(32, 55, 55))
    assert standalone.bn_params == 2 * 32
    assert standalone.params == 0 and standalone.macs == 0


def test_mac_classes():
    assert conv((3, 227, 227), 96, (111, 111), kernel=(7, 7), first_conv=True).mac_class == L.FIRST_CONV
    # a 1x1 first conv is still the first conv
    assert conv((3, 8, 8), 4, (8, 8), first_conv=True).mac_class == L.FIRST_CONV
    assert conv((64, 55, 55), 16, (55, 55)).mac_class == L.CONV1X1
    assert conv((16, 55, 55), 64, (55, 55), kernel=(3, 3)).mac_class == L.CONV_FXF
    # grouped but not depthwise (2 input channels per group) stays 1x1
    assert conv((64, 8, 8), 64, (8, 8), groups=32).mac_class == L.CONV1X1


# --- vector operations -------------------------------------------------------------------

def test_pool_vector_ops_are_window_times_outputs():
    layer = Layer(name="pool1", type=L.MAXPOOL, inputs=("conv1",),
                  in_shapes=(TensorShape(96, 55, 55),), out_shape=TensorShape(96, 27, 27),
                  kernel=(3, 3), stride=(2, 2))
    assert layer.vector_ops == 96 * 27 * 27 * 3 * 3
    assert layer.macs == 0 and layer.params == 0


def test_add_and_concat_vector_ops():
    shape = TensorShape(32, 55, 55)
    add = Layer(name="add", type=L.ADD, inputs=("a", "b"), in_shapes=(shape, shape),
                out_shape=shape, activation="relu")
    assert add.vector_ops == 32 * 55 * 55 * (2 - 1) + 32 * 55 * 55  # sum + ReLU
    concat = Layer(name="cat", type=L.CONCAT, inputs=("a", "b"),
                   in_shapes=(TensorShape(64, 55, 55), TensorShape(64, 55, 55)),
                   out_shape=TensorShape(128, 55, 55))
    assert concat.vector_ops == 0
    assert concat.in_channels == 64 + 64


def test_fused_bn_and_activation_cost_one_op_each_per_output():
    layer = conv((16, 10, 10), 8, (10, 10), bn=True, activation="relu")
    assert layer.vector_ops == 8 * 10 * 10 * 2


def test_tensor_shape_rejects_non_positive_sizes():
    with pytest.raises(ValueError):
        TensorShape(3, 0, 224)
    with pytest.raises(ValueError):
        TensorShape(-1, 224, 224)
    assert TensorShape(3, 227, 227).elements == 3 * 227 * 227
