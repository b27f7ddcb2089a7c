"""Step ``ifgram_correction``: MintPy's modify_network, reference_point, quick_overview and
correct_unwrap_error on ``<net>_network/inputs/ifgramStack.h5``.

When MintPy's automatic reference point finds no pixel with average spatial coherence above
``mintpy.reference.minCoherence`` (and the user gave no ``mintpy.reference.yx/lalo``), the
reference is taken from the phase-linking temporal coherence instead: the most coherent pixel of
the largest connected region of reliable pixels (temporal coherence >= minopy minTempCoh, inside
MintPy's common connected-component mask, on land). That choice is logged.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
from scipy import ndimage

from minopy import mintpy_bridge
from minopy.errors import InputDataError, StepError
from minopy.io.isce import read_raster
from minopy.mintpy_staging import StagedInput, staging
from minopy.steps.context import StepContext
from minopy.steps.load_ifgram import geometry_copy, stack_file
from minopy.steps.outputs import H5Output, Output

OPTION_PREFIXES: tuple[str, ...] = (
    "mintpy.network.", "mintpy.reference.", "mintpy.unwrapError.", "mintpy.compute.",
    "minopy.timeseries.tempCohType", "minopy.timeseries.minTempCoh",
)


def inputs(ctx: StepContext) -> list[Path]:
    return [geometry_copy(ctx), ctx.temp_coh_raster(ctx.config["minopy.timeseries.tempCohType"])]


def outputs(ctx: StepContext) -> list[Output]:
    """MintPy's average coherence, connected-component mask and phase velocity, and the
    interferogram stack with its reference point."""
    image = ("L", "W")
    return [H5Output(ctx.network_dir / "avgSpatialCoh.h5", {"coherence": image}),
            H5Output(ctx.network_dir / "maskConnComp.h5", {"mask": image}),
            H5Output(ctx.network_dir / "avgPhaseVelocity.h5", {"velocity": image}),
            H5Output(stack_file(ctx), {"unwrapPhase": ("M", "L", "W")}, attrs=("REF_Y", "REF_X"))]


def staged_inputs(ctx: StepContext) -> list[StagedInput]:
    """What MintPy reads here: the stack, which it modifies (and this step owns the changes), and
    the geometry."""
    return [StagedInput(stack_file(ctx), copy=True, publish=True),
            StagedInput(geometry_copy(ctx))]


def preflight(ctx: StepContext) -> None:
    """Check a user-set reference point against the image once its size is known."""
    mintpy_bridge.check_reference_point(ctx)


def _read_mask(path: Path, name: str | None = None) -> np.ndarray | None:
    if not path.is_file():
        return None
    with h5py.File(path, "r") as f:
        key = name if name in f else next(k for k in f if isinstance(f[k], h5py.Dataset))
        return np.asarray(f[key][()]) != 0


def fallback_reference_yx(ctx: StepContext) -> tuple[int, int]:
    """Reference pixel from the phase-linking temporal coherence (see the module docstring).

    Raises
    ------
    StepError
        If no pixel is valid in every interferogram, on land and in the connected components.
    """
    kind = ctx.config["minopy.timeseries.tempCohType"]
    tcoh_file = ctx.temp_coh_raster(kind)
    if not tcoh_file.is_file():
        raise InputDataError(f"{tcoh_file} does not exist; run concatenate_patch")
    tcoh = np.nan_to_num(read_raster(tcoh_file).astype(np.float64), nan=0.0)
    valid = tcoh > 0
    for mask in (_read_mask(ctx.network_dir / "maskConnComp.h5", "mask"),
                 _read_mask(geometry_copy(ctx), "waterMask")):
        if mask is not None and mask.shape == valid.shape:
            valid &= mask
    with h5py.File(stack_file(ctx), "r") as f:
        keep = np.asarray(f["dropIfgram"][()], dtype=bool)
        total = np.zeros(valid.shape)
        for i in np.flatnonzero(keep):
            phase = f["unwrapPhase"][i]
            valid &= np.isfinite(phase)
            total += np.nan_to_num(phase)
    valid &= total != 0  # MintPy's reference_point rejects a zero average phase
    if not valid.any():
        raise StepError(
            "no valid reference point: no pixel is valid in every interferogram, on land and in "
            "the connected components; set mintpy.reference.yx (row,col) or mintpy.reference.lalo "
            "to a coherent pixel, or lower mintpy.reference.minCoherence"
        )
    reliable = valid & (tcoh >= ctx.config["minopy.timeseries.minTempCoh"])
    candidates = reliable if reliable.any() else valid
    labels, num = ndimage.label(candidates)
    sizes = np.bincount(labels.ravel(), minlength=num + 1)
    sizes[0] = 0
    region = labels == int(np.argmax(sizes))
    y, x = np.unravel_index(int(np.argmax(np.where(region, tcoh, -1.0))), tcoh.shape)
    ctx.log.warning(
        "MintPy found no reference pixel with average spatial coherence >= "
        "mintpy.reference.minCoherence; using y/x = %d/%d, the most coherent pixel (tempCoh_%s = "
        "%.3f) of the largest reliable region (%d pixels)", y, x, kind, tcoh[y, x],
        int(region.sum()),
    )
    return int(y), int(x)


def _user_gave_reference(ctx: StepContext) -> bool:
    return any(mintpy_bridge.user_value(ctx, f"mintpy.reference.{k}") not in (None, "no")
               for k in ("yx", "lalo"))


def run(ctx: StepContext) -> None:
    """Run the MintPy interferogram-correction steps in a staging copy of the network folder
    (:mod:`minopy.mintpy_staging`), then publish what they wrote."""
    stack = stack_file(ctx)
    if not stack.is_file():
        raise InputDataError(f"{stack} does not exist; run the load_ifgram step")
    with staging(ctx, "ifgram_correction", staged_inputs(ctx)) as staged:
        correct(staged)


def correct(ctx: StepContext) -> None:
    """MintPy's interferogram corrections in ``ctx.network_dir``, with the reference fallback."""
    stack = stack_file(ctx)
    mintpy_bridge.run_steps(ctx, ["modify_network"])
    try:
        mintpy_bridge.run_steps(ctx, ["reference_point"])
    except StepError as err:
        if _user_gave_reference(ctx) or "coherence" not in str(err).lower():
            raise
        y, x = fallback_reference_yx(ctx)
        mintpy_bridge.set_reference_point(ctx, stack, y, x)
    mintpy_bridge.run_steps(ctx, ["quick_overview", "correct_unwrap_error"])
