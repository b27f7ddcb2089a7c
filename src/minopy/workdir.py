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
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from minopy.errors import WorkDirError, describe_os_error

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
