"""The demo with output strides 2,2: every step on the coarse grid, velocity against the truth."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from minopy.io.multilook import cell_centre
from minopy.runner import run_steps
from minopy.simulate import demo_template_text, write_stack
from minopy.workflow import STEP_NAMES

pytestmark = pytest.mark.slow  # the nine steps on the demo (phase linking at a quarter of it)


@pytest.fixture(scope="module")
def strided_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo_strides")
    project = write_stack(root, preset="demo", layout="tops", seed=0)
    text = demo_template_text(project)
    # the reference pixel of the template is a full-resolution one: MintPy's grid is the coarse one
    ry, rx = (int(v) for v in text.split("mintpy.reference.yx")[1].split("=")[1].split()[0]
              .split(","))
    text = text.replace(f"mintpy.reference.yx         = {ry},{rx}",
                        f"mintpy.reference.yx         = {ry // 2},{rx // 2}")
    text += "minopy.inversion.strides = 2,2\n"
    template = project / "demo.txt"
    template.write_text(text)
    run_steps(template, project / "minopy", list(STEP_NAMES), verbosity="quiet")
    return project


def test_products_on_the_coarse_grid_with_multilooked_metadata(strided_run: Path) -> None:
    work = strided_run / "minopy"
    with h5py.File(work / "inputs" / "slcStack.h5", "r") as f:
        _, length, width = f["slc"].shape
        az, rg = float(f.attrs["AZIMUTH_PIXEL_SIZE"]), float(f.attrs["RANGE_PIXEL_SIZE"])
    coarse = (length // 2, width // 2)
    (net,) = sorted(work.glob("*_network"))
    for path in (work / "inverted" / "phase_series.h5", work / "inverted" / "geometryRadar.h5",
                 net / "inputs" / "ifgramStack.h5", net / "inputs" / "geometryRadar.h5",
                 net / "timeseries.h5", net / "velocity.h5"):
        with h5py.File(path, "r") as f:
            assert (int(f.attrs["LENGTH"]), int(f.attrs["WIDTH"])) == coarse, path
            assert (f.attrs["ALOOKS"], f.attrs["RLOOKS"]) in (("2", "2"), (2, 2)), path
            assert float(f.attrs["AZIMUTH_PIXEL_SIZE"]) == pytest.approx(2 * az), path
            assert float(f.attrs["RANGE_PIXEL_SIZE"]) == pytest.approx(2 * rg), path
    with h5py.File(work / "inputs" / "geometryRadar.h5", "r") as f:
        lat = f["latitude"][()]
    with h5py.File(net / "inputs" / "geometryRadar.h5", "r") as f:
        assert f["latitude"].shape == coarse
        np.testing.assert_allclose(f["latitude"][0, 0], lat[:2, :2].mean(), rtol=1e-6)


def test_velocity_recovers_the_truth_within_3_mm_per_year(strided_run: Path) -> None:
    (net,) = sorted((strided_run / "minopy").glob("*_network"))
    with h5py.File(strided_run / "truth.h5", "r") as f:
        v_true = cell_centre(f["velocity"][()], (2, 2))
    with h5py.File(net / "velocity.h5", "r") as f:
        v_est = f["velocity"][()]
        ry, rx = int(f.attrs["REF_Y"]), int(f.attrs["REF_X"])
    with h5py.File(net / "temporalCoherence.h5", "r") as f:
        tcoh = f["temporalCoherence"][()]
    assert v_est.shape == v_true.shape
    good = (tcoh >= 0.7) & np.isfinite(v_est)
    assert good.sum() > 0.5 * good.size, "too few coherent pixels for a meaningful check"
    dv = (v_est - v_est[ry, rx]) - (v_true - v_true[ry, rx])
    rmse_mm_yr = 1000 * np.sqrt(np.mean(dv[good] ** 2))
    assert rmse_mm_yr <= 3.0, f"velocity RMSE {rmse_mm_yr:.2f} mm/yr"
