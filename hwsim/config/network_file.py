"""The network YAML format: its top-level keys, reading a file and building the Network.

A file has metadata (``name``, ``description``, ``source``, ``input: [C, H, W]``,
``accuracy`` and ``accuracy_table``: published accuracies, see ``accuracy.py``), optional
top-level ``params`` (variables for expressions; a caller may override them) with optional
``param_choices`` (the values a parameter may take, ``{bypass: [none, simple, complex]}``:
any other value, default or override, is bad input naming it), reusable ``blocks``
and the ``layers`` list. A layer entry is either a layer (``type: conv`` ...) or a block
instance (``block: fire`` with ``args`` and an optional ``repeat``). Block instances expand to
layers named hierarchically (``stage2/block3/squeeze1``); inside a block, ``inputs`` name the
block's own layers or ``input`` (the block's input). A layer reads the previous one unless it
names its ``inputs``. Strings ``${expr}`` / ``$name`` are expressions (see ``expr.py``) over
the block parameters, ``index`` (0-based repeat index, in a repeated instance's ``args``) and
``instance`` (1-based count of this block's instances so far in the whole network, inside a
block). An entry with ``if: ${expr}`` is kept only when the expression is true.

The full format is documented in the README ("Writing a network"). The parts live beside
this module: ``blocks.py`` expands the layers and block instances (how scopes and references
work), ``layer_attrs.py`` checks a layer's keys and attributes, ``inherit.py`` resolves
``base:``, ``input_size.py`` reads an input-size override. Reading a network file of any
format by its suffix (ONNX included) is :func:`hwsim.inputs.load_network`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from hwsim.config.accuracy import apply_overrides, parse_accuracy
from hwsim.config.blocks import Expander
from hwsim.config.expr import names_used
from hwsim.config.inherit import BaseRules, resolve_base
from hwsim.config.input_size import parse_input_size
from hwsim.config.layer_attrs import MAX_CHANNELS, MAX_SPATIAL
from hwsim.config.yamlio import check_keys, join, show, want_mapping, want_number
from hwsim.errors import InputError, Problem, ProblemCollector, did_you_mean
from hwsim.workload.layer import TensorShape
from hwsim.workload.network import INPUT, Network, build_network

TOP_KEYS = {"name", "description", "source", "input", "accuracy", "accuracy_table", "params",
            "param_choices", "blocks", "layers", "base"}
# What a file inherits from its ``base``: the structure, never the metadata (name,
# description, source, accuracy, accuracy_table); params and blocks merge key by key, this file winning.
INHERITED_KEYS = ("input", "params", "param_choices", "blocks", "layers")
MERGED_KEYS = ("params", "param_choices", "blocks")  # merged key by key; other inherited keys are replaced
BASE_RULES = BaseRules(
    inherited=frozenset(INHERITED_KEYS), merged=frozenset(MERGED_KEYS),
    known=frozenset(TOP_KEYS),
    cycle="'{raw}' includes itself (directly or through its own base)",
    not_found="file '{raw}' not found (looked for {path})",
    base_not_a_mapping="'{raw}' is not a network description")
BLOCK_KEYS = {"params", "layers", "output", "description"}


def _input_shape(raw: Any, problems: ProblemCollector) -> TensorShape | None:
    if isinstance(raw, Mapping):
        check_keys(raw, "input", problems, allowed=(), required=("channels", "height", "width"))
        values = [raw.get("channels"), raw.get("height"), raw.get("width")]
    elif isinstance(raw, list) and len(raw) == 3:
        values = raw
    else:
        problems.add("input", f"expected [channels, height, width], got {show(raw)}")
        return None
    checked = [want_number(v, f"input[{i}]", problems, integer=True,
                           maximum=MAX_CHANNELS if i == 0 else MAX_SPATIAL)
               for i, v in enumerate(values)]
    if any(c is None for c in checked):
        return None
    return TensorShape(*checked)  # type: ignore[arg-type]


def _blocks(blocks: Any, problems: ProblemCollector) -> dict[str, Any]:
    """The file's well-formed block definitions (problems with the others recorded)."""
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
        return {}
    return {k: v for k, v in blocks.items() if isinstance(v, Mapping) and "layers" in v}


def _unused_params(data: Mapping[str, Any], params: Mapping[str, Any],
                   problems: ProblemCollector, origins: Mapping[str, str]) -> None:
    """A ``params`` key that no expression of the file mentions is a typo (``stage3_blockz:
    14`` leaves ``stage3_blocks`` at its default and silently changes the network): reported
    against the file that wrote it, with the closest name the expressions use."""
    used = names_used([data.get("layers"), data.get("blocks"), list(params.values())])
    for key in params:
        name = str(key)
        if name not in used:
            place = join("params", name)
            problems.problems.append(Problem(
                origins.get(place, problems.file), place,
                "not used by any expression of the network" + did_you_mean(
                    name, used - {name}, cutoff=0.6, list_choices=False)
                + "; remove it or use it (${" + name + "})"))


def _check_choices(raw: Any, defaults: Mapping[str, Any], values: Mapping[str, Any],
                   overrides: Mapping[str, Any], problems: ProblemCollector) -> bool:
    """``param_choices``: each names a declared parameter and lists its accepted values; a
    parameter's value (its default, or the caller's override) outside its list is a problem
    at ``params.NAME`` with the closest accepted value. Returns whether all are accepted."""
    if raw is None:
        return True
    if not want_mapping(raw, "param_choices", problems):
        return False
    ok = True
    for key, accepted in raw.items():
        name, place = str(key), join("param_choices", str(key))
        if name not in defaults:
            problems.add(place, "not a parameter of this network" + did_you_mean(
                name, [str(k) for k in defaults]))
            ok = False
            continue
        if not isinstance(accepted, list) or not accepted or any(
                isinstance(v, (list, Mapping)) for v in accepted):
            problems.add(place, f"expected a non-empty list of values, got {show(accepted)}")
            ok = False
            continue
        value = values.get(name)
        if value not in accepted:
            given = "override" if name in overrides else "default"
            problems.add(join("params", name), f"{given} {value!r} is not one of "
                         f"{', '.join(map(str, accepted))}" + did_you_mean(
                             str(value), [str(v) for v in accepted], list_choices=False))
            ok = False
    return ok


def parse_network(data: Any, file: str = "<network>", input_size: Any = None, *,
                  params: Mapping[str, Any] | None = None,
                  origins: Mapping[str, str] | None = None) -> Network:
    """Build a Network from parsed YAML data; one InputError lists every problem.

    ``params`` overrides the values of declared ``params`` (an undeclared name is an
    InputError naming it and the declared ones). ``origins`` (from
    :func:`~hwsim.config.inherit.resolve_base`) names the file that wrote each key, for the
    problems a base is to blame for.
    """
    problems = ProblemCollector(file)
    if not isinstance(data, Mapping):
        problems.add("", "expected a mapping with 'input' and 'layers' at the top (and "
                         "optionally 'name', 'description', 'blocks', ...)")
        problems.raise_if_any()
    check_keys(data, "", problems, allowed=TOP_KEYS, required=("input", "layers"))
    shape = _input_shape(data.get("input"), problems) if "input" in data else None
    file_hw = (shape.height, shape.width) if shape is not None else None
    if shape is not None and input_size is not None:
        try:
            h, w = parse_input_size(input_size)
        except ValueError as exc:
            raise InputError(str(exc), file=file) from None
        shape = TensorShape(shape.channels, h, w)
    defaults = data.get("params") or {}
    if not want_mapping(defaults, "params", problems):
        defaults = {}
    defaults = dict(defaults)
    source = str(data.get("source", "") or "").strip()
    accuracy_table = parse_accuracy(data, defaults, file_hw, source, problems)
    try:
        values = apply_overrides(defaults, params, file)
    except InputError as exc:
        problems.problems.extend(exc.problems)
        values = defaults
    _unused_params(data, defaults, problems, origins or {})
    if not _check_choices(data.get("param_choices"), defaults, values, params or {}, problems):
        problems.raise_if_any()  # a value outside its choices would build a network nobody meant
    blocks = _blocks(data.get("blocks") or {}, problems)
    expander = Expander(blocks, problems)
    if "layers" in data:
        expander.expand(data["layers"], "layers", dict(values), "", INPUT, 0)
    specs = expander.specs()
    problems.raise_if_any()
    assert shape is not None  # a missing or bad input is one of the problems raised above
    if not specs:
        raise InputError("the network has no layers", file=file)
    name = data.get("name") or Path(file).stem
    network = build_network(specs, shape, name=str(name), file=file,
                            description=str(data.get("description", "") or "").strip(),
                            source=source, param_values=values, param_defaults=defaults,
                            accuracy_table=accuracy_table)
    point = network.published_accuracy()
    # ``accuracy`` is the published accuracy of the network as built (none off the table)
    return replace(network, accuracy=point.as_dict() if point else {})


def read_network_file(path: str | Path, input_size: Any = None, *,
                      params: Mapping[str, Any] | None = None) -> Network:
    """Read a network YAML file (see module docstring); InputError on bad input.

    ``input_size`` overrides the file's input height and width (N or (H, W) or 'HxW'),
    ``params`` the values of its declared ``params``.
    Files of other formats are read through :func:`hwsim.inputs.load_network`.
    """
    path = Path(path)
    data, origins = resolve_base(path, BASE_RULES)
    return parse_network(data, str(path), input_size=input_size, params=params, origins=origins)


def read_network_data(path: str | Path) -> Any:
    """The parsed YAML of a network file with its ``base:`` chain merged in (not validated)."""
    data, _origins = resolve_base(path, BASE_RULES)
    return data


# parse_input_size is re-exported for callers written before it had a module of its own.
__all__ = ["read_network_file", "parse_network", "parse_input_size", "read_network_data"]
