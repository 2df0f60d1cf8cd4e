"""Checks of imported layers: the same checks as a YAML file's layers, and the weights.

ONNX attributes would otherwise go around the network format's checks: ``strides=[0, 0]``,
``kernel_shape=[0, 0]``, ``dilations=[0, 0]`` or negative strides crashed or gave a 3x3 conv
that grows its map. :func:`check_attributes` checks every imported layer's attributes with
the network format's own checks (:func:`hwsim.config.layer_attrs.check_attr`: types and
plausible ranges), before shapes are inferred; the problem names the node and the ONNX
attribute (``node 'c1' (Conv): strides: expected a positive integer ...``).
:func:`check_weights` compares, once shapes are known, the weights' input channels (a Conv's
``W``, a Gemm's ``B``) with the input hwsim gives the layer: a mismatch (a Gemm whose
``transB`` is missing or wrong, weights for another input) means the graph is not what it
says, and is an error, not a warning. :func:`check_names` runs first: a name that is not
UTF-8 text (protobuf hands it over as bytes) is an error at its place in the graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hwsim.config.layer_attrs import check_attr
from hwsim.config.yamlio import show
from hwsim.errors import ProblemCollector
from hwsim.importers.onnx.context import LayerDraft
from hwsim.workload import layer as L
from hwsim.workload.network import Network

#: The ONNX attribute each layer attribute comes from (for messages).
ONNX_ATTRIBUTE = {"kernel": "kernel_shape", "stride": "strides", "dilation": "dilations",
                  "padding": "pads", "groups": "group", "out_channels": "output channels"}


def _yaml_form(value: Any) -> Any:
    """Tuples as lists: the network format's checks read YAML values."""
    if isinstance(value, tuple):
        return [_yaml_form(v) for v in value]
    return value


def _text_problem(value: Any) -> str | None:
    if isinstance(value, str):
        return None
    return f"is not UTF-8 text ({show(value)}); rename it in the exporter"


def check_names(graph: Any, problems: ProblemCollector) -> None:
    """Every node's name, operator, domain, inputs and outputs, and every tensor's name, is
    text; problems recorded at their place (``graph.node[3].name``)."""
    places: list[tuple[str, Any]] = []
    for i, node in enumerate(graph.node):
        here = f"graph.node[{i}]"
        places += [(f"{here}.{field}", getattr(node, field))
                   for field in ("name", "op_type", "domain")]
        places += [(f"{here}.input[{j}]", t) for j, t in enumerate(node.input)]
        places += [(f"{here}.output[{j}]", t) for j, t in enumerate(node.output)]
    for kind in ("input", "output", "initializer", "value_info"):
        places += [(f"graph.{kind}[{j}].name", t.name) for j, t in enumerate(getattr(graph, kind))]
    for place, value in places:
        problem = _text_problem(value)
        if problem:
            problems.add(place, problem)


def check_attributes(layers: Sequence[LayerDraft], problems: ProblemCollector) -> None:
    """Every layer's attributes, checked as a YAML file's would be; problems recorded."""
    for layer in layers:
        for key, value in layer.attrs.items():
            place = f"{layer.place}: {ONNX_ATTRIBUTE.get(key, key)}"
            check_attr(key, _yaml_form(value), place, problems)


def check_weights(layers: Sequence[LayerDraft], network: Network, problems: ProblemCollector,
                  *, same_size: bool, dropped: Sequence[str] = ()) -> None:
    """The weights' input channels against the inputs hwsim infers; problems recorded.
    A fully connected layer's features are compared at the model's own input size only.
    After nodes were dropped (``--skip-unsupported``) the message says the drop is the cause."""
    after = (", after dropping " + ", ".join(dropped) + " (--skip-unsupported): without them "
             "the shapes disagree with the model's, so the import would not simulate this "
             "model") if dropped else ""
    for draft in layers:
        layer = network.layer(draft.name)
        if same_size and draft.type == L.FC and draft.fc_in_features \
                and layer.in_channels != draft.fc_in_features:
            hint = " (is transB right?)" if draft.op_type == "Gemm" else ""
            problems.add(f"layer '{draft.name}' ({draft.place})",
                         f"its input has {layer.in_channels} features, but the weights are "
                         f"for {draft.fc_in_features}{hint}{after}")
        if draft.conv_in_per_group and \
                layer.in_channels // layer.groups != draft.conv_in_per_group:
            problems.add(f"layer '{draft.name}' ({draft.place})",
                         f"its input has {layer.in_channels // layer.groups} channels per "
                         f"group, but the weights are for {draft.conv_in_per_group}{after}")


__all__ = ["check_names", "check_attributes", "check_weights", "ONNX_ATTRIBUTE"]
