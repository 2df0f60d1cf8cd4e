"""Energy of a network by component (MAC, RF, array, GLB, DRAM) on the study's three designs.

Prints, for SqueezeNet v1.0 by default, the energy split (Eyeriss units, millions of MACs) on
the WS-only (``ws_16x16``), OS-only (``os_16x16``) and hybrid (``squeezelerator_rf8``,
``squeezelerator``) designs, plus the hybrid with the single designs' 512 KiB global buffer
(the bundled hybrid has the stated 128 KB, which alone costs DRAM refetches), and for each
hybrid the layers it runs in WS with their energy in WS and in OS (the hybrid chooses by
time, not energy).

    python3 experiments/energy_split.py [network-stem]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import HYBRID, HYBRID_RF8, Study  # noqa: E402

import hwsim  # noqa: E402

COMPONENTS = ("mac", "rf", "array", "glb", "dram")
DESIGNS = ("ws_16x16", "os_16x16", HYBRID_RF8, HYBRID)
SINGLE_DESIGN_BUFFER_KIB = 512   # ws_32x32.yaml, the base of ws_16x16 and os_16x16


def split(result) -> dict[str, float]:
    """{component: energy, 'total': sum, 'cycles': total cycles} of one simulation."""
    e = result.energy
    row = {c: getattr(e, c) for c in COMPONENTS}
    row["total"] = e.total
    row["cycles"] = result.total_cycles
    return row


def runs(study: Study, network: str) -> dict[str, object]:
    """label -> simulation result: the bundled designs and the hybrid at 512 KiB."""
    out: dict[str, object] = {stem: study.simulate(network, stem) for stem in DESIGNS}
    big = study.accelerator(HYBRID_RF8).with_changes(
        **{"buffer.global_kib": SINGLE_DESIGN_BUFFER_KIB})
    out[f"{HYBRID_RF8} @{SINGLE_DESIGN_BUFFER_KIB}K"] = hwsim.simulate(study.network(network), big)
    return out


def ws_layers_of_hybrid(hybrid, os_only) -> list[tuple[str, float, float]]:
    """(layer, energy in WS as the hybrid ran it, energy of the same layer in OS-only)."""
    os_energy = {layer.name: layer.energy.total for layer in os_only.layers}
    return [(layer.name, layer.energy.total, os_energy[layer.name])
            for layer in hybrid.layers if layer.dataflow == "ws"]


def main(argv: list[str]) -> int:
    network = argv[0] if argv else "squeezenet_v1.0"
    study = Study()
    results = runs(study, network)
    print(f"{network}: energy in millions of MAC-equivalents (Eyeriss units)")
    print(f"{'design':30s}" + "".join(f"{c:>9s}" for c in COMPONENTS + ("total",))
          + f"{'on-chip %':>10s}{'Mcycles':>9s}")
    for label, result in results.items():
        row = split(result)
        on_chip = 100 * (row["total"] - row["dram"]) / row["total"]
        print(f"{label:30s}" + "".join(f"{row[c] / 1e6:9.1f}" for c in COMPONENTS + ("total",))
              + f"{on_chip:10.1f}{row['cycles'] / 1e6:9.3f}")
    label = f"{HYBRID_RF8} @{SINGLE_DESIGN_BUFFER_KIB}K"
    layers = ws_layers_of_hybrid(results[label], results["os_16x16"])
    ws_sum, os_sum = sum(w for _, w, _ in layers), sum(o for _, _, o in layers)
    print(f"\n{label}: {len(layers)} layers run in WS (faster there): "
          f"{ws_sum / 1e6:.1f} M in WS, {os_sum / 1e6:.1f} M for the same layers in OS-only")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
