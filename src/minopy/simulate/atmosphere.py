"""A synthetic stratified atmosphere and the tropospheric delay it causes.

Model (one epoch)
-----------------
Heights ``z`` are metres above sea level. At the reference position ``(lat0, lon0)``:

- temperature ``T(z) = T0 - lapse * z`` up to the tropopause ``z_t`` (11 km), constant above;
- pressure from hydrostatic balance of dry air: ``P(z) = P0 (T(z) / T0) ** (g0 / (Rd lapse))``
  below ``z_t`` and ``P_t exp(-g0 (z - z_t) / (Rd T_t))`` above;
- specific humidity ``q(z) = q0 exp(-z / Hq)`` (at least 3e-6 kg/kg);
- water-vapour partial pressure ``e = q P a / (1 + (a - 1) q)`` with ``a = Rv / Rd``.

Away from the reference position, ``T0`` changes by ``dt0_dlat`` K per degree of latitude and
``q0`` by the fraction ``dq0_dlon`` per degree of longitude, so that the weather files are not
constant fields; the scenes simulated here span a few kilometres, over which this is negligible.

Zenith delay at height ``h`` (refractivity of Smith & Weintraub 1953, as used by Jolivet et al.
2011 and PyAPS; ``k1 = 0.776 K/Pa``, ``k2 = 0.716 K/Pa``, ``k3 = 3750 K^2/Pa``):

- hydrostatic ``ZHD(h) = 1e-6 k1 Rd P(h) / g0``;
- wet ``ZWD(h) = 1e-6 int_h^inf [(k2 - k1 Rd / Rv) e / T + k3 e / T^2] dz``,

integrated numerically here (2 m steps). The line-of-sight delay is ``(ZHD + ZWD) / cos(inc)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from minopy.simulate.scene import component_rng

K1, K2, K3 = 0.776, 0.716, 3750.0  # K/Pa, K/Pa, K^2/Pa
RD, RV = 287.05, 461.495  # J/(kg K)
G0 = 9.80665  # m/s^2, the standard gravity of geopotential
TROPOPAUSE = 11_000.0  # m
MIN_Q = 3.0e-6  # kg/kg
_ALPHA = RV / RD


@dataclass(frozen=True)
class Atmosphere:
    """The atmosphere of one epoch (see the module docstring for the model).

    Attributes
    ----------
    p0 : float
        Sea-level pressure at the reference position, Pa.
    t0 : float
        Sea-level temperature at the reference position, K.
    lapse : float
        Temperature lapse rate in the troposphere, K/m.
    q0 : float
        Sea-level specific humidity at the reference position, kg/kg.
    hq : float
        Scale height of the humidity, m.
    lat0, lon0 : float
        Reference position, degrees.
    dt0_dlat : float
        Change of ``t0`` per degree of latitude north of ``lat0``, K.
    dq0_dlon : float
        Relative change of ``q0`` per degree of longitude east of ``lon0``.
    """

    p0: float
    t0: float
    lapse: float
    q0: float
    hq: float
    lat0: float
    lon0: float
    dt0_dlat: float = -0.5
    dq0_dlon: float = 0.02

    def _local(self, lat: np.ndarray | float, lon: np.ndarray | float
               ) -> tuple[np.ndarray, np.ndarray]:
        t0 = self.t0 + self.dt0_dlat * (np.asarray(lat, np.float64) - self.lat0)
        q0 = self.q0 * (1.0 + self.dq0_dlon * (np.asarray(lon, np.float64) - self.lon0))
        return t0, np.maximum(q0, MIN_Q)

    def _tropopause(self, t0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t_t = t0 - self.lapse * TROPOPAUSE
        p_t = self.p0 * (t_t / t0) ** (G0 / (RD * self.lapse))
        return t_t, p_t

    def profile(self, z: np.ndarray, lat: np.ndarray | float | None = None,
                lon: np.ndarray | float | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Pressure (Pa), temperature (K) and specific humidity (kg/kg) at heights ``z`` (m).

        ``lat``/``lon`` (broadcast against ``z``) default to the reference position.
        """
        z = np.asarray(z, np.float64)
        t0, q0 = self._local(self.lat0 if lat is None else lat, self.lon0 if lon is None else lon)
        t_t, p_t = self._tropopause(t0)
        below = z <= TROPOPAUSE
        temp = np.where(below, t0 - self.lapse * np.minimum(z, TROPOPAUSE), t_t)
        p_low = self.p0 * (np.maximum(temp, 1.0) / t0) ** (G0 / (RD * self.lapse))
        p_high = p_t * np.exp(-G0 * (z - TROPOPAUSE) / (RD * t_t))
        pres = np.where(below, p_low, p_high)
        q = np.maximum(q0 * np.exp(-z / self.hq), MIN_Q)
        return pres, temp, q

    def height_of_pressure(self, p: float, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Height (m) where the pressure is ``p`` (Pa), at each ``lat``/``lon``."""
        t0, _ = self._local(lat, lon)
        t_t, p_t = self._tropopause(t0)
        z_low = t0 / self.lapse * (1.0 - (p / self.p0) ** (RD * self.lapse / G0))
        z_high = TROPOPAUSE + RD * t_t / G0 * np.log(p_t / p)
        return np.where(p >= p_t, z_low, z_high)

    def zenith_delay(self, heights: np.ndarray, top: float = 40_000.0, step: float = 2.0
                     ) -> np.ndarray:
        """Zenith total delay (m) at ``heights`` (m) at the reference position."""
        heights = np.asarray(heights, np.float64)
        lo = min(float(np.nanmin(heights)) - 10.0, -500.0)
        z = np.arange(lo, top + step, step)
        pres, temp, q = self.profile(z)
        e = q * pres * _ALPHA / (1.0 + (_ALPHA - 1.0) * q)
        n_wet = (K2 - K1 * RD / RV) * e / temp + K3 * e / temp**2
        # cumulative integral from the top down (trapezoids)
        seg = 0.5 * (n_wet[1:] + n_wet[:-1]) * np.diff(z)
        above = np.concatenate([np.cumsum(seg[::-1])[::-1], [0.0]])
        zwd = 1e-6 * np.interp(heights, z, above)
        p_h, _, _ = self.profile(heights)
        zhd = 1e-6 * K1 * RD * p_h / G0
        return zhd + zwd


def date_atmospheres(dates: list[str], lat0: float, lon0: float, seed: int) -> list[Atmosphere]:
    """One :class:`Atmosphere` per date: seasonal temperature and humidity plus weather noise.

    Parameters
    ----------
    dates : list of str
        YYYYMMDD.
    lat0, lon0 : float
        Reference position (the scene centre), degrees.
    seed : int
        Random seed (the draw is a deterministic function of seed and date index).
    """
    from datetime import datetime

    rng = component_rng(seed, 21)
    out = []
    for d in dates:
        doy = datetime.strptime(d, "%Y%m%d").timetuple().tm_yday
        season = np.cos(2.0 * np.pi * (doy - 200.0) / 365.25)  # 1 in mid-July
        out.append(Atmosphere(
            p0=101_500.0 + rng.normal(0.0, 600.0),
            t0=293.0 + 8.0 * season + rng.normal(0.0, 2.5),
            lapse=0.0065 + rng.normal(0.0, 0.0004),
            q0=float(np.clip(0.011 + 0.006 * season + rng.normal(0.0, 0.002), 0.002, 0.022)),
            hq=float(np.clip(rng.normal(2000.0, 300.0), 1000.0, 3500.0)),
            lat0=lat0, lon0=lon0,
        ))
    return out


def los_delay(atmosphere: Atmosphere, height: np.ndarray, incidence: np.ndarray) -> np.ndarray:
    """Slant (line-of-sight) tropospheric delay in metres at each pixel, float64."""
    return atmosphere.zenith_delay(height) / np.cos(np.deg2rad(incidence))
