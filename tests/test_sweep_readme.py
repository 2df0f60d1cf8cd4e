"""The README's sweep examples are real sweep files: every YAML block of its "Design-space
sweeps" section parses (as if saved in sweeps/), and the zip example means what the text
says. Regression: the README described ``zip: [axis, ...]`` at the top level, a syntax the
loader never had."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import yaml

from hwsim.sweep.evaluate import preflight
from hwsim.sweep.spec import parse_sweep

REPO = Path(__file__).resolve().parent.parent


def sweep_section_yaml_blocks() -> list[str]:
    text = (REPO / "README.md").read_text()
    start = text.index("\n## Design-space sweeps")
    end = text.index("\n## ", start + 1)
    section = text[start:end]
    blocks = re.findall(r"^( *)```yaml\n(.*?)^\1```", section, flags=re.MULTILINE | re.DOTALL)
    return [textwrap.dedent(body) for _indent, body in blocks]


def test_readme_sweep_examples_parse():
    blocks = sweep_section_yaml_blocks()
    assert len(blocks) >= 2  # the bundled sweep's excerpt and the zip example
    for body in blocks:
        spec = parse_sweep(yaml.safe_load(body), "README.md", base_dir=REPO / "sweeps")
        preflight(spec)  # the paths are keys the accelerator format has


def test_readme_zip_example_pairs_values_instead_of_crossing():
    (body,) = [b for b in sweep_section_yaml_blocks() if "zip:" in b]
    spec = parse_sweep(yaml.safe_load(body), "README.md", base_dir=REPO / "sweeps")
    # 3 arrays x 3 (buffer, bandwidth) pairs, not 3 x 3 x 3
    assert spec.config_count == 3 * 3
    pairs = {(dict(c.values)["glb_kib"], dict(c.values)["dram_gb_per_s"]) for c in spec.configs()}
    assert pairs == {(64, 8), (128, 16), (256, 32)}

