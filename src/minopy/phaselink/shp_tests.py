"""Two-sample SHP tests calibrated for temporally correlated samples, with an equivalence margin.

An SHP test compares the N-date amplitude series of a centre pixel ``p`` with that of a window
pixel ``q``. Textbook two-sample tests assume N independent samples per pixel. A pixel's dates are
not independent: for circular Gaussian scatterers the intensities of dates ``i`` and ``j`` correlate
as ``|γ_ij|²``, so the mean of N intensities has the variance of only

    N_eff = N² / Σ_ij |γ_ij|² = 1 / s,      s = Σ_ij |γ_ij|² / N²  (the *dependence*, 1/N..1)

independent ones (N_eff is a handful in coherent areas). A test calibrated for N rejects far too
often there (46 % of truly homogeneous pairs at α = 0.01 for γ decaying from 0.85 to 0.45 over
N = 60 dates). Every test below therefore takes the centre's dependence ``s`` (estimated from its
window by :mod:`minopy.phaselink.dependence`) and uses it in its critical value:

``glrt``
    Likelihood-ratio test of equal scale. For Gaussian scatterers it is asymptotically the squared
    log ratio of the mean powers, ``δ = ln P̄_p − ln P̄_q``, over its null variance
    ``Var δ = 2 κ s CV²``: ``s`` from the correlation of the dates, ``CV²`` the relative ensemble
    variance of one intensity (1 for single-look speckle, about 1/L for L-look data; estimated as
    the window mean of the pixels' temporal ``var(I)/mean(I)²`` divided by ``(1 − s)``, the share of
    the ensemble variance that one pixel's dates see), and ``κ = 1 − 0.1 (1 − 1/(sN))``, which
    corrects the delta method for the lighter lower tail of ``ln P̄`` when one eigenvalue of ``|Γ|``
    dominates (fitted by Monte Carlo on exponential, seasonal and long-term-coherent models: false
    alarms 0.9–1.2 α for N_eff >= 5; conservative, about 0.4 α, when N_eff is 3-4). Similar if
    ``δ² / Var δ < χ²₁(1 − α)``. With
    ``s = 1/N`` and ``CV² = 1`` this is the Wilks statistic ``2N (2 ln P̄_pooled − ln P̄_p − ln P̄_q)``
    to first order.
``ttest``
    Welch's t on the mean amplitudes, the variance of each mean being ``s σ²`` with the ensemble
    variance ``σ² = v (N − 1) / (N (1 − s))`` recovered from the temporal sample variance ``v``;
    ``t_crit`` of Student's t with ``N − 1`` degrees of freedom (the variances come from N dates).
``ks``
    Two-sample Kolmogorov–Smirnov on the amplitudes. The variance of an empirical distribution
    function depends on the correlation of the indicators ``1{A_t <= x}``, which for correlated
    exponential intensities is about half the intensity correlation (Monte Carlo: 0.49–0.53 over
    the same models), so ``Ne_KS = 1 / (2 (1/N + ½ (s − 1/N)))`` (two equal samples) replaces
    ``N/2`` in the asymptotic Kolmogorov critical distance
    ``D_crit = λ_α / (√Ne + 0.12 + 0.11/√Ne)``.
``ad``
    k-sample Anderson–Darling (Scholz & Stephens 1987, midrank, k = 2). ``A²`` grows like the
    squared
    ECDF difference, so it is scaled by ``N_AD / N`` and standardised for samples of size ``N_AD``,
    then compared with the Scholz–Stephens interpolated significance (capped to [0.001, 0.25]);
    ``N_AD`` is the KS effective size with a factor 0.72 instead of ½ (Monte Carlo fit: its
    tail-weighted integral sees more of the correlation than the KS supremum).

Equivalence margin ``m`` (fraction of power): differences of mean power up to ``m`` are not
rejected, however many dates there are. The log tests shrink ``|δ|`` by ``ln(1 + m)``; the t-test
shrinks the amplitude difference by ``(√(1+m) − 1)`` times the mean amplitude; KS compares
``F_p(x)`` with ``F_q(x √(1+m))`` and ``F_q(x)`` with ``F_p(x √(1+m))`` (each one-sided excess at
its most favourable scale in the band); AD takes the smallest ``A²`` over the scales
``1/√(1+m), 1, √(1+m)`` of ``q``. With 100+ dates, or multilooked amplitudes, a test otherwise
detects power differences of a few percent that do not matter for the phase.

Every pair statistic here is symmetric in ``p`` and ``q`` (stored once per pair); the centre's
dependence only enters the critical value.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from numba import njit
from scipy import optimize, special, stats

from .window_stats import ensemble_cv2

SHP_TESTS: dict[str, int] = {"ks": 0, "ad": 1, "ttest": 2, "glrt": 3}

#: Share of the intensity correlation seen by the ECDF indicators (KS, AD); see module docstring.
KS_INDICATOR_FACTOR = 0.5
#: Share of the intensity correlation that calibrates the Anderson–Darling statistic (its
#: tail-weighted integral sees more of the correlation than the KS supremum; fitted like the KS
#: one).
AD_INDICATOR_FACTOR = 0.72
#: Delta-method correction of the variance of log mean power: κ = 1 - KAPPA * (1 - 1/(sN)).
LOG_VARIANCE_KAPPA = 0.1

# Scholz & Stephens (1987) Table 2 interpolation coefficients (as in scipy.stats.anderson_ksamp).
_AD_B0 = np.array([0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085])
_AD_B1 = np.array([-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615])
_AD_B2 = np.array([-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154])
_AD_SIG = np.array([0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001])


def ks_lambda(alpha: float) -> float:
    """``λ_α`` solving ``Q(λ) = α`` for the Kolmogorov survival function ``Q``."""
    return float(optimize.brentq(lambda x: special.kolmogorov(x) - alpha, 1e-3, 10.0,
                                 xtol=1e-14))


def ks_critical_distance(num_samples: float, alpha: float = 0.01) -> float:
    """Critical two-sample KS distance for two independent samples of equal size.

    Parameters
    ----------
    num_samples : float
        Size N of each sample (number of independent dates).
    alpha : float
        Significance level in (0, 1).

    Returns
    -------
    float
        ``D_crit`` with ``Q(D_crit (√Ne + 0.12 + 0.11/√Ne)) = α``, ``Ne = N/2``.
    """
    ne = num_samples / 2.0
    return ks_lambda(alpha) / (math.sqrt(ne) + 0.12 + 0.11 / math.sqrt(ne))


def _ad_sigma(n: int) -> float:
    """Standard deviation of the 2-sample ``A²`` for samples of size ``n`` each (n >= 2)."""
    big_n = 2 * n
    k = 2
    h_inv = 2.0 / n
    hs_cs = np.cumsum(1.0 / np.arange(big_n - 1, 1, -1))
    h = hs_cs[-1] + 1
    g = np.sum(hs_cs / np.arange(2, big_n))
    a = (4 * g - 6) * (k - 1) + (10 - 6 * g) * h_inv
    b = (2 * g - 4) * k**2 + 8 * h * k + (2 * g - 14 * h - 4) * h_inv - 8 * h + 4 * g - 6
    c = (6 * h + 2 * g - 2) * k**2 + (4 * h - 4 * g + 6) * k + (2 * h - 6) * h_inv + 4 * h
    d = (2 * h + 6) * k**2 - 4 * h * k
    var = (a * big_n**3 + b * big_n**2 + c * big_n + d) / (
        (big_n - 1.0) * (big_n - 2.0) * (big_n - 3.0)
    )
    return math.sqrt(var)


def _ad_zstar(alpha: float) -> float:
    """Standardised ``A²`` at which the Scholz–Stephens interpolated significance (capped to
    [0.001, 0.25], as in ``scipy.stats.anderson_ksamp``) equals ``alpha``."""
    crit = _AD_B0 + _AD_B1 + _AD_B2  # k - 1 = 1
    pf = np.polyfit(crit, np.log(_AD_SIG), 2)
    if alpha > 0.25:
        return -np.inf  # the capped significance never reaches alpha: nothing is similar
    if alpha <= 0.001:
        return np.inf
    return float(optimize.brentq(lambda z: np.polyval(pf, z) - math.log(alpha),
                                 crit.min() - 5.0, crit.max() + 5.0))


@functools.lru_cache(maxsize=64)
def test_parameters(test: str, num_dates: int, alpha: float) -> np.ndarray:
    """Constants of a test's critical value, indexed by the kernels.

    Layout: ``[alpha, λ_α (KS), χ²₁(1-α) (GLRT), AD z*, 0, 0, 0, 0, then for n = 0..N:
    Student t_{α/2}(n - 1) (t-test; index 8 + n), then AD σ(n) (index
    9 + N + n)]``.
    """
    if test not in SHP_TESTS:
        raise ValueError(f"unknown SHP test {test!r}; allowed: {sorted(SHP_TESTS)}")
    n = int(num_dates)
    head = [alpha, ks_lambda(alpha), stats.chi2.isf(alpha, 1), _ad_zstar(alpha), 0.0, 0.0,
            0.0, 0.0]
    tcrit = [np.inf, np.inf] + [stats.t.isf(alpha / 2, df) for df in range(1, n)]
    sig = [1.0, 1.0] + [_ad_sigma(m) for m in range(2, n + 1)]
    return np.array(head + tcrit + sig, dtype=np.float64)


# --------------------------------------------------------------------------- pair statistics


@njit(cache=True)
def ks_count(a: np.ndarray, b: np.ndarray, scale: float) -> int:
    """KS statistic in counts with a scale band:
    ``N * max(sup(F_a - F_{b/c}), sup(F_b - F_{a/c}))``.

    ``a`` and ``b`` are sorted samples of equal size N; ``c = scale >= 1``. With ``c = 1`` this is
    ``N D`` of the ordinary two-sample KS test.
    """
    n = a.shape[0]
    best = 0
    j = 0
    for i in range(n):  # sup_x F_a(x) - F_b(x c): at x = a_i, (i + 1) - #{b <= c a_i}
        lim = scale * a[i]
        while j < n and b[j] <= lim:
            j += 1
        if i + 1 - j > best:
            best = i + 1 - j
    j = 0
    for i in range(n):
        lim = scale * b[i]
        while j < n and a[j] <= lim:
            j += 1
        if i + 1 - j > best:
            best = i + 1 - j
    return best


@njit(cache=True)
def ad_statistic(a: np.ndarray, b: np.ndarray, scale: float) -> float:
    """Midrank 2-sample Anderson–Darling ``A²_akN`` (Scholz & Stephens eq. 7) of ``a`` and
    ``scale * b`` (both sorted, equal size)."""
    n = a.shape[0]
    big = 2.0 * n
    i = 0
    j = 0
    acc = 0.0
    while i < n or j < n:
        v = a[i] if j >= n or (i < n and a[i] <= scale * b[j]) else scale * b[j]
        f1 = 0
        while i < n and a[i] == v:
            i += 1
            f1 += 1
        f2 = 0
        while j < n and scale * b[j] == v:
            j += 1
            f2 += 1
        lj = float(f1 + f2)
        bj = float(i - f1 + j - f2) + lj / 2.0
        m1 = float(i - f1) + f1 / 2.0
        m2 = float(j - f2) + f2 / 2.0
        den = bj * (big - bj) - big * lj / 4.0
        if den > 0.0:
            e1 = big * m1 - bj * n
            e2 = big * m2 - bj * n
            acc += lj / big * (e1 * e1 + e2 * e2) / den / n
    return acc * (big - 1.0) / big


@njit(cache=True, inline="always")
def ks_within(a: np.ndarray, b: np.ndarray, scale: float, k: float) -> bool:
    """``ks_count(a, b, scale) <= k`` without counting: stops at the first violated rank.

    ``N D+ <= k`` holds iff ``b_(i-k) <= c a_(i)`` for every rank ``i >= k`` (at least ``i + 1 - k``
    values of ``b / c`` lie at or below the ``i``-th smallest ``a``), and symmetrically for
    ``D-``. Ties are handled exactly by the ``<=``.
    """
    n = a.shape[0]
    if k >= n:
        return True
    kk = int(k)
    for i in range(kk, n):  # noqa: SIM110 (numba: no generator in all())
        if b[i - kk] > scale * a[i] or a[i - kk] > scale * b[i]:
            return False
    return True


@njit(cache=True)
def pair_statistic(
    test: int,
    p: int,
    q: int,
    srt: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    scale: float,
) -> float:
    """Symmetric statistic of the pair of flat pixels ``p, q`` (see module docstring).

    ``srt`` holds sorted amplitudes (KS, AD); ``mean``/``var`` the per-pixel mean and
    variance of the amplitude (t-test) or the log mean power and nothing (GLRT). ``scale`` is the
    amplitude margin ``√(1 + m)``.
    """
    if test == 0:
        return float(ks_count(srt[p], srt[q], scale))
    if test == 1:
        a0 = ad_statistic(srt[p], srt[q], 1.0)
        if scale > 1.0:
            # min over the scales of q; evaluate both orders so the value is symmetric in p, q
            a1 = min(ad_statistic(srt[p], srt[q], scale), ad_statistic(srt[q], srt[p], scale))
            return min(a0, a1)
        return a0
    if test == 2:
        tol = (scale - 1.0) * 0.5 * (mean[p] + mean[q])
        d = abs(mean[p] - mean[q]) - tol
        den = var[p] + var[q]
        if d <= 0.0:
            return 0.0
        return d * d / den if den > 0.0 else np.inf
    d = abs(mean[p] - mean[q]) - 2.0 * math.log(scale)  # GLRT: mean = ln P̄, ln(1+m) = 2 ln c
    return d * d if d > 0.0 else 0.0


# --------------------------------------------------------------------------- centre thresholds


@njit(cache=True)
def centre_threshold(test: int, n: int, s: float, cv2: float, par: np.ndarray) -> float:
    """Largest pair statistic accepted as similar by a centre of dependence ``s``.

    Parameters
    ----------
    test : int
        Code from :data:`SHP_TESTS`.
    n : int
        Number of dates N.
    s : float
        The centre's dependence ``Σ|γ|²/N²`` in [1/N, 1].
    cv2 : float
        Mean temporal ``var(I)/mean(I)²`` of the window's pixels (GLRT only).
    par : ndarray
        :func:`test_parameters`.

    Returns
    -------
    float
        Threshold on :func:`pair_statistic` (KS: a count; AD: a raw ``A²``; t-test and GLRT:
        their stored squared statistics).
    """
    inv_n = 1.0 / n
    if s < inv_n:
        s = inv_n
    if s > 1.0:
        s = 1.0
    if test == 0 or test == 1:
        fac = 0.5 if test == 0 else 0.72  # KS_INDICATOR_FACTOR, AD_INDICATOR_FACTOR
        ne = 1.0 / (inv_n + fac * (s - inv_n))
        if test == 0:
            half = 0.5 * ne
            dcrit = par[1] / (math.sqrt(half) + 0.12 + 0.11 / math.sqrt(half))
            return math.floor(dcrit * n + 1e-9)
        m = int(ne + 0.5)
        if m < 2:
            return np.inf
        if m > n:
            m = n
        # A²_adj = A² ne / n standardised for size m: similar iff (A²_adj - 1)/σ(m) <= z*
        return (1.0 + par[9 + n + m] * par[3]) * n / ne
    if s >= 1.0 - 1e-9:
        return np.inf  # one independent sample: nothing can be rejected
    if test == 2:
        tcrit = par[8 + n]  # Student t_{alpha/2} with N - 1 degrees of freedom
        # t² = stat * N (1 - s) / (s (N - 1)) < tcrit²
        return tcrit * tcrit * s * (n - 1.0) / (n * (1.0 - s))
    return par[2] * 2.0 * log_power_variance(n, s, cv2)


@njit(cache=True)
def log_power_variance(n: int, s: float, cv2: float) -> float:
    """Null variance of the log mean power ``ln P̄`` of one pixel: ``κ s CV²_ens``.

    Parameters
    ----------
    n : int
        Number of dates.
    s : float
        Dependence of the dates.
    cv2 : float
        Window mean of the temporal ``var(I)/mean(I)²``.
    """
    s = min(max(s, 1.0 / n), 1.0)
    kappa = 1.0 - 0.1 * (1.0 - 1.0 / (n * s))  # LOG_VARIANCE_KAPPA
    return kappa * s * ensemble_cv2(cv2, n, s)
