"""Stack metadata files: TOPS reference XML, stripmap ``.rsc`` and baseline files.

topsStack layout
    ``reference/IW<n>.xml``: an ISCE ProductManager XML of one TOPS swath with one burst covering
    the merged image. Properties are lower-case ``<property name="..."><value>...</value>``
    elements; the burst carries ``radarwavelength``, ``rangepixelsize``, ``azimuthtimeinterval``,
    ``startingrange``, ``prf``, ``passdirection``, ``polarization``, ``tracknumber``,
    ``sensingstart``/``sensingmid``/``sensingstop``, ``burststartutc``/``burststoputc``,
    ``swathnumber``, ``numberoflines``, ``numberofsamples``, ``rangesamplingrate``, ``platform``,
    ``mission`` and an ``orbit`` component of ECEF ``state_vectors`` every 10 s (times
    ``YYYY-MM-DD HH:MM:SS.ffffff`` UTC, ``position``/``velocity`` as ``[x, y, z]`` metres, m/s).
    ``baselines/<ref>_<sec>/<ref>_<sec>.txt``: ``swath: IW1``, ``Bperp (average): <m>``,
    ``Bpar (average): <m>``.

stripmapStack layout
    ISCE keeps stripmap metadata in a Python shelve that cannot be written portably; instead
    ``merged/SLC/<refdate>/referenceShelve/data.rsc`` holds ROI_PAC-style ``KEY value`` lines
    (WAVELENGTH, RANGE_PIXEL_SIZE, AZIMUTH_PIXEL_SIZE, STARTING_RANGE, PRF, HEADING, HEIGHT,
    EARTH_RADIUS, ORBIT_DIRECTION, CENTER_LINE_UTC, PLATFORM, POLARIZATION, ANTENNA_SIDE, LENGTH,
    WIDTH, startUTC, stopUTC, ...), values derived from the same orbit as the TOPS XML.
    ``baselines/<ref>_<sec>.txt``: ``PERP_BASELINE_TOP <m>`` and ``PERP_BASELINE_BOTTOM <m>``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from minopy.io.atomic import write_text_atomic
from minopy.simulate.geometry import SceneGeometry, orbit_summary
from minopy.simulate.params import SimulationParams

ORBIT_STEP_S = 10.0
ORBIT_MARGIN_S = 60.0


def center_time(params: SimulationParams, date_str: str) -> datetime:
    """UTC time of the scene-centre line on ``date_str`` (YYYYMMDD)."""
    return datetime.strptime(f"{date_str} {params.acquisition_time}", "%Y%m%d %H:%M:%S")


def _fmt_time(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


def _prop(name: str, value: object, indent: int) -> str:
    pad = " " * indent
    return f'{pad}<property name="{name}">\n{pad}    <value>{value}</value>\n{pad}</property>\n'


def _vec(v: np.ndarray) -> str:
    return "[" + ", ".join(f"{x:.6f}" for x in v) + "]"


def tops_reference_xml(params: SimulationParams, geom: SceneGeometry, date_str: str) -> str:
    """Text of ``reference/IW<swath>.xml`` for the reference acquisition ``date_str``."""
    t_mid = center_time(params, date_str)
    half = (params.length - 1) / 2 * params.azimuth_time_interval
    t_start = t_mid - timedelta(seconds=half)
    t_stop = t_mid + timedelta(seconds=half)
    n_sv = int(np.ceil((half + ORBIT_MARGIN_S) / ORBIT_STEP_S))
    taus = ORBIT_STEP_S * np.arange(-n_sv, n_sv + 1)
    pos, vel = geom.satellite(taus)
    i8 = 8
    burst = [
        _prop("radarwavelength", f"{params.wavelength:.10g}", i8 + 4),
        _prop("rangepixelsize", f"{params.range_pixel_size:.10g}", i8 + 4),
        _prop("azimuthtimeinterval", f"{params.azimuth_time_interval:.10g}", i8 + 4),
        _prop("startingrange", f"{geom.starting_range:.6f}", i8 + 4),
        _prop("prf", f"{params.prf:.10g}", i8 + 4),
        _prop("rangesamplingrate", f"{params.range_sampling_rate:.10g}", i8 + 4),
        _prop("passdirection", params.orbit_direction, i8 + 4),
        _prop("polarization", params.polarization, i8 + 4),
        _prop("tracknumber", params.track, i8 + 4),
        _prop("orbitnumber", 10000 + params.track, i8 + 4),
        _prop("swathnumber", params.swath, i8 + 4),
        _prop("burstnumber", 1, i8 + 4),
        _prop("numberoflines", params.length, i8 + 4),
        _prop("numberofsamples", params.width, i8 + 4),
        _prop("firstvalidline", 0, i8 + 4),
        _prop("numvalidlines", params.length, i8 + 4),
        _prop("firstvalidsample", 0, i8 + 4),
        _prop("numvalidsamples", params.width, i8 + 4),
        _prop("sensingstart", _fmt_time(t_start), i8 + 4),
        _prop("sensingmid", _fmt_time(t_mid), i8 + 4),
        _prop("sensingstop", _fmt_time(t_stop), i8 + 4),
        _prop("burststartutc", _fmt_time(t_start), i8 + 4),
        _prop("burststoputc", _fmt_time(t_stop), i8 + 4),
        _prop("platform", params.platform, i8 + 4),
        _prop("mission", params.platform, i8 + 4),
        _prop("lookside", "right", i8 + 4),
    ]
    pad = " " * (i8 + 4)
    orbit = [f'{pad}<component name="orbit">\n',
             _prop("orbitquality", "Precise", i8 + 8),
             _prop("orbitsource", "synthetic", i8 + 8),
             f'{pad}    <component name="state_vectors">\n']
    for k, tau in enumerate(taus):
        t = t_mid + timedelta(seconds=float(tau))
        p2 = " " * (i8 + 12)
        orbit += [f'{p2}<component name="state_vector{k + 1}">\n',
                  _prop("time", _fmt_time(t), i8 + 16),
                  _prop("position", _vec(pos[k]), i8 + 16),
                  _prop("velocity", _vec(vel[k]), i8 + 16),
                  f"{p2}</component>\n"]
    orbit += [f"{pad}    </component>\n", f"{pad}</component>\n"]
    return (
        "<productmanager_name>\n"
        '    <component name="instance">\n'
        "        <factorymodule>isceobj.Sensor.TOPS</factorymodule>\n"
        "        <factoryname>createTOPSSwathSLCProduct</factoryname>\n"
        + _prop("numberofbursts", 1, i8)
        + _prop("swathnumber", params.swath, i8)
        + _prop("spacecraftname", f"Sentinel-1{params.platform[-1]}", i8)
        + _prop("ascendingnodetime", _fmt_time(t_mid - timedelta(seconds=1500)), i8)
        + '        <component name="bursts">\n'
        + '            <component name="burst1">\n'
        + "".join(burst) + "".join(orbit)
        + "            </component>\n"
        + "        </component>\n"
        + "    </component>\n"
        + "</productmanager_name>\n"
    )


def stripmap_rsc(params: SimulationParams, geom: SceneGeometry, date_str: str) -> str:
    """ROI_PAC-style ``KEY value`` text of the stripmap reference metadata (``data.rsc``)."""
    t_mid = center_time(params, date_str)
    half = (params.length - 1) / 2 * params.azimuth_time_interval
    orb = orbit_summary(geom)
    seconds = t_mid.hour * 3600 + t_mid.minute * 60 + t_mid.second + t_mid.microsecond * 1e-6
    items = {
        "WIDTH": params.width,
        "LENGTH": params.length,
        "WAVELENGTH": f"{params.wavelength:.10g}",
        "RANGE_PIXEL_SIZE": f"{params.range_pixel_size:.10g}",
        "AZIMUTH_PIXEL_SIZE": f"{orb['SPEED'] * params.azimuth_time_interval:.6f}",
        "STARTING_RANGE": f"{geom.starting_range:.6f}",
        "PRF": f"{1.0 / params.azimuth_time_interval:.6f}",
        "HEADING": f"{orb['HEADING']:.6f}",
        "HEIGHT": f"{orb['HEIGHT']:.3f}",
        "EARTH_RADIUS": f"{orb['EARTH_RADIUS']:.3f}",
        "ORBIT_DIRECTION": params.orbit_direction,
        "CENTER_LINE_UTC": f"{seconds:.6f}",
        "PLATFORM": params.platform,
        "POLARIZATION": params.polarization,
        "ANTENNA_SIDE": -1,
        "beam_mode": "SM",
        "relative_orbit": params.track,
        "startUTC": _fmt_time(t_mid - timedelta(seconds=half)),
        "stopUTC": _fmt_time(t_mid + timedelta(seconds=half)),
        "satelliteSpeed": f"{orb['SPEED']:.6f}",
        "DATE": date_str,
    }
    return "".join(f"{k:<24s}{v}\n" for k, v in items.items())


def write_baselines(out_dir: Path, layout: str, dates: list[str], bperp: np.ndarray,
                    swath: int, seed: int) -> list[Path]:
    """Write one baseline file per secondary date (reference = ``dates[0]``).

    Returns
    -------
    list of Path
        The files written.
    """
    ref = dates[0]
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 20]))
    bpar = rng.normal(0.0, 30.0, len(dates))
    written = []
    for k, sec in enumerate(dates[1:], start=1):
        if layout == "tops":
            path = out_dir / "baselines" / f"{ref}_{sec}" / f"{ref}_{sec}.txt"
            text = (f"swath: IW{swath}\nBperp (average): {bperp[k]:.6f}\n"
                    f"Bpar (average): {bpar[k]:.6f}\n")
        else:
            path = out_dir / "baselines" / f"{ref}_{sec}.txt"
            text = f"PERP_BASELINE_BOTTOM {bperp[k]:.6f}\nPERP_BASELINE_TOP {bperp[k]:.6f}\n"
        written.append(write_text_atomic(path, text))
    return written
