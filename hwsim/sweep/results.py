"""The sweep's output files: a results CSV and an errors CSV, written row by row, resumable.

One results row per (configuration, network, engine): the configuration's key, the network,
the engine, one column per swept axis, then the metrics of :data:`METRIC_COLUMNS`. Invalid
combinations go to ``<out>.errors.csv`` instead (same leading columns, then ``kind`` and
``error``). ``kind`` is ``invalid`` (the loader or the model rejected the combination: not
retried) or ``internal`` (an unexpected failure: retried on the next run).

Every row is one line (line breaks inside messages are replaced) and is flushed as soon as
it is written, so a killed sweep loses at most the line being written. On reopening, a last
line without its newline is cut off, rows already present are reported as done, and new rows
are appended: rerunning a sweep resumes it and never writes a row twice.

A file is only ever resumed if its first line is exactly the header this sweep writes; any
other non-empty file (a user's notes, another sweep's results) is bad input and is left
untouched, and so is a file with a complete row of the wrong width (the message names the
line). The only thing ever dropped is a last line without its newline, in a file whose
header matched: that is what a kill in the middle of a write leaves.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hwsim.errors import InputError, OutputError, Problem, ProblemCollector, did_you_mean
from hwsim.result import ENERGY_COMPONENTS

log = logging.getLogger(__name__)

ID_COLUMNS = ("config_key", "network", "engine")
ENERGY_COLUMNS = ("energy_total", *(f"energy_{c}" for c in ENERGY_COMPONENTS))
# The run's totals in a results row: sweep column -> hwsim.result.TOTAL_COLUMNS name.
RESULT_METRICS: dict[str, str] = {
    "total_cycles": "cycles", "latency_ms": "latency_ms", **{c: c for c in ENERGY_COLUMNS},
    "energy_unit": "energy_unit", "utilization": "utilization", "total_macs": "macs",
    "dram_bytes": "dram_bytes"}
# The network's own columns: its parameter count and its published accuracy (empty where
# the network file publishes none for exactly these parameter values).
NETWORK_COLUMNS = ("param_count", "top1", "top5")
METRIC_COLUMNS = (*RESULT_METRICS, *NETWORK_COLUMNS, "area_pes", "area_buffer_bytes", "area_mm2",
                  "hwsim_version")
ERROR_COLUMNS = ("kind", "error", "hwsim_version")
# Metrics that are numbers (all but the unit and the version).
NUMERIC_METRICS = tuple(c for c in METRIC_COLUMNS if c not in ("energy_unit", "hwsim_version"))
# Metrics that belong to the configuration, not to a (configuration, network) pair.
CONFIG_COLUMNS = ("area_pes", "area_buffer_bytes", "area_mm2")
#: Columns that are empty by nature in some rows: a published accuracy exists only at some
#: points of a network's parameter space, ``area_mm2`` only for 16-bit datapaths. Such a row
#: is left out of a front on that column (``hwsim pareto`` counts it in a note); any other
#: empty objective is bad input.
MAY_BE_EMPTY = ("top1", "top5", "area_mm2")
# kinds of error rows
INVALID = "invalid"
INTERNAL = "internal"
# Lines with the wrong number of fields listed in one message, at most.
MAX_LINE_PROBLEMS = 10


def results_header(axis_names: Sequence[str]) -> list[str]:
    return [*ID_COLUMNS, *axis_names, *METRIC_COLUMNS]


def errors_header(axis_names: Sequence[str]) -> list[str]:
    return [*ID_COLUMNS, *axis_names, *ERROR_COLUMNS]


def errors_path(out: str | Path) -> Path:
    """``results.csv`` -> ``results.errors.csv``."""
    out = Path(out)
    return out.with_name(out.stem + ".errors" + (out.suffix or ".csv"))


def _preview(text: str, limit: int = 80) -> str:
    """``text`` quoted, cut to ``limit`` characters, for a message."""
    first = text.splitlines()[0] if text else ""
    if not first.strip():
        return "an empty line"
    return repr(first if len(first) <= limit else first[: limit - 3] + "...")


def format_cell(value: Any) -> str:
    """CSV text of a value: '' for None, true/false for booleans, one line always."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else repr(value) if isinstance(value, float) \
        else str(value)
    if "\n" in text or "\r" in text:
        text = " | ".join(part.strip() for part in text.splitlines() if part.strip())
    return text


def parse_cell(text: str) -> Any:
    """Inverse of :func:`format_cell` for reading: int, float, bool, None or the string."""
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _os_reason(exc: OSError, path: Path) -> str:
    """Why an operating-system call failed, naming the file when it is not ``path`` itself
    (a parent that is a file, a temporary file)."""
    reason = exc.strerror or str(exc)
    other = exc.filename
    if other and Path(other) != path:
        reason += f" ({other})"
    return reason


def _records(reader: Any, problems: ProblemCollector) -> Iterable[list[str]]:
    """The records of ``reader``; a record the csv module cannot parse (a stray quote) is
    a problem at its line and ends the reading."""
    try:
        yield from reader
    except csv.Error as exc:
        problems.add(f"line {reader.line_num}", f"not a CSV record ({exc})")


def _body(reader: Any, width: int, problems: ProblemCollector,
          hint: str) -> list[tuple[int, list[str]]]:
    """The records after the header, each of ``width`` fields, with their line numbers. A
    complete record of another width is never dropped: it is a problem at its line (with
    ``hint``), the first :data:`MAX_LINE_PROBLEMS` listed. Blank lines hold no record and are
    skipped."""
    out = []
    wrong = 0
    start = reader.line_num + 1
    for line in _records(reader, problems):
        if line and len(line) == width:
            out.append((start, line))
        elif line:
            wrong += 1
            if wrong <= MAX_LINE_PROBLEMS:
                problems.add(f"line {start}", f"{len(line)} fields, but the header has "
                             f"{width}; {hint}")
        start = reader.line_num + 1
    if wrong > MAX_LINE_PROBLEMS:
        problems.add("", f"... and {wrong - MAX_LINE_PROBLEMS} more lines with the wrong "
                     "number of fields")
    return out


def _identity(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(row.get(c) for c in ID_COLUMNS)


def _duplicated_columns(header: Sequence[str], problems: ProblemCollector) -> None:
    """A column name twice in the header: a reader would keep one of them silently."""
    first: dict[str, int] = {}
    for number, name in enumerate(header, 1):
        if name in first:
            problems.add("line 1", f"column {_preview(name, 40)} appears twice (columns "
                         f"{first[name]} and {number}); a results file names each column once")
        first.setdefault(name, number)


def _duplicated_rows(rows: Sequence[Mapping[str, Any]], lines: Sequence[int],
                     problems: ProblemCollector) -> None:
    """Two rows of one (configuration, network, engine): a sum over the file would count it
    twice, so it is a problem at the second line (the first :data:`MAX_LINE_PROBLEMS`)."""
    seen: dict[tuple[Any, ...], int] = {}
    repeated = 0
    for row, line in zip(rows, lines):
        ident = _identity(row)
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


class CsvLog:
    """An append-only CSV file with a fixed header, resumable after an interruption."""

    def __init__(self, path: str | Path, header: Sequence[str]):
        self.path = Path(path)
        self.header = list(header)
        self.dropped_partial_line = False
        self.dropped_duplicates = 0
        self._kept: list[dict[str, str]] | None = None
        self._needs_rewrite = False
        self._file: io.TextIOBase | None = None
        self._writer: Any = None

    def load(self, keep: Callable[[dict[str, str]], bool] | None = None
             ) -> list[dict[str, str]]:
        """Check the file and return the complete rows already in it, writing nothing.

        A missing or empty file has no rows. An existing file is resumed only if its first
        line is exactly this header, ended by a newline; then a last line without its newline
        (a write cut short) is left out. Anything else is not this sweep's file: InputError
        (a user's notes, another sweep's results, a row with the wrong number of fields,
        naming its line), and the file is never touched. Rows for which ``keep`` is false,
        and rows repeating an earlier row's (configuration, network, engine), are left out
        (and will be removed from the file by :meth:`start`; the repeats are counted in
        ``dropped_duplicates``)."""
        self.check_path()
        try:
            if not (self.path.exists() and self.path.stat().st_size > 0):
                self._kept = []
                self._needs_rewrite = True
                return []
            return self._read_existing(keep)
        except OSError as exc:
            raise InputError([Problem(str(self.path), "", "cannot read it: "
                                      f"{_os_reason(exc, self.path)}")]) from None

    def check_path(self) -> None:
        """InputError unless the path can be a results file: not a directory, a symlink
        (written through, it would change another file) or a FIFO or device, nor under a
        file."""
        if self.path.is_symlink():
            raise InputError([Problem(str(self.path), "", "is a symbolic link; give the real "
                                      f"file ({self.path.resolve()}) or another name")])
        if self.path.is_dir():
            raise InputError([Problem(str(self.path), "", "is a directory; give the name of "
                                      "a CSV file to write, e.g. "
                                      f"{self.path / 'results.csv'}")])
        if self.path.exists() and not self.path.is_file():
            raise InputError([Problem(str(self.path), "", "is not a regular file (a FIFO, "
                                      "device or socket); give the name of a CSV file")])
        parent = next((d for d in self.path.parents if d.exists()), None)
        if parent is not None and not parent.is_dir():
            raise InputError([Problem(str(self.path), "", f"cannot create it: {parent} is a "
                                      "file, not a folder")])

    def start(self) -> None:
        """Start appending after :meth:`load`: the file is (re)written first if it is new,
        had a cut last line, or lost rows to ``keep``."""
        assert self._kept is not None, "load() first"
        try:
            if self._needs_rewrite:
                self._rewrite(self._kept)
            self._file = open(self.path, "a", encoding="utf-8", newline="")
        except OSError as exc:
            raise InputError([Problem(str(self.path), "", "cannot write the results here: "
                                      f"{_os_reason(exc, self.path)}")]) from None
        self._writer = csv.writer(self._file, lineterminator="\n")

    def open(self, keep: Callable[[dict[str, str]], bool] | None = None) -> list[dict[str, str]]:
        """:meth:`load` then :meth:`start`; returns the rows already in the file."""
        rows = self.load(keep)
        self.start()
        return rows

    def _read_existing(self, keep: Callable[[dict[str, str]], bool] | None
                       ) -> list[dict[str, str]]:
        """The rows of an existing file of this sweep (see :meth:`load`)."""
        raw = self.path.read_bytes()
        not_ours = ("not a results file of this sweep; choose another --out or delete it "
                    "(its first line is {got}; this sweep's header is {expected})")
        expected = _preview(",".join(self.header))
        first_end = raw.find(b"\n")
        if first_end < 0:  # one line and no newline: nothing this sweep wrote
            raise InputError([Problem(str(self.path), "", not_ours.format(
                expected=expected, got=_preview(raw.decode("utf-8", errors="replace"))
                + ", with no newline"))])
        complete = raw[: raw.rfind(b"\n") + 1]
        self.dropped_partial_line = len(complete) < len(raw)
        try:
            text = complete.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError([Problem(str(self.path), "", not_ours.format(
                expected=expected, got="not UTF-8 text"))]) from None
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            first = next(reader, [])
        except csv.Error:
            first = ["(not CSV)"]
        if first != self.header:
            raise InputError([Problem(str(self.path), "", not_ours.format(
                expected=expected, got=_preview(",".join(first))))])
        problems = ProblemCollector(self.path)
        rows = [dict(zip(self.header, line)) for _, line in _body(
            reader, len(self.header), problems, "fix or delete this line, or choose another --out")]
        problems.raise_if_any()
        unique = self._drop_duplicates(rows)
        kept = [row for row in unique if keep is None or keep(row)]
        self._kept = kept
        self._needs_rewrite = self.dropped_partial_line or len(kept) != len(rows)
        return kept

    def _drop_duplicates(self, rows: list[dict[str, str]]) -> list[dict[str, str]]:
        """The rows with each (configuration, network, engine) once, the first kept (a file
        written by two sweeps at once before the lock existed); counted and logged."""
        seen: set[tuple[Any, ...]] = set()
        unique = []
        for row in rows:
            ident = _identity(row)
            if ident not in seen:
                seen.add(ident)
                unique.append(row)
        self.dropped_duplicates = len(rows) - len(unique)
        if self.dropped_duplicates:
            log.warning("%s: dropped %d repeated rows (same %s as an earlier row)", self.path,
                        self.dropped_duplicates, ", ".join(ID_COLUMNS))
        return unique

    def _rewrite(self, rows: Iterable[Mapping[str, str]]) -> None:
        """Replace the file by the header and ``rows`` atomically (temp file + rename)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            with open(tmp, "w", encoding="utf-8", newline="") as handle:
                writer = csv.writer(handle, lineterminator="\n")
                writer.writerow(self.header)
                for row in rows:
                    writer.writerow([row.get(c, "") for c in self.header])
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)  # the file itself is as it was
            raise

    def write(self, row: Mapping[str, Any]) -> None:
        """Append one row (missing columns empty) and flush it to the operating system."""
        assert self._writer is not None and self._file is not None, "open() first"
        try:
            self._writer.writerow([format_cell(row.get(c)) for c in self.header])
            self._file.flush()
        except OSError as exc:  # a full disk: the rows written before stay, resumable
            raise OutputError(f"{self.path}: cannot write a row: {_os_reason(exc, self.path)}; "
                              "the rows finished so far are saved: make room and rerun the "
                              "same command to resume") from None

    def close(self) -> None:
        if self._file is not None:
            handle, self._file, self._writer = self._file, None, None
            try:
                handle.close()
            except OSError as exc:  # the flush of a failed write: already reported
                log.debug("%s: closing after a failed write: %s", self.path, exc)


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
    header = next(iter(_records(reader, problems)), None)
    if not header or not set(ID_COLUMNS) <= set(header):
        raise InputError("not a sweep results file (expected the columns "
                         f"{', '.join(ID_COLUMNS)} in the first line)", file=path)
    _duplicated_columns(header, problems)
    problems.raise_if_any()
    body = _body(reader, len(header), problems, "fix or delete this line")
    rows = Rows({k: parse_cell(v) for k, v in zip(header, line)} for _, line in body)
    rows.lines = [number for number, _ in body]
    _duplicated_rows(rows, rows.lines, problems)
    problems.raise_if_any()
    return header, rows


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """The rows of :func:`read_table` (dicts of column -> value, numbers parsed)."""
    return read_table(path)[1]


def is_errors_header(header: Sequence[str]) -> bool:
    """Whether a header is an errors file's (``<out>.errors.csv``): no metrics, a ``kind``."""
    return "kind" in header and "error" in header and not set(NUMERIC_METRICS) & set(header)


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
        what = f"holds text, not numbers (e.g. {_preview(format_cell(text), 40)})" if values else \
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


def parameter_columns(columns: Iterable[str]) -> list[str]:
    """The swept-parameter columns of a results table: everything but ids and metrics."""
    known = set(ID_COLUMNS) | set(METRIC_COLUMNS) | set(ERROR_COLUMNS)
    return [c for c in columns if c not in known]


__all__ = ["CsvLog", "Rows", "ID_COLUMNS", "METRIC_COLUMNS", "NETWORK_COLUMNS", "CONFIG_COLUMNS", "ENERGY_COLUMNS",
           "ERROR_COLUMNS", "RESULT_METRICS",
           "INVALID", "INTERNAL", "results_header", "errors_header", "errors_path",
           "format_cell", "parse_cell", "read_rows", "read_table", "parameter_columns",
           "numeric_columns", "require_numeric", "is_errors_header", "NUMERIC_METRICS"]
