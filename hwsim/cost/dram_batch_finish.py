"""The timing stage of chosen DRAM tilings for many machines at once, over arrays.

After the tiling search (:func:`~hwsim.cost.dram_batch.batch_best_tilings`) each (layer,
machine) is timed by :func:`~hwsim.cost.model.finish_tiles`: the idle-pass correction of
compute and write-back (when the tiles' work ``work_sum`` exceeds the layer's
``work_total``), then :func:`~hwsim.cost.timing.tiling_timing`, the time of the tiles
:func:`~hwsim.cost.dram_tiles.tile_runs_of` builds. :func:`batch_finish` gives the same
fields for B machines, each with its own chosen candidate of one candidate set:

* ``compute``, ``writeback``: the corrected cycles, int64, exactly the scalar's (the same
  integer arithmetic, products split so that no int64 overflows: :func:`_mul_div`);
* ``memory = transfers x latency + DRAM bytes / bandwidth``, ``fill`` (the first tile's
  load transfer) and ``drain`` (the last tile's store transfer): the scalar's IEEE
  operations in the scalar's order, so exactly equal;
* ``cycles``: with single buffering ``sum_i (A_i + C_i + D_i) = compute + memory`` (the
  whole-cycle shares and the first tile's rest add up to the corrected compute exactly);
  with double buffering ``A_1 + D_n + sum_i max(C_i, A_{i+1} + D_{i-1})`` over the
  candidate's contexts (:class:`~hwsim.cost.dram_batch_plan.TileContexts`, derived once per
  candidate set and cached with its plan): a context of work ``w`` met by ``n`` tiles adds
  ``n x max(base x w // total + writeback x w // total, moves x latency + words x
  word_bytes / bandwidth)`` (``base = compute - writeback - setup``, ``total = work_sum``,
  or ``work_total`` when that is 0), the first tile ``max(compute - the other tiles'
  cycles, its next load)``. The same terms as the scalar added in another order (and a
  context's two transfers as one), so the cycles agree to rounding (relative ~1e-15,
  tested to 1e-12).

Assumptions: ``index[b] >= 0`` (a candidate was chosen), ``compute >= writeback + setup
>= 0`` per machine, word bytes positive integers, bandwidths positive, latencies
non-negative. The products ``a x w`` (cycles x work) can pass int64 on the bundled
networks (AlexNet's 9216 x 4096 FC in 32 x 32 whole passes cut into slivers: corrected
compute ~1e9 cycles, work up to 3.9e10), so a share ``a x w // total`` is computed as
``(a // total) x w + (a % total) x w // total``: the first part is at most the result
(``w <= total``; for the correction, the extra cycles), the second exact in int64 wherever
``(a % total) x w < 2^62``: always when ``total x w < 2^62`` (a layer's work below 2^31),
and when ``a x w < 2^62`` (the FC's slivers: ``w`` is a tile's work, ``total / tiles``);
the other elements are computed with Python integers. The results
(cycles) must fit int64.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, NamedTuple

import numpy as np

from hwsim.cost.dram_batch_plan import TileContexts, cached, plan_of
from hwsim.cost.dram_candidates import Candidates


class Finish(NamedTuple):
    """Per machine: what :func:`~hwsim.cost.model.finish_tiles` returns in these fields."""

    compute: np.ndarray
    writeback: np.ndarray
    memory: np.ndarray
    cycles: np.ndarray
    fill: np.ndarray
    drain: np.ndarray


class _Columns(NamedTuple):
    """What the timing stage reads of a candidate set, derived once: per candidate (columns)
    ``work_sum``, ``total`` (the work the tiles share by), transfers, DRAM words, where its
    contexts start and how many; ``ends`` (3, N): the first tile's load words, the last
    tile's store words, the second tile's load words; the contexts; whether every share
    (``exact_share``) and every idle-pass correction (``exact_idle``) stays in int64
    without the check of :func:`_mul_div`."""

    work_sum: np.ndarray
    total: np.ndarray
    transfers: np.ndarray
    dram_words: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray
    ends: np.ndarray
    tiles: TileContexts
    exact_share: bool
    exact_idle: bool


_LIMIT = 2 ** 62


def _columns_of(found: Candidates) -> _Columns:
    c, work_total = found.columns, found.geometry.work_total
    plan = plan_of(found)
    tiles, starts = plan.tiles, plan.starts
    # no work at all (every tile's 0): shares of 0, any positive total
    total = np.maximum(np.where(c.work_sum > 0, c.work_sum, work_total), 1)
    most = np.maximum(np.maximum.reduceat(tiles.work, starts), tiles.first_work)
    return _Columns(c.work_sum, total, c.transfers, c.dram_words(), starts,
                    np.diff(starts, append=len(tiles.work)),
                    np.stack([c.first_load, c.last_store, tiles.second_load]), tiles,
                    int((total * 1.0 * most).max()) < _LIMIT,
                    work_total * int(c.work_sum.max()) < _LIMIT)


_CACHE: OrderedDict[int, tuple[Candidates, _Columns]] = OrderedDict()


def columns_of(found: Candidates) -> _Columns:
    """The :class:`_Columns` of ``found`` (a non-empty set), cached like
    :func:`~hwsim.cost.dram_batch_plan.plan_of` (by identity, least recently used out)."""
    columns: _Columns = cached(_CACHE, found, _columns_of)
    return columns


def _mul_div(a: np.ndarray, w: np.ndarray, total: np.ndarray, exact: bool) -> np.ndarray:
    """``a x w // total`` (floored) per element, ``total > 0`` (0 where ``w`` is 0): in
    int64 as ``(a // total) x w + (a % total) x w // total``, exact where ``(a % total) x w <
    2^62`` (always if ``exact``: every ``total x w`` below 2^62), in Python integers
    elsewhere (module docstring)."""
    q, r = np.divmod(a, total)
    if exact:
        return q * w + r * w // total
    with np.errstate(over="ignore"):
        out = q * w + r * w // total
    for j in np.flatnonzero(r * 1.0 * w >= _LIMIT).tolist():
        out[j] = int(a[j]) * int(w[j]) // int(total[j])
    return out


def _double_buffered(f: _Columns, index: np.ndarray, compute: np.ndarray, base: np.ndarray,
                     writeback: np.ndarray, word_bytes: np.ndarray, latency: np.ndarray,
                     bytes_per_cycle: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The double-buffered cycles of machines (1-D arrays) running candidates ``index``:
    each machine's contexts gathered (ragged; every candidate has at least its ``A_1 +
    D_n`` context), their terms added per machine; ``second``: the second tile's load."""
    n = f.lengths[index]
    heads = np.cumsum(n) - n
    owner = np.repeat(np.arange(len(index)), n)
    pos = np.repeat(f.starts[index] - heads, n) + np.arange(int(heads[-1] + n[-1]))
    work, times, tiles = f.tiles.work[pos], f.tiles.times[pos], f.tiles
    total = f.total[index][owner]
    busy = (_mul_div(base[owner], work, total, f.exact_share)
            + _mul_div(writeback[owner], work, total, f.exact_share))
    others = np.add.reduceat(times * busy, heads)
    transfer = (tiles.moves[pos] * latency[owner]
                + (tiles.words[pos] * word_bytes[owner]) / bytes_per_cycle[owner])
    terms = np.add.reduceat(times * np.maximum(busy, transfer), heads)
    return terms + np.maximum((compute - others) * 1.0, second)


def batch_finish(found: Candidates, index: Any, compute: Any, writeback: Any, setup: Any,
                 word_bytes: Any, latency: Any, bytes_per_cycle: Any,
                 double_buffering: Any) -> Finish:
    """Per machine b (1-D arguments of length B), the fields of ``finish_tiles(
    found.tiling(index[b]), m_b, compute[b], writeback[b], setup[b])`` (module docstring)."""
    index = np.asarray(index, dtype=np.int64).reshape(-1)
    compute, writeback, setup, wb = (np.asarray(v, dtype=np.int64).reshape(-1)
                                     for v in (compute, writeback, setup, word_bytes))
    lat, bw = (np.asarray(v, dtype=np.float64).reshape(-1) for v in (latency, bytes_per_cycle))
    double = np.asarray(double_buffering, dtype=bool).reshape(-1)
    f, work_total = columns_of(found), found.geometry.work_total
    work_sum = f.work_sum[index]
    idle = work_sum > work_total  # idle PEs in partly filled passes: more array cycles
    if idle.any():
        whole = np.full(len(index), work_total)
        extra = -_mul_div(setup - compute, work_sum - work_total, whole, f.exact_idle)
        writeback = np.where(idle, _mul_div(writeback, work_sum, whole, f.exact_idle),
                             writeback)
        compute = compute + np.where(idle, extra, 0)
    # no transfer: no word moved, so 0 x latency + 0 / bandwidth = 0.0 as the scalar's
    memory = f.transfers[index] * lat + (f.dram_words[index] * wb) / bw
    words = f.ends[:, index]  # one_transfer's operations: latency + bytes / bandwidth
    ends = np.where(words > 0, lat + (words * wb) / bw, 0.0)
    cycles = compute + memory
    if double.all():
        cycles = _double_buffered(f, index, compute, compute - writeback - setup, writeback,
                                  wb, lat, bw, ends[2])
    elif double.any():
        d = np.flatnonzero(double)
        cycles[d] = _double_buffered(f, index[d], compute[d], (compute - writeback - setup)[d],
                                     writeback[d], wb[d], lat[d], bw[d], ends[2, d])
    return Finish(compute, writeback, memory, cycles, ends[0], ends[1])


__all__ = ["Finish", "batch_finish", "columns_of"]
