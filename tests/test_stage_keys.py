"""The cost model's stages and what each is keyed on (issue 17: count first, price second).

* The mapping stage (``model.array_plan``) is cached on the machine with
  ``MAPPING_FREE_FIELDS`` cleared, so machines that differ only in the DRAM side or the
  tiling budget share it. A key that is too small gives wrong answers silently, so the
  mapping of every dataflow is run on a machine that records which fields are read, on
  layers of every kind of the bundled networks, and must read none of the cleared fields.
* The timing stage computes a layer's time in closed form over its tiling's segments
  (``timing.tiling_timing``) and builds the tile runs only when they are read: its totals
  must equal the reference, :func:`~hwsim.cost.timing.layer_timing` over the runs
  :func:`~hwsim.cost.dram_tiles.tile_runs_of` builds, and an analytic run of a network
  without weight prefetch must build no runs at all.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

import hwsim
from hwsim.cost import model
from hwsim.cost.dram_tiles import tile_runs_of
from hwsim.cost.tiles import LazyRuns
from hwsim.cost.timing import Timing, layer_timing
from hwsim.dataflow.base import ConvShape, MachineParams
from hwsim.dataflow.registry import registered_dataflows
from hwsim.inputs import load_network

ROOT = Path(__file__).resolve().parent.parent
NETWORKS = ("squeezenet_v1.0", "sqnxt23v5", "mobilenet_v1", "resnet50", "shufflenet_v1",
            "alexnet")
ACCELERATORS = ("ws_32x32", "os_16x16", "squeezelerator", "scalesim_os_32x32")


class Recording(MachineParams):
    """A machine that notes the name of every field read from it."""

    reads: set[str] = set()

    def __getattribute__(self, name: str) -> Any:
        if name in MachineParams._fields:
            Recording.reads.add(name)
        return super().__getattribute__(name)


def _machines() -> list[MachineParams]:
    return [MachineParams.from_accelerator(hwsim.load_accelerator(ROOT / "accelerators"
                                                                  / f"{a}.yaml"))
            for a in ACCELERATORS]


def _shapes() -> list[tuple[ConvShape, int]]:
    seen: dict[tuple[ConvShape, int], None] = {}
    for name in NETWORKS:
        for layer in load_network(ROOT / "networks" / f"{name}.yaml").layers:
            if model.layer_kind(layer) == model.ARRAY:
                seen[(ConvShape.from_layer(layer), layer.vector_ops)] = None
    return list(seen)


def test_the_mapping_stage_reads_no_field_its_key_clears():
    shapes = _shapes()
    assert len(shapes) > 100
    Recording.reads = set()
    for m in _machines():
        recording = Recording(*m)
        for dataflow in registered_dataflows(m.microarchitecture):
            if dataflow == "hybrid":
                continue
            for shape, ops in shapes:  # the stage itself, uncached
                model._array_plan.__wrapped__(shape, ops, recording, dataflow)
    assert {"rows", "cols"} <= Recording.reads  # the recording sees the reads
    assert not Recording.reads & set(model.MAPPING_FREE_FIELDS)


def test_machines_differing_only_in_cleared_fields_share_the_mapping_and_not_the_tiling():
    model.clear_caches()
    m = _machines()[0]
    other = m._replace(tile_budget_bytes=m.tile_budget_bytes // 4, dram_latency_cycles=7,
                       dram_bytes_per_cycle=3.0)
    shape, ops = _shapes()[3]
    a = model.array_plan(shape, ops, m, "ws")
    b = model.array_plan(shape, ops, other, "ws")
    assert a is b
    assert model._array_plan.cache_info().misses == 1
    slow = model._array_cost(shape, ops, m, "ws"), model._array_cost(shape, ops, other, "ws")
    assert slow[0].mapping == slow[1].mapping
    assert slow[0].cycles != slow[1].cycles  # the DRAM side still changes the time


@pytest.mark.parametrize("accel", ACCELERATORS)
def test_closed_form_timing_equals_the_runs_it_would_build(accel):
    m = _machines()[ACCELERATORS.index(accel)]
    checked = 0
    for double_buffering in (True, False):
        machine = m._replace(double_buffering=double_buffering)
        timing = Timing.from_machine(machine)
        for shape, ops in _shapes():
            for dataflow in registered_dataflows(m.microarchitecture):
                if dataflow == "hybrid":
                    continue
                plan = model.array_plan(shape, ops, machine, dataflow)
                mp = plan.mapping
                t = model.search_tiles(shape, machine, mp.k_unit, mp.p_unit, mp.c_unit,
                                       plan.compute, machine.layer_setup_cycles, None,
                                       mp.whole_passes)
                f = model.finish_tiles(t, machine, plan.compute, mp.writeback_cycles,
                                       machine.layer_setup_cycles)
                runs = tile_runs_of(t, f.compute, f.writeback, machine.layer_setup_cycles,
                                    machine.word_bytes, t.footprint_words * machine.word_bytes)
                memory, cycles, fill, drain = layer_timing(runs, timing)
                assert f.memory == memory and f.fill == fill and f.drain == drain
                assert math.isclose(f.cycles, cycles, rel_tol=1e-12)
                assert tuple(f.tiles) == runs
                checked += 1
    assert checked > 200


def test_an_analytic_run_builds_no_tile_runs(monkeypatch):
    built: list[int] = []
    original = LazyRuns.runs.fget
    assert original is not None

    def counting(self: LazyRuns) -> Any:
        built.append(1)
        return original(self)

    model.clear_caches()
    monkeypatch.setattr(LazyRuns, "runs", property(counting))
    acc = hwsim.load_accelerator(ROOT / "accelerators" / "ws_32x32.yaml")
    assert not acc.buffer.weight_prefetch
    net = load_network(ROOT / "networks" / "sqnxt23v5.yaml")
    result = hwsim.simulate(net, acc, engine="analytic")
    assert result.total_cycles > 0 and not built
    hwsim.simulate(net, acc, engine="event")
    assert built  # the event engine plays the runs


def test_an_energy_table_change_reprices_without_recounting():
    # count first, price second: the machine the counts are keyed on excludes the energy
    # table, so a second run differing only in prices recounts nothing and its energy is
    # the same counts times the new prices (DRAM words at 400 instead of 200 per word)
    import dataclasses

    model.clear_caches()
    acc = hwsim.load_accelerator(ROOT / "accelerators" / "ws_32x32.yaml")
    net = load_network(ROOT / "networks" / "squeezenet_v1.0.yaml")
    first = hwsim.simulate(net, acc, engine="analytic")
    misses = (model._array_cost.cache_info().misses, model._vector_cost.cache_info().misses)
    pricier = dataclasses.replace(acc, energy=dataclasses.replace(
        acc.energy, dram_word=2 * acc.energy.dram_word))
    second = hwsim.simulate(net, pricier, engine="analytic")
    assert (model._array_cost.cache_info().misses,
            model._vector_cost.cache_info().misses) == misses
    assert second.total_cycles == first.total_cycles
    dram_words = first.dram_bytes / acc.word_bytes
    assert math.isclose(second.energy.total - first.energy.total,
                        dram_words * acc.energy.dram_word, rel_tol=1e-9)
