"""The event engine against schedules worked out by hand (rules in hwsim/sim/engine.py).

Notation in the comments: L = DRAM latency, a / c / d = load / compute / store cycles of a
tile, Lj / Cj / Sj = load / compute / store of tile j with their [start, end] cycles.
"""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.cost.prefetch import strip_leading_loads
from hwsim.cost.tiles import TileRun
from hwsim.errors import ModelError
from hwsim.sim import ScheduleItem, SimMachine
from hwsim.sim.engine import run_schedule
from hwsim.sim.schedule import TRACK_ARRAY, TRACK_DMA, TRACK_PREFETCH, TRACK_VECTOR, TRACK_WRITEBACK


def machine(latency=100, bytes_per_cycle=16, glb=10_000, double_buffering=True, prefetch=False):
    return SimMachine(dram_latency_cycles=latency, dram_bytes_per_cycle=bytes_per_cycle,
                      glb_bytes=glb, double_buffering=double_buffering,
                      weight_prefetch=prefetch)


# Two tiles, L = 100, 16 B/cycle: load 320 B (a = 100 + 20 = 120), compute 50, store 160 B
# (d = 100 + 10 = 110): every transfer pays the latency.
TWO_TILES = ScheduleItem("conv", (TileRun(count=2, load_bytes=320, compute_cycles=50,
                                          store_bytes=160, buffer_bytes=1000),))


def test_two_tiles_without_double_buffering_run_strictly_in_sequence():
    # L0 [0,120] C0 [120,170] S0 [170,280] L1 [280,400] C1 [400,450] S1 [450,560]
    s = run_schedule([TWO_TILES], machine(double_buffering=False))
    layer = s.layers[0]
    assert layer.end_cycle == 2 * (120 + 50 + 110)
    assert layer.compute_busy_cycles == 2 * 50
    assert layer.dma_busy_cycles == 2 * (120 + 110)
    assert layer.stall_data_cycles == 120 + 120            # L0, then L1
    assert layer.stall_buffer_cycles == 110                # S0 must free the only slot
    assert layer.drain_cycles == 110                       # S1 after the last compute
    # without double buffering the schedule is exactly compute + memory
    compute, memory = 2 * 50, 4 * 100 + (2 * 320 + 2 * 160) / 16
    assert layer.cycles == compute + memory


def test_two_tiles_with_double_buffering_overlap_the_second_load():
    # L0 [0,120] L1 [120,240] C0 [120,170] S0 [240,350] C1 [240,290] S1 [350,460]:
    # A1 + max(C1, A2 + D0) + max(C2, A3 + D1) + D2 = 120 + max(50, 120) + max(50, 110) + 110
    s = run_schedule([TWO_TILES], machine())
    layer = s.layers[0]
    assert layer.end_cycle == 120 + 120 + 110 + 110
    assert layer.stall_data_cycles == 120 + (240 - 170)
    assert layer.stall_buffer_cycles == 0
    assert layer.drain_cycles == 460 - 290
    dma = [(x.name.split()[0], x.start_cycle, x.end_cycle) for x in s.slices if x.track == TRACK_DMA]
    assert dma == [("load", 0, 120), ("load", 120, 240), ("store", 240, 350),
                   ("store", 350, 460)]
    array = [(x.start_cycle, x.end_cycle) for x in s.slices if x.track == TRACK_ARRAY]
    assert array == [(120, 170), (240, 290)]


def test_three_memory_bound_tiles_queue_on_the_one_channel():
    # L = 10, 4 B/cycle; a = 10 + 400/4 = 110, c = 30, d = 10 + 40/4 = 20.
    # L0 [0,110] L1 [110,220] C0 [110,140] S0 [220,240] (channel busy until 220)
    # L2 [240,350] C1 [220,250] S1 [350,370] C2 [350,380] S2 [380,400]
    item = ScheduleItem("x", (TileRun(3, 400, 30, 40, 0, 100),))
    layer = run_schedule([item], machine(latency=10, bytes_per_cycle=4)).layers[0]
    assert layer.end_cycle == 110 + max(30, 110) + max(30, 110 + 20) + max(30, 20) + 20
    assert layer.stall_data_cycles == 110 + (220 - 140) + (350 - 250)
    assert layer.stall_buffer_cycles == 0
    assert layer.drain_cycles == 400 - 380
    assert layer.compute_busy_cycles + layer.stall_cycles == layer.cycles


def test_buffer_stall_when_stores_are_slower_than_compute():
    # L = 0, 1 B/cycle: a = 10, c = 5, d = 20, three tiles, double buffered.
    # L0 [0,10] L1 [10,20] C0 [10,15] S0 [20,40] L2 [40,50] C1 [20,25] S1 [50,70]
    # C2 [50,55] S2 [70,90]. C2 waits [25,50]: until 40 its load had no room (S0), then data.
    item = ScheduleItem("x", (TileRun(3, 10, 5, 20, 0, 100),))
    layer = run_schedule([item], machine(latency=0, bytes_per_cycle=1)).layers[0]
    assert layer.end_cycle == 90
    assert layer.stall_buffer_cycles == 40 - 25
    assert layer.stall_data_cycles == 10 + (20 - 15) + (50 - 40)
    assert layer.drain_cycles == 90 - 55


def test_a_full_buffer_forbids_double_buffering():
    # two 600-byte tiles do not fit 1000 bytes together: same as no double buffering
    item = ScheduleItem("conv", (TileRun(2, 320, 50, 160, 0, 600),))
    layer = run_schedule([item], machine(glb=1000)).layers[0]
    assert layer.end_cycle == 2 * (120 + 50 + 110)
    assert layer.peak_buffer_bytes == 600


def test_write_back_keeps_the_array_busy_and_has_its_own_track():
    # compute 40 + write-back 10 behaves as 50 cycles of array time
    item = ScheduleItem("conv", (TileRun(2, 320, 40, 160, 10, 1000),))
    s = run_schedule([item], machine())
    assert s.total_cycles == 120 + 120 + 110 + 110
    wb = [(x.start_cycle, x.end_cycle) for x in s.slices if x.track == TRACK_WRITEBACK]
    assert wb == [(160, 170), (280, 290)]


def test_layers_run_one_after_another_and_vector_work_uses_the_vector_unit():
    conv = ScheduleItem("conv", (TileRun(1, 160, 30, 0, 0, 500),))       # 100 + 10 + 30
    pool = ScheduleItem("pool", (TileRun(1, 0, 20, 80, 0, 500),), deps=("conv",),
                        unit="vector")                                    # 20, 100 + 5
    s = run_schedule([conv, pool], machine())
    assert [(x.start_cycle, x.end_cycle) for x in s.layers] == [(0, 140), (140, 140 + 20 + 105)]
    # the vector layer computes at once (nothing to load), then its store pays the latency
    vector = [(x.start_cycle, x.end_cycle) for x in s.slices if x.track == TRACK_VECTOR]
    assert vector == [(140, 160)]
    assert s.total_cycles == 265


def test_weight_prefetch_uses_idle_channel_time_of_the_previous_layer():
    # Layer a: one tile, load 100 B at 10 B/cycle (100 + 10), compute 200: L0 [0,110]
    # C0 [110,310]. Layer b: one tile, load 800 B, compute 50, store 100 B; its 500 weight
    # bytes may be prefetched, one transfer of 100 + 50 cycles in a's idle channel time
    # [110,260]. b starts at 310 and loads the remaining 300 B: L [310,440] C [440,490]
    # S [490,600].
    a = ScheduleItem("a", (TileRun(1, 100, 200, 0, 0, 1000),))
    b = ScheduleItem("b", (TileRun(1, 800, 50, 100, 0, 2000),), deps=("a",), prefetch_bytes=500)
    m = machine(bytes_per_cycle=10, prefetch=True)
    s = run_schedule([a, b], m)
    layer_b = s.layer("b")
    assert (layer_b.start_cycle, layer_b.end_cycle) == (310, 600)
    assert layer_b.prefetched_bytes == 500
    assert layer_b.prefetch_busy_cycles == 100 + 500 / 10
    assert layer_b.dram_read_bytes == 800 - 500
    assert s.layer("a").cycles == 310                       # a itself is not delayed
    prefetch = [(x.start_cycle, x.end_cycle) for x in s.slices if x.track == TRACK_PREFETCH]
    assert prefetch == [(110, 260)]
    # without prefetch b is compute + memory: 50 + 2 x 100 + (800 + 100) / 10
    off = run_schedule([a, b], machine(bytes_per_cycle=10, prefetch=False))
    assert off.layer("b").cycles == 50 + 2 * 100 + 90


def test_fully_prefetched_loads_let_compute_start_at_once():
    # all 800 B of b arrive during a (100 + 80 of a's 200 idle channel cycles); b computes
    # [310,360], then stores: 100 + 10. b lasts 50 + 110
    a = ScheduleItem("a", (TileRun(1, 100, 200, 0, 0, 1000),))
    b = ScheduleItem("b", (TileRun(1, 800, 50, 100, 0, 2000),), prefetch_bytes=800)
    layer_b = run_schedule([a, b], machine(bytes_per_cycle=10, prefetch=True)).layer("b")
    assert (layer_b.start_cycle, layer_b.end_cycle) == (310, 470)


def test_prefetch_is_limited_by_the_buffer_space_the_current_layer_leaves():
    # a holds 9,600 of 10,000 bytes: only 400 of b's 500 weight bytes can come early
    a = ScheduleItem("a", (TileRun(1, 100, 200, 0, 0, 9600),))
    b = ScheduleItem("b", (TileRun(1, 800, 50, 100, 0, 2000),), prefetch_bytes=500)
    layer_b = run_schedule([a, b], machine(bytes_per_cycle=10, prefetch=True)).layer("b")
    assert layer_b.prefetched_bytes == 10_000 - 9600


def test_steady_runs_match_closed_forms_with_a_bounded_number_of_events():
    n = 100_000
    # compute-bound (c >= a + d with a = 100 + 10, d = 100 + 5), double buffered:
    # a + n c + d
    item = ScheduleItem("big", (TileRun(n, 10, 300, 5, 0, 100),))
    s = run_schedule([item], machine(latency=100, bytes_per_cycle=1))
    assert s.total_cycles == 110 + n * 300 + 105
    assert s.events < 60
    # memory-bound (a + d > c > d): the channel never rests: L + n (a + d) + (c - d)
    item = ScheduleItem("big", (TileRun(n, 20, 15, 10, 0, 100),))
    assert run_schedule([item], machine(latency=0, bytes_per_cycle=1)).total_cycles == \
        n * (20 + 10) + (15 - 10)
    # the same with L = 10 (a = 30, d = 20, c = 15 < d): a + max(c, a) + (n - 2)(a + d)
    # + max(c, d) + d = 30 + 30 + (n - 2) 50 + 20 + 20 = 50 n
    assert run_schedule([item], machine(latency=10, bytes_per_cycle=1)).total_cycles == 50 * n
    # no double buffering: n (a + c + d)
    item = ScheduleItem("big", (TileRun(n, 10, 30, 5, 0, 100),))
    s = run_schedule([item], machine(latency=100, bytes_per_cycle=1, double_buffering=False))
    assert s.total_cycles == n * (110 + 30 + 105)
    assert s.events < 60


def _random_items(rng: random.Random, glb: int) -> list[ScheduleItem]:
    items = []
    for index in range(rng.randint(1, 4)):
        runs = tuple(TileRun(rng.randint(1, 40), rng.choice([0, 16, 160, 1600]),
                             rng.choice([0, 5, 50, 400, 2000]), rng.choice([0, 16, 320]),
                             rng.choice([0, 0, 7]), rng.choice([0, 300, glb // 2, glb * 3 // 5]))
                     for _ in range(rng.randint(0, 4)))
        items.append(ScheduleItem(f"l{index}", runs, prefetch_bytes=rng.choice([0, 100, 5000]),
                                  unit=rng.choice(["array", "vector"])))
    return items


def _random_machine(rng: random.Random, prefetch: bool | None = None) -> SimMachine:
    return machine(latency=rng.choice([0, 7, 100]), bytes_per_cycle=rng.choice([1, 3, 2.5, 16]),
                   glb=rng.choice([1000, 2000, 5000]), double_buffering=rng.random() < 0.7,
                   prefetch=rng.random() < 0.5 if prefetch is None else prefetch)


def test_coalesced_runs_give_exactly_the_tile_by_tile_schedule():
    rng = random.Random(20240611)
    for _ in range(150):
        m = _random_machine(rng)
        items = _random_items(rng, m.glb_bytes)
        fast = run_schedule(items, m, coalesce=True)
        slow = run_schedule(items, m, coalesce=False)
        _assert_same_layers(fast, slow)
        assert fast.events <= slow.events


def _assert_same_layers(fast, slow):
    for a, b in zip(fast.layers, slow.layers, strict=True):
        for key, value in a.to_dict().items():
            other = b.to_dict()[key]
            if isinstance(value, str):  # names: pytest.approx takes numbers only
                assert value == other, (a.name, key)
            else:
                assert value == pytest.approx(other, rel=1e-9, abs=1e-6), (a.name, key)


_TILES = st.builds(TileRun, count=st.integers(1, 9),
                   load_bytes=st.sampled_from([0, 16, 160, 1600]),
                   compute_cycles=st.sampled_from([0, 5, 50, 400]),
                   store_bytes=st.sampled_from([0, 16, 320]),
                   writeback_cycles=st.sampled_from([0, 0, 7]),
                   buffer_bytes=st.sampled_from([0, 300, 450, 600]))


@st.composite
def _patterned_runs(draw):
    """A layer's tiles as a depthwise layer has them: a pattern of runs repeated, with other
    runs before and after (pairs of 300 to 600 bytes fit 1,000 to 2,000 bytes or not)."""
    pattern = draw(st.lists(_TILES, min_size=1, max_size=3))
    return tuple(draw(st.lists(_TILES, max_size=2)) + pattern * draw(st.integers(1, 5))
                 + draw(st.lists(_TILES, max_size=2)))


@st.composite
def _tile_programs(draw):
    m = machine(latency=draw(st.sampled_from([0, 7, 100])),
                bytes_per_cycle=draw(st.sampled_from([1, 2.5, 16])),
                glb=draw(st.sampled_from([1000, 1200, 2000])),
                double_buffering=draw(st.booleans()), prefetch=draw(st.booleans()))
    count = draw(st.integers(1, 3))
    hold = draw(st.sampled_from([0, 0, 150]))  # the first layer's output kept to the last
    items = [ScheduleItem(f"l{i}", draw(_patterned_runs()), prefetch_bytes=draw(
                 st.sampled_from([0, 100, 5000])), unit=draw(st.sampled_from(["array", "vector"])),
                          hold_bytes=hold if i == 0 else 0,
                          free_bytes=hold if i == count - 1 else 0)
             for i in range(count)]
    return m, items


@settings(max_examples=120, deadline=None, derandomize=True, database=None)
@given(_tile_programs())
def test_coalesced_patterns_of_runs_give_exactly_the_tile_by_tile_schedule(program):
    # blocks that span runs of different tiles (and switch between two tiles live and one)
    # against every tile simulated on its own; the built-in bounds check runs on both
    m, items = program
    fast = run_schedule(items, m, coalesce=True)
    slow = run_schedule(items, m, coalesce=False)
    _assert_same_layers(fast, slow)
    assert fast.total_cycles == pytest.approx(slow.total_cycles, rel=1e-9)
    assert fast.events <= slow.events
    assert max(level for _, level in fast.glb_occupancy) <= m.glb_bytes
    assert fast.glb_occupancy[-1][1] == slow.glb_occupancy[-1][1] == 0


def test_a_repeated_pattern_of_short_runs_takes_a_bounded_number_of_events():
    # A depthwise layer's tiles: one tile b then five tiles a, r times. L = 10, 1 B/cycle:
    # b loads 40 B (a = 50), a loads 20 B (a = 30), both store 10 B (d = 20) and compute
    # 100 >= 50 + 20: compute-bound, so T = A_1 + sum of C + D_n = 50 + 6 r 100 + 20.
    b, a = TileRun(1, 40, 100, 10, 0, 100), TileRun(5, 20, 100, 10, 0, 100)
    events = set()
    for r in (10, 1000):
        s = run_schedule([ScheduleItem("dw", (b, a) * r)], machine(latency=10, bytes_per_cycle=1))
        assert s.total_cycles == 50 + 6 * r * 100 + 20
        assert s.layers[0].compute_busy_cycles == 6 * r * 100
        events.add(s.events)
    assert len(events) == 1 and max(events) < 60  # the same events however many repeats


def test_bounds_hold_and_prefetch_never_lengthens_a_layer():
    rng = random.Random(7)
    for _ in range(150):
        base = _random_machine(rng, prefetch=False)
        items = _random_items(rng, base.glb_bytes)
        off = run_schedule(items, base)
        on = run_schedule(items, SimMachine(base.dram_latency_cycles, base.dram_bytes_per_cycle,
                                            base.glb_bytes, base.double_buffering, True))
        for item, x, y in zip(items, off.layers, on.layers):
            compute = item.tile_compute_cycles
            memory = base.memory_cycles(item.tiles)
            tol = 1e-6 * max(1.0, compute + memory)
            assert max(compute, memory) - tol <= x.cycles <= compute + memory + tol
            assert y.cycles <= x.cycles + tol
            assert y.cycles <= compute + memory + tol


def test_the_schedule_is_identical_from_run_to_run():
    from hwsim.sim.trace import chrome_trace

    rng = random.Random(3)
    m = _random_machine(rng, prefetch=True)
    items = _random_items(rng, m.glb_bytes)
    first, second = run_schedule(items, m), run_schedule(items, m)
    assert first.to_dict() == second.to_dict()
    assert json.dumps(chrome_trace(first)) == json.dumps(chrome_trace(second))


def test_inconsistent_analytic_cycles_are_reported_as_a_model_error():
    item = ScheduleItem("conv", TWO_TILES.tiles, compute_cycles=99)
    with pytest.raises(ModelError, match="'conv'.*compute for 100 cycles.*says 99"):
        run_schedule([item], machine())


def test_bad_items_are_rejected_with_the_item_named():
    with pytest.raises(ValueError, match="'b' depends on 'c'"):
        run_schedule([ScheduleItem("a"), ScheduleItem("b", deps=("c",)), ScheduleItem("c")],
                     machine())
    with pytest.raises(ValueError, match="'a': a tile needs 20000 bytes"):
        run_schedule([ScheduleItem("a", (TileRun(1, 1, 1, 0, 0, 20_000),))], machine())
    with pytest.raises(ValueError, match="appears twice"):
        run_schedule([ScheduleItem("a"), ScheduleItem("a")], machine())
    with pytest.raises(ValueError, match="unit must be one of"):
        ScheduleItem("a", unit="gpu")
    with pytest.raises(ValueError, match="dram_bytes_per_cycle"):
        SimMachine(100, 0, 1000)


def test_empty_layers_take_no_time():
    s = run_schedule([ScheduleItem("concat", unit="none")], machine())
    assert s.total_cycles == 0 and s.layers[0].cycles == 0


def test_strip_leading_loads_splits_the_first_tiles_only():
    runs = (TileRun(3, 100, 1), TileRun(2, 50, 1))
    assert strip_leading_loads(runs, 150) == (TileRun(1, 0, 1), TileRun(1, 50, 1),
                                              TileRun(1, 100, 1), TileRun(2, 50, 1))
