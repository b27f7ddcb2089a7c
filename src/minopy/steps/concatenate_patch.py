"""Step ``concatenate_patch``: assemble the patch results into the full-image products.

Writes, each atomically and patch by patch (memory bounded by one patch, never the image):

- ``inverted/phase_series.h5``: ``phase``, ``amplitude``, ``crlbStd`` (N, L, W) float32, ``shp``
  (L, W) int32, ``temporalCoherence`` (2, L, W) float32 (``[0]`` average, ``[1]`` full),
  ``estimator`` (L, W) uint8 (attribute ``codes`` lists them), ``date``, ``bperp``; the slcStack
  attributes plus ``FILE_TYPE='timeseries'``, ``UNIT='radian'`` (readable by MintPy).
- ``maskPS.h5``: ``mask`` (L, W) bool, ``FILE_TYPE='mask'``.
- ISCE-format rasters in ``inverted/``: ``tempCoh_average``, ``tempCoh_full``,
  ``amp_dispersion_index`` (float32), ``top_eigenvalues`` (3-band BSQ float32: λ1, λ2, top
  percent), ``shp_count`` (int32).

With output strides (``minopy.inversion.strides``) every product is on the coarse grid of
``L // sa x W // sr`` pixels, with MintPy's multilook metadata (``ALOOKS``/``RLOOKS``, pixel sizes;
:mod:`minopy.io.multilook`), and the geometry is multilooked to it in
``inverted/geometryRadar.h5`` (:attr:`StepContext.output_geometry_file`), which the later steps use.

A patch without a current result is an error naming the patch and its rows and columns.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from minopy.errors import MinopyError, StepError
from minopy.io.atomic import atomic_path
from minopy.io.geogrid import georef_from_attrs
from minopy.io.isce import create_raster
from minopy.io.multilook import coarse_shape, multilook_attrs, write_multilooked_geometry
from minopy.step_context import StepContext
from minopy.steps.outputs import H5Output, Output, RasterOutput
from minopy.steps.patches import read_result, result_fingerprint, result_path
from minopy.steps.phase_linking import DONE_NAME, Plan, make_plan, read_stack_info

#: the options the step reads (:data:`minopy.runner` fingerprints them).
READS: tuple[str, ...] = (
    "inversion",
)

#: ISCE rasters written in ``inverted/``: name -> (bands, dtype, scheme).
RASTERS: dict[str, tuple[int, type, str]] = {
    "tempCoh_average": (1, np.float32, "BIL"),
    "tempCoh_full": (1, np.float32, "BIL"),
    "amp_dispersion_index": (1, np.float32, "BIL"),
    "top_eigenvalues": (3, np.float32, "BSQ"),
    "shp_count": (1, np.int32, "BIL"),
}


def _check_patches(ctx: StepContext, plan: Plan) -> None:
    """Raise StepError for the first patch whose result is missing or stale."""
    for box, fp in zip(plan.boxes, plan.fingerprints, strict=True):
        path = result_path(ctx.patches_dir, box)
        if not path.is_file():
            raise StepError(f"patch {box.describe()} has no result ({path} is missing); "
                            "re-run the phase_linking step")
        stored = result_fingerprint(path)
        if stored is None:
            raise StepError(f"patch {box.describe()}: {path} cannot be read (damaged or "
                            "truncated); re-run the phase_linking step, which recomputes it")
        if stored != fp:
            raise StepError(f"patch {box.describe()}: {path} was computed with other options or "
                            "inputs; re-run the phase_linking step")


def _phase_series_attrs(ctx: StepContext, plan: Plan) -> dict[str, Any]:
    with h5py.File(plan.stack.path, "r") as f:
        attrs = dict(f.attrs)
    attrs["LENGTH"], attrs["WIDTH"] = str(plan.stack.length), str(plan.stack.width)
    attrs = multilook_attrs(attrs, plan.options.strides)
    length, width = coarse_shape(plan.stack.length, plan.stack.width, plan.options.strides)
    attrs.update({
        "FILE_TYPE": "timeseries", "UNIT": "radian", "DATA_TYPE": "float32",
        "data_type": "FLOAT", "family": "wrappedphase", "file_name": str(ctx.phase_series_file),
        "description": "Inverted wrapped phase time series (phase linking)",
        "LENGTH": str(length), "WIDTH": str(width),
        "REF_DATE": plan.stack.dates[0],
        "minopy.inversion.phaseLinkingMethod": plan.options.method,
    })
    return attrs


def _create_phase_series(f: h5py.File, plan: Plan, attrs: dict[str, Any]) -> None:
    n = plan.stack.num_dates
    length, width = coarse_shape(plan.stack.length, plan.stack.width, plan.options.strides)
    from minopy.phaselink.patch import ESTIMATOR_CODES

    chunk = (1, min(length, 256), min(width, 256))
    for name in ("phase", "amplitude", "crlbStd"):
        f.create_dataset(name, (n, length, width), dtype=np.float32, chunks=chunk)
    f.create_dataset("temporalCoherence", (2, length, width), dtype=np.float32, chunks=chunk)
    f.create_dataset("shp", (length, width), dtype=np.int32, chunks=chunk[1:])
    est = f.create_dataset("estimator", (length, width), dtype=np.uint8, chunks=chunk[1:])
    est.attrs["codes"] = ", ".join(f"{k}={v}" for k, v in sorted(ESTIMATOR_CODES.items()))
    with h5py.File(plan.stack.path, "r") as src:
        dates = src["date"][()] if "date" in src else np.array(plan.stack.dates, dtype="S8")
        bperp = src["bperp"][()] if "bperp" in src else np.zeros(n, dtype=np.float32)
    f.create_dataset("date", data=np.asarray(dates, dtype="S8"))
    f.create_dataset("bperp", data=np.asarray(bperp, dtype=np.float32))
    f["temporalCoherence"].attrs["bands"] = "0: average (mean of mini-stacks), 1: full stack"
    f.attrs.update(attrs)


def concatenate(ctx: StepContext, plan: Plan) -> None:
    """Write phase_series.h5, maskPS.h5 and the ISCE quality rasters from the patch results
    (on the coarse grid of the output strides)."""
    length, width = coarse_shape(plan.stack.length, plan.stack.width, plan.options.strides)
    attrs = _phase_series_attrs(ctx, plan)
    mask_attrs = {k: v for k, v in attrs.items() if k not in ("UNIT", "REF_DATE")}
    mask_attrs.update({"FILE_TYPE": "mask", "DATA_TYPE": "bool", "data_type": "BYTE",
                       "description": "PS mask (True = persistent scatterer)", "family": "PS mask",
                       "file_name": str(ctx.ps_mask_file)})
    with ExitStack() as stack:
        ps_tmp = stack.enter_context(atomic_path(ctx.phase_series_file))
        mask_tmp = stack.enter_context(atomic_path(ctx.ps_mask_file))
        georef = georef_from_attrs(attrs)
        rasters = {name: stack.enter_context(create_raster(ctx.inverted_dir / name, width, length,
                                                           bands, dtype, scheme, "", georef))
                   for name, (bands, dtype, scheme) in RASTERS.items()}
        out = stack.enter_context(h5py.File(ps_tmp, "w"))
        _create_phase_series(out, plan, attrs)
        mask_file = stack.enter_context(h5py.File(mask_tmp, "w"))
        ps_mask = mask_file.create_dataset("mask", (length, width), dtype=bool,
                                           chunks=(min(length, 256), min(width, 256)))
        mask_file.attrs.update(mask_attrs)
        for box in plan.boxes:
            res = read_result(result_path(ctx.patches_dir, box), box)
            r0, r1, c0, c1 = box.output_bounds(plan.options.strides)
            rows, cols = slice(r0, r1), slice(c0, c1)
            out["phase"][:, rows, cols] = res["phase"]
            out["amplitude"][:, rows, cols] = res["amplitude"]
            out["crlbStd"][:, rows, cols] = res["crlb_std"]
            out["temporalCoherence"][:, rows, cols] = res["temporal_coherence"]
            out["shp"][rows, cols] = res["shp_count"]
            out["estimator"][rows, cols] = res["estimator"]
            ps_mask[rows, cols] = res["ps_mask"]
            rasters["tempCoh_average"][0, rows, cols] = res["temporal_coherence"][0]
            rasters["tempCoh_full"][0, rows, cols] = res["temporal_coherence"][1]
            rasters["amp_dispersion_index"][0, rows, cols] = res["amp_dispersion"]
            rasters["top_eigenvalues"][:, rows, cols] = res["top_eigenvalues"]
            rasters["shp_count"][0, rows, cols] = res["shp_count"]
            del res


def run(ctx: StepContext) -> None:
    """Check that every patch has a current result, then write the full-image products."""
    plan = make_plan(ctx)
    _check_patches(ctx, plan)
    ctx.log.info("concatenating %d patches into %s", len(plan.boxes), ctx.phase_series_file)
    concatenate(ctx, plan)
    if plan.options.strides != (1, 1):
        write_multilooked_geometry(ctx.geometry_file, ctx.output_geometry_file,
                                   plan.options.strides)
        ctx.log.info("output strides %d,%d: products on a %d x %d grid; geometry multilooked to "
                     "%s", *plan.options.strides,
                     *coarse_shape(plan.stack.length, plan.stack.width, plan.options.strides),
                     ctx.output_geometry_file)


def inputs(ctx: StepContext) -> list[Path]:
    """The SLC stack (attributes, dates) and the phase-linking completion file; with output
    strides also the full-resolution geometry (multilooked here)."""
    files = [ctx.slc_stack_file, ctx.patches_dir / DONE_NAME]
    return files + ([ctx.geometry_file] if ctx.strides != (1, 1) else [])


def outputs(ctx: StepContext) -> list[Output]:
    """phase_series.h5, maskPS.h5 and the ISCE quality rasters, of the size of slcStack.h5
    (divided by the output strides; then also the multilooked geometry)."""
    try:
        stack = read_stack_info(ctx.slc_stack_file)
        length, width = coarse_shape(stack.length, stack.width, ctx.strides)
        dims = {"N": stack.num_dates, "L": length, "W": width}
    except MinopyError:
        dims = {}
    cube, image = ("N", "L", "W"), ("L", "W")
    shape = (dims["L"], dims["W"]) if dims else None
    return [
        H5Output(ctx.phase_series_file, {"phase": cube, "amplitude": cube, "crlbStd": cube,
                                         "temporalCoherence": (2, "L", "W"), "shp": image,
                                         "estimator": image, "date": ("N",), "bperp": ("N",)},
                 dims=dims),
        H5Output(ctx.ps_mask_file, {"mask": image}, dims=dims),
        *(RasterOutput(ctx.inverted_dir / name, bands, shape)
          for name, (bands, _, _) in RASTERS.items()),
        *([H5Output(ctx.output_geometry_file, {"height": image}, dims=dims)]
          if ctx.strides != (1, 1) else []),
    ]
