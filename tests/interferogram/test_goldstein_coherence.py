"""Goldstein-Werner filter, coherence and interferogram formation."""

from __future__ import annotations

import numpy as np
import pytest

from minopy.interferogram.coherence import phase_coherence, phase_coherence_rows
from minopy.interferogram.form import form_interferogram
from minopy.interferogram.goldstein import goldstein, goldstein_rows


def noisy_bowl(shape=(200, 170), sigma=0.8, seed=0):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[: shape[0], : shape[1]]
    truth = 0.002 * ((x - shape[1] / 2) ** 2 + (y - shape[0] / 2) ** 2)
    amp = rng.uniform(0.5, 2.0, shape)
    ifg = (amp * np.exp(1j * (truth + rng.normal(0, sigma, shape)))).astype(np.complex64)
    return truth, ifg


def phase_error(ifg: np.ndarray, truth: np.ndarray) -> float:
    return float(np.std(np.angle(ifg * np.exp(-1j * truth))))


def test_goldstein_reduces_noise_and_keeps_amplitude() -> None:
    truth, ifg = noisy_bowl()
    errors = [phase_error(goldstein(ifg, a), truth) for a in (0.0, 0.5, 1.0)]
    assert errors[0] == pytest.approx(phase_error(ifg, truth), abs=1e-6)
    assert errors[1] < 0.6 * errors[0]
    assert errors[2] < errors[1]
    np.testing.assert_allclose(np.abs(goldstein(ifg, 0.8)), np.abs(ifg), rtol=1e-5)


def test_goldstein_alpha_zero_is_identity() -> None:
    _, ifg = noisy_bowl((77, 91))
    np.testing.assert_allclose(goldstein(ifg, 0.0), ifg, atol=1e-5)


def test_goldstein_row_blocks_equal_whole_image() -> None:
    _, ifg = noisy_bowl((150, 64))
    full = goldstein(ifg, 0.6)
    blocks = np.concatenate([goldstein_rows(ifg, r, min(r + 32, 150), 0.6)
                             for r in range(0, 150, 32)])
    np.testing.assert_allclose(blocks, full, atol=1e-5)


def test_goldstein_zero_and_nan_pixels_stay_zero() -> None:
    _, ifg = noisy_bowl((64, 64))
    ifg[10:20, 10:20] = 0
    ifg[30, 30] = np.nan
    out = goldstein(ifg, 0.5)
    assert np.all(out[10:20, 10:20] == 0) and out[30, 30] == 0
    assert np.isfinite(out).all()
    with pytest.raises(ValueError, match="alpha"):
        goldstein(ifg, 1.5)


def test_coherence_high_for_smooth_low_for_noise() -> None:
    truth, _ = noisy_bowl()
    smooth = np.exp(0.25j * truth).astype(np.complex64)  # gentle fringes
    rng = np.random.default_rng(3)
    noise = np.exp(1j * rng.uniform(-np.pi, np.pi, truth.shape)).astype(np.complex64)
    assert phase_coherence(smooth).mean() > 0.95
    assert phase_coherence(noise).mean() < 0.3
    noise[:5] = 0
    coh = phase_coherence(noise)
    assert coh.dtype == np.float32 and np.all(coh[:5] == 0)
    rows = np.concatenate([phase_coherence_rows(noise, r, min(r + 48, 200))
                           for r in range(0, 200, 48)])
    np.testing.assert_allclose(rows, coh, atol=1e-6)


def test_form_interferogram_convention() -> None:
    p1, p2 = np.array([[0.5]]), np.array([[2.0]])
    ifg = form_interferogram(p1, np.array([[2.0]]), p2, np.array([[3.0]]))
    s1, s2 = 2.0 * np.exp(1j * 0.5), 3.0 * np.exp(1j * 2.0)  # SLCs relative to date 0
    np.testing.assert_allclose(ifg, s1 * np.conj(s2), rtol=1e-6)  # ISCE: ref * conj(sec)
    assert form_interferogram(np.array([np.nan]), np.ones(1), np.zeros(1), np.ones(1))[0] == 0
