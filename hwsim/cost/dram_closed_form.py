"""The totals of DRAM tiling candidates in closed form, for many candidates at once.

A candidate's totals (words loaded, weights, stored, tiles, work, DMA transfers, the first
load and the last store, and its footprint) are sums over its runs of tiles. Each kind of
run (first, middle or last tile of a full or last output-channel block, row tile or
input-channel tile) is counted once here and multiplied by how often it occurs, so a
candidate costs a few dozen operations whatever its number of tiles; and since the
arithmetic is plain, every argument may be a numpy array with one entry per candidate (the
candidates of a layer are counted in one pass over arrays). A multiplicity that is 0 for a
candidate switches a kind of run off for it (a layer of one row tile has no middle rows).

The reference is :mod:`hwsim.cost.dram_reference` (the runs written out) counted by
:func:`~hwsim.cost.dram_tiles.make_tiling`; ``tests/test_dram_candidates.py`` checks that
both agree on every candidate of bundled layers and random shapes, with and without fusion
epilogues and whole passes.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from hwsim.cost.dram_geometry import LayerGeometry, Sizes
from hwsim.cost.dram_reference import cut_runs


class Totals(NamedTuple):
    """A candidate's totals (integers or arrays): footprint, DRAM words loaded (inputs,
    weights) and stored, tiles, work, DMA transfers, the first tile's load and the last
    tile's store (words)."""

    footprint: Any
    input: Any
    weight: Any
    output: Any
    n_tiles: Any
    work_sum: Any
    transfers: Any
    first_load: Any
    last_store: Any


def _moves(words: Any) -> Any:
    """1 where a transfer moves words, else 0."""
    return (words > 0) * 1


class _Sums:
    """Running totals of runs of tiles, each added with its multiplicity."""

    def __init__(self) -> None:
        self.input: Any = 0
        self.weight: Any = 0
        self.output: Any = 0
        self.n_tiles: Any = 0
        self.work: Any = 0
        self.transfers: Any = 0

    def add(self, many: Any, load: Any, weights: Any, work: Any, store: Any) -> None:
        """``many`` tiles each loading ``load`` input and ``weights`` weight words, doing
        ``work`` and storing ``store`` words."""
        self.input += many * load
        self.weight += many * weights
        self.output += many * store
        self.n_tiles += many
        self.work += many * work
        self.transfers += many * (_moves(load + weights) + _moves(store))

    def totals(self, footprint: Any, first_load: Any, last_store: Any) -> Totals:
        return Totals(footprint, self.input, self.weight, self.output, self.n_tiles, self.work,
                      self.transfers, first_load, last_store)


def k_outer_totals(g: LayerGeometry, z: Sizes) -> Totals:
    """``k_outer`` with all input channels
    (:func:`~hwsim.cost.dram_reference.k_outer_segments`)."""
    Cg, W = g.Cg, g.W
    one = (z.n_p == 1) * 1          # one row tile
    rows = 1 - one                  # first, middle and last row tiles
    stay = one * int(g.G == 1 and g.weights)  # the input stays on chip
    sums = _Sums()
    blocks = ((z.kt, 1, 1), (z.kt, z.n_full - 1, 0), (z.k_last, (z.k_last != z.kt) * 1, 0))
    for k, repeat, first in blocks:
        wk = g.w_words(k, Cg) + k * g.bias
        cn = g.c_need(k)
        load_all = 1 if first else 1 - stay
        last = (g.work(k, z.p_last, Cg), g.stored(k, z.p_last, z.pooled_last))
        sums.add(repeat * one, g.ld(cn * z.r_last * W * load_all, k, z.p_last), wk, *last)
        full_rows = g.ld(cn * z.r_full * W, k, z.pt)
        work = g.work(k, z.pt, Cg)
        sums.add(repeat * rows, full_rows, wk, work, g.stored(k, z.pt, z.pooled_first))
        sums.add(repeat * rows * (z.n_p - 2), full_rows, 0, work,
                 g.stored(k, z.pt, z.pooled_mid))
        sums.add(repeat * rows, g.ld(cn * z.r_last * W, k, z.p_last), 0, *last)
    wt = g.w_words(z.kt, Cg) + z.kt * g.bias
    cn = g.c_need(z.kt)
    first_load = (one * g.ld(cn * z.r_last * W, z.kt, z.p_last)
                  + rows * g.ld(cn * z.r_full * W, z.kt, z.pt) + wt)
    whole = one * ((z.n_k == 1) * 1 | stay)  # one tile, or the input staying: all of it
    foot = (whole * (g.C * g.H * W + z.kt * g.P * g.Q)
            + (1 - whole) * (cn * z.r_max * W + z.kt * z.pt * g.Q)
            + wt + g.foot_extra(z.kt, z.pt))
    return sums.totals(foot, first_load, g.stored(z.k_last, z.p_last, z.pooled_last))


def p_outer_totals(g: LayerGeometry, z: Sizes) -> Totals:
    """``p_outer`` (:func:`~hwsim.cost.dram_reference.p_outer_segments`)."""
    C, Cg, W, kt = g.C, g.Cg, g.W, z.kt
    one_k = (z.n_k == 1) * 1        # one output-channel tile (kt = K): weights stay
    ks = 1 - one_k
    one = (z.n_p == 1) * 1
    rows = 1 - one
    wt = g.w_words(kt, Cg) + kt * g.bias
    wl = g.w_words(z.k_last, Cg) + z.k_last * g.bias
    kinds = ((z.r_last, z.p_last, 1, z.pooled_last, one),
             (z.r_full, z.pt, 1, z.pooled_first, rows),
             (z.r_full, z.pt, 0, z.pooled_mid, rows * (z.n_p - 2)),
             (z.r_last, z.p_last, 0, z.pooled_last, rows))
    sums = _Sums()
    for r, p, first, pooled, repeat in kinds:
        inputs = g.ld(C * r * W, kt, p)
        work, store = g.work(kt, p, Cg), g.stored(kt, p, pooled)
        sums.add(repeat * one_k, inputs, wt * first, work, store)
        sums.add(repeat * ks, inputs, wt, work, store)
        sums.add(repeat * ks * (z.n_k - 2), g.ld(0, kt, p), wt, work, store)
        sums.add(repeat * ks, g.ld(0, z.k_last, p), wl, g.work(z.k_last, p, Cg),
                 g.stored(z.k_last, p, pooled))
    first_load = (one * g.ld(C * z.r_last * W, kt, z.p_last)
                  + rows * g.ld(C * z.r_full * W, kt, z.pt) + wt)
    w_foot = one_k * (g.w_words(g.K, Cg) + g.K * g.bias) + ks * wt
    foot = C * z.r_max * W + w_foot + kt * z.pt * g.Q + g.foot_extra(g.K, z.pt)
    return sums.totals(foot, first_load, g.stored(z.k_last, z.p_last, z.pooled_last))


def cut_totals(g: LayerGeometry, z: Sizes, ct: Any) -> Totals:
    """``k_outer`` with input channels cut into tiles of ``ct``
    (:func:`~hwsim.cost.dram_reference.cut_segments`)."""
    sums = _Sums()
    blocks = ((z.kt, z.n_full), (z.k_last, (z.k_last != z.kt) * 1))
    row_kinds = ((z.r_full, z.pt, z.pooled_first, z.n_p - 1),
                 (z.r_last, z.p_last, z.pooled_last, 1))
    for k, repeat in blocks:
        for rows, p, pooled, times in row_kinds:
            for count, load, weights, work, store in cut_runs(g, k, rows, p, pooled, ct):
                sums.add(repeat * times * count, load, weights, work, store)
    W, kt = g.W, z.kt
    first_rows = z.r_full * (z.n_p > 1) + z.r_last * (z.n_p == 1)
    foot = (ct * z.r_max * W + g.w_words(kt, ct) + kt * g.bias + kt * z.pt * g.Q
            + g.foot_extra(kt, z.pt))
    first_load = g.ld(ct * first_rows * W) + g.w_words(kt, ct) + kt * g.bias
    return sums.totals(foot, first_load, g.stored(z.k_last, z.p_last, z.pooled_last))


__all__ = ["Totals", "k_outer_totals", "p_outer_totals", "cut_totals"]
