"""Persistent-scatterer (PS) candidate test and amplitude dispersion (MiNoPy ``test_PS``).

A pixel with few SHPs (``#SHP <= ps_num_shp``) is a PS candidate. It is declared PS when the top
eigenvalue of its small-sample coherence matrix holds more than ``top_percent`` of the eigenvalue
norm, ``100 λ_max / ||λ||_2 > top_percent`` (``||λ||_2 = ||Γ||_F`` for Hermitian Γ), and its
amplitude dispersion ``D_A = std(|s|)/mean(|s|)`` (capped at 1) is below ``amp_dispersion``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._linalg import FASTMATH, normalize, power_iteration
from .estimators import start_vector


def amplitude_dispersion(amplitude: np.ndarray, cap: float | None = None) -> np.ndarray:
    """Amplitude dispersion index ``D_A = std(A) / mean(A)`` over time.

    Parameters
    ----------
    amplitude : ndarray, shape (N, ...)
        Amplitude (``|slc|``) stack, time first.
    cap : float, optional
        Upper bound applied to the result (MiNoPy caps at 1).

    Returns
    -------
    ndarray, shape (...), float32
        ``std`` with ddof=0 divided by the mean; NaN where the mean is 0 or data are not finite.
    """
    a = np.asarray(amplitude, dtype=np.float64)
    mean = a.mean(axis=0)
    std = a.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        da = np.where(mean > 0, std / mean, np.nan)
    if cap is not None:
        da = np.minimum(da, cap)
    return da.astype(np.float32)


@njit(cache=True, fastmath=FASTMATH)
def top_eigenvalues_vector(gamma: np.ndarray) -> tuple[float, float, float]:
    """Two largest eigenvalues of a Hermitian PSD matrix and the top-eigenvalue share.

    Parameters
    ----------
    gamma : ndarray, shape (N, N), complex128
        Coherence matrix.

    Returns
    -------
    lam1, lam2 : float
        Largest and second largest eigenvalues (power iteration with deflation).
    top_percent : float
        ``100 λ1 / ||Γ||_F`` in percent.
    """
    n = gamma.shape[0]
    x = np.empty(n, dtype=np.complex128)
    w = np.empty(n, dtype=np.complex128)
    start_vector(gamma, x)
    lam1, _ = power_iteration(gamma, x, w, 500, 1e-20)
    normalize(x)
    defl = np.empty_like(gamma)
    fro = 0.0
    for i in range(n):
        for j in range(n):
            g = gamma[i, j]
            fro += g.real * g.real + g.imag * g.imag
            defl[i, j] = g - lam1 * x[i] * np.conj(x[j])
    y = np.empty(n, dtype=np.complex128)
    for i in range(n):
        y[i] = 1.0 + 0.1j * i
    lam2, _ = power_iteration(defl, y, w, 500, 1e-20)
    fro = np.sqrt(fro)
    top = 100.0 * lam1 / fro if fro > 0 else 0.0
    return lam1, lam2, top


@njit(cache=True, parallel=True)
def _top_batch(g: np.ndarray) -> np.ndarray:
    p = g.shape[0]
    out = np.empty((p, 3))
    for k in prange(p):
        a, b, c = top_eigenvalues_vector(g[k])
        out[k, 0] = a
        out[k, 1] = b
        out[k, 2] = c
    return out


def top_eigenvalues(gamma: np.ndarray) -> np.ndarray:
    """Batched :func:`top_eigenvalues_vector`.

    Parameters
    ----------
    gamma : ndarray, shape (..., N, N), complex

    Returns
    -------
    ndarray, shape (..., 3), float64
        ``λ1, λ2, top percent``.
    """
    g = np.ascontiguousarray(gamma, dtype=np.complex128)
    n = g.shape[-1]
    return _top_batch(g.reshape(-1, n, n)).reshape(*g.shape[:-2], 3)


@njit(cache=True)
def is_ps(top_percent: float, amp_disp: float, top_thresh: float, da_thresh: float) -> bool:
    """PS decision: ``top% > top_thresh`` and ``min(D_A, 1) < da_thresh``."""
    da = amp_disp if amp_disp < 1.0 else 1.0
    return top_percent > top_thresh and da < da_thresh
