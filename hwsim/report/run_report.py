"""Reports of one simulation (``hwsim run``): per-layer table, summary, CSV and JSON.

The table fits a 100-120 column terminal: layer, type, MACs, the dataflow the layer ran in,
cycles, PE utilization, DRAM traffic, arithmetic intensity (MACs per DRAM byte), whether
the layer is compute- or memory-bound, and its energy. The summary gives the totals
(cycles, latency at the clock, energy and its breakdown), the first convolution's share of
time and energy, the slowest layers, and the assumptions the result depends on. CSV has one
row per layer with full-precision values and units in the column names; JSON is
:meth:`hwsim.result.SimulationResult.to_dict` (the documented contract).
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections import Counter
from pathlib import Path

from hwsim.hardware.accelerator import energy_unit_label
from hwsim.report.text import format_table, human, percent
from hwsim.result import (
    ENERGY_COMPONENTS,
    FLAT_COLUMNS,
    LAYER_COLUMN,
    TOTAL_COLUMN,
    Engine,
    LayerResult,
    SimulationResult,
)

NAME_WIDTH = 30
TABLE_HEADERS = ("layer", "type", "MACs", "dataflow", "cycles", "util", "DRAM B", "MAC/B",
                 "bound", "energy")


def _bytes(value: float) -> str:
    return human(value) if value else "0"


def layer_rows(result: SimulationResult) -> list[list[str]]:
    rows = []
    for r in result.layers:
        array = r.macs > 0
        rows.append([
            r.name, r.type, human(r.macs) if r.macs else "-", r.dataflow,
            human(r.cycles), percent(r.utilization) if array else "-",
            _bytes(r.dram_bytes), f"{r.arithmetic_intensity:.1f}" if array and r.dram_bytes else "-",
            r.bound if r.cycles else "-", human(r.energy.total),
        ])
        if result.accelerator.fusion.enabled:  # where the data came from and went
            rows[-1].extend(LAYER_COLUMN[c].get(r) for c in FUSION_COLUMNS[:2])
            saved = LAYER_COLUMN[FUSION_COLUMNS[2]].get(r)
            rows[-1].append(("-" + human(-saved)) if saved < 0 else _bytes(saved))
    return rows


#: The per-layer columns a fusing machine's table adds (see hwsim.result).
FUSION_COLUMNS = ("input_source", "output_destination", "fusion_saved_bytes")
FUSION_HEADERS = ("in", "out", "saved B")


def to_table(result: SimulationResult) -> str:
    """The per-layer table followed by the summary (lines wrapped at :data:`WIDTH`)."""
    headers: tuple[str, ...] = TABLE_HEADERS[:-1] + (
        f"energy ({energy_unit_label(result.energy_unit)})",)
    align = "llrlrrrrlr"
    if result.accelerator.fusion.enabled:
        headers += FUSION_HEADERS
        align += "llr"
    table = format_table(headers, layer_rows(result), align=align,
                         max_widths={0: NAME_WIDTH})
    assumptions = ["assumptions:"] + assumption_lines(result)
    return (table + "\n\n" + "\n".join(_wrap(assumptions)) + "\n\n"
            + "\n".join(_wrap(summary_lines(result))) + "\n")


WIDTH = 110


def _wrap(lines: list[str]) -> list[str]:
    """Wrap long summary lines, continuing under the text after the label."""
    out = []
    for line in lines:
        if len(line) <= WIDTH:
            out.append(line)
            continue
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if stripped.startswith("- "):
            hang = indent + 2
        else:
            label, _, rest = stripped.partition("  ")
            hang = indent + len(label) + 2 + (len(rest) - len(rest.lstrip())) if rest else indent + 4
        out.extend(textwrap.wrap(line, width=WIDTH, subsequent_indent=" " * hang,
                                 break_on_hyphens=False))
    return out


def first_conv(result: SimulationResult) -> LayerResult | None:
    for r in result.layers:
        if r.mac_class == "first_conv":
            return r
    return None


def assumption_lines(result: SimulationResult) -> list[str]:
    """What the numbers depend on: the machine's open choices and the engine's rules."""
    acc = result.accelerator
    lines: list[str] = []
    lines.extend(f"  - {a}" for a in acc.assumptions())
    if acc.fusion.enabled:
        lines.append("  - layers run one after another; fused element-wise layers run on their "
                     "producer's output tiles, kept tensors stay in the global buffer "
                     "(columns in / out)")
    else:
        lines.append("  - layers run one after another; each reads its inputs from DRAM and "
                     "writes its output back (no fusion across layers)")
    if result.engine == Engine.ANALYTIC:
        lines.append("  - analytic time: DRAM tiles, one load and one store each paying the DRAM "
                     "latency; double buffering hides all but the first load and the last store "
                     "(between max(compute, memory of its own transfers) and compute + memory per layer)")
    elif result.engine == Engine.EVENT and result.schedule is not None:
        machine = result.schedule.machine
        lines.append("  - event time: tiles through one in-order DMA channel (DRAM latency on "
                     "every transfer), the array and a "
                     f"{'double' if machine.double_buffering else 'single'}-buffered global buffer")
    lines.append("  - the next layer's weights are prefetched in idle channel time: "
                 f"{'on' if acc.buffer.weight_prefetch else 'off'}")
    return lines


def _fusion_lines(result: SimulationResult, unit: str) -> list[str]:
    """What fusion saved against the same machine without it, and what it decided."""
    def saved(name: str) -> float:
        return TOTAL_COLUMN[name].get(result)

    def share(value: float, key: str) -> str:
        base = result.unfused[key]
        return percent(value / base) if base else "0%"

    d, c, e = (saved("fusion_saved_dram_bytes"), saved("fusion_saved_cycles"),
               saved("fusion_saved_energy"))
    flows = [r.extra.get("fusion", {}) for r in result.layers]
    fused = sum(1 for f in flows if f.get("fused_into"))
    kept = sum(1 for f in flows if f.get("output_destination") == "glb")
    spilled = sum(1 for f in flows if f.get("spilled_bytes"))
    fallbacks = sum(1 for f in flows if f.get("pool_fallback"))
    return [f"  fusion saved DRAM {human(d, 2)}B ({share(d, 'dram_bytes')}), time "
            f"{human(c, 2)} cycles ({share(c, 'cycles')}), energy {human(e, 2)} {unit} "
            f"({share(e, 'energy')}) against the same machine without fusion",
            f"  fusion       {fused} layers fused into their producer, {kept} tensors kept "
            f"on chip, {spilled} spilled to DRAM, {fallbacks} poolings not fused (windows "
            "across row tiles)"]


def summary_lines(result: SimulationResult) -> list[str]:
    """Totals, the first conv's share and the slowest layers."""
    acc = result.accelerator
    energy = result.energy
    total_cycles = result.total_cycles
    lines = [
        f"{result.network.name} on {acc.name} (dataflow {result.dataflow}, "
        f"{result.engine} engine)",
        f"  total        {human(total_cycles, 2)} cycles = {result.latency_ms:.3f} ms at "
        f"{result.clock_mhz:g} MHz",
        f"  MACs         {human(result.total_macs, 2)} (performed: {human(result.effective_macs, 2)}); "
        f"PE utilization {percent(result.utilization)} (MAC-weighted)",
        f"  DRAM         {human(result.dram_bytes, 2)}B (read {human(result.dram_read_bytes, 2)}B, "
        f"write {human(result.dram_write_bytes, 2)}B)",
    ]
    total_e = energy.total
    parts = ", ".join(f"{c} {percent(getattr(energy, c) / total_e) if total_e else '0%'}"
                      for c in ENERGY_COMPONENTS)
    unit = energy_unit_label(result.energy_unit)
    lines.append(f"  energy       {human(total_e, 2)} {unit}: {parts}")
    if result.unfused:
        lines.extend(_fusion_lines(result, unit))
    fc = first_conv(result)
    if fc is not None and total_cycles:
        e_share = fc.energy.total / total_e if total_e else 0.0
        lines.append(f"  first conv   {fc.name}: {percent(fc.cycles / total_cycles)} of the time, "
                     f"{percent(e_share)} of the energy")
    slow = sorted(result.layers, key=lambda r: r.cycles, reverse=True)[:5]
    if total_cycles:
        lines.append("  slowest      " + ", ".join(
            f"{r.name} {human(r.cycles)} ({percent(r.cycles / total_cycles)}, {r.dataflow}"
            f"{', ' + r.bound + '-bound' if r.bound == 'memory' else ''})" for r in slow))
    modes = Counter(r.dataflow for r in result.layers if r.cycles)
    lines.append("  layers by mode  " + ", ".join(f"{m} {n}" for m, n in sorted(modes.items())))
    bound = sum(r.cycles for r in result.layers if r.bound == "memory" and r.cycles)
    if total_cycles:
        lines.append(f"  memory-bound layers take {percent(bound / total_cycles)} of the time")
    return lines


def to_csv(result: SimulationResult) -> str:
    """One row per layer (:meth:`hwsim.result.SimulationResult.flat_records`, columns
    :data:`hwsim.result.FLAT_COLUMNS`); energy columns are ``energy_<component>`` in the
    energy unit; the event engine's columns are empty for an analytic run."""
    out = io.StringIO()
    writer = csv.DictWriter(out, [c.name for c in FLAT_COLUMNS], lineterminator="\n")
    writer.writeheader()
    writer.writerows(result.flat_records())
    return out.getvalue()


def to_json(result: SimulationResult) -> str:
    return json.dumps(result.to_dict(), indent=2) + "\n"


def output_stem(result: SimulationResult) -> str:
    """``<network file stem>__<accelerator file stem>[__<dataflow>][__analytic]`` for output
    files (the default engine, event, adds nothing)."""
    net = Path(result.network.path).stem if result.network.path else result.network.name
    acc = Path(result.accelerator.path).stem if result.accelerator.path else result.accelerator.name
    stem = f"{net}__{acc}"
    if result.dataflow != result.accelerator.dataflow:
        stem += f"__{result.dataflow}"
    if result.engine != Engine.EVENT:
        stem += f"__{result.engine}"
    return stem.replace(" ", "_")


def write_outputs(result: SimulationResult, directory: str | Path) -> list[Path]:
    """Write ``<stem>.csv`` and ``<stem>.json`` into ``directory`` (created if needed)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = output_stem(result)
    paths = [directory / f"{stem}.csv", directory / f"{stem}.json"]
    paths[0].write_text(to_csv(result), encoding="utf-8")
    paths[1].write_text(to_json(result), encoding="utf-8")
    return paths


__all__ = ["to_table", "summary_lines", "to_csv", "to_json", "write_outputs", "layer_rows",
           "output_stem"]
