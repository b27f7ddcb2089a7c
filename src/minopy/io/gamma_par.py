"""GAMMA ISP files: image parameter files (``*.rslc.par``, ``*.par``), big-endian rasters and
``base_perp`` output.

A GAMMA ISP image parameter file starts with ``Gamma Interferometric SAR Processor (ISP) - Image
Parameter File`` and holds ``key:   value [unit]`` lines, e.g.::

    date:      2009 9 20 22 2 31.6100
    center_time:            79355.414869   s
    range_samples:                  3150
    azimuth_lines:                  2250
    image_format:               FCOMPLEX
    heading:                 190.7709114   degrees
    range_pixel_spacing:        0.909403   m
    near_range_slc:           562804.6249   m
    radar_frequency:        9.6500000e+09   Hz
    sar_to_earth_center:             6884232.8404   m
    earth_radius_below_sensor:       6372623.3859   m

Rasters are headerless and big-endian: ``FCOMPLEX`` (two float32 per pixel), ``SCOMPLEX`` (two
int16), ``FLOAT``; the size comes from the parameter file. :func:`radar_attributes` converts a
parameter file into MintPy attributes as MintPy's ``prep_gamma`` does (wavelength from the radar
frequency, satellite height = ``sar_to_earth_center - earth_radius_below_sensor``, ...).
``base_perp`` writes a table whose header holds ``bpara       bperp       blen``; the rows below
it have nine columns, the eighth being the perpendicular baseline of that row (metres).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from minopy.errors import InputDataError

SPEED_OF_LIGHT = 299_792_458.0
#: GAMMA image_format -> big-endian numpy dtype of one pixel.
FORMATS: dict[str, np.dtype] = {
    "FCOMPLEX": np.dtype(">c8"), "SCOMPLEX": np.dtype(">i2"), "FLOAT": np.dtype(">f4"),
    "SHORT": np.dtype(">i2"), "BYTE": np.dtype("u1")}
COMPLEX_FORMATS = ("FCOMPLEX", "SCOMPLEX")


def read_par(path: str | os.PathLike) -> dict[str, str]:
    """``{key: value text}`` of a GAMMA parameter file (value without its unit for numbers)."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise InputDataError(f"cannot read GAMMA parameter file {path}: {err}") from None
    out: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.partition(":")
        if not sep or not key.strip() or " " in key.strip():
            continue
        out[key.strip()] = value.strip()
    if "range_samples" not in out and "width" not in out:
        raise InputDataError(f"{path} is not a GAMMA image parameter file (no range_samples)")
    return out


def number(par: dict[str, str], key: str, path: Any) -> float:
    """The number at the start of ``par[key]``; InputDataError naming the file and key."""
    text = par.get(key)
    if text is None:
        raise InputDataError(f"{path} lacks '{key}:'")
    try:
        return float(text.split()[0])
    except (ValueError, IndexError):
        raise InputDataError(f"{path}: '{key}: {text}' is not a number") from None


def image_size(par: dict[str, str], path: Any) -> tuple[int, int]:
    """``(azimuth_lines, range_samples)``."""
    width = par.get("range_samples", par.get("width"))
    length = par.get("azimuth_lines", par.get("nlines"))
    try:
        return int(str(length).split()[0]), int(str(width).split()[0])
    except (ValueError, IndexError):
        raise InputDataError(f"{path}: azimuth_lines/range_samples are not integers") from None


def par_date(par: dict[str, str], path: Any) -> str:
    """``YYYYMMDD`` of ``date: YYYY MM DD [hh mm ss.s]``."""
    parts = par.get("date", "").split()
    try:
        y, m, d = (int(float(v)) for v in parts[:3])
    except ValueError:
        parts = []
    if len(parts) < 3:
        raise InputDataError(f"{path}: 'date: {par.get('date', '')}' is not 'YYYY MM DD ...'")
    return f"{y:04d}{m:02d}{d:02d}"


def radar_attributes(par: dict[str, str], path: Any) -> dict[str, Any]:
    """MintPy attributes of an SLC parameter file."""
    out: dict[str, Any] = {}
    if "radar_frequency" in par:
        out["WAVELENGTH"] = SPEED_OF_LIGHT / number(par, "radar_frequency", path)
    simple = {"range_pixel_spacing": "RANGE_PIXEL_SIZE",
              "azimuth_pixel_spacing": "AZIMUTH_PIXEL_SIZE", "near_range_slc": "STARTING_RANGE",
              "prf": "PRF", "earth_radius_below_sensor": "EARTH_RADIUS",
              "center_time": "CENTER_LINE_UTC", "incidence_angle": "CENTER_INCIDENCE_ANGLE"}
    for key, attr in simple.items():
        if key in par:
            out[attr] = number(par, key, path)
    if "sar_to_earth_center" in par and "earth_radius_below_sensor" in par:
        out["HEIGHT"] = (number(par, "sar_to_earth_center", path)
                         - number(par, "earth_radius_below_sensor", path))
    if "heading" in par:
        heading = number(par, "heading", path)
        heading = heading - 360.0 * round(heading / 360.0)  # (-180, 180], MintPy/ISCE style
        out["HEADING"] = heading
        out["ORBIT_DIRECTION"] = "ASCENDING" if abs(heading) < 90.0 else "DESCENDING"
    if "azimuth_angle" in par:
        out["ANTENNA_SIDE"] = -1 if 0.0 < number(par, "azimuth_angle", path) < 180.0 else 1
    if "sensor" in par:
        out["PLATFORM"] = par["sensor"].split()[0] if par["sensor"].split() else "unknown"
    return out


def look_geometry(par: dict[str, str], width: int, path: Any) -> np.ndarray:
    """Incidence angle (degrees) of each range sample on the sphere of
    ``earth_radius_below_sensor`` seen from ``sar_to_earth_center`` (law of cosines), shifted so
    that the slant range ``center_range_slc`` has the file's ``incidence_angle`` when it gives one
    (the sphere misses the ellipsoid's curvature by a few tenths of a degree)."""
    r_sat = number(par, "sar_to_earth_center", path)
    r_e = number(par, "earth_radius_below_sensor", path)
    r0 = number(par, "near_range_slc", path)
    dr = number(par, "range_pixel_spacing", path)

    def sphere(rng: np.ndarray) -> np.ndarray:
        cos_look = (r_sat**2 + rng**2 - r_e**2) / (2.0 * r_sat * rng)
        look = np.arccos(np.clip(cos_look, -1.0, 1.0))
        return np.degrees(np.arcsin(np.clip(r_sat * np.sin(look) / r_e, -1.0, 1.0)))

    inc = sphere(r0 + dr * np.arange(width, dtype=np.float64))
    if "incidence_angle" in par:
        centre = (number(par, "center_range_slc", path) if "center_range_slc" in par
                  else r0 + dr * (width - 1) / 2.0)
        inc += number(par, "incidence_angle", path) - float(sphere(np.array([centre]))[0])
    return inc


def read_base_perp(path: str | os.PathLike) -> float:
    """Mean perpendicular baseline (m) of a GAMMA ``base_perp`` output table."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise InputDataError(f"cannot read baseline file {path}: {err}") from None
    start = next((i for i, line in enumerate(lines) if "bperp" in line and "bpara" in line), None)
    if start is None:
        raise InputDataError(f"{path} is not base_perp output (no 'bpara  bperp  blen' header)")
    values = []
    for line in lines[start + 1:]:
        cols = line.split()
        if len(cols) != 9:
            continue
        try:
            values.append(float(cols[7]))
        except ValueError:
            continue
    if not values or not all(math.isfinite(v) for v in values):
        raise InputDataError(f"{path}: no rows of nine numbers under the bperp header")
    return float(np.mean(values))


class ScomplexBand:
    """A big-endian ``SCOMPLEX`` raster (int16 pairs) read as complex64 by slicing."""

    def __init__(self, path: Path, length: int, width: int) -> None:
        self.data = np.memmap(path, dtype=">i2", mode="r", shape=(length, width, 2))

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.data.shape[0]), int(self.data.shape[1]))

    def __getitem__(self, key: Any) -> np.ndarray:
        block = np.asarray(self.data[key], dtype=np.float32)
        return (block[..., 0] + 1j * block[..., 1]).astype(np.complex64)


def open_gamma_raster(path: Path, length: int, width: int, image_format: str, what: str) -> Any:
    """Memory-map a headerless big-endian GAMMA raster ``(length, width)``, checking its size."""
    fmt = image_format.upper()
    if fmt not in FORMATS:
        raise InputDataError(f"{what} {path}: image_format {image_format!r} is not one of "
                             f"{', '.join(FORMATS)}")
    per_pixel = FORMATS[fmt].itemsize * (2 if fmt == "SCOMPLEX" else 1)
    try:
        size = path.stat().st_size
    except OSError as err:
        raise InputDataError(f"{what} {path} cannot be read: {err}") from None
    if size != length * width * per_pixel:
        raise InputDataError(
            f"{what} {path} has {size} bytes but its parameters say {length} lines x {width} "
            f"samples of {fmt} = {length * width * per_pixel} bytes")
    if fmt == "SCOMPLEX":
        return ScomplexBand(path, length, width)
    return np.memmap(path, dtype=FORMATS[fmt], mode="r", shape=(length, width))


def format_par(items: dict[str, Any]) -> str:
    """Parameter file text as GAMMA writes it: title line, blank line, ``key:`` padded values."""
    lines = ["Gamma Interferometric SAR Processor (ISP) - Image Parameter File", ""]
    for key, value in items.items():
        lines.append(f"{key + ':':<28s}{value}")
    return "\n".join(lines) + "\n"


def read_dem_par(path: str | os.PathLike) -> dict[str, Any]:
    """The map grid of a GAMMA DEM/MAP parameter file (``DEM_projection: EQA``).

    Returns ``width``, ``nlines``, ``corner_lat``, ``corner_lon`` (the upper-left pixel, degrees)
    and ``post_lat`` (negative), ``post_lon`` (degrees).
    """
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise InputDataError(f"cannot read GAMMA DEM parameter file {path}: {err}") from None
    par = {}
    for line in lines:
        key, sep, value = line.partition(":")
        if sep:
            par[key.strip()] = value.strip()
    proj = par.get("DEM_projection", "EQA").split()[0] if par.get("DEM_projection") else "EQA"
    if proj != "EQA":
        raise InputDataError(f"{path}: DEM_projection {proj} is not supported; expected EQA "
                             "(a latitude/longitude grid)")
    out: dict[str, Any] = {}
    for key in ("width", "nlines"):
        out[key] = int(number(par, key, path))
    for key in ("corner_lat", "corner_lon", "post_lat", "post_lon"):
        out[key] = number(par, key, path)
    return out


def invert_lookup(lt_path: Path, dem_par: dict[str, Any], length: int, width: int,
                  what: str = "lookup table") -> tuple[np.ndarray, np.ndarray]:
    """Latitude and longitude (float32, degrees) of each radar pixel from a GAMMA geocoding
    lookup table (``gc_map`` output: big-endian FCOMPLEX on the DEM grid, real part the range
    sample, imaginary part the azimuth line of each map pixel).

    Each map pixel's coordinates go to its nearest radar pixel (averaged where several land on
    one); radar pixels no map pixel reaches take the values of the nearest one that is reached.
    The table and the radar grid are held in memory.

    Raises
    ------
    InputDataError
        If the table's size disagrees with the DEM parameters or it reaches no radar pixel.
    """
    from scipy import ndimage

    table = open_gamma_raster(lt_path, dem_par["nlines"], dem_par["width"], "FCOMPLEX", what)
    lat_sum = np.zeros(length * width)
    lon_sum = np.zeros(length * width)
    count = np.zeros(length * width)
    rows_all = np.arange(dem_par["nlines"], dtype=np.float64)
    cols_all = np.arange(dem_par["width"], dtype=np.float64)
    for r0 in range(0, dem_par["nlines"], 512):
        block = np.asarray(table[r0:r0 + 512], dtype=np.complex64)
        rg = np.rint(block.real).astype(np.int64)
        az = np.rint(block.imag).astype(np.int64)
        ok = (block.real > 0) & (rg >= 0) & (rg < width) & (az >= 0) & (az < length)
        rr, cc = np.nonzero(ok)
        idx = az[ok] * width + rg[ok]
        lat = dem_par["corner_lat"] + rows_all[r0 + rr] * dem_par["post_lat"]
        lon = dem_par["corner_lon"] + cols_all[cc] * dem_par["post_lon"]
        np.add.at(lat_sum, idx, lat)
        np.add.at(lon_sum, idx, lon)
        np.add.at(count, idx, 1.0)
    hit = count > 0
    if not hit.any():
        raise InputDataError(f"{what} {lt_path} maps no map pixel into the {length} x {width} "
                             "radar image; is it the lookup table of this stack?")
    lat_r = np.where(hit, lat_sum / np.maximum(count, 1), 0.0).reshape(length, width)
    lon_r = np.where(hit, lon_sum / np.maximum(count, 1), 0.0).reshape(length, width)
    missing = ~hit.reshape(length, width)
    if missing.any():
        near = ndimage.distance_transform_edt(missing, return_distances=False,
                                              return_indices=True)
        lat_r = lat_r[tuple(near)]
        lon_r = lon_r[tuple(near)]
    return lat_r.astype(np.float32), lon_r.astype(np.float32)


def state_vectors(par: dict[str, str], path: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(times (n,) s of day, positions (n, 3) m)`` of the orbit state vectors, None without
    any."""
    if "number_of_state_vectors" not in par:
        return None
    n = int(number(par, "number_of_state_vectors", path))
    if n < 2:
        return None
    t0 = number(par, "time_of_first_state_vector", path)
    dt = number(par, "state_vector_interval", path)
    pos = []
    for i in range(1, n + 1):
        text = par.get(f"state_vector_position_{i}")
        if text is None:
            raise InputDataError(f"{path} lacks state_vector_position_{i} of its {n} vectors")
        try:
            pos.append([float(v) for v in text.split()[:3]])
        except ValueError:
            raise InputDataError(f"{path}: state_vector_position_{i}: {text!r} is not three "
                                 "numbers") from None
    return t0 + dt * np.arange(n), np.array(pos)


class _Orbit:
    """Polynomial fit of state vectors (position and its derivative), times in s of day."""

    def __init__(self, times: np.ndarray, pos: np.ndarray) -> None:
        self.t0 = float(times.mean())
        deg = min(5, len(times) - 1)
        self.coef = [np.polyfit(times - self.t0, pos[:, k], deg) for k in range(3)]

    def position(self, t: float) -> np.ndarray:
        return np.array([np.polyval(c, t - self.t0) for c in self.coef])

    def velocity(self, t: float) -> np.ndarray:
        return np.array([np.polyval(np.polyder(c), t - self.t0) for c in self.coef])


def orbit_bperp(ref: dict[str, str], sec: dict[str, str], ref_path: Any, sec_path: Any
                ) -> float:
    """Perpendicular baseline (m) of ``sec`` relative to ``ref`` at the scene centre, from the
    parameter files' state vectors.

    The centre target is seen from the reference position at ``center_time`` at
    ``center_range_slc``, right-looking, with the look angle of a sphere of
    ``earth_radius_below_sensor``; the secondary position is its zero-Doppler point on the
    secondary orbit. The baseline's component perpendicular to the reference line of sight is
    signed as ISCE signs it: positive when ``((T - M) x (S - M)) . V_M > 0``.
    """
    sv_ref, sv_sec = state_vectors(ref, ref_path), state_vectors(sec, sec_path)
    if sv_ref is None or sv_sec is None:
        raise InputDataError(f"{ref_path if sv_ref is None else sec_path} has no orbit state "
                             "vectors")
    m_orbit, s_orbit = _Orbit(*sv_ref), _Orbit(*sv_sec)
    t_ref = number(ref, "center_time", ref_path)
    m, v = m_orbit.position(t_ref), m_orbit.velocity(t_ref)
    r_c = (number(ref, "center_range_slc", ref_path) if "center_range_slc" in ref else
           number(ref, "near_range_slc", ref_path)
           + number(ref, "range_pixel_spacing", ref_path)
           * (int(ref["range_samples"].split()[0]) - 1) / 2.0)
    r_sat = number(ref, "sar_to_earth_center", ref_path)
    r_e = number(ref, "earth_radius_below_sensor", ref_path)
    look = math.acos(max(-1.0, min(1.0, (r_sat**2 + r_c**2 - r_e**2) / (2 * r_sat * r_c))))
    v_hat = v / np.linalg.norm(v)
    up = m / np.linalg.norm(m)
    up = up - (up @ v_hat) * v_hat  # the zero-Doppler plane of the reference position
    up /= np.linalg.norm(up)
    right = np.cross(v_hat, up)
    right /= np.linalg.norm(right)
    los = math.cos(look) * -up + math.sin(look) * right
    target = m + r_c * los
    t = number(sec, "center_time", sec_path)
    for _ in range(20):  # zero Doppler: (S(t) - T) . V(t) = 0
        s, vs = s_orbit.position(t), s_orbit.velocity(t)
        step = float((s - target) @ vs) / float(vs @ vs)
        t -= step
        if abs(step) < 1e-7:
            break
    s = s_orbit.position(t)
    base = s - m
    perp = base - (base @ los) * los
    sign = 1.0 if float(np.cross(target - m, base) @ v) > 0 else -1.0
    return sign * float(np.linalg.norm(perp))
