"""Running a sweep: tasks to workers, rows to the CSV as they arrive, resume for free.

The unit of work is a :class:`Task`: one configuration and the networks still to be run on
it. Grouping by configuration means a worker builds (and validates) the accelerator once and
then runs every network on it, so the cost model's per-layer cache is shared by the networks
and identical layer shapes (the repeated blocks of SqueezeNext, the fire modules ...) are
costed once per machine. Workers keep loaded networks for their whole life (see
``evaluate.py``), so the YAML is parsed once per process, not once per task.

An *evaluator* turns a task (``hwsim.sweep.tasks``) into one :class:`Outcome` per network: metrics, or an error of
kind ``invalid`` (the combination is not a valid machine: reported, skipped, not retried) or
``internal`` (something unexpected: reported, retried on the next run). The default evaluator
is :func:`hwsim.sweep.evaluate.evaluate_task`; tests inject a stub. The evaluator must be a
module-level function (it is pickled to the workers).

Executors: ``local`` (a process pool of ``jobs`` processes, each sent batches of neighbouring
tasks, see :func:`hwsim.sweep.executors.batch_size`; ``jobs=1`` runs in this process; the
default evaluator's batches are costed together, :func:`hwsim.sweep.batch.evaluate_batch`,
and a batch's rows are written when it finishes) and ``dask`` (a ``dask.distributed``
cluster at ``scheduler``, or a local one). Both keep a bounded number of tasks in flight and
hand results back in completion order; rows are written and flushed one by one, so an
interrupted sweep keeps everything finished, and rerunning the same sweep skips the
(configuration, network, engine) rows already in the files.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hwsim._version import __version__
from hwsim.errors import InputError, Problem
from hwsim.result import ENGINES, Engine
from hwsim.sweep import results as R
from hwsim.sweep.evaluate import evaluate_task
from hwsim.sweep.executors import batch_size, batches, evaluate_tasks, run_dask, run_pool
from hwsim.sweep.lock import ResultsLock
from hwsim.sweep.spec import SweepSpec
from hwsim.sweep.tasks import Evaluator, Outcome, Task

log = logging.getLogger(__name__)

EXECUTORS = ("local", "dask")
# How long to wait for a Dask scheduler before giving up (seconds).
CONNECT_TIMEOUT_S = 15.0


@dataclass
class SweepSummary:
    """What a run did, in rows (one row = one network on one configuration)."""

    out: Path
    errors_out: Path
    total_rows: int = 0
    already_done_rows: int = 0
    ok_rows: int = 0
    invalid_rows: int = 0
    internal_rows: int = 0
    elapsed_s: float = 0.0
    dropped_partial_lines: int = 0
    configs: int = 0
    retried_rows: int = 0
    dropped_duplicate_rows: int = 0

    @property
    def evaluated_rows(self) -> int:
        return self.ok_rows + self.invalid_rows + self.internal_rows

    @property
    def rows_per_s(self) -> float:
        return self.evaluated_rows / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass
class _State:
    spec: SweepSpec
    engine: str
    results: R.CsvLog
    errors: R.CsvLog
    summary: SweepSummary
    progress: Callable[[int, int], None] | None
    on_error: Callable[[Task, Outcome], None] | None
    done: int = 0
    seen: set = field(default_factory=set)


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


#: A worker of the local pool pays for its start-up (a process, the networks parsed, its own
#: caches warmed: ~0.3-0.5 s) with about this many analytic rows of the 13 bundled networks
#: (~0.01 s each in batches); measured on 2 cores: 2-3 configurations x 13 networks run
#: faster in this process than on 2 workers, 4 and more faster on 2 workers.
ROWS_PER_WORKER = 24


def workers_for(rows: int, engine: str = Engine.ANALYTIC) -> int:
    """The default number of workers for ``rows`` rows to run: one per
    :data:`ROWS_PER_WORKER` analytic rows, at least one, at most all cores
    (:func:`default_jobs`); all cores for the event engine (its rows take far longer)."""
    if engine != Engine.ANALYTIC:
        return default_jobs()
    return max(1, min(default_jobs(), rows // ROWS_PER_WORKER))


def check_jobs(jobs: int | None) -> int:
    """The number of worker processes for ``-j``: None or 0 mean all cores
    (:func:`default_jobs`); InputError (naming ``-j``) for a negative number."""
    if jobs is None or jobs == 0:
        return default_jobs()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 0:
        raise InputError([Problem("-j", "", f"must be at least 1, or 0 for all cores; "
                                  f"got {jobs}")])
    return jobs


def plan(spec: SweepSpec, engine: str, done: set[tuple[str, str, str]]) -> tuple[list[Task], int]:
    """The tasks still to run, and how many of the sweep's rows are already done."""
    tasks: list[Task] = []
    already = 0
    for config in spec.configs():
        todo = tuple(n for n in spec.networks if (config.key, n.label, engine) not in done)
        already += len(spec.networks) - len(todo)
        if todo:
            tasks.append(Task(config, todo, spec.accelerator_file, spec.accelerator_data, engine,
                              spec.accelerator_origins, spec.file))
    return tasks, already


def run_sweep(spec: SweepSpec, out: str | Path, *, evaluate: Evaluator | None = None,
              engine: str = Engine.ANALYTIC, executor: str = "local", jobs: int | None = None,
              scheduler: str | None = None,
              progress: Callable[[int, int], None] | None = None,
              on_error: Callable[[Task, Outcome], None] | None = None,
              connect_timeout_s: float | None = None) -> SweepSummary:
    """Run (or resume) ``spec`` writing ``out`` and ``<out>.errors.csv``.

    ``evaluate`` defaults to the hwsim model (:func:`hwsim.sweep.evaluate.evaluate_task`).
    ``jobs``: worker processes (0: all cores; None: from the rows to run,
    :func:`workers_for`). ``progress(done_rows, total_rows)``
    is called after each task; ``on_error(task, outcome)`` for each row that failed;
    ``connect_timeout_s``: how long to wait for a Dask scheduler (default
    :data:`CONNECT_TIMEOUT_S`). Bad arguments raise InputError naming the command-line flag
    that sets them (``-j``, ``--engine``, ...). Returns a
    :class:`SweepSummary`. KeyboardInterrupt propagates after the files are closed (every
    finished row is on disk).

    The run holds an exclusive lock on ``out`` (:class:`ResultsLock`): a second sweep on the
    same file fails at once with InputError saying who holds it. A row that cannot be
    written (a full disk) raises :class:`~hwsim.errors.OutputError`, the rows before it
    kept."""
    _check_arguments(engine, executor, scheduler)
    chosen = check_jobs(jobs)  # a bad -j fails before any file is touched
    out = Path(out)
    summary = SweepSummary(out=out, errors_out=R.errors_path(out))
    results = R.CsvLog(out, R.results_header(spec.axis_names))
    errors = R.CsvLog(summary.errors_out, R.errors_header(spec.axis_names))
    results.check_path()
    errors.check_path()
    started = time.perf_counter()
    with ResultsLock(out):
        try:
            done = _resume(results, errors, summary)
            tasks, already = plan(spec, engine, done)
            summary.configs = spec.config_count
            summary.total_rows = spec.config_count * len(spec.networks)
            summary.already_done_rows = already
            state = _State(spec, engine, results, errors, summary, progress, on_error,
                           done=already)
            if progress:
                progress(state.done, summary.total_rows)
            if tasks:
                log.info("sweep %s: %d configurations x %d networks, %d rows already done, "
                         "%d tasks to run with %s executor", spec.name, spec.config_count,
                         len(spec.networks), already, len(tasks), executor)
                if jobs is None:
                    chosen = workers_for(sum(len(t.networks) for t in tasks), engine)
                _execute(tasks, evaluate or evaluate_task, executor, chosen, scheduler, state,
                         CONNECT_TIMEOUT_S if connect_timeout_s is None else connect_timeout_s)
        finally:
            results.close()
            errors.close()
            summary.elapsed_s = time.perf_counter() - started
    return summary


def _check_arguments(engine: str, executor: str, scheduler: str | None) -> None:
    """InputError naming the flag of a bad engine, executor or scheduler."""
    if engine not in ENGINES:
        raise InputError([Problem("--engine", "", f"unknown engine {engine!r} "
                                  f"(accepted: {', '.join(ENGINES)})")])
    if executor not in EXECUTORS:
        raise InputError([Problem("--executor", "", f"unknown executor {executor!r} "
                                  f"(accepted: {', '.join(EXECUTORS)})")])
    if scheduler and executor != "dask":
        raise InputError([Problem("--scheduler", "", "only used with --executor dask")])


def _resume(results: R.CsvLog, errors: R.CsvLog,
            summary: SweepSummary) -> set[tuple[str, str, str]]:
    """Open both files for appending and return the (configuration, network, engine) rows
    already done. Both files are checked before either is written (a bad one leaves both as
    they were); internal errors are dropped from the errors file, to be retried."""
    retried: list[dict[str, str]] = []

    def keep_error(row: dict[str, str]) -> bool:
        if row.get("kind") == R.INVALID:
            return True
        retried.append(row)
        return False

    done_rows = results.load()
    error_rows = errors.load(keep=keep_error)
    results.start()
    errors.start()
    summary.retried_rows = len(retried)
    summary.dropped_partial_lines = int(results.dropped_partial_line) + int(
        errors.dropped_partial_line)
    summary.dropped_duplicate_rows = results.dropped_duplicates + errors.dropped_duplicates
    return {(r["config_key"], r["network"], r["engine"]) for r in done_rows + error_rows}


def _execute(tasks: Sequence[Task], evaluate: Evaluator, executor: str, jobs: int,
             scheduler: str | None, state: _State, connect_timeout_s: float) -> None:
    """Run ``tasks`` on the chosen executor, recording each task's rows as it finishes."""
    def record(task: Task, outcomes: Sequence[Outcome]) -> None:
        _record(task, outcomes, state)

    if executor == "dask":
        run_dask(tasks, evaluate, jobs, scheduler, record, connect_timeout_s)
    elif jobs == 1 or len(tasks) == 1:
        # in this process: the default evaluator in batches (costed together), others per task
        size = batch_size(len(tasks), 1, evaluate) if evaluate is evaluate_task else 1
        for batch in batches(tasks, size):
            for task, outcomes in zip(batch, evaluate_tasks(evaluate, batch)):
                record(task, outcomes)
    else:
        run_pool(tasks, evaluate, jobs, record)


def _record(task: Task, outcomes: Sequence[Outcome], state: _State) -> None:
    """Write one task's rows, update the counts, report errors and progress."""
    base = {"config_key": task.config.key, "engine": task.engine, **dict(task.config.values)}
    expected = {n.label for n in task.networks}
    got = {o.network for o in outcomes}
    outcomes = list(outcomes)
    if got != expected:  # an evaluator that forgot a network must not lose it silently
        outcomes = [o for o in outcomes if o.network in expected]
        outcomes += [Outcome(n, R.INTERNAL, error="the evaluator returned no result")
                     for n in sorted(expected - got)]
    for outcome in outcomes:
        ident = (task.config.key, outcome.network, task.engine)
        if ident in state.seen:  # never write a row twice, whatever the evaluator returns
            continue
        state.seen.add(ident)
        row = {**base, "network": outcome.network, "hwsim_version": __version__}
        if outcome.kind == "ok":
            state.results.write({**row, **(outcome.metrics or {})})
            state.summary.ok_rows += 1
        else:
            state.errors.write({**row, "kind": outcome.kind, "error": outcome.error})
            if outcome.kind == R.INVALID:
                state.summary.invalid_rows += 1
            else:
                state.summary.internal_rows += 1
            if state.on_error:
                state.on_error(task, outcome)
        state.done += 1
    if state.progress:
        state.progress(state.done, state.summary.total_rows)


__all__ = ["SweepSummary", "run_sweep", "plan", "ResultsLock",
           "default_jobs", "check_jobs", "workers_for", "ROWS_PER_WORKER", "EXECUTORS",
           "CONNECT_TIMEOUT_S"]
