"""Reader of any stack of single-band complex rasters GDAL reads (``minopy.load.processor = gdal``).

GeoTIFF, VRT, ENVI ``.hdr``, ISCE ``.xml``/``.vrt``, HDF5/netCDF subdatasets: all through
rasterio. The template names

- ``minopy.load.slcFile``: a glob or a list file (whose lines may name GDAL subdatasets, e.g.
  ``HDF5:"slc_20200105.h5"://data/VV``); the date of each raster is the first ``YYYYMMDD`` in its
  (file) name;
- the geometry with the usual keys (``demFile``, ``lookupYFile``, ``lookupXFile``,
  ``incAngleFile``, ``azAngleFile``, ``shadowMaskFile``, ``waterMaskFile``), each any GDAL raster
  (band 1; ``azAngleFile`` equal to ``incAngleFile`` is band 2, as ISCE's ``los.rdr``);
- baselines with ``baselineDir`` (ISCE layout) or ``baselineFile`` (``YYYYMMDD bperp`` lines).

Radar metadata come from the first SLC's GDAL metadata where present, else from the
``minopy.load.*`` metadata keys (``wavelength`` is then required). Rasters with a CRS and a
geotransform make a geocoded stack: latitude/longitude are then derived from the grid when no lookup
files are given. All rasters must share one grid.

autoPath layout (what ``minopy simulate --layout gdal|geo`` writes)::

    <project>/slc/*<YYYYMMDD>*.{tif,vrt,...}     one complex raster per date
    <project>/geometry/height.tif, latitude.tif, longitude.tif, incidenceAngle.tif,
                       azimuthAngle.tif, shadowMask.tif, waterMask.tif   (any GDAL extension)
    <project>/baselines.txt                       YYYYMMDD bperp_metres
"""

from __future__ import annotations

import glob
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minopy.config import option_key
from minopy.errors import InputDataError
from minopy.io.autopath import GEOMETRY_SOURCES
from minopy.io.gdal_raster import GdalBand, grid_of, open_band, radar_metadata
from minopy.io.geogrid import GeoGrid, LatLonBand
from minopy.io.readers.base import StackInputs
from minopy.io.readers.common import (
    check_same_grid,
    dated_files,
    expand_files,
    gdal_name,
    slc_pattern,
    stack_baselines,
)

#: autoPath file base names of the geometry (any extension GDAL reads).
AUTO_GEOMETRY = {name: name for name in GEOMETRY_SOURCES}
#: extensions the autoPath layout takes as rasters.
RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".bin", ".slc", ".nc", ".h5")
#: values used, with a warning, when neither the rasters nor the template give them.
DEFAULTS = {"EARTH_RADIUS": 6371000.0, "HEIGHT": 693000.0, "CENTER_LINE_UTC": 0.0}
MISSING_HINT = ("or store them in the rasters' GDAL metadata (e.g. a WAVELENGTH tag of the "
                "GeoTIFF)")


@dataclass(frozen=True)
class GdalOptions:
    """The ``minopy.load.*`` options of a GDAL stack, read in one place."""

    slc_pattern: str
    slc_key: str
    geometry: dict[str, str]
    baseline_dir: Path | None
    baseline_file: Path | None
    start: str | None
    end: str | None

    @classmethod
    def from_config(cls, config: Any, project_dir: Path) -> GdalOptions:
        auto = bool(config.load.auto_path)
        slc, key = slc_pattern(config, project_dir, "gdal", "slc/*",
                               "(or list file) of the complex rasters")
        geometry: dict[str, str] = {}
        for name, (gkey, _base, _band) in GEOMETRY_SOURCES.items():
            value = config.resolve_path(getattr(config.load, gkey))
            if value is None and auto:
                hits = [p for p in sorted(glob.glob(str(project_dir / "geometry" / f"{name}.*")))
                        if p.lower().endswith(RASTER_SUFFIXES)]
                value = hits[0] if hits else None
            if value is not None:
                geometry[name] = str(value)
        bdir = config.resolve_path(config.load.baseline_dir)
        bfile = config.resolve_path(config.load.baseline_file)
        if bdir is None and bfile is None and auto and (project_dir / "baselines.txt").is_file():
            bfile = str(project_dir / "baselines.txt")
        if bdir is not None and not Path(bdir).is_dir():
            raise InputDataError(f"minopy.load.baselineDir = {bdir} is not a directory")
        return cls(str(slc), key, geometry, Path(bdir) if bdir else None,
                   Path(bfile) if bfile else None, config.load.start_date,
                   config.load.end_date)


def detect(project_dir: Path) -> bool:
    """A gdal layout: ``slc/`` holding rasters with a date in their names."""
    folder = project_dir / "slc"
    return folder.is_dir() and any(p.name.lower().endswith(RASTER_SUFFIXES)
                                   for p in folder.iterdir())


def _slc_files(opts: GdalOptions) -> dict[str, Path]:
    files = expand_files(opts.slc_pattern, opts.slc_key)
    return dated_files(files, opts.slc_key, opts.start, opts.end)


def _geometry_files(opts: GdalOptions) -> dict[str, tuple[Path, int]]:
    out: dict[str, tuple[Path, int]] = {}
    for name, pattern in opts.geometry.items():
        key = option_key("load", GEOMETRY_SOURCES[name][0])
        hits = expand_files(pattern, key, f"{name} file")
        out[name] = (hits[0], 1)
    if "azimuthAngle" in out and "incidenceAngle" in out \
            and out["azimuthAngle"][0] == out["incidenceAngle"][0]:
        out["azimuthAngle"] = (out["azimuthAngle"][0], 2)  # ISCE los.rdr: band 2
    return out


def input_files(config: Any, project_dir: Path) -> list[Path]:
    """The SLC, geometry and baseline files of the stack."""
    opts = GdalOptions.from_config(config, project_dir)
    files = list(_slc_files(opts).values())
    files += sorted({p for p, _ in _geometry_files(opts).values()})
    if opts.baseline_file is not None:
        files.append(opts.baseline_file)
    if opts.baseline_dir is not None and opts.baseline_dir.is_dir():
        files += sorted(p for p in opts.baseline_dir.rglob("*.txt") if p.is_file())
    return files


def open_slcs(slcs: dict[str, Path], closers: list[Any]) -> tuple[list[GdalBand], GeoGrid | None]:
    """Open every SLC (complex, readable, on the first one's grid); return bands and grid."""
    bands: list[GdalBand] = []
    grid0: GeoGrid | None = None
    for path in slcs.values():
        band = open_band(gdal_name(path), 1, "SLC", complex_data=True)
        closers.append(band.dataset.close)
        if band.dataset.count > 1:
            raise InputDataError(f"SLC {path} has {band.dataset.count} bands; expected a "
                                 "single-band complex raster per date")
        grid = grid_of(band.dataset, gdal_name(path))
        if bands:
            check_same_grid(str(path), band.shape, grid, bands[0].name, bands[0].shape, grid0,
                            "SLC")
        else:
            grid0 = grid
        bands.append(band)
    return bands, grid0


def open_geometry(files: dict[str, tuple[Path, int]], ref: GdalBand, grid: GeoGrid | None,
                  closers: list[Any]) -> dict[str, Any]:
    """Open the geometry rasters, each on the SLCs' grid (a geometry raster without CRS is
    accepted beside geocoded SLCs when its size matches)."""
    out: dict[str, Any] = {}
    for name, (path, band_no) in files.items():
        band = open_band(gdal_name(path), band_no, f"geometry {name} file")
        closers.append(band.dataset.close)
        g = grid_of(band.dataset, str(path))
        check_same_grid(str(path), band.shape, g if g is not None or grid is None else grid,
                        ref.name, ref.shape, grid, f"geometry {name} file")
        out[name] = band
    return out


def open_stack(config: Any, project_dir: Path, log: logging.Logger) -> StackInputs:
    """Find, check and open a stack of GDAL rasters."""
    opts = GdalOptions.from_config(config, project_dir)
    slcs = _slc_files(opts)
    geometry_files = _geometry_files(opts)
    closers: list[Any] = []
    try:
        bands, grid = open_slcs(slcs, closers)
        geometry = open_geometry(geometry_files, bands[0], grid, closers)
        if grid is not None:
            for name in ("latitude", "longitude"):
                geometry.setdefault(name, LatLonBand(grid, name))
        needed = ["incidenceAngle"] + ([] if grid is not None else ["latitude", "longitude"])
        missing = [n for n in needed if n not in geometry]
        if missing:
            keys = ", ".join(option_key("load", GEOMETRY_SOURCES[n][0]) for n in missing)
            raise InputDataError(
                f"the {'geocoded' if grid else 'radar-coordinate'} GDAL stack needs "
                f"{', '.join(missing)}: set {keys}")
        if "height" not in geometry:
            raise InputDataError("the GDAL stack needs the height of each pixel (MintPy's "
                                 "geometry requires it): set minopy.load.demFile")
        warnings: list[str] = []
        bperp = stack_baselines(opts.baseline_dir, opts.baseline_file, list(slcs), warnings)
        meta = radar_metadata(bands[0].dataset)
        files = list(slcs.values()) + sorted({p for p, _ in geometry_files.values()})
        if opts.baseline_file is not None:
            files.append(opts.baseline_file)
        return StackInputs(
            processor="gdal",
            description=f"GDAL rasters ({bands[0].dataset.driver})",
            dates=list(slcs),
            slc=list(bands),
            slc_names=[str(p) for p in slcs.values()],
            slc_sources=[Path(p) for p in slcs.values()],
            geometry=geometry,
            meta=meta,
            meta_source=f"the GDAL metadata of {bands[0].name}",
            bperp=bperp,
            files=files,
            grid=grid,
            required=("WAVELENGTH",),
            defaults=dict(DEFAULTS),
            missing_hint=MISSING_HINT,
            warnings=warnings,
            closers=closers,
        )
    except BaseException:
        for close in closers:
            close()
        raise
