"""One progress convention for every long job (fit, QAT in convert, validate, benchmarks, lift).

A :class:`Progress` counts units (steps, poses, frames, timed runs) towards a known total and shows, for the WHOLE
job, how many are done, the rate and the time left:

- ``bar`` (the stream is a terminal): one line redrawn in place, at most 10 times a second, cut to the terminal's
  width: ``fit [########..........] 1200/6000 steps  41.3 steps/s  1:56 left  val 92.4 mm``;
- ``lines`` (the stream is a file or a pipe: CI, logs): a plain line every ~10 % of the job or every 30 s, whichever
  comes first (never two within 5 s), and one closing line with the total time;
- ``off`` (``--quiet``): nothing.

The rate and the time left are measured from the first unit on (the first unit carries compilation and warm-up,
which would make the estimate far too long). Progress goes to stderr by default, so stdout keeps only results
(tables, JSON); :meth:`Progress.write` prints a line above a live bar without tearing it.
``GRAPHSH_PROGRESS=bar|lines|off`` overrides the choice made from the stream.
"""
from __future__ import annotations

import os
import shutil
import sys
import time
from typing import Optional, TextIO

MODES = ("bar", "lines", "off")
PROGRESS_ENV = "GRAPHSH_PROGRESS"
LINE_FRACTION = 0.1     # lines mode: a line every 10 % of the job ...
LINE_SECONDS = 30.0     # ... or every 30 s,
LINE_MIN_SECONDS = 5.0  # ... but not within 5 s of the last line (a job of a few seconds: the closing line only)
BAR_REDRAW_S = 0.1


def choose_mode(stream: TextIO, quiet: bool = False) -> str:
    """``off`` when ``quiet``; else ``GRAPHSH_PROGRESS`` when set; else ``bar`` on a terminal, ``lines`` otherwise."""
    if quiet:
        return "off"
    env = os.environ.get(PROGRESS_ENV, "").strip().lower()
    if env in MODES:
        return env
    try:
        return "bar" if stream.isatty() else "lines"
    except (AttributeError, ValueError):
        return "lines"


def format_duration(seconds: float) -> str:
    """``0:42``, ``12:05``, ``1:02:03`` (h:mm:ss beyond an hour)."""
    s = max(0, int(round(seconds)))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _rate(r: float) -> str:
    return f"{r:.0f}" if r >= 100 else f"{r:.1f}" if r >= 1 else f"{r:.2f}"


def about(seconds: float) -> str:
    """A rough duration for start-up lines: ``under a minute``, ``about 4 min``, ``about 1.5 h``."""
    if seconds < 60:
        return "under a minute"
    if seconds < 3600:
        return f"about {max(1, round(seconds / 60))} min"
    return f"about {seconds / 3600:.1f} h"


class Progress:
    """Progress of one job of ``total`` units named ``unit`` (``steps``, ``poses``, ...), labelled ``label``;
    ``total`` 0 when unknown (a video without a frame count): counts and rates, no time left.

    ``update(n)`` adds done units; ``info(text)`` sets the short status shown after the time left (a loss, a
    validation error); ``close()`` ends the bar (or writes the closing line). Usable as a context manager.
    ``mode``: ``bar``, ``lines`` or ``off`` (default :func:`choose_mode` of ``stream`` and ``quiet``)."""

    def __init__(self, total: int, unit: str = "steps", label: str = "", stream: Optional[TextIO] = None,
                 quiet: bool = False, mode: Optional[str] = None, initial: int = 0):
        self.stream = stream if stream is not None else sys.stderr
        self.mode = mode or choose_mode(self.stream, quiet)
        if self.mode not in MODES:
            raise ValueError(f"progress mode {self.mode!r}: use one of {', '.join(MODES)}")
        self.total, self.unit, self.label = max(0, int(total)), unit, label
        self.done = self.start_done = int(initial)
        self.status = ""
        self.started = time.perf_counter()
        self.t_first: Optional[float] = None      # clock of the first unit: the rate is measured from there
        self.done_first = 0
        self._last_draw = 0.0
        self._last_line_t = self.started
        self._last_bucket = self._bucket()
        self._bar_shown = False
        self.closed = False

    # --- measurements ---------------------------------------------------------------------------------------
    def _fraction(self) -> float:
        return self.done / self.total if self.total else 0.0

    def _bucket(self) -> int:
        return int(self._fraction() / LINE_FRACTION + 1e-9)

    def rate(self) -> Optional[float]:
        """Units per second since the first unit (None until two units are measured)."""
        if self.t_first is None or self.done <= self.done_first:
            return None
        elapsed = time.perf_counter() - self.t_first
        return (self.done - self.done_first) / elapsed if elapsed > 0 else None

    def seconds_left(self) -> Optional[float]:
        r = self.rate()
        return (self.total - self.done) / r if r and self.total else None

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    # --- updates -----------------------------------------------------------------------------------------------
    def update(self, n: int = 1) -> None:
        if self.closed:
            return
        if self.t_first is None and n > 0:      # periodic lines count from here too (not from the start-up)
            self.t_first, self.done_first = time.perf_counter(), self.done + n
            self._last_line_t = self.t_first
        self.done += n
        self._show()

    def set(self, done: int) -> None:
        """Set the done count (e.g. from an optimizer's step counter)."""
        self.update(int(done) - self.done)

    def info(self, text: str) -> None:
        self.status = text

    def write(self, line: str) -> None:
        """Print ``line`` (a log line, shown in every mode: it is not progress) without tearing a live bar."""
        if self._bar_shown:
            self.stream.write("\r" + " " * self._width() + "\r")
        self.stream.write(line + "\n")
        self.stream.flush()
        if self._bar_shown:
            self._draw(force=True)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.mode == "bar":
            if self._bar_shown:
                self._draw(force=True)
                self.stream.write("\n")
                self.stream.flush()
        elif self.mode == "lines" and self.done > self.start_done:
            r = self.rate()
            count = f"{self.done}/{self.total}" if self.total else f"{self.done}"
            self.stream.write(f"{self._prefix()}{count} {self.unit} in "
                              f"{format_duration(self.elapsed())}" + (f" ({_rate(r)} {self.unit}/s)" if r else "")
                              + (f", {self.status}" if self.status else "") + "\n")
            self.stream.flush()

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- rendering ---------------------------------------------------------------------------------------------
    def _prefix(self) -> str:
        return f"{self.label}: " if self.label else ""

    def _width(self) -> int:
        return max(40, shutil.get_terminal_size((80, 24)).columns - 1)

    def _numbers(self) -> str:
        r = self.rate()
        left = self.seconds_left()
        text = f"{self.done}/{self.total} {self.unit}" if self.total else f"{self.done} {self.unit}"
        if r:
            text += f"  {_rate(r)} {self.unit}/s"
        if self.total and self.done >= self.total:
            text += f"  in {format_duration(self.elapsed())}"
        elif left is not None:
            text += f"  {format_duration(left)} left"
        return text

    def _draw(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last_draw < BAR_REDRAW_S and self.done < self.total:
            return
        self._last_draw = now
        head = f"{self.label} " if self.label else ""
        tail = self._numbers() + (f"  {self.status}" if self.status else "")
        width = self._width()
        cells = max(10, min(30, width - len(head) - len(tail) - 3))
        filled = int(cells * min(1.0, self._fraction()))
        line = f"{head}[{'#' * filled}{'.' * (cells - filled)}] {tail}"[:width]
        self.stream.write("\r" + line.ljust(width))
        self.stream.flush()
        self._bar_shown = True

    def _show(self) -> None:
        if self.mode == "bar":
            self._draw()
        elif self.mode == "lines":
            now = time.perf_counter()
            fraction = self._fraction()
            if self.done >= self.total > 0:
                return                  # the closing line reports the end
            since = now - self._last_line_t
            if since >= LINE_SECONDS or (self._bucket() > self._last_bucket and since >= LINE_MIN_SECONDS):
                self._last_line_t, self._last_bucket = now, self._bucket()
                pct = f" ({100 * fraction:.0f} %)" if self.total else ""
                r, left = self.rate(), self.seconds_left()
                count = f"{self.done}/{self.total}" if self.total else f"{self.done}"
                self.stream.write(f"{self._prefix()}{count} {self.unit}{pct}"
                                  + (f", {_rate(r)} {self.unit}/s" if r else "")
                                  + (f", {format_duration(left)} left" if left is not None else "")
                                  + (f", {self.status}" if self.status else "") + "\n")
                self.stream.flush()
