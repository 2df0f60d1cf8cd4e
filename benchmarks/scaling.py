"""How run time and memory grow with network depth, input resolution and array size.

Usage::

    python3 benchmarks/scaling.py [--depths 10,100,1000,10000] [--engine analytic]

* **depth**: generated networks of N 1x1 convolutions on a 14x14 map whose channel
  counts change from layer to layer, so no two layers share a shape and no cache helps;
  each is written as a YAML file and run in a fresh process (``load_network`` + ``simulate``),
  which prints its wall time and peak resident memory;
* **input resolution**: ``networks/sqnxt23v5.yaml`` at 56 to 448 pixels;
* **array size**: the same network on ``accelerators/ws_32x32.yaml`` with 8x8 to 128x128 PEs.

Each table ends with the fitted exponent b of time ~ size^b (least squares on the logs):
the issue asks for at most linear growth with depth (b <= 1) and bounded memory at 10,000
layers; an analytic model should barely feel resolution and array size. Results on stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ACCEL = ROOT / "accelerators" / "ws_32x32.yaml"


def deep_network(depth: int) -> dict:
    """``depth`` 1x1 convolutions, no two with the same (in, out) channels: the output
    channels step through 16 .. 10,022 in a fixed scrambled order (the same spread of layer
    sizes at every depth)."""
    layers = []
    for i in range(depth):
        out = 16 + (i * 7919) % 10007
        layers.append({"name": f"conv{i}", "type": "conv", "out_channels": out, "kernel": 1})
    return {"name": f"deep{depth}", "input": [16, 14, 14], "layers": layers}


def child(path: str, engine: str, input_size: str | None, array: int | None) -> None:
    """Load and simulate one network in this (fresh) process; print time and peak memory."""
    import hwsim

    start = time.perf_counter()
    network = hwsim.load_network(path, input_size=input_size)
    accelerator = hwsim.load_accelerator(ACCEL)
    if array:
        accelerator = accelerator.with_changes(**{"pe_array.rows": array,
                                                  "pe_array.cols": array})
    hwsim.simulate(network, accelerator, engine=engine)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mib": peak_kib / 1024}))


def measure(path: Path, engine: str, input_size: str | None = None,
            array: int | None = None) -> dict:
    cmd = [sys.executable, __file__, "--child", str(path), "--engine", engine]
    if input_size:
        cmd += ["--input-size", input_size]
    if array:
        cmd += ["--array", str(array)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out)


def exponent(sizes: list[float], times: list[float]) -> float:
    xs, ys = [math.log(s) for s in sizes], [math.log(t) for t in times]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return (sum((x - mx) * (y - my) for x, y in zip(xs, ys))
            / sum((x - mx) ** 2 for x in xs))


def table(title: str, unit: str, sizes: list[int], results: list[dict]) -> None:
    print(title)
    print(f"  {unit:>10}  {'seconds':>9}  {'peak MiB':>9}")
    for size, r in zip(sizes, results):
        print(f"  {size:>10,}  {r['seconds']:>9.3f}  {r['peak_mib']:>9.1f}")
    b = exponent(sizes, [r["seconds"] for r in results])
    print(f"  fitted exponent of time ~ {unit}^b: b = {b:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depths", default="10,100,1000,10000")
    parser.add_argument("--resolutions", default="56,112,224,448")
    parser.add_argument("--arrays", default="8,16,32,64,128")
    parser.add_argument("--engine", default="analytic", choices=("analytic", "event"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--input-size", help=argparse.SUPPRESS)
    parser.add_argument("--array", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.engine, args.input_size, args.array)
        return 0

    depths = [int(d) for d in args.depths.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for depth in depths:
            path = Path(tmp) / f"deep{depth}.yaml"
            path.write_text(yaml.safe_dump(deep_network(depth), sort_keys=False))
            results.append(measure(path, args.engine))
    table(f"depth: generated networks, distinct shapes, {args.engine} engine, {ACCEL.name}",
          "layers", depths, results)
    net = ROOT / "networks" / "sqnxt23v5.yaml"
    sizes = [int(s) for s in args.resolutions.split(",")]
    table("input resolution: sqnxt23v5", "pixels", sizes,
          [measure(net, args.engine, input_size=str(s)) for s in sizes])
    arrays = [int(a) for a in args.arrays.split(",")]
    table("array size: sqnxt23v5 on an NxN array", "N", arrays,
          [measure(net, args.engine, array=a) for a in arrays])
    return 0


if __name__ == "__main__":
    sys.exit(main())
