"""Finding the files of an ISCE stack: automatic paths (topsStack/stripmapStack) or template globs.

With ``minopy.load.autoPath = yes`` the layout under the project directory is used:

========== ========================================== =============================================
item       topsStack                                  stripmapStack
========== ========================================== =============================================
SLC        ``merged/SLC/*/*.slc.full``                ``merged/SLC/*/*.slc``
geometry   ``merged/geom_reference/*.rdr.full``       ``merged/geom_reference/*.rdr``
metadata   ``reference/IW*.xml``                      ``merged/SLC/*/referenceShelve/data.rsc``
                                                      (or ``data.xml``, ``data.dat``)
baselines  ``baselines/``                             ``baselines/``
========== ========================================== =============================================

Explicit ``minopy.load.*`` globs (relative to the template's folder) win over the automatic ones.
The layout is topsStack when ``reference/`` exists (or the metadata file is ``IW*.xml``); a stack
of ``*.slc.full`` files without ``reference/`` is reported as a topsStack lacking it.

The acquisition date of an SLC is its ``YYYYMMDD`` folder (else the start of its file name); a file
whose name starts with another date than its folder is an error naming both. A pattern that finds
nothing because a folder on its path cannot be read is reported as such (naming the folder).
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from minopy.config.schema import option_key
from minopy.config.sections import LoadOptions
from minopy.errors import ConfigError, InputDataError

#: geometry dataset -> (option of the ``load`` section, file base name, band in that file).
GEOMETRY_SOURCES: dict[str, tuple[str, str, int]] = {
    "height": ("dem_file", "hgt", 1),
    "latitude": ("lookup_y_file", "lat", 1),
    "longitude": ("lookup_x_file", "lon", 1),
    "incidenceAngle": ("inc_angle_file", "los", 1),
    "azimuthAngle": ("az_angle_file", "los", 2),
    "shadowMask": ("shadow_mask_file", "shadowMask", 1),
    "waterMask": ("water_mask_file", "waterMask", 1),
}
#: geometry datasets that must be present.
REQUIRED_GEOMETRY = ("height", "latitude", "longitude", "incidenceAngle")
_SIDECAR_SUFFIXES = (".xml", ".vrt", ".hdr", ".rsc", ".aux")


@dataclass(frozen=True)
class RasterSource:
    """One band of an ISCE-format raster."""

    path: Path
    band: int = 1


@dataclass
class StackFiles:
    """The input files of ``load_data``.

    Attributes
    ----------
    layout : str
        ``tops`` or ``stripmap``.
    slc_files : dict
        ``{YYYYMMDD: path}`` sorted by date, after the startDate/endDate filter.
    meta_files : list of Path
        Metadata files (topsStack: all ``IW*.xml``; stripmap: one file).
    baseline_dir : Path or None
        ISCE ``baselines`` folder.
    geometry : dict
        ``{dataset name: RasterSource}`` for the geometry found.
    """

    layout: str
    slc_files: dict[str, Path]
    meta_files: list[Path]
    baseline_dir: Path | None
    geometry: dict[str, RasterSource] = field(default_factory=dict)

    @property
    def dates(self) -> list[str]:
        return list(self.slc_files)

    def all_files(self) -> list[Path]:
        """Every input file (for fingerprints), sidecars excluded."""
        files = list(self.slc_files.values()) + list(self.meta_files)
        files += sorted({src.path for src in self.geometry.values()})
        if self.baseline_dir is not None and self.baseline_dir.is_dir():
            files += sorted(p for p in self.baseline_dir.rglob("*.txt") if p.is_file())
        return files


def is_date(text: str) -> bool:
    """True if ``text`` is a valid YYYYMMDD date."""
    if not re.fullmatch(r"\d{8}", text):
        return False
    try:
        datetime.strptime(text, "%Y%m%d")
    except ValueError:
        return False
    return True


def _name_date(path: Path) -> str | None:
    """The ``YYYYMMDD`` date that starts a file name, if any."""
    stem = path.name.split(".", 1)[0]
    return stem if is_date(stem) else None


def date_of_slc(path: Path, folder_only: bool = False) -> str | None:
    """The date of an SLC: its folder name (ISCE layout) or else the start of its file name."""
    if is_date(path.parent.name):
        return path.parent.name
    if folder_only:
        return None
    return _name_date(path)


def unreadable_folder(pattern: str | os.PathLike) -> Path | None:
    """The first folder on the way to ``pattern`` that exists but cannot be listed, else None.

    A glob silently finds nothing below a folder without read/search permission, which would
    otherwise be reported as a missing file.
    """
    parts = Path(pattern).parts
    stop = next((i for i, part in enumerate(parts) if glob.has_magic(part)), len(parts) - 1)
    folder = Path(parts[0]) if parts else Path(".")
    for part in parts[1:stop + 1]:
        folder = folder / part
        try:
            with os.scandir(folder):
                pass
        except PermissionError:
            return folder
        except OSError:
            return None  # missing or not a folder: nothing further can be read either
    return None


def found_nothing(key: str, pattern: str, thing: str) -> InputDataError:
    """The error for a pattern of ``key`` that matched no ``thing`` (naming an unreadable folder
    on its way when that is the cause)."""
    folder = unreadable_folder(pattern)
    if folder is not None:
        return InputDataError(f"{key}: cannot read the folder {folder} (permission denied), so "
                              f"pattern {pattern} finds no {thing}; make the folder readable")
    return InputDataError(f"{key}: pattern {pattern} found no {thing}")


def _glob(pattern: str) -> list[Path]:
    return sorted(Path(p) for p in glob.glob(pattern)
                  if not p.endswith(_SIDECAR_SUFFIXES) and Path(p).is_file())


def _detect_layout(project_dir: Path, meta_pattern: str | None) -> str:
    if meta_pattern is not None:
        return "tops" if Path(meta_pattern).name.upper().startswith("IW") else "stripmap"
    if (project_dir / "reference").is_dir():
        return "tops"
    return "stripmap"


def _slc_files(pattern: str, key: str, folder_only: bool) -> dict[str, Path]:
    files = _glob(pattern)
    if not files:
        raise found_nothing(key, pattern, "SLC file")
    bad = [str(f) for f in files if date_of_slc(f, folder_only) is None]
    if bad:
        raise InputDataError(
            "date directory names must be YYYYMMDD (merged/SLC/<YYYYMMDD>/<YYYYMMDD>.slc*); "
            f"these SLCs have none: {', '.join(bad)}"
        )
    mismatched = [(f, f.parent.name, _name_date(f)) for f in files
                  if is_date(f.parent.name) and _name_date(f) not in (None, f.parent.name)]
    if mismatched:
        detail = "; ".join(f"{f} is in folder {folder} but its name says {name}"
                           for f, folder, name in mismatched[:5])
        more = f" (and {len(mismatched) - 5} more)" if len(mismatched) > 5 else ""
        raise InputDataError(
            f"SLC dates disagree: {detail}{more}. The folder name is the acquisition date "
            "(merged/SLC/<YYYYMMDD>/<YYYYMMDD>.slc*); a file under another date's folder would be "
            "loaded as the wrong acquisition: put each SLC in the folder of its own date")
    out: dict[str, Path] = {}
    for f in files:
        date = date_of_slc(f, folder_only)
        assert date is not None
        if date in out:
            raise InputDataError(f"two SLC files for date {date}: {out[date]} and {f} ({pattern})")
        out[date] = f
    return dict(sorted(out.items()))


def filter_dates(slcs: dict[str, Path], start: str | None, end: str | None) -> dict[str, Path]:
    """The SLCs dated within ``start``..``end`` (YYYYMMDD, inclusive; None = open); an
    InputDataError naming the stack's date range when none is."""
    kept = {d: f for d, f in slcs.items() if (start is None or d >= start)
            and (end is None or d <= end)}
    if not kept:
        found = list(slcs)
        raise InputDataError(
            f"no SLC dates between minopy.load.startDate = {start or 'none'} and "
            f"minopy.load.endDate = {end or 'none'}; the stack has {len(found)} dates from "
            f"{found[0]} to {found[-1]}"
        )
    return kept


def _stripmap_meta(project_dir: Path) -> str:
    base = project_dir / "merged" / "SLC"
    for name in ("data.rsc", "data.xml", "*.xml", "data.dat", "data"):
        hits = sorted(glob.glob(str(base / "*" / "referenceShelve" / name)))
        if hits:
            return hits[0]
    return str(base / "*" / "referenceShelve" / "data.rsc")


def find_stack_files(load: LoadOptions, project_dir: str | Path,
                     resolve_path: Callable[[str | None], str | None]) -> StackFiles:
    """Find the SLCs, metadata, baselines and geometry of an ISCE stack.

    Parameters
    ----------
    load : LoadOptions
        The ``load`` options (autoPath, the file globs, startDate, endDate).
    project_dir : path-like
        Folder holding ``merged/``, ``reference/`` and ``baselines/`` for autoPath.
    resolve_path : callable
        Makes a path option absolute (relative paths are relative to the template's folder,
        :meth:`minopy.config.Config.resolve_path`).

    Raises
    ------
    ConfigError
        If neither autoPath nor ``minopy.load.slcFile`` is set.
    InputDataError
        If a pattern finds nothing (naming it), a date folder is not YYYYMMDD, or no date is left
        after the date range.
    """
    project_dir = Path(project_dir)
    auto = bool(load.auto_path)
    slc_option = option_key("load", "slc_file")
    slc_pattern = resolve_path(load.slc_file)
    meta_pattern = resolve_path(load.meta_file)
    if slc_pattern is None and not auto:
        raise ConfigError(
            f"no SLC files to load: set {option_key('load', 'auto_path')} = yes (ISCE "
            f"topsStack/stripmapStack layout under {project_dir}) or {slc_option} to a glob of "
            "the SLC files"
        )
    layout = _detect_layout(project_dir, meta_pattern)
    merged = project_dir / "merged"
    full = ".full" if layout == "tops" else ""
    slc_key = slc_option
    if slc_pattern is None:
        slc_pattern = str(merged / "SLC" / "*" / f"*.slc{full}")
        slc_key = f"autoPath ({layout}Stack)"
    if layout == "stripmap" and meta_pattern is None and slc_key != slc_option \
            and not _glob(slc_pattern) and _glob(str(merged / "SLC" / "*" / "*.slc.full")):
        raise InputDataError(
            f"autoPath: the SLCs {merged}/SLC/*/*.slc.full are a topsStack layout, but "
            f"{project_dir / 'reference'} does not exist (its IW*.xml files hold the radar "
            "metadata); restore the reference/ folder of the topsStack run, or set "
            "minopy.load.metaFile to its IW*.xml files")
    slcs = _slc_files(slc_pattern, slc_key, folder_only=slc_key != slc_option)
    slcs = filter_dates(slcs, load.start_date, load.end_date)

    meta_key = option_key("load", "meta_file")
    if meta_pattern is None:
        meta_key = f"autoPath ({layout}Stack)"
        meta_pattern = (str(project_dir / "reference" / "IW*.xml") if layout == "tops"
                        else _stripmap_meta(project_dir))
    meta_files = sorted(Path(p) for p in glob.glob(meta_pattern) if Path(p).is_file())
    if not meta_files:
        raise found_nothing(meta_key, meta_pattern, "metadata file")
    if layout == "stripmap":
        meta_files = meta_files[:1]

    baseline = resolve_path(load.baseline_dir)
    baseline_dir = Path(baseline) if baseline is not None else (
        project_dir / "baselines" if auto else None)
    if baseline is not None and not Path(baseline).is_dir():
        raise InputDataError(f"{option_key('load', 'baseline_dir')} = {baseline} is not a "
                             "directory")

    geometry: dict[str, RasterSource] = {}
    for name, (option, base, band) in GEOMETRY_SOURCES.items():
        value = getattr(load, option)
        pattern = resolve_path(value)
        key = where = option_key("load", option)
        if pattern is None:
            if not auto:
                continue
            pattern = str(merged / "geom_reference" / f"{base}.rdr{full}")
            where = f"autoPath ({layout}Stack)"
        hits = _glob(pattern)
        if not hits:
            if name in REQUIRED_GEOMETRY or value is not None:
                raise found_nothing(where, pattern, f"{name} file ({key})")
            continue
        geometry[name] = RasterSource(hits[0], band)
    return StackFiles(layout, slcs, meta_files, baseline_dir, geometry)
