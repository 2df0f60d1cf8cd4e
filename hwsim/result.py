"""The records a simulation produces: per-layer results, energy breakdowns, the whole run.

These are the contract between the model (``cost``, ``sim``, ``pipeline``) and everything
that reports (``report``, ``cli``, ``sweep``). Counts and cycles are integers or floats in
the unit their name says; energy is in the accelerator's ``energy_unit`` (``mac``: normalised
to one 16-bit MAC, Eyeriss-style, or ``pJ``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

ENERGY_COMPONENTS = ("mac", "rf", "array", "glb", "dram", "leakage")


@dataclass(frozen=True, slots=True)
class EnergyBreakdown:
    """Energy by component (MAC, register file, inter-PE array, global buffer, DRAM,
    leakage); ``total`` is their sum."""

    mac: float = 0.0
    rf: float = 0.0
    array: float = 0.0
    glb: float = 0.0
    dram: float = 0.0
    leakage: float = 0.0

    @property
    def total(self) -> float:
        return self.mac + self.rf + self.array + self.glb + self.dram + self.leakage

    def __add__(self, other: EnergyBreakdown) -> EnergyBreakdown:
        return EnergyBreakdown(*(getattr(self, c) + getattr(other, c) for c in ENERGY_COMPONENTS))

    def to_dict(self) -> dict[str, float]:
        out = {c: getattr(self, c) for c in ENERGY_COMPONENTS}
        out["total"] = self.total
        return out


@dataclass(frozen=True, slots=True)
class LayerResult:
    """One layer's result on one accelerator.

    ``dataflow`` is the mode the layer ran in (``ws``, ``os``, ``systolic-ws`` ..., or
    ``vector`` for work on the vector unit, ``none`` for layers that cost nothing).
    ``cycles`` is the layer's time (analytic: the model's estimate; event: end - start).
    ``compute_cycles`` / ``memory_cycles`` are the analytic bounds the event schedule must
    lie between: max(compute, memory) <= cycles <= compute + memory.
    """

    name: str
    type: str
    mac_class: str
    dataflow: str
    macs: int
    effective_macs: int
    cycles: float
    compute_cycles: float
    memory_cycles: float
    utilization: float
    dram_read_bytes: int
    dram_write_bytes: int
    energy: EnergyBreakdown
    bound: str = "compute"  # 'compute' or 'memory' (roofline)
    vector_ops: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)  # model-specific details
    # Filled by the event engine only:
    start_cycle: float | None = None
    end_cycle: float | None = None
    stall_cycles: float | None = None
    # The schedule the cost model chose, for the event scheduler (hwsim.cost.tiles.TileRun
    # records) and the weight bytes it may prefetch during the previous layer:
    tiles: tuple[Any, ...] = ()
    weight_bytes: int = 0

    @property
    def dram_bytes(self) -> int:
        return self.dram_read_bytes + self.dram_write_bytes

    @property
    def arithmetic_intensity(self) -> float:
        """MACs per DRAM byte (0 when the layer moves nothing)."""
        return self.macs / self.dram_bytes if self.dram_bytes else 0.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "energy":
                value = value.to_dict()
            elif f.name == "extra":
                value = dict(value)
            elif f.name == "tiles":
                value = [asdict(t) for t in value]
            out[f.name] = value
        out["dram_bytes"] = self.dram_bytes
        out["arithmetic_intensity"] = self.arithmetic_intensity
        return out


__all__ = ["EnergyBreakdown", "LayerResult", "ENERGY_COMPONENTS"]
