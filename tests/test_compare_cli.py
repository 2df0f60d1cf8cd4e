"""``hwsim compare`` and ``hwsim plot`` end to end on the bundled SqueezeNet v1.0 and designs."""

from __future__ import annotations

import argparse
import csv
import io
import struct
from pathlib import Path

import pytest

import hwsim
from hwsim.cli import plot_cmd
from hwsim.cli.main import main

REPO = Path(__file__).resolve().parents[1]
SQUEEZENET = str(REPO / "networks" / "squeezenet_v1.0.yaml")
WS = str(REPO / "accelerators" / "ws_16x16.yaml")
OS = str(REPO / "accelerators" / "os_16x16.yaml")
HYBRID = str(REPO / "accelerators" / "squeezelerator.yaml")

# networks.md: SqueezeNet v1.0 and 1.0-SqNxt-23v5 totals
SQUEEZENET_PARAMS = 1_248_424
SQUEEZENET_MACS = 832_667_936
SQNXT = str(REPO / "networks" / "sqnxt23v5.yaml")
SQNXT_PARAMS = 915_648
SQNXT_MACS = 224_916_480


def png_size(path) -> tuple[int, int]:
    data = Path(path).read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def run_cli(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def simulated():
    net = hwsim.load_network(SQUEEZENET)
    return {name: hwsim.simulate(net, hwsim.load_accelerator(path))
            for name, path in (("ws", WS), ("os", OS), ("hybrid", HYBRID))}


def test_compare_csv_rows_totals_and_ratios(capsys, simulated):
    status, out, _ = run_cli(capsys, "compare", SQUEEZENET, "--accel", WS, OS, "--format", "csv")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["dataflow"] for r in rows] == ["ws", "os"]
    for row in rows:
        assert int(row["params"]) == SQUEEZENET_PARAMS
        assert int(row["macs"]) == SQUEEZENET_MACS
        parts = sum(float(row[f"energy_{c}"]) for c in ("mac", "rf", "array", "glb", "dram", "leakage"))
        assert float(row["energy"]) == pytest.approx(parts)
    ws, os_ = rows
    assert float(ws["cycles"]) == pytest.approx(simulated["ws"].total_cycles)
    assert float(os_["cycles"]) == pytest.approx(simulated["os"].total_cycles)
    # the first row is the default baseline
    assert float(ws["speedup"]) == 1.0 and ws["baseline"] == "SqueezeNet v1.0 @ ws_16x16 [ws]"
    assert float(os_["speedup"]) == pytest.approx(float(ws["cycles"]) / float(os_["cycles"]))
    assert float(os_["energy_ratio"]) == pytest.approx(float(os_["energy"]) / float(ws["energy"]))


def test_compare_baseline_accelerator_with_another_dataflow(capsys, simulated):
    """Regression: a baseline accelerator whose own dataflow differs from the row's (ws_16x16
    runs WS, the Squeezelerator hybrid) must still pair each network with it."""
    status, out, _ = run_cli(capsys, "compare", SQUEEZENET, "--accel", WS, OS, HYBRID,
                             "--baseline", "ws_16x16", "--format", "csv")
    assert status == 0
    rows = {r["accelerator"]: r for r in csv.DictReader(io.StringIO(out))}
    expected = simulated["ws"].total_cycles / simulated["hybrid"].total_cycles
    assert float(rows["squeezelerator"]["speedup"]) == pytest.approx(expected)
    # and from the table's own columns: baseline cycles / the row's cycles, for every row
    for row in rows.values():
        assert float(row["speedup"]) == pytest.approx(
            float(rows["ws_16x16"]["cycles"]) / float(row["cycles"]))
        assert float(row["energy_ratio"]) == pytest.approx(
            float(row["energy"]) / float(rows["ws_16x16"]["energy"]))


def test_compare_columns_agree_with_values_derived_by_hand(capsys):
    """Every column checked against the references or the other columns, not against
    simulate(): the README's table (two networks x WS, hybrid, baseline ws_16x16)."""
    status, out, _ = run_cli(capsys, "compare", SQUEEZENET, SQNXT, "--accel", WS, HYBRID,
                             "--baseline", "ws_16x16", "--format", "csv")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["network"], r["accelerator"], r["dataflow"]) for r in rows] == [
        ("SqueezeNet v1.0", "ws_16x16", "ws"), ("SqueezeNet v1.0", "squeezelerator", "hybrid"),
        ("1.0-SqNxt-23v5", "ws_16x16", "ws"), ("1.0-SqNxt-23v5", "squeezelerator", "hybrid")]
    reference = {"SqueezeNet v1.0": (SQUEEZENET_PARAMS, SQUEEZENET_MACS),
                 "1.0-SqNxt-23v5": (SQNXT_PARAMS, SQNXT_MACS)}
    baseline = {r["network"]: r for r in rows if r["accelerator"] == "ws_16x16"}
    for row in rows:
        assert (int(row["params"]), int(row["macs"])) == reference[row["network"]]
        cycles, energy = float(row["cycles"]), float(row["energy"])
        # both designs clock at 1000 MHz: 1e6 cycles per ms
        assert float(row["latency_ms"]) == pytest.approx(cycles / 1e6)
        parts = [float(row[f"energy_{c}"]) for c in ("mac", "rf", "array", "glb", "dram",
                                                      "leakage")]
        assert sum(parts) == pytest.approx(energy)
        # DRAM energy: 16-bit words at 200 MAC-eq each (the Eyeriss ratio in the YAML)
        assert float(row["energy_dram"]) == pytest.approx(float(row["dram_bytes"]) / 2 * 200)
        assert float(row["energy_leakage"]) == 0          # leakage_per_cycle: 0
        assert 0 < float(row["utilization"]) <= 1
        base = baseline[row["network"]]
        assert row["baseline"] == f"{row['network']} @ ws_16x16 [ws]"
        assert float(row["speedup"]) == pytest.approx(float(base["cycles"]) / cycles)
        assert float(row["energy_ratio"]) == pytest.approx(energy / float(base["energy"]))
    # the hybrid picks the faster mode per layer and beats WS on both networks (the study)
    assert all(float(r["speedup"]) > 1 for r in rows if r["dataflow"] == "hybrid")


def test_compare_latex_markdown_and_text(capsys, tmp_path):
    status, out, _ = run_cli(capsys, "compare", SQUEEZENET, "--accel", WS, OS, "--format", "latex")
    assert status == 0
    assert out.startswith(f"% hwsim {hwsim.__version__} compare")
    assert r"\toprule" in out and r"\bottomrule" in out
    # the paper columns: network, accelerator, dataflow, latency, energy, util., ratios
    latency = hwsim.simulate(hwsim.load_network(SQUEEZENET), hwsim.load_accelerator(WS)).latency_ms
    assert rf"SqueezeNet v1.0 & ws\_16x16 & ws & {latency:.3f} &" in out
    assert r"& (ms) & (G MAC-eq) & (\%) & ($\times$) & ($\times$) \\" in out
    status, out, _ = run_cli(capsys, "compare", SQUEEZENET, "--accel", WS, OS, "--format", "latex",
                             "--columns", "network,params,macs")
    assert status == 0 and r"SqueezeNet v1.0 & 1.248 & 832.7 \\" in out
    target = tmp_path / "table.md"
    status, out, err = run_cli(capsys, "compare", SQUEEZENET, "--accel", WS, OS, "--out", str(target))
    assert status == 0 and out == "" and str(target) in err
    lines = target.read_text().splitlines()
    assert lines[0].startswith("<!-- hwsim") and "squeezenet_v1.0.yaml" in lines[0]
    assert lines[1].startswith("| network | accelerator | dataflow | params (M) | MACs (M)")
    assert len(lines) == 2 + 2 + 1  # comment, header, rule, two rows
    assert lines[3].startswith("| SqueezeNet v1.0 | ws_16x16 | ws | 1.248 | 832.7 |")
    status, out, _ = run_cli(capsys, "compare", SQUEEZENET, "--accel", WS, OS)
    assert "speed-up (x)" in out.splitlines()[0]
    assert "baseline: SqueezeNet v1.0 @ ws_16x16" in out


def test_compare_bad_input_exits_2_with_the_place(capsys, tmp_path):
    status, _, err = run_cli(capsys, "compare", SQUEEZENET, "--accel", WS, "--baseline", "nope")
    assert status == 2
    assert "--baseline: nope: matches no row" in err and "Traceback" not in err
    missing = str(tmp_path / "missing.yaml")
    status, _, err = run_cli(capsys, "compare", missing, "--accel", WS, str(tmp_path / "nope.yaml"))
    assert status == 2
    assert "missing.yaml: file not found" in err and "nope.yaml: file not found" in err
    status, _, err = run_cli(capsys, "compare", SQUEEZENET, "--accel", WS, "--dataflow", "zigzag")
    assert status == 2 and "zigzag" in err


def test_plot_layers_draws_every_array_layer(capsys, tmp_path, simulated):
    out = tmp_path / "layers.png"
    status, _, err = run_cli(capsys, "plot", "layers", SQUEEZENET, "--accel", WS, OS,
                             "--out", str(out), "--dpi", "80")
    assert status == 0 and str(out) in err
    width, height = png_size(out)
    assert 400 <= width <= 2000 and 200 <= height <= 1500
    args = argparse.Namespace(networks=[SQUEEZENET], accel=[WS, OS], dataflow=None,
                              engine="analytic", input_size=None, all_layers=False,
                              no_utilization=False, title=None)
    figure = plot_cmd.KINDS["layers"].figure(args)
    bars = [p.get_height() for p in figure.axes[0].patches]
    array_layers = [l for l in simulated["ws"].layers if l.macs > 0]
    assert len(bars) == 2 * len(array_layers) == 2 * 26  # conv1, 8 fires x 3, conv10
    # heights are in the axis unit (M cycles here: WS conv1 takes millions of cycles)
    assert figure.axes[0].get_ylabel() == "time (M cycles)"
    assert bars[0] == pytest.approx(array_layers[0].cycles / 1e6)


def test_plot_energy_roofline_timeline_and_formats(capsys, tmp_path):
    pdf = tmp_path / "energy.pdf"
    assert run_cli(capsys, "plot", "energy", SQUEEZENET, "--accel", WS, OS, "--out", str(pdf))[0] == 0
    assert pdf.read_bytes()[:5] == b"%PDF-"
    svg = tmp_path / "roof.svg"
    assert run_cli(capsys, "plot", "roofline", SQUEEZENET, "--accel", HYBRID, "--out", str(svg))[0] == 0
    text = svg.read_text()
    assert text.startswith("<?xml") and "<svg" in text and "arithmetic intensity" in text
    if "timeline" in plot_cmd.KINDS:
        png = tmp_path / "timeline.png"
        assert run_cli(capsys, "plot", "timeline", SQUEEZENET, "--accel", HYBRID, "--out", str(png),
                       "--dpi", "60")[0] == 0
        assert png_size(png)[0] > 300


def test_plot_bad_input_exits_2(capsys, tmp_path):
    status, _, err = run_cli(capsys, "plot", "layers", SQUEEZENET, "--accel", WS,
                             "--out", str(tmp_path / "x.jpg"))
    assert status == 2 and "unsupported figure format" in err
    status, _, err = run_cli(capsys, "plot", "energy", SQUEEZENET, "--accel", WS, OS, "--by", "layer",
                             "--out", str(tmp_path / "e.png"))
    assert status == 2 and "one run" in err
    status, _, _ = run_cli(capsys, "plot", "sankey", SQUEEZENET, "--out", str(tmp_path / "x.png"))
    assert status == 2


# --- regression: `compare --out x.docx` wrote a text table into a .docx ------------------------

@pytest.fixture
def no_simulation(monkeypatch):
    """Fails the test if a simulation starts: a bad output must be caught before."""
    def simulate(*args, **kwargs):
        raise AssertionError("simulated although --out was bad")
    monkeypatch.setattr(hwsim, "simulate", simulate)


@pytest.mark.parametrize("name, found", [("table.docx", "('.docx')"), ("table", "(no suffix)")])
def test_bug_compare_out_with_an_unknown_suffix_wrote_a_text_table(capsys, tmp_path,
                                                                   no_simulation, name, found):
    target = tmp_path / name
    status, out, err = run_cli(capsys, "compare", SQUEEZENET, "--accel", WS, "--out", str(target))
    assert status == 2
    assert err == (f"hwsim: error: --out: {target}: unsupported table format {found}; the file "
                   "name must end in .md, .markdown, .tex, .csv or .txt (or give --format)\n")
    assert out == "" and not target.exists()


def test_compare_out_suffixes_choose_the_format_and_format_overrides(capsys, tmp_path):
    txt, docx = tmp_path / "t.txt", tmp_path / "t.docx"
    assert run_cli(capsys, "compare", SQUEEZENET, "--accel", WS, "--out", str(txt))[0] == 0
    assert txt.read_text().startswith("network ")            # the text table
    assert run_cli(capsys, "compare", SQUEEZENET, "--accel", WS, "--out", str(docx),
                   "--format", "csv")[0] == 0
    assert docx.read_text().startswith("network,accelerator,dataflow,")


def test_compare_and_plot_out_naming_a_directory(capsys, tmp_path, no_simulation):
    status, out, err = run_cli(capsys, "compare", SQUEEZENET, "--accel", WS, "--out",
                               str(tmp_path))
    assert status == 2 and out == ""
    assert f"hwsim: error: --out: {tmp_path}: is a directory" in err
    folder = tmp_path / "fig.png"
    folder.mkdir()
    status, out, err = run_cli(capsys, "plot", "layers", SQUEEZENET, "--accel", WS, "--out",
                               str(folder))
    assert status == 2 and out == ""
    assert f"hwsim: error: --out: {folder}: is a directory" in err
