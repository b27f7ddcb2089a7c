"""Streaming sequential phase linking: one mini-stack at a time, earlier ones compressed.

The streaming definition of the ``sequential_*`` estimators (``minopy.inversion.sequentialMode =
streaming``; Ansari et al. 2017 with the compressed images as pseudo-dates, as in dolphin) links
mini-stack ``k`` (dates ``s_k .. e_k - 1``) as the *pseudo-stack*

    ``[C_0, .., C_{k-1}, z_{s_k}, .., z_{e_k - 1}]``

with the full patch chain (SHPs, PS rule, the base estimator EVD/EMI/PTA) and keeps the phases of
its own dates. The output is referenced to row 0, which is date 0 for ``k = 0`` and ``C_0`` for
``k > 0``; ``C_0`` carries the phase of date 0, so every mini-stack comes out in the date-0 frame
without a later datum connection. Mini-stack ``k`` depends only on dates up to ``e_k``: when dates
are appended, the earlier mini-stacks and their phases do not change.

The compressed image of a mini-stack is, per pixel, the mean of its dates projected on the
pixel's own linked phases: ``C_k = Σ_t z_t exp(-i φ_t) / n_k`` (unit weights; the amplitude stays
on the scale of one SLC, so the pseudo-stack's amplitude statistics stay comparable).

This module is pure numeric: the caller reads the blocks and keeps the files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def pseudo_stack(compressed: np.ndarray, slc: np.ndarray) -> np.ndarray:
    """The rows phase linked for one mini-stack.

    Parameters
    ----------
    compressed : ndarray, shape (k, H, W), complex64
        Compressed images of the earlier mini-stacks (``k`` may be 0).
    slc : ndarray, shape (n_k, H, W), complex64
        The mini-stack's own dates (the same block).

    Returns
    -------
    ndarray, shape (k + n_k, H, W), complex64
    """
    if compressed.shape[1:] != slc.shape[1:]:
        raise ValueError(f"compressed images {compressed.shape[1:]} and SLCs {slc.shape[1:]} "
                         "cover different blocks")
    return np.concatenate([compressed.astype(np.complex64, copy=False),
                           slc.astype(np.complex64, copy=False)], axis=0)


def compress(slc: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """Compressed image of a mini-stack: ``Σ_t z_t exp(-i φ_t) / n_k`` per pixel.

    Parameters
    ----------
    slc : ndarray, shape (n_k, h, w), complex64
        The mini-stack's dates at the output pixels.
    phase : ndarray, shape (n_k, h, w), float32
        Their linked phases (rad, date-0 frame); NaN for no-data pixels.

    Returns
    -------
    ndarray, shape (h, w), complex64
        NaN where any phase or sample is not finite.
    """
    if slc.shape != phase.shape:
        raise ValueError(f"slc {slc.shape} and phase {phase.shape} differ in shape")
    n = slc.shape[0]
    rot = np.exp(-1j * phase.astype(np.float32)).astype(np.complex64)
    out = np.zeros(slc.shape[1:], dtype=np.complex64)
    for t in range(n):  # a fixed summation order, so equal inputs give equal bits
        out += slc[t] * rot[t]
    out /= np.float32(n)
    out[~np.isfinite(out)] = np.complex64(complex(np.nan, np.nan))
    return out


@dataclass(frozen=True)
class RunningStats:
    """Per-pixel sums carried from mini-stack to mini-stack (shapes (h, w)).

    Attributes
    ----------
    coherence_sum : float64
        Sum of the mini-stacks' temporal coherences (``temporal_coherence[0]``).
    amplitude_sum, amplitude_sq_sum : float64
        Sums over all dates so far of the pixel's own ``|z|`` and ``|z|²``.
    num_dates : int
        Dates summed.
    num_ministacks : int
        Mini-stacks summed.
    ps_always : bool
        PS in every mini-stack so far.
    """

    coherence_sum: np.ndarray
    amplitude_sum: np.ndarray
    amplitude_sq_sum: np.ndarray
    num_dates: int
    num_ministacks: int
    ps_always: np.ndarray

    def add(self, coherence: np.ndarray, slc: np.ndarray, ps: np.ndarray) -> RunningStats:
        """The sums after one more mini-stack (its coherence (h, w), own samples
        (n_k, h, w) and PS flags (h, w))."""
        amp = np.abs(slc).astype(np.float64)
        asum = self.amplitude_sum.copy()
        a2sum = self.amplitude_sq_sum.copy()
        for t in range(amp.shape[0]):
            asum += amp[t]
            a2sum += amp[t] * amp[t]
        return RunningStats(self.coherence_sum + coherence.astype(np.float64), asum, a2sum,
                            self.num_dates + amp.shape[0], self.num_ministacks + 1,
                            self.ps_always & ps.astype(bool))

    @staticmethod
    def empty(shape: tuple[int, int]) -> RunningStats:
        """Sums before the first mini-stack."""
        return RunningStats(np.zeros(shape), np.zeros(shape), np.zeros(shape), 0, 0,
                            np.ones(shape, dtype=bool))

    def average_coherence(self) -> np.ndarray:
        """Mean mini-stack temporal coherence, float32 (h, w)."""
        return (self.coherence_sum / max(self.num_ministacks, 1)).astype(np.float32)

    def amplitude_dispersion(self, cap: float = 1.0) -> np.ndarray:
        """``std / mean`` of the own amplitude over all dates so far (ddof 0), capped; NaN where
        the sums are not finite (no-data), float32 (h, w)."""
        n = max(self.num_dates, 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = self.amplitude_sum / n
            var = np.maximum(self.amplitude_sq_sum / n - mean * mean, 0.0)
            out = np.minimum(np.sqrt(var) / mean, cap)
        out[~np.isfinite(self.amplitude_sum)] = np.nan
        return out.astype(np.float32)
