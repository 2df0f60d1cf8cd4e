"""The cost model: DRAM tiling, pipeline timing, tile runs, vector and free layers, hybrid."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import hwsim
from hwsim.config.network_file import parse_network
from hwsim.cost import model
from hwsim.cost.model import cost_layer
from hwsim.cost.tiling import TilingError, search_tiling
from hwsim.dataflow.base import ConvShape, MachineParams
from hwsim.hardware import Accelerator, PEArray, Sparsity, VectorUnit

REPO = Path(__file__).resolve().parent.parent
FIRE_3X3 = ConvShape(2, 2, 8, 8, 8, 8, 3, 3, 1, 1, 1, 1, 1, False, True)  # pad 1


def tiny_net(layers: list[dict], input_shape=(2, 8, 8)):
    return parse_network({"name": "tiny", "input": list(input_shape), "layers": layers}, "tiny.yaml")


def params(**changes) -> MachineParams:
    acc = Accelerator(pe_array=PEArray(4, 4, 2), sparsity=Sparsity(0.4, ("os",)))
    return MachineParams.from_accelerator(acc.with_changes(**changes))


# --- tiling -----------------------------------------------------------------------------

def test_a_layer_that_fits_moves_every_word_once():
    t = search_tiling(FIRE_3X3, 1000, k_unit=2, p_unit=1, c_unit=2)
    assert t.input_read_words == 2 * 8 * 8
    assert t.weight_read_words == 2 * 2 * 3 * 3
    assert t.output_write_words == 2 * 8 * 8
    # with no compute to hide behind, the fewest transfers win: the layer as one DRAM tile
    assert t.pipeline_tiles == 1
    assert t.first_load_words == 2 * 8 * 8 + 2 * 2 * 9     # the whole input and weights
    assert t.last_store_words == 2 * 8 * 8


def test_a_layer_that_does_not_fit_is_tiled_for_the_fewest_transfers():
    """Budget 150 words, the whole buffer too: in 128 + weights 36 + out 128 do not fit.
    No compute: the time is the channel time, 100 per transfer + bytes / 16.

    Best by hand: k_outer, both output channels x 4 output rows x 1 input channel. A tile
    needs (4 - 1) + 3 = 6 input rows of its channel (48 words), 2 x 9 weights and the 2 x 4 x 8
    outputs it accumulates: 130 words. 2 row blocks x 2 channel tiles = 4 loads, and only 2
    stores (after the last channel tile): 6 transfers, 192 + 72 + 128 = 392 words,
    600 + 392 x 2 / 16 = 649 cycles. Uncut alternatives store every tile: p_outer 1 channel x
    4 rows: 8 transfers, the same 392 words, 849 cycles; 2 channels x 2 rows: 420 words,
    852.5 cycles.
    """
    t = search_tiling(FIRE_3X3, 150, k_unit=2, p_unit=1, c_unit=2, whole_budget_words=150)
    assert (t.order, t.kt, t.pt, t.ct) == ("k_outer", 2, 4, 1)
    assert t.footprint_words == 1 * 6 * 8 + 2 * 9 + 2 * 4 * 8
    assert t.pipeline_tiles == 4
    assert t.input_read_words == 2 * 2 * 6 * 8
    assert t.weight_read_words == 2 * 36
    assert t.output_write_words == 2 * 8 * 8
    assert t.dram_words == 192 + 72 + 128


def test_input_channels_are_cut_only_when_nothing_else_fits():
    # FC 64 -> 4: weights 256 words. Budget 100 words: a tile of 2 outputs x 32 inputs fits.
    fc = ConvShape(64, 4, 1, 1, 1, 1)
    t = search_tiling(fc, 100, k_unit=2, p_unit=1, c_unit=2)
    assert t.ct < 64
    assert t.footprint_words <= 100
    assert t.weight_read_words == 64 * 4                   # one row tile: weights once
    assert t.output_write_words == 4                       # partial sums stay on chip


def test_no_tile_fits_says_how_much_is_needed():
    # one output channel, one input channel, one output row: 3 input rows x 8 + 9 weights + 8
    with pytest.raises(TilingError, match=f"needs {3 * 8 + 9 + 8} words"):
        search_tiling(FIRE_3X3, 20, k_unit=2, p_unit=1, c_unit=2)


def test_traffic_never_below_compulsory_and_shrinks_with_the_buffer():
    net = hwsim.load_network(REPO / "networks" / "squeezenet_v1.0.yaml")
    shape = ConvShape.from_layer(net.layer("conv1"))
    compulsory = shape.input_words + shape.weight_words + shape.output_words
    traffic = [search_tiling(shape, budget, 16, 1, 16).dram_words
               for budget in (4096, 16384, 65536, 262144)]
    assert all(t >= compulsory for t in traffic)
    assert traffic == sorted(traffic, reverse=True)


# --- timing: per DRAM tile, worked by hand in tests/test_tiling.py ----------------------

# --- layers -----------------------------------------------------------------------------

def test_cost_of_a_conv_layer_is_consistent():
    net = hwsim.load_network(REPO / "networks" / "squeezenet_v1.0.yaml")
    acc = hwsim.load_accelerator(REPO / "accelerators" / "ws_16x16.yaml")
    m = MachineParams.from_accelerator(acc)
    layer = net.layer("conv10")
    cost = cost_layer(layer, m, "ws")
    assert cost.kind == "array" and cost.dataflow == "ws"
    assert cost.compute_cycles == 32 * 63 * (169 + 8)
    assert cost.counts.macs == layer.macs
    assert cost.dram_read_bytes == sum(r.total_load_bytes for r in cost.tiles)
    assert cost.dram_write_bytes == sum(r.total_store_bytes for r in cost.tiles)
    assert cost.compute_cycles == sum(r.total_compute_cycles for r in cost.tiles)
    # one run per kind of tile of each output-channel block (first with weights, middle, edge)
    assert len(cost.tiles) <= 3 * -(-1000 // cost.tiling.kt) + 3
    assert sum(r.count for r in cost.tiles) == cost.tiling.pipeline_tiles
    assert cost.weight_bytes == (1000 * 512 + 1000) * 2    # weights + biases, 16-bit
    assert max(cost.compute_cycles, cost.memory_cycles) <= cost.cycles
    assert cost.cycles <= cost.compute_cycles + cost.memory_cycles
    assert cost.bound == "compute"


def test_repeated_shapes_are_costed_once():
    net = hwsim.load_network(REPO / "networks" / "squeezenet_v1.0.yaml")
    m = params()
    a = cost_layer(net.layer("fire2/expand1x1"), m, "os")
    b = cost_layer(net.layer("fire3/expand1x1"), m, "os")   # same shape, other name
    assert a is b


def test_pooling_runs_on_the_vector_unit():
    net = tiny_net([{"name": "pool", "type": "maxpool", "kernel": 2, "stride": 2}])
    m = params(vector_unit=VectorUnit(lanes=16))
    cost = cost_layer(net.layer("pool"), m, "ws")
    assert cost.kind == "vector" and cost.dataflow == "vector"
    assert cost.counts.vector_ops == 2 * 4 * 4 * (2 * 2)
    assert cost.compute_cycles == 128 // 16
    assert cost.dram_read_bytes == 2 * 8 * 8 * 2 and cost.dram_write_bytes == 2 * 4 * 4 * 2
    assert cost.utilization == 0.0 and cost.counts.macs == 0


def test_elementwise_add_reads_both_inputs():
    net = tiny_net([{"name": "a", "type": "relu"}, {"name": "b", "type": "relu", "inputs": "input"},
                    {"name": "sum", "type": "add", "inputs": ["a", "b"]}])
    cost = cost_layer(net.layer("sum"), params(), "os")
    assert cost.counts.vector_ops == 2 * 8 * 8
    assert cost.dram_read_bytes == 2 * (2 * 8 * 8) * 2


def test_concat_dropout_flatten_cost_nothing():
    net = tiny_net([{"name": "a", "type": "relu"}, {"name": "b", "type": "relu", "inputs": "input"},
                    {"name": "cat", "type": "concat", "inputs": ["a", "b"]},
                    {"name": "drop", "type": "dropout"}, {"name": "flat", "type": "flatten"}])
    for name in ("cat", "drop", "flat"):
        cost = cost_layer(net.layer(name), params(), "ws")
        assert (cost.kind, cost.cycles, cost.dram_bytes) == ("none", 0.0, 0)


def test_a_slow_vector_unit_limits_the_fused_activation():
    # 1x1 conv 2 -> 4 on 4x4 with ReLU: array 1 pass of 64 pixels + 1 load cycle = 65 cycles;
    # the ReLU's 4 x 8 x 8 = 256 operations on one lane take 256.
    net = tiny_net([{"name": "c", "type": "conv", "out_channels": 4, "kernel": 1,
                     "activation": "relu"}])
    cost = cost_layer(net.layer("c"), params(vector_unit=VectorUnit(lanes=1)), "ws")
    assert cost.compute_cycles == 256
    fast = cost_layer(net.layer("c"), params(vector_unit=VectorUnit(lanes=64)), "ws")
    assert fast.compute_cycles == 64 + 1


def test_layer_setup_cycles_are_added_to_array_layers_only():
    net = tiny_net([{"name": "c", "type": "conv", "out_channels": 4, "kernel": 1},
                    {"name": "p", "type": "maxpool", "kernel": 2, "stride": 2}])
    base, setup = params(), params(layer_setup_cycles=1000)
    assert (cost_layer(net.layer("c"), setup, "ws").compute_cycles
            == cost_layer(net.layer("c"), base, "ws").compute_cycles + 1000)
    assert (cost_layer(net.layer("p"), setup, "ws").compute_cycles
            == cost_layer(net.layer("p"), base, "ws").compute_cycles)


def test_hybrid_takes_the_faster_mode_per_layer():
    net = hwsim.load_network(REPO / "networks" / "squeezenet_v1.0.yaml")
    m = MachineParams.from_accelerator(
        hwsim.load_accelerator(REPO / "accelerators" / "squeezelerator.yaml"))
    for name in ("conv1", "fire9/squeeze1x1", "conv10", "fire4/expand3x3"):
        layer = net.layer(name)
        ws, os_ = cost_layer(layer, m, "ws"), cost_layer(layer, m, "os")
        hybrid = cost_layer(layer, m, "hybrid")
        assert hybrid.cycles == min(ws.cycles, os_.cycles)
        assert hybrid.alternatives == {"ws": ws.cycles, "os": os_.cycles}
        assert ws.counts.macs == os_.counts.macs == layer.macs
    assert cost_layer(net.layer("conv1"), m, "hybrid").dataflow == "os"   # 3 input channels
    assert cost_layer(net.layer("conv10"), m, "hybrid").dataflow == "ws"  # 1x1, 13x13 map


def test_caches_can_be_cleared():
    model.clear_caches()
    assert model._array_cost.cache_info().currsize == 0


def test_systolic_designs_run_through_the_same_cost_model():
    """AlexNet conv1 on a 32x32 systolic array in WS: 12 x 3 folds of 64 + 32 + 3025 - 2
    cycles, minus SCALE-Sim's 1 = 112,283 (SCALE-Sim's own figure)."""
    net = hwsim.load_network(REPO / "networks" / "alexnet.yaml")
    acc = hwsim.load_accelerator(REPO / "accelerators" / "scalesim_ws_32x32.yaml")
    cost = cost_layer(net.layer("conv1"), MachineParams.from_accelerator(acc), "ws")
    assert cost.compute_cycles == 36 * (64 + 32 + 3025 - 2) - 1
    assert cost.counts.macs == net.layer("conv1").macs
    hybrid = cost_layer(net.layer("conv1"), MachineParams.from_accelerator(acc), "hybrid")
    assert set(hybrid.alternatives) == {"ws", "os", "is"}


def test_readme_worked_example_fire9_expand1x1_on_ws_16x16():
    """The README's worked example ("The model and its assumptions"), by hand: the layer on
    its own (weight prefetch off), then in the network, where the layer before it prefetches
    its first loads."""
    import hwsim

    root = Path(__file__).resolve().parent.parent
    net = hwsim.load_network(root / "networks" / "squeezenet_v1.0.yaml")
    alone = hwsim.load_accelerator(root / "accelerators" / "ws_16x16.yaml")
    assert not alone.buffer.weight_prefetch  # the study's designs price each layer alone
    prefetching = alone.with_changes(buffer={"weight_prefetch": True})
    ws = hwsim.simulate(net, alone, engine="analytic").layer("fire9/expand1x1")
    # 64/16 row folds x 256/16 column folds = 64 passes of 169 pixels + 16*16/32 weight loads
    assert ws.compute_cycles == 64 * (169 + 16 * 16 // 32) == 11_328
    # input 64*169 + weights 64*256 + 256 biases + output 256*169 words, 2 bytes each
    words = 64 * 169 + (64 * 256 + 256) + 256 * 169
    assert ws.dram_bytes == 2 * words == 141_440
    # The search takes k_outer, 16 output channels x all 13 rows: 16 tiles, the input stays.
    # Tile 1 loads the input and its weights, the others their weights; each stores 16 x 169.
    assert ws.extra["tiling"]["tiles"] == 16 and ws.extra["tiling"]["output_channels"] == 16
    a1 = 100 + (64 * 169 + 16 * 64 + 16) * 2 / 16      # 1,582
    a = 100 + (16 * 64 + 16) * 2 / 16                  # 230
    d = 100 + 16 * 169 * 2 / 16                        # 438
    c = 11_328 / 16                                    # 708
    assert ws.memory_cycles == 32 * 100 + 141_440 / 16 == 12_040
    assert ws.cycles == a1 + max(c, a) + 14 * max(c, a + d) + max(c, d) + d == 13_348
    # the layer as one tile (it fits) would take 100 + 27,456 * 2 / 16 + 11,328 + 100 +
    # 43,264 * 2 / 16 = 20,368: slower
    macs = 64 * 256 * 169
    e = ws.energy
    assert e.mac == macs + 256 * 169                # MACs + one ReLU per output
    assert e.rf == macs + 64 * 256 + 256              # weight reads + weight (and bias) loads
    # array, 2 per transfer: 16 column folds x 169 pixels x 64 input words on the row buses,
    # the weights (and biases) loaded, one partial-sum hop or exit per MAC, and 3 of the 4
    # reduction folds bring each output's partial sum back into its column
    assert e.array == 2 * (16 * 169 * 64 + (64 * 256 + 256) + macs + 3 * 256 * 169)
    assert e.dram == 200 * words
    glb = (16 * 169 * 64 + (64 * 256 + 256) + 2 * 3 * 256 * 169 + 256 * 169
           + (64 * 169 + 64 * 256 + 256) + 256 * 169)
    assert e.glb == 6 * glb
    assert e.total == ((macs + 256 * 169) + (macs + 64 * 256 + 256)
                       + 2 * (16 * 169 * 64 + (64 * 256 + 256) + macs + 3 * 256 * 169)
                       + 6 * glb + 200 * words) == 29_298_048
    os_ = hwsim.simulate(net, hwsim.load_accelerator(root / "accelerators" / "os_16x16.yaml"),
                         engine="analytic").layer("fire9/expand1x1")
    # 32 channel groups x 64 input channels x (ceil(169/32) preload + 8 x 0.6 broadcasts)
    # + 32 write-backs of ceil(169 * 8 / 32) cycles
    assert os_.compute_cycles == math.ceil(32 * 64 * (6 + 8 * 0.6)) + 32 * 43 == 23_495

    # In the network with weight prefetch (turned on here), fire9/squeeze1x1 (1x1, 512 ->
    # 64, 13x13) runs just before: 32 x 4 passes of 177 cycles = 22,656 compute; it moves
    # its input 512 x 169 and weights 512 x 64 + 64 in 32 loads and its output 64 x 169 in
    # one store: memory = 33 x 100 + 2 x (86,528 + 32,832 + 10,816) / 16 = 19,572. So its
    # channel is idle at least 22,656 - 19,572 = 3,084 cycles (its span is at least its
    # compute, and its own transfers take at most its memory time).
    squeeze = hwsim.simulate(net, alone, engine="analytic").layer("fire9/squeeze1x1")
    assert squeeze.compute_cycles == 32 * 4 * 177 == 22_656
    assert squeeze.memory_cycles == 33 * 100 + 2 * (512 * 169 + 512 * 64 + 64 + 64 * 169) / 16
    assert squeeze.memory_cycles == 19_572 and squeeze.extra["tiling"]["tiles"] == 32
    assert squeeze.extra["tiling"]["tile_bytes"] == 2 * (16 * 169 + 16 * 64 + 64 + 64 * 169)
    # A squeeze1x1 tile holds 16 x 169 inputs, 16 x 64 weights, 64 biases and 64 x 169
    # outputs: 14,608 words; its two live tiles take 2 x 29,216 bytes of the 512 KiB. So
    # expand1x1 may get min(its weights 33,280 B, its first two tiles' loads 23,712 + 2,080 B,
    # 524,288 - 58,432 B) = 25,792 bytes: one transfer of 100 + 25,792 / 16 = 1,712 cycles,
    # at most the 3,084 idle ones, so all of it is fetched.
    reserved = min(2 * (64 * 256 + 256), 2 * (64 * 169 + 16 * 64 + 16) + 2 * (16 * 64 + 16),
                   512 * 1024 - 2 * 29_216)
    assert reserved == 25_792 and 100 + reserved / 16 <= 22_656 - 19_572
    fetched = hwsim.simulate(net, prefetching, engine="analytic").layer("fire9/expand1x1")
    assert fetched.extra["prefetched_bytes"] == reserved
    # tiles 1 and 2 load nothing more (A_1 = A_2 = 0), tiles 3-16 their weights (A = 230):
    # T = 0 + max(c, 0) + 14 x max(c, a + d) + max(c, d) + d: compute plus the last store
    assert fetched.cycles == 0 + max(c, 0) + 14 * max(c, a + d) + max(c, d) + d == 11_766
    assert fetched.dram_bytes == ws.dram_bytes and fetched.energy == ws.energy  # no leakage
