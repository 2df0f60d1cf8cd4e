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

Every problem of a file (unknown key with the closest known one, wrong type, out of range,
a dataflow the microarchitecture does not have, a missing or circular ``base``) is collected
and raised as one :class:`~hwsim.errors.InputError` naming the file that wrote the value and
its key path, e.g. ``accelerators/x.yaml: dram.bandwidth_gbps: unknown key (did you mean
'bandwidth_gb_per_s'?)``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hwsim.config.yamlio import describe_value, join, read_yaml
from hwsim.errors import InputError, Problem, ProblemCollector, did_you_mean
from hwsim.hardware.accelerator import (
    DATAFLOWS_BY_MICROARCHITECTURE,
    ENERGY_UNITS,
    MICROARCHITECTURES,
    Accelerator,
    Buffer,
    Dram,
    EnergyTable,
    PEArray,
    Sparsity,
    VectorUnit,
)

# key -> (kind, extra) ; kinds: int, number, bool, str, choice, dataflows
_SECTIONS: dict[str, tuple[type, dict[str, tuple[str, Any]]]] = {
    "pe_array": (PEArray, {"rows": ("int", 1), "cols": ("int", 1),
                           "rf_entries_per_pe": ("int", 1), "pack_groups": ("bool", None)}),
    "buffer": (Buffer, {"global_kib": ("number", None), "preload_kib": ("number", None),
                        "broadcast_kib": ("number", None), "double_buffering": ("bool", None),
                        "weight_prefetch": ("bool", None),
                        "input_words_per_cycle": ("int", 1), "weight_words_per_cycle": ("int", 1),
                        "psum_words_per_cycle": ("int", 1), "output_words_per_cycle": ("int", 1)}),
    "dram": (Dram, {"bandwidth_gb_per_s": ("number", None), "latency_cycles": ("int", 0)}),
    "vector_unit": (VectorUnit, {"lanes": ("int", 1)}),
    "sparsity": (Sparsity, {"zero_weight_fraction": ("fraction", None),
                            "skip_zero_weights_in": ("dataflows", None)}),
    "energy": (EnergyTable, {"unit": ("choice", ENERGY_UNITS), "mac": ("nonneg", None),
                             "rf_access": ("nonneg", None), "inter_pe": ("nonneg", None),
                             "glb_access": ("nonneg", None), "dram_word": ("nonneg", None),
                             "vector_op": ("nonneg", None),
                             "leakage_per_cycle": ("nonneg", None)}),
}
_TOP: dict[str, tuple[str, Any]] = {
    "name": ("str", None), "description": ("str", None), "base": ("str", None),
    "microarchitecture": ("choice", MICROARCHITECTURES), "dataflow": ("str", None),
    "clock_mhz": ("number", None), "data_width_bits": ("int", 8),
    "layer_setup_cycles": ("int", 0),
}
_MAX_BASE_DEPTH = 16


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


def _load_merged(path: Path, chain: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, str]]:
    """Read ``path`` and its ``base`` chain; returns merged data and key path -> file."""
    file = str(path)
    data = read_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise InputError([Problem(file, "", "expected a mapping of accelerator keys at the top")])
    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    base = data.get("base")
    if base is not None:
        if not isinstance(base, str) or not base:
            raise InputError([Problem(file, "base", f"expected a file name, got {base!r}")])
        base_path = (path.parent / base).resolve()
        if str(base_path) in chain:
            raise InputError([Problem(file, "base", "circular base: "
                                      + " -> ".join(list(chain) + [str(base_path)]))])
        if len(chain) >= _MAX_BASE_DEPTH:
            raise InputError([Problem(file, "base", f"bases nested more than {_MAX_BASE_DEPTH} deep")])
        if not base_path.exists():
            raise InputError([Problem(file, "base", f"base file '{base}' not found "
                                      f"(looked for {base_path})")])
        merged, origins = _load_merged(base_path, chain + (str(base_path),))
        merged.pop("name", None)
        merged.pop("description", None)
    for key, value in data.items():
        key = str(key)
        if key == "base":
            continue
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            section = dict(merged[key])
            for inner, inner_value in value.items():
                section[str(inner)] = inner_value
                origins[f"{key}.{inner}"] = file
            merged[key] = section
        else:
            merged[key] = dict(value) if isinstance(value, Mapping) else value
            origins[key] = file
            if isinstance(value, Mapping):
                for inner in value:
                    origins[f"{key}.{inner}"] = file
    return merged, origins


def _check(kind: str, extra: Any, value: Any, place: str, problems: _Problems) -> Any:
    """Check one value; record a problem and return None when it is wrong."""
    if kind == "str":
        if isinstance(value, str):
            return value
        problems.add(place, f"expected a string, got {describe_value(value)}")
        return None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        problems.add(place, f"expected true or false, got {describe_value(value)}")
        return None
    if kind == "choice":
        if isinstance(value, str) and value in extra:
            return value
        problems.add(place, f"expected one of {', '.join(extra)}, got {describe_value(value)}"
                     + (did_you_mean(value, extra) if isinstance(value, str) else ""))
        return None
    if kind == "dataflows":
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        problems.add(place, f"expected a list of dataflow names, got {describe_value(value)}")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.add(place, f"expected {'an integer' if kind == 'int' else 'a number'}, "
                            f"got {describe_value(value)}")
        return None
    if not math.isfinite(value):
        problems.add(place, f"expected a finite number, got {value!r}")
        return None
    if kind == "int":
        if not float(value).is_integer():
            problems.add(place, f"expected an integer, got {value!r}")
            return None
        if value < extra:
            problems.add(place, f"must be at least {extra}, got {value!r}")
            return None
        return int(value)
    if kind == "fraction":
        if not 0 <= value < 1:
            problems.add(place, f"must be a fraction in [0, 1), got {value!r}")
            return None
        return float(value)
    if kind == "nonneg":
        if value < 0:
            problems.add(place, f"must not be negative, got {value!r}")
            return None
        return value
    if value <= 0:  # number
        problems.add(place, f"must be positive, got {value!r}")
        return None
    return value


def parse_accelerator(data: Mapping[str, Any], file: str = "<accelerator>",
                      origins: Mapping[str, str] | None = None) -> Accelerator:
    """Build an Accelerator from (merged) YAML data; one InputError lists every problem."""
    problems = _Problems(origins or {}, file)
    if not isinstance(data, Mapping):
        raise InputError([Problem(file, "", "expected a mapping of accelerator keys at the top")])
    known = set(_TOP) | set(_SECTIONS)
    top: dict[str, Any] = {}
    sections: dict[str, Any] = {}
    for key, value in data.items():
        key = str(key)
        if key not in known:
            problems.add(key, "unknown key" + did_you_mean(key, known))
            continue
        if key in _SECTIONS:
            cls, spec = _SECTIONS[key]
            if not isinstance(value, Mapping):
                problems.add(key, f"expected a mapping with keys {', '.join(spec)}")
                continue
            fields: dict[str, Any] = {}
            for inner, inner_value in value.items():
                inner = str(inner)
                place = join(key, inner)
                if inner not in spec:
                    problems.add(place, "unknown key" + did_you_mean(inner, spec))
                    continue
                checked = _check(*spec[inner], inner_value, place, problems)
                if checked is not None:
                    fields[inner] = checked
            sections[key] = fields
        else:
            checked = _check(*_TOP[key], value, key, problems)
            if checked is not None:
                top[key] = checked
    micro = top.get("microarchitecture", "broadcast")
    allowed = DATAFLOWS_BY_MICROARCHITECTURE.get(micro, ())
    if "dataflow" in top and top["dataflow"] not in allowed:
        hint = ""
        if top["dataflow"] == "is":
            hint = " ('is' exists on a systolic array only: microarchitecture: systolic)"
        problems.add("dataflow", f"expected one of {', '.join(allowed)} on a {micro} array, "
                                 f"got '{top['dataflow']}'" + (hint or did_you_mean(top["dataflow"], allowed)))
        top.pop("dataflow")
    for df in sections.get("sparsity", {}).get("skip_zero_weights_in", ()):
        if df not in allowed or df == "hybrid":
            problems.add("sparsity.skip_zero_weights_in",
                         f"'{df}' is not a dataflow of a {micro} array (accepted: "
                         f"{', '.join(d for d in allowed if d != 'hybrid')})")
    problems.raise_if_any()
    top.pop("base", None)
    if "name" not in top:
        top["name"] = Path(file).stem
    built: dict[str, Any] = {}
    for key, (cls, _spec) in _SECTIONS.items():
        try:
            built[key] = cls(**sections.get(key, {}))
        except ValueError as exc:
            problems.add(key, _plain(str(exc)))
    problems.raise_if_any()
    try:
        return Accelerator(path=file, **top, **built)
    except ValueError as exc:
        raise InputError([Problem(file, "", _plain(str(exc)))]) from None


def _plain(message: str) -> str:
    """'Buffer.global_kib must be ...' -> 'global_kib must be ...' (the place says the rest)."""
    head, _, rest = message.partition(".")
    return rest if head[:1].isupper() and rest else message


def read_accelerator_data(path: str | Path) -> tuple[dict[str, Any], dict[str, str]]:
    """An accelerator file's YAML with its ``base:`` chain merged (not validated), and for
    each key path the file that wrote it (for error messages)."""
    path = Path(path)
    return _load_merged(path, (str(path.resolve()),))


def load_accelerator(path: str | Path) -> Accelerator:
    """Read an accelerator YAML file (see the module docstring); InputError on bad input."""
    merged, origins = read_accelerator_data(path)
    return parse_accelerator(merged, str(path), origins)


def accelerator_to_dict(acc: Accelerator) -> dict[str, Any]:
    """The YAML-shaped mapping of an Accelerator (for provenance and round trips)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(acc):
        value = getattr(acc, f.name)
        if dataclasses.is_dataclass(value):
            section = dataclasses.asdict(value)
            if "skip_zero_weights_in" in section:
                section["skip_zero_weights_in"] = list(section["skip_zero_weights_in"])
            out[f.name] = section
        elif f.name != "path":
            out[f.name] = value
    return out


__all__ = ["load_accelerator", "parse_accelerator", "accelerator_to_dict", "read_accelerator_data"]
