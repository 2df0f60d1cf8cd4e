"""The bundled study networks against the reference facts (shared/reference/networks.md).

Totals are the reference's exact numbers (or its rounded ones, to the digits it gives);
per-stage values are hand counts from the architecture (written as the calculation).
"""

from pathlib import Path

import pytest

from hwsim.inputs import load_network

NETWORKS = Path(__file__).resolve().parent.parent / "networks"


def net(file, input_size=None):
    return load_network(NETWORKS / file, input_size=input_size)


def test_every_study_network_is_bundled():
    expected = {"alexnet", "squeezenet_v1.0", "squeezenet_v1.1", "sqnxt23", "sqnxt23v2",
                "sqnxt23v3", "sqnxt23v4", "sqnxt23v5", "sqnxt23_g", "sqnxt23_w2",
                "sqnxt23v5_w2", "mobilenet_v1", "tiny_darknet"}
    assert expected <= {p.stem for p in NETWORKS.glob("*.yaml")}


@pytest.mark.parametrize("path", sorted(NETWORKS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_bundled_network_loads_with_metadata(path):
    network = load_network(path)
    assert network.name and network.description and network.source
    assert network.macs > 0 and network.params > 0
    assert len({layer.name for layer in network}) == len(network.layers)


# --- exact totals -----------------------------------------------------------------------

@pytest.mark.parametrize("file, params, macs", [
    ("alexnet.yaml", 60_965_224, 724_406_816),
    ("squeezenet_v1.0.yaml", 1_248_424, 832_667_936),
    ("squeezenet_v1.1.yaml", 1_235_496, 387_747_520),
    ("sqnxt23.yaml", 705_728, 277_999_808),
    ("sqnxt23v5.yaml", 915_648, 224_916_480),
    ("mobilenet_v1.yaml", 4_210_088, 568_740_352),
])
def test_exact_reference_totals(file, params, macs):
    network = net(file)
    assert network.params == params
    assert network.macs == macs


@pytest.mark.parametrize("file, params, macs_millions", [
    ("sqnxt23v2.yaml", 722_112, 224.9),
    ("sqnxt23v3.yaml", 735_936, 224.9),
    ("sqnxt23v4.yaml", 749_760, 224.9),
    ("sqnxt23_g.yaml", 531_520, 224.2),
    ("sqnxt23_w2.yaml", 2_339_008, 742.1),
    ("sqnxt23v5_w2.yaml", 3_194_560, 702.6),
])
def test_reference_totals_given_rounded(file, params, macs_millions):
    network = net(file)
    assert network.params == params
    assert round(network.macs / 1e6, 1) == macs_millions


def test_tiny_darknet_totals_by_hand():
    network = net("tiny_darknet.yaml")
    # conv weights per spatial size (224, 112, 56, 28, 14), from cfg/tiny.cfg
    at_224 = 16 * 3 * 9
    at_112 = 32 * 16 * 9
    at_56 = 16 * 32 + 128 * 16 * 9 + 16 * 128 + 128 * 16 * 9
    at_28 = 32 * 128 + 256 * 32 * 9 + 32 * 256 + 256 * 32 * 9
    at_14 = 64 * 256 + 512 * 64 * 9 + 64 * 512 + 512 * 64 * 9 + 128 * 512 + 1000 * 128
    assert network.params == at_224 + at_112 + at_56 + at_28 + at_14 + 1000  # last conv's bias
    assert network.macs == (at_224 * 224 * 224 + at_112 * 112 * 112 + at_56 * 56 * 56
                            + at_28 * 28 * 28 + at_14 * 14 * 14)
    bn_channels = 16 + 32 + 16 + 128 + 16 + 128 + 32 + 256 + 32 + 256 + 64 + 512 + 64 + 512 + 128
    assert network.bn_params == 2 * bn_channels
    sizes = [network.layer(n).out_shape.height for n in ("pool1", "pool2", "pool6", "pool10")]
    assert sizes == [112, 56, 28, 14]


def test_alexnet_structure():
    network = net("alexnet.yaml")
    assert network.layer("conv1").out_shape.as_list() == [96, 55, 55]
    assert network.layer("pool1").out_shape.as_list() == [96, 27, 27]
    assert network.layer("pool2").out_shape.as_list() == [256, 13, 13]
    assert network.layer("pool5").out_shape.as_list() == [256, 6, 6]
    assert [network.layer(n).groups for n in ("conv2", "conv3", "conv4", "conv5")] == [2, 1, 2, 2]
    assert network.layer("fc6").in_channels == 256 * 6 * 6


def test_squeezenet_spatial_sizes():
    v10 = net("squeezenet_v1.0.yaml")
    assert [v10.layer(n).out_shape.height for n in ("conv1", "pool1", "pool4", "pool8")] == \
        [111, 55, 27, 13]
    assert v10.layer("conv10").out_shape.as_list() == [1000, 13, 13]  # unpadded
    v11 = net("squeezenet_v1.1.yaml")
    # conv1 (227-3)//2+1 = 113; pools ceil: 56, 28, 14
    assert [v11.layer(n).out_shape.height for n in ("conv1", "pool1", "pool3", "pool5")] == \
        [113, 56, 28, 14]


def test_mobilenet_same_padding_is_asymmetric_on_strided_layers():
    network = net("mobilenet_v1.yaml")
    assert network.layer("conv0").padding == (0, 1, 0, 1)  # 224 -> 112
    assert network.layer("conv1/depthwise").padding == (1, 1, 1, 1)
    assert network.layer("conv13/pointwise").out_shape.as_list() == [1024, 7, 7]
    assert network.layer("conv2/depthwise").is_depthwise


def test_published_accuracy_metadata():
    assert net("squeezenet_v1.0.yaml").accuracy == {"top1": 57.5, "top5": 80.3}
    assert net("alexnet.yaml").accuracy == {"top1": 57.1, "top5": 80.2}
    assert net("mobilenet_v1.yaml").accuracy == {"top1": 70.6}
    assert net("sqnxt23.yaml").accuracy == {"top1": 59.05, "top5": 82.60}
    assert net("sqnxt23v5.yaml").accuracy == {"top1": 59.24, "top5": 82.41}
    # forresti/SqueezeNet README: ">= 80.3% top-5" for v1.1 (a lower bound, no top-1)
    assert net("squeezenet_v1.1.yaml").accuracy == {"top5": 80.3}


# --- MAC share (accelerator paper, Table 1) ----------------------------------------------

@pytest.mark.parametrize("file, first_conv, conv1x1, conv_fxf, depthwise", [
    ("squeezenet_v1.0.yaml", 21, 25, 54, 0),
    ("squeezenet_v1.1.yaml", 6, 40, 54, 0),
    ("mobilenet_v1.yaml", 1, 95, 0, 3),
    ("sqnxt23_w2.yaml", 16, 44, 40, 0),
    ("tiny_darknet.yaml", 5, 13, 82, 0),
])
def test_mac_share_agrees_with_published_table(file, first_conv, conv1x1, conv_fxf, depthwise):
    share = net(file).mac_share()
    published = {"first_conv": first_conv, "conv1x1": conv1x1, "convFxF": conv_fxf,
                 "depthwise": depthwise}
    for cls, percent in published.items():
        assert abs(100 * share[cls] - percent) <= 1.5, (file, cls, 100 * share[cls], percent)


def test_alexnet_mac_share_is_the_bvlc_models():
    # The reference: BVLC AlexNet gives 14.6 / 0 / 77.4 / 0, FC 8.1 (not the paper's row).
    share = net("alexnet.yaml").mac_share()
    conv1 = 96 * 55 * 55 * 3 * 11 * 11
    fc = 9216 * 4096 + 4096 * 4096 + 4096 * 1000
    assert share["first_conv"] == pytest.approx(conv1 / 724_406_816)
    assert share["fc"] == pytest.approx(fc / 724_406_816)
    assert round(100 * share["convFxF"], 1) == 77.4


# --- SqueezeNext: per-stage MACs, wiring and the separable order -------------------------

def sqnxt_block_weights(c_in, c, first, wiring, groups=1):
    """Weights of one SqueezeNext block (hand formula from the reference's block list)."""
    squeeze1_in = c_in if (first and wiring == "v1") else c
    weights = (squeeze1_in * c // 2 // groups          # squeeze1 1x1
               + c // 2 * c // 4                       # squeeze2 1x1
               + c // 4 * c // 2 * 3 // groups         # separable 3x1 (or 1x3)
               + c // 2 * c // 2 * 3 // groups         # separable 1x3 (or 3x1)
               + c // 2 * c)                           # expand 1x1
    if first:
        weights += c_in * c                            # 1x1 projection
    return weights


def stage_macs(network, stage):
    return sum(layer.macs for layer in network if layer.name.startswith(f"stage{stage}/"))


def test_sqnxt23_per_stage_macs():
    network = net("sqnxt23.yaml")
    stem = 64 * 3 * 7 * 7 * 111 * 111
    stages = [
        (sqnxt_block_weights(64, 32, True, "v1") + 5 * sqnxt_block_weights(32, 32, False, "v1")) * 55 * 55,
        (sqnxt_block_weights(32, 64, True, "v1") + 5 * sqnxt_block_weights(64, 64, False, "v1")) * 28 * 28,
        (sqnxt_block_weights(64, 128, True, "v1") + 7 * sqnxt_block_weights(128, 128, False, "v1")) * 14 * 14,
        sqnxt_block_weights(128, 256, True, "v1") * 7 * 7,
    ]
    head = 256 * 128 * 7 * 7 + 128 * 1000
    assert network.layer("conv1").macs == stem
    assert [stage_macs(network, s) for s in (1, 2, 3, 4)] == stages
    assert network.layer("conv2").macs + network.layer("fc").macs == head
    # the reference's rounded per-stage values
    assert round(stem / 1e6, 1) == 115.9
    assert [round(m / 1e6, 1) for m in stages] == [49.6, 44.2, 58.6, 8.0]
    assert round(head / 1e6, 2) == 1.73


def test_sqnxt23v5_per_stage_macs():
    network = net("sqnxt23v5.yaml")
    stem = 64 * 3 * 5 * 5 * 112 * 112
    stages = [
        (sqnxt_block_weights(64, 32, True, "v5") + 1 * sqnxt_block_weights(32, 32, False, "v5")) * 56 * 56,
        (sqnxt_block_weights(32, 64, True, "v5") + 3 * sqnxt_block_weights(64, 64, False, "v5")) * 28 * 28,
        (sqnxt_block_weights(64, 128, True, "v5") + 13 * sqnxt_block_weights(128, 128, False, "v5")) * 14 * 14,
        sqnxt_block_weights(128, 256, True, "v5") * 7 * 7,
    ]
    assert network.layer("conv1").macs == stem
    assert [stage_macs(network, s) for s in (1, 2, 3, 4)] == stages
    assert round(stem / 1e6, 1) == 60.2
    assert [round(m / 1e6, 1) for m in stages] == [20.9, 30.5, 102.8, 8.8]


def test_grouped_sqnxt_groups_squeeze1_and_separables_only():
    network = net("sqnxt23_g.yaml")
    block = "stage2/block3/"
    groups = {n: network.layer(block + n).groups
              for n in ("squeeze1", "squeeze2", "separable1", "separable2", "expand")}
    assert groups == {"squeeze1": 2, "squeeze2": 1, "separable1": 2, "separable2": 2, "expand": 1}
    assert network.layer("stage1/block1/project").groups == 1


def test_v1_wiring_projection_is_the_shortcut():
    network = net("sqnxt23.yaml")
    squeeze1 = network.layer("stage2/block1/squeeze1")
    assert squeeze1.inputs == ("stage1/block6/add",)   # the block input
    assert squeeze1.stride == (2, 2)
    assert squeeze1.in_shape.as_list() == [32, 55, 55]
    project = network.layer("stage2/block1/project")
    assert project.inputs == ("stage1/block6/add",) and project.stride == (2, 2)
    assert network.layer("stage2/block1/add").inputs == ("stage2/block1/project",
                                                         "stage2/block1/expand")
    # stage 1's first block projects too (64 -> 32, stride 1)
    assert network.layer("stage1/block1/project").in_shape.channels == 64
    assert network.layer("stage1/block1/project").stride == (1, 1)
    # later blocks: identity shortcut, no projection
    assert network.layer("stage2/block2/add").inputs == ("stage2/block1/add",
                                                         "stage2/block2/expand")
    with pytest.raises(KeyError):
        network.layer("stage2/block2/project")


def test_v5_wiring_runs_the_block_on_the_projection():
    network = net("sqnxt23v5.yaml")
    squeeze1 = network.layer("stage3/block1/squeeze1")
    assert squeeze1.inputs == ("stage3/block1/project",)
    assert squeeze1.stride == (1, 1)
    assert squeeze1.in_shape.as_list() == [128, 14, 14]
    assert network.layer("stage3/block1/project").stride == (2, 2)
    assert network.layer("stage3/block1/add").inputs == ("stage3/block1/project",
                                                         "stage3/block1/expand")


@pytest.mark.parametrize("file, blocks", [
    ("sqnxt23.yaml", 6 + 6 + 8 + 1), ("sqnxt23v2.yaml", 6 + 6 + 8 + 1),
    ("sqnxt23v3.yaml", 4 + 8 + 8 + 1), ("sqnxt23v4.yaml", 2 + 10 + 8 + 1),
    ("sqnxt23v5.yaml", 2 + 4 + 14 + 1), ("sqnxt23_g.yaml", 21), ("sqnxt23_w2.yaml", 21),
    ("sqnxt23v5_w2.yaml", 21),
])
def test_separable_order_alternates_over_the_whole_network(file, blocks):
    network = net(file)
    firsts = [layer for layer in network if layer.name.endswith("/separable1")]
    seconds = [layer for layer in network if layer.name.endswith("/separable2")]
    assert len(firsts) == len(seconds) == blocks
    for number, (first, second) in enumerate(zip(firsts, seconds), start=1):
        if number % 2 == 1:
            assert (first.kernel, second.kernel) == ((3, 1), (1, 3)), first.name
            assert (first.padding, second.padding) == ((1, 1, 0, 0), (0, 0, 1, 1))
        else:
            assert (first.kernel, second.kernel) == ((1, 3), (3, 1)), first.name
        assert second.out_shape == second.in_shape  # padded: size kept


def test_alternation_crosses_stage_boundaries():
    network = net("sqnxt23.yaml")
    # stage 3, block 2 is global block 6 + 6 + 2 = 14 (even): 1x3 first
    assert network.layer("stage3/block2/separable1").kernel == (1, 3)
    # stage 2, block 1 is global block 7 (odd): 3x1 first
    assert network.layer("stage2/block1/separable1").kernel == (3, 1)


# --- input size override ------------------------------------------------------------------

def test_input_size_override_squeezenet():
    network = net("squeezenet_v1.0.yaml", input_size=224)
    assert network.input_shape.as_list() == [3, 224, 224]
    conv1 = (224 - 7) // 2 + 1                 # 109
    pool1 = -(-(conv1 - 3) // 2) + 1           # ceil(106/2)+1 = 54
    pool4 = -(-(pool1 - 3) // 2) + 1           # ceil(51/2)+1 = 27
    pool8 = -(-(pool4 - 3) // 2) + 1           # 13
    assert [network.layer(n).out_shape.height for n in ("conv1", "pool1", "pool4", "pool8")] == \
        [conv1, pool1, pool4, pool8]
    assert network.layer("conv1").macs == 96 * 3 * 7 * 7 * conv1 * conv1


def test_input_size_override_mobilenet_160():
    network = net("mobilenet_v1.yaml", input_size=160)
    assert network.layer("conv13/pointwise").out_shape.as_list() == [1024, 5, 5]
    # every conv output shrinks from 7k x 7k to 5k x 5k: conv MACs scale by 25/49 exactly;
    # the FC (1024 * 1000) does not change.
    fc = 1024 * 1000
    assert network.macs == (568_740_352 - fc) * 25 // 49 + fc
    assert network.params == 4_210_088


def test_input_size_override_non_square():
    network = net("tiny_darknet.yaml", input_size="224x160")
    assert network.input_shape.as_list() == [3, 224, 160]
    assert network.layer("conv16").out_shape.as_list() == [1000, 14, 10]
    # widths 224, 112, 56, 28, 14 become 160, 80, 40, 20, 10: all MACs scale by 5/7
    assert network.macs == 491_524_096 * 5 // 7
