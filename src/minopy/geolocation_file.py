"""The DEM-error geolocation correction of a radar-coordinate geometry file, in place.

Shifts the latitude/longitude of a geometry file (``geometryRadar.h5``) to the true position of
each scatterer given MintPy's DEM error (the geometry of :mod:`minopy.geolocation`), so that
geocoding puts the pixels where they are. The file is rewritten atomically; its attribute
``geolocation_corrected`` becomes ``yes`` (``no`` after a reversal). Correcting twice, or
reversing an uncorrected file, is refused. latitude/longitude are stored as float64 afterwards so
sub-metre shifts survive. Used by the timeseries_correction step and ``correct_geolocation.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import h5py
import numpy as np

from minopy.errors import InputDataError
from minopy.geolocation import shift_lat_lon
from minopy.io.atomic import atomic_path

#: attribute of the geometry file that records the correction.
FLAG = "geolocation_corrected"


def _read_dem_error(path: Path, shape: tuple[int, int]) -> np.ndarray:
    if not path.is_file():
        raise InputDataError(f"DEM error file {path} does not exist (run correct_topography first)")
    with h5py.File(path, "r") as f:
        names = [n for n in ("dem", "demErr") if n in f]
        if not names:
            raise InputDataError(f"{path} has no 'dem' dataset; expected MintPy's demErr.h5")
        data = f[names[0]][()]
    if data.shape != shape:
        raise InputDataError(
            f"{path}: DEM error is {data.shape[0]}x{data.shape[1]} but the geometry is "
            f"{shape[0]}x{shape[1]}; both must be on the same radar grid"
        )
    return data


def correct_geometry_file(geom_file: Path, dem_err_file: Path, reverse: bool = False) -> None:
    """Apply (or undo with ``reverse``) the DEM-error geolocation shift to ``geom_file`` in place.

    Raises
    ------
    InputDataError
        Missing datasets, mismatched sizes, a second correction or reversing an uncorrected file.
    """
    geom_file, dem_err_file = Path(geom_file), Path(dem_err_file)
    if not geom_file.is_file():
        raise InputDataError(f"geometry file {geom_file} does not exist")
    with h5py.File(geom_file, "r") as f:
        for name in ("latitude", "longitude", "incidenceAngle"):
            if name not in f:
                raise InputDataError(f"{geom_file} lacks dataset {name!r}")
        done = str(f.attrs.get(FLAG, "no")).lower() == "yes"
        if done and not reverse:
            raise InputDataError(
                f"{geom_file} is already geolocation-corrected ({FLAG}=yes); use --reverse first "
                "to undo it, or start again from the original geometry"
            )
        if reverse and not done:
            raise InputDataError(
                f"{geom_file} is not geolocation-corrected ({FLAG} is not yes); nothing to reverse"
            )
        lat, lon = f["latitude"][()], f["longitude"][()]
        inc = f["incidenceAngle"][()]
        az = f["azimuthAngle"][()] if "azimuthAngle" in f else None
        heading = f.attrs.get("HEADING")
        side = int(float(f.attrs.get("ANTENNA_SIDE", -1)))
    if az is None and heading is None:
        raise InputDataError(f"{geom_file} has neither an azimuthAngle dataset nor a HEADING attr")
    dem_err = _read_dem_error(dem_err_file, lat.shape)
    new_lat, new_lon = shift_lat_lon(
        lat, lon, dem_err, inc, az_angle_deg=az,
        heading_deg=None if heading is None else float(heading),
        antenna_side=side, reverse=reverse,
    )
    nodata = (lat == 0) & (lon == 0)
    new_lat[nodata], new_lon[nodata] = 0.0, 0.0
    with atomic_path(geom_file) as tmp:
        shutil.copyfile(geom_file, tmp)
        with h5py.File(tmp, "r+") as f:
            for name, data in (("latitude", new_lat), ("longitude", new_lon)):
                attrs = dict(f[name].attrs)
                del f[name]
                dset = f.create_dataset(name, data=data, dtype=np.float64)
                dset.attrs.update(attrs)
            f.attrs[FLAG] = "no" if reverse else "yes"
