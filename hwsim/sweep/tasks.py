"""The sweep's unit of work and its answer: :class:`Task` and :class:`Outcome`.

They sit below both the runner (which hands tasks to workers and writes outcomes to the CSV
files) and the default evaluation (which turns a task into outcomes), so that neither needs
the other. An *evaluator* is any module-level function ``Task -> Sequence[Outcome]`` (it is
pickled to the workers).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hwsim.sweep.columns import INTERNAL, INVALID
from hwsim.sweep.spec import Config, NetworkRef


@dataclass(frozen=True, slots=True)
class Task:
    """One configuration and the networks to evaluate on it, with everything a worker
    needs: the base accelerator's data (so workers need not read files), the files that
    wrote its keys and the sweep file (for messages), and the engine."""

    config: Config
    networks: tuple[NetworkRef, ...]
    accelerator_file: str
    accelerator_data: Any
    engine: str
    accelerator_origins: Mapping[str, str] = field(default_factory=dict)
    sweep_file: str = ""


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result of one network on one configuration: ``metrics`` (column -> value) when
    ``kind`` is ``ok``, else ``kind`` (``invalid`` or ``internal``) and ``error``."""

    network: str
    kind: str = "ok"
    metrics: dict[str, Any] | None = None
    error: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("ok", INVALID, INTERNAL):
            raise ValueError(f"Outcome.kind must be ok, invalid or internal, not {self.kind!r}")
        if self.kind == "ok" and self.metrics is None:
            raise ValueError("an ok Outcome needs metrics")


Evaluator = Callable[[Task], Sequence[Outcome]]

__all__ = ["Task", "Outcome", "Evaluator"]
