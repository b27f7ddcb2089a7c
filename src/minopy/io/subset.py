"""Subset boxes in radar coordinates from ``minopy.subset.yx`` or ``minopy.subset.lalo``.

Boxes follow MintPy's convention ``(x0, y0, x1, y1)``: columns ``x0:x1``, rows ``y0:y1``. A
geographic subset is converted through the lat/lon lookup rasters, read a block of rows at a time,
to the tightest radar box holding every pixel inside the latitude/longitude box.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minopy.errors import InputDataError
from minopy.io.geometry_metadata import as_band

Box = tuple[int, int, int, int]


def box_from_yx(
    yx: tuple[tuple[int, int], tuple[int, int]], length: int, width: int
) -> Box:
    """Radar box of ``minopy.subset.yx = y0:y1,x0:x1``; InputDataError if not inside the image."""
    (y0, y1), (x0, x1) = yx
    if y0 < 0 or x0 < 0 or y1 > length or x1 > width:
        raise InputDataError(
            f"minopy.subset.yx = {y0}:{y1},{x0}:{x1} is outside the image: expected rows within "
            f"0:{length} and columns within 0:{width}"
        )
    return (int(x0), int(y0), int(x1), int(y1))


def box_from_lalo(
    lalo: tuple[tuple[float, float], tuple[float, float]],
    lat_file: Any,
    lon_file: Any,
    block_rows: int = 256,
) -> Box:
    """Tightest radar box covering ``minopy.subset.lalo = S:N,W:E`` through the lookup rasters.

    Parameters
    ----------
    lalo : ((S, N), (W, E))
        Latitude and longitude ranges in degrees.
    lat_file, lon_file : path-like or 2-D band
        Latitude/longitude of each radar pixel (ISCE ``lat.rdr[.full]``, ``lon.rdr[.full]``, or
        bands opened by a stack reader).
    block_rows : int
        Rows read at a time (memory bound).

    Raises
    ------
    InputDataError
        If no pixel of the image falls in the box.
    """
    (south, north), (west, east) = lalo
    lat = as_band(lat_file)
    lon = as_band(lon_file)
    if lat.shape != lon.shape:
        raise InputDataError(
            f"latitude {lat_file} is {lat.shape[0]} x {lat.shape[1]} but longitude {lon_file} is "
            f"{lon.shape[0]} x {lon.shape[1]}"
        )
    length, width = lat.shape
    rows: list[int] = []
    col_min, col_max = width, -1
    for r0 in range(0, length, block_rows):
        r1 = min(length, r0 + block_rows)
        la = np.asarray(lat[r0:r1], dtype=np.float64)
        lo = np.asarray(lon[r0:r1], dtype=np.float64)
        inside = (la >= south) & (la <= north) & (lo >= west) & (lo <= east) & (la != 0) & (lo != 0)
        if not inside.any():
            continue
        rr = np.flatnonzero(inside.any(axis=1))
        rows += [r0 + int(rr[0]), r0 + int(rr[-1])]
        cc = np.flatnonzero(inside.any(axis=0))
        col_min, col_max = min(col_min, int(cc[0])), max(col_max, int(cc[-1]))
    if not rows:
        lat_rng = _range(lat, block_rows)
        lon_rng = _range(lon, block_rows)
        raise InputDataError(
            f"minopy.subset.lalo = {south}:{north},{west}:{east} is outside the image: its "
            f"latitudes span {lat_rng[0]:.5f}:{lat_rng[1]:.5f} and longitudes "
            f"{lon_rng[0]:.5f}:{lon_rng[1]:.5f} ({lat_file}, {lon_file})"
        )
    return (col_min, min(rows), col_max + 1, max(rows) + 1)


def _range(arr: np.ndarray, block_rows: int) -> tuple[float, float]:
    lo, hi = np.inf, -np.inf
    for r0 in range(0, arr.shape[0], block_rows):
        block = np.asarray(arr[r0:r0 + block_rows], dtype=np.float64)
        block = block[np.isfinite(block) & (block != 0)]
        if block.size:
            lo, hi = min(lo, block.min()), max(hi, block.max())
    return float(lo), float(hi)


def check_box_size(box: Box, azimuth_window: int, range_window: int, source: str) -> None:
    """InputDataError if the box is smaller than the phase-linking search window."""
    x0, y0, x1, y1 = box
    if (y1 - y0) < azimuth_window or (x1 - x0) < range_window:
        raise InputDataError(
            f"{source}: the area to load, {y1 - y0} rows x {x1 - x0} columns (rows {y0}:{y1}, "
            f"columns {x0}:{x1}), is smaller than the phase-linking window "
            f"minopy.inversion.azimuthWindow = {azimuth_window} x minopy.inversion.rangeWindow = "
            f"{range_window}; choose a larger subset or smaller windows"
        )
