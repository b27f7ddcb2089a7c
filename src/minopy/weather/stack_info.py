"""What a stack needs from the weather: acquisition dates, time of day and area.

The rules are MintPy's (``tropo_pyaps3``), so the file names match those MintPy and its users
expect:

- ERA5 hour: the whole hour of ``[0, 23]`` closest to ``CENTER_LINE_UTC`` (no wrap past midnight);
- ERA5 area ``SNWE``: the latitude/longitude range of the geometry (zeros and NaN ignored), widened
  by 2 degrees, rounded outwards to whole degrees and then to multiples of 10 degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from minopy.errors import InputDataError

#: hours at which ERA5 analyses exist.
ERA5_HOURS = tuple(range(24))


@dataclass(frozen=True)
class StackWeatherInfo:
    """Dates, time and area of a stack.

    Attributes
    ----------
    dates : tuple of str
        Acquisition dates YYYYMMDD.
    utc_seconds : float
        Acquisition time of the scene centre, seconds of the day (``CENTER_LINE_UTC``).
    bbox : (south, north, west, east)
        Latitude/longitude range of the pixels, degrees.
    """

    dates: tuple[str, ...]
    utc_seconds: float
    bbox: tuple[float, float, float, float]

    @property
    def era5_hour(self) -> str:
        """ERA5 analysis hour, two digits."""
        hour = min(ERA5_HOURS, key=lambda h: abs(h - self.utc_seconds / 3600.0))
        return f"{hour:02d}"

    @property
    def utc_hhmm(self) -> str:
        """Acquisition time HH:MM (UTC), as the GACOS request form asks."""
        minutes = int(round(self.utc_seconds / 60.0)) % (24 * 60)
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    @property
    def era5_snwe(self) -> tuple[int, int, int, int]:
        """Area of the ERA5 files (MintPy's rule, see the module docstring)."""
        s, n, w, e = self.bbox
        s, n = math.floor(s - 2.0), math.ceil(n + 2.0)
        w, e = math.floor(w - 2.0), math.ceil(e + 2.0)
        return (s - s % 10, n + (-n) % 10, w - w % 10, e + (-e) % 10)


def _attr(attrs: h5py.AttributeManager, key: str, path: Path) -> str:
    if key not in attrs:
        raise InputDataError(f"{path} has no {key} attribute; it is needed to find the weather "
                             "data of the stack")
    value = attrs[key]
    return value.decode() if isinstance(value, bytes) else str(value)


def read_stack_info(stack_file: Path, geometry_file: Path) -> StackWeatherInfo:
    """Dates and ``CENTER_LINE_UTC`` of ``stack_file``, area of ``geometry_file``.

    Parameters
    ----------
    stack_file : Path
        An HDF5 file with a ``date`` dataset: ``timeseries.h5``, ``slcStack.h5`` or
        ``ifgramStack.h5``.
    geometry_file : Path
        ``geometryRadar.h5`` with ``latitude`` and ``longitude`` datasets.

    Raises
    ------
    InputDataError
        If a file, dataset or attribute is missing.
    """
    stack_file, geometry_file = Path(stack_file), Path(geometry_file)
    for path in (stack_file, geometry_file):
        if not path.is_file():
            raise InputDataError(f"{path} does not exist")
    with h5py.File(stack_file, "r") as f:
        utc = float(_attr(f.attrs, "CENTER_LINE_UTC", stack_file))
        if "date" in f and f["date"].ndim == 1:
            dates = [d.decode() if isinstance(d, bytes) else str(d) for d in f["date"][()]]
        elif "date" in f and f["date"].ndim == 2:  # ifgramStack: (pairs, 2)
            dates = sorted({d.decode() for d in f["date"][()].ravel()})
        else:
            raise InputDataError(f"{stack_file} has no 'date' dataset")
    with h5py.File(geometry_file, "r") as f:
        for name in ("latitude", "longitude"):
            if name not in f:
                raise InputDataError(f"{geometry_file} has no '{name}' dataset")
        lat = f["latitude"][()].astype(np.float64)
        lon = f["longitude"][()].astype(np.float64)
    # as MintPy: a zero latitude or longitude marks a pixel without geolocation
    lat[lat == 0] = np.nan
    lon[lon == 0] = np.nan
    if not (np.isfinite(lat).any() and np.isfinite(lon).any()):
        raise InputDataError(f"{geometry_file} has no valid latitude/longitude")
    lon = np.where(lon > 180.0, lon - 360.0, lon)
    bbox = (float(np.nanmin(lat)), float(np.nanmax(lat)),
            float(np.nanmin(lon)), float(np.nanmax(lon)))
    return StackWeatherInfo(tuple(sorted(dates)), utc, bbox)
