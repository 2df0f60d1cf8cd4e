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
tasks, see :func:`batch_size`; ``jobs=1`` runs in this process)
and ``dask`` (a ``dask.distributed`` cluster at ``scheduler``, or a local one). Both keep a
bounded number of tasks in flight and hand results back in completion order; rows are written
and flushed one by one, so an interrupted sweep keeps everything finished, and rerunning the
same sweep skips the (configuration, network, engine) rows already in the files.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hwsim._version import __version__
from hwsim.errors import HwsimError, InputError, Problem
from hwsim.result import ENGINES, Engine
from hwsim.sweep import results as R
from hwsim.sweep.evaluate import evaluate_task
from hwsim.sweep.spec import NetworkRef, SweepSpec
from hwsim.sweep.tasks import Evaluator, Outcome, Task

try:
    import fcntl
except ImportError:  # not POSIX: no lock (see ResultsLock)
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

EXECUTORS = ("local", "dask")
IN_FLIGHT_PER_WORKER = 4
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
    ``jobs``: worker processes (None or 0: all cores). ``progress(done_rows, total_rows)``
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
    jobs = check_jobs(jobs)
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
                _execute(tasks, evaluate or evaluate_task, executor, jobs, scheduler, state,
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
    if executor == "dask":
        _run_dask(tasks, evaluate, jobs, scheduler, state, connect_timeout_s)
    elif jobs == 1 or len(tasks) == 1:
        for task in tasks:
            _record(task, _call(evaluate, task), state)
    else:
        _run_pool(tasks, evaluate, jobs, state)


class ResultsLock:
    """An exclusive lock on a sweep's results file, held for the whole run.

    The lock is ``flock`` on ``<out>.lock`` (not on ``out`` itself, which a resume may
    replace by renaming), which names its holder (process id, host, start time). A second
    sweep on the same ``out`` fails at once with InputError naming the holder (exit status
    2), so two runs can never interleave rows. The lock goes with the process: a killed
    sweep leaves a stale file that the next run simply takes over. Where ``fcntl`` does not
    exist (Windows) no lock is taken."""

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.path = self.out.with_name(self.out.name + ".lock")
        self._fd: int | None = None

    def __enter__(self) -> ResultsLock:
        if fcntl is None:
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            while self._fd is None:
                self._fd = self._try_take()
        except OSError as exc:
            raise InputError([Problem(str(self.out), "", "cannot create its lock file "
                                      f"{self.path}: {exc.strerror or exc}")]) from None
        return self

    def _try_take(self) -> int | None:
        """The descriptor of the lock file, locked; None if the file was replaced meanwhile
        (try again); InputError if another process holds it."""
        assert fcntl is not None
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode("utf-8", errors="replace").strip()
            os.close(fd)
            raise InputError([Problem(str(self.out), "", "is being written by another sweep ("
                                      f"{holder or 'a process that has just started'}); "
                                      "wait for it to finish (then rerun to resume), or "
                                      "choose another --out")]) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:  # the holder finished and removed it between open and flock
            same = False
        if not same:
            os.close(fd)
            return None
        os.ftruncate(fd, 0)
        since = time.strftime("%Y-%m-%d %H:%M:%S")
        os.write(fd, f"process {os.getpid()} on {socket.gethostname()}, since {since}\n"
                 .encode())
        return fd

    def __exit__(self, *exc_info: object) -> None:
        if self._fd is not None:
            self.path.unlink(missing_ok=True)  # while still holding it
            os.close(self._fd)
            self._fd = None


def _call(evaluate: Evaluator, task: Task) -> Sequence[Outcome]:
    """Run the evaluator in this process; an exception becomes internal errors."""
    try:
        return evaluate(task)
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # noqa: BLE001 - a bug in one task must not end the sweep
        log.debug("evaluator failed on %s", task.config.key, exc_info=True)
        return _failed(task, exc)


def _failed(task: Task, exc: BaseException) -> list[Outcome]:
    message = f"{type(exc).__name__}: {exc}"
    return [Outcome(n.label, R.INTERNAL, error=message) for n in task.networks]


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


# Networks a pool worker received once at start-up, by (file, digest): tasks sent to it then
# carry only the references, not the networks' YAML (which is most of a task's bytes).
_PRELOADED: dict[tuple[str, str], NetworkRef] = {}


#: How often a pool worker checks that the sweep that started it is still alive (seconds).
PARENT_POLL_S = 0.5


def _init_worker(networks: Sequence[NetworkRef]) -> None:
    """Pool worker start-up: leave Ctrl-C to the parent (which stops handing out work and
    closes the files), exit when the parent dies (a SIGKILLed sweep must not leave workers
    computing for nobody), and keep the sweep's networks."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True,
                     name="hwsim-parent-watch").start()
    _PRELOADED.update({(n.file, n.digest): n for n in networks})


def _exit_with_parent(parent: int) -> None:
    """In a pool worker: end the process once its parent is gone (it is re-parented)."""
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


def _light(task: Task) -> Task:
    """The task without its networks' data (the workers have it)."""
    return dataclasses.replace(task, networks=tuple(
        dataclasses.replace(n, data=None) if n.digest else n for n in task.networks))


def _run_light(evaluate: Evaluator, task: Task) -> Sequence[Outcome]:
    """In a pool worker: put the preloaded networks back into ``task`` and evaluate it."""
    networks = tuple(_PRELOADED.get((n.file, n.digest), n) if n.data is None else n
                     for n in task.networks)
    return evaluate(dataclasses.replace(task, networks=networks))


def _run_batch(evaluate: Evaluator, tasks: Sequence[Task]) -> list[Sequence[Outcome]]:
    """In a pool worker: the outcomes of each task of a batch, in order; an evaluator's
    exception becomes that task's internal errors (as in :func:`_call`)."""
    out: list[Sequence[Outcome]] = []
    for task in tasks:
        try:
            out.append(_run_light(evaluate, task))
        except Exception as exc:  # noqa: BLE001 - a bug in one task must not end the batch
            out.append(_failed(task, exc))
    return out


#: Batches: each worker gets about this many batches of a sweep (fewer, larger batches for
#: large sweeps, so neighbouring configurations run in one process), of at most
#: :data:`MAX_BATCH` tasks (a batch's rows are written when it finishes).
BATCHES_PER_WORKER = 16
MAX_BATCH = 8


def batch_size(tasks: int, jobs: int) -> int:
    """Tasks per batch sent to a worker: configurations next to each other in the sweep
    (in grid order the last axis changes fastest, e.g. the dataflow: hybrid reuses the
    layer costs of ws and os on the same machine) run in one process and share its
    caches, while every worker still gets :data:`BATCHES_PER_WORKER` batches to balance
    the load."""
    return max(1, min(MAX_BATCH, tasks // (jobs * BATCHES_PER_WORKER)))


def _run_pool(tasks: Sequence[Task], evaluate: Evaluator, jobs: int, state: _State) -> None:
    networks = {(n.file, n.digest): n for t in tasks for n in t.networks if n.digest}
    pool = cf.ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                                  initargs=(tuple(networks.values()),))
    pending: dict[cf.Future, list[Task]] = {}
    size = batch_size(len(tasks), jobs)
    batches = (list(tasks[i:i + size]) for i in range(0, len(tasks), size))
    limit = jobs * IN_FLIGHT_PER_WORKER
    try:
        while True:
            while len(pending) < limit:
                batch = next(batches, None)
                if batch is None:
                    break
                future = pool.submit(_run_batch, evaluate, [_light(t) for t in batch])
                pending[future] = batch
            if not pending:
                break
            finished, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for future in finished:
                batch = pending.pop(future)
                try:
                    results = future.result()
                except cf.process.BrokenProcessPool as exc:
                    raise HwsimError(f"a sweep worker process died ({exc}); the rows "
                                     "finished so far are saved, rerun to resume") from None
                except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable result
                    results = [_failed(task, exc) for task in batch]
                for task, outcomes in zip(batch, results):
                    _record(task, outcomes, state)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_dask(tasks: Sequence[Task], evaluate: Evaluator, jobs: int, scheduler: str | None,
              state: _State, connect_timeout_s: float) -> None:
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError([Problem("--executor dask", "", "needs dask.distributed: "
                                  "pip install 'hwsim[dask]'")]) from None
    # Dask logs its start-up and shutdown chatter at INFO: keep it for -vv (debug) only.
    dask_log = logging.getLogger("distributed")
    dask_level = dask_log.level
    if not log.isEnabledFor(logging.DEBUG):
        dask_log.setLevel(logging.WARNING)
    try:
        _run_dask_client(tasks, evaluate, jobs, scheduler, state, connect_timeout_s,
                         Client, LocalCluster, as_completed)
    finally:
        dask_log.setLevel(dask_level)


def _run_dask_client(tasks: Sequence[Task], evaluate: Evaluator, jobs: int,
                     scheduler: str | None, state: _State, connect_timeout_s: float,
                     Client: Any, LocalCluster: Any, as_completed: Any) -> None:
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{connect_timeout_s}s")
        except (OSError, TimeoutError) as exc:
            raise InputError([Problem("--scheduler", "", "cannot connect to the Dask "
                                      f"scheduler at {scheduler}: {exc}")]) from None
    else:
        # Loopback only, no dashboard; the scheduler's small HTTP server takes any free port
        # (its default, 8787, may be taken by another cluster).
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None,
                               scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
        client = Client(cluster)
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})) or jobs)
        limit = workers * IN_FLIGHT_PER_WORKER
        queue = iter(tasks)
        by_key: dict[str, Task] = {}
        running = as_completed()

        def submit_next() -> bool:
            task = next(queue, None)
            if task is None:
                return False
            future = client.submit(evaluate, task, pure=False)
            by_key[future.key] = task
            running.add(future)
            return True

        for _ in range(limit):
            if not submit_next():
                break
        for future in running:
            task = by_key.pop(future.key)
            try:
                outcomes = future.result()
            except Exception as exc:  # noqa: BLE001 - the worker raised or was lost
                outcomes = _failed(task, exc)
            future.release()
            _record(task, outcomes, state)
            submit_next()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


__all__ = ["SweepSummary", "run_sweep", "plan",
           "default_jobs", "check_jobs", "EXECUTORS", "CONNECT_TIMEOUT_S"]
