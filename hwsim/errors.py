"""Typed errors for bad input.

Every problem found in a user's file is reported as a :class:`Problem` naming the file, the
place inside it (a key path such as ``layers[3].kernel`` or a layer name) and what is wrong.
A loader collects all the problems of one file and raises a single :class:`InputError`; only
the command line turns that into an exit status (2). The library never prints and never exits.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where (file, place) and what."""

    file: str
    place: str
    message: str

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.file, self.place) if part)
        return f"{where}: {self.message}" if where else self.message


class HwsimError(Exception):
    """Base class of every error hwsim raises on purpose."""


class InputError(HwsimError):
    """Bad input: one or more problems in a user's file or arguments (exit status 2)."""

    def __init__(self, problems: Iterable[Problem] | str, file: str | Path | None = None):
        if isinstance(problems, str):
            problems = [Problem(str(file) if file else "", "", problems)]
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self._text())

    def _text(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class OutputError(HwsimError):
    """An output could not be written although its path was fine (a full disk, a file size
    limit): exit status 1 with a one-paragraph message, what was finished kept."""


class ModelError(HwsimError):
    """An internal invariant of the model was violated (a bug in hwsim: exit status 1)."""


class ProblemCollector:
    """Collects the problems of one file so they can be raised together."""

    def __init__(self, file: str | Path):
        self.file = str(file)
        self.problems: list[Problem] = []

    def add(self, place: str, message: str) -> None:
        self.problems.append(Problem(self.file, place, message))

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputError(self.problems)


def did_you_mean(word: str, choices: Iterable[str], *, cutoff: float = 0.5,
                 list_choices: bool = True) -> str:
    """A suffix suggesting the closest known word, or (``list_choices``) listing the
    accepted ones; empty when there is nothing to say."""
    choices = sorted(set(choices))
    close = difflib.get_close_matches(word, choices, n=1, cutoff=cutoff)
    if not close:  # a difference of case only ('sr' for 'SR') is a typo too
        lowered = {c.lower(): c for c in choices}
        close = [lowered[c] for c in difflib.get_close_matches(word.lower(), lowered, n=1,
                                                               cutoff=cutoff)]
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (accepted: {', '.join(choices)})" if choices and list_choices else ""
