"""Estimators recover exact phases from a noise-free rank-one coherence matrix."""

from __future__ import annotations

import numpy as np
import pytest
from phaselink._coherence_models import exact_samples, exp_coherence

from minopy.phaselink import (
    estimate_phases,
    ministack_bounds,
    sample_coherence,
    sequential_phase_linking,
    temporal_coherence,
)
from minopy.phaselink.estimators import CODE_EMI_FALLBACK_EVD


def _wrapped_error(x: np.ndarray, theta: np.ndarray) -> float:
    return float(np.abs(np.angle(x * np.exp(-1j * theta))).max())


@pytest.mark.parametrize("method", ["EVD", "EMI", "PTA", "StBAS"])
def test_rank_one_exact(method, rng):
    n = 25
    absg = exp_coherence(n, 12.0, 0.7, 0.2, 36.0)
    theta = rng.uniform(-np.pi, np.pi, n)
    theta[0] = 0.0
    gamma = absg * np.exp(1j * (theta[:, None] - theta[None, :]))
    x, codes = estimate_phases(gamma[None], method, lag=5)
    assert codes[0] in (1, 2, 3, 4)
    assert _wrapped_error(x[0], theta) < 1e-8
    assert np.allclose(np.abs(x), 1.0)
    lag = 5 if method == "StBAS" else 0
    assert temporal_coherence(gamma, x[0], lag=lag) == pytest.approx(1.0, abs=1e-10)


@pytest.mark.parametrize("method", ["sequential_EVD", "sequential_EMI", "sequential_PTA"])
@pytest.mark.parametrize("n", [23, 30, 12])
def test_sequential_rank_one_exact(method, n, rng):
    absg = exp_coherence(n, 12.0, 0.7, 0.2, 36.0)
    theta = rng.uniform(-np.pi, np.pi, n)
    theta[0] = 0.0
    z = exact_samples(absg, theta, 60, seed=1)
    x, avg, codes = sequential_phase_linking(z[None], method, ministack_size=5)
    assert _wrapped_error(x[0], theta) < 2e-5  # float32 sample arithmetic
    assert avg[0] == pytest.approx(1.0, abs=1e-5)
    assert codes[0] != CODE_EMI_FALLBACK_EVD


def test_ministack_bounds():
    assert ministack_bounds(30, 10).tolist() == [0, 10, 20, 30]
    assert ministack_bounds(29, 10).tolist() == [0, 10, 29]
    assert ministack_bounds(15, 10).tolist() == [0, 15]  # N < 2S: one mini-stack


def test_single_ministack_equals_full_stack(rng):
    n = 15
    absg = exp_coherence(n, 12.0, 0.6, 0.1, 36.0)
    s = np.linalg.cholesky(absg)
    w = (rng.standard_normal((20, n, 80)) + 1j * rng.standard_normal((20, n, 80))) / np.sqrt(2)
    z = s @ w
    xs, _, _ = sequential_phase_linking(z, "sequential_EMI", ministack_size=10)
    xf, _ = estimate_phases(sample_coherence(z), "EMI")
    # identical up to the iterative eigen-solver's convergence tolerance
    assert np.abs(np.angle(xs * xf.conj())).max() < 5e-3


def test_emi_matches_eigh_on_noisy_matrix(rng):
    n, num = 20, 150
    absg = exp_coherence(n, 12.0, 0.7, 0.2, 36.0)
    s = np.linalg.cholesky(absg)
    z = s @ ((rng.standard_normal((50, n, num)) + 1j * rng.standard_normal((50, n, num))) / 2**0.5)
    g = sample_coherence(z)
    x, _ = estimate_phases(g, "EMI")
    m = np.linalg.inv(np.abs(g)) * g
    v = np.linalg.eigh(m)[1][..., 0]
    v = v * np.conj(v[:, :1]) / np.abs(v[:, :1])
    assert np.abs(np.angle(x * v.conj())).max() < 1e-3
    xe, _ = estimate_phases(g, "EVD")
    ve = np.linalg.eigh(g)[1][..., -1]
    ve = ve * np.conj(ve[:, :1]) / np.abs(ve[:, :1])
    assert np.abs(np.angle(xe * ve.conj())).max() < 1e-3
    # PTA never has a larger ML cost than EMI
    xp, _ = estimate_phases(g, "PTA")
    cost = lambda y: np.einsum("pi,pij,pj->p", y.conj(), m, y).real  # noqa: E731
    assert np.all(cost(xp) <= cost(x) + 1e-9)


def test_emi_fallback_to_evd():
    # |Γ| indefinite even after shrinkage (β <= 0.5): eigenvalue of -1.5 needs β > 0.6
    n = 4
    absg = np.full((n, n), 0.0)
    absg[0, 1:] = absg[1:, 0] = 1.0
    np.fill_diagonal(absg, 1.0)
    gamma = absg.astype(complex)
    x, codes = estimate_phases(gamma[None], "EMI")
    assert codes[0] == CODE_EMI_FALLBACK_EVD
    assert np.allclose(np.abs(x), 1.0)
