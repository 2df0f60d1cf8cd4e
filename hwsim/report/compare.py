"""Side-by-side comparison of simulation results: one row per network x accelerator x dataflow.

Each row carries the network's parameters and MACs, the run's cycles, latency, energy (total
and its split by component), the average PE utilization, and two ratios against a
*baseline* row:

* ``speedup = baseline latency / latency`` (> 1: faster than the baseline; latency, not
  cycles, so that accelerators with different clocks compare fairly; with equal clocks it is
  the cycle ratio);
* ``energy_ratio = energy / baseline energy`` (< 1: less energy than the baseline; left empty
  when the two rows price energy in different units, e.g. MAC-normalised vs pJ).

Choosing the baseline (``baseline=NAME``, case-insensitive):

1. ``NAME`` is a row label (``network @ accelerator`` or ``network @ accelerator [dataflow]``):
   every row is compared with that one row;
2. ``NAME`` is an accelerator (its name or file stem): each row is compared with *the same
   network* on that accelerator (e.g. the hybrid against WS-only, per network), in the same
   dataflow when that accelerator ran it, else in the accelerator's own;
3. ``NAME`` is a network (name or file stem): each row is compared with that network on the
   same accelerator (same dataflow when there is one);
4. ``NAME`` is a dataflow: each row is compared with the same network and accelerator in that
   dataflow.

Without a baseline the first row is the baseline of every row. A name that matches nothing
is an :class:`~hwsim.errors.InputError` listing the names that would match.

The rows are plain dicts, written by :mod:`hwsim.report.tables` as text, Markdown, LaTeX or
CSV (:func:`comparison_columns` says how).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hwsim.errors import InputError, Problem, did_you_mean
from hwsim.hardware.accelerator import energy_unit_label as hardware_unit_label
from hwsim.report.tables import Column
from hwsim.result import ENERGY_COMPONENTS, TOTAL_COLUMN, SimulationResult

DIMENSIONS = ("accelerator", "network", "dataflow")
# What a row and its baseline must share, by the dimension the baseline names.
REQUIRED_SAME = {"accelerator": ("network",), "network": ("accelerator",),
                 "dataflow": ("network", "accelerator")}
SHARE_HEADERS = {"mac": "MAC", "rf": "RF", "array": "inter-PE", "glb": "GLB", "dram": "DRAM",
                 "leakage": "leakage"}


# The run's values in a comparison row: row key -> hwsim.result.TOTAL_COLUMNS name, in the
# order the CSV lists them.
RESULT_KEYS: dict[str, str] = {
    "macs": "macs", "cycles": "cycles", "latency_ms": "latency_ms", "energy": "energy_total",
    "energy_unit": "energy_unit", **{f"energy_{c}": f"energy_{c}" for c in ENERGY_COMPONENTS},
    "utilization": "utilization", "dram_bytes": "dram_bytes"}
_INTEGER_KEYS = ("macs", "dram_bytes")


def _stem(path: str) -> str:
    return Path(path).stem if path else ""


def _dataflow_name(result: SimulationResult) -> str:
    return result.dataflow or "default"


def row_label(network: str, accelerator: str, dataflow: str | None = None) -> str:
    """``network @ accelerator`` plus `` [dataflow]`` when one was chosen."""
    label = f"{network} @ {accelerator}"
    return f"{label} [{dataflow}]" if dataflow and dataflow != "default" else label


def _names(result: SimulationResult) -> dict[str, set[str]]:
    """Every name a row answers to, per dimension (lower case)."""
    net, acc = result.network, result.accelerator
    names = {
        "network": {net.name, _stem(net.path)},
        "accelerator": {acc.name, _stem(acc.path)},
        "dataflow": {_dataflow_name(result)},
    }
    return {k: {v.lower() for v in vs if v} for k, vs in names.items()}


def _record(result: SimulationResult) -> dict[str, Any]:
    net, acc = result.network, result.accelerator
    record: dict[str, Any] = {
        "label": row_label(net.name, acc.name, result.dataflow),
        "network": net.name,
        "accelerator": acc.name,
        "dataflow": _dataflow_name(result),
        "params": int(net.params),
    }
    for key, name in RESULT_KEYS.items():
        value = TOTAL_COLUMN[name].get(result)
        record[key] = (int(value) if key in _INTEGER_KEYS else str(value or "")
                       if key == "energy_unit" else float(value))
    total = record["energy"]
    for component in ENERGY_COMPONENTS:
        record[f"share_{component}"] = record[f"energy_{component}"] / total if total else 0.0
    return record


def compare(results: Sequence[SimulationResult], baseline: str | None = None) -> list[dict[str, Any]]:
    """One record per result (in order) with ``speedup``, ``energy_ratio`` and ``baseline``
    (the baseline row's label) added. See the module docstring for the baseline rules."""
    if not results:
        return []
    records = [_record(r) for r in results]
    names = [_names(r) for r in results]
    base_index = _baseline_indices(records, names, baseline)
    for record, index in zip(records, base_index):
        if index is None:
            record.update(speedup=None, energy_ratio=None, baseline="")
            continue
        base = records[index]
        record["baseline"] = base["label"]
        record["speedup"] = (base["latency_ms"] / record["latency_ms"]
                             if record["latency_ms"] > 0 else None)
        same_unit = base["energy_unit"] == record["energy_unit"]
        record["energy_ratio"] = (record["energy"] / base["energy"]
                                  if same_unit and base["energy"] > 0 else None)
    return records


def _baseline_indices(records: list[dict[str, Any]], names: list[dict[str, set[str]]],
                      baseline: str | None) -> list[int | None]:
    if baseline is None:
        return [0] * len(records)
    wanted = baseline.strip().lower()
    for i, record in enumerate(records):
        if record["label"].lower() == wanted:
            return [i] * len(records)
    for dim in DIMENSIONS:
        if not any(wanted in n[dim] for n in names):
            continue
        required = REQUIRED_SAME[dim]
        preferred = [d for d in DIMENSIONS if d != dim and d not in required]
        out: list[int | None] = []
        for record in records:
            candidates = [j for j, candidate in enumerate(records)
                          if wanted in names[j][dim]
                          and all(candidate[d] == record[d] for d in required)]
            # prefer the baseline row that also agrees on the remaining dimension (e.g. the
            # same dataflow); else the first one (e.g. the baseline accelerator's own mode)
            candidates.sort(key=lambda j: -sum(records[j][d] == record[d] for d in preferred))
            out.append(candidates[0] if candidates else None)
        return out
    accepted = sorted({r["label"] for r in records}
                      | {v for n in names for dim in DIMENSIONS for v in n[dim]})
    raise InputError([Problem("--baseline", baseline,
                              "matches no row; use a row label, an accelerator, a network or "
                              "a dataflow: " + ", ".join(accepted))])


# --- how the table looks ----------------------------------------------------------------------

def energy_scale(values: Iterable[float]) -> tuple[float, str]:
    """A display scale for energies: (divisor, prefix), e.g. (1e6, 'M')."""
    peak = max((abs(v) for v in values), default=0.0)
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")):
        if peak >= scale:
            return scale, prefix
    return 1.0, ""


def energy_unit_label(unit: str, prefix: str = "") -> str:
    """'mac' -> 'MAC-eq' (energy of that many 16-bit MACs); 'pJ' -> 'pJ'; with a prefix."""
    base = hardware_unit_label("mac" if unit.lower() == "mac" else unit)
    if base == "pJ" and prefix:
        return {"K": "nJ", "M": "uJ", "G": "mJ", "T": "J"}[prefix]
    return f"{prefix} {base}".strip() if prefix else base


# The columns of a comparison in a paper (the LaTeX default): what was run, its latency and
# energy, the array's utilization and the two ratios; ``hwsim compare --columns`` picks others.
PAPER_COLUMNS = ("network", "accelerator", "dataflow", "latency_ms", "energy", "utilization",
                 "speedup", "energy_ratio")
ALL = "all"


def comparison_columns(records: Sequence[Mapping[str, Any]], *, fmt: str = "table",
                       keys: Sequence[str] | None = None) -> list[Column]:
    """Columns for :func:`compare` records. Display formats show the energy split as shares
    (components that are zero in every row are left out); CSV gets every raw value.

    ``keys`` picks columns by key, in that order (``["all"]``: every column); by default
    LaTeX gets :data:`PAPER_COLUMNS` (those of them the table has) and the other formats
    every column. An unknown key is an InputError naming ``--columns`` and the keys."""
    columns = _all_columns(records, fmt)
    if keys is None:
        keys = PAPER_COLUMNS if fmt == "latex" else [ALL]
        if fmt == "latex":
            return [c for c in columns if c.key in keys]
    return select_columns(columns, keys)


def select_columns(columns: Sequence[Column], keys: Sequence[str]) -> list[Column]:
    """``columns`` picked by key in the order given (``all``: every column, in order)."""
    if ALL in keys:
        if len(keys) > 1:
            raise InputError([Problem("--columns", ",".join(keys),
                                      f"'{ALL}' stands alone: give it or a list of keys")])
        return list(columns)
    by_key = {c.key: c for c in columns}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        choices = list(by_key) + [ALL]
        raise InputError([Problem("--columns", k, "no such column" + did_you_mean(k, choices))
                          for k in unknown])
    return [by_key[k] for k in dict.fromkeys(keys)]


def _all_columns(records: Sequence[Mapping[str, Any]], fmt: str) -> list[Column]:
    if fmt == "csv":
        keys = (["network", "accelerator", "dataflow", "params", *RESULT_KEYS]
                + ["speedup", "energy_ratio", "baseline"])
        return [Column(k, k) for k in keys]
    units = {r["energy_unit"] for r in records}
    scale, prefix = energy_scale(r["energy"] for r in records)
    columns = [Column("network", "network"), Column("accelerator", "accelerator")]
    if any(r["dataflow"] != "default" for r in records):
        columns.append(Column("dataflow", "dataflow"))
    columns += [
        Column("params", "params", "M", "float", digits=3, scale=1e6),
        Column("macs", "MACs", "M", "float", digits=1, scale=1e6),
        Column("cycles", "cycles", "K", "float", digits=1, scale=1e3),
        Column("latency_ms", "latency", "ms", "float", digits=3),
    ]
    if len(units) == 1:
        columns.append(Column("energy", "energy", energy_unit_label(units.pop(), prefix),
                              "float", digits=2, scale=scale))
    else:
        columns += [Column("energy", "energy", prefix, "float", digits=2, scale=scale),
                    Column("energy_unit", "unit")]
    for component in ENERGY_COMPONENTS:
        if any(r[f"energy_{component}"] for r in records):
            columns.append(Column(f"share_{component}", SHARE_HEADERS[component], "%",
                                  "percent", digits=1))
    columns += [
        Column("utilization", "util.", "%", "percent", digits=1),
        Column("speedup", "speed-up", "x", "ratio", digits=2),
        Column("energy_ratio", "energy ratio", "x", "ratio", digits=2),
    ]
    return columns


__all__ = ["compare", "comparison_columns", "select_columns", "PAPER_COLUMNS", "row_label",
           "energy_scale", "energy_unit_label"]
