"""Shared records of the dataflows: layer shapes, machine parameters, mappings, the protocol.

A *dataflow strategy* (``ws.py``, ``os.py``; ``systolic_adapter.py`` for the systolic array)
says how one layer lands on the PE array: what each PE holds, what is broadcast, what the
rows and columns unroll, how many passes (folds) the layer needs, how many cycles the array
spends and how many accesses each level of the hierarchy sees inside the chip. It reads the
layer's :class:`ConvShape` and the :class:`MachineParams` and returns a :class:`Mapping`.
Everything between DRAM and the global buffer (the tiling search and the pipeline timing)
is dataflow-independent and lives in ``hwsim.cost`` (``tiling.py``, ``timing.py``).

Legend: K output channels, C input channels, G groups, H x W input, P x Q output,
R x S kernel.
"""

from __future__ import annotations

from collections.abc import Mapping as TMapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from hwsim.workload import layer as L
from hwsim.workload.layer import Layer


class ConvShape(NamedTuple):
    """The loop bounds of one layer, hashable (the cache key of the cost model).

    ``in_channels`` counts every input tensor's channels (an element-wise add of two 64-channel
    maps has 128). FC layers are 1x1 convolutions of a 1x1 map with C*H*W input channels.
    ``weights`` is False for layers without weights (pooling, add, ...).
    """

    in_channels: int
    out_channels: int
    in_height: int
    in_width: int
    out_height: int
    out_width: int
    kernel_h: int = 1
    kernel_w: int = 1
    stride_h: int = 1
    stride_w: int = 1
    dilation_h: int = 1
    dilation_w: int = 1
    groups: int = 1
    bias: bool = False
    weights: bool = True

    @property
    def c_per_group(self) -> int:
        return self.in_channels // self.groups

    @property
    def k_per_group(self) -> int:
        return self.out_channels // self.groups

    @property
    def macs(self) -> int:
        """K * P * Q * (C / G) * R * S for a layer with weights, else 0."""
        if not self.weights:
            return 0
        return (self.out_channels * self.out_height * self.out_width * self.c_per_group
                * self.kernel_h * self.kernel_w)

    @property
    def weight_words(self) -> int:
        """Weights plus biases (words)."""
        if not self.weights:
            return 0
        return (self.out_channels * self.c_per_group * self.kernel_h * self.kernel_w
                + (self.out_channels if self.bias else 0))

    @property
    def input_words(self) -> int:
        return self.in_channels * self.in_height * self.in_width

    @property
    def output_words(self) -> int:
        return self.out_channels * self.out_height * self.out_width

    @classmethod
    def from_layer(cls, layer: Layer) -> ConvShape:
        """The shape of a conv, FC, pooling or element-wise layer."""
        x = layer.in_shape
        out = layer.out_shape
        if layer.type == L.FC:
            return cls(layer.in_channels, out.channels, 1, 1, 1, 1, bias=layer.bias)
        if layer.type == L.CONV:
            return cls(x.channels, out.channels, x.height, x.width, out.height, out.width,
                       layer.kernel[0], layer.kernel[1], layer.stride[0], layer.stride[1],
                       layer.dilation[0], layer.dilation[1], layer.groups, layer.bias, True)
        channels_in = sum(s.channels for s in layer.in_shapes)
        if layer.type == L.MUL:  # a broadcast [C, 1, 1] operand's C words are not counted
            channels_in = sum(s.channels for s in layer.full_inputs)
            x = layer.full_inputs[0]
        if layer.type in L.POOL_TYPES:
            return cls(channels_in, out.channels, x.height, x.width, out.height, out.width,
                       layer.kernel[0], layer.kernel[1], layer.stride[0], layer.stride[1],
                       weights=False)
        return cls(channels_in, out.channels, x.height, x.width, out.height, out.width,
                   weights=False)


class MachineParams(NamedTuple):
    """The accelerator parameters the cost model reads (hashable; energy excluded)."""

    microarchitecture: str
    rows: int
    cols: int
    accumulators: int
    word_bytes: int
    tile_budget_bytes: int
    double_buffering: bool
    input_words_per_cycle: int
    weight_words_per_cycle: int
    psum_words_per_cycle: int
    output_words_per_cycle: int
    dram_bytes_per_cycle: float
    dram_latency_cycles: int
    layer_setup_cycles: int
    vector_lanes: int
    zero_weight_fraction: float
    skip_zero_weights_in: tuple[str, ...]
    pack_groups: bool = False

    @classmethod
    def from_accelerator(cls, acc: Any) -> MachineParams:
        a, b = acc.pe_array, acc.buffer
        return cls(acc.microarchitecture, a.rows, a.cols, a.rf_entries_per_pe, acc.word_bytes,
                   b.tile_budget_bytes, b.double_buffering, b.input_words_per_cycle,
                   b.weight_words_per_cycle, b.psum_words_per_cycle, b.output_words_per_cycle,
                   acc.dram_bytes_per_cycle, acc.dram.latency_cycles, acc.layer_setup_cycles,
                   acc.vector_unit.lanes, acc.sparsity.zero_weight_fraction,
                   tuple(acc.sparsity.skip_zero_weights_in), a.pack_groups)

    @property
    def pes(self) -> int:
        return self.rows * self.cols

    def density(self, dataflow: str) -> float:
        """Share of weights the dataflow spends cycles on (1 - zero fraction if it skips)."""
        return 1.0 - self.zero_weight_fraction if dataflow in self.skip_zero_weights_in else 1.0


@dataclass(frozen=True, slots=True)
class Mapping:
    """How one layer runs on the array in one dataflow: time and on-chip accesses.

    ``array_cycles`` is the array's busy time (write-back included, setup excluded);
    ``writeback_cycles`` the part of it spent writing finished outputs back (OS);
    ``spatial_utilization`` the share of PEs that hold useful work, averaged over passes.
    Access counts are in words. ``k_unit`` / ``p_unit`` / ``c_unit`` are the output channels,
    output rows and input channels the array consumes together (one pass; the tiling search
    builds its tile sizes from these, and a tile smaller than a pass wastes the rest).
    """

    dataflow: str
    array_cycles: int
    writeback_cycles: int
    passes: int
    spatial_utilization: float
    effective_macs: float
    rf_accesses: float
    inter_pe_transfers: float
    glb_input_reads: float
    glb_weight_reads: float
    glb_psum_reads: float
    glb_psum_writes: float
    glb_output_writes: float
    k_unit: int
    p_unit: int
    c_unit: int = 1
    #: Per loop (output channels, output rows, input channels): whether a DRAM tile smaller
    #: than the unit along it still costs a whole pass (the idle PEs of a partly filled pass).
    whole_passes: tuple[bool, bool, bool] = (False, False, False)
    description: str = ""
    details: TMapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.array_cycles < 0 or self.writeback_cycles < 0 or self.writeback_cycles > self.array_cycles:
            raise ValueError(f"{self.dataflow}: inconsistent cycles {self.array_cycles}/"
                             f"{self.writeback_cycles}")
        if not 0.0 < self.spatial_utilization <= 1.0 + 1e-9:
            raise ValueError(f"{self.dataflow}: spatial utilization {self.spatial_utilization} "
                             "outside (0, 1]")


class DataflowStrategy(Protocol):
    """A dataflow: ``name`` and ``map(shape, machine) -> Mapping`` for conv and FC shapes."""

    name: str

    def map(self, shape: ConvShape, machine: MachineParams) -> Mapping: ...


__all__ = ["ConvShape", "MachineParams", "Mapping", "DataflowStrategy"]
