"""Layout checks of matplotlib figures for the figure tests: render with Agg, take every
text's window extent (tick labels, axis labels, titles, legends, annotations) and report
texts that overlap, that stick out of the figure, and legends that leave it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text
from matplotlib.transforms import Bbox

SLACK_PX = 1.0  # boxes may touch; antialiasing makes extents fuzzy by about a pixel


@dataclass(frozen=True)
class Box:
    what: str
    text: str
    bbox: Bbox
    group: int  # texts of one legend share a group (the legend lays them out itself)


def render(figure: Any) -> Any:
    """Lay ``figure`` out and draw it with an Agg renderer without rasterising (constrained
    layout runs, every text gets its extent); return the renderer."""
    if not isinstance(figure.canvas, FigureCanvasAgg):
        FigureCanvasAgg(figure)
    figure.draw_without_rendering()
    return figure.canvas.get_renderer()


def _visible(text: Text) -> bool:
    return text.get_visible() and bool(text.get_text().strip())


def text_boxes(figure: Any) -> list[Box]:
    renderer = render(figure)
    boxes: list[Box] = []
    group = 0

    def add(what: str, text: Text, g: int = 0) -> None:
        if _visible(text):
            boxes.append(Box(what, text.get_text(), text.get_window_extent(renderer), g))

    if figure._suptitle is not None:
        add("suptitle", figure._suptitle)
    for t in figure.texts:
        if t is not figure._suptitle:
            add("figure text", t)
    for legend in figure.legends:
        group += 1
        for t in legend.get_texts():
            add("legend", t, group)
    for ax in figure.axes:
        if not ax.get_visible():
            continue
        for t in (ax.title, ax._left_title, ax._right_title):
            add("title", t)
        for axis in (ax.xaxis, ax.yaxis):
            add("axis label", axis.label)
            add("offset text", axis.get_offset_text())
            lo, hi = sorted(ax.get_xlim() if axis is ax.xaxis else ax.get_ylim())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                inside = lo - 1e-9 * abs(hi - lo) <= tick.get_loc() <= hi + 1e-9 * abs(hi - lo)
                if tick.get_visible() and inside:
                    for label in (tick.label1, tick.label2):
                        if label.get_visible():
                            add("tick label", label)
        legend = ax.get_legend()
        if legend is not None:
            group += 1
            for t in legend.get_texts():
                add("legend", t, group)
        for t in ax.texts:
            add("annotation", t)
    return boxes


def _overlap(a: Bbox, b: Bbox) -> bool:
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > SLACK_PX
            and min(a.y1, b.y1) - max(a.y0, b.y0) > SLACK_PX)


def problems(figure: Any) -> list[str]:
    """Everything wrong with the layout, in words (empty when the figure is clean)."""
    boxes = text_boxes(figure)  # renders the figure
    renderer = figure.canvas.get_renderer()
    width, height = figure.bbox.width, figure.bbox.height
    found = []
    for box in boxes:
        if _outside(box.bbox, width, height):
            found.append(f"{box.what} {box.text!r} is clipped: {box.bbox.bounds} outside "
                         f"{width:.0f}x{height:.0f}")
    # sweep along x: only boxes whose x ranges meet can overlap
    ordered = sorted(boxes, key=lambda box: box.bbox.x0)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b.bbox.x0 >= a.bbox.x1 - SLACK_PX:
                break
            if a.group and a.group == b.group:
                continue
            if _overlap(a.bbox, b.bbox):
                found.append(f"{a.what} {a.text!r} overlaps {b.what} {b.text!r}")
    legends = list(figure.legends) + [ax.get_legend() for ax in figure.axes if ax.get_legend()]
    for legend in legends:
        b = legend.get_window_extent(renderer)
        if _outside(b, width, height):
            found.append(f"legend {b.bounds} leaves the figure {width:.0f}x{height:.0f}")
    return found


def _outside(b: Bbox, width: float, height: float) -> bool:
    return (b.x0 < -SLACK_PX or b.y0 < -SLACK_PX or b.x1 > width + SLACK_PX
            or b.y1 > height + SLACK_PX)


def legend_boxes(figure: Any) -> list[Bbox]:
    renderer = render(figure)
    legends = list(figure.legends) + [ax.get_legend() for ax in figure.axes if ax.get_legend()]
    return [legend.get_window_extent(renderer) for legend in legends]


def overlaps(a: Bbox, b: Bbox) -> bool:
    return _overlap(a, b)
