"""Evaluating a batch of a sweep's configurations together: :func:`evaluate_batch`.

Every configuration of a sweep is a new machine, so the cost model's per-machine caches
miss for every distinct layer of every network; what machines share is the work of the
stages (``hwsim.cost.model``): the mapping depends on the array side only, and the DRAM
tiling candidates on the layer's shape and the mapping's granularity. The batch path costs
each distinct layer (shape, vector operations, moved words) of the batch's networks once per
machine and mode, stage by stage across the machines:

1. the mapping (``model.array_plan``, cached on the fields it reads) per machine and mode;
2. machines grouped by what selects the candidate set (the mapping's units and whole-pass
   flags; a vector layer's are all output channels, one row, all input channels), one
   search and timing per group over arrays (:func:`~hwsim.sweep.batch_search.search_group`);
3. the record (``model.array_cost`` / ``model.vector_cost``) per machine from its tiling
   and timing; hybrid picks among its modes' records as ``model._hybrid_cost`` does
   (``hybrid.choose``; the pick keeps no ``alternatives``, which a row does not read);

then each configuration's totals are summed over its networks' layers in order by the fast
path's own :func:`~hwsim.sweep.evaluate.sum_totals` (a machine's records priced, and their
invariants checked, once across its networks), and each network's outcome made by
:func:`~hwsim.sweep.evaluate.network_outcome`: the outcomes of
:func:`~hwsim.sweep.evaluate.evaluate_task`, the same tiling chosen, integer columns equal
and float columns equal to rounding (the batched timing adds the same terms in another
order), with the same invalid messages (the first layer in network order that fails, as
``hwsim.pipeline`` words it). Configurations the fast path does not cover
(``fast_path_applies`` false, e.g. the event engine or fusion, and ``buffer.weight_prefetch``
on) go through ``evaluate_task``.

Assumptions: the fast path never fuses (so no epilogue: the candidate set is the plain
one), and a layer's record depends only on its kind, shape, vector operations and (vector
layers) moved words, and on the machine and mode, which is what ``cost_layer`` reads.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from hwsim.cost import model
from hwsim.cost.dram_candidates import candidates
from hwsim.cost.energy import EnergyBreakdown
from hwsim.cost.model import NONE, VECTOR, LayerCost
from hwsim.dataflow import hybrid
from hwsim.dataflow.base import ConvShape, MachineParams
from hwsim.errors import InputError
from hwsim.hardware.accelerator import Accelerator
from hwsim.pipeline import check_cost, layer_error, resolve_dataflow
from hwsim.sweep import evaluate
from hwsim.sweep import results as R
from hwsim.sweep.batch_search import Search, Selector, search_group, tiling_error
from hwsim.sweep.tasks import Outcome, Task
from hwsim.workload.layer import Layer
from hwsim.workload.network import Network

#: A distinct layer: kind, shape, vector operations, moved words (vector layers; else 0).
LayerKey = tuple[str, ConvShape | None, int, int]
#: A record, or what costing it raised (raised again for the first layer that needs it).
Costed = LayerCost | BaseException


class _Machine(NamedTuple):
    """A configuration of the batch on the fast path: its place in the batch, its task,
    machine, the model's parameters of it and its dataflow (or why it has none)."""

    position: int
    task: Task
    accelerator: Accelerator
    params: MachineParams
    dataflow: str | InputError
    #: the batch's number for ``params`` (machines of equal parameters share their records)
    pid: int = 0
    #: the modes it costs an array layer in (hybrid: every mode it tries)
    array_modes: tuple[str, ...] = ()


class _Layers(NamedTuple):
    """A network's distinct layers (their keys, the first layer of each) and, per layer of
    the network, the index of its distinct layer."""

    keys: list[LayerKey]
    first: list[Layer]
    of_layer: list[int]
    #: the position of each distinct layer's first layer
    at: list[int]
    #: the layers the invariants are checked on, in order: (position, distinct layer, name,
    #: MACs) of the first layer of each (distinct layer, MACs)
    checks: list[tuple[int, int, str, int]]
    #: each distinct layer's number in this process (:data:`_KEY_IDS`)
    kids: list[int]


#: The batch's records: (machine's number, mode or ``vector``, distinct layer's number) ->
#: record (small numbers as keys: a lookup hashes no machine or shape).
Table = dict[tuple[int, str, int], Costed]

#: Every distinct layer met in this process, numbered (and the keys by number).
_KEY_IDS: dict[LayerKey, int] = {}
_KEYS: list[LayerKey] = []


def _key_id(key: LayerKey) -> int:
    kid = _KEY_IDS.get(key)
    if kid is None:
        kid = _KEY_IDS[key] = len(_KEYS)
        _KEYS.append(key)
    return kid


def layer_key(layer: Layer) -> LayerKey:
    """What a layer's record depends on besides the machine and mode (module docstring)."""
    kind = model.layer_kind(layer)
    if kind == NONE:
        return (NONE, None, 0, 0)
    moved = layer.moved_words if kind == VECTOR else 0
    return (kind, ConvShape.from_layer(layer), layer.vector_ops, moved)


# Each network's distinct layers, found once per network object (kept with it).
_LAYERS: dict[int, tuple[Network, _Layers]] = {}


def network_layers(network: Network) -> _Layers:
    """``network``'s distinct layers, in the order they first appear (found once per network
    object: the sweep's networks are parsed once per process)."""
    return evaluate.per_network(_LAYERS, network, _distinct_layers)


def _distinct_layers(network: Network) -> _Layers:
    index: dict[LayerKey, int] = {}
    checked: set[tuple[int, int]] = set()
    layers = _Layers([], [], [], [], [], [])
    for position, layer in enumerate(network.layers):
        key = layer_key(layer)
        i = index.get(key)
        if i is None:
            i = index[key] = len(layers.keys)
            layers.keys.append(key)
            layers.first.append(layer)
            layers.at.append(position)
            layers.kids.append(_key_id(key))
        layers.of_layer.append(i)
        if (i, layer.macs) not in checked:
            checked.add((i, layer.macs))
            layers.checks.append((position, i, layer.name, layer.macs))
    return layers


def evaluate_batch(tasks: Sequence[Task]) -> list[list[Outcome]]:
    """The outcomes of each task, equal to ``evaluate_task(task)``'s (module docstring).

    Python's cyclic garbage collector is paused while a batch runs (and restored after): a
    batch makes tens of thousands of records, which are freed by reference counting (they
    hold no cycles), and each collection the allocations trigger would scan all of them
    and every cached candidate set again (a third of a batch's time, measured)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _evaluate_batch(tasks)
    finally:
        if was_enabled:
            gc.enable()


def _evaluate_batch(tasks: Sequence[Task]) -> list[list[Outcome]]:
    evaluate.keep_sweep_caches()
    out: list[list[Outcome]] = [[] for _ in tasks]
    machines: list[_Machine] = []
    pids: dict[MachineParams, int] = {}
    for i, task in enumerate(tasks):
        try:
            accelerator = evaluate.build_accelerator(task)
        except InputError as exc:
            out[i] = [Outcome(n.label, R.INVALID, error=str(exc)) for n in task.networks]
            continue
        if (not evaluate.fast_path_applies(accelerator, task.engine)
                or accelerator.buffer.weight_prefetch):
            out[i] = evaluate.evaluate_task(task)
            continue
        try:
            dataflow: str | InputError = resolve_dataflow(accelerator)
        except InputError as exc:
            dataflow = exc
        params = MachineParams.from_accelerator(accelerator)
        machines.append(_Machine(i, task, accelerator, params, dataflow,
                                 pids.setdefault(params, len(pids)),
                                 _array_modes(params, dataflow)))
    loaded = {m.position: _loaded(m.task) for m in machines}
    layers = {id(n): network_layers(n) for networks in loaded.values() for n in networks}
    table = _cost_all(machines, loaded, layers)
    for machine in machines:
        out[machine.position] = _outcomes(machine, layers, table)
    return out


def _loaded(task: Task) -> list[Network]:
    """The networks of ``task`` that load (kept loaded by ``evaluate.load_network_ref``;
    the others fail again in :func:`_outcomes`, as they do in ``evaluate_task``)."""
    found = []
    for ref in task.networks:
        try:
            found.append(evaluate.load_network_ref(ref, task.config.network_params,
                                                   task.config.network_input_size))
        except Exception:  # noqa: BLE001 - reported by network_outcome
            continue
    return found


_VECTOR_MODES = (VECTOR,)


def _modes(machine: _Machine, kind: str) -> tuple[str, ...]:
    """The modes in which ``machine`` costs a layer of ``kind`` (hybrid: all it tries)."""
    return _VECTOR_MODES if kind == VECTOR else machine.array_modes


def _array_modes(params: MachineParams, dataflow: str | InputError) -> tuple[str, ...]:
    if dataflow == hybrid.NAME:
        return tuple(model.hybrid_modes(params.microarchitecture))
    return (str(dataflow),)


def _cost_all(machines: Sequence[_Machine], loaded: dict[int, list[Network]],
              layers: dict[int, _Layers]) -> Table:
    """Every (machine, mode, distinct layer) the batch's networks need, costed one
    distinct layer at a time across the machines (module docstring)."""
    wanted: dict[int, dict[tuple[int, str], None]] = defaultdict(dict)
    params_of: dict[int, MachineParams] = {}
    for machine in machines:
        if isinstance(machine.dataflow, InputError):
            continue
        params_of[machine.pid] = machine.params
        for network in loaded[machine.position]:
            nl = layers[id(network)]
            for key, kid in zip(nl.keys, nl.kids):
                if key[0] != NONE:
                    wanted[kid].update(dict.fromkeys((machine.pid, mode)
                                                     for mode in _modes(machine, key[0])))
    table: Table = {}
    for kid, pairs in wanted.items():
        key = _KEYS[kid]
        params = [params_of[p] for p, _ in pairs]
        modes = [mode for _, mode in pairs]
        costed = _cost_vector(key, params) if key[0] == VECTOR else _cost_array(key, params, modes)
        table.update(((p, mode, kid), c) for (p, mode), c in zip(pairs, costed))
    return table


def _cost_array(key: LayerKey, machines: list[MachineParams], modes: list[str]) -> list[Costed]:
    """An array layer's record on each machine in its mode: the mappings, the machines
    grouped by their candidate set, one search per group, the records."""
    _, shape, ops, _ = key
    assert shape is not None
    out: list[Costed] = [ValueError("not costed")] * len(machines)
    plans: dict[int, model.ArrayPlan] = {}
    groups: dict[Selector, list[int]] = defaultdict(list)
    for i, (m, mode) in enumerate(zip(machines, modes)):
        try:
            plan = plans[i] = model.array_plan(shape, ops, m, mode)
        except Exception as exc:  # noqa: BLE001 - the scalar path raises it for this layer
            out[i] = exc
            continue
        mp = plan.mapping
        groups[((mp.k_unit, mp.p_unit, mp.c_unit), mp.whole_passes)].append(i)
    for selector, members in groups.items():
        group = [machines[i] for i in members]
        searches = [Search(selector, plans[i].compute, m.layer_setup_cycles,
                           plans[i].mapping.writeback_cycles) for i, m in zip(members, group)]
        chosen = search_group(candidates(shape, *selector[0], None, selector[1]), group,
                               searches)
        for i, m, search, (t, f) in zip(members, group, searches, chosen):
            try:
                out[i] = (model.array_cost(shape, ops, m, plans[i], t, None, f) if t is not None
                          else tiling_error(shape, m, search))
            except Exception as exc:  # noqa: BLE001 - the scalar path raises it for this layer
                out[i] = exc
    return out


def _cost_vector(key: LayerKey, machines: list[MachineParams]) -> list[Costed]:
    """A vector layer's record on each machine: its compute cycles, one search over all
    the machines (they share the candidate set), the records."""
    _, shape, ops, moved = key
    assert shape is not None
    selector: Selector = ((shape.out_channels, 1, shape.in_channels), (False, False, False))
    searches = [Search(selector, model.vector_compute(ops, moved, m), 0) for m in machines]
    chosen = search_group(candidates(shape, *selector[0], None, selector[1]), machines,
                           searches)
    out: list[Costed] = []
    for m, search, (t, f) in zip(machines, searches, chosen):
        try:
            out.append(model.vector_cost(shape, ops, m, search.compute, t, None, f)
                       if t is not None else tiling_error(shape, m, search))
        except Exception as exc:  # noqa: BLE001 - the scalar path raises it for this layer
            out.append(exc)
    return out


def _outcomes(machine: _Machine, layers: dict[int, _Layers], table: Table) -> list[Outcome]:
    """Each network's outcome on ``machine``, from the batch's records."""
    accelerator = machine.accelerator
    priced: dict[int, EnergyBreakdown] = {}  # the machine's records priced once
    checked: set[tuple[int, int]] = set()  # (record, MACs) that passed the invariants

    def run(network: Network) -> evaluate.RunTotals:
        if isinstance(machine.dataflow, InputError):
            raise machine.dataflow
        costs = _network_costs(machine, network, layers[id(network)], table, checked)
        return evaluate.sum_totals(costs, accelerator, priced)

    return [evaluate.network_outcome(machine.task, ref, accelerator, run)
            for ref in machine.task.networks]


def _network_costs(machine: _Machine, network: Network, nl: _Layers, table: Table,
                   checked: set[tuple[int, int]]) -> list[LayerCost]:
    """The records of ``network``'s layers in order, checked as ``hwsim.pipeline`` checks
    them; the first layer whose costing failed raises its run's error (distinct layers are
    listed in the order they first appear, so the first failing one is the first layer)."""
    where = machine.accelerator.path or machine.accelerator.name
    distinct = [_record(machine, key, kid, layer, table)
                for key, kid, layer in zip(nl.keys, nl.kids, nl.first)]
    failed = next(((nl.at[i], layer, cost) for i, (cost, layer) in
                   enumerate(zip(distinct, nl.first)) if not isinstance(cost, LayerCost)), None)
    for position, i, name, macs in nl.checks:  # a repeated layer passes as its first did
        if failed is not None and position >= failed[0]:
            break
        if (id(distinct[i]), macs) not in checked:  # a record passes as it passed before
            check_cost(name, distinct[i], macs)  # type: ignore[arg-type]
            checked.add((id(distinct[i]), macs))
    if failed is not None:
        raise layer_error(where, failed[1].name, failed[2])
    return [distinct[i] for i in nl.of_layer]  # type: ignore[misc]


def _record(machine: _Machine, key: LayerKey, kid: int, layer: Layer, table: Table) -> Costed:
    """The record of distinct layer ``key`` (number ``kid``, ``layer`` its first) on
    ``machine``: hybrid picks among its modes' records (the first failing mode's error is
    the layer's; the picked record keeps no ``alternatives``)."""
    kind = key[0]
    if kind == NONE:
        return model.cost_layer(layer, machine.params, str(machine.dataflow))
    if machine.dataflow != hybrid.NAME or kind == VECTOR:
        return table[(machine.pid, _modes(machine, kind)[0], kid)]
    picked = table.get((machine.pid, hybrid.NAME, kid))
    if picked is None:
        modes = [table[(machine.pid, mode, kid)] for mode in _modes(machine, kind)]
        failed = [c for c in modes if not isinstance(c, LayerCost)]
        # hybrid's choice (``model.hybrid_pick``) without its ``alternatives`` (each mode's
        # cycles, which a row does not read)
        picked = failed[0] if failed else hybrid.choose(modes)
        table[(machine.pid, hybrid.NAME, kid)] = picked
    return picked
