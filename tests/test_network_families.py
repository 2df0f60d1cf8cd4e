"""The parameterised network families against their papers' totals, counted by hand.

Every total below is worked out from the architecture (the arithmetic is written out) and
compared with the paper's published, rounded number to the digits the paper gives. Params are
conv and FC weights plus biases, BN apart (shared/reference/networks.md conventions).
"""

from pathlib import Path

import pytest

from hwsim.inputs import load_network

NETWORKS = Path(__file__).resolve().parent.parent / "networks"
MIB = 2 ** 20


def net(file, input_size=None, **params):
    return load_network(NETWORKS / file, input_size=input_size, params=params or None)


# --- SqueezeNet design space ----------------------------------------------------------------

def fire_sizes(base_e=128, incr_e=128, freq=2, pct_3x3=0.5, SR=0.125):
    """(s, e1x1, e3x3) of fire2..fire9 from the paper's metaparameters."""
    sizes = []
    for i in range(8):
        e = base_e + incr_e * (i // freq)
        e3 = round(pct_3x3 * e)
        sizes.append((round(SR * e), e - e3, e3))
    return sizes


def squeezenet_params(sizes):
    """conv1 (96 7x7 on 3 channels) + the Fire modules + conv10 (1x1 to 1000), all with bias."""
    total = 96 * 3 * 49 + 96
    c_in = 96
    for s, e1, e3 in sizes:
        total += (c_in * s + s) + (s * e1 + e1) + (s * e3 * 9 + e3)
        c_in = e1 + e3
    return total + c_in * 1000 + 1000


def test_space_defaults_are_squeezenet_v1_0_layer_for_layer():
    space, v10 = net("squeezenet_space.yaml"), net("squeezenet_v1.0.yaml")
    assert fire_sizes()[0] == (16, 64, 64) and fire_sizes()[7] == (64, 256, 256)
    assert len(space.layers) == len(v10.layers)
    for a, b in zip(space.layers, v10.layers):
        assert (a.name, a.type, a.inputs, a.in_shapes, a.out_shape, a.kernel, a.padding) == \
            (b.name, b.type, b.inputs, b.in_shapes, b.out_shape, b.kernel, b.padding)
        assert (a.params, a.macs) == (b.params, b.macs)
    assert space.params == squeezenet_params(fire_sizes()) == 1_248_424  # networks.md
    assert space.macs == 832_667_936


def test_sr_sweep_counts_and_the_papers_model_sizes():
    # paper section 5.1: SR = 0.75 is "a 19MB model": 4,841,704 x 4 bytes = 19.4e6 bytes
    # (18.5 MiB); the paper's 4.8 MB default is 4.76 MiB (5.0e6 bytes): its units are mixed
    sr75 = net("squeezenet_space.yaml", SR=0.75)
    assert [sr75.layer(f"fire{i + 2}/squeeze1x1").out_channels for i in range(8)] == \
        [96, 96, 192, 192, 288, 288, 384, 384]
    assert sr75.params == squeezenet_params(fire_sizes(SR=0.75))
    assert round(sr75.params * 4 / 1e6) == 19 and round(sr75.params * 4 / MIB, 1) == 18.5
    # the default's 4.8 MB (paper Table 2)
    assert round(net("squeezenet_space.yaml").params * 4 / MIB, 1) == 4.8
    # pct_3x3 sweep at SR 0.5: 1% of 128 expand filters rounds to 1 3x3 filter
    low = net("squeezenet_space.yaml", SR=0.5, pct_3x3=0.01)
    assert low.layer("fire2/expand3x3").out_channels == 1
    assert low.layer("fire2/expand1x1").out_channels == 127
    assert low.params == squeezenet_params(fire_sizes(SR=0.5, pct_3x3=0.01))


def test_bypass_variants():
    plain, simple, complex_ = (net("squeezenet_space.yaml", bypass=b)
                               for b in ("none", "simple", "complex"))
    adds = lambda n: [layer.name for layer in n if layer.type == "add"]  # noqa: E731
    assert adds(simple) == ["fire3/bypass_add", "fire5/bypass_add", "fire7/bypass_add",
                            "fire9/bypass_add"]
    assert simple.layer("fire3/bypass_add").inputs == ("fire3/concat", "fire2/concat")
    assert (simple.params, simple.macs) == (plain.params, plain.macs)  # identity: free
    assert len(adds(complex_)) == 8
    assert complex_.layer("fire2/bypass1x1").inputs == ("pool1",)
    # 1x1 bypass convs around fire2 (96->128 at 55x55), fire4 (128->256 at 55x55),
    # fire6 (256->384 at 27x27), fire8 (384->512 at 27x27), each with bias
    extra_params = (96 * 128 + 128) + (128 * 256 + 256) + (256 * 384 + 384) + (384 * 512 + 512)
    extra_macs = (96 * 128 + 128 * 256) * 55 * 55 + (256 * 384 + 384 * 512) * 27 * 27
    assert complex_.params == 1_248_424 + extra_params == 1_589_672
    assert complex_.macs == 832_667_936 + extra_macs
    # paper Table 3: 4.8 / 4.8 / 7.7 MB; the complex count gives 6.1 MiB (see the file)
    assert [round(n.params * 4 / MIB, 1) for n in (plain, simple, complex_)] == [4.8, 4.8, 6.1]


def test_space_accuracy_table():
    assert net("squeezenet_space.yaml").accuracy == {"top1": 57.5, "top5": 80.3}
    assert net("squeezenet_space.yaml", SR=0.75).accuracy == {"top5": 86.0}
    assert net("squeezenet_space.yaml", SR=0.5).accuracy == {"top5": 85.6}  # pct_3x3 at 0.5
    assert net("squeezenet_space.yaml", SR=0.25).accuracy == {}  # only plotted in the paper
    assert net("squeezenet_space.yaml", bypass="simple").accuracy == {"top1": 60.38, "top5": 82.5}


def test_misspelt_bypass_is_bad_input():
    from hwsim.errors import InputError
    with pytest.raises(InputError, match=r"params.bypass: override 'simpel' is not one of none, "
                                         r"simple, complex \(did you mean 'simple'\?\)"):
        net("squeezenet_space.yaml", bypass="simpel")


# --- MobileNet v1 width multiplier and resolution -------------------------------------------

def mobilenet_counts(alpha, size):
    """(params, MACs) by hand: conv0, 13 depthwise-separable pairs, FC with bias."""
    chans = [32, 64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024]
    strides = [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]
    c = [int(ch * alpha) for ch in chans]
    h = -(-size // 2)  # SAME padding: ceil(in / stride)
    params, macs = 27 * c[0], 27 * c[0] * h * h
    for i, s in enumerate(strides):
        h = -(-h // s)
        params += 9 * c[i] + c[i] * c[i + 1]
        macs += (9 * c[i] + c[i] * c[i + 1]) * h * h
    return params + c[-1] * 1000 + 1000, macs + c[-1] * 1000


@pytest.mark.parametrize("alpha, size, macs_m, params_m, top1", [
    # Table 6 (width multiplier, 224)
    (1.0, 224, 569, 4.2, 70.6), (0.75, 224, 325, 2.6, 68.4), (0.5, 224, 149, 1.3, 63.7),
    (0.25, 224, 41, 0.5, 50.6),
    # Table 7 (resolution, alpha 1.0)
    (1.0, 192, 418, 4.2, 69.1), (1.0, 160, 290, 4.2, 67.2), (1.0, 128, 186, 4.2, 64.4),
])
def test_mobilenet_reproduces_the_papers_tables(alpha, size, macs_m, params_m, top1):
    network = net("mobilenet_v1.yaml", input_size=size, alpha=alpha)
    assert (network.params, network.macs) == mobilenet_counts(alpha, size)
    # within the paper's rounding: 568.7 -> 569 but 290.7 -> 290 (Table 7 is not rounded
    # consistently), so within 1 M of the published figure
    assert abs(network.macs / 1e6 - macs_m) < 1
    assert round(network.params / 1e6, 1) == params_m
    assert network.accuracy == {"top1": top1}


def test_mobilenet_off_table_point_has_no_accuracy():
    assert net("mobilenet_v1.yaml", input_size=160, alpha=0.5).accuracy == {}


# --- VGG ------------------------------------------------------------------------------------

def vgg_counts(convs):
    params = macs = 0
    c_in, size = 3, 224
    for stage, channels in zip(convs, (64, 128, 256, 512, 512)):
        for _ in range(stage):
            params += c_in * channels * 9 + channels
            macs += c_in * channels * 9 * size * size
            c_in = channels
        size //= 2
    fc = [(512 * 7 * 7, 4096), (4096, 4096), (4096, 1000)]
    return params + sum(i * o + o for i, o in fc), macs + sum(i * o for i, o in fc)


@pytest.mark.parametrize("file, convs, published_m", [
    ("vgg16.yaml", (2, 2, 3, 3, 3), 138), ("vgg19.yaml", (2, 2, 4, 4, 4), 144),
])
def test_vgg_totals(file, convs, published_m):
    network = net(file)
    assert (network.params, network.macs) == vgg_counts(convs)
    assert round(network.params / 1e6) == published_m  # paper Table 2


# --- ResNet ---------------------------------------------------------------------------------

def resnet_counts(blocks, bottleneck):
    """(params, MACs, BN params) by hand, no conv bias, FC with bias, stride on the first conv."""
    params = 64 * 3 * 49
    macs = params * 112 * 112
    bn = 2 * 64
    c_in, size = 64, 56
    for stage, n in enumerate(blocks):
        width = 64 * 2 ** stage
        out = 4 * width if bottleneck else width
        for b in range(n):
            stride = 2 if b == 0 and stage > 0 else 1
            size_out = size // stride
            if bottleneck:
                convs = [(c_in, width, 1, size_out), (width, width, 9, size_out),
                         (width, out, 1, size_out)]
            else:
                convs = [(c_in, width, 9, size_out), (width, width, 9, size_out)]
            if c_in != out or stride != 1:
                convs.append((c_in, out, 1, size_out))
            for ci, co, k, s in convs:
                params += ci * co * k
                macs += ci * co * k * s * s
                bn += 2 * co
            c_in, size = out, size_out
    return params + c_in * 1000 + 1000, macs + c_in * 1000, bn


def test_resnet18_totals():
    network = net("resnet18.yaml")
    params, macs, bn = resnet_counts((2, 2, 2, 2), bottleneck=False)
    assert (network.params, network.macs, network.bn_params) == (params, macs, bn)
    assert round(network.macs / 1e9, 1) == 1.8  # paper Table 1: 1.8 x 10^9
    assert network.layer("stage4/block1/add").out_shape.as_list() == [512, 7, 7]


def test_resnet50_totals():
    network = net("resnet50.yaml")
    params, macs, bn = resnet_counts((3, 4, 6, 3), bottleneck=True)
    assert (network.params, network.macs, network.bn_params) == (params, macs, bn)
    assert int(network.macs / 1e8) == 38  # paper Table 1: 3.8 x 10^9 (3.86, truncated)
    assert round((network.params + network.bn_params) / 1e6, 1) == 25.6  # the usual 25.6 M


# --- SqueezeNext widths as table points -----------------------------------------------------

@pytest.mark.parametrize("file, params, accuracy", [
    ("sqnxt23.yaml", 2_339_008, {"top1": 67.18, "top5": 88.17}),    # = sqnxt23_w2.yaml
    ("sqnxt23v5.yaml", 3_194_560, {"top1": 67.44, "top5": 88.20}),  # = sqnxt23v5_w2.yaml
])
def test_sqnxt_width_two_is_a_table_point(file, params, accuracy):
    network = net(file, width=2.0)
    assert network.params == params  # networks.md
    assert network.accuracy == accuracy


# The SqueezeNext paper's two ImageNet tables (read as text in a secondary transcription, see
# sqnxt23.yaml): accuracy, and parameters in millions as the tables round them (with BN).
@pytest.mark.parametrize("file, params, accuracy, millions", [
    ("sqnxt23.yaml", {}, {"top1": 59.05, "top5": 82.60}, 0.72),
    ("sqnxt23.yaml", {"groups": 2}, {"top1": 57.16, "top5": 80.23}, 0.54),  # G-SqNxt-23
    ("sqnxt23_g.yaml", {}, {"top1": 57.16, "top5": 80.23}, 0.54),
    ("sqnxt23.yaml", {"width": 1.5}, {"top1": 63.52, "top5": 85.66}, 1.4),
    ("sqnxt44.yaml", {}, {"top1": 62.64, "top5": 85.15}, 1.2),
    ("sqnxt44.yaml", {"width": 1.5}, {"top1": 67.28, "top5": 88.15}, 2.6),
    ("sqnxt44.yaml", {"width": 2.0}, {"top1": 69.59, "top5": 89.53}, 4.4),
])
def test_sqnxt_table_points_match_the_papers_parameter_counts(file, params, accuracy, millions):
    network = net(file, **params)
    assert network.accuracy == accuracy
    digits = 2 if millions < 1 else 1
    assert round((network.params + network.bn_params) / 1e6, digits) == millions


def test_misspelt_wiring_is_bad_input():
    from hwsim.errors import InputError
    with pytest.raises(InputError, match=r"params.wiring: override 'v6' is not one of v1, v5"):
        net("sqnxt23.yaml", wiring="v6")

# --- ShuffleNet v1 --------------------------------------------------------------------------

SHUFFLENET_STAGE2 = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}  # paper Table 1, output channels


def shufflenet_counts(g, scale=1.0):
    """(params, conv MACs, FC MACs, BN params, shuffled words) by hand at 224x224.

    conv1 3 -> int(24 s) 3x3/2 (112x112), max pool to 56x56; stages of 4, 8, 4 units at
    int(s * f * width_g), f = 1, 2, 4; a unit of width C: 1x1 (groups g, 1 in stage 2's first
    unit) to C/4, shuffle, depthwise 3x3 (stride 2 in a stage's first unit), 1x1 (groups g)
    to C (C - C_in in a first unit, concatenated with a 3x3/2 average pool of the input); no
    bias; FC C -> 1000 without bias.
    """
    stem = int(24 * scale)
    params = 3 * stem * 9
    macs = params * 112 * 112
    bn = 2 * stem
    shuffled = 0
    c_in, size = stem, 56
    for factor, units in ((1, 4), (2, 8), (4, 4)):
        c = int(scale * factor * SHUFFLENET_STAGE2[g])
        mid = c // 4
        for u in range(units):
            first = u == 0
            out_size = size // 2 if first else size
            g1 = 1 if factor == 1 and first else g
            out2 = c - c_in if first else c
            weights = [(mid * (c_in // g1), size), (mid * 9, out_size), (out2 * (mid // g), out_size)]
            for w, s in weights:
                params += w
                macs += w * s * s
            bn += 2 * (mid + mid + out2)
            shuffled += mid * size * size if g > 1 else 0
            c_in, size = c, out_size
    return params + c_in * 1000, macs, c_in * 1000, bn, shuffled


@pytest.mark.parametrize("g, table1_m", [(1, 143), (2, 140), (3, 137), (4, 133), (8, 137)])
def test_shufflenet_reproduces_table_1(g, table1_m):
    network = net("shufflenet_v1.yaml", groups=g)
    params, conv_macs, fc_macs, bn, shuffled = shufflenet_counts(g)
    assert (network.params, network.macs, network.bn_params) == (params, conv_macs + fc_macs, bn)
    shuffles = [layer for layer in network if layer.type == "shuffle"]
    assert len(shuffles) == (16 if g > 1 else 0)  # one per unit; g = 1 needs none
    assert all(s.macs == 0 and s.groups == g for s in shuffles)
    assert sum(s.moved_words for s in shuffles) == shuffled
    # Table 1's complexity row is the convolutions' multiply-adds rounded to millions: with
    # the FC (576K-1.5M MACs) g = 2, 4, 8 would round to 141, 134, 138
    assert round(conv_macs / 1e6) == table1_m


def test_shufflenet_defaults_are_1x_g3():
    network = net("shufflenet_v1.yaml")
    params, conv_macs, fc_macs, bn, _ = shufflenet_counts(3)
    # stage 2: 240 channels, 60 bottleneck; its first unit's 1x1 is not grouped (24 -> 60)
    assert network.layer("stage2/unit1/gconv1").groups == 1
    assert network.layer("stage2/unit2/gconv1").groups == 3
    assert network.layer("stage2/unit1/gconv2").out_channels == 240 - 24
    assert network.layer("stage2/unit1/concat").out_shape.as_list() == [240, 28, 28]
    assert network.layer("stage4/unit4/add").out_shape.as_list() == [960, 7, 7]
    assert network.params == params == 1_840_248
    assert network.macs == conv_macs + fc_macs == 137_460_672
    # the authors' code counts BN's scale and shift too: "1.9M" (1,864,728)
    assert round((network.params + network.bn_params) / 1e6, 1) == 1.9
    assert network.accuracy == {"top1": 100 - 32.6}  # Table 2: 32.6 % top-1 error


@pytest.mark.parametrize("g, scale, error", [
    # Table 2's top-1 errors (%) at the points this file builds as the paper sized them
    (1, 1.0, 33.6), (2, 1.0, 32.7), (4, 1.0, 32.8), (8, 1.0, 32.4), (1, 0.5, 45.1), (3, 0.5, 43.2),
])
def test_shufflenet_accuracy_is_table_2s(g, scale, error):
    assert net("shufflenet_v1.yaml", groups=g, scale=scale).accuracy == \
        {"top1": pytest.approx(100 - error)}
    # the paper's 0.25x is not this file's 0.25x (13 against 10.8 MFLOPs): no accuracy
    assert net("shufflenet_v1.yaml", groups=g if g in (1, 3) else 3, scale=0.25).accuracy == {}


@pytest.mark.parametrize("g, scale, table2_m", [(1, 0.5, 38), (3, 0.5, 38)])
def test_shufflenet_half_width_is_table_2s_38_mflops(g, scale, table2_m):
    network = net("shufflenet_v1.yaml", groups=g, scale=scale)
    params, conv_macs, fc_macs, bn, _ = shufflenet_counts(g, scale)
    assert (network.params, network.macs, network.bn_params) == (params, conv_macs + fc_macs, bn)
    # Table 2 gives one rounded figure per width for every g: 38.23 M (g = 1, convolutions)
    # and 37.11 M (g = 3; 37.59 M with the FC) are within 1 M of it
    assert abs(conv_macs / 1e6 - table2_m) < 1


def test_shufflenet_quarter_width_and_the_unreproduced_13_mflops():
    # int(0.25 * 240) = 60 channels, 15 bottleneck, stem 6: 10.77 M MACs in the convolutions;
    # Table 2's 13 MFLOPs is not reached by scaling every width (the file says so)
    network = net("shufflenet_v1.yaml", scale=0.25)
    params, conv_macs, fc_macs, _, _ = shufflenet_counts(3, 0.25)
    assert (network.params, network.macs) == (params, conv_macs + fc_macs)
    assert round(conv_macs / 1e6, 2) == 10.77


@pytest.mark.parametrize("g, flops_m, params_m, accuracy", [
    # paper Tables 5, 6, 8: 2x (g = 3) 524 MFLOPs, 26.3 % error; megvii-model/ShuffleNet-Series
    # README, 2.0x: 524M / 5.4M (g = 3) and 522M / 6.5M (g = 8), FLOPs with the FC and #Params
    # with BN, and the g = 8 model's 27.1 / 9.2 % top-1 / top-5 error
    (3, 524, 5.4, {"top1": 100 - 26.3}), (8, 522, 6.5, {"top1": 100 - 27.1, "top5": 100 - 9.2}),
])
def test_shufflenet_double_width_is_the_authors_2x(g, flops_m, params_m, accuracy):
    network = net("shufflenet_v1.yaml", groups=g, scale=2.0)
    params, conv_macs, fc_macs, bn, _ = shufflenet_counts(g, 2.0)
    assert (network.params, network.macs, network.bn_params) == (params, conv_macs + fc_macs, bn)
    assert round(network.macs / 1e6) == flops_m
    assert round((network.params + network.bn_params) / 1e6, 1) == params_m
    assert network.accuracy == pytest.approx(accuracy)


def test_shufflenet_groups_the_widths_do_not_divide_are_bad_input():
    from hwsim.errors import InputError
    # 0.5x at g = 4: int(0.5 * 272) = 136 channels, 34 bottleneck: 34 / 4 is not whole
    with pytest.raises(InputError, match="groups=4 does not divide"):
        net("shufflenet_v1.yaml", groups=4, scale=0.5)
    with pytest.raises(InputError, match=r"layers\[0\].kernel: .*got 'groups: 1, 2, 3, 4 or 8'"):
        net("shufflenet_v1.yaml", groups=6)


# --- SqueezeNext 44 blocks ------------------------------------------------------------------

def sqnxt_counts(blocks, width=1.0):
    """(params, MACs) of the SqueezeNext v1 layout by hand at 227x227.

    conv1 64 7x7/2 (111x111), max pool 3x3/2 ceil (55x55); stage k (channels C = int(c_k w),
    c = 32, 64, 128, 256, stride 1, 2, 2, 2): its first block has a strided 1x1 projection
    C_in -> C and a strided squeeze1; a block is 1x1 C_in -> C/2, 1x1 -> C/4, 3x1 and 1x3 ->
    C/2, 1x1 -> C; then conv2 1x1 -> 128 and the FC 128 -> 1000, no bias anywhere.
    """
    params = 3 * 64 * 49
    macs = params * 111 * 111
    c_in, size = 64, 55
    for n, c, stride in zip(blocks, (32, 64, 128, 256), (1, 2, 2, 2)):
        ch = int(c * width)
        for b in range(n):
            s = (size - 1) // stride + 1 if b == 0 else size  # 1x1/2, unpadded
            convs = [c_in * ch // 2, ch // 2 * ch // 4, ch // 4 * ch // 2 * 3,
                     ch // 2 * ch // 2 * 3, ch // 2 * ch]
            if b == 0:
                convs.append(c_in * ch)
            params += sum(convs)
            macs += sum(convs) * s * s
            c_in, size = ch, s
    params += c_in * 128 + 128 * 1000
    macs += c_in * 128 * size * size + 128 * 1000
    return params, macs


def test_sqnxt23_hand_count_is_the_bundled_file():
    # the same arithmetic reproduces the authors' 1.0-SqNxt-23 (README table: 705,728)
    assert sqnxt_counts((6, 6, 8, 1)) == (705_728, 277_999_808) == \
        (net("sqnxt23.yaml").params, net("sqnxt23.yaml").macs)


def test_sqnxt44_at_width_two_is_the_published_deeper_variant():
    # 2.0-SqNxt-44 (blocks 12/12/16/2 from its Caffe definition): 4,384,960 parameters,
    # the SqueezeNext abstract's "4.4 Million parameters"
    wide = net("sqnxt44.yaml", width=2.0)
    assert (wide.params, wide.macs) == sqnxt_counts((12, 12, 16, 2), 2.0)
    assert wide.params == 4_384_960 and round(wide.params / 1e6, 1) == 4.4
    assert len([layer for layer in wide if layer.type == "add"]) == 42
    # the 1.0 width of the same depth (inferred, see the file)
    base = net("sqnxt44.yaml")
    assert (base.params, base.macs) == sqnxt_counts((12, 12, 16, 2)) == (1_217_216, 428_197_568)
    assert base.accuracy == {"top1": 62.64, "top5": 85.15}  # the paper's SqNxt-44
