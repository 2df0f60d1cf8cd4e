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

* a BatchNormalization that PyTorch's dynamo exporter already folded into a conv or fc (its
  optimizer records ``FuseBatchNormIntoConv`` on the node) becomes ``bn: true`` again;
* BatchNormalization right after a conv or fc, and Relu / Clip(0, 6) / Clip(0, inf) /
  LeakyRelu right after a conv, fc or add, become ``bn: true`` / ``activation: relu |
  relu6 | leaky`` of that layer when the layer's output is read by nothing else;
* a Pad read only by convs and pools becomes part of their padding;
* Flatten / Reshape / Squeeze whose result only reaches a Gemm or MatMul (possibly through
  Dropout) disappear: an fc flattens its input anyway;
* an Add of a constant right after a conv or fc (MatMul + Add) becomes its ``bias``;
* Identity, Cast, Quantize/DequantizeLinear and constant computations (Constant, Shape,
  Gather, CastLike, Expand, ... on constants or shapes) vanish; a conv bias the graph
  computes as zeros from a Constant (the unoptimized dynamo export of ``bias=False``) is no
  bias.

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

The parts, in the order a run uses them: :mod:`.reading` (the optional ``onnx`` package,
the file, shapes and small constants), :mod:`.graph` (names, dependency order, the input,
who reads each tensor), :mod:`.context` (the run's state and the steps handlers share),
:mod:`.handlers` (the ``{op_type: handler}`` table) and :mod:`.ops` (one function per
operator, by family: layers with weights, pooling, element-wise, shaping),
:mod:`.folding` (the folding rules above, one function each), :mod:`.naming` (layer names
from node names) and :mod:`.convert` (the run itself, and the final checks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hwsim.config.input_size import parse_input_size
from hwsim.errors import InputError
from hwsim.importers.onnx.convert import OnnxImport, convert
from hwsim.importers.onnx.handlers import SUPPORTED_OPS
from hwsim.importers.onnx.reading import INSTALL_HINT, import_onnx_package, read_model
from hwsim.workload.network import Network


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
    onnx = import_onnx_package(file)
    model = read_model(onnx, path)
    size = None
    if input_size is not None:
        try:
            size = parse_input_size(input_size)
        except ValueError as exc:
            raise InputError(str(exc), file=file) from None
    return convert(onnx, model, file, size, skip_unsupported, name or path.stem)


__all__ = ["load_onnx_network", "import_onnx", "OnnxImport", "SUPPORTED_OPS", "INSTALL_HINT"]
