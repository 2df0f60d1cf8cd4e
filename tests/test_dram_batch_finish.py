"""The timing stage for many machines at once (``hwsim/cost/dram_batch_finish.py``): per
machine, ``batch_finish`` must give what the scalar ``model.finish_tiles`` (the reference)
gives for that machine's tiling: compute and write-back exactly, memory, fill and drain
exactly (the same IEEE operations), cycles within 1e-12 relative (other order of additions),
on the bundled networks' layers mapped on the bundled accelerators with random budgets,
latencies, bandwidths, setups and double buffering, on vector layers, on every candidate of
some layers, and with tiles that leave array passes idle (work_sum > work_total).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hwsim.config.accelerator_file import load_accelerator
from hwsim.cost import model
from hwsim.cost.dram_batch_finish import _mul_div, batch_finish
from hwsim.cost.dram_candidates import Candidates, candidates
from hwsim.cost.dram_tiles import DramTiling
from hwsim.dataflow.base import ConvShape, MachineParams
from hwsim.dataflow.registry import registered_dataflows
from hwsim.inputs import load_network
from hwsim.workload import layer as L

ROOT = Path(__file__).resolve().parent.parent
NETWORKS = ("squeezenet_v1.0", "sqnxt23v5", "mobilenet_v1", "resnet50", "shufflenet_v1",
            "alexnet")
ACCELERATORS = ("ws_32x32", "os_16x16", "squeezelerator")
VECTOR_TYPES = (L.MAXPOOL, L.AVGPOOL, L.ADD)


def layers(types: tuple[str, ...]) -> list[tuple[ConvShape, int]]:
    """(shape, vector ops) of the distinct layers of ``types`` of the networks."""
    found: set[tuple[ConvShape, int]] = set()
    for name in NETWORKS:
        for layer in load_network(ROOT / "networks" / f"{name}.yaml").layers:
            if layer.type in types:
                found.add((ConvShape.from_layer(layer), layer.vector_ops))
    return sorted(found)


def accelerators() -> list[tuple[MachineParams, tuple[str, ...]]]:
    out = []
    for name in ACCELERATORS:
        acc = load_accelerator(ROOT / "accelerators" / f"{name}.yaml")
        m = MachineParams.from_accelerator(acc)
        flows = (registered_dataflows(m.microarchitecture) if acc.dataflow == "hybrid"
                 else (acc.dataflow,))
        out.append((m, tuple(flows)))
    return out


def random_machine(m: MachineParams, rng: np.random.Generator) -> MachineParams:
    """Budget 4 KiB to 4 MiB, latency 0 to 500 cycles, 0.5 to 64 bytes a cycle, setup 0 to
    100 cycles, double buffering on in two machines of three."""
    return m._replace(tile_budget_bytes=int(round(2 ** rng.uniform(12, 22))),
                      dram_latency_cycles=int(rng.integers(0, 501)),
                      dram_bytes_per_cycle=float(rng.choice([0.5, 3.0, 5.3, 16.0, 64.0])),
                      layer_setup_cycles=int(rng.integers(0, 101)),
                      double_buffering=bool(rng.random() < 2 / 3))


def index_of(found: Candidates, t: DramTiling) -> int:
    c = found.columns
    kind = 1 if t.order == "p_outer" else 0
    hits = np.flatnonzero((c.kt == t.kt) & (c.pt == t.pt) & (c.ct == t.ct)
                          & ((c.kind == kind) | ((kind == 0) & (c.kind == 2))))
    assert len(hits) == 1, (t.order, t.kt, t.pt, t.ct)
    return int(hits[0])


Row = tuple[int, MachineParams, int, int, int]  # index, machine, compute, writeback, setup


def check(found: Candidates, rows: list[Row]) -> int:
    """batch_finish over ``rows`` against finish_tiles row by row; returns how many rows
    left array passes idle."""
    index, ms, compute, writeback, setup = zip(*rows)
    got = batch_finish(found, np.array(index), np.array(compute), np.array(writeback),
                       np.array(setup), np.array([m.word_bytes for m in ms]),
                       np.array([m.dram_latency_cycles for m in ms]),
                       np.array([m.dram_bytes_per_cycle for m in ms]),
                       np.array([m.double_buffering for m in ms]))
    assert got.compute.dtype == got.writeback.dtype == np.int64
    idle = 0
    for b, (i, m, comp, wbk, stp) in enumerate(rows):
        t = found.tiling(i)
        want = model.finish_tiles(t, m, comp, wbk, stp)
        idle += t.work_sum > t.work_total
        where = (t.order, t.kt, t.pt, t.ct, m.double_buffering, comp, wbk, stp)
        assert int(got.compute[b]) == want.compute, where
        assert int(got.writeback[b]) == want.writeback, where
        assert float(got.memory[b]) == want.memory, where
        assert float(got.fill[b]) == want.fill, where
        assert float(got.drain[b]) == want.drain, where
        assert abs(float(got.cycles[b]) - want.cycles) <= 1e-12 * want.cycles, where
    return idle


def test_the_chosen_tilings_of_bundled_array_layers_finish_as_finish_tiles():
    rng = np.random.default_rng(2026)
    checked = idle = 0
    largest = 0
    for number, (shape, ops) in enumerate(layers((L.CONV, L.FC))):
        for m0, flows in accelerators():
            flow = flows[number % len(flows)]
            groups: dict[int, tuple[Candidates, list[Row]]] = {}
            for _ in range(3):
                m = random_machine(m0, rng)
                plan = model.array_plan(shape, ops, m, flow)
                mp = plan.mapping
                found = candidates(shape, mp.k_unit, mp.p_unit, mp.c_unit, None,
                                   mp.whole_passes)
                try:
                    t = model.search_tiles(shape, m, mp.k_unit, mp.p_unit, mp.c_unit,
                                           plan.compute, m.layer_setup_cycles, None,
                                           mp.whole_passes)
                except model.TilingError:
                    continue
                largest = max(largest, t.work_sum, t.work_total)
                row = (index_of(found, t), m, plan.compute, mp.writeback_cycles,
                       m.layer_setup_cycles)
                groups.setdefault(id(found), (found, []))[1].append(row)
            for found, rows in groups.values():
                idle += check(found, rows)
                checked += len(rows)
    assert checked > 1000 and idle > 20
    assert largest ** 2 < 2 ** 62  # the chosen tiles' shares stay in int64 (module docstring)


def test_the_chosen_tilings_of_bundled_vector_layers_finish_as_finish_tiles():
    """Vector layers: units (all output channels, one row, all input channels), no
    write-back, no setup."""
    rng = np.random.default_rng(7)
    m0 = accelerators()[0][0]
    checked = 0
    for shape, ops in layers(VECTOR_TYPES):
        found = candidates(shape, shape.out_channels, 1, shape.in_channels, None)
        rows: list[Row] = []
        for _ in range(4):
            m = random_machine(m0, rng)
            compute = model.vector_compute(ops, 0, m)
            try:
                t = model.search_tiles(shape, m, shape.out_channels, 1, shape.in_channels,
                                       compute, 0, None)
            except model.TilingError:
                continue
            rows.append((index_of(found, t), m, compute, 0, 0))
        if rows:
            check(found, rows)
            checked += len(rows)
    assert checked > 100


@pytest.mark.parametrize("units, passes", [((32, 1, 32), (True, False, True)),
                                           ((16, 4, 8), (True, True, True)),
                                           ((16, 1, 16), (False, False, False))])
def test_every_candidate_of_some_layers_finishes_as_finish_tiles(units, passes):
    """Every candidate (not only the chosen: many leave passes idle), on machines with and
    without double buffering, write-back and setup, compute from none to large."""
    rng = np.random.default_rng(sum(units))
    m0 = accelerators()[0][0]
    idle = 0
    for shape, _ops in layers((L.CONV, L.FC))[::25]:
        found = candidates(shape, *units, None, passes)
        rows: list[Row] = []
        for i in range(len(found)):
            m = random_machine(m0, rng)
            setup = m.layer_setup_cycles
            writeback = int(rng.integers(0, 2)) * int(rng.integers(0, 5000))
            compute = setup + writeback + int(rng.choice([0, 1, 977, shape.macs // 256]))
            rows.append((i, m, compute, writeback, setup))
        idle += check(found, rows)
    if any(passes):
        assert idle > 100
    else:  # without whole passes no tile wastes PEs
        assert idle == 0


def test_every_candidate_of_random_shapes_finishes_as_finish_tiles():
    """Random convolutions, depthwise / grouped ones, pooling-like layers (no weights),
    random granularity and whole-pass flags; every candidate on a random machine."""
    rng = np.random.default_rng(99)
    m0 = accelerators()[0][0]
    for _ in range(40):
        groups, weights = int(rng.choice([1, 2, 4])), bool(rng.random() < 0.8)
        c, k = int(rng.integers(1, 40)) * groups, int(rng.integers(1, 40)) * groups
        if not weights:
            groups, k = 1, c
        h, kernel, stride = int(rng.integers(1, 20)), int(rng.choice([1, 3])), int(rng.choice([1, 2]))
        out = max(1, (h - kernel) // stride + 1)
        shape = ConvShape(c, k, h, h, out, out, kernel, kernel, stride, stride, 1, 1, groups,
                          bias=bool(rng.random() < 0.5), weights=weights)
        units = tuple(int(u) for u in rng.integers(1, 17, 3))
        passes = tuple(bool(p) for p in rng.random(3) < 0.5)
        found = candidates(shape, *units, None, passes)
        rows: list[Row] = []
        for i in range(len(found)):
            m = random_machine(m0, rng)
            writeback = int(rng.integers(0, 300))
            setup = m.layer_setup_cycles
            rows.append((i, m, setup + writeback + int(rng.integers(0, 10 ** 6)), writeback,
                         setup))
        check(found, rows)


def test_a_machine_whose_tiles_leave_passes_idle():
    """Worked by hand: 3 input channels, 6 output channels, a 2 x 2 output, 1 x 1 kernel,
    no bias, passes of 4 output channels (whole passes): the layer's work is 8 x 2 x 3 = 48,
    three tiles of 2 output channels (all rows, all input channels) each 4 x 2 x 3 = 24, 72
    in all. Compute 1010 with 10 setup gains ceil(1000 x 24 / 48) = 500, write-back 100
    becomes 100 x 72 // 48 = 150. The input stays on chip (one row tile): the first tile
    loads 12 inputs + 6 weights, the others 6 weights, each stores 8 outputs; 2-byte words,
    4 bytes a cycle, latency 40: loads 49, 43, 43, stores 44 each; memory 6 x 40 + 108 / 4 =
    267. Single buffering: 1510 + 267. Double: each tile 1350 x 24 // 72 + 150 x 24 // 72 =
    500 cycles, the first + 10 setup: 49 + 44 + 510 + max(500, 43 + 44) + max(500, 44)."""
    shape = ConvShape(3, 6, 2, 2, 2, 2, 1, 1)
    found = candidates(shape, 4, 1, 1, None, (True, False, False))
    c = found.columns
    (i,) = np.flatnonzero((c.kind == 0) & (c.kt == 2) & (c.pt == 2))
    assert (int(c.work_sum[i]), found.geometry.work_total, int(c.n_tiles[i])) == (72, 48, 3)
    m = random_machine(accelerators()[0][0], np.random.default_rng(1))
    for double, cycles in ((False, 1510 + 267), (True, 49 + 44 + 510 + 500 + 500)):
        got = batch_finish(found, [i], [1010], [100], [10], [2], [40], [4.0], [double])
        assert (int(got.compute[0]), int(got.writeback[0])) == (1510, 150)
        assert (float(got.memory[0]), float(got.fill[0]), float(got.drain[0])) == (267, 49, 44)
        assert float(got.cycles[0]) == cycles
        check(found, [(int(i), m._replace(double_buffering=double, word_bytes=2,
                                          dram_latency_cycles=40, dram_bytes_per_cycle=4.0),
                       1010, 100, 10)])


def test_sliver_tiles_whose_shares_overflow_int64_finish_as_finish_tiles():
    """AlexNet's 9216 x 4096 FC on 32 x 32 whole passes: its candidates of few channels per
    tile waste up to 1023 PEs in 1024, so the corrected compute (~1e9) times the tiles' work
    (up to 3.9e10) is past 2^63: the shares must not take that product in int64."""
    shape = ConvShape(9216, 4096, 1, 1, 1, 1, 1, 1, bias=True)
    found = candidates(shape, 32, 1, 32, None, (True, False, True))
    m0 = accelerators()[0][0]
    rng = np.random.default_rng(5)
    rows: list[Row] = []
    for i in range(len(found)):
        m = random_machine(m0, rng)
        rows.append((i, m, 1216512 + m.layer_setup_cycles, 0, m.layer_setup_cycles))
    check(found, rows)
    over = 0
    for i, m, compute, writeback, setup in rows:
        t = found.tiling(i)
        f = model.finish_tiles(t, m, compute, writeback, setup)
        over += (f.compute - setup) * t.work_sum >= 2 ** 63
    assert over > 0


def test_shares_past_int64_are_exact():
    """``a x w // total`` against Python integers where ``a x w`` and even ``(a % total) x
    w`` pass 2^63 (the Python-integer path), rounded down (also for negative ``a``: the
    idle-pass correction's ceiling); in int64 alone (``exact``) where that cannot
    happen."""
    a = np.array([2 ** 40 + 3, -(2 ** 40 + 3), 10 ** 9, 7, 5], dtype=np.int64)
    w = np.array([2 ** 40 - 5, 2 ** 40 - 5, 3 * 10 ** 10, 3, 0], dtype=np.int64)
    total = np.array([2 ** 41 + 7, 2 ** 41 + 7, 3 * 10 ** 10 + 1, 2, 1], dtype=np.int64)
    want = [x * y // z for x, y, z in zip(a.tolist(), w.tolist(), total.tolist())]
    # (2^80 - 2^41 - 15) / (2^41 + 7) = 2^39 - 7/4 - (2^41 + 15) / (2^41 + 7) ~ 2^39 - 2.75
    assert want[:2] == [2 ** 39 - 3, -(2 ** 39 - 2)]
    assert _mul_div(a, w, total, False).tolist() == want
    assert _mul_div(a[3:], w[3:], total[3:], True).tolist() == [10, 0]
