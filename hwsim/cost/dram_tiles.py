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

The array computes a tile in whole passes (a WS pass holds ``rows`` input channels and
``cols`` output channels, an OS pass ``rows`` output rows and a group of ``accumulators``
output channels): a tile smaller than a pass leaves PEs idle for the whole pass, so with
``whole_passes`` its work, and the layer's compute, count the rounded-up passes
(:func:`pass_work`). Tiles that fill whole passes cost exactly the layer's compute; a search
that cut a compute-bound layer into sliver tiles to hide a few hundred cycles of transfer
would pay for every idle PE, so it does not (it would otherwise move several times the
layer's data for nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
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
    segments: tuple[Segment, ...]
    work_total: int
    #: The tiles' work added up: ``work_total`` when the tiles fill whole array passes, more
    #: when a tile smaller than a pass leaves PEs idle (``whole_passes``).
    work_sum: int = 0

    def compute_scale(self) -> float:
        """The tiles' compute over the layer's untiled compute (1 unless tiles waste passes)."""
        return self.work_sum / self.work_total if self.work_total and self.work_sum else 1.0

    @property
    def dram_words(self) -> int:
        return self.input_words + self.weight_words + self.output_words

    @property
    def transfers(self) -> int:
        n = 0
        for pattern, repeat in self.segments:
            n += repeat * sum(s[0] * ((s[1] + s[2] > 0) + (s[4] > 0)) for s in pattern)
        return n

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
        s = self.segments[0][0][0]
        return s[1] + s[2]

    def last_store_words(self) -> int:
        return self.segments[-1][0][-1][4]


class Epilogue(NamedTuple):
    """What fusion (``hwsim.cost.fusion``) changes in a layer's DRAM tiles (None: nothing).

    ``input_num / input_den``: the share of the input words read from DRAM (the rest is
    already in the global buffer; each tile's input load is scaled, rounded up).
    ``store``: the output goes to DRAM (False: it stays in the global buffer).
    ``operand``: an element-wise add fused after the layer reads its other operand from DRAM,
    one word per output word of the tile (loaded with the tile, held in its footprint).
    ``pool``: a pooling layer fused after it, ``(kernel_h, stride_h, pad_top, out_rows,
    out_cols)``: a tile stores the pooled rows whose windows end in its rows; the partial
    windows straddling a row-tile boundary, ``ceil((kernel - stride) / stride)`` pooled rows
    per channel, stay in the tile's footprint; a tiling whose middle row tiles would not all
    emit the same number of pooled rows (row tile not a multiple of the stride) is skipped.
    """

    input_num: int = 1
    input_den: int = 1
    store: bool = True
    operand: bool = False
    pool: tuple[int, int, int, int, int] | None = None


def pooled_rows_per_tile(pool: tuple[int, int, int, int, int], rows: int, pt: int
                         ) -> list[int] | None:
    """Pooled rows each row tile of ``pt`` of ``rows`` output rows emits (a pooled row is
    emitted by the tile holding the last row of its window), or None when the middle tiles
    differ (the windows do not line up with the tiles)."""
    kernel, stride, pad, out_rows, _cols = pool
    n_p = ceil_div(rows, pt)
    counts = [0] * n_p
    for j in range(out_rows):
        end = min(max(j * stride - pad + kernel - 1, 0), rows - 1)
        counts[end // pt] += 1
    if n_p > 2 and len(set(counts[1:-1])) > 1:
        return None
    return counts


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


def _add(segments: list[Segment], pattern: list[Step], repeat: int) -> None:
    steps = tuple(s for s in pattern if s[0] > 0)
    if repeat > 0 and steps:
        segments.append((steps, repeat))


@lru_cache(maxsize=4096)
def enumerate_tilings(shape: Any, k_unit: int, p_unit: int, c_unit: int,
                      epi: Epilogue | None = None,
                      whole_passes: tuple[bool, bool, bool] = (False, False, False)
                      ) -> tuple[DramTiling, ...]:
    """Every (order, kt, pt, ct) from the halvings lists, with its tiles (not filtered);
    ``epi`` changes the tiles' loads, stores and footprints (see :class:`Epilogue`).

    ``whole_passes`` (per loop: output channels, output rows, input channels): along a
    flagged loop the array computes a tile in whole units (``k_unit``, ``p_unit``,
    ``c_unit``), so a tile smaller than a unit (or a remainder) costs a whole one: its work
    counts rounded-up units (see :func:`pass_work`). Otherwise work is channels x rows x
    input channels."""
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

    # The epilogue's hooks (identities without one). Row-tile positions: 0 first, 1 middle,
    # -1 last; a layer of one row tile is position -1 with ``n == 1``.
    num, den = (epi.input_num, epi.input_den) if epi is not None else (1, 1)
    store_out = epi is None or epi.store
    operand = epi is not None and epi.operand
    pool = epi.pool if epi is not None else None
    q_out = pool[4] if pool is not None else Q
    pool_keep = ceil_div(max(0, pool[0] - pool[1]), pool[1]) * q_out if pool is not None else 0

    def ld(words: int, k: int = 0, p: int = 0) -> int:
        """Input words a tile loads: its share from DRAM, plus its operand tile."""
        own = words if num == den else ceil_div(words * num, den)
        return own + (k * p * Q if operand else 0)

    counts_of: dict[int, list[int] | None] = {}

    def pooled(pt: int) -> list[int] | None:
        if pt not in counts_of:
            counts_of[pt] = pooled_rows_per_tile(pool, P, pt) if pool is not None else None
        return counts_of[pt]

    def st(k: int, p: int, pos: int, pt: int) -> int:
        """Words a tile stores: its k x p outputs, or its pooled rows, or none."""
        if not store_out:
            return 0
        if pool is None:
            return k * p * Q
        counts = pooled(pt)
        assert counts is not None
        return k * counts[pos] * q_out

    def foot_extra(k: int, pt: int) -> int:
        return (k * pt * Q if operand else 0) + k * pool_keep

    out: list[DramTiling] = []
    units = tuple(u if flag else 1 for u, flag in zip((k_unit, p_unit, c_unit), whole_passes))

    def work(k: int, p: int, c: int) -> int:
        return pass_work(k, p, c, *units)

    work_total = work(K, P, Cg)
    for kt in kts:
        n_k = ceil_div(K, kt)
        k_last = K - (n_k - 1) * kt
        n_full = n_k - 1 if k_last != kt else n_k
        for pt in pts:
            n_p, r_full, p_last, r_last, r_max = row_blocks(pt)
            if pool is not None:
                counts = pooled(pt)
                if counts is None:
                    continue  # windows not aligned with the row tiles
            # --- k_outer, all input channels ---------------------------------------------
            stay = n_p == 1 and G == 1 and shape.weights
            segs: list[Segment] = []

            def k_block(k: int, first: bool, *, stay: bool = stay, n_p: int = n_p,
                        r_full: int = r_full, p_last: int = p_last, r_last: int = r_last,
                        pt: int = pt) -> list[Step]:
                wk = w_words(k, Cg) + k * bias
                cn = c_need(k)
                if n_p == 1:
                    inp = cn * r_last * W if (first or not stay) else 0
                    return [(1, ld(inp, k, p_last), wk, work(k, p_last, Cg), st(k, p_last, -1, pt))]
                return [(1, ld(cn * r_full * W, k, pt), wk, work(k, pt, Cg), st(k, pt, 0, pt)),
                        (n_p - 2, ld(cn * r_full * W, k, pt), 0, work(k, pt, Cg), st(k, pt, 1, pt)),
                        (1, ld(cn * r_last * W, k, p_last), 0, work(k, p_last, Cg),
                         st(k, p_last, -1, pt))]

            _add(segs, k_block(kt if n_k > 1 else K, True), 1)
            if n_k > 1:
                _add(segs, k_block(kt, False), n_full - 1)
                if k_last != kt:
                    _add(segs, k_block(k_last, False), 1)
            if stay or (n_p == 1 and n_k == 1):
                foot = C * H * W + w_words(kt, Cg) + kt * bias + kt * P * Q
            else:
                foot = c_need(kt) * r_max * W + w_words(kt, Cg) + kt * bias + kt * pt * Q
            foot += foot_extra(kt, pt)
            out.append(_make(K_OUTER, kt, pt, C, foot, segs, work_total))

            # --- p_outer, all input channels ---------------------------------------------
            if n_k > 1 or n_p > 1:
                segs = []
                w_foot = (w_words(K, Cg) + K * bias) if n_k == 1 else w_words(kt, Cg) + kt * bias

                def p_block(rows: int, p: int, first: bool, pos: int, *, n_k: int = n_k,
                            k_last: int = k_last, kt: int = kt, pt: int = pt) -> list[Step]:
                    if n_k == 1:
                        wk = w_words(K, Cg) + K * bias if first else 0
                        return [(1, ld(C * rows * W, K, p), wk, work(K, p, Cg), st(K, p, pos, pt))]
                    wt = w_words(kt, Cg) + kt * bias
                    # the block's input rows come with its first tile, each tile's operand
                    # with the tile
                    return [(1, ld(C * rows * W, kt, p), wt, work(kt, p, Cg), st(kt, p, pos, pt)),
                            (n_k - 2, ld(0, kt, p), wt, work(kt, p, Cg), st(kt, p, pos, pt)),
                            (1, ld(0, k_last, p), w_words(k_last, Cg) + k_last * bias,
                             work(k_last, p, Cg), st(k_last, p, pos, pt))]

                if n_p == 1:
                    _add(segs, p_block(r_last, p_last, True, -1), 1)
                else:
                    _add(segs, p_block(r_full, pt, True, 0), 1)
                    _add(segs, p_block(r_full, pt, False, 1), n_p - 2)
                    _add(segs, p_block(r_last, p_last, False, -1), 1)
                foot = C * r_max * W + w_foot + kt * pt * Q + foot_extra(K, pt)
                out.append(_make(P_OUTER, kt, pt, C, foot, segs, work_total))

            # --- k_outer, input channels cut -------------------------------------------
            if G > 1 and kt > Kg:
                continue
            if pool is not None and n_p > 2 and pooled(pt)[0] != pooled(pt)[1]:  # type: ignore[index]
                continue  # the cut order repeats the first row tile's pattern
            for ct in cts:
                if ct >= Cg:
                    continue
                n_c = ceil_div(Cg, ct)
                c_last = Cg - (n_c - 1) * ct

                def kp_block(k: int, rows: int, p: int, pos: int = 0, *, ct: int = ct,
                             n_c: int = n_c, c_last: int = c_last, pt: int = pt) -> list[Step]:
                    # the operand comes with the last input-channel tile (which stores)
                    return [(1, ld(ct * rows * W), w_words(k, ct) + k * bias, work(k, p, ct), 0),
                            (n_c - 2, ld(ct * rows * W), w_words(k, ct), work(k, p, ct), 0),
                            (1, ld(c_last * rows * W, k, p), w_words(k, c_last),
                             work(k, p, c_last), st(k, p, pos, pt))]

                segs = []
                blocks = [(kt, 1)]
                if n_k > 1:
                    blocks.append((kt, n_full - 1))
                    if k_last != kt:
                        blocks.append((k_last, 1))
                for k, repeat in blocks:
                    if repeat <= 0:
                        continue
                    if n_p == 1:
                        _add(segs, kp_block(k, r_last, p_last, -1), repeat)
                    else:  # one block of output channels: its row tiles, rows inner
                        block = (kp_block(k, r_full, pt, 0) * (n_p - 1)
                                 + kp_block(k, r_last, p_last, -1))
                        _add(segs, block, repeat)
                foot = (ct * r_max * W + w_words(kt, ct) + kt * bias + kt * pt * Q
                        + foot_extra(kt, pt))
                out.append(_make(K_OUTER, kt, pt, ct, foot, segs, work_total))
    return tuple(out)


def pass_work(k: int, p: int, c: int, k_unit: int, p_unit: int, c_unit: int) -> int:
    """The array work of a tile of ``k`` output channels, ``p`` output rows and ``c`` input
    channels in whole passes: each extent rounded up to its unit (a tile of 8 output channels
    on a pass of 16 columns leaves 8 columns idle for the whole pass)."""
    return (ceil_div(k, k_unit) * k_unit) * (ceil_div(p, p_unit) * p_unit) \
        * (ceil_div(c, c_unit) * c_unit)


def _rescaled(t: DramTiling, epi: Epilogue) -> DramTiling:
    """``t`` with each tile's input load scaled to the share from DRAM (rounded up) and its
    store dropped when the output stays on chip (the hooks of :func:`enumerate_tilings`)."""
    num, den = epi.input_num, epi.input_den

    def step(s: Step) -> Step:
        count, i, w, work, out = s
        return (count, i if num == den else ceil_div(i * num, den), w, work,
                out if epi.store else 0)

    segments = [(tuple(step(s) for s in pattern), repeat) for pattern, repeat in t.segments]
    return _make(t.order, t.kt, t.pt, t.ct, t.footprint_words, segments, t.work_total)


def _make(order: str, kt: int, pt: int, ct: int, foot: int, segments: list[Segment],
          work_total: int) -> DramTiling:
    inp = wts = outw = n = work = 0
    for pattern, repeat in segments:
        for count, i, w, step_work, s in pattern:
            inp += repeat * count * i
            wts += repeat * count * w
            outw += repeat * count * s
            n += repeat * count
            work += repeat * count * step_work
    return DramTiling(order, kt, pt, ct, foot, inp, wts, outw, n, tuple(segments), work_total,
                      work)


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
                latency: float, bytes_per_cycle: float, double_buffering: bool,
                epi: Epilogue | None = None,
                whole_passes: tuple[bool, bool, bool] = (False, False, False)) -> DramTiling:
    """The fastest tiling that fits (module docstring); NoTileFits if none does."""
    # Lower bound of each candidate's time, from its totals: T >= A_1 + compute + D_n and
    # T >= memory (module docstring of hwsim.cost.tiles). Candidates are timed exactly in
    # the order of their bounds until the bound exceeds the best time found: same result as
    # timing them all.
    bounded = []
    rescale = epi is not None and not epi.operand and epi.pool is None
    # only the input share and the store change: the plain tilings, rescaled once they fit
    candidates = enumerate_tilings(shape, k_unit, p_unit, c_unit, None if rescale else epi,
                                   whole_passes)
    for t in candidates:
        limit = whole_budget_words if t.n_tiles == 1 else half_budget_words
        if t.footprint_words > limit:
            continue
        if rescale:
            assert epi is not None
            t = _rescaled(t, epi)
        memory = t.transfers * latency + t.dram_words * word_bytes / bytes_per_cycle
        exposed = (one_transfer(t.first_load_words() * word_bytes, latency, bytes_per_cycle)
                   + one_transfer(t.last_store_words() * word_bytes, latency, bytes_per_cycle))
        tiled = setup + (compute - setup) * t.compute_scale()  # with the passes tiles waste
        low = max(memory, exposed + tiled) if double_buffering else memory + tiled
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
    total = t.work_sum or t.work_total

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
