"""SHP tests: decisions against scipy for independent dates, GLRT calibration and power,
connectivity. The calibration for correlated dates is in ``test_shp_calibration.py``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from minopy.phaselink import ks_critical_distance, select_shp, similar_pairs


def _pairs(rng, num, n):
    a = rng.rayleigh(1.0, (num, n))
    scale = rng.choice([1.0, 1.3, 1.7], num)
    b = rng.rayleigh(1.0, (num, n)) * scale[:, None]
    return a, b


def test_ks_critical_distance_table():
    # MiNoPy's 0.001-step search gives 0.677, 0.491, 0.405, 0.33, 0.226 (rounded up)
    expected = {10: 0.6767, 20: 0.4907, 30: 0.4047, 46: 0.3296, 100: 0.2259}
    for n, d in expected.items():
        assert ks_critical_distance(n, 0.01) == pytest.approx(d, abs=1e-4)


@pytest.mark.parametrize("test", ["ks", "ad", "ttest"])
def test_decisions_match_scipy(test, rng):
    n, num = 30, 1500
    a, b = _pairs(rng, num, n)
    ours = similar_pairs(a, b, test, 0.01, guard=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if test == "ks":
            p = np.array([stats.ks_2samp(x, y).pvalue for x, y in zip(a, b, strict=True)])
        elif test == "ad":
            p = np.array(
                [
                    stats.anderson_ksamp([x, y], variant="midrank").pvalue
                    for x, y in zip(a, b, strict=True)
                ]
            )
        else:
            p = np.array(
                [stats.ttest_ind(x, y, equal_var=False).pvalue for x, y in zip(a, b, strict=True)]
            )
    # KS: scipy uses the exact distribution, we the asymptotic series; t-test: we take N - 1
    # degrees of freedom (the variances come from N dates), scipy Welch's: compare away from alpha
    far = (p < 0.005) | (p > 0.02) if test in ("ks", "ttest") else np.ones(num, bool)
    assert far.sum() > 0.8 * num
    np.testing.assert_array_equal(ours[far], p[far] >= 0.01)


def test_ks_statistic_exact(rng):
    n = 30
    a, b = _pairs(rng, 300, n)
    kcrit = np.floor(ks_critical_distance(n, 0.01) * n + 1e-9)
    d = np.array([stats.ks_2samp(x, y).statistic for x, y in zip(a, b, strict=True)])
    np.testing.assert_array_equal(similar_pairs(a, b, "ks", 0.01, guard=False),
                                  np.round(d * n) <= kcrit)


def test_glrt_false_alarm_and_power():
    rng = np.random.default_rng(7)
    n, num, alpha = 30, 20000, 0.01

    def rayleigh_pairs(ratio):
        z1 = rng.standard_normal((num, n, 2))
        z2 = rng.standard_normal((num, n, 2)) * ratio
        return np.hypot(z1[..., 0], z1[..., 1]), np.hypot(z2[..., 0], z2[..., 1])

    fa = 1.0 - similar_pairs(*rayleigh_pairs(1.0), "glrt", alpha).mean()
    assert 0.7 * alpha <= fa <= 1.35 * alpha  # seen 1.3 alpha: the delta method of ln P
    power = 1.0 - similar_pairs(*rayleigh_pairs(1.5), "glrt", alpha).mean()
    assert power >= 0.65


def test_connectivity_hand_made_map():
    rng = np.random.default_rng(3)
    n, size = 20, 7
    similar = np.array(
        [
            [0, 0, 0, 0, 0, 0, 1],
            [0, 1, 0, 0, 0, 0, 1],
            [0, 0, 1, 0, 0, 0, 0],
            [0, 0, 0, 1, 1, 0, 0],
            [0, 0, 0, 0, 0, 1, 0],
            [1, 1, 0, 0, 0, 0, 0],
            [1, 0, 0, 0, 0, 0, 1],
        ],
        dtype=bool,
    )
    expected = np.zeros_like(similar)
    expected[1, 1] = expected[2, 2] = expected[3, 3] = expected[3, 4] = expected[4, 5] = True
    base = rng.rayleigh(1.0, (n,))
    amp = np.empty((n, size, size))
    for i in range(size):
        for j in range(size):
            amp[:, i, j] = rng.permutation(base) if similar[i, j] else 50.0 + rng.random(n)
    slc = amp * np.exp(2j * np.pi * rng.random(amp.shape))  # independent dates
    for test in ("ks", "ad", "ttest", "glrt"):
        sel = select_shp(slc, (3, 4, 3, 4), size, size, test, 0.01)
        np.testing.assert_array_equal(sel.masks[0, 0], expected, err_msg=test)
        assert sel.counts[0, 0] == expected.sum()


def test_invalid_pixels_never_shp(rng):
    n = 15
    amp = rng.rayleigh(1.0, (n, 9, 9)) * np.exp(2j * np.pi * rng.random((n, 9, 9)))
    amp[:, 4, 5] = np.nan
    amp[:, 3, 3] = 0.0
    sel = select_shp(amp, (0, 9, 0, 9), 5, 5, "ks", 0.01)
    assert sel.counts[4, 5] == 0 and sel.counts[3, 3] == 0
    assert not sel.masks[4, 5].any()
    # (4, 4) sees (4, 5) at window offset (0, +1) and (3, 3) at (-1, -1)
    assert not sel.masks[4, 4, 2, 3] and not sel.masks[4, 4, 1, 1]


def test_even_window_becomes_odd(rng):
    amp = rng.rayleigh(1.0, (10, 20, 20)) + 0j
    sel = select_shp(amp, (8, 10, 8, 10), 14, 6, "glrt", 0.01)
    assert sel.masks.shape == (2, 2, 15, 7)
