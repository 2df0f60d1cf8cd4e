"""Chrome trace-event files and the Gantt chart of a schedule."""

from __future__ import annotations

import json

from hwsim.cost.tiles import TileRun
from hwsim.report.timeline_plot import plot_timeline
from hwsim.sim import ScheduleItem, SimMachine, run_schedule, write_chrome_trace
from hwsim.sim.schedule import TRACK_ARRAY, TRACK_DMA, TRACK_LAYERS, TRACK_VECTOR

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
    assert first_load["ts"] == 100 / 500 and first_load["dur"] == 20 / 500
    assert first_load["args"]["start_cycle"] == 100
    assert data["otherData"]["network"] == "toy"
    assert data["otherData"]["total_cycles"] == 230 + (100 + 10 + 20)
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
