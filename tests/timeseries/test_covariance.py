"""Time-series decorrelation covariance (calcCov): propagation, Monte Carlo, MintPy's use."""

from __future__ import annotations

import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from minopy.network.covariance import decorrelation_variance, timeseries_covariance
from minopy.network.design import phase_design_matrix
from minopy.network.inversion import coherence_to_weight, invert_pixels

DATES = ["20200101", "20200113", "20200125", "20200206", "20200218", "20200301"]
PAIRS = [f"{a}_{b}" for i, a in enumerate(DATES) for b in DATES[i + 1:i + 3]]


def test_variance_is_the_cramer_rao_bound():
    assert decorrelation_variance(np.array([0.5]), 10)[0] == pytest.approx(0.75 / (20 * 0.25))
    assert np.isfinite(decorrelation_variance(np.array([np.nan, 0.0, 1.0]), 1)).all()


def test_propagation_matches_the_closed_forms():
    rng = np.random.default_rng(0)
    m, p = len(PAIRS), 5
    var = rng.uniform(0.05, 0.5, (m, p))
    a = phase_design_matrix(PAIRS, DATES)
    valid = np.ones((m, p), bool)
    valid[3, 4] = False  # another pattern of observations
    # unweighted: A+ S A+^T; weighted with W = S^-1: (A^T S^-1 A)^-1
    plain = timeseries_covariance(PAIRS, DATES, valid, var)
    weighted = timeseries_covariance(PAIRS, DATES, valid, var, weight=1.0 / var)
    for k in range(p):
        rows = valid[:, k]
        pinv = np.linalg.pinv(a[rows])
        np.testing.assert_allclose(plain[1:, 1:, k], pinv @ np.diag(var[rows, k]) @ pinv.T,
                                   rtol=1e-10)
        np.testing.assert_allclose(weighted[1:, 1:, k],
                                   np.linalg.inv(a[rows].T @ np.diag(1 / var[rows, k]) @ a[rows]),
                                   rtol=1e-10)
        assert (plain[0, :, k] == 0).all() and (plain[:, 0, k] == 0).all()


def test_monte_carlo_covariance_of_the_inversion():
    """Noise of the predicted variance through invert_pixels (var weights) has the predicted
    time-series covariance."""
    rng = np.random.default_rng(1)
    m, trials = len(PAIRS), 20000
    coh = rng.uniform(0.3, 0.9, m)
    var = decorrelation_variance(coh, 20.0)
    noise = rng.standard_normal((m, trials)) * np.sqrt(var)[:, None]
    weight = np.repeat(coherence_to_weight(coh, "var", 20.0)[:, None], trials, axis=1)
    res = invert_pixels(noise, PAIRS, DATES, weight=weight)
    empirical = np.cov(res.phase[1:].astype(np.float64))
    predicted = timeseries_covariance(PAIRS, DATES, np.ones((m, 1), bool), var[:, None],
                                      weight=weight[:, :1])[1:, 1:, 0]
    np.testing.assert_allclose(empirical, predicted, rtol=0.06, atol=0.02 * predicted.max())


def test_invert_network_writes_the_covariance_mintpy_uses(tmp_path: Path) -> None:
    from mintpy.cli import timeseries2velocity

    sys.path.insert(0, str(Path(__file__).parents[1] / "steps"))
    import _timeseries_synth as synth

    from minopy.steps import ifgram_correction, invert_network, load_ifgram

    s = synth.build(tmp_path, {"minopy.timeseries.calcCov": "yes"}, coherence=0.6)
    for step in (load_ifgram, ifgram_correction, invert_network):
        step.run(s.ctx)
    net = s.ctx.network_dir
    assert any(str(o).endswith("timeseriesDecorCov.h5") for o in invert_network.outputs(s.ctx))
    with h5py.File(net / "timeseriesDecorCov.h5", "r") as f:
        cov = f["timeseries"][()]
        assert [d.decode() for d in f["date"][()]] == s.dates
        assert f.attrs["FILE_TYPE"] == "timeseries" and f.attrs["REF_DATE"] == s.dates[0]
    with h5py.File(net / "timeseries.h5", "r") as f:
        num, length, width = f["timeseries"].shape
    with h5py.File(s.ctx.ifgram_stack_file, "r") as f:
        coh = f["coherence"][:, 5, 5].astype(np.float64)
        looks = max(float(np.rint(float(f.attrs.get("ALOOKS", 1)) * float(
            f.attrs.get("RLOOKS", 1)) / 1.94)), 1.0)
    assert cov.shape == (num, num, length, width)
    var = decorrelation_variance(coh, looks)
    expected = timeseries_covariance(
        s.pairs, s.dates, np.ones((len(s.pairs), 1), bool), var[:, None],
        weight=coherence_to_weight(coh, "var", looks)[:, None])[:, :, 0]
    np.testing.assert_allclose(cov[:, :, 5, 5], expected * (synth.WAVELENGTH / 4 / np.pi) ** 2,
                               rtol=1e-5)
    assert (cov[:, :, -1, -1] == 0).all()  # not inverted (low coherence)
    # MintPy's velocity step reads it for the velocity uncertainty
    out = tmp_path / "velocity_cov.h5"
    timeseries2velocity.main([str(net / "timeseries.h5"), "--uq", "covariance", "--ts-cov",
                              str(net / "timeseriesDecorCov.h5"), "-o", str(out)])
    with h5py.File(out, "r") as f:
        std = f["velocityStd"][()]
    t = synth.years(s.dates)
    gplus = np.linalg.pinv(np.stack([np.ones_like(t), t], axis=1))
    assert std[5, 5] == pytest.approx(np.sqrt((gplus @ cov[:, :, 5, 5] @ gplus.T)[1, 1]),
                                      rel=1e-3)
    # the options handed to MintPy's velocity step
    from minopy import mintpy_bridge

    opts = mintpy_bridge.mintpy_options(s.ctx)
    assert opts["mintpy.timeFunc.uncertaintyQuantification"] == "covariance"
    assert opts["mintpy.timeFunc.timeSeriesCovFile"].endswith("timeseriesDecorCov.h5")
