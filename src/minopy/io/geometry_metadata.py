"""Attributes taken from the geometry rasters: footprint corners, heading, centre incidence angle.

Only the rows needed are read (the first and last valid rows of the box, the centre pixel).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from minopy.io.isce import open_raster

Box = tuple[int, int, int, int]


def as_band(source: Any, band: int = 1) -> Any:
    """A 2-D band: band ``band`` of the ISCE raster at a path, or ``source`` itself when it is
    already a band (anything sliceable with a ``shape``)."""
    if isinstance(source, (str, os.PathLike)):
        arr = open_raster(source)
        return arr[band - 1] if band <= arr.shape[0] else None
    return source


def _valid(row: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(row)) and np.all(row != 0))


def _edge_rows(arr: np.ndarray, box: Box, max_search: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """First and last fully valid (non-zero, finite) rows of ``arr[y0:y1, x0:x1]``, inward."""
    x0, y0, x1, y1 = box
    top = np.asarray(arr[y0, x0:x1], dtype=np.float64)
    for r in range(y0, min(y1, y0 + max_search)):
        row = np.asarray(arr[r, x0:x1], dtype=np.float64)
        if _valid(row):
            top = row
            break
    bottom = np.asarray(arr[y1 - 1, x0:x1], dtype=np.float64)
    for r in range(y1 - 1, max(y0 - 1, y1 - 1 - max_search), -1):
        row = np.asarray(arr[r, x0:x1], dtype=np.float64)
        if _valid(row):
            bottom = row
            break
    return top, bottom


def footprint(lat_file: Any, lon_file: Any, box: Box) -> dict[str, float]:
    """``LAT_REF1..4``/``LON_REF1..4``: first-row start/end, last-row start/end of the box.

    ``lat_file``/``lon_file`` are ISCE raster paths or 2-D bands.
    """
    out: dict[str, float] = {}
    for name, path in (("LAT", lat_file), ("LON", lon_file)):
        arr = as_band(path)
        top, bottom = _edge_rows(arr, box)
        out[f"{name}_REF1"] = float(top[0])
        out[f"{name}_REF2"] = float(top[-1])
        out[f"{name}_REF3"] = float(bottom[0])
        out[f"{name}_REF4"] = float(bottom[-1])
    return out


def azimuth_to_heading(azimuth_deg: float) -> float:
    """Heading (degrees clockwise from north) from ISCE's LOS azimuth angle, right-looking radar.

    ISCE's ``los`` band 2 is the azimuth of the ground-to-satellite vector, anticlockwise from
    north; for a right-looking radar the heading is ``90 - azimuth``, wrapped to (-180, 180].
    """
    heading = 90.0 - azimuth_deg
    return float(heading - np.round(heading / 360.0) * 360.0)


def _centre_value(source: Any, band: int, box: Box) -> float | None:
    arr = as_band(source, band)
    if arr is None:
        return None
    x0, y0, x1, y1 = box
    block = np.asarray(arr[(y0 + y1) // 2, x0:x1], dtype=np.float64)
    good = block[np.isfinite(block) & (block != 0)]
    if good.size == 0:
        return None
    return float(good[good.size // 2])


def geometry_attributes(
    lat_file: Any,
    lon_file: Any,
    los_file: Any,
    azimuth_band: int,
    box: Box,
    azimuth: Any = None,
) -> dict[str, Any]:
    """Footprint corners, ``CENTER_INCIDENCE_ANGLE`` and (from the LOS azimuth) ``HEADING``.

    Each source is an ISCE raster path or a 2-D band (then ``los_file`` is the incidence band and
    ``azimuth``, if given, ISCE's LOS azimuth band). The heading from the geometry is returned
    under ``HEADING`` only as a fallback value; the caller prefers the orbit's.
    """
    out: dict[str, Any] = {}
    if lat_file is not None and lon_file is not None:
        out.update(footprint(lat_file, lon_file, box))
    if los_file is not None:
        inc = _centre_value(los_file, 1, box)
        if inc is not None:
            out["CENTER_INCIDENCE_ANGLE"] = inc
        az = None
        if azimuth is not None:
            az = _centre_value(azimuth, 1, box)
        elif azimuth_band and isinstance(los_file, (str, os.PathLike)):
            az = _centre_value(los_file, azimuth_band, box)
        if az is not None:
            out["HEADING"] = azimuth_to_heading(az)
    return out
