"""Logging of a run: the console (by verbosity) and the run's log file ``<work_dir>/log``.

Everything minopy logs goes through the ``minopy`` logger (modules use
``logging.getLogger(__name__)``, which are its children). The console shows INFO and above
(``verbose``: DEBUG, ``quiet``: WARNING); the log file receives everything at DEBUG with
timestamps and is appended to, so it holds the history of all runs in a work directory.

A record logged with ``extra=FILE_ONLY`` reaches the log file but not the console (used for
tracebacks and progress milestones that the console shows as a bar).

Each run also keeps the warnings it logged and its start time (:func:`run_warnings`,
:func:`run_seconds`), for the results summary at its end.
"""

from __future__ import annotations

import logging
import os
import shlex
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TextIO

import tqdm

from minopy import __version__

LOGGER_NAME = "minopy"
LOG_FILE_NAME = "log"
VERBOSITY_LEVELS = {"quiet": logging.WARNING, "normal": logging.INFO, "verbose": logging.DEBUG}

#: pass as ``extra=FILE_ONLY`` to send a record to the log file only.
FILE_ONLY = {"console": False}

_FILE_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


@dataclass
class _LoggingState:
    """Handlers installed by :func:`setup_logging` (so a second call replaces them)."""

    console: logging.Handler | None = None
    file: logging.Handler | None = None
    collector: logging.Handler | None = None
    verbosity: str = "normal"
    started: float | None = None
    warnings: list[str] = field(default_factory=list)


_STATE = _LoggingState()


class _ConsoleFilter(logging.Filter):
    """Drop records marked ``console=False``."""

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "console", True)


class _TqdmConsoleHandler(logging.Handler):
    """Write console records through ``tqdm.write`` so they do not break an active progress bar."""

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self.stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stream = self.stream if self.stream is not None else sys.stdout
            tqdm.tqdm.write(self.format(record), file=stream)
        except Exception:  # logging must never raise into the caller
            self.handleError(record)


class _AppendOnlyFile:
    """A text stream appending to a file with one unbuffered ``os.write`` per record.

    Nothing is buffered, so after a failed write (disk full) nothing is left to fail again when the
    file is closed or garbage-collected.
    """

    def __init__(self, path: Path, encoding: str = "utf-8") -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.encoding = encoding

    def write(self, text: str) -> None:
        data = text.encode(self.encoding, "backslashreplace")
        while data:
            data = data[os.write(self.fd, data):]

    def flush(self) -> None:
        """Nothing to flush (unbuffered)."""

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class _LogFileHandler(logging.FileHandler):
    """The log file; when it cannot be written (disk full, file system gone), it stops writing.

    The standard handler prints a traceback to stderr for every record it fails to write, so a full
    disk would bury the run's one error message under tracebacks. The run's own error handling
    reports the cause.
    """

    def __init__(self, path: Path) -> None:
        self.failed = False
        super().__init__(path, mode="a", encoding="utf-8")

    def _open(self) -> _AppendOnlyFile:  # type: ignore[override]
        return _AppendOnlyFile(Path(self.baseFilename), self.encoding or "utf-8")

    def emit(self, record: logging.LogRecord) -> None:
        if not self.failed:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging API)
        self.failed = True


class _WarningCollector(logging.Handler):
    """Keeps the messages of the warnings (and errors) logged during the run."""

    def __init__(self, sink: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append(record.getMessage())


class _ConsoleFormatter(logging.Formatter):
    """Plain message for INFO/DEBUG, ``LEVEL: message`` for warnings and errors."""

    def format(self, record: logging.LogRecord) -> str:
        message = super().format(record)
        if record.levelno >= logging.WARNING:
            return f"{record.levelname}: {message}"
        return message


def setup_logging(
    work_dir: str | Path | None = None,
    verbosity: str = "normal",
    stream: TextIO | None = None,
) -> logging.Logger:
    """Configure the ``minopy`` logger for one run and return it.

    Parameters
    ----------
    work_dir : path-like, optional
        The work directory; the log file is ``<work_dir>/log`` (appended to, folder created).
        None: console only.
    verbosity : {"quiet", "normal", "verbose"}
        Console detail: warnings only, INFO and above, or DEBUG and above.
    stream : text stream, optional
        Console stream (default: ``sys.stdout`` at the time of each record).

    Returns
    -------
    logging.Logger
        The ``minopy`` logger. Calling this again replaces the handlers of the previous call.
    """
    if verbosity not in VERBOSITY_LEVELS:
        raise ValueError(f"verbosity {verbosity!r} is not one of {sorted(VERBOSITY_LEVELS)}")
    close_logging()
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False

    console = _TqdmConsoleHandler(stream)
    console.setLevel(VERBOSITY_LEVELS[verbosity])
    console.setFormatter(_ConsoleFormatter("%(message)s"))
    console.addFilter(_ConsoleFilter())
    logger.addHandler(console)
    _STATE.console = console
    _STATE.verbosity = verbosity
    _STATE.started = time.monotonic()
    _STATE.warnings = []
    _STATE.collector = _WarningCollector(_STATE.warnings)
    logger.addHandler(_STATE.collector)

    if work_dir is not None:
        path = Path(work_dir) / LOG_FILE_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = _LogFileHandler(path)
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(logging.Formatter(_FILE_FORMAT, "%Y-%m-%d %H:%M:%S"))
        logger.addHandler(file_handler)
        _STATE.file = file_handler
    return logger


def close_logging() -> None:
    """Remove and close the handlers installed by :func:`setup_logging` (no-op if none)."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in (_STATE.console, _STATE.file, _STATE.collector):
        if handler is not None:
            logger.removeHandler(handler)
            handler.close()
    _STATE.console = None
    _STATE.file = None
    _STATE.collector = None
    _STATE.verbosity = "normal"
    _STATE.started = None
    logger.propagate = True  # back to the library default once the run is over


def log_file() -> Path | None:
    """Path of the current run's log file, or None when logging to the console only."""
    if isinstance(_STATE.file, logging.FileHandler):
        return Path(_STATE.file.baseFilename)
    return None


def run_warnings() -> list[str]:
    """Messages of the warnings and errors logged since :func:`setup_logging` (this run)."""
    return list(_STATE.warnings)


def run_seconds() -> float | None:
    """Seconds since :func:`setup_logging` started this run; None outside a run."""
    return None if _STATE.started is None else time.monotonic() - _STATE.started


def console_is_quiet() -> bool:
    """True when the console shows warnings only (``--quiet``)."""
    return _STATE.verbosity == "quiet"


def write_header(logger: logging.Logger, argv: list[str] | None = None) -> None:
    """Log the run header (command line, version, time) to the log file only.

    Parameters
    ----------
    logger : logging.Logger
        Logger set up by :func:`setup_logging`.
    argv : list of str, optional
        Command line; default ``sys.argv``.
    """
    argv = list(sys.argv if argv is None else argv)
    command = " ".join(shlex.quote(a) for a in argv)
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    logger.info("=" * 78, extra=FILE_ONLY)
    logger.info("minopy %s, started %s", __version__, now, extra=FILE_ONLY)
    logger.info("command: %s", command, extra=FILE_ONLY)
    logger.info("python %s", sys.version.split()[0], extra=FILE_ONLY)
