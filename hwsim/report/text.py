"""Plain-text tables for the terminal, and number formatting shared by every report."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def human(value: float, digits: int = 1) -> str:
    """1234567 -> '1.2M'; small values as they are. For counts (MACs, params, bytes)."""
    value = float(value)
    for threshold, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= threshold:
            return f"{value / threshold:.{digits}f}{suffix}"
    return f"{value:.0f}" if value == int(value) else f"{value:.{digits}f}"


def percent(fraction: float, digits: int = 1) -> str:
    return f"{100.0 * fraction:.{digits}f}%"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]],
                 align: str | None = None, max_widths: dict[int, int] | None = None) -> str:
    """A fixed-width text table. ``align`` has one 'l' or 'r' per column (default: first
    column left, others right). Cells longer than ``max_widths[i]`` are shortened with '~'
    in the middle so both ends (e.g. a hierarchical layer name) stay readable."""
    align = align or ("l" + "r" * (len(headers) - 1))
    max_widths = max_widths or {}
    text_rows = [[str(c) for c in row] for row in rows]
    for row in text_rows:
        for i, width in max_widths.items():
            if len(row[i]) > width:
                keep = width - 1
                row[i] = row[i][: keep // 2] + "~" + row[i][len(row[i]) - (keep - keep // 2):]
    widths = [len(h) for h in headers]
    for row in text_rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]

    def line(cells: Sequence[str]) -> str:
        out = []
        for cell, width, a in zip(cells, widths, align):
            out.append(cell.ljust(width) if a == "l" else cell.rjust(width))
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule] + [line(r) for r in text_rows])
