"""Reader of ISCE topsStack / stripmapStack stacks (``minopy.load.processor = isce``).

Files are found by :mod:`minopy.io.autopath` (autoPath layout or template globs); every SLC must be
complex, readable and of one size, sidecars must agree with the file sizes, the geometry must match
the SLC size; metadata come from the topsStack ``IW*.xml`` or the stripmap reference metadata, and
baselines from ISCE's ``baselines/`` folder (zero with a warning without one).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from minopy.errors import InputDataError
from minopy.io.autopath import StackFiles, find_stack_files
from minopy.io.baselines import read_baselines
from minopy.io.isce import RasterInfo, open_raster, read_info
from minopy.io.isce_metadata import MISSING_HINT, REQUIRED_ATTRIBUTES, TEMPLATE_OVERRIDES
from minopy.io.readers.base import StackInputs
from minopy.io.stripmap_metadata import STRIPMAP_BASE, is_shelve, read_stripmap_metadata
from minopy.io.tops_metadata import read_tops_metadata


def _raster_info(path: Path) -> RasterInfo:
    info = read_info(path)
    if not info.path.exists():
        raise InputDataError(f"raster data file {info.path} does not exist (its sidecar does)")
    size = info.path.stat().st_size
    if size != info.nbytes:
        raise InputDataError(
            f"{info.path} has {size} bytes but its sidecar says {info.width} x {info.length} x "
            f"{info.bands} {info.data_type} = {info.nbytes} bytes"
        )
    return info


def check_slcs(files: StackFiles) -> tuple[int, int]:
    """Check every SLC (complex, readable, one size); return ``(length, width)``."""
    sizes: dict[tuple[int, int], list[str]] = {}
    for date, path in files.slc_files.items():
        info = _raster_info(path)
        if info.data_type not in ("CFLOAT", "CDOUBLE"):
            raise InputDataError(
                f"SLC {path} holds {info.data_type} data; expected complex (CFLOAT)"
            )
        sizes.setdefault((info.length, info.width), []).append(date)
    if len(sizes) > 1:
        detail = "; ".join(f"{ln} x {w}: {', '.join(d)}" for (ln, w), d in sizes.items())
        raise InputDataError(f"the SLCs differ in size (rows x columns): {detail}")
    return next(iter(sizes))


def check_geometry(files: StackFiles, length: int, width: int) -> None:
    """Check that each geometry raster is readable, has its band and the SLC size."""
    for name, src in files.geometry.items():
        info = _raster_info(src.path)
        if (info.length, info.width) != (length, width):
            raise InputDataError(
                f"geometry {name} file {src.path} is {info.length} x {info.width} but the SLCs are "
                f"{length} x {width}"
            )
        if src.band > info.bands:
            raise InputDataError(
                f"geometry {name} needs band {src.band} of {src.path}, which has {info.bands}"
            )


def read_metadata(config: Any, files: StackFiles, log: logging.Logger) -> dict[str, Any]:
    """Radar metadata of the stack from its files (template values are applied later)."""
    if files.layout == "tops":
        return read_tops_metadata(files.meta_files)
    path = files.meta_files[0]
    given = {attr for key, attr in TEMPLATE_OVERRIDES.items()
             if getattr(config.load, key) is not None}
    if is_shelve(path) and given >= set(REQUIRED_ATTRIBUTES) - {"ORBIT_DIRECTION"}:
        log.warning("%s is an ISCE shelve (unreadable without ISCE); using the radar "
                    "metadata given in the template", path)
        return {**STRIPMAP_BASE, "PLATFORM": "unknown"}
    return read_stripmap_metadata(path)


def input_files(config: Any, project_dir: Path) -> list[Path]:
    """The SLC, metadata, baseline and geometry files of the stack."""
    return find_stack_files(config.load, project_dir, config.resolve_path).all_files()


def open_stack(config: Any, project_dir: Path, log: logging.Logger) -> StackInputs:
    """Find, check and open an ISCE stack."""
    files = find_stack_files(config.load, project_dir, config.resolve_path)
    length, width = check_slcs(files)
    check_geometry(files, length, width)
    meta = read_metadata(config, files, log)
    warnings = []
    if files.baseline_dir is not None:
        bperp = read_baselines(files.baseline_dir, files.dates)
    else:
        warnings.append("no baseline directory (minopy.load.baselineDir); bperp set to 0")
        bperp = np.zeros(len(files.dates), np.float32)
    geometry = {name: open_raster(src.path)[src.band - 1] for name, src in files.geometry.items()}
    los = files.geometry.get("incidenceAngle")
    az = files.geometry.get("azimuthAngle")
    return StackInputs(
        processor="isce",
        description=f"{files.layout}Stack layout",
        dates=files.dates,
        slc=[open_raster(p)[0] for p in files.slc_files.values()],
        slc_names=[str(p) for p in files.slc_files.values()],
        slc_sources=[Path(p) for p in files.slc_files.values()],
        geometry=geometry,
        meta=meta,
        meta_source=", ".join(str(p) for p in files.meta_files),
        bperp=bperp,
        files=files.all_files(),
        required=REQUIRED_ATTRIBUTES,
        missing_hint=MISSING_HINT,
        azimuth_is_heading_source=(az is not None and los is not None and az.path == los.path),
        warnings=warnings,
    )


def detect(project_dir: Path) -> bool:
    """An ISCE stack: ``merged/SLC/`` under the project folder."""
    return (project_dir / "merged" / "SLC").is_dir()
