"""A schedule as a Chrome trace-event file (for Perfetto, chrome://tracing or speedscope).

The file is the JSON object format of the Trace Event Format: ``{"traceEvents": [...],
"displayTimeUnit": "ns", "otherData": {...}}``. The accelerator is one process; each resource
is one thread (track), named and ordered with metadata events: layers, the DMA channel, the
prefetch stream, the PE array, the write-back path and the vector unit. Every
:class:`~hwsim.sim.schedule.TraceSlice` becomes one complete event (``"ph": "X"``), and the
global-buffer occupancy a counter track (``"ph": "C"``). Timestamps are microseconds, as the
format requires: ``cycles / clock_mhz``; every event also carries its cycle numbers in ``args``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from hwsim.sim.schedule import TRACKS, Schedule

PID = 1


def chrome_trace(schedule: Schedule, *, clock_mhz: float = 1000.0,
                 metadata: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The trace-event JSON object of ``schedule`` (timestamps in microseconds at
    ``clock_mhz``)."""
    if not clock_mhz > 0:
        raise ValueError("clock_mhz must be positive")
    us_per_cycle = 1.0 / clock_mhz
    used_tracks = [t for t in TRACKS if any(s.track == t for s in schedule.slices)]
    tids = {track: index + 1 for index, track in enumerate(used_tracks)}
    events: list[dict[str, Any]] = [
        {"name": "process_name", "ph": "M", "pid": PID, "tid": 0,
         "args": {"name": "hwsim accelerator"}},
    ]
    for track, tid in tids.items():
        events.append({"name": "thread_name", "ph": "M", "pid": PID, "tid": tid,
                       "args": {"name": track}})
        events.append({"name": "thread_sort_index", "ph": "M", "pid": PID, "tid": tid,
                       "args": {"sort_index": tid}})
    for s in schedule.slices:
        args: dict[str, Any] = {"layer": s.layer, "start_cycle": s.start_cycle,
                                "duration_cycles": s.duration_cycles,
                                "busy_cycles": s.busy_cycles, "tiles": s.tiles}
        args.update(s.args)
        events.append({"name": s.name, "cat": s.track, "ph": "X", "pid": PID,
                       "tid": tids[s.track], "ts": s.start_cycle * us_per_cycle,
                       "dur": s.duration_cycles * us_per_cycle, "args": args})
    for cycle, level in schedule.glb_occupancy:
        events.append({"name": "global buffer", "ph": "C", "pid": PID,
                       "ts": cycle * us_per_cycle, "args": {"bytes held": level}})
    other: dict[str, Any] = {"clock_mhz": clock_mhz, "time_unit": "us = cycles / clock_mhz",
                             "total_cycles": schedule.total_cycles, "events": schedule.events,
                             "coalesced": schedule.coalesced}
    other.update(metadata or {})
    return {"traceEvents": events, "displayTimeUnit": "ns", "otherData": other}


def write_chrome_trace(schedule: Schedule, path: str | Path, *, clock_mhz: float = 1000.0,
                       metadata: Mapping[str, Any] | None = None) -> Path:
    """Write the trace of ``schedule`` to ``path`` (JSON); returns the path."""
    path = Path(path)
    data = chrome_trace(schedule, clock_mhz=clock_mhz, metadata=metadata)
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    return path
