"""Static 2-D maps of the synthetic scene: DEM, land-cover classes, water, shadow, PS, backscatter.

Class codes of the ``coherence_class`` map: ``0`` water (incoherent), ``1..K`` the distributed-
scatterer classes of ``SimulationParams.classes`` in order, :data:`CLASS_SHADOW` radar shadow
(incoherent), :data:`CLASS_PS` persistent scatterers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter

from minopy.simulate.params import SimulationParams

CLASS_WATER = 0
CLASS_SHADOW = 254
CLASS_PS = 255


def component_rng(seed: int, *keys: int) -> np.random.Generator:
    """Independent, reproducible random generator for one component of the simulation."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), *map(int, keys)]))


def smooth_field(rng: np.random.Generator, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """Gaussian random field with zero mean, unit standard deviation and smoothing ``sigma`` pixels.

    Returns
    -------
    numpy.ndarray, shape ``shape``, float64
    """
    field = gaussian_filter(rng.standard_normal(shape), sigma=max(sigma, 0.0), mode="reflect")
    std = field.std()
    return (field - field.mean()) / (std if std > 0 else 1.0)


@dataclass
class SceneMaps:
    """The static maps, each of shape (length, width).

    Attributes
    ----------
    height : float64
        DEM in metres.
    water, shadow, ps : bool
        Water body, radar shadow and persistent-scatterer pixels.
    background : uint8
        Class before PS are placed (0 water, 1..K DS, CLASS_SHADOW); PS keep their clutter class.
    coherence_class : uint8
        ``background`` with PS pixels set to CLASS_PS.
    amplitude : float32
        Mean backscatter amplitude (relative units, without the SLC scale).
    ps_phase : float32
        Constant scattering phase of PS pixels (radians; 0 elsewhere).
    """

    height: np.ndarray
    water: np.ndarray
    shadow: np.ndarray
    ps: np.ndarray
    background: np.ndarray
    coherence_class: np.ndarray
    amplitude: np.ndarray
    ps_phase: np.ndarray


def water_body(params: SimulationParams) -> np.ndarray:
    """Boolean ellipse of the water body, shape (length, width)."""
    cy, cx, ry, rx = params.water_fraction_yx
    if ry <= 0 or rx <= 0:
        return np.zeros((params.length, params.width), dtype=bool)
    yy, xx = np.mgrid[0:params.length, 0:params.width]
    return ((yy / params.length - cy) / ry) ** 2 + ((xx / params.width - cx) / rx) ** 2 <= 1.0


def make_dem(params: SimulationParams, seed: int, water: np.ndarray) -> np.ndarray:
    """DEM (metres): a hill, rolling terrain, an escarpment facing away from the radar, a flat lake.

    Returns
    -------
    numpy.ndarray, shape (length, width), float64
    """
    L, W = params.length, params.width
    rng = component_rng(seed, 1)
    yy, xx = np.mgrid[0:L, 0:W] / np.array([L, W])[:, None, None]
    hill = np.exp(-(((yy - 0.3) / 0.35) ** 2 + ((xx - 0.35) / 0.45) ** 2))
    rolling = smooth_field(rng, (L, W), max(L, W) / 8)
    dem = 20.0 + params.dem_relief * hill + 0.08 * params.dem_relief * rolling
    if params.cliff_height > 0:
        # higher at near range, dropping steeply with range in a row band: radar shadow behind it
        band = np.exp(-(((yy - 0.62) / 0.14) ** 8))
        edge = 0.5 * (1.0 - np.tanh((xx - 0.78) * W / 1.2))
        dem = dem + params.cliff_height * band * edge
    if water.any():
        dem[water] = np.min(dem[water])
    return dem


def shadow_mask(height: np.ndarray, ground_range_step: float, incidence: np.ndarray) -> np.ndarray:
    """Radar shadow of a right-looking radar whose near range is column 0.

    A pixel is in shadow when terrain at nearer range rises above its line of sight to the radar:
    ``max_{j'<j}(h_j' + x_j' cot(theta)) > h_j + x_j cot(theta)``, ``x`` the ground range.

    Parameters
    ----------
    height : numpy.ndarray, shape (L, W)
        DEM in metres.
    ground_range_step : float
        Ground distance between columns in metres.
    incidence : numpy.ndarray, shape (L, W)
        Incidence angle in degrees.

    Returns
    -------
    numpy.ndarray, shape (L, W), bool
    """
    x = np.arange(height.shape[1]) * ground_range_step
    u = height + x[None, :] / np.tan(np.radians(incidence))
    prior = np.maximum.accumulate(u, axis=1)
    prior = np.concatenate([np.full((u.shape[0], 1), -np.inf), prior[:, :-1]], axis=1)
    return prior > u + 1e-6


def class_map(params: SimulationParams, seed: int, land: np.ndarray) -> np.ndarray:
    """Partition the land into the DS classes by quantiles of a smooth random field.

    Returns
    -------
    numpy.ndarray, shape (L, W), uint8
        0 on non-land, 1..K elsewhere (class 1 where the field is highest).
    """
    field = smooth_field(component_rng(seed, 2), (params.length, params.width),
                         params.class_smoothness)
    out = np.zeros(field.shape, dtype=np.uint8)
    if not land.any():
        return out
    frac = np.array([c.fraction for c in params.classes], dtype=np.float64)
    cum = np.cumsum(frac / frac.sum())[:-1]
    thresholds = np.quantile(field[land], 1.0 - cum)
    codes = 1 + np.searchsorted(-thresholds, -field, side="right")
    out[land] = codes[land].astype(np.uint8)
    return out


def place_ps(params: SimulationParams, seed: int, candidates: np.ndarray) -> np.ndarray:
    """Random persistent-scatterer pixels among ``candidates`` (bool map), at least 2 px apart."""
    rng = component_rng(seed, 3)
    ps = np.zeros(candidates.shape, dtype=bool)
    idx = np.flatnonzero(candidates)
    rng.shuffle(idx)
    taken = np.zeros(candidates.shape, dtype=bool)
    count = 0
    for flat in idx:
        if count >= params.n_ps:
            break
        y, x = divmod(int(flat), candidates.shape[1])
        if taken[y, x]:
            continue
        ps[y, x] = True
        taken[max(y - 2, 0):y + 3, max(x - 2, 0):x + 3] = True
        count += 1
    return ps


def make_scene(params: SimulationParams, seed: int, incidence: np.ndarray,
               ground_range_step: float) -> SceneMaps:
    """Build all static maps.

    Parameters
    ----------
    params : SimulationParams
    seed : int
    incidence : numpy.ndarray, shape (L, W)
        Incidence angle (degrees) of the flat-earth geometry, used for the shadow test.
    ground_range_step : float
        Ground distance between columns (m).
    """
    water = water_body(params)
    height = make_dem(params, seed, water)
    shadow = shadow_mask(height, ground_range_step, incidence) & ~water
    land = ~water & ~shadow
    background = class_map(params, seed, land)
    background[shadow] = CLASS_SHADOW
    margin = np.zeros_like(land)
    margin[2:-2, 2:-2] = True
    ps = place_ps(params, seed, land & margin)
    cls = background.copy()
    cls[ps] = CLASS_PS
    rng = component_rng(seed, 4)
    texture = np.exp(0.35 * smooth_field(rng, height.shape, 3.0))
    mean_amp = np.full(height.shape, 0.08)
    for code, c in enumerate(params.classes, start=1):
        mean_amp[background == code] = c.amplitude
    mean_amp[shadow] = 0.05
    amplitude = (mean_amp * texture).astype(np.float32)
    ps_phase = np.where(ps, rng.uniform(-np.pi, np.pi, height.shape), 0.0).astype(np.float32)
    return SceneMaps(height, water, shadow, ps, background, cls, amplitude, ps_phase)
