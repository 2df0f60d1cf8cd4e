"""Pareto fronts: the configurations no other configuration beats on every objective.

Row *a* dominates row *b* when *a* is at least as good as *b* on every objective and strictly
better on one (objectives are minimised unless marked ``max:``). The front is the set of
rows nobody dominates; rows with identical objective values do not dominate each other, so
ties are all kept. The front is computed within groups (by default, per network: a machine's
latency on SqueezeNet is not comparable with another's on SqueezeNext), or across networks
after aggregating each configuration's rows (sum, mean or max over its networks).

The algorithm sorts rows by the objectives and keeps a running front; each candidate is
checked against the front found so far with one vectorised comparison, O(n * front size).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hwsim.errors import InputError, Problem
from hwsim.sweep.results import CONFIG_COLUMNS, ID_COLUMNS, parameter_columns, require_numeric

AGGREGATES = ("sum", "mean", "max")
_AGGREGATORS: dict[str, Callable[[list[Any]], Any]] = {
    "sum": sum, "max": max, "mean": lambda v: sum(v) / len(v)}


@dataclass(frozen=True, slots=True)
class Objective:
    """A column to optimise; ``maximize`` flips its sense."""

    column: str
    maximize: bool = False

    def __str__(self) -> str:
        return f"max:{self.column}" if self.maximize else self.column


def parse_objectives(text: str | Sequence[str]) -> list[Objective]:
    """'latency_ms,energy_total,max:utilization' -> objectives (minimised unless ``max:``).

    InputError (naming ``--objectives``) if no column is given."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        if item.startswith(("max:", "min:")):
            column = item[4:].strip()
            if not column:
                raise InputError([Problem("--objectives", "", f"{item!r}: a column name must "
                                          "follow 'max:' or 'min:', e.g. max:utilization")])
            out.append(Objective(column, item.startswith("max:")))
        else:
            out.append(Objective(item))
    if not out:
        raise InputError([Problem("--objectives", "", "give at least one column, e.g. "
                                  "--objectives latency_ms,energy_total")])
    return out


def non_dominated(values: np.ndarray) -> np.ndarray:
    """Boolean mask of the rows of ``values`` (n x m, all minimised) that no row dominates."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 2:
        raise ValueError("expected a 2-D array (rows x objectives)")
    n = values.shape[0]
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    # Lexicographic order: a row can only be dominated by rows before it.
    order = np.lexsort(values.T[::-1])
    front: list[int] = []
    for i in order:
        row = values[i]
        if front:
            kept = values[front]
            dominated = np.any(np.all(kept <= row, axis=1) & np.any(kept < row, axis=1))
            if dominated:
                continue
        front.append(int(i))
    mask[front] = True
    return mask


def pareto_rows(rows: Sequence[Mapping[str, Any]], objectives: Sequence[Objective], *,
                group_by: Sequence[str] = ("network",), file: str = "<results>"
                ) -> list[dict[str, Any]]:
    """The non-dominated rows, group by group (rows of a group keep their input order).

    Rows with a missing objective value are left out. InputError for an objective column the
    table lacks or that does not hold numbers (see :func:`check_objectives`)."""
    if not rows:
        return []
    columns = list(rows[0].keys())
    check_objectives(columns, rows, objectives, file)
    for column in group_by:
        if column not in columns:
            raise InputError(f"no column {column!r} to group by", file=file)
    groups: dict[tuple, list[Mapping[str, Any]]] = {}
    for row in rows:
        vector = [row.get(o.column) for o in objectives]
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v)
               for v in vector):
            continue
        groups.setdefault(tuple(row.get(c) for c in group_by), []).append(row)
    out: list[dict[str, Any]] = []
    for members in groups.values():
        matrix = np.array([[(-1.0 if o.maximize else 1.0) * float(r[o.column])
                            for o in objectives] for r in members])
        mask = non_dominated(matrix)
        out.extend(dict(r) for r, keep in zip(members, mask) if keep)
    return out


def check_objectives(header: Sequence[str], rows: Sequence[Mapping[str, Any]],
                     objectives: Sequence[Objective], file: str = "<results>",
                     flag: str = "") -> None:
    """InputError (naming ``file``, the column and ``flag``) unless every objective is a
    column of ``header`` holding numbers: a text column (``network``) or a sweep's errors
    file would otherwise give an empty front."""
    for objective in objectives:
        require_numeric(header, rows, objective.column, file, flag)


def aggregate_by_config(rows: Sequence[Mapping[str, Any]], columns: Iterable[str],
                        how: str = "sum") -> list[dict[str, Any]]:
    """One row per configuration: its parameters, its own properties (the area proxies) and
    ``columns`` combined over its networks.

    Only configurations that have a row for every network of the table are kept (a
    configuration invalid on one network cannot be compared fairly)."""
    if how not in AGGREGATES:
        raise InputError([Problem("--aggregate", "", f"unknown aggregate {how!r} "
                                  f"(accepted: {', '.join(AGGREGATES)})")])
    columns = list(columns)
    if not rows:
        return []
    params = parameter_columns(rows[0].keys())
    networks = {r["network"] for r in rows}
    by_key: dict[Any, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_key.setdefault((row["config_key"], row.get("engine")), []).append(row)
    out = []
    for (key, engine), members in by_key.items():
        if {m["network"] for m in members} != networks:
            continue
        combined: dict[str, Any] = {"config_key": key, "network": f"{how} of {len(networks)}",
                                    "engine": engine}
        combined.update({p: members[0].get(p) for p in params})
        combined.update({c: members[0][c] for c in CONFIG_COLUMNS if c in members[0]})
        for column in columns:
            if column in CONFIG_COLUMNS:
                continue
            values = [m.get(column) for m in members]
            if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in values):
                combined[column] = None
                continue
            combined[column] = _AGGREGATORS[how](values)
        out.append(combined)
    return out


def display_columns(rows: Sequence[Mapping[str, Any]],
                    objectives: Sequence[Objective]) -> list[str]:
    """Columns worth showing for a front: ids, parameters, then the objectives."""
    if not rows:
        return [*ID_COLUMNS, *(o.column for o in objectives)]
    params = parameter_columns(rows[0].keys())
    return ["network", *params, *(o.column for o in objectives), "config_key"]


__all__ = ["Objective", "parse_objectives", "non_dominated", "pareto_rows", "check_objectives",
           "aggregate_by_config", "display_columns", "AGGREGATES"]
