"""The HDF5 stacks written by ``load_data``: ``slcStack.h5`` and ``geometryRadar.h5``.

Both are written block by block (bounded memory, whatever the stack size) to a temporary file that
is renamed at the end. ``slc`` is chunked so that one phase-linking patch (plus its window margins)
touches at most 3 x 3 chunks in space. :class:`SlcStack` reads patches back.

``slcStack.h5`` also records, per date, a content digest (dataset ``slc_digest``,
:mod:`minopy.io.slc_digest`) and the identity of the date's source file (dataset
``slc_source``); :mod:`minopy.io.stack_append` uses them to append new dates to the file in place
instead of writing it anew.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from minopy.errors import InputDataError
from minopy.io.atomic import atomic_path
from minopy.io.autopath import RasterSource
from minopy.io.geometry_metadata import as_band
from minopy.io.isce import open_raster
from minopy.io.signature import file_signature
from minopy.io.slc_digest import StripHasher, write_digests
from minopy.io.slc_digest import read_date_digests as read_date_digests  # re-exported

Box = tuple[int, int, int, int]
#: target size of one slc chunk (bytes).
CHUNK_BYTES = 8 * 1024**2
#: memory used for one block while loading (bytes).
BLOCK_BYTES = 256 * 1024**2
#: HDF5 compression per ``minopy.load.compression``.
COMPRESSION: dict[str, dict[str, Any]] = {
    "no": {},
    "lzf": {"compression": "lzf"},
    "gzip": {"compression": "gzip", "compression_opts": 4},
}
MASK_DATASETS = ("shadowMask", "waterMask")


def slc_chunks(num_dates: int, length: int, width: int, patch_size: int) -> tuple[int, int, int]:
    """Chunk shape of ``slc``: ``(dates, min(patch, L), min(patch, W))``, about 8 MiB each.

    Spatial chunks align with the phase-linking patches, so a patch with its margins touches at most
    3 x 3 chunk columns; the date extent packs as many dates as fit in :data:`CHUNK_BYTES`.
    """
    cy, cx = min(patch_size, length), min(patch_size, width)
    ct = max(1, min(num_dates, CHUNK_BYTES // (cy * cx * 8)))
    return (ct, cy, cx)


def attr_text(value: Any) -> str:
    """How an attribute value is stored: ``repr`` of a float (no precision lost), else ``str``."""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_attrs(obj: h5py.HLObject, attrs: Mapping[str, Any]) -> None:
    """Store ``attrs`` (but None values) on ``obj`` as strings (:func:`attr_text`)."""
    for key, value in attrs.items():
        if value is not None:
            obj.attrs[key] = attr_text(value)


def compression_options(name: str) -> dict[str, Any]:
    """h5py filter keywords of ``minopy.load.compression`` (InputDataError for another name)."""
    if name not in COMPRESSION:
        raise InputDataError(
            f"minopy.load.compression = {name!r}: expected one of {', '.join(COMPRESSION)}"
        )
    return COMPRESSION[name]


def write_slc_stack(
    path: str | os.PathLike,
    slc_files: Sequence[Any],
    dates: Sequence[str],
    bperp: np.ndarray,
    attrs: Mapping[str, Any],
    box: Box,
    patch_size: int,
    compression: str = "no",
    block_bytes: int = BLOCK_BYTES,
    progress: Callable[[int, int], None] | None = None,
    sources: Sequence[str | os.PathLike | None] | None = None,
) -> Path:
    """Write ``slcStack.h5`` from SLC rasters, atomically and with bounded memory.

    Besides ``slc``, ``date`` and ``bperp`` the file gets the per-date digests ``slc_digest``
    (:mod:`minopy.io.slc_digest`) and ``slc_source``, the identity (path, size, mtime) of each
    date's source file (:func:`source_identities`, :func:`write_sources`), which let a later
    ``load_data`` append new dates (:mod:`minopy.io.stack_append`). A leftover
    :func:`append_marker` is removed once the new file is in place.

    Parameters
    ----------
    path : path-like
        Output file.
    slc_files : sequence of path-like or 2-D bands
        One complex ISCE raster (or an opened band of a stack reader) per date (same size,
        checked by the caller).
    dates : sequence of str
        YYYYMMDD, sorted, one per file.
    bperp : array (N,)
        Perpendicular baselines relative to the first date.
    attrs : mapping
        Root attributes (MintPy names); values are stored as strings.
    box : (x0, y0, x1, y1)
        Radar window to load.
    patch_size : int
        Phase-linking patch size, used for the chunk shape.
    compression : {"no", "lzf", "gzip"}
        HDF5 filter.
    block_bytes : int
        Memory bound of one read/write block.
    progress : callable, optional
        Called with ``(blocks done, blocks total)``.
    sources : sequence of path-like or None, optional
        The file holding each date's SLC (None where no single file does); default:
        ``slc_files`` where they are paths.
    """
    path = Path(path)
    x0, y0, x1, y1 = box
    n, length, width = len(slc_files), y1 - y0, x1 - x0
    if not len(dates) == n == len(bperp):
        raise ValueError(f"{n} SLC files but {len(dates)} dates and {len(bperp)} baselines")
    identities = source_identities(dates, slc_files if sources is None else sources)
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        ds = f.create_dataset("slc", shape=(n, length, width), dtype=np.complex64,
                              chunks=slc_chunks(n, length, width, patch_size),
                              maxshape=(None, length, width), **compression_options(compression))
        digests = copy_dates(ds, slc_files, 0, box, block_bytes, progress)
        f.create_dataset("date", data=np.array(list(dates), dtype="S8"))
        f.create_dataset("bperp", data=np.asarray(bperp, dtype=np.float32))
        write_digests(f, digests)
        write_attrs(f, attrs)
        write_sources(f, identities)
        ds.attrs[BOX_ATTR] = json.dumps([int(v) for v in box])
        ds.attrs["MODIFICATION_TIME"] = str(os.path.getmtime(tmp))
    append_marker(path).unlink(missing_ok=True)  # the file is whole again
    return path


def copy_dates(
    ds: h5py.Dataset,
    slc_files: Sequence[Any],
    first: int,
    box: Box,
    block_bytes: int = BLOCK_BYTES,
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """Copy the SLCs of dates ``first ..`` into ``ds`` (shape ``(N, L, W)``) block by block.

    Blocks follow the chunk grid of ``ds`` in time (the first block ends at a chunk boundary, so
    chunks holding only dates before ``first`` are never written) and cover whole chunk rows and
    as many chunk columns as fit in ``block_bytes``.

    Parameters
    ----------
    ds : h5py.Dataset
        The ``slc`` dataset, already of its final shape ``(N, L, W)``.
    slc_files : sequence of path-like or 2-D bands
        The SLC of every date ``0 .. N-1`` (only ``first ..`` are read).
    first : int
        First date to copy.
    box : (x0, y0, x1, y1)
        Window of the sources to copy (``L = y1 - y0``, ``W = x1 - x0``).
    block_bytes : int
        Memory bound of one block.
    progress : callable, optional
        Called with ``(blocks done, blocks total)``.

    Returns
    -------
    list of str
        The digests (:mod:`minopy.io.slc_digest`) of dates ``first .. N-1``.
    """
    x0, y0, _, _ = box
    n, length, width = ds.shape
    if len(slc_files) != n:
        raise ValueError(f"{len(slc_files)} SLC files for a dataset of {n} dates")
    ct, cy, cx = ds.chunks
    cw = max(cx, (block_bytes // (ct * cy * 8)) // cx * cx)
    edges = sorted({first, n, *range((first // ct + 1) * ct, n, ct)})
    spans = [(t0, t1, r0, c0) for t0, t1 in zip(edges[:-1], edges[1:], strict=True)
             for r0 in range(0, length, cy) for c0 in range(0, width, cw)]
    sources = {i: as_band(slc_files[i]) for i in range(first, n)}
    hasher = StripHasher(n - first)
    for k, (t0, t1, r0, c0) in enumerate(spans):
        r1, c1 = min(length, r0 + cy), min(width, c0 + cw)
        block = np.empty((t1 - t0, r1 - r0, c1 - c0), dtype=np.complex64)
        for i in range(t0, t1):
            block[i - t0] = sources[i][y0 + r0:y0 + r1, x0 + c0:x0 + c1]
        ds[t0:t1, r0:r1, c0:c1] = block
        hasher.update(t0 - first, block)
        if c1 == width:
            hasher.end_strip()
        if progress is not None:
            progress(k + 1, len(spans))
    return [hasher.hexdigest(t) for t in range(n - first)]


#: dataset of ``slcStack.h5``, parallel to ``date``: per date the JSON text of what identifies
#: its source file (:func:`source_identities`). A dataset, not an attribute: attributes are
#: limited to 64 KiB, too little for the paths of some hundred dates.
SOURCES_DATASET = "slc_source"
#: attribute of ``slc``: the loaded window ``[x0, y0, x1, y1]`` of the sources (JSON).
BOX_ATTR = "MINOPY_BOX"


def append_marker(path: str | os.PathLike) -> Path:
    """``<slcStack.h5>.appending``: exists while dates are being appended to the file in place."""
    path = Path(path)
    return path.with_name(path.name + ".appending")


def write_sources(f: h5py.File, identities: Mapping[str, list[Any] | None]) -> None:
    """(Re)write :data:`SOURCES_DATASET` of an open ``slcStack.h5`` (dates in file order)."""
    if SOURCES_DATASET in f:
        del f[SOURCES_DATASET]
    f.create_dataset(SOURCES_DATASET, data=np.array(
        [json.dumps(v) for v in identities.values()], dtype=h5py.string_dtype()))


def read_sources(f: h5py.File) -> dict[str, Any] | None:
    """``{date: [absolute path, size, mtime_ns] or None}`` of an open ``slcStack.h5``; None when
    the file has no (or an incomplete) :data:`SOURCES_DATASET`."""
    if SOURCES_DATASET not in f or "date" not in f:
        return None
    dates = [d.decode() if isinstance(d, bytes) else str(d) for d in f["date"][()]]
    texts = [t.decode() if isinstance(t, bytes) else str(t) for t in f[SOURCES_DATASET][()]]
    if len(texts) != len(dates):
        return None
    return {d: json.loads(t) for d, t in zip(dates, texts, strict=True)}


def source_identities(dates: Sequence[str], sources: Sequence[Any]
                      ) -> dict[str, list[Any] | None]:
    """``{date: [absolute path, size, mtime_ns]}`` of the file holding each date's SLC.

    ``sources`` holds, per date, the path of that file or None where no single file holds the
    date (a band without a path); such a date gets None (it cannot be appended to later).
    """
    out: dict[str, list[Any] | None] = {}
    for date, src in zip(dates, sources, strict=True):
        if isinstance(src, (str, os.PathLike)):
            try:
                out[str(date)] = file_signature(src)
            except FileNotFoundError:
                raise InputDataError(f"SLC file {src} of date {date} does not exist") from None
        else:
            out[str(date)] = None
    return out


def write_geometry(
    path: str | os.PathLike,
    sources: Mapping[str, Any],
    attrs: Mapping[str, Any],
    box: Box,
    patch_size: int,
    block_rows: int = 512,
) -> Path:
    """Write ``geometryRadar.h5`` (MintPy layout) from geometry rasters, atomically.

    ``sources`` maps dataset names to a :class:`RasterSource` (band of an ISCE raster) or an
    opened 2-D band of a stack reader.

    Float datasets are float32; ``shadowMask`` is True in shadow/layover (raster value != 0) and
    ``waterMask`` True on land (ISCE value 0 = water). ``slantRangeDistance`` is computed from
    ``STARTING_RANGE`` + column x ``RANGE_PIXEL_SIZE`` of ``attrs`` (already subset) when no file
    gives it. All datasets use lzf compression.
    """
    path = Path(path)
    x0, y0, x1, y1 = box
    length, width = y1 - y0, x1 - x0
    chunks = (min(patch_size, length), min(patch_size, width))
    bands = {name: (open_raster(src.path)[src.band - 1] if isinstance(src, RasterSource)
                    else src) for name, src in sources.items()}
    compute_range = "slantRangeDistance" not in bands
    slant0 = float(attrs["STARTING_RANGE"]) if compute_range else 0.0
    step = float(attrs["RANGE_PIXEL_SIZE"]) if compute_range else 0.0
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        names = [*bands] + (["slantRangeDistance"] if compute_range else [])
        out = {}
        for name in names:
            dtype = np.bool_ if name in MASK_DATASETS else np.float32
            out[name] = f.create_dataset(name, shape=(length, width), dtype=dtype, chunks=chunks,
                                         compression="lzf")
        for r0 in range(0, length, block_rows):
            r1 = min(length, r0 + block_rows)
            for name, band in bands.items():
                block = np.asarray(band[y0 + r0:y0 + r1, x0:x1])
                out[name][r0:r1] = (block != 0) if name in MASK_DATASETS else block.astype(
                    np.float32)
            if compute_range:
                row = (slant0 + np.arange(width, dtype=np.float64) * step).astype(np.float32)
                out["slantRangeDistance"][r0:r1] = np.broadcast_to(row, (r1 - r0, width))
        geo_attrs = dict(attrs)
        geo_attrs.update({"FILE_TYPE": "geometry", "DATA_TYPE": "float32"})
        for key in ("DATE", "REF_DATE", "START_DATE", "END_DATE"):
            geo_attrs.pop(key, None)
        write_attrs(f, geo_attrs)
    return path


class SlcStack:
    """Read access to ``slcStack.h5``.

    Attributes
    ----------
    path : Path
    dates : list of str
        YYYYMMDD per layer.
    bperp : numpy.ndarray
        (N,) float32 perpendicular baselines.
    attrs : dict
        Root attributes as strings.
    shape : (N, L, W)

    Examples
    --------
    >>> stack = SlcStack("inputs/slcStack.h5")            # doctest: +SKIP
    >>> patch = stack.read(box=(0, 0, 200, 200))           # (N, 200, 200) complex64
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise InputDataError(f"SLC stack {self.path} does not exist; run the load_data step")
        try:
            with h5py.File(self.path, "r") as f:
                if "slc" not in f or "date" not in f:
                    raise InputDataError(f"{self.path} lacks the 'slc' or 'date' dataset")
                self.shape: tuple[int, int, int] = tuple(f["slc"].shape)  # type: ignore[assignment]
                self.dates = [d.decode() if isinstance(d, bytes) else str(d) for d in f["date"][:]]
                self.bperp = (np.asarray(f["bperp"][:], dtype=np.float32) if "bperp" in f
                              else np.zeros(len(self.dates), np.float32))
                self.attrs = {k: (v.decode() if isinstance(v, bytes) else str(v))
                              for k, v in f.attrs.items()}
        except OSError as err:
            raise InputDataError(f"cannot read SLC stack {self.path}: {err}") from None
        self._file: h5py.File | None = None

    @property
    def num_dates(self) -> int:
        return self.shape[0]

    @property
    def length(self) -> int:
        return self.shape[1]

    @property
    def width(self) -> int:
        return self.shape[2]

    def _dataset(self) -> h5py.Dataset:
        if self._file is None:
            self._file = h5py.File(self.path, "r", rdcc_nbytes=64 * 1024**2)
        return self._file["slc"]

    def read(self, box: Box | None = None, dates: slice | Sequence[int] | None = None
             ) -> np.ndarray:
        """Read ``slc[dates, y0:y1, x0:x1]`` as complex64 of shape ``(n, y1-y0, x1-x0)``.

        Parameters
        ----------
        box : (x0, y0, x1, y1) or None
            Pixel window; None for the whole image.
        dates : slice, sequence of int or None
            Layers to read; None for all.
        """
        x0, y0, x1, y1 = box if box is not None else (0, 0, self.width, self.length)
        if not (0 <= x0 < x1 <= self.width and 0 <= y0 < y1 <= self.length):
            raise ValueError(f"box {box} is outside the stack of {self.length} x {self.width}")
        sel: Any = slice(None) if dates is None else dates
        if not isinstance(sel, slice):
            sel = np.asarray(sel)
            if sel.dtype == bool:
                sel = np.flatnonzero(sel)
            sel = [int(i) for i in sel]
        return np.asarray(self._dataset()[sel, y0:y1, x0:x1], dtype=np.complex64)

    def close(self) -> None:
        """Close the HDF5 file if open."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> SlcStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_file"] = None
        return state

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown
            self.close()


def log_progress(log: logging.Logger, what: str) -> Callable[[int, int], None]:
    """A progress callback logging ``what: k/n blocks`` about ten times."""

    def report(done: int, total: int) -> None:
        if done == total or done % max(1, total // 10) == 0:
            log.info("%s: %d/%d blocks", what, done, total)

    return report
