"""The default sweep evaluation: build one configuration's machine, run its networks on it.

A worker applies the configuration's overrides to the base accelerator data and validates
the result with the accelerator loader (``parse_accelerator``); a rejected combination (a
dataflow the microarchitecture lacks, a non-positive size, ...) becomes an ``invalid``
outcome for every network, with the loader's message (the overridden keys are attributed to
the sweep file). Each network is then simulated with ``hwsim.simulate``; bad input and the
cost model's ``TilingError`` (no tile fits the global buffer) are ``invalid`` for that
network, anything else unexpected is ``internal`` (retried on the next run).

Speed: with the analytic engine a row's totals are summed straight from the cost model's
per-layer records (:func:`analytic_totals`, the same sums in the same order as
:class:`~hwsim.result.SimulationResult`'s totals, without building a ``LayerResult`` per
layer); the event engine, and any accelerator section this path does not model, go through
``hwsim.simulate`` (the reference; ``tests/test_sweep_fast_path.py`` checks both agree).
Networks are parsed once per process and kept (cached by their content digest), and
one task runs all networks of one configuration back to back, so the cost model's per-layer
cache serves every network on that machine (identical layer shapes are costed once). A
worker keeps more layers' DRAM tiling candidates than a run (:func:`keep_sweep_caches`):
they depend only on the layer's shape and the array's granularity, which many machines of a
sweep share.

The metrics of a row (see ``results.METRIC_COLUMNS``): total cycles, latency in ms, energy
and its components in the accelerator's energy unit, average PE utilization, MACs, DRAM
bytes, and an area proxy: ``area_pes`` (rows x cols) and ``area_buffer_bytes`` (on-chip
storage: global, preload and broadcast buffers plus every PE's register file, one data word
per entry), and ``area_mm2``, the same in square millimetres at 65 nm from the documented
table of ``hwsim.hardware.area`` (empty for a data width the table lacks).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from hwsim.config.accelerator_file import parse_accelerator
from hwsim.config.network_file import parse_network
from hwsim.cost import dram_candidates
from hwsim.cost.energy import EnergyBreakdown, price
from hwsim.cost.model import LayerCost
from hwsim.cost.tiling import TilingError
from hwsim.errors import InputError, Problem
from hwsim.hardware.accelerator import Accelerator
from hwsim.hardware.area import area_mm2, storage_bytes
from hwsim.inputs import load_network
from hwsim.pipeline import analytic_layer_costs, simulate
from hwsim.result import TOTAL_COLUMN, Engine, SimulationResult
from hwsim.sweep import results as R
from hwsim.sweep.axes import PARAMS_PREFIX
from hwsim.sweep.keypaths import canonical_json
from hwsim.sweep.spec import NetworkRef, SweepSpec, apply_overrides
from hwsim.sweep.tasks import Outcome, Task
from hwsim.workload.network import Network

log = logging.getLogger(__name__)

# Per-process cache of parsed networks: (file, digest, input size, params) -> Network. Lives
# as long as the worker process, so every task after the first finds its networks parsed.
_NETWORKS: dict[tuple[str, str, str, str], Network] = {}

# Errors that mean "this combination is not a valid machine for this network": bad input, and
# the cost model's "no tile fits the global buffer".
_INVALID_ERRORS: tuple[type[BaseException], ...] = (InputError, TilingError)


def load_network_ref(ref: NetworkRef, params: Mapping[str, Any] | None = None,
                     input_size: Any = None) -> Network:
    """The Network of ``ref``, parsed once per process (per parameter values and input
    size: ``params`` and ``input_size``, a configuration's network settings, override the
    file's and the sweep's)."""
    size = input_size if input_size is not None else ref.input_size
    params = dict(params or {})
    key = (ref.file, ref.digest, repr(size), canonical_json(params))
    network = _NETWORKS.get(key)
    if network is None:
        if ref.data is not None:
            network = parse_network(ref.data, ref.file, input_size=size, params=params)
        else:
            network = load_network(ref.file, input_size=size, params=params)
        _NETWORKS[key] = network
    return network


T = TypeVar("T")


def per_network(store: dict[int, tuple[Network, Any]], network: Network,
                derive: Callable[[Network], T]) -> T:
    """``derive(network)``, kept in ``store`` for this network object (with the object
    itself, so its id is not reused while kept): what a sweep derives of a network once per
    process (its networks are parsed once and kept)."""
    held = store.get(id(network))
    if held is None or held[0] is not network:
        held = store[id(network)] = (network, derive(network))
    value: T = held[1]
    return value


_NETWORK_COLUMNS: dict[int, tuple[Network, dict[str, Any]]] = {}


def network_metrics(network: Network) -> dict[str, Any]:
    """The network's columns of a row: its name as loaded, its parameter count and its
    published accuracy at exactly these parameter values and input size (empty where none is
    published)."""
    return dict(per_network(_NETWORK_COLUMNS, network, _network_columns))


def _network_columns(network: Network) -> dict[str, Any]:
    return {"network_name": network.name, "param_count": network.params,
            "top1": network.accuracy.get("top1"), "top5": network.accuracy.get("top5")}


def build_accelerator(task: Task) -> Accelerator:
    """The configuration's validated Accelerator; InputError if the combination is invalid."""
    data = apply_overrides(task.accelerator_data, task.config.overrides)
    origins = dict(task.accelerator_origins)
    for path, _value in task.config.overrides:
        origins[path] = f"{task.sweep_file or 'sweep'} ({task.config.describe()})"
    return parse_accelerator(data, task.accelerator_file, origins)


def area_buffer_bytes(accelerator: Accelerator) -> int:
    """On-chip storage in bytes: global + preload + broadcast buffers + register files."""
    return storage_bytes(accelerator)


@dataclass(frozen=True, slots=True)
class RunTotals:
    """The totals of an analytic run that a results row reads (the names of
    :class:`~hwsim.result.SimulationResult`'s, so ``TOTAL_COLUMN`` reads either)."""

    total_cycles: float
    latency_ms: float
    total_macs: int
    effective_macs: int
    dram_bytes: int
    dram_read_bytes: int
    dram_write_bytes: int
    utilization: float
    energy: EnergyBreakdown
    energy_unit: str


#: The accelerator sections the fast path leaves to ``simulate`` when they are enabled
#: (layer fusion changes how layers are run).
_UNMODELLED_SECTIONS = ("fusion",)


def fast_path_applies(accelerator: Accelerator, engine: str) -> bool:
    """Whether :func:`analytic_totals` gives this run's totals (else ``simulate`` does)."""
    return engine == Engine.ANALYTIC and not any(
        getattr(getattr(accelerator, name, None), "enabled", False)
        for name in _UNMODELLED_SECTIONS)


def analytic_totals(network: Network, accelerator: Accelerator) -> RunTotals:
    """The analytic run's totals, summed in the order and with the operations of
    ``simulate(...).total_cycles``, ``.energy``, ... (so equal to the last bit)."""
    return sum_totals(analytic_layer_costs(network, accelerator), accelerator)


def sum_totals(costs: Sequence[LayerCost], accelerator: Accelerator,
               priced: dict[int, EnergyBreakdown] | None = None) -> RunTotals:
    """The totals of a run whose layers (in order) have ``costs``: see
    :func:`analytic_totals`. A record repeated in ``costs`` (the cost model's caches return
    the same object for a repeated layer) is priced once; ``priced`` (record id -> energy on
    this accelerator) keeps the prices across calls (a sweep batch's networks on one
    machine share records)."""
    table = accelerator.energy
    # the energy components summed layer by layer, each on its own (as EnergyBreakdown's +)
    e_mac = e_rf = e_array = e_glb = e_dram = e_leak = 0.0
    cycles: float = 0
    macs = effective = read = write = dram = weighted_macs = 0
    weighted: float = 0
    if priced is None:
        priced = {}
    for cost in costs:
        e = priced.get(id(cost))
        if e is None:
            e = priced[id(cost)] = price(cost.counts, cost.cycles, table)
        e_mac += e.mac
        e_rf += e.rf
        e_array += e.array
        e_glb += e.glb
        e_dram += e.dram
        e_leak += e.leakage
        cycles += cost.cycles
        layer_macs = cost.counts.macs
        macs += layer_macs
        effective += int(round(cost.counts.effective_macs))
        read += cost.dram_read_bytes
        write += cost.dram_write_bytes
        dram += cost.dram_read_bytes + cost.dram_write_bytes
        if layer_macs:
            weighted += cost.utilization * layer_macs
            weighted_macs += layer_macs
    energy = EnergyBreakdown(e_mac, e_rf, e_array, e_glb, e_dram, e_leak)
    total_cycles = float(cycles)
    return RunTotals(
        total_cycles=total_cycles, latency_ms=total_cycles / (accelerator.clock_mhz * 1e3),
        total_macs=macs, effective_macs=effective, dram_bytes=dram, dram_read_bytes=read,
        dram_write_bytes=write,
        utilization=weighted / weighted_macs if weighted_macs else 0.0, energy=energy,
        energy_unit=accelerator.energy.unit)


def metrics(result: SimulationResult | RunTotals, accelerator: Accelerator) -> dict[str, Any]:
    """The metric columns of one results row."""
    row: dict[str, Any] = {column: TOTAL_COLUMN[name].get(result)  # type: ignore[arg-type]
                           for column, name in R.RESULT_METRICS.items()}
    row["area_pes"] = accelerator.pes
    row["area_buffer_bytes"] = area_buffer_bytes(accelerator)
    row["area_mm2"] = area_mm2(accelerator)
    return row


def keep_sweep_caches() -> None:
    """A sweep meets the same layer shapes and array granularity on many machines: keep
    more layers' tiling candidates than a run does."""
    cache = dram_candidates.CANDIDATE_CACHE
    cache.maxsize = max(cache.maxsize, dram_candidates.SWEEP_CACHE_SIZE)


def evaluate_task(task: Task) -> list[Outcome]:
    """Run every network of ``task`` on its configuration (see the module docstring)."""
    keep_sweep_caches()
    try:
        accelerator = build_accelerator(task)
    except InputError as exc:
        return [Outcome(n.label, R.INVALID, error=str(exc)) for n in task.networks]
    fast = fast_path_applies(accelerator, task.engine)

    def run(network: Network) -> SimulationResult | RunTotals:
        if fast:
            return analytic_totals(network, accelerator)
        return simulate(network, accelerator, engine=task.engine)

    return [network_outcome(task, ref, accelerator, run) for ref in task.networks]


def network_outcome(task: Task, ref: NetworkRef, accelerator: Accelerator,
                    run: Callable[[Network], SimulationResult | RunTotals]) -> Outcome:
    """The outcome of network ``ref`` of ``task`` on its machine ``accelerator``: the
    metrics of ``run(network)``, or what it raised (module docstring: invalid or internal)."""
    try:
        network = load_network_ref(ref, task.config.network_params,
                                   task.config.network_input_size)
        result = run(network)
        return Outcome(ref.label, metrics={**metrics(result, accelerator),
                                           **network_metrics(network)})
    except _INVALID_ERRORS as exc:
        return Outcome(ref.label, R.INVALID, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - recorded as an internal error, retried
        log.debug("simulation failed: %s on %s", ref.label, task.config.key, exc_info=True)
        return Outcome(ref.label, R.INTERNAL, error=f"{type(exc).__name__}: {exc}")


def preflight(spec: SweepSpec) -> None:
    """Check, before a sweep starts, what would make every configuration fail: networks
    that do not load and axis paths the accelerator format does not know. One InputError
    (naming the sweep file and the axis) lists every such problem."""
    problems: list[Problem] = []
    for ref in spec.networks:
        try:
            load_network_ref(ref)
        except InputError as exc:
            problems.extend(_network_problems(spec, ref, exc))
    problems.extend(_network_axis_problems(spec))
    for axis in spec.axes:
        if axis.is_network:
            continue
        for path in axis.paths:
            # one value is enough to know whether the format has the key
            data = apply_overrides(spec.accelerator_data, [(path, axis.values[0])])
            try:
                parse_accelerator(data, spec.accelerator_file, {path: spec.file})
            except InputError as exc:
                problems.extend(Problem(spec.file, f"axis {axis.name!r}",
                                        f"{p.place}: {p.message}")
                                for p in exc.problems
                                if _within(p.place, path) and p.message.startswith("unknown key"))
    if problems:
        raise InputError(problems)


def _network_axis_problems(spec: SweepSpec) -> list[Problem]:
    """A ``network.params.NAME`` axis whose NAME a network file does not declare, or one of
    whose values the file does not accept (``param_choices``): problems per (axis, network),
    naming the axis and the parameters (or values) the file has. Each distinct value is
    tried; an undeclared name is reported once."""
    problems: list[Problem] = []
    for axis in spec.axes:
        for path in axis.paths:
            if not path.startswith(PARAMS_PREFIX):
                continue
            name = path[len(PARAMS_PREFIX):]
            for ref in spec.networks:
                problems.extend(_param_axis_problems(spec, axis.name, ref, name, axis.values))
    return problems


def _param_axis_problems(spec: SweepSpec, axis: str, ref: NetworkRef, name: str,
                         values: Sequence[Any]) -> list[Problem]:
    seen: list[Any] = []
    for value in values:
        if value in seen:
            continue
        seen.append(value)
        try:
            load_network_ref(ref, {name: value})
        except InputError as exc:
            found = [Problem(spec.file, f"axis {axis!r}", f"{Path(ref.file).name}: {p.message}")
                     for p in exc.problems if p.place == f"params.{name}"
                     or "declares no params" in p.message]
            if found:  # one wrong name or value per (axis, network) is enough to fix it
                return found
    return []


def _network_problems(spec: SweepSpec, ref: NetworkRef, exc: InputError) -> list[Problem]:
    """The problems of a network that does not load. When the network loads at its own
    input size, the sweep's ``input_size`` is to blame: each problem is reported at that
    place of the sweep file too (``s.yaml: networks[0].input_size: 5 does not fit ...``)."""
    if ref.input_size is None:
        return list(exc.problems)
    try:
        load_network_ref(replace(ref, input_size=None))
    except InputError:
        return list(exc.problems)  # broken whatever the size: the network file's problems
    place = f"{ref.place}.input_size" if ref.place else "input_size"
    return [Problem(spec.file, place, f"{ref.input_size!r} does not fit this network: {p}")
            for p in exc.problems]


def _within(place: str, path: str) -> bool:
    """Whether a problem at key path ``place`` concerns ``path`` (itself or an ancestor)."""
    return place == path or path.startswith(place + ".") or path.startswith(place + "[")


__all__ = ["evaluate_task", "per_network", "keep_sweep_caches", "preflight", "metrics", "analytic_totals",
           "sum_totals", "RunTotals",
           "fast_path_applies", "network_metrics", "area_buffer_bytes", "build_accelerator",
           "load_network_ref", "network_outcome"]
