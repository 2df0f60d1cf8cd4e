"""Graph analysis: node names, dependency order, the graph input, readers of each tensor.

:func:`analyse` reads everything the conversion needs to know about the graph before the
first node is converted, and returns it as one frozen :class:`GraphFacts`; the problems it
finds (a tensor nobody produces, a cycle, no usable input) go to the caller's
:class:`~hwsim.errors.ProblemCollector`.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass
from typing import Any

from hwsim.errors import ProblemCollector
from hwsim.importers.onnx import reading
from hwsim.importers.onnx.reading import Dims
from hwsim.workload.layer import TensorShape

# Nodes whose output depends only on their input's shape: never an activation.
SHAPE_OPS = frozenset({"Shape", "Size"})
# Input positions that give only a type, never values (CastLike's target_type: the dynamo
# exporter casts constants to an activation's type with it).
_TYPE_SLOTS: dict[str, tuple[int, ...]] = {"CastLike": (1,)}


def value_inputs(node: Any) -> list[str]:
    """The node's inputs whose values it reads (type-only inputs left out)."""
    skip = _TYPE_SLOTS.get(node.op_type, ())
    return [t for i, t in enumerate(node.input) if t and i not in skip]


# Input positions that carry activations (the others carry weights or constants); None: all.
_DATA_SLOTS: dict[str, tuple[int, ...] | None] = {
    "Concat": None, "Add": None, "Sum": None, "Mul": None, "Sub": None, "Div": None,
    "Max": None, "Min": None, "Mean": None,
}


def data_slots(node: Any) -> list[int]:
    """The input positions of ``node`` that carry activations (by its operator)."""
    slots = _DATA_SLOTS.get(node.op_type, (0,))
    if slots is None:
        return list(range(len(node.input)))
    return [i for i in slots if i < len(node.input)]


@dataclass(frozen=True, slots=True)
class GraphFacts:
    """What the converter knows about the graph before converting it (never changed after).

    ``names`` maps ``id(node)`` to a name for messages; ``consumers`` maps a tensor to the
    (node, input position) pairs reading it, shape computations and type-only inputs left
    out; ``layout_nodes`` are the ids of Transpose NHWC -> NCHW nodes right after the input.
    """

    onnx: Any
    file: str
    opset: int
    order: tuple[Any, ...]
    names: dict[int, str]
    shapes: dict[str, Dims]
    consumers: dict[str, list[tuple[Any, int]]]
    layout_nodes: frozenset[int]
    input_name: str
    input_shape: TensorShape | None
    weight_inputs: frozenset[str]  # graph inputs that are weights given without initializer
    # weights and constants that nothing declares (PyTorch's dynamo exporter drops them
    # with export_params=False): their shapes are known only where value_info gives them
    undeclared: frozenset[str] = frozenset()

    def place(self, node: Any) -> str:
        return node_place(self.names, node)


def node_place(names: dict[int, str], node: Any) -> str:
    return f"node '{names[id(node)]}' ({node.op_type})"


def node_names(nodes: list[Any]) -> dict[int, str]:
    """A name for every node: its own, else its first output's (without ``_output_N``), else
    its position."""
    names = {}
    for i, node in enumerate(nodes):
        output = re.sub(r"_output_\d+$", "", node.output[0]) if node.output else ""
        names[id(node)] = node.name or output or f"#{i}"
    return names


def analyse(onnx: Any, model: Any, file: str, input_size: tuple[int, int] | None,
            problems: ProblemCollector) -> GraphFacts:
    """Node names, tensor shapes, dependency order, the input and the readers of ``model``.

    The caller reads the small initializers' values first: :func:`reading.read_constants`
    drops the weights' data, which keeps shape inference cheap."""
    graph = model.graph
    nodes = list(graph.node)  # one wrapper per node: ids stay valid
    names = node_names(nodes)
    shapes = reading.read_shapes(onnx, model, file)
    initializers = {t.name for t in graph.initializer}
    undeclared = undeclared_constants(nodes, graph, initializers)
    order = toposort(nodes, graph, initializers | undeclared, names, problems)
    found = find_input(onnx, graph, order, initializers, input_size, problems)
    consumers: dict[str, list[tuple[Any, int]]] = {}
    for node in order:
        for i, tensor in enumerate(node.input):
            if tensor and node.op_type not in SHAPE_OPS \
                    and i not in _TYPE_SLOTS.get(node.op_type, ()):
                consumers.setdefault(tensor, []).append((node, i))
    return GraphFacts(onnx=onnx, file=file, opset=reading.opset_version(model),
                      order=tuple(order), names=names, shapes=shapes, consumers=consumers,
                      layout_nodes=found.layout_nodes, input_name=found.name,
                      input_shape=found.shape, weight_inputs=found.weight_inputs,
                      undeclared=frozenset(undeclared))


def undeclared_constants(nodes: list[Any], graph: Any, initializers: set[str]) -> set[str]:
    """Tensors read as weights or constants (not in an activation slot) that no node,
    initializer or graph input produces."""
    known = {i.name for i in graph.input} | initializers | {""}
    for node in nodes:
        known.update(node.output)
    found = set()
    for node in nodes:
        data = set(data_slots(node))
        for i, tensor in enumerate(node.input):
            if i not in data and tensor not in known:
                found.add(tensor)
    return found


def toposort(nodes: list[Any], graph: Any, initializers: set[str], names: dict[int, str],
             problems: ProblemCollector) -> list[Any]:
    """Nodes in dependency order (ONNX requires it; we do not rely on it), ties by position.

    A tensor no node, initializer or input produces and a cycle are problems."""
    available = {i.name for i in graph.input} | initializers | {""}
    produced_by: dict[str, int] = {}
    for index, node in enumerate(nodes):
        for out in node.output:
            if out:
                produced_by[out] = index
    waiting: dict[int, set[int]] = {}
    users: dict[int, list[int]] = {}
    ready: list[int] = []
    for index, node in enumerate(nodes):
        deps = set()
        for tensor in node.input:
            if tensor in available:
                continue
            if tensor not in produced_by:
                problems.add(node_place(names, node), f"input '{tensor}' is produced by no "
                             "node, initializer or graph input")
                continue
            deps.add(produced_by[tensor])
        waiting[index] = deps
        for d in deps:
            users.setdefault(d, []).append(index)
        if not deps:
            heapq.heappush(ready, index)
    order = []
    while ready:
        index = heapq.heappop(ready)
        order.append(nodes[index])
        for user in users.get(index, []):
            waiting[user].discard(index)
            if not waiting[user]:
                heapq.heappush(ready, user)
    if len(order) < len(nodes):
        done = {id(n) for n in order}
        stuck = [n for n in nodes if id(n) not in done]
        blocked = [n for n in stuck if not any(t and t not in available and t not in produced_by
                                               for t in n.input)]
        if blocked:
            problems.add(node_place(names, blocked[0]),
                         "the graph has a cycle through this node (or it depends on a node "
                         "that cannot run)")
    return order


@dataclass(frozen=True, slots=True)
class _Input:
    name: str = ""
    shape: TensorShape | None = None
    layout_nodes: frozenset[int] = frozenset()
    weight_inputs: frozenset[str] = frozenset()


def find_input(onnx: Any, graph: Any, order: list[Any], initializers: set[str],
               input_size: tuple[int, int] | None, problems: ProblemCollector) -> _Input:
    """The one graph input that carries activations, and its [C, H, W] (None if a problem)."""
    candidates = [i for i in graph.input if i.name not in initializers]
    used_as_data = set()
    for node in order:
        for i in data_slots(node):
            used_as_data.add(node.input[i])
    real = [i for i in candidates if i.name in used_as_data] or candidates[:1]
    if len(real) > 1:  # e.g. Add(x, bias) with the bias a graph input: keep 4-D ones
        four_d = [i for i in real if _rank(i) in (None, 4)]
        real = four_d or real
    weights = frozenset(i.name for i in candidates if i not in real)
    if not real:
        problems.add("", "the graph has no input (every graph input is an initializer)")
        return _Input(weight_inputs=weights)
    if len(real) > 1:
        problems.add("", "the graph has several inputs ("
                     + ", ".join(f"'{i.name}'" for i in real)
                     + "); hwsim imports single-input networks")
        return _Input(weight_inputs=weights)
    info = real[0]
    place = f"input '{info.name}'"
    shape = reading.dims(info.type)
    if shape is None or len(shape) != 4:
        problems.add(place, "expected a 4-D input [N, C, H, W], got "
                     + ("no shape" if shape is None else f"{len(shape)} dimensions "
                        f"{['?' if d is None else d for d in shape]}"))
        return _Input(weight_inputs=weights)
    channels, height, width = shape[1], shape[2], shape[3]
    layout = layout_transposes(onnx, info.name, order)
    if layout:  # an NHWC input (TensorFlow exports) transposed to NCHW by its readers
        channels, height, width = shape[3], shape[1], shape[2]
    found = _Input(weight_inputs=weights, layout_nodes=frozenset(id(n) for n in layout))
    if channels is None:
        problems.add(place, "the number of channels is not given")
        return found
    if input_size is not None:
        height, width = input_size
    elif height is None or width is None:
        problems.add(place, "the height and width are symbolic "
                     f"({['?' if d is None else d for d in shape]}); give them with "
                     "--input-size N or HxW")
        return found
    return _Input(info.name, TensorShape(channels, height, width), found.layout_nodes,
                  weights)


def _rank(info: Any) -> int | None:
    shape = reading.dims(info.type)
    return None if shape is None else len(shape)


def layout_transposes(onnx: Any, name: str, order: list[Any]) -> list[Any]:
    """The readers of the input if all are Transpose NHWC -> NCHW, else []."""
    readers = [n for n in order if name in n.input]
    if readers and all(n.op_type == "Transpose"
                       and list(reading.attribute(onnx, n, "perm", [])) == [0, 3, 1, 2]
                       for n in readers):
        return readers
    return []
