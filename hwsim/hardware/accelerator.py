"""The machine: a PE array, its buffers, DRAM, a vector unit and an energy price table.

An :class:`Accelerator` is an immutable, validated record; sweeps derive variants with
``dataclasses.replace`` (or :meth:`Accelerator.with_changes` for nested fields). Every field
carries its unit in its name. The records only describe the machine: how a layer maps onto
it lives in ``hwsim.dataflow``, what it costs in ``hwsim.cost``.

The model of the study's machine (``microarchitecture: broadcast``, the default; see
``shared/reference/squeezelerator.md``):

* an ``rows x cols`` array of PEs, each with a multiplier, an adder and a register file of
  ``rf_entries_per_pe`` partial-sum registers (the OS accumulators);
* PEs talk to their neighbours; a broadcast buffer reaches every PE, a preload buffer feeds
  the top row, the bottom row writes to the global buffer;
* the global buffer (``global_kib``) is fed from DRAM by a DMA engine; with
  ``double_buffering`` the next tile's transfer overlaps the current tile's compute;
* per cycle the buffer-to-array path carries ``input_words_per_cycle`` activations,
  ``weight_words_per_cycle`` weights, ``psum_words_per_cycle`` partial sums into the array
  and ``output_words_per_cycle`` results back;
* DRAM is a fixed latency plus an effective bandwidth;
* a fraction of the weights are zero; the dataflows listed in ``skip_zero_weights_in`` do not
  spend cycles on them (OS: the broadcast buffer sends only non-zero weights);
* a 1-D vector unit of ``lanes`` lanes runs pooling, element-wise add and activations.

``microarchitecture: systolic`` describes a SCALE-Sim-style systolic array instead (its
dataflows are ``ws``, ``os`` and ``is``); the record accepts it, the cost model for it lives
in ``hwsim/dataflow/systolic.py``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hwsim.errors import InputError, Problem, did_you_mean
from hwsim.hardware.names import BROADCAST, DATAFLOWS_BY_MICROARCHITECTURE, MICROARCHITECTURES, SYSTOLIC

HYBRID = "hybrid"


def accepted_dataflows(microarchitecture: str, *, hybrid: bool = True) -> tuple[str, ...]:
    """The dataflows a ``microarchitecture`` accepts, in order (``()`` for an unknown one).

    The one statement of the dataflow-vs-microarchitecture rule. ``hybrid=False`` leaves out
    ``hybrid``, which picks among the others per layer rather than being a dataflow of its
    own (what :attr:`Accelerator.dataflows` lists and ``skip_zero_weights_in`` may name)."""
    accepted = DATAFLOWS_BY_MICROARCHITECTURE.get(microarchitecture, ())
    return accepted if hybrid else tuple(d for d in accepted if d != HYBRID)


ENERGY_UNITS = ("mac", "pJ")
# How each unit is written for people, everywhere (run summary, assumptions, tables, plot
# axes): ``mac`` is the energy of one 16-bit MAC (Eyeriss-style), written "MAC-eq".
ENERGY_UNIT_LABELS = {"mac": "MAC-eq", "pJ": "pJ"}


def energy_unit_label(unit: str) -> str:
    """The one spelling of an energy unit for people: ``mac`` -> ``MAC-eq``, ``pJ`` -> ``pJ``
    (an unknown or empty unit is written as it is, or ``units``)."""
    return ENERGY_UNIT_LABELS.get(unit, unit or "units")


def _positive(owner: str, **values: float) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"{owner}.{name} must be positive, got {value!r}")


def _non_negative(owner: str, **values: float) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{owner}.{name} must be non-negative, got {value!r}")


def _integer(owner: str, **values: Any) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{owner}.{name} must be an integer, got {value!r}")


def _boolean(owner: str, **values: Any) -> None:
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
        _integer("PEArray", rows=self.rows, cols=self.cols, rf_entries_per_pe=self.rf_entries_per_pe)
        _positive("PEArray", rows=self.rows, cols=self.cols, rf_entries_per_pe=self.rf_entries_per_pe)
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
        _positive("Buffer", global_kib=self.global_kib, preload_kib=self.preload_kib,
                  broadcast_kib=self.broadcast_kib)
        _integer("Buffer", input_words_per_cycle=self.input_words_per_cycle,
                 weight_words_per_cycle=self.weight_words_per_cycle,
                 psum_words_per_cycle=self.psum_words_per_cycle,
                 output_words_per_cycle=self.output_words_per_cycle)
        _positive("Buffer", input_words_per_cycle=self.input_words_per_cycle,
                  weight_words_per_cycle=self.weight_words_per_cycle,
                  psum_words_per_cycle=self.psum_words_per_cycle,
                  output_words_per_cycle=self.output_words_per_cycle)
        _boolean("Buffer", double_buffering=self.double_buffering,
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
        _positive("Dram", bandwidth_gb_per_s=self.bandwidth_gb_per_s)
        _integer("Dram", latency_cycles=self.latency_cycles)
        _non_negative("Dram", latency_cycles=self.latency_cycles)


@dataclass(frozen=True, slots=True)
class VectorUnit:
    """A 1-D SIMD unit of ``lanes`` lanes: one element operation per lane per cycle."""

    lanes: int = 16

    def __post_init__(self) -> None:
        _integer("VectorUnit", lanes=self.lanes)
        _positive("VectorUnit", lanes=self.lanes)


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
        _boolean("Fusion", elementwise=self.elementwise, keep_on_chip=self.keep_on_chip)

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
        _non_negative("EnergyTable", mac=self.mac, rf_access=self.rf_access,
                      inter_pe=self.inter_pe, glb_access=self.glb_access,
                      dram_word=self.dram_word, vector_op=self.vector_op,
                      leakage_per_cycle=self.leakage_per_cycle)


@dataclass(frozen=True, slots=True)
class Accelerator:
    """A whole machine. ``dataflow`` is the default mode (``ws``, ``os``, ``hybrid``; ``is``
    too on a systolic array); ``layer_setup_cycles`` is a fixed cost the array pays per layer
    (configuration and start-up between layers, which run one after another)."""

    name: str = "accelerator"
    description: str = ""
    microarchitecture: str = BROADCAST
    dataflow: str = "ws"
    clock_mhz: float = 1000.0
    data_width_bits: int = 16
    layer_setup_cycles: int = 0
    pe_array: PEArray = field(default_factory=PEArray)
    buffer: Buffer = field(default_factory=Buffer)
    dram: Dram = field(default_factory=Dram)
    vector_unit: VectorUnit = field(default_factory=VectorUnit)
    sparsity: Sparsity = field(default_factory=Sparsity)
    energy: EnergyTable = field(default_factory=EnergyTable)
    fusion: Fusion = field(default_factory=Fusion)
    path: str = ""

    def __post_init__(self) -> None:
        if self.microarchitecture not in MICROARCHITECTURES:
            raise ValueError(f"Accelerator.microarchitecture must be one of {MICROARCHITECTURES}, "
                             f"got {self.microarchitecture!r}")
        allowed = accepted_dataflows(self.microarchitecture)
        if self.dataflow not in allowed:
            raise ValueError(f"Accelerator.dataflow must be one of {allowed} on a "
                             f"{self.microarchitecture} array, got {self.dataflow!r}")
        for df in self.sparsity.skip_zero_weights_in:
            if df not in accepted_dataflows(self.microarchitecture, hybrid=False):
                raise ValueError(f"Sparsity.skip_zero_weights_in: {df!r} is not a dataflow of a "
                                 f"{self.microarchitecture} array")
        _positive("Accelerator", clock_mhz=self.clock_mhz)
        _integer("Accelerator", data_width_bits=self.data_width_bits,
                 layer_setup_cycles=self.layer_setup_cycles)
        _positive("Accelerator", data_width_bits=self.data_width_bits)
        _non_negative("Accelerator", layer_setup_cycles=self.layer_setup_cycles)
        if self.data_width_bits % 8:
            raise ValueError(f"Accelerator.data_width_bits must be a multiple of 8, got {self.data_width_bits}")

    # --- derived quantities -----------------------------------------------------------
    @property
    def word_bytes(self) -> int:
        """Bytes per data word (activations, weights and partial sums alike)."""
        return self.data_width_bits // 8

    @property
    def dram_bytes_per_cycle(self) -> float:
        """Effective DRAM bandwidth per accelerator cycle: GB/s * 1e9 / (MHz * 1e6)."""
        return self.dram.bandwidth_gb_per_s * 1000.0 / self.clock_mhz

    @property
    def pes(self) -> int:
        return self.pe_array.pes

    @property
    def dataflows(self) -> tuple[str, ...]:
        """The dataflows this machine can run (``hybrid`` excluded)."""
        return accepted_dataflows(self.microarchitecture, hybrid=False)

    def with_changes(self, *args: Any, **changes: Any) -> Accelerator:
        """A copy with fields replaced, checked as a file would be.

        Changes are keyword arguments, a mapping, or one ``key, value`` pair; a key is a
        field (``dataflow``) or a dotted path into a section (``"pe_array.rows"``). A section
        may also be given whole, as its record or as a mapping of its keys, which are merged
        into the current section (``pe_array={"rows": 32}`` keeps ``cols``). The new record is
        built through the sections' constructors, so their checks apply; an unknown key (with
        the closest known one), a value of the wrong type or out of range, or a dataflow the
        machine lacks is one :class:`~hwsim.errors.InputError` naming each key, never a plain
        dict inside the record or a bare TypeError."""
        return _with_changes(self, _change_list(self, args, changes))

    def assumptions(self) -> list[str]:
        """The open parameters a result depends on, in words (for reports)."""
        a = self.pe_array
        b = self.buffer
        out = [
            f"{a.rows}x{a.cols} PEs ({self.microarchitecture}), {a.rf_entries_per_pe} "
            f"accumulators per PE, {self.data_width_bits}-bit words"
            + (", WS packs small groups on the diagonal" if a.pack_groups else ""),
            f"global buffer {b.global_kib:g} KiB, double buffering "
            f"{'on' if b.double_buffering else 'off'}; buffer-to-array words/cycle: input "
            f"{b.input_words_per_cycle}, weight {b.weight_words_per_cycle}, psum "
            f"{b.psum_words_per_cycle}, output {b.output_words_per_cycle}",
            f"DRAM {self.dram.bandwidth_gb_per_s:g} GB/s = {self.dram_bytes_per_cycle:.3g} "
            f"bytes/cycle at {self.clock_mhz:g} MHz, latency {self.dram.latency_cycles} cycles",
            f"layer setup {self.layer_setup_cycles} cycles per array layer",
            f"vector unit {self.vector_unit.lanes} lanes (pooling, add, activations)",
        ]
        s = self.sparsity
        if s.zero_weight_fraction:
            where = (f"skipped in {', '.join(s.skip_zero_weights_in)}"
                     if s.skip_zero_weights_in else "never skipped")
            out.append(f"{s.zero_weight_fraction:.0%} zero weights, {where}")
        if self.fusion.enabled:
            f = self.fusion
            out.append(f"fusion: element-wise work into the producer "
                       f"{'on' if f.elementwise else 'off'}, activations kept on chip "
                       f"{'on' if f.keep_on_chip else 'off'}")
        e = self.energy
        out.append(f"energy ({energy_unit_label(e.unit)}): MAC {e.mac:g}, RF {e.rf_access:g}, inter-PE "
                   f"{e.inter_pe:g}, GLB {e.glb_access:g}, DRAM {e.dram_word:g} per word, "
                   f"vector op {e.vector_op:g}, leakage {e.leakage_per_cycle:g}/cycle")
        return out


# --- with_changes: overrides checked as a file's keys are ------------------------------------

_SECTION_TYPES: dict[str, type] = {"pe_array": PEArray, "buffer": Buffer, "dram": Dram,
                                   "vector_unit": VectorUnit, "sparsity": Sparsity,
                                   "energy": EnergyTable, "fusion": Fusion}
_TEXT_FIELDS = ("name", "description", "microarchitecture", "dataflow", "path")


def _where(acc: Accelerator) -> str:
    return f"{acc.path or acc.name}: with_changes"


def _change_list(acc: Accelerator, args: tuple[Any, ...],
                 keywords: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The changes as (key, value) pairs: a mapping, a key and a value, or keywords."""
    if len(args) == 1 and isinstance(args[0], Mapping):
        pairs = list(args[0].items())
    elif len(args) == 2 and isinstance(args[0], str):
        pairs = [(args[0], args[1])]
    elif args:
        raise InputError([Problem(_where(acc), "", "give the changes as keywords, one mapping "
                                  "of keys to values, or one key and its value; got "
                                  f"{len(args)} positional arguments")])
    else:
        pairs = []
    return pairs + list(keywords.items())


def _with_changes(acc: Accelerator, pairs: Sequence[tuple[str, Any]]) -> Accelerator:
    where = _where(acc)
    problems: list[Problem] = []
    top_names = [f.name for f in dataclasses.fields(Accelerator)]
    top: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {}
    for key, value in pairs:
        if not isinstance(key, str):
            problems.append(Problem(where, repr(key), "a key must be a string"))
            continue
        outer, _, inner = key.partition(".")
        if outer not in top_names:
            problems.append(Problem(where, key, "unknown key" + did_you_mean(outer, top_names)))
        elif outer in _SECTION_TYPES:
            cls = _SECTION_TYPES[outer]
            if inner:
                nested.setdefault(outer, {})[inner] = value
            elif isinstance(value, cls):
                top[outer] = value
            elif isinstance(value, Mapping):
                for name, item in value.items():
                    nested.setdefault(outer, {})[str(name)] = item
            else:
                problems.append(Problem(where, key, f"expected a mapping of {outer} keys or a "
                                        f"{cls.__name__}, got {type(value).__name__} {value!r}"))
        elif inner:
            problems.append(Problem(where, key, f"'{outer}' is a value, not a section: it has "
                                    f"no key '{inner}'"))
        elif outer in _TEXT_FIELDS and not isinstance(value, str):
            problems.append(Problem(where, key, f"expected a string, got {value!r}"))
        else:
            top[outer] = value
    for outer, values in nested.items():
        cls = _SECTION_TYPES[outer]
        known = [f.name for f in dataclasses.fields(cls)]
        unknown = [name for name in values if name not in known]
        for name in unknown:
            problems.append(Problem(where, f"{outer}.{name}",
                                    "unknown key" + did_you_mean(name, known)))
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()
                  if k not in unknown}
        try:
            top[outer] = dataclasses.replace(top.get(outer, getattr(acc, outer)), **values)
        except ValueError as exc:
            problems.append(Problem(where, _place(outer, values, str(exc)), str(exc)))
    if problems:
        raise InputError(problems)
    try:
        return dataclasses.replace(acc, **top)
    except ValueError as exc:
        raise InputError([Problem(where, _place("", top, str(exc)), str(exc))]) from None


def _place(section: str, values: Mapping[str, Any], message: str) -> str:
    """The key a record's check names (``PEArray.rows must ...`` -> ``pe_array.rows``)."""
    field_name = message.split(" ", 1)[0].split(".", 1)[-1].rstrip(":")
    if field_name in values:
        return f"{section}.{field_name}" if section else field_name
    return section


__all__ = ["Accelerator", "PEArray", "Buffer", "Dram", "VectorUnit", "Sparsity", "EnergyTable",
           "Fusion",
           "BROADCAST", "SYSTOLIC", "HYBRID", "MICROARCHITECTURES", "DATAFLOWS_BY_MICROARCHITECTURE",
           "accepted_dataflows", "ENERGY_UNITS", "ENERGY_UNIT_LABELS", "energy_unit_label"]
