"""A sweep row from the analytic fast path (totals summed from the cost model's records,
``hwsim/sweep/evaluate.py``) equals the row from ``hwsim.simulate`` (the reference), to the
last bit, on a random sample of configurations of the bundled sweep's axes, with the weight
prefetch (the analytic engine's post-pass over the layers) on and off."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from hwsim.sweep import evaluate
from hwsim.sweep.runner import plan
from hwsim.sweep.spec import load_sweep

REPO = Path(__file__).resolve().parent.parent
NETWORKS = ["sqnxt23v5.yaml", "mobilenet_v1.yaml", "squeezenet_v1.0.yaml", "alexnet.yaml"]


def sampled_tasks(tmp_path: Path, samples: int):
    spec = {
        "accelerator": str(REPO / "accelerators" / "squeezelerator.yaml"),
        "networks": [str(REPO / "networks" / n) for n in NETWORKS],
        "axes": [
            {"name": "array", "path": ["pe_array.rows", "pe_array.cols"],
             "range": {"from": 8, "to": 32, "step": 4}},
            {"path": "pe_array.rf_entries_per_pe", "values": [4, 16]},
            {"path": "buffer.global_kib", "range": {"from": 32, "to": 1024, "times": 2}},
            {"path": "dram.bandwidth_gb_per_s", "values": [8, 32]},
            {"path": "dataflow", "values": ["ws", "os", "hybrid"]},
            {"path": "buffer.weight_prefetch", "values": [True, False]},
        ],
        "mode": "random", "samples": samples, "seed": random.Random(17).randrange(1000),
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return plan(load_sweep(path), "analytic", set())[0]


def test_fast_path_rows_equal_the_simulate_rows(tmp_path, monkeypatch):
    tasks = sampled_tasks(tmp_path, 8)
    prefetch = {evaluate.build_accelerator(t).buffer.weight_prefetch for t in tasks}
    assert prefetch == {True, False}
    fast = [evaluate.evaluate_task(t) for t in tasks]
    monkeypatch.setattr(evaluate, "fast_path_applies", lambda accelerator, engine: False)
    reference = [evaluate.evaluate_task(t) for t in tasks]
    assert fast == reference
    ok = [o for outcomes in fast for o in outcomes if o.kind == "ok"]
    assert len(ok) >= 8  # most sampled machines fit every network
    for outcome in ok:  # the energy parts add up to the total, as in the reference
        parts = sum(outcome.metrics[f"energy_{c}"]
                    for c in ("mac", "rf", "array", "glb", "dram", "leakage"))
        assert parts == pytest.approx(outcome.metrics["energy_total"])


def test_the_event_engine_and_unmodelled_sections_take_the_reference_path(tmp_path):
    task = sampled_tasks(tmp_path, 1)[0]
    accelerator = evaluate.build_accelerator(task)
    assert evaluate.fast_path_applies(accelerator, "analytic")
    assert not evaluate.fast_path_applies(accelerator, "event")

    fused = accelerator.with_changes(fusion={"elementwise": True})
    assert not evaluate.fast_path_applies(fused, "analytic")
    kept = accelerator.with_changes(fusion={"keep_on_chip": True})
    assert not evaluate.fast_path_applies(kept, "analytic")
