"""Temporal coherence of a phase-linking solution (MiNoPy ``gam_pta``).

γ = (2 / (N² − N)) · Re Σ_{i<k} exp(i(∠Γ_ik − (θ_i − θ_k))), clipped at 0.

With a band limit ``lag > 0`` (StBAS) only the pairs with ``k − i < lag`` enter and the sum is
normalised by their number. A zero entry of ``Γ`` counts with phase 0.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._linalg import FASTMATH, cabs


@njit(cache=True, fastmath=FASTMATH)
def temporal_coherence_vector(gamma: np.ndarray, x: np.ndarray, lag: int) -> float:
    """Temporal coherence of phasors ``x`` against the coherence matrix ``gamma``.

    Parameters
    ----------
    gamma : ndarray, shape (N, N), complex
        Coherence matrix (only the upper triangle ``i < k`` is read).
    x : ndarray, shape (N,), complex
        Unit-modulus phasors ``exp(iθ)``.
    lag : int
        Use only pairs with ``k - i < lag``; ``lag <= 0`` uses all pairs.

    Returns
    -------
    float
        γ in [0, 1].
    """
    n = gamma.shape[0]
    s = 0.0
    cnt = 0
    for i in range(n):
        kmax = n if lag <= 0 else min(n, i + lag)
        xi = np.conj(x[i])
        for k in range(i + 1, kmax):
            g = gamma[i, k]
            a = cabs(g)
            u = g / a if a > 0.0 else 1.0 + 0j
            s += (u * xi * x[k]).real
            cnt += 1
    if cnt == 0:
        return 0.0
    gam = s / cnt
    return gam if gam > 0.0 else 0.0


@njit(cache=True, parallel=True)
def _tcoh_batch(gamma: np.ndarray, x: np.ndarray, lag: int) -> np.ndarray:
    p = gamma.shape[0]
    out = np.empty(p)
    for k in prange(p):
        out[k] = temporal_coherence_vector(gamma[k], x[k], lag)
    return out


def temporal_coherence(gamma: np.ndarray, phase: np.ndarray, lag: int = 0) -> np.ndarray:
    """Batched temporal coherence.

    Parameters
    ----------
    gamma : ndarray, shape (..., N, N), complex
        Coherence matrices.
    phase : ndarray, shape (..., N)
        Linked phases in radians (real) or unit phasors (complex).
    lag : int
        Band limit (StBAS); 0 means all pairs.

    Returns
    -------
    ndarray, shape (...), float64
        Temporal coherence clipped to [0, 1].
    """
    g = np.ascontiguousarray(gamma, dtype=np.complex128)
    ph = np.asarray(phase)
    x = ph.astype(np.complex128) if np.iscomplexobj(ph) else np.exp(1j * ph.astype(np.float64))
    n = g.shape[-1]
    batch = g.shape[:-2]
    out = _tcoh_batch(g.reshape(-1, n, n), np.ascontiguousarray(x).reshape(-1, n), int(lag))
    return out.reshape(batch)
