"""Covariance consistency of an SHP set: drop the samples that the set's own covariance does not
explain.

Amplitude tests compare pixels two by two, and where the dates are strongly correlated (coherent
areas, N_eff of a few) two pixels' amplitudes carry little evidence: a 2x power step or a different
phase history next door is accepted. The set as a whole carries much more: its sample coherence
``Γ̂`` (N x N). For a sample ``z`` of the set's population, normalised per date by the set's power
(``y_t = z_t / sqrt(C_tt)``), the whitened power ``w = y^H Γ̂^{-1} y / N`` is close to 1 with the
spread of a Gamma variable of shape N: whitening turns N correlated dates into N independent
ones. A sample from a brighter or darker population, or from one with another phase history
(energy in directions where ``Γ̂`` has little), falls outside the two-sided ``α`` interval and is
dropped; the SHP set then becomes the centre's 8-connected component among the kept samples.

To bound the cost (and because ``Γ̂`` from a few hundred samples is poorly conditioned in many
dimensions), ``Γ̂`` is used block-diagonally, in date blocks of at most :data:`BLOCK` dates, each
shrunk as ``(1 − ε) Γ̂_bb + ε I``; ``w`` then sums the blocks' whitened powers, and its shape
parameter ``k_w = N² / (N + Σ_{b≠b'} ||L_b^{-1} Γ̂_bb' L_b'^{-H}||_F²)`` accounts for the
correlation left between blocks (the variance of a sum of quadratic forms of one Gaussian
vector). The samples were used to estimate ``Γ̂``, which makes ``w`` slightly less spread than
Gamma: the test is, if anything, conservative.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit
from scipy import stats

from ._linalg import FASTMATH

#: Largest date block whitened at once.
BLOCK = 15
#: Shrinkage of each block of the coherence matrix towards the identity.
SHRINK = 0.02
#: Grid of ``ln k`` of the interval table.
_LOG_K = np.linspace(0.0, math.log(1e4), 97)


@functools.lru_cache(maxsize=16)
def interval_table(alpha: float) -> np.ndarray:
    """Two-sided ``α`` interval of ``Gamma(k) / k`` on the ``_LOG_K`` grid, shape (2, len)."""
    k = np.exp(_LOG_K)
    return np.stack([stats.gamma.ppf(alpha / 2, k) / k, stats.gamma.isf(alpha / 2, k) / k])


def num_blocks(num_dates: int) -> int:
    """Number of date blocks (sizes as equal as possible, each at most :data:`BLOCK`)."""
    return max(1, -(-num_dates // BLOCK))


@njit(cache=True, fastmath=FASTMATH)
def _block_cholesky(gamma, b0, b1, lr, li) -> bool:
    """Lower Cholesky factor of ``(1 - ε) Γ[b0:b1, b0:b1] + ε I`` into ``lr, li``."""
    m = b1 - b0
    for i in range(m):
        for j in range(i + 1):
            g = gamma[b0 + i, b0 + j]
            lr[i, j] = (1.0 - SHRINK) * g.real + (SHRINK if i == j else 0.0)
            li[i, j] = (1.0 - SHRINK) * g.imag if i != j else 0.0
    for j in range(m):
        d = lr[j, j]
        for k in range(j):
            d -= lr[j, k] * lr[j, k] + li[j, k] * li[j, k]
        if not d > 1e-12:
            return False
        d = math.sqrt(d)
        lr[j, j] = d
        li[j, j] = 0.0
        inv = 1.0 / d
        for i in range(j + 1, m):
            sr = lr[i, j]
            si = li[i, j]
            for k in range(j):  # L_ik conj(L_jk)
                sr -= lr[i, k] * lr[j, k] + li[i, k] * li[j, k]
                si -= li[i, k] * lr[j, k] - lr[i, k] * li[j, k]
            lr[i, j] = sr * inv
            li[i, j] = si * inv
    return True


@njit(cache=True, fastmath=FASTMATH)
def _forward(lr, li, m, yr, yi, ncol) -> None:
    """In place ``Y <- L^{-1} Y`` for the first ``ncol`` columns of ``yr, yi`` (m rows)."""
    for i in range(m):
        inv = 1.0 / lr[i, i]
        for k in range(i):
            a = lr[i, k]
            b = li[i, k]
            for col in range(ncol):
                xr = yr[k, col]
                xi = yi[k, col]
                yr[i, col] -= a * xr - b * xi
                yi[i, col] -= a * xi + b * xr
        for col in range(ncol):
            yr[i, col] *= inv
            yi[i, col] *= inv


@njit(cache=True, fastmath=FASTMATH)
def whitened_power(zr, zi, n, gamma, cdiag, nblocks, w, lrs, lis, yr, yi) -> float:
    """Whitened power ``w`` of each of the ``n`` samples, and its shape ``k_w``.

    Parameters
    ----------
    zr, zi : ndarray, shape (N, L_max), float32
        Samples (columns ``0..n-1``).
    n : int
    gamma : ndarray, shape (N, N), complex128
        Their sample coherence.
    cdiag : ndarray, shape (N,)
        Their sample power per date.
    nblocks : int
        :func:`num_blocks` of N.
    w : ndarray, shape (L_max,)
        Output (first ``n``).
    lrs, lis : ndarray, shape (nblocks, B, B)
        Workspace for the block factors (``B >= ceil(N / nblocks)``).
    yr, yi : ndarray, shape (B, L_max)
        Workspace.

    Returns
    -------
    float
        ``k_w``, or 0 when a block is not positive definite (then ``w`` is undefined).
    """
    nd = zr.shape[0]
    for col in range(n):
        w[col] = 0.0
    bnd = np.empty(nblocks + 1, dtype=np.int64)
    for b in range(nblocks + 1):
        bnd[b] = (b * nd) // nblocks
    for b in range(nblocks):
        b0 = bnd[b]
        m = bnd[b + 1] - b0
        if not _block_cholesky(gamma, b0, bnd[b + 1], lrs[b], lis[b]):
            return 0.0
        for t in range(m):
            sc = 1.0 / math.sqrt(cdiag[b0 + t]) if cdiag[b0 + t] > 0.0 else 0.0
            for col in range(n):
                yr[t, col] = zr[b0 + t, col] * sc
                yi[t, col] = zi[b0 + t, col] * sc
        _forward(lrs[b], lis[b], m, yr, yi, n)
        for t in range(m):
            for col in range(n):
                w[col] += yr[t, col] * yr[t, col] + yi[t, col] * yi[t, col]
    cross = 0.0
    for b in range(nblocks):
        b0, m = bnd[b], bnd[b + 1] - bnd[b]
        for c in range(b + 1, nblocks):
            c0, mc = bnd[c], bnd[c + 1] - bnd[c]
            # M = L_b^{-1} Γ_bc (m x mc), then X^H = L_c^{-1} M^H; ||X||_F² = ||X^H||_F²
            for t in range(m):
                for u in range(mc):
                    g = gamma[b0 + t, c0 + u] * (1.0 - SHRINK)
                    yr[t, u] = g.real
                    yi[t, u] = g.imag
            _forward(lrs[b], lis[b], m, yr, yi, mc)
            mh_r = np.empty((mc, m))
            mh_i = np.empty((mc, m))
            for t in range(m):
                for u in range(mc):
                    mh_r[u, t] = yr[t, u]
                    mh_i[u, t] = -yi[t, u]
            _forward(lrs[c], lis[c], mc, mh_r, mh_i, m)
            for u in range(mc):
                for t in range(m):
                    cross += 2.0 * (mh_r[u, t] * mh_r[u, t] + mh_i[u, t] * mh_i[u, t])
    for col in range(n):
        w[col] /= nd
    return nd * nd / (nd + cross)


@njit(cache=True)
def interval_at(k: float, table: np.ndarray) -> tuple[float, float]:
    """The ``(lo, hi)`` interval of ``Gamma(k)/k`` interpolated in ``ln k``."""
    step = _LOG_K[1] - _LOG_K[0]
    x = math.log(k) / step if k > 1.0 else 0.0
    i = int(x)
    last = table.shape[1] - 1
    if i >= last:
        return table[0, last], table[1, last]
    f = x - i
    return ((1.0 - f) * table[0, i] + f * table[0, i + 1],
            (1.0 - f) * table[1, i] + f * table[1, i + 1])


@njit(cache=True)
def prune_mask(mask, w, lo, hi, ha, hr, similar) -> None:
    """``similar`` = ``mask`` without the samples (in window row-major order) whose ``w`` is
    outside ``[lo, hi]``; the centre stays."""
    col = 0
    for a in range(mask.shape[0]):
        for b in range(mask.shape[1]):
            similar[a, b] = False
            if mask[a, b]:
                similar[a, b] = lo <= w[col] <= hi
                col += 1
    similar[ha, hr] = True
