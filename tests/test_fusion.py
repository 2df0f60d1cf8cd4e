"""Layers that share the chip (``fusion: {elementwise, keep_on_chip}``, hwsim.cost.fusion).

Hand-worked chains on a tiny machine (4x4 WS array, 2 accumulators, 16-bit words, DRAM 16
bytes/cycle and 100 cycles latency, 16 vector lanes, weight prefetch off so both engines
give the same times), the spill rule, the lifetimes of a Fire module and a SqueezeNext block
in the event schedule, and the invariants of every bundled network on the fused design.

Every tiny layer below fits the buffer as one tile, and one tile is the fastest tiling (any
cut adds a transfer and its 100 cycles of latency), so a layer takes
``A + C + D``: the load ``100 + bytes / 16``, the compute, the store ``100 + bytes / 16``
(0 for no bytes). A 1x1 conv 4 -> 4 on the 4x4 array is one pass of P x Q pixels plus
``ceil(16 weights / 32 words per cycle) = 1`` weight-load cycle.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

import hwsim
from hwsim.config.network_file import parse_network
from hwsim.hardware import Accelerator, PEArray
from hwsim.hardware.accelerator import Buffer, Fusion

REPO = Path(__file__).resolve().parent.parent
WB = 2  # bytes per word


def tiny(elementwise: bool = False, keep: bool = False, kib: float = 512) -> Accelerator:
    return Accelerator(name="tiny", pe_array=PEArray(4, 4, 2),
                       buffer=Buffer(global_kib=kib, weight_prefetch=False),
                       fusion=Fusion(elementwise=elementwise, keep_on_chip=keep))


def conv(name: str, out: int, inputs: list[str] | None = None, **attrs) -> dict:
    layer = {"name": name, "type": "conv", "out_channels": out, "kernel": 1, **attrs}
    if inputs:
        layer["inputs"] = inputs
    return layer


def conv_add():
    """input 4x4x4 -> a (1x1, 4 -> 4) -> b (1x1, 4 -> 4); add(a, b). Each tensor 64 words."""
    return parse_network({"name": "conv_add", "input": [4, 4, 4], "layers": [
        conv("a", 4), conv("b", 4), {"name": "add", "type": "add", "inputs": ["a", "b"]}]},
        "conv_add.yaml")


def both_engines(net, acc):
    analytic = hwsim.simulate(net, acc)
    event = hwsim.simulate(net, acc, engine="event")
    for x, y in zip(analytic.layers, event.layers):
        assert y.cycles == pytest.approx(x.cycles), x.name
    return analytic, event


def test_conv_add_without_fusion():
    # a, b: 64 in + 16 weights + 64 out = 144 words = 288 B; load 100 + 160 / 16 = 110,
    # compute 16 + 1 = 17, store 100 + 128 / 16 = 108: 235 cycles. add: 128 in + 64 out =
    # 192 words = 384 B; load 100 + 256 / 16 = 116, 64 ops / 16 lanes = 4, store 108: 228.
    r, _ = both_engines(conv_add(), tiny())
    assert [x.dram_bytes for x in r.layers] == [288, 288, 384]
    assert [x.cycles for x in r.layers] == [235, 235, 228]
    assert r.dram_bytes == 960 and r.total_cycles == 698


def test_conv_add_with_elementwise_fusion():
    # the add fuses into b (b's output has no other reader; a exists before b starts):
    # b loads 64 in + 16 weights + the 64-word shortcut a = 144 words (load 100 + 288 / 16 =
    # 118), computes max(17, 64 add ops / 16 lanes) = 17, stores the sum (108): 243 cycles,
    # 208 words = 416 B. The add moves nothing. 960 - 704 = 256 B saved: b's output, once
    # written and once read back.
    r, _ = both_engines(conv_add(), tiny(elementwise=True))
    assert [x.dram_bytes for x in r.layers] == [288, 416, 0]
    assert [x.cycles for x in r.layers] == [235, 243, 0]
    assert r.dram_bytes == 704 and r.total_cycles == 478
    assert [x.extra["fusion"]["output_destination"] for x in r.layers] == ["dram", "fused", "dram"]
    assert r.layers[1].extra["fusion"]["fused"] == ["add"]
    assert r.layers[1].vector_ops == 64
    totals = r.to_dict()["totals"]
    assert totals["fusion_saved_dram_bytes"] == 256 and totals["fusion_saved_cycles"] == 220


def test_conv_add_with_both_options_moves_only_the_compulsory_traffic():
    # a's output (128 B) stays in the buffer for b and the fused add: a loads 64 in + 16
    # weights (110) and stores nothing: 17 + 110 = 127 cycles; b loads its 16 weights only
    # (100 + 32 / 16 = 102), computes 17 and stores 64 words (108): 227. DRAM: the network
    # input 128 B + two weights 2 x 32 B + the output 128 B = 320 B.
    r, e = both_engines(conv_add(), tiny(elementwise=True, keep=True))
    assert [x.dram_bytes for x in r.layers] == [160, 160, 0]
    assert [x.cycles for x in r.layers] == [127, 227, 0]
    assert r.dram_bytes == 320 and r.total_cycles == 354
    flows = [x.extra["fusion"] for x in r.layers]
    assert [f["input_source"] for f in flows] == ["dram", "glb", "glb"]
    assert [f["output_destination"] for f in flows] == ["glb", "fused", "dram"]
    # event engine: a's 128 B are held from a's start to b's end, then freed
    assert max(level for _, level in e.schedule.glb_occupancy) <= tiny().buffer.global_bytes
    assert e.schedule.glb_occupancy[-1][1] == 0
    b_span = [lvl for t, lvl in e.schedule.glb_occupancy
              if e.layers[1].start_cycle <= t < e.layers[1].end_cycle]
    assert b_span and min(b_span) >= 128


def conv_pool():
    """input 4x8x8 -> c (1x1, 4 -> 4, 256 words) -> maxpool 2x2 stride 2 (4x4x4, 64 words)."""
    return parse_network({"name": "conv_pool", "input": [4, 8, 8], "layers": [
        conv("c", 4), {"name": "pool", "type": "maxpool", "kernel": 2, "stride": 2}]},
        "conv_pool.yaml")


def test_conv_pool_with_and_without_fusion():
    # unfused: c moves 256 + 16 + 256 = 528 words = 1056 B: load 100 + 544 / 16 = 134,
    # compute 64 + 1 = 65, store 100 + 512 / 16 = 132: 331 cycles; the pool 256 + 64 = 320
    # words = 640 B: load 100 + 512 / 16 = 132, 64 x 4 ops / 16 = 16, store 100 + 128 / 16 =
    # 108: 256 cycles.
    r, _ = both_engines(conv_pool(), tiny())
    assert [x.dram_bytes for x in r.layers] == [1056, 640]
    assert [x.cycles for x in r.layers] == [331, 256]
    # fused: the one row tile holds all 8 rows, so every window is whole; c stores the pooled
    # 64 words (108) and computes max(65, 256 / 16) = 65: 134 + 65 + 108 = 307 cycles,
    # 256 + 16 + 64 = 336 words = 672 B.
    f, _ = both_engines(conv_pool(), tiny(elementwise=True))
    assert [x.dram_bytes for x in f.layers] == [672, 0]
    assert [x.cycles for x in f.layers] == [307, 0]
    assert f.layers[1].extra["fusion"]["fused_into"] == "c"
    assert f.dram_bytes == 1696 - 1024  # c's output written and read back


def test_pooled_rows_line_up_with_row_tiles():
    from hwsim.cost.dram_tiles import pooled_rows_per_tile

    # 3x3 stride 2 on 9 rows (4 pooled rows ending at rows 2, 4, 6, 8): row tiles of 4 emit
    # 1, 2, 1; row tiles of 2 rows: [0 1][2 3][4 5][6 7][8] emit 0, 1, 1, 1, 1.
    assert pooled_rows_per_tile((3, 2, 0, 4, 4), 9, 4) == [1, 2, 1]
    assert pooled_rows_per_tile((3, 2, 0, 4, 4), 9, 2) == [0, 1, 1, 1, 1]
    # one-row tiles do not line up with stride 2: the middle tiles emit 1, 0, 1, ...
    assert pooled_rows_per_tile((3, 2, 0, 4, 4), 9, 1) is None


def test_a_tensor_that_does_not_fit_spills_and_is_counted():
    # input 4x8x8 -> a -> b -> c, each 1x1 4 -> 4 (outputs 256 words = 512 B), 2 KiB buffer.
    # Each layer's one tile takes 256 + 16 + 256 = 528 words = 1056 B. Keep a: 0 + 512 + 1056
    # <= 2048 at a and at b: kept. Keep b: at b, a's 512 + b's 512 + 1056 = 2080 > 2048:
    # spilled. c's output is the network's. DRAM: a 256 + 16 = 272 words, b 16 + 256 = 272,
    # c 528: 1072 words = 2144 B (3168 B unfused).
    net = parse_network({"name": "chain", "input": [4, 8, 8], "layers": [
        conv("a", 4), conv("b", 4), conv("c", 4)]}, "chain.yaml")
    acc = tiny(keep=True, kib=2)
    r, e = both_engines(net, acc)
    flows = [x.extra["fusion"] for x in r.layers]
    assert [f["output_destination"] for f in flows] == ["glb", "dram", "dram"]
    assert [f["spilled_bytes"] for f in flows] == [0, 512, 0]
    assert [x.dram_bytes for x in r.layers] == [544, 544, 1056]
    assert r.dram_bytes == 2144 and r.unfused["dram_bytes"] == 3168
    assert max(level for _, level in e.schedule.glb_occupancy) <= 2048


def fire():
    """A Fire module on 8x4x4: squeeze 1x1 8 -> 2, expand 1x1 2 -> 4 and 3x3 2 -> 4, concat,
    then a 1x1 conv 8 -> 4 reading the concat."""
    return parse_network({"name": "fire", "input": [8, 4, 4], "layers": [
        conv("squeeze", 2, activation="relu"),
        conv("e1", 4, ["squeeze"], activation="relu"),
        conv("e3", 4, ["squeeze"], activation="relu", kernel=3, padding=1),
        {"name": "cat", "type": "concat", "inputs": ["e1", "e3"]},
        conv("final", 4, ["cat"])]}, "fire.yaml")


def occupancy_during(schedule, layer):
    return [lvl for t, lvl in schedule.glb_occupancy
            if layer.start_cycle <= t < layer.end_cycle]


def test_a_fire_module_keeps_squeeze_and_expands_alive():
    acc = tiny(elementwise=True, keep=True)
    r, e = both_engines(fire(), acc)
    flows = {x.name: x.extra["fusion"] for x in r.layers}
    # squeeze (2 x 16 words = 64 B) lives until e3, its second reader; e1 and e3 (128 B
    # each) until final, which reads them through the concat (a view)
    assert [flows[n]["output_destination"] for n in ("squeeze", "e1", "e3", "cat", "final")] \
        == ["glb", "glb", "glb", "none", "dram"]
    assert flows["e1"]["input_source"] == "glb" and flows["final"]["input_source"] == "glb"
    assert [flows[n]["resident_bytes"] for n in ("squeeze", "e1", "e3", "final")] \
        == [64, 64 + 128, 64 + 128 + 128, 256]
    # DRAM: the input 128 words, the weights 16 + 8 + 72 + 32 = 128 words, the output 64
    assert r.dram_bytes == (128 + 128 + 64) * WB
    layers = {x.name: x for x in e.layers}
    assert max(lvl for _, lvl in e.schedule.glb_occupancy) <= acc.buffer.global_bytes
    assert min(occupancy_during(e.schedule, layers["e3"])) >= 320
    assert min(occupancy_during(e.schedule, layers["final"])) >= 256
    assert e.schedule.glb_occupancy[-1][1] == 0


def sqnxt_block():
    """A SqueezeNext block on 8x4x4: project 1x1 8 -> 8 (the shortcut), squeeze 1x1 8 -> 4,
    4 -> 2, separable 3x1 2 -> 4 and 1x3 4 -> 4, expand 1x1 4 -> 8, add (ReLU); a 1x1 conv
    8 -> 4 reads the block's output."""
    return parse_network({"name": "block", "input": [8, 4, 4], "layers": [
        conv("project", 8, ["input"], activation="relu"),
        conv("sq1", 4, ["input"], activation="relu"),
        conv("sq2", 2, activation="relu"),
        conv("sep1", 4, kernel=[3, 1], padding=[1, 0], activation="relu"),
        conv("sep2", 4, kernel=[1, 3], padding=[0, 1], activation="relu"),
        conv("expand", 8, activation="relu"),
        {"name": "add", "type": "add", "inputs": ["project", "expand"], "activation": "relu"},
        conv("head", 4, ["add"])]}, "block.yaml")


def test_a_squeezenext_block_keeps_its_shortcut_across_the_block():
    acc = tiny(elementwise=True, keep=True)
    r, e = both_engines(sqnxt_block(), acc)
    flows = {x.name: x.extra["fusion"] for x in r.layers}
    assert flows["expand"]["fused"] == ["add"] and flows["add"]["fused_into"] == "expand"
    assert flows["add"]["input_source"] == "glb"          # the shortcut, from the buffer
    assert flows["project"]["input_source"] == "dram"     # the network input
    # project's 8 x 16 words = 256 B live from project to expand (the fused add)
    resident = {n: flows[n]["resident_bytes"] for n in flows}
    assert resident["project"] == 256
    # at expand: project 256 + sep2's 4 x 16 x 2 = 128 + the block's output 256
    assert resident["expand"] == 256 + 128 + 256
    assert resident["head"] == 256
    layers = {x.name: x for x in e.layers}
    assert max(lvl for _, lvl in e.schedule.glb_occupancy) <= acc.buffer.global_bytes
    for name in ("sq1", "sq2", "sep1", "sep2", "expand"):   # the shortcut stays all along
        assert min(occupancy_during(e.schedule, layers[name])) >= 256, name
    assert e.schedule.glb_occupancy[-1][1] == 0


def test_fusion_off_is_the_study_machine():
    base = hwsim.load_accelerator(REPO / "accelerators" / "squeezelerator.yaml")
    fused = hwsim.load_accelerator(REPO / "accelerators" / "squeezelerator_fused.yaml")
    assert base.fusion == Fusion() and fused.fusion == Fusion(True, True)
    assert fused.with_changes(fusion={"elementwise": False, "keep_on_chip": False}) \
        == base.with_changes(name=fused.name, description=fused.description, path=fused.path)


def test_a_bad_fusion_key_is_named():
    with pytest.raises(hwsim.InputError, match=r"fusion\.keep_on_chp: unknown key"):
        tiny().with_changes(**{"fusion.keep_on_chp": True})
    with pytest.raises(hwsim.InputError, match="fusion.elementwise"):
        tiny().with_changes(**{"fusion.elementwise": "yes"})


NETWORKS = sorted((REPO / "networks").glob("*.yaml"))


@cache
def designs():
    base = hwsim.load_accelerator(REPO / "accelerators" / "squeezelerator.yaml")
    return base, hwsim.load_accelerator(REPO / "accelerators" / "squeezelerator_fused.yaml")


@pytest.mark.parametrize("path", NETWORKS, ids=lambda p: p.stem)
def test_fused_design_invariants(path):
    """On every bundled network: DRAM bytes never above the unfused design's, MACs
    unchanged, and the compulsory traffic still moves: the network input read by its
    readers, every weight read, every network output written (counted from the layers)."""
    net = hwsim.load_network(path)
    base, fused = designs()
    r = hwsim.simulate(net, fused)
    assert r.unfused["dram_bytes"] == hwsim.simulate(net, base).dram_bytes
    assert r.dram_bytes <= r.unfused["dram_bytes"]
    assert r.total_macs == net.macs
    by_name = {x.name: x for x in r.layers}
    consumed = {i for layer in net.layers for i in layer.inputs}
    weights = sum(x.extra["counts"]["dram_weight_read_words"] for x in r.layers)
    assert weights >= sum(layer.params for layer in net.layers)
    for layer in net.layers:
        flow = by_name[layer.name].extra["fusion"]
        if "input" in layer.inputs and layer.type not in ("concat", "dropout", "flatten"):
            reader = by_name[flow["fused_into"] or layer.name]
            assert reader.extra["counts"]["dram_input_read_words"] > 0, layer.name
        if layer.name not in consumed:  # a network output
            writer = by_name[flow["fused_into"] or layer.name]
            assert flow["output_destination"] == "dram", layer.name
            assert writer.dram_write_bytes >= layer.out_shape.elements * fused.word_bytes


def test_the_fusion_experiment(tmp_path):
    import sys

    sys.path.insert(0, str(REPO / "experiments"))
    import _common
    import fusion as experiment
    import run_all

    assert "fusion" in run_all.SCRIPTS
    study = _common.Study(out_dir=tmp_path)
    artifact = experiment.run(study, networks=("sqnxt23", "sqnxt23v5"), buffers_kib=(64,))
    base, fused = designs()
    rows = {r["file"]: r for r in artifact.records}
    for stem in ("sqnxt23", "sqnxt23v5"):
        net = hwsim.load_network(REPO / "networks" / f"{stem}.yaml")
        plain = hwsim.simulate(net, base.with_changes(**{"buffer.global_kib": 64}))
        fast = hwsim.simulate(net, fused.with_changes(**{"buffer.global_kib": 64}))
        row = rows[f"{stem}.yaml"]
        assert row["cycles"] == plain.total_cycles and row["cycles_fused"] == fast.total_cycles
        assert row["dram_bytes_fused"] == fast.dram_bytes <= row["dram_bytes"] == plain.dram_bytes
        assert row["speedup"] == pytest.approx(plain.total_cycles / fast.total_cycles)
    # the verdict compares the two orders of the variants, fastest first
    by_time = sorted(artifact.records, key=lambda r: r["cycles"])
    by_fused_time = sorted(artifact.records, key=lambda r: r["cycles_fused"])
    holds = [r["network"] for r in by_time] == [r["network"] for r in by_fused_time]
    assert artifact.summary["ranking_holds"][64]["cycles"] == holds
    assert artifact.files["png"].exists()


@pytest.mark.parametrize("stem", ["squeezenet_v1.0", "sqnxt23v5"])
def test_fused_design_event_schedule_keeps_the_buffer(stem):
    """The event engine on a bundled network: the kept tensors and the live tiles never hold
    more than the buffer, everything is freed at the end, and the schedule takes the analytic
    engine's time of the same fused machine (both prefetch in what the kept tensors leave)."""
    net = hwsim.load_network(REPO / "networks" / f"{stem}.yaml")
    _, fused = designs()
    fused = fused.with_changes(buffer={"weight_prefetch": True})  # the design has it off
    e = hwsim.simulate(net, fused, engine="event")
    a = hwsim.simulate(net, fused)
    assert max(level for _, level in e.schedule.glb_occupancy) <= fused.buffer.global_bytes
    assert e.schedule.glb_occupancy[-1][1] == 0
    assert e.total_cycles == pytest.approx(a.total_cycles, rel=1e-9)
    assert sum(x.extra["event"]["prefetched_bytes"] for x in e.layers) \
        == sum(x.extra.get("prefetched_bytes", 0) for x in a.layers) > 0
    assert e.dram_bytes == a.dram_bytes


def test_a_pooling_whose_windows_cross_every_row_tile_falls_back():
    # input 4x8x8 -> c (1x1, 4 -> 4) -> maxpool 3x3 stride 2 (ceil: 4 pooled rows, windows
    # ending at rows 2, 4, 6, 7). Buffer 0.115 KiB = 117 B: a tile may take 58 B = 29 words.
    # c's smallest two-row tile (1 output channel, 1 input channel) needs 2 x 8 input words
    # + 1 weight + 2 x 8 outputs = 33 words: only one-row tiles fit (1 x 8 + 1 + 8 = 17), and
    # one-row tiles emit 0, 0, 1, 0, 1, 0, 1, 1 pooled rows: the windows do not line up, so
    # the pooling runs on its own (its one-row tile: 3 x 8 input rows of one channel + 4
    # outputs = 28 words) and is counted.
    net = parse_network({"name": "conv_pool3", "input": [4, 8, 8], "layers": [
        conv("c", 4), {"name": "pool", "type": "maxpool", "kernel": 3, "stride": 2}]},
        "conv_pool3.yaml")
    plain = hwsim.simulate(net, tiny(kib=0.115))
    fused = hwsim.simulate(net, tiny(elementwise=True, kib=0.115))
    flows = [x.extra["fusion"] for x in fused.layers]
    assert flows[1]["pool_fallback"] and flows[1]["fused_into"] is None
    assert [f["output_destination"] for f in flows] == ["dram", "dram"]
    assert fused.dram_bytes == plain.dram_bytes and fused.total_cycles == plain.total_cycles
    assert plain.layers[0].extra["tiling"]["output_rows"] == 1
    from hwsim.report.run_report import to_table
    assert "1 poolings not fused" in " ".join(to_table(fused).split())
