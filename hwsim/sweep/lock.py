"""The exclusive lock a sweep holds on its results file for the whole run."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from hwsim.errors import InputError, Problem

try:
    import fcntl
except ImportError:  # not POSIX: no lock (see ResultsLock)
    fcntl = None  # type: ignore[assignment]


class ResultsLock:
    """An exclusive lock on a sweep's results file, held for the whole run.

    The lock is ``flock`` on ``<out>.lock`` (not on ``out`` itself, which a resume may
    replace by renaming), which names its holder (process id, host, start time). A second
    sweep on the same ``out`` fails at once with InputError naming the holder (exit status
    2), so two runs can never interleave rows. The lock goes with the process: a killed
    sweep leaves a stale file that the next run simply takes over. Where ``fcntl`` does not
    exist (Windows) no lock is taken."""

    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.path = self.out.with_name(self.out.name + ".lock")
        self._fd: int | None = None

    def __enter__(self) -> ResultsLock:
        if fcntl is None:
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            while self._fd is None:
                self._fd = self._try_take()
        except OSError as exc:
            raise InputError([Problem(str(self.out), "", "cannot create its lock file "
                                      f"{self.path}: {exc.strerror or exc}")]) from None
        return self

    def _try_take(self) -> int | None:
        """The descriptor of the lock file, locked; None if the file was replaced meanwhile
        (try again); InputError if another process holds it."""
        assert fcntl is not None
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode("utf-8", errors="replace").strip()
            os.close(fd)
            raise InputError([Problem(str(self.out), "", "is being written by another sweep ("
                                      f"{holder or 'a process that has just started'}); "
                                      "wait for it to finish (then rerun to resume), or "
                                      "choose another --out")]) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:  # the holder finished and removed it between open and flock
            same = False
        if not same:
            os.close(fd)
            return None
        os.ftruncate(fd, 0)
        since = time.strftime("%Y-%m-%d %H:%M:%S")
        os.write(fd, f"process {os.getpid()} on {socket.gethostname()}, since {since}\n"
                 .encode())
        return fd

    def __exit__(self, *exc_info: object) -> None:
        if self._fd is not None:
            self.path.unlink(missing_ok=True)  # while still holding it
            os.close(self._fd)
            self._fd = None


__all__ = ["ResultsLock"]
