"""Atomic file writing: write to a temporary name in the same folder, then rename.

A killed run therefore never leaves a half-written file under the final name, and the presence of
the final file means it is complete.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temp_name(final: Path) -> Path:
    """Return the temporary path used while ``final`` is being written (same folder)."""
    final = Path(final)
    return final.with_name(f".{final.name}.part{os.getpid()}")


@contextmanager
def atomic_path(final: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path; on success rename it to ``final``, on error delete it.

    Parameters
    ----------
    final : path-like
        The destination file. Its folder is created if missing.

    Examples
    --------
    >>> with atomic_path("out.h5") as tmp:       # doctest: +SKIP
    ...     with h5py.File(tmp, "w") as f:
    ...         f["x"] = 1
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(final)
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(final: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``final`` atomically and return the final path."""
    with atomic_path(final) as tmp:
        tmp.write_text(text)
    return Path(final)
