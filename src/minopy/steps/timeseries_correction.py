"""Step ``timeseries_correction``: MintPy's corrections, velocity and products on ``timeseries.h5``.

Runs, with the options of ``<net>_network/minopy_mintpy.cfg``: correct_LOD, correct_SET,
correct_ionosphere, correct_troposphere (off unless ``mintpy.troposphericDelay.method`` is set:
MintPy's auto would download ERA5; ``pyaps`` and ``gacos`` use local weather files, checked and
turned into the delay file before any MintPy step runs, see ``steps/troposphere.py``), deramp,
correct_topography, residual_RMS, reference_date, velocity, geocode, google_earth and hdfeos5.
MintPy picks each step's input from the files that exist (``timeseries.h5``,
``timeseries_demErr.h5`` ...).

With ``minopy.timeseries.correctGeolocation`` the latitude/longitude of
``<net>_network/inputs/geometryRadar.h5`` (minopy's copy, never the work-dir original) are corrected
for the DEM error after correct_topography, so that geocoding uses the true positions.

With ``mintpy.save.hdfEos5 = yes`` the attributes MintPy's save_hdfeos5 needs are checked before
any MintPy step runs: those that follow from the metadata (``beam_mode``, ``beam_swath``,
``POLARIZATION``) are filled into ``timeseries.h5``; a missing ``PLATFORM`` or ``relative_orbit``
(which minopy never invents) is an :class:`InputDataError` naming them and how to add them.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import h5py

from minopy import mintpy_bridge
from minopy.cli.correct_geolocation import FLAG, correct_geometry_file
from minopy.errors import InputDataError
from minopy.steps import troposphere
from minopy.steps.context import StepContext
from minopy.steps.invert_network import output_files
from minopy.steps.load_ifgram import geometry_copy, hdfeos5_defaults, stack_file

OPTION_PREFIXES: tuple[str, ...] = (
    "mintpy.solidEarthTides", "mintpy.ionosphericDelay.", "mintpy.troposphericDelay.",
    "mintpy.deramp", "mintpy.topographicResidual", "mintpy.residualRMS.", "mintpy.reference.date",
    "mintpy.timeFunc.", "mintpy.velocity.", "mintpy.geocode", "mintpy.save.", "mintpy.plot",
    "mintpy.compute.", "minopy.timeseries.correctGeolocation", "minopy.timeseries.minTempCoh",
    "minopy.timeseries.shadowMask",
)
_BEFORE_GEOLOCATION = mintpy_bridge.TIMESERIES_STEPS[:mintpy_bridge.TIMESERIES_STEPS.index(
    "correct_topography") + 1]
_AFTER_GEOLOCATION = mintpy_bridge.TIMESERIES_STEPS[len(_BEFORE_GEOLOCATION):]


def inputs(ctx: StepContext) -> list[Path]:
    return [output_files(ctx)["timeseries"], output_files(ctx)["maskTempCoh"],
            geometry_copy(ctx), *troposphere.input_files(ctx)]


def outputs(ctx: StepContext) -> list[Path]:
    return [ctx.network_dir / "velocity.h5"]


def hdfeos5_requested(ctx: StepContext) -> bool:
    value = ctx.config.mintpy_value("mintpy.save.hdfEos5") or ""
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

    ts_file = output_files(ctx)["timeseries"]
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
            f"them to {stack_file(ctx)} (e.g. MintPy's add_attribute.py FILE relative_orbit=42 "
            "PLATFORM=Sen) and re-run from invert_network, or set mintpy.save.hdfEos5 = no"
        )
    with contextlib.redirect_stdout(io.StringIO()):
        mission = get_unavco_mission_name(attrs)
    if mission is None:
        ctx.log.warning("PLATFORM = %s is not a mission MintPy's HDF-EOS5 writer knows; the "
                        ".he5 file is named None_...", attrs["PLATFORM"])


def _correct_geolocation(ctx: StepContext) -> None:
    geom = geometry_copy(ctx)
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


def run(ctx: StepContext) -> None:
    """Run the MintPy time-series steps (and the optional geolocation correction)."""
    ts_file = output_files(ctx)["timeseries"]
    if not ts_file.is_file():
        raise InputDataError(f"{ts_file} does not exist; run the invert_network step")
    # weather files first: a missing one stops the step before any work
    replace = {}
    if troposphere.prepare(ctx) is not None:
        replace["correct_troposphere"] = lambda src, dst: troposphere.apply(ctx, src, dst)
    if hdfeos5_requested(ctx):
        check_hdfeos5_attributes(ctx)
    if ctx.config["minopy.timeseries.correctGeolocation"]:
        mintpy_bridge.run_steps(ctx, _BEFORE_GEOLOCATION, replace)
        _correct_geolocation(ctx)
        mintpy_bridge.run_steps(ctx, _AFTER_GEOLOCATION, replace)
    else:
        mintpy_bridge.run_steps(ctx, mintpy_bridge.TIMESERIES_STEPS, replace)
