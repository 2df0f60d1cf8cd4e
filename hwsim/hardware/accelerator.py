"""The machine: a PE array, its buffers, DRAM, a vector unit and an energy price table.

An :class:`Accelerator` is an immutable, validated record; sweeps derive variants with
``dataclasses.replace`` (or :meth:`Accelerator.with_changes` for nested fields). Every field
carries its unit in its name. The records only describe the machine: how a layer maps onto
it lives in ``hwsim.dataflow``, what it costs in ``hwsim.cost``.

The sections are records of their own (:mod:`hwsim.hardware.sections`, re-exported here).
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
from hwsim.hardware.sections import (
    ENERGY_UNIT_LABELS,
    ENERGY_UNITS,
    Buffer,
    Dram,
    EnergyTable,
    Fusion,
    PEArray,
    Sparsity,
    VectorUnit,
    energy_unit_label,
    require_integer,
    require_non_negative,
    require_positive,
)

HYBRID = "hybrid"


def accepted_dataflows(microarchitecture: str, *, hybrid: bool = True) -> tuple[str, ...]:
    """The dataflows a ``microarchitecture`` accepts, in order (``()`` for an unknown one).

    The one statement of the dataflow-vs-microarchitecture rule. ``hybrid=False`` leaves out
    ``hybrid``, which picks among the others per layer rather than being a dataflow of its
    own (what :attr:`Accelerator.dataflows` lists and ``skip_zero_weights_in`` may name)."""
    accepted = DATAFLOWS_BY_MICROARCHITECTURE.get(microarchitecture, ())
    return accepted if hybrid else tuple(d for d in accepted if d != HYBRID)


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
        require_positive("Accelerator", clock_mhz=self.clock_mhz)
        require_integer("Accelerator", data_width_bits=self.data_width_bits,
                        layer_setup_cycles=self.layer_setup_cycles)
        require_positive("Accelerator", data_width_bits=self.data_width_bits)
        require_non_negative("Accelerator", layer_setup_cycles=self.layer_setup_cycles)
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
            f"vector unit {self.vector_unit.lanes} lanes (pooling, add, activations; a channel "
            "shuffle moves one word per lane a cycle)",
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
