"""What every study script shares: where the inputs are, a simulation cache, and the writer of
one artifact (CSV + Markdown + LaTeX table + figure under ``experiments/out/``).

Paths resolve against this file (the repository's ``networks/``, ``accelerators/`` and
``experiments/data/``), never against the working directory. A :class:`Study` memoises
``hwsim.simulate`` so that ``run_all.py`` simulates each (network, accelerator) pair once even
when several artifacts use it. A network or accelerator file that is missing is not skipped
silently: it is logged as a warning, and every artifact lists it in its Markdown file and in
the ``missing`` field of its summary.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hwsim
from hwsim._version import json_header
from hwsim.report import plots, tables

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
NETWORKS_DIR = REPO / "networks"
ACCELERATORS_DIR = REPO / "accelerators"
DATA_DIR = HERE / "data"
DEFAULT_OUT = HERE / "out"

log = logging.getLogger("experiments")


@dataclass
class Artifact:
    """What one script produced: its files, its table records and what was missing."""

    name: str
    files: dict[str, Path]
    records: list[dict[str, Any]]
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    figure: Any = None  # the matplotlib Figure saved as the .png (None without one)


@dataclass
class Study:
    """Shared state of a run of the study: input and output folders and a simulation cache."""

    out_dir: Path = DEFAULT_OUT
    networks_dir: Path = NETWORKS_DIR
    accelerators_dir: Path = ACCELERATORS_DIR
    engine: str = "analytic"
    _networks: dict[str, Any] = field(default_factory=dict)
    _accelerators: dict[str, Any] = field(default_factory=dict)
    _results: dict[tuple[str, str, str | None], Any] = field(default_factory=dict)
    _variants: dict[tuple[str, str, str], Any] = field(default_factory=dict)
    _variant_results: dict[tuple[str, str, str, str], Any] = field(default_factory=dict)

    def network_path(self, stem: str) -> Path:
        return self.networks_dir / f"{stem}.yaml"

    def accelerator_path(self, stem: str) -> Path:
        return self.accelerators_dir / f"{stem}.yaml"

    def network(self, stem: str) -> Any:
        if stem not in self._networks:
            self._networks[stem] = hwsim.load_network(self.network_path(stem))
        return self._networks[stem]

    def accelerator(self, stem: str) -> Any:
        if stem not in self._accelerators:
            self._accelerators[stem] = hwsim.load_accelerator(self.accelerator_path(stem))
        return self._accelerators[stem]

    def available(self, networks: Sequence[str] = (), accelerators: Sequence[str] = ()
                  ) -> tuple[list[str], list[str], list[str]]:
        """(present networks, present accelerators, missing files as repo-relative paths);
        each missing file is logged as a warning."""
        missing: list[str] = []
        present_nets = [n for n in networks if self.network_path(n).exists()]
        present_accs = [a for a in accelerators if self.accelerator_path(a).exists()]
        for stem in networks:
            if stem not in present_nets:
                missing.append(_rel(self.network_path(stem)))
        for stem in accelerators:
            if stem not in present_accs:
                missing.append(_rel(self.accelerator_path(stem)))
        for path in missing:
            log.warning("missing input file %s: left out of this artifact", path)
        return present_nets, present_accs, missing

    def simulate(self, network: str, accelerator: str, dataflow: str | None = None) -> Any:
        """``hwsim.simulate`` of two bundled files (by stem), memoised."""
        key = (network, accelerator, dataflow)
        if key not in self._results:
            log.info("simulating %s on %s%s", network, accelerator,
                     f" ({dataflow})" if dataflow else "")
            self._results[key] = hwsim.simulate(self.network(network), self.accelerator(accelerator),
                                                dataflow=dataflow, engine=self.engine)
        return self._results[key]


    def variant(self, stem: str, params: Mapping[str, Any] | None = None,
                input_size: Any = None) -> Any:
        """A bundled network file (by stem) built with ``params`` overriding its declared
        parameters and ``input_size`` its resolution, memoised."""
        key = (stem, json.dumps(dict(params or {}), sort_keys=True), repr(input_size))
        if key not in self._variants:
            self._variants[key] = hwsim.load_network(self.network_path(stem),
                                                     input_size=input_size,
                                                     params=dict(params or {}))
        return self._variants[key]

    def simulate_variant(self, stem: str, accelerator: str,
                         params: Mapping[str, Any] | None = None, input_size: Any = None) -> Any:
        """``hwsim.simulate`` of :meth:`variant` on a bundled accelerator, memoised."""
        key = (stem, json.dumps(dict(params or {}), sort_keys=True), repr(input_size),
               accelerator)
        if key not in self._variant_results:
            log.info("simulating %s %s%s on %s", stem, dict(params or {}),
                     f" at {input_size}" if input_size else "", accelerator)
            self._variant_results[key] = hwsim.simulate(
                self.variant(stem, params, input_size), self.accelerator(accelerator),
                engine=self.engine)
        return self._variant_results[key]


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def provenance(inputs: Sequence[str | Path]) -> str:
    """One line naming the hwsim version and the input files."""
    names = ", ".join(_rel(Path(p)) for p in inputs)
    return f"generated by hwsim {hwsim.__version__} (experiments/) from: {names}"


def write_artifact(study: Study, name: str, columns: Sequence[tables.Column],
                   records: Sequence[Mapping[str, Any]], *, caption: str,
                   figure: Any | None, inputs: Sequence[str | Path],
                   missing: Sequence[str] = (), notes: Sequence[str] = (),
                   csv_columns: Sequence[tables.Column] | None = None,
                   latex_columns: Sequence[tables.Column] | None = None,
                   summary: Mapping[str, Any] | None = None,
                   extra_csv: Mapping[str, tuple[Sequence[tables.Column],
                                                 Sequence[Mapping[str, Any]]]] | None = None
                   ) -> Artifact:
    """Write ``name``.csv/.md/.tex (and .png when ``figure`` is given) and a
    ``name``.json summary under ``study.out_dir``; ``extra_csv`` maps a suffix to more
    (columns, records), written as ``name_suffix.csv`` (e.g. per-layer details);
    ``latex_columns`` replaces ``columns`` in the ``.tex`` (a paper's narrower choice)."""
    out = Path(study.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    comment = provenance(inputs)
    files: dict[str, Path] = {}
    csv_cols = list(csv_columns) if csv_columns is not None else [
        tables.Column(c.key, c.key) for c in columns]
    files["csv"] = out / f"{name}.csv"
    files["csv"].write_text(tables.to_csv(csv_cols, records), encoding="utf-8")
    for suffix, (extra_columns, extra_records) in (extra_csv or {}).items():
        files[f"csv_{suffix}"] = out / f"{name}_{suffix}.csv"
        files[f"csv_{suffix}"].write_text(tables.to_csv(extra_columns, extra_records),
                                          encoding="utf-8")
    md_lines = [f"<!-- {comment} -->", f"**{caption}**", "", tables.to_markdown(columns, records)]
    for note in notes:
        md_lines.append(f"- {note}")
    if missing:
        md_lines.append(f"- **Missing input files (left out):** {', '.join(missing)}")
    files["md"] = out / f"{name}.md"
    files["md"].write_text("\n".join(md_lines).rstrip() + "\n", encoding="utf-8")
    files["tex"] = out / f"{name}.tex"
    files["tex"].write_text(tables.to_latex(latex_columns or columns, records, caption=caption,
                                            label=f"tab:{name}", comment=comment),
                            encoding="utf-8")
    if figure is not None:
        files["png"] = plots.save_figure(figure, out / f"{name}.png", dpi=130)
    doc = {**json_header(), "artifact": name,
           "inputs": [_rel(Path(p)) for p in inputs], "missing": list(missing),
           "notes": list(notes), "summary": dict(summary or {}),
           "files": {k: v.name for k, v in files.items()}}
    files["json"] = out / f"{name}.json"
    files["json"].write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    return Artifact(name, files, [dict(r) for r in records], list(missing), list(notes),
                    dict(summary or {}), figure)


def script_main(run: Callable[..., Artifact], argv: Sequence[str] | None = None,
                description: str = "") -> int:
    """The command line every script shares: ``--out DIR``, ``-v``."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="output folder (default: experiments/out)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(name)s: %(levelname)s: %(message)s", stream=sys.stderr)
    artifact = run(Study(out_dir=args.out))
    for kind, path in artifact.files.items():
        print(f"{kind:5s} {path}")
    return 0


#: The three designs of the study: the single-dataflow reference designs and the hybrid
#: Squeezelerator (16x16 arrays: the size the published per-layer numbers follow).
DESIGNS: tuple[tuple[str, str], ...] = (("WS", "ws_16x16"), ("OS", "os_16x16"),
                                        ("hybrid", "squeezelerator"))
HYBRID = "squeezelerator"
HYBRID_RF8 = "squeezelerator_rf8"
SQNXT_VARIANTS: tuple[str, ...] = ("sqnxt23", "sqnxt23v2", "sqnxt23v3", "sqnxt23v4", "sqnxt23v5")


#: The published SqueezeNet v1.0 per-layer figure (Kwon et al., DAC 2018; thousands of cycles of
#: conv1, fireN_1 squeeze, fireN_2 expand 1x1, fireN_3 expand 3x3 and conv10, in network order).
SQUEEZENET_PUBLISHED = DATA_DIR / "squeezenet_v1.0_per_layer_kcycles.csv"
#: The calibration designs: key, label, accelerator stem and the published column each is
#: compared with. The figure's hybrid bars follow the 8-accumulator machine (the figure predates
#: the register-file growth); the 16-accumulator Squeezelerator is shown beside it.
CALIBRATION_DESIGNS: tuple[tuple[str, str, str, str], ...] = (
    ("ws", "WS", "ws_16x16", "ws"), ("os", "OS", "os_16x16", "os"),
    ("hybrid_rf8", "hybrid", HYBRID_RF8, "hybrid"),
    ("hybrid", "hybrid, 16 acc.", HYBRID, "hybrid"))


def read_published_per_layer(path: Path = SQUEEZENET_PUBLISHED) -> list[dict[str, Any]]:
    """The published per-layer rows: ``layer`` and the ``ws``, ``os`` and ``hybrid`` time in
    cycles (the file holds thousands of cycles)."""
    import csv

    with open(path, newline="", encoding="utf-8") as handle:
        return [{"layer": row["layer"], **{k: float(row[f"{k}_kcycles"]) * 1e3
                                            for k in ("ws", "os", "hybrid")}}
                for row in csv.DictReader(handle)]


def paired_layers(result: Any, published: Sequence[Mapping[str, Any]]) -> list[Any]:
    """The result's array layers (those with MACs) in network order, one per published row;
    the published figure lists them in that order, so the counts must agree."""
    layers = plots.array_layers(result)
    if len(layers) != len(published):
        raise ValueError(f"{result.network.name}: {len(layers)} layers with MACs but the "
                         f"published figure has {len(published)} bars; cannot match them in order")
    return layers


@dataclass(frozen=True)
class ErrorStats:
    """Per-layer relative errors (predicted - published) / published and their summary."""

    errors: tuple[float, ...]
    median_abs: float
    worst_abs: float
    worst_index: int
    total_predicted: float
    total_published: float

    @property
    def total_error(self) -> float:
        return (self.total_predicted - self.total_published) / self.total_published


def error_stats(predicted: Sequence[float], published: Sequence[float]) -> ErrorStats:
    """Median and worst absolute per-layer error and the totals of paired values."""
    import statistics

    if len(predicted) != len(published) or not predicted:
        raise ValueError(f"need as many predicted as published values, at least one "
                         f"({len(predicted)} and {len(published)})")
    errors = tuple((p - q) / q for p, q in zip(predicted, published))
    worst = max(range(len(errors)), key=lambda i: abs(errors[i]))
    return ErrorStats(errors, statistics.median(abs(e) for e in errors), abs(errors[worst]),
                      worst, float(sum(predicted)), float(sum(published)))


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is 0."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def energy_label(result: Any) -> str:
    from hwsim.report.compare import energy_unit_label

    return energy_unit_label(getattr(result, "energy_unit", "") or "")
