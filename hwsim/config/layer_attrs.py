"""A layer entry of the network format: its keys per layer type, the type aliases, and the
check of each attribute's type and range (:data:`ATTRIBUTES`, a :mod:`~hwsim.config.schema`).

See the README ("Writing a network") for what each attribute means.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from hwsim.config.schema import Field, boolean, check_value, count
from hwsim.config.yamlio import describe_value, show, want_number
from hwsim.errors import ProblemCollector, did_you_mean
from hwsim.workload import layer as L

COMMON_KEYS = {"name", "type", "inputs", "if", "bn", "activation", "relu"}
TYPE_KEYS = {
    L.CONV: {"out_channels", "kernel", "stride", "padding", "dilation", "groups", "bias"},
    L.FC: {"out_channels", "out_features", "bias"},
    L.MAXPOOL: {"kernel", "stride", "padding", "rounding", "global"},
    L.AVGPOOL: {"kernel", "stride", "padding", "rounding", "global"},
    L.CONCAT: set(), L.ADD: set(), L.MUL: set(),
    L.RELU: set(), L.BN: set(), L.LRN: {"size"}, L.DROPOUT: {"ratio"}, L.SOFTMAX: set(),
    L.FLATTEN: set(), L.SHUFFLE: {"groups"},
} | {kind: set() for kind in L.ACTIVATION_TYPES}
TYPE_ALIASES: dict[str, tuple[str, dict[str, Any]]] = {
    "global_avgpool": (L.AVGPOOL, {"global": True}),
    "global_maxpool": (L.MAXPOOL, {"global": True}),
    "depthwise": (L.CONV, {"groups": "in_channels"}),
    "relu6": (L.RELU, {}), "batchnorm": (L.BN, {}), "dense": (L.FC, {}),
    "silu": (L.SWISH, {}), "channel_shuffle": (L.SHUFFLE, {}),
}
REQUIRED = {L.CONV: ("out_channels", "kernel"), L.FC: ("out_channels",), L.SHUFFLE: ("groups",)}

# Plausible ranges (see schema.py; listed in the README, "Errors").
MAX_CHANNELS = 1 << 20     # channels, features, groups
MAX_SPATIAL = 1 << 16      # an input's height or width
MAX_WINDOW = 1024          # kernel, stride, dilation, padding, LRN size


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _in_window(value: Any, low: int) -> bool:
    return _is_int(value) and low <= value <= MAX_WINDOW


def want_pair(value: Any, place: str, problems: ProblemCollector) -> Any:
    """``kernel``, ``stride``, ``dilation``: a positive integer or [height, width], each at
    most :data:`MAX_WINDOW`."""
    if _in_window(value, 1) or (isinstance(value, list) and len(value) == 2
                                and all(_in_window(v, 1) for v in value)):
        return value
    problems.add(place, f"expected a positive integer or [height, width], got {show(value)} "
                        f"(range: 1 to {MAX_WINDOW:,})")
    return None


def want_padding(value: Any, place: str, problems: ProblemCollector) -> Any:
    if value in ("same", "valid"):
        return value
    ok_list = (isinstance(value, list) and len(value) in (1, 2, 4)
               and all(_in_window(v, 0) for v in value))
    if _in_window(value, 0) or ok_list:
        return value
    problems.add(place, "expected a non-negative integer, [pad_h, pad_w], "
                        f"[top, bottom, left, right], 'same' or 'valid', got {show(value)} "
                        f"(range: 0 to {MAX_WINDOW:,})")
    return None


def want_groups(value: Any, place: str, problems: ProblemCollector) -> Any:
    if value == "in_channels":
        return value
    return want_number(value, place, problems, integer=True, maximum=MAX_CHANNELS)


def want_rounding(value: Any, place: str, problems: ProblemCollector) -> Any:
    if value in ("ceil", "floor"):
        return value
    problems.add(place, f"expected 'ceil' or 'floor', got {show(value)}")
    return None


def want_activation(value: Any, place: str, problems: ProblemCollector) -> Any:
    """One of the activations, or ``none`` (read as None, a good value)."""
    if value is None or value == "none":
        return None
    if isinstance(value, str) and value in L.ACTIVATIONS:
        return value
    problems.add(place, f"expected one of {', '.join(sorted(L.ACTIVATIONS))} or none, got "
                 f"{describe_value(value)}"
                 + (did_you_mean(value, L.ACTIVATIONS) if isinstance(value, str) else ""))
    return None


#: The type and range of every layer attribute (defaults are the layer records' own).
ATTRIBUTES: dict[str, Field] = {
    "kernel": Field(want_pair), "stride": Field(want_pair), "dilation": Field(want_pair),
    "padding": Field(want_padding), "groups": Field(want_groups),
    "out_channels": count(maximum=MAX_CHANNELS), "out_features": count(maximum=MAX_CHANNELS),
    "size": count(maximum=MAX_WINDOW),
    "bias": boolean(), "bn": boolean(), "relu": boolean(), "global": boolean(),
    "ratio": Field(partial(want_number, positive=False, minimum=0, maximum=1)),
    "rounding": Field(want_rounding), "activation": Field(want_activation),
}


def check_attr(key: str, value: Any, place: str, problems: ProblemCollector) -> tuple[bool, Any]:
    """(whether the attribute's value is good, the checked value); a key without a check
    passes as it is."""
    field = ATTRIBUTES.get(key)
    if field is None:
        return True, value
    return check_value(field, value, place, problems)


__all__ = ["MAX_CHANNELS", "MAX_SPATIAL", "MAX_WINDOW",
           "COMMON_KEYS", "TYPE_KEYS", "TYPE_ALIASES", "REQUIRED", "ATTRIBUTES", "check_attr"]
