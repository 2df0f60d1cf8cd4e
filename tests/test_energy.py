"""Energy = counts x price table, by component (Eyeriss ratios by default)."""

from __future__ import annotations

from pathlib import Path

import pytest

import hwsim
from hwsim.config.network_file import parse_network
from hwsim.cost.energy import price
from hwsim.cost.model import AccessCounts, cost_layer
from hwsim.dataflow.base import MachineParams
from hwsim.hardware import Accelerator, Buffer, EnergyTable, PEArray, Sparsity

REPO = Path(__file__).resolve().parent.parent


def test_price_multiplies_each_count_by_its_energy():
    counts = AccessCounts(macs=120, effective_macs=100.0, vector_ops=10, rf_accesses=50.0,
                          inter_pe_transfers=20.0, glb_input_reads=3.0, glb_weight_reads=4.0,
                          glb_psum_reads=1.0, glb_psum_writes=1.0, glb_output_writes=2.0,
                          glb_fill_writes=5.0, glb_drain_reads=2.0, dram_input_read_words=3,
                          dram_weight_read_words=2, dram_output_write_words=2)
    table = EnergyTable(leakage_per_cycle=0.5)   # Eyeriss: MAC 1, RF 1, PE 2, GLB 6, DRAM 200
    e = price(counts, cycles=40, table=table)
    assert e.mac == 100 * 1 + 10 * 1                 # performed MACs and vector operations
    assert e.rf == 50 * 1
    assert e.array == 20 * 2
    assert e.glb == (3 + 4 + 1 + 1 + 2 + 5 + 2) * 6
    assert e.dram == (3 + 2 + 2) * 200
    assert e.leakage == 40 * 0.5
    assert e.total == pytest.approx(110 + 50 + 40 + 108 + 1400 + 20)


def test_the_same_counts_reprice_for_another_technology():
    counts = AccessCounts(effective_macs=10.0, dram_input_read_words=1)
    pj = EnergyTable(unit="pJ", mac=0.2, dram_word=128.0)
    assert price(counts, 0, pj).total == pytest.approx(10 * 0.2 + 1 * 128.0)


def one_conv(channels: int, size: int, out_channels: int, kernel: int):
    return parse_network({"name": "t", "input": [channels, size, size],
                          "layers": [{"name": "c", "type": "conv", "out_channels": out_channels,
                                      "kernel": kernel}]}, "t.yaml").layer("c")


def test_tiny_ws_layer_energy_by_hand():
    """1x1 conv 3 -> 2 channels on a 2x2 map, 2x2 array, WS, Eyeriss table.

    Two passes: row folds of 2 and 1 input channels, one column fold, 4 pixels each.
    MACs 2 x 4 x 3 = 24. RF: one weight read per MAC + 6 weights loaded = 30.
    Array: the row buses carry 4 pixels x 3 channels = 12 input words (each heard by both
    columns: one transfer); 6 weight loads; partial sums per column and pixel: pass 1 one hop
    + the exit (2 x 4 x 2 = 16), pass 2 only the exit (2 x 4 x 1 = 8); 8 partial sums come
    back into the columns for pass 2: 12 + 6 + 24 + 8 = 50.
    GLB: 12 input reads, 6 weight reads, 8 psum reads + 8 psum writes (one fold after the
    first), 8 output writes, 12 + 6 words filled from DRAM, 8 drained = 68.
    DRAM: 12 input + 6 weight + 8 output words = 26.
    """
    acc = Accelerator(pe_array=PEArray(2, 2, 1), buffer=Buffer(global_kib=1))
    cost = cost_layer(one_conv(3, 2, 2, 1), MachineParams.from_accelerator(acc), "ws")
    e = price(cost.counts, cost.cycles, acc.energy)
    assert e.mac == 24 * 1
    assert e.rf == (24 + 6) * 1
    assert e.array == (12 + 6 + (2 * 4 * 2 + 2 * 4 * 1) + 8) * 2
    assert e.glb == (12 + 6 + 8 + 8 + 8 + (12 + 6) + 8) * 6
    assert e.dram == (12 + 6 + 8) * 200
    assert e.leakage == 0.0


def test_tiny_os_layer_energy_by_hand():
    """3x3 conv 1 -> 2 channels, 4x4 input, 2x2 output, 2x2 array with 2 accumulators, OS,
    half the weights zero and skipped, Eyeriss table.

    Pixel mapping (11 cycles: 1 preload + 9 x 2 x 0.5 broadcasts + 1 write-back; the channel
    mapping would need 4 pixels x (9 + 1) = 40). MACs 2 x 4 x 9 = 72, 36 performed.
    RF: accumulator read + write per performed MAC + 8 outputs read out = 80.
    Array: 9 weight broadcasts (one bus transfer each, heard by 4 PEs) + 4 preloaded inputs
    + (9 - 1) x 4 shifts + 8 outputs leaving = 53.
    GLB: 16 input reads (the 4x4 footprint), 9 non-zero weight reads, 8 output writes,
    16 + 18 words filled from DRAM (weights are stored dense), 8 drained = 75.
    DRAM: 16 + 18 + 8 = 42 words.
    """
    acc = Accelerator(pe_array=PEArray(2, 2, 2), buffer=Buffer(global_kib=1),
                      sparsity=Sparsity(0.5, ("os",)))
    cost = cost_layer(one_conv(1, 4, 2, 3), MachineParams.from_accelerator(acc), "os")
    assert cost.mapping.details["mapping"] == "pixels"
    assert cost.mapping.array_cycles == 1 + 9 + 1
    e = price(cost.counts, cost.cycles, acc.energy)
    assert e.mac == 36 * 1
    assert e.rf == (2 * 36 + 8) * 1
    assert e.array == (9 + 4 + 8 * 4 + 8) * 2
    assert e.glb == (16 + 9 + 8 + (16 + 18) + 8) * 6
    assert e.dram == (16 + 18 + 8) * 200


def test_zero_weights_skipped_in_os_spend_no_mac_energy():
    net = hwsim.load_network(REPO / "networks" / "squeezenet_v1.0.yaml")
    acc = hwsim.load_accelerator(REPO / "accelerators" / "os_16x16.yaml")
    layer = net.layer("fire2/expand3x3")
    cost = cost_layer(layer, MachineParams.from_accelerator(acc), "os")
    assert price(cost.counts, cost.cycles, acc.energy).mac == pytest.approx(
        layer.macs * (1 - 0.4) + layer.vector_ops)   # fused ReLU on the vector unit


def test_simulation_energy_sums_layers_and_components():
    net = hwsim.load_network(REPO / "networks" / "squeezenet_v1.0.yaml")
    acc = hwsim.load_accelerator(REPO / "accelerators" / "squeezelerator.yaml")
    result = hwsim.simulate(net, acc)
    total = result.energy
    assert total.total == pytest.approx(sum(layer.energy.total for layer in result.layers))
    assert total.total == pytest.approx(total.mac + total.rf + total.array + total.glb
                                        + total.dram + total.leakage)
    assert result.energy_unit == "mac"
    # DRAM words cost 200 MAC each: the DRAM component is 200 x the words moved.
    assert total.dram == pytest.approx(result.dram_bytes / 2 * 200)


def test_leakage_follows_time():
    net = hwsim.load_network(REPO / "networks" / "squeezenet_v1.0.yaml")
    acc = hwsim.load_accelerator(REPO / "accelerators" / "ws_16x16.yaml")
    leaky = acc.with_changes(**{"energy.leakage_per_cycle": 3.0})
    result = hwsim.simulate(net, leaky)
    assert result.energy.leakage == pytest.approx(3.0 * result.total_cycles)
