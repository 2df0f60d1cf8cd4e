"""``hwsim sweep SPEC.yaml --out results.csv [-j N] [--engine E] [--executor local|dask]``.

Runs (or resumes) a design-space sweep: every configuration of the sweep file on every
network, rows appended to ``--out`` as they finish, invalid combinations to
``<out>.errors.csv``; a progress bar on stderr. Also the glue of ``hwsim plot sweep``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from typing import TYPE_CHECKING, Any

from hwsim.errors import InputError
from hwsim.result import ENGINES, Engine
from hwsim.sweep.runner import (
    EXECUTORS,
    ROWS_PER_WORKER,
    SweepSummary,
    check_jobs,
    default_jobs,
    run_sweep,
)
from hwsim.sweep.spec import load_sweep
from hwsim.sweep.tasks import Outcome, Task

if TYPE_CHECKING:
    from hwsim.sweep.progress import ProgressBar

MAX_ERROR_LINES = 20
# Without -j, a sweep of at most this many rows runs in this process: starting the worker
# processes costs about 0.55 s here (4 rows of 1.0-SqNxt-23v5: 0.83 s with -j 1, 1.38 s with
# -j 2), which 16 rows at about 0.1 s each just repay (2.0 s either way); 64 rows take 4.9 s
# and 4.1 s (2 cores; hwsim sweep's wall time, analytic engine).
SMALL_SWEEP_ROWS = 16


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "sweep", help="design-space sweep: many configurations x networks into a CSV",
        description="Run every configuration of a sweep file on every network and append "
                    "one row per (configuration, network) to --out as results arrive. Rerun "
                    "the same command to resume an interrupted sweep.")
    parser.add_argument("spec", metavar="SPEC.yaml", help="sweep description (see README)")
    parser.add_argument("--out", required=True, metavar="CSV", help="results file (appended to)")
    parser.add_argument("-j", "--jobs", type=int, default=None, metavar="N",
                        help="worker processes (default: one per "
                             f"{ROWS_PER_WORKER} analytic rows to run, at most all cores, "
                             f"here {default_jobs()}, and 1 for a sweep of at most "
                             f"{SMALL_SWEEP_ROWS} rows; 0: all cores)")
    parser.add_argument("--engine", choices=ENGINES, default=Engine.ANALYTIC,
                        help="simulation engine (default: analytic)")
    parser.add_argument("--executor", choices=EXECUTORS, default="local",
                        help="local processes or a Dask cluster (default: local)")
    parser.add_argument("--scheduler", metavar="ADDRESS", default=None,
                        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default with "
                             "--executor dask: a local cluster of --jobs workers)")
    parser.add_argument("--dry-run", action="store_true",
                        help="list the configurations as CSV on stdout and stop")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    check_jobs(args.jobs)  # before any work: a bad -j is known at once
    spec = load_sweep(args.spec)
    if args.dry_run:
        return _dry_run(spec)
    from hwsim.sweep.evaluate import evaluate_task, preflight
    from hwsim.sweep.progress import ProgressBar

    preflight(spec)
    rows = spec.config_count * len(spec.networks)
    jobs = 1 if args.jobs is None and rows <= SMALL_SWEEP_ROWS else args.jobs
    bar = None if args.no_progress else ProgressBar(sys.stderr, label=spec.name)
    skipped = _SkippedRows(bar)
    print(f"hwsim: sweep {spec.name}: {spec.config_count} configurations x "
          f"{len(spec.networks)} networks = {rows} rows, {args.engine} engine, "
          f"{args.executor} executor" + (", in this process (small sweep: -j 1)"
                                         if jobs == 1 and args.jobs is None else ""),
          file=sys.stderr)
    try:
        summary = run_sweep(spec, args.out, evaluate=evaluate_task, engine=args.engine,
                            executor=args.executor, jobs=jobs, scheduler=args.scheduler,
                            progress=bar, on_error=skipped)
    except KeyboardInterrupt:
        if bar:
            bar.close()
        print(f"hwsim: interrupted; finished rows are saved in {args.out}: rerun the same "
              "command to resume", file=sys.stderr)
        raise
    if bar:
        bar.close()
    if skipped.hidden:
        print(f"hwsim: ... and {skipped.hidden} more skipped rows", file=sys.stderr)
    print(_summary_line(summary), file=sys.stderr)
    return 1 if summary.internal_rows else 0


class _SkippedRows:
    """Says each skipped row on stderr (above the progress bar, if any), at most
    :data:`MAX_ERROR_LINES` of them, counting the rest in ``hidden``."""

    def __init__(self, bar: ProgressBar | None) -> None:
        self.bar = bar
        self.shown: set[tuple[str, str]] = set()
        self.hidden = 0

    def say(self, text: str) -> None:
        if self.bar:
            self.bar.message(text)
        else:
            print(text, file=sys.stderr)

    def __call__(self, task: Task, outcome: Outcome) -> None:
        # A configuration the loader rejects fails the same way on every network: say it once.
        ident = (task.config.key, outcome.error)
        if ident in self.shown:
            return
        if len(self.shown) >= MAX_ERROR_LINES:
            self.hidden += 1
            return
        self.shown.add(ident)
        self.say(f"hwsim: skipped ({task.config.describe()}) on {outcome.network}: "
                 f"[{outcome.kind}] {outcome.error}")


def _summary_line(summary: SweepSummary) -> str:
    """The last line of a sweep: what it did, how fast, where the results are."""
    parts = [f"{summary.ok_rows} new rows"]
    if summary.already_done_rows:
        parts.append(f"{summary.already_done_rows} already done")
    if summary.invalid_rows:
        parts.append(f"{summary.invalid_rows} invalid")
    if summary.internal_rows:
        parts.append(f"{summary.internal_rows} failed (internal errors)")
    if summary.dropped_partial_lines:
        parts.append("a partly written last line dropped")
    if summary.dropped_duplicate_rows:
        parts.append(f"{summary.dropped_duplicate_rows} repeated rows dropped")
    rate = f" ({summary.rows_per_s:.1f} rows/s)" if summary.evaluated_rows else ""
    return (f"hwsim: {', '.join(parts)} in {summary.elapsed_s:.1f} s{rate}; results in "
            f"{summary.out}" + (f", skipped rows in {summary.errors_out}"
                                if summary.invalid_rows or summary.internal_rows else ""))


def _dry_run(spec: Any) -> int:
    from hwsim.sweep.results import format_cell

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["config_key", *spec.axis_names])
    for config in spec.configs():
        writer.writerow([config.key, *(format_cell(v) for _, v in config.values)])
    print(f"hwsim: {spec.config_count} configurations (of {spec.grid_size} grid points) x "
          f"{len(spec.networks)} networks: {', '.join(n.label for n in spec.networks)}",
          file=sys.stderr)
    return 0


# --- ``hwsim plot sweep`` ---------------------------------------------------------------------

def add_plot_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of the ``sweep`` plot kind."""
    parser.add_argument("results", metavar="RESULTS.csv", help="results of hwsim sweep")
    parser.add_argument("--x", default="latency_ms", help="x objective (default latency_ms)")
    parser.add_argument("--y", default="energy_total", help="y objective (default energy_total)")
    parser.add_argument("--color", default=None, metavar="PARAM",
                        help="colour points by this parameter (default: the first one)")
    parser.add_argument("--maximize", default="", metavar="COLS",
                        help="objectives to maximise for the front, comma-separated")
    parser.add_argument("--log", action="store_true", help="logarithmic axes")
    parser.add_argument("--heatmap", nargs=2, metavar=("PARAM_X", "PARAM_Y"), default=None,
                        help="draw VALUE over two parameters instead of a scatter")
    parser.add_argument("--value", default="latency_ms",
                        help="heat-map value (default latency_ms)")
    parser.add_argument("--reduce", choices=("min", "mean", "max"), default="min",
                        help="heat map: how to combine the other parameters (default min)")
    parser.add_argument("--network", action="append", default=None, metavar="NAME",
                        help="only these networks, by their network column or name "
                             "(repeat; default: all, one panel each)")
    parser.add_argument("--engine", default=None, help="only rows of this engine")


def plot_figure(args: argparse.Namespace) -> Any:
    """The ``sweep`` plot kind's figure.

    Objectives (``--x``, ``--y``) and the heat map's ``--value`` must be numeric columns; the
    heat map's parameters and ``--color`` may be categories (``dataflow``)."""
    from hwsim.errors import Problem, did_you_mean
    from hwsim.report import sweep_plot
    from hwsim.sweep.results import parameter_columns, read_table, require_numeric

    header, rows = read_table(args.results)
    numeric = [("--value", args.value)] if args.heatmap else [("--x", args.x), ("--y", args.y)]
    for flag, column in numeric:
        require_numeric(header, rows, column, args.results, flag)
    categories = [("--heatmap", c) for c in args.heatmap] if args.heatmap else []
    if args.color:
        categories.append(("--color", args.color))
    for flag, column in categories:
        if column not in header:
            raise InputError([Problem(args.results, "", f"no column {column!r} for {flag}"
                                      + did_you_mean(column, parameter_columns(header)
                                                     or header))])
    if args.engine:
        rows = [r for r in rows if r.get("engine") == args.engine]
    if args.network:  # a network by its ``network`` value or by its name (the panel titles)
        def names(row: dict[str, Any]) -> set[str]:
            return {str(row[c]) for c in ("network", "network_name") if row.get(c) is not None}

        known = sorted({str(r["network"]) for r in rows})
        unknown = [n for n in args.network if not any(n in names(r) for r in rows)]
        if unknown:
            raise InputError(f"--network {unknown[0]}: no such network in the results "
                             f"(has: {', '.join(known)})", file=args.results)
        rows = [r for r in rows if names(r) & set(args.network)]
    if not rows:
        raise InputError("no results rows to plot", file=args.results)
    if args.heatmap:
        return sweep_plot.heatmap_figure(rows, args.heatmap[0], args.heatmap[1], args.value,
                                         reduce=args.reduce, title=args.title or "",
                                         width_in=_width(args))
    params = parameter_columns(header)
    color = args.color or (params[0] if params else None)
    maximize = [c.strip() for c in args.maximize.split(",") if c.strip()]
    return sweep_plot.scatter_figure(rows, args.x, args.y, color_by=color, maximize=maximize,
                                     log_x=args.log, log_y=args.log, title=args.title or "",
                                     width_in=_width(args))


def _width(args: argparse.Namespace) -> float | None:
    from hwsim.report.plots import size_width

    return size_width(getattr(args, "size", None))
