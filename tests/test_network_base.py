"""`base:` lets a network file reuse another's structure and override its params."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hwsim.cli.main import main
from hwsim.errors import InputError
from hwsim.inputs import load_network

BASE = """
name: base net
description: the base
accuracy: {top1: 50.0}
input: [3, 32, 32]
params: {width: 8, kernel: 3}
blocks:
  unit:
    params: [c, k]
    layers:
      - {name: conv, type: conv, out_channels: $c, kernel: $k, padding: "${k // 2}"}
layers:
  - {name: u1, block: unit, args: {c: $width, k: $kernel}}
  - {name: u2, block: unit, args: {c: "${2 * width}", k: $kernel}}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_child_overrides_params_and_inherits_layers(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "child.yaml", """
        name: child net
        base: base.yaml
        params: {width: 16}
    """)
    net = load_network(child)
    assert net.name == "child net"
    assert [l.name for l in net.layers] == ["u1/conv", "u2/conv"]
    # width 16 from the child, kernel 3 from the base: u1 16 x 3 x 3x3, u2 32 x 16 x 3x3
    assert net.layer("u1/conv").params == 16 * 3 * 3 * 3
    assert net.layer("u2/conv").params == 32 * 16 * 3 * 3
    assert net.layer("u2/conv").macs == 32 * 16 * 3 * 3 * 32 * 32


def test_metadata_is_not_inherited(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "child.yaml", "base: base.yaml\n")
    net = load_network(child)
    assert net.name == "child"  # the file's stem, not the base's name
    assert net.accuracy == {}
    assert net.description == ""


def test_blocks_merge_key_by_key(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "child.yaml", """
        base: base.yaml
        blocks:
          unit:
            params: [c, k]
            layers:
              - {name: conv, type: conv, out_channels: $c, kernel: 1}
    """)
    net = load_network(child)
    assert net.layer("u1/conv").kernel == (1, 1)
    assert net.layer("u2/conv").params == 16 * 8


def test_base_in_a_subfolder_resolves_against_the_file(tmp_path):
    (tmp_path / "sub").mkdir()
    write(tmp_path, "base.yaml", BASE)
    child = write(tmp_path, "sub/child.yaml", "base: ../base.yaml\nparams: {kernel: 5}\n")
    assert load_network(child).layer("u1/conv").kernel == (5, 5)


def test_a_base_that_includes_itself_is_reported(tmp_path, capsys):
    a = write(tmp_path, "a.yaml", "base: b.yaml\n")
    write(tmp_path, "b.yaml", "base: a.yaml\n")
    assert main(["info", str(a)]) == 2
    err = capsys.readouterr().err
    assert "base" in err and "includes itself" in err and "Traceback" not in err


def test_a_missing_base_is_reported(tmp_path):
    child = write(tmp_path, "child.yaml", "base: nowhere.yaml\n")
    with pytest.raises(InputError) as info:
        load_network(child)
    assert str(child) in str(info.value)
    assert "base: file 'nowhere.yaml' not found" in str(info.value)


def test_the_squeezenext_variants_differ_only_in_params():
    root = Path(__file__).resolve().parent.parent / "networks"
    for name in ("sqnxt23v2", "sqnxt23v3", "sqnxt23v4", "sqnxt23v5", "sqnxt23_g", "sqnxt23_w2",
                 "sqnxt23v5_w2"):
        text = (root / f"{name}.yaml").read_text()
        keys = {line.split(":")[0] for line in text.splitlines()
                if line and not line[0].isspace() and not line.startswith("#")}
        assert "base: sqnxt23.yaml" in text
        assert keys <= {"name", "base", "description", "source", "accuracy", "accuracy_table",
                        "params"}


CHOICES = BASE.replace("params: {width: 8, kernel: 3}",
                       "params: {width: 8, kernel: 3}\nparam_choices: {kernel: [1, 3, 5]}")


def test_param_choices_accept_listed_values_and_name_the_others(tmp_path):
    path = write(tmp_path, "net.yaml", CHOICES)
    assert load_network(path, params={"kernel": 5}).layers[0].kernel == (5, 5)
    with pytest.raises(InputError, match=r"net.yaml: params.kernel: override 7 is not one of "
                                         r"1, 3, 5$"):
        load_network(path, params={"kernel": 7})


def test_param_choices_are_inherited_and_checked_on_the_default(tmp_path):
    write(tmp_path, "base.yaml", CHOICES)
    child = write(tmp_path, "child.yaml", "base: base.yaml\nparams: {kernel: 4}\n")
    with pytest.raises(InputError, match=r"params.kernel: default 4 is not one of 1, 3, 5"):
        load_network(child)


@pytest.mark.parametrize("choices, message", [
    ("{kernal: [1, 3]}", r"param_choices.kernal: not a parameter of this network "
                         r"\(did you mean 'kernel'\?\)"),
    ("{kernel: 3}", r"param_choices.kernel: expected a non-empty list of values, got 3"),
    ("{kernel: []}", r"param_choices.kernel: expected a non-empty list of values"),
])
def test_malformed_param_choices(tmp_path, choices, message):
    path = write(tmp_path, "net.yaml", BASE.replace(
        "params: {width: 8, kernel: 3}", "params: {width: 8, kernel: 3}\nparam_choices: " + choices))
    with pytest.raises(InputError, match=message):
        load_network(path)
