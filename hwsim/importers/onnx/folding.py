"""Folding rules: nodes that become part of the layer before or after them.

Each rule is one function that either folds the node and returns True (or the padding),
or leaves the decision to the handler. They keep an imported network equal to a
hand-written one:

* :func:`fold_bn`: BatchNormalization right after a conv or fc -> ``bn: true``;
* :func:`fold_activation`: Relu / Clip(0, 6) / Clip(0, inf) / LeakyRelu / Sigmoid /
  HardSigmoid / HardSwish / Swish right after a conv, fc or add -> ``activation: relu |
  relu6 | leaky | sigmoid | hardsigmoid | hardswish | swish``;
* :func:`self_product` and :func:`fold_self_gate`: x * sigmoid(x) (Sigmoid + Mul, PyTorch's
  SiLU) and x * hardsigmoid(x) -> ``activation: swish | hardswish`` of the layer producing x
  (else a stand-alone ``swish`` / ``hardswish`` layer);
* :func:`fold_bias`: an Add of a constant right after a conv or fc -> ``bias: true``;
* :func:`dissolve_flatten`: Flatten / Reshape / Squeeze whose result only reaches a Gemm or
  MatMul (possibly through Dropout) disappears: an fc flattens its input anyway;
* :func:`fold_pad` and :func:`padding`: a Pad read only by convs and pools becomes part of
  their padding.

A layer absorbs a node only when the node is the sole reader of the layer's output.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hwsim.importers.onnx.context import Context, LayerDraft, Pads
from hwsim.workload import layer as L

FC_OPS = ("Gemm", "MatMul")
_PASS_TO_FC = ("Dropout", "Identity", "Cast")  # a flatten through these may still dissolve
_NO_PADS: Pads = (0, 0, 0, 0)


def foldable(ctx: Context, tensor: str, types: Iterable[str]) -> LayerDraft | None:
    """The layer producing ``tensor`` if it may absorb the one node that reads it."""
    layer = ctx.producer.get(tensor)
    if isinstance(layer, LayerDraft) and layer.type in types and layer.out_tensor == tensor \
            and ctx.sole_consumer(tensor) and tensor not in ctx.pads:
        return layer
    return None


def _absorb(ctx: Context, layer: LayerDraft, node: Any) -> None:
    layer.out_tensor = node.output[0]
    ctx.producer[node.output[0]] = layer


def fold_bn(ctx: Context, node: Any, tensor: str) -> bool:
    """BatchNormalization of a conv's or fc's output (before any activation)."""
    layer = foldable(ctx, tensor, (L.CONV, L.FC))
    if layer is None or layer.attrs.get("bn") or layer.attrs.get("activation"):
        return False
    layer.attrs["bn"] = True
    _absorb(ctx, layer, node)
    return True


def fold_activation(ctx: Context, node: Any, tensor: str, kind: str) -> bool:
    """An activation of ``kind`` applied to a conv's, fc's or add's output."""
    layer = foldable(ctx, tensor, (L.CONV, L.FC, L.ADD))
    if layer is None or layer.attrs.get("activation"):
        return False
    layer.attrs["activation"] = kind
    _absorb(ctx, layer, node)
    return True


def self_product(ctx: Context, node: Any, tensor: str) -> Any:
    """The Mul node of ``tensor`` by ``node``'s output when those are the only readers of
    each (x * sigmoid(x): a swish), else None."""
    gate = node.output[0]
    readers = ctx.graph.consumers.get(tensor, [])
    gate_readers = ctx.graph.consumers.get(gate, [])
    if len(readers) != 2 or len(gate_readers) != 1:
        return None
    product = gate_readers[0][0]
    if product.op_type != "Mul" or sorted(product.input) != sorted([tensor, gate]) \
            or not any(user is product for user, _ in readers):
        return None
    return product


def fold_self_gate(ctx: Context, node: Any, tensor: str, product: Any, kind: str) -> None:
    """x * gate(x) (the Mul ``product`` absorbed): the ``activation`` of the conv, fc or add
    producing x when it has none, else a stand-alone ``kind`` layer."""
    ctx.absorbed.add(id(product))
    layer = ctx.producer.get(tensor)
    if isinstance(layer, LayerDraft) and layer.type in (L.CONV, L.FC, L.ADD) \
            and layer.out_tensor == tensor and tensor not in ctx.pads \
            and not layer.attrs.get("activation"):
        layer.attrs["activation"] = kind
    else:
        src = ctx.source(node, tensor)
        if src is None:
            return
        layer = ctx.add_layer(node, kind, [src], {})
    _absorb(ctx, layer, product)


def fold_bias(ctx: Context, node: Any, tensor: str) -> bool:
    """An Add of a constant to a conv's or fc's output (MatMul + Add): its bias."""
    layer = foldable(ctx, tensor, (L.CONV, L.FC))
    if layer is None or layer.attrs.get("bias") or layer.attrs.get("bn") \
            or layer.attrs.get("activation"):
        return False
    layer.attrs["bias"] = True
    _absorb(ctx, layer, node)
    return True


def dissolve_flatten(ctx: Context, node: Any, tensor: str) -> bool:
    """A flatten whose result only an fc reads: its output is its input's (or a problem,
    reported by :meth:`Context.source`, and still True: the node is dealt with)."""
    if not only_feeds_fc(ctx, node.output[0]):
        return False
    src = ctx.source(node, tensor)
    if src is not None:
        ctx.producer[node.output[0]] = src
    return True


def only_feeds_fc(ctx: Context, tensor: str) -> bool:
    """Whether every reader of ``tensor`` is an fc's data input (possibly through Dropout,
    Identity or Cast)."""
    users = ctx.graph.consumers.get(tensor, [])
    if not users:
        return False
    for user, slot in users:
        if user.op_type in FC_OPS and slot == 0:
            continue
        if user.op_type in _PASS_TO_FC and slot == 0 and user.output \
                and only_feeds_fc(ctx, user.output[0]):
            continue
        return False
    return True


# --- padding ---------------------------------------------------------------------------------

def fold_pad(ctx: Context, node: Any, tensor: str, src: Any, here: Pads) -> None:
    """A Pad node of ``here`` on ``tensor``: its output is its input's, with the pads
    (added to any Pad before it) waiting for the conv or pool that reads it."""
    before = ctx.pads.get(tensor, (_NO_PADS, None))[0]
    ctx.producer[node.output[0]] = src
    total: Pads = (before[0] + here[0], before[1] + here[1], before[2] + here[2],
                   before[3] + here[3])
    ctx.pads[node.output[0]] = (total, node)


def spatial_pads(ctx: Context, node: Any) -> Pads | None:
    """ONNX ``pads`` [h_begin, w_begin, h_end, w_end] as (top, bottom, left, right)."""
    pads = list(ctx.attr(node, "pads", [0, 0, 0, 0]))
    if len(pads) != 4:
        ctx.problem(node, f"pads {pads}: only 2-D (H, W) operators are supported")
        return None
    if any(p < 0 for p in pads):
        ctx.problem(node, f"negative pads {pads} (cropping) are not supported")
        return None
    return (pads[0], pads[2], pads[1], pads[3])


def padding(ctx: Context, node: Any, x: str) -> Any:
    """hwsim padding for a conv / pool reading ``x``: explicit pads plus a folded Pad, or
    'same'; None (a problem) if it cannot be expressed."""
    auto = ctx.attr(node, "auto_pad", "NOTSET") or "NOTSET"
    extra = ctx.pads.get(x, (_NO_PADS, None))[0]
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        if any(extra):
            ctx.problem(node, f"auto_pad {auto} after a Pad node is not supported")
            return None
        return "same"
    pads: Pads | None
    if auto == "VALID":
        pads = _NO_PADS
    elif auto == "NOTSET":
        pads = spatial_pads(ctx, node)
        if pads is None:
            return None
    else:
        ctx.problem(node, f"unknown auto_pad '{auto}'")
        return None
    total = tuple(a + b for a, b in zip(pads, extra))
    return compact_padding(total)


def compact_padding(pads: tuple[int, ...]) -> Any:
    """(top, bottom, left, right) -> p, [ph, pw] or [top, bottom, left, right]."""
    top, bottom, left, right = (int(p) for p in pads)
    if top == bottom == left == right:
        return top
    if top == bottom and left == right:
        return [top, left]
    return [top, bottom, left, right]
