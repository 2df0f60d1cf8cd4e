"""Reading an ONNX file: the optional ``onnx`` package, the model, its shapes and constants.

Everything that touches the ``onnx`` package's API (apart from the module object handed to
:func:`attribute`) lives here. The package is imported on use, by
:func:`import_onnx_package`, so that ``import hwsim`` never needs it. Weights are never
read: the file is loaded with ``load_external_data=False`` and the data of large
initializers is dropped before shape inference.
"""

from __future__ import annotations

import ast
import logging
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from hwsim.errors import InputError

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install onnx (in a clone of hwsim: pip install -e '.[onnx]')"

# Initializers up to this many elements are read (pads, shapes, bounds); larger ones are
# weights, whose values hwsim never needs.
MAX_CONSTANT_ELEMENTS = 4096
_DATA_FIELDS = ("raw_data", "float_data", "int32_data", "int64_data", "double_data",
                "uint64_data", "string_data")

Dims = list[int | None]


def import_onnx_package(file: str) -> Any:
    """The ``onnx`` module, or an InputError saying how to install it."""
    try:
        import onnx  # noqa: PLC0415 (optional dependency, loaded on use)
    except ImportError:
        raise InputError("reading an ONNX model needs the optional 'onnx' package: "
                         f"{INSTALL_HINT}", file=file) from None
    return onnx


def read_model(onnx: Any, path: Path) -> Any:
    """The ModelProto of ``path`` (without external weight data); InputError if unreadable."""
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


def opset_version(model: Any) -> int:
    """The model's version of the default (``ai.onnx``) operator set, 0 if none is named."""
    return max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
               default=0)


def dims(type_proto: Any) -> Dims | None:
    """Dimensions of a tensor type (None for a symbolic or unknown one)."""
    if not type_proto.HasField("tensor_type") or not type_proto.tensor_type.HasField("shape"):
        return None
    out: Dims = []
    for dim in type_proto.tensor_type.shape.dim:
        out.append(dim.dim_value if dim.HasField("dim_value") and dim.dim_value > 0 else None)
    return out


def attribute(onnx: Any, node: Any, key: str, default: Any = None) -> Any:
    """A node attribute's value (bytes decoded to str), or ``default``."""
    for a in node.attribute:
        if a.name == key:
            value = onnx.helper.get_attribute_value(a)
            return value.decode() if isinstance(value, bytes) else value
    return default


def read_constants(onnx: Any, graph: Any) -> dict[str, Any]:
    """The values of small initializers (pads, shapes, clip bounds) as numpy arrays; the data
    of the others (weights), which are never read, is dropped so shape inference stays
    cheap."""
    numpy_helper = onnx.numpy_helper
    external = onnx.TensorProto.EXTERNAL
    values: dict[str, Any] = {}
    for init in graph.initializer:
        if init.data_location == external:
            continue
        if math.prod(init.dims) > MAX_CONSTANT_ELEMENTS:
            for data_field in _DATA_FIELDS:
                init.ClearField(data_field)
            continue
        try:
            values[init.name] = numpy_helper.to_array(init)
        except Exception:  # noqa: BLE001 - unreadable data: the value stays unknown
            pass
    return values


def read_shapes(onnx: Any, model: Any, file: str) -> dict[str, Dims]:
    """Every tensor's known dimensions: inferred by ONNX where it can, else declared."""
    graph = model.graph
    try:
        inferred = onnx.shape_inference.infer_shapes(model).graph
    except Exception as exc:  # a model the ONNX checker dislikes can still be imported
        log.info("%s: ONNX shape inference failed (%s); using declared shapes", file, exc)
        inferred = graph
    shapes: dict[str, Dims] = {}
    for group in (inferred.value_info, graph.value_info, inferred.output, graph.output,
                  graph.input):
        for info in group:
            found = dims(info.type)
            if found is not None:
                shapes[info.name] = found
    for init in graph.initializer:
        shapes[init.name] = [int(d) for d in init.dims]
    return shapes


def constant_node_value(onnx: Any, node: Any) -> Any:
    """The value a Constant node holds as a numpy array, or None if it cannot be read."""
    found = None
    for a in node.attribute:
        value = onnx.helper.get_attribute_value(a)
        if a.name == "value":
            try:
                found = onnx.numpy_helper.to_array(value)
            except Exception:  # noqa: BLE001 - external or odd data: value unknown
                pass
        elif a.name in ("value_float", "value_floats", "value_int", "value_ints"):
            found = np.array(value)
    return found


def name_scopes(node: Any) -> tuple[str, ...]:
    """The module path PyTorch's dynamo exporter records on a node, outermost first, or ().

    The exporter stores ``pkg.torch.onnx.name_scopes`` = ``"['', 'layer1', 'layer1.0',
    'layer1.0.conv1', 'conv2d_3']"`` (the root, each module, last the FX node's name) and
    ``namespace`` = ``": ResNet/layer1: Sequential/.../conv2d_3: aten.conv2d.default"``
    (the same names, each with its class); the first is read, else the second.
    """
    meta = {p.key: p.value for p in getattr(node, "metadata_props", ())}
    raw = meta.get("pkg.torch.onnx.name_scopes")
    if raw:
        try:
            scopes = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            scopes = None
        if isinstance(scopes, (list, tuple)) and all(isinstance(x, str) for x in scopes):
            return tuple(scopes)
    namespace = meta.get("namespace")
    if namespace:
        return tuple(part.partition(":")[0].strip() for part in namespace.split("/"))
    return ()


def rewrite_rules(node: Any) -> frozenset[str]:
    """The onnxscript optimizer's rules that made ``node`` (``pkg.onnxscript.rewriter.
    rule_name``, comma-separated: ``"FuseBatchNormIntoConv, RemoveOptionalBiasFromConv"``
    on a Conv that a BatchNormalization was folded into), or none."""
    meta = {p.key: p.value for p in getattr(node, "metadata_props", ())}
    raw = meta.get("pkg.onnxscript.rewriter.rule_name", "")
    return frozenset(rule.strip() for rule in raw.split(",") if rule.strip())


def parameter_module(tensor: str) -> str:
    """The module path in a PyTorch parameter's name (``layer1.0.conv1.weight`` ->
    ``layer1.0.conv1``; a module's name may hold any character but '.', as RegNet's
    ``block1-0``), or '' for a name of another form (``onnx::Conv_193``, ``W``)."""
    match = re.fullmatch(r"([^\s.:/]+(?:\.[^\s.:/]+)*)\.weight", tensor)
    return match.group(1) if match else ""
