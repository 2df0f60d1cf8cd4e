"""Expanding the ``layers`` of a network file, block instances included, into layer specs.

**Entries.** A list of entries is expanded in order. An entry is a layer (``type:``) or a
block instance (``block:`` with ``args`` and an optional ``repeat``); ``if: ${expr}`` keeps it
only when true. Values may be expressions (``expr.py``) over the variables in force: the
file's ``params`` at the top, a block's parameters (bound from the instance's ``args``,
evaluated where the instance is written, with ``index``, the 0-based repeat index) and
``instance`` (the 1-based count of this block's instances so far) inside a block.

**Scopes.** Every list of entries is a scope: a mapping from the short names written in it
to what they stand for. ``input`` is the scope's input (the network's input at the top, the
instance's input inside a block). A layer's full name is its path of instance names
(``stage2/block3/squeeze1``); the short name maps to it. A block instance's name maps to the
instance's output (the block's ``output`` layer, else its last one); a repeated instance
``name`` with ``repeat: 3`` defines ``name1``..``name3``, each the output of that copy, and
each copy reads the one before.

**References.** A layer reads the previous entry's output unless it names ``inputs``, which
are short names of its own scope. Because a name may be defined later in the scope (or be
an instance whose output is only known once the instance is expanded), ``inputs`` are kept
as references (:class:`_Ref`: scope + short name) and resolved when the whole network has
been expanded, following chains of references to a full layer name. A name that is not in
its scope but is a full layer name (or ``input``) is accepted as it is; anything else is
reported with the closest names of that scope.

**Bad entries** are reported and left out; their names stay resolvable (and marked broken)
so one mistake does not cascade into "unknown input" reports for every layer that reads it.
The caps (:data:`MAX_DEPTH`, :data:`MAX_REPEAT`, :data:`MAX_LAYERS`) make a self-instantiating
block or a typo'd repeat count fail fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hwsim.config.expr import ExpressionError, substitute
from hwsim.config.layer_attrs import COMMON_KEYS, REQUIRED, TYPE_ALIASES, TYPE_KEYS, check_attr
from hwsim.config.yamlio import check_keys, describe_value, join, show, want_mapping, want_number
from hwsim.errors import ProblemCollector, did_you_mean
from hwsim.workload import layer as L
from hwsim.workload.network import INPUT, LayerSpec

INSTANCE_KEYS = {"name", "block", "args", "repeat", "inputs", "if"}
MAX_DEPTH = 16
MAX_REPEAT = 10_000     # a typo'd repeat count fails fast instead of exhausting memory
MAX_LAYERS = 10_000     # what `run` simulates in seconds; the largest bundled network has 136


@dataclass
class _Ref:
    """A name to resolve in a scope once the scope is complete."""

    scope: _Scope
    name: str
    place: str


@dataclass
class _Scope:
    names: dict[str, Any] = field(default_factory=dict)  # short name -> full name or _Ref


@dataclass
class _Pending:
    name: str
    type: str
    inputs: list[Any]
    attrs: dict[str, Any]
    place: str


class Expander:
    """Expands entries into pending layers (see the module docstring); :meth:`specs` gives
    the resolved layer specs once every entry is expanded."""


    def __init__(self, blocks: Mapping[str, Any], problems: ProblemCollector):
        self.blocks = blocks
        self.problems = problems
        self.pending: list[_Pending] = []
        self.instances: dict[str, int] = {}
        self.full_names: set[str] = set()
        self.broken: set[str] = set()
        self.too_many = False  # the layer cap was hit: stop expanding

    # --- expressions ---------------------------------------------------------------------
    def value(self, raw: Any, env: Mapping[str, Any], place: str) -> Any:
        try:
            return substitute(raw, env)
        except ExpressionError as exc:
            self.problems.add(place, str(exc))
            return None
        except (TypeError, ZeroDivisionError, OverflowError, ValueError) as exc:
            self.problems.add(place, f"cannot evaluate {show(raw)}: {exc}")
            return None

    # --- expansion -----------------------------------------------------------------------
    def expand(self, entries: Any, place: str, env: Mapping[str, Any], prefix: str,
               scope_input: Any, depth: int) -> Any:
        """Expand a list of entries; returns the output of the last one (name or _Ref)."""
        scope = _Scope({INPUT: scope_input})
        if not isinstance(entries, list):
            self.problems.add(place, "expected a list of layers")
            return scope_input
        prev = scope_input
        last_name = None
        for i, entry in enumerate(entries):
            if self.too_many:
                break
            here = join(place, i)
            if want_mapping(entry, here, self.problems) is None:  # {} is reported below
                continue
            if "if" in entry:
                keep = self.value(entry["if"], env, join(here, "if"))
                if keep is not True and keep is not False:
                    if keep is not None or entry["if"] is None:  # else already reported
                        self.problems.add(join(here, "if"), "expected true or false (or an "
                                          "expression giving one), got " + describe_value(keep))
                    continue
                if not keep:
                    continue
            name = entry.get("name")
            if not isinstance(name, str) or not name or "/" in name:
                self.problems.add(join(here, "name"),
                                  "missing required key" if name is None else
                                  f"a layer name must be a non-empty string without '/', got {name!r}")
                continue
            if name in scope.names and name != INPUT:
                self.problems.add(join(here, "name"), f"layer name '{name}' is used more than once")
                continue
            if name == INPUT:
                self.problems.add(join(here, "name"), "'input' is reserved for the input")
                continue
            inputs = self.inputs(entry, here, env, scope, prev)
            if "block" in entry:
                out = self.instance(entry, here, env, prefix, inputs, scope, depth)
            else:
                out = self.layer(entry, here, env, prefix + name, inputs)
            if out is None:
                # Keep the name resolvable so one bad layer does not cascade into
                # "unknown input" reports for every layer that reads it.
                scope.names[name] = prefix + name
                self.broken.add(prefix + name)
                continue
            scope.names[name] = out
            prev = out
            last_name = name
        self.scope_done(scope)
        return prev if last_name is not None else scope_input

    def scope_done(self, scope: _Scope) -> None:
        for value in scope.names.values():
            if isinstance(value, str):
                self.full_names.add(value)

    def inputs(self, entry: Mapping[str, Any], place: str, env: Mapping[str, Any],
               scope: _Scope, prev: Any) -> list[Any]:
        if "inputs" not in entry:
            return [prev]
        raw = self.value(entry["inputs"], env, join(place, "inputs"))
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list) or not raw or not all(isinstance(r, str) for r in raw):
            self.problems.add(join(place, "inputs"), "expected a layer name or a list of layer names")
            return [prev]
        return [_Ref(scope, r, join(place, "inputs")) for r in raw]

    def layer(self, entry: Mapping[str, Any], place: str, env: Mapping[str, Any], full: str,
              inputs: list[Any]) -> str | None:
        kind = entry.get("type")
        if kind is None:
            self.problems.add(join(place, "type"), "missing required key (or 'block')")
            return None
        if not isinstance(kind, str):
            self.problems.add(join(place, "type"), "expected a layer type such as conv, got "
                              + describe_value(kind))
            return None
        attrs: dict[str, Any] = {}
        if kind in TYPE_ALIASES:
            kind, attrs = TYPE_ALIASES[kind][0], dict(TYPE_ALIASES[kind][1])
        if kind not in TYPE_KEYS:
            self.problems.add(join(place, "type"), f"unknown layer type '{kind}'"
                              + did_you_mean(str(kind), set(TYPE_KEYS) | set(TYPE_ALIASES)))
            return None
        before = len(self.problems.problems)
        check_keys(entry, place, self.problems, allowed=COMMON_KEYS | TYPE_KEYS[kind],
                   required=REQUIRED.get(kind, ()) if "out_features" not in entry else ())
        for key, raw in entry.items():
            if key in ("name", "type", "inputs", "if") or key not in COMMON_KEYS | TYPE_KEYS[kind]:
                continue
            before_value = len(self.problems.problems)
            value = self.value(raw, env, join(place, key))
            if len(self.problems.problems) > before_value:
                continue
            ok, checked = check_attr(key, value, join(place, key), self.problems)
            if ok:
                attrs[key] = checked
        if "out_features" in attrs:
            attrs["out_channels"] = attrs.pop("out_features")
        if attrs.pop("relu", False):
            attrs.setdefault("activation", "relu")
        if kind in L.POOL_TYPES and "kernel" not in attrs and not attrs.get("global"):
            self.problems.add(join(place, "kernel"), "missing required key (or 'global: true')")
        if len(self.pending) >= MAX_LAYERS:
            self.problems.add(place, f"the network has more than {MAX_LAYERS:,} layers")
            self.too_many = True
            return None
        self.pending.append(_Pending(full, kind, inputs, attrs, place))
        if len(self.problems.problems) > before:
            self.broken.add(full)  # still resolve its inputs, to report them too
        return full

    def instance(self, entry: Mapping[str, Any], place: str, env: Mapping[str, Any],
                 prefix: str, inputs: list[Any], scope: _Scope, depth: int) -> Any:
        check_keys(entry, place, self.problems, allowed=INSTANCE_KEYS)
        block_name = entry["block"]
        block = self.blocks.get(block_name) if isinstance(block_name, str) else None
        if block is None:
            self.problems.add(join(place, "block"), f"unknown block '{block_name}'"
                              + did_you_mean(str(block_name), self.blocks))
            return None
        if depth >= MAX_DEPTH:
            self.problems.add(place, f"blocks nested more than {MAX_DEPTH} deep "
                                     f"(does block '{block_name}' instantiate itself?)")
            return None
        if len(inputs) != 1:
            self.problems.add(join(place, "inputs"), "a block instance takes exactly one input")
            return None
        repeat = self.repeat(entry, place, env)
        if repeat is None:
            return None
        params = _block_params(block)
        raw_args = entry.get("args", {}) or {}
        if want_mapping(raw_args, join(place, "args"), self.problems) is None:  # {} is valid
            return None
        for key in raw_args:
            if key not in params:
                self.problems.add(join(join(place, "args"), str(key)),
                                  f"block '{block_name}' has no parameter '{key}'"
                                  + did_you_mean(str(key), params))
        out = inputs[0]
        name = entry["name"]
        for k in range(repeat):
            if self.too_many:
                break
            inst = f"{name}{k + 1}" if "repeat" in entry else name
            local = dict(env)
            local["index"] = k
            args = self.bind(block_name, params, raw_args, local, join(place, "args"))
            if args is None:
                return None
            self.instances[block_name] = self.instances.get(block_name, 0) + 1
            block_env = {**args, "instance": self.instances[block_name]}
            body_place = f"blocks.{block_name}.layers (in {prefix}{inst})"
            out = self.expand_block(block, body_place, block_env, prefix + inst + "/", out,
                                    depth + 1)
            if "repeat" in entry:
                scope.names[inst] = out
        return out

    def repeat(self, entry: Mapping[str, Any], place: str, env: Mapping[str, Any]) -> int | None:
        """An instance's repeat count (1 without ``repeat``); None if it is bad."""
        if "repeat" not in entry:
            return 1
        repeat = self.value(entry["repeat"], env, join(place, "repeat"))
        if want_number(repeat, join(place, "repeat"), self.problems, integer=True,
                       positive=False, minimum=0) is None:
            return None
        repeat = int(repeat)
        if repeat > MAX_REPEAT:
            self.problems.add(join(place, "repeat"),
                              f"{repeat} repeats is more than the {MAX_REPEAT:,} allowed")
            return None
        return repeat

    def bind(self, block_name: str, params: Mapping[str, Any], raw_args: Mapping[str, Any],
             env: Mapping[str, Any], place: str) -> dict[str, Any] | None:
        """A block's parameters for one instance: the given ``args`` evaluated in ``env``,
        the defaults for the others; None if a required one is missing."""
        args = {}
        for key, default in params.items():
            if key in raw_args:
                args[key] = self.value(raw_args[key], env, join(place, key))
            elif default is not _REQUIRED:
                args[key] = default
            else:
                self.problems.add(place, f"block '{block_name}' needs parameter '{key}'")
                return None
        return args

    def expand_block(self, block: Mapping[str, Any], place: str, env: Mapping[str, Any],
                     prefix: str, scope_input: Any, depth: int) -> Any:
        output = block.get("output")
        scope_before = len(self.pending)
        last = self.expand(block.get("layers"), place, env, prefix, scope_input, depth)
        if output is None:
            return last
        output = self.value(output, env, place)
        full = prefix + str(output)
        if not any(p.name == full for p in self.pending[scope_before:]):
            self.problems.add(place, f"block output '{output}' is not a layer of the block")
            return last
        return full

    # --- resolution ----------------------------------------------------------------------
    def resolve(self, ref: Any, seen: int = 0) -> str | None:
        while isinstance(ref, _Ref):
            target = ref.scope.names.get(ref.name)
            if target is None:
                if ref.name in self.full_names or ref.name == INPUT:
                    return ref.name
                self.problems.add(ref.place, f"input '{ref.name}' is not a layer of this network"
                                  + did_you_mean(ref.name, [n for n in ref.scope.names
                                                            if n != INPUT]))
                return None
            ref = target
            seen += 1
            if seen > 10_000:
                self.problems.add("", "unresolvable chain of inputs")
                return None
        return ref

    def specs(self) -> list[LayerSpec]:
        out = []
        for p in self.pending:
            inputs = [self.resolve(r) for r in p.inputs]
            if p.name in self.broken or any(i is None or i in self.broken for i in inputs):
                continue
            names = tuple(i for i in inputs if i is not None)  # none is None here
            out.append(LayerSpec(p.name, p.type, names, p.attrs, p.place))
        return out


class _Required:
    def __repr__(self) -> str:
        return "required"


_REQUIRED = _Required()


def _block_params(block: Mapping[str, Any]) -> dict[str, Any]:
    """A block's parameters and their defaults (a malformed ``params`` is reported where the
    blocks are read, and gives none here)."""
    raw = block.get("params") or []
    if isinstance(raw, list):
        return {str(p): _REQUIRED for p in raw}
    return {str(k): v for k, v in raw.items()} if isinstance(raw, Mapping) else {}


__all__ = ["Expander", "INSTANCE_KEYS", "MAX_DEPTH", "MAX_REPEAT", "MAX_LAYERS"]
