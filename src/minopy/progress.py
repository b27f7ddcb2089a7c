"""Progress of long loops: a bar with ETA on a terminal, milestone lines in the log otherwise.

On an interactive console (stderr is a TTY and the run is not ``--quiet``) a tqdm bar shows the
rate and ETA, and milestones (about every 10 %) go to the log file only; the final line
``<desc>: 10/10 done in 0:02:14`` is logged in both modes. Without a TTY (batch jobs,
redirected output) or with ``--quiet``, no bar is drawn and the milestones are logged as lines
``<desc>: 30% (3/10), elapsed 0:01:02, ETA 0:02:25`` (on the console unless quiet).

Examples
--------
>>> for patch in progress(patches, desc="phase linking"):      # doctest: +SKIP
...     process(patch)
>>> with ProgressBar(len(futures), "unwrapping") as bar:        # doctest: +SKIP
...     for _ in as_completed(futures):
...         bar.update()

Work of unknown length (a numba compilation) shows its elapsed time instead, with :class:`Activity`:
a live line on a terminal, a log line every ``log_every`` seconds otherwise. It is kept apart from
the bars, so a slow one-off start does not inflate the ETA of the work that follows.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import tqdm

from minopy.logging_setup import FILE_ONLY, LOGGER_NAME, console_is_quiet

T = TypeVar("T")

#: fraction of the total between two milestone lines.
MILESTONE_STEP = 0.1
#: seconds between two log lines of an :class:`Activity` without a live line.
ACTIVITY_LOG_EVERY_S = 15.0


def format_duration(seconds: float) -> str:
    """Format a duration in seconds as ``H:MM:SS`` (``0:00:03``), or ``1.2s`` below 10 s."""
    if seconds < 10:
        return f"{seconds:.1f}s"
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _interactive() -> bool:
    """Whether a live bar should be drawn (stderr is a terminal and the console is not quiet)."""
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty()) and not console_is_quiet()


class ProgressBar:
    """Manual progress counter: ``update(n)`` after each finished unit of work.

    Parameters
    ----------
    total : int
        Number of units (patches, pairs, blocks); 0 is allowed (nothing to do).
    desc : str
        Short label, e.g. ``"phase linking"``.
    log : logging.Logger, optional
        Logger for the milestone lines; default the ``minopy`` logger.
    unit : str
        Unit name shown by the bar.
    interactive : bool, optional
        Force (True) or suppress (False) the live bar; default: decided by the console.
    """

    def __init__(
        self,
        total: int,
        desc: str,
        log: logging.Logger | None = None,
        unit: str = "it",
        interactive: bool | None = None,
    ) -> None:
        if total < 0:
            raise ValueError(f"progress total must be >= 0, got {total}")
        self.total = int(total)
        self.desc = desc
        self.done = 0
        self._log = log if log is not None else logging.getLogger(LOGGER_NAME)
        self._start = time.monotonic()
        self._next_milestone = 1
        self._closed = False
        live = _interactive() if interactive is None else interactive
        self._bar: tqdm.tqdm | None = None
        if live:
            self._bar = tqdm.tqdm(total=self.total, desc=desc, unit=unit, file=sys.stderr,
                                  dynamic_ncols=True, leave=False)
        self._milestone_extra = FILE_ONLY if live else None

    @property
    def elapsed(self) -> float:
        """Seconds since the bar was created."""
        return time.monotonic() - self._start

    def eta(self) -> float | None:
        """Estimated seconds left, from the mean rate so far (None before the first update)."""
        if self.done == 0:
            return None
        return self.elapsed / self.done * max(self.total - self.done, 0)

    def update(self, n: int = 1) -> None:
        """Record ``n`` more finished units; logs a milestone line when one is crossed."""
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        if self.total == 0:
            return
        fraction = self.done / self.total
        milestone = int(fraction / MILESTONE_STEP + 1e-9)
        if milestone >= self._next_milestone and self.done < self.total:
            self._next_milestone = milestone + 1
            eta = self.eta()
            self._log.info(
                "%s: %d%% (%d/%d), elapsed %s, ETA %s", self.desc, int(100 * fraction),
                self.done, self.total, format_duration(self.elapsed),
                format_duration(eta) if eta is not None else "?", extra=self._milestone_extra,
            )

    def close(self) -> None:
        """Remove the bar and log the final line (done count and time taken) everywhere."""
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.close()
        self._log.info("%s: %d/%d done in %s", self.desc, self.done, self.total,
                       format_duration(self.elapsed))

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def progress(
    iterable: Iterable[T],
    total: int | None = None,
    desc: str = "",
    log: logging.Logger | None = None,
    unit: str = "it",
) -> Iterator[T]:
    """Iterate over ``iterable`` while showing progress (see :class:`ProgressBar`).

    Parameters
    ----------
    iterable : iterable
        Items to iterate over.
    total : int, optional
        Number of items; default ``len(iterable)`` (0 shows no percentages if unknown).
    desc, log, unit
        As for :class:`ProgressBar`.

    Yields
    ------
    Each item of ``iterable``.
    """
    if total is None:
        try:
            total = len(iterable)  # type: ignore[arg-type]
        except TypeError:
            total = 0
    with ProgressBar(total, desc, log=log, unit=unit) as bar:
        for item in iterable:
            yield item
            bar.update()


class Activity:
    """Elapsed time of one task of unknown length, shown while it runs (a context manager).

    A background thread refreshes a live line ``<desc>: 0:00:37 <status>`` on an interactive
    console every ``interval`` seconds; otherwise it logs ``<desc>: 0:00:30 elapsed, <status>``
    every ``log_every`` seconds. With ``delay`` > 0 nothing is shown unless the task is still
    running after ``delay`` seconds (then ``late_note`` is logged first). The final line (what was
    done, in how long) is left to the caller, who knows the outcome.

    Parameters
    ----------
    desc : str
        What is going on, e.g. ``"compiling the phase-linking kernels"``.
    log : logging.Logger, optional
        Logger for the lines; default the ``minopy`` logger.
    status : callable, optional
        Returns a short status text (e.g. ``"23 kernels ready"``) shown after the time.
    delay : float
        Seconds to wait before showing anything.
    late_note : str
        Logged once when the activity becomes visible after a delay.
    interval : float
        Refresh period of the live line, seconds.
    log_every : float, optional
        Period of the log lines, seconds; default :data:`ACTIVITY_LOG_EVERY_S`.
    interactive : bool, optional
        Force (True) or suppress (False) the live line; default: decided by the console.
    """

    def __init__(self, desc: str, log: logging.Logger | None = None,
                 status: Callable[[], str] | None = None, delay: float = 0.0,
                 late_note: str = "", interval: float = 1.0, log_every: float | None = None,
                 interactive: bool | None = None) -> None:
        self.desc = desc
        self._log = log if log is not None else logging.getLogger(LOGGER_NAME)
        self._status = status
        self._delay = max(0.0, float(delay))
        self._late_note = late_note
        self._interval = float(interval)
        self._log_every = float(ACTIVITY_LOG_EVERY_S if log_every is None else log_every)
        self._live = _interactive() if interactive is None else interactive
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._bar: tqdm.tqdm | None = None
        self._start = time.monotonic()
        #: log lines written so far (milestones without a TTY).
        self.lines = 0
        #: whether anything was shown.
        self.shown = False

    @property
    def elapsed(self) -> float:
        """Seconds since the activity started."""
        return time.monotonic() - self._start

    def _status_text(self) -> str:
        if self._status is None:
            return ""
        try:
            return str(self._status())
        except Exception:  # noqa: BLE001 - a status is decoration, never a failure
            return ""

    def _show(self) -> None:
        self.shown = True
        if self._late_note:
            self._log.info("%s", self._late_note)
        if self._live:
            self._bar = tqdm.tqdm(total=None, desc=self.desc, file=sys.stderr, leave=False,
                                  bar_format="{desc}: {elapsed} {postfix}")

    def _run(self) -> None:
        if self._delay and self._stop.wait(self._delay):
            return
        self._show()
        next_line = self._log_every
        while not self._stop.wait(self._interval if self._live else
                                  max(0.05, next_line - self.elapsed)):
            text = self._status_text()
            if self._bar is not None:
                self._bar.set_postfix_str(text, refresh=True)
            elif self.elapsed >= next_line:
                next_line += self._log_every
                self.lines += 1
                self._log.info("%s: %s elapsed%s", self.desc, format_duration(self.elapsed),
                               f", {text}" if text else "")

    def __enter__(self) -> Activity:
        self._start = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"activity: {self.desc}",
                                        daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._bar is not None:
            self._bar.close()
