"""Chip area in mm^2 from a documented table: area per PE and per KiB of on-chip SRAM.

The area proxy of a sweep row (``area_pes``, ``area_buffer_bytes``) counts PEs and bytes,
which cannot be traded against energy or time in one Pareto front. :func:`area_mm2` turns
them into square millimetres with two coefficients at one named technology node, each from
published silicon:

* **Node: 65 nm CMOS** (the node of Eyeriss, the closest published chip to the study's
  16-bit accelerators).
* **SRAM, mm^2 per KiB** = 110 mm^2 / (70 Mibit / 8 / 1024 KiB) = 110 / 8960 = 0.012277.
  Source: K. Zhang et al., "A 3-GHz 70-Mb SRAM in 65-nm CMOS technology with integrated
  column-based dynamic power supply", IEEE ISSCC 2005 (JSSC 41(1), 2006): Intel's 65 nm
  70 Mbit SRAM on a 110 mm^2 die (0.57 um^2 cell). A whole-die density, so periphery, I/O
  and redundancy are included; small buffers have relatively more periphery, so this is
  on the low side for a few-KiB macro.
* **PE, mm^2 per PE (16-bit fixed-point datapath)** = (12.25 mm^2 - 181.5 KiB x 0.012277)
  / 168 = (12.25 - 2.228) / 168 = 0.05965. Source: Y.-H. Chen, T. Krishna, J. Emer,
  V. Sze, "Eyeriss: an energy-efficient reconfigurable accelerator for deep convolutional
  neural networks", IEEE JSSC 52(1), 2017 (ISSCC 2016): 65 nm, 168 PEs with 16-bit
  fixed-point MACs, a 3.5 mm x 3.5 mm = 12.25 mm^2 core holding 181.5 KiB of SRAM (the
  108 KiB global buffer and the PEs' filter scratch pads). The chip's SRAM is costed at the
  density above and the rest of the core is shared out over its PEs, so the PE figure
  carries each PE's share of control, network-on-chip and register scratch pads. It is a
  derived number, not a published breakdown: an Eyeriss PE (three scratch pads, its own
  control) is larger than a bare systolic MAC, so this errs on the large side.

On-chip storage is the global, preload and broadcast buffers plus every PE's register file
(the bytes of ``area_buffer_bytes``), all costed as SRAM. The PE coefficient is for a 16-bit
datapath: for any other ``data_width_bits`` there is no table entry and :func:`area_mm2`
returns None (never extrapolated).
"""

from __future__ import annotations

from dataclasses import dataclass

from hwsim.hardware.accelerator import Accelerator


@dataclass(frozen=True, slots=True)
class AreaTable:
    """Area coefficients at one technology node, with where each comes from."""

    node: str
    data_width_bits: int
    mm2_per_pe: float
    mm2_per_kib: float
    pe_source: str
    sram_source: str


#: Intel's 65 nm 70 Mbit SRAM test chip: 110 mm^2 for 70 * 1024 / 8 = 8960 KiB.
SRAM_65NM_MM2_PER_KIB = 110.0 / (70 * 1024 / 8)
#: Eyeriss: 12.25 mm^2 core, 181.5 KiB of SRAM, 168 PEs.
PE_65NM_MM2 = (12.25 - 181.5 * SRAM_65NM_MM2_PER_KIB) / 168

AREA_65NM = AreaTable(
    node="65 nm", data_width_bits=16, mm2_per_pe=PE_65NM_MM2,
    mm2_per_kib=SRAM_65NM_MM2_PER_KIB,
    pe_source="Chen et al., Eyeriss, IEEE JSSC 52(1) 2017: 12.25 mm^2 core, 168 16-bit PEs, "
              "181.5 KiB SRAM (SRAM share removed at the density below)",
    sram_source="Zhang et al., 3-GHz 70-Mb SRAM in 65-nm CMOS, IEEE ISSCC 2005: 70 Mbit on "
                "a 110 mm^2 die")


def storage_bytes(accelerator: Accelerator) -> int:
    """On-chip storage in bytes: global + preload + broadcast buffers + register files."""
    buffer = accelerator.buffer
    kib = buffer.global_kib + buffer.preload_kib + buffer.broadcast_kib
    rf_bytes = accelerator.pes * accelerator.pe_array.rf_entries_per_pe * accelerator.word_bytes
    return int(round(kib * 1024)) + rf_bytes


def area_mm2(accelerator: Accelerator, table: AreaTable = AREA_65NM) -> float | None:
    """PEs x ``table.mm2_per_pe`` + on-chip KiB x ``table.mm2_per_kib``; None when the
    machine's data width is not the table's (see the module docstring)."""
    if accelerator.data_width_bits != table.data_width_bits:
        return None
    return (accelerator.pes * table.mm2_per_pe
            + storage_bytes(accelerator) / 1024 * table.mm2_per_kib)


__all__ = ["AreaTable", "AREA_65NM", "area_mm2", "storage_bytes", "PE_65NM_MM2",
           "SRAM_65NM_MM2_PER_KIB"]
