"""Figures of simulation results, drawn with matplotlib (the only module family that draws).

Every function returns a :class:`matplotlib.figure.Figure` built without ``pyplot`` (so no
global state and no display backend: rendering goes through Agg for PNG and matplotlib's
own SVG and PDF writers); :func:`save_figure` writes it as PNG, SVG or PDF, chosen by the
file suffix, with fixed metadata so the same inputs give the same file.

Readable in print and for colour-blind readers: series take the Okabe-Ito palette (Okabe &
Ito, "Color Universal Design", 2008) *and* vary a second cue (bar hatches, line markers and
dash styles), so a figure still reads in grey scale.

The figures:

* :func:`per_layer_figure`: per-layer time as bars, PE utilization as a line on a second
  axis; one bar per series and layer (series: dataflows, accelerators or network variants;
  the style of the SqueezeNext study's per-layer figures). Series with the same layer list
  share one panel (grouped bars); otherwise each series gets its own panel.
* :func:`energy_figure`: energy stacked by component (MAC, register file, inter-PE array,
  global buffer, DRAM, leakage), per layer of one run or per run.
* :func:`roofline_figure`: the accelerator's roofline (attained MACs per cycle cannot exceed
  the array's peak nor DRAM bandwidth x arithmetic intensity) with every layer as a point
  (arithmetic intensity in MACs per DRAM byte vs attained MACs per cycle), coloured and
  marked by layer class.
* :func:`accuracy_figure`: accuracy against latency and against energy, circle area
  proportional to the parameter count.
* :func:`ratio_figure`: grouped bars of ratios (speed-ups, energy reductions) with a line at 1.
* :func:`parity_figure`: predicted against reference values, log-log, one marker per point and
  a marker and colour per series, with the y = x line and a relative-error band.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from hwsim.result import ENERGY_COMPONENTS

# Okabe-Ito, without the yellow (too light on white paper) first: orange, sky blue, bluish
# green, blue, vermillion, reddish purple, black, yellow.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#000000",
             "#F0E442")
HATCHES = ("", "///", "\\\\\\", "xxx", "...", "ooo", "+++", "---")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
DASHES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (3, 1)), (0, (1, 2)), (0, (8, 2)))
FORMATS = ("png", "svg", "pdf")

CLASS_LABELS = {"first_conv": "first conv", "conv1x1": "1x1 conv", "convFxF": "FxF conv (F>1)",
                "depthwise": "depthwise", "fc": "fully connected", "other": "other"}
COMPONENT_LABELS = {"mac": "MAC", "rf": "register file", "array": "inter-PE", "glb": "global buffer",
                    "dram": "DRAM", "leakage": "leakage"}
FONT_SMALL = 7
FONT = 9


def style(index: int) -> dict[str, Any]:
    """The index-th series' colour, hatch, marker and dash style (cycling)."""
    return {"color": OKABE_ITO[index % len(OKABE_ITO)], "hatch": HATCHES[index % len(HATCHES)],
            "marker": MARKERS[index % len(MARKERS)], "linestyle": DASHES[index % len(DASHES)]}


# --- data carried into figures ----------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LayerSeries:
    """One bar series of a per-layer figure: layer names, cycles, and (optionally)
    utilization as a fraction in [0, 1] per layer (NaN where the array does not run)."""

    label: str
    layers: tuple[str, ...]
    cycles: tuple[float, ...]
    utilization: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.layers) != len(self.cycles):
            raise ValueError(f"series {self.label!r}: {len(self.layers)} layers but "
                             f"{len(self.cycles)} cycle values")
        if self.utilization is not None and len(self.utilization) != len(self.layers):
            raise ValueError(f"series {self.label!r}: utilization length differs from layers")


def array_layers(result: Any, include_vector: bool = False) -> list[Any]:
    """The layer results worth a bar: those with MACs (run on the PE array), plus, with
    ``include_vector``, every other layer that takes time."""
    return [l for l in result.layers
            if l.macs > 0 or (include_vector and l.cycles > 0)]


def layer_series(result: Any, label: str | None = None, include_vector: bool = False) -> LayerSeries:
    """A :class:`LayerSeries` of a simulation result (label: network @ accelerator)."""
    layers = array_layers(result, include_vector)
    if label is None:
        label = f"{result.network.name} @ {result.accelerator.name}"
    # the array's utilization means nothing where the array does not work (pooling, add ...
    # on the vector unit): NaN there, which breaks the line instead of drawing a 0 % dip
    return LayerSeries(label, tuple(l.name for l in layers), tuple(float(l.cycles) for l in layers),
                       tuple(float(l.utilization) if l.macs > 0 else math.nan for l in layers))


def stage_series(result: Any, label: str | None = None, separator: str = "/") -> LayerSeries:
    """A :class:`LayerSeries` with one bar per stage instead of per layer: consecutive array
    layers whose names share the part before the first ``separator`` (``stage2/block1/...``)
    are summed into one bar named by it; a layer without the separator stays on its own.
    Utilization is the MAC-weighted mean of the stage's layers. For deep networks (over a
    hundred layers) whose per-layer labels would not be readable."""
    stages: list[tuple[str, float, float, int]] = []  # name, cycles, utilization x MACs, MACs
    for l in array_layers(result):
        name = l.name.split(separator, 1)[0]
        if stages and stages[-1][0] == name and separator in l.name:
            n, c, um, m = stages[-1]
            stages[-1] = (n, c + l.cycles, um + l.utilization * l.macs, m + l.macs)
        else:
            stages.append((name, float(l.cycles), l.utilization * l.macs, l.macs))
    if label is None:
        label = f"{result.network.name} @ {result.accelerator.name}"
    return LayerSeries(label, tuple(n for n, *_ in stages), tuple(c for _, c, _, _ in stages),
                       tuple(um / m if m else math.nan for _, _, um, m in stages))


# --- helpers ---------------------------------------------------------------------------------

# Figure widths for a paper: one column of a two-column layout, and the whole page.
SIZES = {"column": 3.5, "page": 7.0}


def size_width(size: str | float | None, default: float | None = None) -> float | None:
    """The width in inches of a ``size`` (``column``, ``page``, a number of inches, or None
    for ``default``)."""
    if size is None:
        return default
    if isinstance(size, str):
        if size not in SIZES:
            raise ValueError(f"unknown figure size {size!r}; use one of {', '.join(SIZES)}")
        return SIZES[size]
    if not size > 0:
        raise ValueError("a figure width must be positive")
    return float(size)


def _new_figure(width_in: float, height_in: float) -> Figure:
    return Figure(figsize=(width_in, height_in), layout="constrained")


def fit_tick_labels(ax: Any, labels: Sequence[str], width_in: float, *, axis: str = "x",
                    max_font: float = FONT_SMALL) -> None:
    """Put ``labels`` on ticks 0..n-1 so that none overlaps the next: the font shrinks with
    the room per tick (down to 4.5 pt), then only every k-th label is shown; labels are
    turned vertical when they would not fit side by side. ``width_in`` is the axes' length
    (about: the figure's width less the axis labels)."""
    n = len(labels)
    ax_axis = ax.xaxis if axis == "x" else ax.yaxis
    ax_axis.set_ticks(range(n))
    if not n:
        return
    room_pt = 72.0 * width_in / n
    font = max(4.5, min(max_font, 0.8 * room_pt))
    step = max(1, math.ceil(1.25 * font / room_pt))
    shown = [label if i % step == 0 else "" for i, label in enumerate(labels)]
    longest = max((len(label) for label in shown), default=0)
    vertical = axis == "x" and 0.6 * font * longest > 0.9 * room_pt * step
    ax_axis.set_ticklabels(shown, fontsize=font, rotation=90 if vertical else 0)
    if step > 1:  # thinned: the ticks without a label stay as marks
        ax.tick_params(axis=axis, which="major", length=2)


def legend_columns(labels: Sequence[str], width_in: float, font: float = FONT_SMALL) -> int:
    """How many legend columns fit in ``width_in`` (an entry: its handle and its text)."""
    if not labels:
        return 1
    entry_pt = 0.58 * font * max(len(label) for label in labels) + 3.2 * font
    return max(1, min(len(labels), int(72.0 * width_in * 0.95 // entry_pt)))


def _cycles_scale(values: Sequence[float]) -> tuple[float, str]:
    peak = max(values, default=0.0)
    if peak >= 1e6:
        return 1e6, "M cycles"
    if peak >= 1e3:
        return 1e3, "K cycles"
    return 1.0, "cycles"


def _plain_log_ticks(axis: Any) -> None:
    """Log axis labelled 0.1, 1, 10, 100 rather than 10^-1 ... and no minor labels."""
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())


# How every figure is written (the one place figures are saved): fonts embedded as Type 42
# (TrueType) in PDF and PostScript, never Type 3, which IEEE PDF eXpress and the ACM checks
# reject; SVG text kept as text (selectable, editable, searchable), not paths; a fixed SVG
# id salt so the same figure gives the same file.
SAVE_RC: dict[str, Any] = {"pdf.fonttype": 42, "ps.fonttype": 42, "svg.fonttype": "none",
           "svg.hashsalt": "hwsim"}


def save_figure(figure: Figure, path: str | Path, dpi: int = 150) -> Path:
    """Write ``figure`` as PNG, SVG or PDF (by suffix) with reproducible metadata and
    embeddable fonts (:data:`SAVE_RC`)."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"{path}: unsupported figure format '{path.suffix}'; use "
                         + ", ".join("." + f for f in FORMATS))
    metadata = {"png": {"Software": None}, "svg": {"Date": None},
                "pdf": {"CreationDate": None, "ModDate": None}}[fmt]
    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(SAVE_RC):  # type: ignore[arg-type]  # keys are rcParams
        figure.savefig(path, format=fmt, dpi=dpi, metadata=metadata)
    return path


# --- per-layer time and utilization -------------------------------------------------------------

def per_layer_figure(series: Sequence[LayerSeries], title: str = "",
                     show_utilization: bool = True, width_in: float | None = None) -> Figure:
    """Per-layer time (bars) and PE utilization (line, right axis) of one or more series.

    Series with identical layer lists share one panel (grouped bars); series with other
    layers get panels of their own, titled with the labels of their series."""
    if not series:
        raise ValueError("per_layer_figure needs at least one series")
    groups: dict[tuple[str, ...], list[LayerSeries]] = {}
    for s in series:
        groups.setdefault(s.layers, []).append(s)
    if len(groups) == 1:
        return per_layer_panels([("", series)], title, show_utilization, width_in=width_in)
    panels = [(" / ".join(s.label for s in group), group) for group in groups.values()]
    return per_layer_panels(panels, title, show_utilization, share_time_axis=True,
                            width_in=width_in)


def _clip_limit(layer_peaks: Sequence[float], factor: float = 3.0) -> float | None:
    """A y limit that keeps the other bars readable when one layer towers over them (more
    than ``factor`` times the next one, like the WS conv1 bar of the study): 1.3 times the
    second-highest layer, or None when nothing needs clipping."""
    peaks = sorted(layer_peaks, reverse=True)
    if len(peaks) < 2 or peaks[1] <= 0 or peaks[0] <= factor * peaks[1]:
        return None
    return 1.3 * peaks[1]


def per_layer_panels(panels: Sequence[tuple[str, Sequence[LayerSeries]]], title: str = "",
                     show_utilization: bool = True, share_time_axis: bool = False,
                     width_in: float | None = None) -> Figure:
    """One panel per ``(panel title, series)``, stacked vertically.
    Within a panel the series share its layer list (grouped bars). A series keeps its colour,
    hatch, marker and dashes in every panel (series are told apart by label), and one legend
    below the panels names each once. Each panel has its own time axis (one shared by all
    with ``share_time_axis``, to compare variants); a layer more than three times longer
    than any other is clipped at 1.3 times the next one, with its value written on the bar
    (as the study's figure does for the WS conv1 bar). Utilization is drawn only where the
    array works: a layer without MACs (NaN utilization) breaks the line.

    ``width_in`` sets the width (:data:`SIZES`: 3.5 for a column, 7 for a page); by default
    it grows with the number of bars. Layer names shrink, and are thinned, to fit."""
    if not panels or any(not group for _, group in panels):
        raise ValueError("per_layer_panels needs panels with at least one series each")
    for panel_title, group in panels:
        if any(s.layers != group[0].layers for s in group):
            raise ValueError(f"panel {panel_title!r}: series have different layer lists")
    scale, unit = _cycles_scale([c for _, g in panels for s in g for c in s.cycles])
    n_layers = max(len(g[0].layers) for _, g in panels)
    n_series = max(len(g) for _, g in panels)
    width_in = width_in or min(18.0, max(6.0, 0.16 * n_layers * n_series ** 0.5 + 2))
    slots: dict[str, int] = {}
    for _, group in panels:
        for s in group:
            slots.setdefault(s.label, len(slots))
    with_util = show_utilization and any(s.utilization is not None for _, g in panels for s in g)
    longest_label = max(len(name) for _, g in panels for name in g[0].layers)
    panel_in = 1.9 + 0.045 * min(longest_label, 24) if width_in < 5 else 2.4 + 0.05 * min(longest_label, 24)
    figure = _new_figure(width_in, panel_in * len(panels) + 0.9)
    axes = figure.subplots(len(panels), 1, squeeze=False)[:, 0]
    axes_in = width_in - (1.1 if with_util else 0.6)

    def peaks(group: Sequence[LayerSeries]) -> list[float]:
        return [max(s.cycles[i] for s in group) / scale for i in range(len(group[0].layers))]

    shared_peaks = [p for _, group in panels for p in peaks(group)]
    shared_limit = _clip_limit(shared_peaks) or 1.05 * max(shared_peaks, default=0.0)
    legend: dict[str, Any] = {}  # the bars of each series, then their utilization lines
    lines: dict[str, Any] = {}
    for ax, (panel_title, group) in zip(axes, panels):
        layers = group[0].layers
        bar_width = 0.8 / len(group)
        limit = shared_limit if share_time_axis else _clip_limit(peaks(group))
        for slot, s in enumerate(group):
            look = style(slots[s.label])
            xs = [i - 0.4 + bar_width * (slot + 0.5) for i in range(len(layers))]
            heights = [c / scale for c in s.cycles]
            bars = ax.bar(xs, heights, width=bar_width, color=look["color"], hatch=look["hatch"],
                          edgecolor="black", linewidth=0.3, label=s.label)
            legend.setdefault(s.label, bars)
        if limit is not None:  # a clipped layer says its values (one label per layer)
            for i in range(len(layers)):
                clipped = [s.cycles[i] / scale for s in group if s.cycles[i] / scale > limit]
                if clipped:
                    ax.annotate(" / ".join(f"{h:,.3g}" for h in clipped), (i, limit),
                                xytext=(0, -2), textcoords="offset points", ha="center",
                                va="top", rotation=90, fontsize=FONT_SMALL - 1,
                                bbox={"boxstyle": "square,pad=0.1", "fc": "white",
                                      "ec": "none", "alpha": 0.85})
        if limit:
            ax.set_ylim(0, limit)
        fit_tick_labels(ax, layers, axes_in)
        ax.set_xlim(-0.6, len(layers) - 0.4)
        ax.set_ylabel(f"time ({unit})", fontsize=FONT)
        ax.tick_params(axis="y", labelsize=FONT_SMALL)
        ax.grid(axis="y", linewidth=0.3, alpha=0.6)
        ax.set_axisbelow(True)
        if panel_title:
            ax.set_title(panel_title, fontsize=FONT, loc="left")
        util_series = [s for s in group if s.utilization is not None]
        if with_util and util_series:
            twin = ax.twinx()
            for s in util_series:
                look = style(slots[s.label])
                line = twin.plot(
                    range(len(layers)), [100.0 * u for u in s.utilization or ()], color=look["color"],
                    marker=look["marker"], markersize=3, linestyle=look["linestyle"],
                    linewidth=1.2, markeredgecolor="black", markeredgewidth=0.4,
                    path_effects=[patheffects.withStroke(linewidth=2.6, foreground="white")],
                    label=f"{s.label}: PE utilization (right axis)")[0]
                lines.setdefault(line.get_label(), line)
            twin.set_ylim(0, 105)
            twin.set_ylabel("PE utilization (%)", fontsize=FONT)
            twin.tick_params(axis="y", labelsize=FONT_SMALL)
    legend.update(lines)
    labels = list(legend)
    figure.legend([legend[k] for k in labels], labels, fontsize=FONT_SMALL,
                  loc="outside lower center", frameon=False,
                  ncols=legend_columns(labels, width_in))
    suptitle(figure, title, width_in)
    return figure


def suptitle(figure: Figure, title: str, width_in: float, font: float = FONT + 1) -> None:
    """The figure's title, wrapped to its width."""
    if title:
        chars = max(12, int(72.0 * width_in * 0.95 / (0.56 * font)))
        figure.suptitle(textwrap.fill(title, chars), fontsize=font)


# --- energy -----------------------------------------------------------------------------------

def energy_figure(bars: Sequence[tuple[str, Any]], unit_label: str, title: str = "",
                  xlabel: str = "", groups: Sequence[tuple[str, int]] | None = None,
                  width_in: float | None = None) -> Figure:
    """Energy stacked by component: one bar per ``(label, EnergyBreakdown)``.

    ``groups`` (``(title, count)`` pairs, in order, counts summing to the bars) splits the
    bars into side-by-side panels sharing the energy axis, one per group: e.g. one per
    network, with a bar per accelerator. Components that are zero in every bar are left
    out of the stack and the legend; the legend sits below the bars, never on them."""
    if not bars:
        raise ValueError("energy_figure needs at least one bar")
    groups = list(groups or [("", len(bars))])
    if sum(n for _, n in groups) != len(bars) or any(n <= 0 for _, n in groups):
        raise ValueError("energy_figure: the group counts must be positive and add up to the bars")
    components = [c for c in ENERGY_COMPONENTS if any(getattr(e, c) for _, e in bars)]
    peak = max(e.total for _, e in bars)
    scale, prefix = 1.0, ""
    for threshold, p in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if peak >= threshold:
            scale, prefix = threshold, p
            break
    width_in = width_in or min(18.0, max(5.0, 0.18 * len(bars) + 0.4 * len(groups) + 2.5))
    longest = max(len(label) for label, _ in bars)
    figure = _new_figure(width_in, 2.6 + min(longest, 30) * 0.055 + 0.15 * len(components))
    axes = figure.subplots(1, len(groups), sharey=True, squeeze=False,
                           width_ratios=[n for _, n in groups])[0]
    axes_in = (width_in - 0.7) / len(bars)  # inches per bar
    start = 0
    for ax, (group_title, count) in zip(axes, groups):
        mine = bars[start:start + count]
        start += count
        bottoms = [0.0] * count
        for index, component in enumerate(components):
            look = style(index)
            values = [getattr(e, component) / scale for _, e in mine]
            ax.bar(range(count), values, bottom=bottoms, width=0.75, color=look["color"],
                   hatch=look["hatch"], edgecolor="black", linewidth=0.3,
                   label=COMPONENT_LABELS.get(component, component))
            bottoms = [b + v for b, v in zip(bottoms, values)]
        fit_tick_labels(ax, [label for label, _ in mine], axes_in * count)
        ax.set_xlim(-0.6, count - 0.4)
        ax.tick_params(axis="y", labelsize=FONT_SMALL)
        ax.grid(axis="y", linewidth=0.3, alpha=0.6)
        ax.set_axisbelow(True)
        if group_title:
            chars = max(6, int(72.0 * axes_in * count / (0.56 * (FONT_SMALL + 1))))
            ax.set_title(textwrap.fill(group_title, chars, break_long_words=False),
                         fontsize=FONT_SMALL + 1)
    axes[0].set_ylabel(f"energy ({prefix + ' ' if prefix else ''}{unit_label})", fontsize=FONT)
    if xlabel:
        figure.supxlabel(xlabel, fontsize=FONT)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, fontsize=FONT_SMALL, loc="outside lower center",
                  frameon=False, ncols=legend_columns(labels, width_in))
    suptitle(figure, title, width_in)
    return figure


def share_figure(bars: Sequence[tuple[str, Mapping[str, float]]], categories: Sequence[str],
                 labels: Mapping[str, str] | None = None, title: str = "",
                 xlabel: str = "share (%)") -> Figure:
    """Horizontal bars stacked by category, one per ``(label, {category: fraction})``, first
    bar on top; fractions shown as percentages. For shares such as MACs by layer class."""
    if not bars:
        raise ValueError("share_figure needs at least one bar")
    labels = labels or {}
    figure = _new_figure(7.5, 0.32 * len(bars) + 1.4)
    ax = figure.subplots()
    ys = list(range(len(bars)))[::-1]
    lefts = [0.0] * len(bars)
    for index, category in enumerate(categories):
        look = style(index)
        values = [100.0 * shares.get(category, 0.0) for _, shares in bars]
        ax.barh(ys, values, left=lefts, height=0.7, color=look["color"], hatch=look["hatch"],
                edgecolor="black", linewidth=0.3, label=labels.get(category, category))
        lefts = [a + b for a, b in zip(lefts, values)]
    ax.set_yticks(ys)
    ax.set_yticklabels([label for label, _ in bars], fontsize=FONT_SMALL)
    ax.set_xlim(0, 100)
    ax.set_xlabel(xlabel, fontsize=FONT)
    ax.tick_params(axis="x", labelsize=FONT_SMALL)
    figure.legend(fontsize=FONT_SMALL, loc="outside lower center", ncols=len(categories),
                  frameon=False)
    if title:
        figure.suptitle(title, fontsize=FONT + 1)
    return figure


# --- roofline -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Roof:
    """A machine's two ceilings: the PE array's peak and the DRAM bandwidth."""

    label: str
    peak_macs_per_cycle: float
    dram_bytes_per_cycle: float

    def __post_init__(self) -> None:
        if not (self.peak_macs_per_cycle > 0 and self.dram_bytes_per_cycle > 0):
            raise ValueError(f"roof {self.label!r}: peak and bandwidth must be positive")

    @property
    def ridge_macs_per_byte(self) -> float:
        """Arithmetic intensity where the memory roof meets the compute roof."""
        return self.peak_macs_per_cycle / self.dram_bytes_per_cycle

    def attainable(self, macs_per_byte: float) -> float:
        return min(self.peak_macs_per_cycle, self.dram_bytes_per_cycle * macs_per_byte)


@dataclass(frozen=True, slots=True)
class RooflinePoint:
    """One layer: arithmetic intensity (MACs per DRAM byte) and attained MACs per cycle."""

    name: str
    layer_class: str
    macs_per_byte: float
    macs_per_cycle: float


def roofline_points(result: Any) -> list[RooflinePoint]:
    """Every layer with MACs, cycles and DRAM traffic of a simulation result.

    The work counted is the MACs the array actually performs (``effective_macs``: fewer than
    ``macs`` when a dataflow skips zero weights), so attained MACs/cycle stays under the
    peak; a layer without DRAM traffic has no finite intensity and is left out."""
    points = []
    for l in result.layers:
        work = l.effective_macs or l.macs
        if work > 0 and l.cycles > 0 and l.dram_bytes > 0:
            points.append(RooflinePoint(l.name, l.mac_class, work / l.dram_bytes,
                                        work / l.cycles))
    return points


def roofline_figure(panels: Sequence[tuple[Roof, Sequence[RooflinePoint]]], title: str = "",
                    width_in: float | None = None) -> Figure:
    """One log-log panel per machine: its roofline and its layers as points by class.
    Panels sit side by side, as many as fit ``width_in`` at 3 in or more each."""
    if not panels:
        raise ValueError("roofline_figure needs at least one machine")
    width_in = width_in or 5.5 * len(panels)
    ncols = max(1, min(len(panels), int(width_in // 3.0)))
    nrows = math.ceil(len(panels) / ncols)
    panel_h = 0.8 * width_in / ncols if width_in / ncols < 5 else 4.2
    figure = _new_figure(width_in, panel_h * nrows + 0.4)
    grid = list(figure.subplots(nrows, ncols, squeeze=False).ravel())
    for spare in grid[len(panels):]:
        spare.set_visible(False)
    axes = grid[:len(panels)]
    classes = list(CLASS_LABELS)
    for ax, (roof, points) in zip(axes, panels):
        xs = [p.macs_per_byte for p in points] + [roof.ridge_macs_per_byte]
        lo = 10 ** math.floor(math.log10(max(min(xs), 1e-3)) - 0.3)
        hi = 10 ** math.ceil(math.log10(max(xs)) + 0.3)
        grid = [lo * (hi / lo) ** (i / 200) for i in range(201)]
        ax.plot(grid, [roof.attainable(x) for x in grid], color="black", linewidth=1.4,
                label="roofline")
        ax.axvline(roof.ridge_macs_per_byte, color="gray", linewidth=0.6, linestyle=":")
        ax.annotate(f"peak {roof.peak_macs_per_cycle:g} MACs/cycle", xy=(hi, roof.peak_macs_per_cycle),
                    xytext=(-4, 4), textcoords="offset points", ha="right", fontsize=FONT_SMALL)
        ax.annotate(f"DRAM {roof.dram_bytes_per_cycle:g} B/cycle",
                    xy=(lo * 1.5, roof.attainable(lo * 1.5)), xytext=(4, 6),
                    textcoords="offset points", fontsize=FONT_SMALL, rotation=0,
                    clip_on=True)
        for cls in classes:
            mine = [p for p in points if p.layer_class == cls]
            if not mine:
                continue
            look = style(classes.index(cls))
            ax.scatter([p.macs_per_byte for p in mine], [p.macs_per_cycle for p in mine],
                       s=22, color=look["color"], marker=look["marker"], edgecolor="black",
                       linewidth=0.4, label=CLASS_LABELS[cls], zorder=3)
        ax.set_xscale("log")
        ax.set_yscale("log")
        _plain_log_ticks(ax.xaxis)
        _plain_log_ticks(ax.yaxis)
        ax.set_xlim(lo, hi)
        ymin = min([p.macs_per_cycle for p in points] + [roof.attainable(lo)])
        ax.set_ylim(max(ymin / 2, 1e-3), roof.peak_macs_per_cycle * 2.5)
        ax.set_xlabel("arithmetic intensity (MACs / DRAM byte)", fontsize=FONT)
        ax.set_ylabel("attained MACs / cycle", fontsize=FONT)
        ax.set_title(roof.label, fontsize=FONT)
        ax.tick_params(labelsize=FONT_SMALL)
        ax.grid(which="both", linewidth=0.3, alpha=0.5)
    seen: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(label, handle)
    figure.legend(list(seen.values()), list(seen), fontsize=FONT_SMALL, frameon=False,
                  loc="outside lower center", ncols=legend_columns(list(seen), width_in))
    suptitle(figure, title, width_in)
    return figure


# --- accuracy trade-off ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AccuracyPoint:
    label: str
    accuracy_pct: float
    latency_ms: float
    energy: float
    params: int


def accuracy_figure(points: Sequence[AccuracyPoint], energy_label: str, accuracy_label: str = "top-1",
                    title: str = "") -> Figure:
    """Accuracy vs latency (left) and vs energy (right); circle area ~ parameters."""
    if not points:
        raise ValueError("accuracy_figure needs at least one network")
    figure = _new_figure(9.0, 4.4)
    axes = figure.subplots(1, 2)
    largest = max(p.params for p in points) or 1
    for ax, attr, xlabel in ((axes[0], "latency_ms", "inference time (ms)"),
                             (axes[1], "energy", f"energy ({energy_label})")):
        for index, p in enumerate(points):
            look = style(index)
            ax.scatter([getattr(p, attr)], [p.accuracy_pct], s=40 + 900 * p.params / largest,
                       color=look["color"], marker=look["marker"], alpha=0.8, edgecolor="black",
                       linewidth=0.5, label=p.label, zorder=3 + index)
        ax.set_xscale("log")
        _plain_log_ticks(ax.xaxis)
        ax.set_xlabel(xlabel + " (log scale)", fontsize=FONT)
        ax.set_ylabel(f"{accuracy_label} accuracy (%)", fontsize=FONT)
        ax.tick_params(labelsize=FONT_SMALL)
        ax.grid(which="both", linewidth=0.3, alpha=0.5)
        ax.margins(x=0.25, y=0.15)
    axes[0].text(0.02, 0.02, "marker area ~ parameters", transform=axes[0].transAxes,
                 fontsize=FONT_SMALL)
    # a legend rather than labels next to the points, which collide when networks are close
    handles = [Line2D([], [], linestyle="", marker=style(i)["marker"], markersize=7,
                      markerfacecolor=style(i)["color"], markeredgecolor="black",
                      markeredgewidth=0.5, label=f"{p.label} ({p.params / 1e6:.2g} M params)")
               for i, p in enumerate(points)]
    figure.legend(handles=handles, fontsize=FONT_SMALL, loc="outside lower center",
                  ncols=min(len(points), 4), frameon=False)
    if title:
        figure.suptitle(title, fontsize=FONT + 1)
    return figure


# --- ratios ---------------------------------------------------------------------------------------

def ratio_figure(groups: Sequence[str], series: Mapping[str, Sequence[float | None]],
                 ylabel: str, title: str = "", width_in: float | None = None) -> Figure:
    """Grouped bars: one group per entry of ``groups`` (e.g. networks), one bar per series
    (e.g. 'speed-up vs WS'); a dashed line marks 1 (no change). Missing values are skipped.
    Each bar carries its value; a value label the reference line would run through moves
    inside its bar, and the legend sits below the axes."""
    if not groups or not series:
        raise ValueError("ratio_figure needs groups and series")
    width_in = width_in or min(14.0, max(5.5, 0.9 * len(groups) * max(1, len(series)) ** 0.5 + 2))
    figure = _new_figure(width_in, 2.6 + 0.12 * len(series) + (0.6 if width_in < 5 else 0.9))
    ax = figure.subplots()
    width = 0.8 / len(series)
    room_in = (width_in - 0.7) * width / len(groups)  # inches per bar
    label_font = max(4.0, min(5.5, 72.0 * room_in / 4.2))
    texts = []
    for slot, (label, values) in enumerate(series.items()):
        look = style(slot)
        xs = [i - 0.4 + width * (slot + 0.5) for i, v in enumerate(values) if v is not None]
        ys = [v for v in values if v is not None]
        bars = ax.bar(xs, ys, width=width, color=look["color"], hatch=look["hatch"],
                      edgecolor="black", linewidth=0.3, label=label)
        texts += [(t, bar) for t, bar in zip(ax.bar_label(bars, fmt="%.2f", fontsize=label_font,
                                                          padding=1,
                                                          rotation=90 if room_in < 0.2 else 0),
                                             bars)]
    line = ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
    fit_tick_labels(ax, list(groups), width_in - 0.7)
    ax.set_ylabel(ylabel, fontsize=FONT)
    ax.tick_params(axis="y", labelsize=FONT_SMALL)
    ax.grid(axis="y", linewidth=0.3, alpha=0.6)
    ax.set_axisbelow(True)
    ax.margins(y=0.12)
    labels = list(series)
    figure.legend(fontsize=FONT_SMALL, loc="outside lower center", frameon=False,
                  ncols=legend_columns(labels, width_in))
    suptitle(figure, title, width_in)
    # a label the line at 1 runs through goes inside its bar instead (laid out first, so
    # the label's extent on the page is known)
    figure.draw_without_rendering()
    renderer = figure._get_renderer()  # type: ignore[attr-defined]  # the layout renderer
    line_y = ax.transData.transform((0.0, 1.0))[1]
    for text, bar in texts:
        box = text.get_window_extent(renderer)
        if box.y0 - 1 <= line_y <= box.y1 + 1:
            text.remove()
            ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() / 2, text.get_text(),
                    ha="center", va="center", rotation=90, fontsize=label_font,
                    bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none",
                          "alpha": 0.85})
    del line
    return figure


# --- predicted vs reference -----------------------------------------------------------------

def parity_figure(series: Mapping[str, tuple[Sequence[float], Sequence[float]]], unit: str,
                  band: float = 0.10, title: str = "") -> Figure:
    """Predicted (y) against reference (x) on log-log axes: ``series`` maps a label to its
    (reference, predicted) values, all in ``unit`` (e.g. "thousands of cycles"). The y = x line
    and the band within +/- ``band`` of it are drawn; each series has its own marker and colour."""
    values = [v for ref, pred in series.values() for v in (*ref, *pred)]
    if not values or min(values) <= 0:
        raise ValueError("parity_figure needs at least one point, every value positive")
    for label, (ref, pred) in series.items():
        if len(ref) != len(pred):
            raise ValueError(f"series {label!r}: {len(ref)} reference but {len(pred)} predicted values")
    figure = _new_figure(5.6, 5.0)
    ax = figure.subplots()
    lo = 10 ** (math.floor(math.log10(min(values) / 1.25) * 4) / 4)
    hi = 10 ** (math.ceil(math.log10(max(values) * 1.25) * 4) / 4)
    line = [lo, hi]
    low_edge, high_edge = [x * (1 - band) for x in line], [x * (1 + band) for x in line]
    ax.fill_between(line, low_edge, high_edge, color="0.85", linewidth=0,
                    label=f"within +/- {band:.0%}", zorder=1)
    for edge in (low_edge, high_edge):
        ax.plot(line, edge, color="0.45", linewidth=0.6, linestyle="--", zorder=1)
    ax.plot(line, line, color="black", linewidth=0.9, label="predicted = published", zorder=2)
    for index, (label, (ref, pred)) in enumerate(series.items()):
        look = style(index)
        ax.scatter(ref, pred, s=26, color=look["color"], marker=look["marker"], edgecolor="black",
                   linewidth=0.4, label=label, zorder=3 + index)
    ax.set_xscale("log")
    ax.set_yscale("log")
    _plain_log_ticks(ax.xaxis)
    _plain_log_ticks(ax.yaxis)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.set_xlabel(f"published ({unit})", fontsize=FONT)
    ax.set_ylabel(f"predicted ({unit})", fontsize=FONT)
    ax.tick_params(labelsize=FONT_SMALL)
    ax.grid(which="both", linewidth=0.3, alpha=0.5)
    ax.legend(fontsize=FONT_SMALL, loc="upper left", framealpha=0.9)
    if title:
        ax.set_title(title, fontsize=FONT)
    return figure


__all__ = ["OKABE_ITO", "style", "LayerSeries", "layer_series", "stage_series", "SIZES",
           "size_width", "fit_tick_labels", "legend_columns", "suptitle", "array_layers",
           "per_layer_figure", "per_layer_panels",
           "energy_figure", "Roof", "RooflinePoint", "roofline_points", "roofline_figure",
           "AccuracyPoint", "accuracy_figure", "ratio_figure", "parity_figure", "share_figure",
           "save_figure", "FORMATS"]
