"""The fastest DRAM tiling of a layer that fits the global buffer.

:func:`best_tiling` keeps every candidate of :mod:`hwsim.cost.dram_candidates` that fits
(a layer cut into one tile may use the whole buffer, any other tile half of it with double
buffering), so a bigger buffer only adds candidates and is never slower; it takes the
shortest time (:func:`tiling_time`), then the least DRAM traffic, then the fewest tiles
(exact ties; then the order and the largest tiles).

Every candidate has a lower bound of its time from its totals, ``T >= A_1 + compute + D_n``
and ``T >= memory`` (module docstring of :mod:`hwsim.cost.tiles`), computed for all of them
at once over the candidates' numpy columns (the same IEEE operations in the same order as
the scalar formula, so the same values). Candidates are then timed exactly in the order of
their bounds until the bound exceeds the best time found: the same result as timing them all,
for a few percent of the candidates.
"""

from __future__ import annotations

import numpy as np

from hwsim.cost.dram_candidates import Columns, candidates
from hwsim.cost.dram_tiles import DramTiling, Epilogue, NoTileFits, Step, make_tiling
from hwsim.cost.tiles import one_transfer, steps_time
from hwsim.dataflow.base import ConvShape
from hwsim.workload.layer import ceil_div

#: Bounds within this many cycles of the best time are still timed exactly.
_BOUND_SLACK = 1e-6


def tiling_time(t: DramTiling, compute: float, setup: float, word_bytes: int,
                latency: float, bytes_per_cycle: float, double_buffering: bool) -> float:
    """The layer's time with tiling ``t`` (see :func:`hwsim.cost.tiles.steps_time`)."""
    rate = (compute - setup) / t.work_total if t.work_total else 0.0
    timed: list[tuple[tuple[tuple[int, float, float, float], ...], int]] = []
    first = True
    for pattern, repeat in t.segments:
        steps = []
        for count, i, w, work, s in pattern:
            c = rate * work
            steps.append((count, one_transfer((i + w) * word_bytes, latency, bytes_per_cycle),
                          c, one_transfer(s * word_bytes, latency, bytes_per_cycle)))
        if first and setup:
            count, a, c, d = steps[0]
            if count == 1 and repeat == 1:
                steps[0] = (1, a, c + setup, d)
            else:  # split the first tile off (never happens with the builders)
                timed.append((((1, a, c + setup, d),), 1))
                steps[0] = (count - 1, a, c, d)
                if steps[0][0] == 0:
                    steps.pop(0)
        first = False
        if steps:
            timed.append((tuple(steps), repeat))
    return steps_time(timed, double_buffering)


def rescaled(t: DramTiling, epi: Epilogue) -> DramTiling:
    """``t`` with each tile's input load scaled to the share from DRAM (rounded up) and its
    store dropped when the output stays on chip (the hooks of the candidates' builders)."""
    num, den = epi.input_num, epi.input_den

    def step(s: Step) -> Step:
        count, i, w, work, out = s
        return (count, i if num == den else ceil_div(i * num, den), w, work,
                out if epi.store else 0)

    segments = [(tuple(step(s) for s in pattern), repeat) for pattern, repeat in t.segments]
    return make_tiling(t.order, t.kt, t.pt, t.ct, t.footprint_words, segments, t.work_total)


def lower_bounds(c: Columns, compute: float, setup: float, word_bytes: int, latency: float,
                 bytes_per_cycle: float, double_buffering: bool, work_total: int) -> np.ndarray:
    """Each candidate's lower bound of its time (module docstring), with the operations of
    ``transfers * latency + dram_words * word_bytes / bytes_per_cycle`` and
    :func:`~hwsim.cost.tiles.one_transfer` per candidate."""
    memory = c.transfers * latency + c.dram_words() * word_bytes / bytes_per_cycle
    first, last = c.first_load * word_bytes, c.last_store * word_bytes
    exposed = (np.where(first > 0, latency + first / bytes_per_cycle, 0.0)
               + np.where(last > 0, latency + last / bytes_per_cycle, 0.0))
    # DramTiling.compute_scale: the passes tiles waste
    scale = (np.where(c.work_sum != 0, c.work_sum / work_total, 1.0) if work_total
             else np.ones(len(c.work_sum)))
    tiled = setup + (compute - setup) * scale
    return np.maximum(memory, exposed + tiled) if double_buffering else memory + tiled


def best_tiling(shape: ConvShape, half_budget_words: int, whole_budget_words: int,
                k_unit: int, p_unit: int, c_unit: int, compute: float, setup: float,
                word_bytes: int, latency: float, bytes_per_cycle: float,
                double_buffering: bool, epi: Epilogue | None = None,
                whole_passes: tuple[bool, bool, bool] = (False, False, False)) -> DramTiling:
    """The fastest tiling that fits (module docstring); NoTileFits if none does."""
    # only the input share and the store change: the plain tilings, rescaled once they fit
    rescale = epi is not None and not epi.operand and epi.pool is None
    found = candidates(shape, k_unit, p_unit, c_unit, None if rescale else epi, whole_passes)
    cols = found.columns
    limit = np.where(cols.n_tiles == 1, whole_budget_words, half_budget_words)
    fits = np.flatnonzero(cols.footprint <= limit)
    if not len(fits):
        raise NoTileFits(_nothing_fits(shape, half_budget_words))
    if rescale:
        assert epi is not None
        tilings = [rescaled(found.tiling(i), epi) for i in fits.tolist()]
        cols = Columns.of(tilings)
    else:
        tilings = None
        cols = cols.take(fits)
    work_total = found.geometry.work_total
    low = lower_bounds(cols, compute, setup, word_bytes, latency, bytes_per_cycle,
                       double_buffering, work_total)
    order = np.argsort(low, kind="stable")  # by bound, then in the enumeration order
    best: tuple | None = None
    for index, bound in zip(order.tolist(), low[order].tolist()):
        if best is not None and bound > best[0][0] + _BOUND_SLACK:
            break
        t = tilings[index] if tilings is not None else found.tiling(int(fits[index]))
        time = tiling_time(t, compute, setup, word_bytes, latency, bytes_per_cycle,
                           double_buffering)
        key = (round(time, 6), t.dram_words, t.n_tiles, t.order, -t.kt, -t.pt, -t.ct)
        if best is None or key < best[0]:
            best = (key, t)
    assert best is not None
    return best[1]


def _nothing_fits(shape: ConvShape, budget_words: int) -> str:
    H, W = shape.in_height, shape.in_width
    r_eff = shape.dilation_h * (shape.kernel_h - 1) + 1
    RS = shape.kernel_h * shape.kernel_w if shape.weights else 0
    smallest = min(H, r_eff) * W + RS + shape.out_width
    return (f"no tile fits the global buffer: the smallest (one output channel, one input "
            f"channel, one output row) needs {smallest} words, the budget is {budget_words} "
            f"words")


__all__ = ["best_tiling", "tiling_time", "lower_bounds", "rescaled"]
