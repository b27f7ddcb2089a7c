"""The one place where minopy calls MintPy (as a Python library, never through shell strings).

MintPy options reach MintPy through one custom template, ``<net>_network/minopy_mintpy.cfg``,
written by :func:`write_mintpy_config` from the user's ``mintpy.*`` keys plus what minopy needs
(processor, local computing, offline-safe defaults, the minopy temporal-coherence threshold). The
MintPy steps are run by :func:`run_steps` with ``mintpy.smallbaselineApp.TimeSeriesAnalysis``;
MintPy's printed output goes to ``<net>_network/mintpy.log``; the working directory is restored.
"""

from __future__ import annotations

import contextlib
import os
import random
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from minopy.errors import MinopyError, StepError
from minopy.io.atomic import write_text_atomic
from minopy.steps.context import StepContext

CONFIG_NAME = "minopy_mintpy.cfg"
LOG_NAME = "mintpy.log"
#: the MintPy steps of minopy's ifgram_correction step, in order.
IFGRAM_STEPS = ("modify_network", "reference_point", "quick_overview", "correct_unwrap_error")
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
_OFF = ("", "auto", "none", "no", "false", "off", "n")


def config_file(ctx: StepContext) -> Path:
    return ctx.network_dir / CONFIG_NAME


def user_value(ctx: StepContext, key: str) -> str | None:
    """The user's ``mintpy.*`` value, None when absent or auto."""
    value = ctx.config.mintpy.get(key)
    if value is None or value.strip().lower() in ("", "auto"):
        return None
    return value.strip()


def mintpy_options(ctx: StepContext) -> dict[str, str]:
    """The ``mintpy.*`` options handed to MintPy: the user's plus minopy's settings."""
    opts = {k: v for k, v in ctx.config.mintpy.items() if not k.startswith(_SKIP_PREFIXES)}
    cfg = ctx.config
    opts["mintpy.load.processor"] = "isce"
    opts.setdefault("mintpy.compute.cluster", "no")
    opts["mintpy.networkInversion.minTempCoh"] = f"{cfg['minopy.timeseries.minTempCoh']:g}"
    opts["mintpy.networkInversion.shadowMask"] = "yes" if cfg["minopy.timeseries.shadowMask"] \
        else "no"
    if user_value(ctx, "mintpy.plot") is None:
        opts["mintpy.plot"] = "yes" if cfg["minopy.plot"] else "no"
    if user_value(ctx, "mintpy.troposphericDelay.method") is None:
        # MintPy's auto is pyaps (ERA5), which needs internet and CDS credentials
        opts["mintpy.troposphericDelay.method"] = "no"
    return opts


def write_mintpy_config(ctx: StepContext) -> Path:
    """Write ``<net>_network/minopy_mintpy.cfg`` and return its path."""
    if user_value(ctx, "mintpy.troposphericDelay.method") is None:
        ctx.log.info("mintpy.troposphericDelay.method not set: tropospheric correction off "
                     "(MintPy's auto means pyaps/ERA5, which needs internet); set it to "
                     "height_correlation, gacos or pyaps to enable it")
    lines = ["# MintPy options used by minopy (written by minopy; edit the minopy template)"]
    lines += [f"{k} = {v}" for k, v in sorted(mintpy_options(ctx).items())]
    return write_text_atomic(config_file(ctx), "\n".join(lines) + "\n")


@contextlib.contextmanager
def _mintpy_session(ctx: StepContext) -> Iterator[Path]:
    """Send MintPy's prints to the log file, restore the cwd, wrap MintPy errors in StepError."""
    import matplotlib

    matplotlib.use("Agg")
    ctx.network_dir.mkdir(parents=True, exist_ok=True)
    log_file = ctx.network_dir / LOG_NAME
    cwd = os.getcwd()
    state = random.getstate()
    random.seed(0)  # MintPy's automatic reference point is random: make it reproducible
    try:
        with open(log_file, "a") as fh, contextlib.redirect_stdout(fh), \
                warnings.catch_warnings():
            # MintPy's own warnings (numpy deprecations in its text readers) go to its log too
            warnings.showwarning = lambda msg, cat, fname, lineno, *_: fh.write(
                warnings.formatwarning(msg, cat, fname, lineno))
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


def run_steps(ctx: StepContext, steps: Sequence[str]) -> None:
    """Run MintPy smallbaselineApp steps in ``ctx.network_dir`` with the minopy config file."""
    from mintpy.smallbaselineApp import TimeSeriesAnalysis

    cfg = write_mintpy_config(ctx)
    with _mintpy_session(ctx) as log_file, _safe_triplet_plot():
        app = TimeSeriesAnalysis(str(cfg), str(ctx.network_dir))
        app.open()
        for step in steps:
            ctx.log.info("MintPy step %s (log: %s)", step, log_file)
            try:
                app.run(steps=[step])
            except (Exception, SystemExit) as err:
                raise StepError(f"MintPy step {step} failed: {type(err).__name__}: {err} "
                                f"(details in {log_file})") from err


def set_reference_point(ctx: StepContext, stack: Path, y: int, x: int) -> None:
    """Write REF_Y/REF_X (and REF_LAT/LON) into ``stack`` with MintPy's reference_point."""
    import mintpy.cli.reference_point

    lookup = stack.parent / "geometryRadar.h5"
    with _mintpy_session(ctx):
        mintpy.cli.reference_point.main([str(stack), "-y", str(y), "-x", str(x),
                                         "--lookup", str(lookup)])
