"""DEM error of persistent scatterers relative to their neighbourhood, for PS-aware unwrapping.

A persistent scatterer (PS: an isolated bright point, e.g. a building corner) sits at its own
height, often tens of metres from the DEM height of its neighbourhood of distributed scatterers
(DS). Its interferometric phase then differs from its neighbours' by ``k_z * B * dz``, more than pi
for typical baselines, and a spatial unwrapper puts the PS on its neighbourhood's cycle: a
whole-cycle error in most pairs, which no closure-based correction can detect. As in PS processing
(StaMPS), the PS's height difference ``dz`` is estimated from the wrapped phase series before
unwrapping, its modelled phase is removed from each interferogram at the PS pixel before
unwrapping and added back to the unwrapped phase afterwards (:mod:`minopy.unwrap.pair`).

Model and sign
--------------
``phase_series.h5`` holds ``p(t) = angle(s_t * conj(s_0))`` and, in minopy's (and the simulator's)
convention, ``p(t) = 4*pi/lambda * timeseries(t)`` with the DEM-error term
``timeseries(t) = B_t * dz / (R * sin(theta))``, so a DEM error adds ``+k_z * B_t * dz`` to
``p(t)``, with

    ``k_z = 4*pi / (lambda * R * sin(theta))``  (R slant range, theta incidence angle),
    ``B_t = bperp[t] - bperp[0]``.

The interferogram of pair ``d1_d2`` has phase ``p(d1) - p(d2)``, so its PS term is
``k_z * dz * (B_d1 - B_d2)``.

Estimation
----------
1. Neighbourhood reference (:func:`neighbourhood_phase`): for each date, the complex mean of
   ``exp(i p)`` over a ``7 x 7`` window centred on the PS, weighted by the phase-linking temporal
   coherence, over the non-PS pixels whose coherence is at least
   :data:`MIN_NEIGHBOUR_COHERENCE` (the PS itself and other PS are excluded). The PS's phase
   relative to it is ``psi_t = angle(exp(i p_ps(t)) * conj(ref(t)))``.
2. Periodogram (:func:`estimate_ps_dem_error`): ``gamma(dz) = |sum_t exp(i (psi_t - k_z B_t dz))|
   / N`` is maximised over ``|dz| <= DZ_MAX`` (150 m) on a grid whose step changes the phase of the
   farthest baseline by :data:`COARSE_STEP_RAD`, then refined twice on finer grids around the
   peak. A constant phase (the PS's offset from its neighbourhood) does not change ``gamma``.
3. The estimate is kept only when ``gamma >= MIN_COHERENCE`` (0.6): for ``N`` dates of pure
   noise, ``N gamma^2`` is about exponentially distributed with mean 1 at each independent trial
   ``dz`` (only a few over +-150 m), so the maximum is about ``sqrt(log(G) / N)``, well below 0.6
   for ``N >= 10`` dates; a PS with phase noise ``sigma`` has ``gamma ~ exp(-sigma^2 / 2)``, so
   0.6 keeps PS with noise up to about 1 rad. A PS with too few dates (fewer than
   :data:`MIN_DATES`), no coherent neighbour or no baseline spread gets no estimate (and so no
   correction).

All functions here except :func:`load_ps_dem_model` are pure.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import h5py
import numpy as np
from scipy import ndimage

#: half size of the neighbourhood window (7 x 7).
HALF_WINDOW = 3
#: neighbours with a lower phase-linking temporal coherence are not used as reference.
MIN_NEIGHBOUR_COHERENCE = 0.5
#: search range of the DEM error, metres.
DZ_MAX = 150.0
#: periodogram coherence needed to keep an estimate.
MIN_COHERENCE = 0.6
#: fewest dates with a valid phase needed for an estimate.
MIN_DATES = 5
#: phase change at the farthest baseline between coarse grid values, radians.
COARSE_STEP_RAD = 0.25
#: PS processed at once in the periodogram (bounds its memory).
CHUNK = 2048
#: bytes of phase read at once when building the neighbourhood reference.
BLOCK_BYTES = 128 * 1024**2


class PsDemEstimate(NamedTuple):
    """Result of :func:`estimate_ps_dem_error`.

    Attributes
    ----------
    dz : numpy.ndarray
        (P,) DEM error relative to the neighbourhood, metres; NaN where rejected.
    coherence : numpy.ndarray
        (P,) periodogram coherence at the peak (0 where nothing could be estimated).
    """

    dz: np.ndarray
    coherence: np.ndarray


@dataclass(frozen=True, eq=False)
class PsDemModel:
    """Per-PS phase model handed to the pair tasks (small and picklable).

    Attributes
    ----------
    y, x : numpy.ndarray
        (P,) int32 pixel row and column of each corrected PS.
    kz_dz : numpy.ndarray
        (P,) float64 ``k_z * dz``: radians per metre of perpendicular baseline.
    dates : tuple of str
        Dates ``YYYYMMDD`` of the phase series.
    baseline : tuple of float
        ``B_t = bperp[t] - bperp[0]`` of each date, metres.
    """

    y: np.ndarray
    x: np.ndarray
    kz_dz: np.ndarray
    dates: tuple[str, ...]
    baseline: tuple[float, ...]

    def pair_phase(self, d1: str, d2: str) -> np.ndarray:
        """(P,) modelled PS phase of pair ``d1_d2``: ``k_z * dz * (B_d1 - B_d2)``, radians."""
        b = dict(zip(self.dates, self.baseline, strict=True))
        if d1 not in b or d2 not in b:
            raise KeyError(f"pair {d1}_{d2}: date not in the phase series {self.dates}")
        return self.kz_dz * (b[d1] - b[d2])

    def fingerprint(self) -> str:
        """SHA-1 of the model (for the pair stamps)."""
        h = hashlib.sha1()
        for arr in (self.y.astype(np.int64), self.x.astype(np.int64),
                    self.kz_dz.astype(np.float64), np.asarray(self.baseline, np.float64)):
            h.update(np.ascontiguousarray(arr).tobytes())
        h.update(",".join(self.dates).encode())
        return h.hexdigest()


def vertical_wavenumber(wavelength: float, slant_range: np.ndarray | float,
                        incidence_deg: np.ndarray | float) -> np.ndarray:
    """``k_z = 4 pi / (lambda R sin(theta))``: phase per metre of baseline per metre of height.

    Parameters
    ----------
    wavelength : float
        Radar wavelength, metres.
    slant_range : numpy.ndarray or float
        Slant range R, metres.
    incidence_deg : numpy.ndarray or float
        Incidence angle theta, degrees.

    Returns
    -------
    numpy.ndarray
        ``k_z`` in rad / m^2, float64.
    """
    r = np.asarray(slant_range, dtype=np.float64)
    inc = np.radians(np.asarray(incidence_deg, dtype=np.float64))
    return 4.0 * np.pi / (float(wavelength) * r * np.sin(inc))


def neighbourhood_phase(
    phase: np.ndarray,
    weight: np.ndarray,
    ys: np.ndarray,
    xs: np.ndarray,
    half: int = HALF_WINDOW,
) -> np.ndarray:
    """Weighted complex mean of ``exp(i phase)`` in a window around each given pixel.

    Parameters
    ----------
    phase : numpy.ndarray
        (N, L, W) wrapped phase.
    weight : numpy.ndarray
        (L, W) non-negative weight of each pixel as a reference (0 for PS and unusable pixels).
        Pixels whose phase is not finite get weight 0 on that date.
    ys, xs : numpy.ndarray
        (P,) pixel rows and columns.
    half : int
        Half window size (window ``2 * half + 1`` square, cut at the image border).

    Returns
    -------
    numpy.ndarray
        (N, P) complex128 reference phasors, not normalised; 0 where no pixel has weight.
    """
    phase = np.asarray(phase)
    ys = np.asarray(ys, dtype=np.intp)
    xs = np.asarray(xs, dtype=np.intp)
    size = (2 * half + 1, 2 * half + 1)
    w = np.where(np.isfinite(weight), weight, 0.0).astype(np.float64)
    out = np.zeros((phase.shape[0], ys.size), dtype=np.complex128)
    for t in range(phase.shape[0]):
        p = phase[t].astype(np.float64)
        wt = np.where(np.isfinite(p), w, 0.0)
        p = np.nan_to_num(p)
        re = ndimage.uniform_filter(wt * np.cos(p), size, mode="constant")
        im = ndimage.uniform_filter(wt * np.sin(p), size, mode="constant")
        out[t] = re[ys, xs] + 1j * im[ys, xs]
    return out


def relative_phase(ps_phase: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``psi = angle(exp(i ps_phase) * conj(reference))``; NaN where the reference is 0.

    Parameters
    ----------
    ps_phase : numpy.ndarray
        (N, P) wrapped phase of the PS.
    reference : numpy.ndarray
        (N, P) complex neighbourhood reference (:func:`neighbourhood_phase`).

    Returns
    -------
    numpy.ndarray
        (N, P) float64 relative wrapped phase.
    """
    ref = np.asarray(reference)
    psi = np.angle(np.exp(1j * np.asarray(ps_phase, dtype=np.float64)) * np.conj(ref))
    return np.where(np.abs(ref) > 0, psi, np.nan)


def _periodogram(z: np.ndarray, bc: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``|sum_t z[p, t] exp(-i bc[t] u[p, k])|`` for (P, N) ``z`` and (P, K) ``u``."""
    return np.abs(np.einsum("pt,ptk->pk", z, np.exp(-1j * bc[None, :, None] * u[:, None, :])))


def estimate_ps_dem_error(
    psi: np.ndarray,
    baseline: np.ndarray,
    kz: np.ndarray | float,
    dz_max: float = DZ_MAX,
    min_coherence: float = MIN_COHERENCE,
) -> PsDemEstimate:
    """DEM error of each PS relative to its neighbourhood from its relative wrapped phase series.

    Maximises the periodogram ``|sum_t exp(i (psi_t - k_z B_t dz))| / n`` over
    ``|dz| <= dz_max`` (see the module docstring).

    Parameters
    ----------
    psi : numpy.ndarray
        (N,) or (N, P) wrapped phase of the PS relative to its neighbourhood; NaN = missing date.
    baseline : numpy.ndarray
        (N,) perpendicular baseline ``B_t`` of each date, metres (any common offset is allowed).
    kz : numpy.ndarray or float
        (P,) or scalar ``k_z`` at each PS (:func:`vertical_wavenumber`).
    dz_max : float
        Search range, metres.
    min_coherence : float
        Estimates with a lower periodogram coherence are rejected (NaN).

    Returns
    -------
    PsDemEstimate
        ``dz`` (P,) metres (NaN where rejected) and ``coherence`` (P,); scalars become (1,).
    """
    psi = np.asarray(psi, dtype=np.float64)
    if psi.ndim == 1:
        psi = psi[:, None]
    n, npix = psi.shape
    kz = np.broadcast_to(np.asarray(kz, dtype=np.float64), (npix,))
    b = np.asarray(baseline, dtype=np.float64)
    if b.shape != (n,):
        raise ValueError(f"baseline has shape {b.shape}, expected ({n},)")
    dz = np.full(npix, np.nan)
    coh = np.zeros(npix)
    valid = np.isfinite(psi)
    nvalid = valid.sum(axis=0)
    ok = (nvalid >= MIN_DATES) & np.isfinite(kz) & (kz > 0)
    bc = b - b.mean()  # the periodogram's modulus ignores a common baseline offset
    span = float(np.max(np.abs(bc))) if n else 0.0
    if span == 0 or not ok.any():
        return PsDemEstimate(dz, coh)
    z_all = np.where(valid, np.exp(1j * np.nan_to_num(psi)), 0).T  # (P, N)
    umax = kz * dz_max
    step = COARSE_STEP_RAD / span
    grid = np.arange(-np.max(umax[ok]), np.max(umax[ok]) + step, step)
    coarse = np.exp(-1j * np.outer(bc, grid))  # (N, G)
    idx = np.flatnonzero(ok)
    for start in range(0, idx.size, CHUNK):
        sel = idx[start:start + CHUNK]
        z = z_all[sel]
        lim = umax[sel, None]
        power = np.abs(z @ coarse)
        power[np.abs(grid)[None, :] > lim + 1e-12] = -1.0
        u = grid[np.argmax(power, axis=1)]
        delta = step
        for _ in range(2):
            cand = np.clip(u[:, None] + np.linspace(-delta, delta, 21)[None, :], -lim, lim)
            power = _periodogram(z, bc, cand)
            u = cand[np.arange(sel.size), np.argmax(power, axis=1)]
            delta /= 10.0
        gamma = _periodogram(z, bc, u[:, None])[:, 0] / nvalid[sel]
        coh[sel] = gamma
        dz[sel] = np.where(gamma >= min_coherence, u / kz[sel], np.nan)
    return PsDemEstimate(dz, coh)


def _block_rows(n: int, width: int) -> int:
    return max(4 * HALF_WINDOW + 1, BLOCK_BYTES // max(1, n * width * 4))


def load_ps_dem_model(
    phase_series_file: str | os.PathLike,
    ps_mask_file: str | os.PathLike,
    geometry_file: str | os.PathLike,
    min_coherence: float = MIN_COHERENCE,
    num_dates: int | None = None,
    ps_override: np.ndarray | None = None,
    coherence_override: np.ndarray | None = None,
) -> tuple[PsDemModel | None, str]:
    """Estimate the DEM error of every PS of ``maskPS.h5`` and build the pair-task model.

    Reads the phase, ``temporalCoherence[0]``, ``date``, ``bperp`` and the ``WAVELENGTH``
    attribute of ``phase_series.h5``, ``incidenceAngle`` and ``slantRangeDistance`` of
    ``geometryRadar.h5`` (slant range from the ``STARTING_RANGE``/``RANGE_PIXEL_SIZE``
    attributes when missing), in row blocks that contain PS.

    Parameters
    ----------
    phase_series_file, ps_mask_file, geometry_file : path-like
        ``inverted/phase_series.h5``, ``maskPS.h5``, ``inputs/geometryRadar.h5``.
    min_coherence : float
        Periodogram coherence needed to keep an estimate.
    num_dates : int, optional
        Use only the first ``num_dates`` dates (the streaming mode's model of the pairs whose
        later date is in a given mini-stack); default all.
    ps_override : ndarray, shape (length, width), bool, optional
        The PS to use instead of ``maskPS.h5``.
    coherence_override : ndarray, shape (length, width), optional
        Neighbour weights instead of ``temporalCoherence[0]`` (may be a memory map).

    Returns
    -------
    model : PsDemModel or None
        The accepted PS and their ``k_z * dz``; None when there is nothing to correct.
    message : str
        One line for the log saying what was done or why nothing was.
    """
    ps_mask_file, phase_series_file = Path(ps_mask_file), Path(phase_series_file)
    if ps_override is None and not ps_mask_file.exists():
        return None, f"PS DEM correction skipped: no PS mask {ps_mask_file}"
    if not phase_series_file.exists():
        return None, f"PS DEM correction skipped: no phase series {phase_series_file}"
    if ps_override is not None:
        ps = np.asarray(ps_override, dtype=bool)
    else:
        with h5py.File(ps_mask_file, "r") as f:
            if "mask" not in f:
                return None, f"PS DEM correction skipped: {ps_mask_file} has no dataset 'mask'"
            ps = np.asarray(f["mask"][()], dtype=bool)
    if not ps.any():
        return None, f"PS DEM correction: no PS in {ps_mask_file}"
    with h5py.File(phase_series_file, "r") as f:
        dset = f["phase"]
        n, length, width = dset.shape
        n = n if num_dates is None else min(int(num_dates), n)
        if ps.shape != (length, width):
            return None, (f"PS DEM correction skipped: {ps_mask_file} is {ps.shape[0]} x "
                          f"{ps.shape[1]} but the phase series is {length} x {width}")
        if "WAVELENGTH" not in f.attrs:
            return None, f"PS DEM correction skipped: {phase_series_file} has no WAVELENGTH"
        wavelength = float(f.attrs["WAVELENGTH"])
        dates = tuple(d.decode() if isinstance(d, bytes) else str(d) for d in f["date"][()])[:n]
        bperp = f["bperp"][:n].astype(np.float64) if "bperp" in f else np.zeros(n)
        attrs = dict(f.attrs)
        ys_all, xs_all = np.nonzero(ps)
        inc, rng = _ps_geometry(geometry_file, attrs, ys_all, xs_all)
        if inc is None or rng is None:
            return None, (f"PS DEM correction skipped: {geometry_file} lacks incidenceAngle or "
                          "slantRangeDistance (and the phase series lacks STARTING_RANGE)")
        kz = vertical_wavenumber(wavelength, rng, inc)
        baseline = bperp - bperp[0]
        psi = np.full((n, ys_all.size), np.nan)
        tcoh_dset = f.get("temporalCoherence")
        rows = _block_rows(n, width)
        h = HALF_WINDOW
        for r0 in range(0, length, rows):
            r1 = min(length, r0 + rows)
            sel = np.flatnonzero((ys_all >= r0) & (ys_all < r1))
            if sel.size == 0:
                continue
            a0, a1 = max(0, r0 - h), min(length, r1 + h)
            phase = dset[:n, a0:a1, :]
            if coherence_override is not None:
                tcoh = coherence_override[a0:a1, :]
            elif tcoh_dset is None:
                tcoh = np.ones((a1 - a0, width))
            elif tcoh_dset.ndim == 3:
                tcoh = tcoh_dset[0, a0:a1, :]
            else:
                tcoh = tcoh_dset[a0:a1, :]
            tcoh = np.nan_to_num(np.asarray(tcoh, dtype=np.float64))
            weight = np.where(~ps[a0:a1] & (tcoh >= MIN_NEIGHBOUR_COHERENCE), tcoh, 0.0)
            ys, xs = ys_all[sel] - a0, xs_all[sel]
            ref = neighbourhood_phase(phase, weight, ys, xs)
            psi[:, sel] = relative_phase(phase[:, ys, xs], ref)
    est = estimate_ps_dem_error(psi, baseline, kz, min_coherence=min_coherence)
    keep = np.isfinite(est.dz)
    npsc = int(ps.sum())
    if not keep.any():
        return None, (f"PS DEM correction: none of {npsc} PS has a DEM-error estimate with "
                      f"periodogram coherence >= {min_coherence}")
    model = PsDemModel(
        y=ys_all[keep].astype(np.int32), x=xs_all[keep].astype(np.int32),
        kz_dz=(kz[keep] * est.dz[keep]).astype(np.float64), dates=dates,
        baseline=tuple(float(v) for v in baseline))
    dzk = np.abs(est.dz[keep])
    return model, (f"PS DEM correction: {int(keep.sum())} of {npsc} PS corrected (periodogram "
                   f"coherence >= {min_coherence}); |dz| median {np.median(dzk):.1f} m, "
                   f"max {dzk.max():.1f} m")


def _ps_geometry(geometry_file: str | os.PathLike, attrs: dict, ys: np.ndarray,
                 xs: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Incidence angle (deg) and slant range (m) at the PS pixels, or None where unavailable."""
    inc = rng = None
    path = Path(geometry_file)
    if path.exists():
        with h5py.File(path, "r") as f:
            if "incidenceAngle" in f:
                inc = np.asarray(f["incidenceAngle"][()], dtype=np.float64)[ys, xs]
            if "slantRangeDistance" in f:
                rng = np.asarray(f["slantRangeDistance"][()], dtype=np.float64)[ys, xs]
    if rng is None and "STARTING_RANGE" in attrs and "RANGE_PIXEL_SIZE" in attrs:
        rng = float(attrs["STARTING_RANGE"]) + xs * float(attrs["RANGE_PIXEL_SIZE"])
    return inc, rng
