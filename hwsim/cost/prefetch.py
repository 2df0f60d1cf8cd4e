"""Weight prefetch: the next layer's leading loads fetched in the current layer's idle DRAM
channel time, in closed form (``buffer.weight_prefetch``).

The machine (rule 6 of :mod:`hwsim.sim.engine`, which plays it event by event): while layer
i runs, the DMA channel is idle for ``T_i - M_i`` cycles (its span minus its own transfers'
channel time, ``hwsim.cost.tiles``). Into that time, at the lowest priority, the DMA fetches
layer i+1's leading loads into buffer space layer i never uses:

* **reserved** = ``min(W, L, G - H - P)``, at least 0: W the weight bytes of layer i+1, L the
  load bytes of the tiles layer i+1 admits at its start (:func:`initial_load_bytes`, before
  its first store), G the global buffer, H the bytes kept on chip while layer i runs (fusion's
  ``keep_on_chip``) and P the peak buffer bytes of layer i's tile program
  (:func:`peak_buffer_bytes`);
* the prefetch is **one transfer** that pays the DRAM latency once, resuming without a second
  latency when layer i needs the channel in between: it needs ``latency + reserved / bw``
  cycles of idle channel time; given less, it moves ``floor(max(idle - latency, 0) * bw)``
  bytes (:func:`prefetch_transfer`);
* layer i+1 then runs its tiles without those bytes (:func:`strip_leading_loads`, its first
  tiles' loads shrink or vanish) and is timed by the one formula, ``cost.tiles.runs_time``.
  Layer i is never delayed, and no layer gets longer (the time is monotone in every load).

Counts do not change: the prefetched bytes are still read from DRAM by the layer whose
weights they are (its DRAM bytes and energy), earlier; only that layer's time shrinks.
:func:`weight_prefetch` is the analytic engine's post-pass over the per-layer costs; the
event engine plays the same reservation and rounding with these functions.

The tile program (``hwsim.sim.plan``) loads the next tile while fewer than ``slots`` tiles are
live (two with double buffering, one without) and its bytes fit, else stores the oldest. So
every tile j is at some point the only live tile, and with two slots tiles j and j+1 are live
together exactly when ``b_j + b_{j+1} <= G``: the peak is the largest such pair (or the
largest tile), and a layer admits two tiles at its start when its first two fit together.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

from hwsim.cost.model import ARRAY, LayerCost
from hwsim.cost.tiles import TileRun
from hwsim.cost.timing import Timing, layer_timing
from hwsim.dataflow.base import MachineParams

#: Relative slack under which an idle time counts as long enough for the whole prefetch.
_COMPLETE = 1e-9


def _check_slots(slots: int) -> None:
    if slots not in (1, 2):
        raise ValueError(f"a tile program keeps one or two tiles live, not {slots}")


def peak_buffer_bytes(runs: Sequence[TileRun], slots: int, glb_bytes: int) -> int:
    """The most global-buffer bytes the tile program of ``runs`` holds at once (module
    docstring): the largest tile, or with two slots the largest pair of consecutive tiles
    that fit ``glb_bytes`` together."""
    _check_slots(slots)
    peak = 0
    previous: int | None = None
    for run in runs:
        b = run.buffer_bytes
        peak = max(peak, b)
        if slots == 2:
            if previous is not None and previous + b <= glb_bytes:
                peak = max(peak, previous + b)
            if run.count > 1 and 2 * b <= glb_bytes:
                peak = max(peak, 2 * b)
        previous = b
    return peak


def initial_tiles(runs: Sequence[TileRun], slots: int, glb_bytes: int) -> int:
    """How many tiles the program of ``runs`` loads before its first store: two when two
    slots are free and the first two tiles fit together, else one (none without tiles)."""
    _check_slots(slots)
    if not runs:
        return 0
    first = runs[0]
    if slots == 1 or (first.count == 1 and len(runs) == 1):
        return 1
    second = first if first.count > 1 else runs[1]
    return 2 if first.buffer_bytes + second.buffer_bytes <= glb_bytes else 1


def initial_load_bytes(runs: Sequence[TileRun], slots: int, glb_bytes: int) -> int:
    """Load bytes of the tiles the program of ``runs`` admits at its start."""
    total = 0
    left = initial_tiles(runs, slots, glb_bytes)
    for run in runs:
        if left <= 0:
            break
        n = min(run.count, left)
        total += n * run.load_bytes
        left -= n
    return total


def reserved_bytes(weight_bytes: int, next_runs: Sequence[TileRun], slots: int,
                   glb_bytes: int, free_bytes: int) -> int:
    """Buffer bytes reserved for prefetching the next layer: ``min(its weight bytes, the load
    bytes of the tiles it admits at its start, free_bytes)``, at least 0. ``free_bytes``: the
    buffer minus the kept tensors and the current layer's peak."""
    if weight_bytes <= 0:
        return 0
    return max(int(min(weight_bytes, initial_load_bytes(next_runs, slots, glb_bytes),
                       free_bytes)), 0)


def prefetch_transfer(reserved: int, idle: float, latency: float,
                      bytes_per_cycle: float) -> tuple[int, float]:
    """``(bytes fetched, channel cycles used)`` of one prefetch of ``reserved`` bytes given
    ``idle`` cycles of channel time: all of it (``latency + reserved / bw`` cycles) when the
    idle time suffices, else the whole bytes that stream after the latency."""
    if reserved <= 0:
        return 0, 0.0
    need = latency + reserved / bytes_per_cycle
    if idle >= need * (1 - _COMPLETE):
        return reserved, need
    used = max(idle, 0.0)
    moved = max(used - latency, 0.0)
    # whole bytes, robust to the rounding of the idle time
    return min(reserved, math.floor(moved * bytes_per_cycle + 1e-6)), used


def strip_leading_loads(runs: Sequence[TileRun], num_bytes: int) -> tuple[TileRun, ...]:
    """``runs`` with their first ``num_bytes`` of loads removed (already on chip), tile by
    tile from the first; a partly affected run is split."""
    out: list[TileRun] = []
    left = num_bytes
    for first in runs:
        run: TileRun | None = first
        while left > 0 and run is not None:
            take = min(run.load_bytes, left)
            left -= take
            out.append(dataclasses.replace(run, count=1, load_bytes=int(run.load_bytes - take)))
            run = dataclasses.replace(run, count=run.count - 1) if run.count > 1 else None
        if run is not None:
            out.append(run)
    return tuple(out)


def _head(runs: Sequence[TileRun], num_bytes: int) -> tuple[TileRun, ...]:
    """The first tiles of ``runs``: the k whose loads :func:`strip_leading_loads` takes
    ``num_bytes`` from, and one more (all tiles if there are no more)."""
    touched, left = 0, num_bytes
    for run in runs:
        if left <= 0:
            break
        n = run.count if run.load_bytes == 0 else min(run.count, -(-left // run.load_bytes))
        touched += n
        left -= n * run.load_bytes
    wanted = touched + 1
    out: list[TileRun] = []
    for run in runs:
        if wanted <= 0:
            break
        n = min(run.count, wanted)
        out.append(run if n == run.count else dataclasses.replace(run, count=n))
        wanted -= n
    return tuple(out)


def stripped_timing(cost: LayerCost, num_bytes: int, timing: Timing) -> tuple[float, float, float]:
    """``(cycles, memory, fill)`` of ``cost``'s layer with its first ``num_bytes`` of loads
    already on chip. Stripping changes only the loads of the first k tiles, and in ``T = A_1
    + sum_i max(C_i, A_{i+1} + D_{i-1}) + D_n`` (or the sum without double buffering) only
    the terms up to tile k read them; those terms are the same in the formula over the first
    k + 1 tiles, so the change is that of those tiles alone (a few tiles, not the layer)."""
    head = _head(cost.tiles, num_bytes)
    memory, cycles, _fill, _drain = layer_timing(head, timing)
    new_memory, new_cycles, fill, _drain = layer_timing(strip_leading_loads(head, num_bytes),
                                                        timing)
    return (cost.cycles + (new_cycles - cycles), cost.memory_cycles + (new_memory - memory),
            fill)


def weight_prefetch(costs: Sequence[LayerCost], machine: MachineParams, glb_bytes: int,
                    held: Sequence[int] | None = None) -> list[LayerCost]:
    """The analytic engine's post-pass (module docstring): ``costs`` (one per layer, in the
    order the layers run) with each layer timed after the previous layer prefetched what it
    could of its leading loads. ``glb_bytes``: the global buffer; ``held``: bytes kept on chip
    while each layer runs (fusion's resident bytes; none when omitted).

    A changed layer gets its new ``cycles``, ``fill_cycles`` and ``utilization`` and its
    ``prefetched_bytes``; its tiles, counts, DRAM bytes and ``memory_cycles`` (all its
    transfers, the bound the schedule is checked against) stay as they were.
    """
    timing = Timing.from_machine(machine)
    slots = 2 if machine.double_buffering else 1
    latency, bw = machine.dram_latency_cycles, machine.dram_bytes_per_cycle
    out: list[LayerCost] = []
    fetched = 0
    for index, cost in enumerate(costs):
        cycles, memory = cost.cycles, cost.memory_cycles
        if fetched:
            cycles, memory, fill = stripped_timing(cost, fetched, timing)
            utilization = (cost.counts.effective_macs / (machine.pes * cycles)
                           if cost.kind == ARRAY and cycles else cost.utilization)
            cost = dataclasses.replace(cost, cycles=cycles, fill_cycles=fill,
                                       utilization=utilization, prefetched_bytes=fetched)
        out.append(cost)
        fetched = 0
        following = costs[index + 1] if index + 1 < len(costs) else None
        if following is not None and following.weight_bytes:
            kept = held[index] if held is not None else 0
            free = glb_bytes - kept - peak_buffer_bytes(cost.tiles, slots, glb_bytes - kept)
            reserved = reserved_bytes(following.weight_bytes, following.tiles, slots,
                                      glb_bytes, free)
            fetched = prefetch_transfer(reserved, cycles - memory, latency, bw)[0]
    return out


__all__ = ["weight_prefetch", "stripped_timing", "peak_buffer_bytes", "initial_tiles", "initial_load_bytes",
           "reserved_bytes", "prefetch_transfer", "strip_leading_loads"]
