"""Real data: the whole nine-step workflow on the Houston Sentinel-1 crop, default options.

The project is ``builders.make_houston_stack`` (real SLC pixels, synthetic geometry, baselines and
reference XML: the metadata the crop lacks), all 93 dates. The template sets only
``minopy.load.autoPath`` and ``minopy.subset.yx`` = the 72 x 112 ``SUBSET`` of ``conftest.py``
(three of the four bright built-up patches, fields, roads, part of a river): the full 256 x 256
crop takes about 8 minutes on 2 cores (SNAPHU alone over 3), the subset about 2.5 (phase linking
~30 s, unwrapping ~20 s, MintPy's time-series corrections ~55 s), all 93 dates kept so the
estimator and the network are the defaults (sequential_EMI in mini-stacks of 10, single_reference).

The checks hold for any correct phase linking (the SHP/PS calibration may change): the run
completes with ``velocity.h5``; the built-up patches are inverted with finite, plausible
velocities; the reference point is unwrapped in every kept interferogram and lies in a coherent
area by the authors' own ``avg_correlation`` (independent of minopy).
"""

from __future__ import annotations

from pathlib import Path

import builders
import h5py
import numpy as np
import pytest
from scipy.ndimage import uniform_filter

from minopy.runner import run_steps
from minopy.workflow import STEP_NAMES

pytestmark = pytest.mark.slow

#: rows y0:y1, columns x0:x1 of the crop (``conftest.SUBSET``).
SUBSET = (72, 144, 88, 200)


def _crop_map(relpath: str) -> np.ndarray:
    return np.fromfile(builders.HOUSTON_CROP / relpath, dtype="<f4").reshape(256, 256)


def _built_up(win: tuple[slice, slice]) -> np.ndarray:
    """Built-up pixels of the subset, from the authors' data only (the definition of
    ``test_houston_phase_linking.built_up_and_fields``): mean amplitude of the 93 dates above its
    97th percentile over the crop and ``avg_correlation`` > 0.4."""
    amp = np.mean([_crop_map(f"amplitude/{d}.amp") for d in builders.houston_dates()], axis=0)
    corr = _crop_map("correlation/avg_correlation")
    return (amp[win] > np.percentile(amp, 97)) & (corr[win] > 0.4)


@pytest.fixture(scope="module")
def network_dir(houston_project: Path) -> Path:
    """Run all nine steps with the default options on the subset; the network folder."""
    y0, y1, x0, x1 = SUBSET
    template = houston_project / "HoustonWorkflow.txt"
    template.write_text(f"minopy.load.autoPath = yes\nminopy.subset.yx = {y0}:{y1},{x0}:{x1}\n")
    work = houston_project / "workflow"
    run_steps(template, work, list(STEP_NAMES), verbosity="quiet")
    (net,) = work.glob("*_network")
    return net


def test_workflow_completes_with_velocity(network_dir: Path) -> None:
    assert network_dir.name == "single_reference_network"
    with h5py.File(network_dir / "timeseries.h5", "r") as f:
        assert f["timeseries"].shape == (93, 72, 112)
    with h5py.File(network_dir / "velocity.h5", "r") as f:
        assert f["velocity"].shape == (72, 112)


def test_built_up_patches_have_finite_velocities(network_dir: Path) -> None:
    y0, y1, x0, x1 = SUBSET
    built = _built_up((slice(y0, y1), slice(x0, x1)))
    assert built.sum() > 100  # the three patches
    with h5py.File(network_dir / "velocity.h5", "r") as f:
        velocity = f["velocity"][()]
    with h5py.File(network_dir / "maskTempCoh.h5", "r") as f:
        inverted = f["mask"][()]
    ok = inverted & np.isfinite(velocity)
    assert ok[built].mean() > 0.9, ok[built].mean()
    # plausible: Houston subsides by up to a few cm/yr (LOS velocity in m/yr)
    assert np.percentile(np.abs(velocity[built & ok]), 99) < 0.1


def test_reference_point_is_unwrapped_and_coherent(network_dir: Path) -> None:
    with h5py.File(network_dir / "velocity.h5", "r") as f:
        ref_y, ref_x = int(f.attrs["REF_Y"]), int(f.attrs["REF_X"])
    with h5py.File(network_dir / "inputs" / "ifgramStack.h5", "r") as f:
        assert (int(f.attrs["REF_Y"]), int(f.attrs["REF_X"])) == (ref_y, ref_x)
        keep = f["dropIfgram"][()]
        comp = f["connectComponent"][()][keep]
        phase = f["unwrapPhase"][:, ref_y, ref_x][keep]
    assert (comp != 0).all(axis=0).any()  # some pixels are unwrapped in every pair ...
    assert (comp[:, ref_y, ref_x] != 0).all() and np.isfinite(phase).all()  # ... the reference too
    with h5py.File(network_dir / "maskTempCoh.h5", "r") as f:
        assert f["mask"][ref_y, ref_x]
    y0, y1, x0, x1 = SUBSET
    corr = _crop_map("correlation/avg_correlation")
    around = uniform_filter(corr[y0:y1, x0:x1], size=7, mode="constant")[ref_y, ref_x]
    assert around > np.percentile(corr, 95), (ref_y, ref_x, around)
