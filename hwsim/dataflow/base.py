"""Shared vocabulary of the dataflows: layer shapes, machine parameters, mappings, tiling.

A *dataflow strategy* (``ws.py``, ``os.py``; ``systolic.py`` for the systolic array) says
how one layer lands on the PE array: what each PE holds, what is broadcast, what the rows
and columns unroll, how many passes (folds) the layer needs, how many cycles the array
spends and how many accesses each level of the hierarchy sees inside the chip. It returns a
:class:`Mapping`. Everything between DRAM and the global buffer is dataflow-independent and
lives here, once: :func:`search_tiling` cuts the layer into tiles that fit the global
buffer and picks the loop order and tile sizes that give the shortest time (then the least
DRAM traffic); :func:`pipeline_timing` is that time. The array's cycles do not depend on
the DRAM tiling in this model, so the search trades refetches against exposed transfers.

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

from collections.abc import Mapping as TMapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple, Protocol

from hwsim.workload import layer as L
from hwsim.workload.layer import Layer, ceil_div


class ConvShape(NamedTuple):
    """The loop bounds of one layer, hashable (the cache key of the cost model).

    ``in_channels`` counts every input tensor's channels (an element-wise add of two 64-channel
    maps has 128). FC layers are 1x1 convolutions of a 1x1 map with C*H*W input channels.
    ``weights`` is False for layers without weights (pooling, add, ...).
    """

    in_channels: int
    out_channels: int
    in_height: int
    in_width: int
    out_height: int
    out_width: int
    kernel_h: int = 1
    kernel_w: int = 1
    stride_h: int = 1
    stride_w: int = 1
    dilation_h: int = 1
    dilation_w: int = 1
    groups: int = 1
    bias: bool = False
    weights: bool = True

    @property
    def c_per_group(self) -> int:
        return self.in_channels // self.groups

    @property
    def k_per_group(self) -> int:
        return self.out_channels // self.groups

    @property
    def macs(self) -> int:
        """K * P * Q * (C / G) * R * S for a layer with weights, else 0."""
        if not self.weights:
            return 0
        return (self.out_channels * self.out_height * self.out_width * self.c_per_group
                * self.kernel_h * self.kernel_w)

    @property
    def weight_words(self) -> int:
        """Weights plus biases (words)."""
        if not self.weights:
            return 0
        return (self.out_channels * self.c_per_group * self.kernel_h * self.kernel_w
                + (self.out_channels if self.bias else 0))

    @property
    def input_words(self) -> int:
        return self.in_channels * self.in_height * self.in_width

    @property
    def output_words(self) -> int:
        return self.out_channels * self.out_height * self.out_width

    @classmethod
    def from_layer(cls, layer: Layer) -> ConvShape:
        """The shape of a conv, FC, pooling or element-wise layer."""
        x = layer.in_shape
        out = layer.out_shape
        if layer.type == L.FC:
            return cls(layer.in_channels, out.channels, 1, 1, 1, 1, bias=layer.bias)
        if layer.type == L.CONV:
            return cls(x.channels, out.channels, x.height, x.width, out.height, out.width,
                       layer.kernel[0], layer.kernel[1], layer.stride[0], layer.stride[1],
                       layer.dilation[0], layer.dilation[1], layer.groups, layer.bias, True)
        channels_in = sum(s.channels for s in layer.in_shapes)
        if layer.type in L.POOL_TYPES:
            return cls(channels_in, out.channels, x.height, x.width, out.height, out.width,
                       layer.kernel[0], layer.kernel[1], layer.stride[0], layer.stride[1],
                       weights=False)
        return cls(channels_in, out.channels, x.height, x.width, out.height, out.width,
                   weights=False)


class MachineParams(NamedTuple):
    """The accelerator parameters the cost model reads (hashable; energy excluded)."""

    microarchitecture: str
    rows: int
    cols: int
    accumulators: int
    word_bytes: int
    tile_budget_bytes: int
    double_buffering: bool
    input_words_per_cycle: int
    weight_words_per_cycle: int
    psum_words_per_cycle: int
    output_words_per_cycle: int
    dram_bytes_per_cycle: float
    dram_latency_cycles: int
    layer_setup_cycles: int
    vector_lanes: int
    zero_weight_fraction: float
    skip_zero_weights_in: tuple[str, ...]
    pack_groups: bool = False

    @classmethod
    def from_accelerator(cls, acc: Any) -> MachineParams:
        a, b = acc.pe_array, acc.buffer
        return cls(acc.microarchitecture, a.rows, a.cols, a.rf_entries_per_pe, acc.word_bytes,
                   b.tile_budget_bytes, b.double_buffering, b.input_words_per_cycle,
                   b.weight_words_per_cycle, b.psum_words_per_cycle, b.output_words_per_cycle,
                   acc.dram_bytes_per_cycle, acc.dram.latency_cycles, acc.layer_setup_cycles,
                   acc.vector_unit.lanes, acc.sparsity.zero_weight_fraction,
                   tuple(acc.sparsity.skip_zero_weights_in), a.pack_groups)

    @property
    def pes(self) -> int:
        return self.rows * self.cols

    def density(self, dataflow: str) -> float:
        """Share of weights the dataflow spends cycles on (1 - zero fraction if it skips)."""
        return 1.0 - self.zero_weight_fraction if dataflow in self.skip_zero_weights_in else 1.0

    @property
    def timing(self) -> Timing:
        return Timing(self.word_bytes, self.dram_bytes_per_cycle, self.dram_latency_cycles,
                      self.double_buffering)


@dataclass(frozen=True, slots=True)
class Mapping:
    """How one layer runs on the array in one dataflow: time and on-chip accesses.

    ``array_cycles`` is the array's busy time (write-back included, setup excluded);
    ``writeback_cycles`` the part of it spent writing finished outputs back (OS);
    ``spatial_utilization`` the share of PEs that hold useful work, averaged over passes.
    Access counts are in words. ``k_unit`` / ``p_unit`` / ``c_unit`` are the output channels,
    output rows and input channels the array consumes together (the DMA streams tiles at
    this granularity).
    """

    dataflow: str
    array_cycles: int
    writeback_cycles: int
    passes: int
    spatial_utilization: float
    effective_macs: float
    rf_accesses: float
    inter_pe_transfers: float
    glb_input_reads: float
    glb_weight_reads: float
    glb_psum_reads: float
    glb_psum_writes: float
    glb_output_writes: float
    k_unit: int
    p_unit: int
    c_unit: int = 1
    description: str = ""
    details: TMapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.array_cycles < 0 or self.writeback_cycles < 0 or self.writeback_cycles > self.array_cycles:
            raise ValueError(f"{self.dataflow}: inconsistent cycles {self.array_cycles}/"
                             f"{self.writeback_cycles}")
        if not 0.0 < self.spatial_utilization <= 1.0 + 1e-9:
            raise ValueError(f"{self.dataflow}: spatial utilization {self.spatial_utilization} "
                             "outside (0, 1]")


class DataflowStrategy(Protocol):
    """A dataflow: ``name`` and ``map(shape, machine) -> Mapping`` for conv and FC shapes."""

    name: str

    def map(self, shape: ConvShape, machine: MachineParams) -> Mapping: ...


# ---------------------------------------------------------------------------------------
# Tiling between DRAM and the global buffer
# ---------------------------------------------------------------------------------------

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


class Timing(NamedTuple):
    """DRAM-side parameters of the pipeline timing (see :func:`pipeline_timing`)."""

    word_bytes: int = 2
    dram_bytes_per_cycle: float = 16.0
    dram_latency_cycles: int = 100
    double_buffering: bool = True


def pipeline_timing(compute: float, read_bytes: float, write_bytes: float,
                    first_load_bytes: float, last_store_bytes: float, n_tiles: int,
                    t: Timing) -> tuple[float, float, float, float]:
    """``(memory, cycles, fill, drain)`` of a layer, in cycles.

    ``memory = latency + bytes / bandwidth``. With double buffering the transfers overlap
    compute except the first tile's load (after the latency) and the last tile's store::

        cycles = min(compute + memory, max(fill + compute + drain, memory + compute / tiles))

    so ``max(compute, memory) <= cycles <= compute + memory``. Without double buffering
    nothing overlaps: ``cycles = compute + memory``.
    """
    moved = read_bytes + write_bytes
    bw = t.dram_bytes_per_cycle
    memory = (t.dram_latency_cycles + moved / bw) if moved else 0.0
    if not t.double_buffering:
        return memory, compute + memory, memory, 0.0
    fill = (t.dram_latency_cycles + first_load_bytes / bw) if moved else 0.0
    drain = last_store_bytes / bw
    cycles = max(fill + compute + drain, memory + compute / max(n_tiles, 1))
    return memory, min(cycles, compute + memory), fill, drain


#: Tilings within this fraction of the fastest count as equally fast; among them the one with
#: the least DRAM traffic wins (a time-only search buys a few hundred cycles of exposed
#: transfer with megabytes of refetches, i.e. with DRAM energy).
TIME_TOLERANCE = 0.01


class TilingError(ValueError):
    """No tile of the layer fits the global buffer."""


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


@lru_cache(maxsize=16384)
def search_tiling(shape: ConvShape, budget_words: int, k_unit: int, p_unit: int,
                  c_unit: int = 1, compute_cycles: float = 0.0,
                  timing: Timing = Timing()) -> Tiling:
    """The fastest tiling whose tile fits ``budget_words`` (see the module docstring), for a
    layer whose array time is ``compute_cycles``; tilings within :data:`TIME_TOLERANCE` of the
    fastest are equally fast and the least DRAM traffic (then fewer tiles) wins. For each
    loop order and output-channel tile the largest row tile that fits is tried (smaller ones
    only add halo or refetches). TilingError if nothing fits."""
    K, C, G = shape.out_channels, shape.in_channels, shape.groups
    Kg, Cg = K // G, C // G
    H, W, P, Q = shape.in_height, shape.in_width, shape.out_height, shape.out_width
    RS = shape.kernel_h * shape.kernel_w if shape.weights else 0
    sh = shape.stride_h
    r_eff = shape.dilation_h * (shape.kernel_h - 1) + 1
    bias = 1 if (shape.bias and shape.weights) else 0
    w_total = shape.weight_words
    in_total = C * H * W
    out_total = K * P * Q
    k_unit = max(1, min(k_unit, K))
    p_unit = max(1, min(p_unit, P))
    c_unit = max(1, min(c_unit, C))
    wb = timing.word_bytes
    bw = timing.dram_bytes_per_cycle
    latency = timing.dram_latency_cycles

    def rows_in(pt: int) -> int:
        return min(H, (pt - 1) * sh + r_eff)

    def rows_total(pt: int) -> int:
        full, rem = divmod(P, pt)
        rows = full * rows_in(pt) + (rows_in(rem) if rem else 0)
        return rows if rows > H else H

    def c_need(kt: int) -> int:  # input channels one output-channel tile reads
        return C if G == 1 else min(C, ceil_div(kt, Kg) * Cg)

    def w_words(kt: int, ct: int) -> int:
        return kt * (ct if ct < Cg else Cg) * RS + kt * bias

    def pipeline(kt: int, pt: int, ct: int, reads: int) -> tuple[int, int, int]:
        """(tiles, first load words, last store words): the DMA streams the tile in
        array-sized chunks; the first chunk's load and the last one's store are exposed."""
        kc = kt if kt < k_unit else k_unit
        pc = pt if pt < p_unit else p_unit
        if G == 1:
            cc = ct if ct < c_unit else c_unit
            n = ceil_div(K, kc) * ceil_div(P, pc) * ceil_div(C, cc)
        elif ct < Cg:  # grouped, input channels of a group cut
            cc = ct if ct < c_unit else c_unit
            n = ceil_div(K, kc) * ceil_div(P, pc) * ceil_div(Cg, cc)
        else:
            cc = c_need(kc)
            n = ceil_div(K, kc) * ceil_div(P, pc)
        first = min(reads, w_words(kc, cc) + cc * rows_in(pc) * W)
        return n, first, min(out_total, kc * pc * Q)

    def build(order: str, kt: int, pt: int, ct: int, foot: int, in_reads: int,
              w_reads: int) -> Tiling:
        n, first, last = pipeline(kt, pt, ct, in_reads + w_reads)
        return Tiling(order, kt, pt, ct, foot, max(in_reads, in_total), max(w_reads, w_total),
                      out_total, n, first, last)

    # Fast path: the whole layer fits, everything moves once; nothing can be faster.
    whole = in_total + w_total + out_total
    if whole <= budget_words:
        return build("k_outer", K, P, C, whole, in_total, w_total)

    candidates: list[tuple[float, int, int, tuple]] = []
    moved_out = out_total * wb

    def consider(args: tuple) -> None:
        _order, kt, pt, ct, _foot, in_reads, w_reads = args
        in_reads = in_reads if in_reads > in_total else in_total
        w_reads = w_reads if w_reads > w_total else w_total
        reads = in_reads + w_reads
        n, first, last = pipeline(kt, pt, ct, reads)
        memory = latency + (reads * wb + moved_out) / bw
        if timing.double_buffering:
            cycles = max(latency + first * wb / bw + compute_cycles + last * wb / bw,
                         memory + compute_cycles / n)
            cycles = min(cycles, compute_cycles + memory)
        else:
            cycles = compute_cycles + memory
        candidates.append((cycles, reads + out_total, n, args))

    kts = _halvings(K, k_unit)
    pts = _halvings(P, p_unit)
    rows = {pt: rows_in(pt) for pt in pts}
    for kt in kts:
        n_k = ceil_div(K, kt)
        wk = w_words(kt, Cg)
        need = c_need(kt)
        traffic_channels = C * ceil_div(Kg, kt if kt < Kg else Kg)  # input channels read
        # k_outer: weights of the tile stay; input re-read per k tile unless it all stays.
        for pt in pts:
            if pt == P and G == 1:
                foot = in_total + wk + kt * P * Q
                if foot <= budget_words:
                    consider(("k_outer", kt, pt, C, foot, in_total, w_total))
                    break
            else:
                foot = need * rows[pt] * W + wk + kt * pt * Q
                if foot <= budget_words:
                    consider(("k_outer", kt, pt, C, foot,
                              traffic_channels * rows_total(pt) * W, w_total))
                    break
        # p_outer: input rows (all channels) stay; weights re-read per row tile unless all stay.
        w_foot = w_total if n_k == 1 else wk
        for pt in pts:
            foot = C * rows[pt] * W + w_foot + kt * pt * Q
            if foot <= budget_words:
                consider(("p_outer", kt, pt, C, foot, C * rows_total(pt) * W,
                          w_total if n_k == 1 else w_total * ceil_div(P, pt)))
                break
    if not candidates and Cg > 1:
        # Cut the input channels (of a group) too: huge FC or wide layers. Partial sums stay
        # on chip; the weights are re-read for every row tile. With groups, an output-channel
        # tile stays inside one group.
        ct = Cg
        while not candidates and ct > 1:
            ct = ceil_div(ct, 2)
            for kt in kts:
                if G > 1 and kt > Kg:
                    continue
                traffic_channels = C * ceil_div(Kg, kt if kt < Kg else Kg)
                for pt in pts:
                    foot = ct * rows[pt] * W + w_words(kt, ct) + kt * pt * Q
                    if foot <= budget_words:
                        consider(("k_outer", kt, pt, ct, foot,
                                  traffic_channels * rows_total(pt) * W,
                                  w_total * ceil_div(P, pt)))
                        break
    if not candidates:
        smallest = rows_in(1) * W + w_words(1, 1) + Q
        raise TilingError(f"no tile fits the global buffer: the smallest (one output channel, "
                          f"one input channel, one output row) needs {smallest} words, the "
                          f"budget is {budget_words} words")
    fastest = min(c[0] for c in candidates)
    limit = fastest * (1.0 + TIME_TOLERANCE) + 1e-9
    best = min((c for c in candidates if c[0] <= limit), key=lambda c: (c[1], c[2], c[0]))
    return build(*best[3])


__all__ = ["ConvShape", "MachineParams", "Mapping", "DataflowStrategy", "Tiling", "TilingError",
           "Timing", "pipeline_timing",
           "search_tiling"]
