"""Covariance consistency of an SHP set: drop the samples that the set's own coherence does not
explain.

Amplitude tests compare pixels two by two, and where the dates are strongly correlated (coherent
areas, N_eff of a few) two pixels' amplitudes carry little evidence: a 2x power step or a different
phase history next door is accepted. The set as a whole carries much more: its sample coherence
``Γ̂`` (N x N). For a sample ``z`` of the set's population, normalised per date by the set's power
(``y_t = z_t / sqrt(C_tt)``), the whitened power ``w = y^H Γ̂^{-1} y / N`` is close to 1 with the
spread of a Gamma variable of shape about N: whitening turns N correlated dates into N independent
ones. A sample from a brighter or darker population, or from one with another phase history
(energy in directions where ``Γ̂`` has little), falls outside the two-sided ``α`` interval and is
dropped; the SHP set then becomes the centre's 8-connected component among the kept samples.

- Each sample's own share of ``Γ̂`` pulls its ``w`` down; ``w`` is therefore taken
  leave-one-out, ``d (1 − ω) / (1 − ω d)`` per block for a sample of share ``ω = 1/n`` and
  in-sample whitened power ``d`` (Sherman–Morrison).
- It runs only where the SHP set shows that it may mix populations: where the variance of the
  members' log mean power exceeds :data:`GATE` times its null value ``κ s CV²``
  (:func:`minopy.phaselink.shp_tests.log_power_variance`; a chi-square dispersion test). In the
  interior of homogeneous areas, most of an image, it costs nothing; at power edges it runs.
- The pruned set is used only when it keeps at least :data:`MIN_KEPT` of the original: the test
  is meant to remove a minority (the other side of an edge, a bright point); a centre at odds
  with most of its set keeps the amplitude-selected set.
- It is used block-diagonally, in date blocks of at most :data:`BLOCK` dates, each shrunk as
  ``(1 − ε) Γ̂_bb + ε I``: this bounds the cost and the conditioning (a few dozen effective
  samples in many dimensions); ``w`` sums the blocks.
- The interval is taken on ``ln w``: centred on the set's median, half-width ``z_{α/2} σ`` with
  ``σ`` the larger of the Gamma value ``sqrt(ψ'(N))`` (a lower bound: correlation left between
  blocks widens it) and a robust one-sided estimate from the set itself,
  ``min(med − q25, q75 − med) / 0.6745``. For single-look Gaussian speckle they are close; for
  multilooked stacks (amplitudes and phases of multilooked interferograms, not Gaussian) ``w`` is
  more spread and the robust value takes over. The smaller of the two quartile distances keeps
  the scale from inflating when the set is contaminated from one side (a brighter or darker
  population).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit
from scipy import special, stats

from ._linalg import FASTMATH
from .centres import centre_grid
from .shp_tests import log_power_variance
from .window_stats import WindowStats, window_mean

#: Largest date block whitened at once.
BLOCK = 15
#: Shrinkage of each block of the coherence matrix towards the identity.
SHRINK = 0.02
#: Run the test when the SHPs' log-power variance exceeds this many times its null value.
GATE = 1.25
#: The pruned set replaces the original only if it keeps at least this share of it: the test
#: removes a minority; a centre that disagrees with most of its set keeps the set.
MIN_KEPT = 0.5
#: Grid of ``ln k`` of the interval table.
_LOG_K = np.linspace(0.0, math.log(1e4), 97)


@functools.lru_cache(maxsize=16)
def interval_table(alpha: float) -> np.ndarray:
    """``[z_{α/2}, sqrt(ψ'(k)) on the _LOG_K grid...]``: the normal quantile and the standard
    deviation of ``ln Gamma(k)``, shape (1 + len(_LOG_K),)."""
    k = np.exp(_LOG_K)
    return np.concatenate([[stats.norm.isf(alpha / 2)], np.sqrt(special.polygamma(1, k))])


def num_blocks(num_dates: int) -> int:
    """Number of date blocks (sizes as equal as possible, each at most :data:`BLOCK`)."""
    return max(1, -(-num_dates // BLOCK))


@njit(cache=True, fastmath=FASTMATH)
def _block_coherence_cholesky(zr, zi, n, weights, b0, m, power, lr, li) -> bool:
    """Weighted sample coherence of dates ``b0..b0+m-1``, shrunk, and its lower Cholesky factor.

    ``power[t]`` receives the weighted sample power of date ``b0 + t``; ``lr, li`` the factor of
    ``(1 - ε) Γ_bb + ε I``.
    """
    wsum = 0.0
    for col in range(n):
        wsum += weights[col]
    for i in range(m):
        ti = b0 + i
        for j in range(i + 1):
            tj = b0 + j
            sr = 0.0
            si = 0.0
            for col in range(n):
                wgt = weights[col]
                xr = zr[ti, col]
                xi = zi[ti, col]
                yr = zr[tj, col]
                yi = zi[tj, col]
                sr += wgt * (xr * yr + xi * yi)
                si += wgt * (xi * yr - xr * yi)
            lr[i, j] = sr / wsum
            li[i, j] = si / wsum
        power[i] = lr[i, i]
    for i in range(m):
        if not power[i] > 0.0:
            return False
    for i in range(m):
        for j in range(i):
            den = math.sqrt(power[i] * power[j])
            lr[i, j] = (1.0 - SHRINK) * lr[i, j] / den
            li[i, j] = (1.0 - SHRINK) * li[i, j] / den
        lr[i, i] = 1.0
        li[i, i] = 0.0
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
def whitened_power(zr, zi, n, weights, nblocks, w, lr, li, power, yr, yi) -> bool:
    """Whitened power ``w`` (leave-one-out) of each of the ``n`` samples under the set's
    (weighted) coherence.

    Parameters
    ----------
    zr, zi : ndarray, shape (N, L_max), float32
        Samples (columns ``0..n-1``).
    n : int
    weights : ndarray, shape (L_max,)
        Weight of each sample in the coherence estimate (first ``n``).
    nblocks : int
        :func:`num_blocks` of N.
    w : ndarray, shape (L_max,)
        Output (first ``n``): ``Σ_blocks y_b^H Γ_bb^{-1} y_b / N``.
    lr, li : ndarray, shape (B, B)
        Workspace (``B >= ceil(N / nblocks)``).
    power : ndarray, shape (B,)
        Workspace.
    yr, yi : ndarray, shape (B, L_max)
        Workspace.

    Returns
    -------
    bool
        False when a block is not positive definite (``w`` is then undefined).
    """
    nd = zr.shape[0]
    wsum = 0.0
    for col in range(n):
        w[col] = 0.0
        wsum += weights[col]
    for b in range(nblocks):
        b0 = (b * nd) // nblocks
        m = ((b + 1) * nd) // nblocks - b0
        if not _block_coherence_cholesky(zr, zi, n, weights, b0, m, power, lr, li):
            return False
        for t in range(m):
            sc = 1.0 / math.sqrt(power[t])
            for col in range(n):
                yr[t, col] = zr[b0 + t, col] * sc
                yi[t, col] = zi[b0 + t, col] * sc
        _forward(lr, li, m, yr, yi, n)
        for col in range(n):
            d = 0.0
            for t in range(m):
                d += yr[t, col] * yr[t, col] + yi[t, col] * yi[t, col]
            # leave-one-out (Sherman-Morrison): the sample's own weight in Γ̂ shrinks its d
            om = weights[col] / wsum
            den = 1.0 - om * d
            w[col] += d * (1.0 - om) / den if den > 0.05 else d * (1.0 - om) / 0.05
    for col in range(n):
        w[col] /= nd
    return True


@njit(cache=True)
def log_interval(w: np.ndarray, n: int, k: float, table: np.ndarray,
                 work: np.ndarray) -> tuple[float, float]:
    """The accepted interval ``[lo, hi]`` of ``w`` for a set of ``n`` samples (module docstring);
    ``k`` is the Gamma shape of the lower bound on the spread (N). ``work`` (>= n,) is workspace.
    """
    for col in range(n):
        work[col] = math.log(w[col]) if w[col] > 0.0 else -1e30
    srt = np.sort(work[:n])
    med = srt[n // 2] if n % 2 else 0.5 * (srt[n // 2 - 1] + srt[n // 2])
    q25 = srt[(n - 1) // 4]
    q75 = srt[(3 * (n - 1)) // 4]
    robust = min(med - q25, q75 - med) / 0.6745
    step = _LOG_K[1] - _LOG_K[0]
    x = math.log(k) / step if k > 1.0 else 0.0
    i = int(x)
    last = table.shape[0] - 2
    if i >= last:
        sd = table[1 + last]
    else:
        f = x - i
        sd = (1.0 - f) * table[1 + i] + f * table[2 + i]
    half = table[0] * max(sd, robust)
    return math.exp(med - half), math.exp(med + half)


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


@njit(cache=True)  # cheap per pixel: serial, which compiles much faster
def _null_variance(cv2_sat, count_sat, valid, dep, r0, c0, sa, sr, ha, hr, nd):
    h, w = dep.shape
    out = np.full((h, w), np.inf)
    for i in range(h):
        for j in range(w):
            r = r0 + i * sa
            c = c0 + j * sr
            if valid[r, c]:
                cv2 = window_mean(cv2_sat, count_sat, r, c, ha, hr)
                out[i, j] = log_power_variance(nd, dep[i, j], cv2)
    return out


def log_power_null_variance(stats: WindowStats, valid: np.ndarray, dependence: np.ndarray,
                            core: tuple[int, int, int, int], half_az: int, half_rg: int,
                            num_dates: int, strides: tuple[int, int] = (1, 1)) -> np.ndarray:
    """Null variance of ``ln P̄`` of the core centres (the gate of the test), shape (h, w)
    (centres of :func:`minopy.phaselink.centres.centre_grid` with ``strides``)."""
    g = centre_grid(core, strides)
    return _null_variance(stats.cv2_sat, stats.count_sat, valid, dependence, g.r0, g.c0, g.sa,
                          g.sr, int(half_az), int(half_rg), int(num_dates))


@njit(cache=True)
def mixed_set(mask: np.ndarray, logp: np.ndarray, r: int, c: int, ha: int, hr: int,
              null_var: float) -> bool:
    """Whether the SHPs' ``ln P̄`` vary more than :data:`GATE` times ``null_var``."""
    s1 = 0.0
    s2 = 0.0
    n = 0
    for a in range(mask.shape[0]):
        for b in range(mask.shape[1]):
            if mask[a, b]:
                v = logp[r - ha + a, c - hr + b]
                s1 += v
                s2 += v * v
                n += 1
    if n < 2:
        return False
    var = (s2 - s1 * s1 / n) / (n - 1)
    return var > GATE * null_var
