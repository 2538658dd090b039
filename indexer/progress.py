"""Progress of long commands on stderr (a live line on a terminal, a log line every few seconds otherwise)."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO

LIVE_INTERVAL = 0.1  # seconds between redraws of the live line
LOG_INTERVAL = 5.0  # seconds between log lines when stderr is not a terminal


def duration(seconds: float) -> str:
    """Return a number of seconds as 42s, 3m05s or 2h07m."""
    whole = max(0, int(round(seconds)))
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


@dataclass
class _Task:
    """What one task has reported so far."""

    unit: str
    started: float
    done: int = 0
    total: int | None = None
    characters: int | None = None
    note: str = ""


class ProgressLine:
    """One progress display for a command whose tasks (crawl, parse, index …) report in turn."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        live: bool | None = None,
        every: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.stream = stream if stream is not None else sys.stderr
        self.live = self._isatty(self.stream) if live is None else live
        self.every = LOG_INTERVAL if every is None else every
        self.clock = clock
        self.tasks: dict[str, _Task] = {}
        self.current: str | None = None
        self.last_shown: float | None = None
        self.drawn = False  # the live line holds text that a newline must end

    @staticmethod
    def _isatty(stream: TextIO) -> bool:
        try:
            return stream.isatty()
        except (AttributeError, ValueError):
            return False

    def update(
        self,
        task: str,
        done: int,
        total: int | None = None,
        *,
        unit: str = "items",
        characters: int | None = None,
        note: str = "",
    ) -> None:
        """Record that task has done `done` of `total` units, and show it if it is time to."""
        now = self.clock()
        state = self.tasks.get(task)
        if state is None:
            state = self.tasks[task] = _Task(unit, now)
        if task != self.current:
            if self.live and self.current is not None:
                self._draw(self.current, now, final=True)
            self.interrupt()
            self.current = task
            self.last_shown = None if self.live else now
        state.done, state.note = done, note
        if total is not None:
            state.total = total
        if characters is not None:
            state.characters = characters
        if self.live:
            if self.last_shown is None or now - self.last_shown >= LIVE_INTERVAL:
                self._draw(task, now)
        elif self.last_shown is None or now - self.last_shown >= self.every:
            self._log(task, now)

    def step(self, task: str, *, unit: str = "items", note: str = "") -> None:
        """Count one more unit of task (for sources that only say "one more", such as a crawl)."""
        state = self.tasks.get(task)
        self.update(task, (state.done if state else 0) + 1, unit=unit, note=note)

    def finish(self) -> None:
        """Show the current task's last state on the live line and end that line (nothing when logging)."""
        if self.live and self.current is not None:
            self._draw(self.current, self.clock(), final=True)
        self.interrupt()
        self.current = None

    def text(self, task: str, now: float | None = None, *, final: bool = False) -> str:
        """Return the one-line description of a task: done/total, rate, ETA and the latest note."""
        state = self.tasks[task]
        elapsed = (self.clock() if now is None else now) - state.started
        parts = [
            f"{task}: {state.done:,}" + (f"/{state.total:,}" if state.total is not None else "") + f" {state.unit}"
        ]
        if state.total:
            parts[0] += f" ({min(100, 100 * state.done // state.total)}%)"
        if state.characters is not None:
            parts.append(f"{state.characters:,} chars")
        if elapsed > 0 and state.done:
            if state.characters is not None:
                parts.append(f"{state.characters / elapsed:,.0f} chars/s")
            else:
                parts.append(f"{state.done / elapsed:,.1f} {state.unit}/s")
        if final:
            parts.append(f"in {duration(elapsed)}")
        elif state.total is not None and state.done >= state.total:
            parts.append("finishing")
        elif state.total and state.done and elapsed > 0:
            parts.append(f"ETA {duration(elapsed * (state.total - state.done) / state.done)}")
        line = ", ".join(parts)
        return f"{line}  {state.note}" if state.note else line

    def _draw(self, task: str, now: float, final: bool = False) -> None:
        width = max(20, shutil.get_terminal_size((100, 20)).columns - 1)
        self.stream.write("\r\033[K" + self.text(task, now, final=final)[:width])
        self.stream.flush()
        self.drawn = True
        self.last_shown = now

    def _log(self, task: str, now: float) -> None:
        self.stream.write(f"{datetime.now().isoformat(timespec='seconds')} {self.text(task, now)}\n")
        self.stream.flush()
        self.last_shown = now

    def interrupt(self) -> None:
        """End the live line so that other text (a log record, a message) starts on a line of its own."""
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False
            self.last_shown = None
