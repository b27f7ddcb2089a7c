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
CODE_FEW_SHP = 7

ESTIMATOR_CODES: dict[int, str] = {
    CODE_MASKED: "masked/no-data (not phase linked)",
    CODE_EVD: "EVD",
    CODE_EMI: "EMI",
    CODE_PTA: "PTA",
    CODE_STBAS: "StBAS",
    CODE_PS: "PS (own phase kept)",
    CODE_EMI_FALLBACK_EVD: "EMI/PTA/StBAS fell back to EVD (|Γ| not positive definite)",
    CODE_FEW_SHP: "fewer SHPs than minNumShp: EVD of the small sample, neighbour phase similarity",
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
INVERSE_MAX_ITER = 100
SHIFT_TAU = 0.02  # first relative shift distance from the Rayleigh quotient
SHIFT_TRIES = 3
EMI_SHIFTS = (0.99, 0.9, 0.5, 0.0)  # first shifts tried for M - mu I (λ_min(M) ≈ 1)
EMI_RESHIFT = (0.9, 0.5)  # re-shift fractions of the way to the upper bound of λ_min
EMI_SLOW = 0.3  # re-shift when the vector change contracts by less than this per solve
EMI_MAX_FACTORS = 3  # Cholesky factorisations of M - mu I per iteration run, in all
EMI_MAX_SOLVES = 16
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
    if pl.power_iteration(gr, gi, xr, xi, yr, yi, np.int64(POWER_PLAIN_ITER), EIG_TOL):
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
    pl.power_iteration(gr, gi, xr, xi, yr, yi, np.int64(POWER_MAX_ITER), EIG_TOL)


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
    beta: float,
    absg: np.ndarray,
    ainv: np.ndarray,
    work: np.ndarray,
    mr: np.ndarray,
    mi: np.ndarray,
) -> bool:
    """Build ``M = |Γ_β|^{-1} ∘ Γ`` (planar) for one shrinkage ``β``.

    Parameters
    ----------
    gamma : ndarray, shape (N, N), complex128
    beta : float
        Shrinkage of ``|Γ|`` towards the identity, ``(1 - β)|Γ| + βI``.
    absg : ndarray, shape (N, N), float64
        ``|Γ|`` (input).
    ainv : ndarray, shape (N, N), float64
        Receives ``|Γ_β|^{-1}``.
    work : ndarray, shape (N, N), float64
        Workspace (receives the Cholesky factor of ``|Γ_β|``).
    mr, mi : ndarray, shape (N, N), float64
        Output ``M``.

    Returns
    -------
    bool
        False when ``|Γ_β|`` is not (numerically) positive definite.
    """
    n = gamma.shape[0]
    for i in range(n):
        for j in range(n):
            work[i, j] = (1.0 - beta) * absg[i, j]
        work[i, i] += beta
    if not cholesky_real(work):
        return False
    spd_inverse_from_cholesky(work, ainv, mr)
    for i in range(n):
        for j in range(n):
            mr[i, j] = ainv[i, j] * gamma[i, j].real
            mi[i, j] = ainv[i, j] * gamma[i, j].imag
    return True


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
def _emi_factor(mr, mi, lr, li, ur, ui) -> float:
    """Cholesky factor of ``M - mu I`` for the first shift of ``EMI_SHIFTS`` that works.

    Returns the shift, or -1 when even ``M`` itself is not (numerically) positive definite.
    """
    for mu in EMI_SHIFTS:
        if pl.shifted_cholesky(mr, mi, 1.0, mu, lr, li, ur, ui):
            return mu
    return -1.0


@njit(cache=True, fastmath=FASTMATH)
def smallest_eigvec(mr, mi, mu, lr, li, ur, ui, xr, xi, yr, yi) -> int:
    """Eigenvector of the smallest eigenvalue of Hermitian PD ``M`` by shifted inverse iteration.

    ``(lr, li)`` / ``(ur, ui)`` hold the Cholesky factor of ``M - mu I`` (``mu < λ_min``) and
    ``x`` the start vector. Each solve ``y = (M - mu I)^{-1} x`` also gives the upper bound
    ``mu + 1/(x^H y) >= λ_min``; when the contraction per step is slow the shift is moved
    towards that bound (a failed Cholesky proves the new shift too high and it is backed off),
    at most ``EMI_MAX_FACTORS`` factorisations and ``EMI_MAX_SOLVES`` solves in all (incoherent
    pixels, whose small eigenvalues are clustered, hit the cap; their phases are noise anyway).

    Returns the number of solves (negative if the tolerance was not reached).
    """
    n = mr.shape[0]
    pl.normalize(xr, xi)
    factors = 1
    at_shift = 0
    d_prev = 0.0
    for it in range(EMI_MAX_SOLVES):
        for i in range(n):
            yr[i] = xr[i]
            yi[i] = xi[i]
        pl.solve(lr, li, ur, ui, yr, yi)
        theta = 0.0
        for i in range(n):
            theta += xr[i] * yr[i] + xi[i] * yi[i]
        nrm = pl.normalize(yr, yi)
        d = pl._update(xr, xi, yr, yi)
        at_shift += 1
        if d < EIG_TOL:
            return it + 1
        if (
            at_shift >= 2
            and factors < EMI_MAX_FACTORS
            and d > EMI_SLOW * EMI_SLOW * d_prev
            and theta > 0.0
            and nrm > 0.0
        ):
            # slow contraction: move the shift towards the upper bound of λ_min
            bound = mu + 1.0 / theta
            moved = False
            for frac in EMI_RESHIFT:
                factors += 1
                mu_new = mu + frac * (bound - mu)
                if pl.shifted_cholesky(mr, mi, 1.0, mu_new, lr, li, ur, ui):
                    mu = mu_new
                    moved = True
                    break
                if factors >= EMI_MAX_FACTORS:
                    break
            if not moved:
                factors += 1
                pl.shifted_cholesky(mr, mi, 1.0, mu, lr, li, ur, ui)
                factors = EMI_MAX_FACTORS  # no further attempts
            at_shift = 0
        d_prev = d
    return -EMI_MAX_SOLVES


@njit(cache=True, fastmath=FASTMATH)
def emi_solve(
    gamma: np.ndarray, beta0: float, x: np.ndarray, refine_pta: bool | np.bool_,
    ainv: np.ndarray
) -> float:
    """EMI (optionally followed by PTA refinement) phase linking, exposing ``|Γ_β|^{-1}``.

    Parameters
    ----------
    gamma : ndarray, shape (N, N), complex128
    beta0 : float
        Initial shrinkage of ``|Γ|`` towards the identity; raised (0.002, 0.004, ... up to
        ``MAX_BETA``) until ``|Γ_β|`` and ``M`` are positive definite.
    x : ndarray, shape (N,), complex128
        Output unit-modulus phasors referenced to date 0.
    refine_pta : bool
        Run the PTA coordinate descent from the EMI solution.
    ainv : ndarray, shape (N, N), float64
        Receives ``|Γ_β|^{-1}`` for the ``β`` used (undefined on fallback).

    Returns
    -------
    float
        The ``β`` used, or -1 when the pixel fell back to EVD.
    """
    n = gamma.shape[0]
    absg = np.empty((n, n))
    mr = np.empty((n, n))
    mi = np.empty((n, n))
    lr = np.empty((n, n))
    li = np.empty((n, n))
    ur = np.empty((n, n))
    ui = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            absg[i, j] = cabs(gamma[i, j])
    beta = beta0
    mu = -1.0
    while True:
        if emi_matrix(gamma, beta, absg, ainv, lr, mr, mi):
            mu = _emi_factor(mr, mi, lr, li, ur, ui)
            if mu >= 0.0:
                break
        if beta >= MAX_BETA:
            evd_vector(gamma, x)
            return -1.0
        beta = min(2.0 * max(beta, 1e-3), MAX_BETA)
    start_vector(gamma, x)
    xr = x.real.copy()
    xi = x.imag.copy()
    yr = np.empty(n)
    yi = np.empty(n)
    smallest_eigvec(mr, mi, mu, lr, li, ur, ui, xr, xi, yr, yi)
    if refine_pta:
        _to_complex(xr, xi, x)
        reference_unit(x)
        for i in range(n):
            xr[i] = x[i].real
            xi[i] = x[i].imag
        pta_refine(mr, mi, xr, xi)
    _to_complex(xr, xi, x)
    reference_unit(x)
    return beta


@njit(cache=True, fastmath=FASTMATH)
def band_matrix(gamma: np.ndarray, lag: int | np.integer, out: np.ndarray) -> None:
    """Copy of ``Γ`` with entries ``|i - j| >= lag`` set to zero."""
    n = gamma.shape[0]
    for i in range(n):
        for j in range(n):
            out[i, j] = gamma[i, j] if abs(i - j) < lag else 0j


@njit(cache=True, fastmath=FASTMATH)
def estimate_vector_inv(
    gamma: np.ndarray, method: int | np.integer, beta0: float, lag: int | np.integer,
    x: np.ndarray, ainv: np.ndarray
) -> tuple[int, bool]:
    """:func:`estimate_vector` that also returns ``|Γ|^{-1}`` when it was computed.

    Returns
    -------
    code : int
        Estimator code actually used.
    have_inverse : bool
        True when ``ainv`` holds ``|Γ|^{-1}`` of the unshrunk ``|Γ|`` (EMI/PTA with ``β = 0``).
    """
    if method == CODE_EVD:
        evd_vector(gamma, x)
        return CODE_EVD, False
    if method == CODE_STBAS:
        g = np.empty_like(gamma)
        band_matrix(gamma, lag, g)
        beta = emi_solve(g, beta0, x, np.bool_(True), ainv)
        return (CODE_STBAS if beta >= 0.0 else CODE_EMI_FALLBACK_EVD), False
    beta = emi_solve(gamma, beta0, x, method == CODE_PTA, ainv)
    if beta < 0.0:
        return CODE_EMI_FALLBACK_EVD, False
    return int(method), beta == 0.0


@njit(cache=True, fastmath=FASTMATH)
def estimate_vector(gamma: np.ndarray, method: int | np.integer, beta0: float,
                    lag: int | np.integer, x: np.ndarray) -> int:
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
    n = gamma.shape[0]
    ainv = np.empty((n, n))
    code, _ = estimate_vector_inv(gamma, method, beta0, lag, x, ainv)
    return code


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
