"""The sweep description: which accelerator parameters to vary, over which networks.

A sweep file names a base accelerator file, the networks, and *axes*. An axis sets one
accelerator parameter, addressed by its key path in the accelerator YAML (``pe_array.rows``,
``buffer.global_kib``, ``dataflow``, ``sparsity.zero_weight_fraction``; ``a[0].b`` for list
items), to each of a list of values. An axis whose ``path`` is a list of paths sets all of
them to the same value (a square array: ``path: [pe_array.rows, pe_array.cols]``); a ``zip``
group moves several axes together, value by value, instead of crossing them.

A *configuration* is one choice of value per axis. The design space is the cross product of
the axes (a zip group counts as one axis); ``mode: grid`` visits every point, ``mode: random``
draws ``samples`` distinct points with ``seed`` (a point is a number in mixed radix, so even a
huge space is sampled without listing it). Each configuration has a stable ``key``: a hash of
the canonical JSON of the base accelerator data (its ``base:`` chain merged) with the
overrides applied, so the same machine always gets the same key whatever the sweep file
looks like.

Paths in the sweep file resolve against the sweep file. The networks' YAML is read here and
travels with the tasks, so workers (a Dask cluster's included) need not see the files. This
module reads and checks data only; whether a configuration is a valid machine is decided
later, one configuration at a time, by the accelerator loader (invalid ones are reported and
skipped, not fatal).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import random
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwsim.config import yamlio
from hwsim.config.accelerator_file import SCHEMA as ACCELERATOR_SCHEMA
from hwsim.config.accelerator_file import read_accelerator_data
from hwsim.config.input_size import parse_input_size
from hwsim.config.network_file import TOP_KEYS as NETWORK_FILE_KEYS
from hwsim.config.network_file import read_network_data
from hwsim.config.schema import choice, count, field_value, integer
from hwsim.config.yamlio import check_keys, join, want_mapping, want_number
from hwsim.errors import InputError, ProblemCollector
from hwsim.sweep.results import ERROR_COLUMNS, ID_COLUMNS, METRIC_COLUMNS

TOP_KEYS = {"name", "description", "accelerator", "networks", "axes", "mode", "samples", "seed"}
AXIS_KEYS = {"name", "path", "values", "range"}
NETWORK_KEYS = {"file", "name", "input_size"}
MODES = ("grid", "random")
MODE = choice(MODES, default="grid")
#: The most configurations a sweep may visit (grid points, or random samples): about 7
#: minutes per network at the analytic engine's 250 simulations per second on two cores.
MAX_CONFIGS = 100_000
SAMPLES = count(maximum=MAX_CONFIGS)
SEED = integer(default=0)
# Columns the results and errors files have besides the axes (see results.py): an axis is a
# column too, so its name must differ from all of them.
RESERVED_COLUMNS = frozenset((*ID_COLUMNS, *METRIC_COLUMNS, *ERROR_COLUMNS))
# Keys that make a file a network description, never an accelerator.
NETWORK_ONLY_KEYS = frozenset(NETWORK_FILE_KEYS) - set(ACCELERATOR_SCHEMA)

_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_\-]*)((?:\[\d+\])*)$")


# --------------------------------------------------------------------------- key paths

def split_path(path: str) -> list[str | int]:
    """'buffers.glb.size_kib' -> ['buffers', 'glb', 'size_kib']; 'a[2].b' -> ['a', 2, 'b'].

    ValueError for a malformed path."""
    if not isinstance(path, str) or not path:
        raise ValueError("a key path is a non-empty string such as 'pe_array.rows'")
    keys: list[str | int] = []
    for part in path.split("."):
        match = _SEGMENT.match(part)
        if not match:
            raise ValueError(f"malformed key path {path!r} (expected keys joined by dots, "
                             "list items as [index], e.g. 'pe_array.rows')")
        keys.append(match.group(1))
        keys.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    return keys


def resolve_parent(data: Any, path: str, create: bool = False) -> tuple[Any, str | int]:
    """The container holding ``path``'s last key, and that key.

    Missing keys along the way are created as empty mappings when ``create`` (so a sweep
    can set a key the base file leaves to its default; the accelerator loader then rejects
    unknown ones); otherwise the walk stops quietly at the first missing key, returning
    (None, key). ValueError for a path running into a value that is not a mapping, or a list
    index out of range."""
    keys = split_path(path)
    node = data
    done = ""
    for key in keys[:-1]:
        if isinstance(key, str) and isinstance(node, Mapping) and key not in node:
            if not create:
                return None, keys[-1]
            node[key] = {}  # type: ignore[index]
        node = _step(node, key, done)
        done = join(done, key)
    last = keys[-1]
    if isinstance(last, int) and not (isinstance(node, list) and last < len(node)):
        raise ValueError(f"{join(done, last)}: no such list item")
    if isinstance(last, str) and not isinstance(node, Mapping):
        raise ValueError(f"{done or 'the top level'} is {_kind(node)}, not a mapping: "
                         f"cannot set {last!r} in it")
    return node, last


def _step(node: Any, key: str | int, done: str) -> Any:
    if isinstance(key, int):
        if isinstance(node, list) and key < len(node):
            return node[key]
        raise ValueError(f"{join(done, key)}: no such list item")
    if isinstance(node, Mapping):
        return node[key]
    raise ValueError(f"{done or 'the top level'} is {_kind(node)}, not a mapping: "
                     f"it has no key {key!r}")


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    return f"the value {value!r}"


def set_path(data: Any, path: str, value: Any) -> None:
    """Set ``path`` in nested mappings/lists ``data`` (in place), creating missing mappings."""
    parent, last = resolve_parent(data, path, create=True)
    parent[last] = value


def apply_overrides(data: Any, overrides: Sequence[tuple[str, Any]]) -> Any:
    """A deep copy of ``data`` with each (path, value) set."""
    out = copy.deepcopy(data)
    for path, value in overrides:
        set_path(out, path, value)
    return out


def canonical_json(value: Any) -> str:
    """Key-sorted, whitespace-free JSON: the same data always gives the same text (a float
    with an integer value is written as that integer: ``128.0`` and ``128`` are one value)."""
    return json.dumps(_normalise(value), sort_keys=True, separators=(",", ":"), default=str)


def _normalise(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise(v) for v in value]
    return value


def config_key(accelerator_data: Any) -> str:
    """The stable key of a configuration: 16 hex digits of SHA-256 of the canonical JSON of
    its accelerator data."""
    text = canonical_json(accelerator_data)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def digest(value: Any) -> str:
    """A short content hash of YAML data (to cache parsed networks by content)."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()[:16]


# --------------------------------------------------------------------------- records

@dataclass(frozen=True, slots=True)
class Axis:
    """One swept parameter: a column ``name`` and the key ``paths`` it sets to each value."""

    name: str
    paths: tuple[str, ...]
    values: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class AxisGroup:
    """Axes that move together: point i takes value i of every member (one axis = a group
    of one)."""

    axes: tuple[Axis, ...]

    def __len__(self) -> int:
        return len(self.axes[0].values)


@dataclass(frozen=True, slots=True)
class NetworkRef:
    """A network of the sweep: its ``label`` (the results' ``network`` column), file,
    optional input-size override, and the file's parsed YAML (``data``, with its ``digest``;
    None for formats read from the file itself, such as ONNX); ``place``: where the sweep file
    lists it (``networks[2]``), for messages."""

    label: str
    file: str
    input_size: Any = None
    data: Any = None
    digest: str = ""
    place: str = ""


@dataclass(frozen=True, slots=True)
class Config:
    """One point of the design space.

    ``values``: (axis name, value) per axis, the results' parameter columns.
    ``overrides``: (key path, value) per path set.
    ``key``: stable hash of the resulting machine (see :func:`config_key`).
    """

    index: int
    key: str
    values: tuple[tuple[str, Any], ...]
    overrides: tuple[tuple[str, Any], ...]

    def describe(self) -> str:
        return ", ".join(f"{name}={value}" for name, value in self.values)


@dataclass(frozen=True, slots=True)
class SweepSpec:
    """A checked sweep description (see the module docstring).

    ``accelerator_data`` is the base accelerator's YAML with its ``base:`` chain merged;
    ``accelerator_origins`` maps key paths to the file that wrote them (for messages)."""

    file: str
    name: str
    description: str
    accelerator_file: str
    accelerator_data: Any
    accelerator_origins: Mapping[str, str]
    networks: tuple[NetworkRef, ...]
    groups: tuple[AxisGroup, ...]
    mode: str = "grid"
    samples: int | None = None
    seed: int = 0

    @property
    def axes(self) -> tuple[Axis, ...]:
        return tuple(axis for group in self.groups for axis in group.axes)

    @property
    def axis_names(self) -> tuple[str, ...]:
        return tuple(axis.name for axis in self.axes)

    @property
    def grid_size(self) -> int:
        """Number of points of the full design space."""
        return math.prod(len(group) for group in self.groups)

    @property
    def config_count(self) -> int:
        """Number of configurations this sweep visits."""
        if self.mode == "random":
            return min(self.samples or 0, self.grid_size)
        return self.grid_size

    def point_indices(self) -> list[int] | range:
        """Grid points visited, ascending: all, or ``samples`` drawn without replacement."""
        if self.mode == "random":
            rng = random.Random(self.seed)
            if self.grid_size <= sys.maxsize:
                return sorted(rng.sample(range(self.grid_size), self.config_count))
            # random.sample needs len(range): beyond sys.maxsize draw until enough differ
            # (samples <= MAX_CONFIGS out of more than 2**63 points: few draws repeat)
            drawn: set[int] = set()
            while len(drawn) < self.config_count:
                drawn.add(rng.randrange(self.grid_size))
            return sorted(drawn)
        return range(self.grid_size)

    def config_at(self, index: int) -> Config:
        """The configuration at grid point ``index`` (mixed radix, last axis fastest)."""
        if not 0 <= index < self.grid_size:
            raise IndexError(f"grid point {index} outside 0..{self.grid_size - 1}")
        picks = []
        rest = index
        for group in reversed(self.groups):
            rest, pick = divmod(rest, len(group))
            picks.append(pick)
        picks.reverse()
        values: list[tuple[str, Any]] = []
        overrides: list[tuple[str, Any]] = []
        for group, pick in zip(self.groups, picks):
            for axis in group.axes:
                value = axis.values[pick]
                values.append((axis.name, value))
                overrides.extend((path, value) for path in axis.paths)
        data = apply_overrides(self.accelerator_data, overrides)
        return Config(index, config_key(data), tuple(values), tuple(overrides))

    def configs(self) -> Iterator[Config]:
        """Every configuration this sweep visits, in grid order."""
        for index in self.point_indices():
            yield self.config_at(index)


# --------------------------------------------------------------------------- parsing

def load_sweep(path: str | Path) -> SweepSpec:
    """Read and check a sweep file; one InputError lists every problem (file + key path)."""
    path = Path(path)
    return parse_sweep(yamlio.read_yaml(path), str(path), base_dir=path.resolve().parent)


def parse_sweep(data: Any, file: str = "<sweep>", base_dir: str | Path | None = None) -> SweepSpec:
    """Build a SweepSpec from parsed YAML; relative paths resolve against ``base_dir``."""
    problems = ProblemCollector(file)
    base = Path(base_dir) if base_dir is not None else Path(file).resolve().parent
    if not isinstance(data, Mapping):
        problems.add("", "expected a mapping with 'accelerator', 'networks' and 'axes'")
        problems.raise_if_any()
    check_keys(data, "", problems, allowed=TOP_KEYS, required=("accelerator", "networks", "axes"))

    accelerator_file, accelerator_data, origins = _accelerator(data.get("accelerator"), base,
                                                               problems)
    networks = _networks(data.get("networks"), base, problems) if "networks" in data else ()
    groups = _axes(data.get("axes"), accelerator_data, accelerator_file, problems) \
        if "axes" in data else ()

    mode = field_value(data, "mode", MODE, problems)
    samples = None
    if mode == "random":
        if "samples" not in data:
            problems.add("samples", "missing: mode 'random' needs the number of samples")
        else:
            samples = field_value(data, "samples", SAMPLES, problems)
    elif "samples" in data:
        problems.add("samples", "only used with 'mode: random'")
    seed = field_value(data, "seed", SEED, problems)
    _check_size(groups, mode, problems)
    name = data.get("name", Path(file).stem)
    if not isinstance(name, str):
        problems.add("name", "expected a string")
    problems.raise_if_any()
    return SweepSpec(file=file, name=str(name),
                     description=str(data.get("description", "") or "").strip(),
                     accelerator_file=accelerator_file, accelerator_data=accelerator_data,
                     accelerator_origins=origins,
                     networks=tuple(networks), groups=tuple(groups), mode=mode,
                     samples=samples, seed=int(seed))


def _check_size(groups: Sequence[AxisGroup], mode: Any, problems: ProblemCollector) -> None:
    """A grid of more than :data:`MAX_CONFIGS` points would not finish: it is an error that
    states the size (a random sweep draws its ``samples`` from any grid)."""
    size = math.prod(len(group) for group in groups)
    if mode == "grid" and size > MAX_CONFIGS:
        shown = f"{size:,}" if size < 10 ** 15 else f"about 10^{len(str(size)) - 1}"
        problems.add("axes", f"the grid has {shown} configurations, more than the "
                     f"{MAX_CONFIGS:,} a sweep may visit; use fewer values, or 'mode: random' "
                     f"with 'samples' (at most {MAX_CONFIGS:,})")


def _resolve(raw: str, base: Path) -> Path:
    path = Path(raw).expanduser()
    return path.resolve() if path.is_absolute() else (base / path).resolve()


def _accelerator(raw: Any, base: Path,
                 problems: ProblemCollector) -> tuple[str, Any, dict[str, str]]:
    if raw is None:
        return "", {}, {}
    if not isinstance(raw, str):
        problems.add("accelerator", "expected the path of the base accelerator YAML file")
        return "", {}, {}
    path = _resolve(raw, base)
    if not path.is_file():
        problems.add("accelerator", f"file not found: {raw} (looked for {path})")
        return "", {}, {}
    try:
        data, origins = read_accelerator_data(path)
    except InputError as exc:
        problems.add("accelerator", str(exc))
        return "", {}, {}
    network_keys = sorted(NETWORK_ONLY_KEYS & {str(key) for key in data})
    if network_keys:  # every configuration would be invalid: say it before running any
        problems.add("accelerator", f"{raw} is a network file, not an accelerator file (it "
                     f"has {', '.join(network_keys)}); name an accelerator YAML file here and "
                     "the networks under 'networks'")
        return "", {}, {}
    return str(path.resolve()), data, origins


def _networks(raw: Any, base: Path, problems: ProblemCollector) -> list[NetworkRef]:
    if not isinstance(raw, list) or not raw:
        problems.add("networks", "expected a non-empty list of network files")
        return []
    refs: list[NetworkRef] = []
    for i, entry in enumerate(raw):
        place = join("networks", i)
        if isinstance(entry, str):
            entry = {"file": entry}
        if not want_mapping(entry, place, problems):
            continue
        check_keys(entry, place, problems, allowed=NETWORK_KEYS, required=("file",))
        file = entry.get("file")
        if not isinstance(file, str):
            if "file" in entry:
                problems.add(join(place, "file"), "expected the path of a network file")
            continue
        path = _resolve(file, base)
        if not path.is_file():
            problems.add(join(place, "file"), f"file not found: {file} (looked for {path})")
            continue
        label = entry.get("name", Path(file).stem)
        if not isinstance(label, str) or not label:
            problems.add(join(place, "name"), "expected a non-empty string")
            continue
        if any(r.label == label for r in refs):
            problems.add(join(place, "name"), f"network name {label!r} is used twice "
                         "(give one of them another 'name')")
            continue
        input_size = entry.get("input_size")
        if input_size is not None:
            try:
                parse_input_size(input_size)
            except ValueError as exc:
                problems.add(join(place, "input_size"), str(exc))
                continue
        data = None
        if path.suffix.lower() in (".yaml", ".yml"):
            try:
                data = read_network_data(path)
            except InputError as exc:
                problems.add(join(place, "file"), str(exc))
                continue
        refs.append(NetworkRef(label, str(path.resolve()), input_size, data,
                               digest(data) if data is not None else "", place))
    return refs


def _axes(raw: Any, accelerator: Any, accelerator_file: str,
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
            if accelerator_file:  # else the missing file is the problem to report
                resolve_parent(accelerator, path)
        except ValueError as exc:
            if raw_paths is not None:
                problems.add(where, f"{exc} (in {Path(accelerator_file).name})"
                             if accelerator_file else str(exc))
            ok = False
    values = _values(entry, place, problems, unique)
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


__all__ = ["Axis", "AxisGroup", "Config", "NetworkRef", "SweepSpec", "load_sweep",
           "parse_sweep", "split_path", "set_path", "apply_overrides", "config_key",
           "canonical_json", "digest"]
