"""A systolic array in SCALE-Sim's conventions: compute cycles, folds and SRAM traffic.

This is the ``systolic`` microarchitecture, beside the study's broadcast-style array. It
follows SCALE-Sim 3.0.0 (Samajdar et al., "A Systematic Methodology for Characterizing
Scalability of DNN Accelerators using SCALE-Sim", ISPASS 2020) for its three dataflows,
weight-, output- and input-stationary, so that its cycle counts agree with SCALE-Sim's
``Total Cycles`` exactly. Everything here is closed form over plain integers: a layer costs
a few microseconds, a network well under a millisecond.

The model in plain words
------------------------

*im2col.* A convolution is a matrix product. Each output pixel reads one window of
``R * S * C`` input values (kernel height x width x input channels); stacking the windows of
all ``P * Q`` output pixels gives the ifmap operand (``P*Q`` rows, ``R*S*C`` columns), and the
``K`` filters, each flattened to ``R*S*C`` values, give the filter operand (``R*S*C`` x ``K``).
A fully connected layer is the 1 x 1 convolution of a 1 x 1 ifmap with ``C_in`` channels:
one output "pixel", a window of ``C_in`` values, ``C_out`` filters (SCALE-Sim's own convention).

*Stationary operand.* Of the three GEMM dimensions, two are laid out in space over the array
(``Sr`` over its rows, ``Sc`` over its columns) and one streams through it in time (``T``):

=========  ==================  ============  ===================  =========================
dataflow   held in the PEs     Sr (rows)     Sc (columns)         T (streamed, in time)
=========  ==================  ============  ===================  =========================
``ws``     weights             ``R*S*C``     ``K``                ``P*Q`` input windows
``os``     partial outputs     ``P*Q``       ``K``                ``R*S*C`` window elements
``is``     input windows       ``R*S*C``     ``P*Q``              ``K`` filters
=========  ==================  ============  ===================  =========================

*Folds.* An ``Ar x Ac`` array (rows x columns) holds at most ``Ar`` of ``Sr`` and ``Ac`` of
``Sc`` at once, so the layer runs in ``ceil(Sr / Ar) * ceil(Sc / Ac)`` folds, one after the
other, columns outermost. The last fold of each direction may be partly empty; it still
takes a whole fold's time.

*Fill and drain per fold.* A fold is not overlapped with the next one: each pays for loading
the stationary operand (WS, IS), for the skew of the systolic wavefront across the rows
(``Ar - 1``) and the columns (``Ac - 1``), and for the ``T`` streamed steps. SCALE-Sim
builds, per fold, one "demand matrix" line per cycle; counting its lines gives:

* WS: ``Ar`` cycles to shift the weights in, ``T`` input rows streamed, ``Ar - 1`` cycles
  of input skew across the rows and ``Ar - 1 + Ac - 1`` cycles for the last partial sums to
  flow down and out of the skewed columns. SCALE-Sim's lines: the ifmap demand is ``Ar``
  idle lines + ``T`` lines + ``Ac - 1`` idle lines, then skewed (``+ Ar - 1``)::

      L_ws = Ar + T + (Ac - 1) + (Ar - 1) = 2*Ar + Ac + T - 2

* OS: the ``T`` window elements streamed through, with ``Ar - 1`` and ``Ac - 1`` cycles of
  skew; the finished outputs leave row by row while the next operands are still skewing in
  (SCALE-Sim's ofmap demand: ``T - 1`` idle lines + ``Ar`` output lines, skewed by
  ``Ac - 1``)::

      L_os = T + (Ar - 1) + (Ac - 1) = Ar + Ac + T - 2

* IS: like WS with the roles swapped: ``Ar`` cycles to load the input windows, ``T`` filter
  vectors streamed, skew across rows and columns::

      L_is = 2*Ar + Ac + T - 2

*Total Cycles.* SCALE-Sim replays the demand lines one per cycle (no stall when the SRAMs
keep up) and reports as ``Total Cycles`` the cycle index (counted from 0) of the last line,
i.e. one less than the number of lines::

      compute_cycles = ceil(Sr / Ar) * ceil(Sc / Ac) * L - 1

This is the array's time without memory stalls. hwsim keeps SCALE-Sim's ``- 1`` so the two
agree to the cycle; it is one cycle per GEMM and never matters beyond that.

*Grouped and depthwise convolutions.* hwsim runs each group as its own GEMM (``P*Q`` x
``R*S*C/G`` times ``R*S*C/G`` x ``K/G``), one after the other, so a layer of ``G`` groups takes
``G`` times one group's cycles (each with its own ``- 1``). SCALE-Sim has no groups; its only
handle on depthwise layers is the layer *name*: a topology row whose name contains ``DP`` is
expanded into one layer per input channel, each with 1 channel and the row's ``Num Filter``
(which must therefore be the channel multiplier, usually 1), named ``<name>Channel_<i>``. With
``Num Filter = 1`` the sum of those rows' ``Total Cycles`` equals hwsim's ``compute_cycles``
for the depthwise layer. A depthwise row without ``DP`` in its name is a single one-channel
convolution (SCALE-Sim's bundled MobileNet topology writes them that way, which counts one
channel of each depthwise layer only).

*Padding.* SCALE-Sim has no padding: its output size is ``ceil((H - R + stride) / stride)``
of the ifmap it is given. hwsim takes the output size from the layer (padding included), so a
padded layer here equals SCALE-Sim fed the padded ifmap (e.g. a 3 x 3 pad-1 convolution of a
55 x 55 map is SCALE-Sim's 57 x 57 ifmap). To get SCALE-Sim's behaviour on the raw
(unpadded) ifmap, give :func:`conv_gemm` ``padding=0`` or write the layer without padding.

*SRAM traffic* (words; SCALE-Sim's word is 1 byte, :data:`WORD_BYTES`). SCALE-Sim has three
separate SRAMs, ifmap, filter and ofmap. Every streamed or loaded operand element is one SRAM
read per fold it takes part in:

======== ============================ ============================ =======================
dataflow ifmap SRAM reads             filter SRAM reads            ofmap SRAM writes
======== ============================ ============================ =======================
``ws``   ``ceil(K/Ac) * P*Q * RSC``   ``RSC * K``                  ``ceil(RSC/Ar) * P*Q*K``
``os``   ``ceil(K/Ac) * P*Q * RSC``   ``ceil(PQ/Ar) * RSC * K``    ``P*Q * K``
``is``   ``P*Q * RSC``                ``ceil(PQ/Ac) * RSC * K``    ``ceil(RSC/Ar) * P*Q*K``
======== ============================ ============================ =======================

In WS and IS the reduction dimension ``R*S*C`` is folded over the rows, so each row fold
writes a full set of *partial sums*: SCALE-Sim writes them all to the ofmap SRAM and from
there to DRAM (it never reads them back to accumulate). :attr:`SystolicCost.ofmap_sram_writes`
is that count; :attr:`SystolicCost.ofmap_elements` is the final output count, what leaves the
chip when partial sums are kept on chip (hwsim's default; see the README, "hwsim and SCALE-Sim").
SCALE-Sim 3.0.0's OS mode adds a spurious ``Ar + Ac`` to its ofmap write count per fold (a
bookkeeping slip in ``create_ofmap_demand_mat``); hwsim reports the true count.

*Utilisation.* ``mapping_efficiency`` is SCALE-Sim's "Mapping Efficiency": the occupied share
of the array averaged over folds, ``Sr * Sc / (folds * Ar * Ac)``. ``utilization`` is its
"Overall Util": ``MACs / (compute_cycles * Ar * Ac)``. (SCALE-Sim's "Compute Util" divides by a
per-fold time that differs by dataflow; it is not reproduced.) On a degenerate 1 x 1 array in
OS the ``- 1`` makes ``utilization`` exceed 1 by one cycle's worth; every larger array is fine.

Worked example
--------------

A 4 x 4 ifmap, 1 channel, three 2 x 2 filters, stride 1, on a 2 x 2 array (``Ar = Ac = 2``).
Output 3 x 3, so ``P*Q = 9``, ``R*S*C = 4``, ``K = 3``, MACs ``= 9 * 4 * 3 = 108``.

* WS: ``Sr = 4, Sc = 3, T = 9``; folds ``ceil(4/2) * ceil(3/2) = 2 * 2 = 4``;
  ``L = 2*2 + 2 + 9 - 2 = 13``; cycles ``= 4 * 13 - 1 = 51``.
  SRAM: ifmap ``2 * 9 * 4 = 72``, filter ``4 * 3 = 12``, ofmap ``2 * 9 * 3 = 54``.
* OS: ``Sr = 9, Sc = 3, T = 4``; folds ``5 * 2 = 10``; ``L = 2 + 2 + 4 - 2 = 6``;
  cycles ``= 10 * 6 - 1 = 59``.
* IS: ``Sr = 4, Sc = 9, T = 3``; folds ``2 * 5 = 10``; ``L = 2*2 + 2 + 3 - 2 = 7``;
  cycles ``= 10 * 7 - 1 = 69``.

At scale, AlexNet conv1 (227 x 227 x 3, 96 filters 11 x 11, stride 4) on 32 x 32 in WS:
``P*Q = 55*55 = 3025``, ``R*S*C = 363``, ``K = 96``; folds ``ceil(363/32) * ceil(96/32) = 12 * 3``;
``L = 64 + 32 + 3025 - 2 = 3119``; cycles ``= 36 * 3119 - 1 = 112283``, SCALE-Sim's figure.

Legend: ``Ar x Ac`` array rows x columns; ``Sr``, ``Sc`` GEMM dimensions laid over the rows and
columns; ``T`` the streamed dimension; ``L`` cycles per fold; ``P x Q`` output size; ``R x S``
kernel; ``C`` input channels (per group); ``K`` filters (per group); ``G`` groups.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

from hwsim.hardware.names import Dataflow
from hwsim.workload.layer import CONV, FC, Layer, ceil_div

#: The dataflows SCALE-Sim models: weight-, output- and input-stationary.
DATAFLOWS = (Dataflow.WS, Dataflow.OS, Dataflow.IS)

#: SCALE-Sim's word size in bytes: every operand element is one byte.
WORD_BYTES = 1


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        try:
            ok = not isinstance(value, bool) and operator.index(value) > 0
        except TypeError:
            ok = False
        if not ok:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _check_dataflow(dataflow: str) -> None:
    if dataflow not in DATAFLOWS:
        raise ValueError(f"unknown systolic dataflow {dataflow!r} "
                         f"(accepted: {', '.join(DATAFLOWS)})")


@dataclass(frozen=True, slots=True)
class GemmShape:
    """A convolution as ``groups`` independent im2col matrix products, run one after another.

    Per group: ``ofmap_pixels`` (P*Q) x ``window`` (R*S*C/G) ifmap operand times ``window`` x
    ``filters`` (K/G) filter operand.
    """

    ofmap_pixels: int
    window: int
    filters: int
    groups: int = 1

    def __post_init__(self) -> None:
        _check_positive(ofmap_pixels=self.ofmap_pixels, window=self.window,
                        filters=self.filters, groups=self.groups)

    @property
    def macs(self) -> int:
        """Multiply-accumulates of the whole layer: ``G * P*Q * R*S*C/G * K/G``."""
        return self.groups * self.ofmap_pixels * self.window * self.filters

    @property
    def ofmap_elements(self) -> int:
        """Final outputs of the whole layer: ``G * P*Q * K/G``."""
        return self.groups * self.ofmap_pixels * self.filters


def conv_gemm(ifmap_h: int, ifmap_w: int, filter_h: int, filter_w: int, channels: int,
              num_filters: int, stride: int | tuple[int, int] = 1, *,
              padding: int | tuple[int, int, int, int] = 0, groups: int = 1) -> GemmShape:
    """The im2col GEMM of a convolution given as SCALE-Sim's topology row plus padding/groups.

    ``ifmap_h x ifmap_w x channels`` input, ``num_filters`` filters of ``filter_h x filter_w``,
    ``stride`` (one int or (h, w)), ``padding`` (one int or (top, bottom, left, right)) and
    ``groups``. Output size: ``floor((H + pads - R) / stride) + 1``, which is SCALE-Sim's
    ``ceil((H - R + stride) / stride)`` of the padded ifmap. Dimensions in elements.
    """
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    if isinstance(padding, int):
        pt = pb = pl = pr = padding
    else:
        pt, pb, pl, pr = padding
    _check_positive(ifmap_h=ifmap_h, ifmap_w=ifmap_w, filter_h=filter_h, filter_w=filter_w,
                    channels=channels, num_filters=num_filters, stride_h=sh, stride_w=sw,
                    groups=groups)
    if min(pt, pb, pl, pr) < 0:
        raise ValueError(f"padding must be non-negative, got {padding!r}")
    if channels % groups or num_filters % groups:
        raise ValueError(f"groups ({groups}) must divide channels ({channels}) "
                         f"and num_filters ({num_filters})")
    out_h = (ifmap_h + pt + pb - filter_h) // sh + 1
    out_w = (ifmap_w + pl + pr - filter_w) // sw + 1
    if out_h <= 0 or out_w <= 0:
        raise ValueError(f"filter {filter_h}x{filter_w} is larger than the padded "
                         f"ifmap {ifmap_h + pt + pb}x{ifmap_w + pl + pr}")
    return GemmShape(ofmap_pixels=out_h * out_w, window=filter_h * filter_w * (channels // groups),
                     filters=num_filters // groups, groups=groups)


def fc_gemm(in_features: int, out_features: int) -> GemmShape:
    """A fully connected layer as SCALE-Sim sees it: a 1x1 conv of a 1x1 ifmap."""
    return GemmShape(ofmap_pixels=1, window=in_features, filters=out_features)


def layer_gemm(layer: Layer) -> GemmShape:
    """The GEMM of an hwsim :class:`~hwsim.workload.layer.Layer` (``conv`` or ``fc``).

    The output size is the layer's own (padding and dilation included); FC layers flatten
    their input to ``C*H*W`` features. Other layer types have no MACs and do not run on the
    array: :class:`ValueError`.
    """
    if layer.type == FC:
        return fc_gemm(layer.in_channels, layer.out_channels)
    if layer.type == CONV:
        kh, kw = layer.kernel
        g = layer.groups
        return GemmShape(ofmap_pixels=layer.out_shape.height * layer.out_shape.width,
                         window=kh * kw * (layer.in_channels // g),
                         filters=layer.out_channels // g, groups=g)
    raise ValueError(f"layer {layer.name!r} of type {layer.type!r} does not run on the "
                     "systolic array (only conv and fc do)")


def array_dims(gemm: GemmShape, dataflow: str) -> tuple[int, int, int]:
    """``(Sr, Sc, T)``: the GEMM dimensions laid over the array rows, its columns, and time."""
    _check_dataflow(dataflow)
    if dataflow == Dataflow.WS:
        return gemm.window, gemm.filters, gemm.ofmap_pixels
    if dataflow == Dataflow.OS:
        return gemm.ofmap_pixels, gemm.filters, gemm.window
    return gemm.window, gemm.ofmap_pixels, gemm.filters


def cycles_per_fold(array_rows: int, array_cols: int, temporal: int, dataflow: str) -> int:
    """``L``: one fold's cycles, fill and drain included (see the module docstring)."""
    _check_dataflow(dataflow)
    if dataflow == Dataflow.OS:
        return array_rows + array_cols + temporal - 2
    return 2 * array_rows + array_cols + temporal - 2


@dataclass(frozen=True, slots=True)
class SystolicCost:
    """One layer on an ``array_rows x array_cols`` systolic array: folds, cycles, SRAM words.

    Counts are for the whole layer (all groups). ``compute_cycles`` is SCALE-Sim's ``Total
    Cycles`` without memory stalls; SRAM counts are in words of :data:`WORD_BYTES` bytes.
    """

    dataflow: str
    array_rows: int
    array_cols: int
    gemm: GemmShape
    spatial_rows: int       # Sr, per group
    spatial_cols: int       # Sc, per group
    temporal: int           # T, per group
    row_folds: int          # per group
    col_folds: int          # per group
    cycles_per_fold: int    # L
    compute_cycles: int
    ifmap_sram_reads: int
    filter_sram_reads: int
    ofmap_sram_writes: int  # partial sums of every row fold included (SCALE-Sim's count)

    def __post_init__(self) -> None:
        if self.compute_cycles < 0:
            raise ValueError(f"negative compute cycles {self.compute_cycles}")
        if not 0.0 < self.mapping_efficiency <= 1.0:
            raise ValueError(f"mapping efficiency {self.mapping_efficiency} outside (0, 1]")

    @property
    def folds(self) -> int:
        """Folds of the whole layer: ``G * ceil(Sr/Ar) * ceil(Sc/Ac)``."""
        return self.gemm.groups * self.row_folds * self.col_folds

    @property
    def macs(self) -> int:
        return self.gemm.macs

    @property
    def ofmap_elements(self) -> int:
        """Final output words: what is written when partial sums stay on chip."""
        return self.gemm.ofmap_elements

    @property
    def partial_sum_writes(self) -> int:
        """Ofmap writes beyond the final outputs: partial sums of the extra row folds (WS, IS)."""
        return self.ofmap_sram_writes - self.ofmap_elements

    @property
    def mapping_efficiency(self) -> float:
        """Occupied share of the array averaged over folds (SCALE-Sim's Mapping Efficiency)."""
        return (self.spatial_rows * self.spatial_cols
                / (self.row_folds * self.col_folds * self.array_rows * self.array_cols))

    @property
    def utilization(self) -> float:
        """``MACs / (compute_cycles * Ar * Ac)`` (SCALE-Sim's Overall Util)."""
        if self.compute_cycles == 0:
            return 1.0
        return self.macs / (self.compute_cycles * self.array_rows * self.array_cols)

    def to_dict(self) -> dict[str, Any]:
        """Plain values for JSON reports (``compute_cycles`` and the SRAM counts first)."""
        return {
            "dataflow": self.dataflow,
            "array": [self.array_rows, self.array_cols],
            "compute_cycles": self.compute_cycles,
            "ifmap_sram_reads": self.ifmap_sram_reads,
            "filter_sram_reads": self.filter_sram_reads,
            "ofmap_sram_writes": self.ofmap_sram_writes,
            "ofmap_elements": self.ofmap_elements,
            "folds": self.folds,
            "row_folds": self.row_folds,
            "col_folds": self.col_folds,
            "cycles_per_fold": self.cycles_per_fold,
            "groups": self.gemm.groups,
            "mapping_efficiency": self.mapping_efficiency,
            "utilization": self.utilization,
        }


def systolic_cost(gemm: GemmShape, array_rows: int, array_cols: int,
                  dataflow: str) -> SystolicCost:
    """Folds, compute cycles and SRAM words of ``gemm`` on an ``array_rows x array_cols`` array.

    ``dataflow`` is ``'ws'``, ``'os'`` or ``'is'``. Follows SCALE-Sim 3.0.0's
    ``systolic_compute_{ws,os,is}`` (formulas in the module docstring).
    """
    _check_positive(array_rows=array_rows, array_cols=array_cols)
    sr, sc, t = array_dims(gemm, dataflow)
    row_folds = ceil_div(sr, array_rows)
    col_folds = ceil_div(sc, array_cols)
    fold_cycles = cycles_per_fold(array_rows, array_cols, t, dataflow)
    g = gemm.groups
    pq, rsc, k = gemm.ofmap_pixels, gemm.window, gemm.filters
    if dataflow == Dataflow.WS:
        ifmap, filt, ofmap = col_folds * pq * rsc, rsc * k, row_folds * pq * k
    elif dataflow == Dataflow.OS:
        ifmap, filt, ofmap = col_folds * pq * rsc, row_folds * rsc * k, pq * k
    else:
        ifmap, filt, ofmap = pq * rsc, col_folds * rsc * k, row_folds * pq * k
    return SystolicCost(
        dataflow=dataflow, array_rows=array_rows, array_cols=array_cols, gemm=gemm,
        spatial_rows=sr, spatial_cols=sc, temporal=t, row_folds=row_folds, col_folds=col_folds,
        cycles_per_fold=fold_cycles,
        compute_cycles=g * (row_folds * col_folds * fold_cycles - 1),
        ifmap_sram_reads=g * ifmap, filter_sram_reads=g * filt, ofmap_sram_writes=g * ofmap)


__all__ = [
    "DATAFLOWS", "WORD_BYTES", "GemmShape", "SystolicCost", "conv_gemm", "fc_gemm",
    "layer_gemm", "array_dims", "cycles_per_fold", "systolic_cost",
]
