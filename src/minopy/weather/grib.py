"""ERA5 pressure-level GRIB files: checking their contents and reading them with ecCodes.

PyAPS reads a GRIB file by message position (it assumes 37 levels from 1 to 1000 hPa, each with
``z``, ``t``, ``q`` in that order); files from the Climate Data Store do not always come in that
order. :func:`read_era5_fields` finds every field by its short name and level instead, so any order
works, and a file that lacks a field or does not cover the area is reported by name.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import cast

import numpy as np

from minopy.errors import InputDataError

#: the 37 pressure levels (hPa) of ERA5 on pressure levels that PyAPS uses, top to bottom.
ERA5_LEVELS_HPA = (1, 2, 3, 5, 7, 10, 20, 30, 50, 70, 100, 125, 150, 175, 200, 225, 250, 300, 350,
                   400, 450, 500, 550, 600, 650, 700, 750, 775, 800, 825, 850, 875, 900, 925, 950,
                   975, 1000)
#: short names of the fields PyAPS needs: geopotential, temperature, specific humidity.
ERA5_FIELDS = ("z", "t", "q")


def import_eccodes() -> ModuleType:
    """Import ``eccodes``, after ``pyproj``.

    Loading the eccodes/eckit shared libraries before pyproj's makes pyproj crash when it is
    imported later in the same process (the wheels bundle conflicting copies of common libraries);
    MintPy and pygrib import pyproj. Importing pyproj first avoids it.
    """
    importlib.import_module("pyproj")
    return importlib.import_module("eccodes")


@dataclass(frozen=True)
class GribGrid:
    """The regular latitude/longitude grid of a GRIB file.

    Attributes
    ----------
    lats : (Nj,) array, north to south
    lons : (Ni,) array, west to east, in -180..180
    """

    lats: np.ndarray
    lons: np.ndarray

    def covers(self, south: float, north: float, west: float, east: float) -> bool:
        return bool(self.lats.min() <= south and self.lats.max() >= north
                    and self.lons.min() <= west and self.lons.max() >= east)

    def describe(self) -> str:
        return (f"latitude {self.lats.min():g}..{self.lats.max():g}, "
                f"longitude {self.lons.min():g}..{self.lons.max():g}")


def _grid_of(ec: ModuleType, h: object, path: Path) -> tuple[GribGrid, np.ndarray, np.ndarray]:
    """Grid of one message and the row/column order that makes it north-to-south, west-to-east."""
    if ec.codes_get(h, "gridType") != "regular_ll":
        raise InputDataError(f"{path}: grid type {ec.codes_get(h, 'gridType')!r}; ERA5 files "
                             "must be on a regular latitude/longitude grid")
    ni, nj = ec.codes_get(h, "Ni"), ec.codes_get(h, "Nj")
    lats = ec.codes_get_array(h, "latitudes").reshape(nj, ni)[:, 0].astype(np.float64)
    lons = ec.codes_get_array(h, "longitudes").reshape(nj, ni)[0, :].astype(np.float64)
    lons = np.where(lons >= 180.0, lons - 360.0, lons)
    row_order = np.argsort(-lats, kind="stable")
    col_order = np.argsort(lons, kind="stable")
    if np.any(np.diff(lons[col_order]) <= 0) or np.any(np.diff(lats[row_order]) >= 0):
        raise InputDataError(f"{path}: the grid has repeated latitudes or longitudes")
    if lons[col_order][-1] - lons[col_order][0] > 180.0 and np.any(np.diff(lons) < 0):
        raise InputDataError(f"{path}: the grid crosses the antimeridian, which is not supported")
    return GribGrid(lats[row_order], lons[col_order]), row_order, col_order


def scan_era5_grib(path: Path) -> GribGrid:
    """Check that ``path`` holds ``z``, ``t``, ``q`` on all 37 levels; return its grid.

    Raises
    ------
    InputDataError
        Naming the file and what is wrong (unreadable, missing fields or levels, other grids).
    """
    return _read(Path(path), values=False)[0]


def read_era5_fields(path: Path) -> tuple[GribGrid, dict[str, np.ndarray]]:
    """Read ``z`` (m^2/s^2), ``t`` (K), ``q`` (kg/kg), each (37, Nj, Ni), levels 1..1000 hPa."""
    return _read(Path(path), values=True)


def _read(path: Path, values: bool) -> tuple[GribGrid, dict[str, np.ndarray]]:
    ec = import_eccodes()
    wanted = {(name, level) for name in ERA5_FIELDS for level in ERA5_LEVELS_HPA}
    found: dict[tuple[str, int], np.ndarray | None] = {}
    grid = rows = cols = None
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed by the with statement below
    except OSError as err:
        raise InputDataError(f"cannot read the ERA5 file {path}: {err}") from None
    with fh:
        while True:
            try:
                h = ec.codes_grib_new_from_file(fh)
            except Exception as err:  # eccodes raises its own error classes
                raise InputDataError(f"{path} is not a readable GRIB file (truncated or "
                                     f"corrupt?): {err}") from None
            if h is None:
                break
            try:
                key = (str(ec.codes_get(h, "shortName")), int(ec.codes_get(h, "level")))
                if key not in wanted or ec.codes_get(h, "typeOfLevel") != "isobaricInhPa":
                    continue
                if grid is None:
                    grid, rows, cols = _grid_of(ec, h, path)
                elif (ec.codes_get(h, "Ni"), ec.codes_get(h, "Nj")) != (grid.lons.size,
                                                                       grid.lats.size):
                    raise InputDataError(f"{path}: the fields are not all on the same grid")
                if values:
                    arr = ec.codes_get_values(h).reshape(grid.lats.size, grid.lons.size)
                    found[key] = arr[rows][:, cols]
                else:
                    found[key] = None
            finally:
                ec.codes_release(h)
    missing = sorted(wanted - set(found), key=lambda k: (ERA5_FIELDS.index(k[0]), k[1]))
    if grid is None or missing:
        if grid is None:
            what = "no geopotential/temperature/specific-humidity field on pressure levels"
        else:
            shown = ", ".join(f"{n}@{lv}hPa" for n, lv in missing[:8])
            what = f"{len(missing)} of the 111 fields are missing ({shown}" + (
                ", ...)" if len(missing) > 8 else ")")
        raise InputDataError(
            f"{path}: {what}. An ERA5 file for PyAPS holds geopotential (z), temperature (t) and "
            f"specific humidity (q) on the 37 pressure levels {ERA5_LEVELS_HPA[0]}.."
            f"{ERA5_LEVELS_HPA[-1]} hPa; download it again (minopy weather --download)")
    fields: dict[str, np.ndarray] = {}
    if values:  # every found[...] is then an array, not None
        for name in ERA5_FIELDS:
            fields[name] = np.stack([cast(np.ndarray, found[(name, lv)])
                                     for lv in ERA5_LEVELS_HPA]).astype(np.float64)
    return grid, fields
