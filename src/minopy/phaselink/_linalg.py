"""Small dense linear algebra written for numba, used per pixel inside batched kernels.

All routines work on one small matrix (N <= a few hundred) in place or into caller-provided
buffers so that batched kernels can reuse thread-local workspace and never allocate per pixel.
Real matrices are float64, complex matrices complex128.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: fastmath flags that keep NaN/Inf semantics intact (``isnan`` checks stay valid).
FASTMATH = {"nsz", "arcp", "contract", "reassoc"}

#: Relative pivot below which a Cholesky factorisation is declared failed.
CHOL_TOL = 1e-9


@njit(cache=True, fastmath=FASTMATH, inline="always")
def cabs(z: complex) -> float:
    """``|z|`` without the overflow protection of ``hypot`` (fine for coherences)."""
    return np.sqrt(z.real * z.real + z.imag * z.imag)


@njit(cache=True, fastmath=FASTMATH)
def cholesky_real(a: np.ndarray) -> bool:
    """In-place lower Cholesky factor of a real symmetric matrix.

    Parameters
    ----------
    a : ndarray, shape (n, n), float64
        Symmetric matrix; on success its lower triangle holds ``L`` with ``a = L L^T`` and the
        strict upper triangle is zeroed.

    Returns
    -------
    bool
        False when a pivot is not positive (relative to the largest diagonal entry).
    """
    n = a.shape[0]
    dmax = 0.0
    for i in range(n):
        if a[i, i] > dmax:
            dmax = a[i, i]
    if not dmax > 0.0:
        return False
    tol = CHOL_TOL * dmax
    for j in range(n):
        s = a[j, j]
        for k in range(j):
            s -= a[j, k] * a[j, k]
        if not s > tol:
            return False
        d = np.sqrt(s)
        a[j, j] = d
        inv = 1.0 / d
        for i in range(j + 1, n):
            s = a[i, j]
            for k in range(j):
                s -= a[i, k] * a[j, k]
            a[i, j] = s * inv
        for i in range(j + 1, n):
            a[j, i] = 0.0
    return True


@njit(cache=True, fastmath=FASTMATH)
def lower_inverse(lo: np.ndarray, y: np.ndarray) -> None:
    """Inverse of a lower triangular matrix, row by row (vectorisable axpy form).

    Parameters
    ----------
    lo : ndarray, shape (n, n), float64
        Lower triangular, non-singular.
    y : ndarray, shape (n, n), float64
        Receives ``L^{-1}`` (lower triangular, upper part zeroed).
    """
    n = lo.shape[0]
    for i in range(n):
        for j in range(n):
            y[i, j] = 0.0
        for k in range(i):
            f = lo[i, k]
            for j in range(k + 1):
                y[i, j] -= f * y[k, j]
        y[i, i] += 1.0
        inv = 1.0 / lo[i, i]
        for j in range(i + 1):
            y[i, j] *= inv


@njit(cache=True, fastmath=FASTMATH)
def spd_inverse_from_cholesky(lo: np.ndarray, out: np.ndarray, work: np.ndarray) -> None:
    """Inverse of ``A = L L^T`` given the lower Cholesky factor.

    Parameters
    ----------
    lo : ndarray, shape (n, n), float64
        Lower Cholesky factor (upper triangle zero).
    out : ndarray, shape (n, n), float64
        Receives ``A^{-1}`` (full symmetric).
    work : ndarray, shape (n, n), float64
        Workspace; receives ``L^{-1}`` (lower triangular).
    """
    n = lo.shape[0]
    lower_inverse(lo, work)
    for i in range(n):
        for j in range(n):
            out[i, j] = 0.0
    # A^{-1} = Y^T Y with Y = L^{-1}: accumulate the outer products of the rows of Y
    for k in range(n):
        for i in range(k + 1):
            f = work[k, i]
            for j in range(i + 1):
                out[i, j] += f * work[k, j]
    for i in range(n):
        for j in range(i):
            out[j, i] = out[i, j]


@njit(cache=True, fastmath=FASTMATH)
def spd_inverse_diagonal(lo: np.ndarray, out: np.ndarray, work: np.ndarray) -> None:
    """Diagonal of ``(L L^T)^{-1}`` given the lower Cholesky factor.

    Parameters
    ----------
    lo : ndarray, shape (n, n), float64
    out : ndarray, shape (n,), float64
        Receives ``diag(A^{-1})``.
    work : ndarray, shape (n, n), float64
        Workspace.
    """
    n = lo.shape[0]
    lower_inverse(lo, work)
    for i in range(n):
        out[i] = 0.0
    for k in range(n):
        for i in range(k + 1):
            out[i] += work[k, i] * work[k, i]


@njit(cache=True, fastmath=FASTMATH)
def normalize(x: np.ndarray) -> float:
    """Scale ``x`` to unit 2-norm in place and return the former norm."""
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i].real * x[i].real + x[i].imag * x[i].imag
    nrm = np.sqrt(s)
    if nrm > 0.0:
        inv = 1.0 / nrm
        for i in range(x.shape[0]):
            x[i] = x[i] * inv
    return nrm


@njit(cache=True, fastmath=FASTMATH)
def hermitian_matvec(a: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
    """``out = a @ x`` for a full (both triangles stored) complex matrix."""
    n = a.shape[0]
    for i in range(n):
        c = 0j
        for j in range(n):
            c += a[i, j] * x[j]
        out[i] = c


@njit(cache=True, fastmath=FASTMATH)
def power_iteration(
    a: np.ndarray, x: np.ndarray, work: np.ndarray, max_iter: int, tol: float
) -> tuple[float, bool]:
    """Dominant eigenvector of a Hermitian positive semi-definite matrix.

    Parameters
    ----------
    a : ndarray, shape (n, n), complex128
        Hermitian PSD matrix (full storage).
    x : ndarray, shape (n,), complex128
        Start vector on input, unit-norm eigenvector on output.
    work : ndarray, shape (n,), complex128
        Workspace.
    max_iter : int
        Maximum number of iterations.
    tol : float
        Stop when the squared change of the unit vector falls below ``tol``.

    Returns
    -------
    lam : float
        Largest eigenvalue estimate (norm growth of the last iteration).
    converged : bool
        Whether the tolerance was reached.
    """
    n = a.shape[0]
    normalize(x)
    lam = 0.0
    for _ in range(max_iter):
        hermitian_matvec(a, x, work)
        lam = normalize(work)
        if lam == 0.0:
            return 0.0, True
        d = 0.0
        for i in range(n):
            e = work[i] - x[i]
            d += e.real * e.real + e.imag * e.imag
            x[i] = work[i]
        if d < tol:
            return lam, True
    return lam, False
