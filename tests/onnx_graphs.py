"""ONNX graphs built with onnx.helper for the importer's tests: a small builder, and the
torchvision architectures (ResNet-18/50, MobileNetV2, MobileNetV3-Large, EfficientNet-B0)
written as PyTorch's two exporters write them.

``Graph(style="legacy")`` names nodes as ``torch.onnx.export(dynamo=False,
do_constant_folding=False)`` does (``/layer1/layer1.0/conv1/Conv``) and writes
``GlobalAveragePool`` and ``Flatten``; ``style="dynamo"`` as ``torch.onnx.export(dynamo=True)``
of PyTorch 2.14 does (read off real exports of torchvision 0.29's models,
``tools/check_torch_export.py``): opset 20, nodes named ``node_conv2d_3`` whose tensors
carry the FX names (``conv2d_3``) and that record their module path in
``pkg.torch.onnx.name_scopes``, parameters named by their module path
(``layer1.0.conv1.weight``, external, and declared in ``value_info``), global average
pooling as ``ReduceMean`` over axes [-1, -2], flatten as ``Reshape``, every activation's
shape in ``value_info``, and the optimizer's rewrites: a BatchNormalization folded into the
Conv before it (node ``node_Conv_N`` named and placed as the BN: its module path, its
output ``getitem_K``, a bias ``<weight>_bias`` stored in the file, and
``pkg.onnxscript.rewriter.rule_name`` saying so). ``optimize=False`` keeps the
BatchNormalization nodes.

The architectures follow torchvision's model definitions (module names included), so their
counts can be checked against the parameter totals torchvision publishes.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Graph:
    """A tiny ONNX graph builder that tracks channels so it can write weight shapes.

    ``weights``: 'initializer' (zero-filled arrays), 'input' (graph inputs with a shape and
    no data, like ``torch.onnx.export(export_params=False)``), 'external' (initializers
    whose data sits in a file that does not exist: a dynamo export's default writes the
    weights to MODEL.onnx.data), 'none' (declared nowhere: a dynamo export with
    ``export_params=False``) or 'value_info' (declared only in value_info; dynamo style).
    """

    def __init__(self, channels, height, width, *, weights="initializer", opset=None,
                 input_dims=None, style="legacy", optimize=True):
        self.weights = weights
        self.style = style
        self.optimize = optimize and style == "dynamo"
        self.opset = opset or (20 if style == "dynamo" else 13)
        self.nodes, self.inits, self.value_info = [], [], []
        dims = input_dims if input_dims is not None else [1, channels, height, width]
        self.inputs = [helper.make_tensor_value_info("data", TensorProto.FLOAT, dims)]
        self.channels = {"data": channels}
        self._fx_counts: dict[str, int] = {}

    # weights and constants
    def weight(self, name, dims):
        if self.weights == "initializer":
            self.inits.append(numpy_helper.from_array(np.zeros(dims, np.float32), name))
        elif self.weights == "input":
            self.inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, dims))
        else:  # external, and the dims for shape inference before 'none' drops them
            tensor = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=dims,
                                 data_location=TensorProto.EXTERNAL)
            entry = tensor.external_data.add()
            entry.key, entry.value = "location", "weights_that_are_not_here.bin"
            self.inits.append(tensor)
        return name

    def const(self, name, values, dtype=np.float32):
        self.inits.append(numpy_helper.from_array(np.array(values, dtype), name))
        return name

    def node(self, op, name, inputs, channels, out=None, **attrs):
        out = out or f"{name}:out"
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        self.channels[out] = channels
        return out

    # nodes named from a module path, as each exporter names them
    def op(self, op, path, fx, inputs, channels, **attrs):
        """A node of module ``path`` ('layer1.0.conv1'; '' for the top level) computing the
        FX operation ``fx`` ('conv2d')."""
        if self.style == "legacy":
            name = "/" + "/".join(_legacy_scopes(path) + [op])
            name = self._unique(name)
            return self.node(op, name, inputs, channels, **attrs)
        fx_name = self._fx_name(fx)
        out = self.node(op, f"node_{fx_name}", inputs, channels, out=fx_name, **attrs)
        _set_scopes(self.nodes[-1], path, fx_name)
        return out

    def _fx_name(self, fx, step=1):
        """The FX node's name: ``conv2d``, ``conv2d_1``, ... (``step`` names a node's
        outputs taken: batch norm's three make ``getitem``, ``getitem_3``, ...)."""
        count = self._fx_counts.get(fx, 0)
        self._fx_counts[fx] = count + step
        return fx if count == 0 else f"{fx}_{count}"

    def _unique(self, name):
        taken = {n.name for n in self.nodes}
        if name not in taken:
            return name
        k = 1
        while f"{name}_{k}" in taken:
            k += 1
        return f"{name}_{k}"

    # layers
    def conv(self, name, x, out, k, *, stride=1, pads=None, group=1, bias=True, dilation=1,
             auto_pad=None):
        kh, kw = (k, k) if isinstance(k, int) else k
        inputs = [x, self.weight(f"{name}.weight", [out, self.channels[x] // group, kh, kw])]
        if bias:
            inputs.append(self.weight(f"{name}.bias", [out]))
        attrs = dict(kernel_shape=[kh, kw], strides=[stride, stride], group=group,
                     dilations=[dilation, dilation])
        if auto_pad:
            attrs["auto_pad"] = auto_pad
        else:
            attrs["pads"] = pads if pads is not None else [0, 0, 0, 0]
        return self.node("Conv", name, inputs, out, **attrs)

    def bn(self, name, x):
        c = self.channels[x]
        params = [self.weight(f"{name}.{p}", [c]) for p in ("scale", "shift", "mean", "var")]
        return self.node("BatchNormalization", name, [x] + params, c)

    def _zero_bias(self, path, x, weight):
        """The unoptimized dynamo export's bias of a conv without one: zeros cast to the
        input's type and broadcast to the weight's first dimension."""
        def val(op, inputs, **attrs):
            out = f"val_{len(self.nodes)}"
            self.node(op, f"node_{op}_{len(self.nodes)}", inputs, 0, out=out, **attrs)
            _set_scopes(self.nodes[-1], path, "conv2d")
            return out
        rows = val("Shape", [weight], start=0, end=1)
        rows = val("Expand", [rows, val("Constant", [], value_ints=[1])])
        zero = val("Constant", [], value=numpy_helper.from_array(np.array(0.0, np.float32)))
        return val("Expand", [val("CastLike", [zero, x]), rows])

    def _fuse_batchnorm(self, path, conv):
        """The optimizer's FuseBatchNormIntoConv: the Conv becomes the BN's node (its name,
        module path and output) with a bias ``<weight>_bias`` stored in the file."""
        c = self.channels[conv.output[0]]
        bias = f"{conv.input[1]}_bias"
        self.inits.append(numpy_helper.from_array(np.full([c], 0.1, np.float32), bias))
        del conv.input[2:]
        conv.input.append(bias)
        fx_name = self._fx_name("getitem", step=3)
        conv.name, conv.output[0] = f"node_Conv_{len(self.nodes) + 290}", fx_name
        self.channels[fx_name] = c
        bn_fx = self._fx_name("_native_batch_norm_legit_no_training")
        del conv.metadata_props[:]
        _set_scopes(conv, path, bn_fx)
        entry = conv.metadata_props.add()
        entry.key = "pkg.onnxscript.rewriter.rule_name"
        entry.value = "FuseBatchNormIntoConv, RemoveOptionalBiasFromConv"
        return fx_name

    def relu(self, name, x):
        return self.node("Relu", name, [x], self.channels[x])

    def clip(self, name, x, low, high):
        lo = self.const(f"{name}.min", low)
        hi = self.const(f"{name}.max", high)
        return self.node("Clip", name, [x, lo, hi], self.channels[x])

    def maxpool(self, name, x, k, stride, *, ceil_mode=1, pads=None):
        return self.node("MaxPool", name, [x], self.channels[x], kernel_shape=[k, k],
                         strides=[stride, stride], ceil_mode=ceil_mode,
                         pads=pads or [0, 0, 0, 0])

    def gap(self, name, x):
        return self.node("GlobalAveragePool", name, [x], self.channels[x])

    def concat(self, name, xs):
        return self.node("Concat", name, xs, sum(self.channels[x] for x in xs), axis=1)

    def add(self, name, a, b):
        return self.node("Add", name, [a, b], self.channels[a])

    def flatten(self, name, x):
        return self.node("Flatten", name, [x], self.channels[x], axis=1)

    def gemm(self, name, x, in_features, out_features, *, bias=True):
        inputs = [x, self.weight(f"{name}.weight", [out_features, in_features])]
        if bias:
            inputs.append(self.weight(f"{name}.bias", [out_features]))
        return self.node("Gemm", name, inputs, out_features, transB=1)

    def fire(self, name, x, squeeze, expand1x1, expand3x3):
        s = self.relu(f"/{name}/squeeze1x1_relu/Relu",
                      self.conv(f"/{name}/squeeze1x1/Conv", x, squeeze, 1))
        e1 = self.relu(f"/{name}/expand1x1_relu/Relu",
                       self.conv(f"/{name}/expand1x1/Conv", s, expand1x1, 1))
        e3 = self.relu(f"/{name}/expand3x3_relu/Relu",
                       self.conv(f"/{name}/expand3x3/Conv", s, expand3x3, 3, pads=[1, 1, 1, 1]))
        return self.concat(f"/{name}/Concat", [e1, e3])

    # PyTorch modules, by module path, in the exporter's style
    def conv2d(self, path, x, out, k, *, stride=1, padding=None, groups=1, bias=False):
        pad = (k - 1) // 2 if padding is None else padding
        inputs = [x, self.weight(f"{path}.weight", [out, self.channels[x] // groups, k, k])]
        if bias:
            inputs.append(self.weight(f"{path}.bias", [out]))
        elif self.style == "dynamo" and not self.optimize:
            inputs.append(self._zero_bias(path, x, inputs[1]))
        attrs = dict(strides=[stride, stride], pads=[pad] * 4, group=groups,
                     dilations=[1, 1], kernel_shape=[k, k])
        if self.style == "dynamo":
            attrs["auto_pad"] = "NOTSET"
        return self.op("Conv", path, "conv2d", inputs, out, **attrs)

    def batchnorm(self, path, x):
        c = self.channels[x]
        conv = self.nodes[-1]
        if self.optimize and conv.op_type == "Conv" and conv.output[0] == x:
            return self._fuse_batchnorm(path, conv)
        params = [self.weight(f"{path}.{p}", [c])
                  for p in ("weight", "bias", "running_mean", "running_var")]
        return self.op("BatchNormalization", path, "batch_norm", [x] + params, c,
                       epsilon=1e-5)

    def activation(self, kind, path, x):
        """``kind``: relu, relu6, hardswish, hardsigmoid, sigmoid, silu (Sigmoid + Mul)."""
        c = self.channels[x]
        if kind == "relu":
            return self.op("Relu", path, "relu", [x], c)
        if kind == "relu6" and self.style == "dynamo" and not self.optimize:
            bounds = []  # Constant value_float, cast to x's type
            for value in (0.0, 6.0):
                k = len(self.nodes)
                self.node("Constant", f"n{k}", [], 0, out=f"bound_{k}", value_float=value)
                bounds.append(self.node("CastLike", f"n{k + 1}", [f"bound_{k}", x], 0,
                                        out=f"bound_{k}_cast"))
            return self.op("Clip", path, "hardtanh", [x] + bounds, c)
        if kind == "relu6" and self.style == "dynamo":  # one pair of scalars for all
            if not any(t.name == "min_val_cast" for t in self.inits):
                self.const("min_val_cast", 0.0)
                self.const("max_val_cast", 6.0)
            return self.op("Clip", path, "hardtanh", [x, "min_val_cast", "max_val_cast"], c)
        if kind == "relu6":
            lo = self.const(f"{path}.clip_min.{len(self.nodes)}", 0.0)
            hi = self.const(f"{path}.clip_max.{len(self.nodes)}", 6.0)
            return self.op("Clip", path, "hardtanh", [x, lo, hi], c)
        if kind == "hardswish":
            return self.op("HardSwish", path, "hardswish", [x], c)
        if kind == "hardsigmoid":
            return self.op("HardSigmoid", path, "hardsigmoid", [x], c, alpha=1 / 6, beta=0.5)
        if kind == "sigmoid":
            return self.op("Sigmoid", path, "sigmoid", [x], c)
        assert kind == "silu", kind
        gate = self.op("Sigmoid", path, "silu", [x], c)
        return self.op("Mul", path, "silu", [x, gate], c)

    def avgpool(self, path, x):
        """AdaptiveAvgPool2d(1): GlobalAveragePool (legacy) or ReduceMean (dynamo)."""
        if self.style == "legacy":
            return self.op("GlobalAveragePool", path, "adaptive_avg_pool2d", [x],
                           self.channels[x])
        axes = self.const(f"val_axes_{len(self.nodes)}", [-1, -2], np.int64)
        return self.op("ReduceMean", path, "mean", [x, axes], self.channels[x], keepdims=1)

    def flat(self, path, x):
        if self.style == "legacy":
            return self.op("Flatten", path, "flatten", [x], self.channels[x], axis=1)
        shape = self.const(f"val_shape_{len(self.nodes)}", [1, -1], np.int64)
        return self.op("Reshape", path, "view", [x, shape], self.channels[x])

    def linear(self, path, x, in_features, out_features):
        inputs = [x, self.weight(f"{path}.weight", [out_features, in_features]),
                  self.weight(f"{path}.bias", [out_features])]
        return self.op("Gemm", path, "linear", inputs, out_features, transB=1)

    def sum2(self, path, a, b):
        return self.op("Add", path, "add", [a, b], self.channels[a])

    def product(self, path, a, b):
        return self.op("Mul", path, "mul", [a, b], self.channels[a])

    def conv_bn_act(self, path, x, out, k, *, stride=1, groups=1, act="relu"):
        """torchvision's Conv2dNormActivation: path.0 conv, path.1 bn, path.2 activation."""
        x = self.batchnorm(f"{path}.1", self.conv2d(f"{path}.0", x, out, k, stride=stride,
                                                    groups=groups))
        return self.activation(act, f"{path}.2", x) if act else x

    # the model
    def model(self, outputs=()):
        outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None)
                for o in (outputs or [self.nodes[-1].output[0]])]
        graph = helper.make_graph(self.nodes, "test", self.inputs, outs, self.inits,
                                  value_info=self.value_info)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                                  producer_name="hwsim-tests")
        if self.style == "dynamo":  # the exporter writes every activation's shape
            model = _with_activation_shapes(model, self.weights)
        return model

    def save(self, path, **kwargs):
        onnx.save(self.model(**kwargs), str(path))
        return path


def _set_scopes(node, path, fx_name):
    """Record module ``path`` ('layer1.0.conv1') as the dynamo exporter does."""
    parts = path.split(".") if path else []
    scopes = [""] + [".".join(parts[:i + 1]) for i in range(len(parts))] + [fx_name]
    entry = node.metadata_props.add()
    entry.key, entry.value = "pkg.torch.onnx.name_scopes", repr(scopes)


def _legacy_scopes(path):
    """'features.1.conv.0.0' -> the legacy exporter's scopes: features, features.1, conv,
    conv.0, conv.0.0 (a Sequential's child is named by its parent's name and index)."""
    scopes: list[str] = []
    for part in path.split(".") if path else []:
        scopes.append(f"{scopes[-1]}.{part}" if part.isdigit() and scopes else part)
    return scopes


def _with_activation_shapes(model, weights):
    """The model with every node output's inferred shape in value_info. Weights 'none': the
    initializers (weights and constants alike, as ``export_params=False`` clears them) then
    left out entirely; 'value_info': left out but declared in value_info with their shape."""
    inferred = onnx.shape_inference.infer_shapes(model)
    outputs = {o for n in model.graph.node for o in n.output}
    model.graph.value_info.extend(v for v in inferred.graph.value_info if v.name in outputs)
    del model.graph.output[:]  # with their shapes, as the exporter writes them
    model.graph.output.extend(inferred.graph.output)
    if weights == "external":  # the exporter declares the external weights too
        model.graph.value_info.extend(
            helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
            for t in model.graph.initializer if t.data_location == TensorProto.EXTERNAL)
    if weights in ("none", "value_info"):
        if weights == "value_info":
            model.graph.value_info.extend(
                helper.make_tensor_value_info(t.name, t.data_type, list(t.dims))
                for t in model.graph.initializer)
        del model.graph.initializer[:]
    return model


# --- torchvision's architectures ---------------------------------------------------------------

def resnet(depth, style="legacy", weights="initializer", optimize=True):
    """torchvision ``resnet18`` / ``resnet50`` (v1.5: a Bottleneck's stride on its 3x3)."""
    blocks = {18: (2, 2, 2, 2), 50: (3, 4, 6, 3)}[depth]
    bottleneck = depth >= 50
    g = Graph(3, 224, 224, style=style, weights=weights, optimize=optimize)
    x = g.activation("relu", "relu", g.batchnorm("bn1", g.conv2d("conv1", "data", 64, 7,
                                                                  stride=2)))
    x = g.op("MaxPool", "maxpool", "max_pool2d", [x], 64, kernel_shape=[3, 3], strides=[2, 2],
             pads=[1, 1, 1, 1], ceil_mode=0)
    channels = 64
    for stage, (count, width) in enumerate(zip(blocks, (64, 128, 256, 512)), start=1):
        for b in range(count):
            p = f"layer{stage}.{b}"
            stride = 2 if stage > 1 and b == 0 else 1
            out = width * (4 if bottleneck else 1)
            if bottleneck:
                y = g.activation("relu", f"{p}.relu", g.batchnorm(f"{p}.bn1", g.conv2d(
                    f"{p}.conv1", x, width, 1)))
                y = g.activation("relu", f"{p}.relu", g.batchnorm(f"{p}.bn2", g.conv2d(
                    f"{p}.conv2", y, width, 3, stride=stride)))
                y = g.batchnorm(f"{p}.bn3", g.conv2d(f"{p}.conv3", y, out, 1))
            else:
                y = g.activation("relu", f"{p}.relu", g.batchnorm(f"{p}.bn1", g.conv2d(
                    f"{p}.conv1", x, width, 3, stride=stride)))
                y = g.batchnorm(f"{p}.bn2", g.conv2d(f"{p}.conv2", y, width, 3))
            short = x
            if stride != 1 or channels != out:
                short = g.batchnorm(f"{p}.downsample.1", g.conv2d(
                    f"{p}.downsample.0", x, out, 1, stride=stride))
            x = g.activation("relu", f"{p}.relu", g.sum2(p, y, short))
            channels = out
    x = g.flat("", g.avgpool("avgpool", x))
    g.linear("fc", x, channels, 1000)
    return g


def _make_divisible(value, divisor=8):
    """torchvision's rounding of channel counts (also MobileNet's and EfficientNet's)."""
    new = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * value else new


def _squeeze_excitation(g, path, x, squeeze, inner, gate):
    """torchvision's SqueezeExcitation: avgpool, fc1 (1x1 conv), inner activation, fc2,
    gate activation, input * gate."""
    c = g.channels[x]
    s = g.avgpool(f"{path}.avgpool", x)
    s = g.activation(inner, f"{path}.activation", g.conv2d(f"{path}.fc1", s, squeeze, 1,
                                                          bias=True))
    s = g.activation(gate, f"{path}.scale_activation", g.conv2d(f"{path}.fc2", s, c, 1,
                                                               bias=True))
    return g.product(path, s, x)


def mobilenet_v2(style="legacy", weights="initializer", optimize=True):
    """torchvision ``mobilenet_v2`` (width 1.0, 224 x 224)."""
    g = Graph(3, 224, 224, style=style, weights=weights, optimize=optimize)
    x = g.conv_bn_act("features.0", "data", 32, 3, stride=2, act="relu6")
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1)]
    index, channels = 1, 32
    for t, c, n, s in settings:
        for i in range(n):
            p, stride, hidden = f"features.{index}.conv", s if i == 0 else 1, channels * t
            y, j = x, 0
            if t != 1:
                y = g.conv_bn_act(f"{p}.0", y, hidden, 1, act="relu6")
                j = 1
            y = g.conv_bn_act(f"{p}.{j}", y, hidden, 3, stride=stride, groups=hidden,
                              act="relu6")
            y = g.batchnorm(f"{p}.{j + 2}", g.conv2d(f"{p}.{j + 1}", y, c, 1))
            x = g.sum2(f"features.{index}", x, y) if stride == 1 and channels == c else y
            index, channels = index + 1, c
    x = g.conv_bn_act("features.18", x, 1280, 1, act="relu6")
    x = g.flat("", g.avgpool("", x))
    g.linear("classifier.1", x, 1280, 1000)
    return g


def mobilenet_v3_large(style="legacy", weights="initializer", optimize=True):
    """torchvision ``mobilenet_v3_large`` (width 1.0, 224 x 224)."""
    g = Graph(3, 224, 224, style=style, weights=weights, optimize=optimize)
    x = g.conv_bn_act("features.0", "data", 16, 3, stride=2, act="hardswish")
    config = [  # in, kernel, expanded, out, SE, activation, stride
        (16, 3, 16, 16, False, "relu", 1), (16, 3, 64, 24, False, "relu", 2),
        (24, 3, 72, 24, False, "relu", 1), (24, 5, 72, 40, True, "relu", 2),
        (40, 5, 120, 40, True, "relu", 1), (40, 5, 120, 40, True, "relu", 1),
        (40, 3, 240, 80, False, "hardswish", 2), (80, 3, 200, 80, False, "hardswish", 1),
        (80, 3, 184, 80, False, "hardswish", 1), (80, 3, 184, 80, False, "hardswish", 1),
        (80, 3, 480, 112, True, "hardswish", 1), (112, 3, 672, 112, True, "hardswish", 1),
        (112, 5, 672, 160, True, "hardswish", 2), (160, 5, 960, 160, True, "hardswish", 1),
        (160, 5, 960, 160, True, "hardswish", 1)]
    for index, (cin, k, exp, cout, se, act, stride) in enumerate(config, start=1):
        p, y, j = f"features.{index}.block", x, 0
        if exp != cin:
            y = g.conv_bn_act(f"{p}.0", y, exp, 1, act=act)
            j = 1
        y = g.conv_bn_act(f"{p}.{j}", y, exp, k, stride=stride, groups=exp, act=act)
        if se:
            j += 1
            y = _squeeze_excitation(g, f"{p}.{j}", y, _make_divisible(exp // 4), "relu",
                                    "hardsigmoid")
        y = g.conv_bn_act(f"{p}.{j + 1}", y, cout, 1, act=None)
        x = g.sum2(f"features.{index}", y, x) if stride == 1 and cin == cout else y
    x = g.conv_bn_act("features.16", x, 960, 1, act="hardswish")
    x = g.flat("", g.avgpool("avgpool", x))
    x = g.activation("hardswish", "classifier.1", g.linear("classifier.0", x, 960, 1280))
    g.linear("classifier.3", x, 1280, 1000)
    return g


def efficientnet_b0(style="legacy", weights="initializer", optimize=True):
    """torchvision ``efficientnet_b0`` (224 x 224; stochastic depth is the identity at
    inference)."""
    g = Graph(3, 224, 224, style=style, weights=weights, optimize=optimize)
    x = g.conv_bn_act("features.0", "data", 32, 3, stride=2, act="silu")
    stages = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2),
              (6, 3, 2, 40, 80, 3), (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4),
              (6, 3, 1, 192, 320, 1)]  # expand ratio, kernel, stride, in, out, layers
    for stage, (ratio, k, s, cin, cout, n) in enumerate(stages, start=1):
        for i in range(n):
            inp, stride = (cin, s) if i == 0 else (cout, 1)
            p, exp, y, j = f"features.{stage}.{i}.block", inp * ratio, x, 0
            if exp != inp:
                y = g.conv_bn_act(f"{p}.0", y, exp, 1, act="silu")
                j = 1
            y = g.conv_bn_act(f"{p}.{j}", y, exp, k, stride=stride, groups=exp, act="silu")
            y = _squeeze_excitation(g, f"{p}.{j + 1}", y, max(1, inp // 4), "silu", "sigmoid")
            y = g.conv_bn_act(f"{p}.{j + 2}", y, cout, 1, act=None)
            x = g.sum2(f"features.{stage}.{i}", y, x) if stride == 1 and inp == cout else y
    x = g.conv_bn_act("features.8", x, 1280, 1, act="silu")
    x = g.flat("", g.avgpool("avgpool", x))
    g.linear("classifier.1", x, 1280, 1000)
    return g
