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
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from hwsim.errors import InputError

ID_COLUMNS = ("config_key", "network", "engine")
ENERGY_COLUMNS = ("energy_total", "energy_mac", "energy_rf", "energy_array", "energy_glb",
                  "energy_dram", "energy_leakage")
METRIC_COLUMNS = ("total_cycles", "latency_ms") + ENERGY_COLUMNS + (
    "energy_unit", "utilization", "total_macs", "dram_bytes", "area_pes", "area_buffer_bytes",
    "hwsim_version")
ERROR_COLUMNS = ("kind", "error", "hwsim_version")
# Metrics that belong to the configuration, not to a (configuration, network) pair.
CONFIG_COLUMNS = ("area_pes", "area_buffer_bytes")
# kinds of error rows
INVALID = "invalid"
INTERNAL = "internal"


def results_header(axis_names: Sequence[str]) -> list[str]:
    return [*ID_COLUMNS, *axis_names, *METRIC_COLUMNS]


def errors_header(axis_names: Sequence[str]) -> list[str]:
    return [*ID_COLUMNS, *axis_names, *ERROR_COLUMNS]


def errors_path(out: str | Path) -> Path:
    """``results.csv`` -> ``results.errors.csv``."""
    out = Path(out)
    return out.with_name(out.stem + ".errors" + (out.suffix or ".csv"))


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


class CsvLog:
    """An append-only CSV file with a fixed header, resumable after an interruption."""

    def __init__(self, path: str | Path, header: Sequence[str]):
        self.path = Path(path)
        self.header = list(header)
        self.dropped_partial_line = False
        self.dropped_rows = 0
        self._file: io.TextIOBase | None = None
        self._writer: Any = None

    def open(self, keep: Callable[[dict[str, str]], bool] | None = None) -> list[dict[str, str]]:
        """Open for appending; returns the complete rows already in the file.

        A partly written last line is cut off. Rows for which ``keep`` is false are removed
        from the file (the file is rewritten) and not returned. InputError if the file was
        written with other columns (another sweep)."""
        rows: list[dict[str, str]] = []
        if self.path.exists() and self.path.stat().st_size > 0:
            raw = self.path.read_bytes()
            if not raw.endswith(b"\n"):
                raw = raw[: raw.rfind(b"\n") + 1]
                self.dropped_partial_line = True
            lines = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
            if lines and lines[0] != self.header:
                raise InputError(
                    f"this file was written by a sweep with other columns (it has "
                    f"{', '.join(lines[0][:12])}{' ...' if len(lines[0]) > 12 else ''}); "
                    "use another --out or delete it to start again", file=self.path)
            body = lines[1:]
            good = [line for line in body if len(line) == len(self.header)]
            self.dropped_rows = len(body) - len(good)
            rows = [dict(zip(self.header, line)) for line in good]
            kept = [row for row in rows if keep is None or keep(row)]
            if self.dropped_partial_line or self.dropped_rows or len(kept) != len(rows) \
                    or not lines:
                self._rewrite(kept)
            rows = kept
        else:
            self._rewrite([])
        self._file = open(self.path, "a", encoding="utf-8", newline="")
        self._writer = csv.writer(self._file, lineterminator="\n")
        return rows

    def _rewrite(self, rows: Iterable[Mapping[str, str]]) -> None:
        """Replace the file by the header and ``rows`` atomically (temp file + rename)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(self.header)
            for row in rows:
                writer.writerow([row.get(c, "") for c in self.header])
        os.replace(tmp, self.path)

    def write(self, row: Mapping[str, Any]) -> None:
        """Append one row (missing columns empty) and flush it to the operating system."""
        assert self._writer is not None and self._file is not None, "open() first"
        self._writer.writerow([format_cell(row.get(c)) for c in self.header])
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            self._writer = None


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """Read a results CSV into dicts with numbers parsed (for ``pareto`` and ``plot``).

    A partly written last line (an interrupted sweep) is ignored; InputError if the file is
    missing or is not a sweep results file."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path)
    raw = path.read_bytes()
    if raw and not raw.endswith(b"\n"):
        raw = raw[: raw.rfind(b"\n") + 1]
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8", errors="replace"), newline="")))
    if not lines or not set(ID_COLUMNS) <= set(lines[0]):
        raise InputError("not a sweep results file (expected the columns "
                         f"{', '.join(ID_COLUMNS)} in the first line)", file=path)
    header = lines[0]
    return [{k: parse_cell(v) for k, v in zip(header, line)}
            for line in lines[1:] if len(line) == len(header)]


def parameter_columns(columns: Iterable[str]) -> list[str]:
    """The swept-parameter columns of a results table: everything but ids and metrics."""
    known = set(ID_COLUMNS) | set(METRIC_COLUMNS) | set(ERROR_COLUMNS)
    return [c for c in columns if c not in known]


__all__ = ["CsvLog", "ID_COLUMNS", "METRIC_COLUMNS", "CONFIG_COLUMNS", "ENERGY_COLUMNS",
           "ERROR_COLUMNS",
           "INVALID", "INTERNAL", "results_header", "errors_header", "errors_path",
           "format_cell", "parse_cell", "read_rows", "parameter_columns"]
