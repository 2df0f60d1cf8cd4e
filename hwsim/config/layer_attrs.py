"""A layer entry of the network format: its keys per layer type, the type aliases, and the
check of each attribute's type and range (:data:`ATTRIBUTES`, a :mod:`~hwsim.config.schema`).

See the README ("Writing a network") for what each attribute means.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from hwsim.config.schema import Field, boolean, check_value, count
from hwsim.config.yamlio import want_number
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
    L.FLATTEN: set(),
} | {kind: set() for kind in L.ACTIVATION_TYPES}
TYPE_ALIASES: dict[str, tuple[str, dict[str, Any]]] = {
    "global_avgpool": (L.AVGPOOL, {"global": True}),
    "global_maxpool": (L.MAXPOOL, {"global": True}),
    "depthwise": (L.CONV, {"groups": "in_channels"}),
    "relu6": (L.RELU, {}), "batchnorm": (L.BN, {}), "dense": (L.FC, {}),
    "silu": (L.SWISH, {}),
}
REQUIRED = {L.CONV: ("out_channels", "kernel"), L.FC: ("out_channels",)}


def _positive_pair(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value > 0
    return (isinstance(value, list) and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value))



def want_pair(value: Any, place: str, problems: ProblemCollector) -> Any:
    """``kernel``, ``stride``, ``dilation``: a positive integer or [height, width]."""
    if _positive_pair(value):
        return value
    problems.add(place, f"expected a positive integer or [height, width], got {value!r}")
    return None


def want_padding(value: Any, place: str, problems: ProblemCollector) -> Any:
    if value in ("same", "valid"):
        return value
    ok_int = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    ok_list = (isinstance(value, list) and len(value) in (1, 2, 4)
               and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value))
    if ok_int or ok_list:
        return value
    problems.add(place, "expected a non-negative integer, [pad_h, pad_w], "
                        f"[top, bottom, left, right], 'same' or 'valid', got {value!r}")
    return None


def want_groups(value: Any, place: str, problems: ProblemCollector) -> Any:
    if value == "in_channels":
        return value
    return want_number(value, place, problems, integer=True)


def want_rounding(value: Any, place: str, problems: ProblemCollector) -> Any:
    if value in ("ceil", "floor"):
        return value
    problems.add(place, f"expected 'ceil' or 'floor', got {value!r}")
    return None


def want_activation(value: Any, place: str, problems: ProblemCollector) -> Any:
    """One of the activations, or ``none`` (read as None, a good value)."""
    if value is None or value == "none":
        return None
    if value in L.ACTIVATIONS:
        return value
    problems.add(place, f"expected one of {', '.join(sorted(L.ACTIVATIONS))} or none, got {value!r}"
                 + (did_you_mean(value, L.ACTIVATIONS) if isinstance(value, str) else ""))
    return None


#: The type and range of every layer attribute (defaults are the layer records' own).
ATTRIBUTES: dict[str, Field] = {
    "kernel": Field(want_pair), "stride": Field(want_pair), "dilation": Field(want_pair),
    "padding": Field(want_padding), "groups": Field(want_groups),
    "out_channels": count(), "out_features": count(), "size": count(),
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


__all__ = ["COMMON_KEYS", "TYPE_KEYS", "TYPE_ALIASES", "REQUIRED", "ATTRIBUTES", "check_attr"]
