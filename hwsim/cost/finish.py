"""The timing stage of the cost model: a layer's chosen DRAM tiling timed.

:func:`finish_tiles` is the reference, one layer on one machine: the idle-pass correction
(a tile smaller than an array pass keeps the pass's PEs busy for nothing, so the tiles' work
``work_sum`` above the layer's ``work_total`` adds array cycles and write-back), then the
time of the tiles :func:`~hwsim.cost.dram_tiles.tile_runs_of` builds, in closed form over
the tiling's segments (:func:`~hwsim.cost.timing.tiling_timing`). A sweep times many
machines at once (:func:`~hwsim.cost.dram_batch_finish.batch_finish`, the same values, the
cycles to rounding) and wraps each machine's values with :func:`finished_of`. Either way the
tile runs themselves are built only when read (the event engine).
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

from hwsim.cost.dram_tiles import DramTiling, tile_runs_of
from hwsim.cost.tiles import LazyRuns
from hwsim.cost.tiling import Tiling
from hwsim.cost.timing import Timing, tiling_timing
from hwsim.dataflow.base import MachineParams
from hwsim.workload.layer import ceil_div


class Finished(NamedTuple):
    """A layer's chosen tiling timed: its record, its tiles (built when read), the compute and
    write-back cycles as the tiles run them, and memory time, time, fill and drain."""

    tiling: Tiling
    tiles: LazyRuns
    compute: int
    writeback: int
    memory: float
    cycles: float
    fill: float
    drain: float


def finish_tiles(t: DramTiling, m: MachineParams, compute: int, writeback: int,
                 setup: int) -> Finished:
    """The timing stage (module docstring) of tiling ``t`` on ``m`` for a layer of
    ``compute`` cycles (setup included) of which ``writeback`` write back."""
    if t.work_sum > t.work_total:  # idle PEs in partly filled passes: more array cycles
        extra = ceil_div((compute - setup) * (t.work_sum - t.work_total), t.work_total)
        writeback = writeback * t.work_sum // t.work_total
        compute += extra
    memory, cycles, fill, drain = tiling_timing(t, compute, writeback, setup,
                                                Timing.from_machine(m))
    return finished_of(t, m, compute, writeback, setup, memory, cycles, fill, drain)


def finished_of(t: DramTiling, m: MachineParams, compute: int, writeback: int, setup: int,
                memory: float, cycles: float, fill: float, drain: float,
                tiling: Tiling | None = None) -> Finished:
    """The :class:`Finished` record of tiling ``t`` timed elsewhere (``compute`` and
    ``writeback`` already corrected for idle passes), its runs built when first read
    (``tiling``: ``Tiling.of(t)`` when the caller has it)."""
    wb = m.word_bytes
    runs = LazyRuns(partial(tile_runs_of, t, compute, writeback, setup, wb,
                            t.footprint_words * wb))
    return Finished(tiling or Tiling.of(t), runs, compute, writeback, memory, cycles, fill,
                    drain)


__all__ = ["Finished", "finish_tiles", "finished_of"]
