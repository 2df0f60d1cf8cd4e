"""Table 1 of the accelerator paper: share of MACs by layer class, for every bundled network.

For each ``networks/*.yaml`` the share of MACs in the first convolution, in 1x1
convolutions, in FxF convolutions (F > 1), in depthwise convolutions and in fully connected
layers, as hwsim counts them, beside the published Table 1 row where the paper has one
(``experiments/data/mac_share_published.csv``, which names the network file each published row
corresponds to). The difference column is ours minus published, in percentage points, over
the four published classes (the largest absolute one). No simulation: counting only.

Output: ``experiments/out/mac_share.{csv,md,tex,png,json}``.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DATA_DIR, Artifact, Study, script_main, write_artifact  # noqa: E402

from hwsim.report import plots  # noqa: E402
from hwsim.report.tables import Column  # noqa: E402

NAME = "mac_share"
CLASSES = ("first_conv", "conv1x1", "convFxF", "depthwise", "fc")
PUBLISHED_CLASSES = ("first_conv", "conv1x1", "convFxF", "depthwise")
CLASS_HEADERS = {"first_conv": "first conv", "conv1x1": "1x1", "convFxF": "FxF",
                 "depthwise": "depthwise", "fc": "FC"}
PUBLISHED_FILE = DATA_DIR / "mac_share_published.csv"


def read_published(path: Path = PUBLISHED_FILE) -> dict[str, dict[str, object]]:
    """network file stem -> {'name', class: fraction, 'note'} from the published table."""
    out: dict[str, dict[str, object]] = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            entry: dict[str, object] = {"name": row["published_name"], "note": row["note"]}
            for cls in PUBLISHED_CLASSES:
                entry[cls] = float(row[f"{cls}_pct"]) / 100.0
            out[row["network_file"]] = entry
    return out


def run(study: Study, networks: Sequence[str] | None = None) -> Artifact:
    """``networks``: file stems (default: every ``networks/*.yaml``)."""
    published = read_published()
    if networks is None:
        networks = sorted(p.stem for p in Path(study.networks_dir).glob("*.yaml"))
        wanted_published = [stem for stem in published if stem not in networks]
    else:
        wanted_published = []
    present, _, missing = study.available(list(networks) + wanted_published)
    records = []
    bars = []
    notes = []
    for stem in present:
        network = study.network(stem)
        share = network.mac_share()
        record: dict[str, object] = {"network": network.name, "file": f"{stem}.yaml",
                                     "macs": network.macs}
        for cls in CLASSES:
            record[cls] = share[cls]
        pub = published.get(stem)
        for cls in PUBLISHED_CLASSES:
            record[f"published_{cls}"] = pub[cls] if pub else None
        if pub:
            record["published_name"] = pub["name"]
            record["max_diff"] = max(abs(share[c] - pub[c]) for c in PUBLISHED_CLASSES)
            if pub["note"]:
                notes.append(f"{network.name}: {pub['note']}")
        else:
            record["published_name"] = ""
            record["max_diff"] = None
        records.append(record)
        bars.append((network.name, share))
        if pub:
            pub_share = {c: pub[c] for c in PUBLISHED_CLASSES}
            pub_share["fc"] = max(0.0, 1.0 - sum(pub_share.values()))
            bars.append((f"  published: {pub['name']}", pub_share))
    columns = [Column("network", "network"), Column("macs", "MACs", "M", "float", 1, 1e6)]
    for cls in CLASSES:
        columns.append(Column(cls, CLASS_HEADERS[cls], "%", "percent", 1))
        if cls in PUBLISHED_CLASSES:
            columns.append(Column(f"published_{cls}", f"{CLASS_HEADERS[cls]} pub.", "%",
                                  "percent", 0))
    columns.append(Column("max_diff", "max |diff|", "pp", "percent", 1))
    csv_columns = [Column(k, k) for k in ["network", "file", "macs", *CLASSES,
                                           *(f"published_{c}" for c in PUBLISHED_CLASSES),
                                           "published_name", "max_diff"]]
    figure = plots.share_figure(bars, CLASSES, {c: CLASS_HEADERS[c] for c in CLASSES},
                                title="Share of MACs by layer class (hwsim; the published row below)")
    notes.insert(0, "Shares are fractions of the network's MACs (hwsim counting); 'pub.' is the "
                    "accelerator paper's Table 1 (its remainder is FC); max |diff| is the largest "
                    "difference over the four published classes, in percentage points.")
    inputs = [study.network_path(s) for s in present] + [PUBLISHED_FILE]
    return write_artifact(study, NAME, columns, records,
                          caption="Share of MACs by layer class: hwsim vs the published Table 1",
                          figure=figure, inputs=inputs, missing=missing, notes=notes,
                          csv_columns=csv_columns,
                          summary={"networks": len(records)})


def main(argv: Sequence[str] | None = None) -> int:
    return script_main(run, argv, description=__doc__.splitlines()[0])


if __name__ == "__main__":
    sys.exit(main())
