"""ISCE product XML and orbit geometry, without ISCE.

ISCE2 writes its products (topsStack ``reference/IW*.xml``, stripmapApp ``<date>_slc.xml``) as
nested ``<component name=...>`` elements holding ``<property name=...><value>...</value>
</property>`` (``components/iscesys/Dumpers/XmlDumper.py``). The names are the public names of the
parameters lower-cased with spaces removed, so TOPS products say ``burststartutc`` and stripmap
frames ``sensing_start`` (``iscesys/DictUtils``); :func:`find_component` and :func:`find_property`
match names anywhere in the tree ignoring case, spaces and underscores. :func:`read_orbit` reads
the orbit state vectors, and :func:`orbit_attributes` computes the orbit-derived MintPy attributes
(satellite speed and altitude, heading, local Earth radius of curvature) on the WGS84 ellipsoid.
The shapes ISCE2 writes are described in :mod:`minopy.simulate.isce_xml`, which writes them.

It also holds what the TOPS and stripmap readers share: applying values given in the template and
the check that every required attribute is known.
"""

from __future__ import annotations

import math
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from minopy.config.schema import option_key
from minopy.config.sections import LoadOptions
from minopy.errors import InputDataError

#: WGS84 semi-major axis (m) and first eccentricity squared.
WGS84_A = 6378137.0
WGS84_E2 = 6.69437999014e-3

#: option of the ``load`` section -> MintPy attribute it supplies (the template wins over the
#: metadata file).
TEMPLATE_OVERRIDES: dict[str, str] = {
    "wavelength": "WAVELENGTH",
    "range_pixel_size": "RANGE_PIXEL_SIZE",
    "azimuth_pixel_size": "AZIMUTH_PIXEL_SIZE",
    "starting_range": "STARTING_RANGE",
    "prf": "PRF",
    "earth_radius": "EARTH_RADIUS",
    "satellite_height": "HEIGHT",
    "heading": "HEADING",
    "center_line_utc": "CENTER_LINE_UTC",
    "orbit_direction": "ORBIT_DIRECTION",
}
#: attributes the later steps cannot do without.
REQUIRED_ATTRIBUTES: tuple[str, ...] = (
    "WAVELENGTH",
    "RANGE_PIXEL_SIZE",
    "AZIMUTH_PIXEL_SIZE",
    "STARTING_RANGE",
    "EARTH_RADIUS",
    "HEIGHT",
    "HEADING",
    "ORBIT_DIRECTION",
    "CENTER_LINE_UTC",
)


# ------------------------------------------------------------------ product XML
def parse_xml(path: str | Path) -> ET.Element:
    """Parse an XML file, raising InputDataError naming the file if it cannot be read."""
    try:
        return ET.parse(path).getroot()
    except FileNotFoundError:
        raise InputDataError(f"metadata file {path} does not exist") from None
    except (ET.ParseError, OSError) as err:
        raise InputDataError(f"cannot parse ISCE product XML {path}: {err}") from None


def normalize_name(name: str) -> str:
    """``name`` lower-cased without white space and underscores (``Sensing_Start`` ->
    ``sensingstart``)."""
    return re.sub(r"[\s_]", "", name).lower()


def _is_property(elem: ET.Element) -> bool:
    return elem.tag.lower() == "property"


def find_component(root: ET.Element, name: str) -> ET.Element | None:
    """First ``<component name=...>`` (or element tag) called ``name`` anywhere under ``root``.

    Names are compared with :func:`normalize_name`; properties never match.
    """
    want = normalize_name(name)
    for elem in root.iter():
        if _is_property(elem):
            continue
        if normalize_name(elem.get("name") or "") == want or normalize_name(elem.tag) == want:
            return elem
    return None


def property_value(elem: ET.Element) -> str:
    """Text of a property: its ``<value>`` child, else its own text."""
    for child in elem:
        if child.tag.lower() == "value":
            return (child.text or "").strip()
    return (elem.text or "").strip()


def find_property(root: ET.Element | None, *names: str) -> str | None:
    """Value of the first property named one of ``names`` under ``root`` (names tried in order).

    Both ``<property name="x"><value>v</value></property>`` and ``<x><value>v</value></x>`` are
    accepted; names are compared with :func:`normalize_name`, so ``sensingstart`` also finds
    ISCE's stripmap ``sensing_start``.
    """
    if root is None:
        return None
    for name in (normalize_name(n) for n in names):
        for elem in root.iter():
            found = normalize_name(elem.get("name") or "") if _is_property(elem) else None
            if found == name or normalize_name(elem.tag) == name:
                text = property_value(elem)
                if text:
                    return text
    return None


def parse_time(text: str, source: str | os.PathLike[str]) -> datetime:
    """Parse an ISCE time: ``YYYY-MM-DD HH:MM:SS[.ffffff]``, or with ``T`` (stripmap frames).

    ISCE2 writes ``str(datetime)``, which has no fraction at whole seconds (orbit state vectors).
    """
    cleaned = text.strip().replace("T", " ").rstrip("Z")
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(cleaned, fmt)
        except ValueError:
            continue
    raise InputDataError(f"{source}: time {text!r} is not 'YYYY-MM-DD HH:MM:SS[.ffffff]'")


def parse_vector(text: str, source: str) -> np.ndarray:
    """Parse ``[x, y, z]`` into a float array of 3."""
    try:
        cleaned = text.replace("[", " ").replace("]", " ").replace(",", " ")
        values = [float(v) for v in cleaned.split()]
    except ValueError:
        values = []
    if len(values) != 3:
        raise InputDataError(f"{source}: {text!r} is not a 3-vector '[x, y, z]'")
    return np.array(values)


def parse_float(text: str | None, name: str, source: str) -> float | None:
    """Float value of a property (None if absent), InputDataError naming it if not a number."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        raise InputDataError(f"{source}: property {name} = {text!r} is not a number") from None


# ------------------------------------------------------------------ orbit
@dataclass(frozen=True)
class Orbit:
    """Orbit state vectors: times (UTC), ECEF positions and velocities (m, m/s)."""

    times: tuple[datetime, ...]
    positions: np.ndarray
    velocities: np.ndarray

    def interpolate(self, when: datetime) -> tuple[np.ndarray, np.ndarray]:
        """Position and velocity at ``when`` by a local cubic fit to the nearest state vectors."""
        t0 = self.times[0]
        secs = np.array([(t - t0).total_seconds() for t in self.times])
        target = (when - t0).total_seconds()
        n = len(secs)
        if n == 1:
            return self.positions[0].copy(), self.velocities[0].copy()
        k = min(n, 6)
        nearest = np.sort(np.argsort(np.abs(secs - target))[:k])
        x = secs[nearest] - target
        deg = min(3, k - 1)
        pos = np.array([np.polyval(np.polyfit(x, self.positions[nearest, i], deg), 0.0)
                        for i in range(3)])
        vel = np.array([np.polyval(np.polyfit(x, self.velocities[nearest, i], deg), 0.0)
                        for i in range(3)])
        return pos, vel


#: a state vector's name: ``statevector<k>`` as ISCE2 writes it (``TraitSeq`` elements of the
#: sequence ``statevector`` in ``isceobj/Orbit/Orbit.py``), or ``state_vector<k>``.
_STATE_VECTOR = re.compile(r"statevector\d+")


def read_orbit(root: ET.Element, source: str) -> Orbit | None:
    """State vectors of the ``state_vectors`` component under ``root``; None if there is none.

    The vectors are the sub-components named ``statevector1``, ``statevector2``, ... (ISCE2's
    spelling) or ``state_vector1``, ... each with ``time``, ``position`` and ``velocity``; they are
    sorted by time (ISCE2 writes them in text order: ``statevector10`` before ``statevector2``).

    Raises
    ------
    InputDataError
        Naming the file and the vector if one lacks a time, position or velocity or holds a
        malformed value.
    """
    container = find_component(root, "state_vectors")
    if container is None:
        return None
    entries = []
    for comp in container:
        name = comp.get("name") or comp.tag
        if _is_property(comp) or not _STATE_VECTOR.fullmatch(normalize_name(name)):
            continue
        t = find_property(comp, "time")
        p = find_property(comp, "position")
        v = find_property(comp, "velocity")
        if t is None or p is None or v is None:
            raise InputDataError(f"{source}: orbit {name} lacks time, position or velocity")
        entries.append((parse_time(t, source), parse_vector(p, source), parse_vector(v, source)))
    if not entries:
        return None
    entries.sort(key=lambda e: e[0])
    return Orbit(tuple(e[0] for e in entries), np.array([e[1] for e in entries]),
                 np.array([e[2] for e in entries]))


# ------------------------------------------------------------------ ellipsoid
def ecef_to_llh(xyz: np.ndarray) -> tuple[float, float, float]:
    """WGS84 geodetic latitude, longitude (degrees) and height (m) of an ECEF point."""
    x, y, z = (float(v) for v in xyz)
    lon = math.atan2(y, x)
    p = math.hypot(x, y)
    lat = math.atan2(z, p * (1.0 - WGS84_E2))
    h = 0.0
    for _ in range(10):
        n = WGS84_A / math.sqrt(1.0 - WGS84_E2 * math.sin(lat) ** 2)
        h = p / math.cos(lat) - n
        lat = math.atan2(z, p * (1.0 - WGS84_E2 * n / (n + h)))
    return math.degrees(lat), math.degrees(lon), h


def enu_heading(position: np.ndarray, velocity: np.ndarray) -> float:
    """Heading of ``velocity`` at ``position``: degrees clockwise from north, in (-180, 180]."""
    lat, lon, _ = ecef_to_llh(position)
    la, lo = math.radians(lat), math.radians(lon)
    east = np.array([-math.sin(lo), math.cos(lo), 0.0])
    north = np.array([-math.sin(la) * math.cos(lo), -math.sin(la) * math.sin(lo), math.cos(la)])
    return math.degrees(math.atan2(float(velocity @ east), float(velocity @ north)))


def radius_of_curvature(lat_deg: float, heading_deg: float) -> float:
    """WGS84 radius of curvature (m) at latitude ``lat_deg`` in the direction ``heading_deg``."""
    lat, hdg = math.radians(lat_deg), math.radians(heading_deg)
    w = 1.0 - WGS84_E2 * math.sin(lat) ** 2
    east = WGS84_A / math.sqrt(w)  # prime vertical
    north = WGS84_A * (1.0 - WGS84_E2) / w**1.5  # meridian
    return east * north / (east * math.cos(hdg) ** 2 + north * math.sin(hdg) ** 2)


def seconds_of_day(when: datetime) -> float:
    """Seconds since midnight of ``when``."""
    return when.hour * 3600.0 + when.minute * 60.0 + when.second + when.microsecond * 1e-6


def mid_time(start: datetime, stop: datetime) -> datetime:
    """Midpoint of two times."""
    return start + timedelta(seconds=(stop - start).total_seconds() / 2.0)


def orbit_attributes(
    orbit: Orbit, when: datetime, azimuth_time_interval: float | None
) -> dict[str, Any]:
    """Orbit-derived MintPy attributes at ``when``.

    Returns ``HEIGHT`` (satellite altitude above the ellipsoid), ``HEADING``, ``EARTH_RADIUS``
    (local radius of curvature below the satellite along the heading), ``satelliteSpeed`` and, if
    the azimuth time interval is known, ``AZIMUTH_PIXEL_SIZE`` = speed x interval (MintPy
    convention: along the orbit; MintPy scales it by R/(R+H) to the ground) and
    ``azimuthPixelSizeGround``.
    """
    pos, vel = orbit.interpolate(when)
    lat, _lon, alt = ecef_to_llh(pos)
    heading = enu_heading(pos, vel)
    radius = radius_of_curvature(lat, heading)
    speed = float(np.linalg.norm(vel))
    out: dict[str, Any] = {
        "HEIGHT": alt,
        "HEADING": heading,
        "EARTH_RADIUS": radius,
        "satelliteSpeed": speed,
    }
    if azimuth_time_interval:
        out["AZIMUTH_PIXEL_SIZE"] = speed * azimuth_time_interval
        out["azimuthPixelSizeGround"] = speed * azimuth_time_interval * radius / (radius + alt)
    return out


def orbit_direction_of(pass_direction: str | None, heading: float | None) -> str | None:
    """``ASCENDING``/``DESCENDING`` from an ISCE pass direction, else from the heading."""
    if pass_direction:
        low = pass_direction.strip().lower()
        if low.startswith("asc"):
            return "ASCENDING"
        if low.startswith("desc"):
            return "DESCENDING"
    if heading is not None:
        return "ASCENDING" if abs(((heading + 180.0) % 360.0) - 180.0) < 90.0 else "DESCENDING"
    return None


# ------------------------------------------------------------------ template values and checks
def apply_template_values(meta: dict[str, Any], load: LoadOptions) -> dict[str, Any]:
    """Return ``meta`` with the attributes the ``load`` options set (``wavelength`` ...)."""
    out = dict(meta)
    for option, attr in TEMPLATE_OVERRIDES.items():
        value = getattr(load, option)
        if value is None:
            continue
        if attr == "ORBIT_DIRECTION":
            direction = orbit_direction_of(str(value), None)
            if direction is None:
                raise InputDataError(f"{option_key('load', option)} = {value!r}: expected "
                                     "ASCENDING or DESCENDING")
            value = direction
        out[attr] = value
    if out.get("ORBIT_DIRECTION") is None and out.get("HEADING") is not None:
        out["ORBIT_DIRECTION"] = orbit_direction_of(None, float(out["HEADING"]))
    return out


#: how to supply ISCE metadata that a stack lacks (the end of :func:`check_required`'s message).
MISSING_HINT = ("or provide a metadata file that has them (topsStack reference/IW*.xml, or a "
                "ROI_PAC-style referenceShelve/data.rsc / ISCE product XML for stripmapStack)")


def check_required(meta: dict[str, Any], source: str,
                   required: Sequence[str] = REQUIRED_ATTRIBUTES,
                   hint: str = MISSING_HINT) -> None:
    """Raise InputDataError listing the missing ``required`` attributes and the template keys
    that set them; ``source`` names the metadata files, ``hint`` says how else to supply them."""
    missing = [a for a in required if meta.get(a) in (None, "")]
    if not missing:
        return
    by_attr = {v: option_key("load", k) for k, v in TEMPLATE_OVERRIDES.items()}
    keys = ", ".join(f"{by_attr[a]} ({a})" if a in by_attr else a for a in missing)
    raise InputDataError(
        f"metadata from {source} lacks {', '.join(missing)}; give them in the template with "
        f"{keys}, {hint}"
    )
