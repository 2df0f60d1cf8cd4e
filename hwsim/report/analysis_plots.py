"""Figures for analysing results beyond per-layer time and energy (:mod:`hwsim.report.plots`
re-exports them; the look and saving are :mod:`hwsim.report.figure_style`'s):

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from hwsim.report.figure_style import (
    FONT,
    FONT_SMALL,
    fit_tick_labels,
    legend_columns,
    new_figure,
    style,
    suptitle,
)

CLASS_LABELS = {"first_conv": "first conv", "conv1x1": "1x1 conv", "convFxF": "FxF conv (F>1)",
                "depthwise": "depthwise", "fc": "fully connected", "other": "other"}


def _plain_log_ticks(axis: Any) -> None:
    """Log axis labelled 0.1, 1, 10, 100 rather than 10^-1 ... and no minor labels."""
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())


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
    figure = new_figure(width_in, panel_h * nrows + 0.4)
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
    figure = new_figure(9.0, 4.4)
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
    figure = new_figure(width_in, 2.6 + 0.12 * len(series) + (0.6 if width_in < 5 else 0.9))
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
    figure = new_figure(5.6, 5.0)
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


__all__ = ["CLASS_LABELS", "Roof", "RooflinePoint", "roofline_points", "roofline_figure",
           "AccuracyPoint", "accuracy_figure", "ratio_figure", "parity_figure"]
