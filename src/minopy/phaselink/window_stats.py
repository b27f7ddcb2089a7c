"""Per-pixel intensity statistics of a block and their window sums, shared by the SHP tests and
the PS test.

For every pixel: the temporal mean power ``P̄ = mean_t |z_t|²`` and the temporal relative
variance of its intensity ``cv2 = var_t(|z_t|²) / P̄²`` (ddof 1). For windows: summed-area tables
of the valid-pixel count, of ``cv2`` and of ``ln P̄`` over valid pixels, so that any window mean
costs O(1) and uses only the window's own pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit


@dataclass(frozen=True)
class WindowStats:
    """Intensity statistics of a block of ``H x W`` pixels.

    Attributes
    ----------
    power : ndarray, shape (H, W), float64
        Temporal mean power ``P̄`` (0 for invalid pixels).
    log_power : ndarray, shape (H, W), float64
        ``ln P̄`` (0 for invalid pixels).
    cv2 : ndarray, shape (H, W), float64
        Temporal ``var(I) / mean(I)²`` (0 for invalid pixels).
    count_sat, cv2_sat, logp_sat : ndarray, shape (H + 1, W + 1), float64
        Summed-area tables of the valid count, of ``cv2`` and of ``ln P̄`` over valid pixels.
    """

    power: np.ndarray
    log_power: np.ndarray
    cv2: np.ndarray
    count_sat: np.ndarray
    cv2_sat: np.ndarray
    logp_sat: np.ndarray


def summed_area(values: np.ndarray) -> np.ndarray:
    """Summed-area table with a zero first row and column, shape (H + 1, W + 1)."""
    out = np.zeros((values.shape[0] + 1, values.shape[1] + 1))
    out[1:, 1:] = values.cumsum(axis=0).cumsum(axis=1)
    return out


def window_stats(amplitude: np.ndarray, valid: np.ndarray) -> WindowStats:
    """Compute :class:`WindowStats`.

    Parameters
    ----------
    amplitude : ndarray, shape (N, H, W)
        ``|slc|`` (non-finite where invalid).
    valid : ndarray, shape (H, W), bool
    """
    inten = np.nan_to_num(amplitude.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0) ** 2
    power = inten.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv2 = np.where(power > 0, inten.var(axis=0, ddof=1) / (power * power), 0.0)
        logp = np.where(valid & (power > 0), np.log(power), 0.0)
    power = np.where(valid, power, 0.0)
    cv2 = np.where(valid, cv2, 0.0)
    return WindowStats(power=power, log_power=logp, cv2=cv2,
                       count_sat=summed_area(valid.astype(np.float64)),
                       cv2_sat=summed_area(cv2), logp_sat=summed_area(logp))


@njit(cache=True)
def window_mean(sat: np.ndarray, count_sat: np.ndarray, r: int, c: int, ha: int, hr: int) -> float:
    """Mean over the valid pixels of the window of ``(r, c)`` (truncated at the block edge)."""
    height = sat.shape[0] - 1
    width = sat.shape[1] - 1
    r0 = max(r - ha, 0)
    r1 = min(r + ha + 1, height)
    c0 = max(c - hr, 0)
    c1 = min(c + hr + 1, width)
    tot = sat[r1, c1] - sat[r0, c1] - sat[r1, c0] + sat[r0, c0]
    num = count_sat[r1, c1] - count_sat[r0, c1] - count_sat[r1, c0] + count_sat[r0, c0]
    return tot / num if num > 0 else 0.0


@njit(cache=True)
def ensemble_cv2(window_cv2: float, num_dates: int, dependence: float) -> float:
    """Relative ensemble variance of one intensity, from the window mean of the temporal one.

    A pixel's dates see only the share ``1 − s`` of the ensemble variance (the rest is common to
    its dates), so ``CV²_ens = cv2 (N − 1) / (N (1 − s))``, capped at 1 (single-look speckle).
    """
    if dependence >= 1.0 - 1e-9:
        return 1.0
    ens = window_cv2 * (num_dates - 1.0) / (num_dates * (1.0 - dependence))
    return ens if ens < 1.0 else 1.0
