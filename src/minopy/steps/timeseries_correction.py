"""Step ``timeseries_correction``: MintPy's corrections, velocity and products on ``timeseries.h5``.

Runs, with the options of ``<net>_network/minopy_mintpy.cfg``: correct_LOD, correct_SET,
correct_ionosphere, correct_troposphere (off unless ``mintpy.troposphericDelay.method`` is set:
MintPy's auto would download ERA5; ``pyaps`` and ``gacos`` use local weather files, checked and
turned into the delay file before any MintPy step runs, see ``steps/troposphere.py``), deramp,
correct_topography, residual_RMS, reference_date, velocity, geocode, google_earth and hdfeos5.
MintPy picks each step's input from the files that exist (``timeseries.h5``,
``timeseries_demErr.h5`` ...).

MintPy runs in a staging copy of the network folder (:mod:`minopy.mintpy_staging`), so
``timeseries.h5`` (invert_network's output) and ``inputs/geometryRadar.h5`` (load_ifgram's) are
never modified, and a repeated or resumed step starts from the same files: MintPy's
``reference_date`` re-references the copy. Every file MintPy writes is moved into
``<net>_network/`` atomically once all steps succeeded.

With ``minopy.timeseries.correctGeolocation`` the latitude/longitude of the staged copy of the
geometry are corrected for the DEM error after correct_topography, so that geocoding uses the true
positions.

After MintPy's velocity step and before geocoding, the pixels that are not reliable
(``maskTempCoh.h5`` False: not inverted, or temporal coherence below ``minTempCoh``) are set to NaN
in ``velocity.h5`` (:func:`minopy.nodata.mask_velocity_file`), so neither it nor
``geo/geo_velocity.h5`` or the KMZ shows no-data as 0 m/year (MintPy's tools read NaN as no-data).
``timeseries*.h5`` keep MintPy's 0 convention.

With ``mintpy.save.hdfEos5 = yes`` the attributes MintPy's save_hdfeos5 needs are checked before
any MintPy step runs: those that follow from the metadata (``beam_mode``, ``beam_swath``,
``POLARIZATION``) are filled into the staged ``timeseries.h5``; a missing ``PLATFORM`` or
``relative_orbit`` (which minopy never invents) is an :class:`InputDataError` naming them and how
to add them.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import h5py

from minopy import mintpy_bridge, nodata
from minopy.errors import InputDataError
from minopy.geolocation_file import FLAG, correct_geometry_file
from minopy.mintpy_staging import StagedInput, published_files, staging
from minopy.step_context import StepContext
from minopy.steps import ifgram_correction, troposphere
from minopy.steps.load_ifgram import hdfeos5_defaults
from minopy.steps.outputs import H5Output, Output

#: the options the step reads (:data:`minopy.runner` fingerprints them).
READS: tuple[str, ...] = (
    "mintpy.solidEarthTides", "mintpy.ionosphericDelay.", "mintpy.troposphericDelay.",
    "mintpy.deramp", "mintpy.topographicResidual", "mintpy.residualRMS.", "mintpy.reference.date",
    "mintpy.timeFunc.", "mintpy.velocity.", "mintpy.geocode", "mintpy.save.", "mintpy.plot",
    "mintpy.compute.", "timeseries.correct_geolocation", "timeseries.min_temp_coh",
    "timeseries.calc_cov",
    "timeseries.shadow_mask",
)
STEP = "timeseries_correction"
#: folders of the network folder that MintPy writes (not user data to hand to MintPy).
MINTPY_FOLDERS = ("inputs", "pic", "geo")
_BEFORE_GEOLOCATION = mintpy_bridge.TIMESERIES_STEPS[:mintpy_bridge.TIMESERIES_STEPS.index(
    "correct_topography") + 1]
_AFTER_GEOLOCATION = mintpy_bridge.TIMESERIES_STEPS[len(_BEFORE_GEOLOCATION):]
_THROUGH_VELOCITY = mintpy_bridge.TIMESERIES_STEPS.index("velocity") + 1


def inputs(ctx: StepContext) -> list[Path]:
    files = ctx.inversion_files()
    return [files["timeseries"], files["maskTempCoh"], ctx.network_geometry_file,
            *([files["timeseriesDecorCov"]] if "timeseriesDecorCov" in files else []),
            *troposphere.input_files(ctx)]


def outputs(ctx: StepContext) -> list[Output]:
    """``velocity.h5`` and every other file the step's last run published (HDF5 ones must open)."""
    velocity = ctx.network_dir / "velocity.h5"
    files: list[Output] = [H5Output(velocity, {"velocity": ("L", "W")})]
    for path in published_files(ctx.network_dir, STEP):
        if path != velocity:
            files.append(H5Output(path) if path.suffix in (".h5", ".he5") else Output(path))
    return files


def staged_inputs(ctx: StepContext) -> list[StagedInput]:
    """What MintPy's time-series steps read from the network folder.

    Copied: ``timeseries.h5`` (reference_date rewrites it; invert_network's file stays as it is)
    and the geometry (corrected for the DEM error with ``correctGeolocation``). Linked: the other
    outputs of invert_network, the interferogram stack, the HDF5 files of ifgram_correction and
    any folder the user keeps there (e.g. ``GACOS/`` for ``mintpy.troposphericDelay.gacosDir``).
    """
    net = ctx.network_dir
    files = ctx.inversion_files()
    items = [StagedInput(files["timeseries"], copy=True), StagedInput(ctx.network_geometry_file,
                                                                      copy=True),
             StagedInput(ctx.ifgram_stack_file)]
    items += [StagedInput(files[k]) for k in ("temporalCoherence", "numInvIfgram", "maskTempCoh",
                                              "timeseriesDecorCov") if k in files]
    earlier = [Path(p) for p in ifgram_correction.outputs(ctx)]
    earlier += [p for p in published_files(net, "ifgram_correction") if p.parent == net]
    placed = {item.path for item in items}
    for path in dict.fromkeys(earlier):
        if path.suffix == ".h5" and path not in placed:
            items.append(StagedInput(path))
    if net.is_dir():
        items += [StagedInput(d) for d in sorted(net.iterdir()) if d.is_dir()
                  and not d.name.startswith(".") and d.name not in MINTPY_FOLDERS]
    return items


def hdfeos5_requested(ctx: StepContext) -> bool:
    value = ctx.config.mintpy.value("mintpy.save.hdfEos5") or ""
    return value.strip().lower() in ("yes", "y", "true", "on", "1")


def _is_int(value: object) -> bool:
    try:
        int(str(value).strip())
    except ValueError:
        return False
    return True


def check_hdfeos5_attributes(ctx: StepContext) -> None:
    """Fill the derivable HDF-EOS5 attributes into ``timeseries.h5``; raise for the others.

    Raises
    ------
    InputDataError
        Naming each attribute that is missing or not usable (``PLATFORM``, ``beam_mode``,
        ``relative_orbit``, ``beam_swath``) and how to add it.
    """
    from mintpy.objects.sensor import get_unavco_mission_name

    ts_file = ctx.inversion_files()["timeseries"]
    with h5py.File(ts_file, "r+") as f:
        attrs = {k: str(v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        filled = hdfeos5_defaults(attrs)
        if filled:
            f.attrs.update(filled)
            attrs.update(filled)
            ctx.log.info("HDF-EOS5 attributes derived from the metadata: %s", filled)
    problems = []
    if not attrs.get("PLATFORM", "").strip():
        problems.append("PLATFORM (the mission, e.g. Sen, ALOS2, CSK, TSX)")
    if not attrs.get("beam_mode", "").strip():
        problems.append("beam_mode (e.g. IW, SM)")
    if not _is_int(attrs.get("relative_orbit", "")):
        problems.append(f"relative_orbit (the track number, an integer; found "
                        f"{attrs.get('relative_orbit', 'none')!r})")
    if not _is_int(attrs.get("beam_swath", "0")):
        problems.append(f"beam_swath (an integer such as 1 or 123; found {attrs['beam_swath']!r})")
    if problems:
        raise InputDataError(
            f"mintpy.save.hdfEos5 = yes, but {ts_file} lacks the HDF-EOS5 attribute(s) "
            f"{'; '.join(problems)}. They come from the ISCE metadata read by load_data. Add "
            f"them to {ctx.ifgram_stack_file} (e.g. MintPy's add_attribute.py FILE "
            "relative_orbit=42 PLATFORM=Sen) and re-run from invert_network, or set "
            "mintpy.save.hdfEos5 = no"
        )
    with contextlib.redirect_stdout(io.StringIO()):
        mission = get_unavco_mission_name(attrs)
    if mission is None:
        ctx.log.warning("PLATFORM = %s is not a mission MintPy's HDF-EOS5 writer knows; the "
                        ".he5 file is named None_...", attrs["PLATFORM"])


def _correct_geolocation(ctx: StepContext) -> None:
    geom = ctx.network_geometry_file
    dem_err = ctx.network_dir / "demErr.h5"
    if not dem_err.is_file():
        ctx.log.warning("minopy.timeseries.correctGeolocation: no %s (mintpy.topographicResidual "
                        "is off?); geolocation not corrected", dem_err)
        return
    with h5py.File(geom, "r") as f:
        done = str(f.attrs.get(FLAG, "no")).lower() == "yes"
    if done:
        ctx.log.info("%s is already geolocation-corrected; re-run load_ifgram to redo it", geom)
        return
    correct_geometry_file(geom, dem_err)
    ctx.log.info("corrected the geolocation of %s for the DEM error %s", geom, dem_err)


def _is_geocoded(ctx: StepContext) -> bool:
    """Whether the network's time series is on a map grid (a geocoded input stack)."""
    with h5py.File(ctx.inversion_files()["timeseries"], "r") as f:
        return "Y_FIRST" in f.attrs


def _mask_velocity(ctx: StepContext) -> None:
    velocity = ctx.network_dir / "velocity.h5"
    if not velocity.is_file():
        return
    with h5py.File(velocity, "r") as f:
        ref = (int(f.attrs["REF_Y"]), int(f.attrs["REF_X"])) if "REF_Y" in f.attrs else None
    count = nodata.mask_velocity_file(velocity, ctx.inversion_files()["maskTempCoh"], keep=ref)
    ctx.log.info("velocity.h5: %d pixels that are not reliable (maskTempCoh) set to NaN", count)


def run(ctx: StepContext) -> None:
    """Run the MintPy time-series steps in a staging copy of the network folder
    (:mod:`minopy.mintpy_staging`), then publish what they wrote."""
    ts_file = ctx.inversion_files()["timeseries"]
    if not ts_file.is_file():
        raise InputDataError(f"{ts_file} does not exist; run the invert_network step")
    # weather files first: a missing one stops the step before any work
    delay = troposphere.prepare(ctx)
    with staging(ctx, STEP, staged_inputs(ctx)) as staged:
        correct(staged, delay)


def correct(ctx: StepContext, delay: Path | None = None) -> None:
    """The MintPy time-series steps (and the geolocation correction) in ``ctx.network_dir``;
    with a ``delay`` file (pyaps/gacos, :func:`troposphere.prepare`), minopy's correction
    replaces MintPy's correct_troposphere."""
    replace = {}
    if delay is not None:
        replace["correct_troposphere"] = lambda src, dst: troposphere.apply(ctx, src, dst, delay)
    if hdfeos5_requested(ctx):
        check_hdfeos5_attributes(ctx)
    steps = list(mintpy_bridge.TIMESERIES_STEPS)
    geocoded = _is_geocoded(ctx)
    if geocoded:
        ctx.log.info("timeseries_correction: the stack is geocoded (X_FIRST/Y_FIRST); MintPy's "
                     "geocode step is skipped and its products are in map coordinates")
        steps.remove("geocode")
    if ctx.config.timeseries.correct_geolocation and not geocoded:
        mintpy_bridge.run_steps(ctx, _BEFORE_GEOLOCATION, replace)
        _correct_geolocation(ctx)
        steps = list(_AFTER_GEOLOCATION)
    through_velocity = [s for s in steps
                        if s in mintpy_bridge.TIMESERIES_STEPS[:_THROUGH_VELOCITY]]
    mintpy_bridge.run_steps(ctx, through_velocity, replace)
    _mask_velocity(ctx)
    mintpy_bridge.run_steps(ctx, steps[len(through_velocity):], replace)
