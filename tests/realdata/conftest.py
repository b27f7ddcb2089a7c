"""Fixtures for the real-data tests: the Houston Sentinel-1 stack run through minopy's steps.

The stack (93 dates, 256 x 256 crop) is described in ``../shared/data/houston_s1/README.md``
(beside the repository); ``tests/builders.py::make_houston_stack`` writes it as a topsStack-layout
project (real SLC pixels from the README pseudo-SLC recipe, synthetic geometry/baselines). The
fixtures run the real step modules (``load_data``, ``phase_linking``, ``concatenate_patch``) with
the default estimator (sequential_EMI, KS test, 15 x 15 window) and patch size 64.

Runtimes on a shared 2-core machine: building the project + loading the full crop ~3-5 s;
phase linking all 93 dates takes ~15 s on the 72 x 112 ``SUBSET`` and ~100 s on the full
256 x 256 crop, so the full-crop run is marked ``slow``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import builders
import h5py
import numpy as np
import pytest

from minopy.config import load_config
from minopy.step_context import StepContext
from minopy.steps import concatenate_patch, load_data, phase_linking

#: rows y0:y1, columns x0:x1 of the crop phase-linked by the default (fast) test (72 x 112
#: pixels, 4 patches of at most 64 x 64). It holds three of the four bright built-up patches
#: (crop rows ~79-133, columns ~94-188), fields, roads and part of a river.
SUBSET = (72, 144, 88, 200)
FULL = (0, 256, 0, 256)

#: options shared by every run: the defaults of the issue (sequential_EMI, KS, 15 x 15) spelled
#: out, patch size 64, in-process (one worker) with 2 numba threads.
BASE_OPTIONS = {
    "minopy.load.autoPath": "yes",
    "minopy.inversion.phaseLinkingMethod": "sequential_EMI",
    "minopy.inversion.shpTest": "ks",
    "minopy.inversion.azimuthWindow": "15",
    "minopy.inversion.rangeWindow": "15",
    "minopy.inversion.patchSize": "64",
    "minopy.multiprocessing.numProcessor": "1",
    "minopy.compute.threadsPerWorker": "2",
}


def read_crop_map(relpath: str) -> np.ndarray:
    """A 256 x 256 float32 map of the crop (e.g. ``ps_data/amp_disp``)."""
    return np.fromfile(builders.HOUSTON_CROP / relpath, dtype="<f4").reshape(256, 256)


def mean_amplitude() -> np.ndarray:
    """Mean over the 93 dates of the authors' amplitude files (independent of minopy)."""
    total = np.zeros((256, 256), np.float64)
    dates = builders.houston_dates()
    for d in dates:
        total += np.fromfile(builders.HOUSTON_CROP / "amplitude" / f"{d}.amp",
                             dtype="<f4").reshape(256, 256)
    return (total / len(dates)).astype(np.float32)


def step_context(project: Path, name: str, overrides: dict[str, str]) -> StepContext:
    """Template ``<project>/<name>.txt`` and a StepContext with work dir ``<project>/<name>``."""
    template = project / f"{name}.txt"
    template.write_text("".join(f"{k} = {v}\n" for k, v in {**BASE_OPTIONS, **overrides}.items()))
    return StepContext(project / name, load_config(template))


@dataclass
class LinkedRun:
    """Inputs and phase-linking products of one run, all on the run's box of the crop."""

    box: tuple[int, int, int, int]
    ctx: StepContext
    dates: list[str]
    slc: np.ndarray  # (N, L, W) complex64 from inputs/slcStack.h5
    phase: np.ndarray  # (N, L, W) linked phase from phase_series.h5
    tcoh_full: np.ndarray  # inverted/tempCoh_full
    tcoh_average: np.ndarray  # temporalCoherence[0]
    estimator: np.ndarray
    shp: np.ndarray
    avg_correlation: np.ndarray  # the authors' correlation/avg_correlation
    mean_amp: np.ndarray  # mean of the authors' amplitude files
    mean_amp_full_crop: np.ndarray  # same over the whole 256 x 256 crop (for percentiles)


@pytest.fixture(scope="module")
def houston_project(tmp_path_factory) -> Path:
    """topsStack-layout project of all 93 Houston dates (built once per module)."""
    if not builders.HOUSTON_CROP.is_dir():
        pytest.skip(f"Houston data not found at {builders.HOUSTON}")
    return builders.make_houston_stack(tmp_path_factory.mktemp("houston") / "project")


@pytest.fixture(scope="module")
def houston_loaded(houston_project) -> StepContext:
    """load_data on the full 256 x 256 crop, all 93 dates (no phase linking)."""
    ctx = step_context(houston_project, "minopy_load_full", {})
    load_data.run(ctx)
    return ctx


@pytest.fixture(scope="module",
                params=[pytest.param(SUBSET, id="subset72x112"),
                        pytest.param(FULL, id="full256", marks=pytest.mark.slow)])
def houston_linked(request, houston_project) -> LinkedRun:
    """load_data (subset.yx = box), phase_linking and concatenate_patch on all 93 dates."""
    from minopy.io.isce import read_raster

    y0, y1, x0, x1 = request.param
    name = f"minopy_{y0}_{y1}_{x0}_{x1}"
    overrides = {} if request.param == FULL else {"minopy.subset.yx": f"{y0}:{y1},{x0}:{x1}"}
    ctx = step_context(houston_project, name, overrides)
    load_data.run(ctx)
    phase_linking.run(ctx)
    concatenate_patch.run(ctx)
    with h5py.File(ctx.slc_stack_file, "r") as f:
        slc = f["slc"][()]
        dates = [d.decode() for d in f["date"][()]]
    with h5py.File(ctx.phase_series_file, "r") as f:
        phase = f["phase"][()]
        tcoh_average = f["temporalCoherence"][0]
        estimator = f["estimator"][()]
        shp = f["shp"][()]
    tcoh_full = read_raster(ctx.temp_coh_raster("full"))
    mean_amp = mean_amplitude()
    win = (slice(y0, y1), slice(x0, x1))
    return LinkedRun(request.param, ctx, dates, slc, phase, tcoh_full, tcoh_average, estimator,
                     shp, read_crop_map("correlation/avg_correlation")[win], mean_amp[win],
                     mean_amp)
