"""The channel shuffle (ShuffleNet): a data-movement layer with no MACs and no vector
operations, end to end: the YAML format and its errors, the layer record, its cost on the
vector unit, its energy, the event engine and the keep-on-chip option.

Hand-worked on the tiny machine of tests/test_fusion.py (4x4 WS array, 16-bit words, DRAM 16
bytes/cycle and 100 cycles latency, 16 vector lanes, weight prefetch off, default energy
table: GLB 6 and DRAM 200 per word, vector op 1, leakage 0). The network is
input 4x4x4 -> a (1x1 conv 4 -> 12) -> s (shuffle, 3 groups) -> b (1x1 conv 12 -> 4); the
shuffled tensor is 12 x 4 x 4 = 192 words = 384 bytes.
"""

from __future__ import annotations

import pytest

import hwsim
from hwsim.config.network_file import parse_network
from hwsim.cost.energy import price
from hwsim.cost.model import cost_layer
from hwsim.dataflow.base import MachineParams
from hwsim.errors import InputError
from hwsim.hardware import Accelerator, PEArray
from hwsim.hardware.accelerator import Buffer, EnergyTable, Fusion
from hwsim.workload import layer as L
from hwsim.workload.layer import TensorShape

WORDS = 12 * 4 * 4  # the shuffled tensor


def network(**shuffle):
    layer = {"name": "s", "type": "shuffle", "groups": 3, **shuffle}
    return parse_network({"name": "shuffled", "input": [4, 4, 4], "layers": [
        {"name": "a", "type": "conv", "out_channels": 12, "kernel": 1},
        layer,
        {"name": "b", "type": "conv", "out_channels": 4, "kernel": 1},
    ]}, "shuffled.yaml")


def tiny(keep: bool = False) -> Accelerator:
    return Accelerator(name="tiny", pe_array=PEArray(4, 4, 2),
                       buffer=Buffer(global_kib=512, weight_prefetch=False),
                       fusion=Fusion(keep_on_chip=keep))


def test_the_layer_record():
    s = network().layer("s")
    assert s.type == L.SHUFFLE and s.groups == 3 and s.inputs == ("a",)
    assert s.in_shape == s.out_shape == TensorShape(12, 4, 4)
    assert (s.macs, s.params, s.bn_params, s.vector_ops) == (0, 0, 0, 0)  # computes nothing
    assert s.moved_words == WORDS and s.mac_class == L.OTHER
    assert network().layer("a").moved_words == 0  # only data-movement layers move words
    assert network().macs == 4 * 12 * 16 + 12 * 4 * 16  # the two convs' only
    assert network(type="channel_shuffle").layer("s").type == L.SHUFFLE  # the alias


def test_a_shuffle_copies_its_tensor_through_the_buffer_once():
    cost = cost_layer(network().layer("s"), MachineParams.from_accelerator(tiny()), "ws")
    assert cost.kind == "vector" and cost.dataflow == "vector"
    c = cost.counts
    assert (c.macs, c.vector_ops, c.effective_macs) == (0, 0, 0)
    # 192 words, 16 lanes: ceil(192 / 16) = 12 cycles of copying
    assert cost.compute_cycles == 12
    # read once and written once in the buffer, plus the DMA's fill and drain of a layer
    # boundary: its input from DRAM, its output to DRAM, nothing more
    assert c.glb_input_reads == c.glb_output_writes == WORDS
    assert c.glb_fill_writes == c.glb_drain_reads == WORDS
    assert cost.dram_read_bytes == cost.dram_write_bytes == WORDS * 2
    # one tile: load 100 + 384 / 16 = 124, copy 12, store 124
    assert cost.cycles == 124 + 12 + 124
    energy = price(c, cost.cycles, EnergyTable())
    assert energy.mac == 0  # no arithmetic
    assert energy.glb == 4 * WORDS * 6 == 4608
    assert energy.dram == 2 * WORDS * 200 == 76800
    assert energy.total == 4608 + 76800


def test_both_engines_play_the_shuffle_on_the_vector_unit():
    analytic = hwsim.simulate(network(), tiny())
    event = hwsim.simulate(network(), tiny(), engine="event")
    for r in (analytic.layer("s"), event.layer("s")):
        assert r.dataflow == "vector" and r.macs == 0 and r.vector_ops == 0
        assert r.cycles == pytest.approx(124 + 12 + 124)
    # the event schedule runs it after its producer and before its consumer
    assert event.layer("a").end_cycle <= event.layer("s").start_cycle
    assert event.layer("s").end_cycle <= event.layer("b").start_cycle


def test_kept_on_chip_a_shuffle_moves_nothing_through_dram():
    # a's output and s's output (384 B each) fit the 512 KiB buffer: both stay on chip, so
    # the shuffle is only its copy, 12 cycles
    result = hwsim.simulate(network(), tiny(keep=True))
    s = result.layer("s")
    assert s.dram_read_bytes == s.dram_write_bytes == 0
    assert s.cycles == 12
    assert s.energy.dram == 0 and s.energy.glb == 2 * WORDS * 6  # the copy's read and write


def test_an_activation_on_a_shuffle_is_its_only_vector_work():
    s = network(activation="relu").layer("s")
    assert s.vector_ops == WORDS and s.moved_words == WORDS
    cost = cost_layer(s, MachineParams.from_accelerator(tiny()), "ws")
    assert cost.compute_cycles == (WORDS + WORDS) // 16  # one op and one move per word


@pytest.mark.parametrize("shuffle, expected", [
    ({"groups": 5}, "layer 's'.*shuffle groups=5 does not divide the input channels \\(12, "
                    "input shape 12x4x4\\)"),
    ({"groups": 0}, "layers\\[0\\].groups: "),
    ({"groups": "three"}, "layers\\[0\\].groups: "),
    ({"kernel": 3}, "layers\\[0\\].*kernel"),
    ({"type": "shufle"}, "did you mean 'shuffle'"),
])
def test_bad_shuffles_are_named(shuffle, expected):
    spec = {"name": "s", "type": "shuffle", "groups": 3, **shuffle}
    with pytest.raises(InputError, match=expected) as info:
        parse_network({"name": "bad", "input": [12, 4, 4], "layers": [spec]}, "bad.yaml")
    assert str(info.value).startswith("bad.yaml: ")


def test_a_missing_groups_says_so():
    with pytest.raises(InputError, match="groups: missing required key"):
        parse_network({"name": "bad", "input": [12, 4, 4],
                       "layers": [{"name": "s", "type": "shuffle"}]}, "bad.yaml")


def test_info_reports_the_shuffle(tmp_path, capsys):
    import csv
    import io
    import json

    from hwsim.cli.main import main

    path = tmp_path / "shuffled.yaml"
    path.write_text("input: [4, 4, 4]\nlayers:\n"
                    "  - {name: a, type: conv, out_channels: 12, kernel: 1}\n"
                    "  - {name: s, type: channel_shuffle, groups: 3}\n")
    assert main(["info", str(path), "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out)["layers"][1]
    assert (record["type"], record["groups"], record["macs"]) == ("shuffle", 3, 0)
    assert (record["vector_ops"], record["moved_words"]) == (0, WORDS)
    assert main(["info", str(path), "--format", "csv"]) == 0
    row = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))[1]
    assert (row["type"], row["moved_words"]) == ("shuffle", str(WORDS))
    assert main(["info", str(path)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("s "))
    assert line.split()[:4] == ["s", "shuffle", "12x4x4", "12x4x4"] and line.split()[4] == "3"
