"""SHP selection calibrated for temporally correlated dates, large N and multilooked data.

A pixel's dates are correlated (intensities as |γ_ij|²), so tests calibrated for N independent
dates reject far too often where coherence is high; the tests use the dependence
``s = Σ|γ|²/N²`` of the centre's dates instead (``minopy.phaselink.shp_tests``).
"""

from __future__ import annotations

import numpy as np
import pytest

from minopy.phaselink import select_shp, similar_pairs
from minopy.phaselink.covariance import planar_pixel_major
from minopy.phaselink.dependence import window_dependence
from minopy.phaselink.shp import valid_pixels
from minopy.simulate.params import CoherenceClass
from minopy.simulate.phaselink_scenes import Region, make_scene

S1_LIKE = CoherenceClass("S1-like", 0.7, 0.2, 36.0, 1.0)
COHERENT = CoherenceClass("coherent", 0.85, 0.45, 60.0, 1.0)


def correlated_amplitudes(cls: CoherenceClass, num_dates: int, num: int, seed: int):
    """Amplitudes of ``num`` independent pixels of one population, and the true dependence."""
    rng = np.random.default_rng(seed)
    scene = make_scene(np.zeros((1, num), int), (Region("r", cls),), num_dates, rng)
    g = scene.gammas[0]
    return np.abs(scene.slc[:, 0, :]).T, float((g**2).sum() / num_dates**2)


@pytest.mark.parametrize("num_dates", [30, 60])
@pytest.mark.parametrize("test", ["ks", "ad", "ttest", "glrt"])
def test_false_alarm_rate_on_correlated_dates(test, num_dates):
    """Homogeneous pairs with S1-like correlation: rejections within ±30 % of alpha (they are
    10-20 times alpha when the tests assume independent dates)."""
    alpha = 0.01
    a, s = correlated_amplitudes(S1_LIKE, num_dates, 16000, seed=1)
    b, _ = correlated_amplitudes(S1_LIKE, num_dates, 16000, seed=2)
    assert 1.0 / s < num_dates / 3  # the dates really are correlated
    fa = 1.0 - similar_pairs(a, b, test, alpha, dependence=s).mean()
    assert 0.7 * alpha <= fa <= 1.3 * alpha, fa
    fa_iid = 1.0 - similar_pairs(a, b, test, alpha).mean()
    assert fa_iid > 5 * alpha


@pytest.mark.parametrize("cls", [S1_LIKE, COHERENT], ids=["S1-like", "coherent"])
def test_dependence_estimated_from_the_window(cls):
    """The window estimate of s is within 15 % of Σ|γ|²/N² of the simulated model."""
    rng = np.random.default_rng(4)
    scene = make_scene(np.zeros((45, 45), int), (Region("r", cls),), 40, rng)
    re, im = planar_pixel_major(scene.slc)
    valid = valid_pixels(np.abs(scene.slc))
    s_true = float((scene.gammas[0] ** 2).sum() / 40**2)
    est = window_dependence(re, im, valid, (7, 38, 7, 38), 7, 7)
    assert np.median(est) == pytest.approx(s_true, rel=0.15)


def test_coherent_region_keeps_its_samples():
    """In a coherent homogeneous region (the issue's case: γ 0.85 -> 0.45, 60 dates) almost the
    whole window is kept; assuming independent dates kept about half of it."""
    rng = np.random.default_rng(5)
    scene = make_scene(np.zeros((35, 35), int), (Region("r", COHERENT),), 60, rng)
    sel = select_shp(scene.slc, (10, 25, 10, 25), 15, 15, "ks", 0.01)
    kept = sel.counts / 225.0
    assert np.median(kept) >= 0.95
    assert np.percentile(kept, 5) >= 0.85


def test_margin_ignores_small_power_differences():
    """Multilooked amplitudes (20 looks) over 100 independent dates: a 10 % power difference is
    detected; the equivalence margin (20 %) accepts it, and still rejects a 2x difference."""
    rng = np.random.default_rng(6)
    n, num, looks = 100, 3000, 20

    def multilooked(power):
        return np.sqrt(power * rng.gamma(looks, 1.0 / looks, (num, n)))

    a, b, c = multilooked(1.0), multilooked(1.1), multilooked(2.0)
    for test in ("ks", "glrt", "ttest"):
        assert similar_pairs(a, b, test, 0.01).mean() < 0.5, test
        assert similar_pairs(a, b, test, 0.01, margin=0.2).mean() > 0.95, test
        assert similar_pairs(a, c, test, 0.01, margin=0.2).mean() < 0.01, test
