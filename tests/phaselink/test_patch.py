"""process_patch: PS detection, masks, no-data handling, seamless tiling, validation."""

from __future__ import annotations

import numpy as np
import pytest
from phaselink._coherence_models import exp_coherence

from minopy.phaselink import (
    ESTIMATOR_CODES,
    PatchResult,
    PhaseLinkOptionError,
    amplitude_dispersion,
    process_patch,
)
from minopy.phaselink_options import default_phase_link_options


def _coherent_stack(n, h, w, seed=0):
    rng = np.random.default_rng(seed)
    s = np.linalg.cholesky(exp_coherence(n, 12.0, 0.8, 0.3, 48.0))
    theta = np.cumsum(rng.normal(0, 0.5, n))
    theta -= theta[0]
    noise = (rng.standard_normal((n, h * w)) + 1j * rng.standard_normal((n, h * w))) / np.sqrt(2)
    slc = (np.exp(1j * theta)[:, None] * (s @ noise)).reshape(n, h, w)
    return slc.astype(np.complex64), theta


OPTS = default_phase_link_options(method="sequential_EMI", azimuth_window=7, range_window=9,
                                  ministack_size=4)


def test_output_shapes_and_dtypes():
    slc, theta = _coherent_stack(10, 20, 24)
    res = process_patch(slc, (3, 17, 4, 20), OPTS)
    assert isinstance(res, PatchResult)
    h, w = 14, 16
    assert res.phase.shape == (10, h, w) and res.phase.dtype == np.float32
    assert res.amplitude.shape == (10, h, w) and res.amplitude.dtype == np.float32
    assert res.shp_count.shape == (h, w) and res.shp_count.dtype == np.int32
    assert res.temporal_coherence.shape == (2, h, w)
    assert res.temporal_coherence.dtype == np.float32
    assert res.ps_mask.dtype == bool and res.estimator.dtype == np.uint8
    assert res.top_eigenvalues.shape == (3, h, w) and res.crlb_std.shape == (10, h, w)
    assert np.all(res.phase[0] == 0) and np.all(res.crlb_std[0] == 0)
    assert set(np.unique(res.estimator)) <= set(ESTIMATOR_CODES)
    # coherent homogeneous area: phases close to the truth, all pixels DS with EMI
    err = np.angle(np.exp(1j * (res.phase - theta[:, None, None].astype(np.float32))))
    assert np.sqrt(np.mean(err**2)) < 0.25
    assert np.mean(res.estimator == 2) > 0.95  # a few low-SHP pixels may pass the PS test
    assert np.all(res.temporal_coherence > 0.5)


@pytest.mark.parametrize(
    "method", ["EVD", "EMI", "PTA", "StBAS", "sequential_EVD", "sequential_PTA"]
)
def test_all_methods_run(method):
    slc, theta = _coherent_stack(9, 12, 12, seed=2)
    opts = default_phase_link_options(
        method=method,
        azimuth_window=5,
        range_window=5,
        ministack_size=3,
        stbas_num_con=3,
        shp_test="glrt",
    )
    res = process_patch(slc, (2, 10, 2, 10), opts)
    err = np.angle(np.exp(1j * (res.phase - theta[:, None, None])))
    assert np.sqrt(np.mean(err**2)) < 0.35
    assert np.all(np.isfinite(res.crlb_std))


@pytest.mark.parametrize("rule", ["scr", "minopy"])
def test_ps_detection(rule):
    n = 15
    slc, _ = _coherent_stack(n, 15, 15, seed=3)
    rng = np.random.default_rng(5)
    own = rng.uniform(-np.pi, np.pi, n)
    slc[:, 7, 7] = (30.0 * (1 + 0.02 * rng.standard_normal(n)) * np.exp(1j * own)).astype(
        np.complex64
    )
    res = process_patch(slc, (7, 8, 7, 8), default_phase_link_options(method="EMI", ps_rule=rule))
    assert res.shp_count[0, 0] == 1
    assert res.ps_mask[0, 0] and res.estimator[0, 0] == 5
    np.testing.assert_allclose(res.temporal_coherence[:, 0, 0], 1.0)
    expected = np.angle(np.exp(1j * (own - own[0])))
    np.testing.assert_allclose(np.angle(np.exp(1j * (res.phase[:, 0, 0] - expected))), 0, atol=1e-5)
    np.testing.assert_allclose(res.amplitude[:, 0, 0], np.abs(slc[:, 7, 7]), rtol=1e-6)
    if rule == "minopy":  # the top eigenvalue share is MiNoPy's candidate test
        assert res.top_eigenvalues[2, 0, 0] == pytest.approx(100.0, abs=1e-3)
    else:
        assert np.isnan(res.top_eigenvalues[2, 0, 0])
    assert res.amp_dispersion[0, 0] == pytest.approx(
        amplitude_dispersion(np.abs(slc[:, 7, 7]))[()], rel=1e-5
    )


@pytest.mark.parametrize(("rule", "code"), [("scr", 7), ("minopy", 7)])
def test_bright_unstable_pixel_is_not_ps(rule, code):
    """Bright but strongly fluctuating (a bright distributed target, not a point): not PS under
    either rule; linked from its one-pixel sample, flagged, with an honest (low) coherence."""
    n = 15
    slc, _ = _coherent_stack(n, 15, 15, seed=4)
    rng = np.random.default_rng(6)
    slc[:, 7, 7] = (30.0 * rng.rayleigh(1.0, n) * np.exp(1j * rng.uniform(-3, 3, n))).astype(
        np.complex64
    )
    res = process_patch(slc, (7, 8, 7, 8), default_phase_link_options(method="EMI", ps_rule=rule))
    assert res.shp_count[0, 0] == 1 and not res.ps_mask[0, 0]
    assert res.estimator[0, 0] == code
    assert np.all(res.temporal_coherence[:, 0, 0] < 0.3)


def test_masked_pixels():
    slc, _ = _coherent_stack(10, 20, 20, seed=7)
    mask = np.ones((20, 20), bool)
    mask[10, 10] = False
    res = process_patch(slc, (5, 15, 5, 15), OPTS, mask=mask)
    own = np.angle(slc[:, 10, 10] * np.conj(slc[0, 10, 10]))
    np.testing.assert_allclose(res.phase[:, 5, 5], own, atol=1e-5)
    assert res.temporal_coherence[0, 5, 5] == 0 and res.temporal_coherence[1, 5, 5] == 0
    assert res.shp_count[5, 5] == 1 and res.estimator[5, 5] == 0
    # neighbours still use the masked pixel as a sample: identical to the unmasked run
    ref = process_patch(slc, (5, 15, 5, 15), OPTS)
    keep = np.ones((10, 10), bool)
    keep[5, 5] = False
    np.testing.assert_array_equal(res.phase[:, keep], ref.phase[:, keep])


def test_nan_pixels_do_not_leak():
    slc, _ = _coherent_stack(10, 20, 20, seed=8)
    a = slc.copy()
    a[3, 9, 11] = np.nan + 1j * np.nan
    b = slc.copy()
    b[:, 9, 11] = 0  # all-zero: also no-data
    ra = process_patch(a, (4, 16, 4, 16), OPTS)
    rb = process_patch(b, (4, 16, 4, 16), OPTS)
    i, j = 9 - 4, 11 - 4
    assert np.isnan(ra.phase[:, i, j]).all() and ra.shp_count[i, j] == 0
    assert ra.estimator[i, j] == 0 and ra.temporal_coherence[0, i, j] == 0
    others = np.ones((12, 12), bool)
    others[i, j] = False
    for name in ("phase", "amplitude", "temporal_coherence", "crlb_std"):
        va, vb = getattr(ra, name), getattr(rb, name)
        if name != "crlb_std":  # CRLB is NaN where the sample |Γ| is not positive definite
            assert np.isfinite(va[:, others]).all(), name
        np.testing.assert_array_equal(va, vb, err_msg=name)
    np.testing.assert_array_equal(ra.shp_count, rb.shp_count)


@pytest.mark.parametrize("shp_test", ["ks", "glrt"])
def test_patch_boundary_invariance(shp_test):
    n, size = 12, 48
    slc, _ = _coherent_stack(n, size, size, seed=9)
    rng = np.random.default_rng(1)
    slc[:, 20:30, 10:40] *= 3.0  # heterogeneous region
    slc[:, 5, 5] *= 40.0  # bright pixel
    opts = default_phase_link_options(
        method="sequential_EMI",
        shp_test=shp_test,
        azimuth_window=7,
        range_window=9,
        ministack_size=4,
    )
    slc[:, rng.integers(0, size, 30), rng.integers(0, size, 30)] *= 5.0
    ha, hr = 3, 4
    # block A: rows 0..30, block B: rows 14..48; compare rows 17..27 (full window in both)
    ra = process_patch(slc[:, 0:30], (0, 30 - ha, hr, size - hr), opts)
    rb = process_patch(slc[:, 14:48], (ha, 34, hr, size - hr), opts)
    rows_a = slice(17, 27)
    rows_b = slice(17 - 14 - ha, 27 - 14 - ha)
    for name in ("phase", "amplitude", "temporal_coherence", "crlb_std", "top_eigenvalues"):
        np.testing.assert_array_equal(
            getattr(ra, name)[:, rows_a], getattr(rb, name)[:, rows_b], err_msg=name
        )
    for name in ("shp_count", "ps_mask", "estimator", "amp_dispersion"):
        np.testing.assert_array_equal(
            getattr(ra, name)[rows_a], getattr(rb, name)[rows_b], err_msg=name
        )


@pytest.mark.parametrize(
    ("kwargs", "dims", "key"),
    [
        ({"method": "foo"}, (10, 50, 50), "phaseLinkingMethod"),
        ({"shp_test": "kl"}, (10, 50, 50), "shpTest"),
        ({"shp_alpha": 1.0}, (10, 50, 50), "shpSignificance"),
        ({"azimuth_window": 60}, (10, 50, 80), "azimuthWindow"),
        ({"range_window": 81}, (10, 50, 80), "rangeWindow"),
        ({"ministack_size": 1}, (10, 50, 50), "ministackSize"),
        ({"method": "EMI"}, (2, 50, 50), "acquisitions"),
        ({"emi_beta": 1.5}, (10, 50, 50), "emiRegularization"),
        ({"method": "StBAS", "stbas_num_con": 1}, (10, 50, 50), "stbas_numCon"),
    ],
)
def test_validate(kwargs, dims, key):
    with pytest.raises(ValueError, match=key):
        default_phase_link_options(**kwargs).validate(*dims)
    with pytest.raises(PhaseLinkOptionError):
        default_phase_link_options(**kwargs).validate(*dims)


@pytest.mark.parametrize("size", [6, 11, 50])
def test_sequential_with_fewer_dates_than_two_ministacks_is_the_full_stack_method(size):
    """10 dates, ministackSize 6, 11 or 50: one mini-stack of all dates, i.e. EMI (as MiNoPy's
    fallback); accepted, no longer refused when the mini-stack is larger than the stack."""
    slc, _ = _coherent_stack(10, 14, 14, seed=4)
    opts = default_phase_link_options(method="sequential_EMI", azimuth_window=5, range_window=5,
                            ministack_size=size)
    opts.validate(10, 14, 14)
    assert opts.uses_full_stack(10)
    short = default_phase_link_options(method="sequential_EMI", ministack_size=5)
    assert not short.uses_full_stack(10)
    assert not default_phase_link_options(method="EMI", ministack_size=50).uses_full_stack(10)
    seq = process_patch(slc, (2, 12, 2, 12), opts)
    full = process_patch(slc, (2, 12, 2, 12), default_phase_link_options(
        method="EMI", azimuth_window=5, range_window=5))
    np.testing.assert_array_equal(seq.estimator, full.estimator)
    np.testing.assert_allclose(seq.phase, full.phase, atol=1e-5)
    np.testing.assert_allclose(seq.temporal_coherence, full.temporal_coherence, atol=1e-5)


def test_validate_ok():
    default_phase_link_options().validate(30, 100, 100)
    default_phase_link_options(method="EMI").validate(3, 15, 15)
