"""Reader of GAMMA coregistered stacks (``minopy.load.processor = gamma``).

- SLCs: ``*.rslc`` headerless big-endian ``FCOMPLEX`` (or ``SCOMPLEX``), each with its ISP image
  parameter file ``<name>.rslc.par`` (or ``<name>.par``); the date is the first ``YYYYMMDD`` of the
  file name and must agree with the parameter file's ``date:``; all share one size.
- Metadata: the first date's parameter file (or ``minopy.load.metaFile``), as MintPy's
  ``prep_gamma`` reads it.
- Geometry: the geometry keys (GAMMA big-endian float32 rasters in radar coordinates, or any GDAL
  raster); autoPath takes ``geometry/*.hgt``, ``*.lat``, ``*.lon``, ``*.inc`` (degrees),
  ``*.shadow``/``*.water``. Without an incidence-angle file it is computed per range sample from the
  parameter file (``sar_to_earth_center``, ``earth_radius_below_sensor``, ``near_range_slc``).
  ``lookupYFile`` may instead be GAMMA's geocoding lookup table (``*.lt``, ``lt_fine``,
  ``*.UTM_TO_RDC``, with its ``*.dem_par``): it is inverted into the latitude/longitude of each
  radar pixel (:func:`minopy.io.gamma_par.invert_lookup`).
- Baselines: ``<ref>_<date>.base_perp`` (GAMMA ``base_perp`` output) in ``minopy.load.baselineDir``
  (autoPath ``baselines/``), else ``minopy.load.baselineFile``, else the orbit state vectors of
  the parameter files (:func:`minopy.io.gamma_par.orbit_bperp`), else zero with a warning.

autoPath layout (what ``minopy simulate --layout gamma`` writes)::

    <project>/rslc/<YYYYMMDD>.rslc, <YYYYMMDD>.rslc.par
    <project>/geometry/<ref>.hgt, <ref>.lat, <ref>.lon, <ref>.inc   big-endian float32
    <project>/baselines/<ref>_<YYYYMMDD>.base_perp
"""

from __future__ import annotations

import glob
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from minopy.config import option_key
from minopy.errors import InputDataError
from minopy.io.autopath import GEOMETRY_SOURCES
from minopy.io.gamma_par import (
    COMPLEX_FORMATS,
    invert_lookup,
    look_geometry,
    open_gamma_raster,
    orbit_bperp,
    par_date,
    radar_attributes,
    read_base_perp,
    read_dem_par,
    read_par,
)
from minopy.io.gdal_raster import open_band
from minopy.io.readers.base import StackInputs
from minopy.io.readers.common import dated_files, expand_files, read_baseline_list, slc_pattern

#: autoPath geometry file endings under ``geometry/``.
AUTO_GEOMETRY = {"height": ".hgt", "latitude": ".lat", "longitude": ".lon",
                 "incidenceAngle": ".inc", "shadowMask": ".shadow", "waterMask": ".water"}
_GDAL_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".nc")


@dataclass(frozen=True)
class GammaOptions:
    """The ``minopy.load.*`` options of a GAMMA stack, read in one place."""

    slc_pattern: str
    slc_key: str
    meta_file: str | None
    geometry: dict[str, str]
    baseline_dir: Path | None
    baseline_file: Path | None
    start: str | None
    end: str | None

    @classmethod
    def from_config(cls, config: Any, project_dir: Path) -> GammaOptions:
        auto = bool(config.load.auto_path)
        slc, key = slc_pattern(config, project_dir, "gamma", "rslc/*.rslc", "of the *.rslc files")
        geometry: dict[str, str] = {}
        for name, (gkey, _b, _n) in GEOMETRY_SOURCES.items():
            value = config.resolve_path(getattr(config.load, gkey))
            if value is None and auto and name in AUTO_GEOMETRY:
                hits = sorted(glob.glob(str(project_dir / "geometry" / f"*{AUTO_GEOMETRY[name]}")))
                if not hits and name in ("latitude", "longitude"):
                    hits = sorted(p for p in glob.glob(str(project_dir / "geometry" / "*"))
                                  if is_lookup_table(Path(p)))
                value = hits[0] if hits else None
            if value is not None:
                geometry[name] = str(value)
        bdir = config.resolve_path(config.load.baseline_dir)
        if bdir is None and auto and (project_dir / "baselines").is_dir():
            bdir = str(project_dir / "baselines")
        bfile = config.resolve_path(config.load.baseline_file)
        if bdir is not None and not Path(bdir).is_dir():
            raise InputDataError(f"minopy.load.baselineDir = {bdir} is not a directory")
        return cls(str(slc), key, config.resolve_path(config.load.meta_file), geometry,
                   Path(bdir) if bdir else None, Path(bfile) if bfile else None,
                   config.load.start_date, config.load.end_date)


def detect(project_dir: Path) -> bool:
    """A gamma layout: ``rslc/*.rslc``."""
    return bool(glob.glob(str(project_dir / "rslc" / "*.rslc")))


def par_file(slc: Path) -> Path:
    """``<name>.rslc.par`` (GAMMA's usual) or ``<name>.par`` beside the SLC."""
    for cand in (slc.with_name(slc.name + ".par"), slc.with_suffix(".par")):
        if cand.is_file():
            return cand
    raise InputDataError(f"GAMMA SLC {slc} has no parameter file {slc.name}.par (or "
                         f"{slc.with_suffix('.par').name})")


def _slcs(opts: GammaOptions) -> dict[str, Path]:
    return dated_files(expand_files(opts.slc_pattern, opts.slc_key), opts.slc_key, opts.start,
                       opts.end)


def _baseline_files(opts: GammaOptions) -> dict[str, Path]:
    """``{secondary date: <ref>_<date>.base_perp}`` in the baseline folder."""
    out: dict[str, Path] = {}
    if opts.baseline_dir is None:
        return out
    for path in sorted(opts.baseline_dir.glob("*.base_perp")):
        parts = path.name.split(".")[0].replace("-", "_").split("_")
        if len(parts) >= 2:
            out[parts[1]] = path
    return out


def input_files(config: Any, project_dir: Path) -> list[Path]:
    """The SLCs with their parameter files, the geometry and the baselines."""
    opts = GammaOptions.from_config(config, project_dir)
    slcs = _slcs(opts)
    files = []
    for path in slcs.values():
        files += [path, par_file(path)]
    files += sorted({Path(p) for p in opts.geometry.values()})
    lookup = _lookup_table(opts)
    if lookup is not None:
        files.append(_dem_par_of(lookup))
    files += list(_baseline_files(opts).values())
    if opts.baseline_file is not None:
        files.append(opts.baseline_file)
    return files


def is_lookup_table(path: Path) -> bool:
    """A GAMMA geocoding lookup table (``*.lt``, ``lt_fine``, ``*.UTM_TO_RDC``)."""
    name = path.name.lower()
    return name.endswith((".lt", ".utm_to_rdc", "lt_fine")) or name.startswith("lt_fine")


def _lookup_table(opts: GammaOptions) -> Path | None:
    """The lookup table given as ``lookupYFile`` (or found by autoPath), if any."""
    given = opts.geometry.get("latitude")
    if given is not None and is_lookup_table(Path(given)):
        return Path(given)
    return None


def _dem_par_of(lookup: Path) -> Path:
    """The DEM parameter file of a lookup table: ``<stem>.dem_par`` beside it, else the only
    ``*.dem_par`` there."""
    own = lookup.with_suffix(".dem_par")
    if own.is_file():
        return own
    found = sorted(lookup.parent.glob("*.dem_par"))
    if len(found) != 1:
        raise InputDataError(f"GAMMA lookup table {lookup}: expected its DEM parameter file "
                             f"{own.name} (or one *.dem_par) beside it, found "
                             f"{[p.name for p in found] or 'none'}")
    return found[0]


def _open_geometry(name: str, path: Path, length: int, width: int) -> Any:
    key = option_key("load", GEOMETRY_SOURCES[name][0])
    if path.suffix.lower() in _GDAL_SUFFIXES or any(
            path.with_name(path.name + s).exists() for s in (".vrt", ".xml", ".hdr")):
        band = open_band(path, 1, f"geometry {name} file ({key})")
        if band.shape != (length, width):
            raise InputDataError(f"geometry {name} file {path} is {band.shape[0]} x "
                                 f"{band.shape[1]} but the SLCs are {length} x {width}")
        return band
    fmt = "BYTE" if name in ("shadowMask", "waterMask") else "FLOAT"
    return open_gamma_raster(path, length, width, fmt, f"geometry {name} file ({key})")


class _ColumnBand:
    """A per-column profile repeated over the rows (incidence from the parameter file)."""

    def __init__(self, profile: np.ndarray, length: int) -> None:
        self.profile = profile.astype(np.float32)
        self.length = length

    @property
    def shape(self) -> tuple[int, int]:
        return (self.length, int(self.profile.size))

    def __getitem__(self, key: Any) -> np.ndarray:
        rows, cols = key if isinstance(key, tuple) else (key, slice(None))
        n = len(np.arange(self.length)[rows]) if not isinstance(rows, (int, np.integer)) else None
        prof = self.profile[cols]
        return prof.copy() if n is None else np.broadcast_to(prof, (n, *np.shape(prof))).copy()


def open_stack(config: Any, project_dir: Path, log: logging.Logger) -> StackInputs:
    """Find, check and open a GAMMA stack."""
    opts = GammaOptions.from_config(config, project_dir)
    slcs = _slcs(opts)
    bands, names, size0, first = [], [], None, None
    pars: dict[str, dict[str, str]] = {}
    par_files: dict[str, Path] = {}
    for date, path in slcs.items():
        pfile = par_file(path)
        par = read_par(pfile)
        pars[date], par_files[date] = par, pfile
        size = (int(par["azimuth_lines"].split()[0]), int(par["range_samples"].split()[0]))
        fmt = par.get("image_format", "FCOMPLEX").split()[0].upper()
        if fmt not in COMPLEX_FORMATS:
            raise InputDataError(f"SLC {path}: {pfile} says image_format {fmt}; expected complex "
                                 "pixels (FCOMPLEX or SCOMPLEX)")
        if par_date(par, pfile) != date:
            raise InputDataError(f"SLC {path} is named for {date} but {pfile} says date "
                                 f"{par.get('date')}; the file names give the acquisition dates")
        if size0 is None:
            size0, first = size, pfile
        elif size != size0:
            raise InputDataError(
                f"SLC {path} is {size[0]} x {size[1]} (azimuth_lines x range_samples in {pfile}) "
                f"but {first} says {size0[0]} x {size0[1]}; all SLCs must share one grid")
        bands.append(open_gamma_raster(path, *size, fmt, "SLC"))
        names.append(str(path))
    assert size0 is not None and first is not None
    meta_path = Path(opts.meta_file) if opts.meta_file else first
    par = read_par(meta_path)
    meta = radar_attributes(par, meta_path)
    length, width = size0
    lookup = _lookup_table(opts)
    geometry = {name: _open_geometry(name, Path(p), length, width)
                for name, p in opts.geometry.items()
                if lookup is None or name not in ("latitude", "longitude")}
    if lookup is not None:
        dem_par = _dem_par_of(lookup)
        lat, lon = invert_lookup(lookup, read_dem_par(dem_par), length, width,
                                 "lookup table (minopy.load.lookupYFile)")
        geometry["latitude"], geometry["longitude"] = lat, lon
        log.info("load_data: latitude/longitude of each radar pixel from the GAMMA lookup table "
                 "%s (map grid %s)", lookup, dem_par)
    if "incidenceAngle" not in geometry:
        geometry["incidenceAngle"] = _ColumnBand(look_geometry(par, width, meta_path), length)
    missing = [n for n in ("height", "latitude", "longitude") if n not in geometry]
    if missing:
        keys = ", ".join(option_key("load", GEOMETRY_SOURCES[n][0]) for n in missing)
        raise InputDataError(f"the GAMMA stack needs {', '.join(missing)} in radar coordinates: "
                             f"set {keys} (GAMMA *.hgt; latitude/longitude of each radar pixel)")
    warnings: list[str] = []
    dates = list(slcs)
    base_files = _baseline_files(opts)
    if opts.baseline_file is not None:
        bperp = read_baseline_list(opts.baseline_file, dates)
    elif base_files:
        ref = next(iter(base_files.values())).name.split(".")[0].replace("-", "_").split("_")[0]
        values = {ref: 0.0, **{d: read_base_perp(p) for d, p in base_files.items()}}
        missing_dates = [d for d in dates if d not in values]
        if missing_dates:
            raise InputDataError(f"no {ref}_<date>.base_perp in {opts.baseline_dir} for date(s) "
                                 f"{', '.join(missing_dates)}")
        raw = np.array([values[d] for d in dates])
        bperp = (raw - raw[0]).astype(np.float32)
    elif all("number_of_state_vectors" in p for p in pars.values()):
        ref_date = dates[0]
        raw = np.array([0.0] + [orbit_bperp(pars[ref_date], pars[d], par_files[ref_date],
                                            par_files[d]) for d in dates[1:]])
        bperp = raw.astype(np.float32)
        log.info("load_data: perpendicular baselines from the orbit state vectors of the "
                 "parameter files (no *.base_perp)")
    else:
        warnings.append("no perpendicular baselines (*.base_perp in minopy.load.baselineDir, "
                        "minopy.load.baselineFile, or orbit state vectors in the parameter "
                        "files); bperp set to 0")
        bperp = np.zeros(len(dates), np.float32)
    files = input_files(config, project_dir)
    return StackInputs(
        processor="gamma", description="GAMMA *.rslc stack", dates=dates, slc=bands,
        slc_names=names, slc_sources=[Path(p) for p in names], geometry=geometry, meta=meta,
        meta_source=str(meta_path), bperp=bperp,
        files=files, required=("WAVELENGTH", "RANGE_PIXEL_SIZE", "STARTING_RANGE",
                               "EARTH_RADIUS", "HEIGHT"),
        defaults={"AZIMUTH_PIXEL_SIZE": 14.0, "CENTER_LINE_UTC": 0.0},
        missing_hint="or use a complete GAMMA SLC parameter file (radar_frequency, "
                     "range_pixel_spacing, near_range_slc, sar_to_earth_center, "
                     "earth_radius_below_sensor)",
        azimuth_is_heading_source=False, warnings=warnings)
