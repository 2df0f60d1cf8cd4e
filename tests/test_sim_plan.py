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
    block = Block(first_store=0, steps=8, lag=2, tile=tile)
    assert plan.dma == (Load(0, None), Load(1, None), block, Store(8), Store(9))
    assert plan.compute == (Compute(0, None), ComputeBlock(block, None), Compute(9, 7))


def test_single_buffered_block_covers_all_but_the_first_load_and_last_store():
    tile = TileRun(10, 64, 10, 32, 0, 100)
    plan = make_plan((tile,), slots=1, glb_bytes=1000)
    block = Block(first_store=0, steps=9, lag=1, tile=tile)
    assert plan.dma == (Load(0, None), block, Store(9))
    assert plan.compute == (Compute(0, None), ComputeBlock(block, 0))


def test_a_block_may_start_with_the_layers_first_store():
    # every transfer pays its own DRAM latency, so the steady pattern holds from the first
    # store on (no layer-wide latency to wait for first)
    tile = TileRun(6, 0, 10, 32, 0, 100)
    plan = make_plan((tile,), slots=2, glb_bytes=1000)
    assert plan.dma == (Load(0, None), Load(1, None),
                        Block(first_store=0, steps=4, lag=2, tile=tile), Store(4), Store(5))


def test_a_tile_larger_than_the_buffer_is_refused():
    with pytest.raises(ValueError, match="needs 2000 bytes"):
        make_plan((TileRun(1, 1, 1, 0, 0, 2000),), slots=2, glb_bytes=1000)
