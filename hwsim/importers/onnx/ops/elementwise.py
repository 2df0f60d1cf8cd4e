"""Element-wise operations: joins of activations (Concat, Add / Sum, Mul), BatchNormalization
and the activations (ReLU family, Clip, the sigmoid family and their gates)."""

from __future__ import annotations

from typing import Any

from hwsim.importers.onnx import folding
from hwsim.importers.onnx.context import Context, one_input
from hwsim.workload import layer as L

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
    if len(ctx.data_inputs(node)) == 1:  # torch.cat of a one-tensor list (DenseNet's first
        ctx.alias(node)                  # layer of a block, legacy exporter): a copy
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


def batch_normalization(ctx: Context, node: Any) -> None:
    x = one_input(ctx, node)
    if x is not None and not folding.fold_bn(ctx, node, x):
        ctx.simple(node, L.BN)


def _activation(ctx: Context, node: Any, kind: str | None, standalone: str = L.RELU) -> None:
    """An activation folded into the layer before it, else a stand-alone layer (a ReLU for
    the ReLU family)."""
    x = one_input(ctx, node)
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
    x = one_input(ctx, node)
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
    """Clip(0, inf) is a ReLU, Clip(0, 6) a ReLU6; other bounds stay a stand-alone op.

    Bounds that are stored nowhere (``export_params=False`` drops them with the weights) are
    taken as ReLU6's for a two-sided clamp and ReLU's for a lower bound alone: the clamps
    PyTorch models use, each costing one operation per element like any other clamp. The
    import's notes list these nodes."""
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
    elif not known and ctx.opset >= 11:
        bounds = [node.input[s] for s in (1, 2) if len(node.input) > s and node.input[s]]
        if bounds and all(b in ctx.graph.undeclared for b in bounds):
            kind = "relu6" if len(bounds) == 2 and node.input[1] else "relu"
            ctx.unknown_bounds.append(ctx.place(node))
    _activation(ctx, node, kind)


