"""Hand-made simulation results for the report tests, built with the real records
(:class:`~hwsim.result.LayerResult`, :class:`~hwsim.result.SimulationResult`, a real
:class:`~hwsim.workload.network.Network` and :class:`~hwsim.hardware.accelerator.Accelerator`),
so the totals follow the real rules (utilization weighted by MACs, ...) and the expected
values can still be worked out by hand. No cost model runs.
"""

from __future__ import annotations

from hwsim.hardware.accelerator import Accelerator, EnergyTable
from hwsim.result import EnergyBreakdown, Engine, LayerResult, SimulationResult
from hwsim.workload.layer import TensorShape
from hwsim.workload.network import Network


def layer(name: str, macs: int, cycles: float, utilization: float = 0.5, *,
          mac_class: str = "conv1x1", dram_read: int = 100, dram_write: int = 0,
          energy: EnergyBreakdown | None = None, type_: str = "conv",
          dataflow: str = "ws") -> LayerResult:
    return LayerResult(name=name, type=type_, mac_class=mac_class, dataflow=dataflow, macs=macs,
                       effective_macs=macs, cycles=cycles, compute_cycles=cycles,
                       memory_cycles=0.0, utilization=utilization, dram_read_bytes=dram_read,
                       dram_write_bytes=dram_write,
                       energy=energy or EnergyBreakdown(mac=float(macs)))


def result(net_name: str, acc_name: str, layers: list[LayerResult], *,
           dataflow: str = "", energy_unit: str = "mac", clock_mhz: float = 1000.0,
           accuracy: dict | None = None) -> SimulationResult:
    """A run of ``layers`` (the network record itself has no layers: the reports read the
    results' layers and totals). ``dataflow`` "" is a run with no dataflow named: the
    comparison shows it as ``default``."""
    net = Network(net_name, TensorShape(3, 8, 8), (), accuracy=dict(accuracy or {}),
                  path=f"networks/{net_name.lower()}.yaml")
    acc = Accelerator(name=acc_name, clock_mhz=clock_mhz, energy=EnergyTable(unit=energy_unit),
                      path=f"accelerators/{acc_name.lower()}.yaml")
    return SimulationResult(network=net, accelerator=acc, dataflow=dataflow,
                            engine=Engine.ANALYTIC, energy_unit=energy_unit,
                            clock_mhz=clock_mhz, layers=tuple(layers))
