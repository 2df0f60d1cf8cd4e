"""Reproduce the whole SqueezeNext hardware study: every artifact, one command.

    python3 experiments/run_all.py [--out DIR] [--only NAME ...] [-v]

Runs each study script in turn with one shared simulation cache (each network is simulated on
each accelerator once), writes every artifact under ``experiments/out/`` (or ``--out``) and an
``INDEX.md`` listing them with their headline numbers and any missing input file. Progress and
timings go to stderr; the list of files written to stdout. Exit status 0 when every artifact
was written, 1 when an input file was missing (the artifacts are still written, without it).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import time
from pathlib import Path
from typing import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import DEFAULT_OUT, Study, provenance  # noqa: E402

#: Script modules in the order they run (each has ``NAME`` and ``run(study)``).
SCRIPTS = ("mac_share", "squeezenet_per_layer", "sqnxt_variants", "hybrid_vs_single",
           "accuracy_tradeoff", "headline")


def run_all(study: Study, only: Sequence[str] | None = None) -> list:
    """Run the scripts (all, or those named in ``only``) and write INDEX.md."""
    artifacts = []
    for name in SCRIPTS:
        if only and name not in only:
            continue
        module = importlib.import_module(name)
        start = time.perf_counter()
        artifact = module.run(study)
        print(f"experiments: {name}: {time.perf_counter() - start:.1f} s", file=sys.stderr)
        artifacts.append(artifact)
    lines = ["# Study artifacts", "", f"<!-- {provenance([])} -->", "",
             "| artifact | files | missing inputs |", "|:---|:---|:---|"]
    for a in artifacts:
        files = ", ".join(p.name for p in a.files.values())
        lines.append(f"| {a.name} | {files} | {', '.join(a.missing) or '-'} |")
    Path(study.out_dir).mkdir(parents=True, exist_ok=True)
    (Path(study.out_dir) / "INDEX.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return artifacts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="output folder (default: experiments/out)")
    parser.add_argument("--only", nargs="+", choices=SCRIPTS, help="run only these scripts")
    parser.add_argument("--engine", choices=("analytic", "event"), default="analytic")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each simulation")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(name)s: %(levelname)s: %(message)s", stream=sys.stderr)
    start = time.perf_counter()
    artifacts = run_all(Study(out_dir=args.out, engine=args.engine), args.only)
    for a in artifacts:
        for path in a.files.values():
            print(path)
    print(f"experiments: {len(artifacts)} artifacts in {time.perf_counter() - start:.1f} s "
          f"under {args.out}", file=sys.stderr)
    missing = sorted({m for a in artifacts for m in a.missing})
    if missing:
        print("experiments: missing input files: " + ", ".join(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
