"""Weight-stationary (WS) mode of the study's broadcast array.

The model in plain words
------------------------
Each PE holds one weight. A PE *row* stands for one input channel and a PE *column* for one
output channel, so one array pass holds the ``rows x cols`` weights of one kernel position
(r, s) for up to ``rows`` input channels and ``cols`` output channels. The broadcast buffer
then streams, one cycle per output pixel, the input pixel each row needs (input channels
side by side, "channel-major"); each PE multiplies it by its weight and the column's adder
chain sums the products down the column into one partial sum per output channel. The
``R * S`` kernel positions are taken one after another, each a pass of its own, and so are
the folds of a layer with more input channels than rows or more output channels than
columns; partial sums accumulate in the global buffer between passes.

* Passes: ``ceil(G / g) * ceil((C/G) / rows) * ceil((K/G) / cols) * R * S``. Groups run
  one after another (``g = 1``), each on a ``C/G x K/G`` corner of the array: a depthwise
  layer uses one PE per pass, as in the study (its depthwise layers are one to two orders of
  magnitude slower in WS than in OS). With ``pe_array.pack_groups`` small groups share the
  array block-diagonally instead, ``g = min(G, rows // (C/G), cols // (K/G))``. The other PEs
  of a partly filled pass idle: a first layer with 3 input channels uses 3 of 16 rows
  (18.75 %).
* Cycles per pass: ``P * Q`` streamed pixels (times the bandwidth limit, if the active rows
  or columns exceed the words per cycle the buffer can deliver), plus loading the pass's
  weights at ``weight_words_per_cycle``.
* Zero weights cannot be skipped in time (the weight sits in its PE whatever its value);
  when WS is listed in ``skip_zero_weights_in`` only the MAC energy of zero weights is saved.

Accesses per layer (words): every MAC reads its PE's weight register (RF) and receives its
input and passes its partial sum to the next PE (2 inter-PE transfers); the global buffer
delivers each input word once per column fold and kernel position, each weight once, and
reads and writes a partial sum per output for every pass after the first.

Legend: K output channels, C input channels, G groups, P x Q output, R x S kernel.
"""

from __future__ import annotations

from hwsim.dataflow.base import ConvShape, MachineParams, Mapping
from hwsim.hardware.names import Dataflow
from hwsim.workload.layer import ceil_div


class WeightStationary:
    """The WS strategy (see the module docstring)."""

    name: str = Dataflow.WS

    def map(self, s: ConvShape, m: MachineParams) -> Mapping:
        G = s.groups
        Cg, Kg = s.c_per_group, s.k_per_group
        RS = s.kernel_h * s.kernel_w
        PQ = s.out_height * s.out_width
        macs = s.macs
        if m.pack_groups and Cg <= m.rows and Kg <= m.cols:
            packed = min(G, m.rows // Cg, m.cols // Kg)
        else:
            packed = 1
        row_folds = ceil_div(Cg, m.rows)
        col_folds = ceil_div(Kg, m.cols)
        group_passes = ceil_div(G, packed)
        passes = group_passes * row_folds * col_folds * RS
        rows_active = min(m.rows, Cg * packed)
        cols_active = min(m.cols, Kg * packed)
        step_cycles = max(1, ceil_div(rows_active, m.input_words_per_cycle),
                          ceil_div(cols_active, m.psum_words_per_cycle),
                          ceil_div(cols_active, m.output_words_per_cycle))
        weight_load_cycles = ceil_div(rows_active * cols_active, m.weight_words_per_cycle)
        array_cycles = passes * (PQ * step_cycles + weight_load_cycles)
        spatial = macs / (passes * PQ * m.rows * m.cols)
        outputs = s.output_words
        accumulations = row_folds * RS  # passes contributing to each output
        desc = (f"WS: rows = input channels ({Cg}{f' x {packed} groups' if packed > 1 else ''}"
                f" of {m.rows}), columns = output channels ({min(Kg * packed, m.cols)} of {m.cols}); "
                f"{passes} passes ({group_passes} group x {row_folds} row x {col_folds} column "
                f"folds x {RS} kernel positions) of {PQ} pixels")
        return Mapping(
            dataflow=self.name,
            array_cycles=array_cycles,
            writeback_cycles=0,
            passes=passes,
            spatial_utilization=min(1.0, spatial),
            effective_macs=macs * m.density(self.name),
            rf_accesses=macs + s.weight_words,
            inter_pe_transfers=2.0 * macs,
            glb_input_reads=float(col_folds * RS * PQ * s.in_channels),
            glb_weight_reads=float(s.weight_words),
            glb_psum_reads=float((accumulations - 1) * outputs),
            glb_psum_writes=float((accumulations - 1) * outputs),
            glb_output_writes=float(outputs),
            k_unit=min(s.out_channels, cols_active),
            p_unit=1,
            c_unit=rows_active,
            description=desc,
            details={"row_folds": row_folds, "col_folds": col_folds, "group_passes": group_passes,
                     "groups_per_pass": packed, "kernel_positions": RS,
                     "pixels_per_pass": PQ, "step_cycles": step_cycles,
                     "weight_load_cycles_per_pass": weight_load_cycles,
                     "rows_active": rows_active, "cols_active": cols_active},
        )


WS = WeightStationary()

__all__ = ["WeightStationary", "WS"]
