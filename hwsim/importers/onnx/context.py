"""The conversion's state: the layers being built and what is known about each tensor.

A handler (:mod:`hwsim.importers.onnx.handlers`) gets the one :class:`Context` of the run
and the node to convert. The context holds the frozen :class:`GraphFacts` and the few
things that grow while nodes are converted, in graph order: the layers so far, which layer
produces each activation tensor, which tensors are constants (and the values of the small
ones), the Pad amounts waiting to be folded, the tensors whose producer failed, the
problems and the unsupported nodes. Its methods are the steps every handler shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hwsim.errors import ProblemCollector
from hwsim.importers.onnx import reading
from hwsim.importers.onnx.graph import GraphFacts, data_slots
from hwsim.importers.onnx.reading import Dims
from hwsim.workload.network import INPUT

Pads = tuple[int, int, int, int]  # top, bottom, left, right


@dataclass
class LayerDraft:
    """A layer under construction: mutable while later nodes fold into it."""

    type: str
    inputs: list[Any]  # LayerDraft or INPUT
    attrs: dict[str, Any]
    node_name: str
    op_type: str
    out_tensor: str
    name: str = ""  # given by naming.assign_names once every layer is known
    same_lower: bool = False
    fc_in_features: int | None = None  # from the weights' shape, when known
    conv_in_per_group: int | None = None  # from the weights' shape, when known
    scopes: tuple[str, ...] = ()  # the PyTorch module path a dynamo export records
    module: str = ""  # the module path in its weight's name (layer1.0.conv1.weight)

    @property
    def place(self) -> str:
        return f"node '{self.node_name}' ({self.op_type})"


@dataclass
class Context:
    """The state of one conversion, passed to every handler.

    ``meta``: tensors that are constants, weights or shape values (never activations);
    ``values``: the known values of small constants (numpy arrays); ``producer``: the layer
    (or INPUT) behind each activation tensor; ``pads``: a Pad node's output -> its
    accumulated (top, bottom, left, right) and the node, to fold into the conv or pool
    reading it; ``failed``: tensors a failed node should have produced (their readers are
    skipped silently); ``unsupported``: the places of unsupported nodes.
    """

    graph: GraphFacts
    problems: ProblemCollector
    skip_unsupported: bool
    meta: set[str]
    values: dict[str, Any]
    producer: dict[str, Any] = field(default_factory=dict)
    pads: dict[str, tuple[Pads, Any]] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)
    layers: list[LayerDraft] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)
    absorbed: set[int] = field(default_factory=set)  # ids of nodes already part of a layer
    # constants the graph computes as all zeros from a Constant node (never an initializer:
    # a stored tensor is the model's, whatever its values)
    zeros: set[str] = field(default_factory=set)
    unknown_bounds: list[str] = field(default_factory=list)  # Clips whose bounds are lost

    # --- reading the node ------------------------------------------------------------------
    @property
    def opset(self) -> int:
        return self.graph.opset

    def place(self, node: Any) -> str:
        return self.graph.place(node)

    def attr(self, node: Any, key: str, default: Any = None) -> Any:
        return reading.attribute(self.graph.onnx, node, key, default)

    def value(self, tensor: str) -> Any:
        """A constant's value as a numpy array, or None if unknown (or not stored here)."""
        return self.values.get(tensor) if tensor else None

    def zero(self, tensor: str) -> bool:
        """Whether the graph computes ``tensor`` as all zeros (see :attr:`zeros`)."""
        return tensor in self.zeros

    def shape(self, tensor: str) -> Dims | None:
        return self.graph.shapes.get(tensor)

    def data_inputs(self, node: Any) -> list[str]:
        """The node's activation inputs (constants and weights left out)."""
        return [node.input[i] for i in data_slots(node)
                if node.input[i] and node.input[i] not in self.meta]

    def sole_consumer(self, tensor: str) -> bool:
        return len(self.graph.consumers.get(tensor, [])) == 1

    # --- outcomes --------------------------------------------------------------------------
    def problem(self, node: Any, message: str) -> None:
        """Report a node that cannot be converted; its readers are then skipped."""
        self.problems.add(self.place(node), message)
        for out in node.output:
            self.failed.add(out)

    def unsupported_node(self, node: Any, message: str) -> None:
        """Record an unsupported node and let its first input through: with
        skip_unsupported the import goes on; without, the rest of the graph is still read
        so that every unsupported node is reported at once."""
        self.unsupported.append(self.place(node))
        data = self.data_inputs(node)
        if not self.skip_unsupported:
            self.problems.add(self.place(node), message)
        elif data and node.output:
            self._check_drop(node, data[0], node.output[0])
        if not data or data[0] not in self.producer:
            self.meta.update(node.output)
            return
        for out in node.output[:1]:
            self.producer[out] = self.producer[data[0]]
            if data[0] in self.pads:
                self.pads[out] = self.pads[data[0]]

    def _check_drop(self, node: Any, before: str, after: str) -> None:
        """A problem if passing ``before`` on for ``after`` changes the shape ONNX gives."""
        a, b = self.shape(before), self.shape(after)
        if a is None or b is None or None in a[1:] or None in b[1:]:
            return
        if [d for d in a[1:] if d != 1] != [d for d in b[1:] if d != 1]:
            self.problems.add(self.place(node), "cannot be dropped (--skip-unsupported): its "
                              f"input is {a[1:]} and its output {b[1:]} (ONNX shapes), so "
                              "passing the input on would change every shape after it")

    def source(self, node: Any, tensor: str, *, allow_pad: bool = False) -> Any:
        """The layer (or INPUT) producing an activation tensor; None (a problem) if none."""
        if tensor in self.pads and not allow_pad:
            pad_node = self.pads[tensor][1]
            self.problem(node, f"reads the output of {self.place(pad_node)}: a Pad can be "
                               "imported only when convolutions or pooling layers read it")
            return None
        if tensor not in self.producer:
            self.problem(node, f"input '{tensor}' is not an activation hwsim can follow")
            return None
        return self.producer[tensor]

    def add_layer(self, node: Any, kind: str, inputs: list[Any],
                  attrs: dict[str, Any]) -> LayerDraft:
        layer = LayerDraft(type=kind, inputs=inputs, attrs=attrs,
                           node_name=self.graph.names[id(node)], op_type=node.op_type,
                           out_tensor=node.output[0], scopes=reading.name_scopes(node))
        self.layers.append(layer)
        self.producer[node.output[0]] = layer
        return layer

    def simple(self, node: Any, kind: str,
               attrs: dict[str, Any] | None = None) -> LayerDraft | None:
        """A layer of one activation input (None, a problem, if the node has another
        number)."""
        data = self.data_inputs(node)
        if len(data) != 1:
            self.problem(node, f"expected one activation input, got {len(data)}")
            return None
        src = self.source(node, data[0])
        if src is None:
            return None
        return self.add_layer(node, kind, [src], attrs or {})

    def alias(self, node: Any) -> None:
        """A node that only passes its first activation input on (Identity, Cast, ...)."""
        data = self.data_inputs(node)
        if not data:
            self.meta.update(node.output)
            return
        src = self.source(node, data[0], allow_pad=True)
        if src is None:
            return
        self.producer[node.output[0]] = src
        if data[0] in self.pads:
            self.pads[node.output[0]] = self.pads[data[0]]
        if isinstance(src, LayerDraft) and src.out_tensor == data[0] \
                and self.sole_consumer(data[0]):
            src.out_tensor = node.output[0]


def pair(values: Any) -> Any:
    """(3, 3) -> 3; (3, 1) -> [3, 1] (the compact YAML form)."""
    a, b = int(values[0]), int(values[1])
    return a if a == b else [a, b]


def one_input(ctx: Context, node: Any) -> str | None:
    """The node's one activation input; None (a problem) if it has another number."""
    data = ctx.data_inputs(node)
    if len(data) != 1:
        ctx.problem(node, "expected one activation input")
        return None
    return data[0]


def new_context(graph: GraphFacts, problems: ProblemCollector, skip_unsupported: bool,
                constants: dict[str, Any], initializers: set[str]) -> Context:
    """The context at the start: constants are the initializers and the weight inputs."""
    ctx = Context(graph=graph, problems=problems, skip_unsupported=skip_unsupported,
                  meta=set(initializers) | graph.weight_inputs | graph.undeclared,
                  values=constants)
    if graph.input_shape is not None:
        ctx.producer[graph.input_name] = INPUT
    return ctx
