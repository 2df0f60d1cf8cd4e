"""The hybrid design against the single-dataflow designs, network by network.

Simulates AlexNet, MobileNet v1, Tiny Darknet, SqueezeNet v1.0 and v1.1 and SqueezeNext
(1.0-SqNxt-23 and 2.0-SqNxt-23) on the WS-only (``ws_16x16.yaml``), OS-only
(``os_16x16.yaml``) and hybrid (``squeezelerator.yaml``) designs, and reports the hybrid's
speed-up (single-design time / hybrid time) and energy reduction (single-design energy /
hybrid energy) against each, with the published speed-ups where the papers give them
(``experiments/data/hybrid_published.csv``: SqueezeNet v1.0, 2.06x over WS and 1.26x over OS).

Output: ``experiments/out/hybrid_vs_single.{csv,md,tex,png,json}``.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DATA_DIR, DESIGNS, Artifact, Study, ratio, script_main, write_artifact  # noqa: E402

from hwsim.report import plots  # noqa: E402
from hwsim.report.tables import Column  # noqa: E402

NAME = "hybrid_vs_single"
NETWORKS = ("alexnet", "mobilenet_v1", "tiny_darknet", "squeezenet_v1.0", "squeezenet_v1.1",
            "sqnxt23", "sqnxt23_w2")
PUBLISHED_FILE = DATA_DIR / "hybrid_published.csv"


def read_published(path: Path = PUBLISHED_FILE) -> dict[str, dict[str, float]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["network_file"]: {"WS": float(row["speedup_vs_ws"]),
                                      "OS": float(row["speedup_vs_os"])}
                for row in csv.DictReader(handle)}


def run(study: Study, networks: Sequence[str] = NETWORKS) -> Artifact:
    published = read_published()
    present, accs, missing = study.available(networks, [s for _, s in DESIGNS])
    designs = [(label, stem) for label, stem in DESIGNS if stem in accs]
    labels = [label for label, _ in designs]
    records = []
    for stem in present:
        runs = {label: study.simulate(stem, acc) for label, acc in designs}
        any_run = next(iter(runs.values()))
        record: dict[str, object] = {"network": any_run.network.name, "file": f"{stem}.yaml"}
        for label, r in runs.items():
            record[f"{label}_cycles"] = r.total_cycles
            record[f"{label}_latency_ms"] = r.latency_ms
            record[f"{label}_energy"] = r.energy.total
            record[f"{label}_utilization"] = r.utilization
        hybrid = runs.get("hybrid")
        for label in ("WS", "OS"):
            single = runs.get(label)
            ok = hybrid is not None and single is not None
            record[f"speedup_vs_{label}"] = ratio(single.latency_ms, hybrid.latency_ms) if ok else None
            record[f"energy_reduction_vs_{label}"] = (ratio(single.energy.total, hybrid.energy.total)
                                                     if ok else None)
            record[f"published_speedup_vs_{label}"] = published.get(stem, {}).get(label)
        records.append(record)
    columns = [Column("network", "network")]
    for label in labels:
        columns.append(Column(f"{label}_cycles", label, "Mcyc", "float", 2, 1e6))
    for label in ("WS", "OS"):
        columns += [Column(f"speedup_vs_{label}", f"speed-up vs {label}", "x", "ratio", 2),
                    Column(f"published_speedup_vs_{label}", "pub.", "x", "ratio", 2)]
    for label in ("WS", "OS"):
        columns.append(Column(f"energy_reduction_vs_{label}", f"energy red. vs {label}", "x",
                              "ratio", 2))
    csv_columns = [Column(k, k) for k in (records[0] if records else {"network": 0})]
    figure = None
    if records and "hybrid" in labels:
        figure = plots.ratio_figure(
            [r["network"] for r in records],
            {f"{what} vs {label}-only": [r[f"{key}_vs_{label}"] for r in records]
             for what, key in (("speed-up", "speedup"), ("energy reduction", "energy_reduction"))
             for label in ("WS", "OS") if label in labels},
            "hybrid's advantage (x)", title="Hybrid Squeezelerator vs single-dataflow designs")
    notes = ["speed-up = single-design time / hybrid time; energy reduction = single-design "
             "energy / hybrid energy (both > 1 when the hybrid wins)."]
    inputs = ([study.network_path(s) for s in present] + [study.accelerator_path(s) for _, s in designs]
              + [PUBLISHED_FILE])
    summary = {r["network"]: {k: r[k] for k in r if k.startswith(("speedup", "energy_reduction"))}
               for r in records}
    return write_artifact(study, NAME, columns, records,
                          caption="Hybrid design: speed-up and energy reduction over WS-only "
                                  "and OS-only", figure=figure, inputs=inputs, missing=missing,
                          notes=notes, csv_columns=csv_columns, summary=summary)


def main(argv: Sequence[str] | None = None) -> int:
    return script_main(run, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
