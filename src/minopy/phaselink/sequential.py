"""Sequential phase linking with mini-stacks and compressed SLCs (Ansari et al. 2017).

The N dates are cut into ``K = max(1, N // S)`` non-overlapping mini-stacks of ``S`` dates; the
last one takes the remainder (``S .. 2S-1`` dates). With ``N < 2S`` there is a single mini-stack
and the result equals the full-stack base estimator (average coherence = full coherence).

Mini-stack ``k`` is phase linked together with the ``k`` earlier compressed images prepended:
rows ``[C_0 .. C_{k-1}, z_{kS} .. z_{end}]``. The base estimator references its output to row 0,
i.e. to date 0 for ``k = 0`` and to ``C_0`` for ``k > 0``. ``C_0`` is compressed with date-0
referenced phasors, so it carries the phase of date 0, and by induction every mini-stack comes out
in the date-0 frame (compressing without such a common reference yields a useless compressed
image, dolphin issue #50). The compressed image of mini-stack ``k`` is the projection of its new
samples on their unit-modulus estimate ``u`` normalised by ``sqrt(n_k)``:
``C_k[l] = Σ_t z_t[l] conj(u_t) / sqrt(n_k)``.

Datum connection: EMI on the coherence matrix of ``C_0 .. C_{K-1}`` gives the residual phase
offset ``Δ_k`` of each compressed image relative to ``C_0``; the dates of mini-stack ``k`` are
multiplied by ``exp(iΔ_k)``. The average temporal coherence is the mean of the mini-stack
coherences (each computed on its mini-stack matrix, compressed rows included).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._linalg import FASTMATH
from .covariance import covariance_planar, covariance_to_coherence, cross_product
from .estimators import (
    CODE_EMI,
    CODE_EMI_FALLBACK_EVD,
    CODE_EVD,
    CODE_PTA,
    estimate_vector,
)
from .quality import temporal_coherence_vector

SEQUENTIAL_METHODS: dict[str, int] = {
    "sequential_EVD": CODE_EVD,
    "sequential_EMI": CODE_EMI,
    "sequential_PTA": CODE_PTA,
}


@njit(cache=True)
def ministack_bounds(num_dates: int, size: int) -> np.ndarray:
    """Start indices of the mini-stacks plus ``num_dates`` at the end.

    Parameters
    ----------
    num_dates : int
        N.
    size : int
        Mini-stack size S (>= 1).

    Returns
    -------
    ndarray, shape (K + 1,), int64
        ``[0, S, 2S, ..., (K-1)S, N]`` with ``K = max(1, N // S)``.
    """
    k = max(1, num_dates // size)
    b = np.empty(k + 1, dtype=np.int64)
    for i in range(k):
        b[i] = i * size
    b[k] = num_dates
    return b


@njit(cache=True, fastmath=FASTMATH)
def sequential_vector(
    zr: np.ndarray,
    zi: np.ndarray,
    n: int,
    gamma_full: np.ndarray,
    cdiag: np.ndarray,
    size: int,
    base: int,
    beta0: float,
    x: np.ndarray,
) -> tuple[float, int]:
    """Sequential phase linking of one pixel.

    Parameters
    ----------
    zr, zi : ndarray, shape (N, L_max), float32
        Planar samples; columns ``0..n-1`` used.
    n : int
        Number of samples.
    gamma_full : ndarray, shape (N, N), complex128
        Full-stack coherence of the samples (its diagonal blocks are reused).
    cdiag : ndarray, shape (N,), float64
        Sample powers ``C_tt``.
    size : int
        Mini-stack size S.
    base : int
        Base estimator code (EVD, EMI or PTA).
    beta0 : float
        Initial ``|Γ|`` shrinkage for EMI/PTA and the datum connection.
    x : ndarray, shape (N,), complex128
        Output phasors referenced to date 0.

    Returns
    -------
    avg_coherence : float
        Mean of the mini-stack temporal coherences.
    code : int
        ``base``, or ``CODE_EMI_FALLBACK_EVD`` if any mini-stack or the datum connection fell
        back to EVD.
    """
    nd = zr.shape[0]
    bounds = ministack_bounds(nd, size)
    nms = bounds.shape[0] - 1
    lmax = zr.shape[1]
    czr = np.empty((nms, lmax), dtype=np.float32)
    czi = np.empty((nms, lmax), dtype=np.float32)
    cpow = np.empty(nms)
    code = base
    coh_sum = 0.0
    inv_n = 1.0 / n
    for k in range(nms):
        s = bounds[k]
        e = bounds[k + 1]
        nk = e - s
        m = k + nk
        g = np.empty((m, m), dtype=np.complex128)
        for a in range(k):
            for b in range(a + 1):
                den = np.sqrt(cpow[a] * cpow[b])
                v = cross_product(czr, czi, a, czr, czi, b, n) * inv_n
                v = v / den if den > 0.0 else 0j
                g[a, b] = v
                g[b, a] = np.conj(v)
            g[a, a] = 1.0
            for t in range(nk):
                den = np.sqrt(cpow[a] * cdiag[s + t])
                v = cross_product(czr, czi, a, zr, zi, s + t, n) * inv_n
                v = v / den if den > 0.0 else 0j
                g[a, k + t] = v
                g[k + t, a] = np.conj(v)
        for t1 in range(nk):
            for t2 in range(nk):
                g[k + t1, k + t2] = gamma_full[s + t1, s + t2]
        xk = np.empty(m, dtype=np.complex128)
        used = estimate_vector(g, base, beta0, np.int64(0), xk)
        if used == CODE_EMI_FALLBACK_EVD:
            code = CODE_EMI_FALLBACK_EVD
        coh_sum += temporal_coherence_vector(g, xk, np.int64(0))
        # compress the new dates with their estimated (date-0 frame) phasors
        scale = 1.0 / np.sqrt(nk)
        for t in range(nk):
            x[s + t] = xk[k + t]
        for li in range(n):
            sr = 0.0
            si = 0.0
            for t in range(nk):
                ur = xk[k + t].real
                ui = xk[k + t].imag
                ar = zr[s + t, li]
                ai = zi[s + t, li]
                sr += ar * ur + ai * ui
                si += ai * ur - ar * ui
            czr[k, li] = sr * scale
            czi[k, li] = si * scale
        p = 0.0
        for li in range(n):
            p += czr[k, li] * czr[k, li] + czi[k, li] * czi[k, li]
        cpow[k] = p * inv_n
    if nms > 1:
        gd = np.empty((nms, nms), dtype=np.complex128)
        covariance_planar(czr, czi, n, gd)
        covariance_to_coherence(gd, gd)
        xd = np.empty(nms, dtype=np.complex128)
        used = estimate_vector(gd, np.int64(CODE_EMI), beta0, np.int64(0), xd)
        if used == CODE_EMI_FALLBACK_EVD:
            code = CODE_EMI_FALLBACK_EVD
        for k in range(1, nms):
            for t in range(bounds[k], bounds[k + 1]):
                x[t] = x[t] * xd[k]
    return coh_sum / nms, code


@njit(cache=True, parallel=True)
def _sequential_batch(zr, zi, size, base, beta0):
    p, nd, nl = zr.shape
    out = np.empty((p, nd), dtype=np.complex128)
    avg = np.empty(p)
    codes = np.empty(p, dtype=np.uint8)
    for k in prange(p):
        cov = np.empty((nd, nd), dtype=np.complex128)
        covariance_planar(zr[k], zi[k], nl, cov)
        cdiag = np.empty(nd)
        for t in range(nd):
            cdiag[t] = cov[t, t].real
        covariance_to_coherence(cov, cov)
        x = np.empty(nd, dtype=np.complex128)
        a, c = sequential_vector(zr[k], zi[k], nl, cov, cdiag, size, base, beta0, x)
        out[k] = x
        avg[k] = a
        codes[k] = c
    return out, avg, codes


def sequential_phase_linking(
    samples: np.ndarray, method: str = "sequential_EMI", ministack_size: int = 10, beta: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batched sequential phase linking of complex samples.

    Parameters
    ----------
    samples : ndarray, shape (..., N, L), complex
        ``L`` SHP samples of ``N`` dates per pixel (finite).
    method : {"sequential_EVD", "sequential_EMI", "sequential_PTA"}
    ministack_size : int
        Mini-stack size S (2 <= S <= N).
    beta : float
        Initial shrinkage of ``|Γ|`` towards the identity.

    Returns
    -------
    phasors : ndarray, shape (..., N), complex128
        Unit-modulus phasors referenced to date 0.
    avg_coherence : ndarray, shape (...), float64
        Mean mini-stack temporal coherence.
    codes : ndarray, shape (...), uint8
        Estimator codes.
    """
    if method not in SEQUENTIAL_METHODS:
        raise ValueError(f"unknown method {method!r}; allowed: {sorted(SEQUENTIAL_METHODS)}")
    z = np.asarray(samples)
    nd, nl = z.shape[-2:]
    if not 2 <= ministack_size <= nd:
        raise ValueError(f"ministack_size={ministack_size} must be in [2, N={nd}]")
    batch = z.shape[:-2]
    flat = z.reshape(-1, nd, nl)
    zr = np.ascontiguousarray(flat.real, dtype=np.float32)
    zi = np.ascontiguousarray(flat.imag, dtype=np.float32)
    x, avg, codes = _sequential_batch(
        zr, zi, int(ministack_size), SEQUENTIAL_METHODS[method], float(beta)
    )
    return x.reshape(*batch, nd), avg.reshape(batch), codes.reshape(batch)
