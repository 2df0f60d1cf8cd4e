"""How fast does a design-space sweep run? Prints evaluations (network simulations) per second.

The issue's target: a 1,000-configuration sweep over all bundled networks with the analytic
engine in under 60 seconds on a 2-core machine. This script writes a sweep file drawing
``--configs`` random configurations (array size, registers per PE, global buffer, DRAM
bandwidth, dataflow) around ``accelerators/squeezelerator.yaml``, runs it with the default
evaluator into a temporary CSV, and prints the rate and whether the target was met.

    python3 benchmarks/sweep_speed.py                      # 1000 configs, all networks, -j all
    python3 benchmarks/sweep_speed.py --configs 100 --jobs 1
    python3 benchmarks/sweep_speed.py --executor dask      # the same on a local Dask cluster

Timing goals live here, not in the tests (which must stay fast and deterministic).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
TARGET_S = 60.0


def write_spec(directory: Path, accelerator: Path, networks: list[Path], configs: int,
               seed: int) -> Path:
    spec = {
        "name": "speed",
        "accelerator": str(accelerator),
        "networks": [str(n) for n in networks],
        "axes": [
            {"name": "array", "path": ["pe_array.rows", "pe_array.cols"],
             "range": {"from": 8, "to": 32, "step": 2}},
            {"name": "rf_entries", "path": "pe_array.rf_entries_per_pe", "values": [4, 8, 16, 32]},
            {"name": "glb_kib", "path": "buffer.global_kib",
             "range": {"from": 32, "to": 1024, "times": 2}},
            {"name": "dram_gb_per_s", "path": "dram.bandwidth_gb_per_s", "values": [8, 16, 32]},
            {"path": "dataflow", "values": ["ws", "os", "hybrid"]},
        ],
        "mode": "random", "samples": configs, "seed": seed,
    }
    path = directory / "speed.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=None, help="default: all cores")
    parser.add_argument("--engine", default="analytic", choices=("analytic", "event"))
    parser.add_argument("--executor", default="local", choices=("local", "dask"))
    parser.add_argument("--accelerator", type=Path,
                        default=REPO / "accelerators" / "squeezelerator.yaml")
    parser.add_argument("--networks", type=Path, nargs="*", default=None,
                        help="default: every networks/*.yaml")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from hwsim.sweep.progress import ProgressBar
    from hwsim.sweep.runner import default_jobs, run_sweep
    from hwsim.sweep.spec import load_sweep

    networks = [n.resolve() for n in (args.networks or sorted((REPO / "networks").glob("*.yaml")))]
    jobs = args.jobs or default_jobs()
    with tempfile.TemporaryDirectory() as tmp:
        spec = load_sweep(write_spec(Path(tmp), args.accelerator.resolve(), networks,
                                     args.configs, args.seed))
        started = time.perf_counter()
        summary = run_sweep(spec, Path(tmp) / "speed.csv", engine=args.engine,
                            executor=args.executor, jobs=jobs,
                            progress=ProgressBar(sys.stderr, label="benchmark"))
        elapsed = time.perf_counter() - started
    print(file=sys.stderr)
    rows = summary.evaluated_rows
    print(f"{spec.config_count} configurations x {len(spec.networks)} networks = {rows} "
          f"evaluations ({summary.ok_rows} ok, {summary.invalid_rows} invalid, "
          f"{summary.internal_rows} internal errors)")
    print(f"{args.engine} engine, {args.executor} executor, {jobs} jobs: {elapsed:.1f} s, "
          f"{rows / elapsed:.1f} evaluations/s, {spec.config_count / elapsed:.1f} "
          f"configurations/s")
    if args.configs == 1000 and args.engine == "analytic":
        verdict = "met" if elapsed < TARGET_S else "MISSED"
        print(f"target (1,000 configurations, analytic, < {TARGET_S:.0f} s): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
