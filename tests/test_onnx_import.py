"""ONNX import: small graphs built with onnx.helper here, checked against hand calculations,
the hand-written SqueezeNet v1.0 file and the YAML round trip."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
import yaml  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402
from onnx_graphs import Graph  # noqa: E402

from hwsim.cli.main import main  # noqa: E402
from hwsim.config.network_file import parse_network  # noqa: E402
from hwsim.errors import InputError  # noqa: E402
from hwsim.importers.onnx import import_onnx, load_onnx_network  # noqa: E402
from hwsim.importers.onnx.naming import base_name as _base_name  # noqa: E402
from hwsim.importers.yaml_writer import network_yaml  # noqa: E402
from hwsim.inputs import load_network  # noqa: E402
from hwsim.workload.layer import TensorShape  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def squeezenet_v1_0(weights="input"):
    """SqueezeNet v1.0 as in the authors' deploy prototxt (conv10 unpadded, ceil pooling)."""
    g = Graph(3, 227, 227, weights=weights)
    x = g.relu("/conv1_relu/Relu", g.conv("/conv1/Conv", "data", 96, 7, stride=2))
    x = g.maxpool("/pool1/MaxPool", x, 3, 2)
    for name, cfg in (("fire2", (16, 64, 64)), ("fire3", (16, 64, 64)), ("fire4", (32, 128, 128))):
        x = g.fire(name, x, *cfg)
    x = g.maxpool("/pool4/MaxPool", x, 3, 2)
    for name, cfg in (("fire5", (32, 128, 128)), ("fire6", (48, 192, 192)),
                      ("fire7", (48, 192, 192)), ("fire8", (64, 256, 256))):
        x = g.fire(name, x, *cfg)
    x = g.maxpool("/pool8/MaxPool", x, 3, 2)
    x = g.fire("fire9", x, 64, 256, 256)
    x = g.node("Dropout", "/drop9/Dropout", [x], 512)
    x = g.relu("/conv10_relu/Relu", g.conv("/conv10/Conv", x, 1000, 1))
    x = g.gap("/pool10/GlobalAveragePool", x)
    g.node("Softmax", "/prob/Softmax", [x], 1000, axis=1)
    return g


def by_name(network):
    return {layer.name: layer for layer in network.layers}


def round_trip(result):
    """Import result -> YAML text -> loaded network."""
    text = network_yaml(result.specs, result.network.input_shape, name=result.network.name)
    return parse_network(yaml.safe_load(text), "<round trip>"), text


# --- the four building blocks the issue names ------------------------------------------------

def test_fire_module_layers_shapes_params_macs(tmp_path):
    g = Graph(96, 55, 55)
    g.fire("fire2", "data", 16, 64, 64)
    net = load_onnx_network(g.save(tmp_path / "fire.onnx"))
    assert [l.name for l in net.layers] == ["fire2.squeeze1x1", "fire2.expand1x1",
                                             "fire2.expand3x3", "fire2.concat"]
    s, e1, e3, cat = net.layers
    assert s.out_shape == TensorShape(16, 55, 55)
    assert s.params == 96 * 16 + 16 and s.macs == 16 * 55 * 55 * 96
    assert e1.params == 16 * 64 + 64 and e1.macs == 64 * 55 * 55 * 16
    assert e3.params == 16 * 64 * 3 * 3 + 64 and e3.macs == 64 * 55 * 55 * 16 * 3 * 3
    assert e3.padding == (1, 1, 1, 1) and e3.inputs == ("fire2.squeeze1x1",)
    assert all(l.activation == "relu" and l.bias for l in (s, e1, e3))  # ReLUs folded
    assert cat.type == "concat" and cat.inputs == ("fire2.expand1x1", "fire2.expand3x3")
    assert cat.out_shape == TensorShape(64 + 64, 55, 55)
    assert net.params == (96 * 16 + 16) + (16 * 64 + 64) + (16 * 64 * 9 + 64)


def test_residual_squeezenext_block(tmp_path):
    """First block of stage 1, v1 wiring (C = 32, projection 64 -> 32): convs without bias,
    each followed by BN + ReLU (the projection by BN only); sum, then ReLU."""
    g = Graph(64, 55, 55)

    def cbr(name, x, out, k, pads, relu=True):
        y = g.bn(f"/block1/{name}_bn/BatchNormalization",
                 g.conv(f"/block1/{name}/Conv", x, out, k, pads=pads, bias=False))
        return g.relu(f"/block1/{name}_relu/Relu", y) if relu else y

    x = cbr("squeeze1", "data", 16, 1, [0, 0, 0, 0])
    x = cbr("squeeze2", x, 8, 1, [0, 0, 0, 0])
    x = cbr("sep_a", x, 16, (3, 1), [1, 0, 1, 0])  # ONNX [h_begin, w_begin, h_end, w_end]
    x = cbr("sep_b", x, 16, (1, 3), [0, 1, 0, 1])
    x = cbr("expand", x, 32, 1, [0, 0, 0, 0])
    short = cbr("shortcut", "data", 32, 1, [0, 0, 0, 0], relu=False)
    g.relu("/block1/out_relu/Relu", g.add("/block1/Add", x, short))
    net = load_onnx_network(g.save(tmp_path / "sqnxt_block.onnx"))
    layers = by_name(net)
    assert list(layers) == ["block1.squeeze1", "block1.squeeze2", "block1.sep_a", "block1.sep_b",
                            "block1.expand", "block1.shortcut", "block1.add"]
    expected = {  # name: (out channels, params, MACs), at 55x55
        "block1.squeeze1": (16, 64 * 16, 16 * 55 * 55 * 64),
        "block1.squeeze2": (8, 16 * 8, 8 * 55 * 55 * 16),
        "block1.sep_a": (16, 8 * 16 * 3, 16 * 55 * 55 * 8 * 3),
        "block1.sep_b": (16, 16 * 16 * 3, 16 * 55 * 55 * 16 * 3),
        "block1.expand": (32, 16 * 32, 32 * 55 * 55 * 16),
        "block1.shortcut": (32, 64 * 32, 32 * 55 * 55 * 64),
    }
    for name, (channels, params, macs) in expected.items():
        layer = layers[name]
        assert layer.out_shape == TensorShape(channels, 55, 55), name
        assert (layer.params, layer.macs, layer.bn_params) == (params, macs, 2 * channels), name
        assert layer.bn and not layer.bias
    assert layers["block1.sep_a"].kernel == (3, 1) and layers["block1.sep_a"].padding == (1, 1, 0, 0)
    assert layers["block1.sep_b"].kernel == (1, 3) and layers["block1.sep_b"].padding == (0, 0, 1, 1)
    assert layers["block1.shortcut"].activation is None
    assert layers["block1.shortcut"].inputs == ("input",)
    add = layers["block1.add"]
    assert add.type == "add" and add.inputs == ("block1.expand", "block1.shortcut")
    assert add.activation == "relu" and add.out_shape == TensorShape(32, 55, 55)
    assert net.macs == sum(m for _, _, m in expected.values())


def test_depthwise_separable_pair_with_relu6(tmp_path):
    g = Graph(32, 112, 112)
    x = g.conv("/dw/Conv", "data", 32, 3, pads=[1, 1, 1, 1], group=32, bias=False)
    x = g.clip("/dw_relu6/Clip", g.bn("/dw_bn/BatchNormalization", x), 0.0, 6.0)
    x = g.conv("/pw/Conv", x, 64, 1, bias=False)
    g.clip("/pw_relu6/Clip", g.bn("/pw_bn/BatchNormalization", x), 0.0, 6.0)
    net = load_onnx_network(g.save(tmp_path / "dws.onnx"))
    dw, pw = net.layers
    assert (dw.name, pw.name) == ("dw", "pw")
    assert dw.is_depthwise and dw.groups == 32 and dw.mac_class == "first_conv"
    assert dw.macs == 32 * 112 * 112 * 1 * 3 * 3 and dw.params == 32 * 1 * 3 * 3
    assert pw.macs == 64 * 112 * 112 * 32 and pw.params == 32 * 64
    assert pw.mac_class == "conv1x1"
    assert dw.activation == pw.activation == "relu6" and dw.bn and pw.bn
    assert net.bn_params == 2 * 32 + 2 * 64


def test_classifier_head_gemm_flatten_dissolves(tmp_path):
    g = Graph(512, 13, 13)
    x = g.flatten("/flatten/Flatten", g.gap("/avgpool/GlobalAveragePool", "data"))
    x = g.gemm("/classifier/Gemm", x, 512, 1000)
    g.node("Softmax", "/softmax/Softmax", [x], 1000, axis=1)
    net = load_onnx_network(g.save(tmp_path / "head.onnx"))
    assert [(l.name, l.type) for l in net.layers] == [
        ("avgpool", "avgpool"), ("classifier", "fc"), ("softmax", "softmax")]
    pool, fc, _ = net.layers
    assert pool.is_global and pool.out_shape == TensorShape(512, 1, 1)
    assert fc.in_channels == 512 and fc.out_shape == TensorShape(1000, 1, 1)
    assert fc.params == 512 * 1000 + 1000 and fc.macs == 512 * 1000


def test_matmul_add_relu_becomes_fc_with_bias_and_activation(tmp_path):
    g = Graph(256, 6, 6, weights="input")
    shape = g.const("shape", [1, -1], np.int64)
    x = g.node("Reshape", "/Reshape", ["data", shape], 256 * 6 * 6)
    x = g.node("Dropout", "/classifier/classifier.0/Dropout", [x], 256 * 6 * 6)
    x = g.node("MatMul", "/classifier/classifier.1/MatMul",
               [x, g.weight("fc6.weight", [256 * 6 * 6, 4096])], 4096)
    x = g.node("Add", "/classifier/classifier.1/Add", [x, g.weight("fc6.bias", [4096])], 4096)
    g.relu("/classifier/classifier.2/Relu", x)
    net = load_onnx_network(g.save(tmp_path / "fc.onnx"))
    assert [(l.name, l.type) for l in net.layers] == [("classifier.0", "dropout"),
                                                       ("classifier.1", "fc")]
    fc = net.layers[1]
    assert fc.bias and fc.activation == "relu"
    assert fc.params == 9216 * 4096 + 4096 and fc.macs == 9216 * 4096


# --- SqueezeNet v1.0 against the hand-written file ------------------------------------------

def test_squeezenet_v1_0_imports_to_the_hand_written_network(tmp_path):
    path = squeezenet_v1_0().save(tmp_path / "squeezenet.onnx")
    imported = load_onnx_network(path)
    assert imported.params == 1_248_424  # reference networks.md
    assert imported.macs == 832_667_936
    assert by_name(imported)["pool1"].out_shape == TensorShape(96, 55, 55)  # ceil: 111 -> 55
    assert by_name(imported)["conv10"].out_shape == TensorShape(1000, 13, 13)  # unpadded
    written = load_network(REPO / "networks" / "squeezenet_v1.0.yaml")
    assert len(imported.layers) == len(written.layers)
    for mine, theirs in zip(imported.layers, written.layers):
        renamed = dataclasses.replace(theirs, name=theirs.name.replace("/", "."),
                                      inputs=tuple(i.replace("/", ".") for i in theirs.inputs))
        assert mine == renamed


def test_squeezenet_round_trip_through_yaml_is_identical(tmp_path):
    result = import_onnx(squeezenet_v1_0().save(tmp_path / "squeezenet.onnx"))
    loaded, text = round_trip(result)
    assert loaded.layers == result.network.layers
    assert "inputs: fire2.squeeze1x1}" in text  # the branch is spelled out ...
    assert "{name: fire2.expand1x1, type: conv, out_channels: 64, kernel: 1, bias: true, " \
           "activation: relu}" in text  # ... a layer reading the previous one is not


def test_block_and_same_lower_round_trip(tmp_path):
    g = Graph(16, 15, 15)
    x = g.conv("/a/Conv", "data", 16, 3, stride=2, auto_pad="SAME_LOWER", group=16)
    g.maxpool("/p/MaxPool", x, 3, 1, ceil_mode=0, pads=[0, 0, 1, 1])
    result = import_onnx(g.save(tmp_path / "lower.onnx"))
    a, p = result.network.layers
    # SAME_LOWER: out ceil(15/2) = 8, total pad (8-1)*2 + 3 - 15 = 2 -> 1 before, 1 after
    assert a.out_shape == TensorShape(16, 8, 8) and a.padding == (1, 1, 1, 1)
    # floor((8 + 0 + 1 - 3) / 1) + 1 = 7
    assert p.padding == (0, 1, 0, 1) and p.out_shape == TensorShape(16, 7, 7)
    loaded, _ = round_trip(result)
    assert loaded.layers == result.network.layers


def test_same_lower_puts_the_odd_pixel_before(tmp_path):
    g = Graph(8, 16, 16)
    g.conv("/c/Conv", "data", 8, 3, stride=2, auto_pad="SAME_LOWER")
    result = import_onnx(g.save(tmp_path / "lower.onnx"))
    conv = result.network.layers[0]
    # out ceil(16/2) = 8; total pad (8-1)*2 + 3 - 16 = 1: SAME_LOWER puts it at the top/left
    assert conv.padding == (1, 0, 1, 0) and conv.out_shape == TensorShape(8, 8, 8)
    assert result.input_size_fixed and result.notes
    upper = Graph(8, 16, 16)
    upper.conv("/c/Conv", "data", 8, 3, stride=2, auto_pad="SAME_UPPER")
    conv = load_onnx_network(upper.save(tmp_path / "upper.onnx")).layers[0]
    assert conv.padding == (0, 1, 0, 1) and conv.out_shape == TensorShape(8, 8, 8)


# --- conventions -----------------------------------------------------------------------------

def test_pad_node_folds_into_the_conv_padding(tmp_path):
    g = Graph(4, 8, 8)
    pads = g.const("pads", [0, 0, 0, 0, 0, 0, 1, 1], np.int64)  # [N, C, H, W] begins, ends
    x = g.node("Pad", "/pad/Pad", ["data", pads], 4)
    g.conv("/conv/Conv", x, 8, 3, stride=2, pads=[1, 1, 0, 0])
    net = load_onnx_network(g.save(tmp_path / "pad.onnx"))
    (conv,) = net.layers
    assert conv.padding == (1, 0 + 1, 1, 0 + 1)  # conv's own top/left 1 plus Pad's bottom/right 1
    assert conv.out_shape == TensorShape(8, (8 + 1 + 1 - 3) // 2 + 1, (8 + 1 + 1 - 3) // 2 + 1)


def test_pool_ceil_mode_and_dilated_conv(tmp_path):
    g = Graph(8, 112, 112)
    g.maxpool("/floor/MaxPool", "data", 3, 2, ceil_mode=0)
    g.maxpool("/ceil/MaxPool", "data", 3, 2, ceil_mode=1)
    g.conv("/dil/Conv", "data", 8, 3, dilation=2, pads=[2, 2, 2, 2])
    net = load_onnx_network(g.save(tmp_path / "pool.onnx",
                                   outputs=["/floor/MaxPool:out", "/ceil/MaxPool:out",
                                            "/dil/Conv:out"]))
    layers = by_name(net)
    assert layers["floor"].out_shape.height == (112 - 3) // 2 + 1  # 55
    assert layers["ceil"].out_shape.height == -(-(112 - 3) // 2) + 1  # 56
    assert layers["dil"].out_shape.height == 112 + 2 * 2 - (2 * (3 - 1) + 1) + 1  # 112
    assert layers["dil"].macs == 8 * 112 * 112 * 8 * 3 * 3 and layers["dil"].dilation == (2, 2)


def test_clip_with_other_bounds_stays_a_layer(tmp_path):
    g = Graph(4, 8, 8)
    g.clip("/clip/Clip", g.conv("/c/Conv", "data", 4, 1), -1.0, 1.0)
    net = load_onnx_network(g.save(tmp_path / "clip.onnx"))
    assert [(l.name, l.type) for l in net.layers] == [("c", "conv"), ("clip", "relu")]
    assert net.layers[0].activation is None


def test_no_fold_when_the_conv_output_has_other_readers(tmp_path):
    g = Graph(4, 8, 8)
    c = g.conv("/c/Conv", "data", 4, 1)
    r = g.relu("/r/Relu", c)
    g.add("/sum/Add", c, r)
    net = load_onnx_network(g.save(tmp_path / "nofold.onnx"))
    assert [(l.name, l.type) for l in net.layers] == [("c", "conv"), ("r", "relu"),
                                                       ("sum", "add")]
    assert net.layers[0].activation is None and net.layers[2].inputs == ("c", "r")


def test_names_from_pytorch_style_node_names():
    assert _base_name("/features/features.3/squeeze/Conv", "Conv") == ("features.3.squeeze", True)
    assert _base_name("/features/features.0/Conv", "Conv") == ("features.0", True)
    assert _base_name("Conv_0", "Conv") == ("Conv_0", False)  # old exporters: keep the index
    assert _base_name("/Flatten", "Flatten") == ("", True)  # named by its type: 'flatten'
    assert _base_name("/layer1/layer1.0/Add_1", "Add") == ("layer1.0", True)
    assert _base_name("resnet:conv 1", "Conv") == ("resnet_conv_1", False)


def test_an_operation_named_after_its_module_gets_its_type(tmp_path):
    g = Graph(4, 8, 8)
    a = g.conv("/layer1/layer1.0/conv1/Conv", "data", 4, 1)
    g.add("/layer1/layer1.0/Add", a, "data")
    g.nodes.append(helper.make_node("Relu", ["/layer1/layer1.0/Add:out"], ["y"], name=""))
    net = load_onnx_network(g.save(tmp_path / "names.onnx", outputs=["y"]))
    assert [l.name for l in net.layers] == ["layer1.0.conv1", "layer1.0.add"]
    assert net.layers[1].activation == "relu"


# --- weights are not needed ------------------------------------------------------------------

@pytest.mark.parametrize("weights", ["input", "external"])
def test_imports_without_weight_data(tmp_path, weights):
    g = Graph(96, 55, 55, weights=weights)
    g.fire("fire2", "data", 16, 64, 64)
    net = load_onnx_network(g.save(tmp_path / f"{weights}.onnx"))
    assert net.params == (96 * 16 + 16) + (16 * 64 + 64) + (16 * 64 * 9 + 64)
    assert net.macs == 55 * 55 * (16 * 96 + 64 * 16 + 64 * 16 * 9)


def test_output_channels_from_value_info_when_the_weight_has_no_shape(tmp_path):
    g = Graph(3, 32, 32)
    g.inputs.append(helper.make_tensor_value_info("w", TensorProto.FLOAT, None))
    g.nodes.append(helper.make_node("Conv", ["data", "w"], ["y"], name="/conv/Conv",
                                    kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
    g.value_info.append(helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 24, 32, 32]))
    net = load_onnx_network(g.save(tmp_path / "vi.onnx"))
    assert net.layers[0].out_shape == TensorShape(24, 32, 32)
    assert net.layers[0].macs == 24 * 32 * 32 * 3 * 3 * 3


def test_unknown_output_channels_is_a_clear_error(tmp_path):
    g = Graph(3, 32, 32)
    g.inputs.append(helper.make_tensor_value_info("w", TensorProto.FLOAT, None))
    g.nodes.append(helper.make_node("Conv", ["data", "w"], ["y"], name="/conv/Conv",
                                    kernel_shape=[3, 3]))
    path = g.save(tmp_path / "nochannels.onnx")
    with pytest.raises(InputError) as info:
        load_onnx_network(path)
    assert f"{path}: node '/conv/Conv' (Conv): the number of output channels is unknown" \
        in str(info.value)


# --- inputs ----------------------------------------------------------------------------------

def test_input_size_override_and_symbolic_input(tmp_path):
    g = Graph(3, 0, 0, input_dims=["batch", 3, "height", "width"])
    g.conv("/conv1/Conv", "data", 96, 7, stride=2)
    path = g.save(tmp_path / "dynamic.onnx")
    with pytest.raises(InputError) as info:
        load_onnx_network(path)
    assert "input 'data'" in str(info.value) and "--input-size" in str(info.value)
    net = load_onnx_network(path, input_size=224)
    assert net.input_shape == TensorShape(3, 224, 224)
    assert net.layers[0].out_shape == TensorShape(96, (224 - 7) // 2 + 1, (224 - 7) // 2 + 1)
    net = load_network(path, input_size="200x100")  # the YAML loader's entry point
    assert net.layers[0].out_shape == TensorShape(96, (200 - 7) // 2 + 1, (100 - 7) // 2 + 1)


# --- bad input -------------------------------------------------------------------------------

def unsupported_graph():
    g = Graph(8, 16, 16)
    x = g.conv("/stem/Conv", "data", 8, 3, pads=[1, 1, 1, 1])
    x = g.node("Tanh", "/gate/Tanh", [x], 8)
    x = g.node("Erf", "/act/Erf", [x], 8)
    g.conv("/head/Conv", x, 16, 1)
    return g


def test_unsupported_operators_are_named_with_their_node(tmp_path):
    path = unsupported_graph().save(tmp_path / "odd.onnx")
    with pytest.raises(InputError) as info:
        load_onnx_network(path)
    text = str(info.value)
    assert f"{path}: node '/gate/Tanh' (Tanh): operator 'Tanh' is not supported" in text
    assert f"{path}: node '/act/Erf' (Erf): operator 'Erf'" in text
    assert "--skip-unsupported" in text


def test_skip_unsupported_drops_them_with_a_warning(tmp_path, capsys):
    path = unsupported_graph().save(tmp_path / "odd.onnx")
    out = tmp_path / "odd.yaml"
    status = main(["import", str(path), "-o", str(out), "--skip-unsupported"])
    err = capsys.readouterr().err
    assert status == 0
    assert "dropped 2 unsupported node(s)" in err and "'/gate/Tanh' (Tanh)" in err
    net = load_network(out)
    assert [l.name for l in net.layers] == ["stem", "head"]
    assert net.layers[1].inputs == ("stem",)
    assert net.macs == 8 * 16 * 16 * 8 * 3 * 3 + 16 * 16 * 16 * 8
    assert "# Dropped (unsupported" in out.read_text()


def test_cli_exit_2_for_unsupported_and_malformed_files(tmp_path, capsys):
    path = unsupported_graph().save(tmp_path / "odd.onnx")
    assert main(["import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "node '/gate/Tanh' (Tanh)" in err and "Traceback" not in err
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\xff\xfe this is not a protobuf \x00\x01" * 10)
    assert main(["info", str(garbage)]) == 2
    err = capsys.readouterr().err
    assert f"{garbage}: not " in err and "Traceback" not in err
    assert main(["import", str(tmp_path / "missing.onnx")]) == 2
    assert "missing.onnx: file not found" in capsys.readouterr().err


def test_a_tensor_nobody_produces_is_named(tmp_path):
    g = Graph(4, 8, 8)
    g.nodes.append(helper.make_node("Relu", ["ghost"], ["y"], name="/act/Relu"))
    path = g.save(tmp_path / "ghost.onnx", outputs=["y"])
    with pytest.raises(InputError) as info:
        load_onnx_network(path)
    assert "node '/act/Relu' (Relu): input 'ghost' is produced by no node" in str(info.value)


def test_pad_before_a_non_conv_is_an_error(tmp_path):
    g = Graph(4, 8, 8)
    pads = g.const("pads", [0, 0, 1, 1, 0, 0, 1, 1], np.int64)
    g.relu("/act/Relu", g.node("Pad", "/pad/Pad", ["data", pads], 4))
    path = g.save(tmp_path / "pad.onnx")
    with pytest.raises(InputError) as info:
        load_onnx_network(path)
    assert "node '/act/Relu' (Relu): reads the output of node '/pad/Pad' (Pad)" in str(info.value)


def test_shape_mismatch_names_the_layer_and_the_node(tmp_path):
    g = Graph(4, 8, 8)
    a = g.conv("/a/Conv", "data", 4, 1)
    b = g.conv("/b/Conv", "data", 4, 3)  # 6x6: cannot be added to 8x8
    g.add("/sum/Add", a, b)
    path = g.save(tmp_path / "mismatch.onnx")
    with pytest.raises(InputError) as info:
        load_onnx_network(path)
    assert f"{path}: layer 'sum' (node '/sum/Add' (Add)): add of different shapes" \
        in str(info.value)


def test_without_the_onnx_package_the_message_says_how_to_install(tmp_path, monkeypatch,
                                                                   capsys):
    path = squeezenet_v1_0().save(tmp_path / "squeezenet.onnx")
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(InputError) as info:
        load_network(path)
    assert "pip install -e '.[onnx]'" in str(info.value)
    assert main(["import", str(path)]) == 2
    assert "pip install -e '.[onnx]'" in capsys.readouterr().err


# --- the command line ------------------------------------------------------------------------

def test_cli_import_writes_a_loadable_yaml_and_keeps_existing_files(tmp_path, capsys):
    path = squeezenet_v1_0().save(tmp_path / "squeezenet.onnx")
    out = tmp_path / "networks" / "squeezenet_imported.yaml"
    assert main(["import", str(path), "-o", str(out), "--name", "SqueezeNet v1.0 (ONNX)"]) == 0
    err = capsys.readouterr().err
    assert "1,248,424 parameters" in err and "832,667,936 MACs" in err
    net = load_network(out)
    assert net.name == "SqueezeNet v1.0 (ONNX)"
    assert (net.params, net.macs) == (1_248_424, 832_667_936)
    assert main(["import", str(path), "-o", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["import", str(path), "-o", str(out), "--force", "--input-size", "224"]) == 0
    assert load_network(out).input_shape == TensorShape(3, 224, 224)


def test_cli_import_to_stdout_and_info_json(tmp_path, capsys):
    g = Graph(96, 55, 55)
    g.fire("fire2", "data", 16, 64, 64)
    path = g.save(tmp_path / "fire.onnx")
    assert main(["import", str(path)]) == 0
    data = yaml.safe_load(capsys.readouterr().out)
    assert data["input"] == [96, 55, 55] and len(data["layers"]) == 4
    assert main(["info", str(path), "--format", "json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["totals"]["macs"] == 55 * 55 * (16 * 96 + 64 * 16 + 64 * 16 * 9)


def test_weights_that_disagree_with_the_inferred_shapes_are_an_error(tmp_path):
    # issue 15: this was only a warning, and hwsim simulated a layer the weights do not fit
    g = Graph(512, 13, 13, weights="input")
    x = g.flatten("/flatten/Flatten", g.gap("/avgpool/GlobalAveragePool", "data"))
    g.gemm("/fc/Gemm", x, 100, 10)  # the weights say 100 input features; the graph gives 512
    path = g.save(tmp_path / "bad_fc.onnx")
    with pytest.raises(InputError) as info:
        load_onnx_network(path)
    assert str(info.value) == (f"{path}: layer 'fc' (node '/fc/Gemm' (Gemm)): its input has "
                               "512 features, but the weights are for 100 (is transB right?)")


def test_pytorch_view_flatten_pattern_dissolves_into_the_fc(tmp_path):
    """``x.view(x.size(0), -1)`` exports as Shape -> Gather -> Unsqueeze -> Concat -> Reshape:
    the shape computation vanishes and the Reshape dissolves into the fc."""
    g = Graph(512, 13, 13, weights="input")
    x = g.gap("/features/features.12/GlobalAveragePool", "data")
    g.nodes.append(helper.make_node("Shape", [x], ["shape"], name="/Shape"))
    index = g.const("zero", 0, np.int64)
    g.nodes.append(helper.make_node("Gather", ["shape", index], ["batch"], name="/Gather",
                                    axis=0))
    axes = g.const("axes", [0], np.int64)
    g.nodes.append(helper.make_node("Unsqueeze", ["batch", axes], ["batch1"], name="/Unsqueeze"))
    minus_one = g.const("minus_one", [-1], np.int64)
    g.nodes.append(helper.make_node("Concat", ["batch1", minus_one], ["target"], name="/Concat",
                                    axis=0))
    x = g.node("Reshape", "/Reshape", [x, "target"], 512)
    g.gemm("/classifier/classifier.1/Gemm", x, 512, 1000)
    net = load_onnx_network(g.save(tmp_path / "view.onnx"))
    assert [(l.name, l.type) for l in net.layers] == [("features.12", "avgpool"),
                                                       ("classifier.1", "fc")]
    assert net.macs == 512 * 1000


def test_nhwc_input_transposed_to_nchw_is_read_as_nchw(tmp_path):
    """TensorFlow exports take NHWC and transpose it first: the input is 3 x 32 x 24."""
    g = Graph(0, 0, 0, input_dims=[1, 32, 24, 3])
    g.channels["data"] = 3
    x = g.node("Transpose", "/to_nchw/Transpose", ["data"], 3, perm=[0, 3, 1, 2])
    g.conv("/conv/Conv", x, 8, 3, pads=[1, 1, 1, 1])
    net = load_onnx_network(g.save(tmp_path / "nhwc.onnx"))
    assert net.input_shape == TensorShape(3, 32, 24)
    (conv,) = net.layers
    assert conv.inputs == ("input",) and conv.macs == 8 * 32 * 24 * 3 * 3 * 3


def test_opset_9_clip_attributes_and_conv_weights_that_disagree(tmp_path):
    g = Graph(4, 8, 8, opset=9)
    x = g.conv("/c/Conv", "data", 4, 1)
    g.node("Clip", "/c_relu6/Clip", [x], 4, min=0.0, max=6.0)
    net = load_onnx_network(g.save(tmp_path / "clip9.onnx"))
    assert [(l.name, l.activation) for l in net.layers] == [("c", "relu6")]
    g = Graph(4, 8, 8, weights="input")
    x = g.node("Relu", "/s/Relu", ["data"], 4)
    g.weight("w", [8, 5, 1, 1])  # the weights expect 5 input channels; the graph gives 4
    g.nodes.append(helper.make_node("Conv", [x, "w"], ["y"], name="/c/Conv", kernel_shape=[1, 1]))
    path = g.save(tmp_path / "odd.onnx", outputs=["y"])
    with pytest.raises(InputError) as info:  # issue 15: an error, no longer a warning
        import_onnx(path, skip_unsupported=True)
    assert str(info.value) == (f"{path}: layer 'c' (node '/c/Conv' (Conv)): its input has 4 "
                               "channels per group, but the weights are for 5")


def test_cli_run_accepts_an_onnx_file_and_matches_the_hand_written_network(tmp_path, capsys):
    path = squeezenet_v1_0().save(tmp_path / "squeezenet.onnx")
    accel = str(REPO / "accelerators" / "squeezelerator.yaml")
    results = []
    for network in (str(path), str(REPO / "networks" / "squeezenet_v1.0.yaml")):
        assert main(["run", network, "--accel", accel, "--format", "json",
                     "--engine", "analytic"]) == 0
        results.append(json.loads(capsys.readouterr().out))
    onnx_run, yaml_run = results
    assert onnx_run["totals"]["macs"] == 832_667_936
    # The same layers on the same machine: the same time and energy.
    assert onnx_run["totals"]["cycles"] == yaml_run["totals"]["cycles"]
    assert onnx_run["totals"]["energy"] == yaml_run["totals"]["energy"]
