"""YAML files are read with libyaml's parser when PyYAML has it (``hwsim/config/yamlio.py``):
the data must equal the pure-Python loader's (the reference), and both keep the duplicate-key
and nesting checks."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from hwsim.config import yamlio

ROOT = Path(__file__).resolve().parent.parent
LOADERS = [yamlio._StrictLoader] + ([yamlio._FastStrictLoader]
                                    if yamlio._FastStrictLoader is not None else [])


@pytest.mark.parametrize("path", sorted(ROOT.glob("*/*.yaml")), ids=lambda p: p.name)
def test_both_yaml_loaders_read_the_same_data(path):
    text = path.read_text(encoding="utf-8")
    values = [yamlio.parse_yaml_text(text, loader) for loader in LOADERS]
    assert values[-1] == values[0] == yaml.safe_load(text)


@pytest.mark.parametrize("loader", LOADERS, ids=lambda c: c.__name__)
def test_both_yaml_loaders_refuse_duplicate_keys_and_deep_nesting(loader):
    with pytest.raises(yaml.YAMLError, match="line 3, column 1: key 'b' is written twice"):
        yamlio.parse_yaml_text("a: 1\nb: 2\nb: 3\n", loader)
    depth = yamlio.MAX_NESTING + 1  # 65 levels: below libyaml's own limit of 1,000
    with pytest.raises(yaml.YAMLError, match="nested more than 64 levels"):
        yamlio.parse_yaml_text("[" * depth + "]" * depth, loader)
    assert yamlio.parse_yaml_text("[" * 64 + "]" * 64, loader) is not None


def test_the_fast_loader_is_the_default_when_libyaml_is_there():
    assert yamlio.LOADER is (yamlio._FastStrictLoader or yamlio._StrictLoader)
    if yaml.__with_libyaml__:
        assert yamlio.LOADER is yamlio._FastStrictLoader
