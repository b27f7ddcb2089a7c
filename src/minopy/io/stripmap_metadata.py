"""Metadata of an ISCE stripmapStack reference as MintPy attributes.

Accepted: a ROI_PAC-style ``.rsc`` key/value file (``referenceShelve/data.rsc``) or an ISCE2
stripmap product XML: a ``Frame`` as ``ProductManager`` dumps it (stripmapApp's ``<date>_slc.xml``,
``components/isceobj/StripmapProc/runPreprocessor.py``), with underscored names
(``sensing_start``, ``starting_range``, ``pass_direction``; ``components/isceobj/Scene/Frame.py``),
the radar parameters in its ``instrument`` component (``prf``, ``radar_wavelength``,
``range_pixel_size``; ``Radar/Radar.py``) and the ``orbit`` state vectors ``statevector1``, ...
ISCE's binary shelve ``data.dat`` needs ISCE to be read, so it is rejected with a message naming the
alternatives.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from minopy.config.schema import option_key
from minopy.errors import InputDataError
from minopy.io.isce_metadata import (
    TEMPLATE_OVERRIDES,
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

#: .rsc keys read as numbers.
NUMERIC_KEYS = ("WAVELENGTH", "RANGE_PIXEL_SIZE", "AZIMUTH_PIXEL_SIZE", "STARTING_RANGE", "PRF",
                "EARTH_RADIUS", "HEIGHT", "HEADING", "CENTER_LINE_UTC")


def read_rsc(path: str | Path) -> dict[str, str]:
    """Read a ROI_PAC ``.rsc`` file (``KEY  value`` lines) into a dict of strings."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        raise InputDataError(f"metadata file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise InputDataError(f"cannot read metadata file {path}: {err}") from None
    out: dict[str, str] = {}
    for lineno, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.split(None, 1)
        if len(parts) != 2:
            raise InputDataError(f"{path}, line {lineno}: {line!r} is not 'KEY value'")
        out[parts[0]] = parts[1].strip()
    return out


def _from_rsc(path: Path) -> dict[str, Any]:
    from mintpy.utils.readfile import standardize_metadata

    raw = standardize_metadata(read_rsc(path))
    meta: dict[str, Any] = dict(raw)
    for key in NUMERIC_KEYS:
        if key in meta:
            meta[key] = parse_float(str(meta[key]), key, str(path))
    if "ORBIT_DIRECTION" in meta:
        meta["ORBIT_DIRECTION"] = orbit_direction_of(str(meta["ORBIT_DIRECTION"]),
                                                     meta.get("HEADING"))
    return meta


def _from_xml(path: Path) -> dict[str, Any]:
    root = parse_xml(path)
    src = str(path)

    def num(*names: str) -> float | None:
        return parse_float(find_property(root, *names), names[0], src)

    meta: dict[str, Any] = {}
    for key, names in (("WAVELENGTH", ("radarwavelength", "radarwavelegth", "wavelength")),
                       ("RANGE_PIXEL_SIZE", ("rangepixelsize",)),
                       ("STARTING_RANGE", ("startingrange",)),
                       ("PRF", ("prf", "pulserepetitionfrequency"))):
        value = num(*names)
        if value is not None:
            meta[key] = value
    interval = num("azimuthtimeinterval")
    if interval is None and meta.get("PRF"):
        interval = 1.0 / meta["PRF"]
    start_text = find_property(root, "sensingstart")
    stop_text = find_property(root, "sensingstop")
    start = parse_time(start_text, src) if start_text else None
    stop = parse_time(stop_text, src) if stop_text else None
    when = mid_time(start, stop) if start and stop else (start or stop)
    if start:
        meta["startUTC"] = start.strftime("%Y-%m-%d %H:%M:%S.%f")
    if stop:
        meta["stopUTC"] = stop.strftime("%Y-%m-%d %H:%M:%S.%f")
    if when:
        meta["CENTER_LINE_UTC"] = seconds_of_day(when)
    pol = find_property(root, "polarization")
    if pol:
        meta["POLARIZATION"] = pol.replace("/", "").upper()
    track = find_property(root, "tracknumber")
    if track:
        meta["relative_orbit"] = track.split(".")[0]
    platform = find_property(root, "spacecraftname", "mission")
    if platform:
        meta["PLATFORM"] = platform
    orbit = read_orbit(find_component(root, "orbit") or root, src)
    if orbit is not None and when is not None:
        meta.update(orbit_attributes(orbit, when, interval))
    direction = orbit_direction_of(find_property(root, "passdirection"), meta.get("HEADING"))
    if direction:
        meta["ORBIT_DIRECTION"] = direction
    return meta


#: attributes every stripmap stack has.
STRIPMAP_BASE: dict[str, Any] = {"PROCESSOR": "isce", "sensor_type": "stripmap", "beam_mode": "SM",
                                 "ANTENNA_SIDE": -1, "ALOOKS": 1, "RLOOKS": 1}


def is_shelve(path: str | Path) -> bool:
    """True for ISCE's binary shelve files (``data.dat``/``.bak``/``.dir`` or ``data``)."""
    path = Path(path)
    suffix = path.suffix.lower()
    return suffix in (".dat", ".bak", ".dir") or (path.name == "data" and not suffix)


def read_stripmap_metadata(path: str | Path) -> dict[str, Any]:
    """MintPy attributes from a stripmapStack metadata file (``.rsc`` or product ``.xml``).

    Raises
    ------
    InputDataError
        For ISCE's binary shelve (``data.dat``/``data.bak``/``data.dir``), which cannot be read
        without ISCE; the message says what to provide instead.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if is_shelve(path):
        keys = ", ".join(option_key("load", option) for option in TEMPLATE_OVERRIDES)
        raise InputDataError(
            f"{path} is an ISCE binary shelve, which cannot be read without ISCE. Provide a "
            f"ROI_PAC-style {path.with_name('data.rsc')} (keys WAVELENGTH, RANGE_PIXEL_SIZE, "
            "AZIMUTH_PIXEL_SIZE, STARTING_RANGE, PRF, EARTH_RADIUS, HEIGHT, HEADING, "
            "CENTER_LINE_UTC, ORBIT_DIRECTION, PLATFORM), or the reference product XML via "
            f"minopy.load.metaFile, or set the values in the template: {keys}"
        )
    meta = _from_xml(path) if suffix == ".xml" else _from_rsc(path)
    meta.setdefault("PLATFORM", "unknown")
    meta.update(STRIPMAP_BASE)
    return meta
