"""The sweep's reports: ``hwsim pareto``, ``hwsim plot sweep`` figures, the progress bar."""

from __future__ import annotations

import io

import numpy as np
import pytest

from hwsim.cli.main import main
from hwsim.report.sweep_plot import heatmap_figure, heatmap_table, scatter_figure
from hwsim.sweep.progress import ProgressBar, format_duration
from hwsim.sweep.results import results_header

HEADER = results_header(["array", "glb_kib"])


def _row(key, network, array, glb, latency, energy):
    row = dict.fromkeys(HEADER, "")
    row.update(config_key=key, network=network, engine="analytic", array=array, glb_kib=glb,
               latency_ms=latency, energy_total=energy, area_pes=array * array,
               energy_unit="mac")
    return row


# Hand-made table. Net n1, (latency, energy): a (4, 10), b (2, 12), c (2.5, 15), d (3, 11)
# -> c is beaten by b; front a, d, b. Net n2: a (9, 20), b (3, 21), c (1, 30), d (3, 25)
# -> d is beaten by b (same latency, less energy); front a, b, c.
TABLE = [_row("a", "n1", 8, 64, 4.0, 10.0), _row("b", "n1", 16, 64, 2.0, 12.0),
         _row("c", "n1", 32, 64, 2.5, 15.0), _row("d", "n1", 16, 128, 3.0, 11.0),
         _row("a", "n2", 8, 64, 9.0, 20.0), _row("b", "n2", 16, 64, 3.0, 21.0),
         _row("c", "n2", 32, 64, 1.0, 30.0), _row("d", "n2", 16, 128, 3.0, 25.0)]


@pytest.fixture
def results_csv(tmp_path):
    path = tmp_path / "r.csv"
    lines = [",".join(HEADER)] + [",".join(str(r[c]) for c in HEADER) for r in TABLE]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_pareto_command_lists_the_front_per_network(results_csv, capsys):
    assert main(["pareto", str(results_csv), "--objectives", "latency_ms,energy_total",
                 "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "network,array,glb_kib,latency_ms,energy_total,config_key"
    # sorted by network, then by the first objective
    assert [line.split(",")[-1] for line in out[1:]] == ["b", "d", "a", "c", "b", "a"]


def test_pareto_command_aggregated_over_networks(results_csv, capsys):
    assert main(["pareto", str(results_csv), "--objectives", "latency_ms,energy_total",
                 "--aggregate", "sum", "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    # sums: a (13, 30), b (5, 33), c (3.5, 45), d (6, 36) -> d is beaten by b
    keys = [line.split(",")[-1] for line in out[1:]]
    assert keys == ["c", "b", "a"]
    assert out[1].split(",")[3:5] == [str(2.5 + 1.0), str(15.0 + 30.0)]


def test_pareto_command_table_and_bad_objective(results_csv, capsys):
    assert main(["pareto", str(results_csv)]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == ["network", "array", "glb_kib", "latency_ms",
                                             "energy_total", "area_pes", "config_key"]
    assert main(["pareto", str(results_csv), "--objectives", "latency,energy_total"]) == 2
    assert "r.csv: no column 'latency' for --objectives (did you mean 'latency_ms'?)" \
        in capsys.readouterr().err


def test_pareto_command_on_a_file_that_is_not_sweep_results(tmp_path, capsys):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    assert main(["pareto", str(path)]) == 2
    assert "other.csv: not a sweep results file" in capsys.readouterr().err


def test_scatter_draws_the_front_as_a_staircase():
    rows = [r for r in TABLE if r["network"] == "n1"]
    figure = scatter_figure(rows, "latency_ms", "energy_total", color_by="array")
    ax = figure.axes[0]
    (front_line,) = ax.lines
    # front n1 sorted by latency: b (2, 12), d (3, 11), a (4, 10)
    assert list(front_line.get_xdata()) == [2.0, 3.0, 4.0]
    assert list(front_line.get_ydata()) == [12.0, 11.0, 10.0]
    # one point series per array size (8, 16, 32) plus the ringed front
    assert len(ax.collections) == 3 + 1


def test_scatter_has_one_panel_per_network():
    figure = scatter_figure(TABLE, "latency_ms", "energy_total")
    titles = [ax.get_title() for ax in figure.axes if ax.get_visible()]
    assert titles == ["n1 (3 on the front)", "n2 (3 on the front)"]


def test_heatmap_cells_take_the_best_over_other_parameters():
    rows = [r for r in TABLE if r["network"] == "n2"]
    xs, ys, matrix = heatmap_table(rows, "array", "glb_kib", "latency_ms")
    assert xs == [8, 16, 32] and ys == [64, 128]
    expected = np.array([[9.0, 3.0, 1.0], [np.nan, 3.0, np.nan]])
    assert np.array_equal(matrix, expected, equal_nan=True)
    figure = heatmap_figure(TABLE, "array", "glb_kib", "energy_total")
    assert [ax.get_title() for ax in figure.axes[:2]] == ["n1", "n2"]


def test_plot_sweep_command_writes_a_png(results_csv, tmp_path, capsys):
    out = tmp_path / "fig.png"
    assert main(["plot", "sweep", str(results_csv), "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    heat = tmp_path / "heat.svg"
    assert main(["plot", "sweep", str(results_csv), "--heatmap", "array", "glb_kib",
                 "--network", "n1", "--out", str(heat)]) == 0
    assert heat.read_text().lstrip().startswith("<?xml")
    assert main(["plot", "sweep", str(results_csv), "--x", "latncy_ms",
                 "--out", str(out)]) == 2
    assert "r.csv: no column 'latncy_ms' for --x (did you mean 'latency_ms'?)" \
        in capsys.readouterr().err


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_progress_bar_shows_rate_and_time_left():
    stream, clock = io.StringIO(), Clock()
    bar = ProgressBar(stream, label="s", width=10, min_interval_s=0, clock=clock, terminal=True)
    bar(20, 120)  # 20 rows were already done (a resumed sweep): not counted in the rate
    clock.now += 5
    bar(30, 120)  # 10 new rows in 5 s = 2 rows/s; 90 left -> 45 s
    last = stream.getvalue().split("\r")[-1]
    # 25 % of 10 cells: two full cells
    assert last == "s [##........] 30/120 (25%) 2.0 rows/s, 0:45 left, 0:05 elapsed"
    bar.message("skipped one")  # on its own line, the bar redrawn below it
    assert stream.getvalue().endswith("\rskipped one\n" + last)
    bar.close()
    assert stream.getvalue().endswith("\n")


def test_progress_off_a_terminal_is_a_few_whole_lines():
    """A log file gets a line per tenth of the rows and one at the end, no carriage
    returns: 1,000 updates make 10 + 1 lines (and the skipped-row message its own)."""
    stream, clock = io.StringIO(), Clock()
    bar = ProgressBar(stream, label="s", width=10, min_interval_s=0, clock=clock)
    assert not bar.terminal  # a StringIO is no terminal
    for done in range(1, 1001):
        clock.now += 0.01
        bar(done, 1000)
        if done == 500:
            bar.message("skipped one")
    bar.close()
    text = stream.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert len(lines) == 10 + 1 + 1 and "skipped one" in lines
    assert lines[0].startswith("s [..........] 1/1000 (0%)")
    assert lines[1].startswith("s [#.........] 100/1000 (10%)")
    assert lines[-1].startswith("s [##########] 1000/1000 (100%)")


def test_format_duration():
    assert format_duration(75) == "1:15"
    assert format_duration(3600 + 2 * 60 + 5) == "1:02:05"


def test_keys_and_names_of_digits_stay_text(tmp_path):
    # a config key is 16 hex digits: some are all digits ("0012..." must keep its zeros, and
    # "12e4..." is not the float 1.2e...); a network may be named "2019"
    from hwsim.sweep.results import read_rows
    row = _row("0012345678901234", "2019", 8, 64, 4.0, 10.0)
    other = _row("12e4567890123456", "n1", 8, 64, 4.0, 10.0)
    path = tmp_path / "r.csv"
    path.write_text("\n".join([",".join(HEADER)] + [",".join(str(r[c]) for c in HEADER)
                                                    for r in (row, other)]) + "\n")
    rows = read_rows(path)
    assert [r["config_key"] for r in rows] == ["0012345678901234", "12e4567890123456"]
    assert rows[0]["network"] == "2019" and rows[0]["array"] == 8


def test_cells_are_written_as_plain_text():
    import numpy as np

    from hwsim.sweep.columns import format_cell, parse_cell

    assert [format_cell(v) for v in (1.5, 3, True, False, None, "a\nb")] == \
        ["1.5", "3", "true", "false", "", "a | b"]
    # a numpy float (array arithmetic) is written as the plain float, and reads back equal
    assert format_cell(np.float64(2.5)) == "2.5" and parse_cell("2.5") == 2.5
    assert format_cell(0.1 + 0.2) == "0.30000000000000004"  # repr: round-trips exactly
