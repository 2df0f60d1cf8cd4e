"""What the event scheduler produces: per-layer timing and stall records and the timeline.

A :class:`Schedule` holds one :class:`LayerSchedule` per layer (start and end cycle, how long
the compute unit and the DMA channel were busy, and why the compute unit stood still) and the
timeline as :class:`TraceSlice` records, one per tile or per coalesced run of tiles on one
resource track, plus the global-buffer occupancy over time. ``hwsim.sim.trace`` turns it into
a Chrome trace-event file and ``hwsim.report.timeline_plot`` into a Gantt chart.

Stall accounting, from the compute unit's point of view (all in cycles, per layer):
``span = end - start = compute_busy + stall_data + stall_buffer + drain``, where

- ``stall_data_cycles``: the unit waits for a tile's data (the DRAM latency, the tile's own
  load, or the channel busy with other transfers);
- ``stall_buffer_cycles``: the unit waits for a tile whose load could not even start because
  the global buffer was full until an earlier tile's results had been stored;
- ``drain_cycles``: the unit is done and the last results are being stored to DRAM.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hwsim.sim.items import SimMachine

# Resource tracks, in display order.
TRACK_LAYERS = "layers"
TRACK_DMA = "DMA (DRAM <-> buffer)"
TRACK_PREFETCH = "DMA prefetch (next layer)"
TRACK_ARRAY = "PE array"
TRACK_WRITEBACK = "write-back (array -> buffer)"
TRACK_VECTOR = "vector unit"
TRACKS = (TRACK_LAYERS, TRACK_DMA, TRACK_PREFETCH, TRACK_ARRAY, TRACK_WRITEBACK, TRACK_VECTOR)


@dataclass(frozen=True, slots=True)
class TraceSlice:
    """One interval on one resource track: a tile, or ``tiles`` consecutive tiles coalesced
    into one slice (then ``busy_cycles`` is how long the resource actually worked in it)."""

    track: str
    name: str
    layer: str
    start_cycle: float
    duration_cycles: float
    tiles: int = 1
    busy_cycles: float = 0.0
    args: Mapping[str, Any] = field(default_factory=dict)

    @property
    def end_cycle(self) -> float:
        return self.start_cycle + self.duration_cycles


@dataclass(frozen=True, slots=True)
class LayerSchedule:
    """One layer's place in the schedule.

    ``dram_read_bytes`` counts the loads moved during the layer's own span; bytes fetched
    ahead during the previous layer are ``prefetched_bytes`` (and took
    ``prefetch_busy_cycles`` of otherwise idle channel time). ``analytic_*`` are the bounds
    the layer was checked against.
    """

    name: str
    unit: str
    start_cycle: float
    end_cycle: float
    compute_busy_cycles: float
    dma_busy_cycles: float
    stall_data_cycles: float
    stall_buffer_cycles: float
    drain_cycles: float
    dram_read_bytes: float
    dram_write_bytes: float
    prefetched_bytes: float
    prefetch_busy_cycles: float
    num_tiles: int
    peak_buffer_bytes: int
    analytic_compute_cycles: float
    analytic_memory_cycles: float

    @property
    def cycles(self) -> float:
        return self.end_cycle - self.start_cycle

    @property
    def stall_cycles(self) -> float:
        """Cycles the compute unit stood still inside the layer's span."""
        return self.stall_data_cycles + self.stall_buffer_cycles + self.drain_cycles

    def to_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        out["cycles"] = self.cycles
        out["stall_cycles"] = self.stall_cycles
        return out


@dataclass(frozen=True, slots=True)
class Schedule:
    """The event-level schedule of a whole network on one machine."""

    machine: SimMachine
    layers: tuple[LayerSchedule, ...]
    slices: tuple[TraceSlice, ...]
    glb_occupancy: tuple[tuple[float, int], ...]  # (cycle, bytes held) after each change
    events: int  # SimPy events processed
    coalesced: bool

    @property
    def total_cycles(self) -> float:
        return self.layers[-1].end_cycle if self.layers else 0.0

    def layer(self, name: str) -> LayerSchedule:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def totals(self) -> dict[str, float]:
        """Sums over layers (cycles, busy and stall cycles, bytes)."""
        keys = ("compute_busy_cycles", "dma_busy_cycles", "stall_data_cycles",
                "stall_buffer_cycles", "drain_cycles", "dram_read_bytes", "dram_write_bytes",
                "prefetched_bytes", "prefetch_busy_cycles")
        out: dict[str, float] = {"cycles": self.total_cycles}
        for key in keys:
            out[key] = sum(getattr(layer, key) for layer in self.layers)
        out["stall_cycles"] = sum(layer.stall_cycles for layer in self.layers)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "machine": {name: getattr(self.machine, name)
                        for name in self.machine.__dataclass_fields__},
            "layers": [layer.to_dict() for layer in self.layers],
            "totals": self.totals(),
            "events": self.events,
            "coalesced": self.coalesced,
        }
