"""The demand a layer puts on the machine, tile by tile: what the scheduler consumes.

The cost model (``cost/``) maps a layer onto the array and describes its execution as a
sequence of :class:`TileRun` records: runs of identical tiles, each tile needing some bytes
loaded from DRAM into the global buffer before it can compute, some PE-array cycles, some
cycles to write results from the array back to the global buffer, and some bytes stored to
DRAM afterwards. The event scheduler (``sim/``) plays these through the DMA engine, the
double buffers and the array; it never recomputes tiling or MACs ("compute produces demand,
memory services it").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TileRun:
    """``count`` identical consecutive tiles of one layer.

    Per tile: ``load_bytes`` DRAM -> global buffer before compute (inputs and weights not
    already on chip), ``compute_cycles`` on the PE array (or the vector unit),
    ``writeback_cycles`` array -> global buffer after compute (the OS write-back; 0 when it
    overlaps compute), ``store_bytes`` global buffer -> DRAM after write-back, and
    ``buffer_bytes`` of global-buffer space the tile occupies while it is live.
    """

    count: int
    load_bytes: int
    compute_cycles: int
    store_bytes: int = 0
    writeback_cycles: int = 0
    buffer_bytes: int = 0

    def __post_init__(self) -> None:
        if self.count <= 0:
            raise ValueError("TileRun.count must be positive")
        for name in ("load_bytes", "compute_cycles", "store_bytes", "writeback_cycles",
                     "buffer_bytes"):
            if getattr(self, name) < 0:
                raise ValueError(f"TileRun.{name} must be non-negative")

    @property
    def total_load_bytes(self) -> int:
        return self.count * self.load_bytes

    @property
    def total_store_bytes(self) -> int:
        return self.count * self.store_bytes

    @property
    def total_compute_cycles(self) -> int:
        return self.count * (self.compute_cycles + self.writeback_cycles)
