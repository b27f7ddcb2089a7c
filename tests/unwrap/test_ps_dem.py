"""DEM error of persistent scatterers from the wrapped phase series (minopy.unwrap.ps_dem)."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from minopy.unwrap.ps_dem import (
    PsDemModel,
    estimate_ps_dem_error,
    load_ps_dem_model,
    neighbourhood_phase,
    relative_phase,
    vertical_wavenumber,
)

WAVELENGTH = 0.05546576
RANGE = 850e3
INC = 35.0


def wrap(x: np.ndarray) -> np.ndarray:
    return np.angle(np.exp(1j * x))


def baselines(n: int, seed: int = 1) -> np.ndarray:
    b = np.random.default_rng(seed).uniform(-150, 150, n)
    return b - b[0]


def test_vertical_wavenumber() -> None:
    kz = vertical_wavenumber(WAVELENGTH, RANGE, INC)
    assert kz == pytest.approx(4 * np.pi / (WAVELENGTH * RANGE * np.sin(np.radians(INC))))


def test_recovers_dem_error_noise_free_and_noisy() -> None:
    n = 20
    b = baselines(n)
    kz = vertical_wavenumber(WAVELENGTH, RANGE, INC)
    dz = np.array([50.0, -37.5, 0.0, 120.0, -140.0])
    offset = np.array([0.0, 1.0, -2.0, 0.5, 3.0])  # constant phase offsets do not matter
    psi = wrap(kz * b[:, None] * dz[None, :] + offset[None, :])
    est = estimate_ps_dem_error(psi, b, kz)
    np.testing.assert_allclose(est.dz, dz, atol=0.05)
    np.testing.assert_allclose(est.coherence, 1.0, atol=1e-6)
    noisy = psi + np.random.default_rng(2).normal(0, 0.4, psi.shape)
    est = estimate_ps_dem_error(noisy, b + 1000.0, np.full(dz.size, kz))  # any baseline offset
    np.testing.assert_allclose(est.dz, dz, atol=5.0)
    assert np.all(est.coherence > 0.8)
    # one missing date is ignored
    noisy[3, 0] = np.nan
    assert estimate_ps_dem_error(noisy[:, 0], b, kz).dz[0] == pytest.approx(50.0, abs=5.0)


def test_rejects_incoherent_pixel_and_unobservable_cases() -> None:
    n = 30
    b = baselines(n)
    kz = vertical_wavenumber(WAVELENGTH, RANGE, INC)
    rng = np.random.default_rng(3)
    est = estimate_ps_dem_error(rng.uniform(-np.pi, np.pi, (n, 50)), b, kz)
    assert np.all(np.isnan(est.dz)) and np.all(est.coherence < 0.6)
    # no baseline spread, too few dates: no estimate
    assert np.isnan(estimate_ps_dem_error(np.zeros(n), np.zeros(n), kz).dz[0])
    assert np.isnan(estimate_ps_dem_error(np.zeros(3), b[:3], kz).dz[0])


def test_sign_matches_phase_series_convention() -> None:
    """p(t) = 4 pi / lambda * timeseries(t), timeseries = bperp dz / (R sin(inc)) (simulator)."""
    n, dz = 15, 42.0
    bperp = baselines(n, seed=4)
    ts = bperp * dz / (RANGE * np.sin(np.radians(INC)))
    p = wrap(4 * np.pi / WAVELENGTH * ts)
    est = estimate_ps_dem_error(p, bperp - bperp[0], vertical_wavenumber(WAVELENGTH, RANGE, INC))
    assert est.dz[0] == pytest.approx(dz, abs=0.05)
    model = PsDemModel(np.array([0]), np.array([0]),
                       vertical_wavenumber(WAVELENGTH, RANGE, INC) * est.dz,
                       tuple(str(i) for i in range(n)), tuple(bperp - bperp[0]))
    # pair d1_d2 has phase p[d1] - p[d2]
    np.testing.assert_allclose(wrap(model.pair_phase("2", "5") - (p[2] - p[5])), 0, atol=1e-3)


def test_neighbourhood_excludes_zero_weight_pixels() -> None:
    phase = np.zeros((2, 9, 9))
    phase[:, 4, 4] = 2.0  # the PS
    phase[1, 0, 0] = np.nan
    weight = np.ones((9, 9))
    weight[4, 4] = 0.0
    ref = neighbourhood_phase(phase, weight, np.array([4, 0]), np.array([4, 0]))
    np.testing.assert_allclose(np.angle(ref), 0, atol=1e-12)
    assert abs(ref[0, 0]) > 0 and abs(ref[1, 1]) < abs(ref[0, 1])
    psi = relative_phase(phase[:, [4], [4]], ref[:, :1])
    np.testing.assert_allclose(psi, 2.0)
    assert np.isnan(relative_phase(np.zeros((1, 1)), np.zeros((1, 1))))[0, 0]


def test_load_model_skips_without_mask(tmp_path) -> None:
    model, message = load_ps_dem_model(tmp_path / "ps.h5", tmp_path / "none.h5", tmp_path / "g.h5")
    assert model is None and "skipped" in message and "none.h5" in message


def test_load_model_from_files(tmp_path) -> None:
    n, length, width, dz = 16, 20, 24, 60.0
    rng = np.random.default_rng(5)
    bperp = rng.uniform(-120, 120, n).astype(np.float32)
    kz = vertical_wavenumber(WAVELENGTH, RANGE, INC)
    y, x = np.mgrid[:length, :width]
    ds = 0.02 * x[None] * np.arange(n)[:, None, None]  # smooth DS phase
    phase = ds.copy()
    ps = np.zeros((length, width), bool)
    ps[[5, 12, 0], [7, 18, 0]] = True  # one at the corner
    phase[:, ps] += (kz * (bperp - bperp[0]) * dz)[:, None]
    phase[:, 15, 3] += rng.uniform(-np.pi, np.pi, n)  # incoherent PS
    ps[15, 3] = True
    with h5py.File(tmp_path / "phase_series.h5", "w") as f:
        f["phase"] = wrap(phase).astype(np.float32)
        f["temporalCoherence"] = np.full((2, length, width), 0.9, np.float32)
        f["date"] = np.array([f"2020{m:02d}01" for m in range(1, n + 1)], dtype="S8")
        f["bperp"] = bperp
        f.attrs["WAVELENGTH"] = str(WAVELENGTH)
    with h5py.File(tmp_path / "maskPS.h5", "w") as f:
        f["mask"] = ps
    with h5py.File(tmp_path / "geometryRadar.h5", "w") as f:
        f["incidenceAngle"] = np.full((length, width), INC, np.float32)
        f["slantRangeDistance"] = np.full((length, width), RANGE, np.float32)
    model, message = load_ps_dem_model(tmp_path / "phase_series.h5", tmp_path / "maskPS.h5",
                                       tmp_path / "geometryRadar.h5")
    assert model is not None and "3 of 4 PS" in message
    assert sorted(zip(model.y.tolist(), model.x.tolist(), strict=True)) == [(0, 0), (5, 7),
                                                                          (12, 18)]
    # the corner PS's window is off-centre, so the DS phase gradient biases it slightly
    np.testing.assert_allclose(model.kz_dz / kz, dz, atol=1.5)
    assert model.fingerprint() == load_ps_dem_model(
        tmp_path / "phase_series.h5", tmp_path / "maskPS.h5",
        tmp_path / "geometryRadar.h5")[0].fingerprint()
