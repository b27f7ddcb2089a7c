"""One pixel under the microscope: its SHPs, coherence matrix and phase-linking quality.

:func:`inspect_pixel` reads the SLC window around a pixel from ``slcStack.h5``, selects the pixel's
statistically homogeneous pixels with the two-sample KS test
(:func:`minopy.phaselink.shp.select_shp`), estimates its coherence matrix Γ from them
(:func:`minopy.phaselink.covariance.shp_coherence`), and links the phases with EMI to report the
temporal coherence. :func:`write_pixel_figure` draws |Γ|, ∠Γ and the window's mean amplitude with
the SHPs marked. This is the computation behind ``tcoh_view``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import h5py
import numpy as np

from minopy.errors import InputDataError
from minopy.plot.data import parse_dates
from minopy.plot.maps import new_figure, save_figure


@dataclass
class PixelInspection:
    """SHP and coherence analysis of one pixel.

    Attributes
    ----------
    y, x : int
        The pixel (row, column) in the stack.
    dates : list of datetime
        Acquisition dates (N).
    gamma : ndarray (N, N) complex
        Coherence matrix estimated from the SHPs.
    shp_mask : ndarray (az, rg) bool
        SHPs in the window centred on the pixel (False outside the image).
    window_amplitude : ndarray (az, rg) float
        Mean amplitude over the dates in the window (NaN outside the image).
    num_shp : int
        Number of SHPs (the pixel included).
    temporal_coherence : float
        Temporal coherence of the EMI phase-linking estimate.
    linked_phase : ndarray (N,)
        EMI phases (rad) relative to the first date.
    """

    y: int
    x: int
    dates: list[datetime]
    gamma: np.ndarray
    shp_mask: np.ndarray
    window_amplitude: np.ndarray
    num_shp: int
    temporal_coherence: float
    linked_phase: np.ndarray


def inspect_pixel(slc_file: str | os.PathLike, y: int, x: int, range_window: int = 15,
                  azimuth_window: int = 15, alpha: float = 0.01) -> PixelInspection:
    """Select the SHPs of pixel ``(y, x)`` and estimate its coherence matrix.

    Parameters
    ----------
    slc_file : path-like
        ``slcStack.h5`` (``slc`` (N, L, W) complex, ``date``).
    y, x : int
        Row and column of the pixel.
    range_window, azimuth_window : int
        SHP search window in columns and rows (even sizes become the next odd size).
    alpha : float
        Significance level of the KS test.

    Raises
    ------
    InputDataError
        When the file lacks ``slc``/``date`` or the pixel is outside the image.
    """
    from minopy.phaselink import process_patch
    from minopy.phaselink.covariance import shp_coherence
    from minopy.phaselink.estimators import estimate_phases
    from minopy.phaselink.shp import ShpSelection
    from minopy.phaselink_options import default_phase_link_options

    ha, hr = int(azimuth_window) // 2, int(range_window) // 2
    with h5py.File(slc_file, "r") as f:
        if "slc" not in f or "date" not in f:
            raise InputDataError(f"{slc_file} must hold 'slc' (N, L, W) and 'date'; "
                                 f"it has {sorted(f.keys())}")
        dset = f["slc"]
        _, length, width = dset.shape
        if not (0 <= y < length and 0 <= x < width):
            raise InputDataError(f"pixel y={y} x={x} is outside {slc_file} "
                                 f"({length} rows x {width} columns)")
        r0, r1 = max(0, y - ha), min(length, y + ha + 1)
        c0, c1 = max(0, x - hr), min(width, x + hr + 1)
        block = dset[:, r0:r1, c0:c1].astype(np.complex64)
        dates = parse_dates(f["date"][()])
    amplitude = np.abs(block)
    core = (y - r0, y - r0 + 1, x - c0, x - c0 + 1)
    # the phase-linking chain itself (dependence, PS cut-off, calibrated test, consistency), so
    # the figure shows the SHPs the step uses
    options = default_phase_link_options(method="EMI", shp_test="ks", shp_alpha=alpha,
                               azimuth_window=azimuth_window, range_window=range_window)
    res = process_patch(block, core, options, keep_masks=True)
    num_shp = int(res.shp_count[0, 0])
    if num_shp == 0:
        raise InputDataError(f"pixel y={y} x={x} of {slc_file} has no valid data (NaN or zero "
                             "amplitude), so it has no SHPs")
    selection = ShpSelection(res.shp_masks, res.shp_count, ha, hr, np.zeros((1, 1)))
    gamma = np.asarray(shp_coherence(block, core, selection)[0, 0], dtype=np.complex128)
    phasors, _ = estimate_phases(gamma[None], "EMI")
    tcoh = float(res.temporal_coherence[1, 0, 0])
    window = np.full((2 * ha + 1, 2 * hr + 1), np.nan)
    window[r0 - (y - ha):r1 - (y - ha), c0 - (x - hr):c1 - (x - hr)] = amplitude.mean(axis=0)
    shp_mask = np.asarray(res.shp_masks[0, 0], dtype=bool) & np.isfinite(window)
    return PixelInspection(y, x, dates, gamma, shp_mask, window, num_shp, tcoh,
                           np.angle(phasors[0]))


def write_pixel_figure(path: str | os.PathLike, result: PixelInspection) -> Path:
    """Write |Γ|, ∠Γ and the window mean amplitude with the SHPs marked ``x`` to a PNG."""
    fig = new_figure(15.0, 4.6)
    n = len(result.dates)
    labels = [f"{d:%Y%m%d}" for d in result.dates]
    step = max(1, n // 10)
    ax1 = fig.add_subplot(1, 3, 1)
    img = ax1.imshow(np.abs(result.gamma), cmap="Spectral_r", vmin=0.0, vmax=1.0,
                     interpolation="nearest")
    fig.colorbar(img, ax=ax1, shrink=0.85, label="|Γ|")
    ax1.set_title("Coherence |Γ|", fontsize=10)
    ax2 = fig.add_subplot(1, 3, 2)
    img = ax2.imshow(np.angle(result.gamma), cmap="hsv", vmin=-np.pi, vmax=np.pi,
                     interpolation="nearest")
    fig.colorbar(img, ax=ax2, shrink=0.85, label="rad")
    ax2.set_title("Interferograms ∠Γ", fontsize=10)
    for ax in (ax1, ax2):
        ax.set_xticks(range(0, n, step), labels[::step], rotation=90, fontsize=6)
        ax.set_yticks(range(0, n, step), labels[::step], fontsize=6)
    ax3 = fig.add_subplot(1, 3, 3)
    ha, hr = (s // 2 for s in result.shp_mask.shape)
    extent = (result.x - hr - 0.5, result.x + hr + 0.5, result.y + ha + 0.5, result.y - ha - 0.5)
    with np.errstate(divide="ignore", invalid="ignore"):
        db = 20.0 * np.log10(result.window_amplitude)
    img = ax3.imshow(np.ma.masked_invalid(db), cmap="gray", extent=extent,
                     interpolation="nearest")
    fig.colorbar(img, ax=ax3, shrink=0.85, label="dB")
    rows, cols = np.nonzero(result.shp_mask)
    ax3.plot(cols + result.x - hr, rows + result.y - ha, "x", color="red", markersize=4,
             label=f"{result.num_shp} SHPs")
    ax3.plot([result.x], [result.y], "o", markerfacecolor="none", color="cyan", markersize=8,
             label="pixel")
    ax3.legend(fontsize=7, loc="upper right")
    ax3.set_title("mean amplitude of the window", fontsize=10)
    ax3.set_xlabel("range (column)", fontsize=8)
    ax3.set_ylabel("azimuth (row)", fontsize=8)
    fig.suptitle(f"pixel y={result.y} x={result.x}: {result.num_shp} SHPs, EMI temporal "
                 f"coherence {result.temporal_coherence:.3f}")
    fig.tight_layout()
    return save_figure(fig, path)
