"""The work directory of a run: creating it, and clearing what killed or failed runs left behind.

:func:`prepare_work_dir` creates ``--dir`` (with its parents) and turns the operating system's
errors into one clear :class:`~minopy.errors.WorkDirError`: a path that is a file, a read-only
file system, a folder without write permission. (That an existing work directory is writable is
checked when the run takes its lock, :mod:`minopy.run_lock`.)

:func:`remove_stale_temporaries` deletes the temporaries of interrupted runs: files being written
atomically (``.<name>.part<PID>``, :mod:`minopy.io.atomic`), SNAPHU's scratch folders
(``.snaphu_*`` in the pair folders) and the MintPy staging folders (``.mintpy_staging_*``,
:mod:`minopy.mintpy_staging`). It runs while the run holds the work-directory lock, when no other
run can be writing, so every such entry is stale. Only the folders minopy writes are searched.

:func:`disk_was_full` tells whether a failure came from a full disk (ENOSPC/EDQUOT, or an I/O error
without errno while the work directory's file system is nearly full) and :func:`disk_full_error`
is the one message the run then ends with.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from minopy.errors import DiskFullError, WorkDirError, describe_os_error, is_disk_full

#: a file being written atomically (see ``minopy.io.atomic.temp_name``).
TEMP_FILE = re.compile(r"^\..+\.part\d+$")
#: prefixes of scratch folders that a step deletes when it finishes.
SCRATCH_PREFIXES = (".snaphu_", ".mintpy_staging_")
#: sub-folders of the work directory that minopy writes (searched recursively).
WRITTEN_FOLDERS = ("inputs", "inverted", "pic", "*_network")


def prepare_work_dir(work_dir: str | os.PathLike) -> Path:
    """Create the work directory (and parents) and return its absolute path.

    Raises
    ------
    WorkDirError
        If the path (or a parent) is a file, or the folder cannot be created; the message names
        the path and the reason (read-only file system, permission denied ...).
    """
    path = Path(work_dir).absolute()
    blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise WorkDirError(f"cannot use {path} as the work directory: {blocker} is a file, not a "
                           "folder; choose another --dir")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        where = Path(err.filename) if err.filename else path
        at = f" at {where}" if where != path else ""
        raise WorkDirError(f"cannot create the work directory {path}: {describe_os_error(err)}"
                           f"{at}; choose a writable --dir") from None
    return path.resolve()


def _remove_if_stale(entry: os.DirEntry, removed: list[Path]) -> bool:
    """Delete ``entry`` if it is a temporary (see the module docstring); True if it was."""
    is_dir = entry.is_dir(follow_symlinks=False)
    if not (entry.name.startswith(SCRATCH_PREFIXES) if is_dir else TEMP_FILE.match(entry.name)):
        return False
    path = Path(entry.path)
    if is_dir:
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
    removed.append(path)
    return True


def _sweep(folder: Path, removed: list[Path], top: bool = False) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if _remove_if_stale(entry, removed) or not entry.is_dir(follow_symlinks=False):
            continue
        if not top or any(Path(entry.path).match(p) for p in WRITTEN_FOLDERS):
            _sweep(Path(entry.path), removed)


def remove_stale_temporaries(work_dir: Path) -> list[Path]:
    """Delete the temporaries interrupted runs left in the work directory (see the module).

    Call it only while holding the work directory's lock.

    Returns
    -------
    list of Path
        What was removed.
    """
    removed: list[Path] = []
    _sweep(Path(work_dir), removed, top=True)
    return removed


#: below this many free bytes, a failed write in the work directory is taken for a full disk.
NEARLY_FULL_BYTES = 2**20


def disk_was_full(err: BaseException, work_dir: Path) -> bool:
    """Whether ``err`` comes from a full disk: said so (ENOSPC ...), or an I/O error while the work
    directory's file system has (almost) no space left (numpy's short writes carry no errno)."""
    if is_disk_full(err):
        return True
    chain: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    if not any(isinstance(e, OSError) for e in chain):
        return False
    try:
        return shutil.disk_usage(work_dir).free < NEARLY_FULL_BYTES
    except OSError:
        return False


def disk_full_error(current: str, work_dir: Path) -> DiskFullError:
    """The one message of a run stopped by a full disk during ``current`` (a step, or setup)."""
    try:
        free = f"{shutil.disk_usage(work_dir).free / 2**20:.0f} MiB free now"
    except OSError:
        free = "free space unknown"
    where = f"step {current}" if current != "setup" else "the set-up of the run"
    return DiskFullError(
        f"disk full: no space left on device for the work directory {work_dir} ({free}) during "
        f"{where}. Free some space, or choose a --dir on a larger disk, and re-run the same "
        "command: completed work is kept and the run continues from there")
