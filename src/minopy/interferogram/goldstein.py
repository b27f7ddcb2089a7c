"""Goldstein-Werner adaptive interferogram filter, vectorised over overlapping FFT patches.

The interferogram is cut into ``psize x psize`` patches on a grid with step ``psize // 2`` (50 %
overlap). Each patch of unit phasors ``exp(i*phase)`` is Fourier transformed, multiplied by
``H = (S / max S) ** alpha`` where ``S`` is the spectrum magnitude smoothed by a 3x3 boxcar
(circular), and transformed back. The patches are blended with a separable ``sin^2`` window, whose
shifted copies at 50 % overlap sum to one, so ``alpha = 0`` returns the input phase unchanged.
The output keeps the input amplitude and takes the filtered phase.

The patch grid is anchored at row/column ``-step`` of the full image. :func:`goldstein_rows`
filters a block of rows using a halo of ``psize`` rows read around it; with blocks starting on a
multiple of ``step`` the result equals filtering the whole image at once.
"""

from __future__ import annotations

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view
from scipy.ndimage import uniform_filter

#: default patch size (pixels); the grid step is half of it.
PATCH_SIZE = 32


def _blend_window(psize: int) -> np.ndarray:
    n = np.arange(psize)
    w1 = np.sin(np.pi * (n + 0.5) / psize) ** 2
    return np.outer(w1, w1).astype(np.float32)


def goldstein(igram: np.ndarray, alpha: float, psize: int = PATCH_SIZE) -> np.ndarray:
    """Filter a complex interferogram with the Goldstein-Werner filter.

    Parameters
    ----------
    igram : numpy.ndarray
        2-D complex interferogram. NaN or zero pixels do not contribute and stay zero.
    alpha : float
        Filter exponent in [0, 1]; 0 leaves the phase unchanged.
    psize : int
        Patch size, even, >= 4.

    Returns
    -------
    numpy.ndarray
        complex64 array of the same shape: input amplitude, filtered phase.
    """
    if igram.ndim != 2:
        raise ValueError(f"igram must be 2-D, got shape {igram.shape}")
    if psize < 4 or psize % 2:
        raise ValueError(f"psize must be an even number >= 4, got {psize}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be within [0, 1], got {alpha}")
    data = np.nan_to_num(np.asarray(igram, dtype=np.complex64), nan=0.0)
    amp = np.abs(data)
    valid = amp > 0
    unit = np.zeros_like(data)
    np.divide(data, amp, out=unit, where=valid)
    if alpha == 0.0:
        return (amp * unit).astype(np.complex64)

    step = psize // 2
    length, width = data.shape
    ny = -(-(length + step) // step)  # patches along rows: grid origin at -step
    nx = -(-(width + step) // step)
    padded = np.zeros(((ny + 1) * step, (nx + 1) * step), dtype=np.complex64)
    padded[step:step + length, step:step + width] = unit
    patches = sliding_window_view(padded, (psize, psize))[::step, ::step]  # (ny, nx, p, p)
    spec = scipy.fft.fft2(patches, axes=(-2, -1), workers=1)
    mag = uniform_filter(np.abs(spec), size=(1, 1, 3, 3), mode="wrap")
    peak = mag.max(axis=(-2, -1), keepdims=True)
    weight = np.zeros_like(mag)
    np.divide(mag, peak, out=weight, where=peak > 0)
    spec *= weight ** np.float32(alpha)
    filt = scipy.fft.ifft2(spec, axes=(-2, -1), workers=1).astype(np.complex64)
    filt *= _blend_window(psize)

    out = np.zeros_like(padded)
    for a in (0, 1):
        for b in (0, 1):
            sub = filt[a::2, b::2]  # non-overlapping patches of one offset class
            my, mx = sub.shape[:2]
            tile = sub.transpose(0, 2, 1, 3).reshape(my * psize, mx * psize)
            r0, c0 = a * step, b * step
            out[r0:r0 + my * psize, c0:c0 + mx * psize] += tile[: out.shape[0] - r0,
                                                                : out.shape[1] - c0]
    phase = np.angle(out[step:step + length, step:step + width])
    result = (amp * np.exp(1j * phase)).astype(np.complex64)
    result[~valid] = 0
    return result


def goldstein_rows(
    igram: np.ndarray,
    row0: int,
    row1: int,
    alpha: float,
    psize: int = PATCH_SIZE,
) -> np.ndarray:
    """Filter rows ``row0:row1`` of a (memory-mapped) interferogram, reading only a halo.

    ``row0`` must be a multiple of ``psize // 2`` (or the image start) for the result to equal
    :func:`goldstein` on the whole image.
    """
    length = igram.shape[0]
    lo, hi = max(0, row0 - psize), min(length, row1 + psize)
    block = np.asarray(igram[lo:hi])
    return goldstein(block, alpha, psize)[row0 - lo: row1 - lo]
