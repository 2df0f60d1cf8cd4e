"""Weight prefetch in the analytic engine (``hwsim/cost/prefetch.py``), by hand on two and three
layers, and the same layers through the event engine (``hwsim/sim/engine.py``, rule 6).

Machine: DRAM latency 100 cycles, 16 bytes per cycle; a transfer of b bytes takes 100 + b / 16
cycles. Layer a: 2 tiles, each loads 320 B (A = 100 + 20 = 120), computes 500 cycles, stores
160 B (D = 100 + 10 = 110), 1,000 B of buffer. Double buffered:
T_a = 120 + max(500, 120) + max(500, 110) + 110 = 1,230; memory M_a = 4 x 100 + 960 / 16 = 460,
so the channel is idle 1,230 - 460 = 770 cycles of layer a.
Layer b: 3 tiles of 1,000 B, each computing 150 and storing 160 B (110); tile 1 loads 3,200 B
(A = 300), tiles 2 and 3 1,600 B (A = 200). On its own: T_b = 300 + max(150, 200 + 0) +
max(150, 200 + 110) + max(150, 0 + 110) + 110 = 1,070; M_b = 6 x 100 + 6,880 / 16 = 1,030.
"""

from __future__ import annotations

import random

import pytest

from hwsim.cost.model import ARRAY, AccessCounts, LayerCost
from hwsim.cost.prefetch import (
    initial_load_bytes,
    initial_tiles,
    peak_buffer_bytes,
    prefetch_transfer,
    strip_leading_loads,
    stripped_timing,
    weight_prefetch,
)
from hwsim.cost.tiles import TileRun, runs_time, transfer_cycles
from hwsim.cost.timing import Timing, layer_timing
from hwsim.dataflow.base import MachineParams
from hwsim.hardware.accelerator import Accelerator, Buffer, PEArray
from hwsim.sim.engine import run_schedule
from hwsim.sim.items import ScheduleItem, SimMachine
from hwsim.sim.plan import Load, Store, make_plan

LATENCY, BW = 100, 16
MACS = 1_200  # effective MACs of each layer (4 PEs)


def a_tiles(compute: float = 500) -> tuple[TileRun, ...]:
    return (TileRun(2, 320, compute, 160, 0, 1000),)


def b_tiles() -> tuple[TileRun, ...]:
    return (TileRun(1, 3200, 150, 160, 0, 1000), TileRun(2, 1600, 150, 160, 0, 1000))


def cost(tiles: tuple[TileRun, ...], weight_bytes: int, double_buffering: bool = True
         ) -> LayerCost:
    """A layer's cost record for ``tiles`` (its time and memory from the one formula, checked
    against the hand values in the tests)."""
    cycles, fill, drain = runs_time(tiles, LATENCY, BW, double_buffering)
    memory = transfer_cycles(tiles, LATENCY, BW)
    reads = sum(t.total_load_bytes for t in tiles)
    writes = sum(t.total_store_bytes for t in tiles)
    compute = sum(t.total_compute_cycles for t in tiles)
    return LayerCost(ARRAY, "ws", AccessCounts(macs=MACS, effective_macs=MACS), int(compute), 0,
                     memory, cycles, fill, drain, MACS / (4 * cycles), 1.0, reads, writes,
                     weight_bytes, reads + writes, tiles=tiles)


def machine(glb_bytes: int, double_buffering: bool = True) -> tuple[MachineParams, int]:
    acc = Accelerator(name="t", pe_array=PEArray(2, 2, 2),
                      buffer=Buffer(global_kib=glb_bytes / 1024, double_buffering=double_buffering))
    assert acc.buffer.global_bytes == glb_bytes and acc.dram_bytes_per_cycle == BW
    return MachineParams.from_accelerator(acc), glb_bytes


def event_spans(layers: list[tuple[tuple[TileRun, ...], int]], glb_bytes: int,
                double_buffering: bool = True, held: tuple[int, ...] = ()) -> list[float]:
    """The same layers through the event engine (``held[i]``: bytes layer i keeps on chip)."""
    items = [ScheduleItem(f"l{i}", tiles, prefetch_bytes=w,
                          hold_bytes=held[i] if i < len(held) else 0,
                          free_bytes=held[i] if i < len(held) else 0)
             for i, (tiles, w) in enumerate(layers)]
    sim = SimMachine(LATENCY, BW, glb_bytes, double_buffering, weight_prefetch=True)
    return [span.cycles for span in run_schedule(items, sim).layers]


def test_the_layers_alone():
    a, b = cost(a_tiles(), 0), cost(b_tiles(), 4000)
    assert a.cycles == 120 + max(500, 120) + max(500, 110) + 110 == 1230
    assert a.memory_cycles == 4 * 100 + (2 * 320 + 2 * 160) / 16 == 460
    assert b.cycles == 300 + max(150, 200) + max(150, 200 + 110) + max(150, 110) + 110 == 1070
    assert b.memory_cycles == 6 * 100 + (3200 + 2 * 1600 + 3 * 160) / 16 == 1030


def test_the_weights_fit_the_idle_time_and_are_all_fetched():
    # reserved = min(weights 4,000, loads of the two tiles b admits 3,200 + 1,600, buffer
    # 10,000 - a's two live tiles 2,000) = 4,000: one transfer of 100 + 4,000 / 16 = 350
    # cycles <= 770 idle. b's loads become 0, 800 (A = 100 + 50 = 150) and 1,600 (200).
    m, glb = machine(10_000)
    a, b = weight_prefetch([cost(a_tiles(), 0), cost(b_tiles(), 4000)], m, glb)
    assert a.cycles == 1230 and a.prefetched_bytes == 0
    assert b.prefetched_bytes == 4000
    assert b.cycles == 0 + max(150, 150 + 0) + max(150, 200 + 110) + max(150, 0 + 110) + 110 == 720
    assert b.fill_cycles == 0
    assert b.utilization == MACS / (4 * 720)
    # counts, DRAM bytes and the memory bound stay the layer's own
    alone = cost(b_tiles(), 4000)
    assert (b.counts, b.dram_read_bytes, b.memory_cycles, b.tiles) \
        == (alone.counts, alone.dram_read_bytes, alone.memory_cycles, alone.tiles)
    assert event_spans([(a_tiles(), 0), (b_tiles(), 4000)], glb) == [1230, 720]


def test_the_tiles_admitted_at_the_start_limit_what_is_reserved():
    # weights 6,000 B: min(6,000, 3,200 + 1,600, 8,000) = 4,800 in 100 + 300 = 400 <= 770
    # cycles; b's first two tiles load nothing more, the third its 1,600 B
    m, glb = machine(10_000)
    assert initial_load_bytes(b_tiles(), 2, glb) == 3200 + 1600
    _, b = weight_prefetch([cost(a_tiles(), 0), cost(b_tiles(), 6000)], m, glb)
    assert b.prefetched_bytes == 4800
    assert b.cycles == 0 + max(150, 0) + max(150, 200 + 110) + max(150, 110) + 110 == 720
    assert event_spans([(a_tiles(), 0), (b_tiles(), 6000)], glb) == [1230, 720]


def test_an_idle_time_shorter_than_the_transfer_fetches_part_of_it():
    # a computes 200.015 cycles per tile: T_a = 120 + 200.015 + 200.015 + 110 = 630.03, idle
    # 630.03 - 460 = 170.03 < 350. The transfer's first 100 cycles are latency, then 70.03 x 16
    # = 1,120.48 bytes stream: 1,120 whole bytes. b's first load: 3,200 - 1,120 = 2,080 B
    # (A = 100 + 130 = 230).
    m, glb = machine(10_000)
    a, b = weight_prefetch([cost(a_tiles(200.015), 0), cost(b_tiles(), 4000)], m, glb)
    assert a.cycles == pytest.approx(120 + 200.015 + 200.015 + 110)
    assert b.prefetched_bytes == 1120 == int((630.03 - 460 - 100) * 16)
    assert b.cycles == 230 + max(150, 200) + max(150, 200 + 110) + max(150, 110) + 110 == 1000
    assert event_spans([(a_tiles(200.015), 0), (b_tiles(), 4000)], glb) \
        == [pytest.approx(630.03), 1000]


def test_a_full_buffer_reserves_nothing():
    # a buffer of 2,000 B holds a's two live tiles and nothing else: b runs as on its own
    m, glb = machine(2000)
    _, b = weight_prefetch([cost(a_tiles(), 0), cost(b_tiles(), 4000)], m, glb)
    assert b.prefetched_bytes == 0 and b.cycles == 1070
    assert event_spans([(a_tiles(), 0), (b_tiles(), 4000)], glb) == [1230, 1070]


def test_kept_tensors_leave_less_room():
    # 10,000 B with 8,000 B kept on chip during a: 10,000 - 8,000 - 2,000 = 0, nothing. With
    # 7,000 B kept: 1,000 B reserved (100 + 62.5 cycles <= 770), b's first load 2,200 B
    # (A = 100 + 137.5 = 237.5)
    m, glb = machine(10_000)
    layers = [cost(a_tiles(), 0), cost(b_tiles(), 4000)]
    _, b = weight_prefetch(layers, m, glb, held=[8000, 0])
    assert b.prefetched_bytes == 0 and b.cycles == 1070
    _, b = weight_prefetch(layers, m, glb, held=[7000, 0])
    assert b.prefetched_bytes == 1000
    assert b.cycles == 237.5 + max(150, 200) + max(150, 200 + 110) + max(150, 110) + 110 == 1007.5
    pairs = [(a_tiles(), 0), (b_tiles(), 4000)]
    assert event_spans(pairs, glb, held=(8000,)) == [1230, 1070]
    assert event_spans(pairs, glb, held=(7000,)) == [1230, 1007.5]


def test_single_buffering_admits_one_tile():
    # one live tile: T_a = 2 x (120 + 500 + 110) = 1,460, idle 1,000; b admits its first tile
    # only: min(6,000, 3,200, 10,000 - 1,000) = 3,200 B in 300 cycles
    m, glb = machine(10_000, double_buffering=False)
    a, b = weight_prefetch([cost(a_tiles(), 0, False), cost(b_tiles(), 6000, False)], m, glb)
    assert a.cycles == 2 * (120 + 500 + 110) == 1460
    assert b.prefetched_bytes == 3200
    assert b.cycles == (0 + 150 + 110) + 2 * (200 + 150 + 110) == 1180
    assert event_spans([(a_tiles(), 0), (b_tiles(), 6000)], glb, double_buffering=False) \
        == [1460, 1180]


def test_a_prefetched_layer_prefetches_in_what_it_leaves_idle():
    # a -> b -> c (c like b). b after prefetch: T_b = 720 with its own transfers 5 x 100 +
    # (800 + 1,600 + 3 x 160) / 16 = 680: 40 idle cycles, less than the latency: c gets nothing
    m, glb = machine(10_000)
    layers = weight_prefetch([cost(a_tiles(), 0), cost(b_tiles(), 4000), cost(b_tiles(), 4000)],
                             m, glb)
    assert [x.prefetched_bytes for x in layers] == [0, 4000, 0]
    assert [x.cycles for x in layers] == [1230, 720, 1070]
    assert transfer_cycles(strip_leading_loads(b_tiles(), 4000), LATENCY, BW) \
        == 5 * 100 + (800 + 1600 + 3 * 160) / 16 == 680
    assert event_spans([(a_tiles(), 0), (b_tiles(), 4000), (b_tiles(), 4000)], glb) \
        == [1230, 720, 1070]


def test_prefetch_transfer_rounding():
    # 1,000 B need 100 + 62.5 cycles; 162.5 fetch all, 150 fetch (150 - 100) x 16 = 800 B,
    # less than the latency nothing
    assert prefetch_transfer(1000, 162.5, 100, 16) == (1000, 162.5)
    assert prefetch_transfer(1000, 150, 100, 16) == (800, 150)
    assert prefetch_transfer(1000, 99, 100, 16) == (0, 99)
    assert prefetch_transfer(0, 500, 100, 16) == (0, 0.0)


def _program_walk(runs: tuple[TileRun, ...], slots: int, glb: int) -> tuple[int, int]:
    """(peak bytes, loads before the first store), read off the tile-by-tile DMA program."""
    plan = make_plan(runs, slots=slots, glb_bytes=glb, coalesce=False)
    used = peak = 0
    first: int | None = None
    for n, cmd in enumerate(plan.dma):
        if isinstance(cmd, Load):
            used += plan.tile(cmd.tile).buffer_bytes
            peak = max(peak, used)
        else:
            assert isinstance(cmd, Store)
            used -= plan.tile(cmd.tile).buffer_bytes
            first = n if first is None else first
    return peak, first if first is not None else len(plan.dma)


def test_peak_and_initial_tiles_are_those_of_the_program():
    rng = random.Random(12)
    for _ in range(300):
        runs = tuple(TileRun(rng.randint(1, 3), rng.randint(0, 50), 1.0, 0, 0,
                             rng.choice([0, 10, 40, 60, 90])) for _ in range(rng.randint(1, 4)))
        for slots in (1, 2):
            glb = rng.choice([90, 100, 130, 200])
            assert (peak_buffer_bytes(runs, slots, glb), initial_tiles(runs, slots, glb)) \
                == _program_walk(runs, slots, glb), (runs, slots, glb)
    assert initial_tiles((), 2, 100) == 0 and peak_buffer_bytes((), 2, 100) == 0


def test_the_change_of_the_first_tiles_is_the_change_of_the_layer():
    """stripped_timing recomputes only the first tiles: the same as the whole layer's
    formula over the stripped tiles, on long layers of mixed runs."""
    rng = random.Random(3)
    for _ in range(200):
        runs = tuple(TileRun(rng.randint(1, 4), rng.choice([0, 160, 320, 3200]),
                             rng.choice([50, 150, 500]), rng.choice([0, 160]), 0, 1000)
                     for _ in range(rng.randint(1, 5)))
        loads = sum(r.total_load_bytes for r in runs)
        if not loads:
            continue
        num_bytes = rng.randint(1, min(loads, 4000))
        for double_buffering in (True, False):
            t = Timing(2, BW, LATENCY, double_buffering)
            whole = cost(runs, 0, double_buffering)
            memory, cycles, fill, _ = layer_timing(strip_leading_loads(runs, num_bytes), t)
            got = stripped_timing(whole, num_bytes, t)
            assert got == (pytest.approx(cycles), pytest.approx(memory), fill), (runs, num_bytes)
