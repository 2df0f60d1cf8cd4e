"""One operation of a network, its loop bounds and its shapes.

A :class:`Layer` is an immutable record built by shape inference (see ``network.py``): it
knows its input and output tensor shapes and derives everything that is counted from them.

Counting conventions (``shared/reference/networks.md``):

* convolution output size ``floor((H + pad_top + pad_bottom - dilation*(k-1) - 1) / stride) + 1``
  (the Caffe rule);
* pooling output size: the same with ``ceil`` (Caffe) or ``floor`` (TF / PyTorch); with
  ``ceil`` the last window must start inside the input plus the leading padding (Caffe's
  clipping rule);
* MACs: convolution ``K * P * Q * (C / G) * R * S``; fully connected ``C_in * C_out``;
  pooling, activations, normalisation, concat and element-wise add / multiply have no MACs
  but are counted as vector operations (see :attr:`Layer.vector_ops` and
  :data:`ACTIVATION_OPS`);
* data movement: a channel ``shuffle`` (ShuffleNet) has no MACs and no vector operations
  (it computes nothing); it moves its tensor, :attr:`Layer.moved_words` words (see
  ``hwsim/cost/model.py`` for what that costs);
* parameters: conv / FC weights plus biases; BatchNorm scale and shift reported apart.

Legend used in formulas: K output channels, C input channels, G groups, P x Q output
height x width, R x S kernel height x width.
"""

from __future__ import annotations

from dataclasses import dataclass

# Layer types. Depthwise is a ``conv`` whose ``groups`` equals its input channels.
CONV = "conv"
FC = "fc"
MAXPOOL = "maxpool"
AVGPOOL = "avgpool"
CONCAT = "concat"
ADD = "add"
MUL = "mul"  # element-wise product; an input may be a per-channel [C, 1, 1] vector (broadcast)
RELU = "relu"
# Stand-alone activations beyond ReLU (modern mobile CNNs); also values of ``activation``.
SIGMOID = "sigmoid"
HARDSIGMOID = "hardsigmoid"
HARDSWISH = "hardswish"
SWISH = "swish"  # x * sigmoid(x), PyTorch's SiLU
BN = "bn"
LRN = "lrn"
DROPOUT = "dropout"
SOFTMAX = "softmax"
FLATTEN = "flatten"
# Channel shuffle (ShuffleNet, Zhang et al. 2018): with ``groups`` g and C = g * n channels,
# output channel i * g + j is input channel j * n + i (reshape to [g, n], transpose, flatten).
SHUFFLE = "shuffle"

POOL_TYPES = frozenset({MAXPOOL, AVGPOOL})
JOIN_TYPES = frozenset({CONCAT, ADD, MUL})
ACTIVATION_TYPES = frozenset({SIGMOID, HARDSIGMOID, HARDSWISH, SWISH})
ELEMENTWISE_TYPES = frozenset({RELU, BN, LRN, DROPOUT, SOFTMAX, FLATTEN}) | ACTIVATION_TYPES
DATA_MOVEMENT_TYPES = frozenset({SHUFFLE})  # no arithmetic: the tensor is moved, not computed on
LAYER_TYPES = frozenset({CONV, FC}) | JOIN_TYPES | POOL_TYPES | ELEMENTWISE_TYPES | DATA_MOVEMENT_TYPES

# Vector-unit operations per element of each activation, counting one per elementary step
# (a multiply-add, a clamp, an exp, a divide each count one):
#   relu max(x, 0), relu6 clamp(x, 0, 6), leaky max(x, a*x): 1;
#   hardsigmoid clamp(x/6 + 1/2, 0, 1) (ONNX: clamp(alpha*x + beta, 0, 1)): multiply-add, clamp = 2;
#   hardswish x * hardsigmoid(x): 2 + multiply = 3;
#   sigmoid 1 / (1 + exp(-x)): exp, add, divide = 3;
#   swish (SiLU) x * sigmoid(x): 3 + multiply = 4.
ACTIVATION_OPS = {"relu": 1, "relu6": 1, "leaky": 1, HARDSIGMOID: 2, HARDSWISH: 3, SIGMOID: 3,
                  SWISH: 4}
ACTIVATIONS = frozenset(ACTIVATION_OPS)

# Layer classes used for the MAC share (accelerator paper, Table 1).
FIRST_CONV = "first_conv"
CONV1X1 = "conv1x1"
CONV_FXF = "convFxF"
DEPTHWISE = "depthwise"
FC_CLASS = "fc"
OTHER = "other"
MAC_CLASSES = (FIRST_CONV, CONV1X1, CONV_FXF, DEPTHWISE, FC_CLASS)


@dataclass(frozen=True, slots=True)
class TensorShape:
    """A feature map: channels x height x width (batch 1)."""

    channels: int
    height: int
    width: int

    def __post_init__(self) -> None:
        for name in ("channels", "height", "width"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"TensorShape.{name} must be a positive integer, got {value!r}")

    @property
    def elements(self) -> int:
        """Number of values in the tensor."""
        return self.channels * self.height * self.width

    def as_list(self) -> list[int]:
        return [self.channels, self.height, self.width]

    def __str__(self) -> str:
        return f"{self.channels}x{self.height}x{self.width}"


def conv_output_size(size: int, kernel: int, stride: int, pad_before: int, pad_after: int,
                     dilation: int = 1) -> int:
    """Convolution output length (Caffe rule, floor). May be <= 0 for a too-large kernel."""
    effective = dilation * (kernel - 1) + 1
    return (size + pad_before + pad_after - effective) // stride + 1


def pool_output_size(size: int, kernel: int, stride: int, pad_before: int, pad_after: int,
                     rounding: str = "ceil") -> int:
    """Pooling output length, ``ceil`` (Caffe) or ``floor`` rounding.

    With ``ceil`` and padding, Caffe drops a last window that would start in the trailing
    padding only; we follow that rule.
    """
    span = size + pad_before + pad_after - kernel
    if span < 0:
        return span // stride + 1  # <= 0: reported as an error by shape inference
    if rounding == "ceil":
        out = -(-span // stride) + 1
        if (pad_before or pad_after) and (out - 1) * stride >= size + pad_before:
            out -= 1
        return out
    return span // stride + 1


def same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TF ``SAME`` padding: output = ceil(size / stride); the extra pixel goes after."""
    out = -(-size // stride)
    effective = dilation * (kernel - 1) + 1
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


@dataclass(frozen=True, slots=True)
class Layer:
    """One operation with its resolved shapes. Built by shape inference, never mutated.

    ``kernel``/``stride``/``dilation`` are (height, width); ``padding`` is
    (top, bottom, left, right). For ``fc`` the input is flattened: C*H*W features.
    ``activation`` and ``bn`` record a fused activation / BatchNorm that follows the layer
    (they cost vector operations, not MACs). ``groups`` is a conv's groups, or the groups a
    ``shuffle`` interleaves.
    """

    name: str
    type: str
    inputs: tuple[str, ...]
    in_shapes: tuple[TensorShape, ...]
    out_shape: TensorShape
    kernel: tuple[int, int] = (1, 1)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int, int, int] = (0, 0, 0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    bias: bool = False
    bn: bool = False
    activation: str | None = None
    is_global: bool = False
    first_conv: bool = False

    def __post_init__(self) -> None:
        if self.type not in LAYER_TYPES:
            raise ValueError(f"unknown layer type {self.type!r}")
        if not self.in_shapes:
            raise ValueError(f"layer {self.name!r} has no input")
        if self.groups <= 0:
            raise ValueError(f"layer {self.name!r}: groups must be positive")

    # --- shapes -------------------------------------------------------------------------
    @property
    def in_shape(self) -> TensorShape:
        """The (first) input's shape."""
        return self.in_shapes[0]

    @property
    def in_channels(self) -> int:
        if self.type == FC:
            return self.in_shape.elements
        if self.type == CONCAT:
            return sum(s.channels for s in self.in_shapes)
        return self.in_shape.channels

    @property
    def full_inputs(self) -> tuple[TensorShape, ...]:
        """The inputs of the output's full size (a ``mul``'s broadcast vectors left out)."""
        return tuple(s for s in self.in_shapes
                     if (s.height, s.width) == (self.out_shape.height, self.out_shape.width))

    @property
    def out_channels(self) -> int:
        return self.out_shape.channels

    @property
    def is_depthwise(self) -> bool:
        """A grouped conv with one input channel per group (groups == in_channels > 1)."""
        return self.type == CONV and self.groups > 1 and self.groups == self.in_channels

    @property
    def has_weights(self) -> bool:
        return self.type in (CONV, FC)

    # --- counts ------------------------------------------------------------------------
    @property
    def weight_count(self) -> int:
        """Weights (no bias): K * C/G * R * S for conv, C_in * C_out for FC."""
        if self.type == CONV:
            kh, kw = self.kernel
            return self.out_channels * (self.in_channels // self.groups) * kh * kw
        if self.type == FC:
            return self.in_channels * self.out_channels
        return 0

    @property
    def params(self) -> int:
        """Conv / FC weights plus biases (BatchNorm excluded)."""
        if not self.has_weights:
            return 0
        return self.weight_count + (self.out_channels if self.bias else 0)

    @property
    def bn_params(self) -> int:
        """BatchNorm scale and shift: 2 per channel of the normalised tensor."""
        if self.type == BN:
            return 2 * self.out_channels
        return 2 * self.out_channels if self.bn else 0

    @property
    def macs(self) -> int:
        """Multiply-accumulates: conv K*P*Q*(C/G)*R*S, FC C_in*C_out, else 0."""
        if self.type == CONV:
            return self.weight_count * self.out_shape.height * self.out_shape.width
        if self.type == FC:
            return self.weight_count
        return 0

    @property
    def vector_ops(self) -> int:
        """Element operations outside the PE array (pooling, add, activations, BN, ...).

        Pooling: one operation per window element per output; element-wise add and multiply
        (a broadcast per-channel vector included, as in squeeze-and-excitation): one per
        output per extra input; concat: 0 (a buffer-layout matter); stand-alone
        relu/bn/lrn/softmax: one per element (LRN: one per element per window position is
        not modelled; it counts as one); stand-alone sigmoid / hardsigmoid / hardswish /
        swish: :data:`ACTIVATION_OPS` per element. Fused bn: one per output; fused
        activation: :data:`ACTIVATION_OPS` per output.
        """
        out = self.out_shape.elements
        ops = 0
        if self.type in POOL_TYPES:
            kh, kw = self.kernel
            ops = out * kh * kw
        elif self.type in (ADD, MUL):
            ops = out * (len(self.in_shapes) - 1)
        elif self.type in (RELU, BN, LRN, SOFTMAX):
            ops = out
        elif self.type in ACTIVATION_TYPES:
            ops = out * ACTIVATION_OPS[self.type]
        if self.bn:
            ops += out
        if self.activation:
            ops += out * ACTIVATION_OPS[self.activation]
        return ops

    @property
    def moved_words(self) -> int:
        """Words a data-movement layer reads and writes without computing on them: a
        ``shuffle`` moves its whole tensor once (C * H * W); every other layer 0."""
        return self.out_shape.elements if self.type in DATA_MOVEMENT_TYPES else 0

    @property
    def mac_class(self) -> str:
        """Class for the MAC share: first_conv, conv1x1, convFxF, depthwise, fc or other."""
        if self.type == FC:
            return FC_CLASS
        if self.type != CONV:
            return OTHER
        if self.first_conv:
            return FIRST_CONV
        if self.is_depthwise:
            return DEPTHWISE
        if self.kernel == (1, 1):
            return CONV1X1
        return CONV_FXF



def ceil_div(a: int, b: int) -> int:
    """Integer ceiling of a / b for positive b."""
    return -(-a // b)


__all__ = [
    "TensorShape", "Layer", "conv_output_size", "pool_output_size", "same_padding", "ceil_div",
    "CONV", "FC", "MAXPOOL", "AVGPOOL", "CONCAT", "ADD", "MUL", "RELU", "BN", "LRN", "DROPOUT",
    "SOFTMAX", "FLATTEN", "SHUFFLE", "SIGMOID", "HARDSIGMOID", "HARDSWISH", "SWISH", "LAYER_TYPES",
    "POOL_TYPES", "JOIN_TYPES", "ACTIVATION_TYPES", "ELEMENTWISE_TYPES", "DATA_MOVEMENT_TYPES",
    "ACTIVATIONS",
    "ACTIVATION_OPS",
    "MAC_CLASSES", "FIRST_CONV", "CONV1X1", "CONV_FXF", "DEPTHWISE", "FC_CLASS", "OTHER",
]
