"""Layers that share the chip: which element-wise layers fuse into their producer and which
tensors stay in the global buffer, decided from the network's DAG and the buffer before
costing (the accelerator's ``fusion`` section; both options off reproduce the study).

**Element-wise fusion** (``fusion.elementwise``): :mod:`hwsim.cost.chains` (a relu, bn,
activation, add or pooling runs on its producer's output tiles on their way out).

**Keeping tensors on chip** (``fusion.keep_on_chip``). Every materialised tensor (a layer's
output, or a fused chain's result; a concat, dropout or flatten is a view of its inputs)
lives from the start of its producer to the end of its last consumer (a Fire module's
squeeze output feeds two expands; a residual shortcut lives across its block; a tensor read
through a concat lives until the concat's consumers end). In production order, a tensor is
kept when, at every layer in its lifetime, the kept tensors live there plus its own bytes
plus that layer's working tiles (its chosen tile footprint, twice with double buffering,
costed with the full buffer) fit the global buffer; the tiling search of each of those
layers then runs with the buffer minus the kept bytes (so the tiling chosen without keeping
still fits). A tensor that does not fit spills to DRAM (``spilled``, counted). The network's
outputs always go to DRAM, its input always comes from DRAM, and weights are never kept.
A consumer reads the share of its input that is kept from the buffer: each tile's input
load shrinks by that share (the tile's footprint still reserves its input rows).

The event engine sees the same tiles (fewer or smaller transfers) and holds a kept tensor's
bytes in the buffer from its producer's start until its last consumer's end.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from hwsim.cost.chains import Chains, Graph, unfuse_costly_chains
from hwsim.cost.dram_tiles import Epilogue
from hwsim.cost.model import NONE, AccessCounts, LayerCost, cost_layer, layer_kind
from hwsim.dataflow.base import MachineParams
from hwsim.workload import layer as L
from hwsim.workload.layer import Layer

DRAM = "dram"
GLB = "glb"
FUSED = "fused"   # the tensor passes to the next element-wise layer of a fused chain
MIXED = "dram+glb"
NOTHING = "none"
NETWORK_INPUT = "input"


@dataclass(frozen=True, slots=True)
class LayerFlow:
    """Where one layer's data comes from and goes to on a fusing machine.

    ``fused_into``: the layer whose output tiles this layer's work is applied to (its cost is
    in that layer's); ``fused``: the layers fused into this one. ``input_source`` /
    ``output_destination``: ``dram``, ``glb``, ``dram+glb`` (inputs only), ``fused`` (inside a
    fused chain) or ``none`` (a view). ``resident_bytes``: kept tensors in the buffer while the
    layer runs (its own kept output included; its tiles use the rest); ``hold_bytes``: its kept
    output, reserved when it starts; ``free_bytes``: kept tensors freed when it ends;
    ``spilled_bytes``: its output, which keeping would have held but did not fit.
    """

    name: str
    fused_into: str | None = None
    fused: tuple[str, ...] = ()
    input_source: str = DRAM
    output_destination: str = DRAM
    resident_bytes: int = 0
    hold_bytes: int = 0
    free_bytes: int = 0
    spilled_bytes: int = 0
    pool_fallback: bool = False
    epilogue: Epilogue | None = None


@dataclass(frozen=True, slots=True)
class FusionPlan:
    """The decisions for a whole network: one :class:`LayerFlow` per layer (network order),
    the kept and spilled tensors (named by the layer that writes them) and the poolings that
    could not fuse."""

    flows: tuple[LayerFlow, ...]
    kept: tuple[str, ...] = ()
    spilled: tuple[str, ...] = ()
    pool_fallbacks: tuple[str, ...] = ()
    costs: tuple[LayerCost, ...] = field(default=(), repr=False)


def _budget(machine: MachineParams, glb_bytes: int, resident: int) -> MachineParams:
    if not resident:
        return machine
    free = glb_bytes - resident
    return machine._replace(tile_budget_bytes=free // 2 if machine.double_buffering else free)


def _buffer_use(cost: LayerCost, machine: MachineParams) -> int:
    """Global-buffer bytes a layer's live tiles take at most."""
    if cost.tiling is None:
        return 0
    one = cost.tiling.footprint_words * machine.word_bytes
    return 2 * one if machine.double_buffering and cost.tiling.pipeline_tiles > 1 else one


def plan_fusion(layers: Sequence[Layer], machine: MachineParams, dataflow: str, glb_bytes: int,
                *, elementwise: bool, keep_on_chip: bool) -> FusionPlan:
    """Decide fusion for ``layers`` (a network's, in topological order) and cost every layer
    as decided (module docstring). ``glb_bytes``: the global buffer. Raises TilingError as
    :func:`~hwsim.cost.model.cost_layer` does."""
    graph = Graph.of(layers)
    chains = Chains(graph)
    if elementwise:
        chains.find()
    worst = _budget(machine, glb_bytes, glb_bytes // 2) if keep_on_chip else machine
    fallbacks = unfuse_costly_chains(chains, machine, worst, dataflow)
    keep = (_keep_tensors(chains, machine, dataflow, glb_bytes) if keep_on_chip
            else _Keeping([0] * len(layers)))
    flows, costs = _cost_as_decided(chains, keep, fallbacks, machine, dataflow, glb_bytes)
    return FusionPlan(tuple(flows), tuple(sorted(keep.kept, key=graph.pos.__getitem__)),
                      tuple(keep.spilled), tuple(fallbacks), tuple(costs))


@dataclass(slots=True)
class _Keeping:
    """What keeping tensors on chip decided: the kept tensors' bytes resident at each layer
    position, the kept and spilled tensors, and the position of each kept tensor's last
    reader."""

    resident: list[int]
    kept: set[str] = field(default_factory=set)
    spilled: list[str] = field(default_factory=list)
    end_of: dict[str, int] = field(default_factory=dict)


def _keep_tensors(chains: Chains, machine: MachineParams, dataflow: str,
                  glb_bytes: int) -> _Keeping:
    """Keep each materialised tensor, in production order, where it fits through its
    lifetime beside the kept tensors and each layer's working tiles (module docstring)."""
    graph = chains.graph
    wb = machine.word_bytes
    heads = [layer for layer in graph.layers
             if layer.name not in chains.head_of and layer_kind(layer) != NONE]
    keep = _Keeping([0] * len(graph.layers))
    use = [0] * len(graph.layers)
    for layer in heads:
        full = cost_layer(layer, machine, dataflow, _simplify(chains.epilogue(layer.name)),
                          chains.extra_ops(layer.name))
        use[graph.pos[layer.name]] = _buffer_use(full, machine)
    for layer in heads:
        t = chains.tail(layer.name)
        readers = graph.consumers.get(t, [])
        if not readers:
            continue  # a network output
        start = graph.pos[layer.name]
        end = max(graph.pos[chains.reader(c)] for c in readers)
        size = graph.out_bytes(t, wb)
        span = range(start, end + 1)
        if all(keep.resident[i] + size + use[i] <= glb_bytes for i in span):
            for i in span:
                keep.resident[i] += size
            keep.kept.add(t)
            keep.end_of[t] = end
        else:
            keep.spilled.append(t)
    return keep


def _cost_as_decided(chains: Chains, keep: _Keeping, fallbacks: list[str],
                     machine: MachineParams, dataflow: str, glb_bytes: int
                     ) -> tuple[list[LayerFlow], list[LayerCost]]:
    """One :class:`LayerFlow` and one cost per layer, in network order."""
    graph = chains.graph
    flows: list[LayerFlow] = []
    costs: list[LayerCost] = []
    free_at: dict[int, int] = {}
    for t, end in keep.end_of.items():
        free_at[end] = free_at.get(end, 0) + graph.out_bytes(t, machine.word_bytes)
    for i, layer in enumerate(graph.layers):
        name = layer.name
        if layer_kind(layer) == NONE:
            flows.append(LayerFlow(name, input_source=NOTHING, output_destination=NOTHING))
            costs.append(cost_layer(layer, machine, dataflow))
        elif name in chains.head_of:
            flows.append(_fused_flow(layer, chains, keep.kept))
            costs.append(_FUSED_AWAY)
        else:
            flow, cost = _head_flow(layer, i, chains, keep, machine, dataflow, glb_bytes)
            flows.append(replace(flow, free_bytes=free_at.get(i, 0),
                                 pool_fallback=name in fallbacks))
            costs.append(cost)
    return flows, costs


def _fused_flow(layer: Layer, chains: Chains, kept: set[str]) -> LayerFlow:
    """The flow of a layer fused into its chain's convolution (costed there)."""
    head = chains.head_of[layer.name]
    operand = chains.operand_of.get(head) if layer.type == L.ADD else None
    # an add reports where its operand comes from (its other input is on chip)
    source = FUSED if operand is None else (GLB if operand in kept else DRAM)
    destination = _destination(layer.name, chains.tail(head), kept)
    return LayerFlow(layer.name, fused_into=head, input_source=source,
                     output_destination=destination)


def _head_flow(layer: Layer, i: int, chains: Chains, keep: _Keeping, machine: MachineParams,
               dataflow: str, glb_bytes: int) -> tuple[LayerFlow, LayerCost]:
    """The flow and cost of a layer that runs (alone or as a chain's convolution), reading
    the kept share of its input from the buffer and costed with the buffer the kept tensors
    leave free (``free_bytes`` and ``pool_fallback`` are the caller's)."""
    graph, kept, name = chains.graph, keep.kept, layer.name
    words: dict[str, int] = {}
    for shape, i_ in zip(layer.in_shapes, layer.inputs):
        srcs = graph.sources(i_)
        for s_ in srcs:
            part = shape.elements if len(srcs) == 1 else graph.by_name[s_].out_shape.elements
            words[s_] = words.get(s_, 0) + part
    total = sum(words.values())
    from_dram = sum(w for s, w in words.items() if s not in kept)
    operand = chains.operand_of.get(name)
    t = chains.tail(name)
    store = t not in kept
    g = math.gcd(from_dram, total) or 1
    epi: Epilogue | None = _simplify(Epilogue(from_dram // g, total // g, store,
                                              operand is not None and operand not in kept,
                                              chains.pool_of(name)))
    cost = cost_layer(layer, _budget(machine, glb_bytes, keep.resident[i]), dataflow, epi,
                      chains.extra_ops(name))
    source = DRAM if from_dram == total else (GLB if from_dram == 0 else MIXED)
    size = graph.out_bytes(t, machine.word_bytes)
    flow = LayerFlow(
        name, fused=tuple(chains.chain.get(name, ())), input_source=source,
        output_destination=FUSED if chains.chain.get(name) else _destination(t, t, kept),
        resident_bytes=keep.resident[i], hold_bytes=size if t in kept else 0,
        spilled_bytes=size if t in keep.spilled else 0, epilogue=epi)
    return flow, cost


#: The cost of a layer fused into its producer (counted in the producer's).
_FUSED_AWAY = LayerCost(NONE, FUSED, AccessCounts(), 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                        0, 0, 0, 0)


def _destination(name: str, tail: str, kept: set[str]) -> str:
    if name != tail:
        return FUSED
    return GLB if tail in kept else DRAM


def _simplify(epi: Epilogue) -> Epilogue | None:
    """None for an epilogue that changes nothing (the unfused costs, cached as before)."""
    return None if epi == Epilogue() else epi


__all__ = ["LayerFlow", "FusionPlan", "plan_fusion", "DRAM", "GLB", "FUSED", "MIXED"]
