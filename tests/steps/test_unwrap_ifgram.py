"""Step unwrap_ifgram on a tiny synthetic phase_series.h5."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from interferogram._synthetic import make_phase_series

from minopy.config import load_config
from minopy.errors import InputDataError
from minopy.io.isce import read_info, read_raster
from minopy.step_context import StepContext
from minopy.steps import generate_ifgram, unwrap_ifgram
from minopy.steps.outputs import first_problem

TWO_PI = 2 * np.pi


def make_ctx(tmp_path, **options):
    overrides = {"minopy.multiprocessing.numProcessor": "1", **options}
    return StepContext(tmp_path / "wd", load_config(overrides=overrides))


@pytest.fixture
def stack(tmp_path):
    return make_phase_series(tmp_path / "wd", num_dates=4, length=64, width=64, rate=0.08,
                             noise=0.2)


def pair_dirs(ctx):
    return sorted(p for p in ctx.ifgram_dir.iterdir() if p.is_dir())


def check_against_truth(ctx, stack, min_fraction=0.99):
    for pair in pair_dirs(ctx):
        d1, d2 = pair.name.split("_")
        unw = read_raster(pair / "filt_fine.unw", band=2)
        cc = read_raster(pair / "filt_fine.unw.conncomp")
        assert cc.dtype == np.uint8 and (cc > 0).mean() > 0.95
        k = np.rint((unw - stack.truth(d1, d2))[cc > 0] / TWO_PI).astype(int)
        assert np.bincount(k - k.min()).max() / k.size >= min_fraction, pair.name


def test_snaphu_default_matches_truth_and_mintpy_reads(tmp_path, stack) -> None:
    ctx = make_ctx(tmp_path)
    assert unwrap_ifgram.READS == ("interferograms", "unwrap", "inversion.strides",
                                   "inversion.phase_linking_method", "inversion.sequential_mode")
    generate_ifgram.run(ctx)
    unwrap_ifgram.run(ctx)
    assert first_problem(unwrap_ifgram.outputs(ctx)) is None
    check_against_truth(ctx, stack)
    pair = pair_dirs(ctx)[0]
    info = read_info(pair / "filt_fine.unw")
    assert (info.bands, info.scheme, info.data_type) == (2, "BIL", "FLOAT")
    amp = read_raster(pair / "filt_fine.unw", band=1)
    np.testing.assert_allclose(amp, np.abs(read_raster(pair / "fine.int")), rtol=1e-6)
    from mintpy.utils import readfile

    phase, atr = readfile.read(str(pair / "filt_fine.unw"), datasetName="phase")
    np.testing.assert_array_equal(phase, read_raster(pair / "filt_fine.unw", band=2))
    comp, _ = readfile.read(str(pair / "filt_fine.unw.conncomp"))
    np.testing.assert_array_equal(comp, read_raster(pair / "filt_fine.unw.conncomp"))


def test_filter_removal_applied_once(tmp_path, stack) -> None:
    opts = {"minopy.interferograms.filterStrength": "0.6"}
    ctx = make_ctx(tmp_path, **opts)
    generate_ifgram.run(ctx)
    unwrap_ifgram.run(ctx)
    check_against_truth(ctx, stack)
    pair = pair_dirs(ctx)[0]
    unw_file = pair / "filt_fine.unw"
    unw = read_raster(unw_file, band=2)
    wrapped = np.angle(read_raster(pair / "fine.int"))
    np.testing.assert_allclose(np.angle(np.exp(1j * (unw - wrapped))), 0, atol=1e-4)
    first = unw_file.read_bytes()
    mtime = unw_file.stat().st_mtime_ns
    unwrap_ifgram.run(ctx)  # unchanged: skipped
    assert unw_file.stat().st_mtime_ns == mtime
    for stamp in ctx.ifgram_dir.glob("*/.unwrap_ifgram.json"):
        stamp.unlink()  # force a full re-run: the correction must not be applied twice
    unwrap_ifgram.run(ctx)
    assert unw_file.stat().st_mtime_ns != mtime
    assert unw_file.read_bytes() == first
    # without removeFilter the filtered phase is kept (differs from the unfiltered one)
    ctx2 = make_ctx(tmp_path, **opts, **{"minopy.unwrap.removeFilter": "no"})
    unwrap_ifgram.run(ctx2)
    kept = read_raster(unw_file, band=2)
    filt = np.angle(read_raster(pair / "filt_fine.int"))
    np.testing.assert_allclose(np.angle(np.exp(1j * (kept - filt))), 0, atol=1e-4)


def test_whirlwind_pair_coherence_and_water_mask(tmp_path, stack) -> None:
    with h5py.File(tmp_path / "wd" / "inputs" / "geometryRadar.h5", "a") as f:
        water = f["waterMask"][()]
        water[:, :8] = False  # water on the left
        f["waterMask"][...] = water
    ctx = make_ctx(tmp_path, **{"minopy.unwrap.method": "whirlwind",
                                "minopy.unwrap.coherence": "pair"})
    generate_ifgram.run(ctx)
    unwrap_ifgram.run(ctx)
    mask = read_raster(ctx.unwrap_mask_file)
    assert not mask[:, :8].any() and mask[:, 8:].all()
    for pair in pair_dirs(ctx):
        cc = read_raster(pair / "filt_fine.unw.conncomp")
        unw = read_raster(pair / "filt_fine.unw", band=2)
        assert not cc[:, :8].any() and np.all(unw[:, :8] == 0)
        d1, d2 = pair.name.split("_")
        k = np.rint((unw - stack.truth(d1, d2))[cc > 0] / TWO_PI)
        assert np.unique(k).size == 1


def test_nan_coherence_is_masked(tmp_path, stack) -> None:
    from minopy.io.isce import write_raster

    tcoh = read_raster(tmp_path / "wd" / "inverted" / "tempCoh_average")
    tcoh[:10] = np.nan
    tcoh[20:24] = 0
    write_raster(tmp_path / "wd" / "inverted" / "tempCoh_average", tcoh)
    ctx = make_ctx(tmp_path)
    generate_ifgram.run(ctx)
    unwrap_ifgram.run(ctx)
    for pair in pair_dirs(ctx):
        cc = read_raster(pair / "filt_fine.unw.conncomp")
        assert not cc[:10].any() and not cc[20:24].any() and (cc[30:] > 0).mean() > 0.95


def test_missing_inputs(tmp_path, stack) -> None:
    ctx = make_ctx(tmp_path)
    with pytest.raises(InputDataError, match="run the generate_ifgram step"):
        unwrap_ifgram.run(ctx)
    generate_ifgram.run(ctx)
    for name in ("tempCoh_average", "tempCoh_average.xml", "tempCoh_average.vrt"):
        (ctx.inverted_dir / name).unlink()
    with pytest.raises(InputDataError, match="tempCoh_average.*minopy.unwrap.coherence = pair"):
        unwrap_ifgram.run(ctx)


PS_DZ = 50.0
PS_PIXELS = ([10, 20, 30, 40, 25], [12, 40, 22, 33, 8])


@pytest.fixture
def ps_stack(tmp_path):
    """8 dates with pair baselines of 100-150 m and 5 PS with a 50 m DEM error."""
    from minopy.unwrap.ps_dem import vertical_wavenumber

    wd = tmp_path / "wd"
    stack = make_phase_series(wd, num_dates=8, length=48, width=48, rate=0.05, noise=0.1)
    bperp = np.array([0, 120, -140, 105, -110, 150, -125, 135], dtype=np.float32)
    wavelength, rng_m, inc = 0.05546576, 700e3, 30.0
    kz = float(vertical_wavenumber(wavelength, rng_m, inc))
    ps = np.zeros((48, 48), bool)
    ps[PS_PIXELS] = True
    with h5py.File(wd / "inverted" / "phase_series.h5", "a") as f:
        f["bperp"][...] = bperp
        phase = f["phase"][()]
        phase[:, ps] = np.angle(np.exp(1j * (phase[:, ps] + (kz * bperp * PS_DZ)[:, None])))
        f["phase"][...] = phase
    with h5py.File(wd / "inputs" / "geometryRadar.h5", "a") as f:
        f["incidenceAngle"] = np.full((48, 48), inc, np.float32)
        f["slantRangeDistance"] = np.full((48, 48), rng_m, np.float32)
    with h5py.File(wd / "maskPS.h5", "w") as f:
        f["mask"] = ps
    phi = {d: kz * PS_DZ * float(b) for d, b in zip(stack.dates, bperp, strict=True)}
    return stack, ps, phi


def ps_cycle_errors(ctx, stack, ps, phi, corrected: bool = True) -> int:
    """PS pixels (over all pairs) whose cycle differs from the image's common cycle."""
    errors = 0
    for pair in pair_dirs(ctx):
        d1, d2 = pair.name.split("_")
        truth = stack.truth(d1, d2) + np.where(ps, phi[d1] - phi[d2], 0).astype(np.float32)
        unw = read_raster(pair / "filt_fine.unw", band=2)
        cc = read_raster(pair / "filt_fine.unw.conncomp")
        assert cc[ps].all() or not corrected  # SNAPHU may leave an off-cycle PS unlabelled
        k = np.rint((unw - truth) / TWO_PI).astype(int)
        common = np.bincount((k - k.min())[cc > 0]).argmax() + k.min()
        assert (k[(cc > 0) & ~ps] == common).mean() > 0.99
        errors += int((k[ps] != common).sum())
        wrapped = np.angle(read_raster(pair / "fine.int"))
        np.testing.assert_allclose(np.angle(np.exp(1j * (unw - wrapped)))[ps], 0, atol=1e-4)
    return errors


def test_ps_dem_correction(tmp_path, ps_stack) -> None:
    stack, ps, phi = ps_stack
    off = make_ctx(tmp_path, **{"minopy.unwrap.psDemCorrection": "no"})
    assert off.ps_mask_file not in unwrap_ifgram.inputs(off)
    generate_ifgram.run(off)
    unwrap_ifgram.run(off)
    errors = ps_cycle_errors(off, stack, ps, phi, corrected=False)
    assert errors >= len(pair_dirs(off)) * ps.sum() // 2  # most PS-pairs are a cycle off
    ctx = make_ctx(tmp_path)
    assert {ctx.ps_mask_file, ctx.phase_series_file} <= set(unwrap_ifgram.inputs(ctx))
    unwrap_ifgram.run(ctx)  # the stamp records the PS model: every pair is redone
    assert ps_cycle_errors(ctx, stack, ps, phi) == 0
    unw_file = pair_dirs(ctx)[0] / "filt_fine.unw"
    first, mtime = unw_file.read_bytes(), unw_file.stat().st_mtime_ns
    unwrap_ifgram.run(ctx)  # unchanged: skipped
    assert unw_file.stat().st_mtime_ns == mtime
    for stamp in ctx.ifgram_dir.glob("*/.unwrap_ifgram.json"):
        stamp.unlink()  # a full re-run applies the correction once, from the inputs
    unwrap_ifgram.run(ctx)
    assert unw_file.stat().st_mtime_ns != mtime and unw_file.read_bytes() == first
    with h5py.File(ctx.ps_mask_file, "a") as f:  # a changed PS mask redoes the pairs
        f["mask"][10, 12] = False
    unwrap_ifgram.run(ctx)
    assert unw_file.read_bytes() != first


def test_ps_dem_correction_with_filter_removal(tmp_path, ps_stack) -> None:
    stack, ps, phi = ps_stack
    ctx = make_ctx(tmp_path, **{"minopy.interferograms.filterStrength": "0.6"})
    generate_ifgram.run(ctx)
    unwrap_ifgram.run(ctx)
    assert ps_cycle_errors(ctx, stack, ps, phi) == 0


def test_ps_dem_correction_skipped_without_ps_mask(tmp_path, stack, caplog) -> None:
    ctx = make_ctx(tmp_path)
    generate_ifgram.run(ctx)
    with caplog.at_level("INFO", logger="minopy"):
        unwrap_ifgram.run(ctx)
    assert "PS DEM correction skipped: no PS mask" in caplog.text
    check_against_truth(ctx, stack)
