"""``hwsim pareto RESULTS.csv [--objectives a,b,max:c] [--aggregate sum|mean|max]``.

Prints the non-dominated configurations of a sweep's results: per network (and engine) by
default, or across networks after combining each configuration's rows (``--aggregate``).
Objectives are minimised unless written ``max:column``.
"""

from __future__ import annotations

import argparse
import csv
import sys

from hwsim.errors import InputError
from hwsim.report.text import format_table
from hwsim.sweep.pareto import (
    AGGREGATES,
    aggregate_by_config,
    check_objectives,
    display_columns,
    pareto_rows,
    parse_objectives,
)
from hwsim.sweep.results import format_cell, read_table

DEFAULT_OBJECTIVES = "latency_ms,energy_total,area_pes"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "pareto", help="the non-dominated configurations of sweep results",
        description="List the configurations no other configuration beats on every objective "
                    "(all minimised unless written max:COLUMN), per network by default.")
    parser.add_argument("results", metavar="RESULTS.csv", help="results of hwsim sweep")
    parser.add_argument("--objectives", default=DEFAULT_OBJECTIVES, metavar="COLS",
                        help=f"comma-separated columns (default {DEFAULT_OBJECTIVES})")
    parser.add_argument("--network", action="append", default=None, metavar="NAME",
                        help="only these networks (repeat)")
    parser.add_argument("--aggregate", choices=AGGREGATES, default=None,
                        help="combine each configuration's networks (sum, mean or max) and "
                             "give one front over configurations")
    parser.add_argument("--format", choices=("table", "csv"), default="table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    objectives = parse_objectives(args.objectives)
    header, rows = read_table(args.results)
    # on the whole table, before filtering: an errors file or a text column is bad input
    # even when no row would reach the front
    check_objectives(header, rows, objectives, args.results, "--objectives")
    if args.network:
        known = sorted({str(r["network"]) for r in rows})
        for name in args.network:
            if name not in known:
                raise InputError(f"--network {name}: no such network in the results "
                                 f"(has: {', '.join(known)})", file=args.results)
        rows = [r for r in rows if str(r["network"]) in args.network]
    if args.aggregate:
        rows = aggregate_by_config(rows, [o.column for o in objectives], args.aggregate)
    front = pareto_rows(rows, objectives, group_by=("network", "engine"), file=args.results)
    for objective in objectives:
        # e.g. top1 / top5: only points with a published accuracy have one
        empty = sum(1 for r in rows if r.get(objective.column) is None)
        if empty:
            print(f"hwsim: note: {empty} of {len(rows)} rows have no {objective.column} "
                  "value and are left out of the front", file=sys.stderr)
    first = objectives[0].column
    front.sort(key=lambda r: (str(r["network"]), str(r["engine"]),
                              -r[first] if objectives[0].maximize else r[first]))
    columns = display_columns(front, objectives)
    if len({r.get("engine") for r in front}) > 1:
        columns.insert(1, "engine")
    if args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in front:
            writer.writerow([format_cell(row.get(c)) for c in columns])
    else:
        cells = [[_short(row.get(c)) for c in columns] for row in front]
        sys.stdout.write(format_table(columns, cells) + "\n")
    groups = len({(r["network"], r.get("engine")) for r in front})
    print(f"hwsim: {len(front)} non-dominated of {len(rows)} rows "
          f"({', '.join(str(o) for o in objectives)}; {groups} group(s))", file=sys.stderr)
    return 0


def _short(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return format_cell(value)
