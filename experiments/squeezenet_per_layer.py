"""SqueezeNet v1.0 layer by layer on the WS, OS and hybrid designs, beside the published figure.

Simulates ``networks/squeezenet_v1.0.yaml`` on ``accelerators/ws_16x16.yaml`` (weight
stationary), ``os_16x16.yaml`` (output stationary) and ``squeezelerator.yaml`` (the hybrid:
each layer in its faster mode), and sets each convolution's time beside the value read off the
published per-layer figure (``experiments/data/squeezenet_v1.0_per_layer_kcycles.csv``,
about +/- 3 % reading error). The published figure lists the network's convolutions in network
order (conv1, then squeeze / expand 1x1 / expand 3x3 of fire2..fire9, then conv10); they are
matched to hwsim's layers with MACs in the same order, and the count must agree.

Also reported: each design's total over these layers (published: WS about 6.5 M cycles, OS
about 4.0 M, hybrid about 3.2 M), the hybrid's speed-up over WS-only and OS-only (published
2.06x and 1.26x), the mean absolute per-layer difference, and PE utilization per layer.

Output: ``experiments/out/squeezenet_per_layer.{csv,md,tex,png,json}``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # noqa: E402
    DESIGNS,
    SQUEEZENET_PUBLISHED,
    Artifact,
    Study,
    paired_layers,
    ratio,
    read_published_per_layer,
    script_main,
    write_artifact,
)

from hwsim.report import plots  # noqa: E402
from hwsim.report.tables import Column  # noqa: E402

NAME = "squeezenet_per_layer"
NETWORK = "squeezenet_v1.0"
PUBLISHED_FILE = SQUEEZENET_PUBLISHED
PUBLISHED_COLUMNS = {"WS": "ws", "OS": "os", "hybrid": "hybrid"}
PUBLISHED_SPEEDUP = {"WS": 2.06, "OS": 1.26}  # hybrid over WS-only / OS-only (DAC 2018)


def read_published(path: Path = PUBLISHED_FILE) -> list[dict[str, float | str]]:
    return [{"layer": row["layer"], **{d: row[c] for d, c in PUBLISHED_COLUMNS.items()}}
            for row in read_published_per_layer(path)]


def run(study: Study, network: str = NETWORK) -> Artifact:
    published = read_published()
    designs = [(label, stem) for label, stem in DESIGNS]
    present_nets, present_accs, missing = study.available([network], [s for _, s in designs])
    designs = [(label, stem) for label, stem in designs if stem in present_accs]
    if not present_nets or not designs:
        return write_artifact(study, NAME, [Column("layer", "layer")], [], caption=
                              "SqueezeNet v1.0 per layer: inputs missing", figure=None,
                              inputs=[PUBLISHED_FILE], missing=missing)
    results = {label: study.simulate(network, stem) for label, stem in designs}
    first = next(iter(results.values()))
    array_layers = [l.name for l in paired_layers(first, published)]
    records = []
    for name, pub in zip(array_layers, published):
        record: dict[str, object] = {"layer": name, "published_layer": pub["layer"]}
        for label, result in results.items():
            lr = next(l for l in result.layers if l.name == name)
            record[f"{label}_cycles"] = lr.cycles
            record[f"{label}_published_cycles"] = pub[label]
            record[f"{label}_util"] = lr.utilization
            record[f"{label}_dataflow"] = lr.dataflow
        records.append(record)

    summary: dict[str, object] = {}
    total_record: dict[str, object] = {"layer": "total", "published_layer": "total"}
    for label in results:
        ours = sum(r[f"{label}_cycles"] for r in records)
        pub = sum(r[f"{label}_published_cycles"] for r in records)
        total_record[f"{label}_cycles"] = ours
        total_record[f"{label}_published_cycles"] = pub
        errors = [abs(r[f"{label}_cycles"] / r[f"{label}_published_cycles"] - 1) for r in records]
        summary[label] = {"cycles": ours, "published_cycles": pub, "ratio_to_published": ours / pub,
                          "mean_abs_layer_error": sum(errors) / len(errors),
                          "network_cycles": results[label].total_cycles}
    if "hybrid" in results:
        for label in ("WS", "OS"):
            if label in results:
                summary[f"hybrid_speedup_vs_{label}"] = ratio(total_record[f"{label}_cycles"],
                                                              total_record["hybrid_cycles"])
                summary[f"published_hybrid_speedup_vs_{label}"] = PUBLISHED_SPEEDUP[label]
    records.append(total_record)

    columns = [Column("published_layer", "layer")]
    for label in results:
        columns += [Column(f"{label}_cycles", f"{label}", "Kcyc", "float", 0, 1e3),
                    Column(f"{label}_published_cycles", f"{label} pub.", "Kcyc", "float", 0, 1e3)]
    if "hybrid" in results:
        columns.append(Column("hybrid_dataflow", "hybrid mode"))
    for label in results:
        if label != "hybrid":
            columns.append(Column(f"{label}_util", f"{label} util.", "%", "percent", 0))
    csv_columns = [Column(k, k) for k in ["layer", "published_layer"] + [
        f"{label}_{what}" for label in results
        for what in ("cycles", "published_cycles", "util", "dataflow")]]

    panels = []
    labels = tuple(r["published_layer"] for r in records[:-1])
    for label in results:
        ours = plots.LayerSeries(f"hwsim {label}", labels,
                                 tuple(r[f"{label}_cycles"] for r in records[:-1]),
                                 tuple(r[f"{label}_util"] for r in records[:-1]))
        pub = plots.LayerSeries(f"published {label}", labels,
                                tuple(r[f"{label}_published_cycles"] for r in records[:-1]))
        panels.append((f"{label} design", [ours, pub]))
    figure = plots.per_layer_panels(panels, title="SqueezeNet v1.0 per layer: hwsim vs published "
                                    "(fireN_1 squeeze, _2 expand 1x1, _3 expand 3x3)")
    notes = [f"{label}: hwsim {s['cycles'] / 1e6:.2f} M cycles over these layers, published "
             f"{s['published_cycles'] / 1e6:.2f} M (ratio {s['ratio_to_published']:.2f}); mean "
             f"absolute per-layer difference {100 * s['mean_abs_layer_error']:.0f} %"
             for label, s in summary.items() if isinstance(s, dict)]
    for label in ("WS", "OS"):
        if f"hybrid_speedup_vs_{label}" in summary:
            notes.append(f"hybrid speed-up over {label}-only: hwsim "
                         f"{summary[f'hybrid_speedup_vs_{label}']:.2f}x, published "
                         f"{PUBLISHED_SPEEDUP[label]:.2f}x")
    if "hybrid" in results:
        whole = {label: results[label].total_cycles for label in results}
        notes.append("Totals and speed-ups above cover the figure's 26 convolutions; the whole "
                     "network (pooling, concat and the rest on the vector unit included) takes "
                     + ", ".join(f"{label} {cycles / 1e6:.2f} M" for label, cycles in whole.items())
                     + " cycles.")
    notes.append("Published values read off the DAC 2018 per-layer figure (about +/- 3 %); "
                 "the WS conv1 bar is printed as 3,600 K.")
    inputs = ([study.network_path(network)] + [study.accelerator_path(s) for _, s in designs]
              + [PUBLISHED_FILE])
    return write_artifact(study, NAME, columns, records,
                          caption="SqueezeNet v1.0 per layer on the WS, OS and hybrid designs "
                                  "(thousands of cycles): hwsim and published",
                          figure=figure, inputs=inputs, missing=missing, notes=notes,
                          csv_columns=csv_columns, summary=summary)


def main(argv: Sequence[str] | None = None) -> int:
    return script_main(run, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
