"""Reading YAML files and checking their keys, with errors that say file, place and what.

Shared by every loader (networks, accelerators, sweeps). ``read_yaml`` turns a missing file
or a syntax error into an :class:`~hwsim.errors.InputError` with the line and column;
``check_keys`` reports unknown keys with the closest known one, and missing required keys;
the ``want_*`` helpers check a value's type and range and record a problem instead of raising,
so that all problems of a file are reported together.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from hwsim.errors import InputError, ProblemCollector, did_you_mean


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file; InputError for a missing, unreadable or invalid file."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path)
    if path.is_dir():
        raise InputError("is a directory, not a YAML file", file=path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file: {exc}", file=path) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"invalid YAML: {where}{problem}", file=path) from None


def join(place: str, key: str | int) -> str:
    """Extend a key path: join('layers', 3) -> 'layers[3]', join('dram', 'x') -> 'dram.x'.

    A trailing context such as ' (in fire2)' (where a block was instantiated) stays at the
    end: join('blocks.fire.layers (in fire2)', 1) -> 'blocks.fire.layers[1] (in fire2)'.
    """
    if place.endswith(")") and " (in " in place:
        base, context = place.split(" (in ", 1)
        return join(base, key) + " (in " + context
    if isinstance(key, int):
        return f"{place}[{key}]"
    return f"{place}.{key}" if place else key


def check_keys(data: Mapping[str, Any], place: str, problems: ProblemCollector, *,
               allowed: Iterable[str], required: Iterable[str] = ()) -> None:
    """Record unknown keys (with a suggestion) and missing required keys."""
    allowed = set(allowed) | set(required)
    for key in data:
        if key not in allowed:
            problems.add(join(place, str(key)), "unknown key" + did_you_mean(str(key), allowed))
    for key in required:
        if key not in data:
            problems.add(join(place, key), "missing required key")


def want_mapping(value: Any, place: str, problems: ProblemCollector) -> Mapping[str, Any] | None:
    if isinstance(value, Mapping):
        return value
    problems.add(place, f"expected a mapping (key: value), got {describe_value(value)}")
    return None


def want_number(value: Any, place: str, problems: ProblemCollector, *, positive: bool = True,
                integer: bool = False, minimum: float | None = None,
                maximum: float | None = None) -> float | int | None:
    """A number (int if ``integer``) within range; records a problem and returns None if not."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.add(place, f"expected {'an integer' if integer else 'a number'}, got {describe_value(value)}")
        return None
    if not math.isfinite(value):
        problems.add(place, f"expected a finite number, got {value!r}")
        return None
    if integer and not float(value).is_integer():
        problems.add(place, f"expected an integer, got {value!r}")
        return None
    if positive and value <= 0:
        problems.add(place, f"must be positive, got {value!r}")
        return None
    if minimum is not None and value < minimum:
        problems.add(place, f"must be at least {minimum}, got {value!r}")
        return None
    if maximum is not None and value > maximum:
        problems.add(place, f"must be at most {maximum}, got {value!r}")
        return None
    return int(value) if integer else value


def want_bool(value: Any, place: str, problems: ProblemCollector) -> bool | None:
    if isinstance(value, bool):
        return value
    problems.add(place, f"expected true or false, got {describe_value(value)}")
    return None


def want_str(value: Any, place: str, problems: ProblemCollector) -> str | None:
    if isinstance(value, str):
        return value
    problems.add(place, f"expected a string, got {describe_value(value)}")
    return None


def want_non_negative(value: Any, place: str, problems: ProblemCollector) -> float | int | None:
    """A finite number >= 0; records a problem and returns None if not."""
    number = want_number(value, place, problems, positive=False)
    if number is None:
        return None
    if number < 0:
        problems.add(place, f"must not be negative, got {value!r}")
        return None
    return number


def want_fraction(value: Any, place: str, problems: ProblemCollector) -> float | None:
    """A number in [0, 1) as a float; records a problem and returns None if not."""
    number = want_number(value, place, problems, positive=False)
    if number is None:
        return None
    if not 0 <= number < 1:
        problems.add(place, f"must be a fraction in [0, 1), got {value!r}")
        return None
    return float(number)


def want_names(value: Any, place: str, problems: ProblemCollector, *,
               what: str = "names") -> tuple[str, ...] | None:
    """A name or a list of names, as a tuple; records a problem and returns None if not."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    problems.add(place, f"expected a list of {what}, got {describe_value(value)}")
    return None


def want_choice(value: Any, place: str, problems: ProblemCollector,
                choices: Iterable[str]) -> str | None:
    choices = list(choices)
    if isinstance(value, str) and value in choices:
        return value
    problems.add(place, f"expected one of {', '.join(choices)}, got {describe_value(value)}"
                 + (did_you_mean(value, choices) if isinstance(value, str) else ""))
    return None


def describe_value(value: Any) -> str:
    """How a value reads in an error message: 'the number 3', 'a list', ..."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the string '{value}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


__all__ = ["read_yaml", "join", "check_keys", "want_mapping", "want_number", "want_bool",
           "want_choice", "want_str", "want_non_negative", "want_fraction", "want_names",
           "describe_value"]
