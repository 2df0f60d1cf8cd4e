"""A sweep's CSV files on disk: :class:`CsvLog`, the append-only writer that resumes a file,
and the record reader it shares with :func:`hwsim.sweep.results.read_table`.

Every row is one line (line breaks inside messages are replaced) and is flushed as soon as
it is written, so a killed sweep loses at most the line being written. On reopening, a last
line without its newline is cut off, rows already present are reported as done, and new rows
are appended: rerunning a sweep resumes it and never writes a row twice. A results file
written before a column was added (:data:`~hwsim.sweep.columns.LATER_COLUMNS`) resumes as it
is: its header stays, and the rows appended to it leave that column out.

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
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hwsim.errors import InputError, OutputError, Problem, ProblemCollector
from hwsim.sweep.columns import ID_COLUMNS, earlier_header, format_cell

log = logging.getLogger(__name__)

# Lines with the wrong number of fields listed in one message, at most.
MAX_LINE_PROBLEMS = 10


def preview(text: str, limit: int = 80) -> str:
    """``text`` quoted, cut to ``limit`` characters, for a message."""
    first = text.splitlines()[0] if text else ""
    if not first.strip():
        return "an empty line"
    return repr(first if len(first) <= limit else first[: limit - 3] + "...")


def os_reason(exc: OSError, path: Path) -> str:
    """Why an operating-system call failed, naming the file when it is not ``path`` itself
    (a parent that is a file, a temporary file)."""
    reason = exc.strerror or str(exc)
    other = exc.filename
    if other and Path(other) != path:
        reason += f" ({other})"
    return reason


def records(reader: Any, problems: ProblemCollector) -> Iterable[list[str]]:
    """The records of ``reader``; a record the csv module cannot parse (a stray quote) is
    a problem at its line and ends the reading."""
    try:
        yield from reader
    except csv.Error as exc:
        problems.add(f"line {reader.line_num}", f"not a CSV record ({exc})")


def body_records(reader: Any, width: int, problems: ProblemCollector,
          hint: str) -> list[tuple[int, list[str]]]:
    """The records after the header, each of ``width`` fields, with their line numbers. A
    complete record of another width is never dropped: it is a problem at its line (with
    ``hint``), the first :data:`MAX_LINE_PROBLEMS` listed. Blank lines hold no record and are
    skipped."""
    out = []
    wrong = 0
    start = reader.line_num + 1
    for line in records(reader, problems):
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


def identity(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(row.get(c) for c in ID_COLUMNS)


class CsvLog:
    """An append-only CSV file with a fixed header, resumable after an interruption.

    A file written by an earlier hwsim, whose header is this one without the columns added
    since (:func:`~hwsim.sweep.columns.earlier_header`), resumes too, keeping its own
    header: ``header`` becomes the file's, and new rows leave the later columns out."""

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
                                      f"{os_reason(exc, self.path)}")]) from None

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
                                      f"{os_reason(exc, self.path)}")]) from None
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
        expected = preview(",".join(self.header))
        first_end = raw.find(b"\n")
        if first_end < 0:  # one line and no newline: nothing this sweep wrote
            raise InputError([Problem(str(self.path), "", not_ours.format(
                expected=expected, got=preview(raw.decode("utf-8", errors="replace"))
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
        if first != self.header and first == earlier_header(self.header):
            log.info("%s: written before the columns %s; resuming it with its own header "
                     "(new rows leave them out)", self.path,
                     ", ".join(c for c in self.header if c not in first))
            self.header = first
        if first != self.header:
            raise InputError([Problem(str(self.path), "", not_ours.format(
                expected=expected, got=preview(",".join(first))))])
        problems = ProblemCollector(self.path)
        rows = [dict(zip(self.header, line)) for _, line in body_records(
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
            ident = identity(row)
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
            raise OutputError(f"{self.path}: cannot write a row: {os_reason(exc, self.path)}; "
                              "the rows finished so far are saved: make room and rerun the "
                              "same command to resume") from None

    def close(self) -> None:
        if self._file is not None:
            handle, self._file, self._writer = self._file, None, None
            try:
                handle.close()
            except OSError as exc:  # the flush of a failed write: already reported
                log.debug("%s: closing after a failed write: %s", self.path, exc)


__all__ = ["CsvLog", "MAX_LINE_PROBLEMS", "preview", "os_reason", "records", "body_records",
           "identity"]
