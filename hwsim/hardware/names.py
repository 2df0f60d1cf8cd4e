"""The names of the microarchitectures and their dataflows, spelled once.

Both are :class:`~enum.StrEnum`\\ s: a member *is* its string (``Dataflow.WS == "ws"``; it
hashes, formats, joins and serialises to JSON or CSV as ``ws``), so names read from a file
and members can be mixed freely. The repr of a member is the string's (``'ws'``), so
messages that show a tuple of names read exactly as they did with plain strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class _Name(StrEnum):
    """A name that behaves as its string everywhere, repr included."""

    def __repr__(self) -> str:
        return str.__repr__(self)


class Microarchitecture(_Name):
    """The PE arrays hwsim models: the study's broadcast array and a SCALE-Sim systolic one."""

    BROADCAST = "broadcast"
    SYSTOLIC = "systolic"


class Dataflow(_Name):
    """Weight-, output-, input-stationary and ``hybrid`` (the faster mode per layer)."""

    WS = "ws"
    OS = "os"
    HYBRID = "hybrid"
    IS = "is"


BROADCAST = Microarchitecture.BROADCAST
SYSTOLIC = Microarchitecture.SYSTOLIC
MICROARCHITECTURES: tuple[Microarchitecture, ...] = (BROADCAST, SYSTOLIC)

#: Dataflows each microarchitecture accepts (``hybrid`` = the faster of the others per layer).
DATAFLOWS_BY_MICROARCHITECTURE: Mapping[str, tuple[Dataflow, ...]] = {
    BROADCAST: (Dataflow.WS, Dataflow.OS, Dataflow.HYBRID),
    SYSTOLIC: (Dataflow.WS, Dataflow.OS, Dataflow.IS, Dataflow.HYBRID),
}

__all__ = ["Microarchitecture", "Dataflow", "BROADCAST", "SYSTOLIC", "MICROARCHITECTURES",
           "DATAFLOWS_BY_MICROARCHITECTURE"]
