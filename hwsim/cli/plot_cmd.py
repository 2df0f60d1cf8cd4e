"""``hwsim plot KIND ... --out FILE.{png,svg,pdf}``: figures of simulation results.

Each kind is an entry of :data:`KINDS`: a help line, a function adding the kind's own
arguments to its parser, and a function turning the parsed arguments into a matplotlib
figure. To add a kind (e.g. ``sweep``), add one :class:`PlotKind` to :data:`KINDS` pointing
at your own module; :func:`run` saves whatever figure it returns.

Kinds that simulate take ``NETWORK.yaml... --accel ACCEL.yaml... [--dataflow DF...]`` and
draw one series per combination, labelled by what varies (the accelerator and dataflow when
there is one network, the network when there is one accelerator):

* ``layers``: per-layer time (bars) and PE utilization (lines);
* ``energy``: energy stacked by component, per layer (one run) or per run (``--by``);
* ``roofline``: each accelerator's roofline with every layer as a point, by layer class;
* ``timeline``: the event schedule of one run, when the scheduler's
  ``hwsim/report/timeline_plot.py`` is installed (otherwise the kind is not offered).

Every kind takes ``--size column|page`` (3.5 or 7 inches wide, :data:`hwsim.report.plots.SIZES`)
for a two-column paper; without it a figure is as wide as its data needs.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwsim.cli import outputs, sweep_cmd
from hwsim.cli.compare_cmd import add_simulation_arguments, simulate_grid
from hwsim.errors import InputError, Problem
from hwsim.result import Engine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlotKind:
    """One ``hwsim plot`` kind: ``add_arguments(parser)`` then ``figure(args) -> Figure``."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    figure: Callable[[argparse.Namespace], Any]


# --- shared helpers -------------------------------------------------------------------------------

def _grid_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("networks", nargs="+", metavar="NETWORK", help="network YAML files")
    add_simulation_arguments(parser)


def _results(args: argparse.Namespace) -> list[Any]:
    return simulate_grid(args.networks, args.accel, args.dataflow, args.engine,
                         args.input_size)


def width(args: argparse.Namespace) -> float | None:
    """The ``--size`` preset's width in inches (None: the figure's own default)."""
    from hwsim.report import plots

    return plots.size_width(getattr(args, "size", None))


def series_labels(results: Sequence[Any], with_network: bool = True) -> list[str]:
    """Label each run by what varies among the runs (network, accelerator, dataflow;
    ``with_network=False`` leaves the network out, for runs grouped by network)."""
    nets = [r.network.name for r in results] if with_network else [""] * len(results)
    accs = [r.accelerator.name for r in results]
    flows = [getattr(r, "dataflow", None) or "" for r in results]
    labels = []
    for net, acc, flow in zip(nets, accs, flows):
        parts = []
        if len(set(nets)) > 1:
            parts.append(net)
        if len(set(accs)) > 1:
            parts.append(acc)
        # the dataflow only when one accelerator ran several (else the accelerator says it)
        if len(set(zip(accs, flows))) > len(set(accs)):
            parts.append(flow)
        labels.append(" / ".join(parts) if parts else (f"{net} @ {acc}" if net else acc))
    return labels


def _title(args: argparse.Namespace, results: Sequence[Any], what: str) -> str:
    if args.title is not None:
        return args.title
    nets = sorted({r.network.name for r in results})
    accs = sorted({r.accelerator.name for r in results})
    subject = nets[0] if len(nets) == 1 else f"{len(nets)} networks"
    where = accs[0] if len(accs) == 1 else f"{len(accs)} accelerators"
    return f"{what}: {subject} on {where}"


# --- layers -----------------------------------------------------------------------------------------

def _layers_arguments(parser: argparse.ArgumentParser) -> None:
    _grid_arguments(parser)
    parser.add_argument("--all-layers", action="store_true",
                        help="also show layers without MACs (pooling, add, ...) that take time")
    parser.add_argument("--no-utilization", action="store_true", help="bars only")


def layers_figure(args: argparse.Namespace) -> Any:
    from hwsim.report import plots

    results = _results(args)
    title = _title(args, results, "Per-layer time")
    nets = list(dict.fromkeys(r.network.name for r in results))
    if len(nets) == 1 or len(results) == len(nets):
        series = [plots.layer_series(r, label, include_vector=args.all_layers)
                  for r, label in zip(results, series_labels(results))]
        return plots.per_layer_figure(series, title=title, width_in=width(args),
                                      show_utilization=not args.no_utilization)
    # several runs of several networks: runs with the same layers share a panel, titled by
    # their network(s); a run is labelled by what varies besides the network, so the same
    # accelerator (and dataflow) has the same colour in every panel
    groups: dict[tuple[str, ...], list[tuple[Any, Any]]] = {}
    for r, label in zip(results, series_labels(results, with_network=False)):
        s = plots.layer_series(r, label, include_vector=args.all_layers)
        groups.setdefault(s.layers, []).append((r, s))
    panels = [(" / ".join(dict.fromkeys(r.network.name for r, _ in group)),
               [s for _, s in group]) for group in groups.values()]
    return plots.per_layer_panels(panels, title=title, width_in=width(args),
                                  show_utilization=not args.no_utilization)


# --- energy -----------------------------------------------------------------------------------------

def _energy_arguments(parser: argparse.ArgumentParser) -> None:
    _grid_arguments(parser)
    parser.add_argument("--by", choices=("layer", "network"), default=None,
                        help="one bar per layer (default with one run) or per run "
                             "(default with several)")


def energy_figure(args: argparse.Namespace) -> Any:
    from hwsim.report import compare, plots

    results = _results(args)
    units = {getattr(r, "energy_unit", "") for r in results}
    if len(units) > 1:
        raise InputError([Problem("--accel", "", "these accelerators price energy in different "
                                  f"units ({', '.join(sorted(units))}); plot them separately")])
    unit = compare.energy_unit_label(units.pop())
    by = args.by or ("layer" if len(results) == 1 else "network")
    if by == "layer":
        if len(results) > 1:
            raise InputError([Problem("--by layer", "", "draws one run; give one network and "
                                      "one accelerator (or use --by network)")])
        layers = [l for l in results[0].layers if l.energy.total > 0]
        bars = [(l.name, l.energy) for l in layers]
        return plots.energy_figure(bars, unit, title=_title(args, results, "Energy per layer"),
                                   width_in=width(args))
    nets = list(dict.fromkeys(r.network.name for r in results))
    if len(nets) == 1 or len(nets) == len(results):
        bars = list(zip(series_labels(results), (r.energy for r in results)))
        return plots.energy_figure(bars, unit, title=_title(args, results, "Energy"),
                                   width_in=width(args))
    # several runs per network: the bars grouped by network, one panel each
    ordered = sorted(zip(results, series_labels(results, with_network=False)),
                     key=lambda pair: nets.index(pair[0].network.name))
    bars = [(label, r.energy) for r, label in ordered]
    groups = [(net, sum(r.network.name == net for r in results)) for net in nets]
    return plots.energy_figure(bars, unit, title=_title(args, results, "Energy"),
                               groups=groups, width_in=width(args))


# --- roofline ---------------------------------------------------------------------------------------

def _roofline_arguments(parser: argparse.ArgumentParser) -> None:
    _grid_arguments(parser)


def roof_of(accelerator: Any) -> Any:
    """The accelerator's roofline: peak MACs/cycle (one MAC per PE per cycle) and its
    effective DRAM bandwidth in bytes per cycle."""
    from hwsim.report import plots

    return plots.Roof(accelerator.name, float(accelerator.pes),
                      float(accelerator.dram_bytes_per_cycle))


def roofline_figure(args: argparse.Namespace) -> Any:
    from hwsim.report import plots

    results = _results(args)
    panels: dict[str, tuple[Any, list[Any]]] = {}
    for r in results:
        roof = roof_of(r.accelerator)
        label = roof.label if not getattr(r, "dataflow", None) else f"{roof.label} [{r.dataflow}]"
        if label not in panels:
            panels[label] = (plots.Roof(label, roof.peak_macs_per_cycle, roof.dram_bytes_per_cycle), [])
        panels[label][1].extend(plots.roofline_points(r))
    return plots.roofline_figure(list(panels.values()), title=_title(args, results, "Roofline"),
                                 width_in=width(args))


# --- the registry -----------------------------------------------------------------------------------

KINDS: dict[str, PlotKind] = {
    "layers": PlotKind("per-layer time (bars) and PE utilization (lines)", _layers_arguments,
                       layers_figure),
    "energy": PlotKind("energy stacked by component, per layer or per run", _energy_arguments,
                       energy_figure),
    "roofline": PlotKind("the accelerator's roofline with every layer as a point",
                         _roofline_arguments, roofline_figure),
}

# A sweep's results (hwsim sweep): objectives with the Pareto front, or a parameter heat map.
KINDS["sweep"] = PlotKind("sweep results: two objectives with the Pareto front, or a heat map",
                          sweep_cmd.add_plot_arguments, sweep_cmd.plot_figure)


def _add_timeline_kind() -> None:
    """The ``timeline`` kind: the event schedule of one run (hwsim.report.timeline_plot)."""

    def arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("network", nargs="?", metavar="NETWORK", help="network YAML file")
        parser.add_argument("--accel", metavar="ACCEL", help="accelerator YAML file")
        parser.add_argument("--dataflow", default=None, help="dataflow (default: the accelerator's)")
        parser.add_argument("--input-size", metavar="N|HxW", help="override the input size")
        parser.add_argument("--trace", metavar="TRACE.json",
                            help="draw a saved Chrome trace instead of simulating")

    def figure(args: argparse.Namespace) -> Any:
        from hwsim.report import timeline_plot

        if args.trace:
            if args.network or args.accel:
                raise InputError([Problem("--trace", args.trace, "give either a trace file or "
                                          "NETWORK --accel ACCEL, not both")])
            # read_chrome_trace checks the file: missing, empty, not JSON, wrong shape
            return timeline_plot.timeline_figure(Path(args.trace), title=args.title or "",
                                                 width_in=width(args))
        if not (args.network and args.accel):
            raise InputError([Problem("hwsim plot timeline", "", "needs NETWORK --accel ACCEL "
                                      "(or --trace TRACE.json)")])
        schedule, title = event_schedule(args)
        return timeline_plot.timeline_figure(schedule, title=args.title or title,
                                             width_in=width(args))

    KINDS["timeline"] = PlotKind("event timeline of one run (DMA, buffers, PE array)",
                                 arguments, figure)


def event_schedule(args: argparse.Namespace) -> tuple[Any, str]:
    """The event schedule of one network on one accelerator, and a title for it."""
    import hwsim

    problems: list[Problem] = []
    try:
        network = hwsim.load_network(args.network, input_size=args.input_size)
    except InputError as exc:
        problems.extend(exc.problems)
    try:
        accelerator = hwsim.load_accelerator(args.accel)
    except InputError as exc:
        problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    result = hwsim.simulate(network, accelerator, dataflow=args.dataflow, engine=Engine.EVENT)
    return result.schedule, f"Event timeline: {network.name} on {accelerator.name}"


_add_timeline_kind()


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("plot", help="figures: per-layer time, energy, roofline ...",
                            description="Draw a figure of simulation results as PNG, SVG or "
                                        "PDF (by the --out suffix).")
    kinds = parser.add_subparsers(dest="kind", metavar="KIND")
    kinds.required = True
    for name, kind in KINDS.items():
        kparser = kinds.add_parser(name, help=kind.help, description=kind.help)
        kind.add_arguments(kparser)
        kparser.add_argument("--out", required=True, metavar="FILE",
                             help="output file: .png, .svg or .pdf")
        kparser.add_argument("--title", default=None, help="figure title (default: automatic)")
        kparser.add_argument("--dpi", type=int, default=150, help="PNG resolution (default 150)")
        kparser.add_argument("--size", choices=("column", "page"), default=None,
                             help="width for a paper: column (3.5 in) or page (7 in); "
                                  "default: as wide as the data needs")
        kparser.set_defaults(func=run, plot_kind=kind)


def run(args: argparse.Namespace) -> int:
    from hwsim.report import plots

    out = Path(args.out)
    # the output is checked before anything is simulated or drawn
    problems = outputs.file_problems("--out", args.out, kind="figure",
                                     suffixes=["." + f for f in plots.FORMATS],
                                     example="figure.png")
    if args.dpi <= 0:
        problems.append(Problem("--dpi", str(args.dpi), "must be a positive integer"))
    outputs.raise_if_any(problems)
    figure = args.plot_kind.figure(args)
    try:
        plots.save_figure(figure, out, dpi=args.dpi)
    except OSError as exc:
        raise outputs.write_failed("--out", out, exc) from None
    print(f"hwsim: wrote {out}", file=sys.stderr)
    return 0
