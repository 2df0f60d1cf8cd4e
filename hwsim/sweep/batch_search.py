"""The DRAM tiling search of a sweep batch's machines, one candidate set at a time.

:func:`search_group` takes the machines of a batch whose mapping gives a layer the same
candidate tilings (:mod:`hwsim.cost.dram_candidates`) and returns each machine's chosen
tiling and its timing: from :data:`BATCH_SEARCH_MIN` machines on, every candidate is timed
for all of them over arrays (:func:`~hwsim.cost.dram_batch.batch_best_tilings`, the scalar
search's choice) and the chosen tilings timed together
(:func:`~hwsim.cost.dram_batch_finish.batch_finish`, the scalar timing's values, the cycles
to rounding); smaller groups go through the scalar search (``model.search_tiles``),
their records then timed by ``finish_tiles``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from hwsim.cost import model
from hwsim.cost.dram_batch import batch_best_tilings
from hwsim.cost.dram_batch_finish import batch_finish
from hwsim.cost.dram_candidates import Candidates
from hwsim.cost.dram_tiles import DramTiling
from hwsim.cost.finish import Finished, finished_of
from hwsim.cost.tiling import Tiling, TilingError
from hwsim.dataflow.base import ConvShape, MachineParams

#: What selects a layer's candidate set besides its shape: units and whole-pass flags.
Selector = tuple[tuple[int, int, int], tuple[bool, bool, bool]]


class Search(NamedTuple):
    """What one machine's DRAM tiling search of a layer reads besides the machine and the
    layer's shape: the candidate set's selector, the compute and the setup cycles."""

    selector: Selector
    compute: int
    setup: int
    #: the write-back cycles among ``compute`` (the timing stage shares them out by tile)
    writeback: int = 0


def tiling_error(shape: ConvShape, m: MachineParams, search: Search) -> BaseException:
    """The TilingError of the scalar search where no tile fits (its message names the
    smallest tile and the budget)."""
    try:
        model.search_tiles(shape, m, *search.selector[0], search.compute, search.setup, None,
                           search.selector[1])
    except TilingError as exc:
        return exc
    return AssertionError("the scalar search found a tiling where the batch found none")


#: Groups of fewer machines are searched one machine at a time: the batched search first
#: derives its plan of the candidate set (a few ms, then cached), which pays from about
#: this many machines (``benchmarks/search_speed.py``).
BATCH_SEARCH_MIN = 4


#: What the search gives a machine: its tiling (None: no tile fits) and, from the batched
#: timing stage, its timing (None: the record's own ``finish_tiles`` times it).
Chosen = tuple[DramTiling | None, Finished | None]


def search_group(found: Candidates, machines: Sequence[MachineParams],
                  plans: Sequence[Search]) -> list[Chosen]:
    """The tiling the scalar search chooses for one layer on each machine of a group that
    shares the candidate set ``found`` (None where no tile fits), and its timing. Groups of
    :data:`BATCH_SEARCH_MIN` machines or more are searched and timed over arrays
    (:func:`~hwsim.cost.dram_batch.batch_best_tilings`, the same choice, and
    :func:`~hwsim.cost.dram_batch_finish.batch_finish`, the same timing, the cycles to
    rounding; both tested against the scalar stages), smaller ones by the scalar search
    (their records timed by ``finish_tiles``); a candidate chosen by several machines is
    built once."""
    if len(machines) < BATCH_SEARCH_MIN:
        return [(t, None) for t in _scalar_best_tilings(found, machines, plans)]
    arrays = search_arrays(machines, plans)
    index = batch_best_tilings(found, *arrays)
    out: list[Chosen] = [(None, None)] * len(machines)
    rows = np.flatnonzero(index >= 0)
    if not len(rows):
        return out
    half, whole, compute, setup, word_bytes, latency, bandwidth, double = arrays
    writeback = np.array([plans[i].writeback for i in rows.tolist()], dtype=np.int64)
    times = batch_finish(found, index[rows], compute[rows].astype(np.int64), writeback,
                         setup[rows].astype(np.int64), word_bytes[rows], latency[rows],
                         bandwidth[rows], double[rows])
    built: dict[int, tuple[DramTiling, Tiling]] = {}
    columns = zip(rows.tolist(), index[rows].tolist(), times.compute.tolist(),
                  times.writeback.tolist(), times.memory.tolist(), times.cycles.tolist(),
                  times.fill.tolist(), times.drain.tolist())
    for row, chosen, compute_, writeback_, memory, cycles, fill, drain in columns:
        pair = built.get(chosen)
        if pair is None:
            t = found.tiling(chosen)
            pair = built[chosen] = (t, Tiling.of(t))
        out[row] = (pair[0], finished_of(pair[0], machines[row], compute_, writeback_,
                                         plans[row].setup, memory, cycles, fill, drain,
                                         pair[1]))
    return out


def search_arrays(machines: Sequence[MachineParams], plans: Sequence[Search]
                  ) -> tuple[np.ndarray, ...]:
    """The per-machine arguments of ``batch_best_tilings`` (1-D arrays): budgets in words
    (any tile's, a one-tile layer's: ``model.tile_budgets``), compute and setup cycles,
    word bytes, DRAM latency cycles, DRAM bytes per cycle, double buffering."""
    budgets = [model.tile_budgets(m) for m in machines]
    return (np.array([b[0] for b in budgets], dtype=np.int64),
            np.array([b[1] for b in budgets], dtype=np.int64),
            np.array([p.compute for p in plans], dtype=np.float64),
            np.array([p.setup for p in plans], dtype=np.float64),
            np.array([m.word_bytes for m in machines], dtype=np.int64),
            np.array([m.dram_latency_cycles for m in machines], dtype=np.float64),
            np.array([m.dram_bytes_per_cycle for m in machines], dtype=np.float64),
            np.array([m.double_buffering for m in machines], dtype=bool))


def _scalar_best_tilings(found: Candidates, machines: Sequence[MachineParams],
                         plans: Sequence[Search]) -> list[DramTiling | None]:
    """The small groups' search: ``model.search_tiles`` per machine (its tiling itself, the
    search built its tiles already), None where nothing fits."""
    shape = found.geometry.shape
    out: list[DramTiling | None] = []
    for m, p in zip(machines, plans):
        try:
            out.append(model.search_tiles(shape, m, *p.selector[0], p.compute, p.setup, None,
                                          p.selector[1]))
        except TilingError:
            out.append(None)
    return out


__all__ = ["search_group", "search_arrays", "tiling_error", "Search", "Selector", "Chosen",
           "BATCH_SEARCH_MIN"]
