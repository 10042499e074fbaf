"""A one-line progress bar on stderr: points done, rate, time left."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Redrawn in place on a terminal; elsewhere (logs, CI) a line every 10 %."""

    def __init__(self, total: int, what: str = "points", stream: TextIO | None = None, enabled: bool = True) -> None:
        self.total, self.what = total, what
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and total > 0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.perf_counter()
        self.done = 0
        self._last_tenth = -1
        self._last_draw = 0.0

    def start(self, done: int = 0) -> None:
        """Count ``done`` points as already finished (a resumed sweep) and draw."""
        self.done = done
        self._base = done
        self.started = time.perf_counter()
        self._draw(force=True)

    def advance(self, n: int) -> None:
        """``n`` more points finished."""
        self.done += n
        self._draw()

    def finish(self) -> None:
        """Final line (unless the last one drawn already said 100 %)."""
        if self.tty or self._last_tenth < 10:
            self._draw(force=True)
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def line(self) -> str:
        """The bar's text, e.g. ``340/1,000 points (34%), 120.5 points/s, 5 s left``."""
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        fresh = self.done - getattr(self, "_base", 0)
        rate = fresh / elapsed
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        eta = "—" if left != left else (f"{left:,.0f} s left" if self.done < self.total else f"{elapsed:,.1f} s")
        share = 100.0 * self.done / self.total if self.total else 100.0
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        return f"[{bar}] {self.done:,}/{self.total:,} {self.what} ({share:.0f}%), {rate:,.1f} {self.what}/s, {eta}"

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if self.tty:
            if force or now - self._last_draw > 0.1 or self.done == self.total:
                self.stream.write("\r" + self.line())
                self.stream.flush()
                self._last_draw = now
            return
        tenth = int(10 * self.done / self.total)
        if force or tenth > self._last_tenth:
            self._last_tenth = tenth
            self.stream.write(self.line() + "\n")
            self.stream.flush()
