"""Content digests of the dates of ``inverted/phase_series.h5``: what a pair's products depend on.

The digest of date ``d`` in dataset ``name`` (``phase`` or ``amplitude``, ``(N, L, W)``) is the
BLAKE2b hex digest (``digest_size=16``) of ``name[d]``'s bytes in C order (rows top to bottom, the
stored dtype in little-endian byte order). It is computed in row blocks of bounded memory and does
not depend on the block size, so a pair's stamp can tell whether its two dates' values changed even
when the file was rewritten (a new date added by ``concatenate_patch``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from minopy.errors import InputDataError

#: the datasets a pair's interferogram and coherence are formed from.
PAIR_DATASETS = ("phase", "amplitude")
#: bytes read per block.
READ_BYTES = 64 * 1024**2


def _little_endian(block: np.ndarray) -> memoryview:
    """``block`` as a contiguous little-endian buffer (no copy when it already is)."""
    return np.ascontiguousarray(block, dtype=block.dtype.newbyteorder("<")).data


def dataset_date_digests(ds: h5py.Dataset, indices: Sequence[int],
                         read_bytes: int = READ_BYTES) -> list[str]:
    """Digest of ``ds[i]`` for every ``i`` in ``indices`` (see the module), in row blocks.

    Parameters
    ----------
    ds : h5py.Dataset
        ``(N, L, W)`` dataset.
    indices : sequence of int
        Dates to hash (any order, no repeats).
    read_bytes : int
        About the bytes read per block (all requested dates of a strip of rows).
    """
    order = sorted(indices)
    if not order:
        return []
    if len(set(order)) != len(order):
        raise ValueError(f"repeated date indices {list(indices)}")
    n, length, width = ds.shape
    hashers = {i: hashlib.blake2b(digest_size=16) for i in order}
    rows = max(1, read_bytes // max(1, len(order) * width * ds.dtype.itemsize))
    sel: Any = slice(None) if order == list(range(n)) else order
    for r0 in range(0, length, rows):
        block = np.asarray(ds[sel, r0:min(length, r0 + rows), :])
        for k, i in enumerate(order):
            hashers[i].update(_little_endian(block[k]))
    return [hashers[i].hexdigest() for i in indices]


def series_digests(path: str | os.PathLike, dates: Sequence[str] | None = None,
                   read_bytes: int = READ_BYTES) -> dict[str, dict[str, str]]:
    """``{date: {"phase": hex, "amplitude": hex}}`` of ``phase_series.h5`` (all dates or ``dates``).

    Raises
    ------
    InputDataError
        If the file cannot be read, lacks a dataset, or a date is not in it.
    """
    path = Path(path)
    try:
        with h5py.File(path, "r") as f:
            for name in ("date", *PAIR_DATASETS):
                if name not in f:
                    raise InputDataError(f"{path} lacks the dataset '{name}'")
            stored = [d.decode() if isinstance(d, bytes) else str(d) for d in f["date"][()]]
            wanted = list(stored) if dates is None else list(dates)
            missing = [d for d in wanted if d not in stored]
            if missing:
                raise InputDataError(f"{path}: date(s) {', '.join(missing)} not in the file")
            indices = [stored.index(d) for d in wanted]
            out: dict[str, dict[str, str]] = {d: {} for d in wanted}
            for name in PAIR_DATASETS:
                for d, h in zip(wanted, dataset_date_digests(f[name], indices, read_bytes),
                                strict=True):
                    out[d][name] = h
    except OSError as err:
        raise InputDataError(f"cannot read {path}: {err}") from None
    return out
