"""The axes of a sweep file: what each sets, to which values, and how zip groups pair them.

An axis sets one or more key paths (a list of paths moves together: a square array) to each
of its ``values`` (or a ``range``); a ``zip`` group moves several axes together, value by
value, instead of crossing them. :func:`parse_axes` reads the ``axes`` list of a sweep file,
checking every path against the base accelerator data (its shape, not its schema: the
accelerator loader decides later whether a key exists) and every name against the result
columns.

A path starting with ``network.`` makes a *network axis*: ``network.params.NAME`` sets a
parameter of the network files (each must declare it: checked by the sweep's preflight) and
``network.input_size`` their input resolution (values as for a network's ``input_size``:
N or 'HxW'). An axis sets the network or the accelerator, never both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwsim.config.input_size import parse_input_size
from hwsim.config.yamlio import check_keys, join, want_mapping, want_number
from hwsim.errors import ProblemCollector
from hwsim.sweep.columns import ERROR_COLUMNS, ID_COLUMNS, METRIC_COLUMNS
from hwsim.sweep.keypaths import canonical_json, resolve_parent, split_path

AXIS_KEYS = {"name", "path", "values", "range"}
# Axis paths that set the network instead of the accelerator.
NETWORK_PREFIX = "network."
INPUT_SIZE_PATH = "network.input_size"
PARAMS_PREFIX = "network.params."
# Columns the results and errors files have besides the axes (see results.py): an axis is a
# column too, so its name must differ from all of them.
RESERVED_COLUMNS = frozenset((*ID_COLUMNS, *METRIC_COLUMNS, *ERROR_COLUMNS))


@dataclass(frozen=True, slots=True)
class Axis:
    """One swept parameter: a column ``name`` and the key ``paths`` it sets to each value."""

    name: str
    paths: tuple[str, ...]
    values: tuple[Any, ...]

    @property
    def is_network(self) -> bool:
        """Whether the axis sets the network (its paths start with ``network.``)."""
        return is_network_path(self.paths[0])


@dataclass(frozen=True, slots=True)
class AxisGroup:
    """Axes that move together: point i takes value i of every member (one axis = a group
    of one)."""

    axes: tuple[Axis, ...]

    def __len__(self) -> int:
        return len(self.axes[0].values)



def parse_axes(raw: Any, accelerator: Any, accelerator_file: str,
          problems: ProblemCollector) -> list[AxisGroup]:
    if not isinstance(raw, list) or not raw:
        problems.add("axes", "expected a non-empty list of axes ({path: ..., values: [...]})")
        return []
    groups: list[AxisGroup] = []
    for i, entry in enumerate(raw):
        place = join("axes", i)
        if isinstance(entry, Mapping) and "zip" in entry:
            check_keys(entry, place, problems, allowed={"zip"})
            members = entry["zip"]
            if not isinstance(members, list) or len(members) < 2:
                problems.add(join(place, "zip"), "expected a list of at least two axes")
                continue
            axes = [_axis(m, join(join(place, "zip"), j), accelerator, accelerator_file,
                          problems, unique=False) for j, m in enumerate(members)]
            if any(a is None for a in axes):
                continue
            lengths = {len(a.values) for a in axes}  # type: ignore[union-attr]
            if len(lengths) > 1:
                problems.add(join(place, "zip"), "the axes of a zip group must have the same "
                             "number of values, got " + ", ".join(
                                 f"{a.name}: {len(a.values)}" for a in axes))  # type: ignore
                continue
            points = [canonical_json(p) for p in zip(*(a.values for a in axes))]  # type: ignore
            if len(set(points)) != len(points):
                problems.add(join(place, "zip"), "a combination of values is listed twice")
                continue
            groups.append(AxisGroup(tuple(axes)))  # type: ignore[arg-type]
        else:
            axis = _axis(entry, place, accelerator, accelerator_file, problems)
            if axis is not None:
                groups.append(AxisGroup((axis,)))
    # Names are result columns and paths are set once per configuration: both unique.
    seen_names: set[str] = set()
    seen_paths: set[str] = set()
    for group in groups:
        for axis in group.axes:
            if axis.name in seen_names:
                problems.add("axes", f"two axes are named {axis.name!r} (set 'name')")
            seen_names.add(axis.name)
            for path in axis.paths:
                if path in seen_paths:
                    problems.add("axes", f"key path {path!r} is set by two axes")
                seen_paths.add(path)
    return groups


def _axis(entry: Any, place: str, accelerator: Any, accelerator_file: str,
          problems: ProblemCollector, unique: bool = True) -> Axis | None:
    """One axis; ``unique``: its values must differ (a zip group checks its tuples instead)."""
    if not want_mapping(entry, place, problems):
        return None
    check_keys(entry, place, problems, allowed=AXIS_KEYS, required=("path",))
    raw_paths = entry.get("path")
    paths = raw_paths if isinstance(raw_paths, list) else [raw_paths]
    ok = bool(paths)
    if not paths:
        problems.add(join(place, "path"), "expected a key path or a list of key paths")
    for j, path in enumerate(paths):
        where = join(join(place, "path"), j) if isinstance(raw_paths, list) else join(place, "path")
        try:
            split_path(path)
            if is_network_path(path):
                check_network_path(path)
            elif accelerator_file:  # else the missing file is the problem to report
                resolve_parent(accelerator, path)
        except ValueError as exc:
            if raw_paths is not None:
                problems.add(where, f"{exc} (in {Path(accelerator_file).name})"
                             if accelerator_file and not is_network_path(path) else str(exc))
            ok = False
    kinds = {is_network_path(p) for p in paths if isinstance(p, str)}
    if len(kinds) > 1:
        problems.add(join(place, "path"), "an axis sets either the network (network.params.NAME, "
                     "network.input_size) or the accelerator, not both; use a zip group to "
                     "move a network and an accelerator axis together")
        ok = False
    values = _values(entry, place, problems, unique)
    if values is not None and any(p == INPUT_SIZE_PATH for p in paths):
        for j, value in enumerate(values):
            try:
                parse_input_size(value)
            except ValueError as exc:
                problems.add(join(join(place, "values"), j) if "values" in entry
                             else join(place, "range"), str(exc))
                ok = False
    name = entry.get("name", "=".join(str(p) for p in paths))
    if not isinstance(name, str) or not name:
        problems.add(join(place, "name"), "expected a non-empty string")
        ok = False
    elif name in RESERVED_COLUMNS:
        if "name" in entry:
            problems.add(join(place, "name"), f"{name!r} is a column of the results already; "
                         "choose another name for this axis")
        else:
            problems.add(place, f"this axis is named after its path, {name!r}, which is a "
                         "column of the results already; give it a 'name'")
        ok = False
    if not ok or values is None:
        return None
    return Axis(name, tuple(paths), tuple(values))


def is_network_path(path: Any) -> bool:
    """Whether an axis path sets the network (``network.params.NAME``, ``network.input_size``)
    rather than the accelerator."""
    return isinstance(path, str) and (path == "network" or path.startswith(NETWORK_PREFIX))


def check_network_path(path: str) -> None:
    """ValueError unless ``path`` is ``network.input_size`` or ``network.params.NAME``."""
    keys = split_path(path)
    if path == INPUT_SIZE_PATH or (len(keys) == 3 and keys[1] == "params"
                                   and isinstance(keys[2], str)):
        return
    raise ValueError(f"{path!r}: a network axis sets 'network.params.NAME' (a parameter the "
                     "network file declares) or 'network.input_size'")


def _values(entry: Mapping[str, Any], place: str, problems: ProblemCollector,
            unique: bool = True) -> list | None:
    if ("values" in entry) == ("range" in entry):
        problems.add(place, "give exactly one of 'values' (a list) or 'range' "
                     "({from, to, step} or {from, to, times})")
        return None
    if "values" in entry:
        values = entry["values"]
        if not isinstance(values, list) or not values:
            problems.add(join(place, "values"), "expected a non-empty list")
            return None
        good = True
        for j, value in enumerate(values):
            if isinstance(value, (Mapping, list)):
                problems.add(join(join(place, "values"), j),
                             "expected a number, string or boolean")
                good = False
        if unique and len({canonical_json(v) for v in values}) != len(values):
            problems.add(join(place, "values"), "a value is listed twice")
            good = False
        return list(values) if good else None
    return _range(entry["range"], join(place, "range"), problems)


def _range(raw: Any, place: str, problems: ProblemCollector) -> list | None:
    """{from, to, step}: arithmetic, {from, to, times}: geometric; ``to`` is included."""
    if not want_mapping(raw, place, problems):
        return None
    check_keys(raw, place, problems, allowed={"from", "to", "step", "times"},
               required=("from", "to"))
    if ("step" in raw) == ("times" in raw):
        problems.add(place, "give exactly one of 'step' (add) or 'times' (multiply)")
        return None
    start = want_number(raw.get("from"), join(place, "from"), problems, positive=False)
    stop = want_number(raw.get("to"), join(place, "to"), problems, positive=False)
    if "step" in raw:
        step = want_number(raw["step"], join(place, "step"), problems)
    else:
        step = want_number(raw["times"], join(place, "times"), problems, minimum=1.0000001)
        if start is not None and start <= 0:
            problems.add(join(place, "from"), "a geometric range starts above zero")
            return None
    if start is None or stop is None or step is None:
        return None
    if stop < start:
        problems.add(place, f"'to' ({stop}) is below 'from' ({start})")
        return None
    integer = all(isinstance(v, int) for v in (start, stop, step))
    values: list[Any] = []
    value = start
    tolerance = 1e-9 * max(abs(stop), 1)
    while value <= stop + tolerance and len(values) <= 10_000:
        values.append(value if integer else round(value, 12))
        value = value + step if "step" in raw else value * step
    if len(values) > 10_000:
        problems.add(place, "more than 10,000 values; is the step right?")
        return None
    return values


__all__ = ["Axis", "AxisGroup", "parse_axes", "AXIS_KEYS", "RESERVED_COLUMNS",
           "is_network_path", "check_network_path", "NETWORK_PREFIX", "INPUT_SIZE_PATH",
           "PARAMS_PREFIX"]
