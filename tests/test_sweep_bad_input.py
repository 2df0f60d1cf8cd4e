"""Regression tests for bad input to ``hwsim sweep``, ``hwsim pareto`` and ``hwsim plot sweep``
(found in review): each is named after its bug and goes through the command line, asserting
exit status 2 and a message that names the file (or the flag) and the place."""

from __future__ import annotations

from pathlib import Path

import pytest
from sweep_fixtures import write_real_sweep

from hwsim.cli.main import main
from hwsim.errors import InputError
from hwsim.sweep.results import METRIC_COLUMNS, errors_path, read_table, results_header

ARRAY_AXIS = {"name": "array", "path": ["pe_array.rows", "pe_array.cols"], "values": [8, 16]}


def write_sweep(tmp_path: Path, axes: list | None = None, networks: list | None = None) -> Path:
    return write_real_sweep(tmp_path, axes or [ARRAY_AXIS], networks)


def sweep(spec: Path, out: Path | str, *extra: str) -> int:
    return main(["sweep", str(spec), "--out", str(out), "-j", "1", "--no-progress", *extra])


# --- 1. data loss: --out pointing at a file that is not this sweep's -------------------------

def test_sweep_out_on_a_users_file_without_newline_does_not_replace_it(tmp_path, capsys):
    spec = write_sweep(tmp_path)
    notes = tmp_path / "notes.csv"
    notes.write_text("my notes, no newline")
    assert sweep(spec, notes) == 2
    err = capsys.readouterr().err
    assert f"hwsim: error: {notes}: not a results file of this sweep; choose another --out " \
           "or delete it (its first line is 'my notes, no newline', with no newline" in err
    assert notes.read_text() == "my notes, no newline"
    assert not errors_path(notes).exists()


def test_sweep_out_on_a_users_csv_does_not_replace_it(tmp_path, capsys):
    spec = write_sweep(tmp_path)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n3,4")
    assert sweep(spec, other) == 2
    assert f"{other}: not a results file of this sweep" in capsys.readouterr().err
    assert other.read_text() == "a,b\n1,2\n3,4"


def test_sweep_out_whose_header_lacks_its_newline_is_not_resumed(tmp_path, capsys):
    # the sweep writes its header whole (temporary file + rename): a header without its
    # newline was not written by a sweep
    spec = write_sweep(tmp_path)
    out = tmp_path / "r.csv"
    header = ",".join(results_header(["array"]))
    out.write_text(header)
    assert sweep(spec, out) == 2
    assert "not a results file of this sweep" in capsys.readouterr().err
    assert out.read_text() == header


def test_sweep_out_with_a_complete_row_of_the_wrong_width_names_its_line(tmp_path, capsys):
    spec = write_sweep(tmp_path)
    out = tmp_path / "r.csv"
    assert sweep(spec, out) == 0
    lines = out.read_text().splitlines(keepends=True)
    assert len(lines) == 1 + 2  # header and the two arrays
    damaged = lines[0] + lines[1] + "8,too,short\n" + lines[2]
    out.write_text(damaged)
    capsys.readouterr()
    assert sweep(spec, out) == 2
    # 3 id columns + 1 axis + the metrics (20, and network_name since issue 16)
    assert len(METRIC_COLUMNS) == 21
    assert f"{out}: line 3: 3 fields, but the header has {3 + 1 + 21}" in capsys.readouterr().err
    assert out.read_text() == damaged  # nothing dropped, nothing rewritten


def test_sweep_out_only_a_last_line_without_newline_is_dropped(tmp_path, capsys):
    spec = write_sweep(tmp_path)
    out = tmp_path / "r.csv"
    assert sweep(spec, out) == 0
    complete = out.read_text()
    lines = complete.splitlines(keepends=True)
    out.write_text(lines[0] + lines[1] + lines[2][:10])  # killed while writing row 2
    capsys.readouterr()
    assert sweep(spec, out) == 0
    assert "1 new rows, 1 already done, a partly written last line dropped" in \
        capsys.readouterr().err
    assert sorted(out.read_text().splitlines()) == sorted(complete.splitlines())


def test_sweep_out_a_users_errors_file_is_not_replaced_either(tmp_path, capsys):
    spec = write_sweep(tmp_path)
    out = tmp_path / "r.csv"
    errors_path(out).write_text("my other notes\n")
    assert sweep(spec, out) == 2
    assert f"{errors_path(out)}: not a results file of this sweep" in capsys.readouterr().err
    assert errors_path(out).read_text() == "my other notes\n"
    assert not out.exists()  # both files are checked before either is written


# --- 2. --out naming a directory -------------------------------------------------------------

def test_sweep_out_a_directory_is_bad_input_not_isadirectoryerror(tmp_path, capsys):
    spec = write_sweep(tmp_path)
    folder = tmp_path / "results"
    folder.mkdir()
    assert sweep(spec, folder) == 2
    assert f"hwsim: error: {folder}: is a directory; give the name of a CSV file to write, " \
           f"e.g. {folder / 'results.csv'}" in capsys.readouterr().err



def test_sweep_out_under_a_file_is_bad_input(tmp_path, capsys):
    spec = write_sweep(tmp_path)
    notes = tmp_path / "notes.csv"
    notes.write_text("my notes\n")
    assert sweep(spec, notes / "r.csv") == 2
    assert f"hwsim: error: {notes / 'r.csv'}: cannot create it: {notes} is a file, not a " \
           "folder" in capsys.readouterr().err
    assert notes.read_text() == "my notes\n"


# --- 3. messages that started with an empty file name ("hwsim: error: : ...") ---------------

def hand_results(tmp_path: Path) -> Path:
    """A results file written by hand: two configurations of one axis on one network."""
    header = results_header(["array"])
    rows = []
    for key, array, latency, energy in (("k8", 8, 4.0, 10.0), ("k16", 16, 2.0, 12.0)):
        row = dict.fromkeys(header, "")
        row.update(config_key=key, network="tiny", engine="analytic", array=array,
                   latency_ms=latency, energy_total=energy, area_pes=array * array,
                   energy_unit="mac", hwsim_version="0.1.0")
        rows.append(",".join(str(row[c]) for c in header))
    path = tmp_path / "r.csv"
    path.write_text("\n".join([",".join(header), *rows]) + "\n")
    return path


def test_sweep_negative_jobs_names_the_flag_not_an_empty_file(tmp_path, capsys):
    spec = write_sweep(tmp_path)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "r.csv"), "-j", "-3"]) == 2
    assert capsys.readouterr().err == "hwsim: error: -j: must be at least 1, or 0 for all " \
                                      "cores; got -3\n"
    assert not (tmp_path / "r.csv").exists()  # refused before any work


def test_sweep_jobs_zero_means_all_cores(tmp_path, capsys):
    spec = write_sweep(tmp_path)
    out = tmp_path / "r.csv"
    assert main(["sweep", str(spec), "--out", str(out), "-j", "0", "--no-progress"]) == 0
    assert len(out.read_text().splitlines()) == 1 + 2  # header and the two arrays


def test_sweep_unreachable_scheduler_names_the_flag(tmp_path, capsys, monkeypatch):
    from hwsim.sweep import runner

    monkeypatch.setattr(runner, "CONNECT_TIMEOUT_S", 0.5)
    spec = write_sweep(tmp_path)
    assert main(["sweep", str(spec), "--out", str(tmp_path / "r.csv"), "--no-progress",
                 "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert "hwsim: error: --scheduler: cannot connect to the Dask scheduler at " \
           "tcp://127.0.0.1:9: " in err
    assert "error: :" not in err


def test_pareto_empty_objectives_names_the_flag(tmp_path, capsys):
    results = hand_results(tmp_path)
    assert main(["pareto", str(results), "--objectives", ""]) == 2
    assert capsys.readouterr().err == "hwsim: error: --objectives: give at least one column, " \
                                      "e.g. --objectives latency_ms,energy_total\n"
    assert main(["pareto", str(results), "--objectives", "latency_ms,max:"]) == 2
    assert "hwsim: error: --objectives: 'max:': a column name must follow 'max:' or 'min:'" \
        in capsys.readouterr().err


# --- 4. a bad input_size named only the network file, not the place in the sweep ------------

REPO = Path(__file__).resolve().parent.parent


def test_sweep_bad_input_size_names_the_place_in_the_sweep_file(tmp_path, capsys):
    # SqueezeNet's conv1 is 7x7 without padding: a 5x5 input cannot hold it
    squeezenet = str(REPO / "networks" / "squeezenet_v1.0.yaml")
    spec = write_sweep(tmp_path, networks=["tiny.yaml", {"file": squeezenet, "input_size": 5}])
    assert sweep(spec, tmp_path / "r.csv") == 2
    err = capsys.readouterr().err
    assert f"hwsim: error: {spec}: networks[1].input_size: 5 does not fit this network: " \
           f"{squeezenet}: " in err
    assert "conv1" in err  # and the network's own message says where it breaks


def test_sweep_malformed_input_size_names_the_place_in_the_sweep_file(tmp_path, capsys):
    spec = write_sweep(tmp_path, networks=[{"file": "tiny.yaml", "input_size": 0}])
    assert sweep(spec, tmp_path / "r.csv") == 2
    assert f"hwsim: error: {spec}: networks[0].input_size: " in capsys.readouterr().err


def test_sweep_network_broken_at_any_size_keeps_the_network_files_message(tmp_path, capsys):
    # the input size is not to blame here: the message stays the network file's own
    (tmp_path / "broken.yaml").write_text("name: broken\ninput: [3, 16, 16]\nlayers:\n"
                                          "  - {type: conv, out_channels: 4, kernel: 32}\n")
    spec = write_sweep(tmp_path, networks=[{"file": "broken.yaml", "input_size": 16}])
    assert sweep(spec, tmp_path / "r.csv") == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'broken.yaml'}: " in err and "input_size" not in err


# --- 5. an axis named like a result column gave a CSV with that column twice -----------------

def test_sweep_axis_named_like_a_result_column_is_rejected(tmp_path, capsys):
    spec = write_sweep(tmp_path, axes=[
        {"name": "total_cycles", "path": "pe_array.rows", "values": [8, 16]},
        {"zip": [{"name": "energy_total", "path": "buffer.global_kib", "values": [64, 128]},
                 {"path": "pe_array.rf_entries_per_pe", "values": [8, 16]}]},
        {"path": "kind", "values": [1]}])
    out = tmp_path / "r.csv"
    assert sweep(spec, out) == 2
    err = capsys.readouterr().err
    assert f"{spec}: axes[0].name: 'total_cycles' is a column of the results already; " \
           "choose another name for this axis" in err
    assert f"{spec}: axes[1].zip[0].name: 'energy_total' is a column of the results already" \
        in err
    assert f"{spec}: axes[2]: this axis is named after its path, 'kind', which is a column " \
           "of the results already; give it a 'name'" in err
    assert not out.exists()


# --- 6. pareto on a text column or an errors file gave an empty front, exit 0 ----------------

def test_pareto_text_objective_is_bad_input_not_an_empty_front(tmp_path, capsys):
    results = hand_results(tmp_path)
    assert main(["pareto", str(results), "--objectives", "latency_ms,network"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    # hand_results fills array, latency_ms, energy_total and area_pes only
    assert captured.err == (
        f"hwsim: error: {results}: column 'network' holds text, not numbers (e.g. 'tiny'); "
        "--objectives needs numbers (numeric columns: array, latency_ms, energy_total, "
        "area_pes)\n")


def write_errors_file(tmp_path: Path, rows: int) -> Path:
    from hwsim.sweep.results import errors_header

    path = errors_path(tmp_path / "r.csv")
    body = ["k32,tiny,analytic,32,invalid,glb: too small,0.1.0"] * rows
    path.write_text("\n".join([",".join(errors_header(["array"])), *body]) + "\n")
    return path


def test_pareto_on_an_errors_file_is_bad_input_not_an_empty_front(tmp_path, capsys):
    for rows in (0, 1):  # a sweep with no invalid combination leaves a header-only file
        errors = write_errors_file(tmp_path, rows)
        assert main(["pareto", str(errors)]) == 2
        assert capsys.readouterr().err == (
            f"hwsim: error: {errors}: no column 'latency_ms' for --objectives: this is a "
            "sweep's errors file (the skipped combinations, no metrics); give its results "
            "file, r.csv\n")


def test_pareto_misspelt_objective_on_a_results_file_without_rows(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(results_header(["array"])) + "\n")
    assert main(["pareto", str(empty), "--objectives", "latency,energy_total"]) == 2
    assert f"{empty}: no column 'latency' for --objectives (did you mean 'latency_ms'?)" \
        in capsys.readouterr().err
    assert main(["pareto", str(empty), "--objectives", "latency_ms,energy_total"]) == 0
    assert "0 non-dominated of 0 rows" in capsys.readouterr().err


def test_pareto_results_row_of_the_wrong_width_names_its_line(tmp_path, capsys):
    results = hand_results(tmp_path)
    lines = results.read_text().splitlines(keepends=True)
    results.write_text(lines[0] + "k4,tiny,analytic\n" + "".join(lines[1:]))
    assert main(["pareto", str(results)]) == 2
    assert f"{results}: line 2: 3 fields, but the header has {3 + 1 + 21}" in \
        capsys.readouterr().err


# --- 7. plot sweep drew a figure from a text column ------------------------------------------

def test_plot_sweep_text_x_is_bad_input(tmp_path, capsys):
    results = hand_results(tmp_path)
    figure = tmp_path / "f.png"
    assert main(["plot", "sweep", str(results), "--x", "network", "--out", str(figure)]) == 2
    assert f"hwsim: error: {results}: column 'network' holds text, not numbers (e.g. 'tiny'); " \
           "--x needs numbers" in capsys.readouterr().err
    assert not figure.exists()


def test_plot_sweep_heatmap_text_value_is_bad_input(tmp_path, capsys):
    results = hand_results(tmp_path)
    figure = tmp_path / "f.png"
    assert main(["plot", "sweep", str(results), "--heatmap", "array", "engine",
                 "--value", "network", "--out", str(figure)]) == 2
    assert f"{results}: column 'network' holds text, not numbers (e.g. 'tiny'); --value " \
           "needs numbers" in capsys.readouterr().err
    assert not figure.exists()
    # a heat-map axis may be a category (here the engine): that draws
    assert main(["plot", "sweep", str(results), "--heatmap", "array", "engine",
                 "--value", "latency_ms", "--out", str(figure)]) == 0
    assert figure.read_bytes()[:4] == b"\x89PNG"


def test_plot_sweep_on_an_errors_file_is_bad_input(tmp_path, capsys):
    errors = write_errors_file(tmp_path, 1)
    assert main(["plot", "sweep", str(errors), "--out", str(tmp_path / "f.png")]) == 2
    assert f"{errors}: no column 'latency_ms' for --x: this is a sweep's errors file" in \
        capsys.readouterr().err


def test_many_rows_of_the_wrong_width_are_listed_up_to_ten(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(",".join(results_header([])) + "\n" + "a,b\n" * 12)
    with pytest.raises(InputError) as info:
        read_table(path)
    problems = info.value.problems
    assert [p.place for p in problems[:10]] == [f"line {n}" for n in range(2, 12)]
    assert problems[10].message == "... and 2 more lines with the wrong number of fields"
    assert len(problems) == 10 + 1
