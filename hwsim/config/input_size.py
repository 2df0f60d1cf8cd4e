"""The input-size override of a network: ``227``, ``'224x192'`` or ``(224, 192)``.

Shared by the network format, the ONNX importer, sweeps (``input_size:``) and the CLI
(``--input-size``), so that the size reads and fails the same way everywhere.
"""

from __future__ import annotations

from typing import Any


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


__all__ = ["parse_input_size"]
