"""The records a simulation produces: per-layer results, energy breakdowns, the whole run.

These are the contract between the model (``cost``, ``sim``, ``pipeline``) and everything
that reports (``report``, ``cli``, ``sweep``). Counts and cycles are integers or floats in
the unit their name says; energy is in the accelerator's ``energy_unit`` (``mac``: normalised
to one 16-bit MAC, Eyeriss-style, or ``pJ``).

Every export of a result (the run CSV and JSON, the DataFrame, the comparison rows, the
sweep's metric columns) takes its values from one column table: :data:`LAYER_COLUMNS` (one
entry per per-layer fact) and :data:`TOTAL_COLUMNS` (per-run totals), each a
:class:`ResultColumn` with the column's name, unit, getter and meaning. An export chooses
columns from the table; it never reads a record field on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from hwsim._version import __version__, json_header
from hwsim.cost.energy import ENERGY_COMPONENTS, EnergyBreakdown

if TYPE_CHECKING:  # annotations only: the result layer imports no model code
    from hwsim.hardware.accelerator import Accelerator
    from hwsim.sim.schedule import Schedule
    from hwsim.workload.network import Network


class Engine(StrEnum):
    """How a layer's time is found: ``analytic`` (the cost model's closed form) or ``event``
    (the tiles played through the SimPy event scheduler, ``hwsim.sim``)."""

    ANALYTIC = "analytic"
    EVENT = "event"


ENGINES: tuple[Engine, ...] = tuple(Engine)
# The engine of ``hwsim.simulate``, ``hwsim run`` and ``hwsim compare`` when none is named:
# one default, so the same set-up gives the same answer in Python and on the command line.
DEFAULT_ENGINE = Engine.ANALYTIC


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
    tiles: Sequence[Any] = ()
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


@dataclass(frozen=True, slots=True)
class SimulationResult:
    """Everything a report needs about one network on one accelerator.

    ``layers`` are in the network's (topological) order; the totals are properties. Energy is
    in ``energy_unit`` (the accelerator's energy table unit: ``mac`` or ``pJ``).
    """

    network: Network
    accelerator: Accelerator
    dataflow: str
    engine: Engine
    energy_unit: str
    clock_mhz: float
    layers: tuple[LayerResult, ...]
    provenance: Mapping[str, Any] = field(default_factory=dict)
    schedule: Schedule | None = None   # the event engine's timeline, else None
    # On a fusing machine: the same machine without fusion, same engine (cycles, dram_bytes,
    # energy); empty otherwise
    unfused: Mapping[str, float] = field(default_factory=dict)

    # --- totals ----------------------------------------------------------------------
    @property
    def total_cycles(self) -> float:
        """Cycles from the first layer's start to the last layer's end."""
        ends = [layer.end_cycle for layer in self.layers if layer.end_cycle is not None]
        if ends and len(ends) == len(self.layers):
            return max(ends)
        return float(sum(layer.cycles for layer in self.layers))

    @property
    def latency_ms(self) -> float:
        """Total cycles at ``clock_mhz``, in milliseconds."""
        return self.total_cycles / (self.clock_mhz * 1e3)

    @property
    def total_macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def effective_macs(self) -> int:
        """MACs actually performed (zero weights skipped by the dataflow excluded)."""
        return sum(layer.effective_macs for layer in self.layers)

    @property
    def dram_bytes(self) -> int:
        return sum(layer.dram_bytes for layer in self.layers)

    @property
    def dram_read_bytes(self) -> int:
        return sum(layer.dram_read_bytes for layer in self.layers)

    @property
    def dram_write_bytes(self) -> int:
        return sum(layer.dram_write_bytes for layer in self.layers)

    @property
    def energy(self) -> EnergyBreakdown:
        total = EnergyBreakdown()
        for layer in self.layers:
            total = total + layer.energy
        return total

    @property
    def utilization(self) -> float:
        """PE utilization averaged over the array layers, weighted by their MACs."""
        weighted = [(layer.utilization, layer.macs) for layer in self.layers if layer.macs]
        macs = sum(m for _, m in weighted)
        return sum(u * m for u, m in weighted) / macs if macs else 0.0

    def layer(self, name: str) -> LayerResult:
        for candidate in self.layers:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    # --- exports -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of ``hwsim run --format json`` (see the README)."""
        layers = []
        for r in self.layers:
            record = {c.name: c.get(r) for c in LAYER_COLUMNS if c.json}
            if r.end_cycle is not None:
                record.update((c.name, c.get(r)) for c in EVENT_LAYER_COLUMNS)
            layers.append(record)
        return {
            **json_header(),
            "network": self.network.name,
            "accelerator": self.accelerator.name,
            "dataflow": self.dataflow,
            "engine": self.engine,
            "energy_unit": self.energy_unit,
            "clock_mhz": self.clock_mhz,
            "hwsim_version": self.provenance.get("hwsim_version") or __version__,
            "provenance": dict(self.provenance),
            "assumptions": self.accelerator.assumptions(),
            "layers": layers,
            "totals": {c.name: c.get(self) for c in TOTAL_COLUMNS if c.json},
        }

    def flat_records(self) -> list[dict[str, Any]]:
        """One dict per layer: the run's :data:`RUN_COLUMNS` (network, accelerator, engine),
        then :data:`FLAT_LAYER_COLUMNS` (energy as ``energy_<component>``; the event engine's
        ``start_cycle``, ``end_cycle`` and ``stall_cycles``, None from the analytic engine).
        The rows of the run CSV and of :meth:`to_dataframe`."""
        run = {c.name: c.get(self) for c in RUN_COLUMNS}
        return [{**run, **{c.name: c.get(r) for c in FLAT_LAYER_COLUMNS}} for r in self.layers]

    def to_dataframe(self) -> Any:
        """One row per layer (pandas DataFrame) of :meth:`flat_records`."""
        import pandas as pd

        return pd.DataFrame(self.flat_records(), columns=[c.name for c in FLAT_COLUMNS])


R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class ResultColumn(Generic[R]):
    """One exported fact of a record: its column ``name``, ``unit`` (``""`` for names and
    kinds; ``energy unit`` is the run's ``energy_unit``), how to ``get`` it from the record,
    and what it means. ``flat``: in the one-row-per-record exports (run CSV, DataFrame);
    ``json``: in the JSON record (which nests the energy split instead of flat columns)."""

    name: str
    unit: str
    get: Callable[[R], Any]
    description: str
    flat: bool = True
    json: bool = True


def _energy_columns(get_energy: Callable[[Any], EnergyBreakdown], what: str
                    ) -> list[ResultColumn[Any]]:
    """``energy_<component>`` for each component, then ``energy_total`` (flat exports only)."""
    def component(c: str) -> Callable[[Any], float]:
        return lambda r: getattr(get_energy(r), c)

    out: list[ResultColumn[Any]] = [
        ResultColumn(f"energy_{c}", "energy unit", component(c), f"{c} energy of {what}",
                     json=False) for c in ENERGY_COMPONENTS]
    out.append(ResultColumn("energy_total", "energy unit", lambda r: get_energy(r).total,
                            f"energy of {what}, all components", json=False))
    return out


def _fusion(r: LayerResult, key: str, default: Any) -> Any:
    """A layer's fusion fact (``extra["fusion"]``, from a fusing machine), else ``default``:
    without fusion every input comes from DRAM and every output goes there (a view moves
    nothing)."""
    record = r.extra.get("fusion")
    if record is None:
        if r.dataflow == "none" and key != "saved_dram_bytes":
            return "none"
        return default
    return record[key]


def _saved(s: SimulationResult, key: str, value: float) -> float:
    """What fusion saved against the same machine without it (0 without fusion)."""
    return s.unfused[key] - value if s.unfused else 0.0


LAYER_COLUMNS: tuple[ResultColumn[LayerResult], ...] = (
    ResultColumn("name", "", lambda r: r.name, "layer name"),
    ResultColumn("type", "", lambda r: r.type, "layer type (conv, fc, maxpool ...)"),
    ResultColumn("mac_class", "", lambda r: r.mac_class,
                 "MAC class (first_conv, conv1x1, convFxF, depthwise, fc, other)"),
    ResultColumn("dataflow", "", lambda r: r.dataflow, "mode the layer ran in"),
    ResultColumn("macs", "MACs", lambda r: r.macs, "multiply-accumulates of the layer"),
    ResultColumn("effective_macs", "MACs", lambda r: r.effective_macs,
                 "MACs performed (zero weights skipped excluded)"),
    ResultColumn("vector_ops", "ops", lambda r: r.vector_ops, "vector-unit operations"),
    ResultColumn("cycles", "cycles", lambda r: r.cycles, "the layer's time"),
    # whole cycles (the array and the vector unit count them) are integers; ``cycles`` and
    # ``memory_cycles`` include DRAM time, bytes / (bytes per cycle), which is fractional
    ResultColumn("compute_cycles", "cycles", lambda r: int(r.compute_cycles),
                 "analytic compute bound (whole cycles)"),
    ResultColumn("memory_cycles", "cycles", lambda r: r.memory_cycles, "analytic memory bound"),
    ResultColumn("utilization", "fraction", lambda r: r.utilization, "PE utilization"),
    ResultColumn("dram_read_bytes", "bytes", lambda r: r.dram_read_bytes, "DRAM bytes read"),
    ResultColumn("dram_write_bytes", "bytes", lambda r: r.dram_write_bytes, "DRAM bytes written"),
    ResultColumn("dram_bytes", "bytes", lambda r: r.dram_bytes, "DRAM bytes moved", json=False),
    ResultColumn("arithmetic_intensity", "MACs/byte", lambda r: r.arithmetic_intensity,
                 "MACs per DRAM byte"),
    ResultColumn("bound", "", lambda r: r.bound, "compute or memory (roofline)"),
    ResultColumn("array_cycles", "cycles", lambda r: int(r.extra.get("array_cycles", 0)),
                 "the mapping's array cycles (0 off the array)", flat=False),
    ResultColumn("energy", "energy unit", lambda r: r.energy.to_dict(),
                 "energy by component and total", flat=False),
    ResultColumn("counts", "", lambda r: dict(r.extra.get("counts", {})),
                 "the cost model's access counts", flat=False),
    *_energy_columns(lambda r: r.energy, "the layer"),
    ResultColumn("input_source", "", lambda r: _fusion(r, "input_source", "dram"),
                 "where the layer's input came from: dram, glb, dram+glb, fused (the "
                 "previous layer of a fused chain) or none (a view)"),
    ResultColumn("output_destination", "", lambda r: _fusion(r, "output_destination", "dram"),
                 "where the layer's output went: dram, glb, fused or none"),
    ResultColumn("fusion_saved_bytes", "bytes", lambda r: _fusion(r, "saved_dram_bytes", 0),
                 "DRAM bytes the layer moved less than without fusion (0 without fusion)"),
)
# Per-layer columns the event engine fills: in the JSON of event results only; in the flat
# exports always (empty / None from the analytic engine, so every run CSV has one header).
EVENT_LAYER_COLUMNS: tuple[ResultColumn[LayerResult], ...] = (
    ResultColumn("start_cycle", "cycles", lambda r: r.start_cycle, "first cycle of the layer"),
    ResultColumn("end_cycle", "cycles", lambda r: r.end_cycle, "cycle the layer ends"),
    ResultColumn("stall_cycles", "cycles", lambda r: r.stall_cycles,
                 "cycles the compute unit stood still"),
)
# The run a layer row belongs to: first in the flat exports, so the CSVs of several runs
# concatenate into one table.
RUN_COLUMNS: tuple[ResultColumn[SimulationResult], ...] = (
    ResultColumn("network", "", lambda s: s.network.name, "network name"),
    ResultColumn("accelerator", "", lambda s: s.accelerator.name, "accelerator name"),
    ResultColumn("engine", "", lambda s: str(s.engine), "analytic or event"),
)

TOTAL_COLUMNS: tuple[ResultColumn[SimulationResult], ...] = (
    ResultColumn("cycles", "cycles", lambda s: s.total_cycles, "first layer's start to last's end"),
    ResultColumn("latency_ms", "ms", lambda s: s.latency_ms, "total cycles at the clock"),
    ResultColumn("macs", "MACs", lambda s: s.total_macs, "multiply-accumulates of the run"),
    ResultColumn("effective_macs", "MACs", lambda s: s.effective_macs, "MACs performed"),
    ResultColumn("dram_bytes", "bytes", lambda s: s.dram_bytes, "DRAM bytes moved"),
    ResultColumn("dram_read_bytes", "bytes", lambda s: s.dram_read_bytes, "DRAM bytes read"),
    ResultColumn("dram_write_bytes", "bytes", lambda s: s.dram_write_bytes, "DRAM bytes written"),
    ResultColumn("utilization", "fraction", lambda s: s.utilization,
                 "PE utilization, MAC-weighted over the array layers"),
    ResultColumn("energy", "energy unit", lambda s: s.energy.to_dict(),
                 "energy by component and total", flat=False),
    *_energy_columns(lambda s: s.energy, "the run"),
    ResultColumn("energy_unit", "", lambda s: s.energy_unit, "mac or pJ", json=False),
    ResultColumn("fusion_saved_dram_bytes", "bytes",
                 lambda s: _saved(s, "dram_bytes", s.dram_bytes),
                 "DRAM bytes fusion saved against the same machine without it"),
    ResultColumn("fusion_saved_cycles", "cycles", lambda s: _saved(s, "cycles", s.total_cycles),
                 "cycles fusion saved against the same machine without it"),
    ResultColumn("fusion_saved_energy", "energy unit",
                 lambda s: _saved(s, "energy", s.energy.total),
                 "energy fusion saved against the same machine without it"),
)


def columns_by_name(columns: tuple[ResultColumn[R], ...]) -> dict[str, ResultColumn[R]]:
    return {c.name: c for c in columns}


LAYER_COLUMN = columns_by_name(LAYER_COLUMNS)
TOTAL_COLUMN = columns_by_name(TOTAL_COLUMNS)
# The per-layer columns of the run CSV / DataFrame, in order (after RUN_COLUMNS).
FLAT_LAYER_COLUMNS = tuple(c for c in LAYER_COLUMNS if c.flat) + EVENT_LAYER_COLUMNS
# Every column of the run CSV / DataFrame, in order.
FLAT_COLUMNS: tuple[ResultColumn[Any], ...] = RUN_COLUMNS + FLAT_LAYER_COLUMNS




__all__ = ["EnergyBreakdown", "LayerResult", "SimulationResult", "ENERGY_COMPONENTS", "Engine",
           "ENGINES", "DEFAULT_ENGINE", "ResultColumn", "LAYER_COLUMNS", "EVENT_LAYER_COLUMNS", "TOTAL_COLUMNS",
           "LAYER_COLUMN", "TOTAL_COLUMN", "FLAT_LAYER_COLUMNS", "RUN_COLUMNS", "FLAT_COLUMNS"]
