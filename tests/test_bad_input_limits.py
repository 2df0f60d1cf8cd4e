"""Issue 15: every bad input fails cleanly (exit 2, file and place named, no traceback), a
typo never silently changes what is simulated, and a small file cannot exhaust the machine.
One test per class of the issue, each with its minimal input written inline."""

from __future__ import annotations

import os
import textwrap
import time
from pathlib import Path

import pytest

from hwsim.cli.main import main
from hwsim.config import yamlio
from hwsim.config.blocks import MAX_LAYERS
from hwsim.config.network_file import read_network_file

NET = """\
input: [3, 8, 8]
layers:
  - {name: a, type: conv, out_channels: 8, kernel: 3}
"""
ACCEL = """\
pe_array: {rows: 4, cols: 4}
"""


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text))
    return path


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def assert_clean_failure(status: int, out: str, err: str, *fragments: str) -> None:
    assert status == 2, err
    assert out == ""
    assert "Traceback" not in err and err.startswith("hwsim: error: ")
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def info_fails(tmp_path, capsys, text: str, *fragments: str, name: str = "bad.yaml",
               blamed: Path | None = None) -> str:
    """``hwsim info`` on ``text`` fails cleanly naming ``blamed`` (default: the file)."""
    path = write(tmp_path / name, text)
    status, out, err = cli(capsys, "info", str(path))
    assert_clean_failure(status, out, err, str(blamed or path), *fragments)
    return err


def run_fails(tmp_path, capsys, accel_text: str, *fragments: str,
              blamed: Path | None = None) -> str:
    net = write(tmp_path / "net.yaml", NET)
    accel = write(tmp_path / "acc.yaml", accel_text)
    status, out, err = cli(capsys, "run", str(net), "--accel", str(accel))
    assert_clean_failure(status, out, err, str(blamed or accel), *fragments)
    return err


# --- 1. accepted although wrong -----------------------------------------------------------

def test_duplicate_key_in_a_network_is_an_error_naming_both_lines(tmp_path, capsys):
    info_fails(tmp_path, capsys, """\
        input: [3, 8, 8]
        layers:
          - name: a
            type: conv
            out_channels: 8
            kernel: 3
            kernel: 7
        """, "line 7, column 5: key 'kernel' is written twice in this mapping "
             "(first at line 6, column 5)")


def test_duplicate_key_in_an_accelerator_is_an_error(tmp_path, capsys):
    run_fails(tmp_path, capsys, "clock_mhz: 1000\npe_array: {rows: 4}\nclock_mhz: 500\n",
              "line 3, column 1: key 'clock_mhz' is written twice")


def test_duplicate_key_in_a_sweep_is_an_error(tmp_path, capsys):
    spec = write(tmp_path / "s.yaml", "accelerator: a.yaml\naccelerator: b.yaml\n"
                                      "networks: [n.yaml]\naxes: []\n")
    status, out, err = cli(capsys, "sweep", str(spec), "--out", str(tmp_path / "r.csv"))
    assert_clean_failure(status, out, err, str(spec), "key 'accelerator' is written twice")


def test_unused_param_of_a_variant_is_named_with_the_closest_one(tmp_path, capsys):
    # the example: 'stage3_blockz' left the base's 'stage3_blocks' at its default
    write(tmp_path / "base.yaml", """\
        input: [3, 8, 8]
        params: {stage3_blocks: 2}
        blocks:
          b: {layers: [{name: r, type: relu}]}
        layers:
          - {name: s, block: b, repeat: $stage3_blocks}
        """)
    info_fails(tmp_path, capsys, "base: base.yaml\nparams: {stage3_blockz: 14}\n",
               "params.stage3_blockz: not used by any expression of the network "
               "(did you mean 'stage3_blocks'?)", name="variant.yaml")


def test_a_typo_in_a_base_file_is_named_in_the_base(tmp_path, capsys):
    base = write(tmp_path / "base.yaml", NET + "layrs: []\n")
    err = info_fails(tmp_path, capsys, "base: base.yaml\n", name="variant.yaml", blamed=base)
    assert f"{base}: layrs: unknown key (did you mean 'layers'?)" in err


@pytest.mark.parametrize("value", ["'false'", "'no'", "null", "[]", "0", "'${1}'"])
def test_if_takes_only_a_boolean(tmp_path, capsys, value):
    info_fails(tmp_path, capsys, f"""\
        input: [3, 8, 8]
        layers:
          - {{name: a, type: conv, out_channels: 8, kernel: 3, if: {value}}}
          - {{name: b, type: relu}}
        """, "layers[0].if: expected true or false (or an expression giving one)")


def test_if_with_a_boolean_expression_still_works(tmp_path):
    path = write(tmp_path / "ok.yaml", """\
        input: [3, 8, 8]
        params: {deep: 2}
        layers:
          - {name: a, type: conv, out_channels: 8, kernel: 3, if: "${deep > 1}"}
          - {name: b, type: relu, if: false}
          - {name: c, type: relu, if: "${deep > 2}"}
        """)
    assert [layer.name for layer in read_network_file(path).layers] == ["a"]  # 2 > 1 only


@pytest.mark.parametrize("text", ["", "# only a comment\n\n# and another\n"])
def test_an_empty_accelerator_file_is_rejected(tmp_path, capsys, text):
    run_fails(tmp_path, capsys, text, "the file is empty (or only comments)")


def test_dev_null_as_an_accelerator_is_rejected(tmp_path, capsys):
    net = write(tmp_path / "net.yaml", NET)
    status, out, err = cli(capsys, "run", str(net), "--accel", os.devnull)
    assert_clean_failure(status, out, err, os.devnull, "not a regular file")


@pytest.mark.parametrize("text, fragment", [
    ("pe_array: {rows: 1.0e+300}", "pe_array.rows: must be at most 4,096, got 1e+300 "
                                   "(range: 1 to 4,096)"),
    ("clock_mhz: 1.0e-300", "clock_mhz: must be at least 1, got 1e-300 (range: 1 to 100,000)"),
    ("layer_setup_cycles: 1.0e+30", "layer_setup_cycles: must be at most 1,000,000,000"),
    ("buffer: {global_kib: 1.0e+12}", "buffer.global_kib: must be at most 1,048,576"),
    ("dram: {bandwidth_gb_per_s: 1.0e-9}", "dram.bandwidth_gb_per_s: must be at least 0.001"),
    ("energy: {dram_word: 1.0e+40}", "energy.dram_word: must be at most 1,000,000,000"),
    ("data_width_bits: 4096", "data_width_bits: must be at most 64, got 4096 (range: 8 to 64)"),
])
def test_absurd_accelerator_magnitudes_are_rejected_with_the_range(tmp_path, capsys, text,
                                                                  fragment):
    run_fails(tmp_path, capsys, text + "\n", fragment)


@pytest.mark.parametrize("attr, fragment", [
    ("out_channels: 1.0e+20", "out_channels: must be at most 1,048,576, got 1e+20 "
                              "(range: 1 to 1,048,576)"),
    ("kernel: 100000", "kernel: expected a positive integer or [height, width], got 100000 "
                       "(range: 1 to 1,024)"),
    ("stride: [1, 0]", "stride: expected a positive integer or [height, width], got [1, 0]"),
    ("padding: 5000", "padding: expected a non-negative integer"),
])
def test_absurd_layer_magnitudes_are_rejected_with_the_range(tmp_path, capsys, attr, fragment):
    info_fails(tmp_path, capsys, f"""\
        input: [3, 8, 8]
        layers:
          - {{name: a, type: conv, out_channels: 8, kernel: 3}}
          - {{name: b, type: conv, out_channels: 8, kernel: 1, {attr}}}
        """.replace("out_channels: 8, kernel: 1, out_channels", "kernel: 1, out_channels")
        .replace("kernel: 1, kernel", "kernel"), "layers[1]." + fragment)


def test_absurd_input_size_is_rejected(tmp_path, capsys):
    info_fails(tmp_path, capsys, "input: [3, 100000, 8]\nlayers: [{name: a, type: relu}]\n",
               "input[1]: must be at most 65,536, got 100000 (range: 1 to 65,536)")


# --- 2. tracebacks instead of a clean exit 2 -------------------------------------------------

@pytest.mark.parametrize("layer, fragment", [
    ("{name: a, type: conv, out_channels: 8, kernel: 3, activation: [relu]}",
     "layers[0].activation: expected one of hardsigmoid, hardswish, leaky, relu, relu6, sigmoid, "
     "swish or none, got a list"),
    ("{name: a, type: [conv], out_channels: 8, kernel: 3}",
     "layers[0].type: expected a layer type such as conv, got a list"),
    ("{name: a, type: conv, out_channels: 8, kernel: 3, dilation: 9}",
     "kernel 3x3 (dilation 9x9: 19x19 pixels) is larger than its padded input 3x8x8"),
])
def test_wrong_types_and_shapes_are_clean_errors(tmp_path, capsys, layer, fragment):
    info_fails(tmp_path, capsys, f"input: [3, 8, 8]\nlayers:\n  - {layer}\n", fragment)


def test_block_params_that_is_a_string_is_a_clean_error(tmp_path, capsys):
    info_fails(tmp_path, capsys, """\
        input: [3, 8, 8]
        blocks:
          b: {params: width, layers: [{name: c, type: relu}]}
        layers:
          - {name: a, block: b}
        """, "blocks.b.params: expected a list of names or a mapping of name: default")


def test_a_null_block_argument_is_a_clean_error(tmp_path, capsys):
    info_fails(tmp_path, capsys, """\
        input: [3, 8, 8]
        blocks:
          b: {params: [ch], layers: [{name: c, type: conv, out_channels: $ch, kernel: 3}]}
        layers:
          - {name: a, block: b, args: {ch: null}}
        """, "blocks.b.layers[0].out_channels (in a): expected an integer, got nothing (null)")


@pytest.mark.parametrize("text", ["[" * 5000 + "]" * 5000, "{a: " * 3000 + "1" + "}" * 3000])
def test_deeply_nested_yaml_or_json_is_a_clean_error(tmp_path, capsys, text):
    info_fails(tmp_path, capsys, text + "\n",
               f"nested more than {yamlio.MAX_NESTING} levels deep")


# --- 3. small inputs that exhaust memory or time ------------------------------------------

@pytest.mark.parametrize("expression, fragment", [
    ("${'a' * 10**9}", "a string repeated 1,000,000,000 times would be too large"),
    ("${[0] * 10**9}", "a list repeated 1,000,000,000 times would be too large"),
    ("${[[0] * 9000] * 9000}", "a list repeated 9,000 times would be too large"),
    ("${'%0999999999d' % 1}", "string formatting ('...' % value) is not allowed"),
])
def test_expression_bombs_are_refused_before_they_are_built(tmp_path, capsys, expression,
                                                           fragment):
    started = time.perf_counter()
    info_fails(tmp_path, capsys, f"""\
        input: [3, 8, 8]
        layers:
          - {{name: a, type: conv, out_channels: "{expression}", kernel: 3}}
        """, "layers[0].out_channels: " + fragment)
    assert time.perf_counter() - started < 5  # built, 'a' * 10**9 alone takes seconds


def test_billion_laughs_is_refused(tmp_path, capsys):
    # 9 levels of 9 aliases: 9**9 = 387,420,489 strings from about 500 bytes
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    started = time.perf_counter()
    info_fails(tmp_path, capsys, "\n".join(lines) + "\n",
               f"its aliases (*name) expand to more than {yamlio.MAX_EXPANDED_NODES:,} values")
    assert time.perf_counter() - started < 10


def test_base_naming_a_device_or_fifo_is_refused(tmp_path, capsys):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    info_fails(tmp_path, capsys, f"base: {fifo}\n", f"base: {fifo} is not a regular file",
               name="v1.yaml")
    info_fails(tmp_path, capsys, "base: /dev/zero\n", "base: /dev/zero is not a regular file",
               name="v2.yaml")


def test_a_fifo_named_as_the_network_is_refused_without_reading(tmp_path, capsys):
    fifo = tmp_path / "net.yaml"
    os.mkfifo(fifo)  # reading it would block forever: nobody writes into it
    status, out, err = cli(capsys, "info", str(fifo))
    assert_clean_failure(status, out, err, str(fifo), "is not a regular file")


def test_a_file_above_the_size_limit_is_refused(tmp_path, capsys):
    big = tmp_path / "big.yaml"
    big.write_text("# padding\n" * (yamlio.MAX_FILE_BYTES // 10 + 1))
    status, out, err = cli(capsys, "info", str(big))
    assert_clean_failure(status, out, err, str(big),
                         f"more than the {yamlio.MAX_FILE_BYTES:,} a YAML file may have")


def test_the_layer_count_is_bounded(tmp_path, capsys):
    # the example: five blocks of repeat 10,000 (99,995 layers took minutes and 2 GB)
    entries = "\n".join(f"  - {{name: s{i}, block: b, repeat: 10000}}" for i in range(5))
    started = time.perf_counter()
    info_fails(tmp_path, capsys, "input: [3, 8, 8]\nblocks:\n  b: {layers: [{name: r, type: "
               "relu}]}\nlayers:\n" + entries + "\n",
               f"the network has more than {MAX_LAYERS:,} layers")
    assert time.perf_counter() - started < 10


# --- 4. messages cut values read from files -----------------------------------------------

def test_a_value_from_a_base_file_is_cut_in_the_message(tmp_path, capsys):
    secret = "s3cr3t-" + "x" * 60
    secrets = write(tmp_path / "secrets.yaml", f"clock_mhz: {secret}\n")
    err = run_fails(tmp_path, capsys, "base: secrets.yaml\n", blamed=secrets)
    assert ("clock_mhz: expected a number, got the string 's3cr3t-xxxxxxxxxxxxxx...' "
            "(67 characters)") in err
    assert secret not in err
