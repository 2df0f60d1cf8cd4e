"""``simulate``: a network on an accelerator, layer by layer, into a :class:`SimulationResult`.

The pipeline is thin: for every layer it asks the cost model (``hwsim.cost.model``) for
counts and cycles in the requested dataflow, prices the counts with the accelerator's
energy table (``hwsim.cost.energy``), checks the model's invariants where the result is made
(utilization in (0, 1], DRAM traffic at least the compulsory traffic, cycles between
``max(compute, memory)`` and ``compute + memory``, MACs conserved) and records the result.

Engines: ``analytic`` (the default, :data:`hwsim.result.DEFAULT_ENGINE`) takes each layer's
time from the cost model and runs the layers one after another, with the next layer's weights
prefetched in each layer's idle channel time when the buffer has ``weight_prefetch`` on
(``hwsim.cost.prefetch``, a post-pass over the costs: :func:`analytic_layer_costs`); ``event``
plays the same tiles through the SimPy event scheduler (``hwsim.sim``: DMA channel,
double-buffered global buffer, the same weight prefetch) and takes each layer's span from the
schedule. Both use the same counts (prefetched bytes stay with the layer whose weights they
are), so energy differs only by leakage (which depends on time), and the times agree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hwsim._version import __version__
from hwsim.cost.energy import price
from hwsim.cost.fusion import FusionPlan, LayerFlow, plan_fusion
from hwsim.cost.model import ARRAY, LayerCost, TilingError, cost_layer
from hwsim.cost.prefetch import weight_prefetch
from hwsim.dataflow.base import MachineParams
from hwsim.errors import InputError, ModelError, Problem
from hwsim.hardware.accelerator import Accelerator, Fusion, accepted_dataflows
from hwsim.result import DEFAULT_ENGINE, ENGINES, Engine, LayerResult, SimulationResult
from hwsim.workload.network import Network

if TYPE_CHECKING:  # the event engine is imported when it runs (see _event_schedule)
    from hwsim.sim.schedule import Schedule

_TOLERANCE = 1e-6


def _provenance(network: Network, acc: Accelerator, dataflow: str, engine: str) -> dict[str, Any]:
    return {"hwsim_version": __version__, "network_path": network.path,
            "accelerator_path": acc.path, "input_shape": network.input_shape.as_list(),
            "dataflow": dataflow, "engine": engine}


def check_cost(layer_name: str, cost: LayerCost, macs: int) -> None:
    """The model's invariants for one layer; ModelError names the layer and the value."""
    def fail(what: str) -> None:
        raise ModelError(f"layer '{layer_name}' ({cost.dataflow}): {what}")

    if cost.counts.macs != macs:
        fail(f"MACs not conserved: {cost.counts.macs} counted, {macs} in the layer")
    if cost.cycles < 0 or cost.compute_cycles < 0 or cost.memory_cycles < 0:
        fail("negative cycles")
    low = max(cost.compute_cycles, cost.memory_cycles)
    high = cost.compute_cycles + cost.memory_cycles
    if cost.cycles < low * (1 - _TOLERANCE) or cost.cycles > high * (1 + _TOLERANCE) + 1e-9:
        fail(f"cycles {cost.cycles} outside [max(compute, memory), compute + memory] = "
             f"[{low}, {high}]")
    if cost.dram_bytes < cost.compulsory_dram_bytes:
        fail(f"DRAM traffic {cost.dram_bytes} below the compulsory {cost.compulsory_dram_bytes} bytes")
    if cost.kind == ARRAY and not 0.0 < cost.utilization <= 1.0 + _TOLERANCE:
        fail(f"utilization {cost.utilization} outside (0, 1]")


def _layer_result(layer: Any, cost: LayerCost, acc: Accelerator) -> LayerResult:
    energy = price(cost.counts, cost.cycles, acc.energy)
    extra: dict[str, Any] = {"spatial_utilization": cost.spatial_utilization,
                             "fill_cycles": cost.fill_cycles, "drain_cycles": cost.drain_cycles,
                             "writeback_cycles": cost.writeback_cycles,
                             "counts": cost.counts.to_dict()}
    if cost.mapping is not None:
        extra["array_cycles"] = cost.mapping.array_cycles
        extra["mapping"] = cost.mapping.description
        extra["passes"] = cost.mapping.passes
    if cost.tiling is not None:
        t = cost.tiling
        extra["tiling"] = {"order": t.order, "output_channels": t.kt, "output_rows": t.pt,
                           "input_channels": t.ct, "tile_bytes": t.footprint_words * acc.word_bytes,
                           "tiles": t.pipeline_tiles}
    if cost.alternatives:
        extra["cycles_by_dataflow"] = dict(cost.alternatives)
    if cost.prefetched_bytes:  # analytic engine: fetched during the previous layer
        extra["prefetched_bytes"] = cost.prefetched_bytes
    return LayerResult(
        name=layer.name, type=layer.type, mac_class=layer.mac_class, dataflow=cost.dataflow,
        macs=cost.counts.macs, effective_macs=int(round(cost.counts.effective_macs)),
        cycles=cost.cycles, compute_cycles=float(cost.compute_cycles),
        memory_cycles=cost.memory_cycles, utilization=cost.utilization,
        dram_read_bytes=cost.dram_read_bytes, dram_write_bytes=cost.dram_write_bytes,
        energy=energy, bound=cost.bound, vector_ops=cost.counts.vector_ops, extra=extra,
        tiles=cost.tiles, weight_bytes=cost.weight_bytes)


def layer_costs(network: Network, accelerator: Accelerator,
                dataflow: str | None = None) -> list[LayerCost]:
    """The cost model's record for every layer (no energy), each layer on its own: what the
    event engine is given (it plays the weight prefetch itself)."""
    return _costs(network, accelerator, dataflow)[0]


def analytic_layer_costs(network: Network, accelerator: Accelerator,
                         dataflow: str | None = None) -> list[LayerCost]:
    """The records the analytic engine times the layers by: :func:`layer_costs` after the
    weight-prefetch post-pass (``hwsim.cost.prefetch``) when the buffer prefetches."""
    return _prefetched(*_costs(network, accelerator, dataflow), accelerator)


def _prefetched(costs: list[LayerCost], plan: FusionPlan | None,
                accelerator: Accelerator) -> list[LayerCost]:
    """``costs`` with the next layer's weights prefetched (``buffer.weight_prefetch``), the
    kept tensors of a fusing machine held in the buffer."""
    if not accelerator.buffer.weight_prefetch:
        return costs
    held = [flow.resident_bytes for flow in plan.flows] if plan is not None else None
    return weight_prefetch(costs, MachineParams.from_accelerator(accelerator),
                           accelerator.buffer.global_bytes, held)


def _costs(network: Network, accelerator: Accelerator, dataflow: str | None
           ) -> tuple[list[LayerCost], FusionPlan | None]:
    """Every layer's cost and, on a fusing machine, the fusion plan they follow."""
    df = resolve_dataflow(accelerator, dataflow)
    machine = MachineParams.from_accelerator(accelerator)
    where = accelerator.path or accelerator.name
    fusion = accelerator.fusion
    plan = None
    if fusion.enabled:
        try:
            plan = plan_fusion(network.layers, machine, df, accelerator.buffer.global_bytes,
                               elementwise=fusion.elementwise, keep_on_chip=fusion.keep_on_chip)
        except KeyError as exc:
            raise InputError([Problem(where, "microarchitecture", f"{exc.args[0]}")]) from None
        except TilingError as exc:
            raise InputError([Problem(where, "buffer.global_kib", f"{exc}")]) from None
        for layer, cost in zip(network.layers, plan.costs):
            check_cost(layer.name, cost, layer.macs)
        return list(plan.costs), plan
    costs = []
    for layer in network.layers:
        try:
            cost = cost_layer(layer, machine, df)
        except (KeyError, TilingError) as exc:
            raise layer_error(where, layer.name, exc) from None
        check_cost(layer.name, cost, layer.macs)
        costs.append(cost)
    return costs, None


def layer_error(where: str, layer_name: str, exc: BaseException) -> BaseException:
    """What a run raises when costing layer ``layer_name`` of a machine from ``where``
    raised ``exc``: InputError for a dataflow without a strategy (KeyError) and a layer no
    tile of which fits the buffer (TilingError), else ``exc`` itself."""
    if isinstance(exc, KeyError):
        return InputError([Problem(where, "microarchitecture", f"{exc.args[0]}")])
    if isinstance(exc, TilingError):
        return InputError([Problem(where, "buffer.global_kib", f"layer '{layer_name}': {exc}")])
    return exc


def resolve_dataflow(accelerator: Accelerator, dataflow: str | None = None) -> str:
    """The run's dataflow (``dataflow``, else the accelerator's); InputError if the array
    has no such dataflow."""
    df = dataflow or accelerator.dataflow
    allowed = accepted_dataflows(accelerator.microarchitecture)
    if df not in allowed:
        raise InputError(f"dataflow '{df}' does not exist on a {accelerator.microarchitecture} "
                         f"array (accepted: {', '.join(allowed)})",
                         file=accelerator.path or accelerator.name)
    return df


def simulate(network: Network, accelerator: Accelerator, dataflow: str | None = None,
             engine: str = DEFAULT_ENGINE) -> SimulationResult:
    """Simulate ``network`` on ``accelerator``.

    ``dataflow`` overrides the accelerator's (``ws``, ``os``, ``hybrid``; ``is`` on a systolic
    array); ``engine`` is ``analytic`` or ``event``. Raises InputError for a bad combination
    (unknown dataflow, a layer that does not fit the buffer) and ModelError if an invariant of
    the model is violated (a bug).
    """
    if engine not in ENGINES:
        raise InputError(f"unknown engine '{engine}' (accepted: {', '.join(ENGINES)})")
    engine = Engine(engine)
    df = resolve_dataflow(accelerator, dataflow)
    costs, plan = _costs(network, accelerator, df)
    timed = costs if engine == Engine.EVENT else _prefetched(costs, plan, accelerator)
    layers = [_layer_result(layer, cost, accelerator) for layer, cost in zip(network.layers, timed)]
    schedule = None
    if engine == Engine.EVENT:
        layers, schedule = _event_schedule(network, accelerator, costs, layers,
                                           plan.flows if plan else None)
    baseline: dict[str, float] = {}
    if plan is not None:
        unfused = simulate(network, dataclasses.replace(accelerator, fusion=Fusion()), df, engine)
        layers = _with_fusion(layers, plan, unfused.layers, accelerator.word_bytes)
        baseline = {"cycles": unfused.total_cycles, "dram_bytes": float(unfused.dram_bytes),
                    "energy": unfused.energy.total}
    return SimulationResult(
        network=network, accelerator=accelerator, dataflow=df, engine=engine,
        energy_unit=accelerator.energy.unit, clock_mhz=accelerator.clock_mhz,
        layers=tuple(layers), provenance=_provenance(network, accelerator, df, engine),
        schedule=schedule, unfused=baseline)


def _with_fusion(layers: Sequence[LayerResult], plan: FusionPlan,
                 unfused: Sequence[LayerResult], word_bytes: int) -> list[LayerResult]:
    """Each layer's fusion record in ``extra["fusion"]``: where its input came from, where
    its output went, and the DRAM bytes it moved less than on the machine without fusion."""
    out = []
    for result, flow, base in zip(layers, plan.flows, unfused):
        record = {"input_source": flow.input_source,
                  "output_destination": flow.output_destination,
                  "saved_dram_bytes": base.dram_bytes - result.dram_bytes,
                  "fused_into": flow.fused_into, "fused": list(flow.fused),
                  "resident_bytes": flow.resident_bytes, "spilled_bytes": flow.spilled_bytes,
                  "pool_fallback": flow.pool_fallback}
        out.append(dataclasses.replace(result, extra={**result.extra, "fusion": record}))
    return out


def _event_schedule(network: Network, accelerator: Accelerator, costs: Sequence[LayerCost],
                    layers: list[LayerResult], flows: Sequence[LayerFlow] | None = None
                    ) -> tuple[list[LayerResult], Schedule]:
    """Replace each layer's time by its span in the event schedule (hwsim.sim)."""
    # Imported here: an analytic run (the default, and every sweep) never loads the event
    # engine and its records (start-up time of ``hwsim run``, docs/ARCHITECTURE.md).
    from hwsim.sim.adapter import machine_from_accelerator, schedule_items
    from hwsim.sim.engine import run_schedule

    items = schedule_items(network.layers, costs, flows)
    schedule = run_schedule(items, machine_from_accelerator(accelerator))
    out = []
    for result, cost, span in zip(layers, costs, schedule.layers):
        cycles = span.cycles
        utilization = (cost.counts.effective_macs / (accelerator.pes * cycles)
                       if cost.kind == ARRAY and cycles else result.utilization)
        event = {key: getattr(span, key) for key in (
            "compute_busy_cycles", "dma_busy_cycles", "stall_data_cycles",
            "stall_buffer_cycles", "drain_cycles", "prefetched_bytes", "prefetch_busy_cycles",
            "peak_buffer_bytes", "num_tiles")}
        out.append(dataclasses.replace(
            result, cycles=cycles, start_cycle=span.start_cycle, end_cycle=span.end_cycle,
            stall_cycles=span.stall_cycles, utilization=utilization,
            energy=price(cost.counts, cycles, accelerator.energy),
            extra={**result.extra, "event": event}))
    return out, schedule


__all__ = ["simulate", "layer_costs", "analytic_layer_costs", "check_cost", "layer_error",
           "resolve_dataflow"]
