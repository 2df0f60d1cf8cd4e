"""The time of a layer behind its DRAM transfers: the one pipeline-timing formula.

The DMA streams a layer's tiles at the array's own granularity; with double buffering the
transfer of one tile overlaps the compute of another, so only the first tile's load (plus
the DRAM latency) and the last tile's store are exposed. :func:`pipeline_timing` is that
time; the tiling search (``tiling.py``) scores its candidates with it and the cost model
(``model.py``) times the chosen tiling with it.
"""

from __future__ import annotations

from typing import NamedTuple

from hwsim.dataflow.base import MachineParams


class Timing(NamedTuple):
    """DRAM-side parameters of the pipeline timing (see :func:`pipeline_timing`)."""

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


def pipeline_timing(compute: float, read_bytes: float, write_bytes: float,
                    first_load_bytes: float, last_store_bytes: float, n_tiles: int,
                    t: Timing) -> tuple[float, float, float, float]:
    """``(memory, cycles, fill, drain)`` of a layer, in cycles.

    ``memory = latency + bytes / bandwidth`` (0 when nothing moves). With double buffering
    the transfers overlap compute except the first tile's load (after the latency) and the
    last tile's store::

        cycles = min(compute + memory, max(fill + compute + drain, memory + compute / tiles))

    so ``max(compute, memory) <= cycles <= compute + memory``. Without double buffering
    nothing overlaps: ``cycles = compute + memory``.
    """
    moved = read_bytes + write_bytes
    bw = t.dram_bytes_per_cycle
    memory = (t.dram_latency_cycles + moved / bw) if moved else 0.0
    if not t.double_buffering:
        return memory, compute + memory, memory, 0.0
    fill = (t.dram_latency_cycles + first_load_bytes / bw) if moved else 0.0
    drain = last_store_bytes / bw
    cycles = max(fill + compute + drain, memory + compute / max(n_tiles, 1))
    return memory, min(cycles, compute + memory), fill, drain


__all__ = ["Timing", "DEFAULT_TIMING", "pipeline_timing"]
