"""Phase-linking estimators on a coherence matrix: EVD, EMI, PTA and StBAS.

Every estimator takes a complex coherence matrix ``Γ`` (N x N, Hermitian, unit diagonal) and
returns a unit-modulus phase vector ``x`` (N,) referenced to date 0 (``x[0] = 1``); the linked
phase of date ``n`` relative to date 0 is ``angle(x[n])``, in radians.

- **EVD** (CAESAR / SqueeSAR eigen-decomposition): eigenvector of the largest eigenvalue of ``Γ``,
  by power iteration.
- **EMI** (Ansari et al. 2018): eigenvector of the smallest eigenvalue of ``M = |Γ|^{-1} ∘ Γ``, by
  inverse iteration on the Cholesky factor of ``M``. ``|Γ|`` is shrunk towards the identity,
  ``(1 - β)|Γ| + βI``, starting from the configured ``β`` and increasing it until its Cholesky
  factorisation succeeds; if no ``β <= 0.5`` works the pixel falls back to EVD.
- **PTA** (maximum-likelihood phase triangulation, Guarnieri & Tebaldini 2008): minimises the
  ML cost ``x^H M x`` over unit-modulus ``x`` by exact coordinate descent (each phase set to its
  conditional optimum ``x_i = -Σ_{j≠i} M_ij x_j / |.|``), started from the EMI solution. Every
  sweep decreases the cost; iterations stop when no phasor moves by more than ``1e-7``.
- **StBAS**: ``Γ`` restricted to the band ``|i - j| < lag`` (zero outside), then PTA.

The per-matrix functions are numba kernels used by the batched pixel kernels; the batched
:func:`estimate_phases` wraps them for stacks of matrices.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from . import _planar as pl
from ._linalg import FASTMATH, cabs, cholesky_real, spd_inverse_from_cholesky

#: Estimator codes written to ``PatchResult.estimator``.
CODE_MASKED = 0
CODE_EVD = 1
CODE_EMI = 2
CODE_PTA = 3
CODE_STBAS = 4
CODE_PS = 5
CODE_EMI_FALLBACK_EVD = 6

ESTIMATOR_CODES: dict[int, str] = {
    CODE_MASKED: "masked/no-data (not phase linked)",
    CODE_EVD: "EVD",
    CODE_EMI: "EMI",
    CODE_PTA: "PTA",
    CODE_STBAS: "StBAS",
    CODE_PS: "PS (own phase kept)",
    CODE_EMI_FALLBACK_EVD: "EMI/PTA/StBAS fell back to EVD (|Γ| not positive definite)",
}

#: Method names accepted by :func:`estimate_phases`, mapped to their estimator code.
BASE_METHODS: dict[str, int] = {
    "EVD": CODE_EVD,
    "EMI": CODE_EMI,
    "PTA": CODE_PTA,
    "StBAS": CODE_STBAS,
}

POWER_PLAIN_ITER = 25  # plain power iterations before switching to shifted inverse iteration
POWER_MAX_ITER = 300
INVERSE_PLAIN_ITER = 2  # unshifted inverse iterations before the shift is chosen
INVERSE_MAX_ITER = 100
SHIFT_TAU = 0.02  # first relative shift distance from the Rayleigh quotient
SHIFT_TRIES = 3
SHIFT_ROUNDS = 3  # re-shift from the improved Rayleigh quotient at most this often
SHIFT_ROUND_ITER = 6  # shifted inverse iterations per round
PTA_MAX_SWEEPS = 200
EIG_TOL = 1e-11  # squared change of the unit eigenvector between iterations
PTA_TOL = 1e-14  # squared change of a phasor within a sweep
MAX_BETA = 0.5


@njit(cache=True, fastmath=FASTMATH)
def start_vector(gamma: np.ndarray, x: np.ndarray) -> None:
    """Initial phasors by chaining nearest-neighbour interferograms.

    ``x_0 = 1``, ``x_n = x_{n-1} exp(i angle Γ_{n, n-1})``. Exact for a rank-one ``Γ``.

    Parameters
    ----------
    gamma : ndarray, shape (N, N), complex128
    x : ndarray, shape (N,), complex128
        Output, unit modulus.
    """
    n = gamma.shape[0]
    x[0] = 1.0
    for i in range(1, n):
        g = gamma[i, i - 1]
        a = cabs(g)
        if a > 0.0:
            x[i] = x[i - 1] * (g / a)
        else:
            x[i] = x[i - 1]


@njit(cache=True, fastmath=FASTMATH)
def reference_unit(x: np.ndarray) -> None:
    """Make ``x`` unit-modulus and referenced to element 0, in place (zeros become 1)."""
    n = x.shape[0]
    a0 = cabs(x[0])
    ref = np.conj(x[0]) / a0 if a0 > 0.0 else 1.0 + 0j
    for i in range(n):
        v = x[i] * ref
        a = cabs(v)
        x[i] = v / a if a > 0.0 else 1.0 + 0j


@njit(cache=True, fastmath=FASTMATH)
def _split(gamma: np.ndarray, gr: np.ndarray, gi: np.ndarray) -> None:
    n = gamma.shape[0]
    for i in range(n):
        for j in range(n):
            gr[i, j] = gamma[i, j].real
            gi[i, j] = gamma[i, j].imag


@njit(cache=True, fastmath=FASTMATH)
def _to_complex(xr: np.ndarray, xi: np.ndarray, x: np.ndarray) -> None:
    for i in range(x.shape[0]):
        x[i] = complex(xr[i], xi[i])


@njit(cache=True, fastmath=FASTMATH)
def _evd_planar(gr, gi, xr, xi) -> None:
    """Dominant eigenvector of planar Γ; ``x`` holds the start vector on input."""
    n = gr.shape[0]
    yr = np.empty(n)
    yi = np.empty(n)
    if pl.power_iteration(gr, gi, xr, xi, yr, yi, POWER_PLAIN_ITER, EIG_TOL):
        return
    # slow convergence (small eigen-gap): inverse iteration on (mu I - Γ) with mu > λ_max;
    # its Cholesky succeeds iff mu is above the largest eigenvalue.
    rho = pl.rayleigh(gr, gi, xr, xi)
    lr = np.empty((n, n))
    li = np.empty((n, n))
    ur = np.empty((n, n))
    ui = np.empty((n, n))
    tau = SHIFT_TAU
    for _ in range(SHIFT_TRIES):
        if pl.shifted_cholesky(gr, gi, -1.0, rho * (1.0 + tau), lr, li, ur, ui):
            pl.inverse_iteration(lr, li, ur, ui, xr, xi, yr, yi, INVERSE_MAX_ITER, EIG_TOL)
            return
        tau *= 4.0
    pl.power_iteration(gr, gi, xr, xi, yr, yi, POWER_MAX_ITER, EIG_TOL)


@njit(cache=True, fastmath=FASTMATH)
def evd_vector(gamma: np.ndarray, x: np.ndarray) -> None:
    """EVD phase linking: dominant eigenvector of ``Γ``.

    Power iteration; when it has not converged after ``POWER_PLAIN_ITER`` steps, shifted inverse
    iteration on ``mu I - Γ`` with a Cholesky-verified shift ``mu > λ_max``.

    Parameters
    ----------
    gamma : ndarray, shape (N, N), complex128
        Coherence matrix (full storage).
    x : ndarray, shape (N,), complex128
        Output unit-modulus phasors referenced to date 0.
    """
    n = gamma.shape[0]
    gr = np.empty((n, n))
    gi = np.empty((n, n))
    _split(gamma, gr, gi)
    start_vector(gamma, x)
    xr = x.real.copy()
    xi = x.imag.copy()
    _evd_planar(gr, gi, xr, xi)
    _to_complex(xr, xi, x)
    reference_unit(x)


@njit(cache=True, fastmath=FASTMATH)
def emi_matrix(
    gamma: np.ndarray,
    beta0: float,
    mr: np.ndarray,
    mi: np.ndarray,
    lr: np.ndarray,
    li: np.ndarray,
    ur: np.ndarray,
    ui: np.ndarray,
) -> bool:
    """Build ``M = |Γ_β|^{-1} ∘ Γ`` (planar) and its Cholesky factor, regularising as needed.

    Parameters
    ----------
    gamma : ndarray, shape (N, N), complex128
    beta0 : float
        Initial shrinkage ``β`` of ``|Γ|`` towards the identity (0 = none); on failure ``β`` is
        raised (0.002, 0.004, ... up to ``MAX_BETA``).
    mr, mi : ndarray, shape (N, N), float64
        Output ``M``.
    lr, li, ur, ui : ndarray, shape (N, N), float64
        Output Cholesky factor of ``M`` and its conjugate transpose.

    Returns
    -------
    bool
        False if no ``β <= MAX_BETA`` gives positive definite ``|Γ_β|`` and ``M``.
    """
    n = gamma.shape[0]
    a = np.empty((n, n))
    ainv = np.empty((n, n))
    work = np.empty((n, n))
    absg = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            absg[i, j] = cabs(gamma[i, j])
    beta = beta0
    while True:
        for i in range(n):
            for j in range(n):
                a[i, j] = (1.0 - beta) * absg[i, j]
            a[i, i] += beta
        if cholesky_real(a):
            spd_inverse_from_cholesky(a, ainv, work)
            for i in range(n):
                for j in range(n):
                    vr = ainv[i, j] * gamma[i, j].real
                    vi = ainv[i, j] * gamma[i, j].imag
                    mr[i, j] = vr
                    mi[i, j] = vi
                    lr[i, j] = vr
                    li[i, j] = vi
            if pl.cholesky(lr, li, ur, ui):
                return True
        if beta >= MAX_BETA:
            return False
        beta = min(2.0 * max(beta, 1e-3), MAX_BETA)


@njit(cache=True, fastmath=FASTMATH)
def pta_refine(mr: np.ndarray, mi: np.ndarray, xr: np.ndarray, xi: np.ndarray) -> None:
    """Minimise ``x^H M x`` over unit-modulus ``x`` by exact coordinate descent, in place.

    Parameters
    ----------
    mr, mi : ndarray, shape (N, N), float64
        Hermitian ML cost matrix ``|Γ|^{-1} ∘ Γ`` (planar).
    xr, xi : ndarray, shape (N,), float64
        Start phasors (unit modulus) on input, optimum on output.
    """
    n = mr.shape[0]
    for _ in range(PTA_MAX_SWEEPS):
        dmax = 0.0
        for i in range(n):
            sr = 0.0
            si = 0.0
            for j in range(n):
                sr += mr[i, j] * xr[j] - mi[i, j] * xi[j]
                si += mr[i, j] * xi[j] + mi[i, j] * xr[j]
            # remove the diagonal term (M_ii real)
            sr -= mr[i, i] * xr[i]
            si -= mr[i, i] * xi[i]
            a = np.sqrt(sr * sr + si * si)
            if a > 0.0:
                vr = -sr / a
                vi = -si / a
                er = vr - xr[i]
                ei = vi - xi[i]
                d = er * er + ei * ei
                if d > dmax:
                    dmax = d
                xr[i] = vr
                xi[i] = vi
        if dmax < PTA_TOL:
            break


@njit(cache=True, fastmath=FASTMATH)
def emi_vector(gamma: np.ndarray, beta0: float, x: np.ndarray, refine_pta: bool) -> bool:
    """EMI (optionally followed by PTA refinement) phase linking.

    Inverse iteration on the Cholesky factor of ``M``; when it has not converged after
    ``INVERSE_PLAIN_ITER`` steps the matrix is shifted to ``M - mu I`` with ``mu`` just below the
    Rayleigh quotient, backing off until the Cholesky factorisation proves ``mu < λ_min``.

    Parameters
    ----------
    gamma : ndarray, shape (N, N), complex128
    beta0 : float
        Initial shrinkage of ``|Γ|`` towards the identity.
    x : ndarray, shape (N,), complex128
        Output unit-modulus phasors referenced to date 0.
    refine_pta : bool
        Run the PTA coordinate descent from the EMI solution.

    Returns
    -------
    bool
        True when EMI/PTA was used, False when the pixel fell back to EVD.
    """
    n = gamma.shape[0]
    mr = np.empty((n, n))
    mi = np.empty((n, n))
    lr = np.empty((n, n))
    li = np.empty((n, n))
    ur = np.empty((n, n))
    ui = np.empty((n, n))
    if not emi_matrix(gamma, beta0, mr, mi, lr, li, ur, ui):
        evd_vector(gamma, x)
        return False
    start_vector(gamma, x)
    xr = x.real.copy()
    xi = x.imag.copy()
    yr = np.empty(n)
    yi = np.empty(n)
    if not pl.inverse_iteration(lr, li, ur, ui, xr, xi, yr, yi, INVERSE_PLAIN_ITER, EIG_TOL):
        tau = SHIFT_TAU
        for _ in range(SHIFT_ROUNDS):
            rho = pl.rayleigh(mr, mi, xr, xi)
            shifted = False
            for _ in range(SHIFT_TRIES):
                if pl.shifted_cholesky(mr, mi, 1.0, rho * (1.0 - tau), lr, li, ur, ui):
                    shifted = True
                    break
                tau *= 4.0
            if not shifted:
                pl.shifted_cholesky(mr, mi, 1.0, 0.0, lr, li, ur, ui)
            if pl.inverse_iteration(lr, li, ur, ui, xr, xi, yr, yi, SHIFT_ROUND_ITER, EIG_TOL):
                break
            tau *= 0.25  # the Rayleigh quotient is now closer to λ_min: shift closer
    if refine_pta:
        _to_complex(xr, xi, x)
        reference_unit(x)
        for i in range(n):
            xr[i] = x[i].real
            xi[i] = x[i].imag
        pta_refine(mr, mi, xr, xi)
    _to_complex(xr, xi, x)
    reference_unit(x)
    return True


@njit(cache=True, fastmath=FASTMATH)
def band_matrix(gamma: np.ndarray, lag: int, out: np.ndarray) -> None:
    """Copy of ``Γ`` with entries ``|i - j| >= lag`` set to zero."""
    n = gamma.shape[0]
    for i in range(n):
        for j in range(n):
            out[i, j] = gamma[i, j] if abs(i - j) < lag else 0j


@njit(cache=True, fastmath=FASTMATH)
def estimate_vector(gamma: np.ndarray, method: int, beta0: float, lag: int, x: np.ndarray) -> int:
    """Dispatch one phase-linking estimator.

    Parameters
    ----------
    gamma : ndarray, shape (N, N), complex128
    method : int
        ``CODE_EVD``, ``CODE_EMI``, ``CODE_PTA`` or ``CODE_STBAS``.
    beta0 : float
        Initial ``|Γ|`` shrinkage for EMI/PTA/StBAS.
    lag : int
        StBAS band width (entries with ``|i - j| < lag`` kept).
    x : ndarray, shape (N,), complex128
        Output phasors referenced to date 0.

    Returns
    -------
    int
        Estimator code actually used (``CODE_EMI_FALLBACK_EVD`` on fallback).
    """
    if method == CODE_EVD:
        evd_vector(gamma, x)
        return CODE_EVD
    if method == CODE_STBAS:
        g = np.empty_like(gamma)
        band_matrix(gamma, lag, g)
        ok = emi_vector(g, beta0, x, True)
        return CODE_STBAS if ok else CODE_EMI_FALLBACK_EVD
    ok = emi_vector(gamma, beta0, x, method == CODE_PTA)
    if not ok:
        return CODE_EMI_FALLBACK_EVD
    return method


@njit(cache=True, parallel=True)
def _estimate_batch(gamma: np.ndarray, method: int, beta0: float, lag: int):
    p, n = gamma.shape[0], gamma.shape[1]
    out = np.empty((p, n), dtype=np.complex128)
    codes = np.empty(p, dtype=np.uint8)
    for k in prange(p):
        x = np.empty(n, dtype=np.complex128)
        codes[k] = estimate_vector(gamma[k], method, beta0, lag, x)
        out[k] = x
    return out, codes


def estimate_phases(
    gamma: np.ndarray, method: str = "EMI", beta: float = 0.0, lag: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """Batched full-stack phase linking.

    Parameters
    ----------
    gamma : ndarray, shape (..., N, N), complex
        Coherence matrices (Hermitian, unit diagonal).
    method : {"EVD", "EMI", "PTA", "StBAS"}
    beta : float
        Initial shrinkage of ``|Γ|`` towards the identity for EMI/PTA/StBAS.
    lag : int
        StBAS band: entries ``|i - j| < lag`` are kept.

    Returns
    -------
    phasors : ndarray, shape (..., N), complex128
        Unit-modulus phasors referenced to date 0 (``angle`` gives radians).
    codes : ndarray, shape (...), uint8
        Estimator code used per matrix (see :data:`ESTIMATOR_CODES`).
    """
    if method not in BASE_METHODS:
        raise ValueError(f"unknown method {method!r}; allowed: {sorted(BASE_METHODS)}")
    g = np.ascontiguousarray(gamma, dtype=np.complex128)
    batch = g.shape[:-2]
    n = g.shape[-1]
    flat = g.reshape(-1, n, n)
    out, codes = _estimate_batch(flat, BASE_METHODS[method], float(beta), int(lag))
    return out.reshape(*batch, n), codes.reshape(batch)
