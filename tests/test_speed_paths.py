"""DRAM tilings with input channels cut are counted in closed form and their tiles built
only when timed (``hwsim/cost/dram_tiles.py``): the totals must equal what ``_make`` counts
over the tiles ``_kp_segments`` builds (the reference), on bundled layers and random shapes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hwsim.cost import dram_tiles
from hwsim.dataflow.base import ConvShape
from hwsim.inputs import load_network

ROOT = Path(__file__).resolve().parent.parent


def assert_closed_form_matches_reference(shape: ConvShape, units: tuple[int, int, int]) -> int:
    checked = 0
    for t in dram_tiles.enumerate_tilings(shape, *units):
        if t.recipe is None:
            continue
        segments = dram_tiles._kp_segments(*t.recipe)
        ref = dram_tiles._make(t.order, t.kt, t.pt, t.ct, t.footprint_words, segments,
                               t.work_total)
        got = (t.input_words, t.weight_words, t.output_words, t.n_tiles, t.transfers,
               t.first_load, t.last_store)
        want = (ref.input_words, ref.weight_words, ref.output_words, ref.n_tiles,
                ref.transfers, ref.first_load, ref.last_store)
        assert got == want, (shape, units, t.kt, t.pt, t.ct)
        assert t.parts == ref.parts
        checked += 1
    return checked


@pytest.mark.parametrize("name", ["sqnxt23v5", "mobilenet_v1", "alexnet"])
def test_closed_form_tilings_equal_the_reference_on_bundled_layers(name):
    network = load_network(ROOT / "networks" / f"{name}.yaml")
    shapes = {ConvShape.from_layer(layer) for layer in network.layers
              if layer.type not in ("input", "flatten", "dropout", "concat")}
    checked = 0
    for shape in sorted(shapes)[:12]:
        if shape.out_channels == 0:
            continue
        for units in ((16, 1, 16), (32, 8, 4)):
            checked += assert_closed_form_matches_reference(shape, units)
    assert checked > 0


@settings(max_examples=60, deadline=None)
@given(c=st.integers(1, 96), k=st.integers(1, 96), h=st.integers(1, 20),
       kernel=st.sampled_from([1, 3, 5]), stride=st.sampled_from([1, 2]),
       groups=st.sampled_from([1, 2, 4]), bias=st.booleans(),
       units=st.tuples(st.integers(1, 32), st.integers(1, 8), st.integers(1, 32)))
def test_closed_form_tilings_equal_the_reference_on_random_shapes(c, k, h, kernel, stride,
                                                                   groups, bias, units):
    c, k = c * groups, k * groups
    out = max(1, (h - kernel) // stride + 1)
    shape = ConvShape(c, k, h, h, out, out, kernel, kernel, stride, stride, 1, 1, groups,
                      bias=bias)
    assert_closed_form_matches_reference(shape, units)


def test_the_enumeration_cache_keeps_the_most_recently_used_and_can_grow():
    calls = []
    cache = dram_tiles._LruCache(lambda *key: calls.append(key) or len(calls), maxsize=2)
    assert [cache(1), cache(2), cache(1), cache(3)] == [1, 2, 1, 3]  # (1) hit, 2 evicted
    assert cache(1) == 1 and cache(2) == 4 and calls == [(1,), (2,), (3,), (2,)]
    assert cache.cache_info() == (2, 4, 2, 2)
    cache.maxsize = 3
    cache(5)
    assert cache.cache_info().currsize == 3
    cache.cache_clear()
    assert cache.cache_info() == (0, 0, 3, 0)
