"""Hybrid mode: per layer, the faster of the array's dataflows, with no cost to switch.

The Squeezelerator chooses weight- or output-stationary layer by layer (Kwon et al., DAC
2018). The choice is made on the finished per-layer costs (array time *and* memory time),
so a DRAM-bound layer goes to whichever mode is faster end to end. Ties (equal cycles) go
to the mode with less DRAM traffic, then to the one listed first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hwsim.hardware.names import Dataflow

NAME = Dataflow.HYBRID


def choose(costs: Sequence[Any]) -> Any:
    """The cost record with the fewest ``cycles`` (then fewest DRAM bytes); ``costs`` are
    objects with ``cycles``, ``dram_read_bytes`` and ``dram_write_bytes``."""
    if not costs:
        raise ValueError("hybrid: no candidate dataflow")
    return min(costs, key=lambda c: (c.cycles, c.dram_read_bytes + c.dram_write_bytes))


__all__ = ["choose", "NAME"]
