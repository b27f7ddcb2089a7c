"""The per-pixel numba kernel behind :func:`minopy.phaselink.patch.process_patch`.

One parallel loop over the core rows of a block; per pixel: gather the SHP samples, covariance
and coherence, PS test or phase linking, temporal coherence, CRLB and amplitude. All workspace is
allocated once per row.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._linalg import cabs
from .covariance import (
    covariance_planar,
    covariance_to_coherence,
    gather_samples,
    mean_amplitude,
)
from .crlb import crlb_from_inverse, crlb_vector
from .estimators import (
    CODE_EVD,
    CODE_MASKED,
    CODE_PS,
    CODE_STBAS,
    estimate_vector_inv,
    evd_vector,
)
from .ps import is_ps, top_eigenvalues_vector
from .quality import temporal_coherence_vector
from .sequential import sequential_vector

#: Kernel method codes: base estimator code, plus SEQUENTIAL_OFFSET for sequential variants.
SEQUENTIAL_OFFSET = 10

#: Temporal coherence given to non-PS candidates whose coherence is (numerically) 1.
CANDIDATE_MAX_COHERENCE = 0.95


@njit(cache=True, inline="always")
def _own_phase(
    re: np.ndarray, im: np.ndarray, r: int, c: int, i: int, j: int,
    phase: np.ndarray, amplitude: np.ndarray,
) -> None:
    """Write pixel (r, c)'s own interferometric phase s_t conj(s_0) and |s_t| to output (i, j)."""
    ar0 = re[r, c, 0]
    ai0 = im[r, c, 0]
    for t in range(re.shape[2]):
        ar = re[r, c, t]
        ai = im[r, c, t]
        phase[t, i, j] = np.arctan2(ai * ar0 - ar * ai0, ar * ar0 + ai * ai0)
        amplitude[t, i, j] = np.sqrt(ar * ar + ai * ai)
    phase[0, i, j] = 0.0


@njit(cache=True, parallel=True)
def patch_kernel(
    re: np.ndarray,
    im: np.ndarray,
    valid: np.ndarray,
    process: np.ndarray,
    amp_disp: np.ndarray,
    r0: int,
    c0: int,
    ha: int,
    hr: int,
    masks: np.ndarray,
    counts: np.ndarray,
    method: int,
    ministack_size: int,
    lag: int,
    beta0: float,
    ps_num_shp: int,
    ps_amp_disp: float,
    ps_top_percent: float,
    phase: np.ndarray,
    amplitude: np.ndarray,
    shp_count: np.ndarray,
    tcoh: np.ndarray,
    ps_mask: np.ndarray,
    top_eig: np.ndarray,
    estimator: np.ndarray,
    crlb: np.ndarray,
) -> None:
    """Fill the output arrays (see ``PatchResult``) for the core pixels of a block.

    Parameters
    ----------
    re, im : ndarray, shape (H, W, N), float32
        Pixel-major planar SLC block (non-finite values zeroed).
    valid, process : ndarray, shape (H, W), bool
        Data validity and the user processing mask.
    amp_disp : ndarray, shape (H, W), float32
        Amplitude dispersion of the block (capped at 1).
    r0, c0 : int
        Block coordinates of the first core pixel.
    ha, hr : int
        Half window sizes.
    masks : ndarray, shape (h, w, 2 ha + 1, 2 hr + 1), bool
        SHP masks of the core pixels.
    counts : ndarray, shape (h, w), int32
        SHP counts.
    method, ministack_size, lag, beta0 : int, int, int, float
        Estimator code (+ ``SEQUENTIAL_OFFSET`` for sequential), mini-stack size, StBAS band,
        initial EMI shrinkage.
    ps_num_shp, ps_amp_disp, ps_top_percent : int, float, float
        PS candidate thresholds.
    phase, amplitude, shp_count, tcoh, ps_mask, top_eig, estimator, crlb : ndarray
        Outputs, shapes as in ``PatchResult``.
    """
    h, w = counts.shape
    nd = re.shape[2]
    lmax = masks.shape[2] * masks.shape[3]
    seq = method >= SEQUENTIAL_OFFSET
    base = method - SEQUENTIAL_OFFSET if seq else method
    coh_lag = lag if method == CODE_STBAS else 0
    for i in prange(h):
        zr = np.empty((nd, lmax), dtype=np.float32)
        zi = np.empty((nd, lmax), dtype=np.float32)
        gamma = np.empty((nd, nd), dtype=np.complex128)
        absg = np.empty((nd, nd))
        ainv = np.empty((nd, nd))
        cdiag = np.empty(nd)
        x = np.empty(nd, dtype=np.complex128)
        sig = np.empty(nd)
        for j in range(w):
            r = r0 + i
            c = c0 + j
            for k in range(3):
                top_eig[k, i, j] = np.nan
            ps_mask[i, j] = False
            estimator[i, j] = CODE_MASKED
            if not valid[r, c]:
                for t in range(nd):
                    phase[t, i, j] = np.nan
                    amplitude[t, i, j] = np.nan
                    crlb[t, i, j] = np.nan
                tcoh[0, i, j] = 0.0
                tcoh[1, i, j] = 0.0
                shp_count[i, j] = 0
                continue
            if not process[r, c]:
                _own_phase(re, im, r, c, i, j, phase, amplitude)
                for t in range(nd):
                    crlb[t, i, j] = np.nan
                crlb[0, i, j] = 0.0
                tcoh[0, i, j] = 0.0
                tcoh[1, i, j] = 0.0
                shp_count[i, j] = 1
                continue
            n = gather_samples(re, im, r, c, ha, hr, masks[i, j], zr, zi)
            shp_count[i, j] = n
            covariance_planar(zr, zi, n, gamma)
            for t in range(nd):
                cdiag[t] = gamma[t, t].real
            covariance_to_coherence(gamma, gamma)
            ps = False
            have_inv = False
            if n <= ps_num_shp:
                lam1, lam2, top = top_eigenvalues_vector(gamma)
                top_eig[0, i, j] = lam1
                top_eig[1, i, j] = lam2
                top_eig[2, i, j] = top
                ps = is_ps(top, amp_disp[r, c], ps_top_percent, ps_amp_disp)
                if ps:
                    _own_phase(re, im, r, c, i, j, phase, amplitude)
                    tcoh[0, i, j] = 1.0
                    tcoh[1, i, j] = 1.0
                    ps_mask[i, j] = True
                    estimator[i, j] = CODE_PS
                else:
                    evd_vector(gamma, x)
                    g = temporal_coherence_vector(gamma, x, 0)
                    if g >= 1.0 - 1e-6:
                        g = CANDIDATE_MAX_COHERENCE
                    tcoh[0, i, j] = g
                    tcoh[1, i, j] = g
                    estimator[i, j] = CODE_EVD
            else:
                if seq:
                    avg, code = sequential_vector(
                        zr, zi, n, gamma, cdiag, ministack_size, base, beta0, x
                    )
                    tcoh[0, i, j] = avg
                    tcoh[1, i, j] = temporal_coherence_vector(gamma, x, 0)
                else:
                    code, have_inv = estimate_vector_inv(gamma, base, beta0, lag, x, ainv)
                    g = temporal_coherence_vector(gamma, x, coh_lag)
                    tcoh[0, i, j] = g
                    tcoh[1, i, j] = g
                estimator[i, j] = code
            if not ps:
                for t in range(nd):
                    phase[t, i, j] = np.arctan2(x[t].imag, x[t].real)
                    amplitude[t, i, j] = mean_amplitude(zr, zi, t, n)
                phase[0, i, j] = 0.0
            for a in range(nd):
                for b in range(nd):
                    absg[a, b] = cabs(gamma[a, b])
            if have_inv:  # EMI/PTA already inverted the same |Γ|
                crlb_from_inverse(absg, ainv, float(n), 0, sig)
            else:
                crlb_vector(absg, float(n), 0, sig)
            for t in range(nd):
                crlb[t, i, j] = sig[t]
