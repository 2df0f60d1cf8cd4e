"""The headline: the best SqueezeNext variant against SqueezeNet v1.0 and AlexNet, and what the
register-file growth from 8 to 16 entries gains.

The best variant is the fastest of the 1.0-SqNxt-23 family (v1..v5) on the Squeezelerator
(``squeezelerator.yaml``, 16 accumulators per PE). For SqueezeNet v1.0 and AlexNet the table
gives the best variant's speed-up (their time / its time) and energy efficiency (their energy /
its energy) on that machine and on the 8-entry machine the SqueezeNext study used
(``squeezelerator_rf8.yaml``), beside the published claim (SqueezeNext paper abstract: 2.59x /
8.26x faster and 2.25x / 7.5x more energy efficient than SqueezeNet / AlexNet;
``experiments/data/headline_published.csv``). For every network it also gives the gain of the
16-entry register file over the 8-entry one (time and energy ratios rf8 / rf16).

Output: ``experiments/out/headline.{csv,md,tex,png,json}``.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DATA_DIR,
    HYBRID,
    HYBRID_RF8,
    SQNXT_VARIANTS,
    Artifact,
    Study,
    energy_label,
    ratio,
    script_main,
    write_artifact,
)

from hwsim.report import plots  # noqa: E402
from hwsim.report.compare import energy_scale  # noqa: E402
from hwsim.report.tables import Column  # noqa: E402

NAME = "headline"
REFERENCES = ("squeezenet_v1.0", "alexnet")
PUBLISHED_FILE = DATA_DIR / "headline_published.csv"


def read_published(path: Path = PUBLISHED_FILE) -> dict[str, dict[str, float]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["network_file"]: {"speedup": float(row["speedup"]),
                                      "energy_efficiency": float(row["energy_efficiency"])}
                for row in csv.DictReader(handle)}


def run(study: Study, variants: Sequence[str] = SQNXT_VARIANTS,
        references: Sequence[str] = REFERENCES) -> Artifact:
    published = read_published()
    present, accs, missing = study.available(list(variants) + list(references),
                                             [HYBRID, HYBRID_RF8])
    machines = [m for m in (HYBRID, HYBRID_RF8) if m in accs]
    variants = [v for v in variants if v in present]
    references = [r for r in references if r in present]
    if HYBRID not in machines or not variants:
        return write_artifact(study, NAME, [Column("network", "network")], [],
                              caption="Headline: inputs missing", figure=None, inputs=[],
                              missing=missing)
    best = min(variants, key=lambda v: study.simulate(v, HYBRID).latency_ms)
    records = []
    for stem in [best] + [v for v in variants if v != best] + references:
        main_run = study.simulate(stem, HYBRID)
        record: dict[str, object] = {
            "network": main_run.network.name, "file": f"{stem}.yaml",
            "role": "best SqueezeNext" if stem == best else
                    ("SqueezeNext variant" if stem in variants else "reference"),
            "cycles": main_run.total_cycles, "latency_ms": main_run.latency_ms,
            "energy": main_run.energy.total}
        for machine, tag in ((HYBRID, "rf16"), (HYBRID_RF8, "rf8")):
            if machine not in machines:
                record[f"best_speedup_{tag}"] = record[f"best_energy_eff_{tag}"] = None
                continue
            this, top = study.simulate(stem, machine), study.simulate(best, machine)
            record[f"best_speedup_{tag}"] = ratio(this.latency_ms, top.latency_ms)
            record[f"best_energy_eff_{tag}"] = ratio(this.energy.total, top.energy.total)
        pub = published.get(stem, {})
        record["published_speedup"] = pub.get("speedup")
        record["published_energy_eff"] = pub.get("energy_efficiency")
        if HYBRID_RF8 in machines:
            rf8 = study.simulate(stem, HYBRID_RF8)
            record["rf16_speedup"] = ratio(rf8.latency_ms, main_run.latency_ms)
            record["rf16_energy_reduction"] = ratio(rf8.energy.total, main_run.energy.total)
        else:
            record["rf16_speedup"] = record["rf16_energy_reduction"] = None
        records.append(record)
    scale, prefix = energy_scale(r["energy"] for r in records)
    unit = energy_label(study.simulate(best, HYBRID))
    columns = [Column("network", "network"), Column("latency_ms", "latency", "ms", "float", 3),
               Column("energy", "energy", f"{prefix} {unit}".strip(), "float", 1, scale),
               Column("best_speedup_rf16", "best is faster", "x", "ratio", 2),
               Column("best_speedup_rf8", "(RF 8)", "x", "ratio", 2),
               Column("published_speedup", "pub.", "x", "ratio", 2),
               Column("best_energy_eff_rf16", "best saves energy", "x", "ratio", 2),
               Column("best_energy_eff_rf8", "(RF 8)", "x", "ratio", 2),
               Column("published_energy_eff", "pub.", "x", "ratio", 2),
               Column("rf16_speedup", "RF 16 speed-up", "x", "ratio", 2),
               Column("rf16_energy_reduction", "RF 16 energy red.", "x", "ratio", 2)]
    csv_columns = [Column(k, k) for k in records[0]]
    # the best variant against the references only: against itself every ratio is 1 by
    # definition (the RF 16 vs 8 gains are in the table)
    shown = [r for r in records if r["role"] == "reference"]
    figure = plots.ratio_figure(
        [r["network"] for r in shown],
        {"speed-up (hwsim)": [r["best_speedup_rf16"] for r in shown],
         "speed-up (published)": [r["published_speedup"] for r in shown],
         "energy efficiency (hwsim)": [r["best_energy_eff_rf16"] for r in shown],
         "energy efficiency (published)": [r["published_energy_eff"] for r in shown]},
        f"{records[0]['network']}'s advantage (x)",
        title=f"Best SqueezeNext ({records[0]['network']}) vs SqueezeNet and AlexNet") if shown else None
    best_name = records[0]["network"]
    notes = [f"Best variant (fastest on {study.accelerator(HYBRID).name}): {best_name}.",
             "'best is faster' = network time / best variant's time; 'best saves energy' = "
             "network energy / best variant's energy; '(RF 8)' the same on the 8-entry machine; "
             "RF 16 speed-up / energy red. = 8-entry machine / 16-entry machine."]
    summary = {"best": best_name}
    for r in records:
        if r["role"] == "reference":
            summary[r["network"]] = {k: r[k] for k in ("best_speedup_rf16", "best_speedup_rf8",
                                                        "published_speedup", "best_energy_eff_rf16",
                                                        "best_energy_eff_rf8", "published_energy_eff")}
    summary["rf16_speedup"] = {r["network"]: r["rf16_speedup"] for r in records}
    inputs = ([study.network_path(s) for s in variants + references]
              + [study.accelerator_path(m) for m in machines] + [PUBLISHED_FILE])
    return write_artifact(study, NAME, columns, records,
                          caption=f"Headline: {best_name} against SqueezeNet v1.0 and AlexNet, "
                                  "and the register file grown from 8 to 16 entries",
                          figure=figure, inputs=inputs, missing=missing, notes=notes,
                          csv_columns=csv_columns, summary=summary)


def main(argv: Sequence[str] | None = None) -> int:
    return script_main(run, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
