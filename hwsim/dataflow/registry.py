"""Which strategy runs a dataflow on which array: one literal table, no side effects.

A new dataflow is a class with ``name`` and ``map(shape, machine) -> Mapping`` (see
:class:`~hwsim.dataflow.base.DataflowStrategy`), added here as one entry of
:data:`STRATEGIES`. ``hybrid`` is not an entry: the cost model runs every dataflow of the
array and keeps the faster per layer (``hybrid.py``).
"""

from __future__ import annotations

from collections.abc import Mapping

from hwsim.dataflow.base import DataflowStrategy
from hwsim.dataflow.os import OS
from hwsim.dataflow.systolic_adapter import SystolicStrategy
from hwsim.dataflow.ws import WS
from hwsim.hardware.names import BROADCAST, SYSTOLIC, Dataflow, Microarchitecture

#: ``(microarchitecture, dataflow) -> strategy`` for every dataflow hwsim models.
STRATEGIES: Mapping[tuple[Microarchitecture, Dataflow], DataflowStrategy] = {
    (BROADCAST, Dataflow.WS): WS,
    (BROADCAST, Dataflow.OS): OS,
    (SYSTOLIC, Dataflow.WS): SystolicStrategy(Dataflow.WS),
    (SYSTOLIC, Dataflow.OS): SystolicStrategy(Dataflow.OS),
    (SYSTOLIC, Dataflow.IS): SystolicStrategy(Dataflow.IS),
}


def strategy_for(microarchitecture: str, dataflow: str) -> DataflowStrategy:
    """The strategy of ``dataflow`` on ``microarchitecture``; KeyError naming the table's
    entries when there is none."""
    try:
        return STRATEGIES[(microarchitecture, dataflow)]  # type: ignore[index]
    except KeyError:
        have = sorted(f"{m}/{d}" for m, d in STRATEGIES)
        raise KeyError(f"no '{dataflow}' dataflow registered for the {microarchitecture} "
                       f"array (registered: {', '.join(have)})") from None


def registered_dataflows(microarchitecture: str) -> tuple[Dataflow, ...]:
    """The dataflows of ``microarchitecture`` in the table (``hybrid`` excluded)."""
    return tuple(d for m, d in STRATEGIES if m == microarchitecture)


__all__ = ["STRATEGIES", "strategy_for", "registered_dataflows"]
