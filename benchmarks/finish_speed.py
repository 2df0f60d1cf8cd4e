"""How fast is the timing stage of a chosen DRAM tiling, one machine at a time or many?

For the distinct layer shapes of the 13 bundled networks of ``benchmarks/sweep_speed.py``
and B random machines (B = 1, 32, 256 by default; those of ``benchmarks/search_speed.py``,
with a write-back of 0 to 1/8 of the compute), each machine's tiling chosen by
``batch_best_tilings``, prints the time per (layer, machine) of the scalar stage
(``found.tiling(index)`` then ``hwsim.cost.model.finish_tiles``, what a sweep row pays after
the batch search; timed on at most ``--scalar-machines`` machines per layer) and of
``hwsim.cost.dram_batch_finish.batch_finish`` (all B machines in one call; both the least
of ``--repeat`` runs; the candidate set's plan built beforehand, by the search), the speed-up,
and how many machines' fields differ (compute, write-back, memory, fill, drain exactly;
cycles beyond 1e-12 relative).

    python3 benchmarks/finish_speed.py
    python3 benchmarks/finish_speed.py --batches 32 --networks alexnet resnet50
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from search_speed import PASSES, UNITS, arguments, distinct_shapes, machines, table  # noqa: E402

from hwsim.config.accelerator_file import load_accelerator  # noqa: E402
from hwsim.cost.dram_batch import batch_best_tilings  # noqa: E402
from hwsim.cost.dram_batch_finish import Finish, batch_finish  # noqa: E402
from hwsim.cost.dram_candidates import candidates  # noqa: E402
from hwsim.cost.model import Finished, finish_tiles  # noqa: E402
from hwsim.dataflow.base import ConvShape, MachineParams  # noqa: E402

BASE = MachineParams.from_accelerator(load_accelerator(REPO / "accelerators" / "ws_32x32.yaml"))


def chosen(shape: ConvShape, batch: int, rng: np.random.Generator) -> tuple:
    """The candidate set, random machines that fit, their choices and arguments."""
    found = candidates(shape, *UNITS, None, PASSES)
    m = machines(shape, batch, rng)
    index = batch_best_tilings(found, m["half"], m["whole"], m["compute"], m["setup"],
                               m["wb"], m["latency"], m["bw"], m["db"])
    keep = index >= 0
    compute = m["compute"].astype(np.int64)[keep]
    setup = m["setup"].astype(np.int64)[keep]
    writeback = (rng.integers(0, 2, len(compute)) * (compute - setup)
                 // rng.integers(8, 64, len(compute)))
    args = (index[keep], compute, writeback, setup, m["wb"][keep],
            m["latency"].astype(np.int64)[keep], m["bw"][keep], m["db"][keep])
    return found, args


def differs(got: Finish, b: int, want: Finished) -> bool:
    exact = (int(got.compute[b]), int(got.writeback[b]), float(got.memory[b]),
             float(got.fill[b]), float(got.drain[b])) == (
        want.compute, want.writeback, want.memory, want.fill, want.drain)
    return not exact or abs(float(got.cycles[b]) - want.cycles) > 1e-12 * want.cycles


def measure(shapes: list[ConvShape], batch: int, scalar_machines: int, seed: int,
            repeat: int) -> dict:
    rng = np.random.default_rng(seed)
    scalar_s = batch_s = 0.0
    scalar_n = batch_n = wrong = 0
    for shape in shapes:
        found, args = chosen(shape, batch, rng)
        if not len(args[0]):
            continue
        spent = []
        for _ in range(repeat):  # the least of a few calls (the machine is shared)
            started = time.perf_counter()
            got = batch_finish(found, *args)
            spent.append(time.perf_counter() - started)
        batch_s += min(spent)
        batch_n += len(args[0])
        timed = min(len(args[0]), scalar_machines)
        ms = [BASE._replace(word_bytes=int(args[4][b]), dram_latency_cycles=int(args[5][b]),
                            dram_bytes_per_cycle=float(args[6][b]),
                            double_buffering=bool(args[7][b])) for b in range(timed)]
        rows = [(int(args[0][b]), int(args[1][b]), int(args[2][b]), int(args[3][b]))
                for b in range(timed)]
        spent = []
        for _ in range(repeat):
            started = time.perf_counter()
            want = [finish_tiles(found.tiling(i), m, c, w, s)
                    for m, (i, c, w, s) in zip(ms, rows)]
            spent.append(time.perf_counter() - started)
        scalar_s += min(spent)
        scalar_n += timed
        wrong += sum(differs(got, b, f) for b, f in enumerate(want))
    return {"scalar_us": 1e6 * scalar_s / scalar_n, "batch_us": 1e6 * batch_s / batch_n,
            "checked": scalar_n, "wrong": wrong}


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__ or "", argv)
    shapes = distinct_shapes(args.networks)
    print(f"{len(shapes)} distinct layers of {len(args.networks)} networks")
    worst = table(args.batches, lambda batch: measure(shapes, batch, args.scalar_machines,
                                                      args.seed, args.repeat),
                  (("checked", "checked", 8), ("differ", "wrong", 6)))
    print("times per (layer, machine); differ: machines whose fields are not finish_tiles'")
    return 1 if worst else 0


if __name__ == "__main__":
    raise SystemExit(main())
