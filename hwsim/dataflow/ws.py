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

Accesses (words), counted once per action (Eyeriss method)
----------------------------------------------------------
* MACs: every MAC is performed (energy of zero weights is saved only when WS is listed in
  ``skip_zero_weights_in``; the time never is).
* Register file: the weight sits in an RF entry of its PE: one write when a pass loads it
  (each weight is loaded once: ``weight_words``), one read per MAC.
* Array (inter-PE and buffer-to-array transfers; one transfer per word put on a bus however
  many PEs hear it, one per neighbour hop):
  - inputs: the broadcast buffer puts one word per active row per pixel and pass on the
    row's bus, heard by all its columns: ``col_folds * R * S * P * Q * C`` transfers, not one
    per MAC;
  - weights: one transfer per weight loaded (``weight_words``);
  - partial sums: per pass, pixel and active column, ``rows_used - 1`` hops down the adder
    chain plus the exit from the column: summed over the passes exactly one per MAC (a
    partly used column exits after its last used row: the idle PEs below are bypassed);
  - a partial sum coming back from the global buffer into a column for the next fold:
    one transfer, ``(row_folds * R * S - 1) * outputs``.
* Global buffer: each input word once per column fold and kernel position (the same words
  the row buses carry), each weight once, and between the ``row_folds * R * S`` reduction
  folds (input-channel folds and kernel positions) one read and one write of each output's
  partial sum per fold after the first; the final outputs are written once.

Worked example (``tests/test_energy.py``): 1x1 conv, 3 -> 2 channels, 2x2 map, on a 2x2
array. Two row folds (2 + 1 input channels), one column fold, 2 passes of 4 pixels. MACs
2 x 4 x 3 = 24; RF 24 weight reads + 6 weight loads = 30; array 12 input words (4 pixels x
3 channels) + 6 weights + partial sums (pass 1: 2 columns x 4 pixels x (1 hop + exit) = 16,
pass 2: 2 x 4 x (0 + exit) = 8, i.e. 24 = one per MAC) + 8 re-entries = 50 (was 2 x 24 =
48 when every MAC counted an input and a partial-sum transfer); GLB 12 input reads + 6
weight reads + 8 psum reads + 8 psum writes + 8 output writes.

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
        input_words = col_folds * RS * PQ * s.in_channels  # one row-bus word per row, pixel, pass
        psum_reentries = (accumulations - 1) * outputs     # old partial sums back into a column
        # Partial sums: per pass, pixel and column, rows_used - 1 hops down the adder chain
        # plus the exit; summed over passes that is one transfer per MAC.
        transfers = input_words + s.weight_words + macs + psum_reentries
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
            inter_pe_transfers=float(transfers),
            glb_input_reads=float(input_words),
            glb_weight_reads=float(s.weight_words),
            glb_psum_reads=float((accumulations - 1) * outputs),
            glb_psum_writes=float((accumulations - 1) * outputs),
            glb_output_writes=float(outputs),
            k_unit=min(s.out_channels, cols_active),
            p_unit=1,
            c_unit=rows_active,
            # a pass streams every pixel whatever the number of rows and columns it fills
            whole_passes=(True, False, True),
            description=desc,
            details={"row_folds": row_folds, "col_folds": col_folds, "group_passes": group_passes,
                     "groups_per_pass": packed, "kernel_positions": RS,
                     "pixels_per_pass": PQ, "step_cycles": step_cycles,
                     "weight_load_cycles_per_pass": weight_load_cycles,
                     "rows_active": rows_active, "cols_active": cols_active},
        )


WS = WeightStationary()

__all__ = ["WeightStationary", "WS"]
