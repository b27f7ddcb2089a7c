"""Automatic choice of the spatial reference pixel of an interferogram network.

MintPy's automatic reference (``reference_point.py``, method maxCoherence) picks a pixel at random
among those with an average spatial coherence above ``mintpy.reference.minCoherence`` and a finite,
non-zero average phase. It does not look at the connected components, so on a low-coherence scene
it can pick a pixel that is not unwrapped in some interferograms, and it can pick an isolated
bright scatterer. minopy chooses instead, among the allowed pixels (on land, not in shadow):

1. the pixels unwrapped (finite phase, connected component != 0) in the most kept interferograms:
   all of them when any pixel is;
2. among these, the reliable ones (phase-linking temporal coherence >= minTempCoh) if there are
   any;
3. the one whose neighbourhood is the most coherent: the mean over a
   ``NEIGHBOURHOOD x NEIGHBOURHOOD`` window of the average spatial coherence, counting neighbours
   that are not candidates (or outside the image) as 0; ties go to the higher own coherence, then
   to the first pixel in row order. So a pixel deep inside a coherent, unwrapped area wins over an
   isolated persistent scatterer and over the edge of an area.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from minopy.errors import StepError

#: side (pixels) of the square window whose mean coherence ranks the candidates.
NEIGHBOURHOOD = 7


@dataclass(frozen=True)
class ReferenceChoice:
    """The chosen pixel and why.

    Attributes
    ----------
    y, x : int
        Row and column.
    num_unwrapped, num_pairs : int
        Kept interferograms in which the pixel is unwrapped, and kept interferograms.
    num_candidates : int
        Pixels that were unwrapped in as many interferograms (and reliable, when ``reliable``).
    reliable : bool
        Whether the candidates were limited to pixels with temporal coherence >= the threshold.
    coherence, neighbourhood_coherence : float
        The pixel's average spatial coherence and the mean over its neighbourhood.
    """

    y: int
    x: int
    num_unwrapped: int
    num_pairs: int
    num_candidates: int
    reliable: bool
    coherence: float
    neighbourhood_coherence: float

    def describe(self) -> str:
        """One sentence saying why this pixel was chosen."""
        where = ("unwrapped (connected component != 0) in all "
                 f"{self.num_pairs} kept interferograms" if self.num_unwrapped == self.num_pairs
                 else f"unwrapped in {self.num_unwrapped} of {self.num_pairs} kept interferograms, "
                      "the most of any pixel")
        pool = "reliable " if self.reliable else ""
        return (f"y/x = {self.y}/{self.x}: {where}; of the {self.num_candidates} {pool}pixels "
                f"alike, the most coherent neighbourhood (mean average spatial coherence "
                f"{self.neighbourhood_coherence:.2f} over {NEIGHBOURHOOD} x {NEIGHBOURHOOD} "
                f"pixels, own {self.coherence:.2f})")


def choose_reference(num_unwrapped: np.ndarray, num_pairs: int, coherence: np.ndarray,
                     allowed: np.ndarray, reliable: np.ndarray) -> ReferenceChoice:
    """Choose the reference pixel (see the module docstring).

    Parameters
    ----------
    num_unwrapped : ndarray, shape (L, W), int
        Number of kept interferograms in which each pixel is unwrapped.
    num_pairs : int
        Number of kept interferograms.
    coherence : ndarray, shape (L, W), float
        Average spatial coherence (0-1; NaN counts as 0).
    allowed : ndarray, shape (L, W), bool
        Pixels that may be the reference (on land, not in shadow, valid for MintPy).
    reliable : ndarray, shape (L, W), bool
        Pixels whose phase-linking temporal coherence reaches the threshold.

    Raises
    ------
    StepError
        If no allowed pixel is unwrapped in any kept interferogram.
    """
    counts = np.where(allowed, num_unwrapped, 0)
    best = int(counts.max()) if counts.size else 0
    if best == 0:
        raise StepError(
            f"no reference point: no pixel on land is unwrapped in any of the {num_pairs} kept "
            "interferograms (all NaN or connected component 0); check the unwrapping "
            "(unwrap_ifgram) or set mintpy.reference.yx (row,col) / mintpy.reference.lalo"
        )
    candidates = counts == best
    use_reliable = bool((candidates & reliable).any())
    if use_reliable:
        candidates &= reliable
    coh = np.nan_to_num(np.asarray(coherence, dtype=np.float64), nan=0.0)
    score = ndimage.uniform_filter(np.where(candidates, coh, 0.0), size=NEIGHBOURHOOD,
                                   mode="constant", cval=0.0)
    flat = np.flatnonzero(candidates)
    order = np.lexsort((flat, -coh.ravel()[flat], -score.ravel()[flat]))
    y, x = np.unravel_index(int(flat[order[0]]), coh.shape)
    return ReferenceChoice(int(y), int(x), best, int(num_pairs), int(flat.size), use_reliable,
                           float(coh[y, x]), float(score[y, x]))
