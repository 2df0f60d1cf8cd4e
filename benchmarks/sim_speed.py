"""Speed of one simulation: whole-process and in-process times per bundled network and engine.

Usage::

    python3 benchmarks/sim_speed.py [--accel accelerators/ws_32x32.yaml] [--repeat 5]
                                    [--event-target-s 0.2] [--run-target-s 0.3] [--no-process]

For each network in ``networks/``:

* **in-process**, per engine (``analytic``, ``event``): the median of ``--repeat`` calls of
  ``hwsim.simulate`` with the cost model's caches cleared before each (so every layer is
  costed again, as in a fresh process); for the event engine also the SimPy events and the
  tiles the cost model described;
* **whole process**: the median wall time of ``--repeat`` runs of ``python -m hwsim run
  NETWORK --accel ACCEL --engine E`` (interpreter start, imports, YAML, model, table).

Issue 17's targets: the event engine under 0.2 s in-process on every bundled network, and
``hwsim run networks/sqnxt23v5.yaml --accel accelerators/ws_32x32.yaml`` (the default,
analytic engine) under 0.3 s as a whole process. The last lines say whether each is met;
exit status 1 if one is missed. Results on stdout, nothing else.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("analytic", "event")


def process_time(network: Path, accel: str, engine: str, repeat: int) -> float:
    """Median wall time of ``python -m hwsim run`` as a separate process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "hwsim", "run", str(network), "--accel", accel,
                        "--engine", engine], check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accel", default=str(ROOT / "accelerators" / "ws_32x32.yaml"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--event-target-s", type=float, default=0.2)
    parser.add_argument("--run-target-s", type=float, default=0.3)
    parser.add_argument("--no-process", action="store_true", help="skip the whole-process runs")
    args = parser.parse_args(argv)
    repeat = max(1, args.repeat)

    import hwsim
    from hwsim.cost.model import clear_caches
    from hwsim.report.text import format_table

    accelerator = hwsim.load_accelerator(args.accel)
    rows = []
    slowest_event = 0.0
    run_time = None
    for path in sorted((ROOT / "networks").glob("*.yaml")):
        network = hwsim.load_network(path)
        row: list[object] = [network.name, len(network.layers)]
        for engine in ENGINES:
            times = []
            result = None
            for _ in range(repeat):
                clear_caches()
                start = time.perf_counter()
                result = hwsim.simulate(network, accelerator, engine=engine)
                times.append(time.perf_counter() - start)
            row.append(f"{statistics.median(times) * 1e3:.0f}")
            if engine == "event":
                assert result is not None and result.schedule is not None
                slowest_event = max(slowest_event, statistics.median(times))
                row += [sum(run.count for layer in result.layers for run in layer.tiles),
                        result.schedule.events]
        for engine in ENGINES:
            if args.no_process:
                row.append("-")
                continue
            seconds = process_time(path, args.accel, engine, repeat)
            row.append(f"{seconds * 1e3:.0f}")
            if path.stem == "sqnxt23v5" and engine == "analytic":
                run_time = seconds
        rows.append(row)
    print(f"one simulation on {accelerator.name} ({args.accel}), median of {repeat}; "
          f"in-process with the cost caches cleared")
    print(format_table(["network", "layers", "analytic ms", "event ms", "tiles", "events",
                        "run analytic ms", "run event ms"], rows))
    ok = True
    verdict = "met" if slowest_event < args.event_target_s else "MISSED"
    ok &= slowest_event < args.event_target_s
    print(f"slowest event-engine simulation: {slowest_event * 1e3:.0f} ms "
          f"(target < {args.event_target_s * 1e3:.0f} ms): {verdict}")
    if run_time is not None:
        verdict = "met" if run_time < args.run_target_s else "MISSED"
        ok &= run_time < args.run_target_s
        print(f"hwsim run sqnxt23v5 (analytic, whole process): {run_time * 1e3:.0f} ms "
              f"(target < {args.run_target_s * 1e3:.0f} ms): {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
