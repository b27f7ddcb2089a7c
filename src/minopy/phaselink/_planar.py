"""Hermitian linear algebra on planar (separate real / imaginary float64) storage, for numba.

Complex arithmetic on numba ``complex128`` arrays does not vectorise; keeping the real and
imaginary parts in separate row-major arrays turns every inner loop into contiguous real
reductions that LLVM vectorises. Matrices are (n, n) float64 pairs ``(ar, ai)``, vectors (n,)
pairs ``(xr, xi)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._linalg import CHOL_TOL, FASTMATH


@njit(cache=True, fastmath=FASTMATH)
def cholesky(ar: np.ndarray, ai: np.ndarray, ur: np.ndarray, ui: np.ndarray) -> bool:
    """In-place lower Cholesky ``A = L L^H`` of a Hermitian matrix, plus ``U = L^H``.

    Parameters
    ----------
    ar, ai : ndarray, shape (n, n), float64
        Hermitian matrix (lower triangle read); overwritten with ``L`` (lower triangle).
    ur, ui : ndarray, shape (n, n), float64
        Receive ``U = L^H`` (upper triangle) so that back substitution reads rows.

    Returns
    -------
    bool
        False when a pivot is not positive (relative to the largest diagonal entry).
    """
    n = ar.shape[0]
    dmax = 0.0
    for i in range(n):
        if ar[i, i] > dmax:
            dmax = ar[i, i]
    if not dmax > 0.0:
        return False
    tol = CHOL_TOL * dmax
    for j in range(n):
        s = ar[j, j]
        for k in range(j):
            s -= ar[j, k] * ar[j, k] + ai[j, k] * ai[j, k]
        if not s > tol:
            return False
        d = np.sqrt(s)
        ar[j, j] = d
        ai[j, j] = 0.0
        inv = 1.0 / d
        for i in range(j + 1, n):
            cr = ar[i, j]
            ci = ai[i, j]
            for k in range(j):
                cr -= ar[i, k] * ar[j, k] + ai[i, k] * ai[j, k]
                ci -= ai[i, k] * ar[j, k] - ar[i, k] * ai[j, k]
            ar[i, j] = cr * inv
            ai[i, j] = ci * inv
    for i in range(n):
        for k in range(i, n):
            ur[i, k] = ar[k, i]
            ui[i, k] = -ai[k, i]
    return True


@njit(cache=True, fastmath=FASTMATH)
def solve(
    lr: np.ndarray, li: np.ndarray, ur: np.ndarray, ui: np.ndarray, br: np.ndarray, bi: np.ndarray
) -> None:
    """Solve ``L L^H x = b`` in place (``b`` becomes ``x``).

    Parameters
    ----------
    lr, li : ndarray, shape (n, n), float64
        Lower Cholesky factor.
    ur, ui : ndarray, shape (n, n), float64
        ``L^H`` (upper).
    br, bi : ndarray, shape (n,), float64
        Right-hand side, overwritten with the solution.
    """
    n = lr.shape[0]
    for i in range(n):
        sr = br[i]
        si = bi[i]
        for k in range(i):
            sr -= lr[i, k] * br[k] - li[i, k] * bi[k]
            si -= lr[i, k] * bi[k] + li[i, k] * br[k]
        inv = 1.0 / lr[i, i]
        br[i] = sr * inv
        bi[i] = si * inv
    for i in range(n - 1, -1, -1):
        sr = br[i]
        si = bi[i]
        for k in range(i + 1, n):
            sr -= ur[i, k] * br[k] - ui[i, k] * bi[k]
            si -= ur[i, k] * bi[k] + ui[i, k] * br[k]
        inv = 1.0 / ur[i, i]
        br[i] = sr * inv
        bi[i] = si * inv


@njit(cache=True, fastmath=FASTMATH)
def matvec(
    ar: np.ndarray, ai: np.ndarray, xr: np.ndarray, xi: np.ndarray, yr: np.ndarray, yi: np.ndarray
) -> None:
    """``y = A x`` (full storage)."""
    n = ar.shape[0]
    for i in range(n):
        sr = 0.0
        si = 0.0
        for k in range(n):
            sr += ar[i, k] * xr[k] - ai[i, k] * xi[k]
            si += ar[i, k] * xi[k] + ai[i, k] * xr[k]
        yr[i] = sr
        yi[i] = si


@njit(cache=True, fastmath=FASTMATH)
def normalize(xr: np.ndarray, xi: np.ndarray) -> float:
    """Scale to unit 2-norm in place; returns the former norm."""
    s = 0.0
    for i in range(xr.shape[0]):
        s += xr[i] * xr[i] + xi[i] * xi[i]
    nrm = np.sqrt(s)
    if nrm > 0.0:
        inv = 1.0 / nrm
        for i in range(xr.shape[0]):
            xr[i] *= inv
            xi[i] *= inv
    return nrm


@njit(cache=True, fastmath=FASTMATH)
def _update(xr, xi, yr, yi) -> float:
    """Copy ``y`` into ``x`` and return the squared change."""
    d = 0.0
    for i in range(xr.shape[0]):
        er = yr[i] - xr[i]
        ei = yi[i] - xi[i]
        d += er * er + ei * ei
        xr[i] = yr[i]
        xi[i] = yi[i]
    return d


@njit(cache=True, fastmath=FASTMATH)
def power_iteration(ar, ai, xr, xi, yr, yi, max_iter: int | np.integer, tol: float) -> bool:
    """Dominant eigenvector of a Hermitian PSD matrix; ``x`` is start and result (unit norm).

    Returns True when the squared change of the unit vector fell below ``tol``.
    """
    normalize(xr, xi)
    for _ in range(max_iter):
        matvec(ar, ai, xr, xi, yr, yi)
        if normalize(yr, yi) == 0.0:
            return True
        if _update(xr, xi, yr, yi) < tol:
            return True
    return False


@njit(cache=True, fastmath=FASTMATH)
def inverse_iteration(lr, li, ur, ui, xr, xi, yr, yi, max_iter: int, tol: float) -> bool:
    """Eigenvector of the smallest eigenvalue of ``L L^H``; ``x`` is start and result.

    Returns True when the squared change of the unit vector fell below ``tol``.
    """
    n = xr.shape[0]
    normalize(xr, xi)
    for _ in range(max_iter):
        for i in range(n):
            yr[i] = xr[i]
            yi[i] = xi[i]
        solve(lr, li, ur, ui, yr, yi)
        normalize(yr, yi)
        if _update(xr, xi, yr, yi) < tol:
            return True
    return False


@njit(cache=True, fastmath=FASTMATH)
def rayleigh(ar, ai, xr, xi) -> float:
    """``Re(x^H A x) / (x^H x)``."""
    n = ar.shape[0]
    num = 0.0
    den = 0.0
    for i in range(n):
        sr = 0.0
        si = 0.0
        for k in range(n):
            sr += ar[i, k] * xr[k] - ai[i, k] * xi[k]
            si += ar[i, k] * xi[k] + ai[i, k] * xr[k]
        num += xr[i] * sr + xi[i] * si
        den += xr[i] * xr[i] + xi[i] * xi[i]
    return num / den if den > 0.0 else 0.0


@njit(cache=True, fastmath=FASTMATH)
def shifted_cholesky(ar, ai, sign: float, mu: float, lr, li, ur, ui) -> bool:
    """Cholesky of ``sign * (A - mu I)`` into ``(lr, li)`` / ``(ur, ui)``; True iff it is PD."""
    n = ar.shape[0]
    for i in range(n):
        for k in range(n):
            lr[i, k] = sign * ar[i, k]
            li[i, k] = sign * ai[i, k]
        lr[i, i] -= sign * mu
    return cholesky(lr, li, ur, ui)
