"""The conversion: read, analyse, convert every node in order, name, build and check.

:func:`convert` is the run; :func:`convert_node` dispatches one node through
:data:`~hwsim.importers.onnx.handlers.HANDLERS` after the cases every operator shares
(a failed input, constants, the input's layout Transpose, an unsupported operator).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hwsim.errors import InputError, ProblemCollector
from hwsim.importers.onnx import reading
from hwsim.importers.onnx.context import Context, LayerDraft, new_context
from hwsim.importers.onnx.folding import compact_padding
from hwsim.importers.onnx.graph import SHAPE_OPS, GraphFacts, analyse, value_inputs
from hwsim.importers.onnx.handlers import ALIAS_OPS, HANDLERS, LAYER_OPS
from hwsim.importers.onnx.naming import assign_names
from hwsim.importers.onnx.validate import check_attributes, check_names, check_weights
from hwsim.workload.network import INPUT, LayerSpec, Network, build_network

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OnnxImport:
    """The result of importing an ONNX file.

    ``specs`` are the layers as a YAML file would give them (write them with
    :func:`hwsim.importers.yaml_writer.network_yaml`); ``network`` is their shape-inferred
    network; ``dropped`` describes the unsupported nodes left out (``skip_unsupported``).
    ``input_size_fixed`` says some padding was made explicit for this input size
    (``auto_pad: SAME_LOWER``), so the YAML is exact only at this size.
    """

    network: Network
    specs: tuple[LayerSpec, ...]
    dropped: tuple[str, ...] = ()
    producer: str = ""
    opset: int = 0
    input_size_fixed: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)


def convert(onnx: Any, model: Any, file: str, input_size: tuple[int, int] | None,
            skip_unsupported: bool, name: str) -> OnnxImport:
    """Convert a read model into layer specs and their network; InputError if bad."""
    problems = ProblemCollector(file)
    check_names(model.graph, problems)  # before anything uses a name
    problems.raise_if_any()
    constants = reading.read_constants(onnx, model.graph)
    graph = analyse(onnx, model, file, input_size, problems)
    problems.raise_if_any()
    ctx = new_context(graph, problems, skip_unsupported, constants,
                      {t.name for t in model.graph.initializer})
    for node in graph.order:
        convert_node(ctx, node)
    if ctx.unsupported and not skip_unsupported:
        problems.add("", "hwsim imports " + ", ".join(LAYER_OPS) + "; use "
                         "'hwsim import --skip-unsupported' to import the rest of the "
                         "model without the other operators")
    problems.raise_if_any()
    if not ctx.layers:
        raise InputError("no layer left to import (every node is a constant or was "
                         "dropped)", file=file)
    check_attributes(ctx.layers, problems)  # as a YAML file's layers, before shapes
    problems.raise_if_any()
    assign_names(ctx.layers)
    specs = [_spec(layer) for layer in ctx.layers]
    description = f"Imported from the ONNX model {Path(file).name}."
    producer = " ".join(p for p in (model.producer_name, model.producer_version) if p)
    source = f"{Path(file).name} (ONNX opset {graph.opset}" + (
        f", exported by {producer})" if producer else ")")
    assert graph.input_shape is not None  # else a problem was raised above
    network = build_network(specs, graph.input_shape, name=name, file=file,
                            description=description, source=source)
    notes = []
    if ctx.unknown_bounds:
        notes.append(f"{len(ctx.unknown_bounds)} Clip node(s) whose bounds the file does not "
                     "store (exported with export_params=False?) taken as ReLU6 (two bounds) "
                     "or ReLU (a lower bound): " + ", ".join(ctx.unknown_bounds[:3])
                     + (", ..." if len(ctx.unknown_bounds) > 3 else ""))
    lowered = [layer for layer in ctx.layers if layer.same_lower]
    if lowered:
        specs, note = _fix_same_lower(specs, network, lowered)
        notes.append(note)
        network = build_network(specs, graph.input_shape, name=name, file=file,
                                description=description, source=source)
    check_weights(ctx.layers, network, problems, same_size=input_size is None,
                  dropped=ctx.unsupported)
    problems.raise_if_any()
    _cross_check(graph, ctx.layers, network, same_size=input_size is None,
                 dropped=ctx.unsupported)
    if ctx.unsupported:
        log.info("dropped %d unsupported node(s): %s", len(ctx.unsupported),
                 ", ".join(ctx.unsupported))
    return OnnxImport(network=network, specs=tuple(specs), dropped=tuple(ctx.unsupported),
                      producer=producer, opset=graph.opset, input_size_fixed=bool(lowered),
                      notes=tuple(notes))


# Constant computations whose output is all zeros when their first input is (a cast, a copy,
# a broadcast): the dynamo exporter's unoptimized graph writes a conv without bias as
# Conv(x, W, Expand(CastLike(0, x), Shape(W)[0:1])).
_BROADCASTS = frozenset({"Cast", "CastLike", "Identity", "Expand"})


def convert_node(ctx: Context, node: Any) -> None:
    """Convert one node whose inputs are converted (or failed)."""
    inputs = [t for t in node.input if t]
    if any(t in ctx.failed for t in inputs):
        ctx.failed.update(node.output)
        return
    op = node.op_type
    if op == "Constant":
        ctx.meta.update(node.output)
        value = reading.constant_node_value(ctx.graph.onnx, node)
        if value is not None:
            ctx.values[node.output[0]] = value
            if value.size and not value.any():
                ctx.zeros.add(node.output[0])
        return
    values = value_inputs(node)
    if op in SHAPE_OPS or (values and all(t in ctx.meta for t in values)):
        ctx.meta.update(node.output)  # a constant computation (shapes, weights)
        if (op in ALIAS_OPS or op == "CastLike") and inputs and inputs[0] in ctx.values:
            ctx.values[node.output[0]] = ctx.values[inputs[0]]
        if op in _BROADCASTS and inputs and ctx.zero(inputs[0]):
            ctx.zeros.add(node.output[0])
        return
    if id(node) in ctx.graph.layout_nodes:
        ctx.alias(node)
        return
    handler = HANDLERS.get(op) if node.domain in ("", "ai.onnx") else None
    if handler is None:
        ctx.unsupported_node(node, f"operator '{op}'"
                             + (f" of domain '{node.domain}'" if node.domain else "")
                             + " is not supported")
        return
    handler(ctx, node)


_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": False, "bn": False,
             "activation": None, "rounding": "ceil", "global": False}


def _spec(layer: LayerDraft) -> LayerSpec:
    """The layer as a YAML file would give it: default attributes left out."""
    inputs = tuple(INPUT if i == INPUT else i.name for i in layer.inputs)
    attrs = {k: v for k, v in layer.attrs.items()
             if not (k in _DEFAULTS and v == _DEFAULTS[k])}
    return LayerSpec(layer.name, layer.type, inputs, attrs, layer.place)


def _fix_same_lower(specs: list[LayerSpec], network: Network,
                    lowered: list[LayerDraft]) -> tuple[list[LayerSpec], str]:
    """SAME_LOWER puts the odd padding pixel before: explicit pads for this input size.
    Returns the specs and a note saying so."""
    names = {layer.name for layer in lowered}
    out = []
    for spec in specs:
        if spec.name in names:
            top, bottom, left, right = network.layer(spec.name).padding
            attrs = dict(spec.attrs)
            attrs["padding"] = compact_padding((bottom, top, right, left))
            spec = LayerSpec(spec.name, spec.type, spec.inputs, attrs, spec.place)
        out.append(spec)
    note = ("auto_pad SAME_LOWER made explicit for the input size "
            f"{network.input_shape.height}x{network.input_shape.width}: "
            + ", ".join(sorted(names)))
    return out, note


def _cross_check(graph: GraphFacts, layers: list[LayerDraft], network: Network, *,
                 same_size: bool, dropped: list[str]) -> None:
    """Warn where hwsim's output shapes differ from ONNX's (a convention that differs; the
    weights are checked by :func:`check_weights`); after dropped nodes, such a difference is
    an error (a drop changed what is simulated). Sizes are compared only at the model's own
    input size."""
    for op in layers:
        for difference in _differences(graph, op, network.layer(op.name), same_size):
            if dropped:
                raise InputError(f"layer '{op.name}' ({op.place}): {difference}, after "
                                 "dropping " + ", ".join(dropped) + " (--skip-unsupported): "
                                 "without them the shapes disagree with the model's, so the "
                                 "import would not simulate this model", file=graph.file)
            log.warning("%s: layer '%s' (%s): %s", graph.file, op.name, op.place, difference)


def _differences(graph: GraphFacts, op: LayerDraft, layer: Any, same_size: bool) -> list[str]:
    """Where the layer's output shape differs from the ONNX output shape."""
    found: list[str] = []
    dims = graph.shapes.get(op.out_tensor) if same_size else None
    if not dims or None in dims[1:] or len(dims) not in (2, 4):
        return found
    out = layer.out_shape
    ours = [out.channels, out.height, out.width] if len(dims) == 4 else [out.elements]
    if ours != list(dims[1:]):
        found.append(f"hwsim infers output {ours}, ONNX {list(dims[1:])}")
    return found
