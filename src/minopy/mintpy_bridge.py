"""The one place where minopy calls MintPy (as a Python library, never through shell strings).

MintPy options reach MintPy through one custom template, ``<net>_network/minopy_mintpy.cfg``,
written by :func:`write_mintpy_config` from the user's ``mintpy.*`` keys plus what minopy needs
(processor, local computing, offline-safe defaults, no KMZ unless ``mintpy.save.kmz = yes``, the
minopy temporal-coherence threshold). The
MintPy steps are run by :func:`run_steps` with ``mintpy.smallbaselineApp.TimeSeriesAnalysis``;
MintPy's printed output goes to ``<net>_network/mintpy.log``; the working directory is restored.

``mintpy.reference.lalo`` on radar-coded data is resolved here to the pixel whose geometry
latitude/longitude is nearest (:func:`reference_yx_from_lalo`) and handed to MintPy as
``mintpy.reference.yx``: MintPy's own lookup floors the mean of a search buffer, which can be a
pixel or more off, and fails with an obscure error outside the scene.
"""

from __future__ import annotations

import contextlib
import os
import random
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from minopy.errors import ConfigError, MinopyError, StepError
from minopy.io.atomic import write_text_atomic
from minopy.step_context import StepContext

CONFIG_NAME = "minopy_mintpy.cfg"
LOG_NAME = "mintpy.log"
#: the MintPy steps of minopy's timeseries_correction step, in order.
TIMESERIES_STEPS = ("correct_LOD", "correct_SET", "correct_ionosphere", "correct_troposphere",
                    "deramp", "correct_topography", "residual_RMS", "reference_date", "velocity",
                    "geocode", "google_earth", "hdfeos5")
#: unwrapError.method -> dataset written by correct_unwrap_error.
UNWRAP_DATASETS = {"bridging": "unwrapPhase_bridging",
                   "phase_closure": "unwrapPhase_phaseClosure",
                   "bridging+phase_closure": "unwrapPhase_bridging_phaseClosure"}
#: user keys that describe loading, which minopy does itself.
_SKIP_PREFIXES = ("mintpy.load.", "mintpy.subset.")
#: invert_network's time-series covariance (``minopy.timeseries.calcCov``), MintPy's file name.
TS_COV_NAME = "timeseriesDecorCov.h5"
_OFF = ("", "auto", "none", "no", "false", "off", "n")


def config_file(ctx: StepContext) -> Path:
    return ctx.network_dir / CONFIG_NAME


def user_value(ctx: StepContext, key: str) -> str | None:
    """The user's ``mintpy.*`` value, None when absent or auto."""
    value = ctx.config.mintpy.get(key)
    if value is None or value.strip().lower() in ("", "auto"):
        return None
    return value.strip()


def user_reference_given(ctx: StepContext) -> bool:
    """Whether the user set the reference point (``mintpy.reference.yx`` or ``lalo``)."""
    return any(user_value(ctx, f"mintpy.reference.{k}") not in (None, "no") for k in ("yx", "lalo"))


#: metres per degree of latitude (mean Earth radius).
_M_PER_DEG = 6371008.8 * 3.141592653589793 / 180.0


def reference_yx_from_lalo(ctx: StepContext, geom: Path | None = None) -> tuple[int, int] | None:
    """Pixel nearest to ``mintpy.reference.lalo`` in the geometry ``geom`` (default
    ``<net>_network/inputs/geometryRadar.h5``).

    None when lalo is not set, ``mintpy.reference.yx`` is set (it wins), or the geometry is missing
    or in geo-coordinates (MintPy's lookup is exact there).

    Raises
    ------
    ConfigError
        If lalo is not ``lat,lon`` or lies farther than one pixel spacing from every pixel.
    """
    import h5py
    import numpy as np

    lalo = user_value(ctx, "mintpy.reference.lalo")
    if lalo is None or lalo.lower() in _OFF or user_value(ctx, "mintpy.reference.yx") not in (
            None, "no"):
        return None
    try:
        lat, lon = (float(v) for v in lalo.replace(" ", "").split(","))
    except ValueError:
        raise ConfigError(f"mintpy.reference.lalo = {lalo!r}; expected lat,lon in degrees") \
            from None
    geom = geom if geom is not None else ctx.network_dir / "inputs" / "geometryRadar.h5"
    if not geom.is_file():
        return None
    with h5py.File(geom, "r") as f:
        if "Y_FIRST" in f.attrs or "latitude" not in f or "longitude" not in f:
            return None
        lat_ds, lon_ds = f["latitude"], f["longitude"]
        length, width = lat_ds.shape
        scale = np.cos(np.deg2rad(lat))
        best, best_yx = np.inf, (0, 0)
        step = max(1, 2**22 // max(width, 1))
        for y0 in range(0, length, step):
            la = lat_ds[y0:y0 + step].astype(np.float64)
            lo = lon_ds[y0:y0 + step].astype(np.float64)
            d2 = (la - lat) ** 2 + ((lo - lon) * scale) ** 2
            d2[~np.isfinite(d2) | ((la == 0) & (lo == 0))] = np.inf
            i = int(np.argmin(d2))
            if d2.flat[i] < best:
                best, best_yx = float(d2.flat[i]), (y0 + i // width, i % width)
        if not np.isfinite(best):
            raise ConfigError(f"mintpy.reference.lalo = {lalo}: {geom} has no valid latitude")
        y, x = best_yx
        ys, xs = slice(max(y - 1, 0), y + 2), slice(max(x - 1, 0), x + 2)
        la, lo = lat_ds[ys, xs].astype(np.float64), lon_ds[ys, xs].astype(np.float64)
    spacing = np.sqrt((la - la[y - ys.start, x - xs.start]) ** 2
                      + ((lo - lo[y - ys.start, x - xs.start]) * scale) ** 2)
    spacing = float(np.nanmax(spacing)) if np.isfinite(spacing).any() else 0.0
    if np.sqrt(best) > max(spacing, 1e-9):
        raise ConfigError(
            f"mintpy.reference.lalo = {lalo} is {np.sqrt(best) * _M_PER_DEG:.0f} m from the "
            f"nearest pixel (y/x = {y}/{x}) of {geom}: outside the area covered by the data; "
            "give a point inside it, or mintpy.reference.yx"
        )
    return int(y), int(x)


def check_reference_point(ctx: StepContext) -> None:
    """ConfigError if the user's ``mintpy.reference.yx``/``lalo`` lies outside the image.

    Checked as soon as the image is known, i.e. once ``inputs/slcStack.h5`` exists (right after
    load_data), instead of when MintPy's reference_point step fails after unwrapping. Nothing is
    checked without a readable slcStack.h5 (its own step reports it).

    Raises
    ------
    ConfigError
        Naming the key, its value and the image size (or the area the geometry covers).
    """
    import h5py

    try:
        with h5py.File(ctx.slc_stack_file, "r") as f:
            length, width = int(f.attrs["LENGTH"]), int(f.attrs["WIDTH"])
    except (OSError, KeyError, ValueError):
        return
    # with output strides MintPy works on the coarse grid of the phase-linking outputs
    length, width = length // ctx.strides[0], width // ctx.strides[1]
    yx = user_value(ctx, "mintpy.reference.yx")
    if yx is not None and yx.lower() not in _OFF:
        try:
            y, x = (int(float(v)) for v in yx.replace(" ", "").strip("[]").split(","))
        except ValueError:
            raise ConfigError(f"mintpy.reference.yx = {yx!r}; expected row,column (pixels of the "
                              f"{length} x {width} image)") from None
        if not (0 <= y < length and 0 <= x < width):
            raise ConfigError(
                f"mintpy.reference.yx = {yx} is outside the image, which has {length} rows and "
                f"{width} columns ({ctx.slc_stack_file}, minopy.inversion.strides = "
                f"{ctx.strides[0]},{ctx.strides[1]}): expected 0 <= row < {length} and "
                f"0 <= column < {width}")
        return
    reference_yx_from_lalo(ctx, ctx.geometry_file)


def mintpy_options(ctx: StepContext) -> dict[str, str]:
    """The ``mintpy.*`` options handed to MintPy: the user's plus minopy's settings."""
    opts = {k: v for k, v in ctx.config.mintpy.items() if not k.startswith(_SKIP_PREFIXES)}
    cfg = ctx.config
    opts["mintpy.load.processor"] = "isce"
    opts.setdefault("mintpy.compute.cluster", "no")
    opts["mintpy.networkInversion.minTempCoh"] = f"{cfg.timeseries.min_temp_coh:g}"
    opts["mintpy.networkInversion.shadowMask"] = "yes" if cfg.timeseries.shadow_mask \
        else "no"
    if user_value(ctx, "mintpy.plot") is None:
        opts["mintpy.plot"] = "yes" if cfg.general.plot else "no"
    if user_value(ctx, "mintpy.troposphericDelay.method") is None:
        # MintPy's auto is pyaps (ERA5), which needs internet and CDS credentials
        opts["mintpy.troposphericDelay.method"] = "no"
    if user_value(ctx, "mintpy.save.kmz") is None:
        # MintPy's auto is yes, and its KMZ writer needs ~1.6 GB even for a 48 x 64 stack
        opts["mintpy.save.kmz"] = "no"
    if cfg.timeseries.calc_cov and user_value(
            ctx, "mintpy.timeFunc.uncertaintyQuantification") is None:
        # invert_network's decorrelation covariance gives the velocity uncertainty
        opts["mintpy.timeFunc.uncertaintyQuantification"] = "covariance"
        opts["mintpy.timeFunc.timeSeriesCovFile"] = str(ctx.network_dir / TS_COV_NAME)
    ref = reference_yx_from_lalo(ctx)
    if ref is not None:
        opts["mintpy.reference.yx"] = f"{ref[0]},{ref[1]}"
        opts["mintpy.reference.lalo"] = "auto"
    return opts


def write_mintpy_config(ctx: StepContext) -> Path:
    """Write ``<net>_network/minopy_mintpy.cfg`` and return its path."""
    if user_value(ctx, "mintpy.troposphericDelay.method") is None:
        ctx.log.info("mintpy.troposphericDelay.method not set: tropospheric correction off "
                     "(MintPy's auto means pyaps/ERA5, which needs internet); set it to "
                     "height_correlation, gacos or pyaps to enable it")
    opts = mintpy_options(ctx)
    lines = ["# MintPy options used by minopy (written by minopy; edit the minopy template)"]
    lalo = user_value(ctx, "mintpy.reference.lalo")
    if lalo is not None and opts.get("mintpy.reference.lalo") == "auto":
        ctx.log.info("mintpy.reference.lalo = %s -> nearest pixel y/x = %s", lalo,
                     opts["mintpy.reference.yx"].replace(",", "/"))
        lines.append(f"# mintpy.reference.lalo = {lalo} is the pixel nearest to it")
    lines += [f"{k} = {v}" for k, v in sorted(opts.items())]
    return write_text_atomic(config_file(ctx), "\n".join(lines) + "\n")


@contextlib.contextmanager
def _mintpy_session(ctx: StepContext) -> Iterator[Path]:
    """Send MintPy's prints to the log file, restore the cwd, wrap MintPy errors in StepError."""
    import matplotlib

    matplotlib.use("Agg")
    ctx.network_dir.mkdir(parents=True, exist_ok=True)
    log_file = ctx.final_network_dir / LOG_NAME  # the log of all runs, not a staged product
    cwd = os.getcwd()
    state = random.getstate()
    random.seed(0)  # MintPy's random choices (e.g. of a reference point) are made reproducible
    try:
        with open(log_file, "a") as fh, contextlib.redirect_stdout(fh), \
                warnings.catch_warnings():
            # MintPy's own warnings (numpy deprecations in its text readers) go to its log too
            warnings.showwarning = lambda msg, cat, fname, lineno, *_: (  # type: ignore[assignment]
                fh.write(warnings.formatwarning(msg, cat, fname, lineno)))
            yield log_file
    except MinopyError:
        raise
    except (Exception, SystemExit) as err:
        raise StepError(f"MintPy failed: {type(err).__name__}: {err} (details in {log_file})") \
            from err
    finally:
        os.chdir(cwd)
        random.setstate(state)


@contextlib.contextmanager
def _safe_triplet_plot() -> Iterator[None]:
    """Work around MintPy 1.6: its triplet-ambiguity histogram crashes (bins=0) when every triplet
    closes (no unwrapping error at all); skip that figure then."""
    import h5py
    import numpy as np
    from mintpy.utils import plot as pp

    original = pp.plot_num_triplet_with_nonzero_integer_ambiguity

    def guarded(fname: str, *args: Any, **kwargs: Any) -> Any:
        with h5py.File(fname, "r") as f:
            data = np.asarray(f[next(iter(f.keys()))][()], dtype=np.float64)
        if not np.isfinite(data).any() or np.nanmax(data) < 1:
            print(f"no triplet with non-zero integer ambiguity: figure of {fname} skipped")
            return None
        return original(fname, *args, **kwargs)

    pp.plot_num_triplet_with_nonzero_integer_ambiguity = guarded
    try:
        yield
    finally:
        pp.plot_num_triplet_with_nonzero_integer_ambiguity = original


#: ``replace`` callable of :func:`run_steps`: (input file, output file) of the MintPy step.
StepReplacement = Callable[[Path, Path], None]


def run_steps(ctx: StepContext, steps: Sequence[str],
              replace: Mapping[str, StepReplacement] | None = None) -> None:
    """Run MintPy smallbaselineApp steps in ``ctx.network_dir`` with the minopy config file.

    Parameters
    ----------
    ctx : StepContext
    steps : sequence of str
        MintPy step names, in order.
    replace : mapping, optional
        Time-series correction steps that minopy does itself: ``replace[step](in_file,
        out_file)`` is called instead of MintPy's step, with the file names MintPy would use
        (so the following MintPy steps find the output).
    """
    from mintpy.smallbaselineApp import TimeSeriesAnalysis

    cfg = write_mintpy_config(ctx)
    with _mintpy_session(ctx) as log_file, _safe_triplet_plot():
        app = TimeSeriesAnalysis(str(cfg), str(ctx.network_dir))
        app.open()
        for step in steps:
            if replace and step in replace:
                names = app.get_timeseries_filename(app.template, str(ctx.network_dir))[step]
                ctx.log.info("step %s by minopy: %s -> %s", step, Path(names["input"]).name,
                             Path(names["output"]).name)
                replace[step](Path(names["input"]), Path(names["output"]))
                continue
            ctx.log.info("MintPy step %s (log: %s)", step, log_file)
            try:
                app.run(steps=[step])
            except (Exception, SystemExit) as err:
                raise StepError(f"MintPy step {step} failed: {type(err).__name__}: {err} "
                                f"(details in {log_file})") from err


def write_ifgram_aux_files(ctx: StepContext) -> None:
    """MintPy's ``maskConnComp.h5`` and ``avgSpatialCoh.h5`` (the first half of its
    reference_point step, ``TimeSeriesAnalysis.generate_ifgram_aux_file``)."""
    from mintpy.smallbaselineApp import TimeSeriesAnalysis

    cfg = write_mintpy_config(ctx)
    with _mintpy_session(ctx):
        app = TimeSeriesAnalysis(str(cfg), str(ctx.network_dir))
        app.open()
        app.generate_ifgram_aux_file()


def set_reference_point(ctx: StepContext, stack: Path, y: int, x: int) -> None:
    """Write REF_Y/REF_X into ``stack`` with MintPy's reference_point (which adds REF_LAT/LON
    on geocoded stacks only)."""
    import mintpy.cli.reference_point

    lookup = stack.parent / "geometryRadar.h5"
    with _mintpy_session(ctx):
        mintpy.cli.reference_point.main([str(stack), "-y", str(y), "-x", str(x),
                                         "--lookup", str(lookup)])


def subtract_delay(ctx: StepContext, in_file: Path, delay_file: Path, out_file: Path) -> None:
    """``out_file = in_file - delay_file`` with MintPy's diff.py (re-referenced in space and time).

    MintPy writes in place; here it writes a temporary ``.h5`` beside ``out_file`` that is
    renamed when complete, so ``out_file`` is either absent or whole.
    """
    import mintpy.cli.diff

    out_file = Path(out_file)
    tmp = out_file.with_name(f".{out_file.stem}.part{os.getpid()}.h5")
    tmp.unlink(missing_ok=True)
    try:
        with _mintpy_session(ctx):
            mintpy.cli.diff.main([str(in_file), str(delay_file), "-o", str(tmp), "--force"])
        os.replace(tmp, out_file)
    finally:
        tmp.unlink(missing_ok=True)
