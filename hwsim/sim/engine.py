"""The event engine: a SimPy model of tiles moving through DMA, global buffer and compute units.

**The machine.** One DMA engine moves data between DRAM and the global buffer over one
channel shared by every transfer (loads and stores, of every layer). The global buffer holds
the live tiles (``slots`` at a time: two with double buffering, else one) within its capacity
(a SimPy ``Container`` of bytes). The PE array computes one tile at a time and then writes
its results back to the global buffer (the OS write-back, on the array: the array is busy);
the vector unit does the same for pooling, element-wise and similar layers.

**The rules** (all times in cycles):

1. Layers run one after another, in the given topological order: a layer starts when the
   previous one has ended (all its tiles computed and stored), so every dependency has ended.
2. Every DRAM tile is one load transfer and one store transfer (those with bytes). A transfer
   of ``b`` bytes occupies the one channel for ``latency + b / dram_bytes_per_cycle`` cycles
   (the request waits for DRAM, then the bytes stream); transfers never overlap, loads and
   stores share the channel.
3. DRAM latency is paid by every transfer, as the analytic model (``hwsim.cost.tiles``)
   assumes: a layer of n tiles pays it up to 2n times, and only the first tile's load and the
   last tile's store cannot be hidden behind compute. A transfer of 0 bytes is instant.
4. The DMA engine runs its commands strictly in program order (see :mod:`hwsim.sim.plan`):
   load the next tile if it fits the buffer (a free slot and enough free bytes), otherwise
   store the oldest live tile as soon as it is computed, then free its space. A tile is live
   from the start of its load until its store ends.
5. The compute unit takes tiles in order; a tile starts when its load has ended and the
   previous tile (with its write-back) is done.
6. Weight prefetch (``SimMachine.weight_prefetch``): during a layer, the next layer's leading
   loads (at most its ``prefetch_bytes``, only for the tiles it admits at its start, only
   into buffer space the current layer never uses) move at the lowest priority as one
   transfer that pays its own DRAM latency: only while the current layer leaves the channel
   idle, giving the channel back at once when the current layer needs it (and resuming
   without a second latency). The current layer's schedule is
   therefore exactly what it is without prefetch; the next layer no longer loads those bytes.
   The reservation and the bytes a given idle time moves are :mod:`hwsim.cost.prefetch`'s,
   which the analytic engine uses in closed form (the idle gaps sum to T - M, below).
7. Kept tensors (``ScheduleItem.hold_bytes`` / ``free_bytes``, fusion's ``keep_on_chip``): an
   item's held bytes are reserved in the buffer when it starts and stay until the end of the
   item that frees them (the tensor's last consumer); the items in between place their
   tiles, and the prefetch its bytes, in what is left.

**Why the analytic bounds hold by construction.** Let C be a layer's compute plus
write-back cycles, M the channel time of the transfers it makes in its own span
(transfers x latency + bytes / bandwidth) and T = end - start. (a) The unit does all C
cycles inside the span, one tile at a time: T >= C. (b) All its transfers hold the one
channel inside the span: T >= M. (c) At every instant until the layer ends, the unit or the
channel works for the layer: if the channel is idle, the engine is at a store waiting for
that tile's computation (a load never waits, rule 4); every load before that store has
ended, so the earliest unfinished tile can compute and the unit is busy. Hence T <= C + M.
Without double buffering every load waits for the previous store, so T = C + M exactly.
Prefetch only removes bytes (and so transfers) from the first tiles' loads (the program does
not change, and times are maxima and sums of durations), so with prefetch
max(C, M_own) <= T <= C + M_analytic, and no layer gets longer. :func:`run_schedule` checks
these bounds for every layer and raises :class:`~hwsim.errors.ModelError` if one fails.

**Coalescing.** Every stretch where the DMA program keeps one steady pattern (store a
tile, load the next one that fits) is one closed-form block (:mod:`hwsim.sim.plan`), across
runs of different tiles: the number of events grows with the number of pattern changes in a
layer (where two tiles stop or start fitting together, its first loads and last stores),
not with its tiles or runs, and a block's arithmetic with its distinct steps.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hwsim.cost.prefetch import prefetch_transfer, reserved_bytes, strip_leading_loads
from hwsim.errors import ModelError
from hwsim.sim.items import ScheduleItem, SimMachine
from hwsim.sim.plan import Block, Compute, ComputeBlock, Load, Part, Plan, Store, make_plan
from hwsim.sim.schedule import (
    TRACK_ARRAY,
    TRACK_DMA,
    TRACK_LAYERS,
    TRACK_PREFETCH,
    TRACK_VECTOR,
    TRACK_WRITEBACK,
    LayerSchedule,
    Schedule,
    TraceSlice,
)

if TYPE_CHECKING:
    import simpy

log = logging.getLogger(__name__)

_INF = float("inf")

#: A stretch of DMA channel time: ``(start, end, None)`` for one transfer, ``(start, end,
#: (period, busy, steps))`` for ``steps`` steps of a block, each busy first, then idle.
_Stretch = tuple[float, float, tuple[float, float, int] | None]


def run_schedule(items: Sequence[ScheduleItem], machine: SimMachine, *, coalesce: bool = True,
                 check_bounds: bool = True) -> Schedule:
    """Simulate ``items`` (one per layer, in a topological order) on ``machine``.

    ``coalesce=False`` simulates every tile on its own (slow; for checking the closed form).
    Raises ValueError for inconsistent items (unknown or later dependency, duplicate name,
    a tile larger than the global buffer) and ModelError if a layer breaks the analytic bounds.
    """
    items = tuple(items)
    _validate(items, machine)
    # The one import of SimPy, here: an analytic run or a sweep never loads it (start-up
    # time, see docs/ARCHITECTURE.md).
    import simpy

    env = simpy.Environment()
    glb = simpy.Container(env, capacity=machine.glb_bytes, init=0)
    net = _NetworkRun(env, glb, items, machine, coalesce)
    env.process(net.run())
    events = 0
    while env.peek() < _INF:
        env.step()
        events += 1
    if len(net.layers) != len(items):
        raise ModelError(f"event schedule stopped after {len(net.layers)} of {len(items)} "
                         "layers (deadlock in the tile pipeline)")
    if check_bounds:
        for item, layer in zip(items, net.layers):
            check_layer_bounds(item, layer, machine)
    slices = sorted(net.slices, key=lambda s: (s.start_cycle, s.track))
    return Schedule(machine=machine, layers=tuple(net.layers), slices=tuple(slices),
                    glb_occupancy=tuple(net.glb_samples), events=events, coalesced=coalesce)


def _tolerance(value: float) -> float:
    return 1e-6 + 1e-9 * abs(value)


def check_layer_bounds(item: ScheduleItem, layer: LayerSchedule, machine: SimMachine) -> None:
    """Raise ModelError unless max(C, M_own) <= T <= C + M for this layer (see the module
    docstring), and unless the tiles agree with the analytic compute and memory cycles."""
    compute, memory = layer.analytic_compute_cycles, layer.analytic_memory_cycles
    tiles_compute = float(item.tile_compute_cycles)
    tiles_memory = machine.memory_cycles(item.tiles)
    problems = []
    if abs(tiles_compute - compute) > _tolerance(compute):
        problems.append(f"its tiles compute for {tiles_compute:g} cycles but the analytic "
                        f"model says {compute:g}")
    if abs(tiles_memory - memory) > _tolerance(memory):
        problems.append(f"its tiles move data for {tiles_memory:g} cycles (transfers x latency "
                        f"+ bytes / bandwidth) but the analytic model says {memory:g}")
    own_memory = layer.dma_busy_cycles
    lower = max(tiles_compute, own_memory)
    upper = compute + memory
    cycles = layer.cycles
    if cycles < lower - _tolerance(lower):
        problems.append(f"scheduled in {cycles:g} cycles, below max(compute, memory) = "
                        f"{lower:g}")
    if cycles > upper + _tolerance(upper):
        problems.append(f"scheduled in {cycles:g} cycles, above compute + memory = {upper:g}")
    parts = (layer.compute_busy_cycles + layer.stall_data_cycles + layer.stall_buffer_cycles
             + layer.drain_cycles)
    if abs(parts - cycles) > _tolerance(cycles):
        problems.append(f"busy + stall cycles ({parts:g}) do not add up to its span ({cycles:g})")
    if problems:
        raise ModelError(f"event schedule of layer {layer.name!r}: " + "; ".join(problems))


def _validate(items: tuple[ScheduleItem, ...], machine: SimMachine) -> None:
    seen: set[str] = set()
    for item in items:
        if item.name in seen:
            raise ValueError(f"schedule item {item.name!r} appears twice")
        for dep in item.deps:
            if dep not in seen:
                raise ValueError(f"schedule item {item.name!r} depends on {dep!r}, which does "
                                 "not come before it")
        for run in item.tiles:
            if run.buffer_bytes > machine.glb_bytes:
                raise ValueError(f"schedule item {item.name!r}: a tile needs {run.buffer_bytes} "
                                 f"bytes of global buffer but the buffer has "
                                 f"{machine.glb_bytes}")
        seen.add(item.name)


class _NetworkRun:
    """Runs the layers one after another and collects what they record."""

    def __init__(self, env: simpy.Environment, glb: simpy.Container,
                 items: tuple[ScheduleItem, ...], machine: SimMachine, coalesce: bool):
        self.env = env
        self.glb = glb  # level = bytes held in the global buffer
        self.items = items
        self.machine = machine
        self.coalesce = coalesce
        self.glb_samples: list[tuple[float, int]] = [(0.0, 0)]
        self.slices: list[TraceSlice] = []
        self.layers: list[LayerSchedule] = []

    def glb_change(self, delta: int) -> None:
        level = self.glb_samples[-1][1] + delta
        if not 0 <= level <= self.machine.glb_bytes:
            raise ModelError(f"global buffer would hold {level} bytes (capacity "
                             f"{self.machine.glb_bytes})")
        now = float(self.env.now)
        if level == self.glb_samples[-1][1]:
            return
        if self.glb_samples[-1][0] == now:
            self.glb_samples[-1] = (now, level)
        else:
            self.glb_samples.append((now, level))

    def run(self):
        machine, env = self.machine, self.env
        fetched = 0  # bytes of the current layer fetched during the previous one
        fetched_cycles = 0.0
        reserved = 0
        held = 0  # kept tensors' bytes (rule 7)
        for index, item in enumerate(self.items):
            if reserved:  # the prefetched bytes now belong to this layer's first tiles
                yield self.glb.get(reserved)
                self.glb_change(-reserved)
                reserved = 0
            if item.hold_bytes:
                yield self.glb.put(item.hold_bytes)
                self.glb_change(item.hold_bytes)
                held += item.hold_bytes
            runs = strip_leading_loads(item.tiles, fetched) if fetched else item.tiles
            plan = make_plan(runs, slots=machine.slots, glb_bytes=machine.glb_bytes - held,
                             coalesce=self.coalesce)
            start = float(env.now)

            following = self.items[index + 1] if index + 1 < len(self.items) else None
            if machine.weight_prefetch and following is not None and following.prefetch_bytes:
                reserved = reserved_bytes(following.prefetch_bytes, following.tiles,
                                          machine.slots, machine.glb_bytes,
                                          machine.glb_bytes - held - plan.peak_buffer_bytes)
                if reserved:
                    yield self.glb.put(reserved)
                    self.glb_change(reserved)

            layer = _LayerRun(self, item, plan, start)
            yield env.process(layer.dma()) & env.process(layer.compute())
            end = float(env.now)
            if item.free_bytes:
                yield self.glb.get(item.free_bytes)
                self.glb_change(-item.free_bytes)
                held -= item.free_bytes

            next_fetched, next_cycles = 0, 0.0
            if reserved:
                next_fetched, next_cycles = self._prefetch(layer, following.name, reserved,
                                                           start, end)
            self.slices.append(TraceSlice(TRACK_LAYERS, item.name, item.name, start,
                                          end - start, plan.num_tiles, end - start))
            compute_c, memory_c = item.bounds(machine)
            self.layers.append(LayerSchedule(
                name=item.name, unit=item.unit, start_cycle=start, end_cycle=end,
                compute_busy_cycles=layer.compute_busy, dma_busy_cycles=layer.dma_busy,
                stall_data_cycles=layer.stall_data, stall_buffer_cycles=layer.stall_buffer,
                drain_cycles=end - layer.compute_end,
                dram_read_bytes=float(sum(r.total_load_bytes for r in runs)),
                dram_write_bytes=float(sum(r.total_store_bytes for r in runs)),
                prefetched_bytes=float(fetched), prefetch_busy_cycles=fetched_cycles,
                num_tiles=plan.num_tiles, peak_buffer_bytes=plan.peak_buffer_bytes,
                analytic_compute_cycles=compute_c, analytic_memory_cycles=memory_c))
            fetched, fetched_cycles = next_fetched, next_cycles

    def _prefetch(self, layer: _LayerRun, target: str, reserved: int, ready: float,
                  end: float) -> tuple[int, float]:
        """Walk the channel's idle time in [ready, end] (rule 6): returns (bytes fetched,
        channel cycles used) and records the prefetch slices. The prefetch is one transfer:
        its first ``latency`` cycles of channel time move no bytes."""
        bw = self.machine.dram_bytes_per_cycle
        latency = self.machine.dram_latency_cycles
        need = latency + reserved / bw
        left = need
        t = ready

        for begin, finish, pattern in layer.busy_stretches():
            if left <= 0:
                break
            if begin > t:  # idle gap before this busy stretch
                use = min(left, begin - t)
                self._prefetch_slice(target, t, use, use, 1)
                left -= use
            if pattern is not None and left > 0:
                period, busy, steps = pattern
                gap = period - busy
                if gap > 0 and steps > 1:
                    first_gap = begin + busy
                    needed = math.ceil(left / gap - 1e-12)
                    n = min(steps - 1, max(needed, 1))
                    use = min(left, n * gap)
                    stop = first_gap + (n - 1) * period + (use - (n - 1) * gap)
                    self._prefetch_slice(target, first_gap, stop - first_gap, use, n)
                    left -= use
            t = max(t, finish)
        if left > 0 and end > t:
            use = min(left, end - t)
            self._prefetch_slice(target, t, use, use, 1)
            left -= use
        return prefetch_transfer(reserved, need - max(left, 0.0), latency, bw)

    def _prefetch_slice(self, target: str, start: float, duration: float, busy: float,
                        gaps: int) -> None:
        if duration <= 0:
            return
        self.slices.append(TraceSlice(TRACK_PREFETCH, f"prefetch {target}", target, start,
                                      duration, 1, busy,
                                      {"gaps": gaps} if gaps > 1 else {}))


class _LayerRun:
    """One layer's DMA engine and compute unit as two SimPy processes."""

    def __init__(self, net: _NetworkRun, item: ScheduleItem, plan: Plan, start: float):
        self.net = net
        self.env = net.env
        self.item = item
        self.plan = plan
        self.start = start
        self.transfer = net.machine.transfer_cycles
        self.unit_track = TRACK_ARRAY if item.unit == "array" else TRACK_VECTOR
        self.loaded: dict[int, simpy.Event] = {}
        self.computed: dict[int, simpy.Event] = {}
        self.block_done: dict[int, simpy.Event] = {}
        self.block_start: dict[int, tuple[float, _BlockTiming]] = {}  # first compute -> (m, ..)
        self.store_end: dict[int, float] = {}
        # the channel's busy time in time order: single transfers' stretches, and each
        # block as (m, block) (see busy_stretches)
        self.busy: list[_Stretch | tuple[float, Block]] = []
        self.dma_busy = 0.0
        self.compute_busy = 0.0
        self.stall_data = 0.0
        self.stall_buffer = 0.0
        self.compute_end = start

    def _event(self, table: dict[int, simpy.Event], key: int) -> simpy.Event:
        event = table.get(key)
        if event is None:
            event = table[key] = self.env.event()
        return event

    def _slice(self, track: str, name: str, start: float, duration: float, tiles: int = 1,
               busy: float | None = None, args: dict[str, Any] | None = None) -> None:
        self.net.slices.append(TraceSlice(track, name, self.item.name, start, duration, tiles,
                                          duration if busy is None else busy, args or {}))

    def _transfer(self, kind: str, tile: int, num_bytes: int):
        """One transfer on the channel (rules 2 and 3)."""
        env = self.env
        if num_bytes <= 0:
            return
        begin = float(env.now)
        duration = self.transfer(num_bytes)
        yield env.timeout(duration)
        self.dma_busy += duration
        self.busy.append((begin, float(env.now), None))
        self._slice(TRACK_DMA, f"{kind} {self.item.name} #{tile}", begin, duration,
                    args={"bytes": num_bytes, "tile": tile})

    def busy_stretches(self) -> Iterator[_Stretch]:
        """The channel's busy stretches in time order: ``(start, end, None)`` for one
        transfer, ``(start, end, (period, busy, steps))`` for steps of a block (each busy
        first, then idle). A block's stretches are made only if read this far."""
        for entry in self.busy:
            if len(entry) == 2:
                m, block = entry
                yield from _block_stretches(m, block, self.transfer)
            else:
                yield entry

    # -- the DMA engine -------------------------------------------------------------------
    def dma(self):
        env, plan, net = self.env, self.plan, self.net
        for cmd in plan.dma:
            kind = type(cmd)
            if kind is Load:
                tile = plan.tile(cmd.tile)
                if tile.buffer_bytes:
                    yield net.glb.put(tile.buffer_bytes)  # level = bytes held
                    net.glb_change(tile.buffer_bytes)
                yield from self._transfer("load", cmd.tile, tile.load_bytes)
                self._event(self.loaded, cmd.tile).succeed()
            elif kind is Store:
                tile = plan.tile(cmd.tile)
                yield self._event(self.computed, cmd.tile)
                yield from self._transfer("store", cmd.tile, tile.store_bytes)
                self.store_end[cmd.tile] = float(env.now)
                if tile.buffer_bytes:
                    yield net.glb.get(tile.buffer_bytes)
                    net.glb_change(-tile.buffer_bytes)
            else:
                yield from self._block(cmd)

    def _block(self, block: Block):
        """k steady steps in closed form (see hwsim.sim.plan)."""
        env, net = self.env, self.net
        yield self._event(self.computed, block.first_store)
        m = float(env.now)  # max(end of the previous command, end of the tile's computation)
        timing = _block_timing(block, self.transfer)
        self.store_end[block.first_store] = m + timing.first_store_end
        self.store_end[block.last_store] = m + timing.last_store_end
        self.block_start[block.first_compute] = (m, timing)
        done = self._event(self.block_done, block.first_compute)

        def finish(_event: Any) -> None:
            done.succeed()

        env.timeout(timing.unit_end).callbacks.append(finish)
        if timing.dma_end > 0:
            yield env.timeout(timing.dma_end)
        self.dma_busy += timing.dma_busy
        self.busy.append((m, block))  # its stretches are made when read (busy_stretches)
        change = block.live_bytes_after - block.live_bytes_before
        if change > 0:
            yield net.glb.put(change)
        elif change < 0:
            yield net.glb.get(-change)
        net.glb_change(change)
        first, last = block.first_store, block.last_load
        self._slice(TRACK_DMA, f"store+load {self.item.name} #{first}-{last}", m, timing.dma_end,
                    tiles=block.steps, busy=timing.dma_busy,
                    args={"steps": block.steps, "store_bytes": timing.store_bytes,
                          "load_bytes": timing.load_bytes})
        self._event(self.loaded, block.last_load).succeed()

    # -- the compute unit (PE array with write-back, or vector unit) ----------------------
    def _idle(self, idle_from: float, busy_from: float, after_store: int | None) -> None:
        """Attribute the unit's wait [idle_from, busy_from] to buffer space or data."""
        idle = busy_from - idle_from
        if idle <= 0:
            return
        ready = self.store_end[after_store] if after_store is not None else self.start
        buffer = min(max(min(ready, busy_from) - idle_from, 0.0), idle)
        self.stall_buffer += buffer
        self.stall_data += idle - buffer

    def compute(self):
        env, plan = self.env, self.plan
        name = self.item.name
        last_end = self.start
        for entry in plan.compute:
            if type(entry) is Compute:
                j = entry.tile
                tile = plan.tile(j)
                yield self._event(self.loaded, j)
                begin = float(env.now)
                self._idle(last_end, begin, entry.after_store)
                work = tile.compute_cycles + tile.writeback_cycles
                if work > 0:
                    yield env.timeout(work)
                    self.compute_busy += work
                    if tile.compute_cycles:
                        self._slice(self.unit_track, f"{name} #{j}", begin, tile.compute_cycles)
                    if tile.writeback_cycles:
                        self._slice(TRACK_WRITEBACK, f"write-back {name} #{j}",
                                    begin + tile.compute_cycles, tile.writeback_cycles)
                last_end = float(env.now)
                self._event(self.computed, j).succeed()
            else:
                yield from self._compute_block(entry, last_end)
                last_end = float(env.now)
        self.compute_end = last_end

    def _compute_block(self, entry: ComputeBlock, last_end: float):
        block = entry.block
        yield self._event(self.block_done, block.first_compute)
        m, timing = self.block_start[block.first_compute]
        unit_start = m + timing.unit_start
        self._idle(last_end, unit_start, entry.after_store)  # the first tile's wait
        self.stall_buffer += timing.stall_buffer  # the later tiles' waits
        self.stall_data += timing.stall_data
        self.compute_busy += timing.compute_busy
        end = float(self.env.now)
        first, last, k = block.first_compute, block.last_compute, block.steps
        if timing.compute_cycles:
            self._slice(self.unit_track, f"{self.item.name} #{first}-{last}", unit_start,
                        end - unit_start - timing.last_writeback, tiles=k,
                        busy=timing.compute_cycles, args={"tiles": k})
        if timing.writeback_cycles:
            self._slice(TRACK_WRITEBACK, f"write-back {self.item.name} #{first}-{last}",
                        unit_start + timing.first_compute, end - unit_start - timing.first_compute,
                        tiles=k, busy=timing.writeback_cycles, args={"tiles": k})
        self._event(self.computed, block.last_compute).succeed()


@dataclass(frozen=True, slots=True)
class _BlockTiming:
    """A block's closed form (hwsim.sim.plan), in cycles from the start m of its first step.

    ``stall_buffer`` / ``stall_data``: the compute unit's waits before its second to last
    tiles (the first tile's wait is attributed like any tile's); ``first_compute`` /
    ``last_writeback``: the first tile's compute and the last one's write-back cycles (where
    the block's slices start and end).
    """

    unit_start: float
    unit_end: float
    dma_end: float
    first_store_end: float
    last_store_end: float
    dma_busy: float
    stall_buffer: float
    stall_data: float
    compute_busy: float
    compute_cycles: float
    writeback_cycles: float
    first_compute: float
    last_writeback: float
    load_bytes: int
    store_bytes: int


#: What one step's timing depends on: (store bytes, load bytes, compute cycles, write-back
#: cycles) of its stored, loaded and computed tiles.
_StepKey = tuple[int, int, float, float]


def _step_key(part: Part) -> _StepKey:
    _, stored, computed, loaded = part
    return (stored.store_bytes, loaded.load_bytes, computed.compute_cycles,
            computed.writeback_cycles)


def _step(key: _StepKey, lag: int, transfer: Callable[[float], float]
          ) -> tuple[float, float, float, float, float, float]:
    """(d, a, c, p, wait for space, wait for data) of one step (hwsim.sim.plan): p is the
    step's period, the waits are the next computed tile's."""
    d, a = transfer(key[0]), transfer(key[1])
    c = float(key[2] + key[3])
    if lag == 2:  # the next tile waits p - c, of which max(0, d - c) for space
        p = max(c, a + d)
        space = max(0.0, d - c)
        return d, a, c, p, space, p - c - space
    return d, a, c, a + d + c, d, a  # it waits for the store (space), then its load (data)


def _block_timing(block: Block, transfer: Callable[[float], float]) -> _BlockTiming:
    """Sum the steps of ``block`` (the prefix sums of hwsim.sim.plan): the steps with the
    same tiles' numbers are counted together, so the work grows with the distinct steps."""
    counts: dict[_StepKey, int] = {}
    for part in block.parts:
        key = _step_key(part)
        counts[key] = counts.get(key, 0) + part[0]
    t = dma_busy = buffer = data = compute = compute_only = writeback = 0.0
    load_bytes = store_bytes = 0
    for key, n in counts.items():
        d, a, c, p, space, wait = _step(key, block.lag, transfer)
        t += n * p
        dma_busy += n * (a + d)
        buffer += n * space
        data += n * wait
        compute += n * c
        compute_only += n * key[2]
        writeback += n * key[3]
        store_bytes += n * key[0]
        load_bytes += n * key[1]
    d0, a0 = _step(_step_key(block.parts[0]), block.lag, transfer)[:2]
    d, a, c, p, space, wait = _step(_step_key(block.parts[-1]), block.lag, transfer)
    last_start = t - p
    if block.lag == 2:  # the last step's wait belongs to the tile after the block
        unit_start, unit_end = 0.0, last_start + c
        buffer, data = buffer - space, data - wait
    else:  # the first step's wait is the first tile's
        unit_start, unit_end = d0 + a0, t
        buffer, data = buffer - d0, data - a0
    first, last = block.parts[0][2], block.parts[-1][2]  # the first and last computed tiles
    return _BlockTiming(
        unit_start=unit_start, unit_end=unit_end, dma_end=last_start + d + a,
        first_store_end=d0, last_store_end=last_start + d, dma_busy=dma_busy,
        stall_buffer=buffer, stall_data=data, compute_busy=compute,
        compute_cycles=compute_only, writeback_cycles=writeback,
        first_compute=float(first.compute_cycles), last_writeback=float(last.writeback_cycles),
        load_bytes=load_bytes, store_bytes=store_bytes)


def _block_stretches(m: float, block: Block, transfer: Callable[[float], float]
                     ) -> Iterator[_Stretch]:
    """The channel's busy stretches in a block started at m, one per part: each step is
    busy first (store, then load), then idle."""
    t = m
    for part in block.parts:
        n = part[0]
        d, a, _, p, _, _ = _step(_step_key(part), block.lag, transfer)
        if a + d > 0:
            yield t, t + (n - 1) * p + d + a, (p, a + d, n)
        t += n * p
