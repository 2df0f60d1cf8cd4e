"""The time of a layer behind its DRAM transfers: the one timing formula, per DRAM tile.

Each DRAM tile is one DMA load and one DMA store, each paying the DRAM latency; with double
buffering the load of tile i + 1 and the store of tile i - 1 overlap the compute of tile i,
so only the first tile's load and the last tile's store are exposed. :func:`layer_timing` is
that time (closed form over runs of identical tiles, :mod:`hwsim.cost.tiles`); the tiling
search scores its candidates with the same formula (``dram_search.tiling_time``) and the
event engine plays the same schedule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from hwsim.cost.dram_tiles import DramTiling
from hwsim.cost.tiles import TileRun, TimedStep, one_transfer, runs_time, steps_time, transfer_cycles
from hwsim.dataflow.base import MachineParams


class Timing(NamedTuple):
    """DRAM-side parameters of the pipeline timing (see :func:`layer_timing`)."""

    word_bytes: int = 2
    dram_bytes_per_cycle: float = 16.0
    dram_latency_cycles: int = 100
    double_buffering: bool = True

    @classmethod
    def from_machine(cls, m: MachineParams) -> Timing:
        """The timing parameters of a machine."""
        return cls(m.word_bytes, m.dram_bytes_per_cycle, m.dram_latency_cycles,
                   m.double_buffering)


#: The parameters of :class:`Timing`'s defaults (the tiling search's default).
DEFAULT_TIMING = Timing()


def layer_timing(runs: Sequence[TileRun], t: Timing) -> tuple[float, float, float, float]:
    """``(memory, cycles, fill, drain)`` of a layer whose DRAM tiles are ``runs``.

    Every load and store of a tile is one DMA transfer of ``latency + bytes / bandwidth``
    cycles; ``memory`` is all of them (``transfers x latency + bytes / bandwidth``). With
    double buffering ``cycles = A_1 + sum_i max(C_i, A_{i+1} + D_{i-1}) + D_n``, without
    ``sum_i (A_i + C_i + D_i)``; ``fill = A_1``, ``drain = D_n``. Always
    ``max(compute, memory) <= cycles <= compute + memory``.
    """
    cycles, fill, drain = runs_time(runs, t.dram_latency_cycles, t.dram_bytes_per_cycle,
                                    t.double_buffering)
    memory = transfer_cycles(runs, t.dram_latency_cycles, t.dram_bytes_per_cycle)
    return memory, cycles, fill, drain


def tiling_timing(t: DramTiling, compute: int, writeback: int, setup: int,
                  timing: Timing) -> tuple[float, float, float, float]:
    """``(memory, cycles, fill, drain)`` of the tiles of ``t`` as
    :func:`~hwsim.cost.dram_tiles.tile_runs_of` makes them (each tile the whole cycles of its
    share of the work, the first one the setup and what the rounding left), in closed form
    over ``t``'s segments: the value of :func:`layer_timing` over those runs without building
    them (a sweep needs only the totals; the event engine builds the runs). The sums are the
    same but in another order, so the cycles agree to rounding (~1e-15 relative)."""
    if not t.n_tiles:
        return 0.0, 0.0, 0.0, 0.0
    wb, lat, bw = timing.word_bytes, timing.dram_latency_cycles, timing.dram_bytes_per_cycle
    base = compute - writeback - setup
    total = t.work_sum or t.work_total
    timed: list[tuple[tuple[TimedStep, ...], int]] = []
    spent_c = spent_w = 0
    for pattern, repeat in t.segments:
        steps = []
        for count, i, w, work, s in pattern:
            c, b = (base * work // total, writeback * work // total) if total else (0, 0)
            spent_c += repeat * count * c
            spent_w += repeat * count * b
            steps.append((count, one_transfer((i + w) * wb, lat, bw), float(c + b),
                          one_transfer(s * wb, lat, bw)))
        timed.append((tuple(steps), repeat))
    # the first tile: setup and the rounding's rest (split off the first run and repetition)
    extra = (base - spent_c) + setup + (writeback - spent_w)
    (first, *others), repeat = timed[0]
    count, a, busy, d = first
    head: list[TimedStep] = [(1, a, busy + extra if extra else busy, d)]
    if count > 1:
        head.append((count - 1, a, busy, d))
    timed[0:1] = [(tuple(head + others), 1)] + ([((first, *others), repeat - 1)]
                                                if repeat > 1 else [])
    cycles = steps_time(timed, timing.double_buffering)
    moved = (t.input_words + t.weight_words + t.output_words) * wb
    memory = t.transfers * lat + moved / bw if t.transfers else 0.0
    return memory, cycles, head[0][1], timed[-1][0][-1][3]
