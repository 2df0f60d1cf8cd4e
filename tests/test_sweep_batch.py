"""The batch path (``hwsim/sweep/batch.py``) gives every task the outcomes of the per-task
path (``evaluate_task``, the reference), to the last bit and with the same messages, on a
random sample of machines (array sizes, registers, buffers too small for some layers, DRAM
bandwidth and latency, ws/os/hybrid and a dataflow the array lacks, a systolic array,
weight prefetch on: the fallback) over the bundled networks; and a sweep writes the same
rows either way."""

from __future__ import annotations

import functools
import math
import random
from pathlib import Path

import pytest
import yaml
from sweep_fixtures import write_real_sweep

from hwsim.cost import model
from hwsim.cost.dram_candidates import candidates
from hwsim.cost.finish import finish_tiles
from hwsim.cost.tiling import Tiling, TilingError
from hwsim.dataflow.base import ConvShape, MachineParams
from hwsim.sweep import batch, batch_search, executors, runner
from hwsim.sweep.evaluate import build_accelerator, evaluate_task
from hwsim.sweep.results import errors_path, read_rows
from hwsim.sweep.runner import plan, run_sweep
from hwsim.sweep.spec import load_sweep

REPO = Path(__file__).resolve().parent.parent
SEED = random.Random(17).randrange(1000)


def sampled_tasks(tmp_path: Path, name: str, accelerator: str, networks: list[str],
                  axes: list[dict], samples: int) -> list:
    spec = {"accelerator": str(REPO / "accelerators" / accelerator),
            "networks": [str(REPO / "networks" / f"{n}.yaml") for n in networks],
            "axes": axes, "mode": "random", "samples": samples, "seed": SEED}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return plan(load_sweep(path), "analytic", set())[0]


BROADCAST_AXES = [
    {"name": "array", "path": ["pe_array.rows", "pe_array.cols"], "values": [8, 12, 16, 32]},
    {"path": "pe_array.rf_entries_per_pe", "values": [4, 16]},
    {"path": "buffer.global_kib", "values": [2, 8, 64, 512]},  # 2 KiB: some layers do not fit
    {"path": "dram.bandwidth_gb_per_s", "values": [8, 32]},
    {"path": "dram.latency_cycles", "values": [50, 400]},
    {"path": "dataflow", "values": ["ws", "os", "hybrid", "is"]},  # is: not on this array
    {"path": "buffer.weight_prefetch", "values": [False, True]},
]
SYSTOLIC_AXES = [
    {"name": "array", "path": ["pe_array.rows", "pe_array.cols"], "values": [8, 32]},
    {"path": "buffer.global_kib", "values": [4, 256]},
    {"path": "dataflow", "values": ["ws", "os", "is", "hybrid"]},
]
NETWORK_GROUPS = [["mobilenet_v1", "shufflenet_v1"], ["resnet18"], ["sqnxt23v5"],
                  ["squeezenet_v1.0"]]


def assert_same_outcomes(batched: list, reference: list) -> None:
    """The same outcomes: kinds, errors and every integer metric exactly, the float metrics
    (cycles and what follows from them) to rounding (the batched timing stage adds the same
    terms in another order)."""
    assert len(batched) == len(reference)
    for got_task, want_task in zip(batched, reference):
        assert [(o.network, o.kind, o.error) for o in got_task] == \
            [(o.network, o.kind, o.error) for o in want_task]
        for got, want in zip(got_task, want_task):
            if want.metrics is None:
                continue
            assert got.metrics is not None and got.metrics.keys() == want.metrics.keys()
            for column, value in want.metrics.items():
                if isinstance(value, float):
                    assert math.isclose(got.metrics[column], value, rel_tol=1e-12), column
                else:
                    assert got.metrics[column] == value, column


# one array size: every layer's machines share its candidate set, so every group is large
# enough for the batched search and timing
DRAM_AXES = [
    {"path": "buffer.global_kib", "values": [16, 64, 256]},
    {"path": "dram.bandwidth_gb_per_s", "values": [4, 8, 16, 32]},
    {"path": "dram.latency_cycles", "values": [0, 50, 400]},
    {"path": "buffer.double_buffering", "values": [True, False]},
    {"path": "dataflow", "values": ["ws", "os", "hybrid"]},
]


def test_large_groups_go_through_the_batched_stages_with_the_same_outcomes(tmp_path,
                                                                           monkeypatch):
    calls = []
    original = batch_search.batch_finish

    def counting(*args):
        calls.append(len(args[1]))
        return original(*args)

    monkeypatch.setattr(batch_search, "batch_finish", counting)
    tasks = sampled_tasks(tmp_path, "dram", "squeezelerator.yaml",
                          ["sqnxt23v5", "mobilenet_v1"], DRAM_AXES, 24)
    model.clear_caches()
    batched = batch.evaluate_batch(tasks)
    model.clear_caches()
    assert_same_outcomes(batched, [evaluate_task(t) for t in tasks])
    assert calls and max(calls) >= batch_search.BATCH_SEARCH_MIN


@pytest.mark.parametrize("networks", NETWORK_GROUPS, ids="+".join)
def test_batch_outcomes_equal_the_per_task_outcomes(tmp_path, networks):
    tasks = (sampled_tasks(tmp_path, "broadcast", "squeezelerator.yaml", networks,
                           BROADCAST_AXES, 16)
             + sampled_tasks(tmp_path, "systolic", "scalesim_ws_32x32.yaml", networks,
                             SYSTOLIC_AXES, 4))
    model.clear_caches()
    batched = batch.evaluate_batch(tasks)
    model.clear_caches()
    reference = [evaluate_task(t) for t in tasks]
    assert_same_outcomes(batched, reference)
    # the sample covers what it claims: ok rows, layers that fit no tile, machines the
    # loader rejects, and each path (systolic, hybrid, prefetch's fallback)
    outcomes = [o for task_outcomes in reference for o in task_outcomes]
    assert any(o.kind == "ok" for o in outcomes)
    assert any("buffer.global_kib" in o.error and "no tile fits" in o.error for o in outcomes)
    assert any("dataflow" in o.error for o in outcomes)
    machines = [dict(t.config.values) for t in tasks]
    assert {m["dataflow"] for m in machines} >= {"ws", "os", "hybrid"}
    assert {m.get("buffer.weight_prefetch") for m in machines} >= {True, False}
    assert any(dict(t.config.values)["dataflow"] == "hybrid"
               and build_accelerator(t).microarchitecture == "systolic" for t in tasks)


def test_search_group_chooses_what_the_scalar_search_chooses():
    # a 3x3 convolution on machines that differ in buffer, DRAM and setup; the smallest
    # buffer (64 words; the smallest tile needs 3 x 28 + 9 + 28 = 121) fits no tile: None
    # where search_tiles raises TilingError
    shape = ConvShape(64, 128, 28, 28, 28, 28, 3, 3, 1, 1, 1, 1, 1, False, True)
    base = MachineParams("broadcast", 16, 16, 16, 2, 64 * 1024, True, 16, 16, 16, 16,
                         16.0, 100, 10, 16, 0.0, ())
    machines = [base, base._replace(tile_budget_bytes=128), base._replace(double_buffering=False),
                base._replace(dram_bytes_per_cycle=2.0, dram_latency_cycles=400),
                base._replace(tile_budget_bytes=8 * 1024, word_bytes=1)]
    units, whole = (16, 1, 16), (True, False, True)
    searches = [batch_search.Search((units, whole), 50_000 + 1000 * i, m.layer_setup_cycles)
                for i, m in enumerate(machines)]
    chosen = batch_search.search_group(candidates(shape, *units, None, whole), machines, searches)
    for m, search, (t, f) in zip(machines, searches, chosen):
        try:
            expected = model.search_tiles(shape, m, *units, search.compute, search.setup,
                                          None, whole)
        except TilingError:
            assert t is None
            continue
        assert t is not None and Tiling.of(t) == Tiling.of(expected)
        # the batched timing stage: the scalar one's values, the cycles to rounding
        assert f is not None
        ref = finish_tiles(expected, m, search.compute, search.writeback, search.setup)
        assert f[:5] == ref[:5] and f.fill == ref.fill and f.drain == ref.drain
        assert math.isclose(f.cycles, ref.cycles, rel_tol=1e-12)
    assert chosen[1][0] is None and chosen[0][0] is not None


def _rows(path: Path) -> list[dict]:
    return sorted(read_rows(path), key=lambda r: (r["config_key"], r["network"]))


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_sweep_writes_the_same_rows_in_batches_as_per_task(tmp_path, jobs):
    (tmp_path / "second.yaml").write_text(
        "name: second\ninput: [8, 200, 200]\nlayers:\n"
        "  - {name: c1, type: conv, out_channels: 32, kernel: 3, padding: 1}\n"
        "  - {name: p1, type: maxpool, kernel: 2, stride: 2}\n"
        "  - {name: c2, type: conv, out_channels: 32, kernel: 3, padding: 1}\n"
        "  - {name: c3, type: conv, out_channels: 32, kernel: 3, padding: 1}\n")
    spec = load_sweep(write_real_sweep(tmp_path, [
        {"name": "array", "path": ["pe_array.rows", "pe_array.cols"], "values": [8, 16]},
        {"name": "glb_kib", "path": "buffer.global_kib", "values": [1, 16, 128]},
        {"path": "dataflow", "values": ["ws", "os", "hybrid"]},
        {"path": "buffer.weight_prefetch", "values": [False, True]},  # True: the fallback
    ], networks=["tiny.yaml", "second.yaml"]))
    per_task = run_sweep(spec, tmp_path / "one.csv", evaluate=functools.partial(evaluate_task),
                         jobs=1)
    batched = run_sweep(spec, tmp_path / "two.csv", jobs=jobs)
    # 1 KiB fits no tile of second.yaml (one row of a 200-wide input needs 3 x 200 + 9 +
    # 200 words): invalid rows too
    assert per_task.invalid_rows > 0 and per_task.ok_rows > 0
    assert (batched.ok_rows, batched.invalid_rows, batched.internal_rows) == \
        (per_task.ok_rows, per_task.invalid_rows, 0)
    assert _rows(tmp_path / "two.csv") == _rows(tmp_path / "one.csv")
    assert _rows(errors_path(tmp_path / "two.csv")) == _rows(errors_path(tmp_path / "one.csv"))


def test_a_failing_batch_becomes_its_tasks_internal_errors(tmp_path, monkeypatch):
    spec = load_sweep(write_real_sweep(tmp_path, [
        {"name": "glb_kib", "path": "buffer.global_kib", "values": [16, 128]}]))
    tasks = plan(spec, "analytic", set())[0]

    def broken(batch_tasks):
        raise RuntimeError("boom")

    monkeypatch.setattr(executors, "evaluate_batch", broken)
    outcomes = executors.evaluate_tasks(evaluate_task, tasks)
    assert [[(o.kind, o.error) for o in out] for out in outcomes] == \
        [[("internal", "RuntimeError: boom")]] * 2
    # a custom evaluator is called per task, the batch path never
    assert executors.evaluate_tasks(functools.partial(evaluate_task), tasks) == \
        [evaluate_task(t) for t in tasks]


def test_batch_sizes_and_default_workers(monkeypatch):
    # the default evaluator: 4 batches per worker, at most 64 tasks; others as before
    assert executors.batch_size(300, 2, evaluate_task) == 38  # ceil(300 / 8)
    assert executors.batch_size(10_000, 2, evaluate_task) == 256
    assert executors.batch_size(3, 2, evaluate_task) == 1
    assert executors.batch_size(100, 2) == 3
    # one worker per 24 analytic rows, at least one, at most the cores
    monkeypatch.setattr(runner, "default_jobs", lambda: 8)
    assert runner.workers_for(23) == 1
    assert runner.workers_for(5 * 24) == 5
    assert runner.workers_for(100_000) == 8
    assert runner.workers_for(10, engine="event") == 8


def test_each_worker_runs_its_own_stretch_of_the_sweep_then_the_others_ends():
    # 10 batches of 3 tasks (the last of 1) for 2 workers: lanes of about 14 tasks each,
    # contiguous; a worker done with its lane takes the far end of the other one
    work = [[f"t{i}"] * (3 if i < 9 else 1) for i in range(10)]
    queues = executors.lanes(work, 2)  # type: ignore[arg-type]
    assert [len(q) for q in queues] == [5, 5]
    assert list(queues[0]) == work[:5] and list(queues[1]) == work[5:]
    taken = [executors._next_batch(queues, 0) for _ in range(5)]
    assert taken == work[:5]
    assert executors._next_batch(queues, 0) == work[9]  # stolen from the back of lane 1
    assert executors._next_batch(queues, 1) == work[5]


def test_a_batch_pauses_the_cyclic_collector_and_restores_it(tmp_path):
    import gc

    tasks = sampled_tasks(tmp_path, "gc", "squeezelerator.yaml", ["sqnxt23v5"],
                          BROADCAST_AXES[:3], 2)
    assert gc.isenabled()
    batch.evaluate_batch(tasks)
    assert gc.isenabled()
    gc.disable()
    try:
        batch.evaluate_batch(tasks)
        assert not gc.isenabled()  # a caller's own choice is kept
    finally:
        gc.enable()
