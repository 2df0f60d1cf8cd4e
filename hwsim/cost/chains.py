"""Element-wise fusion: which layers fuse into the convolution that produces their input
(the accelerator's ``fusion.elementwise``; :mod:`hwsim.cost.fusion` decides what stays on chip
and costs the plan).

A layer E of type relu, bn, a stand-alone
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
(:mod:`hwsim.cost.fusion`), or the fused tiling would move more DRAM bytes than the layers do
apart (partial windows can push a tile out of the buffer and the next fastest tiling refetch
more), the pooling is not fused and runs as its own layer (``pool_fallbacks``, counted); a chain that
would move more DRAM bytes fused than apart is not fused at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from hwsim.cost.dram_tiles import Epilogue
from hwsim.cost.model import NONE, TilingError, cost_layer, layer_kind
from hwsim.dataflow.base import MachineParams
from hwsim.workload import layer as L
from hwsim.workload.layer import Layer

UNARY_FUSABLE = frozenset({L.RELU, L.BN}) | L.ACTIVATION_TYPES | L.POOL_TYPES


@dataclass(slots=True)
class Graph:
    """The network's DAG as fusion reads it: layers by name, their positions, and the layers
    that consume each materialised tensor (views resolved)."""

    layers: Sequence[Layer]
    by_name: dict[str, Layer]
    pos: dict[str, int]
    consumers: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, layers: Sequence[Layer]) -> Graph:
        graph = cls(layers, {layer.name: layer for layer in layers},
                    {layer.name: i for i, layer in enumerate(layers)})
        for layer in layers:
            if layer_kind(layer) != NONE:
                for name in layer.inputs:
                    for src in graph.sources(name):
                        graph.consumers.setdefault(src, []).append(layer.name)
        return graph

    def sources(self, name: str) -> tuple[str, ...]:
        """The producers whose outputs tensor ``name`` is (views resolved)."""
        layer = self.by_name.get(name)
        if layer is None:
            return (name,)
        if layer_kind(layer) == NONE:
            return tuple(s for i in layer.inputs for s in self.sources(i))
        return (name,)

    def out_bytes(self, name: str, word_bytes: int) -> int:
        return self.by_name[name].out_shape.elements * word_bytes


@dataclass(slots=True)
class Chains:
    """The element-wise chains: each fused layer's convolution (``head_of``), each
    convolution's fused layers in order (``chain``) and its fused add's other operand
    (``operand_of``)."""

    graph: Graph
    head_of: dict[str, str] = field(default_factory=dict)
    chain: dict[str, list[str]] = field(default_factory=dict)
    operand_of: dict[str, str] = field(default_factory=dict)

    def find(self) -> None:
        """Fuse every layer that can fuse, in network order (module docstring)."""
        for layer in self.graph.layers:
            fused = fusable(layer, self.graph, self.head_of, self.chain, self.operand_of)
            if fused is not None:
                head, operand = fused
                self.head_of[layer.name] = head
                self.chain.setdefault(head, []).append(layer.name)
                if operand is not None:
                    self.operand_of[head] = operand

    def pool_of(self, head: str) -> tuple[int, int, int, int, int] | None:
        for name in self.chain.get(head, ()):
            p = self.graph.by_name[name]
            if p.type in L.POOL_TYPES:
                return (p.kernel[0], p.stride[0], p.padding[0], p.out_shape.height,
                        p.out_shape.width)
        return None

    def extra_ops(self, head: str) -> int:
        return sum(self.graph.by_name[n].vector_ops for n in self.chain.get(head, ()))

    def epilogue(self, head: str) -> Epilogue:
        """The chain's epilogue with every tensor in DRAM (before keeping)."""
        return Epilogue(operand=head in self.operand_of, pool=self.pool_of(head))

    def cut(self, head: str, at: int) -> None:
        """Unfuse the layers of ``head``'s chain from position ``at`` on."""
        names = self.chain[head]
        for n in names[at:]:
            del self.head_of[n]
        if any(self.graph.by_name[n].type == L.ADD for n in names[at:]):
            self.operand_of.pop(head, None)
        self.chain[head] = names[:at]

    def tail(self, head: str) -> str:
        names = self.chain.get(head)
        return names[-1] if names else head

    def reader(self, name: str) -> str:
        """The layer whose tiles read what ``name`` reads (its chain's convolution)."""
        return self.head_of.get(name, name)


def unfuse_costly_chains(chains: Chains, machine: MachineParams, worst: MachineParams,
                         dataflow: str) -> list[str]:
    """Cut the chains that do not pay; returns the poolings that run on their own.

    A pooling that no aligned tiling fits at the worst-case budget runs on its own; so does
    a pooling (or then the whole chain) whose fused tiling would move more DRAM bytes than
    the chain's layers do unfused (a tighter tile can be faster yet refetch more). ``worst``:
    the machine with the smallest tile budget the chain may get (keeping tensors on chip can
    take up to half the buffer)."""
    by_name = chains.graph.by_name
    fallbacks: list[str] = []

    def more_dram(head: str) -> bool:
        fused = cost_layer(by_name[head], machine, dataflow, chains.epilogue(head),
                           chains.extra_ops(head))
        alone = sum(cost_layer(by_name[n], machine, dataflow).dram_bytes
                    for n in [head, *chains.chain[head]])
        return fused.dram_bytes > alone

    for head in list(chains.chain):
        if chains.pool_of(head) is not None:
            names = chains.chain[head]
            cut = next(i for i, n in enumerate(names) if by_name[n].type in L.POOL_TYPES)
            try:
                cost_layer(by_name[head], worst, dataflow, chains.epilogue(head),
                           chains.extra_ops(head))
                fits = not more_dram(head)
            except TilingError:
                fits = False
            if not fits:
                fallbacks.append(names[cut])
                chains.cut(head, cut)  # an add comes before the pooling, so it stays
        if chains.chain[head] and more_dram(head):
            chains.cut(head, 0)
    return fallbacks


def fusable(layer: Layer, graph: Graph, head_of: dict[str, str], chain: dict[str, list[str]],
             operand_of: dict[str, str]) -> tuple[str, str | None] | None:
    """(the convolution ``layer`` fuses into, the add's operand or None), or None."""
    by_name, pos, consumers = graph.by_name, graph.pos, graph.consumers
    if layer.type not in UNARY_FUSABLE and layer.type != L.ADD:
        return None
    resolved = [graph.sources(i) for i in layer.inputs]
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


__all__ = ["Graph", "Chains", "unfuse_costly_chains", "UNARY_FUSABLE"]
