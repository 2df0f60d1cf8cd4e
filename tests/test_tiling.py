"""DRAM tiles worked out by hand: each tile is one load and one store transfer, each
transfer pays the DRAM latency, and double buffering hides all but the first load and the
last store. L = 100 cycles, 16 bytes per cycle, 2-byte words throughout.

    double buffering: T = A_1 + sum_i max(C_i, A_{i+1} + D_{i-1}) + D_n
    single buffering: T = sum_i (A_i + C_i + D_i)
"""

from __future__ import annotations

import pytest

from hwsim.cost.dram_candidates import enumerate_tilings
from hwsim.cost.dram_search import best_tiling, tiling_time
from hwsim.cost.dram_tiles import tile_runs_of
from hwsim.cost.tiles import runs_time, transfer_cycles
from hwsim.dataflow.base import ConvShape

L, BW, WB = 100, 16, 2


def pick(shape, order, kt, pt, ct, units=(1, 1, 1)):
    [t] = [t for t in enumerate_tilings(shape, *units)
           if (t.order, t.kt, t.pt, t.ct) == (order, kt, pt, ct)]
    return t


def time_of(t, compute, setup=0, db=True):
    return tiling_time(t, compute, setup, WB, L, BW, db)


# 1x1 conv, 4 -> 4 channels, 4x4 map: input 64 words, weights 16, output 64.
POINTWISE = ConvShape(4, 4, 4, 4, 4, 4)
# 3x3 conv (pad 1), 1 -> 1 channel, 6x6 map: a row tile of 2 output rows needs 4 input rows.
CONV3 = ConvShape(1, 1, 6, 6, 6, 6, 3, 3)
# FC 8 -> 2 with biases: weights 16 + 2 words.
FC = ConvShape(8, 2, 1, 1, 1, 1, bias=True)


def test_two_tiles_of_output_channels_with_the_input_staying_on_chip():
    # k_outer, 2 output channels x all 4 rows: the input stays, loaded by the first tile.
    t = pick(POINTWISE, "k_outer", 2, 4, 4)
    assert t.n_tiles == 2
    assert t.steps() == ((1, 64, 8, 2 * 4 * 4, 32), (1, 0, 8, 2 * 4 * 4, 32))
    a1 = L + (64 + 8) * WB / BW            # 109: input + the first block's weights
    a2 = L + 8 * WB / BW                   # 101: the second block's weights
    d = L + 32 * WB / BW                   # 104: 2 channels x 16 outputs
    c = 400 / 2                            # compute shared by work
    assert time_of(t, 400) == a1 + max(c, a2) + max(c, 0 + d) + d == 613
    assert time_of(t, 400, db=False) == (a1 + c + d) + (a2 + c + d) == 818
    # the same layer as one tile: load everything, compute, store, nothing overlaps
    one = pick(POINTWISE, "k_outer", 4, 4, 4)
    assert one.n_tiles == 1
    assert time_of(one, 400) == (L + 80 * WB / BW) + 400 + (L + 64 * WB / BW) == 618


def test_three_row_tiles_reload_the_halo_and_pay_the_latency_each():
    t = pick(CONV3, "k_outer", 1, 2, 1)
    # input rows per tile: (2 - 1) + 3 = 4 (padding rows counted), 4 x 6 = 24 words
    assert t.steps() == ((1, 24, 9, 2, 12), (2, 24, 0, 2, 12))
    assert (t.input_words, t.weight_words, t.output_words) == (3 * 24, 9, 36)
    a1 = L + (24 + 9) * WB / BW            # 104.125
    a = L + 24 * WB / BW                   # 103
    d = L + 12 * WB / BW                   # 101.5
    c = 300 / 3
    db = a1 + max(c, a + 0) + max(c, a + d) + max(c, 0 + d) + d
    assert db == 614.625
    assert time_of(t, 300) == db
    assert time_of(t, 300, db=False) == (a1 + c + d) + 2 * (a + c + d) == 914.625
    # setup cycles go to the first tile
    assert time_of(t, 350, setup=50) == a1 + max(c + 50, a) + max(c, a + d) + max(c, d) + d
    # the tiles the event engine plays add up to the layer, and time the same
    runs = tile_runs_of(t, 350, 30, 50, WB, 200)
    assert sum(r.total_load_bytes for r in runs) == (72 + 9) * WB
    assert sum(r.total_store_bytes for r in runs) == 36 * WB
    assert sum(r.total_compute_cycles for r in runs) == pytest.approx(350)
    assert sum(r.count * r.writeback_cycles for r in runs) == pytest.approx(30)
    assert runs_time(runs, L, BW, True)[0] == pytest.approx(time_of(t, 350, setup=50))
    assert transfer_cycles(runs, L, BW) == 6 * L + (81 + 36) * WB / BW


def test_an_fc_layer_cut_over_input_channels_stores_after_the_last_channel_tile():
    t = pick(FC, "k_outer", 2, 1, 4, units=(2, 1, 4))
    # first channel tile: 4 inputs + 2 x 4 weights + 2 biases, nothing stored;
    # second: 4 inputs + 8 weights, then the 2 finished outputs
    assert t.steps() == ((1, 4, 10, 8, 0), (1, 4, 8, 8, 2))
    a1, a2 = L + 14 * WB / BW, L + 12 * WB / BW       # 101.75, 101.5
    d2 = L + 2 * WB / BW                               # 100.25 (D_1 = 0: no store)
    assert time_of(t, 20) == a1 + max(10, a2 + 0) + max(10, 0 + 0) + d2 == 313.5
    assert time_of(t, 20, db=False) == (a1 + 10) + (a2 + 10 + d2) == 323.5


def test_the_search_takes_the_one_tile_layer_when_it_is_faster_and_fits_the_whole_buffer():
    # one tile: footprint 8 + 18 + 2 = 28 words; A = 100 + 26 x 2 / 16, D = 100 + 4 / 16
    one = best_tiling(FC, 16, 32, 2, 1, 4, 20, 0, WB, L, BW, True)
    assert one.n_tiles == 1
    assert time_of(one, 20) == (L + 26 * WB / BW) + 20 + (L + 2 * WB / BW) == 223.5
    # a whole buffer of 27 words cannot hold it; of the tiles that fit half (16 words), the
    # two channel tiles above are fastest (four tiles pay more latencies)
    cut = best_tiling(FC, 16, 27, 2, 1, 4, 20, 0, WB, L, BW, True)
    assert (cut.order, cut.kt, cut.ct, cut.n_tiles) == ("k_outer", 2, 4, 2)
    assert time_of(cut, 20) == 313.5


def test_a_bigger_buffer_only_adds_candidates_and_is_never_slower():
    times = []
    for half in (33, 40, 50, 60, 80, 160):
        t = best_tiling(CONV3, half, 2 * half, 1, 1, 1, 300, 0, WB, L, BW, True)
        times.append(time_of(t, 300))
    assert times == sorted(times, reverse=True)


def test_traffic_never_below_compulsory_even_with_strided_rows():
    # 1x1 stride 2 on 8 rows: row tiles need every other row only; the skipped rows are
    # loaded with the last row tile so every input word moves at least once
    shape = ConvShape(2, 2, 8, 8, 4, 4, 1, 1, 2, 2)
    for t in enumerate_tilings(shape, 1, 1, 1):
        assert t.input_words >= 2 * 8 * 8 and t.output_words == 2 * 4 * 4
        assert t.weight_words >= 4


def test_a_tile_smaller_than_an_array_pass_costs_the_whole_pass():
    """WS: a pass holds 16 output channels (columns) and 3 input channels (rows); a DRAM tile
    of 8 output channels leaves 8 columns idle for the whole pass."""
    from hwsim.cost.dram_candidates import enumerate_tilings
    from hwsim.cost.dram_tiles import pass_work
    from hwsim.dataflow.base import ConvShape

    assert pass_work(8, 5, 3, 16, 1, 3) == 16 * 5 * 3
    assert pass_work(32, 5, 3, 16, 1, 3) == 32 * 5 * 3
    assert pass_work(4, 5, 1, 16, 1, 3) == 16 * 5 * 3
    # 1x1 conv, 3 -> 100 channels on a 10x10 map; units 16 output channels, 3 input channels
    shape = ConvShape(3, 100, 10, 10, 10, 10)
    tilings = enumerate_tilings(shape, 16, 1, 3, whole_passes=(True, False, True))
    whole_layer = 7 * 16 * 10 * 3        # ceil(100 / 16) = 7 passes of 16 columns, 10 rows
    assert {t.work_total for t in tilings} == {whole_layer}
    by_kt = {t.kt: t for t in tilings if t.order == "k_outer" and t.pt == 10 and t.ct == 3}
    # 32-channel tiles: 32, 32, 32, 4 -> 2 + 2 + 2 + 1 passes = the layer's 7
    assert by_kt[32].work_sum == whole_layer
    # 8-channel tiles: 12 of 8 and one of 4, each a whole pass: 13 passes
    assert by_kt[8].work_sum == 13 * 16 * 10 * 3
    assert by_kt[8].compute_scale() == 13 / 7
    # without whole passes the work is proportional: 8-channel tiles cost no more
    plain = enumerate_tilings(shape, 16, 1, 3)
    assert {t.work_sum for t in plain if t.ct == 3} == {100 * 10 * 3}
