"""The systolic array's dataflows as strategies of the cost model.

``hwsim/dataflow/systolic.py`` computes, in SCALE-Sim's conventions, a layer's folds,
compute cycles and SRAM accesses on a ``rows x cols`` systolic array in WS, OS or IS. This
module wraps that result in the cost model's :class:`~hwsim.dataflow.base.Mapping` (the
registry, ``registry.py``, lists one :class:`SystolicStrategy` per dataflow for
``microarchitecture: systolic``), so that the shared DRAM tiling, timing, energy and reports
apply unchanged. Nothing is recomputed here: the array
cycles are SCALE-Sim's ``Total Cycles`` for the layer, the global-buffer reads and writes
its ifmap / filter / ofmap SRAM counts (final outputs written once; partial sums of the
extra row folds read and written on chip).

Access counts for energy: each MAC reads the PE's stationary operand (WS: weight, IS:
input; OS: reads and writes its accumulator), and two operands hop to the next PE.
Streaming granularity for the DMA: WS and OS consume ``cols`` filters per fold; WS and IS
consume ``rows // (R*S)`` input channels per fold; OS and IS consume the output pixels of
``rows`` (OS) or ``cols`` (IS) windows per fold.
"""

from __future__ import annotations

from hwsim.dataflow.base import ConvShape, MachineParams, Mapping
from hwsim.dataflow.systolic import DATAFLOWS, GemmShape, systolic_cost
from hwsim.hardware.names import Dataflow


class SystolicStrategy:
    """One SCALE-Sim dataflow (``ws``, ``os`` or ``is``) on the systolic array."""

    def __init__(self, name: str):
        if name not in DATAFLOWS:
            raise ValueError(f"unknown systolic dataflow {name!r}")
        self.name = name

    def map(self, s: ConvShape, m: MachineParams) -> Mapping:
        RS = s.kernel_h * s.kernel_w
        gemm = GemmShape(ofmap_pixels=s.out_height * s.out_width, window=RS * s.c_per_group,
                         filters=s.k_per_group, groups=s.groups)
        cost = systolic_cost(gemm, m.rows, m.cols, self.name)
        macs = s.macs
        Q = s.out_width
        if self.name == Dataflow.WS:
            k_unit, p_unit, c_unit = m.cols, 1, max(1, m.rows // RS)
        elif self.name == Dataflow.OS:
            k_unit, p_unit, c_unit = m.cols, max(1, m.rows // Q), s.in_channels
        else:
            k_unit, p_unit, c_unit = s.out_channels, max(1, m.cols // Q), max(1, m.rows // RS)
        psums = float(cost.partial_sum_writes)
        return Mapping(
            dataflow=self.name,
            array_cycles=max(0, cost.compute_cycles),
            writeback_cycles=0,
            passes=cost.folds,
            spatial_utilization=cost.mapping_efficiency,
            effective_macs=macs * m.density(self.name),
            rf_accesses=float(macs * (2 if self.name == Dataflow.OS else 1)),
            inter_pe_transfers=2.0 * macs,
            glb_input_reads=float(cost.ifmap_sram_reads),
            glb_weight_reads=float(cost.filter_sram_reads),
            glb_psum_reads=psums,
            glb_psum_writes=psums,
            glb_output_writes=float(cost.ofmap_elements),
            k_unit=min(s.out_channels, k_unit),
            p_unit=p_unit,
            c_unit=c_unit,
            description=(f"systolic {self.name.upper()}: {cost.folds} fold(s) of "
                         f"{cost.cycles_per_fold} cycles (SCALE-Sim conventions)"),
            details=cost.to_dict(),
        )


__all__ = ["SystolicStrategy"]
