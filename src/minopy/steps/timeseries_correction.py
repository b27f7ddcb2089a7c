"""Step ``timeseries_correction``: MintPy's corrections, velocity and products on ``timeseries.h5``.

Runs, with the options of ``<net>_network/minopy_mintpy.cfg``: correct_LOD, correct_SET,
correct_ionosphere, correct_troposphere (off unless ``mintpy.troposphericDelay.method`` is set:
MintPy's auto would download ERA5), deramp, correct_topography, residual_RMS, reference_date,
velocity, geocode, google_earth and hdfeos5. MintPy picks each step's input from the files that
exist (``timeseries.h5``, ``timeseries_demErr.h5`` ...).

With ``minopy.timeseries.correctGeolocation`` the latitude/longitude of
``<net>_network/inputs/geometryRadar.h5`` (minopy's copy, never the work-dir original) are corrected
for the DEM error after correct_topography, so that geocoding uses the true positions.
"""

from __future__ import annotations

from pathlib import Path

import h5py

from minopy import mintpy_bridge
from minopy.cli.correct_geolocation import FLAG, correct_geometry_file
from minopy.errors import InputDataError
from minopy.steps.context import StepContext
from minopy.steps.invert_network import output_files
from minopy.steps.load_ifgram import geometry_copy

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
            geometry_copy(ctx)]


def outputs(ctx: StepContext) -> list[Path]:
    return [ctx.network_dir / "velocity.h5"]


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
    if ctx.config["minopy.timeseries.correctGeolocation"]:
        mintpy_bridge.run_steps(ctx, _BEFORE_GEOLOCATION)
        _correct_geolocation(ctx)
        mintpy_bridge.run_steps(ctx, _AFTER_GEOLOCATION)
    else:
        mintpy_bridge.run_steps(ctx, mintpy_bridge.TIMESERIES_STEPS)
