"""A Gantt chart of an event schedule: one row per resource, one bar per tile or run of tiles.

:func:`plot_timeline` takes a :class:`~hwsim.sim.schedule.Schedule`, a Chrome trace-event
object (as :func:`hwsim.sim.trace.chrome_trace` builds it) or the path of such a JSON file, and
writes a PNG, SVG or PDF. Rows, top to bottom: the layers, the DMA channel, the prefetch
stream, the PE array, the write-back path and the vector unit; below them, the global-buffer
occupancy in bytes. Bars are coloured by what they do (Okabe-Ito colours, named in the legend):
DRAM loads, stores (hatched) and combined store+load transfers, the next layer's prefetch,
array compute, write-back and vector work; the layer row alternates two greys so the layer
boundaries show however many layers there are. A bar that stands for a coalesced run of tiles
is drawn lighter in proportion to the time the resource was idle inside it (busy cycles /
duration). The longest layers are named on the layer row. Time is in cycles (from a trace
written by hwsim: the cycle numbers in each event's ``args``; from another trace:
microseconds). A trace file or object is checked first
(:func:`hwsim.sim.trace.read_chrome_trace`): a file that is not a drawable trace raises an
InputError naming the file and the place, not a JSON or type error from deep inside.

The figure's size is bounded: at most :data:`MAX_TRACKS` rows are drawn (hwsim's own tracks,
then the busiest others); the bars of the remaining tracks share one last row named after
how many they are, with a warning. So a trace of 3,000 tracks gives a figure of about 24
inches, not a 200,000-pixel-tall PNG. Track names are cut to :data:`MAX_NAME_CHARS`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from hwsim.report.figure_style import OKABE_ITO, legend_columns, save_figure, suptitle
from hwsim.sim.schedule import (
    TRACK_ARRAY,
    TRACK_DMA,
    TRACK_LAYERS,
    TRACK_PREFETCH,
    TRACK_VECTOR,
    TRACK_WRITEBACK,
    TRACKS,
    Schedule,
)
from hwsim.sim.trace import check_chrome_trace, read_chrome_trace, trace_in_cycles

log = logging.getLogger(__name__)

#: The most rows a timeline draws (the last one gathers the tracks beyond it).
MAX_TRACKS = 48
#: The most characters of a track name on the figure.
MAX_NAME_CHARS = 40


@dataclass(frozen=True, slots=True)
class _Bar:
    track: str
    layer: str
    start: float
    duration: float
    busy_fraction: float
    name: str = ""

    @property
    def kind(self) -> str:
        """What the bar does, for its colour: the DMA's ``load``/``store``/``store+load``
        (the first word of its name), else its track."""
        word = self.name.split(" ", 1)[0]
        if self.track == TRACK_DMA and word in ("load", "store", "store+load"):
            return word
        return self.track


# kind -> (legend label, colour, hatch); the DMA directions first, then one per track
KINDS: dict[str, tuple[str, str, str]] = {
    "load": ("DRAM load", OKABE_ITO[1], ""),
    "store": ("DRAM store", OKABE_ITO[4], "////"),
    "store+load": ("DRAM store + load", OKABE_ITO[5], "xxxx"),
    TRACK_DMA: ("DRAM transfer", OKABE_ITO[1], ""),
    TRACK_PREFETCH: ("weight prefetch", OKABE_ITO[0], ""),
    TRACK_ARRAY: ("PE array", OKABE_ITO[2], ""),
    TRACK_WRITEBACK: ("write-back", OKABE_ITO[3], ""),
    TRACK_VECTOR: ("vector unit", OKABE_ITO[6], ""),
}
LAYER_GREYS = ("#9a9a9a", "#d0d0d0")


def _from_schedule(schedule: Schedule) -> tuple[list[_Bar], list[tuple[float, float]], str]:
    bars = [_Bar(s.track, s.layer, s.start_cycle, s.duration_cycles,
                 (s.busy_cycles / s.duration_cycles) if s.duration_cycles > 0 else 1.0, s.name)
            for s in schedule.slices]
    occupancy = [(float(t), float(level)) for t, level in schedule.glb_occupancy]
    return bars, occupancy, "cycles"


def _from_trace(trace: Mapping[str, Any]) -> tuple[list[_Bar], list[tuple[float, float]], str]:
    """Bars and occupancy of a trace already checked by :func:`check_chrome_trace`."""
    events = trace["traceEvents"]
    names = {e.get("tid"): e.get("args", {}).get("name") for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name"}
    slices = [e for e in events if e.get("ph") == "X"]
    in_cycles = trace_in_cycles(events)
    bars = []
    for e in slices:
        args = e.get("args", {})
        if in_cycles:
            start, duration = float(args["start_cycle"]), float(args["duration_cycles"])
            busy = float(args.get("busy_cycles", duration))
        else:
            start, duration = float(e.get("ts", 0.0)), float(e.get("dur", 0.0))
            busy = duration
        track = names.get(e.get("tid")) or e.get("cat") or str(e.get("tid"))
        bars.append(_Bar(track, str(args.get("layer", e.get("name", ""))), start, duration,
                         busy / duration if duration > 0 else 1.0, str(e.get("name", ""))))
    occupancy = []
    clock = trace.get("otherData", {}).get("clock_mhz")
    for e in events:
        if e.get("ph") == "C":
            value = next(iter(e.get("args", {}).values()), 0.0)
            ts = float(e.get("ts", 0.0))
            occupancy.append((ts * clock if (in_cycles and clock) else ts, float(value)))
    return bars, occupancy, "cycles" if in_cycles else "us"


def _load(source: Any) -> tuple[list[_Bar], list[tuple[float, float]], str]:
    if isinstance(source, Schedule):
        return _from_schedule(source)
    if isinstance(source, (str, Path)):
        return _from_trace(read_chrome_trace(source))
    if isinstance(source, Mapping):
        return _from_trace(check_chrome_trace(dict(source)))
    if isinstance(source, list):
        return _from_trace(check_chrome_trace(source))
    raise TypeError("plot_timeline needs a Schedule, a trace-event object or a trace file path")


def _scale(peak: float, unit: str) -> tuple[float, str]:
    if unit != "cycles":
        return 1.0, unit
    if peak >= 1e6:
        return 1e6, "M cycles"
    if peak >= 1e3:
        return 1e3, "K cycles"
    return 1.0, "cycles"


def _bounded_tracks(bars: list[_Bar]) -> tuple[list[_Bar], list[str]]:
    """The bars and the rows to draw, at most :data:`MAX_TRACKS`: hwsim's tracks in their
    order, then the others by busy time; the bars of the tracks beyond move to one row."""
    present = {b.track for b in bars}
    known = [t for t in TRACKS if t in present]
    busy: dict[str, float] = {}
    for bar in bars:
        if bar.track not in TRACKS:
            busy[bar.track] = busy.get(bar.track, 0.0) + bar.duration
    others = sorted(busy, key=lambda t: (-busy[t], t))
    tracks = known + others
    if len(tracks) > MAX_TRACKS:
        kept = tracks[: MAX_TRACKS - 1]
        rest = len(tracks) - len(kept)
        merged = f"({rest:,} more tracks)"
        log.warning("timeline: %d tracks; drawing %d and the bars of the other %d on one row",
                    len(tracks), len(kept), rest)
        keep = set(kept)
        bars = [b if b.track in keep else replace(b, track=merged) for b in bars]
        tracks = [*kept, merged]
    return bars, tracks


def _label(track: str) -> str:
    return track if len(track) <= MAX_NAME_CHARS else track[: MAX_NAME_CHARS - 3] + "..."


def timeline_figure(source: Any, *, title: str = "", max_labels: int = 12,
                    width_in: float | None = None) -> Figure:
    """The Gantt chart of ``source`` (Schedule, trace object or trace path) as a Figure,
    ``width_in`` wide (default 11 in; 3.5 for a column, 7 for a page)."""
    bars, occupancy, unit = _load(source)
    bars, tracks = _bounded_tracks(bars)
    peak = max((b.start + b.duration for b in bars), default=1.0)
    factor, label = _scale(peak, unit)
    width_in = width_in or 11.0
    narrow = width_in < 5
    if narrow:  # the long track names take half a column: short ones
        short = {TRACK_DMA: "DMA", TRACK_PREFETCH: "prefetch", TRACK_WRITEBACK: "write-back"}
    else:
        short = {}
    figure = Figure(figsize=(width_in, 1.9 + 0.45 * len(tracks) + (1.1 if occupancy else 0.0)),
                    layout="constrained")
    if occupancy:
        grid = figure.add_gridspec(2, 1, height_ratios=[max(len(tracks), 1) * 0.45, 1.0])
        ax = figure.add_subplot(grid[0])
        ax_buf = figure.add_subplot(grid[1], sharex=ax)
    else:
        ax = figure.add_subplot(1, 1, 1)
        ax_buf = None
    rows = {track: len(tracks) - 1 - i for i, track in enumerate(tracks)}
    _draw_bars(ax, bars, tracks, rows, factor)
    if TRACK_LAYERS in rows:
        _name_layers(ax, bars, rows[TRACK_LAYERS], factor, peak, width_in, max_labels)
    ax.set_yticks([rows[t] for t in tracks], labels=[_label(short.get(t, t)) for t in tracks],
                  fontsize=7 if narrow else 8)
    ax.set_ylim(-0.6, len(tracks) - 0.4)
    ax.set_xlim(0, peak / factor)
    ax.grid(axis="x", linewidth=0.4, alpha=0.5)
    if title:
        suptitle(figure, title, width_in, font=9 if narrow else 10)
    _legend(figure, bars, width_in)
    if ax_buf is not None:
        xs = [t / factor for t, _ in occupancy] + [peak / factor]
        ys = [v / 1024 for _, v in occupancy]
        ys.append(ys[-1] if ys else 0.0)
        ax_buf.step(xs, ys, where="post", color=OKABE_ITO[3], linewidth=1.0)
        ax_buf.set_ylabel("buffer KiB", fontsize=8)
        ax_buf.set_xlabel(label, fontsize=8)
        ax_buf.tick_params(labelsize=7)
        ax.tick_params(axis="x", labelbottom=False)
    else:
        ax.set_xlabel(label, fontsize=8)
    return figure


def _draw_bars(ax: Any, bars: list[_Bar], tracks: list[str], rows: Mapping[str, int],
               factor: float) -> None:
    """Every track's bars on its row, coloured by kind (the layer row in alternating greys,
    a coalesced bar lighter by its idle share)."""
    layer_order: dict[str, int] = {}
    for bar in sorted(bars, key=lambda b: b.start):
        layer_order.setdefault(bar.layer, len(layer_order))
    for track in tracks:
        mine = [b for b in bars if b.track == track and b.duration > 0]
        if not mine:
            continue
        for kind in dict.fromkeys(b.kind for b in mine):
            same = [b for b in mine if b.kind == kind]
            spans = [(b.start / factor, b.duration / factor) for b in same]
            if track == TRACK_LAYERS:
                colours = [to_rgba(LAYER_GREYS[layer_order[b.layer] % 2]) for b in same]
                hatch = ""
            else:
                _kind_name, colour, hatch = KINDS.get(kind, (kind, OKABE_ITO[7], ""))
                colours = [to_rgba(colour, 0.3 + 0.7 * min(max(b.busy_fraction, 0.0), 1.0))
                           for b in same]
            ax.broken_barh(spans, (rows[track] - 0.4, 0.8), facecolors=colours, linewidth=0,
                           hatch=hatch or None, edgecolor="black" if hatch else None)


def _name_layers(ax: Any, bars: list[_Bar], row: int, factor: float, peak: float,
                 width_in: float, max_labels: int) -> None:
    """The names of the ``max_labels`` longest layers on the layer row, where they fit."""
    layer_bars = sorted((b for b in bars if b.track == TRACK_LAYERS),
                        key=lambda b: -b.duration)[:max_labels]
    for bar in layer_bars:
        # a label goes on a bar only where it fits (about 0.7 % of the width per
        # character at this size); long hierarchical names fall back to their last part
        room = int(bar.duration / peak / (0.007 * 11.0 / width_in))
        text = bar.layer if len(bar.layer) <= room else bar.layer.rsplit("/", 1)[-1]
        if len(text) > room:
            continue
        ax.text((bar.start + bar.duration / 2) / factor, row, text,
                ha="center", va="center", fontsize=7, clip_on=True)


def _legend(figure: Figure, bars: list[_Bar], width_in: float) -> None:
    """One legend entry per kind of bar drawn (the layer row's greys need none)."""
    used = [k for k in KINDS if any(b.kind == k and b.track != TRACK_LAYERS for b in bars)]
    handles = [Patch(facecolor=KINDS[k][1], hatch=KINDS[k][2] or None, edgecolor="black",
                     linewidth=0.3, label=KINDS[k][0]) for k in used]
    if handles:
        labels = [str(h.get_label()) for h in handles]
        figure.legend(handles, labels, loc="outside lower center", frameon=False,
                      fontsize=7, ncols=legend_columns(labels, width_in, font=7))


def plot_timeline(schedule_or_trace: Any, path: str | Path, *, title: str = "") -> Path:
    """Draw the Gantt chart of a Schedule, trace object or trace file into ``path``
    (.png, .svg or .pdf); returns the path."""
    return save_figure(timeline_figure(schedule_or_trace, title=title), path)
