"""Speed of one simulation: whole-process and in-process times per bundled network and engine.

Usage::

    python3 benchmarks/sim_speed.py [--accel accelerators/ws_32x32.yaml ...] [--network STEM ...]
                                    [--repeat 5] [--event-target-s 0.2] [--run-target-s 0.3]
                                    [--no-process]

``--accel`` may be given several times (default: ws_32x32), and ``--network`` (a file stem of
``networks/``, default all). For each accelerator and each network:

* **in-process**, per engine (``analytic``, ``event``): the median of ``--repeat`` calls of
  ``hwsim.simulate`` with the cost model's caches cleared before each (so every layer is
  costed again, as in a fresh process);
* **event part**: the median time of the event engine alone (``hwsim.sim.run_schedule`` on
  the tiles the cost model chose, bounds checks on), also as CPU time (steadier on a shared
  machine), with the tiles it plays and its SimPy events;
* **whole process**: the median wall time of ``--repeat`` runs of ``python -m hwsim run
  NETWORK --accel ACCEL --engine E`` (interpreter start, imports, YAML, model, table).

For ``hwsim run networks/sqnxt23v5.yaml`` (analytic) the last lines also split the whole
process into the cost model (the in-process analytic time from cold caches) and the rest
(start-up, imports, YAML parsing, the table).

Issue 17's targets: the event engine under 0.2 s in-process on every bundled network (its
event part), and ``hwsim run networks/sqnxt23v5.yaml --accel accelerators/ws_32x32.yaml``
(the default, analytic engine) under 0.3 s as a whole process. The last lines say whether
each is met; exit status 1 if one is missed. Results on stdout, nothing else.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("analytic", "event")


def median_time(call: Callable[[], object], repeat: int, before: Callable[[], None] | None = None
                ) -> tuple[float, float, object]:
    """Median wall time and median CPU time of this process for ``call`` over ``repeat``
    calls (``before`` runs untimed before each), and the last call's value. On a shared
    machine the CPU time is the steadier of the two."""
    walls, cpus = [], []
    value = None
    for _ in range(repeat):
        if before is not None:
            before()
        start, cpu = time.perf_counter(), time.process_time()
        value = call()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls), statistics.median(cpus), value


def process_time(network: Path, accel: str, engine: str, repeat: int) -> float:
    """Median wall time of ``python -m hwsim run`` as a separate process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "hwsim", "run", str(network), "--accel", accel,
               "--engine", engine]
    seconds, _, _ = median_time(lambda: subprocess.run(command, check=True, env=env,
                                                       stdout=subprocess.DEVNULL), repeat)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accel", action="append",
                        help="accelerator file (repeat for several; default ws_32x32)")
    parser.add_argument("--network", action="append", metavar="STEM",
                        help="only this network of networks/ (repeat for several; default all)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--event-target-s", type=float, default=0.2)
    parser.add_argument("--run-target-s", type=float, default=0.3)
    parser.add_argument("--no-process", action="store_true", help="skip the whole-process runs")
    args = parser.parse_args(argv)
    repeat = max(1, args.repeat)
    accels = args.accel or [str(ROOT / "accelerators" / "ws_32x32.yaml")]

    import hwsim
    from hwsim.cost.model import clear_caches
    from hwsim.pipeline import _costs  # the costs and the fusion plan, as simulate has them
    from hwsim.report.text import format_table
    from hwsim.sim.adapter import machine_from_accelerator, schedule_items
    from hwsim.sim.engine import run_schedule

    networks = [hwsim.load_network(p) for p in sorted((ROOT / "networks").glob("*.yaml"))
                if not args.network or p.stem in args.network]
    slowest_event = (0.0, "")
    run_time = run_model = None
    ok = True
    for accel in accels:
        accelerator = hwsim.load_accelerator(accel)
        machine = machine_from_accelerator(accelerator)
        rows = []
        for network in networks:
            row: list[object] = [network.name, len(network.layers)]
            for engine in ENGINES:
                seconds, _, _ = median_time(functools.partial(
                    hwsim.simulate, network, accelerator, engine=engine), repeat, clear_caches)
                row.append(f"{seconds * 1e3:.0f}")
                if (engine == "analytic" and Path(network.path or "").stem == "sqnxt23v5"
                        and run_model is None):
                    run_model = seconds
            costs, plan = _costs(network, accelerator, None)
            items = schedule_items(network.layers, costs, plan.flows if plan else None)
            seconds, cpu, schedule = median_time(functools.partial(run_schedule, items, machine),
                                                 repeat)
            slowest_event = max(slowest_event, (seconds, f"{network.name} on {accelerator.name}"))
            row += [f"{seconds * 1e3:.1f}", f"{cpu * 1e3:.1f}", sum(item.num_tiles for item in items),
                    schedule.events]
            for engine in ENGINES:
                if args.no_process:
                    row.append("-")
                    continue
                seconds = process_time(Path(network.path or ""), accel, engine, repeat)
                row.append(f"{seconds * 1e3:.0f}")
                if (Path(network.path or "").stem == "sqnxt23v5" and engine == "analytic"
                        and run_time is None):
                    run_time = seconds
            rows.append(row)
        print(f"one simulation on {accelerator.name} ({accel}), median of {repeat}; "
              f"in-process with the cost caches cleared")
        print(format_table(["network", "layers", "analytic ms", "event ms", "event part ms",
                            "(CPU ms)", "tiles", "events", "run analytic ms", "run event ms"],
                           rows))
        print()
    verdict = "met" if slowest_event[0] < args.event_target_s else "MISSED"
    ok &= slowest_event[0] < args.event_target_s
    print(f"slowest event part (run_schedule): {slowest_event[0] * 1e3:.0f} ms, "
          f"{slowest_event[1]} (target < {args.event_target_s * 1e3:.0f} ms): {verdict}")
    if run_time is not None:
        verdict = "met" if run_time < args.run_target_s else "MISSED"
        ok &= run_time < args.run_target_s
        print(f"hwsim run sqnxt23v5 on the first accelerator (analytic, whole process): "
              f"{run_time * 1e3:.0f} ms (target < {args.run_target_s * 1e3:.0f} ms): {verdict}")
        if run_model is not None:
            print(f"  of which the cost model (in-process, cold caches) {run_model * 1e3:.0f} ms, "
                  f"the rest (start-up, imports, YAML, table) {(run_time - run_model) * 1e3:.0f} ms")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
