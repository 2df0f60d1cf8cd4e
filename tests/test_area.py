"""Area in mm^2 from the documented 65 nm table (hwsim.hardware.area), checked by hand, and
``area_mm2`` as a sweep column and a Pareto objective."""

from __future__ import annotations

import pytest

from hwsim.hardware.accelerator import Accelerator, Buffer, PEArray
from hwsim.hardware.area import AREA_65NM, PE_65NM_MM2, SRAM_65NM_MM2_PER_KIB, area_mm2
from hwsim.sweep.pareto import pareto_rows, parse_objectives

# The table's coefficients from their published inputs:
# SRAM: Intel 65 nm, 70 Mbit on 110 mm^2: 70 * 1024 Kibit / 8 = 8960 KiB -> 110 / 8960.
SRAM = 110 / 8960  # 0.0122768 mm^2 per KiB
# PE: Eyeriss core 3.5 mm x 3.5 mm = 12.25 mm^2, minus its 181.5 KiB of SRAM, over 168 PEs.
PE = (12.25 - 181.5 * SRAM) / 168  # (12.25 - 2.2282) / 168 = 0.059653 mm^2


def test_coefficients_follow_from_the_published_chips():
    assert SRAM_65NM_MM2_PER_KIB == pytest.approx(0.0122768, rel=1e-5)
    assert PE_65NM_MM2 == pytest.approx(0.059653, rel=1e-4)
    assert AREA_65NM.node == "65 nm" and AREA_65NM.data_width_bits == 16
    assert "Eyeriss" in AREA_65NM.pe_source and "70-Mb SRAM" in AREA_65NM.sram_source


def test_a_16x16_machine_by_hand():
    machine = Accelerator(pe_array=PEArray(rows=16, cols=16, rf_entries_per_pe=16),
                          buffer=Buffer(global_kib=128, preload_kib=8, broadcast_kib=8))
    # storage: (128 + 8 + 8) KiB of buffers + 256 PEs x 16 entries x 2 bytes = 8 KiB of RF
    # = 152 KiB; area = 256 x 0.059653 + 152 x 0.0122768 = 15.2712 + 1.8661 = 17.137 mm^2
    assert area_mm2(machine) == pytest.approx(256 * PE + 152 * SRAM)
    assert area_mm2(machine) == pytest.approx(17.137, abs=1e-3)
    # twice the global buffer adds 128 KiB = 1.571 mm^2; twice the PEs (rows 32) add 256 PEs
    # (15.27 mm^2) and their register files (8 KiB, 0.098 mm^2)
    bigger_glb = Accelerator(pe_array=PEArray(rows=16, cols=16, rf_entries_per_pe=16),
                             buffer=Buffer(global_kib=256, preload_kib=8, broadcast_kib=8))
    assert area_mm2(bigger_glb) - area_mm2(machine) == pytest.approx(1.5714, abs=1e-4)
    taller = Accelerator(pe_array=PEArray(rows=32, cols=16, rf_entries_per_pe=16),
                         buffer=Buffer(global_kib=128, preload_kib=8, broadcast_kib=8))
    assert area_mm2(taller) - area_mm2(machine) == pytest.approx(15.2712 + 0.0982, abs=1e-3)


def test_no_table_entry_for_another_data_width():
    assert area_mm2(Accelerator(data_width_bits=8)) is None


def test_area_mm2_is_a_pareto_objective():
    rows = [{"config_key": k, "network": "n", "engine": "analytic", "latency_ms": t,
             "area_mm2": a} for k, t, a in (("a", 1.0, 20.0), ("b", 2.0, 10.0), ("c", 2.5, 12.0))]
    front = pareto_rows(rows, parse_objectives("latency_ms,min:area_mm2"))
    assert [r["config_key"] for r in front] == ["a", "b"]  # c is slower and larger than b
