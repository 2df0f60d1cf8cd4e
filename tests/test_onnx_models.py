"""Models from current PyTorch: torchvision's ResNet-18/50, MobileNetV2, MobileNetV3-Large and
EfficientNet-B0, built as both exporters write them (``tests/onnx_graphs.py``), import to
their published parameter and MAC totals; dynamo exports read like module paths;
``--skip-unsupported`` refuses a drop that changes the shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

onnx = pytest.importorskip("onnx")
import onnx_graphs as G  # noqa: E402

from hwsim.cli.main import main  # noqa: E402
from hwsim.errors import InputError  # noqa: E402
from hwsim.importers.onnx import import_onnx  # noqa: E402
from hwsim.workload.layer import TensorShape  # noqa: E402

# Published totals. Parameters: torchvision's model documentation ("num_params" of each
# IMAGENET1K_V1 weights entry), the sum of model.parameters() at 1000 classes; that count
# includes BatchNorm's scale and shift, which hwsim reports apart (bn_params), so the test
# compares params + bn_params. MACs: the same pages' "GFLOPS" (2 decimals; torchvision
# counts one per multiply-accumulate of convs and linear layers, which is hwsim's MACs), and
# the papers: ResNet (He et al. 2016) 1.8 / 3.8 GFLOPs (v1; torchvision's v1.5 moves the
# stride to the 3x3, hence 4.09); MobileNetV2 (Sandler et al. 2018, Table 4) 300 M MAdds;
# MobileNetV3-Large (Howard et al. 2019; 217 M MACs in Keras' table of the released
# checkpoints); EfficientNet-B0 (Tan & Le 2019, Table 2) 0.39 B FLOPs.
PUBLISHED = {  # builder: (parameters, GMACs to 2 decimals)
    "resnet18": (lambda *args, **kw: G.resnet(18, *args, **kw), 11_689_512, 1.81),
    "resnet50": (lambda *args, **kw: G.resnet(50, *args, **kw), 25_557_032, 4.09),
    "mobilenet_v2": (G.mobilenet_v2, 3_504_872, 0.30),
    "mobilenet_v3_large": (G.mobilenet_v3_large, 5_483_032, 0.22),
    "efficientnet_b0": (G.efficientnet_b0, 5_288_548, 0.39),
}


def imported(tmp_path, name, style, weights="initializer"):
    build = PUBLISHED[name][0]
    return import_onnx(build(style, weights).save(tmp_path / f"{name}_{style}.onnx"))


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_torchvision_models_import_to_their_published_totals(tmp_path, name):
    _, params, gmacs = PUBLISHED[name]
    legacy = imported(tmp_path, name, "legacy").network
    assert legacy.params + legacy.bn_params == params
    assert abs(legacy.macs / 1e9 - gmacs) <= 0.005  # the published value's rounding
    # a dynamo export (default: weights in MODEL.onnx.data, which is not read) is the same
    # network, layer for layer and name for name
    dynamo = imported(tmp_path, name, "dynamo", weights="external").network
    assert [(l.name, l.type, l.out_shape, l.activation) for l in dynamo.layers] == \
        [(l.name, l.type, l.out_shape, l.activation) for l in legacy.layers]
    assert (dynamo.params, dynamo.macs) == (legacy.params, legacy.macs)
    # unoptimized (optimize=False): BatchNorm nodes, zero biases computed with CastLike and
    # Expand, ReLU6 bounds cast with CastLike: the same network again
    plain = import_onnx(PUBLISHED[name][0]("dynamo", "external", optimize=False).save(
        tmp_path / f"{name}_noopt.onnx")).network
    assert [(l.name, l.type, l.out_shape, l.activation, l.bias) for l in plain.layers] == \
        [(l.name, l.type, l.out_shape, l.activation, l.bias) for l in legacy.layers]


def test_resnet18_layers_read_like_the_module_path(tmp_path):
    net = imported(tmp_path, "resnet18", "dynamo", weights="external").network
    names = [l.name for l in net.layers]
    assert names[:6] == ["conv1", "maxpool", "layer1.0.conv1", "layer1.0.conv2", "layer1.0.add",
                         "layer1.1.conv1"]
    assert "layer2.0.downsample.0" in names and names[-2:] == ["avgpool", "fc"]
    down = net.layer("layer2.0.downsample.0")
    assert down.kernel == (1, 1) and down.stride == (2, 2) and down.bn  # kernel from weights
    pool = net.layer("avgpool")  # ReduceMean over [-1, -2], keepdims 1
    assert pool.type == "avgpool" and pool.is_global and pool.out_shape == TensorShape(512, 1, 1)
    assert pool.vector_ops == 512 * 7 * 7  # one per window element per output


def test_mobilenet_v3_squeeze_excitation_and_hardswish(tmp_path):
    net = imported(tmp_path, "mobilenet_v3_large", "legacy").network
    # features.4: 24 -> 72 expand, 5x5 stride-2 depthwise to 28 x 28, SE with 24 channels
    se = "features.4.block.2"
    assert net.layer(f"{se}.avgpool").out_shape == TensorShape(72, 1, 1)
    fc1, fc2 = net.layer(f"{se}.fc1"), net.layer(f"{se}.fc2")
    assert (fc1.out_channels, fc1.activation, fc1.params) == (24, "relu", 72 * 24 + 24)
    assert (fc2.out_channels, fc2.activation, fc2.params) == (72, "hardsigmoid", 24 * 72 + 72)
    scale = net.layer(f"{se}.mul")  # the SE module's own operation, beside its children
    assert scale.type == "mul" and scale.inputs == (f"{se}.fc2", "features.4.block.1.0")
    assert scale.in_shapes == (TensorShape(72, 1, 1), TensorShape(72, 28, 28))
    assert scale.vector_ops == 72 * 28 * 28
    stem = net.layer("features.0.0")
    assert stem.activation == "hardswish" and stem.vector_ops == 16 * 112 * 112 * (1 + 3)  # bn + hs
    head = net.layer("classifier.0")
    assert head.type == "fc" and head.activation == "hardswish" and head.in_channels == 960


def test_efficientnet_silu_is_a_swish_and_the_gate_a_sigmoid(tmp_path):
    net = imported(tmp_path, "efficientnet_b0", "dynamo", weights="external").network
    stem = net.layer("features.0.0")
    assert stem.activation == "swish"  # Sigmoid + Mul of the BN output: SiLU
    se = "features.2.0.block.2"  # 16 -> 96 expand, SE squeezes to 16 // 4 = 4
    assert net.layer(f"{se}.fc1").activation == "swish"
    assert net.layer(f"{se}.fc1").out_channels == 4
    assert net.layer(f"{se}.fc2").activation == "sigmoid"
    assert net.layer(f"{se}.mul").type == "mul"
    assert not any(l.type in ("relu", "sigmoid", "swish") for l in net.layers)  # all fused


def test_a_weightless_dynamo_export(tmp_path):
    """export_params=False drops every weight and small constant: PyTorch 2.14 still writes
    kernel_shape and every activation's shape, so the kernels come from the attributes and
    the channel counts from the outputs' shapes."""
    for weights in ("none", "value_info"):
        net = imported(tmp_path, "resnet18", "dynamo", weights=weights).network
        assert net.params + net.bn_params == 11_689_512
        assert net.layer("layer2.0.downsample.0").kernel == (1, 1)


def test_a_weightless_mobilenet_v2_keeps_its_relu6(tmp_path):
    """export_params=False also drops the shared ReLU6 bounds 'min_val_cast' and
    'max_val_cast' (as PyTorch 2.14 writes them): each Clip is still the conv's relu6, and
    the import says so."""
    weightless = imported(tmp_path, "mobilenet_v2", "dynamo", weights="none")
    legacy = imported(tmp_path, "mobilenet_v2", "legacy").network
    net = weightless.network
    assert [(l.name, l.type, l.activation) for l in net.layers] == \
        [(l.name, l.type, l.activation) for l in legacy.layers]
    assert net.layer("features.0.0").activation == "relu6"
    # 35 ReLU6: the stem, 2 per block with expansion (16 blocks), 1 in the first, the head
    (note,) = weightless.notes
    assert note.startswith("35 Clip node(s) whose bounds the file does not store")


def test_a_weightless_export_without_kernel_shape_says_which_export_keeps_it(tmp_path):
    """A Conv with neither kernel_shape nor a declared weight: a clear error naming the
    export that keeps the shapes."""
    model = G.resnet(18, "dynamo", "none").model()
    for node in (n for n in model.graph.node if n.op_type == "Conv"):
        kept = [a for a in node.attribute if a.name != "kernel_shape"]
        del node.attribute[:]
        node.attribute.extend(kept)
    path = tmp_path / "weightless.onnx"
    onnx.save(model, str(path))
    with pytest.raises(InputError) as info:
        import_onnx(path)
    text = str(info.value)
    assert f"{path}: node 'node_Conv_291' (Conv): the kernel size is unknown" in text
    assert "'conv1.weight' is neither stored nor declared" in text
    assert "dynamo=True, export_params=False" in text and "MODEL.onnx.data" in text


def resnet18_with_an_unsupported_pool(tmp_path):
    """ResNet-18 whose global pooling is an operator hwsim lacks (ReduceL2 for ReduceMean)."""
    model = G.resnet(18, "dynamo", "external").model()
    for node in model.graph.node:
        if node.op_type == "ReduceMean":
            node.op_type = "ReduceL2"
    path = tmp_path / "resnet18_l2.onnx"
    onnx.save(model, str(path))
    return path


def test_skip_unsupported_refuses_a_drop_that_changes_the_shapes(tmp_path, capsys):
    path = resnet18_with_an_unsupported_pool(tmp_path)
    # passing the 512 x 7 x 7 map on would give the fc 25,088 inputs (36.2 M parameters)
    assert main(["import", str(path), "--skip-unsupported"]) == 2
    err = capsys.readouterr().err
    assert "node 'node_mean' (ReduceL2): cannot be dropped (--skip-unsupported)" in err
    assert "[512, 7, 7]" in err and "[512, 1, 1]" in err and "Traceback" not in err


def test_skip_unsupported_refuses_when_only_later_shapes_disagree(tmp_path):
    """No shape recorded for the dropped node: the layers after it are checked instead."""
    model = onnx.load(str(resnet18_with_an_unsupported_pool(tmp_path)), load_external_data=False)
    pool = next(n for n in model.graph.node if n.op_type == "ReduceL2")
    kept = [v for v in model.graph.value_info if v.name != pool.output[0]]
    del model.graph.value_info[:]
    model.graph.value_info.extend(kept)
    pool.op_type = "NoSuchOp"  # no shape inference either
    path = tmp_path / "unknown.onnx"
    onnx.save(model, str(path))
    with pytest.raises(InputError) as info:
        import_onnx(path, skip_unsupported=True)
    text = str(info.value)
    assert "layer 'fc'" in text and "after dropping node 'node_mean' (NoSuchOp)" in text


def test_reduce_mean_over_channels_is_not_pooling(tmp_path):
    g = G.Graph(8, 4, 4, style="dynamo", weights="external")
    axes = g.const("axes", [1], G.np.int64)
    g.op("ReduceMean", "pool", "mean", ["data", axes], 1, keepdims=1)
    with pytest.raises(InputError) as info:
        import_onnx(g.save(tmp_path / "mean_c.onnx"))
    assert "node 'node_mean' (ReduceMean): ReduceMean over axes [1] is not supported" in \
        str(info.value)


def test_the_readme_import_example(tmp_path, capsys, monkeypatch):
    """The README's ``hwsim import resnet18.onnx`` summary and YAML lines, from a graph shaped
    like the dynamo exporter's (weights in an external file that is not there)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme[readme.index("## Importing from ONNX"):readme.index("## Describing")]
    monkeypatch.chdir(tmp_path)
    G.resnet(18, "dynamo", "external").save(tmp_path / "resnet18.onnx")
    assert main(["import", "resnet18.onnx", "-o", "networks/resnet18.yaml"]) == 0
    summary = capsys.readouterr().err.strip()
    assert f"# {summary}" in section
    written = (tmp_path / "networks" / "resnet18.yaml").read_text().splitlines()
    shown = [line for line in section.split("```yaml")[1].split("```")[0].splitlines()
             if line.strip() and line.strip() != "..."]
    assert all(line in written for line in shown), [l for l in shown if l not in written]


def test_module_path_from_the_namespace_metadata(tmp_path):
    """Exports that record only ``namespace`` (module: class pairs) are named from it too."""
    g = G.Graph(3, 8, 8, style="dynamo", weights="external")
    g.conv2d("stem.0", "data", 4, 3)
    node = g.nodes[-1]
    del node.metadata_props[:]
    entry = node.metadata_props.add()
    entry.key = "namespace"
    entry.value = (": Net/stem: torch.nn.modules.container.Sequential/stem.0: "
                   "torch.nn.modules.conv.Conv2d/conv2d: aten.conv2d.default")
    net = import_onnx(g.save(tmp_path / "ns.onnx")).network
    assert [l.name for l in net.layers] == ["stem.0"]
    assert net.layers[0].kernel == (3, 3) and net.layers[0].padding == (1, 1, 1, 1)


def test_a_batchnorm_the_dynamo_optimizer_folded_is_the_convs_bn_again(tmp_path):
    """PyTorch 2.14's default export of Conv2d(3, 64, 7, stride 2, padding 3, bias=False) +
    BatchNorm2d(64) + ReLU, node for node: the optimizer folds the BN into the Conv, which
    then carries the BN's name, module path and output, a bias '<weight>_bias' stored in the
    file, and the rule's name; the weight is external and declared in value_info."""
    g = G.Graph(3, 224, 224, style="dynamo", weights="external")
    x = g.batchnorm("bn1", g.conv2d("conv1", "data", 64, 7, stride=2))
    g.activation("relu", "relu", x)
    conv = g.nodes[0]
    assert (conv.name, list(conv.input), list(conv.output)) == (
        "node_Conv_291", ["data", "conv1.weight", "conv1.weight_bias"], ["getitem"])
    meta = {p.key: p.value for p in conv.metadata_props}
    assert meta["pkg.torch.onnx.name_scopes"] == \
        "['', 'bn1', '_native_batch_norm_legit_no_training']"
    assert meta["pkg.onnxscript.rewriter.rule_name"] == \
        "FuseBatchNormIntoConv, RemoveOptionalBiasFromConv"
    net = import_onnx(g.save(tmp_path / "stem.onnx")).network
    (layer,) = net.layers
    assert (layer.name, layer.bn, layer.bias, layer.activation) == ("conv1", True, False, "relu")
    assert layer.params == 64 * 3 * 7 * 7  # 9,408: the conv has no bias of its own
    assert layer.bn_params == 2 * 64  # the BN's scale and shift
    assert layer.out_shape == TensorShape(64, 112, 112)  # (224 + 2*3 - 7) // 2 + 1


def test_without_the_optimizer_the_batchnorm_is_a_node_of_its_own(tmp_path):
    """optimize=False, as PyTorch 2.14 writes it: the BN is a node, and the conv without bias
    gets Expand(CastLike(0, x), Expand(Shape(W)[0:1], [1])) as its bias: zeros computed from
    a Constant are no bias (CastLike's second input gives only a type)."""
    g = G.Graph(3, 224, 224, style="dynamo", weights="external", optimize=False)
    g.activation("relu", "relu", g.batchnorm("bn1", g.conv2d("conv1", "data", 64, 7, stride=2)))
    assert [n.op_type for n in g.nodes] == ["Shape", "Constant", "Expand", "Constant",
                                            "CastLike", "Expand", "Conv",
                                            "BatchNormalization", "Relu"]
    assert list(g.nodes[4].input) == ["val_3", "data"] and g.nodes[6].input[2] == "val_5"
    (layer,) = import_onnx(g.save(tmp_path / "stem.onnx")).network.layers
    assert (layer.name, layer.bn, layer.bias, layer.activation) == ("conv1", True, False, "relu")
    assert layer.params == 64 * 3 * 7 * 7


def test_a_stored_zero_bias_is_still_a_bias(tmp_path):
    """Only zeros the graph computes from a Constant drop a bias: a stored bias is the
    model's, whatever its values (a freshly initialised SqueezeNet's are all zero)."""
    g = G.Graph(3, 8, 8)
    g.conv("c", "data", 4, 3, pads=[1, 1, 1, 1])  # bias initializer of zeros
    (layer,) = import_onnx(g.save(tmp_path / "zero_bias.onnx")).network.layers
    assert layer.bias and layer.params == 4 * 3 * 3 * 3 + 4


@pytest.mark.parametrize("tensor, module", [
    ("layer1.0.conv1.weight", "layer1.0.conv1"), ("features.0.0.weight", "features.0.0"),
    ("fc.weight", "fc"), ("onnx::Conv_193", ""), ("W", ""), ("conv1.weight_bias", ""),
    ("conv1.bias", ""), ("trunk_output.block1.block1-0.proj.0.weight",
                         "trunk_output.block1.block1-0.proj.0")])
def test_the_module_path_in_a_parameter_name(tensor, module):
    from hwsim.importers.onnx.reading import parameter_module
    assert parameter_module(tensor) == module


def test_a_fused_regnet_projection_is_named_by_its_conv(tmp_path):
    """RegNet's module names hold '-' (``block1-0``): the fused conv + BN of its projection
    (PyTorch 2.14: node named as the BN ``...proj.1``, weight ``...proj.0.weight``) is
    named by the conv, as the legacy export names it."""
    g = G.Graph(32, 56, 56, style="dynamo", weights="external")
    p = "trunk_output.block1.block1-0.proj"
    g.batchnorm(f"{p}.1", g.conv2d(f"{p}.0", "data", 32, 1, stride=2))
    assert g.nodes[0].input[1] == f"{p}.0.weight"
    (layer,) = import_onnx(g.save(tmp_path / "proj.onnx")).network.layers
    assert (layer.name, layer.bn, layer.stride) == (f"{p}.0", True, (2, 2))


def test_densenet_concat_of_one_tensor_is_a_copy(tmp_path):
    """torchvision's DenseNet concatenates a one-tensor list before each block's first layer;
    the legacy exporter writes it as Concat with one input (the dynamo exporter drops it).
    It is no layer: the BN reads the pool."""
    g = G.Graph(3, 224, 224)
    x = g.activation("relu", "features.relu0", g.batchnorm("features.norm0", g.conv2d(
        "features.conv0", "data", 64, 7, stride=2, padding=3)))
    pool = g.op("MaxPool", "features.pool0", "max_pool2d", [x], 64, kernel_shape=[3, 3],
                strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=0)
    d = "features.denseblock1.denselayer1"
    y = g.op("Concat", d, "cat", [pool], 64, axis=1)
    assert g.nodes[-1].name == "/features/denseblock1/denselayer1/Concat" and \
        list(g.nodes[-1].input) == [pool]
    y = g.activation("relu", f"{d}.relu1", g.batchnorm(f"{d}.norm1", y))
    y = g.activation("relu", f"{d}.relu2", g.batchnorm(f"{d}.norm2", g.conv2d(
        f"{d}.conv1", y, 128, 1)))
    y = g.conv2d(f"{d}.conv2", y, 32, 3)
    g.op("Concat", "features.denseblock1.denselayer2", "cat", [pool, y], 96, axis=1)
    net = import_onnx(g.save(tmp_path / "dense.onnx")).network
    assert [(l.name, l.type) for l in net.layers] == [
        ("features.conv0", "conv"), ("features.pool0", "maxpool"), (f"{d}.norm1", "bn"),
        (f"{d}.relu1", "relu"), (f"{d}.conv1", "conv"), (f"{d}.conv2", "conv"),
        ("features.denseblock1.denselayer2", "concat")]
    assert net.layer(f"{d}.norm1").inputs == ("features.pool0",)
    assert net.layers[-1].out_shape == TensorShape(64 + 32, 56, 56)
