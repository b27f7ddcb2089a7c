"""Phase-linking patches: the patch grid, reading a patch block and patch result files.

The image is tiled into non-overlapping square *cores* of ``patchSize`` pixels. Each core is read
with a margin of half the SHP window, ``(azimuthWindow // 2, rangeWindow // 2)``, clipped to the
image, so every output pixel sees the same neighbourhood it would see in one big patch: the tiled
outputs have no seams.

One patch's result is a single file ``PATCHES/PATCH_<i:04d>/result.npz``, written atomically
(temporary name + rename), so its presence means it is complete. It stores the patch
``fingerprint`` (hash of the options and inputs); a result with another fingerprint is stale.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from minopy.errors import InputDataError
from minopy.io import signature
from minopy.io.fingerprinted_npz import npz_fingerprint, write_npz
from minopy.io.signature import digest

#: name of a patch's result file inside its folder.
RESULT_NAME = "result.npz"
#: arrays of a patch result (``PatchResult`` fields) stored in the result file.
RESULT_FIELDS = ("phase", "amplitude", "shp_count", "temporal_coherence", "ps_mask",
                 "amp_dispersion", "top_eigenvalues", "estimator", "crlb_std")


@dataclass(frozen=True)
class PatchBox:
    """One patch: its output core and the larger block read to compute it (with margins).

    Attributes
    ----------
    index : int
        Row-major patch number.
    row0, row1, col0, col1 : int
        Core bounds in image pixels (half-open): the pixels this patch outputs.
    read_row0, read_row1, read_col0, read_col1 : int
        Bounds of the block read from the SLC stack: the core plus the margins, clipped.
    """

    index: int
    row0: int
    row1: int
    col0: int
    col1: int
    read_row0: int
    read_row1: int
    read_col0: int
    read_col1: int

    @property
    def name(self) -> str:
        """Folder name, ``PATCH_0003``."""
        return f"PATCH_{self.index:04d}"

    @property
    def core_in_block(self) -> tuple[int, int, int, int]:
        """Core bounds relative to the read block: ``(row0, row1, col0, col1)``."""
        return (self.row0 - self.read_row0, self.row1 - self.read_row0,
                self.col0 - self.read_col0, self.col1 - self.read_col0)

    @property
    def shape(self) -> tuple[int, int]:
        """Core shape ``(rows, cols)``."""
        return self.row1 - self.row0, self.col1 - self.col0

    def output_bounds(self, strides: tuple[int, int] = (1, 1)) -> tuple[int, int, int, int]:
        """``(row0, row1, col0, col1)`` of the core's output pixels on the coarse grid of
        ``strides`` (the core itself for 1,1)."""
        sa, sr = (int(v) for v in strides)
        r0, c0 = self.row0 // sa, self.col0 // sr
        return (r0, r0 + (self.row1 - self.row0) // sa, c0, c0 + (self.col1 - self.col0) // sr)

    def describe(self) -> str:
        """``PATCH_0003 (rows 0:200, cols 400:600)``."""
        return f"{self.name} (rows {self.row0}:{self.row1}, cols {self.col0}:{self.col1})"


def _starts(size: int, patch: int, stride: int = 1) -> list[tuple[int, int]]:
    """Split ``[0, size)`` into pieces of ``patch``; a last piece < patch/4 joins the previous.

    With an output ``stride`` the pieces start at multiples of it (``patch`` rounded down to a
    multiple, at least one stride) and the last one runs to ``size``, so each piece holds whole
    stride cells (its output pixels: ``start // stride`` up to the next piece's)."""
    patch = max(stride, patch - patch % stride)
    edges = list(range(0, size - size % stride if size >= stride else size, patch)) + [size]
    if len(edges) > 2 and edges[-1] - edges[-2] < stride:  # a tail shorter than a cell
        edges.pop(-2)
    pieces = list(zip(edges[:-1], edges[1:], strict=True))
    if len(pieces) > 1 and pieces[-1][1] - pieces[-1][0] < max(1, patch // 4):
        last = pieces.pop()
        pieces[-1] = (pieces[-1][0], last[1])
    return pieces


def patch_grid(length: int, width: int, patch_size: int,
               margin: tuple[int, int], strides: tuple[int, int] = (1, 1)) -> list[PatchBox]:
    """Tile a ``length`` x ``width`` image into patches with read margins.

    Parameters
    ----------
    length, width : int
        Image size in rows and columns.
    patch_size : int
        Edge of the square cores (the last row/column of cores may be up to 1.25x larger).
    margin : (int, int)
        Rows and columns added on each side of a core when reading (half the SHP window).
    strides : (int, int)
        Output strides: cores start at multiples of them (see :func:`_starts`), so a core's
        output pixels are :meth:`PatchBox.output_bounds`.

    Returns
    -------
    list of PatchBox
        Row-major; the cores cover the image exactly once.
    """
    if length < 1 or width < 1 or patch_size < 1:
        raise ValueError(f"bad patch grid request: image {length}x{width}, patch {patch_size}")
    mr, mc = int(margin[0]), int(margin[1])
    boxes: list[PatchBox] = []
    for r0, r1 in _starts(length, patch_size, int(strides[0])):
        for c0, c1 in _starts(width, patch_size, int(strides[1])):
            boxes.append(PatchBox(len(boxes), r0, r1, c0, c1, max(0, r0 - mr),
                                  min(length, r1 + mr), max(0, c0 - mc), min(width, c1 + mc)))
    return boxes


def result_path(patches_dir: Path, box: PatchBox) -> Path:
    """Path of a patch's result file, ``<patches_dir>/PATCH_0003/result.npz``."""
    return Path(patches_dir) / box.name / RESULT_NAME


def fingerprint(payload: dict[str, Any]) -> str:
    """SHA-256 hex digest of a JSON-serialisable description of options and inputs."""
    return digest(payload)


def file_signature(path: str | Path | None) -> list[Any] | None:
    """``[absolute path, size, mtime_ns]`` of a file (None for None), for fingerprints."""
    return None if path is None else signature.file_signature(path)


def read_mask_array(mask_file: str | Path, shape: tuple[int, int],
                    box: tuple[int, int, int, int] | None = None) -> np.ndarray:
    """Read a processing mask (True = process) from an HDF5 file.

    Parameters
    ----------
    mask_file : path
        HDF5 file with dataset ``mask``, or else its first 2-D dataset.
    shape : (int, int)
        Expected ``(length, width)`` (that of the SLC stack).
    box : (row0, row1, col0, col1), optional
        Block to read; default the whole mask.

    Returns
    -------
    ndarray of bool

    Raises
    ------
    InputDataError
        If the file is missing or unreadable, has no 2-D dataset, or its shape differs.
    """
    mask_file = Path(mask_file)
    if not mask_file.is_file():
        raise InputDataError(f"minopy.inversion.mask: file {mask_file} does not exist")
    try:
        with h5py.File(mask_file, "r") as f:
            name = "mask" if "mask" in f else None
            if name is None:
                found: list[str] = []
                f.visititems(lambda n, o: found.append(n)
                             if isinstance(o, h5py.Dataset) and o.ndim == 2 else None)
                name = found[0] if found else None
            if name is None:
                raise InputDataError(
                    f"minopy.inversion.mask: {mask_file} has no dataset 'mask' and no 2-D "
                    "dataset; expected a (length, width) mask, nonzero = process")
            dset = f[name]
            if dset.shape != tuple(shape):
                raise InputDataError(
                    f"minopy.inversion.mask: dataset '{name}' of {mask_file} has shape "
                    f"{dset.shape}; expected {tuple(shape)} (the size of slcStack.h5)")
            data = dset[()] if box is None else dset[box[0]:box[1], box[2]:box[3]]
    except OSError as exc:
        raise InputDataError(f"minopy.inversion.mask: cannot read {mask_file}: {exc}") from exc
    data = np.asarray(data)
    if np.issubdtype(data.dtype, np.floating):
        return np.isfinite(data) & (data != 0)
    return data != 0


def read_block(slc_file: str | Path, box: PatchBox, dates: slice = slice(None)
               ) -> tuple[np.ndarray, np.ndarray]:
    """Read a patch block (with margins) of the ``dates`` (default all) and mark its no-data
    pixels.

    A pixel is no-data when any date is NaN/inf or exactly zero (a valid SLC sample is never
    exactly 0). All samples of a no-data pixel are set to NaN, which the phase-linking core treats
    as no-data: such a pixel is never an SHP of its neighbours and its outputs are NaN/0, so
    missing data cannot leak into neighbouring pixels.

    Returns
    -------
    slc : ndarray (N, H, W) complex64
        The block, no-data pixels set to NaN on every date.
    valid_per_date : ndarray (N, H, W) bool
        True where a sample was finite and nonzero (before the no-data pixels were blanked).
    """
    with h5py.File(slc_file, "r") as f:
        slc = np.asarray(f["slc"][dates, box.read_row0:box.read_row1,
                                  box.read_col0:box.read_col1], dtype=np.complex64)
    good = np.isfinite(slc) & (slc != 0)
    nodata = ~good.all(axis=0)
    if nodata.any():
        slc[:, nodata] = np.complex64(complex(np.nan, np.nan))
    return slc, good


def write_result(path: Path, arrays: dict[str, np.ndarray], box: PatchBox, fp: str,
                 valid_per_date: np.ndarray) -> None:
    """Write a patch result file atomically (uncompressed ``.npz``)."""
    meta = np.array([box.row0, box.row1, box.col0, box.col1], dtype=np.int64)
    write_npz(path, fp, {"box": meta, "valid_per_date": valid_per_date, **arrays})


#: the fingerprint stored in a result file, or None if absent or unreadable.
result_fingerprint = npz_fingerprint


def read_result(path: Path, box: PatchBox, names: tuple[str, ...] = RESULT_FIELDS
                ) -> dict[str, np.ndarray]:
    """Read the arrays ``names`` (plus ``valid_per_date``) of a patch result file.

    Raises
    ------
    InputDataError
        If the file is unreadable or was written for another patch box.
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            stored = tuple(int(v) for v in data["box"])
            if stored != (box.row0, box.row1, box.col0, box.col1):
                raise InputDataError(
                    f"{path}: written for rows {stored[0]}:{stored[1]}, cols {stored[2]}:"
                    f"{stored[3]}, expected {box.describe()}; re-run the phase_linking step")
            return {name: data[name] for name in (*names, "valid_per_date")}
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise InputDataError(f"{path}: unreadable patch result ({exc}); delete it and re-run "
                             "the phase_linking step") from exc
