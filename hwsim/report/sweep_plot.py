"""Figures of a design-space sweep (``hwsim plot sweep``), drawn from its results rows.

* :func:`scatter_figure`: two objectives against each other (e.g. latency vs energy), one
  point per configuration, coloured and marked by one swept parameter; the Pareto front
  (configurations no other beats on both, both minimised unless told otherwise) is drawn as
  a black staircase with ringed points. One panel per network: a machine's latency on one
  network is not comparable with another network's.
* :func:`heatmap_figure`: a value (e.g. latency) over two swept parameters, one cell per pair
  of values; the other parameters are reduced by the best (lowest) value by default, so a
  cell reads "the best this pair allows". One panel per network; numbers written in cells.
* Panels are titled with the networks' names (the ``network_name`` column, the network
  file's ``name``; :func:`network_titles`), or with the ``network`` column in a results file
  written before that column.

Inputs are rows as read by :func:`hwsim.sweep.results.read_rows` (dicts of column -> value).
Figures are built without ``pyplot``; save them with :func:`hwsim.report.figure_style.save_figure`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

from hwsim.hardware.accelerator import energy_unit_label
from hwsim.report.figure_style import MARKERS, OKABE_ITO, legend_columns, suptitle
from hwsim.sweep.pareto import Objective, pareto_rows

REDUCERS: dict[str, Callable[[list[float]], float]] = {
    "min": min, "max": max, "mean": lambda v: sum(v) / len(v)}

LABELS = {"latency_ms": "latency (ms)", "total_cycles": "cycles",
          "energy_total": "energy", "area_pes": "PEs", "area_buffer_bytes": "on-chip bytes",
          "area_mm2": "area (mm$^2$, 65 nm)", "top1": "top-1 accuracy (%)",
          "top5": "top-5 accuracy (%)", "param_count": "parameters",
          "utilization": "PE utilization", "dram_bytes": "DRAM bytes"}
# Unit suffixes of column and axis names (``glb_kib``, ``dram_gb_per_s``): name -> unit.
UNIT_SUFFIXES = (("_gb_per_s", "GB/s"), ("_kib", "KiB"), ("_mib", "MiB"), ("_bytes", "bytes"),
                 ("_mhz", "MHz"), ("_ms", "ms"), ("_cycles", "cycles"), ("_bits", "bits"))
PREFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K"))


def _label(column: str, rows: Sequence[Mapping[str, Any]], prefix: str = "") -> str:
    """An axis label with its unit: ``energy (G MAC-eq)``, ``glb (KiB)``, ``latency (ms)``;
    ``prefix`` (K, M, G ...) is the scale the values are drawn at."""
    if column in LABELS:
        label = LABELS[column]
    else:
        label, unit = column, ""
        for suffix, name in UNIT_SUFFIXES:
            if column.endswith(suffix) and len(column) > len(suffix):
                label, unit = column[: -len(suffix)], name
                break
        label = label.replace("_", " ").replace(".", " ")
        if unit:
            label += f" ({unit})"
    if column.startswith("energy_") and rows and rows[0].get("energy_unit"):
        label += f" ({prefix + ' ' if prefix else ''}"
        label += f"{energy_unit_label(str(rows[0]['energy_unit']))})"
    elif prefix:
        label = f"{label} ({prefix})" if "(" not in label else label.replace("(", f"({prefix} ", 1)
    return label


def _scale(values: Sequence[float]) -> tuple[float, str]:
    """A display scale for large values (so no axis needs an offset or a x1e10 note)."""
    peak = max((abs(v) for v in values), default=0.0)
    for factor, prefix in PREFIXES:
        if peak >= 10 * factor:
            return factor, prefix
    return 1.0, ""


def _panels(count: int, width_in: float | None = None) -> tuple[int, int]:
    """(rows, columns) of panels: up to 3 side by side, fewer on a narrow figure (2 in each
    at least)."""
    most = 3 if width_in is None else max(1, min(3, int(width_in // 2.2)))
    cols = min(count, most)
    return math.ceil(count / cols), cols


def _networks(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.setdefault(str(row["network"]), None)
    return list(seen)


def network_titles(rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """How each network (a ``network`` value) is named on a figure: its name (the rows'
    ``network_name``, the network file's ``name``; several names, if its rows have several,
    joined by " / "), or the ``network`` value itself where no row has one (a results file
    written before that column). Networks that would share a name get their ``network`` value
    in parentheses (one file swept at two input sizes)."""
    names: dict[str, dict[str, None]] = {}
    for row in rows:
        mine = names.setdefault(str(row["network"]), {})
        name = row.get("network_name")
        if name is not None and str(name):
            mine.setdefault(str(name), None)
    titles = {network: " / ".join(found) if found else network
              for network, found in names.items()}
    counts = Counter(titles.values())
    return {network: f"{t} ({network})" if counts[t] > 1 and t != network else t
            for network, t in titles.items()}


def _sort_key(value: Any) -> tuple:
    return (0, value, "") if isinstance(value, (int, float)) else (1, 0, str(value))


def scatter_figure(rows: Sequence[Mapping[str, Any]], x: str, y: str, *,
                   color_by: str | None = None, maximize: Sequence[str] = (),
                   log_x: bool = False, log_y: bool = False, title: str = "",
                   width_in: float | None = None) -> Figure:
    """Objective ``x`` vs objective ``y`` per network, Pareto front highlighted. Large
    values are drawn scaled (``energy (G MAC-eq)``), so no axis carries an offset note."""
    networks = _networks(rows)
    nrows, ncols = _panels(len(networks), width_in)
    width_in = width_in or 3.6 * ncols + 0.6
    panel_w = (width_in - 0.3) / ncols
    figure = Figure(figsize=(width_in, 0.85 * panel_w * nrows + 1.0), layout="constrained")
    fx, px = (1.0, "") if log_x else _scale([r[x] for r in rows if _number(r.get(x))])
    fy, py = (1.0, "") if log_y else _scale([r[y] for r in rows if _number(r.get(y))])
    axes = np.atleast_1d(figure.subplots(nrows, ncols, squeeze=False).ravel())
    categories = sorted({r.get(color_by) for r in rows}, key=_sort_key) if color_by else [None]
    objectives = [Objective(x, x in maximize), Objective(y, y in maximize)]
    titles = network_titles(rows)
    for ax, network in zip(axes, networks):
        mine = [r for r in rows if str(r["network"]) == network
                and isinstance(r.get(x), (int, float)) and isinstance(r.get(y), (int, float))]
        for i, category in enumerate(categories):
            points = [r for r in mine if not color_by or r.get(color_by) == category]
            if not points:
                continue
            ax.scatter([r[x] / fx for r in points], [r[y] / fy for r in points], s=14, alpha=0.75,
                       color=OKABE_ITO[i % len(OKABE_ITO)], marker=MARKERS[i % len(MARKERS)],
                       linewidths=0, label=_legend_label(color_by, category, titles))
        front = pareto_rows(mine, objectives, group_by=())
        front.sort(key=lambda r: (r[x], r[y]))
        if front:
            ax.step([r[x] / fx for r in front], [r[y] / fy for r in front], where="post",
                    color="black", linewidth=1.0, zorder=3)
            ax.scatter([r[x] / fx for r in front], [r[y] / fy for r in front], s=42,
                       facecolors="none",
                       edgecolors="black", linewidths=1.1, zorder=4, label="Pareto front")
        ax.set_title(f"{titles[network]} ({len(front)} on the front)", fontsize=8)
        ax.set_xlabel(_label(x, rows, px), fontsize=8)
        ax.set_ylabel(_label(y, rows, py), fontsize=8)
        ax.tick_params(labelsize=7)
        for axis in (ax.xaxis, ax.yaxis):
            formatter = axis.get_major_formatter()
            if isinstance(formatter, ScalarFormatter):
                formatter.set_useOffset(False)
        ax.grid(True, linewidth=0.3, alpha=0.5)
        if log_x:
            ax.set_xscale("log")
        if log_y:
            ax.set_yscale("log")
    for ax in axes[len(networks):]:
        ax.set_visible(False)
    _legend(figure, list(axes[:len(networks)]), width_in)
    suptitle(figure, title or f"{_label(y, rows)} vs {_label(x, rows)}, per network",
             width_in, font=9)
    return figure


def _legend(figure: Figure, axes: Sequence[Any], width_in: float) -> None:
    """One legend below the panels with every panel's entries (a colour may be missing from
    some panels: coloured by network, each panel has one), the front last."""
    entries: dict[str, Any] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    front = entries.pop("Pareto front", None)
    if front is not None:
        entries["Pareto front"] = front
    labels = list(entries)
    if labels:
        figure.legend(list(entries.values()), labels, loc="outside lower center", frameon=False,
                      fontsize=7, ncols=legend_columns(labels, width_in, font=7))


def _legend_label(color_by: str | None, category: Any, titles: Mapping[str, str]) -> str | None:
    """A colour's legend entry: ``PARAM=value``, or the network's name when colouring by
    network."""
    if not color_by:
        return None
    if color_by == "network":
        return titles.get(str(category), str(category))
    return f"{color_by}={category}"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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
                   *, reduce: str = "min", title: str = "",
                   width_in: float | None = None) -> Figure:
    """``value`` over two parameters per network (the others reduced by ``reduce``). Every
    panel shares one colour scale (one colour bar for the figure), and every cell is written
    with the same number of decimals."""
    networks = _networks(rows)
    nrows, ncols = _panels(len(networks), width_in)
    width_in = width_in or 3.4 * ncols + 0.8
    panel_w = (width_in - 0.9) / ncols
    figure = Figure(figsize=(width_in, 0.8 * panel_w * nrows + 1.0), layout="constrained")
    axes = np.atleast_1d(figure.subplots(nrows, ncols, squeeze=False).ravel())
    tables = [heatmap_table([r for r in rows if str(r["network"]) == n], x_param, y_param,
                            value, reduce) for n in networks]
    finite = np.concatenate([m[np.isfinite(m)] for _, _, m in tables] or [np.array([])])
    factor, prefix = _scale(list(finite))
    low, high = ((finite.min() / factor, finite.max() / factor) if finite.size else (0.0, 1.0))
    decimals = max(0, 2 - math.floor(math.log10(high))) if high > 0 else 0
    middle = (low + high) / 2
    image = None
    font = 6 if panel_w >= 2.5 else 5
    titles = network_titles(rows)
    for ax, network, (xs, ys, matrix) in zip(axes, networks, tables):
        shown = matrix / factor
        image = ax.imshow(shown, origin="lower", aspect="auto", cmap="viridis_r",
                          vmin=low, vmax=high)
        for (i, j), v in np.ndenumerate(shown):
            if math.isfinite(v):
                ax.text(j, i, f"{v:.{decimals}f}", ha="center", va="center", fontsize=font,
                        color="white" if v > middle else "black")
        ax.set_xticks(range(len(xs)), [str(v) for v in xs], fontsize=7)
        ax.set_yticks(range(len(ys)), [str(v) for v in ys], fontsize=7)
        ax.set_xlabel(_label(x_param, rows), fontsize=8)
        ax.set_ylabel(_label(y_param, rows), fontsize=8)
        ax.set_title(titles[network], fontsize=8)
    for ax in axes[len(networks):]:
        ax.set_visible(False)
    if image is not None:
        bar = figure.colorbar(image, ax=list(axes[:len(networks)]), shrink=0.85)
        bar.ax.tick_params(labelsize=6)
        bar.set_label(_label(value, rows, prefix), fontsize=7)
    suptitle(figure, title or f"{_label(value, rows, prefix)}, {reduce} over the other "
             "parameters", width_in, font=9)
    return figure


__all__ = ["scatter_figure", "heatmap_figure", "heatmap_table", "network_titles", "REDUCERS"]
