"""A schedule as a Chrome trace-event file (for Perfetto, chrome://tracing or speedscope).

The file is the JSON object format of the Trace Event Format: ``{"traceEvents": [...],
"displayTimeUnit": "ns", "otherData": {...}}``. The accelerator is one process; each resource
is one thread (track), named and ordered with metadata events: layers, the DMA channel, the
prefetch stream, the PE array, the write-back path and the vector unit. Every
:class:`~hwsim.sim.schedule.TraceSlice` becomes one complete event (``"ph": "X"``), and the
global-buffer occupancy a counter track (``"ph": "C"``). Timestamps are microseconds, as the
format requires: ``cycles / clock_mhz``; every event also carries its cycle numbers in ``args``.

:func:`read_chrome_trace` reads such a file back (written by hwsim or another tool, object or
bare-array form) and checks what a drawing needs: every complete event has numbers ``ts`` and
``dur >= 0`` (or, from hwsim, ``args.start_cycle`` and ``args.duration_cycles``), every
counter event a number ``ts`` and numeric ``args``. A file that is not such a trace raises one
:class:`~hwsim.errors.InputError` naming the file, the place (``traceEvents[3].dur``) and what
is wrong: empty, not UTF-8 text, not JSON, or events of the wrong shape.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hwsim._version import json_header
from hwsim.errors import InputError, Problem, ProblemCollector
from hwsim.sim.schedule import TRACKS, Schedule

PID = 1
MAX_PROBLEMS = 10  # a broken trace can have thousands of bad events: report the first few


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
    other: dict[str, Any] = {**json_header(), "clock_mhz": clock_mhz, "time_unit": "us = cycles / clock_mhz",
                             "total_cycles": schedule.total_cycles, "events": schedule.events,
                             "coalesced": schedule.coalesced}
    other.update(metadata or {})
    return {"traceEvents": events, "displayTimeUnit": "ns", "otherData": other}


def write_chrome_trace(schedule: Schedule, path: str | Path, *, clock_mhz: float = 1000.0,
                       metadata: Mapping[str, Any] | None = None) -> Path:
    """Write the trace of ``schedule`` to ``path`` (JSON); returns the path."""
    path = Path(path)
    data = chrome_trace(schedule, clock_mhz=clock_mhz, metadata=metadata)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    return path


# --- reading a trace back -------------------------------------------------------------------

def _json_kind(value: Any) -> str:
    """How a JSON value reads in an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value \
        and value not in (float("inf"), float("-inf"))


def _check_number(problems: ProblemCollector, owner: Mapping[str, Any], key: str, place: str,
                  *, minimum: float | None = None, required: bool = True) -> None:
    if key not in owner:
        if required:
            problems.add(f"{place}.{key}", "missing (a number is needed)")
        return
    value = owner[key]
    if not _is_number(value):
        problems.add(f"{place}.{key}", f"must be a number, found {_json_kind(value)}")
    elif minimum is not None and value < minimum:
        problems.add(f"{place}.{key}", f"must be at least {minimum:g}, found {value!r}")


def check_chrome_trace(data: Any, file: str | Path = "<trace>") -> dict[str, Any]:
    """Check that ``data`` (parsed JSON) is a trace-event object or array that can be drawn;
    returns it as ``{"traceEvents": [...], "otherData": {...}}``. Raises one InputError
    listing the first :data:`MAX_PROBLEMS` problems, each with its place in the file."""
    problems = ProblemCollector(file)
    if isinstance(data, list):          # the bare-array form of the format
        events, other, prefix = data, {}, ""
    elif isinstance(data, dict):
        if "traceEvents" not in data:
            raise InputError([Problem(str(file), "traceEvents", "missing: not a Chrome trace "
                                      "(expected an object with a 'traceEvents' array)")])
        events, other, prefix = data["traceEvents"], data.get("otherData", {}), "traceEvents"
        if not isinstance(events, list):
            raise InputError([Problem(str(file), "traceEvents", "must be an array of events, "
                                      f"found {_json_kind(events)}")])
        if not isinstance(other, dict):
            problems.add("otherData", f"must be an object, found {_json_kind(other)}")
            other = {}
        elif "clock_mhz" in other and not (_is_number(other["clock_mhz"])
                                           and other["clock_mhz"] > 0):
            problems.add("otherData.clock_mhz", "must be a positive number, found "
                         + _json_kind(other["clock_mhz"]))
    else:
        raise InputError([Problem(str(file), "", "not a Chrome trace: expected an object with "
                                  f"a 'traceEvents' array (or an array of events), found "
                                  f"{_json_kind(data)}")])
    in_cycles = trace_in_cycles(events)
    drawn = extra = 0
    for index, event in enumerate(events):
        place = f"{prefix}[{index}]"
        if not isinstance(event, dict):
            problems.add(place, f"an event must be an object, found {_json_kind(event)}")
        else:
            _check_event(problems, event, place, in_cycles)
            drawn += event.get("ph") == "X"
        if len(problems.problems) > MAX_PROBLEMS:
            extra += len(problems.problems) - MAX_PROBLEMS
            del problems.problems[MAX_PROBLEMS:]
    if not problems and drawn == 0:
        problems.add(prefix, "no complete events (\"ph\": \"X\"): nothing to draw")
    if extra:
        problems.add("", f"... and {extra} more problems")
    problems.raise_if_any()
    return {"traceEvents": events, "otherData": other}


def trace_in_cycles(events: list[Any]) -> bool:
    """Whether every complete event carries hwsim's cycle numbers (``args.start_cycle``):
    then the cycles are drawn, otherwise the format's ``ts`` and ``dur`` (microseconds)."""
    slices = [e for e in events if isinstance(e, dict) and e.get("ph") == "X"]
    return bool(slices) and all(isinstance(e.get("args"), dict) and "start_cycle" in e["args"]
                                for e in slices)


def _check_event(problems: ProblemCollector, event: Mapping[str, Any], place: str,
                 in_cycles: bool) -> None:
    phase = event.get("ph")
    args = event.get("args", {})
    if not isinstance(args, dict):
        problems.add(f"{place}.args", f"must be an object, found {_json_kind(args)}")
        args = {}
    for key in ("name", "cat"):
        if key in event and not isinstance(event[key], str):
            problems.add(f"{place}.{key}", f"must be a string, found {_json_kind(event[key])}")
    tid = event.get("tid")
    if tid is not None and not (isinstance(tid, str) or _is_number(tid)):
        problems.add(f"{place}.tid", f"must be a number or a string, found {_json_kind(tid)}")
    if phase == "X":
        if in_cycles:
            _check_number(problems, args, "start_cycle", f"{place}.args")
            _check_number(problems, args, "duration_cycles", f"{place}.args", minimum=0.0)
            _check_number(problems, args, "busy_cycles", f"{place}.args", minimum=0.0,
                          required=False)
        else:
            _check_number(problems, event, "ts", place)
            _check_number(problems, event, "dur", place, minimum=0.0)
    elif phase == "C":
        _check_number(problems, event, "ts", place)
        values = list(args.values())
        if not values or not _is_number(values[0]):
            problems.add(f"{place}.args", "a counter event needs a number value, e.g. "
                                          "{\"bytes held\": 1024}")
    elif phase == "M" and event.get("name") == "thread_name":
        if not isinstance(args.get("name"), str):
            problems.add(f"{place}.args.name", "a thread_name event needs the track name "
                                               "(a string)")


def read_chrome_trace(path: str | Path) -> dict[str, Any]:
    """Read and check the Chrome trace file at ``path`` (see :func:`check_chrome_trace`)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise InputError("is a directory, not a trace file", file=path) from None
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not a text file (byte {exc.start} is not UTF-8): a Chrome trace is "
                         "JSON text", file=path) from None
    if not text.strip():
        raise InputError("empty file: expected a Chrome trace (JSON)", file=path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(str(path), f"line {exc.lineno} column {exc.colno}",
                                  f"not valid JSON: {exc.msg}")]) from None
    except RecursionError:  # JSON nested thousands deep: no trace is shaped like that
        raise InputError("JSON nested too deeply to be a Chrome trace (a trace is an object "
                         "with a flat 'traceEvents' list)", file=path) from None
    return check_chrome_trace(data, path)
