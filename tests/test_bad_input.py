"""Bad network input through the command line: exit status 2, one message naming the file,
the place (key path or layer) and what is wrong, every problem of a file at once, and no
traceback."""

import textwrap

import pytest

from hwsim.cli.main import main


def run_info(capsys, *argv):
    status = main(["info", *argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def fails(tmp_path, capsys):
    """Write ``text`` to a file, run ``hwsim info`` on it, check the failure is clean and
    that every fragment appears in the message; returns the message."""
    def _fails(text, *fragments, argv=(), name="bad.yaml"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        status, out, err = run_info(capsys, str(path), *argv)
        assert status == 2, err
        assert out == ""
        assert "Traceback" not in err
        assert err.startswith("hwsim: error: ")
        assert str(path) in err
        for fragment in fragments:
            assert fragment in err, (fragment, err)
        return err
    return _fails


def test_missing_file(tmp_path, capsys):
    path = tmp_path / "nowhere.yaml"
    status, out, err = run_info(capsys, str(path))
    assert status == 2 and out == ""
    assert f"{path}: file not found" in err
    assert "Traceback" not in err


def test_directory_instead_of_file(tmp_path, capsys):
    status, _, err = run_info(capsys, str(tmp_path))
    assert status == 2
    assert f"{tmp_path}: is a directory" in err


def test_invalid_yaml_names_line_and_column(fails):
    fails("""
        input: [3, 8, 8]
        layers:
          - {name: a, type: conv
    """, "invalid YAML: line 5, column 1")


def test_empty_file(fails):
    fails("", "expected a mapping with 'input' and 'layers' at the top")


def test_unknown_key_with_suggestion(fails):
    fails("""
        input: [3, 8, 8]
        layers:
          - {name: a, type: conv, out_channels: 8, kernel: 3, strides: 2}
    """, "layers[0].strides: unknown key (did you mean 'stride'?)")


def test_unknown_top_level_key(fails):
    fails("""
        input: [3, 8, 8]
        layer:
          - {name: a, type: conv, out_channels: 8, kernel: 3}
    """, "layer: unknown key (did you mean 'layers'?)", "layers: missing required key")


def test_missing_required_fields(fails):
    fails("""
        layers:
          - {name: a, type: conv, out_channels: 8}
          - {type: relu}
    """, "input: missing required key", "layers[0].kernel: missing required key",
        "layers[1].name: missing required key")


def test_empty_layer_entry_is_reported(fails):
    fails("""
        input: [3, 8, 8]
        layers:
          - {}
          - {name: a, type: conv, out_channels: 8, kernel: 1}
    """, "layers[0].name: missing required key")


def test_wrong_types(fails):
    fails("""
        input: [3, 8, 8]
        layers:
          - {name: a, type: conv, out_channels: eight, kernel: three, bias: yes please}
    """, "layers[0].out_channels: expected an integer, got the string 'eight'",
        "layers[0].kernel: expected a positive integer or [height, width], got 'three'",
        "layers[0].bias: expected true or false, got the string 'yes please'")


def test_wrong_input_type(fails):
    fails("""
        input: 224
        layers:
          - {name: a, type: conv, out_channels: 8, kernel: 1}
    """, "input: expected [channels, height, width], got 224")


def test_non_positive_sizes(fails):
    fails("""
        input: [3, 0, 8]
        layers:
          - {name: a, type: conv, out_channels: -4, kernel: 0, stride: 0}
    """, "input[1]: must be positive, got 0", "layers[0].out_channels: must be positive, got -4",
        "layers[0].kernel: expected a positive integer", "layers[0].stride: expected a positive integer")


def test_negative_padding_and_bad_choices(fails):
    fails("""
        input: [3, 8, 8]
        layers:
          - {name: a, type: conv, out_channels: 8, kernel: 1, padding: -1}
          - {name: p, type: maxpool, kernel: 2, rounding: up, activation: relu7}
    """, "layers[0].padding: expected a non-negative integer",
        "layers[1].rounding: expected 'ceil' or 'floor', got 'up'",
        "layers[1].activation: expected one of", "(did you mean 'relu'?)")


def test_unknown_layer_type(fails):
    fails("""
        input: [3, 8, 8]
        layers:
          - {name: a, type: convolution, out_channels: 8, kernel: 1}
    """, "layers[0].type: unknown layer type 'convolution' (did you mean 'conv'?)")


def test_unknown_block(fails):
    fails("""
        input: [3, 8, 8]
        blocks:
          fire: {layers: [{name: s, type: conv, out_channels: 2, kernel: 1}]}
        layers:
          - {name: a, block: fier}
    """, "layers[0].block: unknown block 'fier' (did you mean 'fire'?)")


def test_block_arguments(fails):
    fails("""
        input: [3, 8, 8]
        blocks:
          unit:
            params: [width]
            layers:
              - {name: c, type: conv, out_channels: "${widht * 2}", kernel: 1}
        layers:
          - {name: u, block: unit, args: {width: 4, depth: 2}}
          - {name: v, block: unit}
    """, "layers[0].args.depth: block 'unit' has no parameter 'depth' (did you mean 'width'?)",
        "blocks.unit.layers[0].out_channels (in u): unknown name 'widht'",
        "layers[1].args: block 'unit' needs parameter 'width'")


def test_expressions_outside_the_allowed_subset(fails):
    fails("""
        input: [3, 8, 8]
        layers:
          - {name: a, type: conv, out_channels: "${__import__('os')}", kernel: 1}
          - {name: b, type: conv, out_channels: "${8 +}", kernel: 1}
    """, "layers[0].out_channels: '__import__('os')' is not allowed in an expression",
        "layers[1].out_channels: invalid expression '8 +'")


def test_reference_to_a_layer_that_does_not_exist(fails):
    fails("""
        input: [3, 8, 8]
        layers:
          - {name: conv1, type: conv, out_channels: 8, kernel: 1}
          - {name: b, type: conv, out_channels: 8, kernel: 1, inputs: conv2}
    """, "layers[1].inputs: input 'conv2' is not a layer of this network (did you mean 'conv1'?)")


def test_duplicate_layer_name(fails):
    fails("""
        input: [3, 8, 8]
        layers:
          - {name: a, type: conv, out_channels: 8, kernel: 1}
          - {name: a, type: conv, out_channels: 8, kernel: 1}
    """, "layers[1].name: layer name 'a' is used more than once")


def test_cycle_in_the_inputs(fails):
    fails("""
        input: [3, 8, 8]
        layers:
          - {name: a, type: conv, out_channels: 8, kernel: 1, inputs: c}
          - {name: b, type: conv, out_channels: 8, kernel: 1}
          - {name: c, type: conv, out_channels: 8, kernel: 1}
    """, "cycle in the inputs: a -> c -> b -> a")


def test_concat_of_different_spatial_sizes(fails):
    fails("""
        input: [3, 8, 8]
        layers:
          - {name: a, type: conv, out_channels: 8, kernel: 1}
          - {name: b, type: conv, out_channels: 8, kernel: 3, inputs: input}
          - {name: c, type: concat, inputs: [a, b]}
    """, "layer 'c' (layers[2]): concat of different spatial sizes: 'a' 8x8x8, 'b' 8x6x6")


def test_add_of_different_shapes(fails):
    fails("""
        input: [3, 8, 8]
        layers:
          - {name: a, type: conv, out_channels: 8, kernel: 1}
          - {name: b, type: conv, out_channels: 4, kernel: 1, inputs: input}
          - {name: c, type: add, inputs: [a, b]}
    """, "layer 'c' (layers[2]): add of different shapes: 'a' 8x8x8, 'b' 4x8x8")


def test_shape_mismatch_inside_a_block_names_the_instance(fails):
    fails("""
        input: [3, 8, 8]
        blocks:
          unit:
            params: [w]
            layers:
              - {name: a, type: conv, out_channels: $w, kernel: 1}
              - {name: s, type: add, inputs: [a, input]}
        layers:
          - {name: u1, block: unit, args: {w: 3}}
          - {name: u2, block: unit, args: {w: 5}}
    """, "layer 'u2/s'", "add of different shapes: 'u2/a' 5x8x8, 'u1/s' 3x8x8")


def test_groups_that_do_not_divide_the_channels(fails):
    fails("""
        input: [3, 8, 8]
        layers:
          - {name: a, type: conv, out_channels: 8, kernel: 1, groups: 2}
    """, "layer 'a' (layers[0]): groups=2 does not divide the input channels (3")


def test_kernel_larger_than_its_padded_input(fails):
    fails("""
        input: [3, 8, 8]
        layers:
          - {name: a, type: conv, out_channels: 8, kernel: 9, padding: 0}
          - {name: p, type: maxpool, kernel: 11, padding: 1, inputs: input}
    """, "layer 'a' (layers[0]): kernel 9x9 is larger than its padded input 3x8x8",
        "layer 'p' (layers[1]): kernel 11x11 is larger than its padded input 3x8x8")


def test_several_problems_are_reported_together(fails):
    err = fails("""
        input: [3, 8, 8]
        layers:
          - {name: a, type: conv, out_channels: 8, kernel: 1, strides: 2}
          - {name: b, type: maxpool}
          - {name: c, type: fc, out_channels: ten}
    """, "3 problems:", "layers[0].strides: unknown key",
        "layers[1].kernel: missing required key (or 'global: true')",
        "layers[2].out_channels: expected an integer, got the string 'ten'")
    assert err.count("bad.yaml") == 3  # each problem names the file


@pytest.mark.parametrize("size, fragment", [
    ("abc", "input size 'abc': expected N or HxW"),
    ("1x2x3", "input size '1x2x3': expected N or HxW"),
    ("0", "input size '0': must be positive"),
    ("224x-1", "input size '224x-1': must be positive"),
])
def test_bad_input_size(fails, size, fragment):
    fails("""
        input: [3, 8, 8]
        layers:
          - {name: a, type: conv, out_channels: 8, kernel: 1}
    """, fragment, argv=("--input-size", size))


def test_input_size_too_small_for_the_network(fails):
    fails("""
        input: [3, 32, 32]
        layers:
          - {name: a, type: conv, out_channels: 8, kernel: 7, stride: 2}
    """, "layer 'a' (layers[0]): kernel 7x7 is larger than its padded input 3x5x5",
        argv=("--input-size", "5"))


def test_regression_huge_repeat_fails_fast_instead_of_exhausting_memory(fails):
    fails("""
        input: [3, 8, 8]
        params: {n: 100000000}
        blocks:
          b: {layers: [{name: x, type: relu}]}
        layers:
          - {name: a, block: b, repeat: $n}
    """, "layers[0].repeat: 100000000 repeats is more than the 10,000 allowed")


def test_regression_nested_repeats_stop_at_the_layer_cap(fails):
    # 10,000 x 10,000 layers would take hours and gigabytes; the cap stops expansion early.
    fails("""
        input: [3, 8, 8]
        blocks:
          b: {layers: [{name: x, type: relu}]}
          s: {params: [m], layers: [{name: blk, block: b, repeat: $m}]}
        layers:
          - {name: st, block: s, repeat: 10000, args: {m: 10000}}
    """, "the network has more than 10,000 layers")  # MAX_LAYERS (issue 15: 100,000 took minutes)


def test_regression_huge_power_is_an_error_not_a_hang(fails):
    fails("""
        input: [3, 8, 8]
        layers:
          - {name: c, type: conv, out_channels: "${10**10**10}", kernel: 1}
    """, "layers[0].out_channels: 10 ** 10000000000 is too large")


def test_regression_infinite_parameter_in_an_expression(fails):
    fails("""
        input: [3, 8, 8]
        params: {w: .inf}
        layers:
          - {name: c, type: conv, out_channels: "${int(w)}", kernel: 1}
    """, "layers[0].out_channels: cannot evaluate", "infinity")


def test_regression_non_finite_input_size(fails):
    fails("""
        input: [3, .nan, 8]
        layers:
          - {name: r, type: relu}
    """, "input[1]: expected a finite number, got nan")
