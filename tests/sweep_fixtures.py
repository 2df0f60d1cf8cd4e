"""Shared helpers for the sweep tests: a small accelerator file, a sweep file, and stub
evaluators whose metrics are simple functions of the configuration (so tests can state the
expected values by hand, independently of the real cost model)."""

from __future__ import annotations

from pathlib import Path

import yaml

from hwsim.sweep.tasks import Outcome, Task

ACCELERATOR = {
    "name": "toy",
    "pe_array": {"rows": 16, "cols": 16, "rf_entries": 8},
    "glb": {"size_kib": 128},
    "dram": {"bandwidth_gb_per_s": 16},
}


def write_files(tmp_path: Path, axes: list, *, networks=("a", "b"), extra: dict | None = None,
                sweep_dir: str = "sweeps") -> Path:
    """accelerators/toy.yaml, networks/<n>.yaml and sweeps/s.yaml under tmp_path; returns the
    sweep file. Paths in the sweep file are relative to it."""
    (tmp_path / "accelerators").mkdir(exist_ok=True)
    (tmp_path / "accelerators" / "toy.yaml").write_text(yaml.safe_dump(ACCELERATOR))
    (tmp_path / "networks").mkdir(exist_ok=True)
    for net in networks:
        (tmp_path / "networks" / f"{net}.yaml").write_text(
            f"name: {net}\ninput: [3, 8, 8]\n"
            "layers:\n  - {type: conv, out_channels: 4, kernel: 3}\n")
    (tmp_path / sweep_dir).mkdir(exist_ok=True)
    spec = {"name": "toy-sweep", "accelerator": "../accelerators/toy.yaml",
            "networks": [f"../networks/{n}.yaml" for n in networks], "axes": axes}
    spec.update(extra or {})
    path = tmp_path / sweep_dir / "s.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def stub_evaluate(task: Task) -> list[Outcome]:
    """Cycles = 1e6 / (rows * cols) * (network number), energy = glb_kib + rows; a 'glb' of
    64 KiB with a 32-row array is 'invalid' (a stand-in for a buffer too small for a tile)."""
    values = dict(task.config.values)
    rows = values.get("array", 16)
    glb = values.get("glb_kib", 128)
    out = []
    for net in task.networks:
        if net.data is None or net.data.get("name") != net.label:  # the YAML travels with it
            out.append(Outcome(net.label, "internal", error="network data missing"))
            continue
        if rows == 32 and glb == 64:
            out.append(Outcome(net.label, "invalid", error=f"glb: {glb} KiB is too small\n"
                                                           "for a 32x32 tile"))
            continue
        scale = 1 + ord(net.label[0]) - ord("a")
        cycles = 1_000_000 // (rows * rows) * scale
        out.append(Outcome(net.label, metrics={
            "total_cycles": cycles, "latency_ms": cycles / 1e6, "energy_total": float(glb + rows),
            "area_pes": rows * rows, "area_buffer_bytes": glb * 1024}))
    return out


CALLS: list[str] = []


def counting_evaluate(task: Task) -> list[Outcome]:
    """stub_evaluate, recording which (config, network) pairs were evaluated (jobs=1 only)."""
    CALLS.extend(f"{task.config.key}/{n.label}" for n in task.networks)
    return stub_evaluate(task)


def crashing_evaluate(task: Task) -> list[Outcome]:
    """Raises on the 8x8 arrays: an internal error the runner must record and retry later."""
    if dict(task.config.values).get("array") == 8:
        raise RuntimeError("boom")
    return stub_evaluate(task)


# A real network and accelerator (for tests that run the cost model through a sweep).
TINY_NETWORK = """\
name: tiny
input: [3, 16, 16]
layers:
  - {name: conv1, type: conv, out_channels: 8, kernel: 3, padding: 1}
  - {name: conv2, type: conv, out_channels: 16, kernel: 1}
"""
SMALL_ACCELERATOR = """\
name: small
dataflow: ws
pe_array: {rows: 16, cols: 16, rf_entries_per_pe: 8}
buffer: {global_kib: 128, preload_kib: 8, broadcast_kib: 8}
"""


def write_real_sweep(tmp_path: Path, axes: list, networks: list | None = None) -> Path:
    """small.yaml (a real accelerator), tiny.yaml (a real network) and s.yaml (the sweep)."""
    (tmp_path / "tiny.yaml").write_text(TINY_NETWORK)
    (tmp_path / "small.yaml").write_text(SMALL_ACCELERATOR)
    spec = {"accelerator": "small.yaml", "networks": networks or ["tiny.yaml"], "axes": axes}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path
