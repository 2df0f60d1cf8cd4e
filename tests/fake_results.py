"""Hand-made simulation results for the report tests (no cost model needed).

A :class:`FakeResult` has the attributes of ``hwsim.pipeline.SimulationResult`` the reports
read, with totals computed the obvious way from hand-written :class:`LayerResult` records,
so that expected values in the tests can be worked out by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hwsim.result import EnergyBreakdown, LayerResult


@dataclass
class FakeNetwork:
    name: str
    params: int
    macs: int
    accuracy: dict = field(default_factory=dict)
    path: str = ""


@dataclass
class FakeAccelerator:
    name: str
    rows: int = 4
    cols: int = 4
    dram_bytes_per_cycle: float = 8.0
    clock_mhz: float = 1000.0
    path: str = ""


@dataclass
class FakeResult:
    network: Any
    accelerator: Any
    layers: tuple
    dataflow: str | None = None
    engine: str = "analytic"
    energy_unit: str = "mac"
    clock_mhz: float = 1000.0

    @property
    def total_cycles(self) -> float:
        return sum(l.cycles for l in self.layers)

    @property
    def latency_ms(self) -> float:
        return self.total_cycles / (self.clock_mhz * 1e3)

    @property
    def total_macs(self) -> int:
        return sum(l.macs for l in self.layers)

    @property
    def dram_bytes(self) -> int:
        return sum(l.dram_bytes for l in self.layers)

    @property
    def energy(self) -> EnergyBreakdown:
        total = EnergyBreakdown()
        for l in self.layers:
            total = total + l.energy
        return total

    @property
    def utilization(self) -> float:
        busy = sum(l.utilization * l.cycles for l in self.layers if l.macs)
        time = sum(l.cycles for l in self.layers if l.macs)
        return busy / time if time else 0.0


def layer(name: str, macs: int, cycles: float, utilization: float = 0.5, *,
          mac_class: str = "conv1x1", dram_read: int = 100, dram_write: int = 0,
          energy: EnergyBreakdown | None = None, type_: str = "conv",
          dataflow: str = "ws") -> LayerResult:
    return LayerResult(name=name, type=type_, mac_class=mac_class, dataflow=dataflow, macs=macs,
                       effective_macs=macs, cycles=cycles, compute_cycles=cycles,
                       memory_cycles=0.0, utilization=utilization, dram_read_bytes=dram_read,
                       dram_write_bytes=dram_write,
                       energy=energy or EnergyBreakdown(mac=float(macs)))


def result(net_name: str, acc_name: str, layers: list[LayerResult], *, params: int = 1000,
           dataflow: str | None = None, energy_unit: str = "mac", clock_mhz: float = 1000.0,
           accuracy: dict | None = None) -> FakeResult:
    net = FakeNetwork(net_name, params, sum(l.macs for l in layers), dict(accuracy or {}),
                      path=f"networks/{net_name.lower()}.yaml")
    acc = FakeAccelerator(acc_name, clock_mhz=clock_mhz, path=f"accelerators/{acc_name.lower()}.yaml")
    return FakeResult(net, acc, tuple(layers), dataflow=dataflow, energy_unit=energy_unit,
                      clock_mhz=clock_mhz)
