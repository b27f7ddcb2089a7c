"""The lock of a work directory: one minopy run at a time per ``--dir``.

A run takes ``<work_dir>/.minopy.lock`` before it touches anything else in the work directory and
removes it when it ends (also on errors and Ctrl-C). The lock file is written under a temporary name
and hard-linked to its final name, which fails when a lock exists, so two runs starting together
cannot both get it, and a lock file is never seen half-written. It records the run's PID, host,
start time, command and (on Linux) the process start time and boot id.

A run that finds a lock decides whether its holder still runs:

- same host, the PID is alive and is the same process (same start time and boot): the holder runs;
  a :class:`~minopy.errors.WorkDirError` names its PID, host, start time and command;
- same host, the PID is gone, belongs to another process, or the machine rebooted since: the lock
  is stale (a run killed with ``kill -9``); it is removed with a warning and this run proceeds;
- another host: its process cannot be checked from here, so this is an error that says how to
  remove the lock if that run is known to be over.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shlex
import socket
import sys
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType

from minopy.errors import WorkDirError, describe_os_error

LOCK_NAME = ".minopy.lock"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LockInfo:
    """What a lock file says about the run that holds it."""

    pid: int
    host: str
    started: str
    command: str
    token: str
    process_start: str | None = None
    boot_id: str | None = None

    def describe(self) -> str:
        """``PID 1234 on host node7, started 2026-01-01T10:00:00+00:00 (minopyApp.py t.txt)``."""
        return (f"PID {self.pid} on host {self.host}, started {self.started}"
                + (f" ({self.command})" if self.command else ""))


def _read_proc(path: str) -> str | None:
    try:
        with open(path) as fh:
            return fh.read().strip()
    except OSError:
        return None


def _proc_stat(pid: int) -> list[str]:
    """Fields 3.. of ``/proc/<pid>/stat`` (state, ppid, ...), [] when unavailable."""
    stat = _read_proc(f"/proc/{pid}/stat")
    # the command name (field 2) may hold spaces and parentheses: split after its closing ")"
    return stat.rsplit(")", 1)[-1].split() if stat is not None else []


def process_start(pid: int) -> str | None:
    """Start time of process ``pid`` in clock ticks after boot (Linux ``/proc``), else None."""
    fields = _proc_stat(pid)
    return fields[19] if len(fields) > 19 else None


def boot_id() -> str | None:
    """An id of the current boot of this machine (Linux), else None."""
    return _read_proc("/proc/sys/kernel/random/boot_id")


def pid_alive(pid: int) -> bool:
    """True if a process with this PID exists on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, but belongs to another user
    return True


def holder_is_running(info: LockInfo) -> bool:
    """Whether the run that wrote ``info`` (on this host) is still running."""
    if info.boot_id is not None and boot_id() not in (None, info.boot_id):
        return False  # written before the machine rebooted
    if not pid_alive(info.pid):
        return False
    fields = _proc_stat(info.pid)
    if fields and fields[0] in ("Z", "X"):
        return False  # killed, only waiting to be reaped by its parent
    current = process_start(info.pid)
    return info.process_start is None or current is None or current == info.process_start


def read_lock(path: Path) -> LockInfo | None:
    """The lock's content; None if missing; PID -1 if it is not a minopy lock (stale)."""
    try:
        data = json.loads(path.read_text())
        return LockInfo(**data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError):
        return LockInfo(pid=-1, host="?", started="?", command="unreadable lock file", token="")


class WorkDirLock:
    """Context manager holding the lock of a work directory (see the module docstring).

    Parameters
    ----------
    work_dir : Path
        An existing work directory.
    argv : list of str, optional
        The command line recorded in the lock (default ``sys.argv``).

    Raises
    ------
    WorkDirError
        On entry, if another live run holds the lock (naming its PID, host and start time), a run
        on another host holds it, or the lock cannot be written (the message says why).
    """

    def __init__(self, work_dir: Path, argv: list[str] | None = None) -> None:
        self.path = Path(work_dir) / LOCK_NAME
        command = " ".join(shlex.quote(a) for a in (sys.argv if argv is None else argv))
        self.info = LockInfo(
            pid=os.getpid(), host=socket.gethostname(),
            started=datetime.now().astimezone().isoformat(timespec="seconds"),
            command=command, token=secrets.token_hex(8), process_start=process_start(os.getpid()),
            boot_id=boot_id())
        #: the stale lock removed on entry (for the run's log), if any.
        self.removed_stale: LockInfo | None = None

    def stale_lock_note(self) -> str | None:
        """A line for the log when a stale lock was removed on entry, else None."""
        if self.removed_stale is None:
            return None
        return (f"removed the stale lock of a run that is no longer running "
                f"({self.removed_stale.describe()}); it was probably killed")

    def __enter__(self) -> WorkDirLock:
        for _ in range(5):
            if self._try_create():
                return self
            holder = read_lock(self.path)
            if holder is None:
                continue  # removed meanwhile: try again
            unreadable = holder.pid < 0
            if unreadable or (holder.host == self.info.host and not holder_is_running(holder)):
                self._break_stale(holder)
                continue
            raise self._held_error(holder)
        raise WorkDirError(f"could not take the lock {self.path}: it keeps changing; is another "
                           "minopy run starting in this work directory?")

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

    def release(self) -> None:
        """Remove the lock if it is still this run's."""
        holder = read_lock(self.path)
        if holder is not None and holder.token == self.info.token:
            try:
                self.path.unlink()
            except OSError:
                log.debug("could not remove the lock %s", self.path, exc_info=True)

    def _try_create(self) -> bool:
        """Create the lock atomically; False if a lock exists."""
        tmp = self.path.with_name(f"{LOCK_NAME}.{self.info.pid}.{self.info.token}")
        try:
            tmp.write_text(json.dumps(asdict(self.info), indent=1) + "\n")
            os.link(tmp, self.path)
        except FileExistsError:
            return False
        except OSError as err:
            raise WorkDirError(f"cannot write in the work directory {self.path.parent}: "
                               f"{describe_os_error(err)}; choose a writable --dir") from None
        finally:
            tmp.unlink(missing_ok=True)
        return True

    def _break_stale(self, holder: LockInfo) -> None:
        """Remove a stale lock, unless another run replaced it meanwhile."""
        grabbed = self.path.with_name(f"{LOCK_NAME}.stale.{self.info.pid}.{self.info.token}")
        try:
            os.rename(self.path, grabbed)
        except FileNotFoundError:
            return
        if read_lock(grabbed) == holder:
            self.removed_stale = holder
            grabbed.unlink(missing_ok=True)
            return
        with contextlib.suppress(FileExistsError):  # a new run's lock was taken: give it back
            os.link(grabbed, self.path)
        grabbed.unlink(missing_ok=True)

    def _held_error(self, holder: LockInfo) -> WorkDirError:
        if holder.host != self.info.host:
            return WorkDirError(
                f"the work directory {self.path.parent} is in use by another minopy run: "
                f"{holder.describe()}. Its process cannot be checked from {self.info.host}; if "
                f"that run has ended, delete {self.path} and re-run")
        return WorkDirError(
            f"the work directory {self.path.parent} is in use by another minopy run: "
            f"{holder.describe()}. Wait for it to finish (or stop it), or choose another --dir")
