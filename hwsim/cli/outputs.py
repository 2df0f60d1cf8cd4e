"""Checks of output paths given on the command line, made before any simulation runs.

A command that simulates for seconds and then cannot write its file wastes the run and, worse,
may already have printed its results; so every output flag is checked first and all problems
are raised together as one :class:`~hwsim.errors.InputError` whose place is the flag
(``--trace: /tmp: is a directory ...``). The checks are about the path only: a file flag must
not name a directory, a folder flag must not name a file, no existing part of the path above
it may be a file, the nearest existing folder must be writable, and (where a format follows
the suffix) the suffix must be one the writer knows. Folders that do not exist yet are fine:
the writers create them.

Files are written by :func:`replacing` (and folders of files by :func:`replacing_files`): into
a temporary file beside the target, renamed onto it only once complete, so a write that fails
anyway (a full disk) leaves no truncated file and an older file as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from hwsim.errors import InputError, Problem


def _folder_problem(path: Path) -> str | None:
    """What stops files being created under ``path``'s parent, if anything."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                return f"{parent} is a file, not a folder"
            if not os.access(parent, os.W_OK | os.X_OK):
                return f"cannot write into {parent} (permission denied)"
            return None
    return None


def file_problems(flag: str, value: str, *, suffixes: Sequence[str] | None = None,
                  kind: str = "file", example: str = "out.txt",
                  hint: str = "") -> list[Problem]:
    """Problems with ``value`` as the output file of ``flag``. ``suffixes`` (with their dots,
    lower case), when given, are the ones accepted for that ``kind`` of file ('figure'), and
    ``hint`` ends the message about a wrong one; ``example`` is a file name to suggest."""
    path = Path(value)
    if path.is_dir():
        return [Problem(flag, value, f"is a directory; give a file name such as "
                                     f"{path / example}")]
    problems = []
    if suffixes is not None and path.suffix.lower() not in suffixes:
        found = f"'{path.suffix}'" if path.suffix else "no suffix"
        problems.append(Problem(flag, value, f"unsupported {kind} format ({found}); the file "
                                             f"name must end in {_or(suffixes)}{hint}"))
    trouble = _folder_problem(path)
    if trouble:
        problems.append(Problem(flag, value, trouble))
    elif path.exists() and not os.access(path, os.W_OK):
        problems.append(Problem(flag, value, "cannot overwrite it (permission denied)"))
    return problems


def folder_problems(flag: str, value: str, *, what: str = "the output files") -> list[Problem]:
    """Problems with ``value`` as the output folder of ``flag`` (created if missing)."""
    path = Path(value)
    if path.exists() and not path.is_dir():
        return [Problem(flag, value, f"is a file; {flag} names the folder that receives "
                                     f"{what}")]
    if path.is_dir():
        if not os.access(path, os.W_OK | os.X_OK):
            return [Problem(flag, value, "cannot write into it (permission denied)")]
        return []
    trouble = _folder_problem(path)
    return [Problem(flag, value, trouble)] if trouble else []


def raise_if_any(problems: Sequence[Problem]) -> None:
    if problems:
        raise InputError(problems)


def write_failed(flag: str, path: str | os.PathLike[str], exc: OSError) -> InputError:
    """The InputError for a write that failed anyway (disk full, a race): names the flag."""
    reason = exc.strerror or str(exc)
    return InputError([Problem(flag, str(path), f"cannot write: {reason}")])


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def replacing(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path``, with its suffix (a writer may choose the format by
    it), for the block to write; renamed onto ``path`` when the block ends normally, removed
    otherwise. The file gets the permissions a new file would."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                suffix=target.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def replacing_files(directory: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary folder inside ``directory`` for the block to write files into; each is
    renamed into ``directory`` when the block ends normally; the folder is removed."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target, prefix=".hwsim-"))
    try:
        yield tmp
        mode = 0o666 & ~_umask()
        for item in sorted(tmp.iterdir()):
            os.chmod(item, mode)
            os.replace(item, target / item.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _or(suffixes: Sequence[str]) -> str:
    items = list(suffixes)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


__all__ = ["file_problems", "folder_problems", "raise_if_any", "write_failed", "replacing",
           "replacing_files"]
