"""The DRAM tiling candidates are counted in closed form over numpy arrays
(``hwsim/cost/dram_closed_form.py``) and their tiles built only when the search times them:
every candidate's totals must equal what ``make_tiling`` counts tile by tile over the tiles
the reference builders write out (``hwsim/cost/dram_reference.py``), on bundled layers and
random shapes, with and without fusion epilogues and whole passes. The search's bounds,
computed over arrays, must equal the scalar formula of each candidate, and the search, which
times only the candidates whose bound can still win, must pick what timing all would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.cost.dram_candidates import candidates, enumerate_tilings
from hwsim.cost.dram_search import best_tiling, lower_bounds, tiling_time
from hwsim.cost.dram_tiles import DramTiling, Epilogue, NoTileFits, make_tiling
from hwsim.cost.tiles import one_transfer
from hwsim.dataflow.base import ConvShape
from hwsim.inputs import load_network
from hwsim.workload import layer as L

ROOT = Path(__file__).resolve().parent.parent

TOTALS = ("footprint_words", "input_words", "weight_words", "output_words", "n_tiles",
          "work_total", "work_sum", "transfers", "first_load", "last_store")


def reference(t: DramTiling) -> DramTiling:
    """``t`` counted tile by tile from its written-out tiles."""
    return make_tiling(t.order, t.kt, t.pt, t.ct, t.footprint_words, list(t.segments),
                       t.work_total)


def check_candidates(shape: ConvShape, units: tuple[int, int, int],
                     epi: Epilogue | None = None,
                     whole_passes: tuple[bool, bool, bool] = (False, False, False)) -> int:
    tilings = enumerate_tilings(shape, *units, epi, whole_passes)
    for t in tilings:
        ref = reference(t)
        assert [getattr(t, f) for f in TOTALS] == [getattr(ref, f) for f in TOTALS], \
            (shape, units, epi, whole_passes, t.order, t.kt, t.pt, t.ct)
    # one candidate per (order, kt, pt, ct)
    assert len({(t.order, t.kt, t.pt, t.ct) for t in tilings}) == len(tilings)
    return len(tilings)


def epilogues(shape: ConvShape) -> list[Epilogue | None]:
    """No epilogue, half the input on chip with the output kept, a fused add, and a fused
    2x2 stride-2 pooling (with the add) when the output has rows to pool."""
    out = [None, Epilogue(1, 2, False), Epilogue(operand=True)]
    if shape.out_height >= 2:
        rows = shape.out_height // 2
        out.append(Epilogue(operand=True, pool=(2, 2, 0, rows, shape.out_width // 2 or 1)))
    return out


@pytest.mark.parametrize("name", ["sqnxt23v5", "mobilenet_v1", "alexnet"])
def test_closed_form_candidates_equal_the_reference_on_bundled_layers(name):
    network = load_network(ROOT / "networks" / f"{name}.yaml")
    shapes = sorted({ConvShape.from_layer(layer) for layer in network.layers
                     if layer.type in (L.CONV, L.FC, L.MAXPOOL, L.ADD)})
    checked = 0
    for shape in shapes[:: max(1, len(shapes) // 8)]:
        for units, passes in (((16, 1, 16), (True, False, True)), ((32, 8, 4), (False,) * 3)):
            for epi in epilogues(shape):
                checked += check_candidates(shape, units, epi, passes)
    assert checked > 100


@settings(max_examples=80, deadline=None)
@given(c=st.integers(1, 48), k=st.integers(1, 48), h=st.integers(1, 20),
       kernel=st.sampled_from([1, 3, 5]), stride=st.sampled_from([1, 2]),
       groups=st.sampled_from([1, 2, 4]), bias=st.booleans(), weights=st.booleans(),
       units=st.tuples(st.integers(1, 32), st.integers(1, 8), st.integers(1, 32)),
       passes=st.tuples(st.booleans(), st.booleans(), st.booleans()),
       epi_index=st.integers(0, 3))
def test_closed_form_candidates_equal_the_reference_on_random_shapes(
        c, k, h, kernel, stride, groups, bias, weights, units, passes, epi_index):
    if not weights:  # pooling / element-wise: one group, as many outputs as inputs
        groups, k = 1, c
    c, k = c * groups, k * groups
    out = max(1, (h - kernel) // stride + 1)
    shape = ConvShape(c, k, h, h, out, out, kernel, kernel, stride, stride, 1, 1, groups,
                      bias=bias, weights=weights)
    options = epilogues(shape)
    check_candidates(shape, units, options[epi_index % len(options)], passes)


def test_bounds_over_arrays_equal_the_scalar_bound_of_each_candidate():
    # the bound of hwsim.cost.dram_search, per candidate: memory = transfers x latency +
    # bytes / bandwidth; T >= max(memory, A_1 + setup + (compute - setup) x scale + D_n)
    shape = ConvShape(24, 40, 14, 14, 14, 14, 3, 3, bias=True)
    found = candidates(shape, 16, 1, 8, None, (True, False, True))
    compute, setup, wb, latency, bw = 90_000.0, 30.0, 2, 100.0, 5.3
    for double_buffering in (True, False):
        low = lower_bounds(found.columns, compute, setup, wb, latency, bw, double_buffering,
                           found.geometry.work_total)
        for index, bound in enumerate(low.tolist()):
            t = found.tiling(index)
            memory = t.transfers * latency + t.dram_words * wb / bw
            exposed = (one_transfer(t.first_load * wb, latency, bw)
                       + one_transfer(t.last_store * wb, latency, bw))
            tiled = setup + (compute - setup) * t.compute_scale()
            want = max(memory, exposed + tiled) if double_buffering else memory + tiled
            assert bound == want
    # some candidates leave part of a pass idle (40 channels in tiles of 16, 24 in tiles of 8)
    assert (found.columns.work_sum > found.geometry.work_total).any()


def test_the_candidate_cache_keeps_the_most_recently_used_and_can_grow():
    from hwsim.cost.dram_candidates import LruCache

    calls = []
    cache = LruCache(lambda *key: calls.append(key) or len(calls), maxsize=2)
    assert [cache(1), cache(2), cache(1), cache(3)] == [1, 2, 1, 3]  # (1) a hit, 2 evicted
    assert cache(1) == 1 and cache(2) == 4 and calls == [(1,), (2,), (3,), (2,)]
    assert cache.cache_info() == (2, 4, 2, 2)
    cache.maxsize = 3
    cache(5)
    assert cache.cache_info().currsize == 3
    cache.cache_clear()
    assert cache.cache_info() == (0, 0, 3, 0)


@settings(max_examples=40, deadline=None)
@given(c=st.integers(1, 64), k=st.integers(1, 64), h=st.integers(1, 16),
       kernel=st.sampled_from([1, 3]), budget=st.sampled_from([40, 200, 1000, 5000, 40000]),
       compute=st.integers(0, 200_000), setup=st.sampled_from([0, 40]),
       bandwidth=st.sampled_from([4.0, 16.0, 5.3]), double_buffering=st.booleans(),
       passes=st.tuples(st.booleans(), st.booleans(), st.booleans()))
def test_the_search_returns_the_best_of_every_candidate_timed(
        c, k, h, kernel, budget, compute, setup, bandwidth, double_buffering, passes):
    """The search times only the candidates whose bound can still win; timing every
    candidate that fits and taking the least (time, DRAM words, tiles, order, largest
    tiles) must give the same tiling."""
    shape = ConvShape(c, k, h, h, h, h, kernel, kernel, bias=True)
    units = (16, 1, 8)
    latency, wb = 100.0, 2
    whole = 2 * budget if double_buffering else budget
    fitting = [t for t in enumerate_tilings(shape, *units, None, passes)
               if t.footprint_words <= (whole if t.n_tiles == 1 else budget)]
    args = (float(compute), float(setup), wb, latency, bandwidth, double_buffering)
    if not fitting:
        with pytest.raises(NoTileFits):
            best_tiling(shape, budget, whole, *units, *args, None, passes)
        return
    brute = min(fitting, key=lambda t: (round(tiling_time(t, *args), 6), t.dram_words,
                                        t.n_tiles, t.order, -t.kt, -t.pt, -t.ct))
    got = best_tiling(shape, budget, whole, *units, *args, None, passes)
    assert (got.order, got.kt, got.pt, got.ct) == (brute.order, brute.kt, brute.pt, brute.ct)
