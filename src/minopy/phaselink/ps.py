"""Persistent-scatterer (PS) tests and the amplitude dispersion.

Two rules (``minopy.inversion.psRule``):

``scr`` (default): signal-to-clutter ratio against the neighbourhood
    A PS is a pixel whose temporal mean power ``P̄`` stands out from the distributed clutter of its
    window: ``ρ = P̄ / g`` with ``g`` the geometric mean of ``P̄`` over the window's valid pixels
    (robust to a few bright points). For a clutter pixel, ``P̄ / μ`` is about Gamma distributed with
    shape ``k = 1 / (s CV²)``, ``s`` the dependence of the dates (:mod:`.dependence`) and ``CV²``
    the relative ensemble variance of one intensity (1 for single-look speckle, ~1/L for L looks;
    :func:`.window_stats.ensemble_cv2`), and ``g = μ exp(ψ(k) − ln k)``. The pixel is PS when
    ``ρ >= exp(ln k − ψ(k)) max(G_k^{-1}(1 − α_PS) / k, 1 + SCR_min)``: its brightness is beyond
    what clutter reaches with probability :data:`PS_FALSE_ALARM` given the number of dates,
    their coherence and the looks, and it corresponds to a signal-to-clutter ratio of at least
    ``SCR_min`` (``minopy.inversion.psMinScr``). A point scatterer is also stable: its temporal
    intensity variance relative to the clutter's is ``(1 + 2K)/(1 + K)²`` for a signal-to-clutter
    ratio ``K`` (0.36 at K = 4, 1 for clutter), so a bright pixel is PS only if its temporal
    ``var(I)/mean(I)²`` is at most :data:`PS_STABILITY` times the window's mean (a bright but
    fluctuating distributed target is not a PS). It holds for single-look and multilooked stacks
    alike, whatever the number of SHPs. The same cut-off keeps such bright points out of the SHP
    sets of the window's centre, so they do not bias the neighbouring distributed scatterers.
``minopy``: MiNoPy's rule (``test_PS``), kept for parity
    A pixel with few SHPs (``#SHP <= ps_num_shp``) is a PS candidate. It is declared PS when the top
    eigenvalue of its small-sample coherence matrix holds more than ``top_percent`` of the
    eigenvalue norm, ``100 λ_max / ||λ||_2 > top_percent`` (``||λ||_2 = ||Γ||_F`` for Hermitian
    Γ), and its amplitude dispersion ``D_A = std(|s|)/mean(|s|)`` (capped at 1) is below
    ``amp_dispersion``. A sample of one pixel always has a top-eigenvalue share of 100 %, and
    multilooked stacks have low ``D_A`` everywhere, so this rule over-detects on them.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit, prange
from scipy import special, stats

from ._linalg import FASTMATH, normalize, power_iteration
from .centres import centre_grid
from .estimators import start_vector
from .window_stats import WindowStats, ensemble_cv2, window_mean

PS_RULES: dict[str, int] = {"scr": 0, "minopy": 1}

#: Probability that a clutter pixel passes the ``scr`` brightness test (before the SCR floor).
PS_FALSE_ALARM = 1e-3

#: A PS's temporal relative intensity variance is at most this share of the clutter's.
PS_STABILITY = 0.6

#: Grid of log shape parameters ``ln k`` of the brightness threshold table.
_LOG_K = np.linspace(0.0, np.log(1e5), 121)


def amplitude_dispersion(amplitude: np.ndarray, cap: float | None = None) -> np.ndarray:
    """Amplitude dispersion index ``D_A = std(A) / mean(A)`` over time.

    Parameters
    ----------
    amplitude : ndarray, shape (N, ...)
        Amplitude (``|slc|``) stack, time first.
    cap : float, optional
        Upper bound applied to the result (MiNoPy caps at 1).

    Returns
    -------
    ndarray, shape (...), float32
        ``std`` with ddof=0 divided by the mean; NaN where the mean is 0 or data are not finite.
    """
    a = np.asarray(amplitude, dtype=np.float64)
    mean = a.mean(axis=0)
    std = a.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        da = np.where(mean > 0, std / mean, np.nan)
    if cap is not None:
        da = np.minimum(da, cap)
    return da.astype(np.float32)


@njit(cache=True, fastmath=FASTMATH)
def top_eigenvalues_vector(gamma: np.ndarray) -> tuple[float, float, float]:
    """Two largest eigenvalues of a Hermitian PSD matrix and the top-eigenvalue share.

    Parameters
    ----------
    gamma : ndarray, shape (N, N), complex128
        Coherence matrix.

    Returns
    -------
    lam1, lam2 : float
        Largest and second largest eigenvalues (power iteration with deflation).
    top_percent : float
        ``100 λ1 / ||Γ||_F`` in percent.
    """
    n = gamma.shape[0]
    x = np.empty(n, dtype=np.complex128)
    w = np.empty(n, dtype=np.complex128)
    start_vector(gamma, x)
    lam1, _ = power_iteration(gamma, x, w, 500, 1e-20)
    normalize(x)
    defl = np.empty_like(gamma)
    fro = 0.0
    for i in range(n):
        for j in range(n):
            g = gamma[i, j]
            fro += g.real * g.real + g.imag * g.imag
            defl[i, j] = g - lam1 * x[i] * np.conj(x[j])
    y = np.empty(n, dtype=np.complex128)
    for i in range(n):
        y[i] = 1.0 + 0.1j * i
    lam2, _ = power_iteration(defl, y, w, 500, 1e-20)
    fro = np.sqrt(fro)
    top = 100.0 * lam1 / fro if fro > 0 else 0.0
    return lam1, lam2, top


@njit(cache=True, parallel=True)
def _top_batch(g: np.ndarray) -> np.ndarray:
    p = g.shape[0]
    out = np.empty((p, 3))
    for k in prange(p):
        a, b, c = top_eigenvalues_vector(g[k])
        out[k, 0] = a
        out[k, 1] = b
        out[k, 2] = c
    return out


def top_eigenvalues(gamma: np.ndarray) -> np.ndarray:
    """Batched :func:`top_eigenvalues_vector`.

    Parameters
    ----------
    gamma : ndarray, shape (..., N, N), complex

    Returns
    -------
    ndarray, shape (..., 3), float64
        ``λ1, λ2, top percent``.
    """
    g = np.ascontiguousarray(gamma, dtype=np.complex128)
    n = g.shape[-1]
    return _top_batch(g.reshape(-1, n, n)).reshape(*g.shape[:-2], 3)


@njit(cache=True)
def is_ps(top_percent: float, amp_disp: float, top_thresh: float, da_thresh: float) -> bool:
    """PS decision: ``top% > top_thresh`` and ``min(D_A, 1) < da_thresh``."""
    da = amp_disp if amp_disp < 1.0 else 1.0
    return top_percent > top_thresh and da < da_thresh


@functools.lru_cache(maxsize=64)
def brightness_thresholds(min_scr: float, alpha: float = PS_FALSE_ALARM) -> np.ndarray:
    """``ρ`` thresholds of the ``scr`` rule on the :data:`_LOG_K` grid (see module docstring).

    Parameters
    ----------
    min_scr : float
        Smallest signal-to-clutter ratio called PS.
    alpha : float
        False-alarm probability of the brightness test on clutter.

    Returns
    -------
    ndarray, shape (len(_LOG_K),), float64
    """
    k = np.exp(_LOG_K)
    geo = np.exp(np.log(k) - special.digamma(k))  # mean / geometric mean of Gamma(k)
    return geo * np.maximum(stats.gamma.isf(alpha, k) / k, 1.0 + float(min_scr))


@njit(cache=True)
def _threshold_at(log_k: float, table: np.ndarray) -> float:
    step = _LOG_K[1] - _LOG_K[0]
    x = log_k / step
    if x <= 0.0:
        return table[0]
    i = int(x)
    if i >= table.shape[0] - 1:
        return table[table.shape[0] - 1]
    w = x - i
    return (1.0 - w) * table[i] + w * table[i + 1]


@njit(cache=True)  # cheap per pixel: serial, which compiles much faster
def _scr_kernel(power, cv2, logp_sat, cv2_sat, count_sat, valid, dep, r0, c0, sa, sr, ha, hr,
                nd, table):
    h, w = dep.shape
    is_ps = np.zeros((h, w), dtype=np.bool_)
    cutoff = np.full((h, w), np.inf)
    for i in range(h):
        for j in range(w):
            r = r0 + i * sa
            c = c0 + j * sr
            if not valid[r, c]:
                continue
            g = np.exp(window_mean(logp_sat, count_sat, r, c, ha, hr))
            s = dep[i, j]
            cv2_win = window_mean(cv2_sat, count_sat, r, c, ha, hr)
            ens = ensemble_cv2(cv2_win, nd, s)
            k = 1.0 / (s * ens) if s * ens > 0.0 else 1e5
            k = max(k, 1.0)
            cut = g * _threshold_at(np.log(k), table)
            cutoff[i, j] = cut
            is_ps[i, j] = power[r, c] >= cut and cv2[r, c] <= 0.6 * cv2_win  # PS_STABILITY
    return is_ps, cutoff


def scr_test(stats: WindowStats, valid: np.ndarray, dependence: np.ndarray,
             core: tuple[int, int, int, int], half_az: int, half_rg: int, num_dates: int,
             min_scr: float, strides: tuple[int, int] = (1, 1)) -> tuple[np.ndarray, np.ndarray]:
    """The ``scr`` PS rule for the core pixels of a block.

    Parameters
    ----------
    stats : WindowStats
        Of the block.
    valid : ndarray, shape (H, W), bool
    dependence : ndarray, shape (h, w)
        Dependence of the core pixels' dates.
    core : tuple of int
        ``(row0, row1, col0, col1)``.
    half_az, half_rg : int
        Half window sizes.
    num_dates : int
    min_scr : float
        ``SCR_min``.
    strides : tuple of int
        Output strides (azimuth, range) (:func:`minopy.phaselink.centres.centre_grid`).

    Returns
    -------
    is_ps : ndarray, shape (h, w), bool
    cutoff : ndarray, shape (h, w), float64
        Mean-power cut-off of each centre's window (``ρ`` threshold times ``g``); ``inf`` for
        invalid centres.
    """
    table = brightness_thresholds(min_scr)
    g = centre_grid(core, strides)
    return _scr_kernel(stats.power, stats.cv2, stats.logp_sat, stats.cv2_sat, stats.count_sat,
                       valid, dependence, g.r0, g.c0, g.sa, g.sr, int(half_az), int(half_rg),
                       int(num_dates), table)
