"""Paper reproduction: SqueezeNet v1.0 per layer against the published WS / OS / hybrid figure.

Tolerances (the issue's targets): each design's total within 10 % of the published total,
median per-layer error under 20 %, and the same preferred dataflow as the figure on every
layer where the figure can tell (WS and OS bars more than 6 % apart: twice the +/- 3 %
reading error). On failure the comparison table is printed (header, ours, published).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

import hwsim

REPO = Path(__file__).resolve().parent.parent


def _load_script():
    path = REPO / "experiments" / "calibrate_squeezenet.py"
    spec = importlib.util.spec_from_file_location("calibrate_squeezenet", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


CAL = _load_script()


@pytest.fixture(scope="module")
def calibration():
    return CAL.calibrate()


@pytest.mark.parametrize("design", ["ws", "os", "hybrid", "hybrid_rf8"])
def test_totals_within_10_percent(calibration, design):
    assert abs(calibration.total_error(design)) <= 0.10, CAL.report(calibration)


@pytest.mark.parametrize("design", ["ws", "os", "hybrid", "hybrid_rf8"])
def test_median_per_layer_error_under_20_percent(calibration, design):
    assert calibration.median_error(design) < 0.20, CAL.report(calibration)


def test_same_preferred_dataflow_where_the_figure_decides(calibration):
    assert calibration.preference_mismatches() == [], CAL.report(calibration)
    decided = [r for r in calibration.rows if r.published_margin > CAL.PREFERENCE_MARGIN]
    assert len(decided) >= 20   # most layers are decided; only near-ties are excused


def test_hybrid_speedups_match_the_published_ratios(calibration):
    ws, os_, hybrid = (calibration.totals[d][0] for d in ("ws", "os", "hybrid"))
    assert ws / hybrid == pytest.approx(2.06, rel=0.10), CAL.report(calibration)
    assert os_ / hybrid == pytest.approx(1.26, rel=0.10), CAL.report(calibration)


def test_closed_forms_the_figure_implies(calibration):
    """conv10 and fire4 expand3x3 in WS on 16x16: folds x pixels (the lead's arithmetic)."""
    rows = {r.published_name: r for r in calibration.rows}
    assert rows["conv10"].ours["ws"] >= 32 * 63 * 169          # 340,704 streamed cycles
    # per-tile DMA (issue 12): each output-channel block's first tile loads 128 KB of weights
    # that the previous tile's compute cannot hide; +6.8 % against the published 339 K
    assert rows["conv10"].error("ws") == pytest.approx(0, abs=0.07)
    assert rows["fire4_3"].ours["ws"] >= 2 * 8 * 9 * 3025      # 435,600
    assert rows["fire4_3"].error("ws") == pytest.approx(0, abs=0.05)
    assert rows["conv1"].error("ws") == pytest.approx(0, abs=0.03)
    assert rows["conv1"].error("os") == pytest.approx(0, abs=0.10)


def test_published_utilization_bands():
    """Read from the same figure: WS ~18 % on conv1, 40-50 % on the fire2-3 1x1 layers,
    75-90 % on later 1x1 layers, 95-100 % on expand 3x3; OS ~85 % on conv1, 22-30 % on 1x1,
    55-65 % on 3x3. Bands widened by the reading error."""
    net = hwsim.load_network(REPO / "networks" / "squeezenet_v1.0.yaml")
    published = [r["layer"] for r in CAL.read_published()]
    util = {}
    for mode in ("ws", "os"):
        acc = hwsim.load_accelerator(REPO / "accelerators" / f"{mode}_16x16.yaml")
        convs = [r for r in hwsim.simulate(net, acc).layers if r.type == "conv"]
        util[mode] = dict(zip(published, (r.utilization for r in convs)))

    def kind(name: str) -> str:
        return name if name in ("conv1", "conv10") else ("3x3" if name.endswith("_3") else "1x1")

    early = {"fire2_1", "fire2_2", "fire3_1", "fire3_2"}
    assert 0.16 <= util["ws"]["conv1"] <= 0.21
    assert 0.75 <= util["os"]["conv1"] <= 0.90
    for name in published:
        if kind(name) == "3x3":
            assert 0.90 <= util["ws"][name] <= 1.0, name
            assert 0.50 <= util["os"][name] <= 0.70, name
        elif kind(name) == "1x1":
            assert 0.20 <= util["os"][name] <= 0.33, name
            if name in early:
                assert 0.35 <= util["ws"][name] <= 0.55, name
            else:
                # fire5_2 at 66 %: the published 21 K cycles themselves imply 56 % for its
                # 2.99 M MACs on 256 PEs, below the band read from the utilization figure
                assert 0.65 <= util["ws"][name] <= 1.0, name
