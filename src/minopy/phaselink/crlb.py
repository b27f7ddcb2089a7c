"""Cramér–Rao lower bound of the linked phases (Guarnieri & Tebaldini 2008; Tebaldini 2010).

Fisher information ``X = 2L (|Γ| ∘ |Γ|^{-1} − I)``; with the reference date removed
(``Θ^T X Θ``) the bound is ``σ_n = sqrt(diag((Θ^T X Θ)^{-1}))`` and ``σ_ref = 0``. Note the factor
``2L`` (information grows with the number of looks ``L``), not ``2/L``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._linalg import FASTMATH, cholesky_real, spd_inverse_diagonal, spd_inverse_from_cholesky


@njit(cache=True, fastmath=FASTMATH)
def crlb_from_inverse(
    abs_gamma: np.ndarray, ainv: np.ndarray, num_looks: float, ref: int, out: np.ndarray
) -> bool:
    """CRLB standard deviation given ``|Γ|`` and its inverse (see :func:`crlb_vector`)."""
    n = abs_gamma.shape[0]
    m = n - 1
    x = np.empty((m, m))
    work = np.empty((m, m))
    xdiag = np.empty(m)
    for ii in range(m):
        i = ii if ii < ref else ii + 1
        for jj in range(ii + 1):
            j = jj if jj < ref else jj + 1
            v = abs_gamma[i, j] * ainv[i, j]
            if i == j:
                v -= 1.0
            x[ii, jj] = 2.0 * num_looks * v
    ok = num_looks > 0 and cholesky_real(x)
    if ok:
        spd_inverse_diagonal(x, xdiag, work)
        for ii in range(m):
            i = ii if ii < ref else ii + 1
            out[i] = np.sqrt(xdiag[ii]) if xdiag[ii] > 0 else np.nan
        out[ref] = 0.0
    else:
        for i in range(n):
            out[i] = np.nan
        out[ref] = 0.0
    return ok


@njit(cache=True, fastmath=FASTMATH)
def crlb_vector(abs_gamma: np.ndarray, num_looks: float, ref: int, out: np.ndarray) -> bool:
    """CRLB standard deviation for one coherence-magnitude matrix.

    Parameters
    ----------
    abs_gamma : ndarray, shape (N, N), float64
        ``|Γ|`` (symmetric, unit diagonal).
    num_looks : float
        Number of independent looks ``L``.
    ref : int
        Reference date index (σ = 0 there).
    out : ndarray, shape (N,), float
        Output σ in radians (0 at ``ref``); NaN at the other dates when ``|Γ|`` or the Fisher
        matrix is not positive definite.

    Returns
    -------
    bool
        False when the bound could not be computed.
    """
    n = abs_gamma.shape[0]
    a = np.empty((n, n))
    ainv = np.empty((n, n))
    work = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            a[i, j] = abs_gamma[i, j]
    if num_looks > 0 and cholesky_real(a):
        spd_inverse_from_cholesky(a, ainv, work)
        return crlb_from_inverse(abs_gamma, ainv, num_looks, ref, out)
    for i in range(n):
        out[i] = np.nan
    out[ref] = 0.0
    return False


@njit(cache=True, parallel=True)
def _crlb_batch(g: np.ndarray, looks: np.ndarray, ref: int) -> np.ndarray:
    p, n = g.shape[0], g.shape[1]
    out = np.empty((p, n))
    for k in prange(p):
        crlb_vector(g[k], looks[k], ref, out[k])
    return out


def crlb_std(gamma_abs: np.ndarray, num_looks: float | np.ndarray, ref: int = 0) -> np.ndarray:
    """Per-date CRLB standard deviation of the linked phase.

    Parameters
    ----------
    gamma_abs : ndarray, shape (N, N) or (..., N, N)
        Coherence magnitude ``|Γ|`` (complex input is converted with ``abs``).
    num_looks : float or ndarray, shape (...)
        Number of looks ``L`` (scalar or one per matrix).
    ref : int
        Reference date (σ_ref = 0).

    Returns
    -------
    ndarray, shape (N,) or (..., N), float64
        σ in radians (0 at ``ref``); NaN at the other dates for matrices whose ``|Γ|`` or
        Fisher information is not positive definite.
    """
    g = np.abs(np.asarray(gamma_abs)).astype(np.float64)
    n = g.shape[-1]
    if not 0 <= ref < n:
        raise ValueError(f"ref={ref} outside [0, {n})")
    batch = g.shape[:-2]
    flat = np.ascontiguousarray(g.reshape(-1, n, n))
    looks = np.broadcast_to(np.asarray(num_looks, dtype=np.float64), batch).reshape(-1)
    out = _crlb_batch(flat, np.ascontiguousarray(looks), int(ref))
    return out.reshape(*batch, n)
