"""The table that picks a handler for each ONNX operator: the whole list of supported ones.

The handlers live by family in :mod:`hwsim.importers.onnx.ops`: layers with weights
(:mod:`~.ops.weighted`), pooling (:mod:`~.ops.pooling`), joins and activations
(:mod:`~.ops.elementwise`), and operations that reshape or pass their input on
(:mod:`~.ops.shaping`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hwsim.importers.onnx.context import Context
from hwsim.importers.onnx.ops import elementwise, pooling, shaping, weighted

Handler = Callable[[Context, Any], None]

# Operators that only pass their input on (no computation hwsim models).
ALIAS_OPS = frozenset({"Identity", "Cast", "QuantizeLinear", "DequantizeLinear"})

HANDLERS: dict[str, Handler] = {
    "Conv": weighted.conv,
    "Gemm": weighted.gemm,
    "MatMul": weighted.matmul,
    "MaxPool": pooling.max_pool,
    "AveragePool": pooling.average_pool,
    "GlobalAveragePool": pooling.global_average_pool,
    "GlobalMaxPool": pooling.global_max_pool,
    "ReduceMean": pooling.reduce_mean,
    "Concat": elementwise.concat,
    "Add": elementwise.add,
    "Sum": elementwise.add,
    "Mul": elementwise.mul,
    "Sigmoid": elementwise.sigmoid,
    "HardSigmoid": elementwise.hard_sigmoid,
    "HardSwish": elementwise.hard_swish,
    "Swish": elementwise.swish,
    "Relu": elementwise.relu,
    "LeakyRelu": elementwise.leaky_relu,
    "Clip": elementwise.clip,
    "BatchNormalization": elementwise.batch_normalization,
    "Dropout": shaping.dropout,
    "Flatten": shaping.flatten,
    "Reshape": shaping.flatten,
    "Squeeze": shaping.flatten,
    "Softmax": shaping.softmax,
    "LogSoftmax": shaping.softmax,
    "LRN": shaping.lrn,
    "Pad": shaping.pad,
    "Identity": shaping.alias,
    "Cast": shaping.alias,
    "QuantizeLinear": shaping.alias,
    "DequantizeLinear": shaping.alias,
}
SUPPORTED_OPS = frozenset(HANDLERS)
# Operators that become layers (or fold into one), as the "unsupported" message lists them.
LAYER_OPS = tuple(sorted(SUPPORTED_OPS - ALIAS_OPS))
