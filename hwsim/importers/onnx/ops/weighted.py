"""Layers with weights: Conv (output channels and kernel from the weight's shape), Gemm and
MatMul (fully connected layers), and a BatchNormalization the exporter already folded into
one (the dynamo exporter's optimizer records it on the node)."""

from __future__ import annotations

from typing import Any

from hwsim.importers.onnx import folding, reading
from hwsim.importers.onnx.context import Context, LayerDraft, pair
from hwsim.workload import layer as L

# The onnxscript optimizer's rules (run by torch.onnx.export(dynamo=True) by default) that
# fold an inference BatchNormalization into the Conv or Gemm before it.
BN_FUSIONS = frozenset({"FuseBatchNormIntoConv", "FuseBatchNormIntoGemm"})

def conv(ctx: Context, node: Any) -> None:
    """Conv: output channels and kernel from the weight's shape, else from kernel_shape and
    the output's shape."""
    data = ctx.data_inputs(node)
    if len(data) != 1:
        ctx.problem(node, "expected one activation input (X) and constant weights")
        return
    x = data[0]
    w_shape = ctx.shape(node.input[1]) if len(node.input) > 1 else None
    kernel = ctx.attr(node, "kernel_shape")
    if kernel is None and w_shape is not None and None not in w_shape[2:]:
        kernel = w_shape[2:]
    if kernel is None:
        ctx.problem(node, "the kernel size is unknown: no kernel_shape attribute and no "
                          "weight shape" + _weightless_hint(ctx, node))
        return
    if len(kernel) != 2:
        ctx.problem(node, f"a {len(kernel)}-D convolution; only 2-D convolutions are "
                          "supported")
        return
    out_channels = _conv_out_channels(ctx, node, w_shape)
    if out_channels is None:
        ctx.problem(node, "the number of output channels is unknown: neither the weight "
                          f"'{node.input[1] if len(node.input) > 1 else ''}' nor the "
                          "output has a known shape")
        return
    padding = folding.padding(ctx, node, x)
    src = ctx.source(node, x, allow_pad=True)
    if padding is None or src is None:
        return
    attrs: dict[str, Any] = {
        "out_channels": int(out_channels), "kernel": pair(kernel),
        "stride": pair(tuple(ctx.attr(node, "strides", [1, 1]))), "padding": padding,
        "dilation": pair(tuple(ctx.attr(node, "dilations", [1, 1]))),
        "groups": int(ctx.attr(node, "group", 1)),
        "bias": len(node.input) > 2 and bool(node.input[2]) and not ctx.zero(node.input[2])}
    layer = ctx.add_layer(node, L.CONV, [src], attrs)
    _weights_made(layer, node)
    layer.same_lower = ctx.attr(node, "auto_pad", "") == "SAME_LOWER"
    if w_shape and len(w_shape) == 4 and w_shape[1]:
        layer.conv_in_per_group = int(w_shape[1])


def _weightless_hint(ctx: Context, node: Any) -> str:
    """Why a weight has no shape, when it is declared nowhere (a dynamo export without
    weights), and the export that keeps the shapes."""
    weight = node.input[1] if len(node.input) > 1 else ""
    if not weight or weight not in ctx.graph.undeclared:
        return ""
    return (f" (the weight '{weight}' is neither stored nor declared: the model was exported "
            "without its weights, as torch.onnx.export(..., dynamo=True, export_params=False) "
            "does; export it with them, the default, which writes them to a separate "
            "MODEL.onnx.data file that hwsim never reads)")


def _conv_out_channels(ctx: Context, node: Any, w_shape: Any) -> int | None:
    if w_shape and w_shape[0]:
        return int(w_shape[0])
    y = ctx.shape(node.output[0])
    return y[1] if y and len(y) == 4 else None


def gemm(ctx: Context, node: Any) -> None:
    if ctx.attr(node, "transA", 0):
        ctx.unsupported_node(node, "Gemm with transA=1 is not supported")
        return
    b_shape = ctx.shape(node.input[1]) if len(node.input) > 1 else None
    trans_b = bool(ctx.attr(node, "transB", 0))
    out_features = in_features = None
    if b_shape and len(b_shape) == 2:
        in_features, out_features = (b_shape[1], b_shape[0]) if trans_b else tuple(b_shape)
    bias = len(node.input) > 2 and bool(node.input[2]) and not ctx.zero(node.input[2])
    _fc(ctx, node, out_features, in_features, bias)


def matmul(ctx: Context, node: Any) -> None:
    if len(node.input) < 2 or node.input[1] not in ctx.meta:
        ctx.unsupported_node(node, "MatMul of two activations (not a fully connected "
                                   "layer) is not supported")
        return
    b_shape = ctx.shape(node.input[1])
    out_features = in_features = None
    if b_shape and len(b_shape) == 2:
        in_features, out_features = b_shape
    _fc(ctx, node, out_features, in_features, False)


def _fc(ctx: Context, node: Any, out_features: int | None, in_features: int | None,
        bias: bool) -> None:
    if out_features is None:
        y = ctx.shape(node.output[0])
        out_features = y[-1] if y else None
    if not out_features:
        ctx.problem(node, "the number of output features is unknown: neither the weight "
                          "nor the output has a known shape")
        return
    layer = ctx.simple(node, L.FC, {"out_channels": int(out_features), "bias": bias})
    if layer is not None:
        layer.fc_in_features = in_features
        _weights_made(layer, node)


def _weights_made(layer: LayerDraft, node: Any) -> None:
    """What the exporter's naming and rewrites tell about a conv's or fc's weights.

    The weight's name is the module path (``layer1.0.conv1.weight``) where PyTorch named
    it: the layer is named from it, as the node's own path may be another module's (a
    folded BatchNormalization leaves the fused node the BN's path, ``layer1.0.bn1``). A
    BatchNormalization the optimizer folded into the node (:data:`BN_FUSIONS`) is the
    layer's ``bn: true`` again, as in the module and the legacy exporter's
    ``do_constant_folding=False`` export; the bias input is then the BN's shift (a bias of
    the conv itself, rare before a BN, cannot be told apart from it and is not counted)."""
    layer.module = reading.parameter_module(node.input[1]) if len(node.input) > 1 else ""
    if reading.rewrite_rules(node) & BN_FUSIONS:
        layer.attrs["bn"] = True
        layer.attrs["bias"] = False


