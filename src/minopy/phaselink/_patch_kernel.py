"""The per-pixel numba kernel behind :func:`minopy.phaselink.patch.process_patch`.

One parallel loop over the core rows of a block; per pixel: gather the SHP samples, covariance
and coherence, PS rule or phase linking, debiased temporal coherence, CRLB and amplitude. All
workspace is allocated once per row.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from ._linalg import cabs
from .coherence_bias import FAMILY_EMI, FAMILY_EVD, FAMILY_SEQUENTIAL, debias, noise_bias
from .consistency import BLOCK, MIN_KEPT, log_interval, mixed_set, prune_mask, whitened_power
from .covariance import (
    covariance_planar,
    covariance_to_coherence,
    gather_samples,
    mean_amplitude,
)
from .crlb import crlb_from_inverse, crlb_vector
from .estimators import (
    CODE_EVD,
    CODE_FEW_SHP,
    CODE_MASKED,
    CODE_PS,
    CODE_STBAS,
    estimate_vector_inv,
    evd_vector,
)
from .ps import is_ps, top_eigenvalues_vector
from .quality import neighbour_similarity, temporal_coherence_vector
from .sequential import sequential_vector
from .shp_connectivity import centre_component

#: Kernel method codes: base estimator code, plus SEQUENTIAL_OFFSET for sequential variants.
SEQUENTIAL_OFFSET = 10
#: PS rule codes (see :data:`minopy.phaselink.ps.PS_RULES`).
RULE_SCR = 0
RULE_MINOPY = 1


class KernelOptions(NamedTuple):
    """Options of :func:`patch_kernel` (numba-friendly).

    Attributes
    ----------
    method : int
        Estimator code, plus ``SEQUENTIAL_OFFSET`` for sequential methods.
    ministack_size, lag : int
        Mini-stack size; StBAS band.
    beta0 : float
        Initial EMI shrinkage.
    ps_rule : int
        ``RULE_SCR`` or ``RULE_MINOPY``.
    ps_num_shp : int
        MiNoPy rule: PS candidates have at most this many SHPs.
    ps_amp_disp, ps_top_percent : float
        MiNoPy rule thresholds.
    min_num_shp : int
        Pixels with fewer SHPs are linked by EVD of their small sample and flagged
        ``CODE_FEW_SHP``.
    refine : bool
        Prune each SHP set by its covariance consistency (:mod:`.consistency`).
    nblocks : int
        Date blocks of the consistency test.
    """

    method: int
    ministack_size: int
    lag: int
    beta0: float
    ps_rule: int
    ps_num_shp: int
    ps_amp_disp: float
    ps_top_percent: float
    min_num_shp: int
    refine: bool
    nblocks: int


class KernelOutputs(NamedTuple):
    """Output arrays of :func:`patch_kernel`, shapes as in ``PatchResult``."""

    phase: np.ndarray
    amplitude: np.ndarray
    shp_count: np.ndarray
    tcoh: np.ndarray
    ps_mask: np.ndarray
    top_eig: np.ndarray
    estimator: np.ndarray
    crlb: np.ndarray


@njit(cache=True, inline="always")
def _own_phase(re: np.ndarray, im: np.ndarray, r: int, c: int, i: int, j: int,
               phase: np.ndarray, amplitude: np.ndarray, crlb: np.ndarray) -> None:
    """Write pixel (r, c)'s own interferometric phase s_t conj(s_0), |s_t| and an undefined CRLB
    (NaN, 0 at date 0) to output (i, j)."""
    ar0 = re[r, c, 0]
    ai0 = im[r, c, 0]
    for t in range(re.shape[2]):
        ar = re[r, c, t]
        ai = im[r, c, t]
        phase[t, i, j] = np.arctan2(ai * ar0 - ar * ai0, ar * ar0 + ai * ai0)
        amplitude[t, i, j] = np.sqrt(ar * ar + ai * ai)
        crlb[t, i, j] = np.nan
    phase[0, i, j] = 0.0
    crlb[0, i, j] = 0.0


@njit(cache=True)
def _family(base: int, seq: bool) -> int:
    if seq:
        return FAMILY_SEQUENTIAL
    return FAMILY_EVD if base == CODE_EVD else FAMILY_EMI


@njit(cache=True, parallel=True)
def patch_kernel(re, im, valid, process, amp_disp, scr_ps, r0, c0, sa, sr, ha, hr, masks, counts,
                 logp, null_var, opt: KernelOptions, bias, log_n, log_l, ctable,
                 out: KernelOutputs) -> None:
    """Fill ``out`` for the core pixels of a block.

    Parameters
    ----------
    re, im : ndarray, shape (H, W, N), float32
        Pixel-major planar SLC block (non-finite values zeroed).
    valid, process : ndarray, shape (H, W), bool
        Data validity and the user processing mask.
    amp_disp : ndarray, shape (H, W), float32
        Amplitude dispersion of the block (capped at 1).
    scr_ps : ndarray, shape (h, w), bool
        ``scr`` rule decisions of the core pixels (ignored by the MiNoPy rule).
    r0, c0 : int
        Block coordinates of the first centre (output pixel).
    sa, sr : int
        Steps between centres (output strides, azimuth and range; 1 = every core pixel).
    ha, hr : int
        Half window sizes.
    masks : ndarray, shape (h, w, 2 ha + 1, 2 hr + 1), bool
        SHP masks of the core pixels; replaced by the pruned sets when ``opt.refine``.
    counts : ndarray, shape (h, w), int32
        SHP counts (updated likewise).
    logp : ndarray, shape (H, W), float64
        ``ln P̄`` of the block's pixels.
    null_var : ndarray, shape (h, w), float64
        Null variance of ``ln P̄`` of the core pixels (the consistency test's gate).
    opt : KernelOptions
    bias, log_n, log_l : ndarray
        Noise-bias table of the temporal coherence (:func:`coherence_bias.bias_table`).
    ctable : ndarray
        :func:`consistency.interval_table` of the SHP significance.
    out : KernelOutputs
    """
    # numba parfors drop writes through tuple fields inside prange: unpack first
    phase, amplitude, shp_count, tcoh = out.phase, out.amplitude, out.shp_count, out.tcoh
    ps_mask, top_eig, estimator, crlb = out.ps_mask, out.top_eig, out.estimator, out.crlb
    method, ministack, lag, beta0 = opt.method, opt.ministack_size, opt.lag, opt.beta0
    rule, ps_num_shp, min_shp = opt.ps_rule, opt.ps_num_shp, opt.min_num_shp
    refine, nblocks = opt.refine, opt.nblocks
    ps_amp_disp, ps_top = opt.ps_amp_disp, opt.ps_top_percent
    h, w = counts.shape
    nd = re.shape[2]
    lmax = masks.shape[2] * masks.shape[3]
    seq = method >= SEQUENTIAL_OFFSET
    base = method - SEQUENTIAL_OFFSET if seq else method
    coh_lag = lag if method == CODE_STBAS else 0
    # one mini-stack (fewer than 2 x ministack dates) is the full-stack base estimator
    family = _family(base, seq and nd >= 2 * ministack)
    avg_n = nd // max(1, nd // ministack)  # dates of a mini-stack (average coherence)
    for i in prange(h):
        zr = np.empty((nd, lmax), dtype=np.float32)
        zi = np.empty((nd, lmax), dtype=np.float32)
        gamma = np.empty((nd, nd), dtype=np.complex128)
        absg = np.empty((nd, nd))
        ainv = np.empty((nd, nd))
        cdiag = np.empty(nd)
        x = np.empty(nd, dtype=np.complex128)
        sig = np.empty(nd)
        az, rg = masks.shape[2], masks.shape[3]
        wsum = np.empty(lmax)
        wlog = np.empty(lmax)
        lrs = np.empty((BLOCK, BLOCK))
        lis = np.empty((BLOCK, BLOCK))
        bpow = np.empty(BLOCK)
        wgt = np.ones(lmax)  # equal weights: every SHP counts the same in the reference Γ̂
        yr = np.empty((BLOCK, lmax))
        yi = np.empty((BLOCK, lmax))
        similar = np.empty((az, rg), dtype=np.bool_)
        kept = np.empty((az, rg), dtype=np.bool_)
        allowed = np.empty(az, dtype=np.uint64)
        comp = np.empty(az, dtype=np.uint64)
        state = np.empty((az, rg), dtype=np.int8)
        stack = np.empty(az * rg, dtype=np.int64)
        for j in range(w):
            r = r0 + i * sa
            c = c0 + j * sr
            for k in range(3):
                top_eig[k, i, j] = np.nan
            ps_mask[i, j] = False
            estimator[i, j] = CODE_MASKED
            tcoh[0, i, j] = 0.0
            tcoh[1, i, j] = 0.0
            if not valid[r, c]:
                for t in range(nd):
                    phase[t, i, j] = np.nan
                    amplitude[t, i, j] = np.nan
                    crlb[t, i, j] = np.nan
                shp_count[i, j] = 0
                continue
            if not process[r, c]:
                _own_phase(re, im, r, c, i, j, phase, amplitude, crlb)
                shp_count[i, j] = 1
                continue
            n = counts[i, j]
            shp_count[i, j] = n
            if rule == RULE_SCR and scr_ps[i, j]:
                _own_phase(re, im, r, c, i, j, phase, amplitude, crlb)
                tcoh[0, i, j] = 1.0
                tcoh[1, i, j] = 1.0
                ps_mask[i, j] = True
                estimator[i, j] = CODE_PS
                continue
            gather_samples(re, im, r, c, ha, hr, masks[i, j], zr, zi)
            if refine and n >= 2 * BLOCK and mixed_set(masks[i, j], logp, r, c, ha, hr,
                                                       null_var[i, j]) \
                    and whitened_power(zr, zi, n, wgt, nblocks, wsum, lrs, lis, bpow, yr, yi):
                lo, hi = log_interval(wsum, n, float(nd), ctable, wlog)
                prune_mask(masks[i, j], wsum, lo, hi, ha, hr, similar)
                m = centre_component(similar, ha, hr, allowed, comp, state, stack, kept)
                if MIN_KEPT * n <= m < n:
                    masks[i, j] = kept
                    n = m
                    counts[i, j] = n
                    shp_count[i, j] = n
                    gather_samples(re, im, r, c, ha, hr, masks[i, j], zr, zi)
            covariance_planar(zr, zi, n, gamma)
            for t in range(nd):
                cdiag[t] = gamma[t, t].real
            covariance_to_coherence(gamma, gamma)
            if rule == RULE_MINOPY and n <= ps_num_shp:
                lam1, lam2, top = top_eigenvalues_vector(gamma)
                top_eig[0, i, j] = lam1
                top_eig[1, i, j] = lam2
                top_eig[2, i, j] = top
                if is_ps(top, amp_disp[r, c], ps_top, ps_amp_disp):
                    _own_phase(re, im, r, c, i, j, phase, amplitude, crlb)
                    tcoh[0, i, j] = 1.0
                    tcoh[1, i, j] = 1.0
                    ps_mask[i, j] = True
                    estimator[i, j] = CODE_PS
                    continue
            have_inv = False
            b_full = noise_bias(family, nd, n, bias, log_n, log_l)
            if n < min_shp:
                # too few samples for a covariance: EVD of the small sample (the own phase for
                # one), and as quality the debiased phase similarity with the nearest neighbours
                evd_vector(gamma, x)
                q = neighbour_similarity(re, im, valid, r, c)
                tcoh[0, i, j] = q
                tcoh[1, i, j] = q
                estimator[i, j] = CODE_FEW_SHP
            elif rule == RULE_MINOPY and n <= ps_num_shp:
                evd_vector(gamma, x)
                g = temporal_coherence_vector(gamma, x, np.int64(0))
                b_evd = noise_bias(FAMILY_EVD, nd, n, bias, log_n, log_l)
                tcoh[0, i, j] = debias(g, b_evd)
                tcoh[1, i, j] = debias(g, b_evd)
                estimator[i, j] = CODE_EVD
            elif seq:
                avg, code = sequential_vector(
                    zr, zi, n, gamma, cdiag, ministack, base, beta0, x
                )
                b_avg = noise_bias(FAMILY_EMI, avg_n, n, bias, log_n, log_l)
                tcoh[0, i, j] = debias(avg, b_avg)
                tcoh[1, i, j] = debias(temporal_coherence_vector(gamma, x, np.int64(0)), b_full)
                estimator[i, j] = code
            else:
                code, have_inv = estimate_vector_inv(gamma, base, beta0, lag, x, ainv)
                g = debias(temporal_coherence_vector(gamma, x, coh_lag), b_full)
                tcoh[0, i, j] = g
                tcoh[1, i, j] = g
                estimator[i, j] = code
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
