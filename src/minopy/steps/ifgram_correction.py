"""Step ``ifgram_correction``: MintPy's modify_network, reference_point, quick_overview and
correct_unwrap_error on ``<net>_network/inputs/ifgramStack.h5``.

Reference point: a point the user gives (``mintpy.reference.yx``/``lalo``) goes through MintPy's
reference_point, which refuses it clearly when it is outside the data or masked. When the point is
automatic, minopy chooses it (:mod:`minopy.network.reference`): a pixel unwrapped in all kept
interferograms (or in the most), reliable in phase linking, with the most reliable neighbourhood
(mean phase-linking temporal coherence; ties go to MintPy's average spatial coherence,
``mintpy.reference.coherenceFile``, auto ``avgSpatialCoh.h5``).
MintPy's own automatic choice is random among coherent pixels and ignores the connected components,
so on low-coherence scenes it picks pixels that invert_network must reject. The choice and its
reason are logged and written by MintPy's reference_point (``REF_Y``/``REF_X`` of
``ifgramStack.h5``), so invert_network and the later MintPy steps use it.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from minopy import mintpy_bridge
from minopy.errors import ConfigError, InputDataError
from minopy.mintpy_staging import StagedInput, staging
from minopy.network.reference import ReferenceChoice, choose_reference
from minopy.step_context import StepContext
from minopy.steps.invert_network import pixel_masks
from minopy.steps.outputs import H5Output, Output

#: the options the step reads (:data:`minopy.runner` fingerprints them).
READS: tuple[str, ...] = (
    "mintpy.network.", "mintpy.reference.", "mintpy.unwrapError.", "mintpy.compute.",
    "timeseries.temp_coh_type", "timeseries.min_temp_coh", "timeseries.water_mask",
    "timeseries.shadow_mask", "inversion.strides",
)
#: bytes of unwrapped phase read per block when counting unwrapped pairs.
BLOCK_BYTES = 128 * 2**20


def inputs(ctx: StepContext) -> list[Path]:
    files = [ctx.network_geometry_file,
             ctx.temp_coh_raster(ctx.config.timeseries.temp_coh_type)]
    water = ctx.config.resolve_path(ctx.config.timeseries.water_mask)
    return files + ([Path(water)] if water else [])


def outputs(ctx: StepContext) -> list[Output]:
    """MintPy's average coherence, connected-component mask and phase velocity, and the
    interferogram stack with its reference point."""
    image = ("L", "W")
    return [H5Output(ctx.network_dir / "avgSpatialCoh.h5", {"coherence": image}),
            H5Output(ctx.network_dir / "maskConnComp.h5", {"mask": image}),
            H5Output(ctx.network_dir / "avgPhaseVelocity.h5", {"velocity": image}),
            H5Output(ctx.ifgram_stack_file, {"unwrapPhase": ("M", "L", "W")},
                     attrs=("REF_Y", "REF_X"))]


def staged_inputs(ctx: StepContext) -> list[StagedInput]:
    """What MintPy reads here: the stack, which it modifies (and this step owns the changes), and
    the geometry."""
    return [StagedInput(ctx.ifgram_stack_file, copy=True, publish=True),
            StagedInput(ctx.network_geometry_file)]


def preflight(ctx: StepContext) -> None:
    """Check a user-set reference point against the image once its size is known."""
    mintpy_bridge.check_reference_point(ctx)


def unwrapped_counts(stack: Path) -> tuple[np.ndarray, np.ndarray, int]:
    """Per pixel: in how many kept pairs it is unwrapped, and whether MintPy accepts it.

    Returns
    -------
    num_unwrapped : ndarray, shape (L, W), int32
        Kept pairs (``dropIfgram`` True) where ``unwrapPhase`` is finite and ``connectComponent``
        (when present) is not 0.
    mintpy_valid : ndarray, shape (L, W), bool
        MintPy reference_point's condition: the sum of the finite phases over the kept pairs is
        not 0 (its average must be finite and non-zero).
    num_pairs : int
        Kept pairs.
    """
    with h5py.File(stack, "r") as f:
        idx = np.flatnonzero(np.asarray(f["dropIfgram"][()], dtype=bool))
        phase_ds = f["unwrapPhase"]
        comp_ds = f.get("connectComponent")
        _, length, width = phase_ds.shape
        counts = np.zeros((length, width), np.int32)
        total = np.zeros((length, width), np.float64)
        rows = max(1, int(BLOCK_BYTES // max(1, 4 * max(idx.size, 1) * width)))
        for y0 in range(0, length, rows):
            y1 = min(length, y0 + rows)
            phase = phase_ds[:, y0:y1, :][idx]
            ok = np.isfinite(phase)
            if comp_ds is not None:
                ok &= comp_ds[:, y0:y1, :][idx] != 0
            counts[y0:y1] = ok.sum(axis=0)
            total[y0:y1] = np.nansum(phase, axis=0)
    return counts, total != 0, int(idx.size)


def _coherence_file(ctx: StepContext) -> Path:
    value = mintpy_bridge.user_value(ctx, "mintpy.reference.coherenceFile")
    path = Path(ctx.config.resolve_path(value)) if value else ctx.network_dir / "avgSpatialCoh.h5"
    if not path.is_file():
        raise InputDataError(f"mintpy.reference.coherenceFile: {path} does not exist")
    return path


def _min_coherence(ctx: StepContext) -> float:
    value = mintpy_bridge.user_value(ctx, "mintpy.reference.minCoherence") or "0.85"
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"mintpy.reference.minCoherence = {value!r} is not a number "
                          "(0-1; auto = 0.85)") from None


def automatic_reference(ctx: StepContext) -> ReferenceChoice:
    """Choose the reference pixel of the stack (the module docstring says how) and log why."""
    from mintpy.utils import readfile

    stack = ctx.ifgram_stack_file
    num_unwrapped, mintpy_valid, num_pairs = unwrapped_counts(stack)
    tcoh, land = pixel_masks(ctx, num_unwrapped.shape)
    coh_file = _coherence_file(ctx)
    coherence = readfile.read(str(coh_file))[0]
    if coherence.shape != num_unwrapped.shape:
        raise InputDataError(f"{coh_file} is {coherence.shape} but the interferograms are "
                             f"{num_unwrapped.shape}")
    allowed = land & mintpy_valid
    choice = choose_reference(num_unwrapped, num_pairs, tcoh,
                              ctx.config.timeseries.min_temp_coh, coherence, allowed)
    ctx.log.info("automatic reference point %s", choice.describe())
    if choice.num_unwrapped < num_pairs:
        ctx.log.warning(
            "no pixel is unwrapped in all %d kept interferograms: the automatic reference point "
            "y/x = %d/%d is not unwrapped in %d of them, which invert_network will leave out; "
            "set mintpy.reference.yx/lalo to choose another point", num_pairs, choice.y, choice.x,
            num_pairs - choice.num_unwrapped)
    if not choice.reliable:
        ctx.log.warning(
            "no candidate reference pixel has tempCoh_%s >= minopy.timeseries.minTempCoh = %g",
            ctx.config.timeseries.temp_coh_type, ctx.config.timeseries.min_temp_coh)
    min_coh = _min_coherence(ctx)
    if choice.coherence < min_coh:
        ctx.log.warning(
            "the automatic reference point y/x = %d/%d has an average spatial coherence of %.2f, "
            "below mintpy.reference.minCoherence = %g; if you know a stable, coherent point, set "
            "mintpy.reference.yx/lalo", choice.y, choice.x,
            choice.coherence, min_coh)
    return choice


def run(ctx: StepContext) -> None:
    """Run the MintPy interferogram-correction steps in a staging copy of the network folder
    (:mod:`minopy.mintpy_staging`), then publish what they wrote; choose the reference point
    when it is automatic."""
    stack = ctx.ifgram_stack_file
    if not stack.is_file():
        raise InputDataError(f"{stack} does not exist; run the load_ifgram step")
    with staging(ctx, "ifgram_correction", staged_inputs(ctx)) as staged:
        correct(staged)


def correct(ctx: StepContext) -> None:
    """MintPy's interferogram corrections in ``ctx.network_dir``; minopy's reference point when
    the user gave none."""
    stack = ctx.ifgram_stack_file
    mintpy_bridge.run_steps(ctx, ["modify_network"])
    if mintpy_bridge.user_reference_given(ctx):
        mintpy_bridge.run_steps(ctx, ["reference_point"])
    else:
        mintpy_bridge.write_ifgram_aux_files(ctx)
        choice = automatic_reference(ctx)
        mintpy_bridge.set_reference_point(ctx, stack, choice.y, choice.x)
    mintpy_bridge.run_steps(ctx, ["quick_overview", "correct_unwrap_error"])
