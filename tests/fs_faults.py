"""File-system faults for tests: unreadable folders, unwritable folders, a full disk.

A non-root user gets the real thing (``chmod``). Root ignores permission bits, so for root the same
faults are produced by making the ``os`` calls that touch the folder raise the error the kernel
would raise (``EACCES``/``EROFS``), which is what minopy's code sees in either case.
"""

from __future__ import annotations

import builtins
import errno
import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _inside(path: Any, folder: Path, include_self: bool) -> bool:
    try:
        p = Path(os.fsdecode(path)).absolute()
    except TypeError:  # a file descriptor
        return False
    return (include_self and p == folder) or folder in p.parents


@contextmanager
def unreadable(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make ``folder`` unreadable (mode 000, or the equivalent ``EACCES`` for root)."""
    folder = folder.absolute()
    if not IS_ROOT:
        mode = folder.stat().st_mode
        folder.chmod(0)
        try:
            yield
        finally:
            folder.chmod(stat.S_IMODE(mode))
        return

    def deny(func: Callable[..., Any], include_self: bool) -> Callable[..., Any]:
        def wrapper(path: Any = ".", *args: Any, **kwargs: Any) -> Any:
            if _inside(path, folder, include_self):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(path))
            return func(path, *args, **kwargs)
        return wrapper

    with monkeypatch.context() as m:
        for name in ("scandir", "listdir"):
            m.setattr(os, name, deny(getattr(os, name), include_self=True))
        for name in ("stat", "lstat", "open"):
            m.setattr(os, name, deny(getattr(os, name), include_self=False))
        m.setattr(builtins, "open", deny(builtins.open, include_self=False))
        yield


@contextmanager
def unwritable(folder: Path, monkeypatch: pytest.MonkeyPatch, code: int = errno.EACCES
               ) -> Iterator[None]:
    """Make ``folder`` unwritable: mode 555 (or, for root and for ``EROFS``, writes that fail).

    Creating anything in or below ``folder`` (``mkdir``, ``open`` for writing, ``link``) raises
    ``OSError(code)``; reading still works.
    """
    folder = folder.absolute()
    if not IS_ROOT and code == errno.EACCES:
        mode = folder.stat().st_mode
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(stat.S_IMODE(mode))
        return

    def error(path: Any) -> OSError:
        return OSError(code, os.strerror(code), os.fsdecode(path))

    real_mkdir, real_open, real_os_open, real_link = os.mkdir, builtins.open, os.open, os.link

    def mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
        if _inside(path, folder, include_self=True):
            raise error(path)
        real_mkdir(path, *args, **kwargs)

    def open_(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if any(c in mode for c in "wax+") and _inside(file, folder, include_self=False):
            raise error(file)
        return real_open(file, mode, *args, **kwargs)

    def os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        writing = flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        if writing and _inside(path, folder, include_self=False):
            raise error(path)
        return real_os_open(path, flags, *args, **kwargs)

    def link(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if _inside(dst, folder, include_self=False):
            raise error(dst)
        real_link(src, dst, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(os, "mkdir", mkdir)
        m.setattr(builtins, "open", open_)
        m.setattr(os, "open", os_open)
        m.setattr(os, "link", link)
        yield


class DiskSwitch:
    """A disk that becomes full when :meth:`fill` is called (by the test, or by a fake step)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.absolute()
        self.full = False

    def fill(self) -> None:
        self.full = True


#: the switch of the active :func:`full_disk` context (for fake steps: ``fs_faults.fill_disk()``).
_ACTIVE: list[DiskSwitch] = []


def fill_disk() -> None:
    """Fill the disk of the active :func:`full_disk` context."""
    _ACTIVE[-1].fill()


@contextmanager
def full_disk(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DiskSwitch]:
    """Once the switch is filled, every write below ``folder`` fails with ``ENOSPC``.

    Covers creating files and folders, ``write`` on file descriptors (the log file) and writes to
    files opened before the disk filled up.
    """
    switch = DiskSwitch(folder)
    real_open, real_os_open, real_write, real_mkdir = builtins.open, os.open, os.write, os.mkdir
    fds: dict[int, Path] = {}

    def error(path: Any = None) -> OSError:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC),
                       None if path is None else os.fsdecode(path))

    def open_(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if switch.full and any(c in mode for c in "wax+") and _inside(file, switch.folder, False):
            raise error(file)
        return real_open(file, mode, *args, **kwargs)

    def os_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        writing = flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        if switch.full and writing and _inside(path, switch.folder, False):
            raise error(path)
        fd = real_os_open(path, flags, *args, **kwargs)
        if writing and _inside(path, switch.folder, False):
            fds[fd] = Path(os.fsdecode(path))
        return fd

    def write(fd: int, data: bytes) -> int:
        if switch.full and fd in fds:
            raise error(fds[fd])
        return real_write(fd, data)

    def mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
        if switch.full and _inside(path, switch.folder, True):
            raise error(path)
        real_mkdir(path, *args, **kwargs)

    _ACTIVE.append(switch)
    try:
        with monkeypatch.context() as m:
            m.setattr(builtins, "open", open_)
            m.setattr(os, "open", os_open)
            m.setattr(os, "write", write)
            m.setattr(os, "mkdir", mkdir)
            yield switch
    finally:
        _ACTIVE.remove(switch)
