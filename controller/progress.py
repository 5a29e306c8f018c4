"""A campaign's progress for the person running it, fed by CampaignRunner's `on_update(state)`.

On a terminal: one rich progress bar per task (evaluated/total, pass rate, best speedup) under a bar for the
whole campaign, redrawn in place. Off a terminal (CI logs, `2> file`, `| tee`): one self-contained line per
interval and one at the end, each with totals, passes, failures, the best speedups, elapsed time and rate, and
never the same line twice, so a log of a long campaign stays short and every line says where it stands.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from dataclasses import dataclass
from typing import IO, Any

from controller.campaign import CampaignState

INTERVAL_S = 10.0   # off a terminal: at most one line per this many seconds (plus the final line)
TASKS_INLINE = 4    # off a terminal: up to this many tasks are listed one by one on each line, more are summarised


@dataclass(frozen=True)
class TaskCounts:
    name: str
    evaluated: int
    total: int
    passed: int
    best_speedup: float | None
    error: str = ""

    @property
    def failed(self) -> int:
        return self.evaluated - self.passed


@dataclass(frozen=True)
class Snapshot:
    """The numbers one progress line shows, copied out of a CampaignState (which the runner keeps mutating)."""

    campaign_id: str
    tasks: tuple[TaskCounts, ...]
    budget: int
    started: float  # time.monotonic() when the campaign (this run of it) started
    stop_reason: str = ""

    @classmethod
    def of(cls, state: CampaignState) -> Snapshot:
        tasks = tuple(TaskCounts(p.name, p.evaluated, p.total, p.passed, p.best_speedup, p.error)
                      for p in list(state.tasks.values()))
        return cls(state.campaign_id, tasks, state.budget, state.started, state.stop_reason)

    @property
    def evaluated(self) -> int:
        return sum(t.evaluated for t in self.tasks)

    @property
    def passed(self) -> int:
        return sum(t.passed for t in self.tasks)

    @property
    def total(self) -> int:
        """The campaign's evaluations to expect: its budget, or the tasks' totals when these are smaller."""
        per_task = sum(t.total for t in self.tasks)
        return min(x for x in (self.budget, per_task) if x) if (self.budget or per_task) else 0

    def best(self) -> TaskCounts | None:
        scored = [t for t in self.tasks if t.best_speedup]
        return max(scored, key=lambda t: t.best_speedup or 0.0) if scored else None


def _speedup(x: float | None) -> str:
    return f"{x:.2f}x" if x else "-"


def _of(done: int, total: int) -> str:
    return f"{done}/{total}" if total else f"{done}/?"


def status_line(s: Snapshot, now: float | None = None) -> str:
    """One line saying where the campaign stands at `now` (the off-terminal format)."""
    elapsed = max(0.0, (time.monotonic() if now is None else now) - s.started)
    total = s.total
    pct = f" ({100 * s.evaluated / total:.0f}%)" if total else ""
    rate = s.evaluated / elapsed if elapsed > 0 else 0.0
    best = s.best()
    head = (f"[{elapsed:7.1f}s] campaign {s.campaign_id}: evaluated {_of(s.evaluated, total)}{pct}, "
            f"passed {s.passed}, failed {s.evaluated - s.passed}, best "
            + (f"{_speedup(best.best_speedup)} ({best.name})" if best else "-")
            + f", {rate:.2f} eval/s")
    if len(s.tasks) <= TASKS_INLINE:
        parts = [f"{t.name} {_of(t.evaluated, t.total)} pass {t.passed} best {_speedup(t.best_speedup)}"
                 + (f" error: {t.error[:60]}" if t.error else "") for t in s.tasks]
    else:
        done = sum(1 for t in s.tasks if t.total and t.evaluated >= t.total)
        improved = sum(1 for t in s.tasks if t.best_speedup and t.best_speedup > 1.0)
        errors = sum(1 for t in s.tasks if t.error)
        parts = [f"{len(s.tasks)} tasks: {done} done, {improved} faster than their baseline"
                 + (f", {errors} with proposer errors" if errors else "")]
    tail = f" | stopped: {s.stop_reason}" if s.stop_reason else ""
    return head + (" | " + " | ".join(parts) if parts else "") + tail


def _content(s: Snapshot) -> tuple:
    """What must change for a new line to be worth printing (not the clock)."""
    return (s.tasks, s.stop_reason)


class LineProgress:
    """Off a terminal: a line at the start, then at most one per `interval_s` while something changed (a change
    between updates is flushed by a timer, so the line is never late by more than the interval), and at close."""

    def __init__(self, stream: IO[str], interval_s: float = INTERVAL_S) -> None:
        self.stream = stream
        self.interval_s = interval_s
        self._lock = threading.Lock()
        self._latest: Snapshot | None = None
        self._printed: tuple | None = None
        self._last_print = float("-inf")
        self._timer: threading.Timer | None = None
        self._closed = False

    def __call__(self, state: CampaignState) -> None:
        snap = Snapshot.of(state)
        with self._lock:
            if self._closed:
                return
            self._latest = snap
            if _content(snap) == self._printed:
                return
            wait = self._last_print + self.interval_s - time.monotonic()
            if wait <= 0:
                self._emit(snap)
            elif self._timer is None:
                self._timer = threading.Timer(wait, self._flush)
                self._timer.daemon = True
                self._timer.start()

    def _flush(self) -> None:
        with self._lock:
            self._timer = None
            if not self._closed and self._latest is not None and _content(self._latest) != self._printed:
                self._emit(self._latest)

    def _emit(self, snap: Snapshot) -> None:
        try:
            self.stream.write(status_line(snap) + "\n")
            self.stream.flush()
        except (BrokenPipeError, ValueError):  # the reader went away, or the stream is closed: progress is optional
            self._closed = True
        self._printed = _content(snap)
        self._last_print = time.monotonic()

    def close(self, state: CampaignState | None = None) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            snap = Snapshot.of(state) if state is not None else self._latest
            if not self._closed and snap is not None and _content(snap) != self._printed:
                self._emit(snap)
            self._closed = True


class BarProgress:
    """On a terminal: a bar for the campaign and one per task, drawn by rich and redrawn in place."""

    def __init__(self, stream: IO[str]) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = Console(file=stream, stderr=stream is sys.stderr)
        self.progress = Progress(
            TextColumn("{task.description}"), BarColumn(bar_width=30), MofNCompleteColumn(),
            TextColumn("pass {task.fields[passed]} ({task.fields[rate]})"),
            TextColumn("best {task.fields[best]}"), TextColumn("{task.fields[note]}"), TimeElapsedColumn(),
            console=self.console, refresh_per_second=4, redirect_stdout=False, redirect_stderr=False)
        self._ids: dict[str, Any] = {}
        self._started = False
        self._handlers: list[tuple[logging.StreamHandler, IO[str]]] = []
        self._lock = threading.Lock()

    def _start(self) -> None:
        self.progress.start()
        self._started = True
        # Log records go through the progress console, printed above the bars instead of through them.
        for h in logging.getLogger().handlers:
            if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler) and \
                    getattr(h.stream, "isatty", lambda: False)():
                self._handlers.append((h, h.stream))
                h.setStream(_ConsoleWriter(self.console))

    @staticmethod
    def _fields(evaluated: int, passed: int, best: float | None, note: str = "") -> dict[str, Any]:
        rate = f"{100 * passed / evaluated:.0f}%" if evaluated else "-"
        return {"passed": passed, "rate": rate, "best": _speedup(best), "note": note}

    def __call__(self, state: CampaignState) -> None:
        snap = Snapshot.of(state)
        with self._lock:
            if not self._started:
                self._start()
            p = self.progress
            width = max([len(t.name) for t in snap.tasks] + [8])
            if "" not in self._ids:
                self._ids[""] = p.add_task(f"[bold]{'campaign':<{width}}[/bold]", total=snap.total or None,
                                           **self._fields(0, 0, None))
            best = snap.best()
            p.update(self._ids[""], completed=snap.evaluated, total=snap.total or None,
                     **self._fields(snap.evaluated, snap.passed, best.best_speedup if best else None,
                                    snap.stop_reason[:50]))
            for t in snap.tasks:
                if t.name not in self._ids:
                    self._ids[t.name] = p.add_task(f"  {t.name:<{width - 2}}"[:width + 2], total=t.total or None,
                                                   **self._fields(0, 0, None))
                p.update(self._ids[t.name], completed=t.evaluated, total=t.total or None,
                         **self._fields(t.evaluated, t.passed, t.best_speedup,
                                        f"error: {t.error[:40]}" if t.error else ""))

    def close(self, state: CampaignState | None = None) -> None:
        if state is not None:
            self(state)
        with self._lock:
            if self._started:
                self.progress.refresh()
                self.progress.stop()
                self._started = False
            for h, stream in self._handlers:
                h.setStream(stream)
            self._handlers.clear()


class _ConsoleWriter:
    """A file-like that prints through a rich console (above a live display)."""

    def __init__(self, console: Any) -> None:
        self.console = console

    def write(self, text: str) -> int:
        if text.strip():
            self.console.print(text.rstrip("\n"), markup=False, highlight=False, soft_wrap=True)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


class CampaignProgress:
    """The `on_update` callback of `hawk campaign run|resume` and `hawk demo`: bars on a terminal, lines
    elsewhere. Use as a context manager (or call close()) so the final state is shown once."""

    def __init__(self, stream: IO[str] | None = None, *, interval_s: float = INTERVAL_S,
                 tty: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        tty = _isatty(self.stream) if tty is None else tty
        self.view: BarProgress | LineProgress = BarProgress(self.stream) if tty else LineProgress(
            self.stream, interval_s)
        self._state: CampaignState | None = None

    def __call__(self, state: CampaignState) -> None:
        self._state = state
        self.view(state)

    def close(self) -> None:
        self.view.close(self._state)

    def __enter__(self) -> CampaignProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _isatty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
