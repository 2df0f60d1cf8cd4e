"""The DRAM tiling search for many machines at once: every candidate timed over arrays.

A sweep evaluates one layer shape (one candidate set, :mod:`hwsim.cost.dram_candidates`) on
many machines. :func:`candidate_times` gives the exact time of every candidate
(:func:`~hwsim.cost.dram_search.tiling_time`) for machines broadcast over a leading axis, in
a few numpy passes: with double buffering a sum of terms whose contexts are derived once per
candidate set (:mod:`hwsim.cost.dram_batch_plan`), with single buffering the candidates'
totals (``transfers x latency + bytes / bandwidth + compute``). :func:`batch_best_tilings`
then picks, per machine, the candidate :func:`~hwsim.cost.dram_search.best_tiling` returns.

Assumptions. :func:`batch_best_tilings` takes candidate sets without a fusion epilogue
(``epi=None``; the sweep's fast path never fuses; ``best_tiling`` rescales some epilogues'
tilings after the fit); :func:`candidate_times` follows epilogue sets too (the tiles' hooks
are the reference builders'). ``compute >= setup >= 0``, the other machine arguments
non-negative and bandwidths positive, so every term of a time is non-negative. The array
times equal the scalar ones up to rounding (a different order of the same additions) within
a bound per candidate (:func:`~hwsim.cost.dram_batch_plan.error_units`); the search's key
rounds the time to 6 decimals, so where two or more candidates may share the least rounded
time and one of them lies so close to a rounding boundary that the two roundings could
differ, that machine's contenders are timed by the scalar
:func:`~hwsim.cost.dram_search.tiling_time` (the reference), so the choice is always the
scalar search's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hwsim.cost.dram_batch_plan import Plan, plan_of
from hwsim.cost.dram_candidates import Candidates
from hwsim.cost.dram_search import tiling_time

#: Machines timed together: a block's arrays of contexts stay in the processor's cache.
_BLOCK_ELEMENTS = 1 << 15


def _double_buffered(plan: Plan, rate: np.ndarray, setup: np.ndarray,
                     transfer: np.ndarray) -> np.ndarray:
    """Per machine (rows), the ends plus every tile's max(C_i, A_{i+1} + D_{i-1}) (module
    docstring of :mod:`hwsim.cost.dram_batch_plan`); ``transfer``: (latency, word_bytes /
    bytes_per_cycle) per machine."""
    rows, n = len(rate), len(plan.starts)
    out = np.empty((rows, n))
    block = max(1, _BLOCK_ELEMENTS // max(1, len(plan.work)))
    for start in range(0, rows, block):
        part = slice(start, start + block)
        terms = transfer[part] @ plan.transfer
        np.maximum(terms, np.multiply.outer(rate[part], plan.work), out=terms)
        first = np.maximum(np.multiply.outer(rate[part], plan.first_work) + setup[part, None],
                           transfer[part] @ plan.first_transfer)
        out[part] = np.add.reduceat(terms, plan.starts, axis=1) + first
    return out


def candidate_times(found: Candidates, compute: Any, setup: Any, word_bytes: Any,
                    latency: Any, bytes_per_cycle: Any, double_buffering: Any) -> np.ndarray:
    """:func:`~hwsim.cost.dram_search.tiling_time` of every candidate of ``found``. The
    machine arguments broadcast against the candidates: scalars give shape (N,), arrays of
    shape (B, 1) give (B, N); ``double_buffering`` may be a bool array. The first tile
    carries ``setup``; the tiles share ``compute - setup`` by their work."""
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in
                                   (compute, setup, word_bytes, latency, bytes_per_cycle)),
                                 np.asarray(double_buffering, dtype=bool))
    shape = arrays[0].shape
    if shape and shape[-1] != 1:
        raise ValueError(f"machine arguments of shape {shape}: expected scalars or (..., 1)")
    compute, setup, word_bytes, latency, bytes_per_cycle, double = (a.reshape(-1)
                                                                    for a in arrays)
    work_total = found.geometry.work_total
    rate = (compute - setup) / work_total if work_total else compute * 0.0
    transfer = np.stack([latency, word_bytes / bytes_per_cycle], axis=1)
    if not len(found):
        out = np.empty((len(rate), 0))
    elif double.all():
        out = _double_buffered(plan_of(found), rate, setup, transfer)
    else:
        plan = plan_of(found)
        out = np.column_stack([transfer, rate, setup]) @ plan.totals
        if double.any():
            out[double] = _double_buffered(plan, rate[double], setup[double], transfer[double])
    return out.reshape(shape[:-1] + (len(found),)) if shape else out[0]


def batch_best_tilings(found: Candidates, half_budget_words: Any, whole_budget_words: Any,
                       compute: Any, setup: Any, word_bytes: Any, latency: Any,
                       bytes_per_cycle: Any, double_buffering: Any) -> np.ndarray:
    """Per machine (1-D arguments of length B), the index into ``found`` of the candidate
    :func:`~hwsim.cost.dram_search.best_tiling` returns, -1 where nothing fits. A candidate
    of one tile fits the whole budget, any other half of it; the choice is the least
    (time rounded to 6 decimals, DRAM words, tiles, order, -kt, -pt, -ct)."""
    column = [np.asarray(v).reshape(-1, 1) for v in
              (half_budget_words, whole_budget_words, compute, setup, word_bytes, latency,
               bytes_per_cycle, double_buffering)]
    half, whole, compute_, setup_, wb, lat, bw, db = column
    machines = len(half)
    if not len(found):
        return np.full(machines, -1, dtype=np.int64)
    c = found.columns
    times = candidate_times(found, compute_, setup_, wb, lat, bw, db)
    fits = c.footprint <= np.where(c.n_tiles == 1, whole, half)
    best, contenders, unsure = _choose(times, fits, plan_of(found))
    for m in unsure.tolist():
        best[m] = _scalar_choice(found, contenders[m], float(compute_[m, 0]),
                                 float(setup_[m, 0]), int(wb[m, 0]), float(lat[m, 0]),
                                 float(bw[m, 0]), bool(db[m, 0]))
    return best


def _choose(times: np.ndarray, fits: np.ndarray, plan: Plan
            ) -> tuple[np.ndarray, dict[int, np.ndarray], np.ndarray]:
    """Per machine (rows) the fitting candidate of least (rounded time, tie rank), -1 if
    none fits; the machines whose choice the array times cannot settle (``unsure``) with
    their contenders. A candidate may hold the least rounded time only if its lowest
    rounding (time -+ its error bound) is at most every candidate's highest; the candidate
    of least highest always may. One contender wins; several tie exactly unless one of them
    is unsure of its rounding. Only candidates within the error bounds and 2e-6 of the
    least time can be contenders, so only those are rounded."""
    masked = np.where(fits, times, np.inf)
    least_time = masked.min(axis=1)
    window = least_time * (1 + 4 * plan.error.max() + 1e-14) + 2e-6
    rows, cols = np.nonzero(fits & (masked <= window[:, None]))
    best = np.full(len(times), -1, dtype=np.int64)
    if not len(rows):
        return best, {}, np.zeros(0, dtype=np.int64)
    near = times[rows, cols]
    slack = plan.error[cols] * np.abs(near)
    low, high = np.round(near - slack, 6), np.round(near + slack, 6)
    heads = _heads(rows)
    least = np.full(len(times), np.inf)
    least[rows[heads]] = np.minimum.reduceat(high, heads)
    keep = low <= least[rows]
    rows, cols, unsure = rows[keep], cols[keep], low[keep] != high[keep]
    heads = _heads(rows)  # rows stay sorted: each machine's contenders
    best[rows[heads]] = plan.by_rank[np.minimum.reduceat(plan.rank[cols], heads)]
    counts = np.diff(heads, append=len(rows))
    pick = np.flatnonzero((counts > 1) & np.logical_or.reduceat(unsure, heads))
    contenders = {int(rows[heads[i]]): cols[heads[i]:heads[i] + counts[i]] for i in pick}
    return best, contenders, np.array(sorted(contenders), dtype=np.int64)


def _heads(rows: np.ndarray) -> np.ndarray:
    """Where each run of equal values of the sorted ``rows`` starts."""
    new = np.empty(len(rows), dtype=bool)
    new[:1] = True
    np.not_equal(rows[1:], rows[:-1], out=new[1:])
    return np.flatnonzero(new)


def _scalar_choice(found: Candidates, contenders: np.ndarray, compute: float, setup: float,
                   word_bytes: int, latency: float, bytes_per_cycle: float,
                   double_buffering: bool) -> int:
    """The search's choice among ``contenders``, timed by the scalar reference."""
    best: tuple | None = None
    for index in contenders.tolist():
        t = found.tiling(index)
        time = tiling_time(t, compute, setup, word_bytes, latency, bytes_per_cycle,
                           double_buffering)
        key = (round(time, 6), t.dram_words, t.n_tiles, t.order, -t.kt, -t.pt, -t.ct, index)
        if best is None or key < best:
            best = key
    assert best is not None
    return int(best[-1])


__all__ = ["candidate_times", "batch_best_tilings"]
