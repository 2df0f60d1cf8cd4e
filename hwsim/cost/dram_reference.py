"""The tiles of each kind of DRAM tiling candidate, written out (the reference).

Three builders, one per candidate kind of :mod:`hwsim.cost.dram_tiles`' module docstring,
each returning the candidate's :data:`~hwsim.cost.dram_tiles.Segment` list for one
:class:`~hwsim.cost.dram_geometry.Sizes` (integers): ``k_outer`` with all input channels
(:func:`k_outer_segments`), ``p_outer`` (:func:`p_outer_segments`) and ``k_outer`` with
input channels cut into tiles of ``ct`` (:func:`cut_segments`). The search builds a
candidate's tiles only when it times it; the candidates' totals come from the closed forms of
:mod:`hwsim.cost.dram_closed_form`, which must equal what
:func:`~hwsim.cost.dram_tiles.make_tiling` counts over these (``tests/test_dram_candidates.py``).
"""

from __future__ import annotations

from hwsim.cost.dram_geometry import LayerGeometry, Sizes
from hwsim.cost.dram_tiles import Segment, Step
from hwsim.workload.layer import ceil_div


def add_segment(segments: list[Segment], pattern: list[Step], repeat: int) -> None:
    """Append ``pattern`` x ``repeat``, runs of no tiles dropped (nothing if none is left)."""
    steps = tuple(s for s in pattern if s[0] > 0)
    if repeat > 0 and steps:
        segments.append((steps, repeat))


def k_outer_segments(g: LayerGeometry, z: Sizes) -> list[Segment]:
    """``k_outer`` with all input channels: each output-channel block runs its row tiles;
    the block's first tile loads its weights. With one row tile and no groups the input
    stays on chip (only the very first tile loads it)."""
    stay = z.n_p == 1 and g.G == 1 and g.weights
    pt, Cg, W = z.pt, g.Cg, g.W

    def k_block(k: int, first: bool) -> list[Step]:
        wk = g.w_words(k, Cg) + k * g.bias
        cn = g.c_need(k)
        if z.n_p == 1:
            inp = cn * z.r_last * W if (first or not stay) else 0
            return [(1, g.ld(inp, k, z.p_last), wk, g.work(k, z.p_last, Cg),
                     g.stored(k, z.p_last, z.pooled_last))]
        return [(1, g.ld(cn * z.r_full * W, k, pt), wk, g.work(k, pt, Cg),
                 g.stored(k, pt, z.pooled_first)),
                (z.n_p - 2, g.ld(cn * z.r_full * W, k, pt), 0, g.work(k, pt, Cg),
                 g.stored(k, pt, z.pooled_mid)),
                (1, g.ld(cn * z.r_last * W, k, z.p_last), 0, g.work(k, z.p_last, Cg),
                 g.stored(k, z.p_last, z.pooled_last))]

    segs: list[Segment] = []
    add_segment(segs, k_block(z.kt if z.n_k > 1 else g.K, True), 1)
    if z.n_k > 1:
        add_segment(segs, k_block(z.kt, False), z.n_full - 1)
        if z.k_last != z.kt:
            add_segment(segs, k_block(z.k_last, False), 1)
    return segs


def p_outer_segments(g: LayerGeometry, z: Sizes) -> list[Segment]:
    """``p_outer``: each block of output rows runs every output-channel tile; the block's
    first tile loads its input rows (all channels), every tile its weights (with one
    output-channel tile the weights stay, loaded by the very first tile)."""
    K, Cg, W, kt = g.K, g.Cg, g.W, z.kt

    def p_block(rows: int, p: int, first: bool, pooled: int) -> list[Step]:
        if z.n_k == 1:
            wk = g.w_words(K, Cg) + K * g.bias if first else 0
            return [(1, g.ld(g.C * rows * W, K, p), wk, g.work(K, p, Cg),
                     g.stored(K, p, pooled))]
        wt = g.w_words(kt, Cg) + kt * g.bias
        last = z.k_last
        # the block's input rows come with its first tile, each tile's operand with the tile
        return [(1, g.ld(g.C * rows * W, kt, p), wt, g.work(kt, p, Cg), g.stored(kt, p, pooled)),
                (z.n_k - 2, g.ld(0, kt, p), wt, g.work(kt, p, Cg), g.stored(kt, p, pooled)),
                (1, g.ld(0, last, p), g.w_words(last, Cg) + last * g.bias,
                 g.work(last, p, Cg), g.stored(last, p, pooled))]

    segs: list[Segment] = []
    if z.n_p == 1:
        add_segment(segs, p_block(z.r_last, z.p_last, True, z.pooled_last), 1)
    else:
        add_segment(segs, p_block(z.r_full, z.pt, True, z.pooled_first), 1)
        add_segment(segs, p_block(z.r_full, z.pt, False, z.pooled_mid), z.n_p - 2)
        add_segment(segs, p_block(z.r_last, z.p_last, False, z.pooled_last), 1)
    return segs


def cut_runs(g: LayerGeometry, k: int, rows: int, p: int, pooled: int, ct: int) -> list[Step]:
    """The input-channel tiles of one (output-channel block, row tile): each loads its
    input rows and weights (the biases with the first); the last also loads the fused
    operand and stores the outputs."""
    n_c = ceil_div(g.Cg, ct)
    last = g.Cg - (n_c - 1) * ct
    return [(1, g.ld(ct * rows * g.W), g.w_words(k, ct) + k * g.bias, g.work(k, p, ct), 0),
            (n_c - 2, g.ld(ct * rows * g.W), g.w_words(k, ct), g.work(k, p, ct), 0),
            (1, g.ld(last * rows * g.W, k, p), g.w_words(k, last), g.work(k, p, last),
             g.stored(k, p, pooled))]


def cut_segments(g: LayerGeometry, z: Sizes, ct: int) -> list[Segment]:
    """``k_outer`` with input channels cut: per output-channel block, its row tiles, each its
    input-channel tiles (:func:`cut_runs`)."""
    blocks = [(z.kt, 1)]
    if z.n_k > 1:
        blocks.append((z.kt, z.n_full - 1))
        if z.k_last != z.kt:
            blocks.append((z.k_last, 1))
    segs: list[Segment] = []
    for k, repeat in blocks:
        if repeat <= 0:
            continue
        pattern = cut_runs(g, k, z.r_last, z.p_last, z.pooled_last, ct)
        if z.n_p > 1:  # one block of output channels: its row tiles, rows inner
            pattern = cut_runs(g, k, z.r_full, z.pt, z.pooled_first, ct) * (z.n_p - 1) + pattern
        add_segment(segs, pattern, repeat)
    return segs


__all__ = ["k_outer_segments", "p_outer_segments", "cut_segments", "cut_runs", "add_segment"]
