"""Sweep rows carry the network's name (``network_name``), and ``hwsim plot sweep`` titles its
panels with it (issue 16: the titles were the network files' stems). A results file written
before the column (by hwsim at commit 20cf827) still resumes, keeps its config keys, and
plots with the stems as titles."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from hwsim.cli.main import main
from hwsim.report.sweep_plot import heatmap_figure, network_titles, scatter_figure
from hwsim.sweep.results import read_table, results_header

ACCELERATOR = "name: toy\npe_array: {rows: 8, cols: 8}\nbuffer: {global_kib: 64}\n"
# Two one-layer networks whose names are not their files' stems.
NETWORKS = {
    "tiny_a": "name: Tiny Net A\ninput: [3, 8, 8]\n"
              "layers:\n  - {name: conv1, type: conv, out_channels: 4, kernel: 3}\n",
    "tiny_b": "name: Tiny Net B\ninput: [3, 8, 8]\n"
              "layers:\n  - {name: conv1, type: conv, out_channels: 8, kernel: 1}\n",
    # a network with a parameter: its rows carry the name it loads with at each value
    "tiny_w": "name: Tiny Net W\ninput: [3, 8, 8]\nparams: {width: 4}\n"
              "layers:\n  - {name: conv1, type: conv, out_channels: $width, kernel: 3}\n",
}
SWEEP = {"name": "old-sweep", "accelerator": "../accelerators/toy.yaml",
         "networks": ["../networks/tiny_a.yaml", "../networks/tiny_b.yaml"],
         "axes": [{"name": "array", "path": ["pe_array.rows", "pe_array.cols"], "values": [4, 8]}]}

# What `hwsim sweep` of SWEEP wrote at commit 20cf827, before the network_name column: the same
# header without it (2 arrays x 2 networks = 4 rows).
OLD_RESULTS = """\
config_key,network,engine,array,total_cycles,latency_ms,energy_total,energy_mac,energy_rf,energy_array,energy_glb,energy_dram,energy_leakage,energy_unit,utilization,total_macs,dram_bytes,param_count,top1,top5,area_pes,area_buffer_bytes,area_mm2,hwsim_version
76a0e25990f1f576,tiny_a,analytic,4,571.5,0.0005715,142644.0,3888.0,3996.0,12240.0,24120.0,98400.0,0.0,mac,0.4251968503937008,3888,984,108,,,16,82176,1.9396657100340136,0.1.0
76a0e25990f1f576,tiny_b,analytic,4,421.0,0.000421,162472.0,1536.0,1560.0,3888.0,9888.0,145600.0,0.0,mac,0.22802850356294538,1536,1456,24,,,16,82176,1.9396657100340136,0.1.0
d3361a9b16597d88,tiny_a,analytic,8,571.5,0.0005715,142644.0,3888.0,3996.0,12240.0,24120.0,98400.0,0.0,mac,0.1062992125984252,3888,984,108,,,64,82944,4.812234268707483,0.1.0
d3361a9b16597d88,tiny_b,analytic,8,356.0,0.000356,160936.0,1536.0,1560.0,3504.0,8736.0,145600.0,0.0,mac,0.06741573033707865,1536,1456,24,,,64,82944,4.812234268707483,0.1.0
"""


def write_files(tmp_path: Path, spec: dict | None = None) -> Path:
    (tmp_path / "accelerators").mkdir(exist_ok=True)
    (tmp_path / "accelerators" / "toy.yaml").write_text(ACCELERATOR)
    (tmp_path / "networks").mkdir(exist_ok=True)
    for stem, text in NETWORKS.items():
        (tmp_path / "networks" / f"{stem}.yaml").write_text(text)
    (tmp_path / "sweeps").mkdir(exist_ok=True)
    path = tmp_path / "sweeps" / "s.yaml"
    path.write_text(yaml.safe_dump(spec or SWEEP, sort_keys=False))
    return path


def sweep(spec: Path, out: Path) -> int:
    return main(["sweep", str(spec), "--out", str(out), "-j", "1", "--no-progress"])


def titles(figure) -> list[str]:
    return [ax.get_title() for ax in figure.axes if ax.get_visible() and ax.get_title()]


def test_rows_carry_the_name_as_loaded_with_params(tmp_path):
    spec = write_files(tmp_path, {**SWEEP, "networks": ["../networks/tiny_w.yaml"],
                                  "axes": [{"name": "width", "path": "network.params.width",
                                            "values": [2, 6]}]})
    out = tmp_path / "r.csv"
    assert sweep(spec, out) == 0
    _header, rows = read_table(out)
    # width 2: 3 x 3 x 3 x 2 = 54 weights; width 6: 162 (no bias)
    assert sorted((r["width"], r["network"], r["network_name"], r["param_count"]) for r in rows) == [
        (2, "tiny_w", "Tiny Net W", 54), (6, "tiny_w", "Tiny Net W", 162)]


def test_the_plot_titles_its_panels_with_the_names(tmp_path, capsys):
    spec = write_files(tmp_path)
    out = tmp_path / "r.csv"
    assert sweep(spec, out) == 0
    _header, rows = read_table(out)
    assert {r["network"]: r["network_name"] for r in rows} == {"tiny_a": "Tiny Net A",
                                                               "tiny_b": "Tiny Net B"}
    scatter = titles(scatter_figure(rows, "latency_ms", "energy_total", color_by="array"))
    assert [re.sub(r" \(\d+ on the front\)$", "", t) for t in scatter] == ["Tiny Net A", "Tiny Net B"]
    assert titles(heatmap_figure(rows, "array", "engine", "latency_ms")) == ["Tiny Net A", "Tiny Net B"]
    # coloured by network, the legend names the networks too
    figure = scatter_figure(rows, "latency_ms", "energy_total", color_by="network")
    assert {t.get_text() for t in figure.legends[0].get_texts()} >= {"Tiny Net A", "Tiny Net B"}
    # --network picks a network by its name as well as by its network column
    png = tmp_path / "a.png"
    assert main(["plot", "sweep", str(out), "--out", str(png), "--network", "Tiny Net A"]) == 0
    assert png.stat().st_size > 0
    assert main(["plot", "sweep", str(out), "--out", str(png), "--network", "Tiny Net C"]) == 2
    assert "--network Tiny Net C: no such network in the results (has: tiny_a, tiny_b)" in \
        capsys.readouterr().err


def test_networks_that_share_a_name_are_told_apart_by_their_label():
    # one file swept at two input sizes under two sweep names: both rows say "Tiny Net A"
    rows = [{"network": "small", "network_name": "Tiny Net A"},
            {"network": "big", "network_name": "Tiny Net A"},
            {"network": "tiny_b", "network_name": "Tiny Net B"}]
    assert network_titles(rows) == {"small": "Tiny Net A (small)", "big": "Tiny Net A (big)",
                                    "tiny_b": "Tiny Net B"}


def test_an_old_results_file_resumes_with_its_own_header_and_its_config_keys(tmp_path, capsys):
    spec = write_files(tmp_path)
    out = tmp_path / "old.csv"
    out.write_text(OLD_RESULTS)
    old_header = OLD_RESULTS.splitlines()[0].split(",")
    assert old_header == [c for c in results_header(["array"]) if c != "network_name"]
    # complete: every (config_key, network, engine) of the old file is a done row, so the
    # keys are what they were (nothing is evaluated, nothing rewritten)
    capsys.readouterr()
    assert sweep(spec, out) == 0
    assert "hwsim: 0 new rows, 4 already done" in capsys.readouterr().err
    assert out.read_text() == OLD_RESULTS
    # one row lost (as after a kill): only that row runs, appended in the file's own header
    lines = OLD_RESULTS.splitlines(keepends=True)
    out.write_text("".join(lines[:-1]))
    assert sweep(spec, out) == 0
    assert "hwsim: 1 new rows, 3 already done" in capsys.readouterr().err
    header, rows = read_table(out)
    assert header == old_header and len(rows) == 4
    assert out.read_text().startswith("".join(lines[:-1]))
    assert (rows[-1]["config_key"], rows[-1]["network"], rows[-1]["array"]) == (
        "d3361a9b16597d88", "tiny_b", 8)
    # a write cut short: the file is rewritten without the cut line, in its own header
    out.write_text("".join(lines[:-1]) + lines[-1][:30])
    assert sweep(spec, out) == 0
    assert "1 new rows, 3 already done, a partly written last line dropped" in capsys.readouterr().err
    header, rows = read_table(out)
    assert header == old_header and len(rows) == 4


def test_an_old_results_file_still_plots_with_the_stems_as_titles(tmp_path):
    out = tmp_path / "old.csv"
    out.write_text(OLD_RESULTS)
    _header, rows = read_table(out)
    assert "network_name" not in rows[0]
    scatter = titles(scatter_figure(rows, "latency_ms", "energy_total", color_by="array"))
    assert [re.sub(r" \(\d+ on the front\)$", "", t) for t in scatter] == ["tiny_a", "tiny_b"]
    assert titles(heatmap_figure(rows, "array", "engine", "latency_ms")) == ["tiny_a", "tiny_b"]
    png = tmp_path / "old.png"
    assert main(["plot", "sweep", str(out), "--out", str(png)]) == 0
    assert png.stat().st_size > 0
