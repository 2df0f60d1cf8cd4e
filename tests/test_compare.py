"""Comparison rows and the table writers, on hand-made results (tests/result_builders.py)."""

from __future__ import annotations

import csv
import io

import pytest
from result_builders import layer, result

from hwsim.errors import InputError
from hwsim.report import compare, tables
from hwsim.report.tables import Column
from hwsim.result import EnergyBreakdown as E


def ws_os_pair(net="NetA"):
    """The same two-layer network on 'WS' (200 + 100 cycles) and 'OS' (100 + 400 cycles)."""
    ws = result(net, "WS", [
        layer("conv1", 1000, 200, 0.2, mac_class="first_conv", energy=E(mac=1000, rf=500, dram=3000)),
        layer("conv2", 4000, 100, 0.9, energy=E(mac=4000, glb=600))])
    os_ = result(net, "OS", [
        layer("conv1", 1000, 100, 0.8, mac_class="first_conv", energy=E(mac=1000)),
        layer("conv2", 4000, 400, 0.3, energy=E(mac=4000))])
    return ws, os_


def test_rows_carry_totals_and_energy_split():
    ws, _ = ws_os_pair()
    (row,) = compare.compare([ws])
    assert row["cycles"] == 200 + 100
    assert row["latency_ms"] == pytest.approx((200 + 100) / (1000 * 1e3))
    assert row["macs"] == 1000 + 4000
    assert row["energy"] == 1000 + 500 + 3000 + 4000 + 600
    assert row["energy_dram"] == 3000
    assert row["share_dram"] == pytest.approx(3000 / 9100)
    assert row["share_mac"] == pytest.approx(5000 / 9100)
    # MAC-weighted, as SimulationResult.utilization (the old test double weighted by cycles)
    assert row["utilization"] == pytest.approx((0.2 * 1000 + 0.9 * 4000) / 5000)
    assert row["label"] == "NetA @ WS"
    assert row["dataflow"] == "default"
    # the default baseline is the first row: itself
    assert row["speedup"] == 1.0 and row["energy_ratio"] == 1.0


def test_baseline_by_accelerator_pairs_each_network_with_itself():
    ws_a, os_a = ws_os_pair("NetA")
    ws_b = result("NetB", "WS", [layer("c", 10, 50, energy=E(mac=10))])
    os_b = result("NetB", "OS", [layer("c", 10, 25, energy=E(mac=20))])
    rows = compare.compare([ws_a, os_a, ws_b, os_b], baseline="ws")
    by_label = {r["label"]: r for r in rows}
    assert by_label["NetA @ OS"]["speedup"] == pytest.approx(300 / 500)
    assert by_label["NetA @ OS"]["energy_ratio"] == pytest.approx(5000 / 9100)
    assert by_label["NetA @ OS"]["baseline"] == "NetA @ WS"
    assert by_label["NetB @ OS"]["speedup"] == pytest.approx(50 / 25)
    assert by_label["NetB @ OS"]["energy_ratio"] == pytest.approx(20 / 10)
    assert by_label["NetB @ WS"]["speedup"] == 1.0


def test_baseline_by_network_and_by_label():
    ws_a, os_a = ws_os_pair("NetA")
    ws_b = result("NetB", "WS", [layer("c", 10, 600, energy=E(mac=10))])
    rows = compare.compare([ws_a, os_a, ws_b], baseline="netb")
    by_label = {r["label"]: r for r in rows}
    assert by_label["NetA @ WS"]["speedup"] == pytest.approx(600 / 300)
    assert by_label["NetA @ OS"]["speedup"] is None  # no NetB on OS to compare with
    rows = compare.compare([ws_a, os_a, ws_b], baseline="NetA @ OS")
    assert [r["speedup"] for r in rows] == pytest.approx([500 / 300, 1.0, 500 / 600])


def test_speedup_uses_time_when_clocks_differ():
    fast = result("N", "A", [layer("c", 10, 300)], clock_mhz=1000)
    slow = result("N", "B", [layer("c", 10, 200)], clock_mhz=500)
    rows = compare.compare([fast, slow], baseline="A")
    # 300 cycles at 1 GHz = 0.3 us; 200 cycles at 0.5 GHz = 0.4 us
    assert rows[1]["speedup"] == pytest.approx(0.3 / 0.4)


def test_energy_ratio_empty_across_units():
    a = result("N", "A", [layer("c", 10, 300)], energy_unit="mac")
    b = result("N", "B", [layer("c", 10, 200)], energy_unit="pJ")
    rows = compare.compare([a, b])
    assert rows[1]["energy_ratio"] is None
    assert rows[1]["speedup"] == pytest.approx(300 / 200)
    names = [c.key for c in compare.comparison_columns(rows)]
    assert "energy_unit" in names  # mixed units: the unit gets its own column


def test_unknown_baseline_lists_the_names():
    ws, os_ = ws_os_pair()
    with pytest.raises(InputError) as info:
        compare.compare([ws, os_], baseline="hybrid")
    text = str(info.value)
    assert "--baseline" in text and "hybrid" in text and "matches no row" in text
    assert "neta @ ws" in text.lower() and "os" in text


def test_columns_leave_out_components_zero_everywhere():
    ws, os_ = ws_os_pair()
    keys = [c.key for c in compare.comparison_columns(compare.compare([ws, os_]))]
    assert {"share_mac", "share_rf", "share_glb", "share_dram"} <= set(keys)
    assert "share_array" not in keys and "share_leakage" not in keys
    assert "dataflow" not in keys  # no row chose a dataflow
    csv_keys = [c.key for c in compare.comparison_columns([], fmt="csv")]
    assert "energy_array" in csv_keys and "dataflow" in csv_keys


def test_energy_unit_labels():
    assert compare.energy_scale([9100.0, 5000.0]) == (1e3, "K")
    assert compare.energy_unit_label("mac", "M") == "M MAC-eq"
    assert compare.energy_unit_label("pJ", "M") == "uJ"
    assert compare.energy_unit_label("pJ") == "pJ"


# --- table writers -----------------------------------------------------------------------------

COLUMNS = [Column("name", "network"), Column("params", "params", "", "int"),
           Column("latency_ms", "latency", "ms", "float", 2),
           Column("util", "util.", "%", "percent", 1), Column("speedup", "speed-up", "x", "ratio", 2)]
RECORDS = [{"name": "Squeeze_Net 100%", "params": 1248424, "latency_ms": 3.14159, "util": 0.5,
            "speedup": 2.0},
           {"name": "b|c", "params": 7, "latency_ms": 10.0, "util": 0.123, "speedup": None}]


def test_latex_is_booktabs_with_units_escapes_and_grouping():
    text = tables.to_latex(COLUMNS, RECORDS, caption="A & B", label="tab:x", comment="made by me")
    lines = text.splitlines()
    assert lines[0] == "% made by me"
    assert r"\begin{tabular}{lrrrr}" in text
    for rule in (r"\toprule", r"\midrule", r"\bottomrule"):
        assert text.count(rule) == 1
    # names on the first header row, units on the second
    assert r"network & params & latency & util. & speed-up \\" in text
    assert r" &  & (ms) & (\%) & ($\times$) \\" in text
    assert r"Squeeze\_Net 100\% & 1\,248\,424 & 3.14 & 50.0 & 2.00 \\" in text
    assert r"b|c & 7 & 10.00 & 12.3 & -- \\" in text
    assert r"\caption{A \& B}" in text and r"\label{tab:x}" in text


def test_markdown_pipe_table_aligns_numbers_right_and_escapes_pipes():
    text = tables.to_markdown(COLUMNS, RECORDS)
    lines = text.splitlines()
    assert lines[0] == "| network | params | latency (ms) | util. (%) | speed-up (x) |"
    assert lines[1] == "|:---|---:|---:|---:|---:|"
    assert lines[2] == "| Squeeze_Net 100% | 1,248,424 | 3.14 | 50.0 | 2.00 |"
    assert lines[3] == r"| b\|c | 7 | 10.00 | 12.3 | - |"


def test_csv_keeps_raw_values_and_keys():
    text = tables.to_csv(COLUMNS, RECORDS)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["name", "params", "latency_ms", "util", "speedup"]
    assert rows[1] == ["Squeeze_Net 100%", "1248424", "3.14159", "0.5", "2"]
    assert rows[2] == ["b|c", "7", "10", "0.123", ""]


def test_text_table_right_aligns_numbers():
    lines = tables.to_text(COLUMNS, RECORDS).splitlines()
    assert lines[0].split() == ["network", "params", "latency", "(ms)", "util.", "(%)", "speed-up", "(x)"]
    assert lines[2].endswith("2.00")
    # the params column is right-aligned: '7' ends where '1,248,424' ends
    assert lines[3].index("7 ") + 1 == lines[2].index("1,248,424") + len("1,248,424")


def test_scaled_column_and_bad_column():
    column = Column("macs", "MACs", "M", "float", 1, scale=1e6)
    assert column.cell(832_667_936) == "832.7"
    with pytest.raises(ValueError):
        Column("x", "x", kind="money")


def test_render_dispatches_and_rejects_unknown_formats():
    assert tables.render("md", COLUMNS, RECORDS, comment="hwsim 0.1").startswith("<!-- hwsim 0.1 -->\n|")
    assert tables.render("latex", COLUMNS, RECORDS).count(r"\\") == 4  # 2 header rows, 2 rows
    with pytest.raises(ValueError):
        tables.render("html", COLUMNS, RECORDS)


def test_bug_compare_read_an_accelerator_source_path_that_does_not_exist():
    """compare's names read ``accelerator.source_path`` through getattr: Accelerator has no
    such field (its file is ``path``), so the lookup always fell back to ''. The names of a
    row must come from fields the records have."""
    import dataclasses

    from hwsim.hardware.accelerator import Accelerator

    ws, _ = ws_os_pair()
    read: list[str] = []

    class Watched(Accelerator):
        __slots__ = ()

        def __getattribute__(self, name):
            read.append(name)
            return super().__getattribute__(name)

    fields = {f.name: getattr(ws.accelerator, f.name) for f in dataclasses.fields(Accelerator)}
    watched = dataclasses.replace(ws, accelerator=Watched(**fields))
    (row,) = compare.compare([watched], baseline="ws")
    assert row["baseline"] == "NetA @ WS"
    known = {f.name for f in dataclasses.fields(Accelerator)} | set(dir(Accelerator))
    assert [n for n in read if n not in known] == []
