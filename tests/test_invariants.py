"""Invariants of the model on every bundled network x accelerator x dataflow.

MACs are conserved, 0 < utilization <= 1 on array layers, DRAM traffic is at least the
compulsory traffic (every input, weight and output word once, counted here from the layer,
not from the model), energy components sum to the total, each layer's time lies between
max(compute, memory) and compute + memory (with weight prefetch the lower bound counts only
the transfers the layer still makes itself) and is at least MACs / PEs, and the tiles handed
to the event scheduler add up to the layer's counts.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

import hwsim
from hwsim.cost.prefetch import strip_leading_loads
from hwsim.cost.tiles import transfer_cycles
from hwsim.dataflow.base import ConvShape

REPO = Path(__file__).resolve().parent.parent
NETWORKS = sorted((REPO / "networks").glob("*.yaml"))
ACCELERATORS = sorted((REPO / "accelerators").glob("*.yaml"))


@cache
def network(path: Path):
    return hwsim.load_network(path)


@cache
def accelerator(path: Path):
    return hwsim.load_accelerator(path)


def compulsory_bytes(layer, word_bytes: int) -> int:
    if layer.type in ("concat", "dropout", "flatten"):
        return 0
    inputs = sum(s.elements for s in layer.in_shapes)
    return (inputs + layer.params + layer.out_shape.elements) * word_bytes


def check(result) -> None:
    acc = result.accelerator
    assert result.total_macs == result.network.macs
    for layer, r in zip(result.network.layers, result.layers):
        where = f"{result.network.name} / {acc.name} / {result.dataflow} / {r.name}"
        assert r.macs == layer.macs, where
        if not acc.fusion.enabled:  # fusing machines: tests/test_fusion.py (per network)
            assert r.dram_bytes >= compulsory_bytes(layer, acc.word_bytes), where
        e = r.energy
        assert e.total == pytest.approx(e.mac + e.rf + e.array + e.glb + e.dram + e.leakage)
        assert min(e.mac, e.rf, e.array, e.glb, e.dram, e.leakage) >= 0, where
        if r.cycles:
            # the bytes the previous layer prefetched are no transfer of this layer's own
            fetched = r.extra.get("prefetched_bytes", 0)
            own = transfer_cycles(strip_leading_loads(r.tiles, fetched), acc.dram.latency_cycles,
                                  acc.dram_bytes_per_cycle)
            assert own <= r.memory_cycles * (1 + 1e-12), where
            assert fetched == 0 or own < r.memory_cycles, where
            low = max(r.compute_cycles, own)
            assert low * (1 - 1e-9) <= r.cycles <= (r.compute_cycles + r.memory_cycles) * (1 + 1e-9), where
            assert sum(t.total_load_bytes for t in r.tiles) == r.dram_read_bytes, where
            assert sum(t.total_store_bytes for t in r.tiles) == r.dram_write_bytes, where
            assert sum(t.total_compute_cycles for t in r.tiles) == r.compute_cycles, where
            # one DMA transfer per tile and direction, each paying the latency
            assert transfer_cycles(r.tiles, acc.dram.latency_cycles, acc.dram_bytes_per_cycle) \
                == pytest.approx(r.memory_cycles), where
            t = r.extra.get("tiling")
            if t is not None:
                assert sum(x.count for x in r.tiles) == t["tiles"], where
                # runs of identical tiles: at most three per outer block (first tile, identical
                # middle tiles, edge tile), per row tile too when input channels are cut
                shape = ConvShape.from_layer(layer)
                n_k = -(-shape.out_channels // t["output_channels"])
                n_p = -(-shape.out_height // t["output_rows"])
                blocks = n_k if t["order"] == "k_outer" else n_p
                if t["input_channels"] < shape.in_channels:
                    blocks = n_k * n_p
                assert len(r.tiles) <= 3 * blocks + 3, where
            budget = acc.buffer.tile_budget_bytes
            assert all(t.buffer_bytes <= budget for t in r.tiles), where
        if layer.macs:
            assert 0.0 < r.utilization <= 1.0, where
            assert r.cycles >= r.effective_macs / acc.pes, where
            assert r.dataflow in acc.dataflows, where
        else:
            assert r.utilization == 0.0, where


@pytest.mark.parametrize("acc_path", ACCELERATORS, ids=lambda p: p.stem)
def test_every_bundled_network_on_every_bundled_accelerator(acc_path):
    acc = accelerator(acc_path)
    dataflows = sorted(set(acc.dataflows) | {"hybrid", acc.dataflow})
    for net_path in NETWORKS:
        for dataflow in dataflows:
            check(hwsim.simulate(network(net_path), acc, dataflow=dataflow))


def test_hybrid_is_never_slower_than_either_mode():
    """The hybrid takes each layer's faster mode, so layer by layer it is never slower on
    its own (weight prefetch off). With prefetch a layer's time also depends on how much of
    its first loads the previous layer fetched, which differs between the runs (a WS layer
    after a WS layer may be prefetched more than after an OS one), so only the network's
    total is compared: never slower on any bundled network."""
    alone = accelerator(REPO / "accelerators" / "squeezelerator.yaml")
    assert not alone.buffer.weight_prefetch
    base = alone.with_changes(buffer={"weight_prefetch": True})
    for net_path in NETWORKS:
        net = network(net_path)
        hybrid = hwsim.simulate(net, alone, dataflow="hybrid")
        prefetching = hwsim.simulate(net, base, dataflow="hybrid")
        for mode in ("ws", "os"):
            single = hwsim.simulate(net, alone, dataflow=mode)
            for h, s in zip(hybrid.layers, single.layers):
                assert h.cycles <= s.cycles + 1e-9, (net.name, h.name, mode)
            total = hwsim.simulate(net, base, dataflow=mode).total_cycles
            assert prefetching.total_cycles <= total + 1e-9, (net.name, mode)


@pytest.mark.parametrize("net_path", NETWORKS, ids=lambda p: p.stem)
def test_a_bigger_buffer_is_never_slower(net_path):
    """A bigger global buffer only adds tilings to choose from and the search takes the
    fastest (exact ties only), so 64 ... 1024 KiB give non-increasing cycles (analytic), each
    layer on its own (weight prefetch off). With prefetch (the design's default) a bigger
    buffer also leaves more room to prefetch into, but a faster tiling of one layer may leave
    less idle channel time for the next: not implied by the search, so checked here too."""
    for prefetch in (False, True):
        base = accelerator(REPO / "accelerators" / "squeezelerator.yaml").with_changes(
            **{"buffer.weight_prefetch": prefetch})
        net = network(net_path)
        cycles = [hwsim.simulate(net, base.with_changes(**{"buffer.global_kib": kib})).total_cycles
                  for kib in (64, 128, 256, 512, 1024)]
        assert cycles == sorted(cycles, reverse=True), (prefetch, cycles)


def test_more_accumulators_never_slow_os_down():
    base = accelerator(REPO / "accelerators" / "os_16x16.yaml")
    for net_path in NETWORKS:
        net = network(net_path)
        rf8 = hwsim.simulate(net, base)
        rf16 = hwsim.simulate(net, base.with_changes(**{"pe_array.rf_entries_per_pe": 16}))
        assert rf16.total_cycles <= rf8.total_cycles * 1.01, net.name
