"""Exception types with messages meant for the user.

Every error raised for bad input names the file, key or value that is wrong and what is expected.
The CLI prints these messages without a traceback and exits with a non-zero status.
"""

import errno


class MinopyError(Exception):
    """Base class for errors that are reported to the user without a traceback."""


class ConfigError(MinopyError):
    """A template key or value is wrong (unknown key, bad type, value out of range)."""


class InputDataError(MinopyError):
    """An input file or directory is missing, unreadable or inconsistent."""


class StepError(MinopyError):
    """A processing step failed; the message says which step and why."""


class WorkDirError(MinopyError):
    """The work directory cannot be used: not creatable, not writable, or locked by another run."""


class DiskFullError(MinopyError):
    """A write failed because the file system is full (or the user's quota is used up)."""


#: ``errno`` values of a full disk or an exhausted quota.
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
#: how libraries that do not raise OSError (HDF5, SNAPHU) word a full disk.
_DISK_FULL_TEXTS = ("no space left on device", "errno = 28", "disk quota exceeded")


def is_disk_full(error: BaseException) -> bool:
    """True if ``error`` or an exception it was raised from is a full disk (ENOSPC/EDQUOT)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in DISK_FULL_ERRNOS:
            return True
        if any(text in str(current).lower() for text in _DISK_FULL_TEXTS):
            return True
        current = current.__cause__ or current.__context__
    return False


def describe_os_error(err: OSError) -> str:
    """A short reason for a failed file operation: "read-only file system", "permission denied"."""
    if err.errno == errno.EROFS:
        return "read-only file system"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if err.errno in DISK_FULL_ERRNOS:
        return "no space left on device"
    return err.strerror or str(err)
