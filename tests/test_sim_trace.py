"""Chrome trace-event files and the Gantt chart of a schedule."""

from __future__ import annotations

import json

import pytest

from hwsim.cli.main import main
from hwsim.cost.tiles import TileRun
from hwsim.errors import InputError
from hwsim.report.timeline_plot import plot_timeline, timeline_figure
from hwsim.sim import ScheduleItem, SimMachine, run_schedule, write_chrome_trace
from hwsim.sim.schedule import TRACK_ARRAY, TRACK_DMA, TRACK_LAYERS, TRACK_VECTOR
from hwsim.sim.trace import MAX_PROBLEMS, read_chrome_trace

MACHINE = SimMachine(dram_latency_cycles=100, dram_bytes_per_cycle=16, glb_bytes=10_000,
                     weight_prefetch=False)
ITEMS = [ScheduleItem("conv", (TileRun(2, 320, 50, 160, 0, 1000),)),
         ScheduleItem("pool", (TileRun(1, 160, 20, 0, 0, 1000),), deps=("conv",), unit="vector")]


def test_trace_is_valid_json_with_one_track_per_resource(tmp_path):
    path = write_chrome_trace(run_schedule(ITEMS, MACHINE), tmp_path / "t.json", clock_mhz=500,
                              metadata={"network": "toy"})
    data = json.loads(path.read_text())
    events = data["traceEvents"]
    threads = {e["args"]["name"]: e["tid"] for e in events if e["name"] == "thread_name"}
    assert set(threads) == {TRACK_LAYERS, TRACK_DMA, TRACK_ARRAY, TRACK_VECTOR}
    slices = [e for e in events if e["ph"] == "X"]
    by_track = {name: [e for e in slices if e["tid"] == tid] for name, tid in threads.items()}
    # conv: 2 loads + 2 stores, pool: 1 load; 2 array tiles; 1 vector tile; 2 layers
    assert len(by_track[TRACK_DMA]) == 2 + 2 + 1
    assert len(by_track[TRACK_ARRAY]) == 2
    assert len(by_track[TRACK_VECTOR]) == 1
    assert [e["name"] for e in by_track[TRACK_LAYERS]] == ["conv", "pool"]
    # timestamps in microseconds at 500 MHz; cycles kept in args
    first_load = by_track[TRACK_DMA][0]
    # every transfer pays the latency: load = 100 + 320 / 16 = 120 cycles from cycle 0
    assert first_load["ts"] == 0 and first_load["dur"] == 120 / 500
    assert first_load["args"]["start_cycle"] == 0
    assert data["otherData"]["network"] == "toy"
    # conv: A = 120, C = 50, D = 100 + 10 = 110: 120 + max(50, 120) + max(50, 110) + 110;
    # pool: load 100 + 10, compute 20
    assert data["otherData"]["total_cycles"] == (120 + 120 + 110 + 110) + (110 + 20)
    counters = [e for e in events if e["ph"] == "C"]
    assert max(e["args"]["bytes held"] for e in counters) == 2 * 1000


def test_coalesced_runs_are_single_slices():
    item = ScheduleItem("big", (TileRun(1000, 10, 30, 5, 0, 100),))
    schedule = run_schedule([item], SimMachine(0, 1, 1000))
    array = [s for s in schedule.slices if s.track == TRACK_ARRAY]
    assert sum(s.tiles for s in array) == 1000
    assert len(array) <= 3
    assert sum(s.busy_cycles for s in array) == 1000 * 30


def test_timeline_plot_from_schedule_and_from_trace_file(tmp_path):
    schedule = run_schedule(ITEMS, MACHINE)
    png = plot_timeline(schedule, tmp_path / "a.png", title="toy")
    trace = write_chrome_trace(schedule, tmp_path / "t.json")
    svg = plot_timeline(trace, tmp_path / "b.svg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = svg.read_text()
    assert "<svg" in text and "PE array" in text and "vector unit" in text


# --- regression: `hwsim plot timeline --trace F` crashed on files that are not traces ---------

def plot_trace(capsys, path, tmp_path):
    status = main(["plot", "timeline", "--trace", str(path), "--out", str(tmp_path / "x.png")])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("content, message", [
    (b"", "empty file: expected a Chrome trace (JSON)"),                       # JSONDecodeError
    (b"\xff\xfe\x00binary", "not a text file (byte 0 is not UTF-8)"),          # UnicodeDecodeError
    (b'{"traceEvents": 5}', "traceEvents: must be an array of events, found the number 5"),
    (b'[{"ph":"X"}]', "[0].ts: missing (a number is needed)"),                 # TypeError
    (b'{"traceEvents": [{"ph": "X", "ts": 1, "dur": -2}]}',
     "traceEvents[0].dur: must be at least 0, found -2"),
    (b'{"traceEvents": [3]}', "traceEvents[0]: an event must be an object, found the number 3"),
    (b'{"events": []}', "traceEvents: missing: not a Chrome trace"),
    (b'"hello"', "not a Chrome trace: expected an object with a 'traceEvents' array"),
    (b'{"traceEvents": [{"ph": "M", "name": "x"}]}', 'traceEvents: no complete events ("ph": "X")'),
    (b'{"traceEvents": [\n{"ph": "X",}]}', "line 2 column 12: not valid JSON"),  # the "}" after ","
])
def test_bug_plot_timeline_crashed_on_a_bad_trace_file(capsys, tmp_path, content, message):
    path = tmp_path / "bad.trace.json"
    path.write_bytes(content)
    status, out, err = plot_trace(capsys, path, tmp_path)
    assert status == 2
    assert err.startswith("hwsim: error: ") and f"{path}: {message}" in err
    assert "Traceback" not in err and out == ""
    assert not (tmp_path / "x.png").exists()


def test_bug_plot_timeline_trace_is_a_directory_or_missing(capsys, tmp_path):
    status, _, err = plot_trace(capsys, tmp_path, tmp_path)
    assert status == 2 and f"{tmp_path}: is a directory, not a trace file" in err
    status, _, err = plot_trace(capsys, tmp_path / "nope.json", tmp_path)
    assert status == 2 and f"{tmp_path / 'nope.json'}: file not found" in err


def test_a_bad_trace_lists_its_first_problems_only(tmp_path):
    path = tmp_path / "many.json"
    path.write_text(json.dumps([{"ph": "X"}] * 30))       # each lacks ts and dur
    with pytest.raises(InputError) as caught:
        read_chrome_trace(path)
    problems = caught.value.problems
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1].message == f"... and {30 * 2 - MAX_PROBLEMS} more problems"


def test_a_trace_from_another_tool_draws_in_microseconds(capsys, tmp_path):
    """The bare-array form with the format's own ts/dur (no hwsim cycle numbers) is drawn."""
    path = tmp_path / "other.json"
    path.write_text(json.dumps([
        {"ph": "M", "name": "thread_name", "tid": 7, "args": {"name": "worker"}},
        {"ph": "X", "name": "a", "tid": 7, "ts": 0, "dur": 40},
        {"ph": "X", "name": "b", "tid": 7, "ts": 40, "dur": 60}]))
    figure = timeline_figure(path)
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["worker"]
    assert ax.get_xlim() == (0, 40 + 60)
    assert ax.get_xlabel() == "us"
    status, _, err = plot_trace(capsys, path, tmp_path)
    assert status == 0, err
    assert (tmp_path / "x.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_written_trace_reads_back(tmp_path):
    schedule = run_schedule(ITEMS, MACHINE)
    path = write_chrome_trace(schedule, tmp_path / "new" / "dir" / "t.json")   # folders made
    data = read_chrome_trace(path)
    slices = [e for e in data["traceEvents"] if e["ph"] == "X"]
    # 2 layers + DMA (2 loads + 2 stores + 1 load) + 2 array tiles + 1 vector tile
    assert len(slices) == 2 + 5 + 2 + 1
