"""Network design and inversion: exact recovery of noise-free truths, masks, weights, L1."""

from __future__ import annotations

import numpy as np
import pytest

from minopy.network.design import (
    date_groups,
    phase_design_matrix,
    velocity_design_matrix,
    years_since_first,
)
from minopy.network.inversion import coherence_to_weight, invert_pixels

DATES = ["20200101", "20200113", "20200125", "20200206", "20200218", "20200301", "20200313"]


def sequential_pairs(dates: list[str], n: int) -> list[str]:
    return [f"{a}_{b}" for i, a in enumerate(dates) for b in dates[i + 1:i + 1 + n]]


def truth(num_pix: int = 50, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Phase time series (N, P): linear velocity plus a bperp-like random term per date."""
    rng = np.random.default_rng(seed)
    t = years_since_first(DATES)
    vel = rng.uniform(-20, 20, num_pix)
    dem = rng.uniform(-3, 3, num_pix)
    bperp = rng.uniform(-1, 1, len(DATES))
    bperp[0] = 0.0
    return t[:, None] * vel[None] + bperp[:, None] * dem[None], t[:, None] * vel[None]


def ifgrams(ts: np.ndarray, pairs: list[str]) -> np.ndarray:
    idx = {d: i for i, d in enumerate(DATES)}
    return np.stack([ts[idx[p[9:]]] - ts[idx[p[:8]]] for p in pairs])


def test_design_matrices_follow_mintpy_convention() -> None:
    pairs = ["20200101_20200125", "20200113_20200125"]
    dates = DATES[:3]
    a = phase_design_matrix(pairs, dates)
    # columns: dates 1 and 2 (date 0 is the reference); A[i, d1] = -1, A[i, d2] = +1
    np.testing.assert_array_equal(a, [[0, 1], [-1, 1]])
    b = velocity_design_matrix(pairs, dates)
    dt = np.diff(years_since_first(dates))
    np.testing.assert_allclose(b, [[dt[0], dt[1]], [0, dt[1]]])


def test_date_groups_finds_disconnected_parts() -> None:
    pairs = ["20200101_20200113", "20200125_20200206", "20200206_20200218"]
    groups = date_groups(pairs, DATES[:5])
    assert groups == [["20200125", "20200206", "20200218"], ["20200101", "20200113"]]


@pytest.mark.parametrize("func", ["var", "fim", "coh", "no"])
@pytest.mark.parametrize("min_norm_velocity", [True, False])
def test_l2_recovers_truth_for_each_weight(func: str, min_norm_velocity: bool) -> None:
    ts, _ = truth()
    pairs = sequential_pairs(DATES, 3)
    obs = ifgrams(ts, pairs)
    coh = np.random.default_rng(1).uniform(0.2, 0.99, obs.shape)
    res = invert_pixels(obs, pairs, DATES, weight=coherence_to_weight(coh, func, 4),
                        min_norm_velocity=min_norm_velocity)
    np.testing.assert_allclose(res.phase, ts, atol=1e-4)
    assert (res.num_inv == len(pairs)).all()


def test_weights_differ_and_are_positive() -> None:
    coh = np.array([np.nan, 0.0, 0.3, 0.9, 1.0])
    w = {f: coherence_to_weight(coh.copy(), f, 1) for f in ("var", "fim", "coh")}
    assert all(np.isfinite(v).all() and (v > 0).all() for v in w.values())
    assert w["fim"][-1] > w["var"][-1]  # var has a variance floor
    np.testing.assert_allclose(w["fim"][2], 2 * 0.09 / 0.91)
    assert coherence_to_weight(coh, "no") is None


def test_masked_observations_and_patterns() -> None:
    ts, _ = truth(200)
    pairs = sequential_pairs(DATES, 3)
    obs = ifgrams(ts, pairs)
    rng = np.random.default_rng(3)
    valid = rng.uniform(size=obs.shape) > 0.1
    obs_bad = np.where(valid, obs, 1e3)  # garbage where masked
    obs_bad[0, :5] = np.nan
    valid[:, -1] = False  # a pixel with nothing valid
    for mnv in (True, False):
        res = invert_pixels(obs_bad, pairs, DATES, valid=valid, min_norm_velocity=mnv)
        ok = res.inverted
        assert not ok[-1] and res.num_inv[-1] == 0 and (res.phase[:, -1] == 0).all()
        # pixels whose valid sub-network still connects all dates are exact
        connected = np.array([
            len(date_groups([p for p, v in zip(pairs, valid[:, i], strict=True) if v], DATES)) == 1
            and np.isfinite(obs_bad[:, i][valid[:, i]]).all()
            for i in range(obs.shape[1])
        ])
        np.testing.assert_allclose(res.phase[:, connected], ts[:, connected], atol=1e-4)
        assert (res.num_inv[:5] == valid[:, :5].sum(0) - valid[0, :5]).all()


def test_min_norm_velocity_differs_from_min_norm_phase_on_gap() -> None:
    # network with a gap between dates 2 and 3: velocity solution bridges it, phase one does not
    dates = DATES[:5]
    pairs = ["20200101_20200113", "20200113_20200125", "20200206_20200218"]
    t = years_since_first(dates)
    ts = (10 * t)[:, None]
    obs = ifgrams(np.vstack([ts, np.zeros((2, 1))])[:5], pairs)
    vel = invert_pixels(obs, pairs, dates, min_norm_velocity=True).phase[:, 0]
    pha = invert_pixels(obs, pairs, dates, min_norm_velocity=False).phase[:, 0]
    np.testing.assert_allclose(vel[:3], ts[:3, 0], atol=1e-6)
    assert not np.allclose(vel, pha)


@pytest.mark.parametrize("min_norm_velocity", [True, False])
def test_l1_exact_without_and_with_smoothing(min_norm_velocity: bool) -> None:
    ts, linear = truth(30)
    pairs = sequential_pairs(DATES, 3)
    res = invert_pixels(ifgrams(ts, pairs), pairs, DATES, norm="L1", smoothing=0.0,
                        min_norm_velocity=min_norm_velocity)
    np.testing.assert_allclose(res.phase, ts, atol=1e-3)
    res = invert_pixels(ifgrams(linear, pairs), pairs, DATES, norm="L1", smoothing=0.5,
                        min_norm_velocity=min_norm_velocity)
    np.testing.assert_allclose(res.phase, linear, atol=1e-3)


def test_l1_rejects_outlier_where_l2_does_not() -> None:
    _, linear = truth(20)
    pairs = sequential_pairs(DATES, 3)
    obs = ifgrams(linear, pairs)
    obs[4] += 2 * np.pi  # an unwrapping error in one pair
    l1 = invert_pixels(obs, pairs, DATES, norm="L1", smoothing=0.0).phase
    l2 = invert_pixels(obs, pairs, DATES).phase
    assert np.abs(l1 - linear).max() < 1e-3
    assert np.abs(l2 - linear).max() > 0.5


@pytest.mark.parametrize("network", ["sequential", "all"])
def test_weighted_phase_solve_equals_the_dense_velocity_solve(network) -> None:
    """The normal equations built pair by pair (banded Cholesky for a sequential network, dense
    for all pairs) give the phases of the dense weighted solve in velocity form."""
    rng = np.random.default_rng(3)
    dates = [str(np.datetime64("2020-01-01") + np.timedelta64(12 * i, "D")).replace("-", "")
             for i in range(40)]
    pairs = sequential_pairs(dates, 3 if network == "sequential" else 40)
    idx = {d: i for i, d in enumerate(dates)}
    ts = np.cumsum(rng.normal(0, 0.3, (40, 30)), axis=0)
    obs = np.stack([ts[idx[p[9:]]] - ts[idx[p[:8]]] for p in pairs])
    obs += rng.normal(0, 0.2, obs.shape)
    weight = coherence_to_weight(rng.uniform(0.3, 0.95, obs.shape), "var", 4)
    res = invert_pixels(obs, pairs, dates, weight=weight)
    mat = velocity_design_matrix(pairs, dates)
    c = np.tril(np.ones((39, 39))) * np.diff(years_since_first(dates))[None, :]
    for p in range(obs.shape[1]):
        sw = np.sqrt(weight[:, p])
        vel = np.linalg.lstsq(mat * sw[:, None], obs[:, p] * sw, rcond=None)[0]
        np.testing.assert_allclose(res.phase[1:, p], c @ vel, atol=2e-5)
