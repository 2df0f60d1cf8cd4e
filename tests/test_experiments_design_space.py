"""The design-space scripts (experiments/squeezenet_sr.py ... mobilenet_space.py) on small
inputs: parameter counts and MACs by hand, published accuracy only at exact points, each
design's time and energy from the simulation, fronts, and missing inputs reported."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "experiments"))

import _common  # noqa: E402
import _design_space  # noqa: E402
import mobilenet_space  # noqa: E402
import run_all  # noqa: E402
import sqnxt_space  # noqa: E402
import squeezenet_bypass  # noqa: E402
import squeezenet_sr  # noqa: E402
from test_sweep_network_axes import BY_SR, TINY_FAMILY  # noqa: E402


def read_csv(path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture()
def tiny_study(tmp_path):
    nets = tmp_path / "networks"
    nets.mkdir()
    (nets / "fam.yaml").write_text(yaml.safe_dump(TINY_FAMILY, sort_keys=False))
    return _common.Study(out_dir=tmp_path / "out", networks_dir=nets)


def test_the_scripts_are_registered():
    for name in ("squeezenet_sr", "squeezenet_pct3x3", "squeezenet_bypass", "sqnxt_space",
                 "mobilenet_space"):
        assert name in run_all.SCRIPTS


def test_sr_sweep_rows_by_hand(tiny_study):
    artifact = squeezenet_sr.run(tiny_study, stem="fam", values=(0.25, 0.5, 0.75))
    rows = {float(r["SR"]): r for r in read_csv(artifact.files["csv"])}
    for sr, (params, macs) in BY_SR.items():
        assert (int(rows[sr]["params"]), int(rows[sr]["macs"])) == (params, macs)
        assert float(rows[sr]["model_mib"]) == pytest.approx(params * 4 / 2 ** 20)
        for key, _label, stem in _design_space.DESIGN_KEYS:
            result = tiny_study.simulate_variant("fam", stem, {"SR": sr})
            assert float(rows[sr][f"latency_ms_{key}"]) == pytest.approx(result.latency_ms)
            assert float(rows[sr][f"energy_{key}"]) == pytest.approx(result.energy.total)
    # the file's table: SR 0.25 -> 50 / 75, SR 0.5 -> top5 80; nothing at 0.75
    assert (float(rows[0.25]["top1"]), float(rows[0.25]["top5"])) == (50.0, 75.0)
    assert (rows[0.5]["top1"], float(rows[0.5]["top5"])) == ("", 80.0)
    assert (rows[0.75]["top1"], rows[0.75]["top5"]) == ("", "")
    assert rows[0.25]["accuracy_source"] == "made up for this test"
    assert artifact.files["png"].stat().st_size > 10_000
    assert artifact.summary == {"points": 3, "with_accuracy": 2, "parameter": "SR"}


def test_a_missing_family_file_or_parameter_is_reported(tiny_study):
    artifact = squeezenet_bypass.run(tiny_study)
    assert [Path(m).name for m in artifact.missing] == ["squeezenet_space.yaml"]
    # fam.yaml declares no 'alpha': its points are left out, and the file is named
    artifact = mobilenet_space.run(tiny_study, stem="fam", alphas=(0.5,), resolutions=(8,))
    assert artifact.records == [] and len(artifact.missing) == 1
    assert artifact.missing[0].endswith("fam.yaml (declares no parameter alpha)")


def test_sqnxt_space_against_the_published_totals(tmp_path):
    study = _common.Study(out_dir=tmp_path)
    artifact = sqnxt_space.run(study, files=("sqnxt23",), widths=(1.0, 2.0))
    rows = {float(r["width"]): r for r in read_csv(artifact.files["csv"])}
    # README's bundled-network table (amirgholami/SqueezeNext prototxt): 1.0-SqNxt-23
    # 705,728 parameters, 277,999,808 MACs; 2.0-SqNxt-23 2,339,008 and 742,070,464
    assert (int(rows[1.0]["params"]), int(rows[1.0]["macs"])) == (705_728, 277_999_808)
    assert (int(rows[2.0]["params"]), int(rows[2.0]["macs"])) == (2_339_008, 742_070_464)
    # sqnxt23.yaml publishes 59.05 at width 1.0 and (its accuracy table) 67.18 at width 2.0
    assert (float(rows[1.0]["top1"]), float(rows[2.0]["top1"])) == (59.05, 67.18)
    # width 1.0 is faster and cheaper, width 2.0 more accurate: neither dominates the other
    assert all(rows[w][f"front_{k}"] == "True" for w in (1.0, 2.0) for k, _l, _s in _design_space.DESIGN_KEYS)
    hybrid = study.simulate("sqnxt23", _common.HYBRID)
    assert float(rows[1.0]["latency_ms_hybrid"]) == pytest.approx(hybrid.latency_ms)


def test_every_sqnxt_space_file_is_bundled():
    # run_all exits 1 when an artifact misses an input file: each point must exist
    networks = REPO / "networks"
    assert [f for f in sqnxt_space.FILES if not (networks / f"{f}.yaml").is_file()] == []
