"""Metadata of an ISCE topsStack reference (``reference/IW*.xml``) as MintPy attributes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from minopy.errors import InputDataError
from minopy.io.isce_metadata import (
    find_component,
    find_property,
    mid_time,
    orbit_attributes,
    orbit_direction_of,
    parse_float,
    parse_time,
    parse_xml,
    read_orbit,
    seconds_of_day,
)


def _bursts(root: ET.Element) -> list[ET.Element]:
    """Burst components ``burst1, burst2, ...`` in number order (the root if there are none)."""
    found: dict[int, ET.Element] = {}
    for elem in root.iter():
        match = re.fullmatch(r"burst(\d+)", (elem.get("name") or elem.tag).lower())
        if match and elem.tag.lower() != "property":
            found.setdefault(int(match.group(1)), elem)
    return [found[k] for k in sorted(found)] or [root]


def _swath_number(root: ET.Element, path: Path) -> str | None:
    value = find_property(root, "swathnumber")
    if value:
        return value.split(".")[0]
    match = re.match(r"IW(\d)", path.name, re.IGNORECASE)
    return match.group(1) if match else None


def read_tops_metadata(xml_files: Sequence[str | Path]) -> dict[str, Any]:
    """MintPy attributes from topsStack swath product XMLs.

    Parameters
    ----------
    xml_files : sequence of path-like
        ``reference/IW1.xml`` ... ; the first is read in full, the others only for their swath
        numbers (``beam_swath`` lists them all, e.g. ``123``).

    Returns
    -------
    dict
        ``WAVELENGTH``, ``RANGE_PIXEL_SIZE``, ``AZIMUTH_PIXEL_SIZE`` (full resolution, along the
        orbit as MintPy expects), ``STARTING_RANGE``, ``PRF``, ``EARTH_RADIUS``, ``HEIGHT``,
        ``HEADING``, ``CENTER_LINE_UTC``, ``ORBIT_DIRECTION``, ``POLARIZATION``, ``PLATFORM``,
        ``beam_mode='IW'``, ``beam_swath``, ``relative_orbit``, ``startUTC``, ``stopUTC``,
        ``sensor_type='tops'``, ``ANTENNA_SIDE=-1``, ``ALOOKS=RLOOKS=1``. Values the files do not
        hold are absent (the caller checks what is required).
    """
    paths = [Path(p) for p in xml_files]
    if not paths:
        raise InputDataError("no topsStack metadata file given (expected reference/IW*.xml)")
    main = paths[0]
    root = parse_xml(main)
    bursts = _bursts(root)
    first, last = bursts[0], bursts[-1]
    src = str(main)

    def num(*names: str) -> float | None:
        return parse_float(find_property(first, *names) or find_property(root, *names),
                           names[0], src)

    meta: dict[str, Any] = {
        "PROCESSOR": "isce",
        "sensor_type": "tops",
        "beam_mode": "IW",
        "PLATFORM": "Sen",
        "ANTENNA_SIDE": -1,
        "ALOOKS": 1,
        "RLOOKS": 1,
    }
    wavelength = num("radarwavelength", "wavelength")
    range_pixel = num("rangepixelsize")
    starting_range = num("startingrange")
    prf = num("prf", "pulserepetitionfrequency")
    az_interval = num("azimuthtimeinterval")
    for key, value in (("WAVELENGTH", wavelength), ("RANGE_PIXEL_SIZE", range_pixel),
                       ("STARTING_RANGE", starting_range), ("PRF", prf)):
        if value is not None:
            meta[key] = value
    if az_interval is None and prf:
        az_interval = 1.0 / prf

    start_text = find_property(first, "burststartutc", "sensingstart")
    stop_text = find_property(last, "burststoputc", "sensingstop")
    start = parse_time(start_text, src) if start_text else None
    stop = parse_time(stop_text, src) if stop_text else None
    when = mid_time(start, stop) if start and stop else (start or stop)
    if start:
        meta["startUTC"] = start.strftime("%Y-%m-%d %H:%M:%S.%f")
    if stop:
        meta["stopUTC"] = stop.strftime("%Y-%m-%d %H:%M:%S.%f")
    if when:
        meta["CENTER_LINE_UTC"] = seconds_of_day(when)

    pol = find_property(first, "polarization") or find_property(root, "polarization")
    if pol:
        meta["POLARIZATION"] = pol.replace("/", "").upper()
    track = find_property(first, "tracknumber") or find_property(root, "tracknumber")
    if track:
        meta["relative_orbit"] = track.split(".")[0]
    swaths = sorted({s for s in (_swath_number(parse_xml(p) if p != main else root, p)
                                 for p in paths) if s})
    if swaths:
        meta["beam_swath"] = "".join(swaths)

    orbit_root = find_component(first, "orbit") or find_component(root, "orbit") or root
    orbit = read_orbit(orbit_root, src)
    if orbit is not None and when is not None:
        meta.update(orbit_attributes(orbit, when, az_interval))
    direction = orbit_direction_of(find_property(first, "passdirection")
                                   or find_property(root, "passdirection"),
                                   meta.get("HEADING"))
    if direction:
        meta["ORBIT_DIRECTION"] = direction
    return meta
