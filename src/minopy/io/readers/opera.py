"""Reader of OPERA CSLC-S1 HDF5 stacks (``minopy.load.processor = opera``).

A CSLC-S1 product
(``OPERA_L2_CSLC-S1_T071-151230-IW3_20221019T141020Z_<production>Z_S1A_VV_v1.0.h5``) holds one
geocoded burst:

- ``/data/VV`` (or ``VH``/``HH``/``HV``): complex64 on a UTM grid whose pixel centres are
  ``/data/x_coordinates`` and ``/data/y_coordinates``, EPSG code ``/data/projection``;
- ``/identification/burst_id`` (``t071_151230_iw3``), ``zero_doppler_start_time``/``_end_time``
  (``YYYY-MM-DD HH:MM:SS.ffffff``), ``orbit_pass_direction``;
- ``/metadata/processing_information/input_burst_metadata/wavelength`` (m), and there also
  ``range_pixel_spacing``, ``starting_range``, ``platform_id`` when present; ``/metadata/orbit``
  ``position_x/y/z`` (ECEF, m).

The CSLC-STATIC product of the burst (``minopy.load.metaFile``, autoPath ``static/*.h5``) gives the
geometry: ``/data/los_east`` and ``los_north`` (ground-to-satellite unit vector: incidence
``arccos(sqrt(1 - e² - n²))``, azimuth), ``layover_shadow_mask`` (0 none, 1 shadow, 2 layover,
3 both, 127 no data) and ``local_incidence_angle``. Several products of the same burst ID are
stacked by the date of their sensing time; mixing burst IDs, or two products of one date, is an
error. Height comes from ``minopy.load.demFile`` (any GDAL raster on the grid), else zero with a
warning; baselines from ``minopy.load.baselineFile`` (CSLCs carry none), else zero with a warning.

autoPath layout (what ``minopy simulate --layout opera`` writes)::

    <project>/cslc/OPERA_L2_CSLC-S1_*.h5
    <project>/static/OPERA_L2_CSLC-S1-STATIC_*.h5
    <project>/baselines.txt                       YYYYMMDD bperp_metres
"""

from __future__ import annotations

import glob
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from minopy.errors import InputDataError
from minopy.io.gdal_raster import open_band
from minopy.io.geogrid import GeoGrid, LatLonBand
from minopy.io.isce_metadata import parse_time
from minopy.io.readers.base import StackInputs
from minopy.io.readers.common import (
    check_same_grid,
    expand_files,
    first_date,
    read_baseline_list,
    slc_pattern,
)

POLARIZATIONS = ("VV", "HH", "VH", "HV")
WAVELENGTH_PATH = "/metadata/processing_information/input_burst_metadata/wavelength"
BURST_METADATA = "/metadata/processing_information/input_burst_metadata"
MEAN_EARTH_RADIUS = 6371008.8
#: layover_shadow_mask value of pixels without data.
MASK_NODATA = 127


@dataclass(frozen=True)
class OperaOptions:
    """The ``minopy.load.*`` options of an OPERA stack, read in one place."""

    slc_pattern: str
    slc_key: str
    static_pattern: str | None
    dem_file: str | None
    baseline_file: Path | None
    start: str | None
    end: str | None

    @classmethod
    def from_config(cls, config: Any, project_dir: Path) -> OperaOptions:
        auto = bool(config.load.auto_path)
        slc, key = slc_pattern(config, project_dir, "opera", "cslc/*.h5",
                               "of the OPERA CSLC-S1 .h5 files")
        static = config.resolve_path(config.load.meta_file)
        if static is None and auto and glob.glob(str(project_dir / "static" / "*.h5")):
            static = str(project_dir / "static" / "*.h5")
        bfile = config.resolve_path(config.load.baseline_file)
        if bfile is None and auto and (project_dir / "baselines.txt").is_file():
            bfile = str(project_dir / "baselines.txt")
        return cls(str(slc), key, static, config.resolve_path(config.load.dem_file),
                   Path(bfile) if bfile else None, config.load.start_date,
                   config.load.end_date)


def detect(project_dir: Path) -> bool:
    """An opera layout: ``cslc/*.h5``."""
    return bool(glob.glob(str(project_dir / "cslc" / "*.h5")))


def _text(f: h5py.File, path: str, name: Path) -> str:
    if path not in f:
        raise InputDataError(f"{name} lacks {path}; expected an OPERA CSLC-S1 product")
    value = f[path][()]
    return value.decode() if isinstance(value, bytes) else str(value)


def grid_of(f: h5py.File, name: Path) -> GeoGrid:
    """The map grid from ``/data/x_coordinates``, ``y_coordinates`` (pixel centres) and
    ``projection`` (EPSG)."""
    for path in ("/data/x_coordinates", "/data/y_coordinates", "/data/projection"):
        if path not in f:
            raise InputDataError(f"{name} lacks {path}: the grid of a CSLC is its x/y "
                                 "coordinates and projection")
    x = np.asarray(f["/data/x_coordinates"][()], dtype=np.float64)
    y = np.asarray(f["/data/y_coordinates"][()], dtype=np.float64)
    if x.size < 2 or y.size < 2:
        raise InputDataError(f"{name}: x/y coordinates need at least two values each")
    dx = float(f["/data/x_spacing"][()]) if "/data/x_spacing" in f else float(x[1] - x[0])
    dy = float(f["/data/y_spacing"][()]) if "/data/y_spacing" in f else float(y[1] - y[0])
    epsg = int(np.asarray(f["/data/projection"][()]).item())
    return GeoGrid.create(epsg, (x[0] - dx / 2.0, dx, 0.0, y[0] - dy / 2.0, 0.0, dy), y.size,
                          x.size, str(name))


def _slc_dataset(f: h5py.File, name: Path) -> h5py.Dataset:
    for pol in POLARIZATIONS:
        path = f"/data/{pol}"
        if path in f:
            ds = f[path]
            if ds.dtype.kind != "c":
                raise InputDataError(f"{name}: {path} holds {ds.dtype} data; expected complex "
                                     "pixels")
            return ds
    raise InputDataError(f"{name} has no complex layer /data/VV (or HH, VH, HV); expected an "
                         "OPERA CSLC-S1 product")


class _MaskBand:
    """``layover_shadow_mask`` as ISCE's shadow mask values: non-zero = layover or shadow; the
    no-data value 127 becomes 0."""

    def __init__(self, ds: h5py.Dataset) -> None:
        self.ds = ds

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.ds.shape)

    def __getitem__(self, key: Any) -> np.ndarray:
        block = np.asarray(self.ds[key])
        return np.where(block == MASK_NODATA, 0, block).astype(np.uint8)


class _LosBand:
    """Incidence (``which="incidence"``) or ISCE LOS azimuth (anticlockwise from north, of the
    ground-to-satellite vector) from the static layers' east/north components (degrees)."""

    def __init__(self, east: h5py.Dataset, north: h5py.Dataset, which: str) -> None:
        self.east, self.north, self.which = east, north, which

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.east.shape)

    def __getitem__(self, key: Any) -> np.ndarray:
        e = np.asarray(self.east[key], dtype=np.float64)
        n = np.asarray(self.north[key], dtype=np.float64)
        valid = (e != 0) | (n != 0)
        if self.which == "incidence":
            out = np.degrees(np.arccos(np.sqrt(np.clip(1.0 - e**2 - n**2, 0.0, 1.0))))
        else:
            out = np.degrees(np.arctan2(-e, n))
        return np.where(valid, out, np.nan).astype(np.float32)


class _ZeroBand:
    def __init__(self, shape: tuple[int, int]) -> None:
        self.shape = shape

    def __getitem__(self, key: Any) -> np.ndarray:
        return np.zeros(self.shape, np.float32)[key]


def _static_of(pattern: str, burst: str) -> tuple[Path, h5py.File]:
    """The CSLC-STATIC file of ``burst`` among those ``pattern`` finds (opened)."""
    seen = []
    for path in expand_files(pattern, "minopy.load.metaFile", "CSLC-STATIC file"):
        try:
            f = h5py.File(path, "r")
        except OSError as err:
            raise InputDataError(f"CSLC-STATIC {path} cannot be read: {err}") from None
        sburst = _text(f, "/identification/burst_id", path)
        if sburst == burst:
            return path, f
        f.close()
        seen.append(f"{path.name} ({sburst})")
    raise InputDataError(f"minopy.load.metaFile = {pattern}: no CSLC-STATIC file of burst "
                         f"{burst}; found {', '.join(seen)}")


def input_files(config: Any, project_dir: Path) -> list[Path]:
    """The CSLC products, the static layers, the DEM and the baseline list."""
    opts = OperaOptions.from_config(config, project_dir)
    files = expand_files(opts.slc_pattern, opts.slc_key, "CSLC file")
    if opts.static_pattern:
        files += expand_files(opts.static_pattern, "minopy.load.metaFile", "CSLC-STATIC file")
    if opts.dem_file:
        files.append(Path(opts.dem_file))
    if opts.baseline_file is not None:
        files.append(opts.baseline_file)
    return files


def _metadata(f: h5py.File, name: Path) -> dict[str, Any]:
    meta: dict[str, Any] = {"PLATFORM": "Sen", "beam_mode": "IW"}
    if WAVELENGTH_PATH in f:
        meta["WAVELENGTH"] = float(f[WAVELENGTH_PATH][()])
    for key, attr in (("range_pixel_spacing", "RANGE_PIXEL_SIZE"),
                      ("starting_range", "STARTING_RANGE")):
        if f"{BURST_METADATA}/{key}" in f:
            meta[attr] = float(f[f"{BURST_METADATA}/{key}"][()])
    if "/identification/orbit_pass_direction" in f:
        meta["ORBIT_DIRECTION"] = _text(f, "/identification/orbit_pass_direction", name).upper()
    start = parse_time(_text(f, "/identification/zero_doppler_start_time", name), name)
    end = (parse_time(_text(f, "/identification/zero_doppler_end_time", name), name)
           if "/identification/zero_doppler_end_time" in f else start)
    mid = start + (end - start) / 2
    meta["CENTER_LINE_UTC"] = mid.hour * 3600 + mid.minute * 60 + mid.second \
        + mid.microsecond * 1e-6
    if all(f"/metadata/orbit/position_{c}" in f for c in "xyz"):
        pos = np.stack([np.asarray(f[f"/metadata/orbit/position_{c}"][()], np.float64)
                        for c in "xyz"], axis=-1)
        meta["HEIGHT"] = float(np.linalg.norm(pos, axis=-1).mean() - MEAN_EARTH_RADIUS)
        meta["EARTH_RADIUS"] = MEAN_EARTH_RADIUS
    meta["burst_id"] = _text(f, "/identification/burst_id", name)
    return meta


def open_stack(config: Any, project_dir: Path, log: logging.Logger) -> StackInputs:
    """Find, check and open a stack of OPERA CSLC-S1 products of one burst."""
    opts = OperaOptions.from_config(config, project_dir)
    paths = expand_files(opts.slc_pattern, opts.slc_key, "CSLC file")
    closers: list[Any] = []
    try:
        found: dict[str, tuple[Path, h5py.Dataset, GeoGrid, h5py.File]] = {}
        burst0: tuple[str, Path] | None = None
        for path in paths:
            try:
                f = h5py.File(path, "r")
            except OSError as err:
                raise InputDataError(f"CSLC {path} cannot be read as HDF5: {err}") from None
            closers.append(f.close)
            burst = _text(f, "/identification/burst_id", path)
            if burst0 is None:
                burst0 = (burst, path)
            elif burst != burst0[0]:
                raise InputDataError(
                    f"CSLC {path} is burst {burst} but {burst0[1]} is burst {burst0[0]}; a stack "
                    "is one burst ID (select one burst's files with minopy.load.slcFile)")
            date = parse_time(_text(f, "/identification/zero_doppler_start_time", path),
                              path).strftime("%Y%m%d")
            named = first_date(path.name)
            if named is not None and named != date:
                raise InputDataError(f"CSLC {path} is named for {named} but was sensed on {date} "
                                     "(/identification/zero_doppler_start_time)")
            if date in found:
                raise InputDataError(f"date {date} is in two CSLC files, {found[date][0]} and "
                                     f"{path}; keep one per date")
            ds = _slc_dataset(f, path)
            grid = grid_of(f, path)
            if ds.shape != (grid.length, grid.width):
                raise InputDataError(f"{path}: {ds.name} is {ds.shape} but its coordinates give "
                                     f"{grid.length} x {grid.width}")
            found[date] = (path, ds, grid, f)
        dates = sorted(d for d in found if (opts.start is None or d >= opts.start)
                       and (opts.end is None or d <= opts.end))
        if not dates:
            raise InputDataError(f"no CSLC dates between minopy.load.startDate = {opts.start} and "
                                 f"minopy.load.endDate = {opts.end}")
        ref_path, _ds, grid, ref_file = found[dates[0]]
        for d in dates[1:]:
            path, ds, g, _f = found[d]
            check_same_grid(str(path), ds.shape, g, str(ref_path), _ds.shape, grid, "CSLC")
        meta = _metadata(ref_file, ref_path)
        shape = (grid.length, grid.width)
        warnings: list[str] = []
        geometry: dict[str, Any] = {"latitude": LatLonBand(grid, "latitude"),
                                    "longitude": LatLonBand(grid, "longitude")}
        files = [found[d][0] for d in dates]
        static_desc = "no CSLC-STATIC layers"
        if opts.static_pattern:
            spath, sf = _static_of(opts.static_pattern, meta["burst_id"])
            closers.append(sf.close)
            for layer in ("los_east", "los_north"):
                if f"/data/{layer}" not in sf:
                    raise InputDataError(f"CSLC-STATIC {spath} lacks /data/{layer}")
            check_same_grid(str(spath), sf["/data/los_east"].shape, grid_of(sf, spath),
                            str(ref_path), shape, grid, "CSLC-STATIC")
            east, north = sf["/data/los_east"], sf["/data/los_north"]
            geometry["incidenceAngle"] = _LosBand(east, north, "incidence")
            geometry["azimuthAngle"] = _LosBand(east, north, "azimuth")
            if "/data/layover_shadow_mask" in sf:
                geometry["shadowMask"] = _MaskBand(sf["/data/layover_shadow_mask"])
            files.append(spath)
            static_desc = f"static layers {spath.name}"
        if opts.dem_file:
            band = open_band(opts.dem_file, 1, "geometry height file (minopy.load.demFile)")
            closers.append(band.dataset.close)
            if band.shape != shape:
                raise InputDataError(f"geometry height file {opts.dem_file} is {band.shape} but "
                                     f"the CSLCs are {shape}")
            geometry["height"] = band
            files.append(Path(opts.dem_file))
        else:
            warnings.append("no DEM (minopy.load.demFile): height set to 0 (MintPy's "
                            "height-correlated tropospheric correction then does nothing)")
            geometry["height"] = _ZeroBand(shape)
        if "incidenceAngle" not in geometry:
            raise InputDataError("the OPERA stack needs the CSLC-STATIC layers of burst "
                                 f"{meta['burst_id']} (los_east, los_north): set "
                                 "minopy.load.metaFile to the CSLC-STATIC .h5 file")
        if opts.baseline_file is not None:
            bperp = read_baseline_list(opts.baseline_file, dates)
            files.append(opts.baseline_file)
        else:
            warnings.append("no perpendicular baselines (minopy.load.baselineFile): bperp set "
                            "to 0")
            bperp = np.zeros(len(dates), np.float32)
        return StackInputs(
            processor="opera",
            description=f"OPERA CSLC-S1 burst {meta['burst_id']}, {static_desc}",
            dates=dates, slc=[found[d][1] for d in dates],
            slc_names=[str(found[d][0]) for d in dates],
            slc_sources=[Path(found[d][0]) for d in dates], geometry=geometry,
            meta={k: v for k, v in meta.items() if k != "burst_id"} | {
                "relative_orbit": meta["burst_id"].split("_")[0].lstrip("tT"),
                "OPERA_BURST_ID": meta["burst_id"]},
            meta_source=str(ref_path), bperp=bperp, files=files, grid=grid,
            required=("WAVELENGTH",),
            defaults={"EARTH_RADIUS": MEAN_EARTH_RADIUS, "HEIGHT": 693000.0},
            missing_hint=f"or use CSLC products that hold {WAVELENGTH_PATH}",
            warnings=warnings, closers=closers)
    except BaseException:
        for close in closers:
            close()
        raise
