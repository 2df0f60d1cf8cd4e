"""What the design-space scripts share: points of a network family, their cost on the
study's three designs, the table columns and the two figures.

A *point* is one network file (by stem) with parameter values and an input size. Each point
is simulated on the WS and OS reference designs and the hybrid Squeezelerator
(``_common.DESIGNS``), and becomes one record (one table row): the parameter values, the
parameter count, the model size (32-bit weights, MiB, as the SqueezeNet paper reports it),
the MACs, the published accuracy of exactly that point (``Network.accuracy``: empty where the
file publishes none; never interpolated) with its source, and per design the latency
(``latency_ms_<design>``) and the energy (``energy_<design>``, in the accelerator's unit).

``sweep_figure`` draws a one-parameter sweep (model size and accuracy, latency, energy
against the parameter); ``tradeoff_figure`` draws accuracy against latency and against
energy with each design's Pareto front (most accurate, fastest, least energy).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from _common import DESIGNS, Study, log
from _common import _rel as _common_rel

from hwsim.report import plots
from hwsim.report.compare import energy_scale, energy_unit_label
from hwsim.report.tables import Column
from hwsim.sweep.pareto import Objective, pareto_rows

#: (key, label, accelerator stem) of the three designs, keys usable in column names.
DESIGN_KEYS: tuple[tuple[str, str, str], ...] = tuple(
    (label.lower(), label, stem) for label, stem in DESIGNS)
MIB = 2 ** 20


@dataclass(frozen=True)
class Point:
    """One network of a design space: a file (``stem``), parameter values and input size."""

    stem: str
    params: Mapping[str, Any] = field(default_factory=dict)
    input_size: Any = None
    label: str = ""


def grid(stem: str, input_size: Any = None, **axes: Sequence[Any]) -> list[Point]:
    """The cross product of the ``axes`` (parameter name -> values) on one file."""
    names = list(axes)
    return [Point(stem, dict(zip(names, values)), input_size,
                  ", ".join(f"{n}={v}" for n, v in zip(names, values)))
            for values in itertools.product(*(axes[n] for n in names))]


def records_for(study: Study, points: Sequence[Point], columns: Sequence[str] = ()
                ) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """(records, the inputs used, missing input files). ``columns``: parameter names to
    give a column each (default: every parameter any point sets)."""
    stems = sorted({p.stem for p in points})
    present, accelerators, missing = study.available(stems, [s for _, _, s in DESIGN_KEYS])
    designs = [d for d in DESIGN_KEYS if d[2] in accelerators]
    names = list(columns) or list(dict.fromkeys(k for p in points for k in p.params))
    records = []
    for point in points:
        if point.stem not in present:
            continue
        undeclared = sorted(set(point.params) - set(study.network(point.stem).param_defaults))
        if undeclared:  # an older file without the family's parameters: say so, never guess
            what = (f"{_common_rel(study.network_path(point.stem))} (declares no parameter "
                    f"{', '.join(undeclared)})")
            if what not in missing:
                log.warning("missing input: %s: its points are left out", what)
                missing.append(what)
            continue
        network = study.variant(point.stem, point.params, point.input_size)
        shape = network.input_shape
        record: dict[str, Any] = {
            "point": point.label or network.name, "file": f"{point.stem}.yaml",
            **{n: point.params.get(n, network.param_values.get(n)) for n in names},
            "resolution": shape.height, "params": network.params,
            "model_mib": network.params * 4 / MIB, "macs": network.macs,
            "top1": network.accuracy.get("top1"), "top5": network.accuracy.get("top5"),
            "accuracy_source": (network.published_accuracy().source
                                if network.published_accuracy() else "")}
        for key, _label, stem in designs:
            result = study.simulate_variant(point.stem, stem, point.params, point.input_size)
            record[f"latency_ms_{key}"] = result.latency_ms
            record[f"energy_{key}"] = result.energy.total
            record["energy_unit"] = result.energy_unit
        records.append(record)
    inputs = [str(study.network_path(s)) for s in present] + [
        str(study.accelerator_path(s)) for _, _, s in designs]
    return records, inputs, missing


def mark_fronts(records: list[dict[str, Any]], accuracy: str = "top1") -> None:
    """Set ``front_<design>``: whether the point is on that design's Pareto front of
    (max accuracy, min latency, min energy); points without that accuracy are left out."""
    for key, _label, _stem in DESIGN_KEYS:
        if not records or f"latency_ms_{key}" not in records[0]:
            continue
        objectives = [Objective(accuracy, True), Objective(f"latency_ms_{key}"),
                      Objective(f"energy_{key}")]
        rows = [dict(r, _i=i) for i, r in enumerate(records)]
        front = {r["_i"] for r in pareto_rows(rows, objectives, group_by=())}
        for i, record in enumerate(records):
            record[f"front_{key}"] = i in front if record.get(accuracy) is not None else None


def columns(records: Sequence[Mapping[str, Any]], params: Sequence[str],
            fronts: bool = False) -> tuple[list[Column], list[Column], float, str]:
    """(Markdown/LaTeX columns, CSV columns, energy scale, energy unit label)."""
    scale, prefix = energy_scale(v for r in records for k, v in r.items()
                                 if k.startswith("energy_") and isinstance(v, float))
    unit = energy_unit_label(records[0]["energy_unit"]) if records else ""
    energy_unit = f"{prefix} {unit}".strip()
    shown = [Column(p, p) for p in params] + [
        Column("params", "params", "M", "float", 3, 1e6),
        Column("model_mib", "model", "MiB", "float", 2),
        Column("macs", "MACs", "M", "float", 0, 1e6),
        Column("top1", "top-1", "%", "float", 1), Column("top5", "top-5", "%", "float", 1)]
    present = [d for d in DESIGN_KEYS if records and f"latency_ms_{d[0]}" in records[0]]
    shown += [Column(f"latency_ms_{k}", f"{label} time", "ms", "float", 3)
              for k, label, _ in present]
    shown += [Column(f"energy_{k}", f"{label} energy", energy_unit, "float", 2, scale)
              for k, label, _ in present]
    if fronts:
        shown += [Column(f"front_{k}", f"{label} front") for k, label, _ in present]
    keys = list(dict.fromkeys(k for r in records for k in r)) or ["point"]
    return shown, [Column(k, k) for k in keys], scale, energy_unit


def sweep_figure(records: Sequence[Mapping[str, Any]], x: str, x_label: str, energy_scale_: float,
                 energy_unit: str, title: str) -> Any:
    """Model size and published accuracy, latency per design, energy per design, against
    parameter ``x`` (categorical when its values are not numbers)."""
    figure = plots.new_figure(10.5, 3.3)
    axes = figure.subplots(1, 3)
    values = [r[x] for r in records]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    xs = values if numeric else list(range(len(values)))
    axes[0].plot(xs, [r["model_mib"] for r in records], color="black", marker="o",
                 label="model size")
    axes[0].set_ylabel("model size (MiB, 32-bit weights)", fontsize=8)
    twin = axes[0].twinx()
    for i, metric in enumerate(("top1", "top5")):
        pts = [(xv, r[metric]) for xv, r in zip(xs, records) if r.get(metric) is not None]
        if pts:
            st = plots.style(i + 4)
            twin.plot(*zip(*pts), color=st["color"], marker=st["marker"], linestyle="--",
                      label=f"published {metric}")
    twin.set_ylabel("published accuracy (%)", fontsize=8)
    twin.tick_params(labelsize=7)
    handles = axes[0].get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    axes[0].legend(handles, [h.get_label() for h in handles], fontsize=6, loc="best")
    axes[0].set_title("model size and accuracy", fontsize=9)
    present = [d for d in DESIGN_KEYS if records and f"latency_ms_{d[0]}" in records[0]]
    for ax, metric, label, scale in ((axes[1], "latency_ms", "inference time (ms)", 1.0),
                                     (axes[2], "energy", f"energy ({energy_unit})",
                                      energy_scale_)):
        for i, (key, name, _stem) in enumerate(present):
            st = plots.style(i)
            ax.plot(xs, [r[f"{metric}_{key}"] / scale for r in records], color=st["color"],
                    marker=st["marker"], linestyle=st["linestyle"], label=name)
        ax.set_ylabel(label, fontsize=8)
        ax.set_title(label.split(" (")[0], fontsize=9)
        ax.legend(fontsize=6)
    for ax in axes:
        ax.set_xlabel(x_label, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, linewidth=0.3, alpha=0.5)
        if not numeric:
            ax.set_xticks(xs, [str(v) for v in values])
    figure.suptitle(title, fontsize=10)
    return figure


def tradeoff_figure(records: Sequence[Mapping[str, Any]], energy_scale_: float, energy_unit: str,
                    title: str, accuracy: str = "top1") -> Any:
    """Accuracy against inference time (left) and energy (right), one colour per design;
    each design's Pareto front (see :func:`mark_fronts`) ringed and joined."""
    figure = plots.new_figure(9.0, 3.6)
    axes = figure.subplots(1, 2)
    present = [d for d in DESIGN_KEYS if records and f"latency_ms_{d[0]}" in records[0]]
    with_accuracy = [r for r in records if r.get(accuracy) is not None]
    for ax, metric, label, scale in ((axes[0], "latency_ms", "inference time (ms)", 1.0),
                                     (axes[1], "energy", f"energy ({energy_unit})",
                                      energy_scale_)):
        for i, (key, name, _stem) in enumerate(present):
            st = plots.style(i)
            ax.scatter([r[f"{metric}_{key}"] / scale for r in with_accuracy],
                       [r[accuracy] for r in with_accuracy], s=16, color=st["color"],
                       marker=st["marker"], label=name, alpha=0.8)
            front = sorted((r for r in with_accuracy if r.get(f"front_{key}")),
                           key=lambda r: r[f"{metric}_{key}"])
            if front:
                ax.scatter([r[f"{metric}_{key}"] / scale for r in front],
                           [r[accuracy] for r in front], s=48, facecolors="none",
                           edgecolors=st["color"], linewidths=1.1)
                ax.step([r[f"{metric}_{key}"] / scale for r in front],
                        [max(f[accuracy] for f in front if f[f"{metric}_{key}"]
                             <= r[f"{metric}_{key}"]) for r in front],
                        where="post", color=st["color"], linewidth=0.8)
        ax.set_xlabel(label, fontsize=8)
        ax.set_ylabel(f"published {accuracy} (%)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(True, linewidth=0.3, alpha=0.5)
    axes[0].legend(fontsize=7, title="ringed: Pareto front", title_fontsize=6)
    figure.suptitle(title, fontsize=10)
    return figure


def one_parameter_study(study: Study, name: str, stem: str, param: str, values: Sequence[Any],
                        x_label: str, caption: str, notes: Sequence[str] = (),
                        fixed: Mapping[str, Any] | None = None) -> Any:
    """The artifact of a sweep of one parameter of one network file on the three designs
    (the other parameters at the file's defaults, or at ``fixed``): a table (one row per
    value), a CSV and :func:`sweep_figure`."""
    from _common import write_artifact

    points = [Point(stem, {**(fixed or {}), param: v}, label=f"{param}={v}") for v in values]
    records, inputs, missing = records_for(study, points, [param, *(fixed or {})])
    shown, csv_columns, scale, unit = columns(records, [param, *(fixed or {})])
    figure = (sweep_figure(records, param, x_label, scale, unit, caption)
              if records else None)
    with_accuracy = [r for r in records if r["top1"] is not None or r["top5"] is not None]
    all_notes = [*notes, "Accuracy: the value the network file publishes for exactly that point "
                 "(its source in the CSV), empty where none is published; never interpolated.",
                 "Model size: parameters x 4 bytes (32-bit weights), in MiB, as the SqueezeNet "
                 "paper reports it."]
    return write_artifact(study, name, shown, records, caption=caption, figure=figure,
                          inputs=inputs or [study.network_path(stem)], missing=missing,
                          notes=all_notes, csv_columns=csv_columns,
                          summary={"points": len(records), "with_accuracy": len(with_accuracy),
                                   "parameter": param})


def tradeoff_study(study: Study, name: str, points: Sequence[Point], params: Sequence[str],
                   caption: str, notes: Sequence[str] = ()) -> Any:
    """The artifact of a family's points on the three designs: a table with each design's
    Pareto front of (max top-1, min time, min energy) marked, a CSV and
    :func:`tradeoff_figure`."""
    from _common import write_artifact

    records, inputs, missing = records_for(study, points, params)
    mark_fronts(records)
    shown, csv_columns, scale, unit = columns(records, ["file", *params, "resolution"],
                                              fronts=True)
    with_accuracy = [r for r in records if r["top1"] is not None]
    figure = tradeoff_figure(records, scale, unit, caption) if with_accuracy else None
    fronts = {key: [r["point"] for r in records if r.get(f"front_{key}")]
              for key, _label, _stem in DESIGN_KEYS}
    all_notes = [*notes, f"{len(with_accuracy)} of {len(records)} points have a published "
                 "top-1 accuracy in their network file; only those can be on a front (a front "
                 "member is most accurate, fastest or most frugal among them: no other point is "
                 "at least as good on all three and better on one)."]
    return write_artifact(study, name, shown, records, caption=caption, figure=figure,
                          inputs=inputs, missing=missing, notes=all_notes,
                          csv_columns=csv_columns,
                          summary={"points": len(records), "with_accuracy": len(with_accuracy),
                                   "fronts": fronts})
