"""The DMA program order (hwsim/sim/plan.py): loads first when the tile fits, else the oldest
store; steady runs become closed-form blocks. Expected programs written out by hand."""

from __future__ import annotations

import pytest

from hwsim.cost.tiles import TileRun
from hwsim.sim.plan import Block, Compute, ComputeBlock, Load, Store, make_plan


def test_double_buffered_program_keeps_two_tiles_live():
    tile = TileRun(3, 64, 10, 32, 0, 100)
    plan = make_plan((tile,), slots=2, glb_bytes=1000, coalesce=False)
    assert plan.dma == (Load(0, None), Load(1, None), Store(0), Load(2, 0), Store(1), Store(2))
    assert plan.compute == (Compute(0, None), Compute(1, None), Compute(2, 0))
    assert plan.peak_buffer_bytes == 2 * 100
    assert plan.initial_loads == 2


def test_single_buffered_program_alternates_load_and_store():
    tile = TileRun(3, 64, 10, 32, 0, 100)
    plan = make_plan((tile,), slots=1, glb_bytes=1000, coalesce=False)
    assert plan.dma == (Load(0, None), Store(0), Load(1, 0), Store(1), Load(2, 1), Store(2))
    assert plan.initial_loads == 1


def test_capacity_decides_how_many_tiles_are_live():
    # 100-byte tiles then 300-byte tiles in 500 bytes: a big tile enters next to a small one,
    # but two big ones never fit together
    runs = (TileRun(2, 64, 10, 32, 0, 100), TileRun(3, 64, 10, 32, 0, 300))
    plan = make_plan(runs, slots=2, glb_bytes=500, coalesce=False)
    assert plan.dma == (Load(0, None), Load(1, None), Store(0), Load(2, 0), Store(1), Store(2),
                        Load(3, 2), Store(3), Load(4, 3), Store(4))
    assert plan.peak_buffer_bytes == 100 + 300


def test_steady_middle_of_a_run_becomes_one_block():
    tile = TileRun(10, 64, 10, 32, 0, 100)
    plan = make_plan((tile,), slots=2, glb_bytes=1000)
    # stores 0..7 with loads 2..9 form the block; tiles 1..8 compute inside it
    block = Block(first_store=0, steps=8, lag=2, parts=((8, tile, tile, tile),))
    assert plan.dma == (Load(0, None), Load(1, None), block, Store(8), Store(9))
    assert plan.compute == (Compute(0, None), ComputeBlock(block, None), Compute(9, 7))


def test_single_buffered_block_covers_all_but_the_first_load_and_last_store():
    tile = TileRun(10, 64, 10, 32, 0, 100)
    plan = make_plan((tile,), slots=1, glb_bytes=1000)
    block = Block(first_store=0, steps=9, lag=1, parts=((9, tile, tile, tile),))
    assert plan.dma == (Load(0, None), block, Store(9))
    assert plan.compute == (Compute(0, None), ComputeBlock(block, 0))


def test_a_block_may_start_with_the_layers_first_store():
    # every transfer pays its own DRAM latency, so the steady pattern holds from the first
    # store on (no layer-wide latency to wait for first)
    tile = TileRun(6, 0, 10, 32, 0, 100)
    plan = make_plan((tile,), slots=2, glb_bytes=1000)
    assert plan.dma == (Load(0, None), Load(1, None),
                        Block(first_store=0, steps=4, lag=2, parts=((4, tile, tile, tile),)), Store(4), Store(5))


def test_repeated_short_runs_become_one_block_in_parts():
    # a depthwise layer's pattern: one wider tile b, then three tiles a, twice (tiles 0..7:
    # b a a a b a a a). Double buffered, every pair fits: stores 0..5 with loads 2..7 are
    # one block; step t stores t, computes t + 1 and loads t + 2, so its tiles are
    # t=0 (b,a,a) t=1 (a,a,a) t=2 (a,a,b) t=3 (a,b,a) t=4 (b,a,a) t=5 (a,a,a)
    b, a = TileRun(1, 80, 10, 32, 0, 100), TileRun(3, 64, 10, 32, 0, 100)
    plan = make_plan((b, a, b, a), slots=2, glb_bytes=1000)
    block = Block(first_store=0, steps=6, lag=2,
                  parts=((1, b, a, a), (1, a, a, a), (1, a, a, b), (1, a, b, a), (1, b, a, a),
                         (1, a, a, a)))
    assert plan.dma == (Load(0, None), Load(1, None), block, Store(6), Store(7))
    assert plan.compute == (Compute(0, None), ComputeBlock(block, None), Compute(7, 5))
    assert plan.peak_buffer_bytes == 200
    # with longer runs the middle of each run is one part: tiles b a a a a a b a a a a a
    # (0..11), steps 0..9: t=0 (b,a,a), t=1..3 (a,a,a), t=4 (a,a,b), t=5 (a,b,a),
    # t=6 (b,a,a), t=7..9 (a,a,a)
    a5 = TileRun(5, 64, 10, 32, 0, 100)
    plan = make_plan((b, a5, b, a5), slots=2, glb_bytes=1000)
    assert plan.dma[2].parts == ((1, b, a5, a5), (3, a5, a5, a5), (1, a5, a5, b),
                                 (1, a5, b, a5), (1, b, a5, a5), (3, a5, a5, a5))


def test_a_pair_that_does_not_fit_switches_the_block_to_one_tile_at_a_time():
    # tiles 0..3 and 5..8 of 300 bytes, tile 4 of 800, in 1000 bytes: two small tiles fit
    # together (lag 2), the big one fits beside none (lag 1). Tile by tile the program is
    # L0 L1 S0 L2 S1 L3 S2 (L4 does not fit beside 3) S3 L4 (L5 does not fit beside 4) S4
    # L5 L6 S5 L7 S6 L8 S7 S8.
    small, big = TileRun(4, 64, 10, 32, 0, 300), TileRun(1, 64, 10, 32, 0, 800)
    runs = (small, big, small)
    slow = make_plan(runs, slots=2, glb_bytes=1000, coalesce=False)
    assert [type(c).__name__[0] + str(c.tile) for c in slow.dma] == \
        "L0 L1 S0 L2 S1 L3 S2 S3 L4 S4 L5 L6 S5 L7 S6 L8 S7 S8".split()
    # coalesced: S0 L2 S1 L3 (lag 2); S2 alone (pair 3-4 does not fit); S3 L4 S4 L5
    # (lag 1: step 0 stores small 3 and computes and loads big 4, step 1 stores 4 and
    # computes and loads small 5); L6; S5 L7 S6 L8 (lag 2)
    plan = make_plan(runs, slots=2, glb_bytes=1000)
    assert plan.dma == (
        Load(0, None), Load(1, None), Block(0, 2, 2, ((2, small, small, small),)), Store(2),
        Block(3, 2, 1, ((1, small, big, big), (1, big, small, small))), Load(6, 4),
        Block(5, 2, 2, ((2, small, small, small),)), Store(7), Store(8))
    assert plan.peak_buffer_bytes == slow.peak_buffer_bytes == 800
    assert plan.initial_loads == slow.initial_loads == 2


def test_a_tile_larger_than_the_buffer_is_refused():
    with pytest.raises(ValueError, match="needs 2000 bytes"):
        make_plan((TileRun(1, 1, 1, 0, 0, 2000),), slots=2, glb_bytes=1000)
