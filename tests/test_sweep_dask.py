"""The Dask executor: the same sweep on a local Dask cluster gives the same rows."""

from __future__ import annotations

import csv
import functools

import pytest
from sweep_fixtures import stub_evaluate, write_files, write_real_sweep

from hwsim.errors import InputError
from hwsim.sweep.evaluate import evaluate_task
from hwsim.sweep.results import errors_path
from hwsim.sweep.runner import run_sweep
from hwsim.sweep.spec import load_sweep

distributed = pytest.importorskip("distributed")

AXES = [{"name": "array", "path": ["pe_array.rows", "pe_array.cols"], "values": [8, 16, 32]},
        {"name": "glb_kib", "path": "glb.size_kib", "values": [64, 128]}]


def _row_set(path) -> set[tuple]:
    with open(path, newline="") as handle:
        rows = [tuple(r) for r in csv.reader(handle)][1:]
    assert len(rows) == len(set(rows))
    return set(rows)


@pytest.fixture(scope="module")
def cluster():
    # in-process workers (processes=False) but a real TCP address, as a remote cluster has
    with distributed.LocalCluster(host="127.0.0.1", protocol="tcp", processes=False,
                                  n_workers=1, threads_per_worker=2,
                                  dashboard_address=None) as cluster:
        yield cluster


def test_dask_gives_the_same_rows_as_local(tmp_path, cluster):
    spec = load_sweep(write_files(tmp_path, AXES))
    run_sweep(spec, tmp_path / "local.csv", evaluate=stub_evaluate, jobs=1)
    summary = run_sweep(spec, tmp_path / "dask.csv", evaluate=stub_evaluate, executor="dask",
                        scheduler=cluster.scheduler_address)
    assert (summary.ok_rows, summary.invalid_rows) == (10, 2)
    assert _row_set(tmp_path / "dask.csv") == _row_set(tmp_path / "local.csv")
    assert _row_set(errors_path(tmp_path / "dask.csv")) == \
        _row_set(errors_path(tmp_path / "local.csv"))


def test_dask_resumes_a_local_run(tmp_path, cluster):
    spec = load_sweep(write_files(tmp_path, AXES))
    out = tmp_path / "r.csv"
    run_sweep(spec, tmp_path / "full.csv", evaluate=stub_evaluate, jobs=1)
    run_sweep(spec, out, evaluate=stub_evaluate, jobs=1)
    lines = out.read_text().splitlines()
    out.write_text("\n".join(lines[:5]) + "\n")  # four rows kept
    summary = run_sweep(spec, out, evaluate=stub_evaluate, executor="dask",
                        scheduler=cluster.scheduler_address)
    assert summary.already_done_rows == 4 + 2  # four results and the two invalid rows
    assert summary.ok_rows == 10 - 4
    assert _row_set(out) == _row_set(tmp_path / "full.csv")


def test_unreachable_scheduler_is_bad_input(tmp_path):
    spec = load_sweep(write_files(tmp_path, AXES))
    with pytest.raises(InputError, match="cannot connect to the Dask scheduler at tcp://127.0.0.1:9"):
        run_sweep(spec, tmp_path / "r.csv", evaluate=stub_evaluate, executor="dask",
                  scheduler="tcp://127.0.0.1:9", connect_timeout_s=0.5)


def test_without_an_address_a_local_cluster_is_started(tmp_path):
    spec = load_sweep(write_files(tmp_path, AXES))
    run_sweep(spec, tmp_path / "local.csv", evaluate=stub_evaluate, jobs=1)
    run_sweep(spec, tmp_path / "dask.csv", evaluate=stub_evaluate, executor="dask", jobs=1)
    assert _row_set(tmp_path / "dask.csv") == _row_set(tmp_path / "local.csv")


def test_dask_runs_the_default_evaluator_in_batches_with_the_same_rows(tmp_path, cluster):
    # the real cost model (evaluate_task, sent to the workers in batches: evaluate_batch)
    # against one task at a time in this process; a quarter KiB fits no tile of tiny.yaml
    spec = load_sweep(write_real_sweep(tmp_path, [
        {"name": "glb_kib", "path": "buffer.global_kib", "values": [0.25, 16, 128]},
        {"path": "dataflow", "values": ["ws", "hybrid"]},
        {"path": "buffer.weight_prefetch", "values": [False, True]}]))
    local = run_sweep(spec, tmp_path / "local.csv", evaluate=functools.partial(evaluate_task),
                      jobs=1)
    summary = run_sweep(spec, tmp_path / "dask.csv", executor="dask",
                        scheduler=cluster.scheduler_address)
    assert local.invalid_rows > 0 and local.ok_rows > 0
    assert (summary.ok_rows, summary.invalid_rows, summary.internal_rows) == \
        (local.ok_rows, local.invalid_rows, 0)
    assert _row_set(tmp_path / "dask.csv") == _row_set(tmp_path / "local.csv")
    assert _row_set(errors_path(tmp_path / "dask.csv")) == \
        _row_set(errors_path(tmp_path / "local.csv"))
