"""Declarative key schemas for the file formats: key -> check (type and range) and default.

A :class:`Field` pairs one of the ``want_*`` checks of :mod:`hwsim.config.yamlio` with an
optional default; a :class:`Section` is a nested mapping with a schema of its own. Every
format checks its values through these, so a wrong value reads the same in a network, an
accelerator or a sweep file::

    PE_ARRAY = {"rows": integer(minimum=1), "pack_groups": boolean()}
    fields = check_fields(data, "pe_array", problems, PE_ARRAY)

**Ranges.** Every size and rate of a format has a plausible range, given to its field here
(``integer(1, maximum=4096)``); a value outside it is an error whose message states the range
(``pe_array.rows: must be at most 4,096, got 1e+300 (range: 1 to 4,096)``), so an absurd
magnitude (a typo'd exponent) is rejected where it is written instead of giving nonsense or
exhausting the machine later. The ranges are listed in the README ("Errors").

A check records a problem and returns None for a bad value (the ``want_*`` convention);
whether a value passed is decided by whether the check recorded a problem, so a check may
return None for a good value too (a layer's ``activation: none``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from hwsim.config.yamlio import (
    join,
    want_bool,
    want_choice,
    want_fraction,
    want_names,
    want_non_negative,
    want_number,
    want_str,
)
from hwsim.errors import ProblemCollector, did_you_mean

#: ``check(value, place, problems)``: the checked value; records a problem if it is bad.
Check = Callable[[Any, str, ProblemCollector], Any]


@dataclass(frozen=True, slots=True)
class Field:
    """One key: its ``check`` and the value taken when the key is absent (or bad)."""

    check: Check
    default: Any = None


@dataclass(frozen=True, slots=True)
class Section:
    """A key whose value is a mapping with its own ``fields``."""

    fields: Mapping[str, Field]


Schema = Mapping[str, Field | Section]


# --- fields -----------------------------------------------------------------------------

def integer(minimum: int | None = None, default: Any = None, *,
            maximum: int | None = None) -> Field:
    """An integer in [``minimum``, ``maximum``]."""
    return Field(partial(want_number, integer=True, positive=False, minimum=minimum,
                         maximum=maximum), default)


def count(default: Any = None, *, maximum: int | None = None) -> Field:
    """A positive integer (at most ``maximum``)."""
    return Field(partial(want_number, integer=True, maximum=maximum), default)


def positive(default: Any = None, *, minimum: float | None = None,
             maximum: float | None = None) -> Field:
    """A finite number above zero (and in [``minimum``, ``maximum``])."""
    return Field(partial(want_number, minimum=minimum, maximum=maximum), default)


def non_negative(default: Any = None, *, maximum: float | None = None) -> Field:
    """A finite number >= 0 (and at most ``maximum``)."""
    return Field(partial(want_non_negative, maximum=maximum), default)


def fraction(default: Any = None) -> Field:
    """A number in [0, 1)."""
    return Field(want_fraction, default)


def boolean(default: Any = None) -> Field:
    return Field(want_bool, default)


def string(default: Any = None) -> Field:
    return Field(want_str, default)


def choice(options: Iterable[str], default: Any = None) -> Field:
    return Field(partial(want_choice, choices=tuple(options)), default)


def names(what: str = "names", default: Any = None) -> Field:
    """A name or a list of names, read as a tuple."""
    return Field(partial(want_names, what=what), default)


# --- checking ---------------------------------------------------------------------------

def check_value(field: Field, value: Any, place: str,
                problems: ProblemCollector) -> tuple[bool, Any]:
    """(whether ``value`` passed, the checked value); a bad value's problem is recorded."""
    before = len(problems.problems)
    checked = field.check(value, place, problems)
    return len(problems.problems) == before, checked


def field_value(data: Mapping[str, Any], key: str, field: Field, problems: ProblemCollector,
                place: str = "") -> Any:
    """The checked value of ``data[key]``, or the field's default if absent or bad."""
    if key not in data:
        return field.default
    ok, checked = check_value(field, data[key], join(place, key), problems)
    return checked if ok else field.default


def check_fields(data: Mapping[str, Any], place: str, problems: ProblemCollector,
                 schema: Schema) -> dict[str, Any]:
    """The keys of ``data`` that pass their check, checked, in file order; unknown keys
    (with the closest known one) and bad values are recorded in ``problems`` in file order.
    A :class:`Section` gives the mapping of its own good keys. Defaults are not filled in."""
    out: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = str(raw_key)
        here = join(place, key)
        spec = schema.get(key)
        if spec is None:
            problems.add(here, "unknown key" + did_you_mean(key, schema))
        elif isinstance(spec, Section):
            if isinstance(value, Mapping):
                out[key] = check_fields(value, here, problems, spec.fields)
            else:
                problems.add(here, f"expected a mapping with keys {', '.join(spec.fields)}")
        else:
            ok, checked = check_value(spec, value, here, problems)
            if ok:
                out[key] = checked
    return out


__all__ = ["Check", "Field", "Section", "Schema", "integer", "count", "positive", "non_negative",
           "fraction", "boolean", "string", "choice", "names", "check_value", "field_value",
           "check_fields"]
