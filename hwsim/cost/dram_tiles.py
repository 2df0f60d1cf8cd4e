"""DRAM tiles: how a layer is cut for the DMA, what each tile moves, and how long it takes.

A layer's loops over output channels (K), output rows (P) and input channels (C) are cut
into DRAM tiles of ``kt`` output channels, ``pt`` output rows and ``ct`` input channels.
Every tile is **one DMA transfer per direction**: a load of what it needs that is not yet on
chip and a store of the outputs it finishes. Two loop orders, input channels innermost (so
partial sums never leave the chip):

* ``k_outer`` (weights outer): for each block of output channels, run its row tiles. The
  block's first tile loads the block's weights with its input rows; the other tiles load
  their input rows only (with the halo). If one row tile covers the map and there are no
  groups, the whole input stays on chip: only the very first tile loads it.
* ``p_outer`` (inputs outer): for each block of output rows, run every output-channel tile.
  The block's first tile loads its input rows (all channels) with its weights; the other
  tiles load their weights only. With one output-channel tile the weights stay on chip
  (loaded by the very first tile).
* ``k_outer`` with ``ct < C/G`` (input channels cut): for each (output-channel block, row
  block), the input-channel tiles each load their input rows and weights (the biases with
  the first); the outputs are stored after the last input-channel tile.

A pooling or element-wise layer's output channels need only their own input channels (like a
depthwise convolution). Each tile stores the outputs it finishes (``kt x rows x Q`` words). Rows that a strided
kernel skips, never counted by the row tiles, are loaded with the last row tile (DRAM
traffic never falls below the compulsory traffic). A tile's footprint (its input rows with
halo, or the whole input when it stays; its weights, or all of them when they stay; its
outputs) must fit half the global buffer with double buffering; a layer cut into one tile
may use the whole buffer (it loads, computes and stores without overlap).

A tile's compute is the layer's array time shared in proportion to its work (output
channels x output rows x input channels of the tile over the layer's); the layer's setup
cycles go to the first tile. Its time then follows from :func:`hwsim.cost.tiles.steps_time`.

The tiles are described in **segments**: a pattern of runs of identical tiles (count, input
words, weight words, work, store words) repeated a number of times, e.g. per output-channel
block [first tile with weights, middle row tiles, edge row tile] x the number of blocks, so
a layer is a handful of segments and its time is computed in closed form, never tile by tile.

:func:`best_tiling` enumerates every (order, kt, pt, ct) from the halvings lists and keeps
every candidate that fits, so a bigger buffer only adds candidates and is never slower; it
takes the shortest time, then the least DRAM traffic, then the fewest tiles (exact ties).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from hwsim.cost.tiles import TileRun, one_transfer, steps_time
from hwsim.workload.layer import ceil_div

K_OUTER = "k_outer"
P_OUTER = "p_outer"

#: A run of identical tiles: (count, input words loaded, weight words loaded, work, words stored).
Step = tuple[int, int, int, int, int]
#: A pattern of runs repeated ``repeat`` times.
Segment = tuple[tuple[Step, ...], int]
#: A pattern written compactly: sub-patterns, each repeated in place a number of times (a
#: block of output channels is [its row tiles' input-channel runs] x rows, then the last row).
Part = tuple[tuple[Step, ...], int]
#: A segment whose pattern is given as parts; :attr:`DramTiling.segments` expands it.
CompactSegment = tuple[tuple[Part, ...], int]


@dataclass(frozen=True, slots=True)
class DramTiling:
    """One candidate tiling: sizes, footprint (words), DRAM traffic (words) and its tiles."""

    order: str
    kt: int
    pt: int
    ct: int
    footprint_words: int
    input_words: int
    weight_words: int
    output_words: int
    n_tiles: int
    work_total: int
    #: DMA transfers: one per tile and direction that moves anything.
    transfers: int
    #: Words the first tile loads and the last tile stores (exposed before and after).
    first_load: int
    last_store: int
    #: The segments with compact patterns; None until :attr:`parts` builds them from
    #: ``recipe`` (candidates with input channels cut are counted in closed form and built
    #: only when timed: see :func:`_kp_segments`).
    built_parts: tuple[CompactSegment, ...] | None = field(default=None, compare=False,
                                                           repr=False)
    recipe: tuple[int, ...] | None = field(default=None, compare=False, repr=False)

    @property
    def parts(self) -> tuple[CompactSegment, ...]:
        if self.built_parts is None:
            assert self.recipe is not None
            object.__setattr__(self, "built_parts", tuple(_kp_segments(*self.recipe)))
        assert self.built_parts is not None
        return self.built_parts

    @property
    def dram_words(self) -> int:
        return self.input_words + self.weight_words + self.output_words

    @property
    def segments(self) -> tuple[Segment, ...]:
        """Each segment's pattern of runs written out, with its repeat count."""
        return tuple((tuple([s for steps, times in parts for _ in range(times) for s in steps]),
                      repeat) for parts, repeat in self.parts)

    def steps(self) -> tuple[Step, ...]:
        """The runs in execution order, repetitions expanded, equal neighbours merged."""
        out: list[list[int]] = []
        for pattern, repeat in self.segments:
            for _ in range(repeat):
                for step in pattern:
                    if out and tuple(out[-1][1:]) == step[1:]:
                        out[-1][0] += step[0]
                    else:
                        out.append(list(step))
        return tuple((s[0], s[1], s[2], s[3], s[4]) for s in out)

    def first_load_words(self) -> int:
        return self.first_load

    def last_store_words(self) -> int:
        return self.last_store


class NoTileFits(ValueError):
    """No tile of the layer fits the global buffer."""


@lru_cache(maxsize=4096)
def halvings(total: int, unit: int) -> tuple[int, ...]:
    """(total, unit * 2^i below total largest first, then unit / 2^i down to 1)."""
    out = [total]
    size = unit
    smaller = []
    while size < total:
        smaller.append(size)
        size *= 2
    out.extend(reversed(smaller))
    size = min(unit, total) // 2
    while size >= 1:
        out.append(size)
        size //= 2
    return tuple(dict.fromkeys(out))


def _add(segments: list[CompactSegment], pattern: list[Step], repeat: int) -> None:
    """Append the segment ``pattern`` x ``repeat``, runs of no tiles dropped."""
    if repeat > 0:
        steps = tuple([s for s in pattern if s[0] > 0])
        if steps:
            segments.append((((steps, 1),), repeat))


def _add_parts(segments: list[CompactSegment], parts: list[tuple[list[Step], int]],
               repeat: int) -> None:
    """Append the segment whose pattern is each part's runs ``times`` times in a row, runs
    of no tiles dropped (a segment of nothing is not added)."""
    if repeat <= 0:
        return
    kept = []
    for pattern, times in parts:
        steps = tuple([s for s in pattern if s[0] > 0])
        if steps and times > 0:
            kept.append((steps, times))
    if kept:
        segments.append((tuple(kept), repeat))


#: Enumerations kept (per shape and array granularity): a large layer has hundreds of
#: candidates (~0.6 MB), so a run keeps few and memory stays bounded on a 10,000-layer
#: network; a sweep, which meets the same shapes and granularity on many configurations,
#: keeps :data:`SWEEP_ENUMERATION_CACHE_SIZE` (``hwsim.sweep.evaluate`` sets it).
ENUMERATION_CACHE_SIZE = 64
SWEEP_ENUMERATION_CACHE_SIZE = 4096


class CacheInfo(NamedTuple):
    hits: int
    misses: int
    maxsize: int
    currsize: int


class _LruCache:
    """A least-recently-used cache of a function's results whose size can be changed (the
    ``cache_info`` and ``cache_clear`` of functools.lru_cache)."""

    def __init__(self, function: Callable[..., Any], maxsize: int):
        self.function = function
        self.maxsize = maxsize
        self._data: OrderedDict[tuple, Any] = OrderedDict()
        self._hits = self._misses = 0

    def __call__(self, *args: Any) -> Any:
        data = self._data
        try:
            value = data[args]
        except KeyError:
            self._misses += 1
            value = data[args] = self.function(*args)
            while len(data) > self.maxsize:
                data.popitem(last=False)
            return value
        self._hits += 1
        data.move_to_end(args)
        return value

    def cache_info(self) -> CacheInfo:
        return CacheInfo(self._hits, self._misses, self.maxsize, len(self._data))

    def cache_clear(self) -> None:
        self._data.clear()
        self._hits = self._misses = 0


def _enumerate_tilings(shape: Any, k_unit: int, p_unit: int, c_unit: int
                       ) -> tuple[DramTiling, ...]:
    """Every (order, kt, pt, ct) from the halvings lists, with its tiles (not filtered)."""
    K, C, G = shape.out_channels, shape.in_channels, shape.groups
    Kg, Cg = K // G, C // G
    H, W, P, Q = shape.in_height, shape.in_width, shape.out_height, shape.out_width
    RS = shape.kernel_h * shape.kernel_w if shape.weights else 0
    sh = shape.stride_h
    r_eff = shape.dilation_h * (shape.kernel_h - 1) + 1
    bias = 1 if (shape.bias and shape.weights) else 0
    k_unit = max(1, min(k_unit, K))
    p_unit = max(1, min(p_unit, P))
    c_unit = max(1, min(c_unit, Cg))
    kts = halvings(K, k_unit)
    pts = halvings(P, p_unit)
    cts = halvings(Cg, c_unit) if Cg > 1 and shape.weights else (Cg,)

    def rows_in(p: int) -> int:
        return min(H, (p - 1) * sh + r_eff)

    def row_blocks(pt: int) -> tuple[int, int, int, int, int]:
        """(n_p, rows of a full block, output rows of the last, its input rows, max rows)."""
        n_p = ceil_div(P, pt)
        p_last = P - (n_p - 1) * pt
        raw = (n_p - 1) * rows_in(pt) + rows_in(p_last)
        r_last = rows_in(p_last) + max(0, H - raw)
        return n_p, rows_in(pt), p_last, r_last, max(rows_in(pt), r_last)

    def c_need(k: int) -> int:
        if not shape.weights:  # pooling / element-wise: an output channel needs its own inputs
            return min(C, ceil_div(k * C, K))
        return C if G == 1 else min(C, ceil_div(k, Kg) * Cg)

    def w_words(k: int, c: int) -> int:
        return k * c * RS

    out: list[DramTiling] = []
    work_total = K * P * Cg
    for kt in kts:
        n_k = ceil_div(K, kt)
        k_last = K - (n_k - 1) * kt
        n_full = n_k - 1 if k_last != kt else n_k
        for pt in pts:
            n_p, r_full, p_last, r_last, r_max = row_blocks(pt)
            # --- k_outer, all input channels ---------------------------------------------
            stay = n_p == 1 and G == 1 and shape.weights
            segs: list[CompactSegment] = []

            def k_block(k: int, first: bool, *, stay: bool = stay, n_p: int = n_p,
                        r_full: int = r_full, p_last: int = p_last, r_last: int = r_last,
                        pt: int = pt) -> list[Step]:
                wk = w_words(k, Cg) + k * bias
                cn = c_need(k)
                if n_p == 1:
                    inp = cn * r_last * W if (first or not stay) else 0
                    return [(1, inp, wk, k * p_last * Cg, k * p_last * Q)]
                return [(1, cn * r_full * W, wk, k * pt * Cg, k * pt * Q),
                        (n_p - 2, cn * r_full * W, 0, k * pt * Cg, k * pt * Q),
                        (1, cn * r_last * W, 0, k * p_last * Cg, k * p_last * Q)]

            _add(segs, k_block(kt if n_k > 1 else K, True), 1)
            if n_k > 1:
                _add(segs, k_block(kt, False), n_full - 1)
                if k_last != kt:
                    _add(segs, k_block(k_last, False), 1)
            if stay or (n_p == 1 and n_k == 1):
                foot = C * H * W + w_words(kt, Cg) + kt * bias + kt * P * Q
            else:
                foot = c_need(kt) * r_max * W + w_words(kt, Cg) + kt * bias + kt * pt * Q
            out.append(_make(K_OUTER, kt, pt, C, foot, segs, work_total))

            # --- p_outer, all input channels ---------------------------------------------
            if n_k > 1 or n_p > 1:
                segs = []
                w_foot = (w_words(K, Cg) + K * bias) if n_k == 1 else w_words(kt, Cg) + kt * bias

                def p_block(rows: int, p: int, first: bool, *, n_k: int = n_k,
                            k_last: int = k_last, kt: int = kt) -> list[Step]:
                    if n_k == 1:
                        wk = w_words(K, Cg) + K * bias if first else 0
                        return [(1, C * rows * W, wk, K * p * Cg, K * p * Q)]
                    wt = w_words(kt, Cg) + kt * bias
                    return [(1, C * rows * W, wt, kt * p * Cg, kt * p * Q),
                            (n_k - 2, 0, wt, kt * p * Cg, kt * p * Q),
                            (1, 0, w_words(k_last, Cg) + k_last * bias, k_last * p * Cg,
                             k_last * p * Q)]

                if n_p == 1:
                    _add(segs, p_block(r_last, p_last, True), 1)
                else:
                    _add(segs, p_block(r_full, pt, True), 1)
                    _add(segs, p_block(r_full, pt, False), n_p - 2)
                    _add(segs, p_block(r_last, p_last, False), 1)
                foot = C * r_max * W + w_foot + kt * pt * Q
                out.append(_make(P_OUTER, kt, pt, C, foot, segs, work_total))

            # --- k_outer, input channels cut -------------------------------------------
            if G > 1 and kt > Kg:
                continue
            for ct in cts:
                if ct >= Cg:
                    continue
                n_c = ceil_div(Cg, ct)
                c_last = Cg - (n_c - 1) * ct
                foot = ct * r_max * W + w_words(kt, ct) + kt * bias + kt * pt * Q
                # Totals in closed form (what _make would count over _kp_segments, the
                # reference: tests/test_speed_paths.py): every (output-channel block, row
                # tile) loads its rows of all Cg channels and its block's weights in n_c
                # tiles (each a load) and stores its outputs once.
                rows_total = (n_p - 1) * r_full + r_last
                k_end = k_last if n_k > 1 and k_last != kt else kt
                rows_first = r_full if n_p > 1 else r_last
                out.append(DramTiling(
                    K_OUTER, kt, pt, ct, foot, n_k * rows_total * W * Cg,
                    n_p * (K * RS * Cg + K * bias), K * P * Q, n_k * n_p * n_c, work_total,
                    n_k * n_p * (n_c + 1), ct * rows_first * W + w_words(kt, ct) + kt * bias,
                    k_end * p_last * Q,
                    recipe=(W, Q, RS, bias, kt, n_k, n_full, k_last, n_p, r_full, pt, r_last,
                            p_last, ct, n_c, c_last)))
    return tuple(out)


#: Every (order, kt, pt, ct) of a layer, cached (see :data:`ENUMERATION_CACHE_SIZE`).
enumerate_tilings = _LruCache(_enumerate_tilings, ENUMERATION_CACHE_SIZE)


def _kp_segments(W: int, Q: int, RS: int, bias: int, kt: int, n_k: int, n_full: int,
                 k_last: int, n_p: int, r_full: int, pt: int, r_last: int, p_last: int,
                 ct: int, n_c: int, c_last: int) -> list[CompactSegment]:
    """The segments of a ``k_outer`` tiling with input channels cut (module docstring)."""
    def kp_block(k: int, rows: int, p: int) -> list[Step]:
        return [(1, ct * rows * W, k * ct * RS + k * bias, k * p * ct, 0),
                (n_c - 2, ct * rows * W, k * ct * RS, k * p * ct, 0),
                (1, c_last * rows * W, k * c_last * RS, k * p * c_last, k * p * Q)]

    segs: list[CompactSegment] = []
    blocks = [(kt, 1)]
    if n_k > 1:
        blocks.append((kt, n_full - 1))
        if k_last != kt:
            blocks.append((k_last, 1))
    for k, repeat in blocks:
        if repeat <= 0:
            continue
        if n_p == 1:
            _add(segs, kp_block(k, r_last, p_last), repeat)
        else:  # one block of output channels: its row tiles, rows inner
            _add_parts(segs, [(kp_block(k, r_full, pt), n_p - 1),
                              (kp_block(k, r_last, p_last), 1)], repeat)
    return segs


def _make(order: str, kt: int, pt: int, ct: int, foot: int, segments: list[CompactSegment],
          work_total: int) -> DramTiling:
    inp = wts = outw = n = transfers = 0
    for parts, repeat in segments:
        for pattern, part_times in parts:
            for count, i, w, _work, s in pattern:
                times = repeat * part_times * count
                inp += times * i
                wts += times * w
                outw += times * s
                n += times
                transfers += times * ((i + w > 0) + (s > 0))
    first = segments[0][0][0][0][0]
    return DramTiling(order, kt, pt, ct, foot, inp, wts, outw, n, work_total, transfers,
                      first[1] + first[2], segments[-1][0][-1][0][-1][4],
                      built_parts=tuple(segments))


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
            else:  # split the first tile off (never happens with the builders above)
                timed.append((((1, a, c + setup, d),), 1))
                steps[0] = (count - 1, a, c, d)
                if steps[0][0] == 0:
                    steps.pop(0)
        first = False
        if steps:
            timed.append((tuple(steps), repeat))
    return steps_time(timed, double_buffering)


def best_tiling(shape: Any, half_budget_words: int, whole_budget_words: int, k_unit: int,
                p_unit: int, c_unit: int, compute: float, setup: float, word_bytes: int,
                latency: float, bytes_per_cycle: float, double_buffering: bool) -> DramTiling:
    """The fastest tiling that fits (module docstring); NoTileFits if none does."""
    # Lower bound of each candidate's time, from its totals: T >= A_1 + compute + D_n and
    # T >= memory (module docstring of hwsim.cost.tiles). Candidates are timed exactly in
    # the order of their bounds until the bound exceeds the best time found: same result as
    # timing them all.
    # (one_transfer and the totals written inline: this loop sees every candidate)
    bounded = []
    for t in enumerate_tilings(shape, k_unit, p_unit, c_unit):
        if t.footprint_words > (whole_budget_words if t.n_tiles == 1 else half_budget_words):
            continue
        memory = (t.transfers * latency + (t.input_words + t.weight_words + t.output_words)
                  * word_bytes / bytes_per_cycle)
        first, last = t.first_load * word_bytes, t.last_store * word_bytes
        exposed = ((latency + first / bytes_per_cycle if first > 0 else 0.0)
                   + (latency + last / bytes_per_cycle if last > 0 else 0.0))
        if double_buffering:
            low = exposed + compute
            if memory > low:
                low = memory
        else:
            low = memory + compute
        bounded.append((low, t))
    bounded.sort(key=lambda x: x[0])
    best: tuple | None = None
    for low, t in bounded:
        if best is not None and low > best[0][0] + 1e-6:
            break
        time = tiling_time(t, compute, setup, word_bytes, latency, bytes_per_cycle,
                           double_buffering)
        key = (round(time, 6), t.dram_words, t.n_tiles, t.order, -t.kt, -t.pt, -t.ct)
        if best is None or key < best[0]:
            best = (key, t)
    if best is None:
        H, W = shape.in_height, shape.in_width
        r_eff = shape.dilation_h * (shape.kernel_h - 1) + 1
        RS = shape.kernel_h * shape.kernel_w if shape.weights else 0
        smallest = min(H, r_eff) * W + RS + shape.out_width
        raise NoTileFits(f"no tile fits the global buffer: the smallest (one output channel, "
                         f"one input channel, one output row) needs {smallest} words, the "
                         f"budget is {half_budget_words} words")
    return best[1]


def tile_runs_of(t: DramTiling, compute: int, writeback: int, setup: int,
                 word_bytes: int, buffer_bytes: int) -> tuple[TileRun, ...]:
    """The tiles of ``t`` as :class:`TileRun` records for the event engine: loads, stores,
    compute and write-back sum exactly to the layer's. Each tile gets the whole cycles of its
    share of the work; the first tile also gets the setup and what the rounding left."""
    steps = t.steps()
    base = compute - writeback - setup
    total = t.work_total

    def share(cycles: int, work: int) -> int:
        return cycles * work // total if total else 0

    per = [(share(base - 0, w) if total else 0, share(writeback, w)) for _, _, _, w, _ in steps]
    if not total:  # nothing to share by: every cycle on the first tile
        per = [(0, 0)] * len(steps)
    rest_c = base - sum(n * c for (n, *_), (c, _) in zip(steps, per))
    rest_w = writeback - sum(n * w for (n, *_), (_, w) in zip(steps, per))
    runs: list[TileRun] = []
    for index, ((count, i, w, _work, s), (c, wb)) in enumerate(zip(steps, per)):
        load, store = (i + w) * word_bytes, s * word_bytes
        if index == 0:
            runs.append(TileRun(1, load, c + rest_c + setup, store, wb + rest_w, buffer_bytes))
            count -= 1
            if count == 0:
                continue
        runs.append(TileRun(count, load, c, store, wb, buffer_bytes))
    return tuple(runs)


def runs_summary(runs: Sequence[TileRun]) -> dict[str, float]:
    """Totals of ``runs`` (for checks and reports)."""
    return {"tiles": sum(r.count for r in runs),
            "load_bytes": sum(r.total_load_bytes for r in runs),
            "store_bytes": sum(r.total_store_bytes for r in runs),
            "compute_cycles": sum(r.total_compute_cycles for r in runs),
            "transfers": sum(r.transfers for r in runs)}
