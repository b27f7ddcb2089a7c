"""Map grids of geocoded stacks: CRS + geotransform -> MintPy attributes, lat/lon, subset boxes.

A geocoded stack (GeoTIFF with a CRS, OPERA CSLC, a geocoded GAMMA stack) lies on a north-up map
grid. :class:`GeoGrid` holds its CRS and GDAL-order geotransform ``(x0, dx, 0, y0, 0, dy)``, where
``(x0, y0)`` is the upper-left corner of the upper-left pixel, as GDAL and MintPy both use. It gives

- MintPy's ``X_FIRST``, ``Y_FIRST``, ``X_STEP``, ``Y_STEP``, ``X_UNIT``, ``Y_UNIT``, ``EPSG`` (and
  ``UTM_ZONE`` for UTM, which MintPy's tools use to convert to latitude/longitude);
- latitude/longitude of pixel centres (through pyproj for projected CRSs such as UTM), also as
  lazily computed bands (:class:`LatLonBand`) when no lookup files are given;
- the pixel box of ``minopy.subset.lalo`` through the geotransform (:meth:`GeoGrid.box_from_lalo`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from minopy.errors import InputDataError

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class GeoGrid:
    """A north-up map grid.

    Attributes
    ----------
    crs_wkt : str
        Coordinate reference system as WKT.
    epsg : int or None
        EPSG code of the CRS when it has one.
    transform : tuple of 6 floats
        GDAL geotransform ``(x0, dx, 0, y0, 0, dy)``; ``dy < 0`` for north-up.
    length, width : int
        Rows and columns.
    """

    crs_wkt: str
    epsg: int | None
    transform: tuple[float, float, float, float, float, float]
    length: int
    width: int

    @classmethod
    def create(cls, crs: Any, transform: tuple[float, ...], length: int, width: int,
               source: str) -> GeoGrid:
        """Build a grid from any pyproj-readable CRS (EPSG int, WKT, ``"EPSG:32615"``).

        Raises
        ------
        InputDataError
            If the CRS cannot be read or the geotransform is rotated or degenerate.
        """
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            pcrs = CRS.from_user_input(crs)
        except CRSError as err:
            raise InputDataError(f"{source}: cannot read its coordinate reference system "
                                 f"{str(crs)[:80]!r}: {err}") from None
        x0, dx, rx, y0, ry, dy = (float(v) for v in transform)
        if rx != 0 or ry != 0:
            raise InputDataError(
                f"{source}: its geotransform {tuple(transform)} is rotated; expected a north-up "
                "grid (resample it, e.g. gdalwarp)")
        if dx == 0 or dy == 0 or not all(math.isfinite(v) for v in (x0, dx, y0, dy)):
            raise InputDataError(f"{source}: its geotransform {tuple(transform)} has a zero or "
                                 "invalid pixel size")
        return cls(pcrs.to_wkt(), pcrs.to_epsg(), (x0, dx, 0.0, y0, 0.0, dy), int(length),
                   int(width))

    # ------------------------------------------------------------- properties
    @property
    def x0(self) -> float:
        return self.transform[0]

    @property
    def dx(self) -> float:
        return self.transform[1]

    @property
    def y0(self) -> float:
        return self.transform[3]

    @property
    def dy(self) -> float:
        return self.transform[5]

    def _crs(self) -> Any:
        from pyproj import CRS

        return CRS.from_wkt(self.crs_wkt)

    @property
    def is_geographic(self) -> bool:
        return bool(self._crs().is_geographic)

    @property
    def crs_name(self) -> str:
        return f"EPSG:{self.epsg}" if self.epsg is not None else self._crs().name

    def same_as(self, other: GeoGrid, tol: float = 1e-6) -> bool:
        """Same CRS, size and geotransform (to ``tol`` of a pixel)."""
        if (self.length, self.width) != (other.length, other.width):
            return False
        if self._crs() != other._crs():
            return False
        return (abs(self.x0 - other.x0) <= tol * abs(self.dx)
                and abs(self.y0 - other.y0) <= tol * abs(self.dy)
                and abs(self.dx - other.dx) <= tol * abs(self.dx)
                and abs(self.dy - other.dy) <= tol * abs(self.dy))

    def describe(self) -> str:
        return (f"{self.crs_name}, {self.length} x {self.width} pixels, corner ({self.x0!r}, "
                f"{self.y0!r}), pixel ({self.dx!r}, {self.dy!r})")

    # ------------------------------------------------------------- MintPy
    def mintpy_attributes(self) -> dict[str, Any]:
        """``X_FIRST``, ``Y_FIRST``, ``X_STEP``, ``Y_STEP``, ``X_UNIT``, ``Y_UNIT``, ``EPSG``
        (and ``UTM_ZONE``) of the full grid (MintPy's ``update_attribute4subset`` shifts them)."""
        crs = self._crs()
        unit = "degrees" if crs.is_geographic else "meters"
        out: dict[str, Any] = {
            "X_FIRST": self.x0, "Y_FIRST": self.y0, "X_STEP": self.dx, "Y_STEP": self.dy,
            "X_UNIT": unit, "Y_UNIT": unit,
        }
        if self.epsg is not None:
            out["EPSG"] = self.epsg
        zone = crs.utm_zone
        if zone:
            out["UTM_ZONE"] = zone
        return out

    # ------------------------------------------------------------- coordinates
    def _to_lonlat(self) -> Any:
        from pyproj import CRS, Transformer

        return Transformer.from_crs(self._crs(), CRS.from_epsg(4326), always_xy=True)

    def _from_lonlat(self) -> Any:
        from pyproj import CRS, Transformer

        return Transformer.from_crs(CRS.from_epsg(4326), self._crs(), always_xy=True)

    def latlon(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Latitude and longitude (degrees) of the centres of pixels ``(rows, cols)`` (broadcast).
        """
        x = self.x0 + (np.asarray(cols, dtype=np.float64) + 0.5) * self.dx
        y = self.y0 + (np.asarray(rows, dtype=np.float64) + 0.5) * self.dy
        x, y = np.broadcast_arrays(x, y)
        if self.is_geographic:
            return y.copy(), x.copy()
        lon, lat = self._to_lonlat().transform(x, y)
        return np.asarray(lat), np.asarray(lon)

    def box_from_lalo(self, lalo: tuple[tuple[float, float], tuple[float, float]],
                      source: str) -> Box:
        """Pixel box ``(x0, y0, x1, y1)`` of the pixels whose centres lie in ``S:N,W:E``.

        The latitude/longitude box's edges (densified) are projected into the grid's CRS and
        its bounding box converted to pixels through the geotransform; in a projected CRS the box
        is then tightened to the pixels whose centres fall inside (its edges are curved there).

        Raises
        ------
        InputDataError
            If the box holds no pixel of the grid.
        """
        (south, north), (west, east) = lalo
        t = np.linspace(0.0, 1.0, 33)
        lon = np.concatenate([west + (east - west) * t, np.full_like(t, east),
                              east - (east - west) * t, np.full_like(t, west)])
        lat = np.concatenate([np.full_like(t, south), south + (north - south) * t,
                              np.full_like(t, north), north - (north - south) * t])
        if self.is_geographic:
            x, y = lon, lat
        else:
            x, y = self._from_lonlat().transform(lon, lat)
        cols = (np.asarray(x) - self.x0) / self.dx - 0.5
        rows = (np.asarray(y) - self.y0) / self.dy - 0.5
        c0 = max(0, int(math.ceil(cols.min() - 1e-9)))
        c1 = min(self.width, int(math.floor(cols.max() + 1e-9)) + 1)
        r0 = max(0, int(math.ceil(rows.min() - 1e-9)))
        r1 = min(self.length, int(math.floor(rows.max() + 1e-9)) + 1)
        if c0 < c1 and r0 < r1 and not self.is_geographic:
            # the box's edges are curved in a projected CRS: keep the pixels whose centres are in
            rows_in, cols_in = [], []
            cols_all = np.arange(c0, c1)
            for b0 in range(r0, r1, 256):
                block = np.arange(b0, min(r1, b0 + 256))
                la, lo = self.latlon(block[:, None], cols_all[None, :])
                inside = (la >= south) & (la <= north) & (lo >= west) & (lo <= east)
                rows_in += list(block[inside.any(axis=1)])
                cols_in += list(cols_all[inside.any(axis=0)])
            if rows_in:
                r0, r1 = int(min(rows_in)), int(max(rows_in)) + 1
                c0, c1 = int(min(cols_in)), int(max(cols_in)) + 1
            else:
                r1, c1 = r0, c0
        if c0 >= c1 or r0 >= r1:
            lat_c, lon_c = self.latlon(np.array([0, self.length - 1]),
                                       np.array([0, self.width - 1]))
            raise InputDataError(
                f"minopy.subset.lalo = {south}:{north},{west}:{east} is outside the image: "
                f"{source} spans latitudes {min(lat_c):.5f}:{max(lat_c):.5f} and longitudes "
                f"{min(lon_c):.5f}:{max(lon_c):.5f} (pixel centres, {self.crs_name})")
        return (c0, r0, c1, r1)


class LatLonBand:
    """Latitude (``which="latitude"``) or longitude of a :class:`GeoGrid`'s pixel centres,
    computed for the slice asked for (float64, shape ``(length, width)``)."""

    def __init__(self, grid: GeoGrid, which: str) -> None:
        if which not in ("latitude", "longitude"):
            raise ValueError(which)
        self.grid = grid
        self.which = which

    @property
    def shape(self) -> tuple[int, int]:
        return (self.grid.length, self.grid.width)

    def __getitem__(self, key: Any) -> np.ndarray:
        rows_key, cols_key = key if isinstance(key, tuple) else (key, slice(None))
        rows = np.arange(self.grid.length)[rows_key]
        cols = np.arange(self.grid.width)[cols_key]
        lat, lon = self.grid.latlon(np.atleast_1d(rows)[:, None], np.atleast_1d(cols)[None, :])
        out = lat if self.which == "latitude" else lon
        if np.ndim(rows) == 0:
            out = out[0]
        if np.ndim(cols) == 0:
            out = out[..., 0]
        return out


def georef_from_attrs(attrs: dict[str, Any]) -> Any:
    """The :class:`minopy.io.isce.Georef` of a geocoded stack's MintPy attributes (``X_FIRST``,
    ``Y_FIRST``, ``X_STEP``, ``Y_STEP``, ``EPSG``), None in radar coordinates or without EPSG."""
    from minopy.io.isce import Georef

    keys = ("X_FIRST", "Y_FIRST", "X_STEP", "Y_STEP", "EPSG")
    if any(attrs.get(k) in (None, "") for k in keys):
        return None
    from pyproj import CRS

    transform = (float(attrs["X_FIRST"]), float(attrs["X_STEP"]), 0.0,
                 float(attrs["Y_FIRST"]), 0.0, float(attrs["Y_STEP"]))
    return Georef(transform, CRS.from_epsg(int(float(attrs["EPSG"]))).to_wkt())
