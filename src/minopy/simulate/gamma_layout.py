"""The simulated stack as a GAMMA coregistered stack (``--layout gamma``)::

    rslc/<YYYYMMDD>.rslc          big-endian FCOMPLEX, one per date
    rslc/<YYYYMMDD>.rslc.par      ISP image parameter file, as GAMMA writes it, with the orbit
                                  state vectors of the date (the perpendicular baseline of the
                                  simulation, as an offset of the orbit)
    geometry/<ref>.hgt            big-endian float32 height in radar coordinates (m)
    geometry/<ref>.lat, <ref>.lon big-endian float32 latitude/longitude of each radar pixel (deg)
    baselines/<ref>_<date>.base_perp   GAMMA base_perp output (bperp in its eighth column)

The incidence angle is left to the loader, which computes it from the parameter file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from minopy.io.atomic import atomic_path, write_text_atomic
from minopy.io.gamma_par import SPEED_OF_LIGHT, format_par
from minopy.io.isce import read_raster


def _write_be(path: Path, array: np.ndarray, dtype: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        np.ascontiguousarray(array, dtype=dtype).tofile(tmp)


def slc_par_text(rsc: dict[str, str], date: str, length: int, width: int,
                 incidence: float, orbit: tuple[np.ndarray, np.ndarray] | None = None) -> str:
    """An ISP SLC parameter file for ``date`` from the simulator's radar attributes."""
    t = float(rsc["CENTER_LINE_UTC"])
    half = (length - 1) / 2.0 / float(rsc["PRF"])
    hh, mm, ss = int(t // 3600), int(t % 3600 // 60), t % 60
    r0, dr = float(rsc["STARTING_RANGE"]), float(rsc["RANGE_PIXEL_SIZE"])
    re, h = float(rsc["EARTH_RADIUS"]), float(rsc["HEIGHT"])
    items = {
        "title": f"{rsc['PLATFORM']}_simulated_{date}",
        "sensor": f"{rsc['PLATFORM']} IW1 VV",
        "date": f"{date[:4]} {int(date[4:6]):02d} {int(date[6:]):02d} {hh:02d} {mm:02d} "
                f"{ss:.4f}",
        "start_time": f"{t - half:.6f}   s",
        "center_time": f"{t:.6f}   s",
        "end_time": f"{t + half:.6f}   s",
        "azimuth_line_time": f"{1.0 / float(rsc['PRF']):.7e}   s",
        "line_header_size": "0",
        "range_samples": str(width),
        "azimuth_lines": str(length),
        "range_looks": "1",
        "azimuth_looks": "1",
        "image_format": "FCOMPLEX",
        "image_geometry": "SLANT_RANGE",
        "range_scale_factor": "1.0000000e+00",
        "azimuth_scale_factor": "1.0000000e+00",
        "heading": f"{float(rsc['HEADING']) % 360.0:.7f}   degrees",
        "range_pixel_spacing": f"{dr:.6f}   m",
        "azimuth_pixel_spacing": f"{float(rsc['AZIMUTH_PIXEL_SIZE']):.6f}   m",
        "near_range_slc": f"{r0:.4f}  m",
        "center_range_slc": f"{r0 + dr * (width - 1) / 2:.4f}  m",
        "far_range_slc": f"{r0 + dr * (width - 1):.4f}  m",
        "incidence_angle": f"{incidence:.4f}   degrees",
        "azimuth_deskew": "ON",
        "azimuth_angle": "90.0000   degrees",
        "radar_frequency": f"{SPEED_OF_LIGHT / float(rsc['WAVELENGTH']):.7e}   Hz",
        "prf": f"{float(rsc['PRF']):.6f}   Hz",
        "sar_to_earth_center": f"{re + h:.4f}   m",
        "earth_radius_below_sensor": f"{re:.4f}   m",
        "earth_semi_major_axis": "6378137.0000   m",
        "earth_semi_minor_axis": "6356752.3141   m",
    }
    if orbit is not None:
        pos, vel = orbit
        items["number_of_state_vectors"] = str(len(pos))
        items["time_of_first_state_vector"] = f"{t + ORBIT_TAU[0]:.6f}   s"
        items["state_vector_interval"] = f"{ORBIT_TAU[1] - ORBIT_TAU[0]:.6f}   s"
        for i, (p, v) in enumerate(zip(pos, vel, strict=True), start=1):
            items[f"state_vector_position_{i}"] = (f"{p[0]:15.4f} {p[1]:15.4f} {p[2]:15.4f}"
                                                   "   m   m   m")
            items[f"state_vector_velocity_{i}"] = (f"{v[0]:12.5f} {v[1]:12.5f} {v[2]:12.5f}"
                                                   "   m/s m/s m/s")
    return format_par(items)


#: times of the state vectors (s from the centre time).
ORBIT_TAU = np.arange(-40.0, 41.0, 10.0)


def date_orbits(geom: Any, bperp: np.ndarray, length: int, width: int
                ) -> list[tuple[np.ndarray, np.ndarray]]:
    """State vectors of each date: the simulator's orbit, shifted for date ``k`` by ``bperp[k]``
    along ``V x (T - M)`` (perpendicular to the centre line of sight and to the velocity, the
    direction ISCE counts positive)."""
    pos, vel = geom.satellite(ORBIT_TAU)
    centre = geom.targets(np.array(length // 2), np.array(width // 2), np.array(0.0))
    m, v = geom.satellite(geom.row_time(np.array(length // 2)))
    normal = np.cross(v, centre["xyz"] - m)
    normal /= np.linalg.norm(normal)
    return [(pos + b * normal, vel) for b in bperp]


def base_perp_text(ref: str, date: str, bperp: float, width: int, length: int) -> str:
    """``base_perp`` output: a header, then rows whose eighth column is the perpendicular
    baseline (constant here: the simulator's per-date baseline)."""
    lines = [f"*** perpendicular baseline of {ref}_{date} (simulated) ***", "",
             "  row  sample  slant_range  time      look_angle  inc_angle    "
             "bpara       bperp       blen",
             "-" * 96]
    for row in np.linspace(0, length - 1, 5).astype(int):
        for col in np.linspace(0, width - 1, 3).astype(int):
            lines.append(f"{row:6d} {col:6d}  0.0  0.0  0.0  0.0  0.000  {bperp:10.4f}  "
                         f"{abs(bperp):10.4f}")
    return "\n".join(lines) + "\n"


def write_gamma_layout(out_dir: Path, slcs: dict[str, Path], geometry: dict[str, np.ndarray],
                       bperp: np.ndarray, rsc: dict[str, str], geom: Any = None) -> None:
    """Write the GAMMA layout (see the module doc) from the simulator's ISCE SLC rasters."""
    first = geometry["height"]
    length, width = first.shape
    dates = list(slcs)
    centre_inc = float(np.interp((width - 1) / 2.0, np.arange(width),
                                 geometry["incidenceAngle"][length // 2]))
    orbits = (date_orbits(geom, bperp, length, width) if geom is not None
              else [None] * len(dates))
    for (date, path), orbit in zip(slcs.items(), orbits, strict=True):
        _write_be(out_dir / "rslc" / f"{date}.rslc", read_raster(path), ">c8")
        write_text_atomic(out_dir / "rslc" / f"{date}.rslc.par",
                          slc_par_text(rsc, date, length, width, centre_inc, orbit))
    ref = dates[0]
    for name, ext in (("height", "hgt"), ("latitude", "lat"), ("longitude", "lon")):
        _write_be(out_dir / "geometry" / f"{ref}.{ext}", geometry[name], ">f4")
    for k, date in enumerate(dates[1:], start=1):
        write_text_atomic(out_dir / "baselines" / f"{ref}_{date}.base_perp",
                          base_perp_text(ref, date, float(bperp[k]), width, length))
