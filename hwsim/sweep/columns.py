"""The columns of a sweep's result files, and how a cell is written and read.

One results row per (configuration, network, engine): the configuration's key, the network,
the engine, one column per swept axis, then the metrics of :data:`METRIC_COLUMNS`. Invalid
combinations go to ``<out>.errors.csv`` instead (same leading columns, then ``kind`` and
``error``). ``kind`` is ``invalid`` (the loader or the model rejected the combination: not
retried) or ``internal`` (an unexpected failure: retried on the next run).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hwsim.result import ENERGY_COMPONENTS

ID_COLUMNS = ("config_key", "network", "engine")
ENERGY_COLUMNS = ("energy_total", *(f"energy_{c}" for c in ENERGY_COMPONENTS))
# The run's totals in a results row: sweep column -> hwsim.result.TOTAL_COLUMNS name.
RESULT_METRICS: dict[str, str] = {
    "total_cycles": "cycles", "latency_ms": "latency_ms", **{c: c for c in ENERGY_COLUMNS},
    "energy_unit": "energy_unit", "utilization": "utilization", "total_macs": "macs",
    "dram_bytes": "dram_bytes"}
# The network's own columns: its name (the network file's ``name``, as loaded with the row's
# parameter values; the ``network`` column is the sweep's label for it, the file's stem unless
# the sweep names it), its parameter count and its published accuracy (empty where the network
# file publishes none for exactly these parameter values).
NETWORK_COLUMNS = ("network_name", "param_count", "top1", "top5")
METRIC_COLUMNS = (*RESULT_METRICS, *NETWORK_COLUMNS, "area_pes", "area_buffer_bytes", "area_mm2",
                  "hwsim_version")
ERROR_COLUMNS = ("kind", "error", "hwsim_version")
# Metrics that are text: the energy unit, the network's name and the version.
TEXT_METRICS = ("energy_unit", "network_name", "hwsim_version")
# Metrics that are numbers (all but the text ones).
NUMERIC_METRICS = tuple(c for c in METRIC_COLUMNS if c not in TEXT_METRICS)
#: Columns added to the results header since the oldest files that still resume: a file whose
#: first line is today's header without them was written by an earlier hwsim, and resumes
#: with its own header (its new rows leave these columns out: a reader falls back, e.g. to
#: the ``network`` column for a missing ``network_name``). They are metrics, never part of a
#: row's identity or its ``config_key``, so an earlier file's rows are done rows.
LATER_COLUMNS = ("network_name",)
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


def results_header(axis_names: Sequence[str]) -> list[str]:
    return [*ID_COLUMNS, *axis_names, *METRIC_COLUMNS]


def errors_header(axis_names: Sequence[str]) -> list[str]:
    return [*ID_COLUMNS, *axis_names, *ERROR_COLUMNS]


def earlier_header(header: Sequence[str]) -> list[str]:
    """``header`` as an earlier hwsim wrote it: without the :data:`LATER_COLUMNS`."""
    return [c for c in header if c not in LATER_COLUMNS]


def errors_path(out: str | Path) -> Path:
    """``results.csv`` -> ``results.errors.csv``."""
    out = Path(out)
    return out.with_name(out.stem + ".errors" + (out.suffix or ".csv"))


def format_cell(value: Any) -> str:
    """CSV text of a value: '' for None, true/false for booleans, one line always."""
    kind = type(value)
    if kind is float:  # the common cells first (a row has ~30; never a line break)
        return repr(value)
    if kind is int:
        return str(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value if isinstance(value, str) else repr(float(value)) \
        if isinstance(value, float) else str(value)  # a numpy float as a plain one
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


def is_errors_header(header: Sequence[str]) -> bool:
    """Whether a header is an errors file's (``<out>.errors.csv``): no metrics, a ``kind``."""
    return "kind" in header and "error" in header and not set(NUMERIC_METRICS) & set(header)


def parameter_columns(columns: Iterable[str]) -> list[str]:
    """The swept-parameter columns of a results table: everything but ids and metrics."""
    known = set(ID_COLUMNS) | set(METRIC_COLUMNS) | set(ERROR_COLUMNS)
    return [c for c in columns if c not in known]


__all__ = ["ID_COLUMNS", "METRIC_COLUMNS", "NETWORK_COLUMNS", "CONFIG_COLUMNS", "ENERGY_COLUMNS",
           "ERROR_COLUMNS", "RESULT_METRICS", "TEXT_METRICS", "NUMERIC_METRICS", "MAY_BE_EMPTY",
           "LATER_COLUMNS", "INVALID", "INTERNAL", "results_header", "errors_header",
           "earlier_header", "errors_path", "format_cell",
           "parse_cell", "is_errors_header", "parameter_columns"]
