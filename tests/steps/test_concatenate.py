"""The concatenate_patch step: output files, formats, MintPy readability and missing patches."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from mintpy.utils import readfile
from steps._slc_builders import build_case, make_context

from minopy.errors import StepError
from minopy.io.isce import is_complete, read_info, read_raster
from minopy.steps import concatenate_patch, phase_linking
from minopy.steps.outputs import first_problem
from minopy.steps.patches import read_result, result_path


@pytest.fixture(scope="module")
def done_ctx(tmp_path_factory):
    ctx = build_case(tmp_path_factory.mktemp("cat") / "wd", num_dates=6, length=40, width=36)
    phase_linking.run(ctx)
    concatenate_patch.run(ctx)
    return ctx


def test_phase_series_layout_and_attributes(done_ctx):
    ctx = done_ctx
    with h5py.File(ctx.phase_series_file, "r") as f:
        shapes = {k: (f[k].shape, f[k].dtype) for k in f}
        attrs = dict(f.attrs)
        est_codes = f["estimator"].attrs["codes"]
        phase, tcoh = f["phase"][()], f["temporalCoherence"][()]
        dates = f["date"][()]
    n, length, width = 6, 40, 36
    assert shapes["phase"] == ((n, length, width), np.float32)
    assert shapes["amplitude"] == ((n, length, width), np.float32)
    assert shapes["crlbStd"] == ((n, length, width), np.float32)
    assert shapes["shp"] == ((length, width), np.int32)
    assert shapes["temporalCoherence"] == ((2, length, width), np.float32)
    assert shapes["estimator"] == ((length, width), np.uint8)
    assert shapes["date"][0] == (n,) and shapes["bperp"] == ((n,), np.float32)
    assert attrs["FILE_TYPE"] == "timeseries" and attrs["UNIT"] == "radian"
    assert attrs["WAVELENGTH"] == "0.05546576" and attrs["LENGTH"] == "40"
    assert "description" in attrs and "2=EMI" in est_codes
    assert dates[0] == b"20200101"
    assert np.all(phase[0] == 0) and np.all(np.abs(phase) <= np.pi + 1e-6)
    assert np.all((tcoh >= 0) & (tcoh <= 1))


def test_outputs_match_patch_results(done_ctx):
    ctx = done_ctx
    plan = phase_linking.make_plan(ctx)
    box = plan.boxes[4]
    res = read_result(result_path(ctx.patches_dir, box), box)
    rows, cols = slice(box.row0, box.row1), slice(box.col0, box.col1)
    with h5py.File(ctx.phase_series_file, "r") as f:
        np.testing.assert_array_equal(f["phase"][:, rows, cols], res["phase"])
        np.testing.assert_array_equal(f["shp"][rows, cols], res["shp_count"])
        tcoh = f["temporalCoherence"][()]
        shp = f["shp"][()]
    with h5py.File(ctx.ps_mask_file, "r") as f:
        assert f["mask"].dtype == bool and f.attrs["FILE_TYPE"] == "mask"
        np.testing.assert_array_equal(f["mask"][rows, cols], res["ps_mask"])
    np.testing.assert_array_equal(read_raster(ctx.temp_coh_raster("average")), tcoh[0])
    np.testing.assert_array_equal(read_raster(ctx.temp_coh_raster("full")), tcoh[1])
    np.testing.assert_array_equal(read_raster(ctx.inverted_dir / "shp_count"), shp)
    eig = read_raster(ctx.inverted_dir / "top_eigenvalues", band=None)
    assert eig.shape == (3, 40, 36)
    np.testing.assert_array_equal(eig[:, rows, cols], res["top_eigenvalues"])
    info = read_info(ctx.inverted_dir / "top_eigenvalues")
    assert info.scheme == "BSQ" and info.bands == 3
    adi = read_raster(ctx.inverted_dir / "amp_dispersion_index")
    np.testing.assert_array_equal(adi[rows, cols], res["amp_dispersion"])
    assert first_problem(concatenate_patch.outputs(ctx)) is None
    for name in concatenate_patch.RASTERS:
        assert is_complete(ctx.inverted_dir / name)


def test_mintpy_reads_phase_series_and_ps_mask(done_ctx):
    ctx = done_ctx
    data, atr = readfile.read(str(ctx.phase_series_file), datasetName="phase")
    assert data.shape == (6, 40, 36) and atr["FILE_TYPE"] == "timeseries"
    coh, _ = readfile.read(str(ctx.phase_series_file), datasetName="temporalCoherence")
    assert coh.shape == (2, 40, 36)
    mask, atr = readfile.read(str(ctx.ps_mask_file))
    assert mask.shape == (40, 36) and atr["FILE_TYPE"] == "mask"


def test_missing_patch_is_a_clear_error(tmp_path):
    ctx = build_case(tmp_path / "wd")
    phase_linking.run(ctx)
    box = phase_linking.make_plan(ctx).boxes[3]
    result_path(ctx.patches_dir, box).unlink()
    with pytest.raises(StepError, match=r"patch PATCH_0003 \(rows 16:32, cols 0:16\) has no "
                                        r"result .*re-run the phase_linking step"):
        concatenate_patch.run(ctx)
    assert not ctx.phase_series_file.exists()


def test_stale_patch_is_a_clear_error(tmp_path):
    ctx = build_case(tmp_path / "wd")
    phase_linking.run(ctx)
    changed = make_context(tmp_path / "wd", inversion__azimuthWindow=5, inversion__rangeWindow=5,
                           inversion__ministackSize=3, inversion__patchSize=16,
                           inversion__phaseLinkingMethod="EMI", inversion__emiRegularization=0.2)
    with pytest.raises(StepError, match="PATCH_0000 .* computed with other options or inputs"):
        concatenate_patch.run(changed)
    assert concatenate_patch.inputs(ctx)[1] == ctx.patches_dir / "DONE"
