"""Geolocation correction of radar-coordinate pixels for the DEM error (pure numpy).

The latitude/longitude of each radar pixel were computed on the DEM surface. A scatterer whose true
height is ``dh`` above the DEM (MintPy's ``demErr`` = true height - DEM height) lies on the same
iso-range surface, which is locally the plane perpendicular to the line of sight (LOS). Moving up by
``dh`` brings it ``dh cos(inc)`` closer to the radar, so at the same range it sits
``dh cot(inc)`` farther from the radar horizontally:

    true position = DEM position + dh * cot(inc) * u_away

where ``u_away`` is the horizontal unit vector pointing away from the satellite (the ground
projection of the look direction). With MintPy/ISCE's ``azimuthAngle`` ``a`` (of the LOS vector
from the ground to the satellite, from north, anti-clockwise positive), the ground-to-satellite
direction is ``(east, north) = (-sin a, cos a)``, hence ``u_away = (sin a, -cos a)``. Without it,
the look direction is the heading rotated by 90 degrees to the antenna side.

Metres are converted to degrees with the local meridional and prime-vertical scale factors of the
WGS84 ellipsoid (series expansions), so the direction of the shift is physical in every hemisphere.
"""

from __future__ import annotations

import numpy as np


def metres_per_degree(lat_deg: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Length of one degree of latitude and of longitude (metres) at latitude ``lat_deg``."""
    phi = np.deg2rad(np.asarray(lat_deg, dtype=np.float64))
    m_lat = (111132.92 - 559.82 * np.cos(2 * phi) + 1.175 * np.cos(4 * phi)
             - 0.0023 * np.cos(6 * phi))
    m_lon = 111412.84 * np.cos(phi) - 93.5 * np.cos(3 * phi) + 0.118 * np.cos(5 * phi)
    return m_lat, m_lon


def away_direction(
    az_angle_deg: np.ndarray | float | None = None,
    heading_deg: float | None = None,
    antenna_side: int = -1,
) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal unit vector (east, north) pointing away from the satellite.

    Parameters
    ----------
    az_angle_deg : array or float, optional
        ISCE/MintPy ``azimuthAngle``: azimuth of the ground-to-satellite LOS vector, degrees from
        north, anti-clockwise positive (about 102 ascending / -102 descending, right-looking).
    heading_deg : float, optional
        Flight direction, degrees from north clockwise (``HEADING``); used without azimuthAngle.
    antenna_side : int
        ``ANTENNA_SIDE``: -1 right-looking (default), 1 left-looking.
    """
    if az_angle_deg is not None:
        a = np.deg2rad(np.asarray(az_angle_deg, dtype=np.float64))
        return np.sin(a), -np.cos(a)
    if heading_deg is None:
        raise ValueError("either the azimuth angle or the heading is needed")
    look = np.deg2rad(float(heading_deg) - 90.0 * float(antenna_side))
    return np.asarray(np.sin(look)), np.asarray(np.cos(look))


def _offsets(
    lat: np.ndarray, dh: np.ndarray, inc_deg: np.ndarray, east: np.ndarray, north: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    ground = dh / np.tan(np.deg2rad(inc_deg))
    m_lat, m_lon = metres_per_degree(lat)
    return ground * north / m_lat, ground * east / m_lon


def shift_lat_lon(
    lat: np.ndarray,
    lon: np.ndarray,
    dem_error: np.ndarray,
    inc_angle_deg: np.ndarray,
    az_angle_deg: np.ndarray | None = None,
    heading_deg: float | None = None,
    antenna_side: int = -1,
    reverse: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Move lat/lon (degrees) to the true position of scatterers with height error ``dem_error``.

    ``reverse=True`` undoes a previous forward shift exactly (the scale factors depend on the
    latitude, so the original latitude is found by fixed-point iteration). NaN inputs give NaN.

    Returns
    -------
    (lat, lon) : float64 arrays
    """
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    dh = np.nan_to_num(np.asarray(dem_error, dtype=np.float64))
    inc = np.asarray(inc_angle_deg, dtype=np.float64)
    east, north = away_direction(az_angle_deg, heading_deg, antenna_side)
    if not reverse:
        dlat, dlon = _offsets(lat, dh, inc, east, north)
        return lat + dlat, lon + dlon
    orig = lat.copy()
    for _ in range(6):
        dlat, dlon = _offsets(orig, dh, inc, east, north)
        orig = lat - dlat
    dlat, dlon = _offsets(orig, dh, inc, east, north)
    return lat - dlat, lon - dlon
