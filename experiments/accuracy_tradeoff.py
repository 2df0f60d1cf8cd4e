"""Accuracy against inference time and against energy, for every bundled network with a
published accuracy.

Every ``networks/*.yaml`` whose ``accuracy`` carries a ``top1`` value (the file says where the
number comes from) is simulated on the hybrid Squeezelerator (``squeezelerator.yaml``). The
figure plots top-1 accuracy against latency and against energy, circle area proportional to
the parameter count: the networks up and to the left are the better trade-offs. A network is
*dominated* when another one is at least as accurate and at least as fast and as frugal, and
better in one of the three; the table says which.

Output: ``experiments/out/accuracy_tradeoff.{csv,md,tex,png,json}``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import HYBRID, Artifact, Study, energy_label, script_main, write_artifact  # noqa: E402

from hwsim.report import plots  # noqa: E402
from hwsim.report.compare import energy_scale  # noqa: E402
from hwsim.report.tables import Column  # noqa: E402

NAME = "accuracy_tradeoff"


def dominated_by(records: Sequence[dict], record: dict) -> list[str]:
    """Names of the networks at least as good on accuracy, latency and energy and strictly
    better on one."""
    out = []
    for other in records:
        if other is record:
            continue
        no_worse = (other["top1"] >= record["top1"] and other["latency_ms"] <= record["latency_ms"]
                    and other["energy"] <= record["energy"])
        better = (other["top1"] > record["top1"] or other["latency_ms"] < record["latency_ms"]
                  or other["energy"] < record["energy"])
        if no_worse and better:
            out.append(other["network"])
    return out


def run(study: Study, networks: Sequence[str] | None = None, accelerator: str = HYBRID) -> Artifact:
    if networks is None:
        networks = sorted(p.stem for p in Path(study.networks_dir).glob("*.yaml"))
    present, accs, missing = study.available(networks, [accelerator])
    with_accuracy = [s for s in present if "top1" in study.network(s).accuracy]
    without = [study.network(s).name for s in present if s not in with_accuracy]
    records = []
    if accs:
        for stem in with_accuracy:
            r = study.simulate(stem, accelerator)
            records.append({"network": r.network.name, "file": f"{stem}.yaml",
                            "top1": float(r.network.accuracy["top1"]),
                            "top5": r.network.accuracy.get("top5"),
                            "params": r.network.params, "macs": r.network.macs,
                            "cycles": r.total_cycles, "latency_ms": r.latency_ms,
                            "energy": r.energy.total, "energy_unit": r.energy_unit})
    for record in records:
        better = dominated_by(records, record)
        record["dominated_by"] = ", ".join(better)
        record["dominated_count"] = len(better)
    scale, prefix = energy_scale(r["energy"] for r in records)
    unit = energy_label(study.simulate(with_accuracy[0], accelerator)) if records else ""
    columns = [Column("network", "network"), Column("top1", "top-1", "%", "float", 1),
               Column("params", "params", "M", "float", 2, 1e6),
               Column("macs", "MACs", "M", "float", 0, 1e6),
               Column("latency_ms", "latency", "ms", "float", 3),
               Column("energy", "energy", f"{prefix} {unit}".strip(), "float", 1, scale),
               Column("dominated_by", "dominated by")]
    # in LaTeX the list of networks would make the table three pages wide: how many
    latex_columns = columns[:-1] + [Column("dominated_count", "dominated by", "networks", "int")]
    csv_columns = [Column(k, k) for k in (records[0] if records else {"network": 0})]
    figure = None
    if records:
        points = [plots.AccuracyPoint(r["network"], r["top1"], r["latency_ms"], r["energy"] / scale,
                                      r["params"]) for r in records]
        figure = plots.accuracy_figure(points, f"{prefix} {unit}".strip(),
                                       title=f"Accuracy vs inference time and energy on "
                                             f"{study.accelerator(accelerator).name}")
    notes = ["Top-1 ImageNet accuracy as recorded in each network file (with its source)."]
    if without:
        notes.append("No published accuracy in the file, so not plotted: " + ", ".join(without))
    inputs = [study.network_path(s) for s in with_accuracy] + [study.accelerator_path(accelerator)]
    return write_artifact(study, NAME, columns, records,
                          caption="Accuracy against inference time and energy", figure=figure,
                          inputs=inputs, missing=missing, notes=notes, csv_columns=csv_columns,
                          latex_columns=latex_columns, summary={"networks": [r["network"] for r in records],
                                   "not_dominated": [r["network"] for r in records
                                                     if not r["dominated_by"]]})


def main(argv: Sequence[str] | None = None) -> int:
    return script_main(run, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
