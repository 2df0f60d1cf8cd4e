"""Reading accelerator YAML files into validated :class:`Accelerator` records.

The format (every key optional unless stated; defaults are those of the dataclasses in
``accelerator.py``; units are in the key names)::

    name: ws_16x16                 # default: the file name
    description: ...
    base: ws_32x32.yaml            # optional: start from another file (path relative to this
                                   # file); keys written here override it, section by section
    microarchitecture: broadcast   # broadcast (the study's array) | systolic (SCALE-Sim style)
    dataflow: ws                   # ws | os | hybrid (systolic: ws | os | is | hybrid)
    clock_mhz: 1000
    data_width_bits: 16
    layer_setup_cycles: 0          # fixed array cost per layer
    pe_array: {rows: 16, cols: 16, rf_entries_per_pe: 8, pack_groups: false}
    buffer: {global_kib: 512, preload_kib: 8, broadcast_kib: 8, double_buffering: true,
             weight_prefetch: true, input_words_per_cycle: 32, weight_words_per_cycle: 32,
             psum_words_per_cycle: 32, output_words_per_cycle: 32}
    dram: {bandwidth_gb_per_s: 16, latency_cycles: 100}
    vector_unit: {lanes: 16}
    sparsity: {zero_weight_fraction: 0.4, skip_zero_weights_in: [os]}
    energy: {unit: mac, mac: 1, rf_access: 1, inter_pe: 2, glb_access: 6, dram_word: 200,
             vector_op: 1, leakage_per_cycle: 0}
    fusion: {elementwise: false,   # activation, BN, add, pooling applied to the producer's
                                   # output tiles on their way out (hwsim.cost.fusion)
             keep_on_chip: false}  # a tensor stays in the global buffer for its consumers
                                   # when it fits beside their tiles, else it spills to DRAM

Every problem of a file (unknown key with the closest known one, wrong type, out of range,
a dataflow the microarchitecture does not have, a missing or circular ``base``) is collected
and raised as one :class:`~hwsim.errors.InputError` naming the file that wrote the value and
its key path, e.g. ``accelerators/x.yaml: dram.bandwidth_gbps: unknown key (did you mean
'bandwidth_gb_per_s'?)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hwsim import bundled
from hwsim.config import schema as S
from hwsim.config.inherit import BaseRules, resolve_base
from hwsim.errors import InputError, Problem, ProblemCollector, did_you_mean
from hwsim.hardware.accelerator import (
    ENERGY_UNITS,
    MICROARCHITECTURES,
    Accelerator,
    Buffer,
    Dram,
    EnergyTable,
    Fusion,
    PEArray,
    Sparsity,
    VectorUnit,
    accepted_dataflows,
)

# Plausible ranges of the sizes and rates (see schema.py; listed in the README, "Errors").
MAX_ARRAY_SIDE = 4096           # PEs per row or column
MAX_ENTRIES = 65_536            # registers per PE, words per cycle, vector lanes
MAX_BUFFER_KIB = 1024 * 1024    # 1 GiB
MAX_CYCLES = 10 ** 9            # a latency or a per-layer setup cost
MAX_ENERGY = 10 ** 9            # one access, in the file's unit
CLOCK_MHZ = (1, 100_000)
DRAM_GB_PER_S = (0.001, 100_000)
DATA_WIDTH_BITS = (8, 64)

_BUFFER = S.positive(maximum=MAX_BUFFER_KIB)
_WORDS = S.integer(1, maximum=MAX_ENTRIES)
_ENERGY = S.non_negative(maximum=MAX_ENERGY)
#: Each section: the record it builds and its keys. Defaults are the records' own.
SECTIONS: dict[str, tuple[type, dict[str, S.Field]]] = {
    "pe_array": (PEArray, {"rows": S.integer(1, maximum=MAX_ARRAY_SIDE),
                           "cols": S.integer(1, maximum=MAX_ARRAY_SIDE),
                           "rf_entries_per_pe": S.integer(1, maximum=MAX_ENTRIES),
                           "pack_groups": S.boolean()}),
    "buffer": (Buffer, {"global_kib": _BUFFER, "preload_kib": _BUFFER,
                        "broadcast_kib": _BUFFER, "double_buffering": S.boolean(),
                        "weight_prefetch": S.boolean(),
                        "input_words_per_cycle": _WORDS,
                        "weight_words_per_cycle": _WORDS,
                        "psum_words_per_cycle": _WORDS,
                        "output_words_per_cycle": _WORDS}),
    "dram": (Dram, {"bandwidth_gb_per_s": S.positive(minimum=DRAM_GB_PER_S[0],
                                                     maximum=DRAM_GB_PER_S[1]),
                    "latency_cycles": S.integer(0, maximum=MAX_CYCLES)}),
    "vector_unit": (VectorUnit, {"lanes": S.integer(1, maximum=MAX_ENTRIES)}),
    "sparsity": (Sparsity, {"zero_weight_fraction": S.fraction(),
                            "skip_zero_weights_in": S.names("dataflow names")}),
    "energy": (EnergyTable, {"unit": S.choice(ENERGY_UNITS), "mac": _ENERGY,
                             "rf_access": _ENERGY, "inter_pe": _ENERGY,
                             "glb_access": _ENERGY, "dram_word": _ENERGY,
                             "vector_op": _ENERGY, "leakage_per_cycle": _ENERGY}),
    "fusion": (Fusion, {"elementwise": S.boolean(), "keep_on_chip": S.boolean()}),
}
#: The whole format: top-level keys and the sections.
SCHEMA: S.Schema = {
    "name": S.string(), "description": S.string(), "base": S.string(),
    "microarchitecture": S.choice(MICROARCHITECTURES), "dataflow": S.string(),
    "clock_mhz": S.positive(minimum=CLOCK_MHZ[0], maximum=CLOCK_MHZ[1]),
    "data_width_bits": S.integer(DATA_WIDTH_BITS[0], maximum=DATA_WIDTH_BITS[1]),
    "layer_setup_cycles": S.integer(0, maximum=MAX_CYCLES),
    **{key: S.Section(fields) for key, (_cls, fields) in SECTIONS.items()},
}
#: A file inherits everything from its ``base`` but its name and description; sections
#: merge key by key, this file winning.
BASE_RULES = BaseRules(
    not_inherited=frozenset({"name", "description"}),
    cycle="circular base: {chain}",
    not_found="base file '{raw}' not found (looked for {path})",
    not_a_mapping="expected a mapping of accelerator keys at the top",
    empty="the file is empty (or only comments): an accelerator file names at least one key "
          "(an empty one would silently simulate the built-in defaults)")


class _Problems(ProblemCollector):
    """Problems attributed to the file that wrote each key (a base or the file itself)."""

    def __init__(self, origins: Mapping[str, str], default_file: str):
        super().__init__(default_file)
        self.origins = origins

    def add(self, place: str, message: str) -> None:
        file = self.origins.get(place)
        if file is None:  # a section or a missing key: attribute to the section's writer
            file = self.origins.get(place.split(".")[0], self.file)
        self.problems.append(Problem(file, place, message))


def parse_accelerator(data: Mapping[str, Any], file: str = "<accelerator>",
                      origins: Mapping[str, str] | None = None) -> Accelerator:
    """Build an Accelerator from (merged) YAML data; one InputError lists every problem.

    Every rule of the records' ``__post_init__`` is checked here first, so that a problem
    is reported once, at the key (and in the file) that wrote it; the records' own checks
    stay as invariants for machines built in code."""
    problems = _Problems(origins or {}, file)
    if not isinstance(data, Mapping):
        raise InputError([Problem(file, "", "expected a mapping of accelerator keys at the top")])
    fields = S.check_fields(data, "", problems, SCHEMA)
    sections = {key: fields.pop(key) for key in SECTIONS if key in fields}
    _check_machine(fields, sections, problems)
    problems.raise_if_any()
    fields.pop("base", None)
    fields.setdefault("name", Path(file).stem)
    built = {key: cls(**sections.get(key, {})) for key, (cls, _fields) in SECTIONS.items()}
    return Accelerator(path=file, **fields, **built)


def _check_machine(top: dict[str, Any], sections: Mapping[str, Any],
                   problems: ProblemCollector) -> None:
    """The rules between keys: the dataflows the microarchitecture has, the word width."""
    micro = top.get("microarchitecture", "broadcast")
    allowed = accepted_dataflows(micro)
    if "dataflow" in top and top["dataflow"] not in allowed:
        hint = ""
        if top["dataflow"] == "is":
            hint = " ('is' exists on a systolic array only: microarchitecture: systolic)"
        problems.add("dataflow", f"expected one of {', '.join(allowed)} on a {micro} array, "
                                 f"got '{top['dataflow']}'" + (hint or did_you_mean(top["dataflow"], allowed)))
        top.pop("dataflow")
    for df in sections.get("sparsity", {}).get("skip_zero_weights_in", ()):
        if df not in accepted_dataflows(micro, hybrid=False):
            problems.add("sparsity.skip_zero_weights_in",
                         f"'{df}' is not a dataflow of a {micro} array (accepted: "
                         f"{', '.join(accepted_dataflows(micro, hybrid=False))})")
    width = top.get("data_width_bits")
    if width is not None and width % 8:
        problems.add("", f"data_width_bits must be a multiple of 8, got {width}")


def read_accelerator_data(path: str | Path) -> tuple[dict[str, Any], dict[str, str]]:
    """An accelerator file's YAML with its ``base:`` chain merged (not validated), and for
    each key path the file that wrote it (for error messages)."""
    return resolve_base(path, BASE_RULES)


def load_accelerator(path: str | Path) -> Accelerator:
    """Read an accelerator YAML file (see the module docstring); InputError on bad input.
    A bare name (``squeezelerator``) that is not a file is a bundled accelerator."""
    path = bundled.resolve("accelerators", path)
    merged, origins = read_accelerator_data(path)
    return parse_accelerator(merged, str(path), origins)


__all__ = ["load_accelerator", "parse_accelerator", "read_accelerator_data", "SCHEMA"]
