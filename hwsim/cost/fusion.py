"""Layers that share the chip: which element-wise layers fuse into their producer and which
tensors stay in the global buffer, decided from the network's DAG and the buffer before
costing (the accelerator's ``fusion`` section; both options off reproduce the study).

**Element-wise fusion** (``fusion.elementwise``). A layer E of type relu, bn, a stand-alone
activation, add, maxpool or avgpool fuses into the producer of its main input X when X is
made by a convolution (or FC, not for pooling) or by a chain already fused into one, E is
X's only consumer, and, for an add, the other operand (the shortcut) was produced before the
chain's convolution starts. The main input of an add is the input produced last. The vector
unit applies E to the producer's output tiles on their way out (its operations overlap the
array as a fused activation's do), so E's input never leaves the chip and E costs no DRAM
transfer of its own: the chain's convolution loads the add's operand tile by tile (one word
per output word, with the tile that stores the outputs) and stores the chain's result. A
chain holds at most one add, and nothing fuses after a pooling.

*Pooling and row tiles.* A tile holds ``pt`` whole output rows of ``kt`` channels. It emits
the pooled rows whose window ends in its rows (``end_j = j * stride - pad + kernel - 1``,
clipped to the map); the partial windows that straddle a row-tile boundary (``ceil((kernel
- stride) / stride)`` pooled rows per channel) stay in the buffer, counted in the tile's
footprint. The convolution's tiling search keeps only tilings whose middle row tiles all emit
the same number of pooled rows (a row tile that is a multiple of the pool stride, or one row
tile for the whole map). When no such tiling fits at the worst-case budget of the keep rule
below, or the fused tiling would move more DRAM bytes than the layers do apart (partial
windows can push a tile out of the buffer and the next fastest tiling refetch more), the
pooling is not fused and runs as its own layer (``pool_fallbacks``, counted); a chain that
would move more DRAM bytes fused than apart is not fused at all.

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hwsim.cost.dram_tiles import Epilogue
from hwsim.cost.model import NONE, AccessCounts, LayerCost, TilingError, cost_layer, layer_kind
from hwsim.dataflow.base import MachineParams
from hwsim.workload import layer as L
from hwsim.workload.layer import Layer

DRAM = "dram"
GLB = "glb"
FUSED = "fused"   # the tensor passes to the next element-wise layer of a fused chain
MIXED = "dram+glb"
NOTHING = "none"
NETWORK_INPUT = "input"

UNARY_FUSABLE = frozenset({L.RELU, L.BN}) | L.ACTIVATION_TYPES | L.POOL_TYPES


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
    by_name = {layer.name: layer for layer in layers}
    pos = {layer.name: i for i, layer in enumerate(layers)}

    def sources(name: str) -> tuple[str, ...]:
        """The producers whose outputs tensor ``name`` is (views resolved)."""
        layer = by_name.get(name)
        if layer is None:
            return (name,)
        if layer_kind(layer) == NONE:
            return tuple(s for i in layer.inputs for s in sources(i))
        return (name,)

    consumers: dict[str, list[str]] = {}
    for layer in layers:
        if layer_kind(layer) != NONE:
            for name in layer.inputs:
                for src in sources(name):
                    consumers.setdefault(src, []).append(layer.name)

    # --- element-wise chains --------------------------------------------------------------
    head_of: dict[str, str] = {}          # fused layer -> its chain's convolution
    chain: dict[str, list[str]] = {}      # convolution -> the layers fused into it
    operand_of: dict[str, str] = {}       # convolution -> its fused add's other operand
    if elementwise:
        for layer in layers:
            fused = _fusable(layer, sources, by_name, pos, consumers, head_of, chain,
                             operand_of)
            if fused is not None:
                head, operand = fused
                head_of[layer.name] = head
                chain.setdefault(head, []).append(layer.name)
                if operand is not None:
                    operand_of[head] = operand

    def pool_of(head: str) -> tuple[int, int, int, int, int] | None:
        for name in chain.get(head, ()):
            p = by_name[name]
            if p.type in L.POOL_TYPES:
                return (p.kernel[0], p.stride[0], p.padding[0], p.out_shape.height,
                        p.out_shape.width)
        return None

    def extra_ops(head: str) -> int:
        return sum(by_name[n].vector_ops for n in chain.get(head, ()))

    # A pooling that no aligned tiling fits at the worst-case budget runs on its own; so does
    # a pooling (or then the whole chain) whose fused tiling would move more DRAM bytes than
    # the chain's layers do unfused (a tighter tile can be faster yet refetch more).
    worst = _budget(machine, glb_bytes, glb_bytes // 2) if keep_on_chip else machine
    fallbacks: list[str] = []

    def cut_chain(head: str, at: int) -> None:
        names = chain[head]
        for n in names[at:]:
            del head_of[n]
        if any(by_name[n].type == L.ADD for n in names[at:]):
            operand_of.pop(head, None)
        chain[head] = names[:at]

    def more_dram(head: str) -> bool:
        fused = cost_layer(by_name[head], machine, dataflow,
                           Epilogue(operand=head in operand_of, pool=pool_of(head)),
                           extra_ops(head))
        alone = sum(cost_layer(by_name[n], machine, dataflow).dram_bytes
                    for n in [head, *chain[head]])
        return fused.dram_bytes > alone

    for head in list(chain):
        pool = pool_of(head)
        if pool is not None:
            cut = next(i for i, n in enumerate(chain[head]) if by_name[n].type in L.POOL_TYPES)
            try:
                cost_layer(by_name[head], worst, dataflow,
                           Epilogue(operand=head in operand_of, pool=pool), extra_ops(head))
                fits = not more_dram(head)
            except TilingError:
                fits = False
            if not fits:
                fallbacks.append(chain[head][cut])
                cut_chain(head, cut)  # an add comes before the pooling, so it stays
        if chain[head] and more_dram(head):
            cut_chain(head, 0)

    def tail(head: str) -> str:
        names = chain.get(head)
        return names[-1] if names else head

    def reader(name: str) -> str:
        """The layer whose tiles read what ``name`` reads (its chain's convolution)."""
        return head_of.get(name, name)

    # --- tensors kept on chip -------------------------------------------------------------
    wb = machine.word_bytes
    heads = [layer for layer in layers if layer.name not in head_of and layer_kind(layer) != NONE]
    resident = [0] * len(layers)
    kept: set[str] = set()
    spilled: list[str] = []
    end_of: dict[str, int] = {}
    if keep_on_chip:
        use = [0] * len(layers)
        for layer in heads:
            probe = Epilogue(operand=layer.name in operand_of, pool=pool_of(layer.name))
            full = cost_layer(layer, machine, dataflow, _simplify(probe), extra_ops(layer.name))
            use[pos[layer.name]] = _buffer_use(full, machine)
        for layer in heads:
            t = tail(layer.name)
            readers = consumers.get(t, [])
            if not readers:
                continue  # a network output
            start = pos[layer.name]
            end = max(pos[reader(c)] for c in readers)
            size = by_name[t].out_shape.elements * wb
            span = range(start, end + 1)
            if all(resident[i] + size + use[i] <= glb_bytes for i in span):
                for i in span:
                    resident[i] += size
                kept.add(t)
                end_of[t] = end
            else:
                spilled.append(t)

    # --- cost every layer as decided ------------------------------------------------------
    flows: list[LayerFlow] = []
    costs: list[LayerCost] = []
    free_at: dict[int, int] = {}
    for t, end in end_of.items():
        free_at[end] = free_at.get(end, 0) + by_name[t].out_shape.elements * wb
    for i, layer in enumerate(layers):
        name = layer.name
        if layer_kind(layer) == NONE:
            flows.append(LayerFlow(name, input_source=NOTHING, output_destination=NOTHING))
            costs.append(cost_layer(layer, machine, dataflow))
            continue
        if name in head_of:
            head = head_of[name]
            operand = operand_of.get(head) if layer.type == L.ADD else None
            # an add reports where its operand comes from (its other input is on chip)
            source = FUSED if operand is None else (GLB if operand in kept else DRAM)
            destination = _destination(name, tail(head), kept)
            flows.append(LayerFlow(name, fused_into=head, input_source=source,
                                   output_destination=destination))
            costs.append(_FUSED_AWAY)
            continue
        words: dict[str, int] = {}
        for shape, i_ in zip(layer.in_shapes, layer.inputs):
            srcs = sources(i_)
            for s_ in srcs:
                part = shape.elements if len(srcs) == 1 else by_name[s_].out_shape.elements
                words[s_] = words.get(s_, 0) + part
        total = sum(words.values())
        from_dram = sum(w for s, w in words.items() if s not in kept)
        operand = operand_of.get(name)
        t = tail(name)
        store = t not in kept
        g = math.gcd(from_dram, total) or 1
        epi: Epilogue | None = _simplify(Epilogue(from_dram // g, total // g, store,
                                 operand is not None and operand not in kept, pool_of(name)))
        cost = cost_layer(layer, _budget(machine, glb_bytes, resident[i]), dataflow, epi,
                          extra_ops(name))
        costs.append(cost)
        source = DRAM if from_dram == total else (GLB if from_dram == 0 else MIXED)
        size = by_name[t].out_shape.elements * wb
        flows.append(LayerFlow(
            name, fused=tuple(chain.get(name, ())), input_source=source,
            output_destination=FUSED if chain.get(name) else _destination(t, t, kept),
            resident_bytes=resident[i], hold_bytes=size if t in kept else 0,
            free_bytes=free_at.get(i, 0),
            spilled_bytes=size if t in spilled else 0,
            pool_fallback=name in fallbacks, epilogue=epi))
    return FusionPlan(tuple(flows), tuple(sorted(kept, key=pos.__getitem__)), tuple(spilled),
                      tuple(fallbacks), tuple(costs))


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


def _fusable(layer: Layer, sources: Callable[[str], tuple[str, ...]], by_name: dict[str, Layer], pos: dict[str, int],
             consumers: dict[str, list[str]], head_of: dict[str, str],
             chain: dict[str, list[str]], operand_of: dict[str, str]
             ) -> tuple[str, str | None] | None:
    """(the convolution ``layer`` fuses into, the add's operand or None), or None."""
    if layer.type not in UNARY_FUSABLE and layer.type != L.ADD:
        return None
    resolved = [sources(i) for i in layer.inputs]
    if any(len(r) != 1 for r in resolved):
        return None
    inputs = [r[0] for r in resolved]
    if layer.type == L.ADD:
        if len(inputs) != 2 or inputs[0] == inputs[1]:
            return None
        main = max(inputs, key=lambda n: pos.get(n, -1))
        operand: str | None = inputs[0] if main == inputs[1] else inputs[1]
    else:
        if len(inputs) != 1:
            return None
        main, operand = inputs[0], None
    if main not in by_name or consumers.get(main) != [layer.name]:
        return None
    head = head_of.get(main, main)
    producer = by_name[head]
    if producer.type not in (L.CONV, L.FC) or (layer.type in L.POOL_TYPES and producer.type != L.CONV):
        return None
    names = chain.get(head, [])
    if any(by_name[n].type in L.POOL_TYPES for n in names):
        return None
    if operand is not None:
        if head in operand_of or pos.get(operand, -1) >= pos[head]:
            return None
        if by_name.get(operand) is not None and by_name[operand].out_shape != layer.out_shape:
            return None
    return head, operand


__all__ = ["LayerFlow", "FusionPlan", "plan_fusion", "DRAM", "GLB", "FUSED", "MIXED"]
