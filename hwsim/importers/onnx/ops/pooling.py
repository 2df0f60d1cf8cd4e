"""Pooling: MaxPool, AveragePool, the global pools, and ReduceMean over height and width
(global average pooling as the dynamo exporter writes it)."""

from __future__ import annotations

from typing import Any

from hwsim.importers.onnx import folding
from hwsim.importers.onnx.context import Context, one_input, pair
from hwsim.workload import layer as L

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
    attrs = {"kernel": pair(kernel), "stride": pair(ctx.attr(node, "strides", [1, 1])),
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
    x = one_input(ctx, node)
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


