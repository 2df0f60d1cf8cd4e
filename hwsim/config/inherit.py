"""``base: other.yaml``: one file starts from another. The one resolver for every format.

A file naming a ``base`` (a path relative to the file) is read as its base's data (the base's
own ``base`` chain resolved first) with the file's keys written over it. The rules are the
same for every format; each format states only what differs in its :class:`BaseRules`:

* which top-level keys a file takes from its base (the structure; never ``base`` itself and
  never the format's metadata, such as its name);
* which keys merge key by key when both files give a mapping (the file's inner keys win);
  every other key the file writes replaces the base's;
* the wording of its messages, and what a file that is not a mapping is.

Checked for every format: ``base`` is a non-empty string; the file exists and is a regular
file (not a device or FIFO; its size is bounded by :func:`~hwsim.config.yamlio.read_yaml`);
no file is its own base (directly or through a chain); at most :data:`MAX_BASE_DEPTH` files
in a chain; a base has only keys of its format (``known``: a typo such as ``layrs:`` in a
base would otherwise be dropped silently, as a key the file does not inherit); and, where
the format says so (``empty``), no file of the chain is empty or only comments. The
resolver also returns, for each key and ``key.inner`` path, the file that wrote it, so that a
problem found later is reported against the file to fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hwsim.config.yamlio import read_yaml
from hwsim.errors import InputError, Problem, did_you_mean

#: Files in one ``base`` chain, the file itself included (a typo'd or looping chain fails fast).
MAX_BASE_DEPTH = 16


@dataclass(frozen=True, slots=True)
class BaseRules:
    """What one format's ``base:`` inherits, and how its problems read.

    ``inherited``: the keys taken from a base (None: all but ``not_inherited``).
    ``merged``: the keys merged key by key when both values are mappings (None: every key).
    ``cycle`` (``{raw}``, ``{chain}``) and ``not_found`` (``{raw}``, ``{path}``): messages.
    ``not_a_mapping``: the message for a file whose YAML is not a mapping (an empty file is
    ``{}`` then); None: the top file is returned as read, for the format's parser to report,
    and a base that is not a mapping is reported on the file naming it with
    ``base_not_a_mapping`` (``{raw}``).
    ``known``: the keys a file of the format may have (None: not checked here); a base's
    other keys are reported naming the base (the top file's are the parser's to report).
    ``empty``: the message for a file that is empty or only comments (None: read as ``{}``
    or None as the format's parser expects)."""

    cycle: str
    not_found: str
    inherited: frozenset[str] | None = None
    not_inherited: frozenset[str] = frozenset()
    merged: frozenset[str] | None = None
    not_a_mapping: str | None = None
    base_not_a_mapping: str = ""
    known: frozenset[str] | None = None
    empty: str | None = None

    def inherits(self, key: str) -> bool:
        if key == "base" or key in self.not_inherited:
            return False
        return self.inherited is None or key in self.inherited

    def merges(self, key: str) -> bool:
        return self.merged is None or key in self.merged


def resolve_base(path: str | Path, rules: BaseRules) -> tuple[Any, dict[str, str]]:
    """The YAML of ``path`` with its ``base`` chain merged in (not otherwise validated), and
    for each key path (``key``, ``key.inner``) the file that wrote it. InputError for a bad
    ``base``, naming the file that wrote it."""
    path = Path(path)
    return _resolve(path, (path.resolve(),), rules)


def _resolve(path: Path, chain: tuple[Path, ...],
             rules: BaseRules) -> tuple[Any, dict[str, str]]:
    file = str(path)
    data = read_yaml(path)
    if data is None and rules.empty is not None:
        raise InputError([Problem(file, "", rules.empty)])
    if len(chain) > 1 and rules.known is not None and isinstance(data, Mapping):
        unknown = [Problem(file, str(key), "unknown key" + did_you_mean(str(key), rules.known))
                   for key in data if str(key) not in rules.known]
        if unknown:
            raise InputError(unknown)
    if rules.not_a_mapping is not None:
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise InputError([Problem(file, "", rules.not_a_mapping)])
    if not isinstance(data, Mapping):
        return data, {}
    merged: dict[str, Any] = {}
    origins: dict[str, str] = {}
    if "base" in data:
        merged, origins = _base(data["base"], path, chain, rules)
    for raw_key, value in data.items():
        key = str(raw_key)
        if key == "base":
            continue
        inner_keys = [str(inner) for inner in value] if isinstance(value, Mapping) else []
        if (isinstance(value, Mapping) and isinstance(merged.get(key), Mapping)
                and rules.merges(key)):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = dict(value) if isinstance(value, Mapping) else value
            origins = {k: v for k, v in origins.items() if k.split(".")[0] != key}
            origins[key] = file
        for inner in inner_keys:
            origins[f"{key}.{inner}"] = file
    return merged, origins


def _base(raw: Any, path: Path, chain: tuple[Path, ...],
          rules: BaseRules) -> tuple[dict[str, Any], dict[str, str]]:
    """The inherited part of the base named ``raw`` by the file ``path``."""
    file = str(path)
    if not isinstance(raw, str) or not raw:
        raise InputError([Problem(file, "base", f"expected a file name, got {raw!r}")])
    base_path = (path.parent / raw).resolve()
    if base_path in chain:
        trail = " -> ".join(str(p) for p in (*chain, base_path))
        raise InputError([Problem(file, "base", rules.cycle.format(raw=raw, chain=trail))])
    if len(chain) >= MAX_BASE_DEPTH:
        raise InputError([Problem(file, "base", f"bases nested more than {MAX_BASE_DEPTH} deep")])
    if not base_path.exists():
        raise InputError([Problem(file, "base",
                                  rules.not_found.format(raw=raw, path=base_path))])
    if not base_path.is_file():
        raise InputError([Problem(file, "base", f"{base_path} is not a regular file (a "
                                  "directory, device or FIFO)")])
    base, origins = _resolve(base_path, (*chain, base_path), rules)
    if not isinstance(base, Mapping):
        raise InputError([Problem(file, "base", rules.base_not_a_mapping.format(raw=raw))])
    kept = {key: value for key, value in base.items() if rules.inherits(key)}
    return kept, {k: v for k, v in origins.items() if k.split(".")[0] in kept}


__all__ = ["BaseRules", "resolve_base", "MAX_BASE_DEPTH"]
