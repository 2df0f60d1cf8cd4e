"""The double-buffered time of every DRAM tiling candidate, as a sum of terms over arrays.

With double buffering a layer of n tiles takes (:mod:`hwsim.cost.tiles`)::

    T = A_1 + D_n + sum_i max(C_i, A_{i+1} + D_{i-1})        (A_{n+1} = D_0 = 0)

so a tile's term depends on itself (its compute) and its two neighbours (the next tile's
load, the previous tile's store). A candidate has a handful of kinds of tile (first, middle,
last tile of a row block, of an output-channel block, of an input-channel run, ...), so its
sum is a few dozen *contexts* (this tile's work, the next tile's load words, the previous
tile's store words) each with how many tiles meet it; those depend only on the candidate,
never on the machine. This module derives them for all candidates of a layer at once, over
numpy arrays, by composing each kind's tiles (:mod:`hwsim.cost.dram_reference`, written out)
from three operations on *open sequences* of tiles, whose outer neighbours are not known yet:

* :func:`_run`: ``count`` identical tiles (``count`` may be 0: no tile);
* :func:`_then`: one sequence after another (the junction gives up to two contexts);
* :func:`_repeat`: a sequence ``r`` times (each of the ``r - 1`` junctions two contexts,
  the sequence's own contexts ``r`` times).

A sequence keeps its first and last tile, the load of its second tile and the store of the
one before its last (the neighbours its end tiles see inside), its state (no tile, one tile,
two or more; the three differ in who a tile's neighbours are, per candidate) and its
contexts. Closing the candidate's sequence (outer neighbours 0) adds the end tiles' terms:
``A_1 + D_n`` (a context of no work), the last tile's and the first tile's; the first tile
carries the layer's setup cycles, so its term is kept apart (:class:`Plan`).

The tiles come from the hooks of :class:`~hwsim.cost.dram_geometry.LayerGeometry`, used as
the reference builders use them, so fusion epilogues (input share, operand, pooling) follow.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from hwsim.cost.dram_candidates import K_ALL, K_CUT, P_ALL, Candidates, Columns
from hwsim.cost.dram_geometry import LayerGeometry, Sizes

#: Contexts of tiles, an int64 array (4, contexts, candidates): per context, the tile's work,
#: the next tile's load words, the previous tile's store words, how many tiles meet it.
Contexts = np.ndarray


class _Tile(NamedTuple):
    """One kind of tile (arrays over the candidates): words loaded, work, words stored."""

    load: Any
    work: Any
    store: Any


class _Seq(NamedTuple):
    """An open sequence of tiles (module docstring); ``state``: 0 no tile, 1 one, 2 more."""

    state: Any
    first: _Tile
    last: _Tile
    second_load: Any
    before_last_store: Any
    contexts: Contexts


def _contexts(*rows: tuple[Any, Any, Any, Any]) -> Contexts:
    """``rows`` of (work, next load, previous store, times) as :data:`Contexts`."""
    n = len(rows[0][0])
    out = np.empty((4, len(rows), n), dtype=np.int64)
    for j, row in enumerate(rows):
        for field, value in enumerate(row):
            out[field, j] = value
    return out


def _pick_tile(cond: Any, a: _Tile, b: _Tile) -> _Tile:
    return _Tile(*(x if x is y else np.where(cond, x, y) for x, y in zip(a, b)))


def _run(tile: _Tile, count: Any) -> _Seq:
    """``count`` identical tiles (``count >= 0``): the inner ones see their own kind on
    both sides."""
    count = np.asarray(count)
    inner = _contexts((tile.work, tile.load, tile.store, np.maximum(count - 2, 0)))
    return _Seq(np.minimum(count, 2), tile, tile, tile.load, tile.store, inner)


def _then(s: _Seq, t: _Seq) -> _Seq:
    """``s`` then ``t``: s's last tile now sees t's first load (when s has two or more
    tiles, else it is the first tile, still open), t's first tile sees s's last store."""
    sn, tn = s.state, t.state
    second = np.where(sn == 2, s.second_load, np.where(sn == 1, t.first.load, t.second_load))
    before = np.where(tn == 2, t.before_last_store,
                      np.where(tn == 1, s.last.store, s.before_last_store))
    junction = _contexts((s.last.work, t.first.load, s.before_last_store, (sn == 2) & (tn > 0)),
                         (t.first.work, t.second_load, s.last.store, (tn == 2) & (sn > 0)))
    return _Seq(np.minimum(sn + tn, 2), _pick_tile(sn > 0, s.first, t.first),
                _pick_tile(tn > 0, t.last, s.last), second, before,
                np.concatenate([s.contexts, t.contexts, junction], axis=1))


def _repeat(s: _Seq, r: Any) -> _Seq:
    """``s`` ``r`` times (``r >= 0``): each of the ``r - 1`` junctions meets the sequence's
    last tile with its first (a sequence of one tile: its run, :func:`_run`)."""
    r = np.asarray(r)
    many = r >= 2
    one = (s.state == 1) & many
    state = np.where((r == 0) | (s.state == 0), 0, np.where(many, 2, s.state))
    gaps = np.where(s.state == 2, np.maximum(r - 1, 0), 0)
    own = s.contexts.copy()
    own[3] *= r
    added = _contexts((s.first.work, s.first.load, s.first.store, one * (r - 2)),
                      (s.last.work, s.first.load, s.before_last_store, gaps),
                      (s.first.work, s.second_load, s.last.store, gaps))
    return _Seq(state, s.first, s.last, np.where(one, s.first.load, s.second_load),
                np.where(one, s.last.store, s.before_last_store),
                np.concatenate([own, added], axis=1))


def _tile(n: int, load: Any, work: Any, store: Any) -> _Tile:
    return _Tile(_column(n, load), _column(n, work), _column(n, store))


def _column(n: int, value: Any) -> np.ndarray:
    """``value`` (an integer or an array over the candidates) as an int64 array of ``n``."""
    if isinstance(value, np.ndarray) and value.shape == (n,) and value.dtype == np.int64:
        return value
    return np.broadcast_to(np.asarray(value, dtype=np.int64), (n,))


def _k_outer(g: LayerGeometry, z: Sizes) -> _Seq:
    """``k_outer`` with all input channels (:func:`~hwsim.cost.dram_reference.k_outer_segments`)."""
    n, Cg, W = len(z.kt), g.Cg, g.W
    one = z.n_p == 1
    rows = (~one) * 1
    stay = one & (g.G == 1 and g.weights)

    def block(k: Any, first: bool) -> _Seq:
        wk = g.w_words(k, Cg) + k * g.bias
        cn = g.c_need(k)
        load_all = 1 if first else (~stay) * 1
        only = _tile(n, g.ld(cn * z.r_last * W * load_all, k, z.p_last) + wk,
                     g.work(k, z.p_last, Cg), g.stored(k, z.p_last, z.pooled_last))
        full = g.ld(cn * z.r_full * W, k, z.pt)
        head = _tile(n, full + wk, g.work(k, z.pt, Cg), g.stored(k, z.pt, z.pooled_first))
        mid = _tile(n, full, g.work(k, z.pt, Cg), g.stored(k, z.pt, z.pooled_mid))
        tail = _tile(n, g.ld(cn * z.r_last * W, k, z.p_last), g.work(k, z.p_last, Cg),
                     g.stored(k, z.p_last, z.pooled_last))
        return _then(_then(_run(_pick_tile(one, only, head), 1), _run(mid, rows * (z.n_p - 2))),
                     _run(tail, rows))

    first_k = np.where(z.n_k > 1, z.kt, g.K)
    seq = _then(_repeat(block(first_k, True), 1), _repeat(block(z.kt, False), z.n_full - 1))
    return _then(seq, _repeat(block(z.k_last, False), (z.k_last != z.kt) * 1))


def _p_outer(g: LayerGeometry, z: Sizes) -> _Seq:
    """``p_outer`` (:func:`~hwsim.cost.dram_reference.p_outer_segments`)."""
    n, K, C, Cg, W, kt = len(z.kt), g.K, g.C, g.Cg, g.W, z.kt
    one_k = z.n_k == 1
    ks = (~one_k) * 1
    wt = g.w_words(kt, Cg) + kt * g.bias
    wl = g.w_words(z.k_last, Cg) + z.k_last * g.bias
    w_all = g.w_words(K, Cg) + K * g.bias

    def block(r: Any, p: Any, first: bool, pooled: Any) -> _Seq:
        only = _tile(n, g.ld(C * r * W, K, p) + (w_all if first else 0), g.work(K, p, Cg),
                     g.stored(K, p, pooled))
        work, store = g.work(kt, p, Cg), g.stored(kt, p, pooled)
        head = _tile(n, g.ld(C * r * W, kt, p) + wt, work, store)
        mid = _tile(n, g.ld(0, kt, p) + wt, work, store)
        tail = _tile(n, g.ld(0, z.k_last, p) + wl, g.work(z.k_last, p, Cg),
                     g.stored(z.k_last, p, pooled))
        return _then(_then(_run(_pick_tile(one_k, only, head), 1), _run(mid, ks * (z.n_k - 2))),
                     _run(tail, ks))

    one = z.n_p == 1
    rows = (~one) * 1
    head = block(np.where(one, z.r_last, z.r_full), np.where(one, z.p_last, z.pt), True,
                 np.where(one, z.pooled_last, z.pooled_first))
    seq = _then(_repeat(head, 1), _repeat(block(z.r_full, z.pt, False, z.pooled_mid),
                                          rows * (z.n_p - 2)))
    return _then(seq, _repeat(block(z.r_last, z.p_last, False, z.pooled_last), rows))


def _cut(g: LayerGeometry, z: Sizes, ct: Any) -> _Seq:
    """``k_outer`` with input channels cut (:func:`~hwsim.cost.dram_reference.cut_segments`);
    the first block and the other full ones have the same tiles, so they are one repeat."""
    n, W = len(z.kt), g.W
    n_c = -(-g.Cg // ct)
    last = g.Cg - (n_c - 1) * ct

    def channels(k: Any, r: Any, p: Any, pooled: Any) -> _Seq:
        inputs = g.ld(ct * r * W)
        head = _tile(n, inputs + g.w_words(k, ct) + k * g.bias, g.work(k, p, ct), 0)
        mid = _tile(n, inputs + g.w_words(k, ct), g.work(k, p, ct), 0)
        tail = _tile(n, g.ld(last * r * W, k, p) + g.w_words(k, last), g.work(k, p, last),
                     g.stored(k, p, pooled))
        return _then(_then(_run(head, 1), _run(mid, n_c - 2)), _run(tail, 1))

    def block(k: Any) -> _Seq:
        return _then(_repeat(channels(k, z.r_full, z.pt, z.pooled_first), z.n_p - 1),
                     channels(k, z.r_last, z.p_last, z.pooled_last))

    return _then(_repeat(block(z.kt), z.n_full), _repeat(block(z.k_last), (z.k_last != z.kt) * 1))


class TileContexts(NamedTuple):
    """The contexts of :class:`Plan` before ``times`` is folded in (int64, sorted by
    candidate, candidate i's from ``Plan.starts[i]``, equal (work, moves, words) of a
    candidate merged): per context this tile's ``work``, the neighbours' ``moves`` (0 to 2)
    and ``words``, and how many tiles meet it (``times``; the ``A_1 + D_n`` context is one
    of work 0); per candidate its first tile's ``first_work`` and the second tile's load
    words ``second_load`` (0 with one tile). Timing whole cycles per tile
    (:mod:`hwsim.cost.dram_batch_finish`) needs them apart: a share rounded down per tile
    times ``times`` is not the share of ``times`` tiles rounded down."""

    work: np.ndarray
    moves: np.ndarray
    words: np.ndarray
    times: np.ndarray
    first_work: np.ndarray
    second_load: np.ndarray


class Plan(NamedTuple):
    """The time of a layer's candidates, machine-free (module docstring).

    With double buffering, contexts sorted by candidate (candidate i's from ``starts[i]``),
    already multiplied by how many tiles meet them: ``work`` (this tile's) and
    ``transfer``, rows (moves, words): the neighbours' transfers that move words (0 to 2)
    and their words; a context's term is ``max(rate x work, [latency, word_bytes /
    bytes_per_cycle] @ transfer)``. The first tile's term, with the setup: ``max(rate x
    first_work + setup, [latency, ...] @ first_transfer)``. With single buffering the time is
    ``[latency, word_bytes / bytes_per_cycle, rate, setup] @ totals``, rows (transfers, DRAM
    words, work, 1). ``rank``: each candidate's place by the search's exact ties (DRAM
    words, tiles, order, largest kt, pt, ct), ``by_rank`` the candidates in that order.
    ``error``: a bound of how far the scalar
    :func:`~hwsim.cost.dram_search.tiling_time` and these sums may differ, relative to the
    time (:func:`error_units` x 2^-53). ``tiles``: the contexts unfolded
    (:class:`TileContexts`)."""

    work: np.ndarray
    transfer: np.ndarray
    starts: np.ndarray
    first_work: np.ndarray
    first_transfer: np.ndarray
    totals: np.ndarray
    rank: np.ndarray
    by_rank: np.ndarray
    error: np.ndarray
    tiles: TileContexts


def _sizes(g: LayerGeometry, grid: Sizes, kt: np.ndarray, pt: np.ndarray) -> Sizes:
    """The cuts of candidates of sizes (kt, pt), looked up in the layer's size ``grid``."""
    codes = grid.kt * (g.P + 1) + grid.pt
    sorter = np.argsort(codes, kind="stable")
    rows = sorter[np.searchsorted(codes, kt * (g.P + 1) + pt, sorter=sorter)]
    return Sizes(*(column[rows] for column in grid))


def _close(seq: _Seq) -> tuple[Contexts, tuple[Any, Any]]:
    """The contexts of a candidate's whole sequence (outer neighbours 0), with the end
    tiles' (``A_1 + D_n`` as a context of no work, the last tile's), and its first tile's
    (work, next load words)."""
    many = seq.state == 2
    none = np.zeros_like(seq.first.work)
    ends = _contexts((none, seq.first.load, seq.last.store, 1),
                     (seq.last.work, none, seq.before_last_store, many))
    return (np.concatenate([seq.contexts, ends], axis=1),
            (seq.first.work, np.where(many, seq.second_load, 0)))


def _flatten(contexts: Contexts, index: np.ndarray) -> tuple[np.ndarray, ...]:
    """(candidate, work, moves, words, times) of the contexts that occur."""
    work, load, store, times = contexts
    j, i = np.nonzero(times > 0)
    load, store = load[j, i], store[j, i]
    return index[i], work[j, i], (load > 0) * 1 + (store > 0) * 1, load + store, times[j, i]


def _merged(columns: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """The contexts sorted by candidate, equal ones of a candidate added up."""
    cand, work, moves, words, times = (np.concatenate(c) for c in zip(*columns))
    order = np.lexsort((words, moves, work, cand))
    cand, work, moves, words, times = (v[order] for v in (cand, work, moves, words, times))
    new = np.ones(len(cand), dtype=bool)
    new[1:] = ((cand[1:] != cand[:-1]) | (work[1:] != work[:-1]) | (moves[1:] != moves[:-1])
               | (words[1:] != words[:-1]))
    heads = np.flatnonzero(new)
    if not len(heads):
        return cand, work, moves, words, times
    return cand[heads], work[heads], moves[heads], words[heads], np.add.reduceat(times, heads)


def tie_rank(c: Columns) -> np.ndarray:
    """Each candidate's place by the search's exact ties: DRAM words, tiles, order
    (``k_outer`` first), then the largest kt, pt, ct."""
    tie = np.lexsort((-c.ct, -c.pt, -c.kt, (c.kind == P_ALL) * 1, c.n_tiles, c.dram_words()))
    rank = np.empty(len(tie), dtype=np.int64)
    rank[tie] = np.arange(len(tie))
    return rank


def error_units(g: LayerGeometry, c: Columns) -> np.ndarray:
    """A bound of |scalar time - array time| / (2^-53 x time) per candidate. Every term is
    non-negative, so a sum of m terms added one by one is off by at most m roundings of the
    total, plus a few roundings of each term (relative to the term: a few of the total in
    all). The scalar flattens each of its at most 3 segments' pattern at most 3 times (twice,
    and once more for the middle repeats) and adds about 3 terms per run: 81 additions for
    the orders with all input channels (3 runs per pattern), ``81 n_p`` for a cut of input
    channels (``3 n_p`` runs); the array sum adds at most ~70 contexts; 50 more cover the
    terms' own roundings and the rounding to 6 decimals of the search's key: ``81 n_p + 120``
    (``n_p = 1`` for the orders with all input channels)."""
    n_p = -(-g.P // c.pt) if g.P else np.ones_like(c.pt)
    return 81 * np.where(c.kind == K_CUT, n_p, 1) + 120


def build_plan(found: Candidates) -> Plan:
    """The :class:`Plan` of ``found`` (every kind's sequence composed over arrays)."""
    g, c = found.geometry, found.columns
    n = len(found)
    first_work = np.zeros(n, dtype=np.int64)
    first_load = np.zeros(n, dtype=np.int64)
    columns: list[tuple[np.ndarray, ...]] = [(np.zeros(0, dtype=np.int64),) * 5]
    grid = g.size_grid()
    for kind in (K_ALL, P_ALL, K_CUT):
        index = np.flatnonzero(c.kind == kind)
        if not len(index):
            continue
        z = _sizes(g, grid, c.kt[index], c.pt[index])
        seq = (_cut(g, z, c.ct[index]) if kind == K_CUT else
               _p_outer(g, z) if kind == P_ALL else _k_outer(g, z))
        contexts, (work, load) = _close(seq)
        first_work[index], first_load[index] = work, load
        columns.append(_flatten(contexts, index))
    cand, work, moves, words, times = _merged(columns)
    rank = tie_rank(c)
    totals = np.stack([c.transfers, c.dram_words(), c.work_sum, np.ones(n, dtype=np.int64)])
    return Plan(work * times * 1.0, np.stack([moves * times, words * times]) * 1.0,
                np.searchsorted(cand, np.arange(n)), first_work * 1.0,
                np.stack([(first_load > 0) * 1, first_load]) * 1.0, totals * 1.0,
                rank, np.argsort(rank), error_units(g, c) * 2.0 ** -53,
                TileContexts(work, moves, words, times, first_work, first_load))


#: Plans kept, by the identity of their (cached) candidate set, with the set itself so the
#: identity is not reused while its plan is kept.
PLAN_CACHE_SIZE = 1024
_PLANS: OrderedDict[int, tuple[Candidates, Plan]] = OrderedDict()


def plan_of(found: Candidates) -> Plan:
    """The :class:`Plan` of ``found``, cached (least recently used out)."""
    plan: Plan = cached(_PLANS, found, build_plan)
    return plan


def cached(cache: OrderedDict[int, tuple[Candidates, Any]], found: Candidates,
           build: Callable[[Candidates], Any]) -> Any:
    """``build(found)`` kept in ``cache`` by the identity of ``found`` (with ``found``
    itself, so the identity is not reused while kept), the least recently used of more
    than :data:`PLAN_CACHE_SIZE` out."""
    key = id(found)
    entry = cache.get(key)
    if entry is not None and entry[0] is found:
        cache.move_to_end(key)
        return entry[1]
    value = build(found)
    cache[key] = (found, value)
    while len(cache) > PLAN_CACHE_SIZE:
        cache.popitem(last=False)
    return value


__all__ = ["Plan", "TileContexts", "cached", "build_plan", "plan_of", "tie_rank", "error_units",
           "PLAN_CACHE_SIZE"]
