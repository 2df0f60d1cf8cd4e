"""Issue 15, outputs: a timeline of thousands of tracks has a bounded size, and ``run``
writes its files through a temporary file, so a write that fails leaves no truncated file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hwsim.report.timeline_plot import MAX_TRACKS, timeline_figure

ROOT = Path(__file__).resolve().parents[1]
SQUEEZENET = str(ROOT / "networks" / "squeezenet_v1.0.yaml")
WS16 = str(ROOT / "accelerators" / "ws_16x16.yaml")


def many_tracks_trace(tracks: int) -> dict:
    events = []
    for tid in range(tracks):
        events.append({"ph": "M", "name": "thread_name", "pid": 1, "tid": tid,
                       "args": {"name": f"track {tid}"}})
        # track t is busy for t + 1 microseconds: the busiest are the last ones
        events.append({"ph": "X", "name": f"op{tid}", "pid": 1, "tid": tid, "ts": 0,
                       "dur": tid + 1})
    return {"traceEvents": events}


def test_a_trace_of_3000_tracks_draws_a_bounded_figure(caplog):
    figure = timeline_figure(many_tracks_trace(3000))
    ax = figure.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == MAX_TRACKS
    # in track order (top row first): the busiest track (2999) first, then the 3000 - 47
    # tracks gathered on the last row
    assert labels[0] == "track 2999" and labels[-1] == "(2,953 more tracks)"
    # 1.9 in of title, axis and legend below + 0.45 in per row: 23.5 in, where 3,000 rows
    # asked for 1,352 in
    assert figure.get_size_inches()[1] == pytest.approx(1.9 + 0.45 * MAX_TRACKS)
    assert "3000 tracks; drawing 47" in caplog.text


def test_run_trace_on_a_full_disk_leaves_no_truncated_file(tmp_path):
    trace = tmp_path / "t.json"
    trace.write_text('{"old": "trace"}\n')

    def small_disk() -> None:  # files may not grow past 4 KiB: the trace is far larger
        import resource
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "hwsim", "run", SQUEEZENET, "--accel", WS16,
                           "--trace", str(trace)], env=env, capture_output=True, text=True,
                          preexec_fn=small_disk, timeout=300)
    assert done.returncode == 2, done.stderr
    assert f"hwsim: error: --trace: {trace}: cannot write: File too large" in done.stderr
    assert done.stdout == ""
    assert json.loads(trace.read_text()) == {"old": "trace"}  # the old file, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.json"]  # no temporary left


def test_run_out_writes_whole_files_with_normal_permissions(tmp_path, capsys):
    from hwsim.cli.main import main

    out = tmp_path / "o"
    assert main(["run", SQUEEZENET, "--accel", WS16, "--engine", "analytic", "--format",
                 "csv", "--out", str(out)]) == 0
    capsys.readouterr()
    files = sorted(out.iterdir())
    assert [p.suffix for p in files] == [".csv", ".json"]  # no temporary folder left
    umask = os.umask(0)
    os.umask(umask)
    assert all(p.stat().st_mode & 0o777 == 0o666 & ~umask for p in files)
    json.loads(files[1].read_text())


def test_a_trace_nested_a_hundred_thousand_deep_is_bad_input_not_a_recursion_error(tmp_path, capsys):
    """Issue 15: a deeply nested JSON trace gave a RecursionError traceback."""
    from hwsim.cli.main import main

    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    assert main(["plot", "timeline", "--trace", str(path), "--out", str(tmp_path / "t.png")]) == 2
    err = capsys.readouterr().err
    assert f"{path}: JSON nested too deeply to be a Chrome trace" in err
    assert "Traceback" not in err
