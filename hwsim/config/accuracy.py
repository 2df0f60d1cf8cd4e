"""Published accuracy as data: a network file's ``accuracy`` and ``accuracy_table`` keys, and
parameter overrides.

``accuracy: {top1, top5, source}`` is the accuracy of the file's defaults (``source``
optional: the file's own ``source`` otherwise). ``accuracy_table`` lists other points of the
file's parameter space::

    accuracy_table:
      - {params: {SR: 0.25}, top5: 82.3, source: "SqueezeNet paper, Fig. 3a"}
      - {params: {alpha: 0.5}, input_size: 160, top1: 60.2, source: "MobileNet paper, Table 7"}

Each entry names values of declared ``params`` (every other parameter is at the file's
default), optionally the ``input_size`` it was measured at (else the file's input), at least
one of ``top1`` / ``top5`` (in %, 0..100) and a ``source``. Two entries for the same point are
an error, so a network never has two published accuracies. Matching a built network to a
point is :meth:`hwsim.workload.network.AccuracyPoint.matches` (exact, never interpolated).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hwsim.config.input_size import parse_input_size
from hwsim.config.yamlio import check_keys, describe_value, join, want_mapping, want_number
from hwsim.errors import InputError, Problem, ProblemCollector, did_you_mean
from hwsim.workload.network import AccuracyPoint

ACCURACY_KEYS = ("top1", "top5")
POINT_KEYS = {"params", "input_size", "top1", "top5", "source"}


def _scalar_ok(value: Any, default: Any) -> bool:
    """A table or override value of the same kind as the parameter's default."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    if isinstance(default, str):
        return isinstance(value, str)
    return True  # lists and other defaults: the expressions that use them will tell


def _accuracies(raw: Mapping[str, Any], place: str,
                problems: ProblemCollector) -> dict[str, float] | None:
    values: dict[str, float] = {}
    for key in ACCURACY_KEYS:
        if key in raw:
            number = want_number(raw[key], join(place, key), problems, positive=False,
                                 minimum=0, maximum=100)
            if number is None:
                return None
            values[key] = float(number)
    if not values:
        problems.add(place, "needs top1 or top5 (published accuracy in %)")
        return None
    return values


def _source(raw: Mapping[str, Any], place: str, problems: ProblemCollector,
            required: bool) -> str | None:
    value = raw.get("source")
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        problems.add(join(place, "source"),
                     "missing required key (where the accuracy is published)" if value is None
                     else f"expected a non-empty string, got {describe_value(value)}")
        return None
    return value.strip()


def _point_params(raw: Any, place: str, declared: Mapping[str, Any],
                  problems: ProblemCollector) -> dict[str, Any] | None:
    if not want_mapping(raw, place, problems):
        return None
    ok = True
    for name, value in raw.items():
        where = join(place, str(name))
        if name not in declared:
            problems.add(where, "not a parameter of this network" + _declared(str(name), declared))
            ok = False
        elif not _scalar_ok(value, declared[name]):
            problems.add(where, f"expected a value like the default {declared[name]!r}, got "
                                f"{describe_value(value)}")
            ok = False
    return dict(raw) if ok else None


def _declared(name: str, declared: Mapping[str, Any]) -> str:
    if not declared:
        return " (the network declares no params)"
    suggestion = did_you_mean(name, declared, list_choices=False)
    return f"{suggestion}; declared: {', '.join(sorted(declared))}"


def parse_accuracy(data: Mapping[str, Any], declared: Mapping[str, Any],
                   input_hw: tuple[int, int] | None, file_source: str,
                   problems: ProblemCollector) -> tuple[AccuracyPoint, ...]:
    """The file's accuracy points (plain ``accuracy`` first); problems are recorded."""
    points: list[tuple[str, AccuracyPoint]] = []
    plain = data.get("accuracy")
    if plain is not None and want_mapping(plain, "accuracy", problems):
        check_keys(plain, "accuracy", problems, allowed=(*ACCURACY_KEYS, "source"))
        values = _accuracies(plain, "accuracy", problems)
        source = _source(plain, "accuracy", problems, required=False)
        if values is not None and source is not None:
            points.append(("accuracy", AccuracyPoint({}, values.get("top1"), values.get("top5"),
                                                     source or file_source, input_hw)))
    table = data.get("accuracy_table")
    if table is not None and not isinstance(table, list):
        problems.add("accuracy_table", f"expected a list of points, got {describe_value(table)}")
        table = None
    for i, entry in enumerate(table or []):
        place = join("accuracy_table", i)
        if not want_mapping(entry, place, problems):
            continue
        check_keys(entry, place, problems, allowed=POINT_KEYS, required=("params", "source"))
        params = _point_params(entry.get("params", {}), join(place, "params"), declared, problems)
        values = _accuracies(entry, place, problems)
        source = _source(entry, place, problems, required=True) if "source" in entry else None
        size = input_hw
        if "input_size" in entry:
            try:
                size = parse_input_size(entry["input_size"])
            except ValueError as exc:
                problems.add(join(place, "input_size"), str(exc))
                continue
        if params is not None and values is not None and source is not None:
            points.append((place, AccuracyPoint(params, values.get("top1"), values.get("top5"),
                                                source, size)))
    _check_distinct(points, declared, problems)
    return tuple(point for _, point in points)


def _check_distinct(points: list[tuple[str, AccuracyPoint]], declared: Mapping[str, Any],
                    problems: ProblemCollector) -> None:
    for i, (place, point) in enumerate(points):
        for earlier_place, earlier in points[:i]:
            if point.input_size == earlier.input_size and earlier.matches(
                    {**declared, **point.params}, declared, point.input_size or (0, 0)):
                problems.add(place, f"the same point as {earlier_place} (parameters "
                                    f"{dict(point.params) or 'at their defaults'}): a network "
                                    "has one published accuracy")
                break


def apply_overrides(declared: Mapping[str, Any], overrides: Mapping[str, Any] | None,
                    file: str) -> dict[str, Any]:
    """The declared params with ``overrides`` applied; InputError naming any undeclared one."""
    values = dict(declared)
    if not overrides:
        return values
    problems = []
    for name, value in overrides.items():
        if name not in declared:
            problems.append(Problem(file, f"params.{name}", "cannot override: not a parameter "
                                    "of this network" + _declared(str(name), declared)))
        elif not _scalar_ok(value, declared[name]):
            problems.append(Problem(file, f"params.{name}", f"cannot override with "
                                    f"{describe_value(value)}: expected a value like the "
                                    f"default {declared[name]!r}"))
        else:
            values[name] = value
    if problems:
        raise InputError(problems)
    return values


__all__ = ["parse_accuracy", "apply_overrides", "ACCURACY_KEYS"]
