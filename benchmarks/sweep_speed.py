"""How fast does a design-space sweep run? Prints evaluations (network simulations) per second.

Issue 17's target: 10,000 configurations x 13 networks with the analytic engine in under
60 seconds on a 2-core machine (about 2,200 simulations per second). This script writes a
sweep file drawing ``--configs`` distinct random configurations (array size, registers per
PE, global buffer, DRAM bandwidth and latency, dataflow: a grid of 11,232 points) around
``accelerators/squeezelerator.yaml``, runs it with the default evaluator (configurations in
batches, ``hwsim.sweep.batch``; ``--scalar``: one task at a time, ``evaluate_task``, for the
speed-up over it) into a temporary CSV, and prints the rate, the time the target's 130,000
simulations would take at that rate, and whether the target was met. It then runs
``--cache-sample`` configurations in this process (the same path) and prints the share of
cache hits of each stage of the cost model (the mapping per layer and array; the layer's
record per layer and machine, which only the scalar path caches; the DRAM tiling per layer,
budget and timing; the tiling candidates per layer shape and array granularity).

    python3 benchmarks/sweep_speed.py                      # 10,000 configs x 13 networks, -j all
    python3 benchmarks/sweep_speed.py --quick              # 100 configs (a few minutes)
    python3 benchmarks/sweep_speed.py --configs 100 --jobs 1
    python3 benchmarks/sweep_speed.py --configs 100 --jobs 1 --scalar   # one task at a time
    python3 benchmarks/sweep_speed.py --executor dask      # the same on a local Dask cluster

Timing goals live here, not in the tests (which must stay fast and deterministic).
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
TARGET_S = 60.0
TARGET_CONFIGS = 10_000
#: The 13 networks of the target (the bundled networks of the study; ``--networks`` for others).
TARGET_NETWORKS = ("alexnet", "mobilenet_v1", "resnet18", "resnet50", "sqnxt23", "sqnxt23v2",
                   "sqnxt23v3", "sqnxt23v4", "sqnxt23v5", "squeezenet_v1.0", "squeezenet_v1.1",
                   "tiny_darknet", "vgg16")


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
            {"name": "dram_latency", "path": "dram.latency_cycles", "values": [50, 100, 200, 400]},
            {"path": "dataflow", "values": ["ws", "os", "hybrid"]},
        ],
        "mode": "random", "samples": configs, "seed": seed,
    }
    path = directory / "speed.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", type=int, default=TARGET_CONFIGS)
    parser.add_argument("--quick", action="store_true", help="100 configurations")
    parser.add_argument("--cache-sample", type=int, default=5,
                        help="configurations run in this process for the cache report")
    parser.add_argument("--jobs", type=int, default=None, help="default: all cores")
    parser.add_argument("--engine", default="analytic", choices=("analytic", "event"))
    parser.add_argument("--executor", default="local", choices=("local", "dask"))
    parser.add_argument("--accelerator", type=Path,
                        default=REPO / "accelerators" / "squeezelerator.yaml")
    parser.add_argument("--networks", type=Path, nargs="*", default=None,
                        help="default: the target's 13 bundled networks")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--speedup-sample", type=int, default=256,
                        help="configurations run both ways in this process for the speed-up")
    parser.add_argument("--scalar", action="store_true",
                        help="evaluate one task at a time (evaluate_task), not in batches")
    args = parser.parse_args(argv)

    from hwsim.sweep.progress import ProgressBar
    from hwsim.sweep.runner import default_jobs, run_sweep
    from hwsim.sweep.spec import load_sweep

    if args.quick:
        args.configs = 100
    networks = [n.resolve() for n in (args.networks or
                                      [REPO / "networks" / f"{n}.yaml" for n in TARGET_NETWORKS])]
    jobs = args.jobs or default_jobs()
    with tempfile.TemporaryDirectory() as tmp:
        spec = load_sweep(write_spec(Path(tmp), args.accelerator.resolve(), networks,
                                     args.configs, args.seed))
        started = time.perf_counter()
        summary = run_sweep(spec, Path(tmp) / "speed.csv", evaluate=evaluator(args.scalar),
                            engine=args.engine, executor=args.executor, jobs=jobs,
                            progress=ProgressBar(sys.stderr, label="benchmark"))
        elapsed = time.perf_counter() - started
    print(file=sys.stderr)
    rows = summary.evaluated_rows
    print(f"{spec.config_count:,} distinct configurations (of a grid of {spec.grid_size:,}) "
          f"x {len(spec.networks)} networks = {rows} evaluations ({summary.ok_rows} ok, "
          f"{summary.invalid_rows} invalid, {summary.internal_rows} internal errors)")
    path = "per task (--scalar)" if args.scalar else "in batches"
    print(f"{args.engine} engine, {args.executor} executor, {jobs} jobs, {path}: {elapsed:.1f} s, "
          f"{rows / elapsed:.1f} evaluations/s, {spec.config_count / elapsed:.1f} "
          f"configurations/s")
    target_rows = TARGET_CONFIGS * len(TARGET_NETWORKS)
    print(f"at this rate {target_rows:,} simulations take {target_rows * elapsed / rows:.0f} s")
    if args.configs == TARGET_CONFIGS and len(networks) == len(TARGET_NETWORKS) \
            and args.engine == "analytic":
        verdict = "met" if elapsed < TARGET_S else "MISSED"
        print(f"target ({TARGET_CONFIGS:,} configurations x {len(TARGET_NETWORKS)} networks, "
              f"analytic, < {TARGET_S:.0f} s): {verdict}")
    if args.cache_sample > 0:
        print_cache_shares(args, networks)
    return 0


def evaluator(scalar: bool) -> Callable[[Any], Any]:
    """The sweep's evaluator: the default (``evaluate_task``, which the executors send in
    batches to ``evaluate_batch``), or with ``scalar`` the same function wrapped, which
    they call per task (a partial pickles to the workers like the function)."""
    from hwsim.sweep.evaluate import evaluate_task

    return functools.partial(evaluate_task) if scalar else evaluate_task


def print_cache_shares(args: argparse.Namespace, networks: list[Path]) -> None:
    """Run a few configurations in this process (in one batch, or per task with
    ``--scalar``) and print each stage's cache hits."""
    from hwsim.cost import dram_candidates, model, tiling
    from hwsim.sweep.batch import evaluate_batch
    from hwsim.sweep.runner import plan
    from hwsim.sweep.spec import load_sweep

    stages = {"mapping, per layer and array": [model._array_plan],
              "layer cost (mapping + tiling), per layer and machine": [model._array_cost,
                                                                        model._vector_cost],
              "fastest DRAM tiling, per shape, budget and timing": [tiling.search_dram_tiles],
              "tiling candidates, per shape and array granularity": [dram_candidates.CANDIDATE_CACHE]}
    model.clear_caches()
    with tempfile.TemporaryDirectory() as tmp:
        spec = load_sweep(write_spec(Path(tmp), args.accelerator.resolve(), networks,
                                     args.cache_sample, args.seed + 1))
        tasks = plan(spec, args.engine, set())[0]
        if args.scalar:
            for task in tasks:
                evaluator(True)(task)
        else:
            evaluate_batch(tasks)
    print(f"cache hits in {args.cache_sample} configurations run in one process:")
    for name, functions in stages.items():
        hits = sum(f.cache_info().hits for f in functions)
        calls = hits + sum(f.cache_info().misses for f in functions)
        share = f"({hits / calls:.0%})" if calls else "(not used on this path)"
        print(f"  {name}: {hits:,} of {calls:,} {share}")
    print_speedup(args, networks)


def print_speedup(args: argparse.Namespace, networks: list[Path]) -> None:
    """The batched path against the scalar one (``evaluate_task`` per configuration) on the
    same ``--speedup-sample`` neighbouring configurations of the benchmark's sweep, in this
    process, each from cold caches (CPU seconds)."""
    from hwsim.cost import model
    from hwsim.sweep.batch import evaluate_batch
    from hwsim.sweep.evaluate import evaluate_task
    from hwsim.sweep.runner import plan
    from hwsim.sweep.spec import load_sweep

    if args.speedup_sample <= 0:
        return
    with tempfile.TemporaryDirectory() as tmp:
        spec = load_sweep(write_spec(Path(tmp), args.accelerator.resolve(), networks,
                                     args.configs, args.seed))
        tasks = plan(spec, args.engine, set())[0][:args.speedup_sample]
        evaluate_batch(tasks[:1])  # parse the networks first
        times = []
        for run in (lambda: [evaluate_task(t) for t in tasks], lambda: evaluate_batch(tasks)):
            model.clear_caches()  # new candidate sets: their plans are derived again too
            started = time.process_time()
            run()
            times.append(time.process_time() - started)
    rows = len(tasks) * len(networks)
    print(f"{len(tasks)} neighbouring configurations x {len(networks)} networks in this process: "
          f"scalar path {times[0]:.1f} s of CPU ({rows / times[0]:.0f} per second), batched "
          f"{times[1]:.1f} s ({rows / times[1]:.0f} per second): {times[0] / times[1]:.1f}x")


if __name__ == "__main__":
    sys.exit(main())
