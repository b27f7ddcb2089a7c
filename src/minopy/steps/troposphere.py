"""The tropospheric correction of ``timeseries_correction`` with local weather data (pyaps, gacos).

``mintpy.troposphericDelay.method``:

- ``pyaps`` (``weatherModel = ERA5``): ERA5 GRIB files from ``<weatherDir>/ERA5/``;
- ``gacos``: GACOS products ``YYYYMMDD.ztd`` (+ ``.rsc``) or ``.ztd.tif`` from ``gacosDir``;
- ``height_correlation`` and ``no`` are MintPy's and need no files.

For pyaps and gacos, :func:`prepare` runs before any MintPy step: it lists the files the stack
needs and stops with an :class:`InputDataError` naming every missing one (and the command that
downloads them on a machine with a network) when some are absent. Nothing is ever downloaded
here. It then checks the files and computes the delay time series
``<net>_network/inputs/ERA5.h5`` / ``GACOS.h5`` (reused while the weather files, geometry and
dates are unchanged). :func:`apply` replaces MintPy's ``correct_troposphere`` step: MintPy's
``diff.py`` subtracts the delay (re-referenced in space and time) into a temporary file that is
renamed to ``timeseries_ERA5.h5`` / ``timeseries_GACOS.h5`` when complete.

Relative folders are relative to the template's folder. ``weatherDir = auto`` means
``$WEATHER_DIR`` when set, else the template's folder; ``gacosDir = auto`` means ``GACOS`` in the
template's folder.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import h5py
import numpy as np

from minopy import mintpy_bridge
from minopy.errors import ConfigError, InputDataError
from minopy.step_context import StepContext
from minopy.weather import era5, gacos
from minopy.weather.delay_file import is_current, signature, write_delay_file
from minopy.weather.stack_info import StackWeatherInfo, read_stack_info

METHOD_KEY = "mintpy.troposphericDelay.method"
FILE_METHODS = ("pyaps", "gacos")
#: how many missing files an error message lists by name.
LIST_LIMIT = 12
_OFF = ("", "auto", "no", "none", "false", "off", "n")


def method(ctx: StepContext) -> str | None:
    """The tropospheric method in use (lower case), None when off."""
    value = (ctx.config.mintpy.get(METHOD_KEY) or "").strip().lower()
    return None if value in _OFF else value


def weather_model(ctx: StepContext) -> str:
    """``mintpy.troposphericDelay.weatherModel`` (auto = ERA5); only ERA5 is supported."""
    value = (ctx.config.mintpy.get("mintpy.troposphericDelay.weatherModel") or "auto").strip()
    model = "ERA5" if value.lower() == "auto" else value.upper()
    if model != "ERA5":
        raise ConfigError(f"mintpy.troposphericDelay.weatherModel = {value}: minopy computes the "
                          "PyAPS correction from ERA5 files only; use ERA5 (or auto)")
    return model


def _folder(ctx: StepContext, key: str, default: str) -> Path:
    value = (ctx.config.mintpy.get(key) or "auto").strip()
    if value.lower() in ("auto", ""):
        value = default
    resolved = ctx.config.resolve_path(value)
    base = ctx.project_dir
    return Path(resolved) if Path(resolved).is_absolute() else (base / resolved).resolve()


def weather_dir(ctx: StepContext) -> Path:
    """The ERA5 parent folder (the files are in ``<weatherDir>/ERA5``)."""
    return _folder(ctx, "mintpy.troposphericDelay.weatherDir",
                   os.environ.get("WEATHER_DIR") or str(ctx.project_dir))


def gacos_dir(ctx: StepContext) -> Path:
    """The folder of the GACOS products."""
    return _folder(ctx, "mintpy.troposphericDelay.gacosDir", "GACOS")


def delay_file(ctx: StepContext, meth: str) -> Path:
    """``<net>_network/inputs/ERA5.h5`` or ``GACOS.h5``."""
    return ctx.network_dir / "inputs" / ("ERA5.h5" if meth == "pyaps" else "GACOS.h5")


def stack_info(ctx: StepContext) -> StackWeatherInfo:
    """Dates and time of ``timeseries.h5``, area of the network's ``geometryRadar.h5``."""
    return read_stack_info(ctx.inversion_files()["timeseries"], ctx.network_geometry_file)


def download_command(ctx: StepContext, meth: str) -> str:
    """The ``minopy weather`` command that lists (gacos) or downloads (pyaps) the files."""
    args = ["minopy", "weather", "--stack", str(ctx.inversion_files()["timeseries"]),
            "--geometry", str(ctx.network_geometry_file)]
    if meth == "pyaps":
        args += ["--weather-dir", str(weather_dir(ctx)), "--download"]
    else:
        args += ["--gacos-dir", str(gacos_dir(ctx))]
    return shlex.join(args)


def _missing_message(ctx: StepContext, meth: str, info: StackWeatherInfo,
                     missing: list[Path], problems: list[str], folder: Path,
                     what: str) -> str:
    s, n, w, e = info.bbox
    lines = [f"{METHOD_KEY} = {meth}: {len(missing) + len(problems)} of the {len(info.dates)} "
             f"{what} files the stack needs are not in {folder} (dates {info.dates[0]}.."
             f"{info.dates[-1]}, pixels latitude {s:.4f}..{n:.4f}, longitude {w:.4f}..{e:.4f}"]
    if meth == "pyaps":
        lines[0] += (f", ERA5 area {era5.snwe_to_str(info.era5_snwe)[1:]}, hour "
                     f"{info.era5_hour} UTC):")
    else:
        lines[0] += f", acquisition time {info.utc_hhmm} UTC):"
    shown = [str(p) for p in missing] + problems
    lines += [f"  {p}" for p in shown[:LIST_LIMIT]]
    if len(shown) > LIST_LIMIT:
        lines.append(f"  ... and {len(shown) - LIST_LIMIT} more (the command below lists all)")
    command = download_command(ctx, meth)
    if meth == "pyaps":
        lines += ["Nothing is downloaded during processing. On a machine with internet access and "
                  "Climate Data Store credentials (~/.cdsapirc), download them with",
                  f"  {command}",
                  f"(or copy them there into {folder}), then run timeseries_correction again."]
    else:
        lines += ["Request them from GACOS (http://www.gacos.net); this lists the area, time "
                  "and dates to enter:", f"  {command}",
                  f"Put the YYYYMMDD.ztd and .ztd.rsc (or .ztd.tif) files into {folder}, then "
                  "run timeseries_correction again."]
    return "\n".join(lines)


def weather_inventory(ctx: StepContext) -> era5.Era5Inventory | gacos.GacosInventory | None:
    """The weather files of the stack for the current method (None for other methods)."""
    meth = method(ctx)
    if meth == "pyaps":
        weather_model(ctx)
        return era5.inventory(stack_info(ctx), weather_dir(ctx))
    if meth == "gacos":
        return gacos.inventory(stack_info(ctx), gacos_dir(ctx))
    return None


def input_files(ctx: StepContext) -> list[Path]:
    """The weather files in use (for the step's fingerprint); [] when unknown yet."""
    try:
        inv = weather_inventory(ctx)
    except (InputDataError, ConfigError, OSError):
        return []
    return [] if inv is None else [inv.files[d] for d in sorted(inv.files)]


def prepare(ctx: StepContext) -> Path | None:
    """Check the weather files and compute the delay file (pyaps/gacos); None for other methods.

    Raises
    ------
    InputDataError
        Listing every missing file and how to get them, or naming a bad file.
    ConfigError
        For a weather model other than ERA5.
    """
    meth = method(ctx)
    if meth not in FILE_METHODS:
        return None
    inv = weather_inventory(ctx)
    info = inv.info
    if meth == "pyaps":
        if not inv.complete:
            raise InputDataError(_missing_message(ctx, meth, info, inv.missing, [],
                                                  era5.grib_dir(inv.weather_dir), "ERA5"))
        era5.check_files(inv)
    else:
        if not inv.complete:
            raise InputDataError(_missing_message(ctx, meth, info, inv.missing, inv.problems,
                                                  inv.gacos_dir, "GACOS"))
        gacos.check_files(inv)
    files = [inv.files[d] for d in info.dates]
    out = delay_file(ctx, meth)
    geom = ctx.network_geometry_file
    sig = signature(meth, files, geom, info.dates, {"minopy_wet_integral": "from_each_height"})
    if is_current(out, sig):
        ctx.log.info("tropospheric delays: %s is up to date", out)
        return out
    with h5py.File(geom, "r") as f:
        inc = f["incidenceAngle"][()].astype(np.float64)
        lat = f["latitude"][()].astype(np.float64)
        lon = f["longitude"][()].astype(np.float64)
        dem = f["height"][()].astype(np.float64) if meth == "pyaps" else None
    with h5py.File(ctx.inversion_files()["timeseries"], "r") as f:
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}

    def delay_of(i: int) -> np.ndarray:
        ctx.log.debug("tropospheric delay of %s from %s", info.dates[i], files[i])
        if meth == "pyaps":
            return era5.los_delay(files[i], dem, inc, lat, lon)
        return gacos.los_delay(files[i], inc, lat, lon)

    ctx.log.info("tropospheric delays of %d dates from %s -> %s", len(files),
                 files[0].parent, out)
    return write_delay_file(out, info.dates, attrs, inc.shape, delay_of, sig)


def apply(ctx: StepContext, in_file: Path, out_file: Path, tropo: Path | None = None) -> None:
    """Subtract the delay file (``tropo``, default the one of ``ctx``) from ``in_file`` into
    ``out_file`` (MintPy diff.py), atomically."""
    meth = method(ctx)
    tropo = delay_file(ctx, meth) if tropo is None else Path(tropo)
    if not tropo.is_file():
        raise InputDataError(f"{tropo} does not exist; it is computed at the start of "
                             "timeseries_correction")
    mintpy_bridge.subtract_delay(ctx, Path(in_file), tropo, Path(out_file))
    ctx.log.info("tropospheric correction (%s): %s - %s -> %s", meth, Path(in_file).name,
                 tropo.name, Path(out_file).name)
