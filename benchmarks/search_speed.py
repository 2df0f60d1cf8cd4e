"""How fast is the DRAM tiling search, one machine at a time or many at once?

For the distinct layer shapes (conv, FC, pooling, element-wise) of the 13 bundled networks
of ``benchmarks/sweep_speed.py`` and B random machines (B = 1, 32, 256 by default), prints
the time per (layer, machine) of the scalar search (``hwsim.cost.dram_search.best_tiling``,
candidates cached beforehand, timed on at most ``--scalar-machines`` machines per layer:
its cost per machine does not depend on B) and of ``batch_best_tilings``
(``hwsim.cost.dram_batch``, all B machines in one call, the least of ``--repeat`` calls; its
per-candidate-set plan built beforehand; the build, paid once per shape and array
granularity, is printed apart),
the speed-up, how many machines the batch search handed to the scalar timing (ties near a
rounding boundary), and whether both picked the same candidate everywhere.

    python3 benchmarks/search_speed.py
    python3 benchmarks/search_speed.py --batches 32 --networks alexnet resnet50

Random machines: array granularity (k, p, c units) 16, 1, 16 with whole passes on output
and input channels; compute = MACs / PEs + setup with 64 to 1024 PEs, setup 0 to 100
cycles, latency 0 to 500 cycles, 1 to 64 bytes per cycle, 1 or 2 bytes per word, global
buffer 8 KiB to 2 MiB, double buffering on in three machines of four.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from sweep_speed import TARGET_NETWORKS  # noqa: E402

from hwsim.cost import dram_batch  # noqa: E402
from hwsim.cost.dram_batch import batch_best_tilings  # noqa: E402
from hwsim.cost.dram_batch_plan import build_plan, plan_of  # noqa: E402
from hwsim.cost.dram_candidates import candidates  # noqa: E402
from hwsim.cost.dram_search import best_tiling  # noqa: E402
from hwsim.cost.dram_tiles import NoTileFits  # noqa: E402
from hwsim.dataflow.base import ConvShape  # noqa: E402
from hwsim.inputs import load_network  # noqa: E402
from hwsim.workload import layer as L  # noqa: E402

UNITS = (16, 1, 16)
PASSES = (True, False, True)


def distinct_shapes(names: list[str]) -> list[ConvShape]:
    shapes: set[ConvShape] = set()
    for name in names:
        network = load_network(REPO / "networks" / f"{name}.yaml")
        shapes.update(ConvShape.from_layer(layer) for layer in network.layers
                      if layer.type in (L.CONV, L.FC, L.MAXPOOL, L.AVGPOOL, L.ADD))
    return sorted(shapes)


def machines(shape: ConvShape, count: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    setup = rng.integers(0, 101, count).astype(np.float64)
    pes = rng.integers(64, 1025, count)
    wb = rng.choice([1, 2], count)
    db = rng.random(count) < 0.75
    budget = rng.integers(8 * 1024, 2 * 1024 * 1024, count) // wb
    half = np.where(db, budget // 2, budget)
    return {"half": half, "whole": budget, "compute": np.ceil(shape.macs / pes) + setup,
            "setup": setup, "wb": wb, "latency": rng.integers(0, 501, count) * 1.0,
            "bw": rng.integers(1, 65, count) * 1.0, "db": db}


def scalar_choice(shape: ConvShape, m: dict[str, np.ndarray], i: int) -> tuple | None:
    try:
        t = best_tiling(shape, int(m["half"][i]), int(m["whole"][i]), *UNITS,
                        float(m["compute"][i]), float(m["setup"][i]), int(m["wb"][i]),
                        float(m["latency"][i]), float(m["bw"][i]), bool(m["db"][i]), None,
                        PASSES)
    except NoTileFits:
        return None
    return (t.order, t.kt, t.pt, t.ct)


def measure(shapes: list[ConvShape], batch: int, scalar_machines: int, seed: int,
            repeat: int) -> dict:
    rng = np.random.default_rng(seed)
    scalar_s = batch_s = 0.0
    scalar_n = mismatches = 0
    fallbacks: list[int] = []
    original = dram_batch._scalar_choice

    def counted(*args):  # the machines the batch search hands to the scalar timing
        fallbacks.append(1)
        return original(*args)

    dram_batch._scalar_choice = counted
    try:
        for shape in shapes:
            found = candidates(shape, *UNITS, None, PASSES)
            plan_of(found)
            m = machines(shape, batch, rng)
            spent = []
            for _ in range(repeat):  # the least of a few calls (the machine is shared)
                started = time.perf_counter()
                got = batch_best_tilings(found, m["half"], m["whole"], m["compute"],
                                         m["setup"], m["wb"], m["latency"], m["bw"], m["db"])
                spent.append(time.perf_counter() - started)
            batch_s += min(spent)
            timed = min(batch, scalar_machines)
            started = time.perf_counter()
            want = [scalar_choice(shape, m, i) for i in range(timed)]
            scalar_s += time.perf_counter() - started
            scalar_n += timed
            c = found.columns
            for i, w in enumerate(want):
                g = int(got[i])
                mine = None if g < 0 else ("p_outer" if c.kind[g] == 1 else "k_outer",
                                           int(c.kt[g]), int(c.pt[g]), int(c.ct[g]))
                mismatches += mine != w
    finally:
        dram_batch._scalar_choice = original
    return {"scalar_us": 1e6 * scalar_s / scalar_n,
            "batch_us": 1e6 * batch_s / (len(shapes) * batch),
            "fallbacks": len(fallbacks) // repeat,
            "checked": scalar_n, "mismatches": mismatches}


def arguments(doc: str, argv: list[str] | None) -> argparse.Namespace:
    """The options of this benchmark and of ``finish_speed.py`` (``doc``: its docstring)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="*", default=[1, 32, 256])
    parser.add_argument("--networks", nargs="*", default=list(TARGET_NETWORKS))
    parser.add_argument("--scalar-machines", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3,
                        help="batch calls per layer (the least is kept)")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def table(batches: list[int], measure_batch: Callable[[int], dict],
          extra: tuple[tuple[str, str, int], ...]) -> int:
    """Per batch size, a row of the scalar and batch times per (layer, machine), the
    speed-up and the ``extra`` columns (header, key of the result, width); returns the
    most of the last column (the count of wrong answers)."""
    print(f"{'B':>5} {'scalar us':>10} {'batch us':>9} {'speed-up':>8}"
          + "".join(f" {head:>{width}}" for head, _key, width in extra))
    worst = 0
    for batch in batches:
        r = measure_batch(batch)
        worst = max(worst, r[extra[-1][1]])
        print(f"{batch:>5} {r['scalar_us']:>10.1f} {r['batch_us']:>9.1f} "
              f"{r['scalar_us'] / r['batch_us']:>7.1f}x"
              + "".join(f" {r[key]:>{width}}" for _head, key, width in extra))
    return worst


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__ or "", argv)
    shapes = distinct_shapes(args.networks)
    for shape in shapes:  # candidates cached (the sweep meets each shape many times)
        candidates(shape, *UNITS, None, PASSES)
    count = sum(len(candidates(s, *UNITS, None, PASSES)) for s in shapes)
    started = time.perf_counter()
    for shape in shapes:
        build_plan(candidates(shape, *UNITS, None, PASSES))
    plan_ms = 1e3 * (time.perf_counter() - started) / len(shapes)
    print(f"{len(shapes)} distinct layers of {len(args.networks)} networks, "
          f"{count / len(shapes):.0f} candidates per layer on average; a candidate set's "
          f"plan takes {plan_ms:.1f} ms to build (once per shape and array granularity)")
    worst = table(args.batches, lambda batch: measure(shapes, batch, args.scalar_machines,
                                                      args.seed, args.repeat),
                  (("to scalar", "fallbacks", 9), ("checked", "checked", 8),
                   ("differ", "mismatches", 6)))
    print("times per (layer, machine); to scalar: machines whose tie near a rounding "
          "boundary the scalar timing settled; differ: choices unlike best_tiling's")
    return 1 if worst else 0


if __name__ == "__main__":
    raise SystemExit(main())
