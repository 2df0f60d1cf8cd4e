"""The sweep description: which accelerator parameters to vary, over which networks.

A sweep file names a base accelerator file, the networks, and *axes*. An axis sets one
accelerator parameter, addressed by its key path in the accelerator YAML (``pe_array.rows``,
``buffer.global_kib``, ``dataflow``, ``sparsity.zero_weight_fraction``; ``a[0].b`` for list
items), to each of a list of values. An axis whose ``path`` is a list of paths sets all of
them to the same value (a square array: ``path: [pe_array.rows, pe_array.cols]``); a ``zip``
group moves several axes together, value by value, instead of crossing them.

An axis whose path starts with ``network.`` sets the networks instead (``network.params.NAME``
a parameter their files declare, ``network.input_size`` their resolution; see ``axes.py``);
it crosses or zips with the accelerator axes like any other.

A *configuration* is one choice of value per axis. The design space is the cross product of
the axes (a zip group counts as one axis); ``mode: grid`` visits every point, ``mode: random``
draws ``samples`` distinct points with ``seed`` (a point is a number in mixed radix, so even a
huge space is sampled without listing it). Each configuration has a stable ``key``: a hash of
the canonical JSON of the base accelerator data (its ``base:`` chain merged) with the
overrides applied (and, when the sweep has network axes, of the network settings too: a
row's network is its file plus its parameter values), so the same machine always gets the
same key whatever the sweep file looks like (the key paths and hashing are in ``keypaths.py``, the axes in ``axes.py``).

Paths in the sweep file resolve against the sweep file. The networks' YAML is read here and
travels with the tasks, so workers (a Dask cluster's included) need not see the files. This
module reads and checks data only; whether a configuration is a valid machine is decided
later, one configuration at a time, by the accelerator loader (invalid ones are reported and
skipped, not fatal).
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwsim import bundled
from hwsim.config import yamlio
from hwsim.config.accelerator_file import SCHEMA as ACCELERATOR_SCHEMA
from hwsim.config.accelerator_file import read_accelerator_data
from hwsim.config.input_size import parse_input_size
from hwsim.config.network_file import TOP_KEYS as NETWORK_FILE_KEYS
from hwsim.config.network_file import read_network_data
from hwsim.config.schema import choice, count, field_value, integer
from hwsim.config.yamlio import check_keys, join, want_mapping
from hwsim.errors import InputError, ProblemCollector
from hwsim.sweep.axes import INPUT_SIZE_PATH, PARAMS_PREFIX, Axis, AxisGroup, parse_axes
from hwsim.sweep.keypaths import (
    apply_overrides,
    canonical_json,
    config_key,
    digest,
    set_path,
    split_path,
)

TOP_KEYS = {"name", "description", "accelerator", "networks", "axes", "mode", "samples", "seed"}
NETWORK_KEYS = {"file", "name", "input_size"}
MODES = ("grid", "random")
MODE = choice(MODES, default="grid")
#: The most configurations a sweep may visit (grid points, or random samples): about 7
#: minutes per network at the analytic engine's 250 simulations per second on two cores.
MAX_CONFIGS = 100_000
SAMPLES = count(maximum=MAX_CONFIGS)
SEED = integer(default=0)
# Keys that make a file a network description, never an accelerator.
NETWORK_ONLY_KEYS = frozenset(NETWORK_FILE_KEYS) - set(ACCELERATOR_SCHEMA)


# --------------------------------------------------------------------------- records

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
    ``overrides``: (key path, value) per accelerator path set.
    ``network_overrides``: (path, value) per network path set (``network.params.NAME``,
    ``network.input_size``; see :meth:`network_params` and :meth:`network_input_size`).
    ``key``: stable hash of the resulting machine, and of the network settings when there
    are any (see :func:`config_key`).
    """

    index: int
    key: str
    values: tuple[tuple[str, Any], ...]
    overrides: tuple[tuple[str, Any], ...]
    network_overrides: tuple[tuple[str, Any], ...] = ()

    def describe(self) -> str:
        return ", ".join(f"{name}={value}" for name, value in self.values)

    @property
    def network_params(self) -> dict[str, Any]:
        """The network parameters this configuration sets (name -> value)."""
        return {path[len(PARAMS_PREFIX):]: value for path, value in self.network_overrides
                if path.startswith(PARAMS_PREFIX)}

    @property
    def network_input_size(self) -> Any:
        """The input size this configuration sets, or None."""
        return next((v for p, v in self.network_overrides if p == INPUT_SIZE_PATH), None)


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
        network: list[tuple[str, Any]] = []
        for group, pick in zip(self.groups, picks):
            for axis in group.axes:
                value = axis.values[pick]
                values.append((axis.name, value))
                (network if axis.is_network else overrides).extend(
                    (path, value) for path in axis.paths)
        data = apply_overrides(self.accelerator_data, overrides)
        # The network's settings are part of a row's identity; a sweep without network axes
        # keeps the key of the machine alone.
        key = config_key({"accelerator": data, "network": dict(network)} if network else data)
        return Config(index, key, tuple(values), tuple(overrides), tuple(network))

    def configs(self) -> Iterator[Config]:
        """Every configuration this sweep visits, in grid order."""
        for index in self.point_indices():
            yield self.config_at(index)



# --------------------------------------------------------------------------- parsing

def load_sweep(path: str | Path) -> SweepSpec:
    """Read and check a sweep file; one InputError lists every problem (file + key path).
    A bare name (``array_rf_glb``) that is not a file is a bundled sweep."""
    path = bundled.resolve("sweeps", path)
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
    groups = parse_axes(data.get("axes"), accelerator_data, accelerator_file, problems) \
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


__all__ = ["Axis", "AxisGroup", "Config", "NetworkRef", "SweepSpec", "load_sweep",
           "parse_sweep", "split_path", "set_path", "apply_overrides", "config_key",
           "canonical_json", "digest"]
