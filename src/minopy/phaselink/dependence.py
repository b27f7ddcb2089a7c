"""Temporal dependence of a pixel's dates, estimated from its window: ``s = Σ_ij |γ_ij|² / N²``.

``1/s`` is the number of independent dates (``N_eff``) that the SHP tests calibrate for (see
:mod:`minopy.phaselink.shp_tests`). For two independent pixels ``a, b`` of one population with
coherence ``Γ`` and powers ``σ²``:

    E |Σ_t a_t conj(b_t)|² = σ_a² σ_b² Σ_ij |γ_ij|²,      E[P_a P_b] = N² σ_a² σ_b²,

with ``P = Σ_t |z_t|²``. Over the pairs of valid pixels in the centre's window (at the offsets of
:func:`dependence_offsets`: at least two pixels apart, so that the spatial correlation of
neighbouring speckle does not count as temporal dependence) two estimates are formed:

- the ratio of the sums of the two, consistent in a homogeneous window but dominated by the
  brightest pixels: a few bright coherent pixels (buildings in fields) make a field look coherent;
- the mean of the per-pair ratios ``ĉ² = |Σ a conj b|² / (P_a P_b)``, in which every pair counts
  the same, but biased low (by up to 30 % where coherence is high, because a pair's power and
  cross power are correlated; 0-5 % when it is low).

``s`` is the smaller of the first and 1.25 times the second: in a homogeneous window it is the
first (or slightly less, where coherence is high: the tests are then a little stricter), and the
bright minority cannot raise it. The window sums are read from summed-area tables, one per
offset, so each centre costs O(offsets) and uses only data inside its own window (seamless
tiling). In a window that mixes populations, pairs across a phase boundary add little cross
power, so ``s`` comes out low and the tests stricter: the estimate errs on the side of rejecting.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .centres import centre_grid

#: Factor on the mean per-pair ``ĉ²`` (its low bias is at most about 30 %).
PAIR_MEAN_FACTOR = 1.25


def dependence_offsets(half_az: int, half_rg: int) -> np.ndarray:
    """Pair offsets ``(da, db)`` used to estimate the dependence.

    Half of the offset plane (``da > 0``, or ``da == 0`` and ``db > 0``), every second row and
    column, without the offsets of adjacent pixels (``max(|da|, |db|) <= 1``).

    Returns
    -------
    ndarray, shape (K, 2), int64
    """
    out = []
    for da in range(0, half_az + 1, 2):
        for db in range(-half_rg - (half_rg % 2), half_rg + 1, 2):
            if abs(db) > half_rg or (da == 0 and db <= 0) or max(da, abs(db)) <= 1:
                continue
            out.append((da, db))
    if not out:  # tiny windows: adjacent offsets are all there is
        out = [(da, db) for da in range(0, half_az + 1) for db in range(-half_rg, half_rg + 1)
               if da > 0 or db > 0]
    return np.array(out, dtype=np.int64).reshape(-1, 2)


@njit(cache=True, parallel=True)
def _pair_tables(re, im, valid, offs):
    """Summed-area tables of the cross power and power product of the pairs at each offset.

    ``tab[k, m, r + 1, c + 1]`` = sum over pixels (r', c') <= (r, c) of, for ``m`` = 0, 1, 2, 3:
    ``|Σ_t z(r',c') conj z(r'+da, c'+db)|²``, ``P(r',c') P(r'+da, c'+db)``, their ratio ``ĉ²``,
    and 1, for pairs with both pixels valid and inside the block.
    """
    height, width, nd = re.shape
    nk = offs.shape[0]
    tab = np.zeros((nk, 4, height + 1, width + 1))
    power = np.zeros((height, width))
    for r in prange(height):
        for c in range(width):
            acc = 0.0
            for t in range(nd):
                acc += re[r, c, t] * re[r, c, t] + im[r, c, t] * im[r, c, t]
            power[r, c] = acc
    for k in prange(nk):
        da = offs[k, 0]
        db = offs[k, 1]
        for r in range(height):
            row_x = 0.0
            row_p = 0.0
            row_c = 0.0
            row_n = 0.0
            for c in range(width):
                rr = r + da
                cc = c + db
                if rr < height and 0 <= cc < width and valid[r, c] and valid[rr, cc]:
                    sr = 0.0
                    si = 0.0
                    for t in range(nd):
                        ar = re[r, c, t]
                        ai = im[r, c, t]
                        br = re[rr, cc, t]
                        bi = im[rr, cc, t]
                        sr += ar * br + ai * bi
                        si += ai * br - ar * bi
                    x2 = sr * sr + si * si
                    pp = power[r, c] * power[rr, cc]
                    row_x += x2
                    row_p += pp
                    row_c += x2 / pp if pp > 0.0 else 0.0
                    row_n += 1.0
                tab[k, 0, r + 1, c + 1] = tab[k, 0, r, c + 1] + row_x
                tab[k, 1, r + 1, c + 1] = tab[k, 1, r, c + 1] + row_p
                tab[k, 2, r + 1, c + 1] = tab[k, 2, r, c + 1] + row_c
                tab[k, 3, r + 1, c + 1] = tab[k, 3, r, c + 1] + row_n
    return tab


@njit(cache=True)
def _box(tab: np.ndarray, k: int, m: int, r0: int, r1: int, c0: int, c1: int) -> float:
    """Sum of table ``(k, m)`` over rows ``r0..r1-1`` and columns ``c0..c1-1``."""
    return tab[k, m, r1, c1] - tab[k, m, r0, c1] - tab[k, m, r1, c0] + tab[k, m, r0, c0]


@njit(cache=True)  # cheap per pixel: serial, which compiles much faster
def _centre_dependence(tab, offs, height, width, r0, h, sa, c0, w, sr, ha, hr, nd):
    out = np.empty((h, w))
    nk = offs.shape[0]
    for i in range(h):
        for j in range(w):
            r = r0 + i * sa
            c = c0 + j * sr
            wr0 = max(r - ha, 0)
            wr1 = min(r + ha + 1, height)
            wc0 = max(c - hr, 0)
            wc1 = min(c + hr + 1, width)
            num = 0.0
            den = 0.0
            csum = 0.0
            cnt = 0.0
            for k in range(nk):
                da = offs[k, 0]
                db = offs[k, 1]
                # first pixels q with q and q + offset both inside the window
                qr0 = wr0
                qr1 = wr1 - da
                qc0 = max(wc0, wc0 - db)
                qc1 = min(wc1, wc1 - db)
                if qr1 <= qr0 or qc1 <= qc0:
                    continue
                num += _box(tab, k, 0, qr0, qr1, qc0, qc1)
                den += _box(tab, k, 1, qr0, qr1, qc0, qc1)
                csum += _box(tab, k, 2, qr0, qr1, qc0, qc1)
                cnt += _box(tab, k, 3, qr0, qr1, qc0, qc1)
            s = num / den if den > 0.0 else 1.0 / nd
            if cnt > 0.0:
                s = min(s, PAIR_MEAN_FACTOR * csum / cnt)
            out[i, j] = min(max(s, 1.0 / nd), 1.0)
    return out


def window_dependence(
    re: np.ndarray,
    im: np.ndarray,
    valid: np.ndarray,
    core: tuple[int, int, int, int],
    half_az: int,
    half_rg: int,
    strides: tuple[int, int] = (1, 1),
) -> np.ndarray:
    """Dependence ``s`` of the core pixels of a block, each from its own window.

    Parameters
    ----------
    re, im : ndarray, shape (H, W, N), float32
        Pixel-major planar SLC block (non-finite values zeroed).
    valid : ndarray, shape (H, W), bool
    core : tuple of int
        ``(row0, row1, col0, col1)`` of the centres.
    half_az, half_rg : int
        Half window sizes.
    strides : tuple of int
        Output strides (azimuth, range): the centres are :func:`centre_grid` of the core.

    Returns
    -------
    ndarray, shape (h, w), float64
        ``s`` in ``[1/N, 1]`` (``1/N`` where the window has no usable pair); ``h, w`` the
        numbers of centres (``row1 - row0``, ``col1 - col0`` without strides).
    """
    height, width, nd = re.shape
    g = centre_grid(core, strides)
    r0, r1, c0, c1 = g.span
    offs = dependence_offsets(half_az, half_rg)
    # only the rows/columns that some core window reaches are needed
    lo_r, hi_r = max(r0 - half_az, 0), min(r1 + half_az, height)
    lo_c, hi_c = max(c0 - half_rg, 0), min(c1 + half_rg, width)
    sub = (slice(lo_r, hi_r), slice(lo_c, hi_c))
    tab = _pair_tables(np.ascontiguousarray(re[sub]), np.ascontiguousarray(im[sub]),
                       np.ascontiguousarray(valid[sub]), offs)
    return _centre_dependence(tab, offs, hi_r - lo_r, hi_c - lo_c, g.r0 - lo_r, g.h, g.sa,
                              g.c0 - lo_c, g.w, g.sr, half_az, half_rg, nd)
