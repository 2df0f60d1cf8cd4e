"""1.0-SqNxt-23 v1..v5 layer by layer on the Squeezelerator: where the time goes and what the
hardware-guided changes (5x5 stem, blocks moved to later stages) buy.

Simulates ``networks/sqnxt23.yaml`` (v1) and ``sqnxt23v2..v5.yaml`` on
``accelerators/squeezelerator.yaml``. Per variant: parameters, MACs, total cycles, latency and
energy, the first convolution's share of the time and of the energy, and the speed-up
(v1 time / variant time) and energy saving (1 - variant energy / v1 energy) over v1. The
per-layer details (cycles, utilization, mode, energy, DRAM bytes of every layer) go to
``sqnxt_variants_layers.csv``; the figure shows each variant's per-layer time and utilization.

Output: ``experiments/out/sqnxt_variants.{csv,md,tex,png,json}`` and
``sqnxt_variants_layers.csv``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import HYBRID, SQNXT_VARIANTS, Artifact, Study, energy_label, ratio, script_main, write_artifact  # noqa: E402

from hwsim.report import plots  # noqa: E402
from hwsim.report.compare import energy_scale  # noqa: E402
from hwsim.report.tables import Column  # noqa: E402

NAME = "sqnxt_variants"


def run(study: Study, variants: Sequence[str] = SQNXT_VARIANTS,
        accelerator: str = HYBRID) -> Artifact:
    present, accs, missing = study.available(variants, [accelerator])
    if not accs or not present:
        return write_artifact(study, NAME, [Column("network", "network")], [],
                              caption="SqueezeNext variants: inputs missing", figure=None,
                              inputs=[], missing=missing)
    results = [(stem, study.simulate(stem, accelerator)) for stem in present]
    records, layer_records, series = [], [], []
    reference = results[0][1]  # v1 when present: the first variant listed
    for stem, r in results:
        first = [l for l in r.layers if l.mac_class == "first_conv"]
        first_cycles = sum(l.cycles for l in first)
        first_energy = sum(l.energy.total for l in first)
        energy = r.energy.total
        records.append({
            "network": r.network.name, "file": f"{stem}.yaml", "params": r.network.params,
            "macs": r.network.macs, "cycles": r.total_cycles, "latency_ms": r.latency_ms,
            "energy": energy, "energy_unit": r.energy_unit, "utilization": r.utilization,
            "dram_bytes": r.dram_bytes,
            "first_conv_time_share": ratio(first_cycles, r.total_cycles),
            "first_conv_energy_share": ratio(first_energy, energy),
            "speedup_vs_v1": ratio(reference.latency_ms, r.latency_ms),
            "energy_saving_vs_v1": 1.0 - energy / reference.energy.total,
        })
        for l in r.layers:
            layer_records.append({
                "network": r.network.name, "layer": l.name, "type": l.type,
                "mac_class": l.mac_class, "dataflow": l.dataflow, "macs": l.macs,
                "cycles": l.cycles, "compute_cycles": l.compute_cycles,
                "memory_cycles": l.memory_cycles, "utilization": l.utilization,
                "energy": l.energy.total, "dram_bytes": l.dram_bytes, "bound": l.bound})
        # ~90 array layers: one bar per stage (conv1, stage1..4, conv2, fc) reads in print
        series.append(plots.stage_series(r, r.network.name))
    scale, prefix = energy_scale(r["energy"] for r in records)
    unit = energy_label(reference)
    columns = [
        Column("network", "variant"), Column("params", "params", "K", "float", 0, 1e3),
        Column("macs", "MACs", "M", "float", 1, 1e6), Column("cycles", "cycles", "K", "float", 0, 1e3),
        Column("energy", "energy", f"{prefix} {unit}".strip(), "float", 2, scale),
        Column("utilization", "util.", "%", "percent", 0),
        Column("first_conv_time_share", "conv1 time", "%", "percent", 1),
        Column("first_conv_energy_share", "conv1 energy", "%", "percent", 1),
        Column("speedup_vs_v1", "speed-up vs v1", "x", "ratio", 2),
        Column("energy_saving_vs_v1", "energy saving vs v1", "%", "percent", 1),
    ]
    csv_columns = [Column(k, k) for k in records[0]]
    layer_columns = [Column(k, k) for k in layer_records[0]]
    figure = plots.per_layer_figure(series, title=f"SqueezeNext variants per stage on "
                                    f"{reference.accelerator.name}", width_in=plots.SIZES["page"])
    best = max(records, key=lambda r: r["speedup_vs_v1"] or 0)
    summary = {"variants": [r["network"] for r in records], "fastest": best["network"],
               "fastest_speedup_vs_v1": best["speedup_vs_v1"],
               "first_conv_time_share": {r["network"]: r["first_conv_time_share"] for r in records}}
    notes = [f"speed-up = v1 time / variant time; energy saving = 1 - variant energy / v1 energy "
             f"(v1 = {records[0]['network']}); conv1 = the first convolution (the stem).",
             f"fastest: {best['network']} ({best['speedup_vs_v1']:.2f}x v1)."]
    inputs = [study.network_path(s) for s in present] + [study.accelerator_path(accelerator)]
    return write_artifact(study, NAME, columns, records,
                          caption=f"1.0-SqNxt-23 variants on the {reference.accelerator.name}",
                          figure=figure, inputs=inputs, missing=missing, notes=notes,
                          csv_columns=csv_columns, summary=summary,
                          extra_csv={"layers": (layer_columns, layer_records)})


def main(argv: Sequence[str] | None = None) -> int:
    return script_main(run, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
