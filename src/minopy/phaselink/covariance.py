"""Sample covariance and coherence matrices of SHP samples.

Samples of one pixel are held in planar float32 buffers ``zr, zi`` of shape (N, L_max)
(date-major, samples contiguous) so that the inner reductions vectorise. The covariance is
``C = Σ_l z_l z_l^H / n`` and the coherence ``Γ_ij = C_ij / sqrt(C_ii C_jj)`` (unit diagonal;
entries of a date whose power is zero are 0). Only the lower triangle is computed, the upper
one is its conjugate. Invalid pixels never enter: the SHP masks exclude them.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._linalg import FASTMATH


@njit(cache=True, fastmath=FASTMATH)
def cross_product(
    ar: np.ndarray, ai: np.ndarray, i: int, br: np.ndarray, bi: np.ndarray, j: int, n: int
) -> complex:
    """``Σ_{l<n} a_i[l] conj(b_j[l])`` for planar sample buffers (unnormalised)."""
    sr = np.float32(0.0)
    si = np.float32(0.0)
    for k in range(n):
        xr = ar[i, k]
        xi = ai[i, k]
        yr = br[j, k]
        yi = bi[j, k]
        sr += xr * yr + xi * yi
        si += xi * yr - xr * yi
    return complex(sr, si)


@njit(cache=True, fastmath=FASTMATH)
def _block2x2(zr: np.ndarray, zi: np.ndarray, i: int, j: int, n: int):
    """Cross products of rows ``i, i+1`` with rows ``j, j+1`` (register-blocked)."""
    a00r = np.float32(0.0)
    a00i = np.float32(0.0)
    a01r = np.float32(0.0)
    a01i = np.float32(0.0)
    a10r = np.float32(0.0)
    a10i = np.float32(0.0)
    a11r = np.float32(0.0)
    a11i = np.float32(0.0)
    for k in range(n):
        x0r = zr[i, k]
        x0i = zi[i, k]
        x1r = zr[i + 1, k]
        x1i = zi[i + 1, k]
        y0r = zr[j, k]
        y0i = zi[j, k]
        y1r = zr[j + 1, k]
        y1i = zi[j + 1, k]
        a00r += x0r * y0r + x0i * y0i
        a00i += x0i * y0r - x0r * y0i
        a01r += x0r * y1r + x0i * y1i
        a01i += x0i * y1r - x0r * y1i
        a10r += x1r * y0r + x1i * y0i
        a10i += x1i * y0r - x1r * y0i
        a11r += x1r * y1r + x1i * y1i
        a11i += x1i * y1r - x1r * y1i
    return (complex(a00r, a00i), complex(a01r, a01i), complex(a10r, a10i), complex(a11r, a11i))


@njit(cache=True, fastmath=FASTMATH)
def covariance_planar(zr: np.ndarray, zi: np.ndarray, n: int, cov: np.ndarray) -> None:
    """Sample covariance of ``n`` samples.

    Parameters
    ----------
    zr, zi : ndarray, shape (N, L_max), float32
        Real and imaginary parts; columns ``0..n-1`` are used.
    n : int
        Number of samples (> 0).
    cov : ndarray, shape (N, N), complex128
        Output ``C = Σ z z^H / n`` (full Hermitian storage).
    """
    nd = zr.shape[0]
    inv = 1.0 / n
    ne = nd - nd % 2
    for i in range(0, ne, 2):
        for j in range(0, i + 1, 2):
            c00, c01, c10, c11 = _block2x2(zr, zi, i, j, n)
            cov[i, j] = c00 * inv
            cov[i + 1, j] = c10 * inv
            cov[i + 1, j + 1] = c11 * inv
            if j < i:
                cov[i, j + 1] = c01 * inv
    if ne < nd:
        i = nd - 1
        for j in range(nd):
            cov[i, j] = cross_product(zr, zi, i, zr, zi, j, n) * inv
    for i in range(nd):
        cov[i, i] = cov[i, i].real
        for j in range(i):
            cov[j, i] = np.conj(cov[i, j])


@njit(cache=True, fastmath=FASTMATH)
def covariance_to_coherence(cov: np.ndarray, gamma: np.ndarray) -> None:
    """``Γ_ij = C_ij / sqrt(C_ii C_jj)``; unit diagonal, 0 where a power is zero.

    Parameters
    ----------
    cov : ndarray, shape (N, N), complex128
    gamma : ndarray, shape (N, N), complex128
        Output (may alias ``cov``).
    """
    nd = cov.shape[0]
    d = np.empty(nd)
    for i in range(nd):
        d[i] = np.sqrt(cov[i, i].real) if cov[i, i].real > 0.0 else 0.0
    for i in range(nd):
        for j in range(nd):
            den = d[i] * d[j]
            gamma[i, j] = cov[i, j] / den if den > 0.0 else 0j
        gamma[i, i] = 1.0


@njit(cache=True)
def gather_samples(
    re: np.ndarray,
    im: np.ndarray,
    r: int,
    c: int,
    ha: int,
    hr: int,
    mask: np.ndarray,
    zr: np.ndarray,
    zi: np.ndarray,
) -> int:
    """Copy the SHP samples of pixel ``(r, c)`` into planar buffers, in window row-major order.

    Parameters
    ----------
    re, im : ndarray, shape (H, W, N), float32
        Pixel-major real and imaginary parts of the block.
    r, c : int
        Centre pixel in block coordinates.
    ha, hr : int
        Half window sizes.
    mask : ndarray, shape (2 ha + 1, 2 hr + 1), bool
        SHP mask of the centre.
    zr, zi : ndarray, shape (N, L_max), float32
        Output buffers.

    Returns
    -------
    int
        Number of samples gathered.
    """
    nd = re.shape[2]
    n = 0
    for a in range(mask.shape[0]):
        for b in range(mask.shape[1]):
            if mask[a, b]:
                rr = r - ha + a
                cc = c - hr + b
                for t in range(nd):
                    zr[t, n] = re[rr, cc, t]
                    zi[t, n] = im[rr, cc, t]
                n += 1
    return n


@njit(cache=True, fastmath=FASTMATH)
def mean_amplitude(zr: np.ndarray, zi: np.ndarray, t: int, n: int) -> float:
    """Mean ``|z|`` of date ``t`` over the first ``n`` samples."""
    s = np.float32(0.0)
    for k in range(n):
        s += np.sqrt(zr[t, k] * zr[t, k] + zi[t, k] * zi[t, k])
    return float(s / n)


@njit(cache=True, parallel=True)
def _sample_coherence_batch(zr: np.ndarray, zi: np.ndarray) -> np.ndarray:
    p, nd, nl = zr.shape
    out = np.empty((p, nd, nd), dtype=np.complex128)
    for k in prange(p):
        cov = np.empty((nd, nd), dtype=np.complex128)
        covariance_planar(zr[k], zi[k], nl, cov)
        covariance_to_coherence(cov, out[k])
    return out


def sample_coherence(samples: np.ndarray) -> np.ndarray:
    """Sample coherence matrices of complex samples.

    Parameters
    ----------
    samples : ndarray, shape (..., N, L), complex
        ``L`` samples (looks) of ``N`` dates per matrix; must be finite.

    Returns
    -------
    ndarray, shape (..., N, N), complex128
        Coherence ``Γ`` with unit diagonal.
    """
    z = np.asarray(samples)
    nd, nl = z.shape[-2:]
    batch = z.shape[:-2]
    flat = z.reshape(-1, nd, nl)
    zr = np.ascontiguousarray(flat.real, dtype=np.float32)
    zi = np.ascontiguousarray(flat.imag, dtype=np.float32)
    return _sample_coherence_batch(zr, zi).reshape(*batch, nd, nd)


@njit(cache=True, parallel=True)
def _shp_coherence_kernel(re, im, r0, c0, ha, hr, masks, counts):
    h, w = counts.shape
    nd = re.shape[2]
    lmax = masks.shape[2] * masks.shape[3]
    out = np.zeros((h, w, nd, nd), dtype=np.complex64)
    for i in prange(h):
        zr = np.empty((nd, lmax), dtype=np.float32)
        zi = np.empty((nd, lmax), dtype=np.float32)
        cov = np.empty((nd, nd), dtype=np.complex128)
        for j in range(w):
            if counts[i, j] == 0:
                continue
            n = gather_samples(re, im, r0 + i, c0 + j, ha, hr, masks[i, j], zr, zi)
            covariance_planar(zr, zi, n, cov)
            covariance_to_coherence(cov, cov)
            for a in range(nd):
                for b in range(nd):
                    out[i, j, a, b] = cov[a, b]
    return out


def planar_pixel_major(slc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split an (N, H, W) complex block into pixel-major float32 planes of shape (H, W, N).

    Non-finite values are replaced by 0 (such pixels are excluded by the SHP masks anyway).
    """
    t = np.moveaxis(np.asarray(slc), 0, -1)
    re = np.ascontiguousarray(np.nan_to_num(t.real), dtype=np.float32)
    im = np.ascontiguousarray(np.nan_to_num(t.imag), dtype=np.float32)
    return re, im


def shp_coherence(slc: np.ndarray, core: tuple[int, int, int, int], selection) -> np.ndarray:
    """Coherence matrices of the SHP samples of every core pixel.

    Parameters
    ----------
    slc : ndarray, shape (N, H, W), complex
        Block with margins.
    core : tuple of int
        ``(row0, row1, col0, col1)`` of the centre pixels.
    selection : ShpSelection
        Output of :func:`minopy.phaselink.shp.select_shp` for the same block and core.

    Returns
    -------
    ndarray, shape (h, w, N, N), complex64
        Γ per pixel; all zeros for pixels without SHPs (invalid centres).
    """
    re, im = planar_pixel_major(slc)
    return _shp_coherence_kernel(
        re,
        im,
        int(core[0]),
        int(core[2]),
        selection.half_az,
        selection.half_rg,
        selection.masks,
        selection.counts,
    )
