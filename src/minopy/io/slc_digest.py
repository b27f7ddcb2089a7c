"""Per-date content digests of ``slcStack.h5``: which dates' bytes changed between two loads.

Definition (version 1)
----------------------
The digest of one date's image ``D`` (``L`` rows x ``W`` columns of complex64, little-endian) is::

    row(y)  = BLAKE2b(D[y, :] as '<c8' bytes, digest_size=16)           # 16 raw bytes, y = 0..L-1
    digest  = BLAKE2b(row(0) + row(1) + ... + row(L-1), digest_size=16).hexdigest()   # 32 hex

It depends only on the date's stored values and the image shape, not on how the file was written:
the block size of the writer, the HDF5 chunk shape and compression, and whether the date was written
by a full write or appended later all give the same digest. (Hashing row by row lets a writer that
fills a row in several column blocks keep one running hash per row; see :class:`StripHasher`.)

``load_data`` stores the digests in the dataset ``slc_digest`` of ``slcStack.h5`` (fixed-length
bytes ``S32``, one per date, parallel to ``date``). :func:`read_date_digests` reads them back;
:func:`image_digest` and :func:`dataset_digests` recompute them from an array or an ``slc``
dataset.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from minopy.errors import InputDataError

#: dataset of ``slcStack.h5`` holding one hex digest per date, parallel to ``date``.
DIGEST_DATASET = "slc_digest"
#: version of the definition above (attribute ``version`` of :data:`DIGEST_DATASET`).
DIGEST_VERSION = 1
DIGEST_SIZE = 16
#: read at most this many bytes per block when recomputing digests from a file.
READ_BYTES = 64 * 1024**2


def _hasher() -> Any:
    return hashlib.blake2b(digest_size=DIGEST_SIZE)


def _row_bytes(row: np.ndarray) -> memoryview:
    """The row as a contiguous little-endian complex64 buffer (no copy when it already is)."""
    return np.ascontiguousarray(row, dtype="<c8").data


class StripHasher:
    """Running digests of dates whose images arrive in row strips, each strip in column blocks.

    Feed every strip (rows ``r0:r1`` of dates ``t0:t1``) completely, its column blocks left to
    right (:meth:`update`), then :meth:`end_strip`; strips of a date must come top to bottom. After
    the last strip, :meth:`hexdigest` gives a date's digest (see the module docstring).

    Parameters
    ----------
    num_dates : int
        Dates whose digests are kept (indices ``0..num_dates-1`` of this hasher).
    """

    def __init__(self, num_dates: int) -> None:
        self._dates = [_hasher() for _ in range(num_dates)]
        self._rows: dict[tuple[int, int], Any] = {}

    def update(self, t0: int, block: np.ndarray) -> None:
        """Add the next column block of the current strip.

        Parameters
        ----------
        t0 : int
            Index of ``block[0]``'s date in this hasher.
        block : array (dates, rows, columns)
            complex64 values of the strip's next columns.
        """
        for i in range(block.shape[0]):
            for r in range(block.shape[1]):
                key = (t0 + i, r)
                if key not in self._rows:
                    self._rows[key] = _hasher()
                self._rows[key].update(_row_bytes(block[i, r]))

    def end_strip(self) -> None:
        """The current strip is complete: fold its row digests into the date digests."""
        for (t, _), row in sorted(self._rows.items()):
            self._dates[t].update(row.digest())
        self._rows.clear()

    def hexdigest(self, t: int) -> str:
        """Digest of date ``t`` (all its strips fed)."""
        if self._rows:
            raise RuntimeError("StripHasher.hexdigest called in the middle of a strip")
        return str(self._dates[t].hexdigest())


def image_digest(image: np.ndarray) -> str:
    """Digest of one date's 2-D image (any layout in memory), per the module's definition.

    Parameters
    ----------
    image : array (L, W)
        Values of the date; converted to little-endian complex64 for hashing.
    """
    arr = np.asarray(image)
    if arr.ndim != 2:
        raise ValueError(f"image_digest needs a 2-D image, got shape {arr.shape}")
    hasher = StripHasher(1)
    hasher.update(0, arr[None])
    hasher.end_strip()
    return hasher.hexdigest(0)


def dataset_digests(ds: h5py.Dataset, read_bytes: int = READ_BYTES) -> list[str]:
    """Recompute the digest of every date of an ``(N, L, W)`` ``slc`` dataset, in row strips.

    Reads about ``read_bytes`` per block (all dates of a strip of full rows).
    """
    n, length, width = ds.shape
    rows = max(1, read_bytes // max(1, n * width * 8))
    hasher = StripHasher(n)
    for r0 in range(0, length, rows):
        hasher.update(0, np.asarray(ds[:, r0:min(length, r0 + rows), :], dtype=np.complex64))
        hasher.end_strip()
    return [hasher.hexdigest(t) for t in range(n)]


def write_digests(f: h5py.File, digests: list[str]) -> None:
    """(Re)write :data:`DIGEST_DATASET` of an open ``slcStack.h5`` (one hex digest per date)."""
    if DIGEST_DATASET in f:
        del f[DIGEST_DATASET]
    ds = f.create_dataset(DIGEST_DATASET, data=np.array(digests, dtype=f"S{2 * DIGEST_SIZE}"))
    ds.attrs["version"] = DIGEST_VERSION
    ds.attrs["definition"] = ("per date: BLAKE2b-128 over the concatenated BLAKE2b-128 digests of "
                              "its rows (little-endian complex64 bytes)")


def read_date_digests(path: str | os.PathLike) -> dict[str, str]:
    """``{YYYYMMDD: hex digest}`` of the dates of ``slcStack.h5``; ``{}`` for a stack without
    digests (written by an older minopy) or with digests of another definition version.

    Raises
    ------
    InputDataError
        If the file cannot be read, or its ``slc_digest`` and ``date`` differ in length.
    """
    path = Path(path)
    try:
        with h5py.File(path, "r") as f:
            if DIGEST_DATASET not in f or "date" not in f:
                return {}
            ds = f[DIGEST_DATASET]
            if int(ds.attrs.get("version", 0)) != DIGEST_VERSION:
                return {}
            dates = [d.decode() if isinstance(d, bytes) else str(d) for d in f["date"][()]]
            digests = [d.decode() if isinstance(d, bytes) else str(d) for d in ds[()]]
    except OSError as err:
        raise InputDataError(f"cannot read the date digests of {path}: {err}") from None
    if len(digests) != len(dates):
        raise InputDataError(f"{path}: dataset '{DIGEST_DATASET}' has {len(digests)} entries but "
                             f"'date' has {len(dates)}")
    return dict(zip(dates, digests, strict=True))
