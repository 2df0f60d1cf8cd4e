"""The event schedule of every bundled network on every bundled accelerator lies within the
analytic model's bounds: max(compute, memory) <= cycles <= compute + memory per layer, with
the cost model's own compute_cycles and memory_cycles (checked here independently of the
engine's built-in check, which is switched off). With weight prefetch the lower bound counts
only the bytes a layer still moves itself, and no layer gets longer."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import hwsim
from hwsim.errors import InputError
from hwsim.pipeline import layer_costs
from hwsim.sim.adapter import machine_from_accelerator, schedule_items
from hwsim.sim.engine import run_schedule

ROOT = Path(__file__).resolve().parent.parent
ACCELERATORS = sorted((ROOT / "accelerators").glob("*.yaml"))
NETWORKS = sorted((ROOT / "networks").glob("*.yaml"))


@pytest.fixture(scope="module")
def networks():
    return [hwsim.load_network(path) for path in NETWORKS]


def test_there_is_something_to_check():
    assert len(ACCELERATORS) >= 6 and len(NETWORKS) >= 10


@pytest.mark.parametrize("accel_path", ACCELERATORS, ids=lambda p: p.stem)
def test_event_schedule_lies_between_the_analytic_bounds(accel_path, networks):
    accelerator = hwsim.load_accelerator(accel_path)
    base = machine_from_accelerator(accelerator)
    without = dataclasses.replace(base, weight_prefetch=False)
    with_prefetch = dataclasses.replace(base, weight_prefetch=True)
    for network in networks:
        try:
            costs = layer_costs(network, accelerator)
        except InputError as exc:
            if "registered" in str(exc):
                pytest.skip(f"dataflow not integrated yet: {exc}")
            raise
        items = schedule_items(network.layers, costs)
        off = run_schedule(items, without, check_bounds=False)
        on = run_schedule(items, with_prefetch, check_bounds=False)
        previous_end = 0.0
        for cost, x, y in zip(costs, off.layers, on.layers):
            compute, memory = float(cost.compute_cycles), float(cost.memory_cycles)
            tol = 1e-6 * max(1.0, compute + memory)
            where = f"{network.name} / {x.name} on {accelerator.name}"
            assert max(compute, memory) - tol <= x.cycles <= compute + memory + tol, where
            own = with_prefetch.memory_cycles(y.dram_read_bytes + y.dram_write_bytes)
            assert max(compute, own) - tol <= y.cycles <= x.cycles + tol, where
            assert x.start_cycle == previous_end, where        # one layer after another
            previous_end = x.end_cycle
        assert off.total_cycles == pytest.approx(sum(layer.cycles for layer in off.layers))


def test_simulate_event_fills_spans_and_the_busy_stall_breakdown():
    network = hwsim.load_network(ROOT / "networks" / "squeezenet_v1.0.yaml")
    accelerator = hwsim.load_accelerator(ROOT / "accelerators" / "squeezelerator.yaml")
    result = hwsim.simulate(network, accelerator, engine="event")
    assert result.schedule is not None and result.engine == "event"
    end = 0.0
    for layer in result.layers:
        assert layer.start_cycle == end and layer.cycles == layer.end_cycle - layer.start_cycle
        end = layer.end_cycle
        event = layer.extra["event"]
        assert event["compute_busy_cycles"] == pytest.approx(layer.compute_cycles)
        assert event["compute_busy_cycles"] + layer.stall_cycles == pytest.approx(layer.cycles)
        assert layer.stall_cycles == pytest.approx(event["stall_data_cycles"]
                                                   + event["stall_buffer_cycles"]
                                                   + event["drain_cycles"])
    assert result.total_cycles == end
    again = hwsim.simulate(network, accelerator, engine="event")
    assert again.to_dict() == result.to_dict()        # identical from run to run
