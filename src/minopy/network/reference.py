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
3. the one whose neighbourhood is the most reliable: the mean over a
   ``NEIGHBOURHOOD x NEIGHBOURHOOD`` window of the phase-linking temporal coherence, counting
   neighbours that are not candidates (or outside the image) as 0; ties go to the neighbourhood's
   mean average spatial coherence, then to the first pixel in row order. So a pixel deep inside a
   coherent, unwrapped area wins over an isolated persistent scatterer and over the edge of an
   area.

The temporal coherence ranks, not the average spatial coherence MintPy uses: the interferograms
of a phase-linked network are formed from the estimated phase series, so their spatial coherence
is close to 1 over most of a scene (median 0.79 on the Houston crop, 0.99 at hundreds of pixels)
and hardly tells a stable area from a noisy one, while the temporal coherence measures how well
each pixel's series fits its own covariance.
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
    temporal_coherence, neighbourhood_temporal_coherence : float
        The pixel's phase-linking temporal coherence and the mean over its neighbourhood.
    coherence : float
        The pixel's average spatial coherence.
    """

    y: int
    x: int
    num_unwrapped: int
    num_pairs: int
    num_candidates: int
    reliable: bool
    temporal_coherence: float
    neighbourhood_temporal_coherence: float
    coherence: float

    def describe(self) -> str:
        """One sentence saying why this pixel was chosen."""
        where = ("unwrapped (connected component != 0) in all "
                 f"{self.num_pairs} kept interferograms" if self.num_unwrapped == self.num_pairs
                 else f"unwrapped in {self.num_unwrapped} of {self.num_pairs} kept interferograms, "
                      "the most of any pixel")
        pool = "reliable " if self.reliable else ""
        return (f"y/x = {self.y}/{self.x}: {where}; of the {self.num_candidates} {pool}pixels "
                f"alike, the most reliable neighbourhood (mean temporal coherence "
                f"{self.neighbourhood_temporal_coherence:.2f} over {NEIGHBOURHOOD} x "
                f"{NEIGHBOURHOOD} pixels, own {self.temporal_coherence:.2f}; average spatial "
                f"coherence {self.coherence:.2f})")


def choose_reference(num_unwrapped: np.ndarray, num_pairs: int, temporal_coherence: np.ndarray,
                     min_temporal_coherence: float, coherence: np.ndarray,
                     allowed: np.ndarray) -> ReferenceChoice:
    """Choose the reference pixel (see the module docstring).

    Parameters
    ----------
    num_unwrapped : ndarray, shape (L, W), int
        Number of kept interferograms in which each pixel is unwrapped.
    num_pairs : int
        Number of kept interferograms.
    temporal_coherence : ndarray, shape (L, W), float
        Phase-linking temporal coherence (0-1; NaN counts as 0).
    min_temporal_coherence : float
        Reliability threshold on ``temporal_coherence`` (``minopy.timeseries.minTempCoh``).
    coherence : ndarray, shape (L, W), float
        Average spatial coherence of the interferograms (0-1; NaN counts as 0).
    allowed : ndarray, shape (L, W), bool
        Pixels that may be the reference (on land, not in shadow, valid for MintPy).

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
    tcoh = np.nan_to_num(np.asarray(temporal_coherence, dtype=np.float64), nan=0.0)
    coh = np.nan_to_num(np.asarray(coherence, dtype=np.float64), nan=0.0)
    candidates = counts == best
    reliable = candidates & (tcoh >= min_temporal_coherence)
    use_reliable = bool(reliable.any())
    if use_reliable:
        candidates = reliable

    def around(values: np.ndarray) -> np.ndarray:
        # rounded so that equal neighbourhoods tie exactly (the filter's sums differ in the
        # last bits from place to place)
        mean = ndimage.uniform_filter(np.where(candidates, values, 0.0), size=NEIGHBOURHOOD,
                                      mode="constant", cval=0.0)
        return np.round(mean, 6)

    score, tie = around(tcoh), around(coh)
    flat = np.flatnonzero(candidates)
    order = np.lexsort((flat, -tie.ravel()[flat], -score.ravel()[flat]))
    y, x = np.unravel_index(int(flat[order[0]]), coh.shape)
    return ReferenceChoice(int(y), int(x), best, int(num_pairs), int(flat.size), use_reliable,
                           float(tcoh[y, x]), float(score[y, x]), float(coh[y, x]))
