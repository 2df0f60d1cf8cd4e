"""The per-layer cost model: counts and cycles for one layer on one machine in one mode.

Count first, price second: this module returns counts (MACs, accesses per level and
operand, DRAM bytes) and cycles only; ``energy.py`` prices them.

How a layer is costed
---------------------
* **conv and FC** run on the PE array. The dataflow strategy (``hwsim.dataflow``) gives the
  array's cycles and on-chip accesses; :func:`~hwsim.cost.tiling.search_tiling` gives the
  DRAM tiles and traffic of the fastest tiling that fits the global buffer. A fused BatchNorm /
  activation runs on the vector unit as results leave the array (overlapped; it only
  matters if the vector unit is slower than the array). ``layer_setup_cycles`` are added to
  every array layer.
* **pooling, element-wise add, stand-alone activations / BN / LRN / softmax** run on the
  vector unit: ``ceil(vector_ops / lanes)`` cycles, their inputs read from DRAM and their
  output written back (layers run one after another, nothing is fused across layers).
* **concat, dropout, flatten** cost nothing: concatenation is where the producers write
  their outputs, dropout is the identity at inference, flatten is a view.
* **channel shuffle** (ShuffleNet) is a data-movement layer: no MACs and no vector
  operations (``mac`` energy 0). The vector unit copies the tensor through the global buffer
  with the permutation applied: every word is read from the buffer once and written once
  (``glb_input_reads`` = ``glb_output_writes`` = C * H * W), ``lanes`` words a cycle, so
  ``ceil(C * H * W / lanes)`` cycles. Its DRAM traffic is only what a layer boundary implies:
  like every other vector layer its input is loaded and its output stored once (or kept in
  the buffer by ``fusion.keep_on_chip``); the permutation adds no DRAM transfer. A design
  that folds the permutation into the next layer's read addresses would make the shuffle free
  like a concat; hwsim does not assume one.

Time of a layer. ``compute_cycles`` is the array (or vector unit) time. The layer is cut
into DRAM tiles (``hwsim.cost.dram_tiles``), each one DMA load and one DMA store of
``latency + bytes / bandwidth`` cycles; ``memory_cycles`` is the channel time of all of them
(``transfers x latency + DRAM bytes / bytes per cycle``). With double buffering the load of
tile i + 1 and the store of tile i - 1 overlap the compute of tile i, so only the first
tile's load (``fill``) and the last tile's store (``drain``) are exposed::

    cycles = A_1 + sum_i max(C_i, A_{i+1} + D_{i-1}) + D_n

and without double buffering ``cycles = sum_i (A_i + C_i + D_i)``; either way
``max(compute, memory) <= cycles <= compute + memory``. The layer is memory-bound (roofline)
when memory > compute. The tiles go to the event scheduler as runs of identical
:class:`~hwsim.cost.tiles.TileRun` records whose loads, stores and compute sum exactly to the
layer's counts, and the scheduler plays the same schedule.

Costs are cached on the layer's shape and the machine parameters (``functools.lru_cache``):
networks repeat shapes and sweeps repeat networks.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping as TMapping
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

from hwsim.cost.dram_candidates import CANDIDATE_CACHE
from hwsim.cost.dram_tiles import DramTiling, Epilogue
from hwsim.cost.finish import Finished, finish_tiles
from hwsim.cost.tiles import TileRun
from hwsim.cost.tiling import Tiling, TilingError, search_dram_tiles
from hwsim.cost.timing import Timing
from hwsim.dataflow import hybrid
from hwsim.dataflow.base import ConvShape, MachineParams, Mapping
from hwsim.dataflow.registry import registered_dataflows, strategy_for
from hwsim.hardware.names import Dataflow
from hwsim.workload import layer as L
from hwsim.workload.layer import Layer, ceil_div

ARRAY = "array"
VECTOR = "vector"
NONE = "none"
FREE_TYPES = frozenset({L.CONCAT, L.DROPOUT, L.FLATTEN})


@dataclass(frozen=True, slots=True)
class AccessCounts:
    """What one layer does, counted (words unless the name says bytes).

    ``glb_fill_writes`` are words written into the global buffer by the DMA (everything read
    from DRAM), ``glb_drain_reads`` words read from it for DRAM (everything written back).
    """

    macs: int = 0
    effective_macs: float = 0.0
    vector_ops: int = 0
    rf_accesses: float = 0.0
    inter_pe_transfers: float = 0.0
    glb_input_reads: float = 0.0
    glb_weight_reads: float = 0.0
    glb_psum_reads: float = 0.0
    glb_psum_writes: float = 0.0
    glb_output_writes: float = 0.0
    glb_fill_writes: float = 0.0
    glb_drain_reads: float = 0.0
    dram_input_read_words: int = 0
    dram_weight_read_words: int = 0
    dram_output_write_words: int = 0

    @property
    def glb_accesses(self) -> float:
        return (self.glb_input_reads + self.glb_weight_reads + self.glb_psum_reads
                + self.glb_psum_writes + self.glb_output_writes + self.glb_fill_writes
                + self.glb_drain_reads)

    @property
    def dram_words(self) -> int:
        return self.dram_input_read_words + self.dram_weight_read_words + self.dram_output_write_words

    def to_dict(self) -> dict[str, float]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class LayerCost:
    """Counts and cycles of one layer in one dataflow (no energy; see ``energy.py``)."""

    kind: str                 # 'array', 'vector' or 'none'
    dataflow: str             # 'ws', 'os', ..., 'vector' or 'none'
    counts: AccessCounts
    compute_cycles: int
    writeback_cycles: int
    memory_cycles: float
    cycles: float
    fill_cycles: float
    drain_cycles: float
    utilization: float
    spatial_utilization: float
    dram_read_bytes: int
    dram_write_bytes: int
    weight_bytes: int
    compulsory_dram_bytes: int
    #: the tile runs the event engine plays (built when first read; a sweep never reads them)
    tiles: Sequence[TileRun] = ()
    mapping: Mapping | None = None
    tiling: Tiling | None = None
    alternatives: TMapping[str, float] = field(default_factory=dict)  # hybrid: cycles per mode
    #: leading load bytes fetched during the previous layer (``hwsim.cost.prefetch``; the
    #: analytic engine's post-pass sets it, the cost model itself never prefetches)
    prefetched_bytes: int = 0

    @property
    def bound(self) -> str:
        """'memory' when DRAM time exceeds compute time (roofline), else 'compute'."""
        return "memory" if self.memory_cycles > self.compute_cycles else "compute"

    @property
    def dram_bytes(self) -> int:
        return self.dram_read_bytes + self.dram_write_bytes

    @property
    def arithmetic_intensity(self) -> float:
        """MACs per DRAM byte."""
        return self.counts.macs / self.dram_bytes if self.dram_bytes else 0.0


def layer_kind(layer: Layer) -> str:
    if layer.type in (L.CONV, L.FC):
        return ARRAY
    if layer.type in FREE_TYPES:
        return NONE
    return VECTOR


def cost_layer(layer: Layer, machine: MachineParams, dataflow: str,
               epi: Epilogue | None = None, extra_vector_ops: int = 0) -> LayerCost:
    """Cost of ``layer`` on ``machine`` in ``dataflow`` (``ws``, ``os``, ``hybrid``, ...).

    ``epi`` and ``extra_vector_ops``: what fusion changes (``hwsim.cost.fusion``): the
    layer's DRAM tiles, and the vector work of the element-wise layers fused into it (done
    as its results leave the array, overlapped). Raises KeyError when no strategy is
    registered for the dataflow, TilingError when no tile of the layer fits the global
    buffer.
    """
    kind = layer_kind(layer)
    if kind == NONE:
        return _free_cost()
    shape = ConvShape.from_layer(layer)
    ops = layer.vector_ops + extra_vector_ops
    if kind == VECTOR:
        return _vector_cost(shape, ops, machine, epi, layer.moved_words)
    if dataflow == hybrid.NAME:
        return _hybrid_cost(shape, ops, machine, epi)
    return _array_cost(shape, ops, machine, dataflow, epi)


@lru_cache(maxsize=1)
def _free_cost() -> LayerCost:
    return LayerCost(NONE, NONE, AccessCounts(), 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 0, 0, 0)


@lru_cache(maxsize=16384)
def _hybrid_cost(shape: ConvShape, vector_ops: int, machine: MachineParams,
                 epi: Epilogue | None = None) -> LayerCost:
    return hybrid_pick([_array_cost(shape, vector_ops, machine, d, epi)
                        for d in hybrid_modes(machine.microarchitecture)])


def hybrid_modes(microarchitecture: str) -> list[str]:
    """The modes hybrid tries on ``microarchitecture``, in the order it tries them."""
    modes = [d for d in registered_dataflows(microarchitecture) if d != hybrid.NAME]
    return sorted(modes, key=_mode_order)


def hybrid_pick(costs: Sequence[LayerCost]) -> LayerCost:
    """Hybrid's record from each mode's (in :func:`hybrid_modes` order): the chosen one,
    with every mode's cycles as its ``alternatives``."""
    best = hybrid.choose(costs)
    return _replace_alternatives(best, {c.dataflow: c.cycles for c in costs})


#: The order in which hybrid tries the modes (a tie goes to the one tried first).
_MODE_ORDER: dict[str, int] = {Dataflow.WS: 0, Dataflow.OS: 1, Dataflow.IS: 2}


def _mode_order(name: str) -> tuple[int, str]:
    return (_MODE_ORDER.get(name, 9), name)


def _replace_alternatives(cost: LayerCost, alternatives: dict[str, float]) -> LayerCost:
    return dataclasses.replace(cost, alternatives=alternatives)


class ArrayPlan(NamedTuple):
    """A layer's mapping in one dataflow and what its DRAM tiling search needs from it:
    the array time with setup (``compute``), the granularity (units) and whole-pass flags."""

    dataflow: str
    mapping: Mapping
    compute: int


#: The machine fields the mapping stage never reads (the DRAM side and the tiling budget):
#: :func:`array_plan` is cached on the machine with these cleared, so machines that differ
#: only there share it (``tests/test_stage_keys.py`` checks the mapping reads none of them).
MAPPING_FREE_FIELDS = ("tile_budget_bytes", "double_buffering", "dram_bytes_per_cycle",
                       "dram_latency_cycles")


def array_plan(shape: ConvShape, vector_ops: int, m: MachineParams, dataflow: str) -> ArrayPlan:
    """The mapping stage of an array layer (cached on the fields it reads)."""
    cleared = m._replace(tile_budget_bytes=0, double_buffering=False, dram_bytes_per_cycle=0.0,
                         dram_latency_cycles=0)
    return _array_plan(shape, vector_ops, cleared, dataflow)


@lru_cache(maxsize=16384)
def _array_plan(shape: ConvShape, vector_ops: int, m: MachineParams, dataflow: str) -> ArrayPlan:
    mp = strategy_for(m.microarchitecture, dataflow).map(shape, m)
    vector_cycles = ceil_div(vector_ops, m.vector_lanes)
    return ArrayPlan(dataflow, mp, max(mp.array_cycles, vector_cycles) + m.layer_setup_cycles)


def search_tiles(shape: ConvShape, m: MachineParams, k_unit: int, p_unit: int, c_unit: int,
                 compute: int, setup: int, epi: Epilogue | None = None,
                 whole_passes: tuple[bool, bool, bool] = (False, False, False)) -> DramTiling:
    """The search stage: the fastest DRAM tiling (:func:`~hwsim.cost.tiling.search_dram_tiles`,
    cached on its arguments)."""
    half, whole = tile_budgets(m)
    return search_dram_tiles(shape, half, k_unit, p_unit, c_unit, float(compute),
                             Timing.from_machine(m), whole, float(setup), epi, whole_passes)


def tile_budgets(m: MachineParams) -> tuple[int, int]:
    """The search's budgets in words: any tile's, and a one-tile layer's (the whole buffer
    with double buffering)."""
    whole = m.tile_budget_bytes * 2 if m.double_buffering else m.tile_budget_bytes
    return m.tile_budget_bytes // m.word_bytes, whole // m.word_bytes


@lru_cache(maxsize=16384)
def _array_cost(shape: ConvShape, vector_ops: int, m: MachineParams, dataflow: str,
                epi: Epilogue | None = None) -> LayerCost:
    plan = array_plan(shape, vector_ops, m, dataflow)
    mp = plan.mapping
    t = search_tiles(shape, m, mp.k_unit, mp.p_unit, mp.c_unit, plan.compute,
                     m.layer_setup_cycles, epi, mp.whole_passes)
    return array_cost(shape, vector_ops, m, plan, t, epi)


def array_cost(shape: ConvShape, vector_ops: int, m: MachineParams, plan: ArrayPlan,
               t: DramTiling, epi: Epilogue | None = None,
               finished: Finished | None = None) -> LayerCost:
    """The record of an array layer mapped by ``plan`` and cut by ``t`` (timed by
    :func:`~hwsim.cost.finish.finish_tiles` unless ``finished`` gives its timing)."""
    mp = plan.mapping
    wb = m.word_bytes
    f = finished or finish_tiles(t, m, plan.compute, mp.writeback_cycles,
                                 m.layer_setup_cycles)
    tiling = f.tiling
    read_bytes, write_bytes = tiling.read_words * wb, tiling.output_write_words * wb
    counts = AccessCounts(
        macs=shape.macs, effective_macs=mp.effective_macs, vector_ops=vector_ops,
        rf_accesses=mp.rf_accesses, inter_pe_transfers=mp.inter_pe_transfers,
        glb_input_reads=mp.glb_input_reads, glb_weight_reads=mp.glb_weight_reads,
        glb_psum_reads=mp.glb_psum_reads, glb_psum_writes=mp.glb_psum_writes,
        glb_output_writes=mp.glb_output_writes,
        glb_fill_writes=float(tiling.read_words), glb_drain_reads=float(tiling.output_write_words),
        dram_input_read_words=tiling.input_read_words,
        dram_weight_read_words=tiling.weight_read_words,
        dram_output_write_words=tiling.output_write_words)
    utilization = mp.effective_macs / (m.pes * f.cycles) if f.cycles else 0.0
    return LayerCost(
        kind=ARRAY, dataflow=plan.dataflow, counts=counts, compute_cycles=f.compute,
        writeback_cycles=f.writeback, memory_cycles=f.memory, cycles=f.cycles,
        fill_cycles=f.fill, drain_cycles=f.drain, utilization=utilization,
        spatial_utilization=mp.spatial_utilization, dram_read_bytes=read_bytes,
        dram_write_bytes=write_bytes, weight_bytes=shape.weight_words * wb,
        compulsory_dram_bytes=_compulsory_words(shape, epi) * wb,
        tiles=f.tiles, mapping=mp, tiling=tiling)


def vector_compute(vector_ops: int, moved_words: int, m: MachineParams) -> int:
    """A vector layer's cycles: each lane one operation or one copied word a cycle."""
    return ceil_div(vector_ops + moved_words, m.vector_lanes)


@lru_cache(maxsize=16384)
def _vector_cost(shape: ConvShape, vector_ops: int, m: MachineParams,
                 epi: Epilogue | None = None, moved_words: int = 0) -> LayerCost:
    """A layer on the vector unit: ``vector_ops`` operations and ``moved_words`` words copied
    (a shuffle), each lane one of either a cycle; its tiles cut output channels and rows
    (units: all output channels, one row, all input channels)."""
    compute = vector_compute(vector_ops, moved_words, m)
    t = search_tiles(shape, m, shape.out_channels, 1, shape.in_channels, compute, 0, epi)
    return vector_cost(shape, vector_ops, m, compute, t, epi)


def vector_cost(shape: ConvShape, vector_ops: int, m: MachineParams, compute: int,
                t: DramTiling, epi: Epilogue | None = None,
                finished: Finished | None = None) -> LayerCost:
    """The record of a vector layer of ``compute`` cycles cut by ``t`` (``finished``: as
    for :func:`array_cost`)."""
    wb = m.word_bytes
    f = finished or finish_tiles(t, m, compute, 0, 0)
    tiling = f.tiling
    read_bytes, write_bytes = tiling.read_words * wb, tiling.output_write_words * wb
    counts = AccessCounts(
        vector_ops=vector_ops, glb_input_reads=float(shape.input_words),
        glb_output_writes=float(shape.output_words),
        glb_fill_writes=float(tiling.read_words), glb_drain_reads=float(tiling.output_write_words),
        dram_input_read_words=tiling.input_read_words,
        dram_output_write_words=tiling.output_write_words)
    return LayerCost(
        kind=VECTOR, dataflow=VECTOR, counts=counts, compute_cycles=compute, writeback_cycles=0,
        memory_cycles=f.memory, cycles=f.cycles, fill_cycles=f.fill, drain_cycles=f.drain,
        utilization=0.0, spatial_utilization=0.0, dram_read_bytes=read_bytes,
        dram_write_bytes=write_bytes, weight_bytes=0,
        compulsory_dram_bytes=_compulsory_words(shape, epi) * wb, tiles=f.tiles,
        tiling=tiling)


def _compulsory_words(shape: ConvShape, epi: Epilogue | None) -> int:
    """Words a layer must move at least: its input from DRAM, its weights, its output to
    DRAM (the pooled output of a fused pooling), a fused add's operand from DRAM."""
    if epi is None:
        return shape.input_words + shape.weight_words + shape.output_words
    out = shape.output_words
    if epi.pool is not None:
        out = shape.out_channels * epi.pool[3] * epi.pool[4]
    return (shape.input_words * epi.input_num // epi.input_den + shape.weight_words
            + (out if epi.store else 0) + (shape.output_words if epi.operand else 0))


def clear_caches() -> None:
    """Forget cached costs (tests and benchmarks)."""
    for fn in (_array_cost, _vector_cost, _hybrid_cost, _array_plan, CANDIDATE_CACHE,
               search_dram_tiles):
        fn.cache_clear()


__all__ = ["AccessCounts", "LayerCost", "cost_layer", "layer_kind", "clear_caches",
           "TilingError", "ARRAY", "VECTOR", "NONE"]
