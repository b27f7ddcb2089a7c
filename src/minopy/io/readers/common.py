"""What the GDAL, GAMMA and OPERA readers share: file lists, dates from names, one grid,
baselines.

- :func:`expand_files`: ``minopy.load.slcFile`` is a glob, or a text file listing one path a line;
- :func:`dated_files`: the date of a file is the first valid ``YYYYMMDD`` in its name, and a date
  found in two files is an error naming both;
- :func:`check_same_grid`: every raster on the first one's grid (size, and CRS + geotransform for
  geocoded stacks); the error names the first that differs;
- :func:`stack_baselines`: ``minopy.load.baselineDir`` (ISCE layout), ``minopy.load.baselineFile``
  (``YYYYMMDD bperp`` lines), or zero with a warning.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from minopy.errors import ConfigError, InputDataError
from minopy.io.autopath import filter_dates, found_nothing, is_date
from minopy.io.baselines import read_baselines
from minopy.io.geogrid import GeoGrid

#: files a glob never takes as rasters (sidecars and metadata).
SIDECAR_SUFFIXES = (".aux.xml", ".hdr", ".ovr", ".par", ".rsc", ".aux", ".json", ".txt", ".md5")
_DIGITS = re.compile(r"\d{8,}")


def slc_pattern(config: Any, project_dir: Path, layout: str, default_glob: str,
                what: str) -> tuple[str, str]:
    """The SLC glob of a stack and the key it came from, for the readers' options.

    Parameters
    ----------
    config : Config
        Reads ``config.load.slc_file`` and ``config.load.auto_path``.
    project_dir : Path
        The folder autoPath looks in.
    layout : str
        The processor, for messages (``gdal``, ``gamma``, ``opera``).
    default_glob : str
        The autoPath glob relative to ``project_dir``, e.g. ``rslc/*.rslc``.
    what : str
        What the glob is of, for the message, e.g. ``of the *.rslc files``.

    Raises
    ------
    ConfigError
        Neither ``minopy.load.slcFile`` nor autoPath is set.
    """
    slc = config.resolve_path(config.load.slc_file)
    if slc is not None:
        return str(slc), "minopy.load.slcFile"
    if not config.load.auto_path:
        folder = default_glob.split("/")[0]
        raise ConfigError(f"no SLC files to load: set minopy.load.slcFile to a glob {what}, "
                          f"or minopy.load.autoPath = yes with {project_dir}/{folder}/")
    return str(project_dir / default_glob), f"autoPath ({layout} layout)"


def first_date(name: str) -> str | None:
    """The first valid ``YYYYMMDD`` in ``name`` (a run of 8+ digits starting with one)."""
    for match in _DIGITS.finditer(name):
        text = match.group()
        for i in range(len(text) - 7):
            if is_date(text[i:i + 8]):
                return text[i:i + 8]
    return None


def _is_sidecar(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith(SIDECAR_SUFFIXES):
        return True
    # ISCE's raster.xml beside its raw raster
    return name.endswith(".xml") and path.with_suffix("").exists()


_SUBDATASET = re.compile(r'^(?P<driver>[A-Za-z0-9_]+):"(?P<path>[^"]+)":(?P<name>.+)$')


class SubdatasetPath(type(Path())):  # type: ignore[misc]
    """The file holding a GDAL subdataset (``HDF5:"f.h5"://data/VV``, ``NETCDF:"f.nc":var``);
    ``gdal_name`` is what GDAL opens, the path itself names the file (its date, messages)."""

    gdal_name: str


def subdataset(text: str, base: Path) -> SubdatasetPath | None:
    """A list-file line naming a GDAL subdataset, as a :class:`SubdatasetPath`, else None."""
    match = _SUBDATASET.match(text)
    if match is None:
        return None
    path = Path(match.group("path"))
    path = path if path.is_absolute() else base / path
    out = SubdatasetPath(path)
    out.gdal_name = f'{match.group("driver")}:"{path}":{match.group("name")}'
    return out


def gdal_name(path: Path) -> str:
    """What GDAL opens for ``path`` (a subdataset's name, else the path)."""
    return getattr(path, "gdal_name", str(path))


def expand_files(pattern: str, key: str, thing: str = "SLC file") -> list[Path]:
    """Files of a glob, or the paths listed in a text file (``#`` comments, one per line; a line
    may name a GDAL subdataset, ``HDF5:"cslc_20200105.h5"://data/VV``).

    Raises
    ------
    InputDataError
        If nothing is found, or a listed file does not exist.
    """
    path = Path(pattern)
    if path.is_file() and path.suffix.lower() in (".txt", ".list"):
        try:
            lines = path.read_text().splitlines()
        except (OSError, UnicodeDecodeError) as err:
            raise InputDataError(f"{key} = {pattern}: cannot read the list: {err}") from None
        files: list[Any] = []
        for line in lines:
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            item: Any = subdataset(text, path.parent)
            if item is None:
                item = Path(text) if Path(text).is_absolute() else path.parent / text
            if not item.is_file():
                raise InputDataError(f"{key}: {item} (listed in {path}) does not exist")
            files.append(item)
        if not files:
            raise InputDataError(f"{key} = {pattern}: the list names no {thing}")
        return files
    files = sorted(Path(p) for p in glob.glob(pattern)
                   if Path(p).is_file() and not _is_sidecar(Path(p)))
    # a raw raster and its VRT (ISCE writes both): one raster, read through the VRT
    names = {str(f) for f in files}
    files = [f for f in files if str(f) + ".vrt" not in names]
    if not files:
        raise found_nothing(key, pattern, thing)
    return files


def dated_files(files: Sequence[Path], key: str, start: str | None = None,
                end: str | None = None) -> dict[str, Path]:
    """``{date: file}`` sorted by date, from the first ``YYYYMMDD`` of each file name, kept
    within ``start``..``end``.

    Raises
    ------
    InputDataError
        If a name has no date, a date is in two files (naming both), or no date is left.
    """
    out: dict[str, Path] = {}
    for f in files:
        date = first_date(f.name)
        if date is None:
            raise InputDataError(f"{key}: the file name {f} holds no date (YYYYMMDD); the date "
                                 "of each SLC is the first YYYYMMDD in its name")
        if date in out:
            raise InputDataError(f"{key}: date {date} is in two files, {out[date]} and {f}; "
                                 "keep one SLC per date")
        out[date] = f
    return filter_dates(dict(sorted(out.items())), start, end)


def check_same_grid(name: str, shape: tuple[int, int], grid: GeoGrid | None,
                    ref_name: str, ref_shape: tuple[int, int], ref_grid: GeoGrid | None,
                    what: str = "raster") -> None:
    """InputDataError naming ``name`` if it is not on the grid of ``ref_name``."""
    if tuple(shape) != tuple(ref_shape):
        raise InputDataError(
            f"{what} {name} is {shape[0]} x {shape[1]} (rows x columns) but {ref_name} is "
            f"{ref_shape[0]} x {ref_shape[1]}; all rasters of the stack must share one grid")
    if (grid is None) != (ref_grid is None):
        has, lacks = (name, ref_name) if grid is not None else (ref_name, name)
        raise InputDataError(
            f"{what} {name}: {has} has a coordinate reference system and geotransform but "
            f"{lacks} has none; a stack is either all geocoded or all in radar coordinates")
    if grid is not None and ref_grid is not None and not grid.same_as(ref_grid):
        raise InputDataError(
            f"{what} {name} is on another grid ({grid.describe()}) than {ref_name} "
            f"({ref_grid.describe()}); all rasters of the stack must share one grid")


def read_baseline_list(path: Path, dates: Sequence[str]) -> np.ndarray:
    """Per-date perpendicular baselines from ``YYYYMMDD value`` lines (metres; ``#`` comments),
    relative to the first of ``dates``.

    Raises
    ------
    InputDataError
        If a line is malformed or a date has no value.
    """
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise InputDataError(f"cannot read baseline list {path}: {err}") from None
    values: dict[str, float] = {}
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].replace(",", " ").split()
        if not text:
            continue
        try:
            if len(text) != 2 or not is_date(text[0]):
                raise ValueError
            values[text[0]] = float(text[1])
        except ValueError:
            raise InputDataError(f"{path} line {number}: {line.strip()!r} is not "
                                 "'YYYYMMDD bperp_metres'") from None
    missing = [d for d in dates if d not in values]
    if missing:
        raise InputDataError(f"{path} has no perpendicular baseline for date(s) "
                             f"{', '.join(missing)}")
    bperp = np.array([values[d] for d in dates], dtype=np.float64)
    return (bperp - bperp[0]).astype(np.float32)


def stack_baselines(baseline_dir: Path | None, baseline_file: Path | None,
                    dates: Sequence[str], warnings: list[str]) -> np.ndarray:
    """Baselines from the ISCE folder, the per-date list, or zeros (with a warning appended)."""
    if baseline_file is not None:
        if not baseline_file.is_file():
            raise InputDataError(f"minopy.load.baselineFile = {baseline_file} does not exist")
        return read_baseline_list(baseline_file, dates)
    if baseline_dir is not None:
        return read_baselines(baseline_dir, dates)
    warnings.append("no perpendicular baselines (minopy.load.baselineDir or "
                    "minopy.load.baselineFile); bperp set to 0, so MintPy cannot estimate the "
                    "DEM error")
    return np.zeros(len(dates), np.float32)
