"""From the analytic cost model's per-layer output to the event scheduler's input.

The cost model (``hwsim.cost.model``) gives every layer a ``LayerCost`` with ``kind``
(``array``, ``vector`` or ``none``), ``tiles`` (runs of :class:`~hwsim.cost.tiles.TileRun`),
``weight_bytes``, ``compute_cycles`` and ``memory_cycles``. This module turns a network and
those costs into :class:`~hwsim.sim.items.ScheduleItem` records (one per layer, in the
network's topological order, dependencies from the layer's inputs) and an accelerator into a
:class:`~hwsim.sim.items.SimMachine`. Nothing is recomputed: the tiles are passed through as
the cost model chose them. Both functions read attributes only, so any object with these
fields will do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hwsim.sim.items import ScheduleItem, SimMachine

NETWORK_INPUT = "input"


def machine_from_accelerator(accelerator: Any) -> SimMachine:
    """The :class:`SimMachine` of an ``hwsim.hardware.Accelerator``: DRAM latency (cycles),
    bandwidth (bytes per cycle at the accelerator's clock), global-buffer bytes, double
    buffering and weight prefetch (``buffer.weight_prefetch``)."""
    return SimMachine(
        dram_latency_cycles=float(accelerator.dram.latency_cycles),
        dram_bytes_per_cycle=float(accelerator.dram_bytes_per_cycle),
        glb_bytes=int(accelerator.buffer.global_bytes),
        double_buffering=bool(accelerator.buffer.double_buffering),
        weight_prefetch=bool(accelerator.buffer.weight_prefetch),
    )


def schedule_items(layers: Sequence[Any], costs: Sequence[Any],
                   flows: Sequence[Any] | None = None) -> tuple[ScheduleItem, ...]:
    """One item per (layer, cost): ``layers`` are ``hwsim.workload.Layer`` objects in
    topological order, ``costs`` the matching ``LayerCost`` objects, ``flows`` the matching
    ``hwsim.cost.fusion.LayerFlow`` records on a fusing machine (their kept tensors' bytes
    held in the buffer)."""
    if len(layers) != len(costs) or (flows is not None and len(flows) != len(layers)):
        raise ValueError(f"{len(layers)} layers but {len(costs)} costs")
    names = {layer.name for layer in layers}
    items = []
    for index, (layer, cost) in enumerate(zip(layers, costs)):
        flow = flows[index] if flows is not None else None
        kind = getattr(cost, "kind", "array")
        tiles = tuple(getattr(cost, "tiles", ()) or ())
        unit = kind if kind in ("array", "vector") else "none"
        if unit == "none" and tiles:
            unit = "vector"
        deps = tuple(dict.fromkeys(i for i in layer.inputs if i != NETWORK_INPUT and i in names))
        items.append(ScheduleItem(
            name=layer.name, tiles=tiles, deps=deps,
            prefetch_bytes=int(getattr(cost, "weight_bytes", 0) or 0),
            unit=unit,
            compute_cycles=float(cost.compute_cycles),
            memory_cycles=float(cost.memory_cycles),
            hold_bytes=int(getattr(flow, "hold_bytes", 0)),
            free_bytes=int(getattr(flow, "free_bytes", 0))))
    return tuple(items)
