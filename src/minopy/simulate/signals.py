"""Time-dependent signals: dates, baselines, deformation, troposphere and DEM-error terms.

Sign convention (MintPy ``timeseries.h5``): every signal is a line-of-sight displacement in metres,
positive towards the satellite (a range decrease), relative to the first date. The SLC phase of
date ``i`` carries ``+4 pi / wavelength * ts_i`` (ISCE phase ``-4 pi R / wavelength``) where
``ts_i`` is the sum of

- ``displacement``: a Gaussian subsidence bowl, linear velocity ``v`` plus a seasonal cosine that
  peaks on ``seasonal_peak_doy``;
- ``tropo``: minus the excess tropospheric path delay,
  ``-[(k_i - k_0) (h - mean(h)) + (n_i - n_0)]`` with a per-date height coefficient ``k_i``
  (m/m) and smooth turbulence ``n_i`` (m); with ``tropo_model = "weather"`` the stratified part
  is the line-of-sight delay ``D_i`` of a synthetic atmosphere instead (``atmosphere.py``):
  ``-[(D_i - D_0) + (n_i - n_0)]``;
- the DEM-error term ``bperp_i * dz / (R sin(theta))`` (MintPy ``correct_topography`` model).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np

from minopy.simulate.coherence import DAYS_PER_YEAR
from minopy.simulate.params import SimulationParams
from minopy.simulate.scene import SceneMaps, component_rng, smooth_field


def acquisition_dates(params: SimulationParams) -> list[str]:
    """Dates ``YYYYMMDD`` of the acquisitions (regular sampling)."""
    start = datetime.strptime(params.start_date, "%Y%m%d").date()
    return [(start + timedelta(days=i * params.interval_days)).strftime("%Y%m%d")
            for i in range(params.n_dates)]


def day_of_year_times(params: SimulationParams) -> np.ndarray:
    """Acquisition times in days since 1 January of the first year, shape (N,)."""
    start = datetime.strptime(params.start_date, "%Y%m%d").date()
    offset = (start - date(start.year, 1, 1)).days
    return offset + params.interval_days * np.arange(params.n_dates, dtype=np.float64)


def perpendicular_baselines(params: SimulationParams, seed: int) -> np.ndarray:
    """Perpendicular baselines (m) of each date relative to the first date (0), shape (N,)."""
    rng = component_rng(seed, 10)
    b = rng.normal(0.0, params.bperp_std, params.n_dates)
    return (b - b[0]).astype(np.float64)


def deformation_maps(params: SimulationParams) -> tuple[np.ndarray, np.ndarray]:
    """Linear velocity (m/yr) and seasonal amplitude (m) of the subsidence bowl, each (L, W)."""
    L, W = params.length, params.width
    yy, xx = np.mgrid[0:L, 0:W].astype(np.float64)
    cy, cx = params.bowl_center_yx[0] * L, params.bowl_center_yx[1] * W
    radius = params.bowl_radius * np.hypot(L, W)
    shape = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * radius**2))
    return params.bowl_rate * shape, params.bowl_seasonal * shape


def seasonal_term(params: SimulationParams) -> np.ndarray:
    """Seasonal function ``cos(2 pi (t - peak) / yr)`` minus its value at date 0, shape (N,)."""
    t = day_of_year_times(params)
    s = np.cos(2 * np.pi * (t - params.seasonal_peak_doy) / DAYS_PER_YEAR)
    return s - s[0]


def displacement_at(k: int, params: SimulationParams, velocity: np.ndarray,
                    seasonal_amp: np.ndarray) -> np.ndarray:
    """Deformation of date ``k`` relative to date 0 (m, LOS, towards the satellite), (L, W)."""
    years = k * params.interval_days / DAYS_PER_YEAR
    return velocity * years + seasonal_amp * seasonal_term(params)[k]


def tropo_coefficients(params: SimulationParams, seed: int) -> np.ndarray:
    """Per-date height-correlated delay coefficients ``k_i`` (m/m), shape (N,)."""
    return component_rng(seed, 11).normal(0.0, params.tropo_gradient_std, params.n_dates)


def turbulence(k: int, params: SimulationParams, seed: int) -> np.ndarray:
    """Turbulent LOS delay of date ``k`` (m), (L, W)."""
    rng = component_rng(seed, 12, k)
    field = smooth_field(rng, (params.length, params.width), params.turbulence_smoothness)
    return params.turbulence_std * field


def tropo_at(k: int, params: SimulationParams, seed: int, coeffs: np.ndarray, height: np.ndarray,
             turb0: np.ndarray) -> np.ndarray:
    """Tropospheric term of date ``k`` in the time series (m, minus the relative delay), (L, W)."""
    dh = height - height.mean()
    delay = (coeffs[k] - coeffs[0]) * dh + turbulence(k, params, seed) - turb0
    return -delay


def weather_tropo_at(k: int, params: SimulationParams, seed: int, delay_k: np.ndarray,
                     delay_0: np.ndarray, turb0: np.ndarray) -> np.ndarray:
    """Tropospheric term of date ``k`` for ``tropo_model = "weather"`` (m), (L, W).

    ``delay_k``/``delay_0`` are the line-of-sight delays (m) of the atmospheres of dates k and 0.
    """
    return -((delay_k - delay_0) + turbulence(k, params, seed) - turb0)


def dem_error_map(params: SimulationParams, seed: int, scene: SceneMaps) -> np.ndarray:
    """DEM error (m): smooth field, larger random values on persistent scatterers; 0 on water.

    The field is smooth over ``dem_error_smoothness`` pixels, so that distributed scatterers in one
    SHP window share (almost) the same DEM error, as terrain errors do; a persistent scatterer (a
    building) has its own.
    """
    rng = component_rng(seed, 13)
    dz = params.dem_error_std * smooth_field(rng, scene.height.shape, params.dem_error_smoothness)
    dz[scene.ps] = rng.normal(0.0, params.ps_dem_error_std, int(scene.ps.sum()))
    dz[scene.water] = 0.0
    return dz


def dem_error_term(bperp: float, dem_error: np.ndarray, slant_range: np.ndarray,
                   incidence: np.ndarray) -> np.ndarray:
    """``bperp * dz / (R sin(theta))`` (m) for one date; arrays broadcast to (L, W)."""
    return bperp * dem_error / (slant_range * np.sin(np.radians(incidence)))
