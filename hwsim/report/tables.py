"""Table writers: one table description, four outputs (text, Markdown, LaTeX, CSV).

A table is a list of :class:`Column` (what a record key means: header, unit, how to format
it) and a list of records (plain dicts). The same table is written

* as fixed-width text for the terminal (``to_text``),
* as a GitHub-flavoured Markdown pipe table (``to_markdown``),
* as a booktabs LaTeX ``table`` ready for a paper (``to_latex``): numbers right-aligned with
  a fixed number of decimals per column (so the decimal points line up), thousands grouped
  with thin spaces, units in a second header row, special characters escaped, scaled down
  to ``\\linewidth`` when wider,
* as CSV for scripts (``to_csv``): one column per record key (its name carries the unit,
  e.g. ``latency_ms``), full-precision values, no formatting.

Columns kinds: ``text``; ``int`` (grouped thousands); ``float`` (``digits`` decimals);
``percent`` (a fraction shown as a percentage); ``ratio`` (a factor such as a speed-up,
shown with ``digits`` decimals). A value of ``None`` is shown as an empty cell (text, CSV),
``-`` (Markdown) or ``--`` (LaTeX). ``scale`` divides numbers before display (e.g. ``1e6``
with unit ``M`` to show millions) and never applies to CSV.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hwsim.report.text import format_table

KINDS = ("text", "int", "float", "percent", "ratio")


@dataclass(frozen=True, slots=True)
class Column:
    """One column: ``key`` in the records, ``header`` and ``unit`` for people."""

    key: str
    header: str
    unit: str = ""
    kind: str = "text"
    digits: int = 1
    scale: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Column {self.key!r}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.digits < 0:
            raise ValueError(f"Column {self.key!r}: digits must be >= 0")
        if not self.scale > 0:
            raise ValueError(f"Column {self.key!r}: scale must be positive")

    @property
    def numeric(self) -> bool:
        return self.kind != "text"

    def title(self, latex: bool = False) -> str:
        """Header with its unit, e.g. ``latency (ms)``."""
        unit = self.unit
        if latex:
            header = escape_latex(self.header)
            unit = {"%": r"\%", "x": r"$\times$"}.get(unit, escape_latex(unit))
            return f"{header} ({unit})" if unit else header
        return f"{self.header} ({unit})" if unit else self.header

    def number(self, value: Any) -> float | None:
        """The value as shown (scaled; a percentage for ``percent``), or None."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        if self.kind == "percent":
            return 100.0 * float(value) / self.scale
        return float(value) / self.scale

    def cell(self, value: Any, thousands: str = ",") -> str:
        """The formatted cell ('' for None). ``thousands`` groups int columns."""
        if not self.numeric:
            return "" if value is None else str(value)
        number = self.number(value)
        if number is None:
            return ""
        if math.isinf(number):
            return "inf" if number > 0 else "-inf"
        if self.kind == "int":
            text = f"{round(number):,}"
        else:
            text = f"{number:,.{self.digits}f}"
        return text.replace(",", thousands) if thousands != "," else text


def _cells(columns: Sequence[Column], records: Sequence[Mapping[str, Any]],
           thousands: str = ",") -> list[list[str]]:
    return [[c.cell(r.get(c.key), thousands) for c in columns] for r in records]


def to_text(columns: Sequence[Column], records: Sequence[Mapping[str, Any]]) -> str:
    """A fixed-width table for the terminal (text left, numbers right)."""
    align = "".join("r" if c.numeric else "l" for c in columns)
    return format_table([c.title() for c in columns], _cells(columns, records), align=align)


def escape_markdown(text: str) -> str:
    return text.replace("|", r"\|")


def to_markdown(columns: Sequence[Column], records: Sequence[Mapping[str, Any]]) -> str:
    """A GitHub pipe table; numeric columns right-aligned."""
    lines = ["| " + " | ".join(escape_markdown(c.title()) for c in columns) + " |",
             "|" + "|".join("---:" if c.numeric else ":---" for c in columns) + "|"]
    for row in _cells(columns, records):
        lines.append("| " + " | ".join(escape_markdown(cell) or "-" for cell in row) + " |")
    return "\n".join(lines) + "\n"


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}


def escape_latex(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))


# Widths for choosing between a one-column ``table`` and a page-wide ``table*``: a column of
# a two-column paper (IEEEtran: 252 pt, acmart: 241 pt), the average width of a character of
# 10 pt Computer Modern, and the padding of a column (2 x \tabcolsep).
COLUMN_WIDTH_PT = 240.0
CHAR_PT = 5.0
COLUMN_PAD_PT = 12.0


def estimated_width_pt(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> float:
    """About how wide the LaTeX tabular of these cells is at 10 pt (header rows included)."""
    width = 0.0
    for i, column in enumerate(columns):
        longest = max([len(column.header), len(column.unit) + 2]
                      + [len(row[i]) for row in rows])
        width += CHAR_PT * longest + COLUMN_PAD_PT
    return width


def to_latex(columns: Sequence[Column], records: Sequence[Mapping[str, Any]], *,
             caption: str = "", label: str = "", comment: str = "",
             wide: bool | None = None) -> str:
    """A booktabs ``table`` that fits the text width (needs ``\\usepackage{booktabs}`` and
    ``graphicx``); ``comment`` becomes ``%`` lines at the top (provenance: the hwsim version
    and inputs).

    The headers take two rows, names over units (``latency`` over ``(ms)``), so a column is
    as wide as its numbers rather than its title; numbers are right-aligned with a fixed
    number of decimals per column, so their decimal points line up. A table wider than
    ``\\linewidth`` (a column of a two-column paper, or the page) is scaled down to it, never
    up: ``\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{...}``. Choose
    the columns a paper needs (``hwsim compare --columns``) to keep the scale near 1.

    ``wide``: a page-wide ``table*`` (in a two-column paper it spans both columns; in a
    one-column one it is an ordinary float) rather than a ``table``; by default, when the
    table is estimated wider than a column (:data:`COLUMN_WIDTH_PT`)."""
    spec = "".join("r" if c.numeric else "l" for c in columns)
    rows = _cells(columns, records, thousands=r"\,")
    if wide is None:
        wide = estimated_width_pt(columns, rows) > COLUMN_WIDTH_PT
    env = "table*" if wide else "table"
    out: list[str] = []
    for line in comment.splitlines():
        out.append(f"% {line}")
    out += [r"% requires \usepackage{booktabs} and \usepackage{graphicx}",
            rf"\begin{{{env}}}[t]", r"\centering"]
    if caption:
        out.append(rf"\caption{{{escape_latex(caption)}}}")
    if label:
        out.append(rf"\label{{{label}}}")
    out += [r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%",
            rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
            " & ".join(escape_latex(c.header) for c in columns) + r" \\"]
    if any(c.unit for c in columns):
        out.append(" & ".join(_latex_unit(c.unit) for c in columns) + r" \\")
    out.append(r"\midrule")
    for row in rows:
        cells = []
        for column, cell in zip(columns, row):
            if not cell:
                cells.append("--")
            elif column.numeric:
                cells.append(cell.replace("-", "$-$", 1) if cell.startswith("-") else cell)
            else:
                cells.append(escape_latex(cell))
        out.append(" & ".join(cells) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}}", rf"\end{{{env}}}"]
    return "\n".join(out) + "\n"


def _latex_unit(unit: str) -> str:
    """A unit for the header's second row: ``(ms)``, ``(\\%)``, ``($\\times$)``; empty for none."""
    if not unit:
        return ""
    return "(" + {"%": r"\%", "x": r"$\times$"}.get(unit, escape_latex(unit)) + ")"


def to_csv(columns: Sequence[Column], records: Sequence[Mapping[str, Any]],
           extra_keys: Sequence[str] = ()) -> str:
    """CSV with the column keys as the header, raw values (no scaling, full precision)."""
    keys = [c.key for c in columns] + [k for k in extra_keys if k not in {c.key for c in columns}]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(keys)
    for record in records:
        writer.writerow(["" if record.get(k) is None else _raw(record.get(k)) for k in keys])
    return buffer.getvalue()


def _raw(value: Any) -> Any:
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else int(value)
    return value


WRITERS = {"table": to_text, "md": to_markdown, "csv": to_csv}
FORMATS = ("table", "md", "latex", "csv")


def render(fmt: str, columns: Sequence[Column], records: Sequence[Mapping[str, Any]], *,
           caption: str = "", label: str = "", comment: str = "",
           wide: bool | None = None) -> str:
    """Write the table in ``fmt`` (one of :data:`FORMATS`). ``comment`` (provenance) is
    written as an HTML comment in Markdown and ``%`` lines in LaTeX; text and CSV omit it."""
    if fmt == "latex":
        return to_latex(columns, records, caption=caption, label=label, comment=comment,
                        wide=wide)
    if fmt not in WRITERS:
        raise ValueError(f"unknown table format {fmt!r}; choose one of {', '.join(FORMATS)}")
    text = WRITERS[fmt](columns, records)
    if fmt == "md" and comment:
        text = f"<!-- {comment.replace('--', '-')} -->\n" + text
    return text if text.endswith("\n") else text + "\n"


__all__ = ["Column", "estimated_width_pt", "to_text", "to_markdown", "to_latex", "to_csv", "render", "FORMATS",
           "escape_latex", "escape_markdown"]
