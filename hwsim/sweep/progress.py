"""A one-line text progress bar: done / total, rate and time left, redrawn with ``\\r``.

No dependency; it writes to the stream it is given (the command line gives it stderr, so
results on stdout stay clean). The rate counts only the rows evaluated in this run, so a
resumed sweep's estimate is not flattered by the rows found already done. Messages (skipped
configurations) are written on their own line and the bar is redrawn under them.

The bar is drawn only on a terminal. Elsewhere (stderr sent to a log file, a CI job) the
same text is written as whole lines, one each time another tenth of the rows is done and one
at the end: about a dozen lines, no carriage returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO


def format_duration(seconds: float) -> str:
    """75 -> '1:15', 3725 -> '1:02:05'."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressBar:
    """Call it with (done, total); ``message(text)`` prints a line above the bar."""

    def __init__(self, stream: TextIO, label: str = "sweep", width: int = 24,
                 min_interval_s: float = 0.1, clock: Callable[[], float] = time.monotonic,
                 terminal: bool | None = None):
        self.stream = stream
        # None: ask the stream (a file or a pipe is no terminal)
        self.terminal = _is_terminal(stream) if terminal is None else terminal
        self._logged_tenths = -1
        self.label = label
        self.width = width
        self.min_interval_s = min_interval_s
        self.clock = clock
        self._start: float | None = None
        self._start_done = 0
        self._last_draw = -1e9
        self._last_text = ""
        self._done = 0
        self._total = 0

    def text(self, done: int, total: int, now: float) -> str:
        """The bar for ``done`` of ``total`` rows at time ``now``."""
        fraction = done / total if total else 1.0
        filled = int(self.width * fraction)  # a cell fills when complete
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = now - (self._start if self._start is not None else now)
        new = done - self._start_done
        if new > 0 and elapsed > 0:
            rate = new / elapsed
            left = format_duration((total - done) / rate)
            tail = f"{rate:.1f} rows/s, {left} left"
        elif done >= total:
            tail = "nothing left to do"
        else:
            tail = "starting"
        return (f"{self.label} [{bar}] {done}/{total} ({100 * fraction:.0f}%) "
                f"{tail}, {format_duration(elapsed)} elapsed")

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if self._start is None:
            self._start, self._start_done = now, done
        self._done, self._total = done, total
        if not self.terminal:
            tenths = 10 * done // total if total else 10
            if tenths > self._logged_tenths and done < total:
                self._logged_tenths = tenths
                self._line(self.text(done, total, now))
            return
        if done < total and now - self._last_draw < self.min_interval_s:
            return
        self._draw(self.text(done, total, now))
        self._last_draw = now

    def _draw(self, text: str) -> None:
        pad = " " * max(0, len(self._last_text) - len(text))
        self.stream.write("\r" + text + pad)
        self.stream.flush()
        self._last_text = text

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def message(self, text: str) -> None:
        """Write ``text`` on its own line, then redraw the bar below it."""
        if not self.terminal:
            self._line(text.rstrip("\n"))
            return
        if self._last_text:
            self.stream.write("\r" + " " * len(self._last_text) + "\r")
        self.stream.write(text.rstrip("\n") + "\n")
        if self._last_text:
            self.stream.write(self._last_text)
        self.stream.flush()

    def close(self) -> None:
        """Draw the final state and end the line."""
        if self._start is not None and not self.terminal:
            self._line(self.text(self._done, self._total, self.clock()))
            self._start = None
        elif self._start is not None:
            self._draw(self.text(self._done, self._total, self.clock()))
            self.stream.write("\n")
            self.stream.flush()
            self._last_text = ""


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


__all__ = ["ProgressBar", "format_duration"]
