"""Statistically homogeneous pixel (SHP) selection on SLC blocks.

For each centre pixel of a patch, every pixel of its ``az x rg`` window is compared with the
centre by a two-sample test on their N-date amplitude series (:mod:`minopy.phaselink.shp_tests`),
calibrated for the temporal dependence ``s`` of the centre's dates, estimated from its window
(:mod:`minopy.phaselink.dependence`), and with an equivalence margin on the power. The SHP set is
the 8-connected component of similar pixels that contains the centre
(:mod:`minopy.phaselink.shp_connectivity`).

Each pair statistic is symmetric, so it is computed once per pair of pixels closer than the
window, for all pixels that can be in some core pixel's window; each centre then compares the
stored statistics of its window with its own critical value. Invalid pixels (any non-finite date,
or all amplitudes zero) are never tested, never SHPs and never centres (count 0, empty mask).
Window pixels brighter than a per-centre cutoff (persistent scatterers, see
:mod:`minopy.phaselink.ps`) are never SHPs of that centre.

Window sizes: a window size ``w`` uses the half width ``w // 2``, i.e. even sizes become the next
odd size (``w + 1``). Windows are truncated at the block edge. Every result of a centre depends
only on the data inside its window (seamless tiling).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from .centres import centre_grid
from .covariance import planar_pixel_major
from .dependence import window_dependence
from .shp_connectivity import centre_component, half_offsets, offset_index
from .shp_tests import (
    SHP_TESTS,
    centre_threshold,
    ks_critical_distance,
    ks_within,
    pair_statistic,
    test_parameters,
)
from .window_stats import WindowStats, window_mean, window_stats

#: The KS, AD and t tests also require the pair to pass the GLRT scale test at this fraction of
#: alpha: a guard against gross power differences, which the distribution tests can miss when
#: the dates are strongly correlated but the amplitudes are not speckle (multilooked stacks).
GUARD_FACTOR = 0.1

__all__ = [
    "SHP_TESTS",
    "ShpSelection",
    "ks_critical_distance",
    "select_shp",
    "select_shp_planar",
    "similar_pairs",
    "valid_pixels",
]


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
    dependence : ndarray, shape (h, w), float64
        Temporal dependence ``s = Σ|γ|²/N²`` of each centre's dates (``1/s`` independent dates).
    """

    masks: np.ndarray
    counts: np.ndarray
    half_az: int
    half_rg: int
    dependence: np.ndarray


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


def pixel_statistics(amp: np.ndarray, test: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-pixel quantities the pair statistics read.

    Parameters
    ----------
    amp : ndarray, shape (P, N)
        Amplitudes (non-finite values zeroed).
    test : str

    Returns
    -------
    srt : ndarray, shape (P, N) float32 (KS, AD) or (1, N)
        Sorted amplitudes.
    mean, var : ndarray, shape (P,) float64 (or (1,))
        t-test: mean and variance (ddof 1) of the amplitude; GLRT: log mean power and nothing.
    """
    n = amp.shape[1]
    srt = np.sort(amp, axis=1) if test in ("ks", "ad") else np.zeros((1, n), dtype=amp.dtype)
    a64 = amp.astype(np.float64)
    if test == "ttest":
        mean = a64.mean(axis=1)
        var = a64.var(axis=1, ddof=1)
    elif test == "glrt":
        with np.errstate(divide="ignore"):
            mean = np.log(np.mean(a64 * a64, axis=1))
        var = np.zeros(1)
    else:
        mean = var = np.zeros(1)
    return np.ascontiguousarray(srt), mean, var


@njit(cache=True, inline="always")
def _pair_bits(test, p, q, srt, mean, var, scale, tp, tq, logp, gp, gq):
    """Decision bits of a pair: bit 0 similar for centre ``p`` (threshold ``tp``, scale guard
    ``gp``), bit 1 for centre ``q`` (``tq``, ``gq``); a NaN threshold means "not a centre"."""
    have_p = not np.isnan(tp)
    have_q = not np.isnan(tq)
    if test != 3:  # the scale guard: the GLRT at GUARD_FACTOR * alpha
        d = abs(logp[p] - logp[q]) - 2.0 * math.log(scale)
        d2 = d * d if d > 0.0 else 0.0
        have_p = have_p and d2 <= gp
        have_q = have_q and d2 <= gq
        if not (have_p or have_q):
            return 0
    if test == 0:  # KS: early-exit checks against at most two thresholds
        lo = min(tp, tq) if have_p and have_q else (tp if have_p else tq)
        if ks_within(srt[p], srt[q], scale, lo):
            return (1 if have_p else 0) | (2 if have_q else 0)
        hi = max(tp, tq) if have_p and have_q else lo
        if hi > lo and ks_within(srt[p], srt[q], scale, hi):
            return 1 if (have_p and tp == hi) else 2
        return 0
    st = pair_statistic(test, p, q, srt, mean, var, scale)
    return (1 if have_p and st <= tp else 0) | (2 if have_q and st <= tq else 0)


@njit(cache=True, parallel=True)
def _pair_kernel(height, width, rlo, rhi, clo, chi, ha, hr, valid, test, srt, mean, var, scale,
                 thr, logp, guard):
    """Decision bits (see :func:`_pair_bits`) of every pixel of rows ``rlo..rhi-1``, columns
    ``clo..chi-1`` with its neighbours at the half offsets, shape (rows, cols, K) uint8; 0 where
    a pixel is invalid, outside the block, or neither pixel is a centre (``thr`` NaN)."""
    offs = half_offsets(ha, hr)
    nk = offs.shape[0]
    bits = np.zeros((rhi - rlo, chi - clo, nk), dtype=np.uint8)
    for i in prange(rhi - rlo):
        r = rlo + i
        for j in range(chi - clo):
            c = clo + j
            p = r * width + c
            if not valid[p]:
                continue
            tp = thr[p]
            gp = guard[p]
            for k in range(nk):
                rr = r + offs[k, 0]
                cc = c + offs[k, 1]
                if rr < height and 0 <= cc < width:
                    q = rr * width + cc
                    tq = thr[q]
                    if valid[q] and not (np.isnan(tp) and np.isnan(tq)):
                        bits[i, j, k] = _pair_bits(test, p, q, srt, mean, var, scale, tp, tq,
                                                   logp, gp, guard[q])
    return bits


@njit(cache=True)  # cheap per pixel: serial, which compiles much faster
def _thresholds(height, width, r0, h, sa, c0, w, sr, ha, hr, valid, dep, cv2_sat, cnt_sat, test,
                nd, par, gpar):
    """Per-pixel critical values of the core centres, and of their scale guard (the GLRT with
    ``gpar``), flat (NaN for every pixel that is not a valid core centre)."""
    thr = np.full(height * width, np.nan)
    guard = np.full(height * width, np.nan)
    for i in range(h):
        r = r0 + i * sa
        for j in range(w):
            c = c0 + j * sr
            if not valid[r * width + c]:
                continue
            cv2 = window_mean(cv2_sat, cnt_sat, r, c, ha, hr)
            thr[r * width + c] = centre_threshold(test, nd, dep[i, j], cv2, par)
            guard[r * width + c] = centre_threshold(3, nd, dep[i, j], cv2, gpar)
    return thr, guard


@njit(cache=True, parallel=True)
def _shp_kernel(height, width, r0, h, sa, c0, w, sr, ha, hr, valid, power, cutoff, bits, rlo,
                clo):
    az, rg = 2 * ha + 1, 2 * hr + 1
    oidx = offset_index(ha, hr)
    masks = np.zeros((h, w, az, rg), dtype=np.bool_)
    counts = np.zeros((h, w), dtype=np.int32)
    for i in prange(h):
        similar = np.zeros((az, rg), dtype=np.bool_)
        allowed = np.empty(az, dtype=np.uint64)
        comp = np.empty(az, dtype=np.uint64)
        state = np.empty((az, rg), dtype=np.int8)
        stack = np.empty(az * rg, dtype=np.int64)
        for j in range(w):
            r = r0 + i * sa
            c = c0 + j * sr
            if not valid[r * width + c]:
                continue
            cut = cutoff[i, j]
            si = r - rlo
            sj = c - clo
            for a in range(az):
                rr = r - ha + a
                for b in range(rg):
                    cc = c - hr + b
                    ok = False
                    if 0 <= rr < height and 0 <= cc < width and power[rr * width + cc] < cut:
                        k = oidx[a, b]
                        if k >= 0:  # pair stored here, the centre is its first pixel
                            ok = (bits[si, sj, k] & 1) != 0
                        elif k != -(1 << 30):  # stored at the neighbour, centre second
                            ok = (bits[si + a - ha, sj + b - hr, -k - 1] & 2) != 0
                    similar[a, b] = ok
            similar[ha, hr] = True
            counts[i, j] = centre_component(similar, ha, hr, allowed, comp, state, stack,
                                            masks[i, j])
    return masks, counts


def select_shp_planar(
    amplitude: np.ndarray,
    re: np.ndarray,
    im: np.ndarray,
    valid: np.ndarray,
    core: tuple[int, int, int, int],
    azimuth_window: int,
    range_window: int,
    test: str,
    alpha: float,
    margin: float,
    stats: WindowStats | None = None,
    dependence: np.ndarray | None = None,
    bright_cutoff: np.ndarray | None = None,
    strides: tuple[int, int] = (1, 1),
) -> ShpSelection:
    """:func:`select_shp` on arrays the phase-linking kernel already holds.

    Parameters
    ----------
    amplitude : ndarray, shape (N, H, W)
        ``|slc|`` of the block.
    re, im : ndarray, shape (H, W, N), float32
        Pixel-major planar SLC block (non-finite values zeroed).
    valid : ndarray, shape (H, W), bool
    core, azimuth_window, range_window, test, alpha, margin
        As in :func:`select_shp`.
    stats : WindowStats, optional
        :func:`minopy.phaselink.window_stats.window_stats` of the block (computed if None).
    dependence : ndarray, shape (h, w), optional
        :func:`minopy.phaselink.dependence.window_dependence` of the core (computed if None).
    bright_cutoff : ndarray, shape (h, w), optional
        Per centre: window pixels whose mean power is at least this are never its SHPs (the
        centre itself excepted); default none.
    strides : tuple of int
        Output strides (azimuth, range): SHPs of the centres of
        :func:`minopy.phaselink.centres.centre_grid` only (the tests still use every
        full-resolution pixel of their windows).
    """
    if test not in SHP_TESTS:
        raise ValueError(f"unknown SHP test {test!r}; allowed: {sorted(SHP_TESTS)}")
    n, height, width = amplitude.shape
    grid = centre_grid(core, strides)
    r0, r1, c0, c1 = grid.span
    ha, hr = int(azimuth_window) // 2, int(range_window) // 2
    h, w = grid.h, grid.w
    az, rg = 2 * ha + 1, 2 * hr + 1
    if h <= 0 or w <= 0:
        h, w = max(h, 0), max(w, 0)
        return ShpSelection(np.zeros((h, w, az, rg), bool), np.zeros((h, w), np.int32), ha, hr,
                            np.zeros((h, w)))
    flat = np.ascontiguousarray(
        np.nan_to_num(amplitude, nan=0.0, posinf=0.0, neginf=0.0).reshape(n, height * width).T,
        dtype=np.float32,
    )
    par = test_parameters(test, n, alpha)
    srt, mean, var = pixel_statistics(flat, test)
    vflat = np.ascontiguousarray(valid.reshape(-1))
    if stats is None:
        stats = window_stats(amplitude, valid)
    if dependence is None:
        box = (int(core[0]), int(core[1]), int(core[2]), int(core[3]))
        dependence = window_dependence(re, im, valid, box, ha, hr, strides)
    cutoff = np.full((h, w), np.inf) if bright_cutoff is None else bright_cutoff
    rlo, rhi = max(r0 - ha, 0), min(r1 + ha, height)
    clo, chi = max(c0 - hr, 0), min(c1 + hr, width)
    code = SHP_TESTS[test]
    gpar = test_parameters("glrt", n, GUARD_FACTOR * alpha)
    thr, guard = _thresholds(height, width, grid.r0, h, grid.sa, grid.c0, w, grid.sr, ha, hr,
                             vflat, dependence,
                             stats.cv2_sat, stats.count_sat, code, n, par, gpar)
    logp = np.ascontiguousarray(stats.log_power.reshape(-1))
    bits = _pair_kernel(height, width, rlo, rhi, clo, chi, ha, hr, vflat, code, srt, mean, var,
                        math.sqrt(1.0 + float(margin)), thr, logp, guard)
    # invalid pixels get an infinite power so that no cutoff admits them
    power = np.where(valid, stats.power, np.inf).reshape(-1)
    masks, counts = _shp_kernel(height, width, grid.r0, h, grid.sa, grid.c0, w, grid.sr, ha, hr,
                                vflat, power, cutoff, bits, rlo, clo)
    return ShpSelection(masks=masks, counts=counts, half_az=ha, half_rg=hr, dependence=dependence)


def select_shp(
    slc: np.ndarray,
    core: tuple[int, int, int, int],
    azimuth_window: int = 15,
    range_window: int = 15,
    test: str = "ks",
    alpha: float = 0.01,
    margin: float = 0.2,
    valid: np.ndarray | None = None,
) -> ShpSelection:
    """Select SHPs for the core pixels of a block.

    Parameters
    ----------
    slc : ndarray, shape (N, H, W), complex
        SLC block (with margins). The amplitudes are tested; the complex values give the
        temporal dependence used to calibrate the tests.
    core : tuple of int
        ``(row0, row1, col0, col1)`` slice bounds of the centre pixels inside the block.
    azimuth_window, range_window : int
        Window size in rows and columns (even sizes become the next odd size).
    test : {"ks", "ad", "ttest", "glrt"}
    alpha : float
        Significance level in (0, 1).
    margin : float
        Equivalence margin: relative differences of mean power up to ``margin`` are not rejected.
    valid : ndarray, shape (H, W), bool, optional
        Usable pixels; default :func:`valid_pixels`.

    Returns
    -------
    ShpSelection
    """
    slc = np.asarray(slc)
    amp = np.abs(slc)
    if valid is None:
        valid = valid_pixels(amp)
    re, im = planar_pixel_major(slc)
    return select_shp_planar(amp, re, im, valid, core, azimuth_window, range_window, test, alpha,
                             margin)


@njit(cache=True, parallel=True)
def _pairs_kernel(test, srt, mean, var, scale, num_pairs):
    out = np.empty(num_pairs, dtype=np.float64)
    for k in prange(num_pairs):
        out[k] = pair_statistic(test, k, k + num_pairs, srt, mean, var, scale)
    return out


def similar_pairs(
    a: np.ndarray,
    b: np.ndarray,
    test: str = "ks",
    alpha: float = 0.01,
    dependence: float | None = None,
    margin: float = 0.0,
    cv2: float | None = None,
    guard: bool = True,
) -> np.ndarray:
    """Decide the similarity of many amplitude sample pairs (for testing and calibration).

    Parameters
    ----------
    a, b : ndarray, shape (P, N), float
        Amplitude samples of P pairs, N dates each.
    test : {"ks", "ad", "ttest", "glrt"}
    alpha : float
        Significance level.
    dependence : float, optional
        The dependence ``s`` of the dates (default ``1/N``: independent dates).
    margin : float
        Equivalence margin on the power.
    cv2 : float, optional
        GLRT and scale guard: the mean temporal ``var(I)/mean(I)²`` of a window (default: the
        mean over all the samples given).
    guard : bool
        Apply the GLRT scale guard to the KS, AD and t tests, as SHP selection does.

    Returns
    -------
    ndarray, shape (P,), bool
        True where the pair is declared similar.
    """
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))
    b = np.atleast_2d(np.asarray(b, dtype=np.float64))
    if a.shape != b.shape:
        raise ValueError("a and b must have the same shape (P, N)")
    n = a.shape[1]
    par = test_parameters(test, n, alpha)
    both = np.concatenate([a, b])
    srt, mean, var = pixel_statistics(both, test)
    stat = _pairs_kernel(SHP_TESTS[test], srt, mean, var, math.sqrt(1.0 + margin), a.shape[0])
    s = 1.0 / n if dependence is None else float(dependence)
    if cv2 is None:
        inten = both * both
        c = float(np.mean(inten.var(axis=1, ddof=1) / inten.mean(axis=1) ** 2))
    else:
        c = float(cv2)
    ok = stat <= centre_threshold(SHP_TESTS[test], n, s, c, par)
    if guard and test != "glrt":  # the scale guard (GUARD_FACTOR)
        logp = np.log(np.mean(both * both, axis=1))
        d = np.maximum(np.abs(logp[: a.shape[0]] - logp[a.shape[0]:]) - math.log(1.0 + margin), 0)
        gpar = test_parameters("glrt", n, GUARD_FACTOR * alpha)
        ok &= d * d <= centre_threshold(SHP_TESTS["glrt"], n, s, c, gpar)
    return ok
