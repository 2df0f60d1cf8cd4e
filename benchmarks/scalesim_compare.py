"""Side by side: hwsim's systolic model and SCALE-Sim 3.0.0 on the same layers.

Installs nothing. When the ``scalesim`` package is importable (it needs ``numpy<2.4``, so
keep it in its own virtual environment) this runs SCALE-Sim and hwsim on each layer and
dataflow and prints both compute-cycle counts (SCALE-Sim's ``Total Cycles``) and both wall
times; without it, it prints hwsim's side only. Set up and run (see benchmarks/README.md)::

    python3 -m venv /work/scalesim-venv
    /work/scalesim-venv/bin/pip install scalesim==3.0.0 'numpy<2.4' pyyaml
    PYTHONPATH=. /work/scalesim-venv/bin/python benchmarks/scalesim_compare.py

SCALE-Sim runs in its estimate-bandwidth mode (``InterfaceBandwidth: CALC``) with 6 MiB per
SRAM, so it reports no stall cycles and its ``Total Cycles`` is the array's compute time.
SCALE-Sim has no padding: a padded layer is given to it with the padded ifmap size, which
is the layer hwsim simulates (see the README, "hwsim and SCALE-Sim"). A layer whose name contains ``DP``
is expanded by SCALE-Sim into one layer per channel; its cycles are summed here.

Exit status: 0 when every compared count agrees, 1 otherwise, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from hwsim.dataflow.systolic import (  # noqa: E402 (after the sys.path line)
    DATAFLOWS,
    GemmShape,
    conv_gemm,
    layer_gemm,
    systolic_cost,
)


@dataclass(frozen=True)
class Case:
    """One layer two ways: the GEMM hwsim simulates and the topology rows SCALE-Sim is given.

    SCALE-Sim's ``Total Cycles`` of all the rows it makes of ``topology_rows`` are summed
    (several rows for grouped layers, a ``DP`` row expands to one layer per channel).
    """

    name: str
    gemm: GemmShape
    topology_rows: tuple[str, ...]


def _row(name: str, h: int, w: int, r: int, s: int, c: int, k: int, stride: int) -> str:
    return f"{name}, {h}, {w}, {r}, {s}, {c}, {k}, {stride},"


def _safe_name(name: str, depthwise: bool) -> str:
    """A topology-safe layer name; only depthwise layers may contain SCALE-Sim's 'DP'."""
    clean = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in name)
    clean = clean.replace("DP", "Dp")
    return f"DP_{clean}" if depthwise else clean


def conv_case(name: str, ifmap_h: int, ifmap_w: int, filter_h: int, filter_w: int,
              channels: int, num_filters: int, stride: int, padding: int = 0,
              depthwise: bool = False) -> Case:
    """A convolution given SCALE-Sim-style; SCALE-Sim gets the padded ifmap."""
    groups = channels if depthwise else 1
    gemm = conv_gemm(ifmap_h, ifmap_w, filter_h, filter_w, channels, num_filters, stride,
                     padding=padding, groups=groups)
    row = _row(_safe_name(name, depthwise), ifmap_h + 2 * padding, ifmap_w + 2 * padding,
               filter_h, filter_w, channels, num_filters // groups, stride)
    return Case(name, gemm, (row,))


def layer_case(layer) -> Case | str:
    """An hwsim network layer as a Case, or the reason SCALE-Sim cannot express it."""
    gemm = layer_gemm(layer)
    if layer.type == "fc":
        return Case(layer.name, gemm, (_row(_safe_name(layer.name, False), 1, 1, 1, 1,
                                            layer.in_channels, layer.out_channels, 1),))
    (sh, sw), (r, s) = layer.stride, layer.kernel
    if sh != sw:
        return f"stride {sh}x{sw}: SCALE-Sim has one stride"
    if layer.dilation != (1, 1):
        return "dilated: SCALE-Sim has no dilation"
    top, bottom, left, right = layer.padding
    h, w = layer.in_shape.height + top + bottom, layer.in_shape.width + left + right
    if ((h - r) // sh + 1, (w - s) // sw + 1) != (layer.out_shape.height, layer.out_shape.width):
        return "output size differs from SCALE-Sim's on the padded ifmap"
    g = layer.groups
    c_per_group, k_per_group = layer.in_channels // g, layer.out_channels // g
    if layer.is_depthwise:
        rows = (_row(_safe_name(layer.name, True), h, w, r, s, layer.in_channels,
                     k_per_group, sh),)
    else:  # SCALE-Sim has no groups: one identical row per group
        rows = tuple(_row(_safe_name(f"{layer.name}_g{i}", False), h, w, r, s, c_per_group,
                          k_per_group, sh) for i in range(g))
    return Case(layer.name, gemm, rows)


# The issue's acceptance layers (AlexNet conv1, SqueezeNet v1.0 fire2, a MobileNet pointwise
# layer) and, optionally, a MobileNet depthwise layer.
LAYERS = (
    conv_case("alexnet_conv1", 227, 227, 11, 11, 3, 96, 4),
    conv_case("fire2_squeeze1x1", 55, 55, 1, 1, 96, 16, 1),
    conv_case("fire2_expand1x1", 55, 55, 1, 1, 16, 64, 1),
    conv_case("fire2_expand3x3", 55, 55, 3, 3, 16, 64, 1, padding=1),
    conv_case("mobilenet_pw_14x14x512", 14, 14, 1, 1, 512, 512, 1),
)
DEPTHWISE = conv_case("mobilenet_dw_14x14x512", 14, 14, 3, 3, 512, 512, 1, padding=1,
                      depthwise=True)
# Tiny layers for small arrays (the unit tests' hand calculations).
TINY = (
    conv_case("tiny_4x4_k2_f3", 4, 4, 2, 2, 1, 3, 1),
    conv_case("tiny_5x5_k3_c2_f5_s2", 5, 5, 3, 3, 2, 5, 2),
    conv_case("tiny_fc_10_7", 1, 1, 1, 1, 10, 7, 1),
)

CONFIG = """[general]
run_name = run

[architecture_presets]
ArrayHeight: {rows}
ArrayWidth: {cols}
IfmapSramSzkB: 6144
FilterSramSzkB: 6144
OfmapSramSzkB: 6144
IfmapOffset: 0
FilterOffset: 10000000
OfmapOffset: 20000000
Dataflow: {dataflow}
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
FilterCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 1
IfmapSRAMBankPort: 2
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 1
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport: false
SparseRep: ellpack_block
OptimizedMapping: false
BlockSize: 8
RandomNumberGeneratorSeed: 40

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""
TOPOLOGY_HEADER = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, "
                   "Channels, Num Filter, Strides,\n")


@dataclass(frozen=True)
class ScaleSimResult:
    total_cycles: int
    stall_cycles: int
    mapping_efficiency: float   # fraction, averaged over the rows of a DP expansion
    sram_reads: tuple[int, int, int]  # ifmap reads, filter reads, ofmap writes
    wall_s: float


def run_scalesim(case: Case, rows: int, cols: int, dataflow: str) -> ScaleSimResult:
    """Run SCALE-Sim on one case in a scratch directory; sum the rows it reports."""
    from scalesim.scale_sim import scalesim

    with tempfile.TemporaryDirectory(prefix="hwsim-scalesim-") as tmp:
        tmpdir = Path(tmp)
        (tmpdir / "topo.csv").write_text(TOPOLOGY_HEADER + "\n".join(case.topology_rows) + "\n")
        (tmpdir / "layout.csv").write_text("Layer name,\n")
        (tmpdir / "scale.cfg").write_text(CONFIG.format(rows=rows, cols=cols, dataflow=dataflow))
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            sim = scalesim(save_disk_space=True, verbose=False,
                           config=str(tmpdir / "scale.cfg"),
                           topology=str(tmpdir / "topo.csv"),
                           layout=str(tmpdir / "layout.csv"))
            sim.run_scale(top_path=str(tmpdir / "out"))
        wall = time.perf_counter() - start
        compute = _read_report(tmpdir / "out" / "run" / "COMPUTE_REPORT.csv")
        detail = _read_report(tmpdir / "out" / "run" / "DETAILED_ACCESS_REPORT.csv")
    return ScaleSimResult(
        total_cycles=sum(int(r["Total Cycles"]) for r in compute),
        stall_cycles=sum(int(r["Stall Cycles"]) for r in compute),
        mapping_efficiency=sum(float(r["Mapping Efficiency %"]) for r in compute)
        / (100 * len(compute)),
        sram_reads=tuple(sum(int(r[key]) for r in detail) for key in
                         ("SRAM IFMAP Reads", "SRAM Filter Reads", "SRAM OFMAP Writes")),
        wall_s=wall)


def _read_report(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as f:
        rows = [[cell.strip() for cell in row] for row in csv.reader(f)]
    header = rows[0]
    return [dict(zip(header, row)) for row in rows[1:] if row]


def hwsim_side(case: Case, rows: int, cols: int, dataflow: str, repeat: int = 2000):
    """hwsim's cost and its wall time per call (mean over ``repeat`` calls)."""
    start = time.perf_counter()
    for _ in range(repeat):
        cost = systolic_cost(case.gemm, rows, cols, dataflow)
    return cost, (time.perf_counter() - start) / repeat


def scalesim_ofmap_writes(cost) -> int:
    """SCALE-Sim 3.0.0's OS ofmap write count: + (Ar + Ac) per fold (its bookkeeping slip)."""
    if cost.dataflow == "os":
        return cost.ofmap_sram_writes + cost.folds * (cost.array_rows + cost.array_cols)
    return cost.ofmap_sram_writes


def _array(text: str) -> tuple[int, int]:
    try:
        rows, cols = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"array must look like 32x32, got {text!r}") from None
    if rows <= 0 or cols <= 0:
        raise argparse.ArgumentTypeError(f"array dimensions must be positive, got {text!r}")
    return rows, cols


def _network_cases(path: str) -> tuple[str, list[Case]]:
    from hwsim.inputs import load_network

    net = load_network(path)
    cases = []
    for layer in net:
        if layer.type not in ("conv", "fc"):
            continue
        case = layer_case(layer)
        if isinstance(case, str):
            print(f"skipped {layer.name}: {case}", file=sys.stderr)
        else:
            cases.append(case)
    return net.name, cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--array", type=_array, default=(32, 32), help="rows x cols (32x32)")
    parser.add_argument("--dataflows", default="ws,os,is", help="comma-separated (ws,os,is)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--depthwise", action="store_true",
                       help="also run a MobileNet depthwise layer (SCALE-Sim 'DP' expansion)")
    which.add_argument("--tiny", action="store_true",
                       help="run the tiny hand-calculation layers instead")
    which.add_argument("--network", metavar="YAML",
                       help="run every conv and fc layer of an hwsim network file instead")
    args = parser.parse_args(argv)
    dataflows = [d.strip() for d in args.dataflows.split(",") if d.strip()]
    bad = [d for d in dataflows if d not in DATAFLOWS]
    if bad:
        parser.error(f"unknown dataflow(s) {', '.join(bad)} (accepted: {', '.join(DATAFLOWS)})")
    title = "layers"
    if args.network:
        from hwsim.errors import InputError

        try:
            title, cases = _network_cases(args.network)
        except InputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    else:
        cases = list(TINY if args.tiny else LAYERS) + ([DEPTHWISE] if args.depthwise else [])
    rows, cols = args.array

    try:
        import scalesim  # noqa: F401
        have_scalesim = True
    except ImportError:
        have_scalesim = False
        print("scalesim is not importable: printing hwsim's side only "
              "(see benchmarks/README.md to set it up)", file=sys.stderr)

    print(f"{title} on a {rows}x{cols} array: SCALE-Sim 3.0.0 Total Cycles vs hwsim "
          "compute_cycles")
    width = max(24, *(len(c.name) for c in cases))
    head = (f"{'layer':<{width}} {'df':<3} {'scalesim_cycles':>15} {'hwsim_cycles':>12} "
            f"{'match':>5} {'scalesim_wall_s':>15} {'hwsim_wall_us':>13} {'stalls':>6} "
            f"{'sram':>5} {'map_eff':>7}")
    print(head)
    print("-" * len(head))
    all_ok = True
    total_scalesim_s = 0.0
    for dataflow in dataflows:
        sums = [0, 0, 0.0, 0.0]  # scalesim cycles, hwsim cycles, scalesim s, hwsim s
        for case in cases:
            cost, hwsim_s = hwsim_side(case, rows, cols, dataflow)
            sums[1] += cost.compute_cycles
            sums[3] += hwsim_s
            if not have_scalesim:
                print(f"{case.name:<{width}} {dataflow:<3} {'-':>15} {cost.compute_cycles:>12} "
                      f"{'-':>5} {'-':>15} {hwsim_s * 1e6:>13.2f}", flush=True)
                continue
            ref = run_scalesim(case, rows, cols, dataflow)
            sums[0] += ref.total_cycles
            sums[2] += ref.wall_s
            total_scalesim_s += ref.wall_s
            match = ref.total_cycles == cost.compute_cycles
            sram_ok = ref.sram_reads == (cost.ifmap_sram_reads, cost.filter_sram_reads,
                                         scalesim_ofmap_writes(cost))
            eff_ok = abs(ref.mapping_efficiency - cost.mapping_efficiency) < 1e-9
            all_ok &= match and sram_ok and eff_ok and ref.stall_cycles == 0
            print(f"{case.name:<{width}} {dataflow:<3} {ref.total_cycles:>15} "
                  f"{cost.compute_cycles:>12} {'yes' if match else 'NO':>5} "
                  f"{ref.wall_s:>15.2f} {hwsim_s * 1e6:>13.2f} {ref.stall_cycles:>6} "
                  f"{'yes' if sram_ok else 'NO':>5} {'yes' if eff_ok else 'NO':>7}",
                  flush=True)
        if args.network:
            scalesim_cycles = str(sums[0]) if have_scalesim else "-"
            scalesim_wall = f"{sums[2]:.2f}" if have_scalesim else "-"
            match = "yes" if sums[0] == sums[1] else "NO"
            print(f"{'TOTAL':<{width}} {dataflow:<3} {scalesim_cycles:>15} {sums[1]:>12} "
                  f"{match if have_scalesim else '-':>5} {scalesim_wall:>15} "
                  f"{sums[3] * 1e6:>13.2f}", flush=True)
    if have_scalesim:
        print(f"\nSCALE-Sim wall time, all runs: {total_scalesim_s:.1f} s; "
              f"every count agrees: {'yes' if all_ok else 'NO'}")
        print("stalls: SCALE-Sim Stall Cycles; sram: SRAM ifmap and filter reads and ofmap "
              "writes agree (OS: SCALE-Sim adds Ar+Ac writes per fold); map_eff: Mapping "
              "Efficiency agrees")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
