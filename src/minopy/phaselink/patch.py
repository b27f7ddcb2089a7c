"""Phase linking of one block: the single entry point used by the phase-linking step.

:func:`process_patch` takes an SLC block read with margins, selects SHPs for the core pixels,
applies the PS rule, phase-links them and returns every per-pixel product in a
:class:`PatchResult`. It does no file I/O and sets no global thread state (the caller chooses
``numba.set_num_threads``).

Chain: window intensity statistics and the temporal dependence of each centre's dates
(:mod:`.window_stats`, :mod:`.dependence`); the ``scr`` PS rule (:mod:`.ps`), whose brightness
cut-off also keeps PS out of their neighbours' SHP sets; SHP selection with tests calibrated for
the dependence (:mod:`.shp`); then per pixel the estimator and the debiased temporal coherence
(:mod:`.coherence_bias`).

Pixel classes
-------------
- **No-data** (any date NaN/inf, or all amplitudes 0): never an SHP of anyone, never processed.
  phase NaN, amplitude NaN, coherence 0, shp_count 0, estimator 0, CRLB NaN, amp_dispersion NaN.
- **Masked** (``mask`` False, data valid): not phase linked. phase = own interferometric phase
  ``angle(s_n conj(s_0))``, amplitude = own ``|s_n|``, coherence 0, shp_count 1, estimator 0, CRLB
  NaN (0 at date 0). Masked pixels still serve as SHP samples of their neighbours (the mask says
  which outputs to compute, not which data are bad).
- **PS** (``scr`` rule: bright against the window's clutter; ``minopy`` rule: ``#SHP <=
  ps_num_shp`` and the MiNoPy test passes): own phase and amplitude, coherence 1, estimator 5,
  ``ps_mask`` True, CRLB NaN (0 at date 0).
- **Few SHPs** (``#SHP < min_num_shp``): EVD phases of the small-sample Γ (the own phase for one
  sample), estimator 7. A handful of samples cannot give a covariance, and their temporal
  coherence is near 1 whatever the data; the quality reported (both bands) is instead the
  debiased maximum phase similarity with the 8 neighbours (:func:`.quality.neighbour_similarity`):
  high only when the pixel shares a stable phase history with an adjacent pixel, 0 for noise.
- **Failed MiNoPy PS candidates** (``minopy`` rule, at least ``min_num_shp`` SHPs): EVD phases,
  debiased temporal coherence, estimator 1.
- **DS**: the configured estimator; amplitude = mean ``|slc|`` over the SHPs per date.

The temporal coherence (both bands) is debiased for the number of samples, so equal values mean
equal quality whatever the SHP count. ``top_eigenvalues`` is computed for MiNoPy PS candidates
only and NaN elsewhere. ``amp_dispersion`` is ``std/mean`` of the pixel's own amplitude (ddof 0)
capped at 1, for all valid pixels.

Seamless tiling: every output depends only on the data inside the pixel's window (in a fixed
window-order), so a pixel whose full window lies inside two different blocks gets bit-identical
results from both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from minopy.errors import ConfigError

from ._patch_kernel import SEQUENTIAL_OFFSET, KernelOptions, KernelOutputs, patch_kernel
from .centres import centre_grid
from .coherence_bias import bias_table
from .consistency import interval_table, log_power_null_variance, num_blocks
from .covariance import planar_pixel_major
from .dependence import window_dependence
from .estimators import BASE_METHODS, ESTIMATOR_CODES
from .ps import PS_RULES, amplitude_dispersion, scr_test
from .sequential import SEQUENTIAL_METHODS
from .shp import SHP_TESTS, select_shp_planar, valid_pixels
from .window_stats import window_stats

METHODS: tuple[str, ...] = (
    "EVD",
    "EMI",
    "PTA",
    "sequential_EVD",
    "sequential_EMI",
    "sequential_PTA",
    "StBAS",
)

__all__ = [
    "ESTIMATOR_CODES",
    "METHODS",
    "PatchResult",
    "PhaseLinkOptionError",
    "PhaseLinkOptions",
    "process_patch",
]


class PhaseLinkOptionError(ConfigError, ValueError):
    """An invalid phase-linking option (a :class:`ValueError` and a ``ConfigError``)."""


def _fail(key: str, value: object, allowed: str) -> None:
    raise PhaseLinkOptionError(f"minopy.inversion.{key} = {value!r} is invalid: {allowed}")


@dataclass(frozen=True)
class PhaseLinkOptions:
    """Phase-linking options (template keys ``minopy.inversion.*`` in brackets).

    There are no defaults here: the defaults are the template's, and
    :mod:`minopy.phaselink_options` makes the options from the typed ``inversion`` section.

    Attributes
    ----------
    method : str
        Estimator [phaseLinkingMethod]: EVD, EMI, PTA, sequential_EVD, sequential_EMI,
        sequential_PTA, StBAS.
    shp_test : str
        SHP test [shpTest]: ks, ad, ttest, glrt.
    shp_alpha : float
        Significance level of the SHP test [shpSignificance], in (0, 1).
    shp_margin : float
        Equivalence margin of the SHP tests [shpMargin]: relative differences of mean power up to
        this fraction are never rejected, >= 0.
    shp_refine : bool
        Prune each SHP set by its covariance consistency [shpRefine] (:mod:`.consistency`).
    azimuth_window, range_window : int
        SHP window in rows / columns [azimuthWindow, rangeWindow]; even sizes become odd
        (half width ``w // 2``).
    ministack_size : int
        Images per mini-stack for sequential methods [ministackSize], >= 2. With fewer than
        ``2 * ministack_size`` dates (also fewer than ``ministack_size``, as MiNoPy allowed) a
        single mini-stack is used, i.e. the full-stack base method (:meth:`uses_full_stack`).
    stbas_num_con : int
        StBAS band: coherences with ``|i - j| < stbas_num_con`` are used [stbas_numCon].
    ps_rule : str
        PS rule [psRule]: ``scr`` (signal-to-clutter ratio against the window, calibrated for the
        dates, their coherence and the looks) or ``minopy`` (MiNoPy's rule, for parity).
    ps_min_scr : float
        ``scr`` rule: smallest signal-to-clutter ratio called PS [psMinScr], > 0.
    ps_num_shp : int
        ``minopy`` rule: pixels with at most this many SHPs are PS candidates [PsNumShp].
    ps_amp_dispersion : float
        ``minopy`` rule: amplitude-dispersion threshold [psAmpDispersion].
    ps_top_eigen_percent : float
        ``minopy`` rule: top-eigenvalue share threshold in percent [psTopEigenPercent].
    min_num_shp : int
        Pixels with fewer SHPs (that are not PS) are linked by EVD of their small sample, flagged
        with estimator code 7 and get a debiased coherence [minNumShp], >= 1.
    emi_beta : float
        Initial shrinkage of ``|Γ|`` towards identity for EMI/PTA/StBAS [emiRegularization].
    strides : tuple of int
        Output strides ``(azimuth, range)`` [strides]: one output pixel per cell of
        ``sa x sr`` full-resolution pixels, its window centred on the cell's centre pixel
        (:mod:`.centres`); SHPs and coherence use the full-resolution data.
    """

    method: str
    shp_test: str
    shp_alpha: float
    shp_margin: float
    shp_refine: bool
    azimuth_window: int
    range_window: int
    ministack_size: int
    stbas_num_con: int
    ps_rule: str
    ps_min_scr: float
    ps_num_shp: int
    ps_amp_dispersion: float
    ps_top_eigen_percent: float
    min_num_shp: int
    emi_beta: float
    strides: tuple[int, int] = (1, 1)

    def validate_stack(self, num_dates: int) -> None:
        """Check every option that does not depend on the image size.

        Raises
        ------
        PhaseLinkOptionError
            (a ``ValueError``) naming the template key, the value and what is allowed.
        """
        if self.method not in METHODS:
            _fail("phaseLinkingMethod", self.method, f"allowed: {', '.join(METHODS)}")
        if self.shp_test not in SHP_TESTS:
            _fail("shpTest", self.shp_test, f"allowed: {', '.join(SHP_TESTS)}")
        if not 0.0 < float(self.shp_alpha) < 1.0:
            _fail("shpSignificance", self.shp_alpha, "must be in the open interval (0, 1)")
        if not 0.0 <= float(self.shp_margin) < 10.0:
            _fail("shpMargin", self.shp_margin, "must be >= 0 and < 10")
        for key, val in (
            ("azimuthWindow", self.azimuth_window),
            ("rangeWindow", self.range_window),
        ):
            if int(val) != val or val < 1:
                _fail(key, val, "must be a positive integer")
        if num_dates < 3:
            raise PhaseLinkOptionError(
                f"phase linking needs at least 3 acquisitions, the stack has {num_dates}"
            )
        if self.method.startswith("sequential_") and self.ministack_size < 2:
            _fail("ministackSize", self.ministack_size, "must be >= 2")
        if self.method == "StBAS" and self.stbas_num_con < 2:
            _fail("stbas_numCon", self.stbas_num_con, "must be >= 2 for StBAS")
        if self.ps_rule not in PS_RULES:
            _fail("psRule", self.ps_rule, f"allowed: {', '.join(PS_RULES)}")
        if not self.ps_min_scr > 0.0:
            _fail("psMinScr", self.ps_min_scr, "must be > 0")
        if self.ps_num_shp < 0:
            _fail("PsNumShp", self.ps_num_shp, "must be >= 0")
        if self.min_num_shp < 1:
            _fail("minNumShp", self.min_num_shp, "must be >= 1")
        if not self.ps_amp_dispersion > 0.0:
            _fail("psAmpDispersion", self.ps_amp_dispersion, "must be > 0")
        if not 0.0 <= self.ps_top_eigen_percent <= 100.0:
            _fail("psTopEigenPercent", self.ps_top_eigen_percent, "must be in [0, 100]")
        if not 0.0 <= self.emi_beta < 1.0:
            _fail("emiRegularization", self.emi_beta, "must be in [0, 1)")
        if (len(tuple(self.strides)) != 2
                or any(int(v) != v or v < 1 for v in tuple(self.strides))):
            _fail("strides", self.strides, "must be two positive integers (azimuth, range)")

    def uses_full_stack(self, num_dates: int) -> bool:
        """Whether a sequential method runs as its full-stack base method on ``num_dates`` dates
        (one mini-stack: fewer than ``2 * ministack_size`` dates)."""
        return self.method.startswith("sequential_") and num_dates < 2 * self.ministack_size

    def validate(self, num_dates: int, length: int, width: int) -> None:
        """Check the options against a stack of ``num_dates`` images of ``length x width``.

        Raises
        ------
        PhaseLinkOptionError
            (a ``ValueError``) naming the template key, the value and what is allowed.
        """
        self.validate_stack(num_dates)
        if self.azimuth_window > length:
            _fail(
                "azimuthWindow",
                self.azimuth_window,
                f"larger than the image length ({length} rows)",
            )
        if self.range_window > width:
            _fail(
                "rangeWindow", self.range_window, f"larger than the image width ({width} columns)"
            )
        sa, sr = (int(v) for v in self.strides)
        if sa > length or sr > width:
            _fail("strides", f"{sa},{sr}", f"larger than the image ({length} x {width})")


@dataclass
class PatchResult:
    """Phase-linking products of the core pixels of a block (h x w pixels, N dates).

    Attributes
    ----------
    phase : ndarray, shape (N, h, w), float32
        Wrapped linked phase in radians relative to date 0 (``phase[0] = 0``); NaN for no-data.
    amplitude : ndarray, shape (N, h, w), float32
        DS: mean ``|slc|`` over the SHPs; PS and masked: own ``|slc|``; NaN for no-data.
    shp_count : ndarray, shape (h, w), int32
        Number of SHPs (centre included); 1 for masked, 0 for no-data pixels.
    temporal_coherence : ndarray, shape (2, h, w), float32
        ``[0]`` average (mean mini-stack coherence for sequential methods), ``[1]`` full; both
        debiased for the number of samples (:mod:`minopy.phaselink.coherence_bias`).
    ps_mask : ndarray, shape (h, w), bool
        True for PS pixels.
    amp_dispersion : ndarray, shape (h, w), float32
        ``std/mean`` of the own amplitude, capped at 1 (all valid pixels; NaN for no-data).
    top_eigenvalues : ndarray, shape (3, h, w), float32
        ``λ1, λ2, top percent`` of the small-sample Γ for PS candidates; NaN elsewhere.
    estimator : ndarray, shape (h, w), uint8
        Estimator code, see :data:`ESTIMATOR_CODES`.
    shp_masks : ndarray, shape (h, w, az, rg), bool, or None
        The final SHP sets (see :class:`~minopy.phaselink.shp.ShpSelection`), when asked for.
    crlb_std : ndarray, shape (N, h, w), float32
        CRLB standard deviation (rad) from the estimated ``|Γ|`` and ``#SHP`` looks; 0 for date 0,
        NaN at the other dates where ``|Γ|`` (or the Fisher matrix) is not positive definite
        (e.g. pixels with fewer SHPs than dates) and for PS and masked pixels; NaN everywhere
        for no-data pixels.
    """

    phase: np.ndarray
    amplitude: np.ndarray
    shp_count: np.ndarray
    temporal_coherence: np.ndarray
    ps_mask: np.ndarray
    amp_dispersion: np.ndarray
    top_eigenvalues: np.ndarray
    estimator: np.ndarray
    crlb_std: np.ndarray
    shp_masks: np.ndarray | None = None


def _method_code(method: str) -> int:
    if method in SEQUENTIAL_METHODS:
        return SEQUENTIAL_METHODS[method] + SEQUENTIAL_OFFSET
    return BASE_METHODS[method]


def process_patch(
    slc: np.ndarray,
    core: tuple[int, int, int, int],
    options: PhaseLinkOptions,
    mask: np.ndarray | None = None,
    keep_masks: bool = False,
) -> PatchResult:
    """Phase-link the core pixels of an SLC block.

    Parameters
    ----------
    slc : ndarray, shape (N, H, W), complex64
        Block read WITH margins (half the window on each side where the image allows).
    core : tuple of int
        ``(row0, row1, col0, col1)`` slice bounds of the output pixels inside the block.
    options : PhaseLinkOptions
    mask : ndarray, shape (H, W), bool, optional
        True = phase-link the pixel. False pixels are not phase linked (see module docstring).
    keep_masks : bool
        Return the final SHP masks in ``PatchResult.shp_masks``.

    Returns
    -------
    PatchResult
        Products of the ``h = row1 - row0`` by ``w = col1 - col0`` core pixels; with
        ``options.strides = (sa, sr)``, of the ``h = (row1 - row0) // sa`` by
        ``w = (col1 - col0) // sr`` output pixels (:func:`.centres.centre_grid`).
    """
    slc = np.asarray(slc)
    if slc.ndim != 3:
        raise ValueError(f"slc must have shape (N, H, W), got {slc.shape}")
    nd, height, width = slc.shape
    options.validate_stack(nd)
    r0, r1, c0, c1 = (int(v) for v in core)
    if not (0 <= r0 <= r1 <= height and 0 <= c0 <= c1 <= width):
        raise ValueError(f"core {core} outside the block of shape {(height, width)}")
    if mask is None:
        process = np.ones((height, width), dtype=bool)
    else:
        process = np.ascontiguousarray(mask, dtype=bool)
        if process.shape != (height, width):
            raise ValueError(f"mask shape {process.shape} != block shape {(height, width)}")

    amp = np.abs(slc)
    valid = valid_pixels(amp)
    re, im = planar_pixel_major(slc)
    ha, hr = int(options.azimuth_window) // 2, int(options.range_window) // 2
    box = (r0, r1, c0, c1)
    strides = (int(options.strides[0]), int(options.strides[1]))
    grid = centre_grid(box, strides)
    stats = window_stats(amp, valid)
    dependence = window_dependence(re, im, valid, box, ha, hr, strides)
    if options.ps_rule == "scr":
        scr_ps, cutoff = scr_test(stats, valid, dependence, box, ha, hr, nd, options.ps_min_scr,
                                  strides)
    else:
        scr_ps = np.zeros((grid.h, grid.w), dtype=bool)
        cutoff = None
    shp = select_shp_planar(
        amp,
        re,
        im,
        valid,
        box,
        options.azimuth_window,
        options.range_window,
        options.shp_test,
        options.shp_alpha,
        options.shp_margin,
        stats=stats,
        dependence=dependence,
        bright_cutoff=cutoff,
        strides=strides,
    )
    null_var = log_power_null_variance(stats, valid, dependence, box, ha, hr, nd, strides)
    logp = stats.log_power
    with np.errstate(invalid="ignore"):
        adisp = amplitude_dispersion(amp, cap=1.0)
    adisp[~valid] = np.nan
    del amp, stats

    h, w = grid.h, grid.w
    centres = (slice(grid.r0, grid.r0 + h * grid.sa, grid.sa),
               slice(grid.c0, grid.c0 + w * grid.sr, grid.sr))
    res = PatchResult(
        phase=np.empty((nd, h, w), dtype=np.float32),
        amplitude=np.empty((nd, h, w), dtype=np.float32),
        shp_count=np.empty((h, w), dtype=np.int32),
        temporal_coherence=np.empty((2, h, w), dtype=np.float32),
        ps_mask=np.empty((h, w), dtype=bool),
        amp_dispersion=np.ascontiguousarray(adisp[centres]),
        top_eigenvalues=np.empty((3, h, w), dtype=np.float32),
        estimator=np.empty((h, w), dtype=np.uint8),
        crlb_std=np.empty((nd, h, w), dtype=np.float32),
    )
    if h == 0 or w == 0:
        return res
    kopt = KernelOptions(
        method=_method_code(options.method),
        ministack_size=int(options.ministack_size),
        lag=int(options.stbas_num_con),
        beta0=float(options.emi_beta),
        ps_rule=PS_RULES[options.ps_rule],
        ps_num_shp=int(options.ps_num_shp),
        ps_amp_disp=float(options.ps_amp_dispersion),
        ps_top_percent=float(options.ps_top_eigen_percent),
        min_num_shp=int(options.min_num_shp),
        refine=bool(options.shp_refine),
        nblocks=num_blocks(nd),
    )
    out = KernelOutputs(res.phase, res.amplitude, res.shp_count, res.temporal_coherence,
                        res.ps_mask, res.top_eigenvalues, res.estimator, res.crlb_std)
    patch_kernel(re, im, valid, process, adisp, scr_ps, grid.r0, grid.c0, grid.sa, grid.sr,
                 shp.half_az, shp.half_rg,
                 shp.masks, shp.counts, logp, null_var, kopt, *bias_table(),
                 interval_table(float(options.shp_alpha)), out)
    if keep_masks:
        res.shp_masks = shp.masks
    return res
