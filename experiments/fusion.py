"""What a fusing Squeezelerator gains: element-wise layers fused into their producer and
activations kept on chip (``accelerators/squeezelerator_fused.yaml``), against the study's
machine, for global buffers of 64 KiB to 1 MiB.

For SqueezeNet v1.0, the 1.0-SqNxt-23 variants v1..v5 and MobileNet v1 and each buffer size:
time, energy and DRAM bytes with and without fusion (the fused run carries the same machine's
unfused totals, ``SimulationResult.unfused``), the speed-up and the DRAM saved. Then the
question the study's co-design rests on: do the SqueezeNext variants rank the same (by time and
by energy) on a fusing machine as on the study's?

Output: ``experiments/out/fusion.{csv,md,tex,png,json}``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SQNXT_VARIANTS, Artifact, Study, ratio, script_main, write_artifact  # noqa: E402

import hwsim  # noqa: E402
from hwsim.report import plots  # noqa: E402
from hwsim.report.tables import Column  # noqa: E402

NAME = "fusion"
FUSED = "squeezelerator_fused"
NETWORKS: tuple[str, ...] = ("squeezenet_v1.0", *SQNXT_VARIANTS, "mobilenet_v1")
BUFFERS_KIB: tuple[int, ...] = (64, 128, 256, 512, 1024)


def ranking(records: Sequence[dict], key: str) -> list[str]:
    """The networks of ``records`` from the best (lowest ``key``) to the worst."""
    return [r["network"] for r in sorted(records, key=lambda r: r[key])]


def run(study: Study, networks: Sequence[str] = NETWORKS,
        buffers_kib: Sequence[int] = BUFFERS_KIB) -> Artifact:
    present, accs, missing = study.available(networks, [FUSED])
    if not accs or not present:
        return write_artifact(study, NAME, [Column("network", "network")], [],
                              caption="Fusion: inputs missing", figure=None, inputs=[],
                              missing=missing)
    fused_design = study.accelerator(FUSED)
    records = []
    for kib in buffers_kib:
        acc = fused_design.with_changes(**{"buffer.global_kib": kib})
        for stem in present:
            r = hwsim.simulate(study.network(stem), acc, engine=study.engine)
            base = r.unfused
            records.append({
                "network": r.network.name, "file": f"{stem}.yaml", "buffer_kib": kib,
                "cycles": base["cycles"], "cycles_fused": r.total_cycles,
                "energy": base["energy"], "energy_fused": r.energy.total,
                "dram_bytes": base["dram_bytes"], "dram_bytes_fused": r.dram_bytes,
                "speedup": ratio(base["cycles"], r.total_cycles),
                "energy_saving": 1.0 - r.energy.total / base["energy"],
                "dram_saving": 1.0 - r.dram_bytes / base["dram_bytes"],
                "kept_tensors": sum(1 for x in r.layers
                                    if x.extra["fusion"]["output_destination"] == "glb"),
                "spilled_tensors": sum(1 for x in r.layers if x.extra["fusion"]["spilled_bytes"]),
                "energy_unit": r.energy_unit})
    sqnxt_names = {study.network(s).name for s in present if s in SQNXT_VARIANTS}
    rankings = {}
    for kib in buffers_kib:
        group = [r for r in records if r["buffer_kib"] == kib and r["network"] in sqnxt_names]
        rankings[kib] = {metric: {"study": ranking(group, metric),
                                  "fused": ranking(group, f"{metric}_fused")}
                         for metric in ("cycles", "energy")}
    holds = {kib: {m: v["study"] == v["fused"] for m, v in by.items()}
             for kib, by in rankings.items()}
    unit = records[0]["energy_unit"]
    columns = [
        Column("network", "network"), Column("buffer_kib", "GLB", "KiB", "int"),
        Column("cycles", "cycles", "K", "float", 0, 1e3),
        Column("cycles_fused", "fused cycles", "K", "float", 0, 1e3),
        Column("speedup", "speed-up", "x", "ratio", 2),
        Column("energy_saving", "energy saved", "%", "percent", 1),
        Column("dram_bytes", "DRAM", "MB", "float", 2, 1e6),
        Column("dram_bytes_fused", "fused DRAM", "MB", "float", 2, 1e6),
        Column("dram_saving", "DRAM saved", "%", "percent", 1),
    ]
    csv_columns = [Column(k, k) for k in records[0]]
    labels = [study.network(s).name for s in present]
    series = {f"{kib} KiB": [next(r["speedup"] for r in records
                                  if r["network"] == name and r["buffer_kib"] == kib)
                             for name in labels] for kib in buffers_kib}
    figure = plots.ratio_figure(labels, series, "speed-up from fusion (x)",
                                title=f"Fusion on the Squeezelerator ({FUSED}) vs the study's "
                                      "machine, by global buffer", width_in=plots.SIZES["page"])
    notes = [f"speed-up = cycles without fusion / cycles with fusion on the same machine; "
             f"energy in {unit}; kept / spilled: tensors held in the global buffer / too big "
             "to hold beside their consumers' tiles."]
    for kib in buffers_kib:
        for metric in ("cycles", "energy"):
            r = rankings[kib][metric]
            verdict = "holds" if holds[kib][metric] else \
                f"changes: {' < '.join(r['study'])} becomes {' < '.join(r['fused'])}"
            notes.append(f"{kib} KiB, SqueezeNext ranking by {metric}: {verdict}")
    summary = {"buffers_kib": list(buffers_kib), "rankings": rankings,
               "ranking_holds": holds,
               "speedup": {f"{r['network']}@{r['buffer_kib']}": r["speedup"] for r in records}}
    inputs = [study.network_path(s) for s in present] + [study.accelerator_path(FUSED)]
    return write_artifact(study, NAME, columns, records,
                          caption="Fused element-wise work and activations kept on chip, "
                                  "Squeezelerator, global buffer 64 KiB to 1 MiB",
                          figure=figure, inputs=inputs, missing=missing, notes=notes,
                          csv_columns=csv_columns, summary=summary)


def main(argv: Sequence[str] | None = None) -> int:
    return script_main(run, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
