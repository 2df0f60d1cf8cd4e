"""``hwsim run``: table and summary, CSV, JSON contract, --out, overrides, errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import hwsim
from hwsim.cli.main import main

REPO = Path(__file__).resolve().parent.parent
SQUEEZENET = str(REPO / "networks" / "squeezenet_v1.0.yaml")
WS16 = str(REPO / "accelerators" / "ws_16x16.yaml")
SQUEEZELERATOR = str(REPO / "accelerators" / "squeezelerator.yaml")
SQUEEZENET_MACS = 832_667_936   # shared/reference/networks.md


def run(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["run", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_table_and_summary(capsys):
    status, out, err = run(capsys, SQUEEZENET, "--accel", WS16, "--engine", "event")
    assert status == 0, err
    lines = out.splitlines()
    header = lines[0].split()
    assert header == ["layer", "type", "MACs", "dataflow", "cycles", "util", "DRAM", "B",
                      "MAC/B", "bound", "energy", "(MAC-eq)"]
    net = hwsim.load_network(SQUEEZENET)
    body = lines[2:2 + len(net.layers)]
    assert [line.split()[0] for line in body] == [layer.name for layer in net.layers]
    assert all(len(line) <= 120 for line in lines)
    summary = "\n".join(lines[2 + len(net.layers):])
    for label in ("SqueezeNet v1.0 on ws_16x16 (dataflow ws, event engine)", "total",
                  "ms at 1000 MHz", "832.67M", "energy", "first conv   conv1:", "slowest",
                  "assumptions:", "16x16 PEs", "DRAM 16 GB/s"):
        assert label in summary


def test_json_contract(capsys):
    status, out, _ = run(capsys, SQUEEZENET, "--accel", SQUEEZELERATOR, "--format", "json",
                         "--engine", "event")
    assert status == 0
    data = json.loads(out)
    for key in ("network", "accelerator", "dataflow", "engine", "energy_unit", "layers",
                "totals", "hwsim_version", "provenance"):
        assert key in data
    assert (data["network"], data["accelerator"], data["dataflow"], data["engine"],
            data["energy_unit"]) == ("SqueezeNet v1.0", "squeezelerator", "hybrid", "event", "mac")
    assert data["hwsim_version"] == hwsim.__version__
    assert data["provenance"]["network_path"] == SQUEEZENET
    assert data["provenance"]["accelerator_path"] == SQUEEZELERATOR
    energy_keys = {"mac", "rf", "array", "glb", "dram", "leakage", "total"}
    for layer in data["layers"]:
        for key in ("name", "type", "dataflow", "macs", "cycles", "utilization",
                    "dram_read_bytes", "dram_write_bytes", "energy"):
            assert key in layer
        assert set(layer["energy"]) >= energy_keys
    totals = data["totals"]
    assert set(totals) >= {"cycles", "latency_ms", "macs", "dram_bytes", "energy"}
    assert set(totals["energy"]) >= energy_keys
    assert totals["macs"] == SQUEEZENET_MACS
    assert totals["cycles"] == pytest.approx(sum(l["cycles"] for l in data["layers"]))
    assert totals["latency_ms"] == pytest.approx(totals["cycles"] / 1000e6 * 1e3)
    assert totals["dram_bytes"] == sum(l["dram_read_bytes"] + l["dram_write_bytes"]
                                       for l in data["layers"])
    assert totals["energy"]["total"] == pytest.approx(sum(l["energy"]["total"] for l in data["layers"]))
    modes = {l["dataflow"] for l in data["layers"] if l["macs"]}
    assert modes == {"ws", "os"}       # the hybrid uses both on SqueezeNet


def test_csv_one_row_per_layer(capsys):
    status, out, _ = run(capsys, SQUEEZENET, "--accel", WS16, "--format", "csv")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(hwsim.load_network(SQUEEZENET).layers)
    assert {"name", "cycles", "utilization", "dram_read_bytes", "energy_dram",
            "energy_total"} <= set(rows[0])
    assert sum(int(r["macs"]) for r in rows) == SQUEEZENET_MACS


def test_out_writes_csv_and_json(capsys, tmp_path):
    status, out, err = run(capsys, SQUEEZENET, "--accel", WS16, "--out", str(tmp_path / "o"),
                           "--engine", "event")
    assert status == 0
    csv_path = tmp_path / "o" / "squeezenet_v1.0__ws_16x16.csv"
    json_path = tmp_path / "o" / "squeezenet_v1.0__ws_16x16.json"
    assert csv_path.is_file() and json_path.is_file()
    assert json.loads(json_path.read_text())["totals"]["macs"] == SQUEEZENET_MACS
    assert str(json_path) in err
    assert out.startswith("layer")      # the table still goes to stdout


def test_dataflow_override(capsys):
    status, out, _ = run(capsys, SQUEEZENET, "--accel", SQUEEZELERATOR, "--dataflow", "os",
                         "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert data["dataflow"] == "os"
    assert {l["dataflow"] for l in data["layers"] if l["macs"]} == {"os"}


def test_input_size_override(capsys):
    status, out, _ = run(capsys, SQUEEZENET, "--accel", WS16, "--input-size", "113",
                         "--format", "json")
    assert status == 0
    data = json.loads(out)
    assert data["provenance"]["input_shape"] == [3, 113, 113]
    conv1 = data["layers"][0]
    assert conv1["macs"] == 96 * 54 * 54 * 3 * 7 * 7      # (113 - 7) // 2 + 1 = 54


def test_event_engine(capsys):
    status, out, err = run(capsys, SQUEEZENET, "--accel", SQUEEZELERATOR, "--engine", "event",
                           "--format", "json")
    assert status == 0, err
    data = json.loads(out)
    assert data["engine"] == "event"
    assert all(l["end_cycle"] >= l["start_cycle"] for l in data["layers"])
    assert data["totals"]["macs"] == SQUEEZENET_MACS


def test_the_issue_command_runs(capsys):
    status, out, err = run(capsys, str(REPO / "networks" / "sqnxt23v5.yaml"), "--accel",
                           str(REPO / "accelerators" / "ws_32x32.yaml"))
    assert status == 0, err
    assert "1.0-SqNxt-23v5 on ws_32x32" in out


@pytest.mark.parametrize("args, message", [
    (["--accel", "nowhere.yaml"], "nowhere.yaml: file not found"),
    (["--accel", WS16, "--dataflow", "is"],
     "dataflow 'is' does not exist on a broadcast array (accepted: ws, os, hybrid)"),
    (["--accel", WS16, "--input-size", "0"], "must be positive"),
])
def test_bad_input_exits_2_with_a_message(capsys, args, message):
    status, out, err = run(capsys, SQUEEZENET, *args)
    assert status == 2
    assert message in err
    assert "Traceback" not in err and out == ""


def test_a_layer_that_fits_no_buffer_is_bad_input(capsys, tmp_path):
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text(f"base: {WS16}\nbuffer: {{global_kib: 1}}\n")
    status, _, err = run(capsys, SQUEEZENET, "--accel", str(tiny))
    assert status == 2
    assert f"{tiny}: buffer.global_kib: layer 'conv1': no tile fits the global buffer" in err


def test_accel_is_required(capsys):
    assert main(["run", SQUEEZENET]) == 2
    assert "--accel" in capsys.readouterr().err


def test_trace_implies_the_event_engine(capsys, tmp_path):
    trace = tmp_path / "run.trace.json"
    status, out, err = run(capsys, SQUEEZENET, "--accel", SQUEEZELERATOR, "--trace", str(trace))
    assert status == 0, err
    assert "event engine" in out
    data = json.loads(trace.read_text())
    assert data["otherData"]["total_cycles"] > 0
    assert str(trace) in err


def test_analytic_is_the_default_engine_as_in_simulate_and_event_stays_available(capsys, tmp_path):
    """hwsim run and hwsim.simulate share one default engine (hwsim.result.DEFAULT_ENGINE)."""
    status, out, _ = run(capsys, SQUEEZENET, "--accel", WS16, "--format", "json",
                         "--engine", "event")
    assert status == 0
    event = json.loads(out)
    assert event["engine"] == "event"
    layers = event["layers"]
    assert layers[0]["start_cycle"] == 0
    assert all(a["end_cycle"] == b["start_cycle"] for a, b in zip(layers, layers[1:]))
    assert event["totals"]["cycles"] == layers[-1]["end_cycle"]
    status, out, err = run(capsys, SQUEEZENET, "--accel", WS16, "--out", str(tmp_path))
    assert status == 0
    assert "analytic engine" in out
    assert (tmp_path / "squeezenet_v1.0__ws_16x16__analytic.json").is_file()


# --- regressions: output paths are checked before the run, and errors name the flag ----------

@pytest.fixture
def no_simulation(monkeypatch):
    """Fails the test if a simulation starts: bad output paths must be caught before."""
    def simulate(*args, **kwargs):
        raise AssertionError("simulated although an output path was bad")
    monkeypatch.setattr(hwsim, "simulate", simulate)


def test_bug_timeline_bmp_failed_after_the_whole_simulation(capsys, tmp_path, no_simulation):
    figure = tmp_path / "x.bmp"
    status, out, err = run(capsys, SQUEEZENET, "--accel", WS16, "--timeline", str(figure))
    assert status == 2
    assert (f"hwsim: error: --timeline: {figure}: unsupported figure format ('.bmp'); the file "
            "name must end in .png, .svg or .pdf") in err
    assert out == "" and "Traceback" not in err and not figure.exists()


def test_bug_out_naming_an_existing_file(capsys, tmp_path, no_simulation):
    existing = tmp_path / "results.txt"
    existing.write_text("keep me\n")
    status, out, err = run(capsys, SQUEEZENET, "--accel", WS16, "--out", str(existing))
    assert status == 2
    assert f"hwsim: error: --out: {existing}: is a file; --out names the folder" in err
    assert out == "" and existing.read_text() == "keep me\n"
    status, out, err = run(capsys, SQUEEZENET, "--accel", WS16, "--out", str(existing / "sub"))
    assert status == 2 and f"--out: {existing / 'sub'}: {existing} is a file, not a folder" in err


def test_bug_trace_directory_printed_an_empty_file_name(capsys, tmp_path, no_simulation):
    """Was: 'hwsim: error: : [Errno 21] Is a directory' after the run."""
    status, out, err = run(capsys, SQUEEZENET, "--accel", WS16, "--trace", str(tmp_path))
    assert status == 2
    assert err == (f"hwsim: error: --trace: {tmp_path}: is a directory; give a file name such "
                   f"as {tmp_path / 'run.trace.json'}\n")
    assert out == ""


def test_every_bad_output_and_input_is_listed_at_once(capsys, tmp_path, no_simulation):
    existing = tmp_path / "f"
    existing.write_text("")
    status, out, err = run(capsys, str(tmp_path / "nonet.yaml"), "--accel", WS16,
                           "--out", str(existing), "--trace", str(tmp_path),
                           "--timeline", str(tmp_path / "t"))
    assert status == 2 and out == ""
    assert err.startswith("hwsim: error: 4 problems:")
    for place in (f"--out: {existing}: is a file", f"--trace: {tmp_path}: is a directory",
                  f"--timeline: {tmp_path / 't'}: unsupported figure format (no suffix)",
                  f"{tmp_path / 'nonet.yaml'}: file not found"):
        assert place in err


def test_a_write_that_fails_anyway_names_the_flag_and_prints_no_table(capsys, tmp_path,
                                                                      monkeypatch):
    import hwsim.sim.trace

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(hwsim.sim.trace, "write_chrome_trace", disk_full)
    trace = tmp_path / "t.json"
    status, out, err = run(capsys, SQUEEZENET, "--accel", WS16, "--trace", str(trace))
    assert status == 2
    assert f"hwsim: error: --trace: {trace}: cannot write: No space left on device" in err
    assert out == ""


def test_good_outputs_in_new_folders_are_written(capsys, tmp_path):
    trace, svg = tmp_path / "a" / "t.json", tmp_path / "b" / "t.svg"
    status, out, err = run(capsys, SQUEEZENET, "--accel", WS16, "--trace", str(trace),
                           "--timeline", str(svg), "--out", str(tmp_path / "c"))
    assert status == 0, err
    assert trace.is_file() and svg.read_text().startswith("<?xml")
    assert (tmp_path / "c" / "squeezenet_v1.0__ws_16x16.json").is_file()
    assert out.startswith("layer")


def test_bug_readme_named_the_out_files_without_the_dataflow(capsys, tmp_path):
    """README: <network stem>__<accelerator stem>[__<dataflow>][__analytic]; the dataflow is
    added only when --dataflow differs from the accelerator's own."""
    status, _, err = run(capsys, SQUEEZENET, "--accel", SQUEEZELERATOR, "--dataflow", "os",
                         "--format", "json", "--out", str(tmp_path / "a"), "--engine", "event")
    assert status == 0, err
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "squeezenet_v1.0__squeezelerator__os.csv", "squeezenet_v1.0__squeezelerator__os.json"]
    status, _, err = run(capsys, SQUEEZENET, "--accel", WS16, "--dataflow", "ws",
                         "--engine", "analytic", "--out", str(tmp_path / "b"))
    assert status == 0, err
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [
        "squeezenet_v1.0__ws_16x16__analytic.csv", "squeezenet_v1.0__ws_16x16__analytic.json"]
