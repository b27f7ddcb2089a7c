"""The phase_linking step: seamless patches, resume, dask, validation and no-data handling."""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import numpy as np
import pytest
from steps._slc_builders import build_case, synthetic_slc, write_slc_stack

from minopy.errors import ConfigError, InputDataError
from minopy.steps import concatenate_patch, phase_linking
from minopy.steps.patches import patch_grid, result_fingerprint, result_path

ORIGINAL_COMPUTE = phase_linking.compute_patch
PRODUCTS = ("phase", "amplitude", "shp", "temporalCoherence", "estimator", "crlbStd")


def run_both(ctx, execution: str = "auto") -> dict[str, np.ndarray]:
    """Run phase_linking + concatenate_patch and return the phase_series.h5 arrays."""
    phase_linking.run(ctx, execution=execution)
    concatenate_patch.run(ctx)
    with h5py.File(ctx.phase_series_file, "r") as f:
        return {name: f[name][()] for name in PRODUCTS}


def assert_same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    for name in PRODUCTS:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


class SimulatedKillError(Exception):
    """Stands for the process being killed in the middle of a run."""


class CountingCompute:
    """Wraps compute_patch to count calls and optionally fail at call number ``fail_at``."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.calls: list[int] = []
        self.fail_at = fail_at

    def __call__(self, task):
        if self.fail_at is not None and len(self.calls) == self.fail_at:
            raise SimulatedKillError("simulated kill")
        self.calls.append(task.box.index)
        return ORIGINAL_COMPUTE(task)


# ------------------------------------------------------------------ patch grid


def test_patch_grid_covers_image_once_with_clipped_margins():
    boxes = patch_grid(70, 45, 32, (7, 3))
    cover = np.zeros((70, 45), dtype=int)
    for b in boxes:
        cover[b.row0:b.row1, b.col0:b.col1] += 1
        assert b.read_row0 == max(0, b.row0 - 7) and b.read_row1 == min(70, b.row1 + 7)
        assert b.read_col0 == max(0, b.col0 - 3) and b.read_col1 == min(45, b.col1 + 3)
    assert (cover == 1).all()
    # 70 = 32 + 38 (a 6-row remainder joins the last row of patches), 45 = 32 + 13
    assert [(b.row0, b.row1) for b in boxes[::2]] == [(0, 32), (32, 70)]
    assert [b.index for b in boxes] == list(range(len(boxes)))


# ------------------------------------------------------------------ seams, resume, dask


def test_small_patches_equal_one_big_patch(tmp_path):
    small = run_both(build_case(tmp_path / "small", inversion__patchSize=16))
    big = run_both(build_case(tmp_path / "big", inversion__patchSize=64))
    assert (big["estimator"] > 0).all()
    assert_same(small, big)


def test_killed_run_resumes_to_identical_outputs(tmp_path, monkeypatch):
    reference = run_both(build_case(tmp_path / "ref"))

    ctx = build_case(tmp_path / "wd")
    killer = CountingCompute(fail_at=4)
    monkeypatch.setattr(phase_linking, "compute_patch", killer)
    with pytest.raises(SimulatedKillError):
        phase_linking.run(ctx)
    assert not (ctx.patches_dir / "DONE").exists()
    # a half-written temporary file left by a killed writer is ignored and cleaned up
    stale = ctx.patches_dir / "PATCH_0005" / ".result.npz.part99999"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"garbage")

    again = CountingCompute()
    monkeypatch.setattr(phase_linking, "compute_patch", again)
    resumed = run_both(ctx)
    assert sorted(again.calls) == list(range(4, 9))  # only the patches not done before
    assert not stale.exists()
    assert (ctx.patches_dir / "DONE").is_file()
    assert_same(resumed, reference)


def test_deleted_patch_is_recomputed_and_others_reused(tmp_path, monkeypatch):
    ctx = build_case(tmp_path / "wd")
    first = run_both(ctx)
    boxes = phase_linking.make_plan(ctx).boxes
    for i in (2, 7):
        result_path(ctx.patches_dir, boxes[i]).unlink()
    counter = CountingCompute()
    monkeypatch.setattr(phase_linking, "compute_patch", counter)
    assert_same(run_both(ctx), first)
    assert sorted(counter.calls) == [2, 7]


def test_changed_option_recomputes_every_patch(tmp_path, monkeypatch):
    ctx = build_case(tmp_path / "wd")
    phase_linking.run(ctx)
    done = (ctx.patches_dir / "DONE").read_text()
    counter = CountingCompute()
    monkeypatch.setattr(phase_linking, "compute_patch", counter)
    phase_linking.run(ctx)
    assert counter.calls == []
    assert (ctx.patches_dir / "DONE").read_text() == done

    ctx2 = build_case(tmp_path / "wd", inversion__emiRegularization=0.1)
    old_fp = result_fingerprint(result_path(ctx.patches_dir, phase_linking.make_plan(ctx).boxes[0]))
    phase_linking.run(ctx2)
    assert sorted(counter.calls) == list(range(9))
    plan2 = phase_linking.make_plan(ctx2)
    stored = result_fingerprint(result_path(ctx2.patches_dir, plan2.boxes[0]))
    assert stored == plan2.fingerprints[0]
    assert plan2.fingerprints[0] != old_fp
    assert (ctx2.patches_dir / "DONE").read_text() != done


def test_dask_cluster_gives_results_identical_to_in_process(tmp_path, caplog):
    local = run_both(build_case(tmp_path / "one"))
    ctx = build_case(tmp_path / "two", multiprocessing__numProcessor=2)
    if ctx.execution.workers < 2:
        pytest.skip("needs 2 CPUs")
    with caplog.at_level(logging.INFO, logger="minopy"):
        assert_same(run_both(ctx, execution="dask"), local)
    assert "dask, 2 workers x 1 thread (requested)" in caplog.text
    assert "phase-linking kernels" in caplog.text  # warmed up before the workers started


def test_in_process_threads_give_identical_results_and_are_logged(tmp_path, caplog):
    one = run_both(build_case(tmp_path / "one"))
    ctx = build_case(tmp_path / "two", multiprocessing__numProcessor=2)
    if ctx.execution.workers < 2:
        pytest.skip("needs 2 CPUs")
    with caplog.at_level(logging.INFO, logger="minopy"):
        assert_same(run_both(ctx), one)
    assert "in-process, 2 numba threads (local run on 2 <= 8 cores" in caplog.text


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"inversion__azimuthWindow": 41}, r"azimuthWindow = 41 is larger than the image"),
        ({"inversion__rangeWindow": 37}, r"rangeWindow = 37 is larger than the image"),
        ({"inversion__azimuthWindow": 17}, r"patchSize = 16 is smaller than .*azimuthWindow = 17"),
    ],
)
def test_bad_options_raise_config_error_naming_the_key(tmp_path, options, match):
    ctx = build_case(tmp_path / "wd", **options)
    with pytest.raises(ConfigError, match=match):
        phase_linking.run(ctx)
    assert not ctx.patches_dir.exists() or not any(ctx.patches_dir.iterdir())


def test_fewer_dates_than_ministack_falls_back_to_full_stack(tmp_path, caplog):
    """6 dates, sequential_EMI with ministackSize 7 (reliability matrix T15): not refused; one
    mini-stack of all dates, i.e. the full-stack EMI, said in the log; same result as EMI."""
    ctx = build_case(tmp_path / "seq", inversion__phaseLinkingMethod="sequential_EMI",
                     inversion__ministackSize=7)
    with caplog.at_level(logging.INFO, logger="minopy"):
        seq = run_both(ctx)
    assert ("sequential_EMI with minopy.inversion.ministackSize = 7 on 6 dates (fewer than 2 x 7)"
            ": one mini-stack of all dates, i.e. the full-stack EMI estimator" in caplog.text)
    full = run_both(build_case(tmp_path / "emi", inversion__phaseLinkingMethod="EMI"))
    np.testing.assert_array_equal(seq["estimator"], full["estimator"])
    np.testing.assert_allclose(seq["phase"], full["phase"], atol=1e-5)


def test_too_few_dates_and_missing_stack(tmp_path):
    ctx = build_case(tmp_path / "wd", num_dates=2)
    with pytest.raises(InputDataError, match="2 dates; phase linking needs at least 3"):
        phase_linking.run(ctx)
    ctx.slc_stack_file.unlink()
    with pytest.raises(InputDataError, match="slcStack.h5 does not exist"):
        phase_linking.run(ctx)


def test_even_window_becomes_odd_and_is_logged(tmp_path, caplog):
    ctx = build_case(tmp_path / "wd", inversion__azimuthWindow=4)
    with caplog.at_level(logging.WARNING):
        options = phase_linking.phase_link_options(ctx.config.inversion, ctx.log)
    assert options.azimuth_window == 5 and options.range_window == 5
    assert "azimuthWindow = 4 is even; using 5" in caplog.text


# ------------------------------------------------------------------ no-data and masks


def _rewrite(ctx, slc: np.ndarray) -> None:
    write_slc_stack(ctx.slc_stack_file, slc)


def test_all_zero_date_is_an_error_naming_the_date(tmp_path):
    ctx = build_case(tmp_path / "wd")
    slc = synthetic_slc(6, 40, 36)
    slc[3] = 0
    _rewrite(ctx, slc)
    with pytest.raises(InputDataError, match="date\\(s\\) 20200206 have no valid pixel"):
        phase_linking.run(ctx)
    assert not (ctx.patches_dir / "DONE").exists()


def test_zero_and_nan_pixels_are_no_data_and_do_not_leak(tmp_path):
    slc = synthetic_slc(6, 40, 36)
    ctx_zero = build_case(tmp_path / "zero")
    zero = slc.copy()
    zero[:, 10:13, 20:22] = 0          # all-zero (no-data) pixels
    zero[:, 30, 5] = 0
    _rewrite(ctx_zero, zero)
    expect = run_both(ctx_zero)

    ctx_nan = build_case(tmp_path / "nan")
    nan = slc.copy()
    nan[:, 10:13, 20:22] = 0
    nan[2, 30, 5] = np.nan              # NaN on one date only: the pixel is no-data
    nan[4, 30, 5] = 0
    _rewrite(ctx_nan, nan)
    got = run_both(ctx_nan)

    assert_same(got, expect)            # NaN behaves exactly like an absent pixel
    nodata = np.zeros((40, 36), dtype=bool)
    nodata[10:13, 20:22] = True
    nodata[30, 5] = True
    assert (got["estimator"][nodata] == 0).all() and (got["shp"][nodata] == 0).all()
    for name in ("phase", "amplitude", "temporalCoherence"):
        assert np.isfinite(got[name][..., ~nodata]).all(), name
    assert (got["estimator"][~nodata] > 0).all()


def _write_mask(path: Path, mask: np.ndarray, name: str = "mask") -> Path:
    with h5py.File(path, "w") as f:
        f[name] = mask
    return path


def test_mask_file_skips_pixels(tmp_path):
    mask = np.ones((40, 36), dtype=np.int8)
    mask[:8, :] = 0
    mask_file = _write_mask(tmp_path / "m.h5", mask, name="anything2d")
    ctx = build_case(tmp_path / "wd", inversion__mask=mask_file)
    out = run_both(ctx)
    assert (out["estimator"][:8] == 0).all() and (out["shp"][:8] == 1).all()
    assert (out["estimator"][8:] > 0).all()
    assert phase_linking.inputs(ctx) == [ctx.slc_stack_file, mask_file]


def test_mask_file_of_wrong_shape_or_without_2d_dataset(tmp_path):
    bad = _write_mask(tmp_path / "bad.h5", np.ones((40, 35), dtype=bool))
    ctx = build_case(tmp_path / "wd", inversion__mask=bad)
    with pytest.raises(InputDataError, match=r"shape \(40, 35\); expected \(40, 36\)"):
        phase_linking.run(ctx)
    flat = _write_mask(tmp_path / "flat.h5", np.ones(10, dtype=bool), name="x")
    ctx = build_case(tmp_path / "wd", inversion__mask=flat)
    with pytest.raises(InputDataError, match="no dataset 'mask' and no 2-D dataset"):
        phase_linking.run(ctx)
    ctx = build_case(tmp_path / "wd", inversion__mask=tmp_path / "none.h5")
    with pytest.raises(InputDataError, match="none.h5 does not exist"):
        phase_linking.run(ctx)
