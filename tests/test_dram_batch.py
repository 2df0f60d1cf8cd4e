"""The DRAM tiling search for many machines at once (``hwsim/cost/dram_batch.py``): every
candidate's time over arrays must equal the scalar ``tiling_time`` (the reference, which
times the written-out tiles segment by segment) on every candidate of bundled layers and of
random shapes, with and without double buffering and setup cycles, within the error bound
the choice relies on; and the batch choice must be, machine by machine, the candidate the
scalar ``best_tiling`` returns (or nothing where it raises NoTileFits).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.cost import dram_batch
from hwsim.cost.dram_batch import batch_best_tilings, candidate_times
from hwsim.cost.dram_batch_plan import plan_of
from hwsim.cost.dram_candidates import Candidates, candidates
from hwsim.cost.dram_search import best_tiling, tiling_time
from hwsim.cost.dram_tiles import Epilogue, NoTileFits
from hwsim.dataflow.base import ConvShape
from hwsim.inputs import load_network
from hwsim.workload import layer as L

ROOT = Path(__file__).resolve().parent.parent
#: (array granularity, whole passes) per layer, in turn
GRAINS = (((16, 1, 16), (True, False, True)), ((32, 8, 4), (False, False, False)),
          ((8, 4, 8), (True, True, True)), ((1, 1, 1), (False, False, False)))


def layer_shapes(name: str) -> list[ConvShape]:
    network = load_network(ROOT / "networks" / f"{name}.yaml")
    return sorted({ConvShape.from_layer(layer) for layer in network.layers
                   if layer.type in (L.CONV, L.FC, L.MAXPOOL, L.AVGPOOL, L.ADD)})


Machine = tuple[float, float, int, float, float, bool]


def check_times(found: Candidates, machines: list[Machine], rows: int | None = None) -> int:
    """Every candidate of ``found`` timed for ``machines`` (compute, setup, word bytes,
    latency, bytes per cycle, double buffering) over arrays, and by the scalar reference
    for ``rows`` of the machines (all by default; else candidate i checks machines i, i + 1,
    ... in turn): each within 1e-12 relative and within the plan's error bound, on which
    the choice of the batch search relies. Returns the number of comparisons."""
    columns = [np.array([m[j] for m in machines]).reshape(-1, 1) for j in range(6)]
    got = candidate_times(found, *columns)
    assert got.shape == (len(machines), len(found))
    bound = plan_of(found).error
    rows = len(machines) if rows is None else rows
    for index in range(len(found)):
        t = found.tiling(index)
        for k in range(rows):
            row = (index + k) % len(machines)
            want = tiling_time(t, *machines[row])
            err = abs(got[row, index] - want)
            assert err <= min(1e-12, bound[index]) * want, (
                t.order, t.kt, t.pt, t.ct, machines[row], got[row, index], want)
    return len(found) * rows


@pytest.mark.parametrize("name", ["squeezenet_v1.0", "sqnxt23v5", "mobilenet_v1", "resnet50",
                                  "shufflenet_v1", "alexnet"])
def test_candidate_times_equal_tiling_time_on_every_candidate_of_bundled_layers(name):
    """Each layer with one granularity in turn; each candidate with double buffering and
    without, one of them with setup cycles (in turn)."""
    checked = 0
    for number, shape in enumerate(layer_shapes(name)):
        units, passes = GRAINS[number % len(GRAINS)]
        compute = float(max(1, shape.macs // 256) + 40)
        machines: list[Machine] = [(compute, 0.0, 2, 100.0, 5.3, True),
                                   (compute, 0.0, 1, 7.0, 32.0, False),
                                   (compute, 40.0, 2, 100.0, 5.3, True),
                                   (compute, 40.0, 1, 7.0, 32.0, False)]
        # rows i, i + 1 of candidate i: (db, no setup) + (single, no setup), (single, no
        # setup) + (db, setup), (db, setup) + (single, setup), (single, setup) + (db, none)
        checked += check_times(candidates(shape, *units, None, passes), machines, rows=2)
    assert checked > 4000


def test_candidate_times_follow_fusion_epilogues():
    """The tiles' hooks (input share, fused operand, fused pooling) are the reference
    builders': the times of epilogue candidate sets equal tiling_time too."""
    checked = 0
    for shape in layer_shapes("sqnxt23v5")[::6]:
        rows = shape.out_height // 2 or 1
        for epi in (Epilogue(1, 2, False), Epilogue(operand=True),
                    Epilogue(operand=True, pool=(2, 2, 0, rows, shape.out_width // 2 or 1))):
            found = candidates(shape, 16, 1, 16, epi, (True, False, True))
            checked += check_times(found, [(1e5, 40.0, 2, 100.0, 5.3, True),
                                           (1e5, 0.0, 2, 100.0, 5.3, False)])
    assert checked > 1000


def random_shape(c: int, k: int, h: int, kernel: int, stride: int, groups: int, bias: bool,
                 weights: bool) -> ConvShape:
    if not weights:  # pooling / element-wise: one group, as many outputs as inputs
        groups, k = 1, c
    c, k = c * groups, k * groups
    out = max(1, (h - kernel) // stride + 1)
    return ConvShape(c, k, h, h, out, out, kernel, kernel, stride, stride, 1, 1, groups,
                     bias=bias, weights=weights)


shape_args = dict(c=st.integers(1, 48), k=st.integers(1, 48), h=st.integers(1, 24),
                  kernel=st.sampled_from([1, 3, 5]), stride=st.sampled_from([1, 2]),
                  groups=st.sampled_from([1, 2, 4]), bias=st.booleans(),
                  weights=st.booleans())
machine = st.tuples(st.floats(0, 5e6), st.sampled_from([0.0, 1.0, 40.0]),
                    st.sampled_from([1, 2, 4]), st.floats(0, 500), st.floats(1, 64),
                    st.booleans())


@settings(max_examples=60, deadline=None)
@given(**shape_args, units=st.tuples(st.integers(1, 32), st.integers(1, 8), st.integers(1, 32)),
       passes=st.tuples(st.booleans(), st.booleans(), st.booleans()),
       machines=st.lists(machine, min_size=1, max_size=4))
def test_candidate_times_equal_tiling_time_on_random_shapes_and_machines(
        c, k, h, kernel, stride, groups, bias, weights, units, passes, machines):
    shape = random_shape(c, k, h, kernel, stride, groups, bias, weights)
    found = candidates(shape, *units, None, passes)
    check_times(found, [(max(m[0], m[1]), *m[1:]) for m in machines])
    # scalars give one row, the same as a batch of one
    one = machines[0]
    alone = candidate_times(found, max(one[0], one[1]), *one[1:])
    assert alone.shape == (len(found),)
    assert np.array_equal(alone, candidate_times(found, *(np.array([[v]]) for v in
                                                          (max(one[0], one[1]), *one[1:])))[0])


def scalar_choices(shape: ConvShape, units: tuple[int, int, int],
                   passes: tuple[bool, bool, bool], m: dict[str, np.ndarray]) -> list:
    """best_tiling's (order, kt, pt, ct) per machine, None where it raises NoTileFits."""
    out = []
    for i in range(len(m["half"])):
        try:
            t = best_tiling(shape, int(m["half"][i]), int(m["whole"][i]), *units,
                            float(m["compute"][i]), float(m["setup"][i]), int(m["wb"][i]),
                            float(m["latency"][i]), float(m["bw"][i]), bool(m["db"][i]), None,
                            passes)
            out.append((t.order, t.kt, t.pt, t.ct))
        except NoTileFits:
            out.append(None)
    return out


def batch_choices(found: Candidates, m: dict[str, np.ndarray]) -> list:
    got = batch_best_tilings(found, m["half"], m["whole"], m["compute"], m["setup"], m["wb"],
                             m["latency"], m["bw"], m["db"])
    assert got.shape == (len(m["half"]),) and got.dtype == np.int64
    out = []
    for index in got.tolist():
        t = found.tiling(index) if index >= 0 else None
        out.append(None if t is None else (t.order, t.kt, t.pt, t.ct))
    return out


def random_machines(rng: np.random.Generator, count: int, macs: int) -> dict[str, np.ndarray]:
    """Budgets from a few words (nothing fits) to 4 M words, latencies 0 to 500 cycles,
    1 to 64 bytes per cycle, computes from 0 to the MACs on 8 PEs."""
    db = rng.random(count) < 0.6
    budget = np.round(10 ** rng.uniform(0.5, 6.6, count)).astype(np.int64)
    setup = rng.choice([0.0, 1.0, 40.0], count)
    compute = np.where(rng.random(count) < 0.5, rng.integers(0, 200, count),
                       rng.integers(0, macs // 8 + 2, count)) + setup
    return {"half": budget, "whole": np.where(db, 2 * budget, budget), "compute": compute,
            "setup": setup, "wb": rng.choice([1, 2, 4], count),
            "latency": rng.integers(0, 501, count).astype(np.float64),
            "bw": rng.choice([1.0, 3.0, 5.3, 16.0, 64.0], count), "db": db}


@pytest.mark.parametrize("name", ["squeezenet_v1.0", "mobilenet_v1", "resnet50",
                                  "shufflenet_v1"])
def test_the_batch_choice_is_best_tilings_on_bundled_layers(name):
    rng = np.random.default_rng(17)
    shapes = layer_shapes(name)
    nothing = chosen = 0
    for number, shape in enumerate(shapes[:: max(1, len(shapes) // 8)]):
        units, passes = GRAINS[number % len(GRAINS)]
        m = random_machines(rng, 24, shape.macs)
        want = scalar_choices(shape, units, passes, m)
        assert batch_choices(candidates(shape, *units, None, passes), m) == want, shape
        nothing += want.count(None)
        chosen += len(want) - want.count(None)
    assert nothing > 0 and chosen > 100


@settings(max_examples=60, deadline=None)
@given(**shape_args, units=st.tuples(st.integers(1, 32), st.integers(1, 8), st.integers(1, 32)),
       passes=st.tuples(st.booleans(), st.booleans(), st.booleans()),
       seed=st.integers(0, 2 ** 32 - 1))
def test_the_batch_choice_is_best_tilings_on_random_shapes_and_machines(
        c, k, h, kernel, stride, groups, bias, weights, units, passes, seed):
    shape = random_shape(c, k, h, kernel, stride, groups, bias, weights)
    m = random_machines(np.random.default_rng(seed), 12, shape.macs)
    assert batch_choices(candidates(shape, *units, None, passes), m) == \
        scalar_choices(shape, units, passes, m)


def test_ties_the_array_times_cannot_settle_go_to_the_scalar_timing(monkeypatch):
    """With an error bound so wide that every rounding is unsure, each machine with two or
    more candidates within the bound is settled by the scalar times: still best_tiling's."""
    shape = ConvShape(24, 40, 14, 14, 14, 14, 3, 3, bias=True)
    units, passes = (16, 1, 8), (True, False, True)
    found = candidates(shape, *units, None, passes)
    plan = plan_of(found)
    monkeypatch.setattr(dram_batch, "plan_of",
                        lambda f: plan._replace(error=np.full(len(f), 1e-3)))
    settled = []
    original = dram_batch._scalar_choice
    monkeypatch.setattr(dram_batch, "_scalar_choice",
                        lambda *a: settled.append(len(a[1])) or original(*a))
    m = random_machines(np.random.default_rng(3), 40, shape.macs)
    assert batch_choices(found, m) == scalar_choices(shape, units, passes, m)
    assert len(settled) > 10 and max(settled) > 2
