"""Running sweeps with a stub evaluator: rows, errors, resume after interruption, workers."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sweep_fixtures
from sweep_fixtures import counting_evaluate, crashing_evaluate, stub_evaluate, write_files

from hwsim.errors import InputError
from hwsim.sweep import executors
from hwsim.sweep.results import METRIC_COLUMNS, errors_path, read_rows
from hwsim.sweep.runner import run_sweep
from hwsim.sweep.spec import load_sweep

AXES = [{"name": "array", "path": ["pe_array.rows", "pe_array.cols"], "values": [8, 16, 32]},
        {"name": "glb_kib", "path": "glb.size_kib", "values": [64, 128]}]
# 3 arrays x 2 buffers = 6 configurations, x 2 networks = 12 rows; 32x32 with 64 KiB is
# invalid in the stub (2 error rows), so 10 result rows.


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def _row_set(path: Path) -> set[tuple]:
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    body = [tuple(r) for r in rows[1:]]
    assert len(body) == len(set(body)), "a row was written twice"
    return set(body)


@pytest.fixture
def spec(tmp_path):
    return load_sweep(write_files(tmp_path, AXES))


def test_rows_hold_parameters_metrics_and_a_key(spec, tmp_path):
    out = tmp_path / "r.csv"
    summary = run_sweep(spec, out, evaluate=stub_evaluate, jobs=1)
    assert (summary.total_rows, summary.ok_rows, summary.invalid_rows) == (12, 10, 2)
    rows = read_rows(out)
    assert len(rows) == 10
    assert list(rows[0])[:5] == ["config_key", "network", "engine", "array", "glb_kib"]
    assert set(METRIC_COLUMNS) <= set(rows[0])
    row = next(r for r in rows if r["array"] == 8 and r["glb_kib"] == 128 and r["network"] == "b")
    assert row["total_cycles"] == 1_000_000 // (8 * 8) * 2
    assert row["energy_total"] == 128 + 8
    assert row["area_pes"] == 8 * 8 and row["engine"] == "analytic"
    # both networks of a configuration share its key; configurations differ
    keys = {(r["array"], r["glb_kib"]): r["config_key"] for r in rows}
    assert all(r["config_key"] == keys[(r["array"], r["glb_kib"])] for r in rows)
    assert len(set(keys.values())) == 5


def test_invalid_combinations_are_reported_and_skipped(spec, tmp_path):
    out = tmp_path / "r.csv"
    reported = []
    run_sweep(spec, out, evaluate=stub_evaluate, jobs=1,
              on_error=lambda task, outcome: reported.append((dict(task.config.values),
                                                              outcome.network, outcome.kind)))
    assert reported == [({"array": 32, "glb_kib": 64}, "a", "invalid"),
                        ({"array": 32, "glb_kib": 64}, "b", "invalid")]
    errors = errors_path(out)
    assert errors.name == "r.errors.csv"
    lines = _lines(errors)
    assert lines[0] == "config_key,network,engine,array,glb_kib,kind,error,hwsim_version"
    assert len(lines) == 1 + 2  # the message's line break did not split the record
    assert "invalid,glb: 64 KiB is too small | for a 32x32 tile" in lines[1]
    assert not any(r["array"] == 32 and r["glb_kib"] == 64 for r in read_rows(out))


def test_progress_reaches_the_total(spec, tmp_path):
    calls = []
    run_sweep(spec, tmp_path / "r.csv", evaluate=stub_evaluate, jobs=1,
              progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 12) and calls[-1] == (12, 12)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_rerun_after_a_cut_line_and_deleted_rows_resumes_without_duplicates(spec, tmp_path):
    out = tmp_path / "r.csv"
    run_sweep(spec, out, evaluate=stub_evaluate, jobs=1)
    complete = _row_set(out)
    lines = _lines(out)
    # delete two rows and cut the last one short, as a kill during a write would; the cut
    # keeps every field (only the last one is shorter), so only the missing newline tells
    damaged = "\n".join([lines[0]] + lines[1:4] + lines[6:-1]) + "\n" + lines[-1][:-2]
    out.write_text(damaged)
    sweep_fixtures.CALLS.clear()
    summary = run_sweep(spec, out, evaluate=counting_evaluate, jobs=1)
    assert summary.dropped_partial_lines == 1
    assert len(sweep_fixtures.CALLS) == 3  # the two deleted rows and the cut one
    assert summary.already_done_rows == 12 - 3
    assert _row_set(out) == complete
    # a third run has nothing left to do
    sweep_fixtures.CALLS.clear()
    summary = run_sweep(spec, out, evaluate=counting_evaluate, jobs=1)
    assert sweep_fixtures.CALLS == [] and summary.evaluated_rows == 0
    assert _row_set(out) == complete


def test_interrupt_keeps_finished_rows_and_the_rerun_completes(spec, tmp_path):
    out = tmp_path / "r.csv"
    run_sweep(spec, tmp_path / "full.csv", evaluate=stub_evaluate, jobs=1)
    seen = []

    def interrupted(done, total):
        seen.append(done)
        if done >= 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, out, evaluate=stub_evaluate, jobs=1, progress=interrupted)
    written = len(_lines(out)) - 1 + len(_lines(errors_path(out))) - 1
    assert written == 6
    run_sweep(spec, out, evaluate=stub_evaluate, jobs=1)
    assert _row_set(out) == _row_set(tmp_path / "full.csv")
    assert _row_set(errors_path(out)) == _row_set(errors_path(tmp_path / "full.csv"))


KILLED_SWEEP = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {tests!r})
    from sweep_fixtures import stub_evaluate
    from hwsim.sweep.runner import run_sweep
    from hwsim.sweep.spec import load_sweep

    def slow(task):
        time.sleep(0.05)
        return stub_evaluate(task)

    run_sweep(load_sweep({spec!r}), {out!r}, evaluate=slow, jobs=1)
""")


def test_a_killed_process_loses_nothing_finished(spec, tmp_path):
    out = tmp_path / "killed.csv"
    script = KILLED_SWEEP.format(tests=str(Path(__file__).parent), spec=spec.file, out=str(out))
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if out.exists() and len(_lines(out)) >= 4:
                break
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    kept = _row_set(out)
    assert 3 <= len(kept) < 10
    run_sweep(spec, out, evaluate=stub_evaluate, jobs=1)
    run_sweep(spec, tmp_path / "full.csv", evaluate=stub_evaluate, jobs=1)
    assert kept <= _row_set(out) == _row_set(tmp_path / "full.csv")


def test_process_pool_gives_the_same_rows_as_one_process(spec, tmp_path):
    run_sweep(spec, tmp_path / "one.csv", evaluate=stub_evaluate, jobs=1)
    summary = run_sweep(spec, tmp_path / "two.csv", evaluate=stub_evaluate, jobs=2)
    assert summary.ok_rows == 10
    assert _row_set(tmp_path / "two.csv") == _row_set(tmp_path / "one.csv")
    assert _row_set(errors_path(tmp_path / "two.csv")) == \
        _row_set(errors_path(tmp_path / "one.csv"))


def test_workers_get_batches_of_neighbouring_configurations():
    # 100 tasks on 2 workers: 100 // (2 x 16) = 3 per batch; a large sweep: at most 8;
    # a small one: one task per batch
    assert executors.batch_size(100, 2) == 3
    assert executors.batch_size(2808, 2) == 8
    assert executors.batch_size(6, 2) == 1


def test_a_failing_task_in_a_batch_leaves_its_neighbours_rows(spec, tmp_path, monkeypatch):
    # one batch per worker: 6 configurations / (2 x 1) = 3 tasks per batch, the first batch
    # holding both 8x8 configurations (which raise) and 16x16 with 64 KiB
    monkeypatch.setattr(executors, "BATCHES_PER_WORKER", 1)
    assert executors.batch_size(6, 2) == 3
    one = run_sweep(spec, tmp_path / "one.csv", evaluate=crashing_evaluate, jobs=1)
    two = run_sweep(spec, tmp_path / "two.csv", evaluate=crashing_evaluate, jobs=2)
    assert (two.ok_rows, two.invalid_rows, two.internal_rows) == (6, 2, 4) == \
        (one.ok_rows, one.invalid_rows, one.internal_rows)
    assert _row_set(tmp_path / "two.csv") == _row_set(tmp_path / "one.csv")


def test_internal_errors_are_recorded_then_retried(spec, tmp_path):
    out = tmp_path / "r.csv"
    summary = run_sweep(spec, out, evaluate=crashing_evaluate, jobs=1)
    assert summary.internal_rows == 2 * 2  # the two 8x8 configurations, two networks each
    assert "internal,RuntimeError: boom" in errors_path(out).read_text()
    summary = run_sweep(spec, out, evaluate=stub_evaluate, jobs=1)
    assert (summary.retried_rows, summary.ok_rows) == (4, 4)
    assert "internal" not in errors_path(out).read_text()
    assert len(read_rows(out)) == 10


def test_engine_is_part_of_a_row_identity(spec, tmp_path):
    out = tmp_path / "r.csv"
    run_sweep(spec, out, evaluate=stub_evaluate, jobs=1)
    summary = run_sweep(spec, out, evaluate=stub_evaluate, jobs=1, engine="event")
    assert summary.already_done_rows == 0 and summary.ok_rows == 10
    assert sorted({r["engine"] for r in read_rows(out)}) == ["analytic", "event"]


def test_a_file_from_another_sweep_is_not_appended_to(spec, tmp_path):
    out = tmp_path / "r.csv"
    out.write_text("config_key,network,engine,something_else\n")
    with pytest.raises(InputError) as info:
        run_sweep(spec, out, evaluate=stub_evaluate, jobs=1)
    assert "r.csv: not a results file of this sweep; choose another --out or delete it " \
        "(its first line is 'config_key,network,engine,something_else'" in str(info.value)
    assert out.read_text() == "config_key,network,engine,something_else\n"  # left untouched


def test_bad_arguments(spec, tmp_path):
    with pytest.raises(InputError, match="unknown engine 'fast'"):
        run_sweep(spec, tmp_path / "r.csv", evaluate=stub_evaluate, engine="fast")
    with pytest.raises(InputError, match="only used with --executor dask"):
        run_sweep(spec, tmp_path / "r.csv", evaluate=stub_evaluate, scheduler="tcp://x:1")
