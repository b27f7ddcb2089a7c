"""Small labelled SLC scenes for testing and benchmarking the whole phase-linking chain.

A scene is a block of ``H x W`` pixels over ``N`` dates in which every pixel belongs to one
:class:`Region` (a distributed-scatterer population with its own coherence model, mean power and
phase history) and some pixels carry a persistent scatterer (PS) on top of their region's clutter.
Unlike :mod:`minopy.simulate.stack` (a whole ISCE stack on disk), a scene is returned in memory
with its truth, so that SHP selection, PS detection, the estimators and the quality measures can be
scored together against what was simulated.

Pixel model (single look): ``z_t = sqrt(P_r) (S_r w)_t exp(j theta_r,t)`` with ``w ~ CN(0, I)`` and
``S_r S_r^H = |Gamma_r|``; a PS adds ``sqrt(SCR P_r) exp(j (theta_r,t + psi_t))``, where ``psi``
is the phase of its own height above the region.

Multilooked pixels (``looks > 1``) imitate a stack delivered as multilooked amplitudes and
single-reference multilooked interferograms (like the shared Houston crop): ``looks`` independent
single-look draws ``z_l`` of the pixel are made and the pixel becomes
``sqrt(mean_l |z_l,t|^2) exp(j arg sum_l z_l,t conj(z_l,ref))``, referenced to date ``ref``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from minopy.simulate.coherence import coherence_matrix, complex_normal, matrix_sqrt
from minopy.simulate.params import CoherenceClass

#: Radar constants used for phase histories (Sentinel-1 C band, metres).
WAVELENGTH = 0.05546576
#: Height-to-phase factor 4 pi / (lambda R sin(inc)) (rad per metre of baseline per metre of
#: height) for R = 850 km and an incidence angle of 38 degrees.
HEIGHT_PHASE_PER_M2 = 4 * np.pi / (WAVELENGTH * 850e3 * np.sin(np.radians(38.0)))


@dataclass(frozen=True)
class Region:
    """One distributed-scatterer population of a scene.

    Attributes
    ----------
    name : str
        Label used in reports.
    coherence : CoherenceClass
        Temporal coherence model (its ``amplitude`` field is not used; see ``power``).
    power : float
        Mean backscatter power (linear).
    velocity : float
        Line-of-sight velocity in m/yr (phase ``4 pi / lambda * v * t``).
    height : float
        Height in metres relative to the DEM (phase ``HEIGHT_PHASE_PER_M2 * bperp * height``).
    """

    name: str
    coherence: CoherenceClass
    power: float = 1.0
    velocity: float = 0.0
    height: float = 0.0


@dataclass
class Scene:
    """A simulated block and its truth.

    Attributes
    ----------
    slc : ndarray, shape (N, H, W), complex64
        The block.
    labels : ndarray, shape (H, W), int
        Region index of every pixel.
    ps_scr : ndarray, shape (H, W), float
        Signal-to-clutter ratio of the PS of each pixel; 0 where there is none.
    phase : ndarray, shape (N, H, W), float
        True phase history of every pixel (its region's, or its PS's), relative to date 0, rad.
    regions : tuple of Region
    gammas : ndarray, shape (R, N, N), float
        True ``|Gamma|`` of each region.
    t_days, bperp : ndarray, shape (N,)
        Acquisition times (days) and perpendicular baselines (m).
    looks : int
        Number of independent looks averaged per pixel.
    """

    slc: np.ndarray
    labels: np.ndarray
    ps_scr: np.ndarray
    phase: np.ndarray
    regions: tuple[Region, ...]
    gammas: np.ndarray
    t_days: np.ndarray
    bperp: np.ndarray
    looks: int


def acquisition_geometry(
    num_dates: int, rng: np.random.Generator, revisit_days: float = 12.0, bperp_std: float = 50.0
) -> tuple[np.ndarray, np.ndarray]:
    """Regular acquisition times and Sentinel-1-like random perpendicular baselines.

    Returns
    -------
    t_days, bperp : ndarray, shape (N,)
        Days since the first date, and metres relative to the first date.
    """
    t = np.arange(num_dates) * float(revisit_days)
    b = rng.normal(0.0, bperp_std, num_dates)
    return t, b - b[0]


def region_phase(region: Region, t_days: np.ndarray, bperp: np.ndarray) -> np.ndarray:
    """Phase history (rad, relative to date 0) of a region, shape (N,)."""
    ph = 4 * np.pi / WAVELENGTH * region.velocity * t_days / 365.25
    ph = ph + HEIGHT_PHASE_PER_M2 * bperp * region.height
    return ph - ph[0]


def make_scene(
    labels: np.ndarray,
    regions: tuple[Region, ...],
    num_dates: int,
    rng: np.random.Generator,
    looks: int = 1,
    ps_scr: np.ndarray | None = None,
    ps_height: float = 15.0,
    revisit_days: float = 12.0,
) -> Scene:
    """Simulate a labelled block.

    Parameters
    ----------
    labels : ndarray, shape (H, W), int
        Region index of each pixel.
    regions : tuple of Region
    num_dates : int
    rng : numpy.random.Generator
    looks : int
        1 for single-look pixels, > 1 for multilooked amplitude + single-reference phase.
    ps_scr : ndarray, shape (H, W), optional
        Signal-to-clutter ratio of a PS in each pixel (0: none).
    ps_height : float
        Standard deviation (m) of the PS heights relative to their region (drawn per PS).
    revisit_days : float

    Returns
    -------
    Scene
    """
    labels = np.asarray(labels)
    height, width = labels.shape
    t, bperp = acquisition_geometry(num_dates, rng, revisit_days)
    scr = np.zeros((height, width)) if ps_scr is None else np.asarray(ps_scr, dtype=float)
    gammas = np.stack([coherence_matrix(t, r.coherence) for r in regions])
    phase = np.empty((num_dates, height, width))
    ref = num_dates // 3
    looks_sum_int = np.zeros((num_dates, height, width))
    looks_sum_cpx = np.zeros((num_dates, height, width), dtype=np.complex128)
    for k, region in enumerate(regions):
        sel = labels == k
        npx = int(sel.sum())
        if npx == 0:
            continue
        root = matrix_sqrt(gammas[k])
        theta = region_phase(region, t, bperp)
        phase[:, sel] = theta[:, None]
        ps_idx = np.flatnonzero(scr[sel] > 0)
        ps_psi = HEIGHT_PHASE_PER_M2 * bperp[:, None] * rng.normal(0.0, ps_height, ps_idx.size)
        ps_psi -= ps_psi[0]
        sub = phase[:, sel]
        sub[:, ps_idx] = theta[:, None] + ps_psi
        phase[:, sel] = sub
        ps_amp = np.sqrt(scr[sel][ps_idx] * region.power)
        for _ in range(looks):
            z = np.sqrt(region.power) * (root @ complex_normal(rng, (num_dates, npx)))
            z = z * np.exp(1j * theta)[:, None]
            z[:, ps_idx] += ps_amp[None, :] * np.exp(1j * (theta[:, None] + ps_psi))
            if looks == 1:
                looks_sum_cpx[:, sel] = z
            else:
                looks_sum_int[:, sel] += np.abs(z) ** 2
                looks_sum_cpx[:, sel] += z * np.conj(z[ref])[None, :]
    if looks == 1:
        slc = looks_sum_cpx
    else:
        slc = np.sqrt(looks_sum_int / looks) * np.exp(1j * np.angle(looks_sum_cpx))
    return Scene(
        slc=slc.astype(np.complex64),
        labels=labels,
        ps_scr=scr,
        phase=phase - phase[0],
        regions=tuple(regions),
        gammas=gammas,
        t_days=t,
        bperp=bperp,
        looks=int(looks),
    )
