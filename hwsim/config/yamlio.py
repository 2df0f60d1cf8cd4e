"""Reading YAML files and checking their keys, with errors that say file, place and what.

Shared by every loader (networks, accelerators, sweeps). ``read_yaml`` turns a missing file
or a syntax error into an :class:`~hwsim.errors.InputError` with the line and column.
It reads regular files only (not ``/dev/zero`` or a FIFO) of at most :data:`MAX_FILE_BYTES`,
rejects a key written twice in one mapping (``kernel: 3`` then ``kernel: 7``: the second
would silently win), nesting deeper than :data:`MAX_NESTING`, and aliases that expand to
more than :data:`MAX_EXPANDED_NODES` values (a "billion laughs" file of a few hundred bytes);
``check_keys`` reports unknown keys with the closest known one, and missing required keys;
the ``want_*`` helpers check a value's type and range and record a problem instead of raising,
so that all problems of a file are reported together.
"""

from __future__ import annotations

import math
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from hwsim.errors import InputError, ProblemCollector, did_you_mean

#: The largest input file read (bytes): the biggest bundled file is a few tens of KiB.
MAX_FILE_BYTES = 4 * 1024 * 1024
#: The deepest nesting of mappings and lists in a file.
MAX_NESTING = 64
#: The most values (scalars, mappings, lists) a file may hold once its aliases are expanded.
MAX_EXPANDED_NODES = 1_000_000


if TYPE_CHECKING:  # the methods below extend a loader's (the mixin comes first in the MRO)
    from yaml import SafeLoader as _LoaderBase
else:
    _LoaderBase = object


class _StrictChecks(_LoaderBase):
    """What the project's loaders add to a safe loader: a key written twice is refused, and
    so is nesting deeper than MAX_NESTING (counted while composing, before any recursion)."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                mark = self.peek_event().start_mark
                raise yaml.YAMLError(f"line {mark.line + 1}, column {mark.column + 1}: "
                                     f"nested more than {MAX_NESTING} levels deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, Any] = {}
            for key_node, _value in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: reported by the base class
                    continue
                if first is not None:
                    mark = key_node.start_mark
                    raise yaml.YAMLError(
                        f"line {mark.line + 1}, column {mark.column + 1}: key "
                        f"{cut(str(key))} is written twice in this mapping (first at line "
                        f"{first.line + 1}, column {first.column + 1}); remove one of them")
                seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


class _StrictLoader(_StrictChecks, yaml.SafeLoader):
    """The pure-Python safe loader with the checks (the reference, and the one used when
    PyYAML was built without libyaml)."""


try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML without libyaml
    _FastStrictLoader: type | None = None
else:
    class _FastStrictLoader(_StrictChecks, CParser,  # type: ignore[no-redef]
                            yaml.composer.Composer, yaml.constructor.SafeConstructor,
                            yaml.resolver.Resolver):
        """The same loader on libyaml's scanner and parser (several times faster). The
        nodes are composed by PyYAML's Python composer, as in :class:`_StrictLoader`, so the
        nesting check runs and a deep file never recurses in C."""

        def __init__(self, stream: Any):
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

        # CParser composes in C; take the Python composer's versions instead.
        check_node = yaml.composer.Composer.check_node
        get_node = yaml.composer.Composer.get_node
        get_single_node = yaml.composer.Composer.get_single_node

#: The loader ``read_yaml`` uses: libyaml's parser when PyYAML has it.
LOADER: type = _FastStrictLoader or _StrictLoader


def _expanded_size(value: Any, limit: int) -> int:
    """How many values ``value`` holds with every alias expanded, counting stops past
    ``limit`` (a shared list counts once per place it appears, as a writer would see it)."""
    count = 0
    stack = [value]
    while stack and count <= limit:
        item = stack.pop()
        count += 1
        if isinstance(item, Mapping):
            stack.extend(item.values())
            count += len(item)
        elif isinstance(item, list):
            stack.extend(item)
    return count


def read_text_file(path: str | Path, what: str = "YAML file") -> str:
    """The UTF-8 text of a regular file of at most :data:`MAX_FILE_BYTES`; InputError for a
    missing file, a directory, a device or FIFO, a file too big, or one that is not text."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", file=path) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"is a directory, not a {what}", file=path)
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"is not a regular file (a device, FIFO or socket), not a {what}",
                         file=path)
    if info.st_size > MAX_FILE_BYTES:
        raise InputError(f"is {info.st_size:,} bytes, more than the {MAX_FILE_BYTES:,} a "
                         f"{what} may have", file=path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", file=path) from None
    if len(raw) > MAX_FILE_BYTES:  # it grew since stat
        raise InputError(f"is more than the {MAX_FILE_BYTES:,} bytes a {what} may have",
                         file=path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start} is not): a {what} is text",
                         file=path) from None


def parse_yaml_text(text: str, loader: type | None = None) -> Any:
    """The data of one YAML document, read with ``loader`` (default :data:`LOADER`, both
    safe loaders with the checks of the module docstring); yaml.YAMLError if invalid."""
    return yaml.load(text, Loader=loader or LOADER)  # noqa: S506 - safe loaders only


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file; InputError for a missing, unreadable or invalid file (see the
    module docstring for the limits)."""
    path = Path(path)
    text = read_text_file(path)
    try:
        data = parse_yaml_text(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        if "maximum nesting depth" in problem:  # libyaml's own limit (1,000), met first
            problem = f"nested more than {MAX_NESTING} levels deep"
        raise InputError(f"invalid YAML: {where}{problem}", file=path) from None
    except RecursionError:
        raise InputError(f"invalid YAML: nested more than {MAX_NESTING} levels deep",
                         file=path) from None
    if _expanded_size(data, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES:
        raise InputError(f"its aliases (*name) expand to more than {MAX_EXPANDED_NODES:,} "
                         "values; write the values out or use fewer aliases", file=path)
    return data


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


def _range_text(minimum: float | None, maximum: float | None, positive: bool,
                integer: bool = False) -> str:
    """' (range: 1 to 4,096)' for a bounded value, '' when there is no upper bound."""
    if maximum is None:
        return ""
    low: float | str | None = minimum
    if low is None and positive:
        low = 1 if integer else "above 0"
    if low is None:
        return f" (at most {maximum:,})"
    low_text = low if isinstance(low, str) else f"{low:,}"
    return f" (range: {low_text} to {maximum:,})"


def want_number(value: Any, place: str, problems: ProblemCollector, *, positive: bool = True,
                integer: bool = False, minimum: float | None = None,
                maximum: float | None = None) -> float | int | None:
    """A number (int if ``integer``) within range; records a problem and returns None if not.
    A message about a bounded value states its range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        problems.add(place, f"expected {'an integer' if integer else 'a number'}, got {describe_value(value)}")
        return None
    if not math.isfinite(value):
        problems.add(place, f"expected a finite number, got {value!r}")
        return None
    if integer and not float(value).is_integer():
        problems.add(place, f"expected an integer, got {value!r}")
        return None
    shown = describe_value(value).removeprefix("the number ")
    bounds = _range_text(minimum, maximum, positive, integer)
    if positive and value <= 0:
        problems.add(place, f"must be positive, got {shown}{bounds}")
        return None
    if minimum is not None and value < minimum:
        problems.add(place, f"must be at least {minimum}, got {shown}{bounds}")
        return None
    if maximum is not None and value > maximum:
        problems.add(place, f"must be at most {maximum:,}, got {shown}{bounds}")
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


def want_non_negative(value: Any, place: str, problems: ProblemCollector, *,
                      maximum: float | None = None) -> float | int | None:
    """A finite number >= 0 (and at most ``maximum``); records a problem and returns None
    if not."""
    number = want_number(value, place, problems, positive=False, maximum=maximum)
    if number is None:
        return None
    if number < 0:
        problems.add(place, f"must not be negative, got {value!r}"
                     + _range_text(0, maximum, False))
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


#: The most characters of a value from a file that a message shows (a value read through
#: ``base:`` may be anything, a secret included: the key path and the type say enough).
MAX_SHOWN_CHARS = 24


def cut(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """``text`` quoted, cut to ``limit`` characters (with its length when cut), on one line."""
    text = text.replace("\n", " ").replace("\r", " ")
    if len(text) <= limit:
        return repr(text)
    return repr(text[: limit - 3] + "...") + f" ({len(text):,} characters)"


def show(value: Any) -> str:
    """A value as written (its repr), cut to :data:`MAX_SHOWN_CHARS` for a message."""
    if isinstance(value, str):
        return cut(value)
    text = repr(value)
    return text if len(text) <= MAX_SHOWN_CHARS else text[: MAX_SHOWN_CHARS - 3] + "..."


def describe_value(value: Any) -> str:
    """How a value reads in an error message: 'the number 3', 'a list', ... (a long string
    or number is cut: see :func:`cut`)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        text = repr(value)
        return f"the number {text if len(text) <= MAX_SHOWN_CHARS else cut(text)}"
    if isinstance(value, str):
        return f"the string {cut(value)}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return type(value).__name__


__all__ = ["read_yaml", "join", "check_keys", "want_mapping", "want_number", "want_bool",
           "want_choice", "want_str", "want_non_negative", "want_fraction", "want_names",
           "describe_value", "cut", "show", "read_text_file", "MAX_FILE_BYTES", "MAX_NESTING",
           "MAX_EXPANDED_NODES", "MAX_SHOWN_CHARS"]
