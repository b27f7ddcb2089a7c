"""Coherence models and exact samples shared by the phase-linking tests."""

from __future__ import annotations

import numpy as np


def exp_coherence(n: int, dt: float, g0: float, ginf: float, tau: float) -> np.ndarray:
    """|Γ| of the exponential decorrelation model (unit diagonal)."""
    t = np.arange(n) * dt
    g = (g0 - ginf) * np.exp(-np.abs(t[:, None] - t[None, :]) / tau) + ginf
    np.fill_diagonal(g, 1.0)
    return g


def exact_samples(abs_gamma: np.ndarray, phases: np.ndarray, num: int, seed: int = 0):
    """Samples (N, num) whose sample coherence equals |Γ| ∘ exp(i(θ_m - θ_n)) exactly."""
    rng = np.random.default_rng(seed)
    n = abs_gamma.shape[0]
    q, _ = np.linalg.qr(rng.standard_normal((num, n)) + 1j * rng.standard_normal((num, n)))
    w = np.sqrt(num) * q.conj().T  # w w^H / num = I
    s = np.linalg.cholesky(abs_gamma)
    return np.exp(1j * phases)[:, None] * (s @ w)
