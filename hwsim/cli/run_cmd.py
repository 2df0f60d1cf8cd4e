"""``hwsim run NETWORK --accel ACCEL [--dataflow ws|os|hybrid|is] [--engine analytic|event]
[--format table|csv|json] [--out DIR] [--input-size N|HxW] [--trace FILE.json]
[--timeline FILE.png]``.

Output paths (``--out``, ``--trace``, ``--timeline``) are checked before the simulation runs,
and the files are written before the table goes to stdout: bad input leaves stdout empty.
Each file is written to a temporary file and renamed (``outputs.replacing``): a full disk
leaves no truncated file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hwsim.cli import outputs
from hwsim.errors import InputError, Problem
from hwsim.inputs import load_network
from hwsim.result import DEFAULT_ENGINE, ENGINES, Engine


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "run", help="simulate a network on an accelerator, layer by layer",
        description="Simulate a network on an accelerator: per-layer cycles, utilization, "
                    "DRAM traffic and energy, then totals and the assumptions they rest on.")
    parser.add_argument("network", help="network YAML (or .onnx) file")
    parser.add_argument("--accel", required=True, metavar="ACCEL.yaml",
                        help="accelerator YAML file (see accelerators/)")
    parser.add_argument("--dataflow", choices=("ws", "os", "hybrid", "is"),
                        help="override the accelerator's dataflow ('is': systolic arrays only)")
    parser.add_argument("--engine", choices=ENGINES, default=DEFAULT_ENGINE,
                        help="the analytic cost model (default) or the event-level scheduler "
                             "(tiles through DMA, buffer and array; needed for --trace/--timeline)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table",
                        help="what to print on stdout (default: table and summary)")
    parser.add_argument("--out", metavar="DIR",
                        help="also write <network>__<accelerator>[__<dataflow>][__analytic].csv "
                             "and .json into DIR")
    parser.add_argument("--input-size", metavar="N|HxW",
                        help="override the network's input height and width (e.g. 224 or 224x192)")
    parser.add_argument("--trace", metavar="FILE.json",
                        help="write the event schedule as a Chrome trace (implies --engine event)")
    parser.add_argument("--timeline", metavar="FILE.png",
                        help="draw the event schedule as a Gantt chart, .png, .svg or .pdf "
                             "(implies --engine event)")
    parser.set_defaults(func=run)


def output_problems(args: argparse.Namespace) -> list[Problem]:
    """What is wrong with the output flags, each problem naming its flag; checked before
    simulating, so that a bad path costs no run and prints nothing on stdout."""
    problems = []
    if args.out:
        problems += outputs.folder_problems("--out", args.out,
                                            what="the run's .csv and .json files")
    if args.trace:
        problems += outputs.file_problems("--trace", args.trace, example="run.trace.json")
    if args.timeline:
        from hwsim.report.plots import FORMATS

        problems += outputs.file_problems("--timeline", args.timeline,
                                          suffixes=["." + f for f in FORMATS],
                                          kind="figure", example="timeline.png")
    return problems


def run(args: argparse.Namespace) -> int:
    import hwsim
    from hwsim.report import run_report

    problems = output_problems(args)
    try:
        network = load_network(args.network, input_size=args.input_size)
    except InputError as exc:
        problems += exc.problems
    try:
        accelerator = hwsim.load_accelerator(args.accel)
    except InputError as exc:
        problems += exc.problems
    outputs.raise_if_any(problems)     # every problem of the command line at once
    engine = Engine.EVENT if (args.trace or args.timeline) else args.engine
    result = hwsim.simulate(network, accelerator, dataflow=args.dataflow, engine=engine)
    writer = {"table": run_report.to_table, "csv": run_report.to_csv,
              "json": run_report.to_json}[args.format]
    text = writer(result)
    # files first, stdout last: a write that fails anyway (disk full) leaves stdout empty
    if args.out:
        try:
            with outputs.replacing_files(args.out) as tmp:
                names = [p.name for p in run_report.write_outputs(result, tmp)]
        except OSError as exc:
            raise outputs.write_failed("--out", exc.filename or args.out, exc) from None
        for name in names:
            print(f"hwsim: wrote {Path(args.out) / name}", file=sys.stderr)
    if args.trace:
        from hwsim.sim import trace

        assert result.schedule is not None  # --trace runs the event engine
        try:
            with outputs.replacing(args.trace) as tmp:
                trace.write_chrome_trace(result.schedule, tmp, clock_mhz=result.clock_mhz,
                                         metadata=dict(result.provenance))
        except OSError as exc:
            raise outputs.write_failed("--trace", args.trace, exc) from None
        print(f"hwsim: wrote {Path(args.trace)}", file=sys.stderr)
    if args.timeline:
        from hwsim.report.timeline_plot import plot_timeline

        try:
            with outputs.replacing(args.timeline) as tmp:
                plot_timeline(result.schedule, tmp, title=f"{network.name} on {accelerator.name}")
        except OSError as exc:
            raise outputs.write_failed("--timeline", args.timeline, exc) from None
        print(f"hwsim: wrote {Path(args.timeline)}", file=sys.stderr)
    sys.stdout.write(text)
    return 0
