"""The network YAML format: blocks, repeat, expressions, ``if``, branches, padding,
rounding, global pooling and metadata (hwsim/config/network_file.py, README "Writing a
network"). Small hand-made networks; expected shapes and counts worked out by hand."""

import textwrap

import pytest

from hwsim.inputs import load_network


@pytest.fixture
def load(tmp_path):
    def _load(text, name="net.yaml", input_size=None):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return load_network(path, input_size=input_size)
    return _load


def names(network):
    return [layer.name for layer in network]


# --- top level ---------------------------------------------------------------------------

def test_metadata(load):
    network = load("""
        name: Tiny
        description: >
          two lines
          folded
        source: somewhere
        input: [3, 32, 32]
        accuracy: {top1: 50.5, top5: 75}
        layers:
          - {name: c, type: conv, out_channels: 8, kernel: 3}
    """)
    assert network.name == "Tiny"
    assert network.description == "two lines folded"
    assert network.source == "somewhere"
    assert network.accuracy == {"top1": 50.5, "top5": 75}
    assert network.input_shape.as_list() == [3, 32, 32]


def test_name_defaults_to_the_file_stem_and_input_may_be_a_mapping(load):
    network = load("""
        input: {channels: 1, height: 28, width: 20}
        layers:
          - {name: c, type: conv, out_channels: 4, kernel: 5}
    """, name="lenetish.yaml")
    assert network.name == "lenetish"
    assert network.layer("c").out_shape.as_list() == [4, 28 - 5 + 1, 20 - 5 + 1]


def test_layers_chain_unless_inputs_are_named(load):
    network = load("""
        input: [3, 16, 16]
        layers:
          - {name: a, type: conv, out_channels: 8, kernel: 1}
          - {name: b, type: conv, out_channels: 4, kernel: 1}
          - {name: c, type: conv, out_channels: 2, kernel: 1, inputs: a}
          - {name: d, type: conv, out_channels: 6, kernel: 1, inputs: input}
    """)
    assert network.layer("b").inputs == ("a",)
    assert network.layer("c").inputs == ("a",)
    assert network.layer("c").in_shape.channels == 8
    assert network.layer("d").inputs == ("input",)
    assert network.layer("d").in_shape.channels == 3


def test_branches_concat_and_add(load):
    network = load("""
        input: [8, 10, 10]
        layers:
          - {name: left, type: conv, out_channels: 4, kernel: 1}
          - {name: right, type: conv, out_channels: 12, kernel: 3, padding: 1, inputs: input}
          - {name: cat, type: concat, inputs: [left, right]}
          - {name: proj, type: conv, out_channels: 16, kernel: 1, inputs: input}
          - {name: sum, type: add, inputs: [cat, proj], activation: relu}
    """)
    assert network.layer("cat").out_shape.as_list() == [4 + 12, 10, 10]
    assert network.layer("sum").out_shape.as_list() == [16, 10, 10]
    assert network.layer("sum").activation == "relu"


def test_top_level_params_are_expression_variables(load):
    network = load("""
        input: [3, 8, 8]
        params: {width: 16, k: 3}
        layers:
          - {name: c, type: conv, out_channels: "${width * 2}", kernel: $k, padding: "${k // 2}"}
    """)
    layer = network.layer("c")
    assert layer.out_channels == 16 * 2
    assert layer.kernel == (3, 3) and layer.padding == (1, 1, 1, 1)


# --- layer types and keys ----------------------------------------------------------------

@pytest.mark.parametrize("padding, expected_pads, expected_size", [
    (2, (2, 2, 2, 2), (9 + 4 - 3) // 2 + 1),
    ([1, 0], (1, 1, 0, 0), None),
    ([0, 1, 2, 3], (0, 1, 2, 3), None),
    ("valid", (0, 0, 0, 0), (9 - 3) // 2 + 1),
    ("same", (1, 1, 1, 1), -(-9 // 2)),      # out 5: total (5-1)*2 + 3 - 9 = 2
])
def test_padding_forms(load, padding, expected_pads, expected_size):
    network = load(f"""
        input: [1, 9, 9]
        layers:
          - {{name: c, type: conv, out_channels: 1, kernel: 3, stride: 2, padding: {padding!r}}}
    """.replace("'", '"'))
    layer = network.layer("c")
    assert layer.padding == expected_pads
    top, bottom, left, right = expected_pads
    assert layer.out_shape.height == (9 + top + bottom - 3) // 2 + 1
    assert layer.out_shape.width == (9 + left + right - 3) // 2 + 1
    if expected_size is not None:
        assert layer.out_shape.height == expected_size


def test_same_padding_is_asymmetric_when_needed(load):
    network = load("""
        input: [1, 8, 8]
        layers:
          - {name: c, type: conv, out_channels: 1, kernel: 3, stride: 2, padding: same}
    """)
    # out ceil(8/2) = 4: total (4-1)*2 + 3 - 8 = 1 -> 0 before, 1 after
    assert network.layer("c").padding == (0, 1, 0, 1)
    assert network.layer("c").out_shape.height == 4


def test_rectangular_kernels_and_strides(load):
    network = load("""
        input: [2, 12, 12]
        layers:
          - {name: c, type: conv, out_channels: 2, kernel: [3, 1], stride: [1, 2], padding: [1, 0]}
    """)
    layer = network.layer("c")
    assert layer.kernel == (3, 1) and layer.stride == (1, 2)
    assert layer.out_shape.as_list() == [2, 12, (12 - 1) // 2 + 1]


def test_pool_rounding_ceil_is_the_default_and_floor_is_available(load):
    network = load("""
        input: [4, 112, 112]
        layers:
          - {name: ceil, type: maxpool, kernel: 3, stride: 2}
          - {name: floor, type: maxpool, kernel: 3, stride: 2, rounding: floor, inputs: input}
    """)
    assert network.layer("ceil").out_shape.height == -(-(112 - 3) // 2) + 1   # 56
    assert network.layer("floor").out_shape.height == (112 - 3) // 2 + 1      # 55


def test_global_pooling(load):
    network = load("""
        input: [3, 8, 8]
        layers:
          - {name: c, type: conv, out_channels: 10, kernel: 3}
          - {name: gap, type: global_avgpool}
          - {name: gmp, type: maxpool, global: true, inputs: c}
    """)
    for name in ("gap", "gmp"):
        layer = network.layer(name)
        assert layer.is_global
        assert layer.kernel == (6, 6)
        assert layer.out_shape.as_list() == [10, 1, 1]
    assert network.layer("gap").type == "avgpool"
    assert network.layer("gmp").type == "maxpool"


def test_aliases_and_shorthands(load):
    network = load("""
        input: [16, 8, 8]
        layers:
          - {name: dw, type: depthwise, out_channels: 16, kernel: 3, padding: 1}
          - {name: pw, type: conv, out_channels: 32, kernel: 1, relu: true, bn: true}
          - {name: r6, type: relu6}
          - {name: norm, type: batchnorm}
          - {name: fc, type: dense, out_features: 10, bias: true}
    """)
    assert network.layer("dw").groups == 16 and network.layer("dw").is_depthwise
    assert network.layer("pw").activation == "relu" and network.layer("pw").bn
    assert network.layer("pw").bn_params == 2 * 32
    assert network.layer("norm").type == "bn" and network.layer("norm").bn_params == 2 * 32
    assert network.layer("fc").type == "fc"
    assert network.layer("fc").params == 32 * 8 * 8 * 10 + 10


def test_activation_none(load):
    network = load("""
        input: [3, 4, 4]
        layers:
          - {name: c, type: conv, out_channels: 2, kernel: 1, activation: none}
    """)
    assert network.layer("c").activation is None


# --- blocks ------------------------------------------------------------------------------

FIRE = """
    input: [3, 32, 32]
    blocks:
      fire:
        params: [squeeze, expand]
        layers:
          - {name: squeeze, type: conv, out_channels: $squeeze, kernel: 1}
          - {name: e1, type: conv, out_channels: $expand, kernel: 1, inputs: squeeze}
          - {name: e3, type: conv, out_channels: $expand, kernel: 3, padding: 1, inputs: squeeze}
          - {name: concat, type: concat, inputs: [e1, e3]}
    layers:
      - {name: conv1, type: conv, out_channels: 16, kernel: 3, padding: 1}
      - {name: fire2, block: fire, args: {squeeze: 4, expand: 8}}
      - {name: fire3, block: fire, args: {squeeze: 8, expand: 16}}
      - {name: head, type: conv, out_channels: 10, kernel: 1}
"""


def test_block_instances_expand_with_hierarchical_names(load):
    network = load(FIRE)
    assert names(network)[:5] == ["conv1", "fire2/squeeze", "fire2/e1", "fire2/e3", "fire2/concat"]
    assert network.layer("fire2/squeeze").inputs == ("conv1",)
    assert network.layer("fire2/concat").out_shape.channels == 8 + 8
    assert network.layer("fire3/squeeze").inputs == ("fire2/concat",)   # the block's output
    assert network.layer("fire3/squeeze").in_shape.channels == 16
    assert network.layer("head").inputs == ("fire3/concat",)
    assert network.layer("head").in_shape.channels == 16 + 16


def test_a_layer_may_name_a_block_instance_or_a_layer_inside_it(load):
    network = load(FIRE + """
      - {name: tap, type: conv, out_channels: 2, kernel: 1, inputs: fire2}
      - {name: deep, type: conv, out_channels: 2, kernel: 1, inputs: fire3/squeeze}
    """)
    assert network.layer("tap").inputs == ("fire2/concat",)
    assert network.layer("deep").inputs == ("fire3/squeeze",)


def test_block_param_defaults_and_explicit_output(load):
    network = load("""
        input: [4, 8, 8]
        blocks:
          residual:
            params: {width: 4, stride: 1}
            output: sum
            layers:
              - {name: a, type: conv, out_channels: $width, kernel: 3, padding: 1, stride: $stride}
              - {name: sum, type: add, inputs: [a, short]}
              - {name: short, type: conv, out_channels: $width, kernel: 1, stride: $stride, inputs: input}
        layers:
          - {name: r1, block: residual}
          - {name: r2, block: residual, args: {width: 8, stride: 2}}
    """)
    assert network.layer("r1/a").out_shape.as_list() == [4, 8, 8]
    # r2 reads r1's declared output (sum), not its last-written layer (short)
    assert network.layer("r2/a").inputs == ("r1/sum",)
    assert network.layer("r2/sum").out_shape.as_list() == [8, 4, 4]


def test_repeat_names_index_and_chaining(load):
    network = load("""
        input: [8, 16, 16]
        blocks:
          unit:
            params: [width]
            layers:
              - {name: conv, type: conv, out_channels: $width, kernel: 1}
        layers:
          - {name: u, block: unit, repeat: 3, args: {width: "${8 * (index + 1)}"}}
          - {name: after, type: conv, out_channels: 2, kernel: 1, inputs: u2}
    """)
    assert [n for n in names(network) if n.startswith("u")] == ["u1/conv", "u2/conv", "u3/conv"]
    assert [network.layer(f"u{i}/conv").out_channels for i in (1, 2, 3)] == [8, 16, 24]
    assert network.layer("u2/conv").inputs == ("u1/conv",)
    assert network.layer("after").inputs == ("u2/conv",)


def test_repeat_zero_passes_the_input_through(load):
    network = load("""
        input: [8, 16, 16]
        blocks:
          unit:
            layers:
              - {name: conv, type: conv, out_channels: 4, kernel: 1}
        layers:
          - {name: first, type: conv, out_channels: 6, kernel: 1}
          - {name: u, block: unit, repeat: "${2 - 2}"}
          - {name: last, type: conv, out_channels: 2, kernel: 1}
    """)
    assert names(network) == ["first", "last"]
    assert network.layer("last").inputs == ("first",)


def test_instance_counts_a_blocks_uses_over_the_whole_network(load):
    network = load("""
        input: [4, 8, 8]
        blocks:
          unit:
            layers:
              - {name: conv, type: conv, out_channels: "${instance * 2}", kernel: 1}
          stage:
            params: [n]
            layers:
              - {name: block, block: unit, repeat: $n}
        layers:
          - {name: stage1, block: stage, args: {n: 2}}
          - {name: stage2, block: stage, args: {n: 3}}
    """)
    convs = [layer for layer in network if layer.name.endswith("/conv")]
    assert [layer.name for layer in convs] == [
        "stage1/block1/conv", "stage1/block2/conv",
        "stage2/block1/conv", "stage2/block2/conv", "stage2/block3/conv"]
    assert [layer.out_channels for layer in convs] == [2, 4, 6, 8, 10]


def test_if_keeps_or_drops_layers_and_block_instances(load):
    network = load("""
        input: [4, 8, 8]
        params: {deep: false}
        blocks:
          unit:
            params: {project: false}
            layers:
              - {name: proj, if: $project, type: conv, out_channels: 8, kernel: 1}
              - {name: conv, type: conv, out_channels: 8, kernel: 1, inputs: "${'input' if not project else 'proj'}"}
        layers:
          - {name: a, block: unit, args: {project: true}}
          - {name: b, block: unit}
          - {name: extra, if: $deep, block: unit}
          - {name: tail, if: "${not deep}", type: conv, out_channels: 3, kernel: 1}
    """)
    assert names(network) == ["a/proj", "a/conv", "b/conv", "tail"]
    assert network.layer("a/conv").inputs == ("a/proj",)
    assert network.layer("b/conv").inputs == ("a/conv",)


def test_expression_forms(load):
    network = load("""
        input: [3, 16, 16]
        params: {c: 12, odd: true}
        layers:
          - name: c
            type: conv
            out_channels: "${c / 4}"                          # integral division -> int 3
            kernel: "${[3, 1] if odd else [1, 3]}"
            padding: "${[max(1, 0), min(0, 5)]}"
            stride: "${ceil(3 / 2)}"
    """)
    layer = network.layer("c")
    assert layer.out_channels == 3 and isinstance(layer.out_channels, int)
    assert layer.kernel == (3, 1) and layer.padding == (1, 1, 0, 0) and layer.stride == (2, 2)


def test_input_size_override(load):
    text = """
        input: [3, 32, 32]
        layers:
          - {name: c, type: conv, out_channels: 4, kernel: 3, stride: 2}
    """
    assert load(text, input_size=17).layer("c").out_shape.as_list() == [4, 8, 8]
    assert load(text, input_size="17x33").layer("c").out_shape.as_list() == [4, 8, 16]
    assert load(text, input_size=(9, 5)).input_shape.as_list() == [3, 9, 5]


def test_regression_block_instance_without_args_was_silently_dropped(load):
    # An instance with no `args` used to vanish (an empty mapping was taken for a bad one),
    # leaving "the network has no layers" or a network missing blocks.
    network = load("""
        input: [4, 8, 8]
        blocks:
          unit:
            layers:
              - {name: conv, type: conv, out_channels: 4, kernel: 1}
        layers:
          - {name: a, block: unit}
          - {name: b, block: unit, args: {}}
    """)
    assert names(network) == ["a/conv", "b/conv"]


def test_readme_fire_example_loads(load):
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Writing a network", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    network = load("input: [3, 227, 227]\n" + example)
    # conv1 (227-7)//2+1 = 111, pool ceil((111-3)/2)+1 = 55; fire3 concatenates 64 + 64
    assert network.layer("fire3/concat").out_shape.as_list() == [64 + 64, 55, 55]
    assert network.layer("fire2/squeeze1x1").params == 16 * 96 + 16
