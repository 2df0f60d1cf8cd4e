"""The sweep's executors: a local process pool and a Dask cluster (``hwsim.sweep.runner``
chooses one and records the rows).

Both keep a bounded number of tasks in flight (:data:`IN_FLIGHT_PER_WORKER` per worker) and
hand each finished task's outcomes to ``record`` in completion order, in this process. The
pool's workers get the sweep's networks once at start-up (tasks then carry only references),
batches of neighbouring configurations (:func:`batch_size`; the default evaluator's
batches are costed together, :func:`evaluate_tasks`; Dask sends other evaluators single
tasks), each pool worker from its own stretch of the sweep (:func:`lanes`), ignore Ctrl-C
(the parent stops handing out work and closes the files) and exit when the parent dies. An
evaluator's exception, or a result that cannot come back, becomes that task's internal errors
(:func:`failed_outcomes`); a worker process that dies ends the sweep with the rows finished
so far saved.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import dataclasses
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from hwsim.errors import HwsimError, InputError, Problem
from hwsim.sweep import results as R
from hwsim.sweep.batch import evaluate_batch
from hwsim.sweep.evaluate import evaluate_task
from hwsim.sweep.spec import NetworkRef
from hwsim.sweep.tasks import Evaluator, Outcome, Task

log = logging.getLogger(__name__)

IN_FLIGHT_PER_WORKER = 4
#: Called with each finished task and its outcomes, in this process.
Record = Callable[[Task, Sequence[Outcome]], None]


def failed_outcomes(task: Task, exc: BaseException) -> list[Outcome]:
    """Every network of ``task`` as an internal error naming the exception."""
    message = f"{type(exc).__name__}: {exc}"
    return [Outcome(n.label, R.INTERNAL, error=message) for n in task.networks]


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


def _restored(task: Task) -> Task:
    """In a pool worker: ``task`` with the preloaded networks put back."""
    networks = tuple(_PRELOADED.get((n.file, n.digest), n) if n.data is None else n
                     for n in task.networks)
    return dataclasses.replace(task, networks=networks)


def _run_batch(evaluate: Evaluator, tasks: Sequence[Task]) -> list[Sequence[Outcome]]:
    """In a pool worker: the outcomes of each task of a batch (:func:`evaluate_tasks`)."""
    return evaluate_tasks(evaluate, [_restored(task) for task in tasks])


def evaluate_tasks(evaluate: Evaluator, tasks: Sequence[Task]) -> list[Sequence[Outcome]]:
    """The outcomes of each task, in order: the default evaluator costs the batch together
    (:func:`~hwsim.sweep.batch.evaluate_batch`, the same outcomes), any other is called per
    task; an evaluator's exception becomes its task's internal errors (the whole batch's
    for ``evaluate_batch``)."""
    if evaluate is evaluate_task:
        try:
            return list(evaluate_batch(tasks))
        except Exception as exc:  # noqa: BLE001 - a bug must not end the sweep
            log.debug("batch evaluation failed", exc_info=True)
            return [failed_outcomes(task, exc) for task in tasks]
    out: list[Sequence[Outcome]] = []
    for task in tasks:
        try:
            out.append(evaluate(task))
        except Exception as exc:  # noqa: BLE001 - a bug in one task must not end the batch
            log.debug("evaluator failed on %s", task.config.key, exc_info=True)
            out.append(failed_outcomes(task, exc))
    return out


#: Batches: each worker gets about this many batches of a sweep (fewer, larger batches for
#: large sweeps, so neighbouring configurations run in one process), of at most
#: :data:`MAX_BATCH` tasks (a batch's rows are written when it finishes).
BATCHES_PER_WORKER = 16
MAX_BATCH = 8
#: The default evaluator's batches (:func:`~hwsim.sweep.batch.evaluate_batch` costs a
#: batch's machines together: the more machines share a layer's candidate set, the more one
#: search call covers): about this many per worker, of at most :data:`MAX_MODEL_BATCH`.
MODEL_BATCHES_PER_WORKER = 4
MAX_MODEL_BATCH = 256


def batch_size(tasks: int, jobs: int, evaluate: Evaluator | None = None) -> int:
    """Tasks per batch sent to a worker: configurations next to each other in the sweep
    (in grid order the last axis changes fastest, e.g. the dataflow: hybrid reuses the
    layer costs of ws and os on the same machine) run in one process and share its
    caches, while every worker still gets :data:`BATCHES_PER_WORKER` batches to balance
    the load. The default evaluator (``evaluate_task``) gets larger batches:
    :data:`MODEL_BATCHES_PER_WORKER` per worker, up to :data:`MAX_MODEL_BATCH` tasks."""
    if evaluate is evaluate_task:
        return max(1, min(MAX_MODEL_BATCH, -(-tasks // (jobs * MODEL_BATCHES_PER_WORKER))))
    return max(1, min(MAX_BATCH, tasks // (jobs * BATCHES_PER_WORKER)))


def batches(tasks: Sequence[Task], size: int) -> Iterator[list[Task]]:
    """``tasks`` in consecutive batches of ``size`` (the last one shorter)."""
    return (list(tasks[i:i + size]) for i in range(0, len(tasks), size))


def lanes(work: Sequence[list[Task]], jobs: int) -> list[collections.deque[list[Task]]]:
    """``work`` (batches in sweep order) cut into ``jobs`` contiguous lanes of about equal
    numbers of tasks, one per worker: neighbouring configurations share the mapping axes'
    values, so a worker running one stretch of the sweep derives each layer's candidate
    sets once, where batches dealt out in turn would make every worker derive them all."""
    total = sum(len(b) for b in work)
    out: list[collections.deque[list[Task]]] = [collections.deque() for _ in range(jobs)]
    done = 0
    for batch in work:
        out[min(jobs - 1, done * jobs // max(1, total))].append(batch)
        done += len(batch)
    return out


def _next_batch(queues: list[collections.deque[list[Task]]], worker: int) -> list[Task] | None:
    """The worker's next batch: the front of its lane, or, once its lane is done, the back of
    the longest other lane (the far end from where that lane's worker is)."""
    if queues[worker]:
        return queues[worker].popleft()
    longest = max(queues, key=len)
    return longest.pop() if longest else None


def run_pool(tasks: Sequence[Task], evaluate: Evaluator, jobs: int, record: Record) -> None:
    """``tasks`` on ``jobs`` worker processes (module docstring), each fed its own lane of
    the sweep (:func:`lanes`) and, when done, the rest of the others'."""
    networks = {(n.file, n.digest): n for t in tasks for n in t.networks if n.digest}
    pools = [cf.ProcessPoolExecutor(max_workers=1, initializer=_init_worker,
                                    initargs=(tuple(networks.values()),)) for _ in range(jobs)]
    pending: dict[cf.Future, tuple[int, list[Task]]] = {}
    queues = lanes(list(batches(tasks, batch_size(len(tasks), jobs, evaluate))), jobs)
    in_flight = [0] * jobs
    try:
        while True:
            for worker, pool in enumerate(pools):
                while in_flight[worker] < IN_FLIGHT_PER_WORKER:
                    batch = _next_batch(queues, worker)
                    if batch is None:
                        break
                    future = pool.submit(_run_batch, evaluate, [_light(t) for t in batch])
                    pending[future] = (worker, batch)
                    in_flight[worker] += 1
            if not pending:
                break
            finished, _ = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for future in finished:
                worker, batch = pending.pop(future)
                in_flight[worker] -= 1
                try:
                    results = future.result()
                except cf.process.BrokenProcessPool as exc:
                    raise HwsimError(f"a sweep worker process died ({exc}); the rows "
                                     "finished so far are saved, rerun to resume") from None
                except Exception as exc:  # noqa: BLE001 - e.g. an unpicklable result
                    results = [failed_outcomes(task, exc) for task in batch]
                for task, outcomes in zip(batch, results):
                    record(task, outcomes)
    finally:
        for pool in pools:
            pool.shutdown(wait=True, cancel_futures=True)


def run_dask(tasks: Sequence[Task], evaluate: Evaluator, jobs: int, scheduler: str | None,
              record: Record, connect_timeout_s: float) -> None:
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
        _run_dask_client(tasks, evaluate, jobs, scheduler, record, connect_timeout_s,
                         Client, LocalCluster, as_completed)
    finally:
        dask_log.setLevel(dask_level)


def _run_dask_client(tasks: Sequence[Task], evaluate: Evaluator, jobs: int,
                     scheduler: str | None, record: Record, connect_timeout_s: float,
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
        _run_dask_batches(client, as_completed(), tasks, evaluate, workers, record)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _run_dask_batches(client: Any, running: Any, tasks: Sequence[Task], evaluate: Evaluator,
                      workers: int, record: Record) -> None:
    """Keep :data:`IN_FLIGHT_PER_WORKER` submissions per worker: batches for the default
    evaluator (:func:`evaluate_tasks` on the worker), single tasks for any other."""
    batched = evaluate is evaluate_task
    queue = batches(tasks, batch_size(len(tasks), workers, evaluate) if batched else 1)
    by_key: dict[str, list[Task]] = {}

    def submit_next() -> bool:
        batch = next(queue, None)
        if batch is None:
            return False
        future = (client.submit(evaluate_tasks, evaluate, batch, pure=False) if batched
                  else client.submit(evaluate, batch[0], pure=False))
        by_key[future.key] = batch
        running.add(future)
        return True

    for _ in range(workers * IN_FLIGHT_PER_WORKER):
        if not submit_next():
            break
    for future in running:
        batch = by_key.pop(future.key)
        try:
            results = future.result() if batched else [future.result()]
        except Exception as exc:  # noqa: BLE001 - the worker raised or was lost
            results = [failed_outcomes(task, exc) for task in batch]
        future.release()
        for task, outcomes in zip(batch, results):
            record(task, outcomes)
        submit_next()


__all__ = ["run_pool", "lanes", "run_dask", "batch_size", "batches", "evaluate_tasks", "failed_outcomes", "Record",
           "IN_FLIGHT_PER_WORKER", "PARENT_POLL_S"]
