"""Stack metadata files: TOPS reference XML, stripmap ``.rsc`` and baseline files.

topsStack layout
    ``reference/IW<n>.xml``: the ISCE2 product XML of one TOPS swath, written exactly as ISCE2
    writes it (see :mod:`minopy.simulate.isce_xml`): ``<component name="bursts">`` holds
    ``burst1`` ... ``burst3`` (the scene's time span in three consecutive bursts), each with
    ``radarwavelength``, ``rangepixelsize``, ``azimuthtimeinterval``, ``startingrange``,
    ``pulserepetitionfrequency``, ``passdirection``, ``polarization``, ``tracknumber``,
    ``swathnumber``, ``sensingstart``/``sensingstop``, ``burststartutc``/``burststoputc``, ... and
    its own ``orbit`` component whose ``state_vectors`` are ``statevector1``, ``statevector2``, ...
    (ECEF ``position``/``velocity`` as ``[x, y, z]`` metres, m/s, every 10 s). Times are ``str()``
    of the UTC datetime: ``YYYY-MM-DD HH:MM:SS`` at whole seconds (the state vectors), with
    ``.ffffff`` otherwise.
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
from minopy.simulate import isce_xml
from minopy.simulate.geometry import SceneGeometry, orbit_summary
from minopy.simulate.params import SimulationParams

ORBIT_STEP_S = 10.0
ORBIT_MARGIN_S = 60.0
#: bursts the simulated swath is split into (in time).
NUM_BURSTS = 3


def center_time(params: SimulationParams, date_str: str) -> datetime:
    """UTC time of the scene-centre line on ``date_str`` (YYYYMMDD)."""
    return datetime.strptime(f"{date_str} {params.acquisition_time}", "%Y%m%d %H:%M:%S")


def _fmt_time(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


def tops_reference_xml(params: SimulationParams, geom: SceneGeometry, date_str: str) -> str:
    """Text of ``reference/IW<swath>.xml`` for the reference acquisition ``date_str``.

    A ``TOPSSwathSLCProduct`` as ISCE2 writes it (:mod:`minopy.simulate.isce_xml`): the scene's
    azimuth time span split into :data:`NUM_BURSTS` consecutive bursts, each with its own copy of
    the orbit (ECEF state vectors every :data:`ORBIT_STEP_S` seconds).
    """
    t_mid = center_time(params, date_str)
    half = (params.length - 1) / 2 * params.azimuth_time_interval
    t_start = t_mid - timedelta(seconds=half)
    n_sv = int(np.ceil((half + ORBIT_MARGIN_S) / ORBIT_STEP_S))
    taus = ORBIT_STEP_S * np.arange(-n_sv, n_sv + 1)
    pos, vel = geom.satellite(taus)
    orbit_times = [t_mid + timedelta(seconds=float(tau)) for tau in taus]
    n_bursts = min(NUM_BURSTS, params.length)
    edges = np.linspace(0, params.length, n_bursts + 1).round().astype(int)
    bursts = []
    for k in range(n_bursts):
        b0 = t_start + timedelta(seconds=float(edges[k]) * params.azimuth_time_interval)
        b1 = t_start + timedelta(seconds=float(edges[k + 1] - 1) * params.azimuth_time_interval)
        lines = int(edges[k + 1] - edges[k])
        burst = {
            "radarwavelength": params.wavelength,
            "rangepixelsize": params.range_pixel_size,
            "azimuthtimeinterval": params.azimuth_time_interval,
            "startingrange": float(geom.starting_range),
            "pulserepetitionfrequency": params.prf,
            "rangesamplingrate": params.range_sampling_rate,
            "passdirection": params.orbit_direction,
            "polarization": params.polarization,
            "tracknumber": params.track,
            "orbitnumber": 10000 + params.track,
            "framenumber": 1,
            "swathnumber": params.swath,
            "burstnumber": k + 1,
            "numberoflines": lines,
            "numberofsamples": params.width,
            "firstvalidline": 0,
            "numberofvalidlines": lines,
            "firstvalidsample": 0,
            "numberofvalidsamples": params.width,
            "sensingstart": b0,
            "sensingstop": b1,
            "burststartutc": b0,
            "burststoputc": b1,
            "azimuthsteeringrate": 0.0275,
            "terrainheight": 0.0,
        }
        orbit = isce_xml.orbit_component(orbit_times, pos, vel)
        bursts.append(isce_xml.burst_component(burst, orbit))
    product = {"spacecraftname": f"Sentinel-1{params.platform[-1]}", "mission": params.platform,
               "ascendingnodetime": t_mid - timedelta(seconds=1500)}
    return isce_xml.tops_swath_xml(product, bursts)


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
