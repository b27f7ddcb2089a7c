"""Radar attributes a stack's metadata may lack, derived from its geometry or defaulted.

GDAL rasters, GAMMA and OPERA products do not all carry every attribute MintPy's later steps read.
:func:`complete_attributes` fills, in this order, what the product and the template left unknown:

- ``slantRangeDistance`` (a band): from the incidence angle on a spherical Earth (law of sines
  with ``EARTH_RADIUS`` and the satellite ``HEIGHT``) for geocoded stacks, whose columns are not
  range bins, and whenever ``STARTING_RANGE``/``RANGE_PIXEL_SIZE`` are unknown;
- ``STARTING_RANGE`` and ``RANGE_PIXEL_SIZE`` from that slant range along the centre row
  (geocoded: ``RANGE_PIXEL_SIZE`` is the ground spacing times the sine of the incidence);
- ``AZIMUTH_PIXEL_SIZE`` of a geocoded stack: the grid's north spacing in metres;
- the reader's :attr:`StackInputs.defaults` (e.g. a Sentinel-1-like satellite height), each
  named in one warning with the template key that sets it.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from minopy.config import option_key
from minopy.errors import InputDataError
from minopy.io.isce_metadata import TEMPLATE_OVERRIDES, orbit_direction_of
from minopy.io.readers.base import Band, StackInputs

#: mean Earth radius (m), for metres per degree of a geographic grid.
MEAN_EARTH_RADIUS = 6371008.8


def slant_range_from_incidence(inc_deg: np.ndarray, earth_radius: float, height: float
                               ) -> np.ndarray:
    """Slant range (m) of targets seen at incidence ``inc_deg`` from a satellite ``height`` above
    a sphere of radius ``earth_radius`` (law of sines in the Earth centre-satellite-target
    triangle)."""
    inc = np.radians(np.asarray(inc_deg, dtype=np.float64))
    r_sat = earth_radius + height
    look = np.arcsin(np.clip(earth_radius * np.sin(inc) / r_sat, -1.0, 1.0))
    beta = inc - look
    return np.sqrt(earth_radius**2 + r_sat**2 - 2.0 * earth_radius * r_sat * np.cos(beta))


class SlantRangeBand:
    """Slant range (m, float32) computed from an incidence-angle band when sliced."""

    def __init__(self, incidence: Band, earth_radius: float, height: float) -> None:
        self.incidence = incidence
        self.earth_radius = float(earth_radius)
        self.height = float(height)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.incidence.shape)

    def __getitem__(self, key: Any) -> np.ndarray:
        inc = np.asarray(self.incidence[key], dtype=np.float64)
        out = slant_range_from_incidence(inc, self.earth_radius, self.height)
        out[~np.isfinite(inc) | (inc <= 0)] = np.nan
        return out.astype(np.float32)


def _unknown(attrs: dict[str, Any], key: str) -> bool:
    return attrs.get(key) in (None, "")


def _centre_row(band: Band) -> np.ndarray:
    length = int(band.shape[-2])
    return np.asarray(band[length // 2, :], dtype=np.float64)


def _ground_steps(stack: StackInputs) -> tuple[float, float]:
    """East and north pixel spacing (m) of a geocoded stack's grid."""
    grid = stack.grid
    assert grid is not None
    if not grid.is_geographic:
        return abs(grid.dx), abs(grid.dy)
    lat = grid.y0 + grid.dy * grid.length / 2.0
    per_deg = MEAN_EARTH_RADIUS * math.pi / 180.0
    return abs(grid.dx) * per_deg * math.cos(math.radians(lat)), abs(grid.dy) * per_deg


def complete_attributes(attrs: dict[str, Any], stack: StackInputs, log: logging.Logger
                        ) -> dict[str, Any]:
    """Fill the attributes ``attrs`` lacks (see the module doc); may add the
    ``slantRangeDistance`` band to ``stack.geometry``.

    Raises
    ------
    InputDataError
        If the slant range must be derived but the stack has no incidence angle.
    """
    out = dict(attrs)
    used: dict[str, Any] = {}
    for key, value in stack.defaults.items():
        if _unknown(out, key):
            out[key] = value
            used[key] = value
    if _unknown(out, "ORBIT_DIRECTION") and not _unknown(out, "HEADING"):
        out["ORBIT_DIRECTION"] = orbit_direction_of(None, float(out["HEADING"]))
    derive_range = "slantRangeDistance" not in stack.geometry and (
        stack.grid is not None or _unknown(out, "STARTING_RANGE")
        or _unknown(out, "RANGE_PIXEL_SIZE"))
    if derive_range:
        inc = stack.geometry.get("incidenceAngle")
        if inc is None:
            raise InputDataError(
                f"{stack.meta_source}: the slant range of each pixel cannot be derived without an "
                "incidence angle; set minopy.load.incAngleFile (or give minopy.load.startingRange "
                "and minopy.load.rangePixelSize for a radar-coordinate stack)")
        band = SlantRangeBand(inc, float(out["EARTH_RADIUS"]), float(out["HEIGHT"]))
        stack.geometry["slantRangeDistance"] = band
        row = _centre_row(band)
        good = np.flatnonzero(np.isfinite(row))
        if good.size and _unknown(out, "STARTING_RANGE"):
            out["STARTING_RANGE"] = float(row[good[0]])
            used["STARTING_RANGE"] = "from the incidence angle"
        if good.size > 1 and _unknown(out, "RANGE_PIXEL_SIZE"):
            if stack.grid is None:
                step = (row[good[-1]] - row[good[0]]) / float(good[-1] - good[0])
            else:
                inc_row = _centre_row(inc)
                sin_inc = math.sin(math.radians(float(np.nanmedian(inc_row[good]))))
                step = _ground_steps(stack)[0] * sin_inc
            out["RANGE_PIXEL_SIZE"] = float(abs(step))
            used["RANGE_PIXEL_SIZE"] = "from the incidence angle"
    if stack.grid is not None and _unknown(out, "AZIMUTH_PIXEL_SIZE"):
        out["AZIMUTH_PIXEL_SIZE"] = _ground_steps(stack)[1]
        used["AZIMUTH_PIXEL_SIZE"] = "the grid's north spacing"
    if used:
        by_attr = {v: option_key("load", k) for k, v in TEMPLATE_OVERRIDES.items()}
        detail = ", ".join(f"{k} = {v}" + (f" (set {by_attr[k]})" if k in by_attr else "")
                           for k, v in used.items())
        log.warning("load_data: %s does not give %s; using %s", stack.meta_source,
                    ", ".join(used), detail)
    return out
