"""Step 1, ``load_data``: ISCE SLCs and geometry -> ``inputs/slcStack.h5``, ``geometryRadar.h5``.

Everything the user could get wrong is checked before any data are copied: the files exist, dates
are YYYYMMDD and some fall in startDate/endDate, the SLCs are complex and all of one size, sidecars
agree with the file sizes, the geometry matches the SLC size, the metadata hold what later steps
need, and the subset lies inside the image and is not smaller than the phase-linking window. The
input tree is only read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from minopy.config import option_key
from minopy.errors import ConfigError, InputDataError
from minopy.io.autopath import StackFiles, find_stack_files
from minopy.io.baselines import read_baselines
from minopy.io.geometry_metadata import geometry_attributes
from minopy.io.isce import RasterInfo, read_info
from minopy.io.isce_metadata import (
    REQUIRED_ATTRIBUTES,
    TEMPLATE_OVERRIDES,
    apply_template_values,
    check_required,
)
from minopy.io.stack_h5 import log_progress, write_geometry, write_slc_stack
from minopy.io.stripmap_metadata import STRIPMAP_BASE, is_shelve, read_stripmap_metadata
from minopy.io.subset import Box, box_from_lalo, box_from_yx, check_box_size
from minopy.io.tops_metadata import read_tops_metadata
from minopy.step_context import StepContext
from minopy.steps.outputs import H5Output, Output

READS: tuple[str, ...] = ("load", "subset", "inversion.patch_size")
#: checked against the area to load before it is loaded (never a different output).
VALIDATES: tuple[str, ...] = ("inversion.azimuth_window", "inversion.range_window")


def _stack_files(ctx: StepContext) -> StackFiles:
    return find_stack_files(ctx.config.load, ctx.project_dir, ctx.config.resolve_path)


def inputs(ctx: StepContext) -> list[Path]:
    """The SLC, metadata, baseline and geometry files that load_data reads."""
    return _stack_files(ctx).all_files()


def outputs(ctx: StepContext) -> list[Output]:
    """``inputs/slcStack.h5`` and ``inputs/geometryRadar.h5``."""
    return [H5Output(ctx.slc_stack_file, {"slc": ("N", "L", "W"), "date": ("N",),
                                          "bperp": ("N",)}),
            H5Output(ctx.geometry_file, {"slantRangeDistance": ("L", "W")})]


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


def read_metadata(ctx: StepContext, files: StackFiles) -> dict[str, Any]:
    """Radar metadata of the stack (file values, then template values)."""
    if files.layout == "tops":
        return read_tops_metadata(files.meta_files)
    path = files.meta_files[0]
    given = {attr for option, attr in TEMPLATE_OVERRIDES.items()
             if getattr(ctx.config.load, option) is not None}
    if is_shelve(path) and given >= set(REQUIRED_ATTRIBUTES) - {"ORBIT_DIRECTION"}:
        ctx.log.warning("%s is an ISCE shelve (unreadable without ISCE); using the radar "
                        "metadata given in the template", path)
        return {**STRIPMAP_BASE, "PLATFORM": "unknown"}
    return read_stripmap_metadata(path)


def subset_box(ctx: StepContext, files: StackFiles, length: int, width: int) -> Box:
    """The radar box to load from ``minopy.subset.lalo`` (priority) or ``.yx``, else the image."""
    subset, inversion = ctx.config.subset, ctx.config.inversion
    lalo, yx = subset.lalo, subset.yx
    lalo_key, yx_key = option_key("subset", "lalo"), option_key("subset", "yx")
    source = "full image"
    if lalo is not None:
        if "latitude" not in files.geometry or "longitude" not in files.geometry:
            raise InputDataError(
                f"{lalo_key} needs the latitude/longitude lookup; set "
                f"{option_key('load', 'lookup_y_file')} and {option_key('load', 'lookup_x_file')}"
            )
        box = box_from_lalo(lalo, files.geometry["latitude"].path,
                            files.geometry["longitude"].path)
        source = f"{lalo_key} = {lalo}"
        if yx is not None:
            ctx.log.warning("%s and %s both set; using lalo", lalo_key, yx_key)
    elif yx is not None:
        box = box_from_yx(yx, length, width)
        source = f"{yx_key} = {yx}"
    else:
        box = (0, 0, width, length)
    check_box_size(box, inversion.azimuth_window, inversion.range_window, source)
    return box


def stack_attributes(
    ctx: StepContext, files: StackFiles, meta: dict[str, Any], box: Box, length: int, width: int,
    bperp: np.ndarray,
) -> dict[str, Any]:
    """Root attributes of slcStack.h5 (MintPy names), for the subset ``box``."""
    from mintpy.utils.attribute import update_attribute4subset

    geo = files.geometry
    los = geo.get("incidenceAngle")
    az = geo.get("azimuthAngle")
    geom_meta = geometry_attributes(
        geo["latitude"].path if "latitude" in geo else None,
        geo["longitude"].path if "longitude" in geo else None,
        los.path if los is not None else None,
        az.band if (az is not None and los is not None and az.path == los.path) else 0,
        box,
    )
    attrs = dict(meta)
    if "HEADING" in geom_meta and attrs.get("HEADING") is None:
        attrs["HEADING"] = geom_meta["HEADING"]
    attrs.update({k: v for k, v in geom_meta.items() if k != "HEADING"})
    attrs = apply_template_values(attrs, ctx.config.load)
    check_required(attrs, ", ".join(str(p) for p in files.meta_files))
    template = ctx.config.template_file
    dates = files.dates
    attrs.update({
        "FILE_TYPE": "timeseries",
        "DATA_TYPE": "complex64",
        "PROCESSOR": "isce",
        "LENGTH": length,
        "WIDTH": width,
        "PROJECT_NAME": template.stem if template is not None else ctx.project_dir.name,
        "DATE": dates[0],
        "REF_DATE": dates[0],
        "START_DATE": dates[0],
        "END_DATE": dates[-1],
        "P_BASELINE_TOP_HDR": float(bperp[0]),
        "P_BASELINE_BOTTOM_HDR": float(bperp[0]),
        "ANTENNA_SIDE": -1,
        "ALOOKS": 1,
        "RLOOKS": 1,
    })
    attrs.pop("UNIT", None)
    attrs = update_attribute4subset({k: str(v) for k, v in attrs.items()}, box, print_msg=False)
    return attrs


def run(ctx: StepContext) -> None:
    """Load the SLC stack and geometry into ``inputs/``."""
    load = ctx.config.load
    if load.bperp_file is not None:
        raise ConfigError(
            f"{option_key('load', 'bperp_file')} = {load.bperp_file}: per-pixel perpendicular "
            "baselines are not supported in this version; remove the key (or set it to no) and "
            f"the per-date average baselines of {option_key('load', 'baseline_dir')} are used")
    files = _stack_files(ctx)
    ctx.log.info("load_data: %sStack layout, %d SLCs %s..%s", files.layout, len(files.slc_files),
                 files.dates[0], files.dates[-1])
    length, width = check_slcs(files)
    check_geometry(files, length, width)
    meta = read_metadata(ctx, files)
    if files.baseline_dir is not None:
        bperp = read_baselines(files.baseline_dir, files.dates)
    else:
        ctx.log.warning("no baseline directory (%s); bperp set to 0",
                        option_key("load", "baseline_dir"))
        bperp = np.zeros(len(files.dates), np.float32)
    box = subset_box(ctx, files, length, width)
    attrs = stack_attributes(ctx, files, meta, box, length, width, bperp)
    ctx.log.info("load_data: box (x0, y0, x1, y1) = %s of %d x %d", box, length, width)

    patch = int(ctx.config.inversion.patch_size)
    ctx.inputs_dir.mkdir(parents=True, exist_ok=True)
    write_slc_stack(ctx.slc_stack_file, list(files.slc_files.values()), files.dates, bperp, attrs,
                    box, patch, load.compression,
                    progress=log_progress(ctx.log, "slcStack.h5"))
    write_geometry(ctx.geometry_file, files.geometry, attrs, box, patch)
    ctx.log.info("load_data: wrote %s and %s", ctx.slc_stack_file, ctx.geometry_file)
