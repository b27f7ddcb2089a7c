"""Statistically homogeneous pixel (SHP) selection on amplitude stacks.

For each centre pixel of a patch the amplitudes of every pixel in an ``az x rg`` window are
compared with the centre's amplitudes (N dates each) by a two-sample test; the SHP set is the
8-connected component of similar pixels that contains the centre.

Tests (``test`` argument), all at significance ``alpha``:

``ks``
    Two-sample Kolmogorov–Smirnov. Similar if ``D <= D_crit`` where ``D_crit`` solves
    ``Q(λ) = alpha`` exactly for the asymptotic Kolmogorov series
    ``Q(λ) = 2 Σ_{t>=1} (-1)^{t-1} exp(-2 t² λ²)`` with ``λ = D (√Ne + 0.12 + 0.11/√Ne)``,
    ``Ne = N/2``.
``ad``
    k-sample Anderson–Darling (Scholz & Stephens 1987, midrank variant, k = 2) with the
    significance interpolation of ``scipy.stats.anderson_ksamp`` (capped to [0.001, 0.25]);
    similar if significance >= alpha.
``ttest``
    Welch's t-test on the amplitudes; similar if the two-sided p-value >= alpha.
``glrt``
    Generalised likelihood-ratio test for equal scale of circular complex Gaussian samples,
    with the correct Wilks statistic ``T = 2N (2 ln σ̂²_pooled − ln σ̂²_1 − ln σ̂²_2)``,
    ``σ̂² = mean(|a|²)/2``; similar if ``T < χ²_1(1 − alpha)``.

Amplitudes are sorted once per patch. Every test is symmetric in its two pixels (bitwise: the
statistics combine the pair with commutative operations only), so each pair of pixels closer than
the window is tested once, for all pixels of the block that can be in a core pixel's window; the
SHP set of a centre is then a flood fill over these decisions. Invalid pixels (any NaN, or all
amplitudes zero) are never tested, never SHPs and never centres (count 0, empty mask).

Window sizes: a window size ``w`` uses the half width ``w // 2``, i.e. even sizes become the next
odd size (``w + 1``). Windows are truncated at the block edge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange
from scipy import optimize, stats

from ._linalg import FASTMATH

SHP_TESTS: dict[str, int] = {"ks": 0, "ad": 1, "ttest": 2, "glrt": 3}

# Scholz & Stephens (1987) Table 2 interpolation coefficients (as in scipy.stats.anderson_ksamp).
_AD_B0 = np.array([0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085])
_AD_B1 = np.array([-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615])
_AD_B2 = np.array([-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154])
_AD_SIG = np.array([0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001])


def kolmogorov_q(lam: float) -> float:
    """Asymptotic Kolmogorov survival function ``Q(λ) = 2 Σ (-1)^{t-1} exp(-2 t² λ²)``."""
    if lam <= 0:
        return 1.0
    t = np.arange(1, 101)
    q = 2.0 * np.sum((-1.0) ** (t - 1) * np.exp(-2.0 * t**2 * lam**2))
    return float(min(max(q, 0.0), 1.0))


def ks_critical_distance(num_samples: int, alpha: float = 0.01) -> float:
    """Critical two-sample KS distance for two samples of equal size.

    Parameters
    ----------
    num_samples : int
        Size N of each sample (number of dates).
    alpha : float
        Significance level in (0, 1).

    Returns
    -------
    float
        ``D_crit`` such that ``Q(D_crit (√Ne + 0.12 + 0.11/√Ne)) = alpha``, ``Ne = N/2``.
    """
    ne = num_samples / 2.0
    lam = optimize.brentq(lambda x: kolmogorov_q(x) - alpha, 1e-3, 10.0, xtol=1e-14)
    return float(lam / (math.sqrt(ne) + 0.12 + 0.11 / math.sqrt(ne)))


def _ad_params(n: int, alpha: float) -> np.ndarray:
    """Constants for the 2-sample Anderson–Darling decision (sample size ``n`` each)."""
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
    sigmasq = (a * big_n**3 + b * big_n**2 + c * big_n + d) / (
        (big_n - 1.0) * (big_n - 2.0) * (big_n - 3.0)
    )
    m = k - 1
    critical = _AD_B0 + _AD_B1 / math.sqrt(m) + _AD_B2 / m
    pf = np.polyfit(critical, np.log(_AD_SIG), 2)
    return np.array(
        [alpha, math.sqrt(sigmasq), pf[0], pf[1], pf[2], critical.min(), critical.max()]
    )


def _test_params(test: str, n: int, alpha: float) -> np.ndarray:
    if test == "ks":
        dcrit = ks_critical_distance(n, alpha)
        # similar iff max |count difference| <= kcrit (D = count / n)
        return np.array([float(math.floor(dcrit * n + 1e-9))])
    if test == "ad":
        return _ad_params(n, alpha)
    if test == "ttest":
        t_lo = stats.t.isf(alpha / 2, 2 * n - 2)  # below: similar for every Welch df
        t_hi = stats.t.isf(alpha / 2, n - 1)  # above: dissimilar for every Welch df
        return np.array([alpha, t_lo, t_hi])
    if test == "glrt":
        return np.array([stats.chi2.isf(alpha, 1)])
    raise ValueError(f"unknown SHP test {test!r}; allowed: {sorted(SHP_TESTS)}")


@njit(cache=True, fastmath=FASTMATH)
def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab = a + b
    qap = a + 1.0
    qam = a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < tiny:
        d = tiny
    d = 1.0 / d
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        if abs(d) < tiny:
            d = tiny
        c = 1.0 + aa / c
        if abs(c) < tiny:
            c = tiny
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        if abs(d) < tiny:
            d = tiny
        c = 1.0 + aa / c
        if abs(c) < tiny:
            c = tiny
        d = 1.0 / d
        de = d * c
        h *= de
        if abs(de - 1.0) < 1e-15:
            break
    return h


@njit(cache=True)
def betainc_reg(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta function ``I_x(a, b)``."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbt = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x)
    lbt += b * math.log1p(-x)
    bt = math.exp(lbt)
    if x < (a + 1.0) / (a + b + 2.0):
        return bt * _betacf(a, b, x) / a
    return 1.0 - bt * _betacf(b, a, 1.0 - x) / b


@njit(cache=True, fastmath=FASTMATH)
def _ks_similar(a: np.ndarray, b: np.ndarray, kcrit: float) -> bool:
    """KS decision ``D <= kcrit / n`` for sorted equal-size samples, without merging.

    ``sup_x (F_a - F_b) <= k/n`` holds iff ``b_(i-k) <= a_(i)`` for every rank ``i > k`` (the
    ``i``-th smallest ``a`` has at least ``i - k`` values of ``b`` at or below it), and
    symmetrically for ``F_b - F_a``. Ties are handled exactly by the ``<=``. Stops at the first
    violated rank.
    """
    n = a.shape[0]
    k = int(kcrit)
    for i in range(k, n):  # noqa: SIM110 (numba: no generator in all())
        if b[i - k] > a[i] or a[i - k] > b[i]:
            return False
    return True


@njit(cache=True)
def ad_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Midrank 2-sample Anderson–Darling ``A²_akN`` (Scholz & Stephens eq. 7) of sorted samples.

    Parameters
    ----------
    a, b : ndarray, shape (n,)
        Sorted samples of equal size.

    Returns
    -------
    float
        ``A²_akN`` (not standardised).
    """
    n = a.shape[0]
    big = 2.0 * n
    i = 0
    j = 0
    acc = 0.0
    while i < n or j < n:
        v = a[i] if j >= n or (i < n and a[i] <= b[j]) else b[j]
        f1 = 0
        while i < n and a[i] == v:
            i += 1
            f1 += 1
        f2 = 0
        while j < n and b[j] == v:
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


@njit(cache=True)
def _ad_similar(a: np.ndarray, b: np.ndarray, par: np.ndarray) -> bool:
    alpha, sigma = par[0], par[1]
    a2 = (ad_statistic(a, b) - 1.0) / sigma
    if a2 < par[5]:
        p = 0.25
    elif a2 > par[6]:
        p = 0.001
    else:
        p = math.exp((par[2] * a2 + par[3]) * a2 + par[4])
    return p >= alpha


@njit(cache=True)
def _ttest_similar(m1: float, v1: float, m2: float, v2: float, n: int, par: np.ndarray) -> bool:
    s1 = v1 / n
    s2 = v2 / n
    se2 = s1 + s2
    if not se2 > 0.0:
        return m1 == m2
    t = abs(m1 - m2) / math.sqrt(se2)
    if t <= par[1]:
        return True
    if t > par[2]:
        return False
    df = se2 * se2 / ((s1 * s1 + s2 * s2) / (n - 1.0))
    p = betainc_reg(0.5 * df, 0.5, df / (df + t * t))
    return p >= par[0]


@njit(cache=True)
def _similar(
    test: int,
    p: int,
    q: int,
    srt: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    logpow: np.ndarray,
    par: np.ndarray,
) -> bool:
    """Pair decision between flat pixels ``p`` and ``q``."""
    n = srt.shape[1]
    if test == 0:
        return _ks_similar(srt[p], srt[q], par[0])
    if test == 1:
        return _ad_similar(srt[p], srt[q], par)
    if test == 2:
        return _ttest_similar(mean[p], var[p], mean[q], var[q], n, par)
    # GLRT: mean power stored in ``var`` slot for this test
    pooled = 0.5 * (var[p] + var[q])
    t = 2.0 * n * (2.0 * math.log(pooled) - (logpow[p] + logpow[q]))  # symmetric in p, q
    return t < par[0]


def _pixel_stats(amp: np.ndarray, test: str) -> tuple[np.ndarray, ...]:
    """Per-pixel sorted amplitudes and moments; ``amp`` has shape (P, N)."""
    n = amp.shape[1]
    srt = np.sort(amp, axis=1) if test in ("ks", "ad") else np.zeros((1, n), dtype=amp.dtype)
    a64 = amp.astype(np.float64)
    if test == "ttest":
        mean = a64.mean(axis=1)
        var = a64.var(axis=1, ddof=1)
        logpow = np.zeros(1)
    elif test == "glrt":
        mean = np.zeros(1)
        var = np.mean(a64 * a64, axis=1)  # mean power, used by the GLRT
        with np.errstate(divide="ignore"):
            logpow = np.log(var)
    else:
        mean = var = logpow = np.zeros(1)
    return np.ascontiguousarray(srt), mean, var, logpow


@njit(cache=True, parallel=True)
def _pairs_kernel(test, srt, mean, var, logpow, par, num_pairs):
    out = np.empty(num_pairs, dtype=np.bool_)
    for k in prange(num_pairs):
        out[k] = _similar(test, k, k + num_pairs, srt, mean, var, logpow, par)
    return out


def similar_pairs(
    a: np.ndarray, b: np.ndarray, test: str = "ks", alpha: float = 0.01
) -> np.ndarray:
    """Decide similarity of many sample pairs (used for testing and calibration).

    Parameters
    ----------
    a, b : ndarray, shape (P, N), float
        Amplitude samples of P pairs, N values each (equal sizes).
    test : {"ks", "ad", "ttest", "glrt"}
    alpha : float
        Significance level.

    Returns
    -------
    ndarray, shape (P,), bool
        True where the pair is declared similar (same distribution).
    """
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))
    b = np.atleast_2d(np.asarray(b, dtype=np.float64))
    if a.shape != b.shape:
        raise ValueError("a and b must have the same shape (P, N)")
    n = a.shape[1]
    par = _test_params(test, n, alpha)
    srt, mean, var, logpow = _pixel_stats(np.concatenate([a, b]), test)
    return _pairs_kernel(SHP_TESTS[test], srt, mean, var, logpow, par, a.shape[0])


@njit(cache=True)
def _half_offsets(ha: int, hr: int) -> np.ndarray:
    """Window offsets ``(da, db)`` with ``da > 0``, or ``da == 0`` and ``db > 0``."""
    out = np.empty((ha * (2 * hr + 1) + hr, 2), dtype=np.int64)
    k = 0
    for db in range(1, hr + 1):
        out[k, 0] = 0
        out[k, 1] = db
        k += 1
    for da in range(1, ha + 1):
        for db in range(-hr, hr + 1):
            out[k, 0] = da
            out[k, 1] = db
            k += 1
    return out


@njit(cache=True, parallel=True)
def _pair_kernel(
    height, width, rlo, rhi, clo, chi, ha, hr, valid, test, srt, mean, var, logpow, par
):
    """Similarity of every pixel of rows ``rlo..rhi-1``, columns ``clo..chi-1`` with its
    neighbours at the half offsets (both valid and inside the block), as a (rows, cols, K)
    array; the tests are symmetric, so the other half follows by swapping the pair."""
    offs = _half_offsets(ha, hr)
    nk = offs.shape[0]
    sim = np.zeros((rhi - rlo, chi - clo, nk), dtype=np.bool_)
    n = srt.shape[1]
    kc = int(par[0])
    for i in prange(rhi - rlo):
        r = rlo + i
        for j in range(chi - clo):
            c = clo + j
            p = r * width + c
            if not valid[p]:
                continue
            for k in range(nk):
                rr = r + offs[k, 0]
                cc = c + offs[k, 1]
                if rr < height and 0 <= cc < width:
                    q = rr * width + cc
                    if not valid[q]:
                        continue
                    if test == 0:  # KS, inlined (see _ks_similar)
                        ok = True
                        for t in range(kc, n):
                            if srt[q, t - kc] > srt[p, t] or srt[p, t - kc] > srt[q, t]:
                                ok = False
                                break
                        sim[i, j, k] = ok
                    else:
                        sim[i, j, k] = _similar(test, p, q, srt, mean, var, logpow, par)
    return sim


@njit(cache=True)
def _flood_fill(
    r: int,
    c: int,
    height: int,
    width: int,
    ha: int,
    hr: int,
    valid: np.ndarray,
    sim: np.ndarray,
    rlo: int,
    clo: int,
    oidx: np.ndarray,
    state: np.ndarray,
    stack: np.ndarray,
    out: np.ndarray,
) -> int:
    """Connected similar component around ``(r, c)``; writes ``out`` (az, rg) and returns size."""
    az, rg = 2 * ha + 1, 2 * hr + 1
    for i in range(az):
        for j in range(rg):
            rr = r - ha + i
            cc = c - hr + j
            inside = 0 <= rr < height and 0 <= cc < width
            state[i, j] = 0 if inside and valid[rr * width + cc] else 2
            out[i, j] = False
    if state[ha, hr] != 0:
        return 0
    state[ha, hr] = 1
    out[ha, hr] = True
    count = 1
    stack[0] = ha * rg + hr
    top = 1
    si = r - rlo
    sj = c - clo
    while top > 0:
        top -= 1
        cur = stack[top]
        ci = cur // rg
        cj = cur - ci * rg
        for di in range(-1, 2):
            ni = ci + di
            if ni < 0 or ni >= az:
                continue
            for dj in range(-1, 2):
                nj = cj + dj
                if nj < 0 or nj >= rg or state[ni, nj] != 0:
                    continue
                k = oidx[ni, nj]
                # k < 0: the pair is stored at the neighbour, with the opposite offset
                ok = sim[si, sj, k] if k >= 0 else sim[si + ni - ha, sj + nj - hr, -k - 1]
                if ok:
                    state[ni, nj] = 1
                    out[ni, nj] = True
                    count += 1
                    stack[top] = ni * rg + nj
                    top += 1
                else:
                    state[ni, nj] = 2
    return count


#: Widest window (columns) handled by the bit-parallel connected-component search.
_MAX_BIT_WIDTH = 62


@njit(cache=True)
def _component_bits(
    r: int,
    c: int,
    height: int,
    width: int,
    ha: int,
    hr: int,
    valid: np.ndarray,
    sim: np.ndarray,
    rlo: int,
    clo: int,
    oidx: np.ndarray,
    allowed: np.ndarray,
    comp: np.ndarray,
    out: np.ndarray,
) -> int:
    """Same result as :func:`_flood_fill`, with window rows as bit masks (``rg <= 62``).

    The component is grown by 8-neighbour dilation restricted to the similar pixels until it
    stops changing.
    """
    az, rg = 2 * ha + 1, 2 * hr + 1
    for i in range(az):
        for j in range(rg):
            out[i, j] = False
    if not valid[r * width + c]:
        return 0
    si = r - rlo
    sj = c - clo
    one = np.uint64(1)
    for i in range(az):
        bits = np.uint64(0)
        rr = r - ha + i
        if 0 <= rr < height:
            for j in range(rg):
                cc = c - hr + j
                if cc < 0 or cc >= width:
                    continue
                k = oidx[i, j]
                if k >= 0:
                    ok = sim[si, sj, k]
                elif k == -(1 << 30):  # the centre
                    ok = True
                else:
                    ok = sim[si + i - ha, sj + j - hr, -k - 1]
                if ok:
                    bits |= one << np.uint64(j)
        allowed[i] = bits
        comp[i] = np.uint64(0)
    comp[ha] = one << np.uint64(hr)
    changed = True
    while changed:
        changed = False
        prev = np.uint64(0)
        for i in range(az):
            cur = comp[i]
            nxt = comp[i + 1] if i + 1 < az else np.uint64(0)
            d = prev | cur | nxt
            d = (d | (d << one) | (d >> one)) & allowed[i]
            prev = cur  # undilated value of this row for the next one
            if d != cur:
                comp[i] = d
                changed = True
    count = 0
    for i in range(az):
        bits = comp[i]
        if bits == 0:
            continue
        for j in range(rg):
            if (bits >> np.uint64(j)) & one:
                out[i, j] = True
                count += 1
    return count


@njit(cache=True, parallel=True)
def _shp_kernel(height, width, r0, r1, c0, c1, ha, hr, valid, sim, rlo, clo):
    h, w = r1 - r0, c1 - c0
    az, rg = 2 * ha + 1, 2 * hr + 1
    offs = _half_offsets(ha, hr)
    # window position -> index of its half offset (>= 0) or -(index of the opposite) - 1
    oidx = np.zeros((az, rg), dtype=np.int64)
    for k in range(offs.shape[0]):
        oidx[ha + offs[k, 0], hr + offs[k, 1]] = k
        oidx[ha - offs[k, 0], hr - offs[k, 1]] = -k - 1
    oidx[ha, hr] = -(1 << 30)
    masks = np.zeros((h, w, az, rg), dtype=np.bool_)
    counts = np.zeros((h, w), dtype=np.int32)
    for i in prange(h):
        state = np.empty((az, rg), dtype=np.int8)
        stack = np.empty(az * rg, dtype=np.int64)
        allowed = np.empty(az, dtype=np.uint64)
        comp = np.empty(az, dtype=np.uint64)
        for j in range(w):
            if rg <= _MAX_BIT_WIDTH:
                counts[i, j] = _component_bits(
                    r0 + i,
                    c0 + j,
                    height,
                    width,
                    ha,
                    hr,
                    valid,
                    sim,
                    rlo,
                    clo,
                    oidx,
                    allowed,
                    comp,
                    masks[i, j],
                )
                continue
            counts[i, j] = _flood_fill(
                r0 + i,
                c0 + j,
                height,
                width,
                ha,
                hr,
                valid,
                sim,
                rlo,
                clo,
                oidx,
                state,
                stack,
                masks[i, j],
            )
    return masks, counts


@dataclass(frozen=True)
class ShpSelection:
    """SHP sets of the core pixels of a patch.

    Attributes
    ----------
    masks : ndarray, shape (h, w, az, rg), bool
        ``masks[i, j, a, b]`` is True when block pixel ``(row0 + i - half_az + a,
        col0 + j - half_rg + b)`` is an SHP of core pixel ``(i, j)``.
    counts : ndarray, shape (h, w), int32
        Number of SHPs (centre included; 0 for invalid centres).
    half_az, half_rg : int
        Half window sizes (window = 2 * half + 1).
    """

    masks: np.ndarray
    counts: np.ndarray
    half_az: int
    half_rg: int


def valid_pixels(amplitude: np.ndarray) -> np.ndarray:
    """Pixels usable as SHP samples: all dates finite and not all amplitudes zero.

    Parameters
    ----------
    amplitude : ndarray, shape (N, H, W)

    Returns
    -------
    ndarray, shape (H, W), bool
    """
    finite = np.isfinite(amplitude).all(axis=0)
    nonzero = (np.abs(np.nan_to_num(amplitude)) > 0).any(axis=0)
    return finite & nonzero


def select_shp(
    amplitude: np.ndarray,
    core: tuple[int, int, int, int],
    azimuth_window: int = 15,
    range_window: int = 15,
    test: str = "ks",
    alpha: float = 0.01,
    valid: np.ndarray | None = None,
) -> ShpSelection:
    """Select SHPs for the core pixels of a block.

    Parameters
    ----------
    amplitude : ndarray, shape (N, H, W), float
        Amplitude stack of the block (with margins).
    core : tuple of int
        ``(row0, row1, col0, col1)`` slice bounds of the centre pixels inside the block.
    azimuth_window, range_window : int
        Window size in rows and columns (even sizes become the next odd size).
    test : {"ks", "ad", "ttest", "glrt"}
    alpha : float
        Significance level in (0, 1).
    valid : ndarray, shape (H, W), bool, optional
        Usable pixels; default :func:`valid_pixels`.

    Returns
    -------
    ShpSelection
    """
    if test not in SHP_TESTS:
        raise ValueError(f"unknown SHP test {test!r}; allowed: {sorted(SHP_TESTS)}")
    n, height, width = amplitude.shape
    if valid is None:
        valid = valid_pixels(amplitude)
    r0, r1, c0, c1 = (int(v) for v in core)
    ha, hr = int(azimuth_window) // 2, int(range_window) // 2
    flat = np.ascontiguousarray(
        np.nan_to_num(amplitude, nan=0.0).reshape(n, height * width).T, dtype=np.float32
    )
    par = _test_params(test, n, alpha)
    srt, mean, var, logpow = _pixel_stats(flat, test)
    # pair decisions for every pixel that can be the first of a pair inside some core window
    rlo, rhi = max(r0 - ha, 0), min(r1 + ha, height)
    clo, chi = max(c0 - hr, 0), min(c1 + hr, width)
    vflat = np.ascontiguousarray(valid.reshape(-1))
    if r1 > r0 and c1 > c0:
        sim = _pair_kernel(
            height,
            width,
            rlo,
            rhi,
            clo,
            chi,
            ha,
            hr,
            vflat,
            SHP_TESTS[test],
            srt,
            mean,
            var,
            logpow,
            par,
        )
    else:
        sim = np.zeros((0, 0, 1), dtype=np.bool_)
    masks, counts = _shp_kernel(height, width, r0, r1, c0, c1, ha, hr, vflat, sim, rlo, clo)
    return ShpSelection(masks=masks, counts=counts, half_az=ha, half_rg=hr)
