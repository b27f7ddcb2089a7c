"""Quality measures: the temporal coherence of a phase-linking solution (MiNoPy ``gam_pta``), and
the phase similarity of a pixel with its neighbours (for pixels with too few SHPs).

γ = (2 / (N² − N)) · Re Σ_{i<k} exp(i(∠Γ_ik − (θ_i − θ_k))), clipped at 0.

With a band limit ``lag > 0`` (StBAS) only the pairs with ``k − i < lag`` enter and the sum is
normalised by their number. A zero entry of ``Γ`` counts with phase 0.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._linalg import FASTMATH, cabs


@njit(cache=True, fastmath=FASTMATH)
def temporal_coherence_vector(gamma: np.ndarray, x: np.ndarray, lag: int | np.integer) -> float:
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


#: Expected maximum squared phase similarity of a pixel with 8 independent noise neighbours, in
#: units of 1/N: ``E[max of 8 Exp(1)] = H_8`` (the harmonic number), since ``N |mean_t e^{iφ_t}|²``
#: of N random phases is about Exp(1).
_H8 = 2.717857142857143


@njit(cache=True, fastmath=FASTMATH)
def neighbour_similarity(re: np.ndarray, im: np.ndarray, valid: np.ndarray, r: int,
                         c: int) -> float:
    """Debiased maximum phase similarity of pixel ``(r, c)`` with its 8 neighbours.

    The phase similarity of two pixels is ``|Σ_t u_p,t conj(u_q,t)| / N`` for their unit phasors
    ``u = z / |z|`` (Wang & Chen 2022, the "max_sim" of psps): near 1 when the two share a stable
    phase history, about ``1/√N`` for noise. The maximum over the valid neighbours is debiased
    like the temporal coherence, ``(m − b) / (1 − b)`` with ``b = √(H_8 / N)`` the noise level of
    the maximum of 8, and clipped at 0.

    Parameters
    ----------
    re, im : ndarray, shape (H, W, N), float32
        Pixel-major planar block.
    valid : ndarray, shape (H, W), bool
    r, c : int
        The pixel.

    Returns
    -------
    float
        In [0, 1].
    """
    height, width, nd = re.shape
    best = 0.0
    for dr in range(-1, 2):
        for dc in range(-1, 2):
            rr = r + dr
            cc = c + dc
            if (dr == 0 and dc == 0) or rr < 0 or rr >= height or cc < 0 or cc >= width:
                continue
            if not valid[rr, cc]:
                continue
            sr = 0.0
            si = 0.0
            for t in range(nd):
                ar = re[r, c, t]
                ai = im[r, c, t]
                br = re[rr, cc, t]
                bi = im[rr, cc, t]
                na = np.sqrt(ar * ar + ai * ai)
                nb = np.sqrt(br * br + bi * bi)
                if na > 0.0 and nb > 0.0:
                    inv = 1.0 / (na * nb)
                    sr += (ar * br + ai * bi) * inv
                    si += (ai * br - ar * bi) * inv
            sim = np.sqrt(sr * sr + si * si) / nd
            if sim > best:
                best = sim
    b = np.sqrt(_H8 / nd)
    if b >= 1.0:
        return 0.0
    q = (best - b) / (1.0 - b)
    return q if q > 0.0 else 0.0
