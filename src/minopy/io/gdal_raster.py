"""Rasters that GDAL reads (GeoTIFF, VRT, ENVI ``.hdr``, ISCE ``.xml``, HDF5/netCDF subdatasets),
through rasterio, whose wheels bundle GDAL (no ``osgeo``).

:func:`open_band` opens one band and checks it can be read (its last row is read once, so a
truncated file is caught before any data are copied); :class:`GdalBand` then reads windows by
numpy-style slicing, so it can stand wherever the loaders expect a memory-mapped band.
:func:`grid_of` tells a geocoded raster (CRS and geotransform) from one in radar coordinates, and
:func:`radar_metadata` collects MintPy radar attributes from the raster's GDAL metadata.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from minopy.errors import InputDataError
from minopy.io.geogrid import GeoGrid

#: rasterio data types read as complex SLC pixels.
COMPLEX_DTYPES = ("complex64", "complex128", "complex_int16")
#: speed of light (m/s), for a wavelength from a radar frequency.
SPEED_OF_LIGHT = 299_792_458.0
#: GDAL metadata names (compared upper-case, without '_' and ' ') -> MintPy attribute.
METADATA_NAMES: dict[str, str] = {
    "WAVELENGTH": "WAVELENGTH", "RADARWAVELENGTH": "WAVELENGTH",
    "RANGEPIXELSIZE": "RANGE_PIXEL_SIZE", "RANGEPIXELSPACING": "RANGE_PIXEL_SIZE",
    "SLANTRANGESPACING": "RANGE_PIXEL_SIZE",
    "AZIMUTHPIXELSIZE": "AZIMUTH_PIXEL_SIZE", "AZIMUTHPIXELSPACING": "AZIMUTH_PIXEL_SIZE",
    "STARTINGRANGE": "STARTING_RANGE", "NEARRANGE": "STARTING_RANGE",
    "SLANTRANGENEAR": "STARTING_RANGE",
    "PRF": "PRF", "EARTHRADIUS": "EARTH_RADIUS", "HEIGHT": "HEIGHT",
    "SATELLITEHEIGHT": "HEIGHT", "HEADING": "HEADING", "CENTERLINEUTC": "CENTER_LINE_UTC",
    "ORBITDIRECTION": "ORBIT_DIRECTION", "PASSDIRECTION": "ORBIT_DIRECTION",
    "PLATFORM": "PLATFORM", "MISSION": "PLATFORM", "MISSIONID": "PLATFORM",
}
#: attributes held as numbers.
NUMERIC = ("WAVELENGTH", "RANGE_PIXEL_SIZE", "AZIMUTH_PIXEL_SIZE", "STARTING_RANGE", "PRF",
           "EARTH_RADIUS", "HEIGHT", "HEADING", "CENTER_LINE_UTC")


def _rasterio() -> Any:
    import rasterio

    return rasterio


def open_dataset(path: str | os.PathLike, what: str) -> Any:
    """Open ``path`` with rasterio; InputDataError naming ``what`` and the file if GDAL cannot."""
    rasterio = _rasterio()
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

    text = str(path)
    if "://" not in text and ":" not in text.split("/")[0] and not Path(text).exists():
        raise InputDataError(f"{what} {text} does not exist")
    try:
        with warnings.catch_warnings():  # radar-coordinate rasters have no geotransform
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            return rasterio.open(text)
    except (RasterioIOError, OSError) as err:
        raise InputDataError(f"{what} {text} cannot be read by GDAL: {err}") from None


class GdalBand:
    """One band of an open rasterio dataset, read by slicing: ``band[r0:r1, c0:c1]``.

    Complex integer pixels are returned as complex64.
    """

    def __init__(self, dataset: Any, band: int, name: str) -> None:
        self.dataset = dataset
        self.band = band
        self.name = name

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.dataset.height), int(self.dataset.width))

    @property
    def dtype(self) -> str:
        return str(self.dataset.dtypes[self.band - 1])

    def __getitem__(self, key: Any) -> np.ndarray:
        from rasterio.errors import RasterioIOError
        from rasterio.windows import Window

        rows_key, cols_key = key if isinstance(key, tuple) else (key, slice(None))
        r0, r1, rs = _span(rows_key, self.shape[0])
        c0, c1, cs = _span(cols_key, self.shape[1])
        if r1 <= r0 or c1 <= c0:
            data = np.empty((max(0, r1 - r0), max(0, c1 - c0)), dtype=self._out_dtype())
        else:
            try:
                data = self.dataset.read(self.band, window=Window(c0, r0, c1 - c0, r1 - r0))
            except (RasterioIOError, OSError) as err:
                raise InputDataError(
                    f"cannot read band {self.band} of {self.name} (rows {r0}:{r1}, columns "
                    f"{c0}:{c1}): {err}") from None
            if data.dtype.kind == "c" and data.dtype != np.complex128:
                data = data.astype(np.complex64, copy=False)
        data = data[::rs, ::cs]
        if isinstance(rows_key, (int, np.integer)):
            data = data[0]
        if isinstance(cols_key, (int, np.integer)):
            data = data[..., 0]
        return data

    def _out_dtype(self) -> np.dtype:
        return np.dtype(np.complex64) if "complex" in self.dtype else np.dtype(self.dtype)


def _span(key: Any, n: int) -> tuple[int, int, int]:
    if isinstance(key, (int, np.integer)):
        k = int(key) + (n if key < 0 else 0)
        return k, k + 1, 1
    if isinstance(key, slice):
        start, stop, step = key.indices(n)
        if step < 1:
            raise IndexError("negative steps are not supported")
        return start, stop, step
    raise IndexError(f"unsupported index {key!r}")


def open_band(path: str | os.PathLike, band: int, what: str, complex_data: bool = False
              ) -> GdalBand:
    """Open band ``band`` of a GDAL raster and read its last row once.

    Parameters
    ----------
    path : path-like
        The raster (or a GDAL subdataset name such as ``HDF5:"f.h5"://data/VV``).
    band : int
        1-based band number.
    what : str
        What the raster is, for messages (``SLC``, ``geometry height file`` ...).
    complex_data : bool
        Require complex pixels.

    Raises
    ------
    InputDataError
        If GDAL cannot open or read it, the band does not exist, or the data are not complex
        when required.
    """
    ds = open_dataset(path, what)
    if band < 1 or band > ds.count:
        ds.close()
        raise InputDataError(f"{what} {path} has {ds.count} band(s); band {band} does not exist")
    out = GdalBand(ds, band, str(path))
    if complex_data and out.dtype not in COMPLEX_DTYPES:
        ds.close()
        raise InputDataError(f"{what} {path} holds {out.dtype} data; expected complex pixels "
                             "(GDAL CFloat32, CFloat64 or CInt16)")
    out[out.shape[0] - 1, 0:out.shape[1]]  # a truncated or unreadable file fails here
    return out


def grid_of(dataset: Any, name: str) -> GeoGrid | None:
    """The map grid of a raster with a CRS and a geotransform; None in radar coordinates.

    Raises
    ------
    InputDataError
        If the raster has a CRS but no geotransform (GDAL's default identity transform).
    """
    crs = dataset.crs
    transform = dataset.transform
    identity = tuple(transform)[:6] == (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
    if crs is None:
        return None
    if identity and dataset.driver == "ISCE":
        return None  # GDAL's ISCE driver puts EPSG:4326 on radar images' pixel coordinates
    if identity:
        raise InputDataError(
            f"{name} has a coordinate reference system ({crs}) but no geotransform, so its "
            "pixels cannot be placed on the map; add the geotransform (e.g. gdal_edit.py -a_ullr "
            "or -a_srs/-a_ullr) or remove the CRS for a radar-coordinate stack")
    gt = transform.to_gdal()
    return GeoGrid.create(crs.to_wkt(), gt, dataset.height, dataset.width, name)


def _number(value: str) -> float | None:
    try:
        out = float(str(value).strip().split()[0])
    except (ValueError, IndexError):
        return None
    return out if math.isfinite(out) else None


def radar_metadata(dataset: Any) -> dict[str, Any]:
    """MintPy radar attributes found in a raster's GDAL metadata (default domain and the band's).

    Names are matched ignoring case, spaces and underscores (``WAVELENGTH``, ``wavelength``,
    ``radar_wavelength``, ``range_pixel_spacing`` ...); a ``radar_frequency``/``CENTER_FREQUENCY``
    in Hz gives the wavelength when no wavelength is given.
    """
    tags: dict[str, str] = {}
    for source in (dataset.tags(), dataset.tags(1)):
        tags.update({str(k): str(v) for k, v in source.items()})
    out: dict[str, Any] = {}
    freq = None
    for key, value in tags.items():
        norm = key.upper().replace("_", "").replace(" ", "")
        if norm in ("RADARFREQUENCY", "CENTERFREQUENCY", "CARRIERFREQUENCY"):
            freq = _number(value)
            continue
        attr = METADATA_NAMES.get(norm)
        if attr is None:
            continue
        if attr in NUMERIC:
            number = _number(value)
            if number is not None:
                out[attr] = number
        elif attr == "ORBIT_DIRECTION":
            out[attr] = value.strip().upper()
        else:
            out[attr] = value.strip()
    if "WAVELENGTH" not in out and freq:
        out["WAVELENGTH"] = SPEED_OF_LIGHT / freq
    return out
