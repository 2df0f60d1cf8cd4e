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

from hwsim.cost.tiles import TileRun, runs_time, transfer_cycles
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
