"""Step 1, ``load_data``: a coregistered SLC stack and its geometry -> ``inputs/slcStack.h5``,
``inputs/geometryRadar.h5``.

The processor's reader (:mod:`minopy.io.readers`: ISCE, GDAL rasters, GAMMA, OPERA CSLC) finds the
files and checks everything the user could get wrong before any data are copied: the files exist,
dates are YYYYMMDD and some fall in startDate/endDate, the SLCs are complex and all on one grid,
the geometry matches, the metadata hold what later steps need. This step then applies the
template's metadata values, chooses the subset (``minopy.subset.lalo`` through the lookup rasters,
or through the geotransform of a geocoded stack) and writes both files. The input tree is only read.

Incremental runs: when ``slcStack.h5`` already holds the first dates of the date list, loaded from
the same window with the same options and from source files unchanged since (path, size, mtime),
only the new dates are appended to it in place (:mod:`minopy.io.stack_append`); a stack holding
exactly these dates is kept as it is. Anything else (or ``--force``, or
``minopy.load.updateMode = no``) writes it anew, with the reason logged. ``geometryRadar.h5`` is
always written anew.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minopy.config import option_key
from minopy.errors import ConfigError, InputDataError
from minopy.io.geometry_metadata import geometry_attributes
from minopy.io.isce_metadata import apply_template_values, check_required
from minopy.io.readers import StackInputs, input_files, open_stack
from minopy.io.readers.defaults import complete_attributes
from minopy.io.stack_append import AppendPlan, append_slc_stack, plan_append
from minopy.io.stack_h5 import append_marker, log_progress, write_geometry, write_slc_stack
from minopy.io.subset import Box, box_from_lalo, box_from_yx, check_box_size
from minopy.step_context import StepContext
from minopy.steps.outputs import H5Output, Output

READS: tuple[str, ...] = ("load", "subset", "inversion.patch_size")
#: checked against the area to load before it is loaded (never a different output).
VALIDATES: tuple[str, ...] = ("inversion.azimuth_window", "inversion.range_window")


def inputs(ctx: StepContext) -> list[Path]:
    """The SLC, metadata, baseline and geometry files that load_data reads."""
    return input_files(ctx.config, ctx.project_dir)


@dataclass(frozen=True)
class SlcStackOutput(H5Output):
    """``slcStack.h5``: an :class:`H5Output` that is also broken while an append to it was
    interrupted (its ``.appending`` marker exists)."""

    def problem(self) -> str | None:
        marker = append_marker(self.path)
        if self.path.is_file() and marker.exists():
            return f"half-appended ({marker.name} exists: an append was interrupted)"
        return super().problem()


def outputs(ctx: StepContext) -> list[Output]:
    """``inputs/slcStack.h5`` and ``inputs/geometryRadar.h5``."""
    return [SlcStackOutput(ctx.slc_stack_file, {"slc": ("N", "L", "W"), "date": ("N",),
                                                "bperp": ("N",)}),
            H5Output(ctx.geometry_file, {"slantRangeDistance": ("L", "W")})]


def subset_box(ctx: StepContext, stack: StackInputs) -> Box:
    """The box to load from ``minopy.subset.lalo`` (priority) or ``.yx``, else the image.

    ``lalo`` goes through the geotransform of a geocoded stack, else through the lookup rasters.
    """
    subset, inversion = ctx.config.subset, ctx.config.inversion
    lalo, yx = subset.lalo, subset.yx
    length, width = stack.length, stack.width
    source = "full image"
    if lalo is not None:
        if stack.grid is not None:
            box = stack.grid.box_from_lalo(lalo, stack.slc_names[0])
        elif "latitude" not in stack.geometry or "longitude" not in stack.geometry:
            raise InputDataError(
                "minopy.subset.lalo needs the latitude/longitude lookup; set "
                "minopy.load.lookupYFile and minopy.load.lookupXFile"
            )
        else:
            box = box_from_lalo(lalo, stack.geometry["latitude"], stack.geometry["longitude"])
        source = f"minopy.subset.lalo = {lalo}"
        if yx is not None:
            ctx.log.warning("minopy.subset.lalo and minopy.subset.yx both set; using lalo")
    elif yx is not None:
        box = box_from_yx(yx, length, width)
        source = f"minopy.subset.yx = {yx}"
    else:
        box = (0, 0, width, length)
    check_box_size(box, inversion.azimuth_window, inversion.range_window, source)
    return box


def stack_attributes(ctx: StepContext, stack: StackInputs, box: Box) -> dict[str, Any]:
    """Root attributes of slcStack.h5 (MintPy names), for the subset ``box``."""
    from mintpy.utils.attribute import update_attribute4subset

    geo = stack.geometry
    geom_meta = geometry_attributes(
        geo.get("latitude"), geo.get("longitude"), geo.get("incidenceAngle"), 0, box,
        azimuth=geo.get("azimuthAngle") if stack.azimuth_is_heading_source else None,
    )
    attrs = dict(stack.meta)
    if "HEADING" in geom_meta and attrs.get("HEADING") is None:
        attrs["HEADING"] = geom_meta["HEADING"]
    attrs.update({k: v for k, v in geom_meta.items() if k != "HEADING"})
    attrs = apply_template_values(attrs, ctx.config.load)
    check_required(attrs, stack.meta_source, stack.required, stack.missing_hint)
    attrs = complete_attributes(attrs, stack, ctx.log)
    template = ctx.config.template_file
    dates, bperp = stack.dates, stack.bperp
    attrs.update({
        "FILE_TYPE": "timeseries",
        "DATA_TYPE": "complex64",
        # MintPy finds a radar-coordinate stack's latitude/longitude lookup by PROCESSOR = isce
        "PROCESSOR": stack.processor if stack.grid is not None else "isce",
        "MINOPY_PROCESSOR": stack.processor,
        "LENGTH": stack.length,
        "WIDTH": stack.width,
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
    if stack.grid is not None:
        attrs.update(stack.grid.mintpy_attributes())
    attrs.pop("UNIT", None)
    attrs = update_attribute4subset({k: str(v) for k, v in attrs.items()}, box, print_msg=False)
    return attrs


def stack_plan(ctx: StepContext, stack: StackInputs, attrs: dict[str, Any], box: Box,
               patch: int) -> AppendPlan:
    """How ``slcStack.h5`` is brought up to date: dates kept (appended to), or written anew and
    why (:func:`minopy.io.stack_append.plan_append`; ``--force`` and
    ``minopy.load.updateMode = no`` always write anew)."""
    path = ctx.slc_stack_file
    if ctx.force:
        return AppendPlan(0, "--force", exists=path.is_file())
    if not ctx.config.load.update_mode:
        return AppendPlan(0, f"{option_key('load', 'update_mode')} = no", exists=path.is_file())
    return plan_append(path, stack.dates, stack.bperp, attrs, box, patch,
                       ctx.config.load.compression, stack.date_sources())


def write_stack(ctx: StepContext, stack: StackInputs, attrs: dict[str, Any], box: Box,
                patch: int) -> None:
    """Append the new dates to ``slcStack.h5`` when it allows (see the module), else write it
    anew; log which and why."""
    path, n = ctx.slc_stack_file, len(stack.dates)
    plan = stack_plan(ctx, stack, attrs, box, patch)
    progress = log_progress(ctx.log, path.name)
    if plan.num_old == n and not plan.stale_attrs:
        ctx.log.info("load_data: incremental: %s already holds these %d dates, loaded from the "
                     "same files; kept as it is", path.name, n)
    elif plan.num_old == n:
        ctx.log.info("load_data: incremental: %s already holds these %d dates; updating its "
                     "attribute(s) %s in place", path.name, n, ", ".join(plan.stale_attrs))
        append_slc_stack(path, stack.slc, stack.dates, stack.bperp, attrs, box, n,
                         stack.date_sources())
    elif plan.num_old:
        ctx.log.info("load_data: incremental: appending %d new dates to %s (%d dates kept as "
                     "they are)", n - plan.num_old, path.name, plan.num_old)
        append_slc_stack(path, stack.slc, stack.dates, stack.bperp, attrs, box, plan.num_old,
                         stack.date_sources(), progress=progress)
    else:
        if plan.exists:
            ctx.log.info("load_data: writing %s anew: %s", path.name, plan.reason)
        write_slc_stack(path, stack.slc, stack.dates, stack.bperp, attrs, box, patch,
                        ctx.config.load.compression, progress=progress,
                        sources=stack.date_sources())


def run(ctx: StepContext) -> None:
    """Load the SLC stack and geometry into ``inputs/``."""
    load = ctx.config.load
    if load.bperp_file is not None:
        raise ConfigError(
            f"{option_key('load', 'bperp_file')} = {load.bperp_file}: per-pixel perpendicular "
            "baselines are not supported in this version; remove the key (or set it to no) and "
            f"the per-date average baselines of {option_key('load', 'baseline_dir')} (or the "
            f"per-date list {option_key('load', 'baseline_file')}) are used")
    stack = open_stack(ctx.config, ctx.project_dir, ctx.log)
    try:
        ctx.log.info("load_data: %s, %d SLCs %s..%s%s", stack.description, len(stack.dates),
                     stack.dates[0], stack.dates[-1],
                     f", geocoded ({stack.grid.describe()})" if stack.grid is not None else "")
        for warning in stack.warnings:
            ctx.log.warning("load_data: %s", warning)
        box = subset_box(ctx, stack)
        attrs = stack_attributes(ctx, stack, box)
        ctx.log.info("load_data: box (x0, y0, x1, y1) = %s of %d x %d", box, stack.length,
                     stack.width)
        patch = int(ctx.config.inversion.patch_size)
        ctx.inputs_dir.mkdir(parents=True, exist_ok=True)
        write_stack(ctx, stack, attrs, box, patch)
        write_geometry(ctx.geometry_file, stack.geometry, attrs, box, patch)
    finally:
        stack.close()
    ctx.log.info("load_data: wrote %s and %s", ctx.slc_stack_file, ctx.geometry_file)
