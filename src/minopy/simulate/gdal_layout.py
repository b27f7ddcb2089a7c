"""The simulated stack as GDAL rasters: ``--layout gdal`` (radar coordinates) and ``geo``
(geocoded on a UTM grid).

Both write, under the project folder (the gdal reader's autoPath layout)::

    slc/<YYYYMMDD>.slc.tif        complex64 GeoTIFF, one per date
    geometry/height.tif           float32 (m)
    geometry/incidenceAngle.tif   float32 (deg)
    geometry/azimuthAngle.tif     float32 (deg, ISCE los.rdr band 2 convention)
    geometry/shadowMask.tif       uint8, 1 = shadow
    geometry/waterMask.tif        uint8, 1 = land
    baselines.txt                 YYYYMMDD bperp_metres

``gdal``: no CRS; ``geometry/latitude.tif`` and ``longitude.tif`` are the lookup; the SLCs carry
every radar attribute in their GDAL metadata (``WAVELENGTH``, ``RANGE_PIXEL_SIZE``, ... the values
of the stripmap ``data.rsc``). ``geo``: every raster on one north-up UTM grid (EPSG:326zz of the
scene centre, pixel :data:`GEO_PIXEL` metres) with the scene's rows as northings and columns as
eastings, no lookup files (latitude/longitude follow from the grid), and only ``WAVELENGTH``,
``HEADING``, ``ORBIT_DIRECTION``, ``CENTER_LINE_UTC`` and ``PLATFORM`` in the metadata (the rest is
derived from the geometry by the loader).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from minopy.io.atomic import atomic_path, write_text_atomic

#: pixel size (east, north) in metres of the ``geo`` layout's UTM grid.
GEO_PIXEL = (5.0, 15.0)
#: attributes the ``geo`` layout keeps in the GDAL metadata.
GEO_TAGS = ("WAVELENGTH", "HEADING", "ORBIT_DIRECTION", "CENTER_LINE_UTC", "PLATFORM")


def utm_grid(center_lat: float, center_lon: float, length: int, width: int
             ) -> tuple[int, tuple[float, ...]]:
    """EPSG code and GDAL geotransform of a UTM grid centred on the scene."""
    from pyproj import Transformer

    zone = int((center_lon + 180.0) // 6.0) + 1
    epsg = (32600 if center_lat >= 0 else 32700) + zone
    east, north = Transformer.from_crs(4326, epsg, always_xy=True).transform(center_lon,
                                                                             center_lat)
    dx, dy = GEO_PIXEL
    x0 = math.floor((east - width * dx / 2.0) / dx) * dx
    y0 = math.ceil((north + length * dy / 2.0) / dy) * dy
    return epsg, (x0, dx, 0.0, y0, 0.0, -dy)


def write_geotiff(path: Path, array: np.ndarray, epsg: int | None = None,
                  transform: tuple[float, ...] | None = None,
                  tags: dict[str, Any] | None = None) -> Path:
    """Write a single-band GeoTIFF atomically (with a CRS and geotransform when given)."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning
    from rasterio.transform import Affine

    path.parent.mkdir(parents=True, exist_ok=True)
    profile: dict[str, Any] = {"driver": "GTiff", "height": array.shape[0],
                               "width": array.shape[1], "count": 1, "dtype": str(array.dtype)}
    if epsg is not None and transform is not None:
        profile["crs"] = f"EPSG:{epsg}"
        profile["transform"] = Affine.from_gdal(*transform)
    with atomic_path(path) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(array, 1)
            if tags:
                dst.update_tags(**{k: str(v) for k, v in tags.items()})
    return path


def parse_rsc(text: str) -> dict[str, str]:
    """``KEY value`` lines -> dict."""
    out = {}
    for line in text.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2:
            out[parts[0]] = parts[1].strip()
    return out


def write_gdal_layout(out_dir: Path, geocoded: bool, slcs: dict[str, np.ndarray | Path],
                      geometry: dict[str, np.ndarray], bperp: np.ndarray, rsc: dict[str, str],
                      center_latlon: tuple[float, float]) -> None:
    """Write the ``gdal`` or ``geo`` layout (see the module doc).

    Parameters
    ----------
    slcs : dict
        ``{date: (L, W) complex64 array or ISCE raster path}``.
    geometry : dict
        ``height``, ``latitude``, ``longitude``, ``incidenceAngle``, ``azimuthAngle``,
        ``shadowMask`` (bool), ``waterMask`` (bool, True = land) as (L, W) arrays.
    rsc : dict
        The radar attributes (stripmap ``data.rsc`` values).
    """
    from minopy.io.isce import read_raster

    first = next(iter(geometry.values()))
    length, width = first.shape
    epsg, transform = (utm_grid(*center_latlon, length, width) if geocoded else (None, None))
    tags = {k: v for k, v in rsc.items() if not geocoded or k in GEO_TAGS}
    for date, slc in slcs.items():
        data = read_raster(slc) if isinstance(slc, Path) else slc
        write_geotiff(out_dir / "slc" / f"{date}.slc.tif", np.asarray(data, np.complex64),
                      epsg, transform, {**tags, "DATE": date})
    names = ["height", "incidenceAngle", "azimuthAngle", "shadowMask", "waterMask"]
    if not geocoded:
        names[1:1] = ["latitude", "longitude"]
    for name in names:
        arr = geometry[name]
        arr = arr.astype(np.uint8) if arr.dtype == bool else arr.astype(np.float32)
        if name in ("latitude", "longitude"):
            arr = geometry[name].astype(np.float64)
        write_geotiff(out_dir / "geometry" / f"{name}.tif", arr, epsg, transform)
    dates = list(slcs)
    lines = ["# perpendicular baseline of each date (m), relative to the first"]
    lines += [f"{d} {b:.6f}" for d, b in zip(dates, bperp, strict=True)]
    write_text_atomic(out_dir / "baselines.txt", "\n".join(lines) + "\n")
