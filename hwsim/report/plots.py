"""Figures of simulation results, drawn with matplotlib (the only module family that draws).

Every function returns a :class:`matplotlib.figure.Figure` built without ``pyplot``;
:func:`save_figure` writes it as PNG, SVG or PDF. How figures look (the Okabe-Ito palette
with a second cue per series, fonts, paper sizes, labels that fit) and are saved is
:mod:`hwsim.report.figure_style`; this module re-exports those names, and the analysis
figures of :mod:`hwsim.report.analysis_plots`, so ``plots`` is the one name to import. Sweep
figures are :mod:`hwsim.report.sweep_plot`, the event timeline
:mod:`hwsim.report.timeline_plot`.

The figures:

* :func:`per_layer_figure`: per-layer time as bars, PE utilization as a line on a second
  axis; one bar per series and layer (series: dataflows, accelerators or network variants;
  the style of the SqueezeNext study's per-layer figures). Series with the same layer list
  share one panel (grouped bars); otherwise each series gets its own panel.
* :func:`energy_figure`: energy stacked by component (MAC, register file, inter-PE array,
  global buffer, DRAM, leakage), per layer of one run or per run.
* :func:`share_figure`: horizontal bars stacked by category (MACs by layer class).
* :func:`roofline_figure`, :func:`accuracy_figure`, :func:`ratio_figure`,
  :func:`parity_figure`: see :mod:`hwsim.report.analysis_plots`.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib import patheffects
from matplotlib.figure import Figure

from hwsim.report.analysis_plots import (
    CLASS_LABELS,
    AccuracyPoint,
    Roof,
    RooflinePoint,
    accuracy_figure,
    parity_figure,
    ratio_figure,
    roofline_figure,
    roofline_points,
)
from hwsim.report.figure_style import (
    FONT,
    FONT_SMALL,
    FORMATS,
    MARKERS,
    OKABE_ITO,
    SIZES,
    fit_tick_labels,
    legend_columns,
    new_figure,
    save_figure,
    size_width,
    style,
    suptitle,
)
from hwsim.result import ENERGY_COMPONENTS

_new_figure = new_figure  # its name before figure_style.py (tests use it)

COMPONENT_LABELS = {"mac": "MAC", "rf": "register file", "array": "inter-PE", "glb": "global buffer",
                    "dram": "DRAM", "leakage": "leakage"}


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

def _cycles_scale(values: Sequence[float]) -> tuple[float, str]:
    peak = max(values, default=0.0)
    if peak >= 1e6:
        return 1e6, "M cycles"
    if peak >= 1e3:
        return 1e3, "K cycles"
    return 1.0, "cycles"


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
    slots: dict[str, int] = {}  # a series' place in the styles, the same in every panel
    for _, group in panels:
        for s in group:
            slots.setdefault(s.label, len(slots))
    with_util = show_utilization and any(s.utilization is not None for _, g in panels for s in g)
    longest_label = max(len(name) for _, g in panels for name in g[0].layers)
    panel_in = 1.9 + 0.045 * min(longest_label, 24) if width_in < 5 else 2.4 + 0.05 * min(longest_label, 24)
    figure = new_figure(width_in, panel_in * len(panels) + 0.9)
    axes = figure.subplots(len(panels), 1, squeeze=False)[:, 0]
    axes_in = width_in - (1.1 if with_util else 0.6)
    shared_peaks = [p for _, group in panels for p in _layer_peaks(group, scale)]
    shared_limit = _clip_limit(shared_peaks) or 1.05 * max(shared_peaks, default=0.0)
    legend: dict[str, Any] = {}  # the bars of each series, then their utilization lines
    lines: dict[str, Any] = {}
    for ax, (panel_title, group) in zip(axes, panels):
        limit = shared_limit if share_time_axis else _clip_limit(_layer_peaks(group, scale))
        for label, bars in _time_bars(ax, group, slots, scale, limit).items():
            legend.setdefault(label, bars)
        _time_axis(ax, group[0].layers, axes_in, unit, panel_title, limit)
        util_series = [s for s in group if s.utilization is not None]
        if with_util and util_series:
            for line in _utilization_lines(ax, util_series, slots):
                lines.setdefault(line.get_label(), line)
    legend.update(lines)
    labels = list(legend)
    figure.legend([legend[k] for k in labels], labels, fontsize=FONT_SMALL,
                  loc="outside lower center", frameon=False,
                  ncols=legend_columns(labels, width_in))
    suptitle(figure, title, width_in)
    return figure


def _layer_peaks(group: Sequence[LayerSeries], scale: float) -> list[float]:
    """The longest bar of each layer of a panel, in ``scale`` units."""
    return [max(s.cycles[i] for s in group) / scale for i in range(len(group[0].layers))]


def _time_bars(ax: Any, group: Sequence[LayerSeries], slots: Mapping[str, int], scale: float,
               limit: float | None) -> dict[str, Any]:
    """One panel's grouped bars, and the values of the bars clipped at ``limit`` written on
    them; returns each series' bars by label (for the legend)."""
    layers = group[0].layers
    bar_width = 0.8 / len(group)
    drawn: dict[str, Any] = {}
    for slot, s in enumerate(group):
        look = style(slots[s.label])
        xs = [i - 0.4 + bar_width * (slot + 0.5) for i in range(len(layers))]
        heights = [c / scale for c in s.cycles]
        bars = ax.bar(xs, heights, width=bar_width, color=look["color"], hatch=look["hatch"],
                      edgecolor="black", linewidth=0.3, label=s.label)
        drawn.setdefault(s.label, bars)
    if limit is not None:  # a clipped layer says its values (one label per layer)
        for i in range(len(layers)):
            clipped = [s.cycles[i] / scale for s in group if s.cycles[i] / scale > limit]
            if clipped:
                ax.annotate(" / ".join(f"{h:,.3g}" for h in clipped), (i, limit),
                            xytext=(0, -2), textcoords="offset points", ha="center",
                            va="top", rotation=90, fontsize=FONT_SMALL - 1,
                            bbox={"boxstyle": "square,pad=0.1", "fc": "white",
                                  "ec": "none", "alpha": 0.85})
    return drawn


def _time_axis(ax: Any, layers: Sequence[str], axes_in: float, unit: str, panel_title: str,
               limit: float | None) -> None:
    """One panel's time axis, layer names and title."""
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


def _utilization_lines(ax: Any, series: Sequence[LayerSeries], slots: Mapping[str, int]
                       ) -> list[Any]:
    """The series' PE utilization as lines on a right axis of the panel (NaN breaks a line)."""
    twin = ax.twinx()
    drawn = []
    for s in series:
        look = style(slots[s.label])
        drawn.append(twin.plot(
            range(len(s.layers)), [100.0 * u for u in s.utilization or ()], color=look["color"],
            marker=look["marker"], markersize=3, linestyle=look["linestyle"],
            linewidth=1.2, markeredgecolor="black", markeredgewidth=0.4,
            path_effects=[patheffects.withStroke(linewidth=2.6, foreground="white")],
            label=f"{s.label}: PE utilization (right axis)")[0])
    twin.set_ylim(0, 105)
    twin.set_ylabel("PE utilization (%)", fontsize=FONT)
    twin.tick_params(axis="y", labelsize=FONT_SMALL)
    return drawn


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
    figure = new_figure(width_in, 2.6 + min(longest, 30) * 0.055 + 0.15 * len(components))
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
    figure = new_figure(7.5, 0.32 * len(bars) + 1.4)
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


__all__ = ["OKABE_ITO", "MARKERS", "style", "LayerSeries", "layer_series", "stage_series", "SIZES",
           "size_width", "fit_tick_labels", "legend_columns", "suptitle", "array_layers",
           "per_layer_figure", "per_layer_panels", "CLASS_LABELS", "COMPONENT_LABELS",
           "energy_figure", "Roof", "RooflinePoint", "roofline_points", "roofline_figure",
           "AccuracyPoint", "accuracy_figure", "ratio_figure", "parity_figure", "share_figure",
           "save_figure", "new_figure", "FORMATS", "FONT", "FONT_SMALL"]
