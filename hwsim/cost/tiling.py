"""The DRAM tiling of a layer: which tiles fit the global buffer, and the fastest of them.

Everything between DRAM and the global buffer is dataflow-independent and lives here,
once: :func:`search_tiling` cuts the layer into tiles that fit the global buffer and picks
the loop order and tile sizes that give the shortest time (then the least DRAM traffic).
The search is two steps: :func:`candidate_tilings` lists the tilings worth trying, and
:func:`score` times each with the one pipeline formula (:func:`~hwsim.cost.timing.pipeline_timing`).
The array's cycles do not depend on the DRAM tiling in this model, so the search trades
refetches against exposed transfers.

Tiling model in plain words
---------------------------
A layer's loops over output channels (K), output rows (P) and input channels (C) are cut
into tiles of ``kt`` output channels, ``pt`` output rows and ``ct`` input channels. Two loop
orders are searched, input channels always innermost so that partial sums never leave the
chip:

* ``k_outer`` (weights outer): for each block of output channels, stream the input rows.
  The tile's weights stay on chip across all rows; the input is re-read once per block of
  output channels, unless the whole input fits and stays (then it is read once).
* ``p_outer`` (inputs outer): for each block of output rows, run every output channel. The
  input rows stay on chip across output channels; the weights are re-read once per block of
  rows, unless all the weights fit and stay.

Input channels are cut (``ct < C``) only when no tile with all of them fits (huge FC
layers); weights are then re-read for every block of rows. A tile's footprint (its input
rows with the kernel's halo, its weights, its outputs) must fit the global buffer, or half
of it with double buffering (the other half receives the next tile). Output rows need the
input rows ``(pt - 1) * stride + dilation * (R - 1) + 1``: neighbouring row tiles re-read
the overlap (the halo). Grouped and depthwise convolutions need only their own groups'
input channels per output-channel tile. DRAM traffic never falls below the compulsory
traffic (every input, weight and output word once).

The pipeline behind the tiles: the DMA streams tiles at the array's own granularity (one
array pass of output channels x one block of output rows); with double buffering the
transfer of one tile overlaps the compute of another, so only the first tile's load (plus
the DRAM latency) and the last tile's store are exposed.

Legend: K output channels, C input channels, G groups, H x W input, P x Q output,
R x S kernel, kt/pt/ct tile sizes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from hwsim.cost.timing import DEFAULT_TIMING, Timing, pipeline_timing
from hwsim.dataflow.base import ConvShape
from hwsim.workload.layer import ceil_div

#: Tilings within this fraction of the fastest count as equally fast; among them the one with
#: the least DRAM traffic wins (a time-only search buys a few hundred cycles of exposed
#: transfer with megabytes of refetches, i.e. with DRAM energy).
TIME_TOLERANCE = 0.01


class TilingError(ValueError):
    """No tile of the layer fits the global buffer."""


@dataclass(frozen=True, slots=True)
class Tiling:
    """The chosen DRAM tiling of one layer and its DRAM traffic (words).

    ``order`` is ``k_outer`` or ``p_outer`` (see the module docstring); ``kt``, ``pt``, ``ct``
    the tile sizes; ``footprint_words`` one tile's global-buffer space. ``pipeline_tiles``
    is the number of tiles the DMA streams (array granularity), ``first_load_words`` and
    ``last_store_words`` what the pipeline cannot hide.
    """

    order: str
    kt: int
    pt: int
    ct: int
    footprint_words: int
    input_read_words: int
    weight_read_words: int
    output_write_words: int
    pipeline_tiles: int
    first_load_words: int
    last_store_words: int

    @property
    def read_words(self) -> int:
        return self.input_read_words + self.weight_read_words

    @property
    def dram_words(self) -> int:
        return self.read_words + self.output_write_words


class Candidate(NamedTuple):
    """A tiling worth trying: loop order, tile sizes, one tile's footprint and the words
    read from DRAM (before the compulsory floor is applied)."""

    order: str
    kt: int
    pt: int
    ct: int
    footprint_words: int
    input_read_words: int
    weight_read_words: int


@lru_cache(maxsize=4096)
def _halvings(total: int, unit: int) -> tuple[int, ...]:
    """(total, unit * 2^i below total largest first, then unit / 2^i down to 1): sizes below
    the unit (part of an array pass) are a last resort for very small buffers."""
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
    return tuple(out)


@dataclass(frozen=True, slots=True)
class LayerGeometry:
    """The loop bounds the search reads, and the sizes a tile implies (see the legend).

    ``k_unit``, ``p_unit``, ``c_unit`` are the output channels, output rows and input
    channels the array consumes together (clamped to the layer); ``kts`` and ``pts`` the
    output-channel and output-row tile sizes tried, largest first.
    """

    K: int
    C: int
    G: int
    Kg: int
    Cg: int
    H: int
    W: int
    P: int
    Q: int
    RS: int
    stride_h: int
    r_eff: int
    bias: int
    w_total: int
    in_total: int
    out_total: int
    k_unit: int
    p_unit: int
    c_unit: int
    kts: tuple[int, ...]
    pts: tuple[int, ...]

    @classmethod
    def of(cls, shape: ConvShape, k_unit: int, p_unit: int, c_unit: int) -> LayerGeometry:
        K, C, G, P = shape.out_channels, shape.in_channels, shape.groups, shape.out_height
        k_unit = max(1, min(k_unit, K))
        p_unit = max(1, min(p_unit, P))
        return cls(
            K=K, C=C, G=G, Kg=K // G, Cg=C // G, H=shape.in_height, W=shape.in_width, P=P,
            Q=shape.out_width, RS=shape.kernel_h * shape.kernel_w if shape.weights else 0,
            stride_h=shape.stride_h, r_eff=shape.dilation_h * (shape.kernel_h - 1) + 1,
            bias=1 if (shape.bias and shape.weights) else 0, w_total=shape.weight_words,
            in_total=C * shape.in_height * shape.in_width, out_total=K * P * shape.out_width,
            k_unit=k_unit, p_unit=p_unit, c_unit=max(1, min(c_unit, C)),
            kts=_halvings(K, k_unit), pts=_halvings(P, p_unit))

    def rows_in(self, pt: int) -> int:
        """Input rows one tile of ``pt`` output rows needs (halo included)."""
        return min(self.H, (pt - 1) * self.stride_h + self.r_eff)

    def rows_total(self, pt: int) -> int:
        """Input rows read over all row tiles of ``pt`` output rows (at least ``H``)."""
        full, rem = divmod(self.P, pt)
        rows = full * self.rows_in(pt) + (self.rows_in(rem) if rem else 0)
        return rows if rows > self.H else self.H

    def c_need(self, kt: int) -> int:
        """Input channels one tile of ``kt`` output channels reads."""
        return self.C if self.G == 1 else min(self.C, ceil_div(kt, self.Kg) * self.Cg)

    def w_words(self, kt: int, ct: int) -> int:
        """Weight words (with biases) of ``kt`` output channels by ``ct`` input channels."""
        return kt * (ct if ct < self.Cg else self.Cg) * self.RS + kt * self.bias

    def input_channels_read(self, kt: int) -> int:
        """Input channels read over all output-channel tiles of ``kt`` (the k_outer refetch)."""
        return self.C * ceil_div(self.Kg, kt if kt < self.Kg else self.Kg)

    def pipeline(self, kt: int, pt: int, ct: int, reads: int) -> tuple[int, int, int]:
        """(tiles, first load words, last store words): the DMA streams the tile in
        array-sized chunks; the first chunk's load and the last one's store are exposed."""
        K, P = self.K, self.P
        kc = kt if kt < self.k_unit else self.k_unit
        pc = pt if pt < self.p_unit else self.p_unit
        if self.G == 1:
            cc = ct if ct < self.c_unit else self.c_unit
            n = ceil_div(K, kc) * ceil_div(P, pc) * ceil_div(self.C, cc)
        elif ct < self.Cg:  # grouped, input channels of a group cut
            cc = ct if ct < self.c_unit else self.c_unit
            n = ceil_div(K, kc) * ceil_div(P, pc) * ceil_div(self.Cg, cc)
        else:
            cc = self.c_need(kc)
            n = ceil_div(K, kc) * ceil_div(P, pc)
        first = min(reads, self.w_words(kc, cc) + cc * self.rows_in(pc) * self.W)
        return n, first, min(self.out_total, kc * pc * self.Q)

    def tiling(self, c: Candidate) -> Tiling:
        """The :class:`Tiling` of a candidate (reads raised to the compulsory traffic)."""
        n, first, last = self.pipeline(c.kt, c.pt, c.ct, c.input_read_words + c.weight_read_words)
        return Tiling(c.order, c.kt, c.pt, c.ct, c.footprint_words,
                      max(c.input_read_words, self.in_total),
                      max(c.weight_read_words, self.w_total), self.out_total, n, first, last)


# --- candidate generation ---------------------------------------------------------------

def _k_outer(g: LayerGeometry, budget: int, kt: int) -> Candidate | None:
    """Weights of the tile stay; the input is re-read per output-channel tile unless all of
    it stays. The largest row tile that fits, or None."""
    wk = g.w_words(kt, g.Cg)
    need = g.c_need(kt)
    channels_read = g.input_channels_read(kt)
    for pt in g.pts:
        if pt == g.P and g.G == 1:
            foot = g.in_total + wk + kt * g.P * g.Q
            if foot <= budget:
                return Candidate("k_outer", kt, pt, g.C, foot, g.in_total, g.w_total)
        else:
            foot = need * g.rows_in(pt) * g.W + wk + kt * pt * g.Q
            if foot <= budget:
                return Candidate("k_outer", kt, pt, g.C, foot,
                                 channels_read * g.rows_total(pt) * g.W, g.w_total)
    return None


def _p_outer(g: LayerGeometry, budget: int, kt: int) -> Candidate | None:
    """Input rows (all channels) stay; the weights are re-read per row tile unless all of
    them stay. The largest row tile that fits, or None."""
    one_k_tile = ceil_div(g.K, kt) == 1
    w_foot = g.w_total if one_k_tile else g.w_words(kt, g.Cg)
    for pt in g.pts:
        foot = g.C * g.rows_in(pt) * g.W + w_foot + kt * pt * g.Q
        if foot <= budget:
            return Candidate("p_outer", kt, pt, g.C, foot, g.C * g.rows_total(pt) * g.W,
                             g.w_total if one_k_tile else g.w_total * ceil_div(g.P, pt))
    return None


def _channel_cut(g: LayerGeometry, budget: int, ct: int) -> Iterator[Candidate]:
    """k_outer tiles of ``ct`` input channels (of a group): partial sums stay on chip, the
    weights are re-read for every row tile; with groups an output-channel tile stays inside
    one group. Per output-channel tile, the largest row tile that fits."""
    for kt in g.kts:
        if g.G > 1 and kt > g.Kg:
            continue
        channels_read = g.input_channels_read(kt)
        for pt in g.pts:
            foot = ct * g.rows_in(pt) * g.W + g.w_words(kt, ct) + kt * pt * g.Q
            if foot <= budget:
                yield Candidate("k_outer", kt, pt, ct, foot,
                                channels_read * g.rows_total(pt) * g.W,
                                g.w_total * ceil_div(g.P, pt))
                break


def candidate_tilings(g: LayerGeometry, budget: int) -> Iterator[Candidate]:
    """The tilings that fit ``budget`` words, in the order the tie-break sees them: per
    output-channel tile (largest first) k_outer then p_outer with all input channels; only
    if none fits, input channels halved (rounded up) until some tile fits."""
    found = False
    for kt in g.kts:
        for cand in (_k_outer(g, budget, kt), _p_outer(g, budget, kt)):
            if cand is not None:
                found = True
                yield cand
    if found or g.Cg <= 1:
        return
    ct = g.Cg
    while not found and ct > 1:
        ct = ceil_div(ct, 2)
        for cand in _channel_cut(g, budget, ct):
            found = True
            yield cand


# --- scoring ----------------------------------------------------------------------------

def score(g: LayerGeometry, c: Candidate, compute_cycles: float,
          timing: Timing) -> tuple[float, int, int]:
    """``(cycles, DRAM words, tiles)`` of a candidate: its time by
    :func:`~hwsim.cost.timing.pipeline_timing`, its traffic (never below compulsory)."""
    in_reads = c.input_read_words if c.input_read_words > g.in_total else g.in_total
    w_reads = c.weight_read_words if c.weight_read_words > g.w_total else g.w_total
    reads = in_reads + w_reads
    n, first, last = g.pipeline(c.kt, c.pt, c.ct, reads)
    wb = timing.word_bytes
    _, cycles, _, _ = pipeline_timing(compute_cycles, reads * wb, g.out_total * wb, first * wb,
                                      last * wb, n, timing)
    return cycles, reads + g.out_total, n


def pick(scored: Sequence[tuple[float, int, int, Candidate]]) -> Candidate:
    """Among ``(cycles, words, tiles, candidate)`` within :data:`TIME_TOLERANCE` of the
    fastest, the least traffic, then fewest tiles, then fastest (then the first listed)."""
    fastest = min(s[0] for s in scored)
    limit = fastest * (1.0 + TIME_TOLERANCE) + 1e-9
    best = min((s for s in scored if s[0] <= limit), key=lambda s: (s[1], s[2], s[0]))
    return best[3]


@lru_cache(maxsize=16384)
def search_tiling(shape: ConvShape, budget_words: int, k_unit: int, p_unit: int,
                  c_unit: int = 1, compute_cycles: float = 0.0,
                  timing: Timing = DEFAULT_TIMING) -> Tiling:
    """The fastest tiling whose tile fits ``budget_words`` (see the module docstring), for a
    layer whose array time is ``compute_cycles``; tilings within :data:`TIME_TOLERANCE` of the
    fastest are equally fast and the least DRAM traffic (then fewer tiles) wins. For each
    loop order and output-channel tile the largest row tile that fits is tried (smaller ones
    only add halo or refetches). TilingError if nothing fits."""
    g = LayerGeometry.of(shape, k_unit, p_unit, c_unit)
    # Fast path: the whole layer fits, everything moves once; nothing can be faster.
    whole = g.in_total + g.w_total + g.out_total
    if whole <= budget_words:
        return g.tiling(Candidate("k_outer", g.K, g.P, g.C, whole, g.in_total, g.w_total))
    scored = [(*score(g, c, compute_cycles, timing), c)
              for c in candidate_tilings(g, budget_words)]
    if not scored:
        smallest = g.rows_in(1) * g.W + g.w_words(1, 1) + g.Q
        raise TilingError(f"no tile fits the global buffer: the smallest (one output channel, "
                          f"one input channel, one output row) needs {smallest} words, the "
                          f"budget is {budget_words} words")
    return g.tiling(pick(scored))


__all__ = ["Tiling", "TilingError", "TIME_TOLERANCE", "Candidate", "LayerGeometry",
           "candidate_tilings", "score", "pick", "search_tiling"]
