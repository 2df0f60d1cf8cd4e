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

The candidates (every (order, kt, pt, ct) from the halvings lists) are built in
:mod:`hwsim.cost.dram_candidates`, the fastest that fits is chosen in
:mod:`hwsim.cost.dram_search`; this module holds the records both share.

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

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from hwsim.cost.tiles import TileRun
from hwsim.workload.layer import ceil_div

K_OUTER = "k_outer"
P_OUTER = "p_outer"

#: A run of identical tiles: (count, input words loaded, weight words loaded, work, words stored).
Step = tuple[int, int, int, int, int]
#: A pattern of runs repeated ``repeat`` times.
Segment = tuple[tuple[Step, ...], int]


@dataclass(frozen=True, slots=True)
class DramTiling:
    """One candidate tiling: sizes, footprint (words), DRAM traffic (words) and its tiles.

    The totals are always there; the tiles themselves (:attr:`segments`) are either given
    (``built``) or made on first use by ``build`` (the candidates that cut input channels
    are counted in closed form and built only if the search times them).
    """

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
    #: The tiles' work added up: ``work_total`` when the tiles fill whole array passes, more
    #: when a tile smaller than a pass leaves PEs idle (``whole_passes``).
    work_sum: int
    #: DMA transfers: one per tile and direction that moves anything.
    transfers: int
    #: Words the first tile loads and the last tile stores (exposed before and after).
    first_load: int
    last_store: int
    built: tuple[Segment, ...] | None = field(default=None, compare=False, repr=False)
    build: Callable[[], list[Segment]] | None = field(default=None, compare=False, repr=False)

    @property
    def segments(self) -> tuple[Segment, ...]:
        """The tiles as segments (a pattern of runs repeated a number of times)."""
        if self.built is None:
            assert self.build is not None
            object.__setattr__(self, "built", tuple(self.build()))
        assert self.built is not None
        return self.built

    def compute_scale(self) -> float:
        """The tiles' compute over the layer's untiled compute (1 unless tiles waste passes)."""
        return self.work_sum / self.work_total if self.work_total and self.work_sum else 1.0

    @property
    def dram_words(self) -> int:
        return self.input_words + self.weight_words + self.output_words

    def steps(self) -> tuple[Step, ...]:
        """The runs in execution order, repetitions expanded, equal neighbours merged."""
        counts: list[int] = []
        kinds: list[tuple[int, int, int, int]] = []  # (input, weights, work, stored) of each
        last = None
        for pattern, repeat in self.segments:
            if len(pattern) == 1:  # one run repeated: merged into one run of count x repeat
                count, i, w, work, stored = pattern[0]
                pattern, repeat = ((count * repeat, i, w, work, stored),), 1
            for _ in range(repeat):
                for count, *kind in pattern:
                    if kind == last:
                        counts[-1] += count
                    else:
                        counts.append(count)
                        last = kind
                        kinds.append((kind[0], kind[1], kind[2], kind[3]))
        return tuple((n, i, w, work, s) for n, (i, w, work, s) in zip(counts, kinds))

    def first_load_words(self) -> int:
        return self.first_load

    def last_store_words(self) -> int:
        return self.last_store


def make_tiling(order: str, kt: int, pt: int, ct: int, foot: int, segments: list[Segment],
                work_total: int) -> DramTiling:
    """The tiling of ``segments``, its totals counted tile by tile (the reference count)."""
    inp = wts = outw = n = work = transfers = 0
    for pattern, repeat in segments:
        for count, i, w, step_work, s in pattern:
            times = repeat * count
            inp += times * i
            wts += times * w
            outw += times * s
            n += times
            work += times * step_work
            transfers += times * ((i + w > 0) + (s > 0))
    first = segments[0][0][0]
    return DramTiling(order, kt, pt, ct, foot, inp, wts, outw, n, work_total, work, transfers,
                      first[1] + first[2], segments[-1][0][-1][4], built=tuple(segments))


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


def pass_work(k: int, p: int, c: int, k_unit: int, p_unit: int, c_unit: int) -> int:
    """The array work of a tile of ``k`` output channels, ``p`` output rows and ``c`` input
    channels in whole passes: each extent rounded up to its unit (a tile of 8 output channels
    on a pass of 16 columns leaves 8 columns idle for the whole pass)."""
    return (ceil_div(k, k_unit) * k_unit) * (ceil_div(p, p_unit) * p_unit) \
        * (ceil_div(c, c_unit) * c_unit)


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
