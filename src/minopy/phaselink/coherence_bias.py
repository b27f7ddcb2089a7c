"""Sample-size bias of the temporal coherence, and its removal.

The temporal coherence ``γ = (2 / (N² − N)) Re Σ_{i<k} exp(i(∠Γ̂_ik − (θ_i − θ_k)))`` of a
phase-linking solution is fitted to the same sample coherence matrix ``Γ̂`` that it is scored
against. On pure noise (no coherent signal) it is therefore not 0 but a value ``b(N, L)`` that
depends on the number of dates ``N``, the number of samples ``L`` and the estimator: 1 for a single
sample (``Γ̂`` is rank one and its phases are exactly consistent), about 0.7 for two samples, and
about ``1.1 / √N`` when ``L >= N`` (EMI). Pixels estimated from few samples thus look coherent, and
coherences of pixels with different sample counts cannot be compared.

The debiased coherence ``γ_d = max(0, (γ − b) / (1 − b))`` maps the noise level to 0 and keeps 1
at 1, so a threshold (``minopy.timeseries.minTempCoh``) means the same for every pixel. ``b`` is
read from a table measured by Monte Carlo on complex white noise (:func:`simulate_noise_bias`;
the table module ``_tcoh_bias_table`` is written by ``bench/tcoh_bias_table.py``), interpolated
in ``log N`` and ``log L``; beyond the table, ``b`` is extrapolated as ``∝ 1/√N`` in N and held
constant in L. Families: ``EVD``, ``EMI`` (also used for PTA and StBAS) and ``sequential`` (the
full-stack coherence of sequential estimates with 10-date mini-stacks, used for every sequential
method).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._tcoh_bias_table import BIAS, LOOKS, NUM_DATES

#: Family index of each kernel base estimator code (EVD=1, EMI=2, PTA=3, StBAS=4) and of the
#: sequential methods (index 2).
FAMILY_EVD = 0
FAMILY_EMI = 1
FAMILY_SEQUENTIAL = 2
FAMILIES = ("EVD", "EMI", "sequential")

_LOG_N = np.log(NUM_DATES.astype(np.float64))
_LOG_L = np.log(LOOKS.astype(np.float64))


def simulate_noise_bias(num_dates: int, looks: int, family: str, trials: int,
                        rng: np.random.Generator) -> float:
    """Mean temporal coherence of ``family`` on complex white noise (Monte Carlo).

    Parameters
    ----------
    num_dates, looks : int
        N and L.
    family : {"EVD", "EMI", "sequential"}
    trials : int
        Number of independent noise stacks.
    rng : numpy.random.Generator

    Returns
    -------
    float
        The mean raw temporal coherence, ``b(N, L)``.
    """
    from .covariance import sample_coherence
    from .estimators import estimate_phases
    from .quality import temporal_coherence
    from .sequential import sequential_phase_linking

    shape = (trials, num_dates, looks)
    z = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)
    gamma = sample_coherence(z)
    if family == "sequential":
        x, _, _ = sequential_phase_linking(z, "sequential_EMI", min(10, num_dates))
    else:
        x, _ = estimate_phases(gamma, family)
    return float(np.mean(temporal_coherence(gamma, x)))


@njit(cache=True)
def _interp_index(grid: np.ndarray, v: float) -> tuple[int, float]:
    """Lower index and weight of ``v`` on an increasing grid (clamped)."""
    n = grid.shape[0]
    if v <= grid[0]:
        return 0, 0.0
    if v >= grid[n - 1]:
        return n - 2, 1.0
    lo = 0
    hi = n - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if grid[mid] <= v:
            lo = mid
        else:
            hi = mid
    return lo, (v - grid[lo]) / (grid[lo + 1] - grid[lo])


@njit(cache=True)
def noise_bias(family: int, num_dates: int, looks: int, table: np.ndarray, log_n: np.ndarray,
               log_l: np.ndarray) -> float:
    """``b(N, L)`` of a family, bilinear in ``(log N, log L)``; ``1`` for ``L <= 1``."""
    if looks <= 1:
        return 1.0
    ln = np.log(float(num_dates))
    ll = np.log(float(looks))
    i, wi = _interp_index(log_n, ln)
    j, wj = _interp_index(log_l, ll)
    t = table[family]
    b = ((1 - wi) * (1 - wj) * t[i, j] + wi * (1 - wj) * t[i + 1, j]
         + (1 - wi) * wj * t[i, j + 1] + wi * wj * t[i + 1, j + 1])
    if ln > log_n[log_n.shape[0] - 1]:  # beyond the table: b ~ 1/sqrt(N)
        b *= np.exp(0.5 * (log_n[log_n.shape[0] - 1] - ln))
    return b


@njit(cache=True)
def debias(gamma: float, bias: float) -> float:
    """``max(0, (γ − b) / (1 − b))`` (0 when ``b >= 1``)."""
    if bias >= 1.0:
        return 0.0
    g = (gamma - bias) / (1.0 - bias)
    return g if g > 0.0 else 0.0


def debiased_coherence(gamma: np.ndarray, num_dates: int, looks: np.ndarray,
                       family: str = "EMI") -> np.ndarray:
    """Debias raw temporal coherences (see the module docstring).

    Parameters
    ----------
    gamma : ndarray
        Raw temporal coherence.
    num_dates : int
    looks : ndarray, same shape as ``gamma``
        Number of samples (SHPs) behind each value.
    family : {"EVD", "EMI", "sequential"}

    Returns
    -------
    ndarray, float64
    """
    fam = FAMILIES.index(family)
    g = np.asarray(gamma, dtype=np.float64)
    lk = np.broadcast_to(np.asarray(looks), g.shape)
    out = np.empty(g.shape)
    for idx in np.ndindex(g.shape):
        b = noise_bias(fam, num_dates, int(lk[idx]), BIAS, _LOG_N, _LOG_L)
        out[idx] = debias(float(g[idx]), b)
    return out


def bias_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The table arrays for kernels: ``(BIAS (3, nN, nL), log N grid, log L grid)``."""
    return BIAS, _LOG_N, _LOG_L
