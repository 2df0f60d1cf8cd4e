"""Write a layer list (LayerSpecs) as a network YAML file a person can read and edit.

The output follows the hand-written files (``networks/squeezenet_v1.0.yaml``): metadata at
the top, then one flow-style mapping per layer on one line, keys in a fixed order (name,
type, out_channels, kernel, stride, padding, dilation, groups, bias, bn, activation,
rounding, size, ratio, inputs). Values equal to the loader's defaults are left out, square
kernels and strides are one number, and ``inputs`` is written only where a layer does not
read the layer just above it. Layers whose names share a module prefix (``fire2.squeeze1x1``,
``fire2.expand1x1``, ...) are kept together and groups are separated by a blank line.

Reading the text back with :func:`hwsim.config.network_file.parse_network` gives the same
specs, hence the same layers: the writer only chooses a spelling.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from hwsim.workload.layer import TensorShape
from hwsim.workload.network import INPUT, LayerSpec

KEY_ORDER = ("out_channels", "kernel", "stride", "padding", "dilation", "groups", "bias", "bn",
             "activation", "rounding", "size", "ratio")
_DEFAULTS = {"stride": 1, "padding": 0, "dilation": 1, "groups": 1, "bias": False, "bn": False,
             "activation": None, "rounding": "ceil"}


def _flow(value: Any) -> str:
    """One YAML value on one line (quoted only where YAML needs it)."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=float("inf"),
                          allow_unicode=True)
    text = text.strip()
    if text.endswith("\n..."):  # the document end marker PyYAML adds after a bare scalar
        text = text[: -len("\n...")].strip()
    return text


def _compact(value: Any) -> Any:
    if isinstance(value, (list, tuple)) and len(value) == 2 and value[0] == value[1]:
        return value[0]
    if isinstance(value, tuple):
        return list(value)
    return value


def layer_mapping(spec: LayerSpec, previous: str) -> dict[str, Any]:
    """The YAML mapping of one layer; ``previous`` is the layer written just above it."""
    attrs = dict(spec.attrs)
    kind = spec.type
    if attrs.pop("global", False):
        kind = f"global_{kind}"
    entry: dict[str, Any] = {"name": spec.name, "type": kind}
    for key in KEY_ORDER:
        if key not in attrs:
            continue
        value = _compact(attrs.pop(key))
        if key == "padding" and isinstance(value, list) and len(value) == 4 \
                and value[0] == value[1] and value[2] == value[3]:
            value = _compact([value[0], value[2]])
        if key in _DEFAULTS and value == _DEFAULTS[key]:
            continue
        entry[key] = value
    for key in sorted(attrs):  # anything else the loader accepts, written as given
        entry[key] = _compact(attrs[key])
    if list(spec.inputs) != [previous]:
        entry["inputs"] = spec.inputs[0] if len(spec.inputs) == 1 else list(spec.inputs)
    return entry


def _group(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else ""


def network_yaml(specs: Sequence[LayerSpec], input_shape: TensorShape, *, name: str,
                 description: str = "", source: str = "",
                 comments: Iterable[str] = ()) -> str:
    """The network YAML text for ``specs`` (in the order given: a topological order)."""
    lines = [f"# {c}" if c else "#" for c in comments]
    lines.append(f"name: {_flow(name)}")
    if description:
        lines.append(f"description: {_flow(description)}")
    if source:
        lines.append(f"source: {_flow(source)}")
    lines.append(f"input: {_flow(input_shape.as_list())}")
    lines.append("")
    lines.append("layers:")
    previous = INPUT
    group = None
    for spec in specs:
        here = _group(spec.name)
        if group is not None and here != group:
            lines.append("")
        group = here
        lines.append(f"  - {_flow(layer_mapping(spec, previous))}")
        previous = spec.name
    return "\n".join(lines) + "\n"


__all__ = ["network_yaml", "layer_mapping"]
