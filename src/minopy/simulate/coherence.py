"""Coherence matrices and correlated circular complex Gaussian speckle."""

from __future__ import annotations

import numpy as np

from minopy.simulate.params import CoherenceClass

DAYS_PER_YEAR = 365.25


def coherence_matrix(t_days: np.ndarray, cls: CoherenceClass) -> np.ndarray:
    """Coherence matrix of a distributed-scatterer class.

    Parameters
    ----------
    t_days : numpy.ndarray, shape (N,)
        Acquisition times in days (any origin; the seasonal term uses them as day of year offsets
        from 1 January of the origin's year, so pass days since 1 January of the first year).
    cls : CoherenceClass
        The model.

    Returns
    -------
    numpy.ndarray, shape (N, N), float64
        Symmetric positive semi-definite matrix with unit diagonal:
        ``G_ij = [(g0 - ginf) exp(-|t_i - t_j| / tau) + ginf] * s_i * s_j`` for ``i != j``.
    """
    t = np.asarray(t_days, dtype=np.float64)
    dt = np.abs(t[:, None] - t[None, :])
    gam = (cls.gamma0 - cls.gamma_inf) * np.exp(-dt / cls.tau_days) + cls.gamma_inf
    if cls.seasonal > 0:
        phase = 2 * np.pi * (t - cls.peak_doy) / DAYS_PER_YEAR
        s = 1.0 - cls.seasonal * 0.5 * (1.0 + np.cos(phase))
        gam = gam * s[:, None] * s[None, :]
    np.fill_diagonal(gam, 1.0)
    return gam


def matrix_sqrt(cov: np.ndarray) -> np.ndarray:
    """Return ``S`` with ``S @ S.conj().T == cov``: Cholesky, or an eigen square root if singular.

    Parameters
    ----------
    cov : numpy.ndarray, shape (N, N)
        Hermitian positive semi-definite matrix.

    Returns
    -------
    numpy.ndarray, shape (N, N)
    """
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        vals, vecs = np.linalg.eigh(cov)
        vals = np.clip(vals, 0.0, None)
        return (vecs * np.sqrt(vals)) @ vecs.conj().T


def complex_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Draw circular complex Gaussian samples CN(0, 1) (unit mean power), complex128."""
    out = rng.standard_normal(shape + (2,))
    return (out[..., 0] + 1j * out[..., 1]) * np.sqrt(0.5)


def sample_coherence(stack: np.ndarray) -> np.ndarray:
    """Sample coherence matrix of a set of pixels that share one model.

    Parameters
    ----------
    stack : numpy.ndarray, shape (N, P)
        Complex samples of P pixels at N dates.

    Returns
    -------
    numpy.ndarray, shape (N, N), complex128
        ``sum_p z_i z_j^* / sqrt(sum_p |z_i|^2 sum_p |z_j|^2)``.
    """
    z = np.asarray(stack, dtype=np.complex128)
    cov = z @ z.conj().T
    power = np.sqrt(np.real(np.diag(cov)))
    return cov / np.outer(power, power)
