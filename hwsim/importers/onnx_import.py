"""Import a CNN from an ONNX model: the graph becomes the layer list a network YAML gives.

The model. An ONNX graph is a list of nodes (operators) joined by named tensors. hwsim needs
only its structure: for every layer its type, its inputs and the few numbers that decide
its shapes and counts (output channels, kernel, stride, padding, dilation, groups, bias).
Weights are never read. A convolution's output channels and kernel come from the *shape* of
its weight tensor (an initializer's dims, a graph input's declared shape, or a shape
inferred by ``onnx.shape_inference``) or, failing that, from ``kernel_shape`` and the
output's inferred shape; so a model exported without weights, or whose external weight
file is missing, imports the same (the file is read with ``load_external_data=False``).

Each supported node becomes one :class:`~hwsim.workload.network.LayerSpec`, except where
folding keeps the network readable and equal to a hand-written one:

* BatchNormalization right after a conv or fc, and Relu / Clip(0, 6) / Clip(0, inf) /
  LeakyRelu right after a conv, fc or add, become ``bn: true`` / ``activation: relu |
  relu6 | leaky`` of that layer when the layer's output is read by nothing else;
* a Pad read only by convs and pools becomes part of their padding;
* Flatten / Reshape / Squeeze whose result only reaches a Gemm or MatMul (possibly through
  Dropout) disappear: an fc flattens its input anyway;
* an Add of a constant right after a conv or fc (MatMul + Add) becomes its ``bias``;
* Identity, Cast, Quantize/DequantizeLinear and constant computations (Constant, Shape,
  Gather, ... on constants or shapes) vanish.

Conventions. ONNX pads ``[h_begin, w_begin, h_end, w_end]`` become hwsim's
``[top, bottom, left, right]``; ``auto_pad: SAME_UPPER`` becomes ``padding: same`` (the
extra pixel after, as TF does) and ``SAME_LOWER`` explicit pads with the extra pixel
before; pooling ``ceil_mode: 1`` becomes ``rounding: ceil`` (Caffe, hwsim's default) and
``ceil_mode: 0`` ``rounding: floor``. Shapes are then inferred by
:func:`~hwsim.workload.network.build_network`, exactly as for a YAML file, so both paths
count the same way. The batch dimension is ignored (hwsim simulates batch 1).

Errors. Every problem (an unsupported operator, a missing tensor, an unknown channel count,
...) is collected and raised as one :class:`~hwsim.errors.InputError` naming the file, the
node and its operator. ``skip_unsupported=True`` drops unsupported nodes instead (each is
replaced by its first input) and lists them in :attr:`OnnxImport.dropped`.
"""

from __future__ import annotations

import heapq
import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hwsim.config.network_file import parse_input_size
from hwsim.errors import InputError, ProblemCollector
from hwsim.workload import layer as L
from hwsim.workload.layer import TensorShape
from hwsim.workload.network import INPUT, LayerSpec, Network, build_network

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'hwsim[onnx]'"

# Operators that become layers (or fold into one).
LAYER_OPS = ("Conv", "Gemm", "MatMul", "MaxPool", "AveragePool", "GlobalAveragePool",
             "GlobalMaxPool", "Concat", "Add", "Sum", "Relu", "LeakyRelu", "Clip",
             "BatchNormalization", "Dropout", "Flatten", "Reshape", "Squeeze", "Softmax",
             "LogSoftmax", "LRN", "Pad")
# Operators that only pass their input on (no computation hwsim models).
ALIAS_OPS = ("Identity", "Cast", "QuantizeLinear", "DequantizeLinear")
SUPPORTED_OPS = frozenset(LAYER_OPS + ALIAS_OPS)
# Nodes whose output depends only on their input's shape: never an activation.
SHAPE_OPS = frozenset({"Shape", "Size"})
# Input positions that carry activations (the others carry weights or constants).
_ALL_SLOTS = None
_DATA_SLOTS: dict[str, Any] = {
    "Concat": _ALL_SLOTS, "Add": _ALL_SLOTS, "Sum": _ALL_SLOTS, "Mul": _ALL_SLOTS,
    "Sub": _ALL_SLOTS, "Div": _ALL_SLOTS, "Max": _ALL_SLOTS, "Min": _ALL_SLOTS,
    "Mean": _ALL_SLOTS,
}
# Initializers up to this many elements are read (pads, shapes, bounds); larger ones are
# weights, whose values hwsim never needs.
MAX_CONSTANT_ELEMENTS = 4096
_DATA_FIELDS = ("raw_data", "float_data", "int32_data", "int64_data", "double_data",
                "uint64_data", "string_data")
FC_OPS = ("Gemm", "MatMul")
FLATTEN_OPS = ("Flatten", "Reshape", "Squeeze")
POOL_OPS = ("MaxPool", "AveragePool")
_PASS_TO_FC = ("Dropout", "Identity", "Cast")  # a flatten through these may still dissolve


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


@dataclass
class _Op:
    """A layer under construction: mutable while later nodes fold into it."""

    type: str
    inputs: list[Any]  # _Op or INPUT
    attrs: dict[str, Any]
    node_name: str
    op_type: str
    out_tensor: str
    base: str = ""
    op_dropped: bool = False
    name: str = ""
    same_lower: bool = False
    fc_in_features: int | None = None  # from the weights' shape, when known
    conv_in_per_group: int | None = None  # from the weights' shape, when known

    @property
    def place(self) -> str:
        return f"node '{self.node_name}' ({self.op_type})"


def load_onnx_network(path: str | Path, input_size: Any = None) -> Network:
    """Read an ONNX model as a :class:`Network` (what ``load_network`` does for ``.onnx``).

    ``input_size`` (N, (H, W) or 'HxW') overrides the model's input height and width and is
    required when they are symbolic. Unsupported operators are an error; use
    :func:`import_onnx` with ``skip_unsupported=True`` (``hwsim import --skip-unsupported``)
    to drop them.
    """
    return import_onnx(path, input_size=input_size).network


def import_onnx(path: str | Path, input_size: Any = None, *, skip_unsupported: bool = False,
                name: str | None = None) -> OnnxImport:
    """Convert an ONNX file into hwsim layer specs and their network; InputError if bad."""
    path = Path(path)
    file = str(path)
    onnx = _import_onnx_package(file)
    model = _read_model(onnx, path)
    size = None
    if input_size is not None:
        try:
            size = parse_input_size(input_size)
        except ValueError as exc:
            raise InputError(str(exc), file=file) from None
    converter = _Converter(onnx, model, file, size, skip_unsupported)
    return converter.run(name or path.stem)


# --- reading -----------------------------------------------------------------------------

def _import_onnx_package(file: str) -> Any:
    try:
        import onnx  # noqa: PLC0415 (optional dependency, loaded on use)
    except ImportError:
        raise InputError("reading an ONNX model needs the optional 'onnx' package: "
                         f"{INSTALL_HINT}", file=file) from None
    return onnx


def _read_model(onnx: Any, path: Path) -> Any:
    file = str(path)
    if not path.exists():
        raise InputError("file not found", file=file)
    if path.is_dir():
        raise InputError("is a directory, not an ONNX file", file=file)
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf DecodeError, OSError, ...: all mean "not readable"
        raise InputError(f"not a readable ONNX model ({type(exc).__name__}: {exc})",
                         file=file) from None
    if not model.graph.node:
        raise InputError("not an ONNX model with a graph: it has no nodes", file=file)
    return model


def _dims(type_proto: Any) -> list[int | None] | None:
    """Dimensions of a tensor type (None for a symbolic or unknown one)."""
    if not type_proto.HasField("tensor_type") or not type_proto.tensor_type.HasField("shape"):
        return None
    dims: list[int | None] = []
    for dim in type_proto.tensor_type.shape.dim:
        dims.append(dim.dim_value if dim.HasField("dim_value") and dim.dim_value > 0 else None)
    return dims


# --- conversion --------------------------------------------------------------------------

class _Converter:
    def __init__(self, onnx: Any, model: Any, file: str, input_size: tuple[int, int] | None,
                 skip_unsupported: bool):
        self.onnx = onnx
        self.model = model
        self.graph = model.graph
        self.file = file
        self.input_size = input_size
        self.skip = skip_unsupported
        self.problems = ProblemCollector(file)
        self.unsupported: list[str] = []
        self.notes: list[str] = []
        self.opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
                         default=0)
        self.initializers = {t.name: t for t in self.graph.initializer}
        self.shapes: dict[str, list[int | None]] = {}
        self.values: dict[str, Any] = {}  # known constant values (numpy arrays)
        self.meta: set[str] = set(self.initializers)  # constants, weights, shape values
        self.producer: dict[str, Any] = {}  # activation tensor -> _Op or INPUT
        self.pads: dict[str, tuple[tuple[int, int, int, int], Any]] = {}  # tensor -> pad, node
        self.failed: set[str] = set()
        self.ops: list[_Op] = []
        self.consumers: dict[str, list[tuple[Any, int]]] = {}
        self.nodes = list(self.graph.node)  # one wrapper per node: ids stay valid
        self.layout_nodes: set[int] = set()  # Transpose NHWC -> NCHW right after the input
        self.node_names: dict[int, str] = {}

    # --- helpers ---------------------------------------------------------------------------
    def node_place(self, node: Any) -> str:
        return f"node '{self.node_names[id(node)]}' ({node.op_type})"

    def problem(self, node: Any, message: str) -> None:
        self.problems.add(self.node_place(node), message)
        for out in node.output:
            self.failed.add(out)

    def attr(self, node: Any, key: str, default: Any = None) -> Any:
        for a in node.attribute:
            if a.name == key:
                value = self.onnx.helper.get_attribute_value(a)
                return value.decode() if isinstance(value, bytes) else value
        return default

    def value(self, tensor: str) -> Any:
        """A constant's value as a numpy array, or None if unknown (or not stored here)."""
        return self.values.get(tensor) if tensor else None

    def shape(self, tensor: str) -> list[int | None] | None:
        return self.shapes.get(tensor)

    def data_slots(self, node: Any) -> list[int]:
        slots = _DATA_SLOTS.get(node.op_type, (0,))
        if slots is _ALL_SLOTS:
            return list(range(len(node.input)))
        return [i for i in slots if i < len(node.input)]

    def data_inputs(self, node: Any) -> list[str]:
        return [node.input[i] for i in self.data_slots(node)
                if node.input[i] and node.input[i] not in self.meta]

    # --- the run ---------------------------------------------------------------------------
    def run(self, name: str) -> OnnxImport:
        self.name_nodes()
        self.collect_constants()
        self.collect_shapes()
        order = self.toposort()
        input_shape = self.find_input(order)
        self.problems.raise_if_any()
        for node in order:
            for i, tensor in enumerate(node.input):
                if tensor and node.op_type not in SHAPE_OPS:
                    self.consumers.setdefault(tensor, []).append((node, i))
        for node in order:
            self.convert(node)
        if self.unsupported and not self.skip:
            self.problems.add("", "hwsim imports " + ", ".join(sorted(LAYER_OPS)) + "; use "
                                  "'hwsim import --skip-unsupported' to import the rest of the "
                                  "model without the other operators")
        self.problems.raise_if_any()
        if not self.ops:
            raise InputError("no layer left to import (every node is a constant or was "
                             "dropped)", file=self.file)
        self.assign_names()
        specs = [self.spec(op) for op in self.ops]
        description = f"Imported from the ONNX model {Path(self.file).name}."
        producer = " ".join(p for p in (self.model.producer_name, self.model.producer_version)
                            if p)
        source = f"{Path(self.file).name} (ONNX opset {self.opset}" + (
            f", exported by {producer})" if producer else ")")
        network = build_network(specs, input_shape, name=name, file=self.file,
                                description=description, source=source)
        lowered = [op for op in self.ops if op.same_lower]
        if lowered:
            specs = self.fix_same_lower(specs, network, lowered)
            network = build_network(specs, input_shape, name=name, file=self.file,
                                    description=description, source=source)
        self.cross_check(network, same_size=self.input_size is None)
        if self.unsupported:
            log.info("dropped %d unsupported node(s): %s", len(self.unsupported),
                     ", ".join(self.unsupported))
        return OnnxImport(network=network, specs=tuple(specs), dropped=tuple(self.unsupported),
                          producer=producer, opset=self.opset,
                          input_size_fixed=bool(lowered), notes=tuple(self.notes))

    def name_nodes(self) -> None:
        for i, node in enumerate(self.nodes):
            output = re.sub(r"_output_\d+$", "", node.output[0]) if node.output else ""
            self.node_names[id(node)] = node.name or output or f"#{i}"

    def collect_shapes(self) -> None:
        graph = self.graph
        try:
            inferred = self.onnx.shape_inference.infer_shapes(self.model).graph
        except Exception as exc:  # a model the ONNX checker dislikes can still be imported
            log.info("%s: ONNX shape inference failed (%s); using declared shapes", self.file, exc)
            inferred = graph
        for group in (inferred.value_info, graph.value_info, inferred.output, graph.output,
                      graph.input):
            for info in group:
                dims = _dims(info.type)
                if dims is not None:
                    self.shapes[info.name] = dims
        for init in graph.initializer:
            self.shapes[init.name] = [int(d) for d in init.dims]

    def collect_constants(self) -> None:
        """Keep the values of small initializers (pads, shapes, clip bounds); drop the data
        of the others (weights), which are never read, so shape inference stays cheap."""
        numpy_helper = self.onnx.numpy_helper
        external = self.onnx.TensorProto.EXTERNAL
        for init in self.graph.initializer:
            if init.data_location == external:
                continue
            if math.prod(init.dims) > MAX_CONSTANT_ELEMENTS:
                for data_field in _DATA_FIELDS:
                    init.ClearField(data_field)
                continue
            try:
                self.values[init.name] = numpy_helper.to_array(init)
            except Exception:  # noqa: BLE001 - unreadable data: the value stays unknown
                pass

    def toposort(self) -> list[Any]:
        """Nodes in dependency order (ONNX requires it; we do not rely on it)."""
        nodes = self.nodes
        available = {i.name for i in self.graph.input} | set(self.initializers) | {""}
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
                    self.problem(node, f"input '{tensor}' is produced by no node, initializer "
                                       "or graph input")
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
                self.problems.add(self.node_place(blocked[0]),
                                  "the graph has a cycle through this node (or it depends on a "
                                  "node that cannot run)")
        return order

    def find_input(self, order: list[Any]) -> TensorShape | None:
        """The one graph input that carries activations, and its [C, H, W]."""
        candidates = [i for i in self.graph.input if i.name not in self.initializers]
        used_as_data = set()
        for node in order:
            for i in self.data_slots(node):
                used_as_data.add(node.input[i])
        real = [i for i in candidates if i.name in used_as_data] or candidates[:1]
        if len(real) > 1:  # e.g. Add(x, bias) with the bias a graph input: keep 4-D ones
            four_d = [i for i in real if _dims(i.type) is None or len(_dims(i.type)) == 4]
            real = four_d or real
        for info in candidates:
            if info not in real:
                self.meta.add(info.name)  # a weight given as a graph input (no initializer)
        if not real:
            self.problems.add("", "the graph has no input (every graph input is an initializer)")
            return None
        if len(real) > 1:
            self.problems.add("", "the graph has several inputs ("
                              + ", ".join(f"'{i.name}'" for i in real)
                              + "); hwsim imports single-input networks")
            return None
        info = real[0]
        place = f"input '{info.name}'"
        dims = _dims(info.type)
        if dims is None or len(dims) != 4:
            self.problems.add(place, "expected a 4-D input [N, C, H, W], got "
                              + ("no shape" if dims is None else f"{len(dims)} dimensions "
                                 f"{['?' if d is None else d for d in dims]}"))
            return None
        channels, height, width = dims[1], dims[2], dims[3]
        layout = self.layout_transposes(info.name, order)
        if layout:  # an NHWC input (TensorFlow exports) transposed to NCHW by its readers
            self.layout_nodes = {id(n) for n in layout}
            channels, height, width = dims[3], dims[1], dims[2]
        if channels is None:
            self.problems.add(place, "the number of channels is not given")
            return None
        if self.input_size is not None:
            height, width = self.input_size
        elif height is None or width is None:
            self.problems.add(place, "the height and width are symbolic "
                              f"({['?' if d is None else d for d in dims]}); give them with "
                              "--input-size N or HxW")
            return None
        self.producer[info.name] = INPUT
        return TensorShape(channels, height, width)

    def layout_transposes(self, name: str, order: list[Any]) -> list[Any]:
        """The readers of the input if all are Transpose NHWC -> NCHW, else []."""
        readers = [n for n in order if name in n.input]
        if readers and all(n.op_type == "Transpose"
                           and list(self.attr(n, "perm", [])) == [0, 3, 1, 2] for n in readers):
            return readers
        return []

    # --- one node --------------------------------------------------------------------------
    def convert(self, node: Any) -> None:
        inputs = [t for t in node.input if t]
        if any(t in self.failed for t in inputs):
            self.failed.update(node.output)
            return
        op = node.op_type
        if op == "Constant":
            self.constant(node)
            return
        if op in SHAPE_OPS or (inputs and all(t in self.meta for t in inputs)):
            self.meta.update(node.output)  # a constant computation (shapes, weights)
            if op in ALIAS_OPS and inputs and inputs[0] in self.values:
                self.values[node.output[0]] = self.values[inputs[0]]
            return
        if id(node) in self.layout_nodes:
            self.alias(node)
            return
        if node.domain not in ("", "ai.onnx") or op not in SUPPORTED_OPS:
            self.unsupported_node(node, f"operator '{op}'"
                                  + (f" of domain '{node.domain}'" if node.domain else "")
                                  + " is not supported")
            return
        handler = getattr(self, "op_" + op)
        handler(node)

    def unsupported_node(self, node: Any, message: str) -> None:
        """Record an unsupported node and let its first input through: with
        skip_unsupported the import goes on; without, the rest of the graph is still read
        so that every unsupported node is reported at once."""
        self.unsupported.append(f"{self.node_place(node)}")
        if not self.skip:
            self.problems.add(self.node_place(node), message)
        data = self.data_inputs(node)
        if not data or data[0] not in self.producer:
            self.meta.update(node.output)
            return
        for out in node.output[:1]:
            self.producer[out] = self.producer[data[0]]
            if data[0] in self.pads:
                self.pads[out] = self.pads[data[0]]

    def constant(self, node: Any) -> None:
        self.meta.update(node.output)
        numpy_helper = self.onnx.numpy_helper
        import numpy as np

        for a in node.attribute:
            value = self.onnx.helper.get_attribute_value(a)
            if a.name == "value":
                try:
                    self.values[node.output[0]] = numpy_helper.to_array(value)
                except Exception:  # noqa: BLE001 - external or odd data: value unknown
                    pass
            elif a.name in ("value_float", "value_floats", "value_int", "value_ints"):
                self.values[node.output[0]] = np.array(value)

    def source(self, node: Any, tensor: str, *, allow_pad: bool = False) -> Any:
        """The layer (or INPUT) producing an activation tensor."""
        if tensor in self.pads and not allow_pad:
            pad_node = self.pads[tensor][1]
            self.problem(node, f"reads the output of {self.node_place(pad_node)}: a Pad can be "
                               "imported only when convolutions or pooling layers read it")
            return None
        if tensor not in self.producer:
            self.problem(node, f"input '{tensor}' is not an activation hwsim can follow")
            return None
        return self.producer[tensor]

    def sole_consumer(self, tensor: str) -> bool:
        return len(self.consumers.get(tensor, [])) == 1

    def foldable(self, tensor: str, types: Iterable[str]) -> _Op | None:
        """The layer producing ``tensor`` if it may absorb the one node that reads it."""
        op = self.producer.get(tensor)
        if isinstance(op, _Op) and op.type in types and op.out_tensor == tensor \
                and self.sole_consumer(tensor) and tensor not in self.pads:
            return op
        return None

    def add_op(self, node: Any, kind: str, inputs: list[Any], attrs: dict[str, Any]) -> _Op:
        op = _Op(type=kind, inputs=inputs, attrs=attrs, node_name=self.node_names[id(node)],
                 op_type=node.op_type, out_tensor=node.output[0])
        self.ops.append(op)
        self.producer[node.output[0]] = op
        return op

    def simple(self, node: Any, kind: str, attrs: dict[str, Any] | None = None) -> _Op | None:
        data = self.data_inputs(node)
        if len(data) != 1:
            self.problem(node, f"expected one activation input, got {len(data)}")
            return None
        src = self.source(node, data[0])
        if src is None:
            return None
        return self.add_op(node, kind, [src], attrs or {})

    def alias(self, node: Any) -> None:
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
        if isinstance(src, _Op) and src.out_tensor == data[0] and self.sole_consumer(data[0]):
            src.out_tensor = node.output[0]

    # --- padding ---------------------------------------------------------------------------
    def spatial_pads(self, node: Any) -> tuple[int, int, int, int] | None:
        """ONNX ``pads`` [h_begin, w_begin, h_end, w_end] as (top, bottom, left, right)."""
        pads = list(self.attr(node, "pads", [0, 0, 0, 0]))
        if len(pads) != 4:
            self.problem(node, f"pads {pads}: only 2-D (H, W) operators are supported")
            return None
        if any(p < 0 for p in pads):
            self.problem(node, f"negative pads {pads} (cropping) are not supported")
            return None
        return (pads[0], pads[2], pads[1], pads[3])

    def padding(self, node: Any, x: str, kernel: tuple[int, int]) -> Any:
        """hwsim padding for a conv / pool: explicit pads plus a folded Pad, or 'same'."""
        auto = self.attr(node, "auto_pad", "NOTSET") or "NOTSET"
        extra = self.pads.get(x, ((0, 0, 0, 0), None))[0]
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            if any(extra):
                self.problem(node, f"auto_pad {auto} after a Pad node is not supported")
                return None
            return "same"
        if auto == "VALID":
            pads = (0, 0, 0, 0)
        elif auto == "NOTSET":
            pads = self.spatial_pads(node)
            if pads is None:
                return None
        else:
            self.problem(node, f"unknown auto_pad '{auto}'")
            return None
        total = tuple(a + b for a, b in zip(pads, extra))
        return _compact_padding(total)

    def op_Pad(self, node: Any) -> None:
        data = self.data_inputs(node)
        if len(data) != 1:
            self.problem(node, "expected one activation input")
            return
        src = self.source(node, data[0], allow_pad=True)
        if src is None:
            return
        if self.opset >= 11 or len(node.input) > 1:
            pads = self.value(node.input[1]) if len(node.input) > 1 else None
            axes = self.value(node.input[3]) if len(node.input) > 3 and node.input[3] else None
        else:
            pads = self.attr(node, "pads")
            axes = None
        if pads is None:
            self.problem(node, "the pad amounts are not constants stored in the model")
            return
        pads = [int(p) for p in list(pads)]
        rank = 4
        axes = list(range(rank)) if axes is None else [int(a) % rank for a in list(axes)]
        if len(pads) != 2 * len(axes):
            self.problem(node, f"pads {pads} do not match a 4-D tensor")
            return
        begin = dict(zip(axes, pads[: len(axes)]))
        end = dict(zip(axes, pads[len(axes):]))
        if any(begin.get(a, 0) or end.get(a, 0) for a in (0, 1)):
            self.problem(node, f"pads {pads} pad the batch or channel dimension; only height "
                               "and width padding is supported")
            return
        if any(p < 0 for p in pads):
            self.problem(node, f"negative pads {pads} (cropping) are not supported")
            return
        here = (begin.get(2, 0), end.get(2, 0), begin.get(3, 0), end.get(3, 0))
        before = self.pads.get(data[0], ((0, 0, 0, 0), None))[0]
        self.producer[node.output[0]] = src
        self.pads[node.output[0]] = (tuple(a + b for a, b in zip(before, here)), node)

    # --- layers with weights ----------------------------------------------------------------
    def op_Conv(self, node: Any) -> None:
        data = self.data_inputs(node)
        if len(data) != 1:
            self.problem(node, "expected one activation input (X) and constant weights")
            return
        x = data[0]
        w_shape = self.shape(node.input[1]) if len(node.input) > 1 else None
        kernel = self.attr(node, "kernel_shape")
        if kernel is None and w_shape is not None and None not in w_shape[2:]:
            kernel = w_shape[2:]
        if kernel is None:
            self.problem(node, "the kernel size is unknown: no kernel_shape attribute and no "
                               "weight shape")
            return
        if len(kernel) != 2:
            self.problem(node, f"a {len(kernel)}-D convolution; only 2-D convolutions are "
                               "supported")
            return
        out_channels = w_shape[0] if w_shape and w_shape[0] else None
        if out_channels is None:
            y = self.shape(node.output[0])
            out_channels = y[1] if y and len(y) == 4 else None
        if out_channels is None:
            self.problem(node, "the number of output channels is unknown: neither the weight "
                               f"'{node.input[1] if len(node.input) > 1 else ''}' nor the "
                               "output has a known shape")
            return
        kernel_hw = (int(kernel[0]), int(kernel[1]))
        stride = tuple(self.attr(node, "strides", [1, 1]))
        dilation = tuple(self.attr(node, "dilations", [1, 1]))
        groups = int(self.attr(node, "group", 1))
        padding = self.padding(node, x, kernel_hw)
        src = self.source(node, x, allow_pad=True)
        if padding is None or src is None:
            return
        attrs: dict[str, Any] = {"out_channels": int(out_channels), "kernel": _pair(kernel_hw)}
        attrs["stride"] = _pair(stride)
        attrs["padding"] = padding
        attrs["dilation"] = _pair(dilation)
        attrs["groups"] = groups
        attrs["bias"] = len(node.input) > 2 and bool(node.input[2])
        op = self.add_op(node, L.CONV, [src], attrs)
        op.same_lower = self.attr(node, "auto_pad", "") == "SAME_LOWER"
        if w_shape and len(w_shape) == 4 and w_shape[1]:
            op.conv_in_per_group = int(w_shape[1])

    def op_Gemm(self, node: Any) -> None:
        if self.attr(node, "transA", 0):
            self.unsupported_node(node, "Gemm with transA=1 is not supported")
            return
        b_shape = self.shape(node.input[1]) if len(node.input) > 1 else None
        trans_b = bool(self.attr(node, "transB", 0))
        out_features = in_features = None
        if b_shape and len(b_shape) == 2:
            in_features, out_features = (b_shape[1], b_shape[0]) if trans_b else tuple(b_shape)
        bias = len(node.input) > 2 and bool(node.input[2])
        self.fc(node, out_features, in_features, bias)

    def op_MatMul(self, node: Any) -> None:
        if len(node.input) < 2 or node.input[1] not in self.meta:
            self.unsupported_node(node, "MatMul of two activations (not a fully connected "
                                        "layer) is not supported")
            return
        b_shape = self.shape(node.input[1])
        out_features = in_features = None
        if b_shape and len(b_shape) == 2:
            in_features, out_features = b_shape
        self.fc(node, out_features, in_features, False)

    def fc(self, node: Any, out_features: int | None, in_features: int | None,
           bias: bool) -> None:
        if out_features is None:
            y = self.shape(node.output[0])
            out_features = y[-1] if y else None
        if not out_features:
            self.problem(node, "the number of output features is unknown: neither the weight "
                               "nor the output has a known shape")
            return
        op = self.simple(node, L.FC, {"out_channels": int(out_features), "bias": bias})
        if op is not None:
            op.fc_in_features = in_features

    # --- pooling -----------------------------------------------------------------------------
    def pool(self, node: Any, kind: str) -> None:
        data = self.data_inputs(node)
        kernel = self.attr(node, "kernel_shape")
        if len(data) != 1 or kernel is None:
            self.problem(node, "expected one input and a kernel_shape")
            return
        if len(kernel) != 2:
            self.problem(node, f"{len(kernel)}-D pooling; only 2-D pooling is supported")
            return
        if any(d != 1 for d in self.attr(node, "dilations", [1, 1])):
            self.problem(node, "dilated pooling is not supported")
            return
        kernel_hw = (int(kernel[0]), int(kernel[1]))
        padding = self.padding(node, data[0], kernel_hw)
        src = self.source(node, data[0], allow_pad=True)
        if padding is None or src is None:
            return
        attrs = {"kernel": _pair(kernel_hw), "stride": _pair(self.attr(node, "strides", [1, 1])),
                 "padding": padding,
                 "rounding": "ceil" if self.attr(node, "ceil_mode", 0) else "floor"}
        op = self.add_op(node, kind, [src], attrs)
        op.same_lower = self.attr(node, "auto_pad", "") == "SAME_LOWER"

    def op_MaxPool(self, node: Any) -> None:
        self.pool(node, L.MAXPOOL)

    def op_AveragePool(self, node: Any) -> None:
        self.pool(node, L.AVGPOOL)

    def op_GlobalAveragePool(self, node: Any) -> None:
        self.simple(node, L.AVGPOOL, {"global": True})

    def op_GlobalMaxPool(self, node: Any) -> None:
        self.simple(node, L.MAXPOOL, {"global": True})

    # --- joins -------------------------------------------------------------------------------
    def op_Concat(self, node: Any) -> None:
        axis = int(self.attr(node, "axis", 1))
        if axis not in (1, -3):
            self.unsupported_node(node, f"concatenation along axis {axis} is not supported "
                                        "(only along channels, axis 1)")
            return
        if any(t in self.meta for t in node.input if t):
            self.unsupported_node(node, "concatenation with a constant is not supported")
            return
        self.join(node, L.CONCAT)

    def join(self, node: Any, kind: str) -> None:
        data = self.data_inputs(node)
        sources = [self.source(node, t) for t in data]
        if any(s is None for s in sources):
            return
        self.add_op(node, kind, sources, {})

    def op_Add(self, node: Any) -> None:
        data = self.data_inputs(node)
        constants = [t for t in node.input if t and t in self.meta]
        if len(data) >= 2 and not constants:
            self.join(node, L.ADD)
            return
        if len(data) == 1 and constants:
            op = self.foldable(data[0], (L.CONV, L.FC))
            if op is not None and not op.attrs.get("bias") and not op.attrs.get("bn") \
                    and not op.attrs.get("activation"):
                op.attrs["bias"] = True
                op.out_tensor = node.output[0]
                self.producer[node.output[0]] = op
                return
            self.unsupported_node(node, "an Add of a constant that is not the bias of the "
                                        "Conv / Gemm / MatMul before it is not supported")
            return
        self.unsupported_node(node, "an Add mixing constants and several activations is not "
                                    "supported")

    op_Sum = op_Add

    # --- operations without MACs ------------------------------------------------------------
    def op_BatchNormalization(self, node: Any) -> None:
        data = self.data_inputs(node)
        if len(data) != 1:
            self.problem(node, "expected one activation input")
            return
        op = self.foldable(data[0], (L.CONV, L.FC))
        if op is not None and not op.attrs.get("bn") and not op.attrs.get("activation"):
            op.attrs["bn"] = True
            op.out_tensor = node.output[0]
            self.producer[node.output[0]] = op
            return
        self.simple(node, L.BN)

    def activation(self, node: Any, kind: str | None) -> None:
        data = self.data_inputs(node)
        if len(data) != 1:
            self.problem(node, "expected one activation input")
            return
        if kind is not None:
            op = self.foldable(data[0], (L.CONV, L.FC, L.ADD))
            if op is not None and not op.attrs.get("activation"):
                op.attrs["activation"] = kind
                op.out_tensor = node.output[0]
                self.producer[node.output[0]] = op
                return
        self.simple(node, L.RELU)

    def op_Relu(self, node: Any) -> None:
        self.activation(node, "relu")

    def op_LeakyRelu(self, node: Any) -> None:
        self.activation(node, "leaky")

    def op_Clip(self, node: Any) -> None:
        """Clip(0, inf) is a ReLU, Clip(0, 6) a ReLU6; other bounds stay a stand-alone op."""
        low = high = None
        known = True
        if self.opset < 11:
            low = self.attr(node, "min")
            high = self.attr(node, "max")
        else:
            for slot in (1, 2):
                if len(node.input) > slot and node.input[slot]:
                    value = self.value(node.input[slot])
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
        self.activation(node, kind)

    def op_Dropout(self, node: Any) -> None:
        ratio = self.attr(node, "ratio")
        if ratio is None and len(node.input) > 1 and node.input[1]:
            value = self.value(node.input[1])
            ratio = None if value is None else float(value)
        attrs = {} if ratio is None else {"ratio": round(float(ratio), 6)}
        self.simple(node, L.DROPOUT, attrs)

    def op_Softmax(self, node: Any) -> None:
        self.simple(node, L.SOFTMAX)

    op_LogSoftmax = op_Softmax

    def op_LRN(self, node: Any) -> None:
        self.simple(node, L.LRN, {"size": int(self.attr(node, "size", 1))})

    def op_Identity(self, node: Any) -> None:
        self.alias(node)

    op_Cast = op_QuantizeLinear = op_DequantizeLinear = op_Identity

    def op_Flatten(self, node: Any) -> None:
        self.flatten(node)

    op_Reshape = op_Squeeze = op_Flatten

    def flatten(self, node: Any) -> None:
        """Flatten / Reshape / Squeeze to [N, features]: dissolved before an fc, else a layer."""
        data = self.data_inputs(node)
        if len(data) != 1:
            self.problem(node, "expected one activation input")
            return
        rank = self.out_rank(node)
        if rank is not None and rank > 2:
            self.unsupported_node(node, f"{node.op_type} to a {rank}-D tensor is not supported "
                                        "(only flattening to [N, features] is)")
            return
        if self.only_feeds_fc(node.output[0]):
            src = self.source(node, data[0])
            if src is not None:
                self.producer[node.output[0]] = src
            return
        self.simple(node, L.FLATTEN)

    def out_rank(self, node: Any) -> int | None:
        if node.op_type == "Flatten":
            return 2
        if node.op_type == "Reshape" and len(node.input) > 1:
            value = self.value(node.input[1])
            if value is not None:
                return int(value.size)
            dims = self.shape(node.input[1])
            if dims and len(dims) == 1 and dims[0]:
                return dims[0]
        out = self.shape(node.output[0])
        return len(out) if out is not None else None

    def only_feeds_fc(self, tensor: str) -> bool:
        users = self.consumers.get(tensor, [])
        if not users:
            return False
        for user, slot in users:
            if user.op_type in FC_OPS and slot == 0:
                continue
            if user.op_type in _PASS_TO_FC and slot == 0 and user.output \
                    and self.only_feeds_fc(user.output[0]):
                continue
            return False
        return True

    # --- names and specs ------------------------------------------------------------------
    def assign_names(self) -> None:
        """Readable unique names from the ONNX node names (``/features/features.3/squeeze/Conv``
        -> ``features.3.squeeze``): '/' becomes '.', a module path's repeated prefix and the
        trailing operator name are dropped; the layer type is added back where the name would
        otherwise be ambiguous (``layer1.0.add`` beside ``layer1.0.conv1``)."""
        for op in self.ops:
            op.base, op.op_dropped = _base_name(op.node_name, op.op_type)
        counts: dict[str, int] = {}
        for op in self.ops:
            counts[op.base] = counts.get(op.base, 0) + 1
        prefixes = set()
        for op in self.ops:
            parts = op.base.split(".")
            for k in range(1, len(parts)):
                prefixes.add(".".join(parts[:k]))
        used: set[str] = {INPUT}
        for op in self.ops:
            name = op.base
            if op.op_dropped and (counts[name] > 1 or name in prefixes):
                name = f"{name}.{_type_word(op)}"
            if not name or not re.search(r"[A-Za-z]", name):
                name = f"{_type_word(op)}{name}"
            unique = name
            k = 2
            while unique in used:
                unique = f"{name}_{k}"
                k += 1
            used.add(unique)
            op.name = unique

    def spec(self, op: _Op) -> LayerSpec:
        inputs = tuple(INPUT if i == INPUT else i.name for i in op.inputs)
        attrs = {k: v for k, v in op.attrs.items() if not _is_default(k, v)}
        return LayerSpec(op.name, op.type, inputs, attrs, op.place)

    def fix_same_lower(self, specs: list[LayerSpec], network: Network,
                       lowered: list[_Op]) -> list[LayerSpec]:
        """SAME_LOWER puts the odd padding pixel before: explicit pads for this input size."""
        names = {op.name for op in lowered}
        out = []
        for spec in specs:
            if spec.name in names:
                layer = network.layer(spec.name)
                top, bottom, left, right = layer.padding
                attrs = dict(spec.attrs)
                attrs["padding"] = _compact_padding((bottom, top, right, left))
                spec = LayerSpec(spec.name, spec.type, spec.inputs, attrs, spec.place)
            out.append(spec)
        self.notes.append("auto_pad SAME_LOWER made explicit for the input size "
                          f"{network.input_shape.height}x{network.input_shape.width}: "
                          + ", ".join(sorted(names)))
        return out

    def cross_check(self, network: Network, *, same_size: bool) -> None:
        """Warn where hwsim's shapes differ from the weights' or ONNX's: a dropped operator
        or a convention that differs. Sizes are compared only at the model's own input size."""
        for op in self.ops:
            layer = network.layer(op.name)
            dims = self.shape(op.out_tensor) if same_size else None
            if same_size and op.type == L.FC and op.fc_in_features \
                    and layer.in_channels != op.fc_in_features:
                log.warning("%s: layer '%s' (%s): hwsim gives %d input features, the weights "
                            "have %d", self.file, op.name, op.place, layer.in_channels,
                            op.fc_in_features)
            if op.conv_in_per_group and layer.in_channels // layer.groups != op.conv_in_per_group:
                log.warning("%s: layer '%s' (%s): hwsim gives %d input channels per group, the "
                            "weights have %d", self.file, op.name, op.place,
                            layer.in_channels // layer.groups, op.conv_in_per_group)
            if not dims or None in dims[1:]:
                continue
            out = layer.out_shape
            if len(dims) == 4:
                ours = [out.channels, out.height, out.width]
            elif len(dims) == 2:
                ours = [out.elements]
            else:
                continue
            if ours != list(dims[1:]):
                log.warning("%s: layer '%s' (%s): hwsim infers output %s, ONNX %s", self.file,
                            op.name, op.place, ours, list(dims[1:]))


# --- small pure helpers ----------------------------------------------------------------------

_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": False, "bn": False,
             "activation": None, "rounding": "ceil", "global": False}


def _is_default(key: str, value: Any) -> bool:
    return key in _DEFAULTS and value == _DEFAULTS[key]


def _pair(values: Any) -> Any:
    """(3, 3) -> 3; (3, 1) -> [3, 1] (the compact YAML form)."""
    a, b = int(values[0]), int(values[1])
    return a if a == b else [a, b]


def _compact_padding(pads: tuple[int, ...]) -> Any:
    """(top, bottom, left, right) -> p, [ph, pw] or [top, bottom, left, right]."""
    top, bottom, left, right = (int(p) for p in pads)
    if top == bottom == left == right:
        return top
    if top == bottom and left == right:
        return [top, left]
    return [top, bottom, left, right]


def _type_word(op: _Op) -> str:
    if op.attrs.get("global"):
        return "global_" + op.type
    return op.type


def _base_name(node_name: str, op_type: str) -> tuple[str, bool]:
    """``/features/features.3/squeeze/Conv`` -> (``features.3.squeeze``, True)."""
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
    name = ".".join(collapsed)
    name = re.sub(r"[^A-Za-z0-9_.\-]+", "_", name).strip("._")
    return name, dropped


__all__ = ["load_onnx_network", "import_onnx", "OnnxImport", "SUPPORTED_OPS", "INSTALL_HINT"]
