"""What the event scheduler is given: one :class:`ScheduleItem` per layer and a :class:`SimMachine`.

The scheduler consumes demand; it never maps layers or counts MACs. A layer reaches it as a
:class:`ScheduleItem`: its name, the layers it depends on, its tiles as runs of identical
:class:`~hwsim.cost.tiles.TileRun` records (bytes to load, compute and write-back cycles,
bytes to store, buffer footprint), how many of its load bytes may be fetched ahead during the
previous layer (its weights), the unit it runs on (the PE ``array`` or the ``vector`` unit),
and the analytic ``compute_cycles`` / ``memory_cycles`` the schedule is checked against.

The machine is reduced to what the schedule depends on (:class:`SimMachine`): the DRAM
latency in cycles, the DRAM bandwidth in bytes per cycle, the global-buffer size in bytes,
whether tiles are double buffered, and whether the next layer's weights may be prefetched.
Both records are frozen and validated at construction.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from hwsim.cost.tiles import TileRun, transfer_cycles

UNITS = ("array", "vector", "none")  # none: a layer that costs nothing (no tiles)


@dataclass(frozen=True, slots=True)
class SimMachine:
    """The parts of an accelerator the event schedule depends on.

    ``dram_latency_cycles``: cycles between a transfer's request and its first byte, paid
    by every transfer (one per DRAM tile and direction, see :mod:`hwsim.sim.engine`).
    ``dram_bytes_per_cycle``: effective DRAM bandwidth shared by every transfer.
    ``glb_bytes``: global-buffer capacity; live tiles never hold more.
    ``double_buffering``: up to two tiles live (one loading while the other computes);
    off: one tile at a time.
    ``weight_prefetch``: the next layer's leading loads (at most its weights) may use the
    DRAM channel while the current layer leaves it idle.
    """

    dram_latency_cycles: float
    dram_bytes_per_cycle: float
    glb_bytes: int
    double_buffering: bool = True
    weight_prefetch: bool = True

    def __post_init__(self) -> None:
        if not (math.isfinite(self.dram_latency_cycles) and self.dram_latency_cycles >= 0):
            raise ValueError("SimMachine.dram_latency_cycles must be finite and >= 0")
        if not (math.isfinite(self.dram_bytes_per_cycle) and self.dram_bytes_per_cycle > 0):
            raise ValueError("SimMachine.dram_bytes_per_cycle must be finite and > 0")
        if self.glb_bytes <= 0:
            raise ValueError("SimMachine.glb_bytes must be positive")

    @property
    def slots(self) -> int:
        """How many tiles may be live in the global buffer at once."""
        return 2 if self.double_buffering else 1

    def transfer_cycles(self, num_bytes: float) -> float:
        """Channel occupancy of one transfer (cycles): latency + bytes / bandwidth, 0 for a
        transfer of no bytes."""
        if num_bytes <= 0:
            return 0.0
        return self.dram_latency_cycles + num_bytes / self.dram_bytes_per_cycle

    def memory_cycles(self, runs: Iterable[TileRun]) -> float:
        """The channel time of ``runs``: every load and store with bytes is one transfer
        (latency + bytes / bandwidth)."""
        return transfer_cycles(runs, self.dram_latency_cycles, self.dram_bytes_per_cycle)


@dataclass(frozen=True, slots=True)
class ScheduleItem:
    """One layer as the scheduler sees it.

    ``tiles``: the layer's tiles in execution order, as runs of identical tiles (empty: the
    layer costs nothing). ``deps``: names of the items whose outputs it reads (each must come
    earlier). ``prefetch_bytes``: how many of its leading load bytes may be fetched during the
    previous item (its weight bytes; the scheduler may fetch fewer, see the engine).
    ``unit``: ``array`` (PE array, with write-back), ``vector``, or ``none`` (no tiles).
    ``compute_cycles`` and ``memory_cycles``: the analytic model's values for this layer, the
    bounds the schedule is checked against (``None``: derived from the tiles and the machine).
    ``hold_bytes``: global-buffer bytes reserved when the item starts and kept after it ends
    (its output kept on chip for later items, ``hwsim.cost.fusion``); ``free_bytes``: held
    bytes released when it ends (kept tensors whose last consumer it is).
    """

    name: str
    tiles: tuple[TileRun, ...] = ()
    deps: tuple[str, ...] = ()
    prefetch_bytes: int = 0
    unit: str = "array"
    compute_cycles: float | None = None
    memory_cycles: float | None = None
    hold_bytes: int = 0
    free_bytes: int = 0

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("ScheduleItem.name must not be empty")
        if not isinstance(self.tiles, tuple) or not all(isinstance(t, TileRun) for t in self.tiles):
            raise ValueError(f"ScheduleItem {self.name!r}: tiles must be a tuple of TileRun")
        if not isinstance(self.deps, tuple):
            raise ValueError(f"ScheduleItem {self.name!r}: deps must be a tuple of names")
        if self.unit not in UNITS:
            raise ValueError(f"ScheduleItem {self.name!r}: unit must be one of {UNITS}, "
                             f"not {self.unit!r}")
        if self.unit == "none" and self.tiles:
            raise ValueError(f"ScheduleItem {self.name!r}: unit 'none' cannot have tiles")
        for label in ("prefetch_bytes", "hold_bytes", "free_bytes"):
            if getattr(self, label) < 0:
                raise ValueError(f"ScheduleItem {self.name!r}: {label} must be >= 0")
        for label in ("compute_cycles", "memory_cycles"):
            value = getattr(self, label)
            if value is not None and not (math.isfinite(value) and value >= 0):
                raise ValueError(f"ScheduleItem {self.name!r}: {label} must be finite and >= 0")

    @property
    def num_tiles(self) -> int:
        return sum(run.count for run in self.tiles)

    @property
    def load_bytes(self) -> int:
        return sum(run.total_load_bytes for run in self.tiles)

    @property
    def store_bytes(self) -> int:
        return sum(run.total_store_bytes for run in self.tiles)

    @property
    def tile_compute_cycles(self) -> float:
        """Compute plus write-back cycles of all tiles (what the compute unit is busy for)."""
        return sum(run.total_compute_cycles for run in self.tiles)

    def bounds(self, machine: SimMachine) -> tuple[float, float]:
        """(compute_cycles, memory_cycles) the schedule is checked against: the analytic
        values when given, else derived from the tiles."""
        compute = self.compute_cycles
        if compute is None:
            compute = float(self.tile_compute_cycles)
        memory = self.memory_cycles
        if memory is None:
            memory = machine.memory_cycles(self.tiles)
        return float(compute), float(memory)
