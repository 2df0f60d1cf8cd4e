"""Energy = counts x price table, by component (Eyeriss ratios by default)."""

from __future__ import annotations

from pathlib import Path

import pytest

import hwsim
from hwsim.config.network_file import parse_network
from hwsim.cost.energy import price
from hwsim.cost.model import AccessCounts, cost_layer
from hwsim.dataflow.base import MachineParams
from hwsim.hardware import Accelerator, Buffer, EnergyTable, PEArray

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


def test_tiny_ws_layer_energy_by_hand():
    """1x1 conv 2 -> 2 channels on a 2x2 map, 2x2 array, WS, Eyeriss table.

    MACs 2 x 4 x 2 = 16. RF: one weight read per MAC + 4 weights loaded = 20. Inter-PE: input
    in and partial sum down per MAC = 32. GLB: 8 input reads (1 column fold x 4 pixels x 2
    channels), 4 weight reads, 8 output writes, 12 words filled from DRAM, 8 drained to DRAM
    = 40. DRAM: 8 input + 4 weight + 8 output words = 20.
    """
    net = parse_network({"name": "t", "input": [2, 2, 2],
                         "layers": [{"name": "c", "type": "conv", "out_channels": 2, "kernel": 1}]},
                        "t.yaml")
    acc = Accelerator(pe_array=PEArray(2, 2, 1), buffer=Buffer(global_kib=1))
    cost = cost_layer(net.layer("c"), MachineParams.from_accelerator(acc), "ws")
    e = price(cost.counts, cost.cycles, acc.energy)
    assert e.mac == 16 * 1
    assert e.rf == (16 + 4) * 1
    assert e.array == 32 * 2
    assert e.glb == (8 + 4 + 8 + 12 + 8) * 6
    assert e.dram == 20 * 200
    assert e.leakage == 0.0


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
