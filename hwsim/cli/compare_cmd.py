"""``hwsim compare NETWORK.yaml... --accel ACCEL.yaml... [--dataflow DF...] [--baseline NAME]
[--format table|md|latex|csv] [--columns KEY,...] [--out FILE]``: one row per network x
accelerator x dataflow.

Simulates every combination (progress on stderr with ``-v``), then writes the comparison of
:mod:`hwsim.report.compare` in the chosen format to stdout or ``--out`` (the format follows
the file suffix when ``--format`` is not given: .md, .tex, .csv or .txt; any other suffix
is bad input, as a .docx holding a text table would be a surprise).
Markdown and LaTeX outputs carry a comment naming the hwsim version and the input files.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hwsim._version import __version__
from hwsim.cli import outputs
from hwsim.errors import InputError, Problem
from hwsim.hardware.accelerator import Accelerator
from hwsim.report import compare, tables
from hwsim.result import DEFAULT_ENGINE, ENGINES
from hwsim.workload.network import Network

log = logging.getLogger(__name__)

SUFFIX_FORMATS = {".md": "md", ".markdown": "md", ".tex": "latex", ".csv": "csv",
                  ".txt": "table"}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "compare", help="compare networks, accelerators and dataflows in one table",
        description="Simulate every network on every accelerator (and dataflow) and write one "
                    "row per combination: parameters, MACs, cycles, latency, energy and its "
                    "split, PE utilization, and speed-up and energy ratio against a baseline.")
    parser.add_argument("networks", nargs="+", metavar="NETWORK", help="network YAML files")
    add_simulation_arguments(parser)
    parser.add_argument("--baseline", metavar="NAME",
                        help="row label ('net @ accel'), accelerator, network or dataflow the "
                             "ratios are taken against (default: the first row)")
    parser.add_argument("--format", choices=tables.FORMATS, default=None,
                        help="table (default), md (GitHub Markdown), latex (booktabs) or csv")
    parser.add_argument("--out", metavar="FILE",
                        help="write to FILE instead of stdout; without --format its suffix "
                             "chooses the format: .md, .tex, .csv or .txt")
    parser.add_argument("--columns", metavar="KEY,...", default=None,
                        help="the columns to write, by key, in order (or 'all'); default: "
                             "for latex " + ",".join(compare.PAPER_COLUMNS)
                             + ", for the other formats all")
    parser.add_argument("--caption", default="", help="LaTeX caption")
    parser.set_defaults(func=run)


def add_simulation_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments every command that simulates a grid shares."""
    parser.add_argument("--accel", nargs="+", required=True, metavar="ACCEL",
                        help="accelerator YAML files")
    parser.add_argument("--dataflow", nargs="+", metavar="DF", default=None,
                        help="dataflows to run (default: each accelerator's own)")
    parser.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE,
                        help="analytic cost model (default) or event-driven schedule")
    parser.add_argument("--input-size", metavar="N|HxW",
                        help="override every network's input height and width")


def simulate_grid(networks: Sequence[str], accelerators: Sequence[str],
                  dataflows: Sequence[str] | None = None, engine: str = DEFAULT_ENGINE,
                  input_size: Any = None) -> list[Any]:
    """Load every file (all problems first), then simulate network x accelerator x dataflow
    in that order. Bad files raise one InputError listing each file's problems."""
    import hwsim

    loaded_nets: list[Network] = []
    loaded_accs: list[Accelerator] = []
    problems: list[Problem] = []
    for path in networks:
        try:
            loaded_nets.append(hwsim.load_network(path, input_size=input_size))
        except InputError as exc:
            problems.extend(exc.problems)
    for path in accelerators:
        try:
            loaded_accs.append(hwsim.load_accelerator(path))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    results = []
    combos = [(n, a, d) for n in loaded_nets for a in loaded_accs for d in (list(dataflows) if dataflows else [None])]
    for index, (net, acc, dataflow) in enumerate(combos, 1):
        log.info("[%d/%d] simulating %s on %s%s", index, len(combos), net.name, acc.name,
                 f" ({dataflow})" if dataflow else "")
        results.append(hwsim.simulate(net, acc, dataflow=dataflow, engine=engine))
    return results


def provenance(args: argparse.Namespace) -> str:
    inputs = list(args.networks) + list(args.accel)
    extra = f"; dataflow {' '.join(args.dataflow)}" if args.dataflow else ""
    return (f"hwsim {__version__} compare, engine {args.engine}{extra}; inputs: "
            + ", ".join(inputs))


def write_output(text: str, out: str | None) -> None:
    """Write to ``out`` (creating its folder) or to stdout."""
    if out:
        path = Path(out)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise outputs.write_failed("--out", path, exc) from None
        print(f"hwsim: wrote {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def output_format(args: argparse.Namespace) -> str:
    """The table format: ``--format``, else the ``--out`` suffix, else a text table. Checks
    ``--out`` before anything is simulated: an unknown suffix without ``--format`` (or a
    directory, or a file under a file) is bad input naming the flag."""
    if not args.out:
        return args.format or "table"
    suffixes = None if args.format else list(SUFFIX_FORMATS)
    outputs.raise_if_any(outputs.file_problems("--out", args.out, suffixes=suffixes,
                                               kind="table", example="comparison.md",
                                               hint=" (or give --format)"))
    return args.format or SUFFIX_FORMATS[Path(args.out).suffix.lower()]


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    results = simulate_grid(args.networks, args.accel, args.dataflow, args.engine,
                            args.input_size)
    records = compare.compare(results, args.baseline)
    keys = [k.strip() for k in args.columns.split(",") if k.strip()] if args.columns else None
    columns = compare.comparison_columns(records, fmt=fmt, keys=keys)
    baseline = args.baseline or records[0]["label"]
    caption = args.caption or f"Comparison against {baseline}"
    text = tables.render(fmt, columns, records, caption=caption, label="tab:hwsim-compare",
                         comment=provenance(args))
    if fmt == "table":
        text += f"\nspeed-up = baseline time / time; energy ratio = energy / baseline energy; " \
                f"baseline: {baseline}\n"
    write_output(text, args.out)
    return 0
