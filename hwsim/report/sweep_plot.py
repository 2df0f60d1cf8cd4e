"""Figures of a design-space sweep (``hwsim plot sweep``), drawn from its results rows.

* :func:`scatter_figure`: two objectives against each other (e.g. latency vs energy), one
  point per configuration, coloured and marked by one swept parameter; the Pareto front
  (configurations no other beats on both, both minimised unless told otherwise) is drawn as
  a black staircase with ringed points. One panel per network: a machine's latency on one
  network is not comparable with another network's.
* :func:`heatmap_figure`: a value (e.g. latency) over two swept parameters, one cell per pair
  of values; the other parameters are reduced by the best (lowest) value by default, so a
  cell reads "the best this pair allows". One panel per network; numbers written in cells.

Inputs are rows as read by :func:`hwsim.sweep.results.read_rows` (dicts of column -> value).
Figures are built without ``pyplot``; save them with :func:`hwsim.report.plots.save_figure`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from hwsim.hardware.accelerator import energy_unit_label
from hwsim.report.plots import MARKERS, OKABE_ITO
from hwsim.sweep.pareto import Objective, pareto_rows

REDUCERS: dict[str, Callable[[list[float]], float]] = {
    "min": min, "max": max, "mean": lambda v: sum(v) / len(v)}

LABELS = {"latency_ms": "latency (ms)", "total_cycles": "cycles",
          "energy_total": "energy", "area_pes": "PEs", "area_buffer_bytes": "on-chip bytes",
          "utilization": "PE utilization", "dram_bytes": "DRAM bytes"}


def _label(column: str, rows: Sequence[Mapping[str, Any]]) -> str:
    label = LABELS.get(column, column)
    if column.startswith("energy_") and rows and rows[0].get("energy_unit"):
        label += f" ({energy_unit_label(str(rows[0]['energy_unit']))})"
    return label


def _panels(count: int) -> tuple[int, int]:
    cols = min(count, 3)
    return math.ceil(count / cols), cols


def _networks(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.setdefault(str(row["network"]), None)
    return list(seen)


def _sort_key(value: Any) -> tuple:
    return (0, value, "") if isinstance(value, (int, float)) else (1, 0, str(value))


def scatter_figure(rows: Sequence[Mapping[str, Any]], x: str, y: str, *,
                   color_by: str | None = None, maximize: Sequence[str] = (),
                   log_x: bool = False, log_y: bool = False, title: str = "") -> Figure:
    """Objective ``x`` vs objective ``y`` per network, Pareto front highlighted."""
    networks = _networks(rows)
    nrows, ncols = _panels(len(networks))
    figure = Figure(figsize=(3.6 * ncols + 0.6, 3.1 * nrows + 0.5), layout="constrained")
    axes = np.atleast_1d(figure.subplots(nrows, ncols, squeeze=False).ravel())
    categories = sorted({r.get(color_by) for r in rows}, key=_sort_key) if color_by else [None]
    objectives = [Objective(x, x in maximize), Objective(y, y in maximize)]
    for ax, network in zip(axes, networks):
        mine = [r for r in rows if str(r["network"]) == network
                and isinstance(r.get(x), (int, float)) and isinstance(r.get(y), (int, float))]
        for i, category in enumerate(categories):
            points = [r for r in mine if not color_by or r.get(color_by) == category]
            if not points:
                continue
            ax.scatter([r[x] for r in points], [r[y] for r in points], s=14, alpha=0.75,
                       color=OKABE_ITO[i % len(OKABE_ITO)], marker=MARKERS[i % len(MARKERS)],
                       linewidths=0, label=f"{color_by}={category}" if color_by else None)
        front = pareto_rows(mine, objectives, group_by=())
        front.sort(key=lambda r: (r[x], r[y]))
        if front:
            ax.step([r[x] for r in front], [r[y] for r in front], where="post", color="black",
                    linewidth=1.0, zorder=3)
            ax.scatter([r[x] for r in front], [r[y] for r in front], s=42, facecolors="none",
                       edgecolors="black", linewidths=1.1, zorder=4, label="Pareto front")
        ax.set_title(f"{network} ({len(front)} on the front)", fontsize=9)
        ax.set_xlabel(_label(x, rows), fontsize=8)
        ax.set_ylabel(_label(y, rows), fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, linewidth=0.3, alpha=0.5)
        if log_x:
            ax.set_xscale("log")
        if log_y:
            ax.set_yscale("log")
    for ax in axes[len(networks):]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        figure.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 5),
                      fontsize=7, frameon=False)
    if title:
        figure.suptitle(title, fontsize=10)
    return figure


def heatmap_table(rows: Sequence[Mapping[str, Any]], x_param: str, y_param: str, value: str,
                  reduce: str = "min") -> tuple[list[Any], list[Any], np.ndarray]:
    """(x values, y values, matrix[y, x]) of ``value`` reduced over the other parameters;
    NaN where no row has that pair."""
    xs = sorted({r.get(x_param) for r in rows}, key=_sort_key)
    ys = sorted({r.get(y_param) for r in rows}, key=_sort_key)
    cells: dict[tuple[Any, Any], list[float]] = {}
    for row in rows:
        v = row.get(value)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            cells.setdefault((row.get(x_param), row.get(y_param)), []).append(float(v))
    matrix = np.full((len(ys), len(xs)), np.nan)
    for (xv, yv), values in cells.items():
        matrix[ys.index(yv), xs.index(xv)] = REDUCERS[reduce](values)
    return xs, ys, matrix


def heatmap_figure(rows: Sequence[Mapping[str, Any]], x_param: str, y_param: str, value: str,
                   *, reduce: str = "min", title: str = "") -> Figure:
    """``value`` over two parameters per network (the others reduced by ``reduce``)."""
    networks = _networks(rows)
    nrows, ncols = _panels(len(networks))
    figure = Figure(figsize=(3.4 * ncols + 0.8, 2.9 * nrows + 0.5), layout="constrained")
    axes = np.atleast_1d(figure.subplots(nrows, ncols, squeeze=False).ravel())
    for ax, network in zip(axes, networks):
        mine = [r for r in rows if str(r["network"]) == network]
        xs, ys, matrix = heatmap_table(mine, x_param, y_param, value, reduce)
        image = ax.imshow(matrix, origin="lower", aspect="auto", cmap="viridis_r")
        finite = matrix[np.isfinite(matrix)]
        middle = (finite.min() + finite.max()) / 2 if finite.size else 0
        for (i, j), v in np.ndenumerate(matrix):
            if math.isfinite(v):
                ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=6,
                        color="white" if v > middle else "black")
        ax.set_xticks(range(len(xs)), [str(v) for v in xs], fontsize=7)
        ax.set_yticks(range(len(ys)), [str(v) for v in ys], fontsize=7)
        ax.set_xlabel(x_param, fontsize=8)
        ax.set_ylabel(y_param, fontsize=8)
        ax.set_title(network, fontsize=9)
        bar = figure.colorbar(image, ax=ax, shrink=0.85)
        bar.ax.tick_params(labelsize=6)
    for ax in axes[len(networks):]:
        ax.set_visible(False)
    figure.suptitle(title or f"{_label(value, rows)}, {reduce} over the other parameters",
                    fontsize=10)
    return figure


__all__ = ["scatter_figure", "heatmap_figure", "heatmap_table", "REDUCERS"]
