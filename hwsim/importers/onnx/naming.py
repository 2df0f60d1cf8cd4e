"""Layer names from ONNX node names.

``/features/features.3/squeeze/Conv`` -> ``features.3.squeeze``: '/' becomes '.', a module
path's repeated prefix and the trailing operator name are dropped (a dynamo export's nodes,
named ``node_conv2d_3``, are named by the module path in their weight's name or the one
they record instead); the layer type is added back where the name would otherwise be
ambiguous (``layer1.0.add`` beside ``layer1.0.conv1``), and a number makes the rest unique.
"""

from __future__ import annotations

import re

from hwsim.importers.onnx.context import LayerDraft
from hwsim.workload.network import INPUT


def assign_names(layers: list[LayerDraft]) -> None:
    """Give every layer a readable name, unique among them and never ``input``."""
    bases = [layer_base(layer) for layer in layers]
    counts: dict[str, int] = {}
    for base, _ in bases:
        counts[base] = counts.get(base, 0) + 1
    prefixes = set()
    for base, _ in bases:
        parts = base.split(".")
        for k in range(1, len(parts)):
            prefixes.add(".".join(parts[:k]))
    used: set[str] = {INPUT}
    for layer, (base, op_dropped) in zip(layers, bases):
        name = base
        if op_dropped and (counts[name] > 1 or name in prefixes):
            name = f"{name}.{type_word(layer)}"
        if not name or not re.search(r"[A-Za-z]", name):
            name = f"{type_word(layer)}{name}"
        unique = name
        k = 2
        while unique in used:
            unique = f"{name}_{k}"
            k += 1
        used.add(unique)
        layer.name = unique


def layer_base(layer: LayerDraft) -> tuple[str, bool]:
    """The name before de-duplication, and whether an operator name was dropped from it: a
    dynamo export's layer with PyTorch-named weights by its weight's module path, one
    without by the module path its node records, a legacy export's by its node name."""
    if layer.scopes and layer.module:
        return _clean(layer.module), True
    if layer.scopes:
        return scope_name(layer.scopes)
    return base_name(layer.node_name, layer.op_type)


def type_word(layer: LayerDraft) -> str:
    """The layer's type as a name part (``global_avgpool`` for a global pool)."""
    if layer.attrs.get("global"):
        return "global_" + layer.type
    return layer.type


def scope_name(scopes: tuple[str, ...]) -> tuple[str, bool]:
    """The name from a dynamo export's module path: ``('', 'layer1', 'layer1.0',
    'layer1.0.conv1', 'conv2d_3')`` -> (``layer1.0.conv1``, True): the innermost module, the
    FX node's own name (last) dropped. An operation outside every module (``('',
    'flatten')``) gets ('', True): its layer type names it, as the legacy exporter's
    ``/Flatten`` does."""
    modules = [m for m in scopes[:-1] if m]
    return _clean(modules[-1] if modules else ""), True


def _clean(name: str) -> str:
    """A name part with only letters, digits, '_', '.' and '-'."""
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", name).strip("._")


def base_name(node_name: str, op_type: str) -> tuple[str, bool]:
    """``/features/features.3/squeeze/Conv`` -> (``features.3.squeeze``, True): the name
    and whether the operator's name was dropped from its end."""
    parts = [p for p in re.split(r"[/\\]", node_name) if p]
    collapsed: list[str] = []
    for part in parts:
        if collapsed and part.startswith(collapsed[-1] + "."):
            collapsed[-1] = part
        else:
            collapsed.append(part)
    dropped = False
    if (len(collapsed) > 1 and re.fullmatch(re.escape(op_type) + r"(_\d+)?", collapsed[-1])) \
            or collapsed == [op_type]:  # '/Flatten' names nothing but its operator
        collapsed.pop()
        dropped = True
    return _clean(".".join(collapsed)), dropped
