"""``hwsim run NETWORK --accel ACCEL [--dataflow ws|os|hybrid|is] [--engine analytic|event]
[--format table|csv|json] [--out DIR] [--input-size N|HxW] [--trace FILE.json]
[--timeline FILE.png]``."""

from __future__ import annotations

import argparse
import sys

from hwsim.config.network_file import load_network
from hwsim.errors import InputError


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
    parser.add_argument("--engine", choices=("analytic", "event"), default="event",
                        help="event-level scheduler (default: tiles through DMA, buffer and "
                             "array) or the analytic cost model (faster, for sweeps)")
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table",
                        help="what to print on stdout (default: table and summary)")
    parser.add_argument("--out", metavar="DIR",
                        help="also write <network>__<accelerator>.csv and .json into DIR")
    parser.add_argument("--input-size", metavar="N|HxW",
                        help="override the network's input height and width (e.g. 224 or 224x192)")
    parser.add_argument("--trace", metavar="FILE.json",
                        help="write the event schedule as a Chrome trace (implies --engine event)")
    parser.add_argument("--timeline", metavar="FILE.png",
                        help="draw the event schedule as a Gantt chart (implies --engine event)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import hwsim
    from hwsim.report import run_report

    network = load_network(args.network, input_size=args.input_size)
    accelerator = hwsim.load_accelerator(args.accel)
    engine = "event" if (args.trace or args.timeline) else args.engine
    result = hwsim.simulate(network, accelerator, dataflow=args.dataflow, engine=engine)
    writer = {"table": run_report.to_table, "csv": run_report.to_csv,
              "json": run_report.to_json}[args.format]
    sys.stdout.write(writer(result))
    if args.out:
        try:
            paths = run_report.write_outputs(result, args.out)
        except OSError as exc:
            raise InputError(f"cannot write the outputs: {exc}", file=args.out) from None
        for path in paths:
            print(f"hwsim: wrote {path}", file=sys.stderr)
    try:
        if args.trace:
            from hwsim.sim import write_chrome_trace

            path = write_chrome_trace(result.schedule, args.trace, clock_mhz=result.clock_mhz,
                                      metadata=dict(result.provenance))
            print(f"hwsim: wrote {path}", file=sys.stderr)
        if args.timeline:
            from hwsim.report.timeline_plot import plot_timeline

            path = plot_timeline(result.schedule, args.timeline,
                                 title=f"{network.name} on {accelerator.name}")
            print(f"hwsim: wrote {path}", file=sys.stderr)
    except OSError as exc:
        raise InputError(f"cannot write the outputs: {exc}") from None
    return 0
