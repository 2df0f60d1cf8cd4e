"""The sections of a machine (:mod:`hwsim.hardware.accelerator` describes the model and holds
the whole :class:`~hwsim.hardware.accelerator.Accelerator`, which re-exports these names): the
PE array, the buffers, DRAM, the vector unit, weight sparsity, fusion and the energy table,
each a frozen record checked in ``__post_init__``, with the checks they share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ENERGY_UNITS = ("mac", "pJ")
# How each unit is written for people, everywhere (run summary, assumptions, tables, plot
# axes): ``mac`` is the energy of one 16-bit MAC (Eyeriss-style), written "MAC-eq".
ENERGY_UNIT_LABELS = {"mac": "MAC-eq", "pJ": "pJ"}


def energy_unit_label(unit: str) -> str:
    """The one spelling of an energy unit for people: ``mac`` -> ``MAC-eq``, ``pJ`` -> ``pJ``
    (an unknown or empty unit is written as it is, or ``units``)."""
    return ENERGY_UNIT_LABELS.get(unit, unit or "units")


def require_positive(owner: str, **values: float) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"{owner}.{name} must be positive, got {value!r}")


def require_non_negative(owner: str, **values: float) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{owner}.{name} must be non-negative, got {value!r}")


def require_integer(owner: str, **values: Any) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{owner}.{name} must be an integer, got {value!r}")


def require_boolean(owner: str, **values: Any) -> None:
    for name, value in values.items():
        if not isinstance(value, bool):
            raise ValueError(f"{owner}.{name} must be true or false, got {value!r}")


@dataclass(frozen=True, slots=True)
class PEArray:
    """``rows x cols`` processing elements with ``rf_entries_per_pe`` accumulators each.

    ``pack_groups``: in WS, run several groups of a grouped / depthwise layer side by side
    on the array's diagonal when a group is smaller than the array. The study's estimator
    did not (its depthwise layers run one to two orders of magnitude slower in WS than in
    OS), so the default is off.
    """

    rows: int = 16
    cols: int = 16
    rf_entries_per_pe: int = 8
    pack_groups: bool = False

    def __post_init__(self) -> None:
        require_integer("PEArray", rows=self.rows, cols=self.cols, rf_entries_per_pe=self.rf_entries_per_pe)
        require_positive("PEArray", rows=self.rows, cols=self.cols, rf_entries_per_pe=self.rf_entries_per_pe)
        if not isinstance(self.pack_groups, bool):
            raise ValueError(f"PEArray.pack_groups must be true or false, got {self.pack_groups!r}")

    @property
    def pes(self) -> int:
        """Number of PEs."""
        return self.rows * self.cols


@dataclass(frozen=True, slots=True)
class Buffer:
    """On-chip buffers and the buffer-to-array path.

    ``global_kib`` global buffer (KiB), ``preload_kib`` / ``broadcast_kib`` the array-side
    staging buffers (recorded and validated; the model assumes they keep the array fed),
    ``double_buffering`` whether DRAM transfers overlap compute (the global buffer is then
    split in two halves), ``weight_prefetch`` whether the DMA may load the next layer's
    weights, in channel time the current layer leaves idle, into buffer space it leaves free
    (both engines: ``hwsim.cost.prefetch``), and the per-operand bandwidths between buffer
    and array in words per cycle.
    """

    global_kib: float = 512.0
    preload_kib: float = 8.0
    broadcast_kib: float = 8.0
    double_buffering: bool = True
    weight_prefetch: bool = True
    input_words_per_cycle: int = 32
    weight_words_per_cycle: int = 32
    psum_words_per_cycle: int = 32
    output_words_per_cycle: int = 32

    def __post_init__(self) -> None:
        require_positive("Buffer", global_kib=self.global_kib, preload_kib=self.preload_kib,
                         broadcast_kib=self.broadcast_kib)
        require_integer("Buffer", input_words_per_cycle=self.input_words_per_cycle,
                        weight_words_per_cycle=self.weight_words_per_cycle,
                        psum_words_per_cycle=self.psum_words_per_cycle,
                        output_words_per_cycle=self.output_words_per_cycle)
        require_positive("Buffer", input_words_per_cycle=self.input_words_per_cycle,
                         weight_words_per_cycle=self.weight_words_per_cycle,
                         psum_words_per_cycle=self.psum_words_per_cycle,
                         output_words_per_cycle=self.output_words_per_cycle)
        require_boolean("Buffer", double_buffering=self.double_buffering,
                        weight_prefetch=self.weight_prefetch)

    @property
    def global_bytes(self) -> int:
        return int(self.global_kib * 1024)

    @property
    def tile_budget_bytes(self) -> int:
        """Global-buffer bytes one tile may occupy: half the buffer when double-buffered."""
        return self.global_bytes // 2 if self.double_buffering else self.global_bytes


@dataclass(frozen=True, slots=True)
class Dram:
    """Off-chip memory: ``bandwidth_gb_per_s`` effective bandwidth (1 GB = 1e9 bytes) and a
    fixed ``latency_cycles`` (accelerator clock cycles) before a transfer starts."""

    bandwidth_gb_per_s: float = 16.0
    latency_cycles: int = 100

    def __post_init__(self) -> None:
        require_positive("Dram", bandwidth_gb_per_s=self.bandwidth_gb_per_s)
        require_integer("Dram", latency_cycles=self.latency_cycles)
        require_non_negative("Dram", latency_cycles=self.latency_cycles)


@dataclass(frozen=True, slots=True)
class VectorUnit:
    """A 1-D SIMD unit of ``lanes`` lanes: one element operation per lane per cycle."""

    lanes: int = 16

    def __post_init__(self) -> None:
        require_integer("VectorUnit", lanes=self.lanes)
        require_positive("VectorUnit", lanes=self.lanes)


@dataclass(frozen=True, slots=True)
class Sparsity:
    """``zero_weight_fraction`` of every layer's weights are zero; the dataflows in
    ``skip_zero_weights_in`` skip them (no cycle and no MAC energy spent on them)."""

    zero_weight_fraction: float = 0.0
    skip_zero_weights_in: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        f = self.zero_weight_fraction
        if isinstance(f, bool) or not isinstance(f, (int, float)) or not 0.0 <= f < 1.0:
            raise ValueError(f"Sparsity.zero_weight_fraction must be in [0, 1), got {f!r}")
        if not isinstance(self.skip_zero_weights_in, tuple):
            raise ValueError("Sparsity.skip_zero_weights_in must be a tuple of dataflow names")

    def density(self, dataflow: str) -> float:
        """Share of weights the dataflow spends cycles on: 1 - fraction if it skips zeros."""
        return 1.0 - self.zero_weight_fraction if dataflow in self.skip_zero_weights_in else 1.0


@dataclass(frozen=True, slots=True)
class Fusion:
    """Layers that share the chip (both off: every layer reads its inputs from DRAM and
    writes its output back, as the study's machines do; see ``hwsim.cost.fusion``).

    ``elementwise``: activations, BatchNorm, residual adds and pooling that follow a
    convolution are applied by the vector unit to its output tiles on their way out (the
    fused layer reads only its other operand, an add's shortcut, and writes only its result).
    ``keep_on_chip``: a tensor stays in the global buffer from its producer to its last
    consumer when it fits beside the working tiles of every layer in between; otherwise it
    spills to DRAM.
    """

    elementwise: bool = False
    keep_on_chip: bool = False

    def __post_init__(self) -> None:
        require_boolean("Fusion", elementwise=self.elementwise, keep_on_chip=self.keep_on_chip)

    @property
    def enabled(self) -> bool:
        return self.elementwise or self.keep_on_chip


@dataclass(frozen=True, slots=True)
class EnergyTable:
    """Energy per action, in ``unit`` (``mac``: normalised to one 16-bit MAC, Eyeriss-style;
    or ``pJ``). Defaults: the Eyeriss ratios (Chen, Emer, Sze, ISCA 2016) for 16-bit words:
    MAC 1, register file 1, inter-PE 2, global buffer 6, DRAM 200 per word."""

    unit: str = "mac"
    mac: float = 1.0
    rf_access: float = 1.0
    inter_pe: float = 2.0
    glb_access: float = 6.0
    dram_word: float = 200.0
    vector_op: float = 1.0
    leakage_per_cycle: float = 0.0

    def __post_init__(self) -> None:
        if self.unit not in ENERGY_UNITS:
            raise ValueError(f"EnergyTable.unit must be one of {ENERGY_UNITS}, got {self.unit!r}")
        require_non_negative("EnergyTable", mac=self.mac, rf_access=self.rf_access,
                             inter_pe=self.inter_pe, glb_access=self.glb_access,
                             dram_word=self.dram_word, vector_op=self.vector_op,
                             leakage_per_cycle=self.leakage_per_cycle)


__all__ = ["PEArray", "Buffer", "Dram", "VectorUnit", "Sparsity", "Fusion", "EnergyTable",
           "ENERGY_UNITS", "ENERGY_UNIT_LABELS", "energy_unit_label", "require_positive",
           "require_non_negative", "require_integer", "require_boolean"]
