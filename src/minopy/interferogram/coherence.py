"""Coherence of one interferogram from its own phase.

``coherence = | boxcar mean of exp(i*phase) |`` over a small window (5 x 5 by default): the
magnitude of the local mean phasor, 1 for a locally constant phase and about ``1/window`` for
random phase. Amplitudes are ignored, so bright scatterers do not dominate. Pixels whose
interferogram is zero or NaN contribute nothing and get coherence 0.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter

#: default boxcar size, pixels.
WINDOW = 5


def phase_coherence(igram: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """Coherence of a complex interferogram, float32 in [0, 1].

    Parameters
    ----------
    igram : numpy.ndarray
        2-D complex interferogram.
    window : int
        Odd boxcar size, >= 1.
    """
    if window < 1 or window % 2 == 0:
        raise ValueError(f"window must be an odd number >= 1, got {window}")
    data = np.nan_to_num(np.asarray(igram, dtype=np.complex64), nan=0.0)
    amp = np.abs(data)
    valid = amp > 0
    unit = np.zeros_like(data)
    np.divide(data, amp, out=unit, where=valid)
    re = uniform_filter(unit.real, size=window, mode="reflect")
    im = uniform_filter(unit.imag, size=window, mode="reflect")
    coh = np.hypot(re, im).astype(np.float32)
    coh[~valid] = 0
    return np.clip(coh, 0, 1, out=coh)


def phase_coherence_rows(igram: np.ndarray, row0: int, row1: int,
                         window: int = WINDOW) -> np.ndarray:
    """Coherence of rows ``row0:row1`` of a (memory-mapped) interferogram, equal to the whole-image
    result, reading only ``window // 2`` extra rows on each side."""
    half = window // 2
    lo, hi = max(0, row0 - half), min(igram.shape[0], row1 + half)
    block = np.asarray(igram[lo:hi])
    return phase_coherence(block, window)[row0 - lo: row1 - lo]
