"""One handler per ONNX operator (or family), and the table that picks them.

A handler gets the run's :class:`~hwsim.importers.onnx.context.Context` and a node whose
inputs are all converted, and adds a layer, folds the node into one
(:mod:`~hwsim.importers.onnx.folding`), passes its input on, or reports a problem or an
unsupported node. :data:`HANDLERS` is the whole list of supported operators.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hwsim.importers.onnx import folding
from hwsim.importers.onnx.context import Context
from hwsim.workload import layer as L

Handler = Callable[[Context, Any], None]


def _pair(values: Any) -> Any:
    """(3, 3) -> 3; (3, 1) -> [3, 1] (the compact YAML form)."""
    a, b = int(values[0]), int(values[1])
    return a if a == b else [a, b]


# --- layers with weights -----------------------------------------------------------------

def conv(ctx: Context, node: Any) -> None:
    """Conv: output channels and kernel from the weight's shape, else from kernel_shape and
    the output's shape."""
    data = ctx.data_inputs(node)
    if len(data) != 1:
        ctx.problem(node, "expected one activation input (X) and constant weights")
        return
    x = data[0]
    w_shape = ctx.shape(node.input[1]) if len(node.input) > 1 else None
    kernel = ctx.attr(node, "kernel_shape")
    if kernel is None and w_shape is not None and None not in w_shape[2:]:
        kernel = w_shape[2:]
    if kernel is None:
        ctx.problem(node, "the kernel size is unknown: no kernel_shape attribute and no "
                          "weight shape" + _weightless_hint(ctx, node))
        return
    if len(kernel) != 2:
        ctx.problem(node, f"a {len(kernel)}-D convolution; only 2-D convolutions are "
                          "supported")
        return
    out_channels = _conv_out_channels(ctx, node, w_shape)
    if out_channels is None:
        ctx.problem(node, "the number of output channels is unknown: neither the weight "
                          f"'{node.input[1] if len(node.input) > 1 else ''}' nor the "
                          "output has a known shape")
        return
    padding = folding.padding(ctx, node, x)
    src = ctx.source(node, x, allow_pad=True)
    if padding is None or src is None:
        return
    attrs: dict[str, Any] = {
        "out_channels": int(out_channels), "kernel": _pair(kernel),
        "stride": _pair(tuple(ctx.attr(node, "strides", [1, 1]))), "padding": padding,
        "dilation": _pair(tuple(ctx.attr(node, "dilations", [1, 1]))),
        "groups": int(ctx.attr(node, "group", 1)),
        "bias": len(node.input) > 2 and bool(node.input[2])}
    layer = ctx.add_layer(node, L.CONV, [src], attrs)
    layer.same_lower = ctx.attr(node, "auto_pad", "") == "SAME_LOWER"
    if w_shape and len(w_shape) == 4 and w_shape[1]:
        layer.conv_in_per_group = int(w_shape[1])


def _weightless_hint(ctx: Context, node: Any) -> str:
    """Why a weight has no shape, when it is declared nowhere (a dynamo export without
    weights), and the export that keeps the shapes."""
    weight = node.input[1] if len(node.input) > 1 else ""
    if not weight or weight not in ctx.graph.undeclared:
        return ""
    return (f" (the weight '{weight}' is neither stored nor declared: the model was exported "
            "without its weights, as torch.onnx.export(..., dynamo=True, export_params=False) "
            "does; export it with them, the default, which writes them to a separate "
            "MODEL.onnx.data file that hwsim never reads)")


def _conv_out_channels(ctx: Context, node: Any, w_shape: Any) -> int | None:
    if w_shape and w_shape[0]:
        return int(w_shape[0])
    y = ctx.shape(node.output[0])
    return y[1] if y and len(y) == 4 else None


def gemm(ctx: Context, node: Any) -> None:
    if ctx.attr(node, "transA", 0):
        ctx.unsupported_node(node, "Gemm with transA=1 is not supported")
        return
    b_shape = ctx.shape(node.input[1]) if len(node.input) > 1 else None
    trans_b = bool(ctx.attr(node, "transB", 0))
    out_features = in_features = None
    if b_shape and len(b_shape) == 2:
        in_features, out_features = (b_shape[1], b_shape[0]) if trans_b else tuple(b_shape)
    bias = len(node.input) > 2 and bool(node.input[2])
    _fc(ctx, node, out_features, in_features, bias)


def matmul(ctx: Context, node: Any) -> None:
    if len(node.input) < 2 or node.input[1] not in ctx.meta:
        ctx.unsupported_node(node, "MatMul of two activations (not a fully connected "
                                   "layer) is not supported")
        return
    b_shape = ctx.shape(node.input[1])
    out_features = in_features = None
    if b_shape and len(b_shape) == 2:
        in_features, out_features = b_shape
    _fc(ctx, node, out_features, in_features, False)


def _fc(ctx: Context, node: Any, out_features: int | None, in_features: int | None,
        bias: bool) -> None:
    if out_features is None:
        y = ctx.shape(node.output[0])
        out_features = y[-1] if y else None
    if not out_features:
        ctx.problem(node, "the number of output features is unknown: neither the weight "
                          "nor the output has a known shape")
        return
    layer = ctx.simple(node, L.FC, {"out_channels": int(out_features), "bias": bias})
    if layer is not None:
        layer.fc_in_features = in_features


# --- pooling ---------------------------------------------------------------------------------

def _pool(ctx: Context, node: Any, kind: str) -> None:
    data = ctx.data_inputs(node)
    kernel = ctx.attr(node, "kernel_shape")
    if len(data) != 1 or kernel is None:
        ctx.problem(node, "expected one input and a kernel_shape")
        return
    if len(kernel) != 2:
        ctx.problem(node, f"{len(kernel)}-D pooling; only 2-D pooling is supported")
        return
    if any(d != 1 for d in ctx.attr(node, "dilations", [1, 1])):
        ctx.problem(node, "dilated pooling is not supported")
        return
    padding = folding.padding(ctx, node, data[0])
    src = ctx.source(node, data[0], allow_pad=True)
    if padding is None or src is None:
        return
    attrs = {"kernel": _pair(kernel), "stride": _pair(ctx.attr(node, "strides", [1, 1])),
             "padding": padding,
             "rounding": "ceil" if ctx.attr(node, "ceil_mode", 0) else "floor"}
    layer = ctx.add_layer(node, kind, [src], attrs)
    layer.same_lower = ctx.attr(node, "auto_pad", "") == "SAME_LOWER"


def max_pool(ctx: Context, node: Any) -> None:
    _pool(ctx, node, L.MAXPOOL)


def average_pool(ctx: Context, node: Any) -> None:
    _pool(ctx, node, L.AVGPOOL)


def global_average_pool(ctx: Context, node: Any) -> None:
    ctx.simple(node, L.AVGPOOL, {"global": True})


def global_max_pool(ctx: Context, node: Any) -> None:
    ctx.simple(node, L.MAXPOOL, {"global": True})


def reduce_mean(ctx: Context, node: Any) -> None:
    """ReduceMean over height and width (keepdims 0 or 1) is global average pooling (what
    PyTorch's dynamo exporter writes for ``AdaptiveAvgPool2d(1)``)."""
    x = _one_input(ctx, node)
    if x is None:
        return
    axes = _reduced_axes(ctx, node, x)
    if axes != {2, 3}:
        which = "unknown axes" if axes is None else f"axes {sorted(axes)}"
        ctx.unsupported_node(node, f"ReduceMean over {which} is not supported (only over "
                                   "height and width, axes [2, 3]: global average pooling)")
        return
    ctx.simple(node, L.AVGPOOL, {"global": True})


def _reduced_axes(ctx: Context, node: Any, x: str) -> set[int] | None:
    """The axes a ReduceMean of a 4-D tensor reduces (attribute before opset 18, input
    after), else read off the input's and output's shapes; None if unknown."""
    axes = ctx.attr(node, "axes")
    if axes is None and len(node.input) > 1 and node.input[1]:
        value = ctx.value(node.input[1])
        axes = None if value is None else [int(a) for a in value.reshape(-1)]
    if axes is not None:
        return {int(a) % 4 for a in axes}
    if len(node.input) < 2 or not node.input[1]:  # no axes: all of them
        return None if ctx.attr(node, "noop_with_empty_axes", 0) else {0, 1, 2, 3}
    dims, out = ctx.shape(x), ctx.shape(node.output[0])
    if not dims or not out or len(dims) != 4 or None in dims[:2] or None in out:
        return None
    if len(out) == 4 and out[:2] == dims[:2] and out[2:] == [1, 1]:
        return {2, 3}
    if len(out) == 2 and out == dims[:2]:
        return {2, 3}
    return None


# --- joins -----------------------------------------------------------------------------------

def concat(ctx: Context, node: Any) -> None:
    axis = int(ctx.attr(node, "axis", 1))
    if axis not in (1, -3):
        ctx.unsupported_node(node, f"concatenation along axis {axis} is not supported "
                                   "(only along channels, axis 1)")
        return
    if any(t in ctx.meta for t in node.input if t):
        ctx.unsupported_node(node, "concatenation with a constant is not supported")
        return
    _join(ctx, node, L.CONCAT)


def mul(ctx: Context, node: Any) -> None:
    """Mul of activations (a per-channel gate broadcast over a feature map, as in
    squeeze-and-excitation) is a ``mul`` layer; x * sigmoid(x) was taken by the Sigmoid."""
    if id(node) in ctx.absorbed:
        return
    data = ctx.data_inputs(node)
    if len(data) >= 2 and not any(t in ctx.meta for t in node.input if t):
        _join(ctx, node, L.MUL)
        return
    ctx.unsupported_node(node, "a Mul by a constant is not supported (only products of "
                               "activations: gates, x * sigmoid(x))")


def _join(ctx: Context, node: Any, kind: str) -> None:
    sources = [ctx.source(node, t) for t in ctx.data_inputs(node)]
    if any(s is None for s in sources):
        return
    ctx.add_layer(node, kind, sources, {})


def add(ctx: Context, node: Any) -> None:
    """Add / Sum: a join of activations, or the bias of the conv or fc before it."""
    data = ctx.data_inputs(node)
    constants = [t for t in node.input if t and t in ctx.meta]
    if len(data) >= 2 and not constants:
        _join(ctx, node, L.ADD)
        return
    if len(data) == 1 and constants:
        if not folding.fold_bias(ctx, node, data[0]):
            ctx.unsupported_node(node, "an Add of a constant that is not the bias of the "
                                       "Conv / Gemm / MatMul before it is not supported")
        return
    ctx.unsupported_node(node, "an Add mixing constants and several activations is not "
                               "supported")


# --- operations without MACs -----------------------------------------------------------------

def _one_input(ctx: Context, node: Any) -> str | None:
    data = ctx.data_inputs(node)
    if len(data) != 1:
        ctx.problem(node, "expected one activation input")
        return None
    return data[0]


def batch_normalization(ctx: Context, node: Any) -> None:
    x = _one_input(ctx, node)
    if x is not None and not folding.fold_bn(ctx, node, x):
        ctx.simple(node, L.BN)


def _activation(ctx: Context, node: Any, kind: str | None, standalone: str = L.RELU) -> None:
    """An activation folded into the layer before it, else a stand-alone layer (a ReLU for
    the ReLU family)."""
    x = _one_input(ctx, node)
    if x is None:
        return
    if kind is not None and folding.fold_activation(ctx, node, x, kind):
        return
    ctx.simple(node, standalone)


def sigmoid(ctx: Context, node: Any) -> None:
    """Sigmoid; with the Mul of its input (x * sigmoid(x), PyTorch's SiLU) a swish."""
    _gate(ctx, node, L.SIGMOID, L.SWISH)


def hard_sigmoid(ctx: Context, node: Any) -> None:
    """HardSigmoid (any alpha and beta: the count is the same); with the Mul of its input
    a hardswish."""
    _gate(ctx, node, L.HARDSIGMOID, L.HARDSWISH)


def hard_swish(ctx: Context, node: Any) -> None:
    _activation(ctx, node, L.HARDSWISH, L.HARDSWISH)


def swish(ctx: Context, node: Any) -> None:
    """Swish (ONNX opset 24: x * sigmoid(alpha * x))."""
    _activation(ctx, node, L.SWISH, L.SWISH)


def _gate(ctx: Context, node: Any, kind: str, gated: str) -> None:
    """``kind`` of x, or ``gated`` when the only other reader of x is a Mul of x by it."""
    x = _one_input(ctx, node)
    if x is None:
        return
    product = folding.self_product(ctx, node, x)
    if product is None:
        _activation(ctx, node, kind, kind)
    else:
        folding.fold_self_gate(ctx, node, x, product, gated)


def relu(ctx: Context, node: Any) -> None:
    _activation(ctx, node, "relu")


def leaky_relu(ctx: Context, node: Any) -> None:
    _activation(ctx, node, "leaky")


def clip(ctx: Context, node: Any) -> None:
    """Clip(0, inf) is a ReLU, Clip(0, 6) a ReLU6; other bounds stay a stand-alone op."""
    low = high = None
    known = True
    if ctx.opset < 11:
        low = ctx.attr(node, "min")
        high = ctx.attr(node, "max")
    else:
        for slot in (1, 2):
            if len(node.input) > slot and node.input[slot]:
                value = ctx.value(node.input[slot])
                if value is None:
                    known = False
                elif slot == 1:
                    low = float(value)
                else:
                    high = float(value)
    kind = None
    if known and low == 0 and (high is None or high == float("inf")):
        kind = "relu"
    elif known and low == 0 and high == 6:
        kind = "relu6"
    _activation(ctx, node, kind)


def dropout(ctx: Context, node: Any) -> None:
    ratio = ctx.attr(node, "ratio")
    if ratio is None and len(node.input) > 1 and node.input[1]:
        value = ctx.value(node.input[1])
        ratio = None if value is None else float(value)
    attrs = {} if ratio is None else {"ratio": round(float(ratio), 6)}
    ctx.simple(node, L.DROPOUT, attrs)


def softmax(ctx: Context, node: Any) -> None:
    """Softmax / LogSoftmax."""
    ctx.simple(node, L.SOFTMAX)


def lrn(ctx: Context, node: Any) -> None:
    ctx.simple(node, L.LRN, {"size": int(ctx.attr(node, "size", 1))})


def alias(ctx: Context, node: Any) -> None:
    """Identity, Cast, Quantize/DequantizeLinear: pass the input on."""
    ctx.alias(node)


def flatten(ctx: Context, node: Any) -> None:
    """Flatten / Reshape / Squeeze to [N, features]: dissolved before an fc, else a layer."""
    x = _one_input(ctx, node)
    if x is None:
        return
    rank = _out_rank(ctx, node)
    if rank is not None and rank > 2:
        ctx.unsupported_node(node, f"{node.op_type} to a {rank}-D tensor is not supported "
                                   "(only flattening to [N, features] is)")
        return
    if not folding.dissolve_flatten(ctx, node, x):
        ctx.simple(node, L.FLATTEN)


def _out_rank(ctx: Context, node: Any) -> int | None:
    if node.op_type == "Flatten":
        return 2
    if node.op_type == "Reshape" and len(node.input) > 1:
        value = ctx.value(node.input[1])
        if value is not None:
            return int(value.size)
        dims = ctx.shape(node.input[1])
        if dims and len(dims) == 1 and dims[0]:
            return dims[0]
    out = ctx.shape(node.output[0])
    return len(out) if out is not None else None


def pad(ctx: Context, node: Any) -> None:
    """Pad of height and width: folded into the convs and pools that read it."""
    x = _one_input(ctx, node)
    if x is None:
        return
    src = ctx.source(node, x, allow_pad=True)
    if src is None:
        return
    if ctx.opset >= 11 or len(node.input) > 1:
        amounts = ctx.value(node.input[1]) if len(node.input) > 1 else None
        axes = ctx.value(node.input[3]) if len(node.input) > 3 and node.input[3] else None
    else:
        amounts = ctx.attr(node, "pads")
        axes = None
    if amounts is None:
        ctx.problem(node, "the pad amounts are not constants stored in the model")
        return
    pads = [int(p) for p in list(amounts)]
    rank = 4
    axes = list(range(rank)) if axes is None else [int(a) % rank for a in list(axes)]
    if len(pads) != 2 * len(axes):
        ctx.problem(node, f"pads {pads} do not match a 4-D tensor")
        return
    begin = dict(zip(axes, pads[: len(axes)]))
    end = dict(zip(axes, pads[len(axes):]))
    if any(begin.get(a, 0) or end.get(a, 0) for a in (0, 1)):
        ctx.problem(node, f"pads {pads} pad the batch or channel dimension; only height "
                          "and width padding is supported")
        return
    if any(p < 0 for p in pads):
        ctx.problem(node, f"negative pads {pads} (cropping) are not supported")
        return
    folding.fold_pad(ctx, node, x, src,
                     (begin.get(2, 0), end.get(2, 0), begin.get(3, 0), end.get(3, 0)))


# Operators that only pass their input on (no computation hwsim models).
ALIAS_OPS = frozenset({"Identity", "Cast", "QuantizeLinear", "DequantizeLinear"})

HANDLERS: dict[str, Handler] = {
    "Conv": conv,
    "Gemm": gemm,
    "MatMul": matmul,
    "MaxPool": max_pool,
    "AveragePool": average_pool,
    "GlobalAveragePool": global_average_pool,
    "GlobalMaxPool": global_max_pool,
    "Concat": concat,
    "Add": add,
    "Sum": add,
    "ReduceMean": reduce_mean,
    "Mul": mul,
    "Sigmoid": sigmoid,
    "HardSigmoid": hard_sigmoid,
    "HardSwish": hard_swish,
    "Swish": swish,
    "Relu": relu,
    "LeakyRelu": leaky_relu,
    "Clip": clip,
    "BatchNormalization": batch_normalization,
    "Dropout": dropout,
    "Flatten": flatten,
    "Reshape": flatten,
    "Squeeze": flatten,
    "Softmax": softmax,
    "LogSoftmax": softmax,
    "LRN": lrn,
    "Pad": pad,
    "Identity": alias,
    "Cast": alias,
    "QuantizeLinear": alias,
    "DequantizeLinear": alias,
}
SUPPORTED_OPS = frozenset(HANDLERS)
# Operators that become layers (or fold into one), as the "unsupported" message lists them.
LAYER_OPS = tuple(sorted(SUPPORTED_OPS - ALIAS_OPS))
