"""Operations that only reshape, pass on or normalise their input: Dropout, Softmax, LRN,
the aliases (Identity, Cast, ...), Flatten / Reshape / Squeeze and Pad."""

from __future__ import annotations

from typing import Any

from hwsim.importers.onnx import folding
from hwsim.importers.onnx.context import Context, one_input
from hwsim.workload import layer as L


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
    x = one_input(ctx, node)
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
    x = one_input(ctx, node)
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
