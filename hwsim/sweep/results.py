"""The sweep's output files: a results CSV and an errors CSV, written row by row, resumable.

The columns and cells are :mod:`hwsim.sweep.columns`'s, the writer :mod:`hwsim.sweep.csvlog`'s;
this module reads a finished (or growing) file back for ``pareto``, ``plot`` and
:func:`hwsim.sweep.api.load_results`, checks its values, and re-exports the names of both, so
``hwsim.sweep.results`` is the one name to import.

How a file is written, flushed and resumed (and what is never dropped) is in
:mod:`hwsim.sweep.csvlog`.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hwsim.errors import InputError, Problem, ProblemCollector, did_you_mean
from hwsim.sweep.columns import (
    CONFIG_COLUMNS,
    ENERGY_COLUMNS,
    ERROR_COLUMNS,
    ID_COLUMNS,
    INTERNAL,
    INVALID,
    MAY_BE_EMPTY,
    METRIC_COLUMNS,
    NETWORK_COLUMNS,
    NUMERIC_METRICS,
    RESULT_METRICS,
    TEXT_METRICS,
    errors_header,
    errors_path,
    format_cell,
    is_errors_header,
    parameter_columns,
    parse_cell,
    results_header,
)
from hwsim.sweep.csvlog import MAX_LINE_PROBLEMS, CsvLog, body_records, identity, preview, records

log = logging.getLogger(__name__)


def _duplicated_columns(header: Sequence[str], problems: ProblemCollector) -> None:
    """A column name twice in the header: a reader would keep one of them silently."""
    first: dict[str, int] = {}
    for number, name in enumerate(header, 1):
        if name in first:
            problems.add("line 1", f"column {preview(name, 40)} appears twice (columns "
                         f"{first[name]} and {number}); a results file names each column once")
        first.setdefault(name, number)


def _duplicated_rows(rows: Sequence[Mapping[str, Any]], lines: Sequence[int],
                     problems: ProblemCollector) -> None:
    """Two rows of one (configuration, network, engine): a sum over the file would count it
    twice, so it is a problem at the second line (the first :data:`MAX_LINE_PROBLEMS`)."""
    seen: dict[tuple[Any, ...], int] = {}
    repeated = 0
    for row, line in zip(rows, lines):
        ident = identity(row)
        if ident in seen:
            repeated += 1
            if repeated <= MAX_LINE_PROBLEMS:
                problems.add(f"line {line}", "repeats the row of line "
                             f"{seen[ident]} (same {', '.join(ID_COLUMNS)}); a row counts "
                             "once: delete one of them")
        else:
            seen[ident] = line
    if repeated > MAX_LINE_PROBLEMS:
        problems.add("", f"... and {repeated - MAX_LINE_PROBLEMS} more repeated rows")


class Rows(list):
    """The rows of :func:`read_table` (a list of dicts) with ``lines``: each row's line
    number in the file, for messages about a value."""

    lines: list[int]


def read_table(path: str | Path) -> tuple[list[str], list[dict[str, Any]]]:
    """Read a sweep's CSV (results or errors) into its header and rows, numbers parsed (for
    ``pareto`` and ``plot``).

    A last line without its newline (a sweep still writing it, or killed) is left out, with
    a warning. InputError if the file is missing, is not a sweep's file, or has a complete
    row of the wrong width (naming its line), a column named twice or two rows of one
    (configuration, network, engine): no row is ever dropped or counted twice silently. The
    rows are a :class:`Rows` (their line numbers in ``lines``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found" + (" (it is a directory)" if path.is_dir() else ""),
                         file=path)
    raw = path.read_bytes()
    if raw and not raw.endswith(b"\n"):
        raw = raw[: raw.rfind(b"\n") + 1]
        log.warning("%s: ignored the last line, which has no newline (a sweep still writing "
                    "it, or one cut short)", path)
    problems = ProblemCollector(path)
    reader = csv.reader(io.StringIO(raw.decode("utf-8", errors="replace"), newline=""),
                        strict=True)
    header = next(iter(records(reader, problems)), None)
    if not header or not set(ID_COLUMNS) <= set(header):
        raise InputError("not a sweep results file (expected the columns "
                         f"{', '.join(ID_COLUMNS)} in the first line)", file=path)
    _duplicated_columns(header, problems)
    problems.raise_if_any()
    body = body_records(reader, len(header), problems, "fix or delete this line")
    text = set(ID_COLUMNS) | set(TEXT_METRICS)  # ids and names stay text (a key of digits too)
    rows = Rows({k: (v if k in text and v else parse_cell(v)) for k, v in zip(header, line)}
                for _, line in body)
    rows.lines = [number for number, _ in body]
    _duplicated_rows(rows, rows.lines, problems)
    problems.raise_if_any()
    return header, rows


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """The rows of :func:`read_table` (dicts of column -> value, numbers parsed)."""
    return read_table(path)[1]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def numeric_columns(header: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Columns holding numbers: every filled cell a number and at least one filled (with no
    rows, the metrics known to be numeric)."""
    if not rows:
        return [c for c in header if c in NUMERIC_METRICS]
    out = []
    for column in header:
        values = [r.get(column) for r in rows if r.get(column) is not None]
        if values and all(_is_number(v) for v in values):
            out.append(column)
    return out


def require_numeric(header: Sequence[str], rows: Sequence[Mapping[str, Any]], column: str,
                    file: str | Path, flag: str = "") -> None:
    """InputError (naming ``file``, the column and the command-line ``flag`` that chose it)
    unless ``column`` is in ``header`` and holds numbers: an objective or a plotted value
    must be numeric. Rows read from a file (a :class:`Rows`) must hold a finite number >= 0
    in every row, or the message names the lines; rows built in code may leave a cell empty
    (such a row is left out of a front)."""
    numeric = numeric_columns(header, rows)
    for_flag = f" for {flag}" if flag else ""
    if column not in header:
        if is_errors_header(header):
            name = Path(file).name
            results = name[: -len(".errors.csv")] + ".csv" if name.endswith(".errors.csv") \
                else "the --out file of the sweep"
            raise InputError([Problem(str(file), "", f"no column {column!r}{for_flag}: this is a "
                                      "sweep's errors file (the skipped combinations, no "
                                      f"metrics); give its results file, {results}")])
        raise InputError([Problem(str(file), "", f"no column {column!r}{for_flag}"
                                  + did_you_mean(column, numeric or header))])
    if rows and column not in numeric:
        values = [r.get(column) for r in rows if r.get(column) is not None]
        text = next((v for v in values if not _is_number(v)), None)
        what = f"holds text, not numbers (e.g. {preview(format_cell(text), 40)})" if values else \
            "is empty in every row"
        choices = f" (numeric columns: {', '.join(numeric)})" if numeric else ""
        raise InputError([Problem(str(file), "", f"column {column!r} {what}; "
                                  f"{flag or 'an objective'} needs numbers{choices}")])
    if isinstance(rows, Rows):  # read from a file: every value is checked, naming its line
        _check_values(rows, column, file, flag)


def _check_values(rows: Rows, column: str, file: str | Path, flag: str) -> None:
    """Every row's ``column`` is a finite number >= 0 (an objective is a time, an energy, a
    size or a rate): a NaN, an empty cell or a -1 latency would silently win or leave a
    Pareto front. InputError naming the lines and the column."""
    problems = ProblemCollector(file)
    bad = 0
    for row, line in zip(rows, rows.lines):
        value = row.get(column)
        if value is None and column in MAY_BE_EMPTY:
            continue
        if value is None:
            why = "is empty"
        elif not math.isfinite(value):
            why = f"is {value!r}, not a finite number"
        elif value < 0:
            why = f"is negative ({value!r})"
        else:
            continue
        bad += 1
        if bad <= MAX_LINE_PROBLEMS:
            problems.add(f"line {line}, column {column!r}",
                         f"{why}; {flag or 'an objective'} needs a number >= 0 in every row")
    if bad > MAX_LINE_PROBLEMS:
        problems.add("", f"... and {bad - MAX_LINE_PROBLEMS} more rows")
    problems.raise_if_any()


__all__ = ["CsvLog", "Rows", "ID_COLUMNS", "METRIC_COLUMNS", "NETWORK_COLUMNS", "CONFIG_COLUMNS", "ENERGY_COLUMNS",
           "ERROR_COLUMNS", "RESULT_METRICS",
           "INVALID", "INTERNAL", "results_header", "errors_header", "errors_path",
           "format_cell", "parse_cell", "read_rows", "read_table", "parameter_columns",
           "numeric_columns", "require_numeric", "is_errors_header", "NUMERIC_METRICS"]
