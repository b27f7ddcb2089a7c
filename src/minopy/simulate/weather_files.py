"""Synthetic weather products for a simulated atmosphere: ERA5-like GRIB and GACOS ``.ztd``.

- :func:`write_era5_grib`: one GRIB edition 1 file per date as the Copernicus Climate Data Store
  delivers ERA5 on pressure levels: geopotential ``z`` (m^2/s^2), temperature ``t`` (K) and
  specific humidity ``q`` (kg/kg) on the 37 ERA5 pressure levels, a regular 0.25 degree
  latitude/longitude grid from north to south, written with ecCodes (``eccodes`` package). The
  messages are ordered level by level from 1 to 1000 hPa, ``z``, ``t``, ``q`` at each level: the
  order PyAPS reads.
- :func:`write_gacos_ztd`: a GACOS zenith total delay product, ``YYYYMMDD.ztd`` (float32
  little-endian, rows from north to south) with its ``YYYYMMDD.ztd.rsc`` (``WIDTH``,
  ``FILE_LENGTH``, ``X_FIRST``/``Y_FIRST`` the outer corner of the first pixel, ``X_STEP``,
  ``Y_STEP``, ...), as GACOS distributes them.

Every file is written to a temporary name and renamed when complete.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from minopy.io.atomic import atomic_path, write_text_atomic
from minopy.simulate.atmosphere import G0, Atmosphere
from minopy.weather.grib import ERA5_LEVELS_HPA, import_eccodes

#: GRIB parameter numbers (ECMWF table 128) of the fields PyAPS reads.
_PARAMS = (("z", 129), ("t", 130), ("q", 133))


def era5_grid(snwe: tuple[int, int, int, int], step: float = 0.25
              ) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes (north to south) and longitudes (west to east) of a grid covering ``snwe``."""
    s, n, w, e = snwe
    lats = n - step * np.arange(int(round((n - s) / step)) + 1)
    lons = w + step * np.arange(int(round((e - w) / step)) + 1)
    return lats, lons


def write_era5_grib(path: Path, atmosphere: Atmosphere, date: str, hour: str,
                    snwe: tuple[int, int, int, int], step: float = 0.25) -> Path:
    """Write an ERA5-like pressure-level GRIB file of ``atmosphere`` (see the module docstring).

    Parameters
    ----------
    path : Path
        Output file, e.g. ``.../ERA5/ERA5_N20_N40_W100_W90_20200105_00.grb``.
    atmosphere : Atmosphere
    date : str
        YYYYMMDD of the analysis.
    hour : str
        Hour of the analysis, two digits.
    snwe : (south, north, west, east)
        Area in whole degrees (longitudes in -180..180).
    step : float
        Grid spacing in degrees.

    Returns
    -------
    Path
    """
    ec = import_eccodes()
    lats, lons = era5_grid(snwe, step)
    lat2, lon2 = np.meshgrid(lats, lons, indexing="ij")
    path = Path(path)
    bases = {}
    try:
        for short_name, param in _PARAMS:
            h = ec.codes_grib_new_from_samples("regular_ll_pl_grib1")
            bases[short_name] = h
            for key, value in (("centre", 98), ("table2Version", 128),
                               ("indicatorOfParameter", param), ("indicatorOfTypeOfLevel", 100),
                               ("dataDate", int(date)), ("dataTime", int(hour) * 100),
                               ("stepRange", "0"), ("Ni", lons.size), ("Nj", lats.size),
                               ("iScansNegatively", 0), ("jScansPositively", 0),
                               ("latitudeOfFirstGridPointInDegrees", float(lats[0])),
                               ("longitudeOfFirstGridPointInDegrees", float(lons[0])),
                               ("latitudeOfLastGridPointInDegrees", float(lats[-1])),
                               ("longitudeOfLastGridPointInDegrees", float(lons[-1])),
                               ("iDirectionIncrementInDegrees", step),
                               ("jDirectionIncrementInDegrees", step), ("bitsPerValue", 16)):
                ec.codes_set(h, key, value)
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            for level in ERA5_LEVELS_HPA:
                z = atmosphere.height_of_pressure(level * 100.0, lat2, lon2)
                _, temp, q = atmosphere.profile(z, lat2, lon2)
                fields = {"z": G0 * z, "t": temp, "q": q}
                for short_name, _ in _PARAMS:
                    h = ec.codes_clone(bases[short_name])
                    try:
                        ec.codes_set(h, "level", level)
                        ec.codes_set_values(h, np.ascontiguousarray(fields[short_name]).ravel())
                        ec.codes_write(h, fh)
                    finally:
                        ec.codes_release(h)
    finally:
        for h in bases.values():
            ec.codes_release(h)
    return path


def gacos_grid(bbox: tuple[float, float, float, float], step: float, margin: float
               ) -> tuple[np.ndarray, np.ndarray, dict[str, str]]:
    """Pixel-centre latitudes (north to south), longitudes and ``.rsc`` keys of a GACOS grid.

    Parameters
    ----------
    bbox : (south, north, west, east)
        Area to cover, degrees.
    step : float
        Pixel spacing, degrees.
    margin : float
        Extra border, degrees.
    """
    s, n, w, e = bbox
    y_first = np.ceil((n + margin) / step) * step
    x_first = np.floor((w - margin) / step) * step
    length = int(np.ceil((y_first - (s - margin)) / step))
    width = int(np.ceil((e + margin - x_first) / step))
    lats = y_first - step * (np.arange(length) + 0.5)
    lons = x_first + step * (np.arange(width) + 0.5)
    rsc = {
        "WIDTH": str(width), "FILE_LENGTH": str(length),
        "XMIN": "0", "XMAX": str(width - 1), "YMIN": "0", "YMAX": str(length - 1),
        "X_FIRST": f"{x_first:.8f}", "Y_FIRST": f"{y_first:.8f}",
        "X_STEP": f"{step:.8f}", "Y_STEP": f"{-step:.8f}",
        "X_UNIT": "degrees", "Y_UNIT": "degrees", "Z_OFFSET": "0", "Z_SCALE": "1",
        "PROJECTION": "LATLON", "DATUM": "WGS84",
    }
    return lats, lons, rsc


def write_gacos_ztd(path: Path, ztd: np.ndarray, rsc: dict[str, str]) -> Path:
    """Write a GACOS ``.ztd`` raster (metres, float32 little-endian) and its ``.rsc``.

    Parameters
    ----------
    path : Path
        ``<dir>/YYYYMMDD.ztd``; the header goes to ``<path>.rsc``.
    ztd : (length, width) array
        Zenith total delay in metres, rows from north to south.
    rsc : dict
        Header keys (see :func:`gacos_grid`).
    """
    path = Path(path)
    width, length = int(rsc["WIDTH"]), int(rsc["FILE_LENGTH"])
    if ztd.shape != (length, width):
        raise ValueError(f"ZTD shape {ztd.shape} does not match the header ({length}, {width})")
    with atomic_path(path) as tmp:
        np.ascontiguousarray(ztd, dtype="<f4").tofile(tmp)
    width_key = max(len(k) for k in rsc)
    write_text_atomic(path.with_name(path.name + ".rsc"),
                      "".join(f"{k:<{width_key}}    {v}\n" for k, v in rsc.items()))
    return path


def node_heights(lat: np.ndarray, lon: np.ndarray, height: np.ndarray,
                 grid_lats: np.ndarray, grid_lons: np.ndarray) -> np.ndarray:
    """Heights at the nodes of a latitude/longitude grid, interpolated from the pixels.

    Linear inside the pixels' footprint, nearest pixel outside. Returns (len(grid_lats),
    len(grid_lons)).
    """
    from scipy.interpolate import griddata

    pts = np.column_stack([lat.ravel(), lon.ravel()])
    glat, glon = np.meshgrid(grid_lats, grid_lons, indexing="ij")
    out = griddata(pts, height.ravel(), (glat, glon), method="linear")
    holes = ~np.isfinite(out)
    if holes.any():
        out[holes] = griddata(pts, height.ravel(), (glat[holes], glon[holes]), method="nearest")
    return out


def write_weather_products(out_dir: Path, dates: list[str], utc_seconds: float,
                           atmospheres: list[Atmosphere], lat: np.ndarray, lon: np.ndarray,
                           height: np.ndarray, gacos_step: float = 0.0001) -> dict[str, Path]:
    """Write the ERA5 GRIB files and GACOS products of a simulated stack.

    ERA5: ``<out_dir>/weather/ERA5/`` with the names and area MintPy derives from the stack
    (:mod:`minopy.weather.era5`). GACOS: ``<out_dir>/GACOS/YYYYMMDD.ztd`` on a grid of
    ``gacos_step`` degrees covering the pixels, the zenith delay at the terrain height of each
    node (interpolated from the pixels), as GACOS computes it at its DEM's height.

    Returns
    -------
    dict
        ``{"weather_dir": ..., "gacos_dir": ...}``.
    """
    from minopy.weather import era5
    from minopy.weather.stack_info import StackWeatherInfo

    out_dir = Path(out_dir)
    valid = np.isfinite(lat) & np.isfinite(lon)
    bbox = (float(lat[valid].min()), float(lat[valid].max()),
            float(lon[valid].min()), float(lon[valid].max()))
    info = StackWeatherInfo(tuple(dates), float(utc_seconds), bbox)
    weather_dir = out_dir / "weather"
    gacos_dir = out_dir / "GACOS"
    glats, glons, rsc = gacos_grid(bbox, gacos_step, margin=10 * gacos_step)
    heights = node_heights(lat, lon, height, glats, glons)
    for date, atm in zip(dates, atmospheres, strict=True):
        grib = era5.grib_dir(weather_dir) / era5.grib_name(date, info.era5_hour, info.era5_snwe)
        write_era5_grib(grib, atm, date, info.era5_hour, info.era5_snwe)
        ztd = atm.zenith_delay(heights.ravel()).reshape(heights.shape)
        write_gacos_ztd(gacos_dir / f"{date}.ztd", ztd, rsc)
    return {"weather_dir": weather_dir, "gacos_dir": gacos_dir}
