"""How every figure looks and is saved: the palette and second cues, fonts, the paper sizes,
tick labels and legends that fit, titles wrapped to the width, and :func:`save_figure`.

Every figure is a :class:`matplotlib.figure.Figure` built without ``pyplot`` (so no global
state and no display backend: rendering goes through Agg for PNG and matplotlib's own SVG
and PDF writers); :func:`save_figure` writes it as PNG, SVG or PDF, chosen by the file
suffix, with fixed metadata so the same inputs give the same file.

Readable in print and for colour-blind readers: series take the Okabe-Ito palette (Okabe &
Ito, "Color Universal Design", 2008) *and* vary a second cue (bar hatches, line markers and
dash styles), so a figure still reads in grey scale.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.figure import Figure

# Okabe-Ito, without the yellow (too light on white paper) first: orange, sky blue, bluish
# green, blue, vermillion, reddish purple, black, yellow.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#000000",
             "#F0E442")
HATCHES = ("", "///", "\\\\\\", "xxx", "...", "ooo", "+++", "---")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
DASHES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (3, 1)), (0, (1, 2)), (0, (8, 2)))
FORMATS = ("png", "svg", "pdf")

FONT_SMALL = 7
FONT = 9


def style(index: int) -> dict[str, Any]:
    """The index-th series' colour, hatch, marker and dash style (cycling)."""
    return {"color": OKABE_ITO[index % len(OKABE_ITO)], "hatch": HATCHES[index % len(HATCHES)],
            "marker": MARKERS[index % len(MARKERS)], "linestyle": DASHES[index % len(DASHES)]}


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


def new_figure(width_in: float, height_in: float) -> Figure:
    """An empty figure of that size with constrained layout (no ``pyplot``)."""
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


def suptitle(figure: Figure, title: str, width_in: float, font: float = FONT + 1) -> None:
    """The figure's title, wrapped to its width."""
    if title:
        chars = max(12, int(72.0 * width_in * 0.95 / (0.56 * font)))
        figure.suptitle(textwrap.fill(title, chars), fontsize=font)


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


__all__ = ["OKABE_ITO", "HATCHES", "MARKERS", "DASHES", "FORMATS", "FONT", "FONT_SMALL", "style",
           "SIZES", "size_width", "new_figure", "fit_tick_labels", "legend_columns", "suptitle",
           "SAVE_RC", "save_figure"]
