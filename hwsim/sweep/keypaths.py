"""Key paths into nested YAML data, overrides, and the canonical JSON behind configuration keys.

A key path addresses one value of an accelerator (or any YAML) file: keys joined by dots,
list items as ``[index]`` (``pe_array.rows``, ``a[0].b``). :func:`apply_overrides` sets a list
of (path, value) pairs in a copy of the data; :func:`config_key` hashes the canonical JSON of
the result, so the same machine always gets the same key whatever the sweep file calls its axes.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from hwsim.config.yamlio import join

_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_\-]*)((?:\[\d+\])*)$")


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


__all__ = ["split_path", "resolve_parent", "set_path", "apply_overrides", "canonical_json",
           "config_key", "digest"]
