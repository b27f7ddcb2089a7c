"""Reading what the figures show: dates, decimated maps, mean amplitude, velocity fits, points.

Everything here reads block-wise or decimated so that figures of large stacks stay cheap in memory:
maps are read with a row/column stride (:func:`minopy.plot.maps.display_step`) and 3-D stacks one
date (or one block of rows) at a time.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import h5py
import numpy as np

from minopy.errors import InputDataError
from minopy.io.isce import open_raster
from minopy.plot.maps import display_step

#: Largest number of dates averaged for the mean-amplitude map.
MAX_AMPLITUDE_DATES = 30
#: Rows per block when fitting velocities to a time-series file.
FIT_BLOCK_ROWS = 256


def parse_dates(raw: np.ndarray | list) -> list[datetime]:
    """Convert YYYYMMDD strings or bytes (an ``S8`` dataset) to datetimes."""
    out = []
    for d in raw:
        text = d.decode() if isinstance(d, bytes | np.bytes_) else str(d)
        try:
            out.append(datetime.strptime(text.strip()[:8], "%Y%m%d"))
        except ValueError as err:
            raise InputDataError(f"date {text!r} is not YYYYMMDD") from err
    return out


def decimal_years(dates: list[datetime]) -> np.ndarray:
    """Dates as decimal years (e.g. 2020.5), the time axis of velocity fits."""
    out = []
    for d in dates:
        start = datetime(d.year, 1, 1)
        length = (datetime(d.year + 1, 1, 1) - start).total_seconds()
        out.append(d.year + (d - start).total_seconds() / length)
    return np.asarray(out, dtype=np.float64)


def _require(f: h5py.File, name: str, ndim: int) -> h5py.Dataset:
    if name not in f:
        raise InputDataError(f"{f.filename} has no dataset {name!r}; it has {sorted(f.keys())}")
    dset = f[name]
    if dset.ndim != ndim:
        raise InputDataError(
            f"{f.filename}: dataset {name!r} has shape {dset.shape}, expected {ndim} dimensions"
        )
    return dset


def read_h5_map(path: str | os.PathLike, name: str, index: int | None = None,
                step: int | None = None) -> tuple[np.ndarray, int]:
    """Read a 2-D map (or one slice of a 3-D dataset) decimated for display.

    Parameters
    ----------
    path : path-like
        HDF5 file.
    name : str
        Dataset name.
    index : int, optional
        First-axis index for a 3-D dataset.
    step : int, optional
        Decimation stride; default :func:`display_step` of the dataset shape.

    Returns
    -------
    (ndarray, int)
        The decimated map and the stride used.
    """
    with h5py.File(path, "r") as f:
        dset = _require(f, name, 2 if index is None else 3)
        step = step or display_step(dset.shape)
        if index is None:
            return dset[::step, ::step], step
        return dset[index, ::step, ::step], step


def optional_h5_map(path: Path, name: str, index: int | None = None,
                    step: int | None = None) -> np.ndarray | None:
    """Decimated map from an HDF5 file, or None if the file or dataset is missing."""
    if not path.exists():
        return None
    with h5py.File(path, "r") as f:
        if name not in f:
            return None
    return read_h5_map(path, name, index, step)[0]


def optional_raster_map(path: Path, band: int = 1) -> np.ndarray | None:
    """Decimated band of an ISCE raster, or None if the raster is missing."""
    if not (path.exists() and (Path(f"{path}.xml").exists() or Path(f"{path}.vrt").exists())):
        return None
    arr = open_raster(path)
    step = display_step(arr.shape)
    return np.array(arr[band - 1, ::step, ::step])


def mean_amplitude(slc_file: str | os.PathLike, max_dates: int = MAX_AMPLITUDE_DATES,
                   step: int | None = None) -> tuple[np.ndarray, int, int]:
    """Mean amplitude ``|slc|`` of a stack, over at most ``max_dates`` evenly spaced dates.

    The stack is read one date at a time, decimated by ``step``.

    Returns
    -------
    (ndarray, int, int)
        Mean amplitude map, stride used, number of dates averaged.
    """
    with h5py.File(slc_file, "r") as f:
        dset = _require(f, "slc", 3)
        n = dset.shape[0]
        step = step or display_step(dset.shape)
        idx = np.unique(np.linspace(0, n - 1, min(n, max_dates)).round().astype(int))
        total = None
        for i in idx:
            amp = np.abs(dset[int(i), ::step, ::step]).astype(np.float64)
            total = amp if total is None else total + amp
    return total / len(idx), step, len(idx)


def fit_velocity(ts_file: str | os.PathLike, step: int | None = None
                 ) -> tuple[np.ndarray, int]:
    """Least-squares linear velocity (m/year) of each pixel of a MintPy ``timeseries.h5``.

    The fit ``d(t) = v t + c`` is solved for all pixels at once with the pseudo-inverse of the
    design matrix, over blocks of rows of the decimated grid.

    Returns
    -------
    (ndarray, int)
        Velocity map in m/year (NaN where any date is NaN) and the stride used.
    """
    with h5py.File(ts_file, "r") as f:
        dset = _require(f, "timeseries", 3)
        years = decimal_years(parse_dates(f["date"][()])) if "date" in f else None
        if years is None or len(years) != dset.shape[0]:
            raise InputDataError(f"{ts_file}: 'date' must list one YYYYMMDD per time-series layer")
        if len(years) < 2:
            raise InputDataError(
                f"{ts_file}: a velocity needs at least 2 dates, found {len(years)}"
            )
        step = step or display_step(dset.shape)
        design = np.column_stack([years - years[0], np.ones_like(years)])
        pinv = np.linalg.pinv(design)
        n, length, width = dset.shape
        rows = range(0, length, step)
        out = np.empty((len(rows), len(range(0, width, step))), dtype=np.float64)
        for b0 in range(0, len(rows), FIT_BLOCK_ROWS):
            r0 = rows[b0]
            r1 = min(length, r0 + FIT_BLOCK_ROWS * step)
            block = dset[:, r0:r1:step, ::step].astype(np.float64)
            coef = pinv[0] @ block.reshape(n, -1)
            out[b0:b0 + block.shape[1]] = coef.reshape(block.shape[1:])
    return out, step


def read_point_series(ts_file: str | os.PathLike, points: list[tuple[int, int]]
                      ) -> tuple[list[datetime], np.ndarray]:
    """Displacement time series (m) of pixels ``(y, x)`` of a MintPy ``timeseries.h5``.

    Returns
    -------
    (list of datetime, ndarray (P, N))
    """
    with h5py.File(ts_file, "r") as f:
        dset = _require(f, "timeseries", 3)
        dates = parse_dates(f["date"][()])
        _, length, width = dset.shape
        series = []
        for y, x in points:
            if not (0 <= y < length and 0 <= x < width):
                raise InputDataError(
                    f"pixel y={y} x={x} is outside {ts_file} ({length} rows x {width} columns)"
                )
            series.append(dset[:, y, x].astype(np.float64))
    return dates, np.asarray(series).reshape(len(points), len(dates))


def pick_points(quality: np.ndarray, count: int, min_distance: float | None = None,
                exclude: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Pick up to ``count`` pixels of highest ``quality``, spread at least ``min_distance`` apart.

    Parameters
    ----------
    quality : ndarray (L, W)
        E.g. temporal coherence; NaN pixels are never picked.
    count : int
        How many points to return.
    min_distance : float, optional
        Minimum pixel distance between points (default: a tenth of the larger side).
    exclude : list of (y, x), optional
        Points already chosen (e.g. the reference point) that new points keep away from.
    """
    q = np.asarray(quality, dtype=np.float64)
    flat = np.where(np.isfinite(q), q, -np.inf).ravel()
    if min_distance is None:
        min_distance = max(q.shape) / 10.0
    candidates = min(flat.size, max(1000, 50 * count))
    top = np.argpartition(-flat, candidates - 1)[:candidates] if candidates < flat.size else \
        np.arange(flat.size)
    top = top[np.argsort(-flat[top], kind="stable")]
    chosen: list[tuple[int, int]] = list(exclude or [])
    picked: list[tuple[int, int]] = []
    for k in top:
        if len(picked) >= count or not np.isfinite(flat[k]):
            break
        y, x = divmod(int(k), q.shape[1])
        if all((y - cy) ** 2 + (x - cx) ** 2 >= min_distance ** 2 for cy, cx in chosen):
            chosen.append((y, x))
            picked.append((y, x))
    return picked


def newest_timeseries(directory: Path) -> Path | None:
    """The most recently written ``timeseries*.h5`` of a MintPy directory (the last correction)."""
    files = [p for p in directory.glob("timeseries*.h5") if p.is_file()]
    if not files:
        return None
    return max(files, key=lambda p: (p.stat().st_mtime, len(p.name)))


def read_reliable_mask(network_dir: Path, shape: tuple[int, int], step: int,
                       geo: bool = False) -> np.ndarray | None:
    """``maskTempCoh`` (or ``geo/geo_maskTempCoh``) decimated by ``step``, if it fits ``shape``.

    ``shape`` is the decimated shape of the map it masks; None when the file is missing or on
    another grid.
    """
    path = network_dir / "geo" / "geo_maskTempCoh.h5" if geo else network_dir / "maskTempCoh.h5"
    if not path.is_file():
        return None
    with h5py.File(path, "r") as f:
        if "mask" not in f:
            return None
        mask = np.asarray(f["mask"][::step, ::step]).astype(bool)
    return mask if mask.shape == tuple(shape) else None
