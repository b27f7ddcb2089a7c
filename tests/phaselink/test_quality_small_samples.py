"""Small samples: the minimum SHP count, and the temporal coherence debiased for the number of
samples so that it reads the same for every pixel."""

from __future__ import annotations

import numpy as np
import pytest

from minopy.phaselink import ESTIMATOR_CODES, process_patch
from minopy.phaselink.coherence_bias import debiased_coherence, simulate_noise_bias
from minopy.phaselink_options import default_phase_link_options

FEW = next(k for k, v in ESTIMATOR_CODES.items() if v.startswith("fewer SHPs"))


@pytest.mark.parametrize(("n", "looks", "family"), [(30, 5, "EMI"), (30, 60, "EMI"),
                                                    (60, 225, "EMI"), (20, 12, "EVD"),
                                                    (40, 100, "sequential")])
def test_bias_table_matches_fresh_monte_carlo(n, looks, family):
    rng = np.random.default_rng(99)
    raw = simulate_noise_bias(n, looks, family, 150, rng)
    assert raw > 0.08  # the raw coherence of pure noise is far from 0 ...
    # ... and the table removes it (to within the Monte Carlo error of both)
    assert abs(float(debiased_coherence(np.array(raw), n, np.array(looks), family))) < 0.03


def test_noise_patch_has_near_zero_coherence():
    """White noise: the raw coherence of EMI with 121 samples is about 0.2 (N=30); debiased it
    averages below 0.05."""
    rng = np.random.default_rng(1)
    z = (rng.standard_normal((30, 36, 36)) + 1j * rng.standard_normal((30, 36, 36)))
    res = process_patch(z.astype(np.complex64), (5, 31, 5, 31),
                        default_phase_link_options(method="EMI", azimuth_window=11,
                                                   range_window=11))
    assert abs(float(res.temporal_coherence[1].mean())) < 0.05


def test_isolated_pixel_is_flagged_not_trusted():
    """A pixel unlike all its neighbours (10x darker, not a PS) gets only itself as SHP: it is
    linked from that tiny sample, flagged, and its coherence is not inflated to 1."""
    rng = np.random.default_rng(2)
    n = 20
    z = rng.standard_normal((n, 21, 21)) + 1j * rng.standard_normal((n, 21, 21))
    z[:, 10, 10] *= 0.1
    res = process_patch(z.astype(np.complex64), (10, 11, 10, 11),
                        default_phase_link_options(method="EMI", azimuth_window=11,
                                                   range_window=11))
    assert res.shp_count[0, 0] < 10
    assert res.estimator[0, 0] == FEW
    assert not res.ps_mask[0, 0]
    assert res.temporal_coherence[1, 0, 0] < 0.3
