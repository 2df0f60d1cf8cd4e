"""Pareto extraction on hand-made tables: which configurations nobody beats."""

from __future__ import annotations

import numpy as np
import pytest

from hwsim.errors import InputError
from hwsim.sweep.pareto import aggregate_by_config, non_dominated, pareto_rows, parse_objectives


def test_two_objectives_by_hand():
    # (latency, energy): A(1, 9) B(2, 5) C(3, 6) D(4, 1) E(2, 5) F(5, 5)
    # C is beaten by B (2 < 3, 5 < 6); F by B (2 < 5, 5 = 5) and by D; E ties B exactly.
    values = np.array([[1, 9], [2, 5], [3, 6], [4, 1], [2, 5], [5, 5]])
    assert non_dominated(values).tolist() == [True, True, False, True, True, False]


def test_three_objectives_and_single_rows():
    # a point better in one objective only is never dominated
    values = np.array([[1, 1, 9], [1, 2, 1], [2, 2, 2], [1, 1, 10]])
    assert non_dominated(values).tolist() == [True, True, False, False]
    assert non_dominated(np.array([[7, 7]])).tolist() == [True]
    assert non_dominated(np.zeros((0, 2))).tolist() == []


def test_agrees_with_the_definition_on_a_random_table():
    rng = np.random.default_rng(3)
    values = rng.integers(0, 6, size=(200, 3)).astype(float)
    expected = [not any(np.all(o <= v) and np.any(o < v) for o in values) for v in values]
    assert non_dominated(values).tolist() == expected


ROWS = [
    # config_key, network, array, latency_ms, energy_total, area_pes, utilization
    {"config_key": "k8", "network": "n1", "engine": "analytic", "array": 8,
     "latency_ms": 4.0, "energy_total": 10.0, "area_pes": 64, "utilization": 0.9},
    {"config_key": "k16", "network": "n1", "engine": "analytic", "array": 16,
     "latency_ms": 2.0, "energy_total": 12.0, "area_pes": 256, "utilization": 0.7},
    {"config_key": "k32", "network": "n1", "engine": "analytic", "array": 32,
     "latency_ms": 2.5, "energy_total": 15.0, "area_pes": 1024, "utilization": 0.3},
    {"config_key": "k8", "network": "n2", "engine": "analytic", "array": 8,
     "latency_ms": 9.0, "energy_total": 20.0, "area_pes": 64, "utilization": 0.8},
    {"config_key": "k16", "network": "n2", "engine": "analytic", "array": 16,
     "latency_ms": 3.0, "energy_total": 21.0, "area_pes": 256, "utilization": 0.6},
    {"config_key": "k32", "network": "n2", "engine": "analytic", "array": 32,
     "latency_ms": 1.0, "energy_total": 30.0, "area_pes": 1024, "utilization": 0.5},
]


def test_fronts_are_per_network_by_default():
    front = pareto_rows(ROWS, parse_objectives("latency_ms,energy_total"))
    # n1: k32 is slower and costlier than k16; n2: every configuration trades one for the other
    assert [(r["network"], r["config_key"]) for r in front] == [
        ("n1", "k8"), ("n1", "k16"), ("n2", "k8"), ("n2", "k16"), ("n2", "k32")]


def test_maximised_objectives():
    # lowest latency vs highest utilization on n1: k8 (0.9) and k16 (2.0 ms); k32 loses to k16
    front = pareto_rows([r for r in ROWS if r["network"] == "n1"],
                        parse_objectives("latency_ms,max:utilization"))
    assert [r["config_key"] for r in front] == ["k8", "k16"]


def test_aggregate_over_networks_then_front():
    combined = aggregate_by_config(ROWS, ["latency_ms", "energy_total"], how="sum")
    by_key = {r["config_key"]: r for r in combined}
    assert by_key["k8"]["latency_ms"] == 4.0 + 9.0
    assert by_key["k32"]["energy_total"] == 15.0 + 30.0
    assert by_key["k16"]["array"] == 16
    front = pareto_rows(combined, parse_objectives("latency_ms,energy_total"))
    # sums (latency, energy): k8 (13, 30), k16 (5, 33), k32 (3.5, 45): all trade-offs
    assert sorted(r["config_key"] for r in front) == ["k16", "k32", "k8"]
    front = pareto_rows(combined, parse_objectives("latency_ms,energy_total,area_pes"))
    assert len(front) == 3


def test_configurations_missing_a_network_are_not_aggregated():
    rows = [r for r in ROWS if not (r["config_key"] == "k32" and r["network"] == "n2")]
    assert sorted(r["config_key"] for r in aggregate_by_config(rows, ["latency_ms"])) == \
        ["k16", "k8"]


def test_rows_without_a_number_are_left_out():
    rows = ROWS[:3] + [dict(ROWS[0], config_key="broken", latency_ms=None, energy_total=0.0)]
    front = pareto_rows(rows, parse_objectives("latency_ms,energy_total"))
    assert "broken" not in {r["config_key"] for r in front}


def test_unknown_objective_suggests_a_column():
    with pytest.raises(InputError) as info:
        pareto_rows(ROWS, parse_objectives("latency,energy_total"), file="r.csv")
    assert "r.csv: no column 'latency' (did you mean 'latency_ms'?)" in str(info.value)


def test_text_objective_is_bad_input_not_an_empty_front():
    # regression: 'network' holds names, so every row was left out and the front was empty
    with pytest.raises(InputError) as info:
        pareto_rows(ROWS, parse_objectives("latency_ms,network"), file="r.csv")
    assert str(info.value).startswith("r.csv: column 'network' holds text, not numbers "
                                      "(e.g. 'n1'); an objective needs numbers")
