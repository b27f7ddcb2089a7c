"""Metadata of an ISCE topsStack reference (``reference/IW*.xml``) as MintPy attributes.

Each ``IW<n>.xml`` is one swath as ISCE2 writes a ``TOPSSwathSLCProduct``
(``components/isceobj/Sensor/TOPS/TOPSSwathSLCProduct.py``): the component ``bursts`` holds
``burst1``, ``burst2``, ... (``BurstSLC.py``), each with the radar parameters, its UTC times and
its own ``orbit`` (``state_vectors`` of ``statevector1``, ...). A stack has one to three swaths;
the merged image starts at the first burst of any swath and ends at the last.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from minopy.errors import InputDataError
from minopy.io.isce_metadata import (
    find_component,
    find_property,
    mid_time,
    normalize_name,
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
        if elem.tag.lower() == "property":
            continue
        match = re.fullmatch(r"burst(\d+)", normalize_name(elem.get("name") or elem.tag))
        if match:
            found.setdefault(int(match.group(1)), elem)
    return [found[k] for k in sorted(found)] or [root]


@dataclass(frozen=True)
class _Swath:
    """One ``IW<n>.xml``: its path, root, bursts, swath number and UTC time span."""

    path: Path
    root: ET.Element
    bursts: list[ET.Element]
    number: str | None
    start: datetime | None
    stop: datetime | None


def _read_swath(path: Path) -> _Swath:
    root = parse_xml(path)
    bursts = _bursts(root)
    value = find_property(bursts[0], "swathnumber") or find_property(root, "swathnumber")
    if value:
        number: str | None = value.split(".")[0]
    else:
        match = re.match(r"IW(\d)", path.name, re.IGNORECASE)
        number = match.group(1) if match else None
    start_text = find_property(bursts[0], "burststartutc", "sensingstart")
    stop_text = find_property(bursts[-1], "burststoputc", "sensingstop")
    return _Swath(path, root, bursts, number,
                  parse_time(start_text, str(path)) if start_text else None,
                  parse_time(stop_text, str(path)) if stop_text else None)


#: attributes that are the same for every topsStack (Sentinel-1 IW, full resolution).
CONSTANT_ATTRIBUTES: dict[str, Any] = {
    "PROCESSOR": "isce",
    "sensor_type": "tops",
    "beam_mode": "IW",
    "PLATFORM": "Sen",
    "ANTENNA_SIDE": -1,
    "ALOOKS": 1,
    "RLOOKS": 1,
}
#: numeric attribute -> the swath XML properties that may hold it (the first found is used).
NUMERIC_PROPERTIES: dict[str, tuple[str, ...]] = {
    "WAVELENGTH": ("radarwavelength", "wavelength"),
    "RANGE_PIXEL_SIZE": ("rangepixelsize",),
    "STARTING_RANGE": ("startingrange",),
    "PRF": ("prf", "pulserepetitionfrequency"),
}
#: text attribute -> (XML property, conversion of its value).
TEXT_PROPERTIES: dict[str, tuple[str, Callable[[str], str]]] = {
    "POLARIZATION": ("polarization", lambda v: v.replace("/", "").upper()),
    "relative_orbit": ("tracknumber", lambda v: v.split(".")[0]),
}


def _time_span(swaths: Sequence[_Swath]) -> tuple[dict[str, Any], datetime | None]:
    """``startUTC``/``stopUTC``/``CENTER_LINE_UTC`` over all swaths, and the centre time."""
    starts = [sw.start for sw in swaths if sw.start is not None]
    stops = [sw.stop for sw in swaths if sw.stop is not None]
    start = min(starts) if starts else None
    stop = max(stops) if stops else None
    when = mid_time(start, stop) if start and stop else (start or stop)
    out: dict[str, Any] = {}
    if start:
        out["startUTC"] = start.strftime("%Y-%m-%d %H:%M:%S.%f")
    if stop:
        out["stopUTC"] = stop.strftime("%Y-%m-%d %H:%M:%S.%f")
    if when:
        out["CENTER_LINE_UTC"] = seconds_of_day(when)
    return out, when


def read_tops_metadata(xml_files: Sequence[str | Path]) -> dict[str, Any]:
    """MintPy attributes from topsStack swath product XMLs.

    Parameters
    ----------
    xml_files : sequence of path-like
        ``reference/IW1.xml`` ... (one to three swaths, any order). The swath with the lowest
        number (the near-range one, where the merged image starts) gives the radar parameters and
        the orbit, from its first burst; the UTC span runs from the earliest burst start to the
        latest burst stop over all swaths; ``beam_swath`` lists the swaths (e.g. ``123``).

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
    swaths = [_read_swath(p) for p in paths]
    main = min(swaths, key=lambda sw: (sw.number is None, sw.number or "", str(sw.path)))
    root, first = main.root, main.bursts[0]
    src = str(main.path)

    def text(*names: str) -> str | None:
        return find_property(first, *names) or find_property(root, *names)

    meta: dict[str, Any] = dict(CONSTANT_ATTRIBUTES)
    numbers_read = {key: parse_float(text(*names), names[0], src)
                    for key, names in NUMERIC_PROPERTIES.items()}
    meta.update({key: value for key, value in numbers_read.items() if value is not None})
    prf = numbers_read["PRF"]
    az_interval = parse_float(text("azimuthtimeinterval"), "azimuthtimeinterval", src)
    if az_interval is None and prf:
        az_interval = 1.0 / prf

    span, when = _time_span(swaths)
    meta.update(span)
    for key, (name, convert) in TEXT_PROPERTIES.items():
        value = text(name)
        if value:
            meta[key] = convert(value)
    numbers = sorted({sw.number for sw in swaths if sw.number})
    if numbers:
        meta["beam_swath"] = "".join(numbers)

    orbit_root = find_component(first, "orbit") or find_component(root, "orbit") or root
    orbit = read_orbit(orbit_root, src)
    if orbit is not None and when is not None:
        meta.update(orbit_attributes(orbit, when, az_interval))
    direction = orbit_direction_of(text("passdirection"), meta.get("HEADING"))
    if direction:
        meta["ORBIT_DIRECTION"] = direction
    return meta
