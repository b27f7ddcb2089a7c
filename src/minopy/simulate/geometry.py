"""Imaging geometry of the synthetic scene: orbit, slant range, lat/lon, incidence, azimuth.

Model
-----
The Earth near the scene is the sphere that osculates the WGS84 ellipsoid at the scene centre along
the flight heading (radius ``R_e``, ISCE's ``radiusOfCurvature(llh, heading)``). The satellite flies
a circle of radius ``R_e + altitude`` about that sphere's centre, at speed ``sqrt(GM / r)``, in the
plane that contains the along-track direction at the scene centre. It looks to the right
(``ANTENNA_SIDE = -1``). Each image row is a zero-Doppler azimuth time, each column a slant range
``STARTING_RANGE + col * RANGE_PIXEL_SIZE``; a pixel's target is the point on the sphere of radius
``R_e + height`` at that range in the zero-Doppler plane, converted to WGS84 latitude/longitude.
The scene-centre pixel sees the satellite at exactly the requested incidence angle.

Conventions (as ISCE ``los.rdr`` and MintPy ``geometryRadar.h5``):

- incidence angle: degrees between the local vertical at the target and the line to the satellite.
- azimuth angle: degrees of the horizontal projection of the target-to-satellite vector, measured
  from north, anti-clockwise positive (descending ~ -102, ascending ~ +102).
- heading: flight direction, degrees clockwise from north (descending ~ -167, ascending ~ -13);
  ``azimuth = -(heading - 90)`` for a right-looking radar (MintPy ``heading2azimuth_angle``).

Orbit state vectors are in Earth-centred Earth-fixed metres, as in ISCE products.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from minopy.simulate.params import SimulationParams

WGS84_A = 6378137.0
WGS84_E2 = 6.69437999014e-3
GM = 3.986004418e14


def llh_to_ecef(lat: np.ndarray, lon: np.ndarray, hgt: np.ndarray) -> np.ndarray:
    """WGS84 geodetic (degrees, metres) to ECEF (metres), shape ``(..., 3)``."""
    la, lo = np.radians(lat), np.radians(lon)
    n = WGS84_A / np.sqrt(1.0 - WGS84_E2 * np.sin(la) ** 2)
    x = (n + hgt) * np.cos(la) * np.cos(lo)
    y = (n + hgt) * np.cos(la) * np.sin(lo)
    z = (n * (1.0 - WGS84_E2) + hgt) * np.sin(la)
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def ecef_to_llh(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ECEF (metres, shape ``(..., 3)``) to WGS84 latitude, longitude (degrees) and height (m)."""
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    lon = np.arctan2(y, x)
    p = np.hypot(x, y)
    lat = np.arctan2(z, p * (1.0 - WGS84_E2))
    for _ in range(6):
        n = WGS84_A / np.sqrt(1.0 - WGS84_E2 * np.sin(lat) ** 2)
        hgt = p / np.cos(lat) - n
        lat = np.arctan2(z, p * (1.0 - WGS84_E2 * n / (n + hgt)))
    n = WGS84_A / np.sqrt(1.0 - WGS84_E2 * np.sin(lat) ** 2)
    hgt = p / np.cos(lat) - n
    return np.degrees(lat), np.degrees(lon), hgt


def enu_basis(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """East, north and up unit vectors (ECEF, shape ``(..., 3)``) at geodetic lat/lon (degrees)."""
    la, lo = np.radians(lat), np.radians(lon)
    east = np.stack(np.broadcast_arrays(-np.sin(lo), np.cos(lo), 0.0 * lo), axis=-1)
    north = np.stack(
        np.broadcast_arrays(-np.sin(la) * np.cos(lo), -np.sin(la) * np.sin(lo), np.cos(la)), axis=-1
    )
    up = np.stack(
        np.broadcast_arrays(np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)), axis=-1
    )
    return east, north, up


def radius_along_heading(lat: float, heading: float) -> float:
    """Radius of curvature of WGS84 at ``lat`` in the direction ``heading`` (degrees), metres."""
    s2 = np.sin(np.radians(lat)) ** 2
    east_r = WGS84_A / np.sqrt(1.0 - WGS84_E2 * s2)
    north_r = WGS84_A * (1.0 - WGS84_E2) / (1.0 - WGS84_E2 * s2) ** 1.5
    h = np.radians(heading)
    return float(east_r * north_r / (east_r * np.cos(h) ** 2 + north_r * np.sin(h) ** 2))


@dataclass(frozen=True)
class SceneGeometry:
    """Orbit and radar grid of the synthetic scene.

    Attributes
    ----------
    center : numpy.ndarray, shape (3,)
        ECEF centre of the local sphere (m).
    earth_radius : float
        Local sphere radius ``R_e`` (m).
    orbit_radius : float
        ``R_e + altitude`` (m).
    omega : float
        Angular rate of the satellite about ``center`` (rad/s).
    nadir_dir, along_dir, right_dir : numpy.ndarray, shape (3,)
        Unit vectors: satellite direction at the centre time, flight direction, and the orbit-plane
        normal on the looking (right) side.
    starting_range : float
        Slant range of column 0 (m).
    range_pixel_size : float
        Slant-range spacing (m).
    azimuth_time_interval : float
        Seconds between rows.
    length, width : int
        Image size.
    """

    center: np.ndarray
    earth_radius: float
    orbit_radius: float
    omega: float
    nadir_dir: np.ndarray
    along_dir: np.ndarray
    right_dir: np.ndarray
    starting_range: float
    range_pixel_size: float
    azimuth_time_interval: float
    length: int
    width: int

    @property
    def speed(self) -> float:
        """Satellite speed (m/s)."""
        return self.omega * self.orbit_radius

    def row_time(self, rows: np.ndarray) -> np.ndarray:
        """Azimuth time of rows, seconds relative to the scene-centre time (row ``(L-1)/2``)."""
        centred = np.asarray(rows, dtype=np.float64) - (self.length - 1) / 2
        return centred * self.azimuth_time_interval

    def slant_range(self, cols: np.ndarray) -> np.ndarray:
        """Slant range of columns (m)."""
        return self.starting_range + np.asarray(cols, dtype=np.float64) * self.range_pixel_size

    def satellite(self, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ECEF position and velocity, shape ``(..., 3)``, at times ``tau`` (s from centre time)."""
        ang = self.omega * np.asarray(tau, dtype=np.float64)[..., None]
        pos = self.center + self.orbit_radius * (np.cos(ang) * self.nadir_dir
                                                 + np.sin(ang) * self.along_dir)
        vel = self.speed * (-np.sin(ang) * self.nadir_dir + np.cos(ang) * self.along_dir)
        return pos, vel

    def targets(self, rows: np.ndarray, cols: np.ndarray,
                height: np.ndarray) -> dict[str, np.ndarray]:
        """Ground target of pixels and their viewing angles.

        Parameters
        ----------
        rows, cols : numpy.ndarray
            Pixel coordinates, broadcastable to the shape of ``height``.
        height : numpy.ndarray
            Target height above the local sphere (m), the DEM.

        Returns
        -------
        dict
            ``latitude``, ``longitude`` (degrees), ``incidence``, ``azimuth`` (degrees, see the
            module conventions), ``slant_range`` (m), ``look_enu`` (unit target-to-satellite
            vector in the target's east/north/up frame, shape ``(..., 3)``) and ``xyz`` (ECEF, m),
            each of the broadcast shape.
        """
        rows, cols, height = np.broadcast_arrays(rows, cols, height)
        sat, _ = self.satellite(self.row_time(rows))
        s_dir = (sat - self.center) / self.orbit_radius
        rng = self.slant_range(cols)
        r_t = self.earth_radius + height
        cos_b = (r_t**2 + self.orbit_radius**2 - rng**2) / (2 * r_t * self.orbit_radius)
        beta = np.arccos(np.clip(cos_b, -1.0, 1.0))[..., None]
        u_t = np.cos(beta) * s_dir + np.sin(beta) * self.right_dir
        xyz = self.center + r_t[..., None] * u_t
        lat, lon, _ = ecef_to_llh(xyz)
        los = (sat - xyz) / rng[..., None]
        east, north, up = enu_basis(lat, lon)
        look = np.stack([np.sum(los * east, -1), np.sum(los * north, -1), np.sum(los * up, -1)], -1)
        inc = np.degrees(np.arccos(np.clip(look[..., 2], -1.0, 1.0)))
        azi = np.degrees(np.arctan2(-look[..., 0], look[..., 1]))
        return {"latitude": lat, "longitude": lon, "incidence": inc, "azimuth": azi,
                "slant_range": rng, "look_enu": look, "xyz": xyz}


def build_geometry(params: SimulationParams) -> SceneGeometry:
    """Orbit and radar grid for ``params`` (scene centre seen at ``incidence_center``).

    Returns
    -------
    SceneGeometry
    """
    r_e = radius_along_heading(params.center_lat, params.heading)
    r_s = r_e + params.altitude
    p0 = llh_to_ecef(np.float64(params.center_lat), np.float64(params.center_lon), np.float64(0.0))
    east, north, up = enu_basis(np.float64(params.center_lat), np.float64(params.center_lon))
    h = np.radians(params.heading)
    along = np.sin(h) * east + np.cos(h) * north
    right = np.cos(h) * east - np.sin(h) * north
    center = p0 - r_e * up
    theta = np.radians(params.incidence_center)
    alpha = np.arcsin(r_e * np.sin(theta) / r_s)
    beta = theta - alpha
    nadir = np.cos(beta) * up - np.sin(beta) * right
    normal = np.cross(nadir, along)
    normal /= np.linalg.norm(normal)
    if normal @ right < 0:
        normal = -normal
    rng_c = np.sqrt(r_e**2 + r_s**2 - 2 * r_e * r_s * np.cos(beta))
    r0 = rng_c - (params.width - 1) / 2 * params.range_pixel_size
    omega = np.sqrt(GM / r_s) / r_s
    return SceneGeometry(center, r_e, r_s, float(omega), nadir, along, normal, float(r0),
                         params.range_pixel_size, params.azimuth_time_interval,
                         params.length, params.width)


def orbit_summary(geom: SceneGeometry, tau: float = 0.0) -> dict[str, float]:
    """What a loader derives from the orbit at time ``tau`` (s from centre), ISCE-style.

    Returns
    -------
    dict
        ``HEADING`` (ENU heading of the velocity at the satellite, degrees clockwise from north),
        ``HEIGHT`` (geodetic altitude, m), ``EARTH_RADIUS`` (WGS84 radius of curvature along the
        heading at the sub-satellite latitude, m), ``SPEED`` (m/s).
    """
    pos, vel = geom.satellite(np.array(tau))
    lat, lon, hgt = ecef_to_llh(pos)
    east, north, _ = enu_basis(lat, lon)
    heading = float(np.degrees(np.arctan2(vel @ east, vel @ north)))
    return {"HEADING": heading, "HEIGHT": float(hgt),
            "EARTH_RADIUS": radius_along_heading(float(lat), heading),
            "SPEED": float(np.linalg.norm(vel))}
