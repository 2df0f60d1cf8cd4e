"""The network YAML format: reading, block expansion and validation.

A file has metadata (``name``, ``description``, ``source``, ``input: [C, H, W]``,
``accuracy``), optional top-level ``params`` (variables for expressions), reusable ``blocks``
and the ``layers`` list. A layer entry is either a layer (``type: conv`` ...) or a block
instance (``block: fire`` with ``args`` and an optional ``repeat``). Block instances expand to
layers named hierarchically (``stage2/block3/squeeze1``); inside a block, ``inputs`` name the
block's own layers or ``input`` (the block's input). A layer reads the previous one unless it
names its ``inputs``. Strings ``${expr}`` / ``$name`` are expressions (see ``expr.py``) over
the block parameters, ``index`` (0-based repeat index, in a repeated instance's ``args``) and
``instance`` (1-based count of this block's instances so far in the whole network, inside a
block). An entry with ``if: ${expr}`` is kept only when the expression is true.

The full format is documented in the README ("Writing a network").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hwsim.config.expr import ExpressionError, substitute
from hwsim.config.inherit import BaseRules, resolve_base
from hwsim.config.yamlio import check_keys, join, want_bool, want_mapping, want_number
from hwsim.errors import InputError, ProblemCollector, did_you_mean
from hwsim.workload import layer as L
from hwsim.workload.layer import TensorShape
from hwsim.workload.network import INPUT, LayerSpec, Network, build_network

TOP_KEYS = {"name", "description", "source", "input", "accuracy", "params", "blocks", "layers",
            "base"}
# What a file inherits from its ``base``: the structure, never the metadata (name,
# description, source, accuracy); params and blocks merge key by key, this file winning.
INHERITED_KEYS = ("input", "params", "blocks", "layers")
MERGED_KEYS = ("params", "blocks")  # merged key by key; other inherited keys are replaced
BASE_RULES = BaseRules(
    inherited=frozenset(INHERITED_KEYS), merged=frozenset(MERGED_KEYS),
    cycle="'{raw}' includes itself (directly or through its own base)",
    not_found="file '{raw}' not found (looked for {path})",
    base_not_a_mapping="'{raw}' is not a network description")
BLOCK_KEYS = {"params", "layers", "output", "description"}
COMMON_KEYS = {"name", "type", "inputs", "if", "bn", "activation", "relu"}
INSTANCE_KEYS = {"name", "block", "args", "repeat", "inputs", "if"}
TYPE_KEYS = {
    L.CONV: {"out_channels", "kernel", "stride", "padding", "dilation", "groups", "bias"},
    L.FC: {"out_channels", "out_features", "bias"},
    L.MAXPOOL: {"kernel", "stride", "padding", "rounding", "global"},
    L.AVGPOOL: {"kernel", "stride", "padding", "rounding", "global"},
    L.CONCAT: set(), L.ADD: set(),
    L.RELU: set(), L.BN: set(), L.LRN: {"size"}, L.DROPOUT: {"ratio"}, L.SOFTMAX: set(),
    L.FLATTEN: set(),
}
TYPE_ALIASES = {"global_avgpool": (L.AVGPOOL, {"global": True}),
                "global_maxpool": (L.MAXPOOL, {"global": True}),
                "depthwise": (L.CONV, {"groups": "in_channels"}),
                "relu6": (L.RELU, {}), "batchnorm": (L.BN, {}), "dense": (L.FC, {})}
REQUIRED = {L.CONV: ("out_channels", "kernel"), L.FC: ("out_channels",)}
MAX_DEPTH = 16
MAX_REPEAT = 10_000     # a typo'd repeat count fails fast instead of exhausting memory
MAX_LAYERS = 100_000


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


class _Expander:
    def __init__(self, file: str, blocks: Mapping[str, Any], problems: ProblemCollector):
        self.file = file
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
            self.problems.add(place, f"cannot evaluate {raw!r}: {exc}")
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
            value = self.value(raw, env, join(place, key))
            if value is None and raw is not None:
                continue
            checked = _check_attr(key, value, join(place, key), self.problems)
            if checked is not _BAD:
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
        repeat = 1
        if "repeat" in entry:
            repeat = self.value(entry["repeat"], env, join(place, "repeat"))
            if want_number(repeat, join(place, "repeat"), self.problems, integer=True,
                           positive=False, minimum=0) is None:
                return None
            repeat = int(repeat)
            if repeat > MAX_REPEAT:
                self.problems.add(join(place, "repeat"),
                                  f"{repeat} repeats is more than the {MAX_REPEAT:,} allowed")
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
            args = {}
            for key, default in params.items():
                if key in raw_args:
                    args[key] = self.value(raw_args[key], local, join(join(place, "args"), key))
                elif default is not _REQUIRED:
                    args[key] = default
                else:
                    self.problems.add(join(place, "args"),
                                      f"block '{block_name}' needs parameter '{key}'")
                    return None
            self.instances[block_name] = self.instances.get(block_name, 0) + 1
            block_env = {**args, "instance": self.instances[block_name]}
            body_place = f"blocks.{block_name}.layers (in {prefix}{inst})"
            out = self.expand_block(block, body_place, block_env, prefix + inst + "/", out,
                                    depth + 1)
            if "repeat" in entry:
                scope.names[inst] = out
        return out

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
            out.append(LayerSpec(p.name, p.type, tuple(inputs), p.attrs, p.place))
        return out


class _Required:
    def __repr__(self) -> str:
        return "required"


_REQUIRED = _Required()
_BAD = object()


def _block_params(block: Mapping[str, Any]) -> dict[str, Any]:
    raw = block.get("params") or []
    if isinstance(raw, list):
        return {str(p): _REQUIRED for p in raw}
    return dict(raw)


def _positive_pair(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    return (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value))


def _check_attr(key: str, value: Any, place: str, problems: ProblemCollector) -> Any:
    """Check one layer attribute's type and range; returns the value or _BAD."""
    if key in ("kernel", "stride", "dilation"):
        if _positive_pair(value):
            return value
        problems.add(place, f"expected a positive integer or [height, width], got {value!r}")
        return _BAD
    if key == "padding":
        if value in ("same", "valid"):
            return value
        ok_int = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        ok_list = (isinstance(value, list) and len(value) in (1, 2, 4)
                   and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value))
        if ok_int or ok_list:
            return value
        problems.add(place, "expected a non-negative integer, [pad_h, pad_w], "
                            f"[top, bottom, left, right], 'same' or 'valid', got {value!r}")
        return _BAD
    if key == "groups":
        if value == "in_channels":
            return value
        checked = want_number(value, place, problems, integer=True)
        return _BAD if checked is None else checked
    if key in ("out_channels", "out_features", "size"):
        checked = want_number(value, place, problems, integer=True)
        return _BAD if checked is None else checked
    if key in ("bias", "bn", "relu", "global"):
        checked = want_bool(value, place, problems)
        return _BAD if checked is None else checked
    if key == "ratio":
        checked = want_number(value, place, problems, positive=False, minimum=0, maximum=1)
        return _BAD if checked is None else checked
    if key == "rounding":
        if value in ("ceil", "floor"):
            return value
        problems.add(place, f"expected 'ceil' or 'floor', got {value!r}")
        return _BAD
    if key == "activation":
        if value is None or value == "none":
            return None
        if value in L.ACTIVATIONS:
            return value
        problems.add(place, f"expected one of {', '.join(sorted(L.ACTIVATIONS))} or none, got {value!r}"
                     + (did_you_mean(value, L.ACTIVATIONS) if isinstance(value, str) else ""))
        return _BAD
    return value


def parse_input_size(value: Any) -> tuple[int, int]:
    """'227', 227, '224x192' or (224, 192) -> (height, width); ValueError if malformed."""
    try:
        if isinstance(value, (tuple, list)) and len(value) == 2:
            h, w = int(value[0]), int(value[1])
        elif isinstance(value, int):
            h = w = value
        else:
            parts = str(value).lower().replace(" ", "").split("x")
            if len(parts) == 1:
                h = w = int(parts[0])
            elif len(parts) == 2:
                h, w = int(parts[0]), int(parts[1])
            else:
                raise ValueError
    except (TypeError, ValueError):
        raise ValueError(f"input size {value!r}: expected N or HxW, e.g. 224 or 224x192") from None
    if h <= 0 or w <= 0:
        raise ValueError(f"input size {value!r}: must be positive")
    return h, w


def _input_shape(raw: Any, problems: ProblemCollector) -> TensorShape | None:
    if isinstance(raw, Mapping):
        check_keys(raw, "input", problems, allowed=(), required=("channels", "height", "width"))
        values = [raw.get("channels"), raw.get("height"), raw.get("width")]
    elif isinstance(raw, list) and len(raw) == 3:
        values = raw
    else:
        problems.add("input", f"expected [channels, height, width], got {raw!r}")
        return None
    checked = [want_number(v, f"input[{i}]", problems, integer=True) for i, v in enumerate(values)]
    if any(c is None for c in checked):
        return None
    return TensorShape(*checked)  # type: ignore[arg-type]


def parse_network(data: Any, file: str = "<network>",
                  input_size: Any = None) -> Network:
    """Build a Network from parsed YAML data; one InputError lists every problem."""
    problems = ProblemCollector(file)
    if not isinstance(data, Mapping):
        problems.add("", "expected a mapping with 'input' and 'layers' at the top (and "
                         "optionally 'name', 'description', 'blocks', ...)")
        problems.raise_if_any()
    check_keys(data, "", problems, allowed=TOP_KEYS, required=("input", "layers"))
    shape = _input_shape(data.get("input"), problems) if "input" in data else None
    if shape is not None and input_size is not None:
        try:
            h, w = parse_input_size(input_size)
        except ValueError as exc:
            raise InputError(str(exc), file=file) from None
        shape = TensorShape(shape.channels, h, w)
    accuracy = data.get("accuracy") or {}
    if want_mapping(accuracy, "accuracy", problems):
        for key, value in accuracy.items():
            want_number(value, join("accuracy", str(key)), problems, positive=False)
    params = data.get("params") or {}
    if not want_mapping(params, "params", problems):
        params = {}
    blocks = data.get("blocks") or {}
    if want_mapping(blocks, "blocks", problems):
        for bname, block in blocks.items():
            if want_mapping(block, f"blocks.{bname}", problems):
                check_keys(block, f"blocks.{bname}", problems, allowed=BLOCK_KEYS,
                           required=("layers",))
                raw_params = block.get("params", [])
                if not isinstance(raw_params, (list, Mapping)):
                    problems.add(f"blocks.{bname}.params",
                                 "expected a list of names or a mapping of name: default")
    else:
        blocks = {}
    blocks = {k: v for k, v in blocks.items() if isinstance(v, Mapping) and "layers" in v}
    expander = _Expander(file, blocks, problems)
    if "layers" in data:
        expander.expand(data["layers"], "layers", dict(params), "", INPUT, 0)
    specs = expander.specs()
    problems.raise_if_any()
    if shape is None:
        problems.raise_if_any()
    if not specs:
        raise InputError("the network has no layers", file=file)
    name = data.get("name") or Path(file).stem
    return build_network(specs, shape, name=str(name), file=file,
                         description=str(data.get("description", "") or "").strip(),
                         source=str(data.get("source", "") or "").strip(),
                         accuracy=dict(accuracy) if isinstance(accuracy, Mapping) else {})


def read_network_file(path: str | Path, input_size: Any = None) -> Network:
    """Read a network YAML file (see module docstring); InputError on bad input.

    ``input_size`` overrides the file's input height and width (N or (H, W) or 'HxW').
    Files of other formats are read through :func:`hwsim.inputs.load_network`.
    """
    path = Path(path)
    return parse_network(read_network_data(path), str(path), input_size=input_size)


def read_network_data(path: str | Path) -> Any:
    """The parsed YAML of a network file with its ``base:`` chain merged in (not validated)."""
    data, _origins = resolve_base(path, BASE_RULES)
    return data


__all__ = ["read_network_file", "parse_network", "parse_input_size", "read_network_data"]
