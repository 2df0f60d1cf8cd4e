"""Notebook and scripting use (issue 16, part 3): checked ``Accelerator.with_changes``, the
sweep as a function (``hwsim.sweep``, ``hwsim.load_results``), and the versioned JSON and
self-describing per-layer CSV of a run."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml

import hwsim
from hwsim.hardware.accelerator import Accelerator, PEArray
from hwsim.report import network_info, run_report

REPO = Path(__file__).resolve().parents[1]
WS16 = REPO / "accelerators" / "ws_16x16.yaml"
SQUEEZENET = REPO / "networks" / "squeezenet_v1.0.yaml"


# --- with_changes -----------------------------------------------------------------------------

def test_with_changes_merges_a_section_mapping_into_the_section():
    acc = Accelerator()  # 16 x 16 by default
    bigger = acc.with_changes(pe_array={"rows": 32})
    assert isinstance(bigger.pe_array, PEArray)
    assert (bigger.pe_array.rows, bigger.pe_array.cols, bigger.pe_array.pes) == (32, 16, 512)
    assert acc.pe_array.rows == 16  # the original is untouched


def test_with_changes_takes_a_mapping_or_one_key_and_value():
    acc = Accelerator()
    assert acc.with_changes({"pe_array.cols": 8, "dataflow": "os"}).pe_array.cols == 8
    assert acc.with_changes("buffer.global_kib", 64).buffer.global_kib == 64
    # a list becomes the record's tuple, as the file loader does
    acc = acc.with_changes(**{"sparsity.skip_zero_weights_in": ["os"],
                              "sparsity.zero_weight_fraction": 0.5})
    assert acc.sparsity.skip_zero_weights_in == ("os",)
    assert acc.sparsity.density("os") == 0.5 and acc.sparsity.density("ws") == 1.0


@pytest.mark.parametrize("changes, place, words", [
    ({"pe_array.row": 8}, "pe_array.row", "did you mean 'rows'?"),
    ({"pe_array": {"row": 8}}, "pe_array.row", "did you mean 'rows'?"),
    ({"pe_arrays.rows": 8}, "pe_arrays.rows", "did you mean 'pe_array'?"),
    ({"dataflw": "os"}, "dataflw", "did you mean 'dataflow'?"),
    ({"pe_array.rows": 0}, "pe_array.rows", "must be positive, got 0"),
    ({"pe_array.rows": "8"}, "pe_array.rows", "must be an integer, got '8'"),
    ({"buffer.double_buffering": "yes"}, "buffer.double_buffering", "true or false"),
    ({"dataflow": "is"}, "dataflow", "on a broadcast array, got 'is'"),
    ({"dataflow.ws": 1}, "dataflow.ws", "not a section"),
    ({"pe_array": 32}, "pe_array", "expected a mapping of pe_array keys"),
])
def test_with_changes_refuses_bad_changes_with_an_input_error(changes, place, words):
    acc = hwsim.load_accelerator(WS16)
    with pytest.raises(hwsim.InputError) as caught:
        acc.with_changes(**changes)
    (problem,) = caught.value.problems
    assert problem.place == place
    assert words in problem.message
    assert str(WS16) in problem.file  # names the accelerator the change was made to


def test_with_changes_reports_every_bad_key_at_once():
    with pytest.raises(hwsim.InputError) as caught:
        Accelerator().with_changes(**{"pe_array.row": 8, "dram.bandwidth": 8})
    assert [p.place for p in caught.value.problems] == ["pe_array.row", "dram.bandwidth"]


def test_a_changed_accelerator_simulates_like_the_same_file():
    net = hwsim.load_network(SQUEEZENET)
    # ws_16x16.yaml is ws_32x32.yaml with a 16x16 array and 16 vector lanes
    acc = hwsim.load_accelerator(WS16).with_changes(pe_array={"rows": 32, "cols": 32},
                                                    vector_unit={"lanes": 32})
    same = hwsim.load_accelerator(REPO / "accelerators" / "ws_32x32.yaml")
    assert acc.pe_array == same.pe_array and acc.vector_unit == same.vector_unit
    assert hwsim.simulate(net, acc).total_cycles == hwsim.simulate(net, same).total_cycles


# --- the sweep as a function --------------------------------------------------------------------

def _sweep_file(tmp_path: Path) -> Path:
    (tmp_path / "tiny.yaml").write_text(
        "name: tiny\ninput: [3, 8, 8]\nlayers:\n  - {name: c1, type: conv, out_channels: 4, kernel: 3}\n")
    spec = {"name": "api", "accelerator": str(WS16), "networks": ["tiny.yaml"],
            "axes": [{"name": "array", "path": ["pe_array.rows", "pe_array.cols"],
                      "values": [4, 8]},
                     {"path": "dataflow", "values": ["ws", "os"]}]}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def test_sweep_returns_a_dataframe_and_streams_and_resumes_like_the_command(tmp_path):
    spec = _sweep_file(tmp_path)
    out = tmp_path / "r.csv"
    frame = hwsim.sweep(spec, out=out)
    # 2 arrays x 2 dataflows on one network = 4 rows; the area proxy is rows x cols
    assert len(frame) == 4
    assert sorted(frame["area_pes"]) == [16, 16, 64, 64]
    assert set(frame["dataflow"]) == {"ws", "os"} and set(frame["network"]) == {"tiny"}
    assert frame.attrs["summary"]["ok_rows"] == 4 and frame.attrs["errors"] == []
    # the file holds the same rows, and loads back in one call
    back = hwsim.load_results(out)
    assert list(back.columns) == list(frame.columns)
    assert sorted(back["config_key"]) == sorted(frame["config_key"])
    assert back["total_cycles"].sum() == pytest.approx(frame["total_cycles"].sum())
    # again with the same out: nothing new is run, nothing is written twice
    again = hwsim.sweep(spec, out=out)
    assert again.attrs["summary"]["already_done_rows"] == 4
    assert again.attrs["summary"]["ok_rows"] == 0
    assert len(out.read_text().splitlines()) == 1 + 4
    # the simulated value is the one hwsim.simulate gives for that machine
    row = frame[(frame["area_pes"] == 16) & (frame["dataflow"] == "os")].iloc[0]
    acc = hwsim.load_accelerator(WS16).with_changes(
        **{"pe_array.rows": 4, "pe_array.cols": 4, "dataflow": "os"})
    direct = hwsim.simulate(hwsim.load_network(tmp_path / "tiny.yaml"), acc)
    assert row["total_cycles"] == pytest.approx(direct.total_cycles)


def test_sweep_without_out_leaves_no_file_and_refuses_a_foreign_out(tmp_path):
    spec = _sweep_file(tmp_path)
    assert len(hwsim.sweep(spec)) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml", "tiny.yaml"]
    notes = tmp_path / "notes.csv"
    notes.write_text("my notes\n")
    with pytest.raises(hwsim.InputError, match="not a results file of this sweep"):
        hwsim.sweep(spec, out=notes)
    assert notes.read_text() == "my notes\n"


def test_sweep_refuses_a_typo_in_an_axis_before_running(tmp_path):
    spec = yaml.safe_load(_sweep_file(tmp_path).read_text())
    spec["networks"] = [str(tmp_path / "tiny.yaml")]
    spec["axes"][0]["path"] = ["pe_array.row"]
    with pytest.raises(hwsim.InputError, match="did you mean 'rows'"):
        hwsim.sweep(spec)


def test_load_results_refuses_a_file_that_is_not_a_sweeps(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(hwsim.InputError, match="not a sweep results file"):
        hwsim.load_results(path)


def test_the_sweep_package_stays_reachable_beside_the_call():
    import hwsim.sweep.runner

    assert callable(hwsim.sweep) and hasattr(hwsim.sweep, "runner")


# --- versioned JSON, self-describing CSV -----------------------------------------------------------

def test_every_json_output_carries_the_schema_and_hwsim_versions(tmp_path):
    net = hwsim.load_network(SQUEEZENET)
    result = hwsim.simulate(net, hwsim.load_accelerator(WS16), engine="event")
    from hwsim.sim.trace import chrome_trace

    docs = [json.loads(run_report.to_json(result)), json.loads(network_info.to_json(net)),
            chrome_trace(result.schedule)["otherData"]]
    for doc in docs:
        assert doc["schema_version"] == 1
        assert doc["hwsim_version"] == hwsim.__version__


def test_the_layer_csv_names_its_run_and_has_the_event_columns():
    net = hwsim.load_network(SQUEEZENET)
    acc = hwsim.load_accelerator(WS16)
    for engine in ("analytic", "event"):
        result = hwsim.simulate(net, acc, engine=engine)
        rows = list(csv.DictReader(io.StringIO(run_report.to_csv(result))))
        assert len(rows) == len(net.layers)
        first = rows[0]
        assert (first["network"], first["accelerator"], first["engine"]) == (
            "SqueezeNet v1.0", "ws_16x16", engine)
        layer = result.layers[0]
        assert list(first)[:4] == ["network", "accelerator", "engine", "name"]
        if engine == "event":  # the same numbers as the JSON's
            assert float(first["start_cycle"]) == layer.start_cycle == 0
            assert float(first["end_cycle"]) == layer.end_cycle
            assert float(first["stall_cycles"]) == layer.stall_cycles
        else:
            assert first["start_cycle"] == first["end_cycle"] == first["stall_cycles"] == ""
        # the array counts whole cycles: written as integers, never '480083.0'
        assert all(r["compute_cycles"].isdigit() for r in rows)
    frame = result.to_dataframe()
    assert list(frame.columns) == list(first)
    assert frame["compute_cycles"].dtype.kind == "i"
