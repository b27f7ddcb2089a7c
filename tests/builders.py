"""Builders of small ISCE stacks (topsStack / stripmapStack layouts) for tests.

The layouts follow ISCE and ``minopy.simulate``: ``merged/SLC/<date>/<date>.slc[.full]``,
``merged/geom_reference/*.rdr[.full]``, ``baselines/``, ``reference/IW<n>.xml`` (tops; the ISCE2
product XML as ISCE2 writes it, see ``minopy.simulate.isce_xml``) or
``merged/SLC/<ref>/referenceShelve/data.rsc`` / a ``Frame`` product XML (stripmap). All values are
synthetic unless a builder says otherwise.
"""

from __future__ import annotations

import math
import os
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from minopy.config import load_config
from minopy.io.isce import write_raster
from minopy.simulate import isce_xml
from minopy.step_context import StepContext

#: The read-only shared data folder: ``$MINOPY_SHARED_DIR`` or ``../shared`` beside the repository.
SHARED = Path(os.environ.get("MINOPY_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
HOUSTON = SHARED / "data" / "houston_s1"
HOUSTON_CROP = HOUSTON / "crop_r200_c330_256x256"
HOUSTON_REF = "20180115"

#: Sentinel-1 values used in the synthetic metadata.
WAVELENGTH = 0.05546576
RANGE_PIXEL = 2.329562114715323
AZ_INTERVAL = 0.002055556299999998
STARTING_RANGE = 800000.0
PRF = 486.486
ORBIT_RADIUS = 7071000.0
LAT0, LON0 = 29.9, -95.6


def dates_list(n: int, start: str = "20200101", step_days: int = 12) -> list[str]:
    """``n`` YYYYMMDD dates ``step_days`` apart."""
    t0 = datetime.strptime(start, "%Y%m%d")
    return [(t0 + timedelta(days=step_days * i)).strftime("%Y%m%d") for i in range(n)]


def synthetic_slcs(n: int, length: int, width: int, seed: int = 0) -> np.ndarray:
    """Random complex64 SLCs (n, length, width)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, length, width)) + 1j * rng.standard_normal((n, length, width))
    return z.astype(np.complex64)


def orbit_state(t: float) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic descending orbit on a sphere of radius ORBIT_RADIUS (t seconds after start)."""
    w_lat = -7600.0 / ORBIT_RADIUS  # rad/s, southward
    w_lon = -0.2 * 7600.0 / ORBIT_RADIUS
    lat = math.radians(LAT0 + 1.0) + w_lat * t
    lon = math.radians(LON0) + w_lon * t
    pos = ORBIT_RADIUS * np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon),
                                   math.sin(lat)])
    dlat = ORBIT_RADIUS * np.array([-math.sin(lat) * math.cos(lon), -math.sin(lat) * math.sin(lon),
                                    math.cos(lat)])
    dlon = ORBIT_RADIUS * np.array([-math.cos(lat) * math.sin(lon), math.cos(lat) * math.cos(lon),
                                    0.0])
    return pos, dlat * w_lat + dlon * w_lon


#: slant-range offset (m) between consecutive TOPS swaths in the synthetic metadata.
SWATH_RANGE_STEP = 60000.0
#: synthetic burst length (s).
BURST_SECONDS = 2.75


def synthetic_orbit(start: datetime, num: int = 12) -> isce_xml.Component:
    """ISCE2 ``Orbit`` of :func:`orbit_state`: ``num`` vectors every 10 s from ``start`` - 50 s."""
    offsets = [10.0 * (k - 5) for k in range(num)]
    states = [orbit_state(t) for t in offsets]
    return isce_xml.orbit_component([start + timedelta(seconds=t) for t in offsets],
                                    np.array([p for p, _ in states]),
                                    np.array([v for _, v in states]))


def tops_xml_text(start: datetime, n_bursts: int = 2, swath: int = 1, with_orbit: bool = True,
                  time_offset: float = 0.0) -> str:
    """``reference/IW<swath>.xml`` as ISCE2 writes it: a TOPS swath product of ``n_bursts`` bursts.

    Burst ``b`` starts ``time_offset + b * BURST_SECONDS`` after ``start``; every burst carries the
    same orbit (state vectors at whole seconds when ``start`` is, i.e. without fraction), as
    topsStack writes it. Swath ``n`` starts ``(n - 1) * SWATH_RANGE_STEP`` farther in range.
    """
    orbit = synthetic_orbit(start)
    bursts = []
    for b in range(n_bursts):
        b0 = start + timedelta(seconds=time_offset + b * BURST_SECONDS)
        b1 = b0 + timedelta(seconds=BURST_SECONDS)
        params = {
            "radarwavelength": WAVELENGTH, "rangepixelsize": RANGE_PIXEL,
            "azimuthtimeinterval": AZ_INTERVAL,
            "startingrange": STARTING_RANGE + (swath - 1) * SWATH_RANGE_STEP,
            "pulserepetitionfrequency": PRF, "passdirection": "DESCENDING", "polarization": "VV",
            "tracknumber": 143, "orbitnumber": 20143, "framenumber": 1, "swathnumber": swath,
            "burstnumber": b + 1, "numberoflines": 1500, "numberofsamples": 25000,
            "burststartutc": b0, "burststoputc": b1, "sensingstart": b0, "sensingstop": b1,
        }
        burst = isce_xml.burst_component(params, orbit)
        if not with_orbit:
            burst.children.clear()
        bursts.append(burst)
    product = {"spacecraftname": "Sentinel-1B", "mission": "S1B",
               "ascendingnodetime": start - timedelta(minutes=25)}
    return isce_xml.tops_swath_xml(product, bursts)


def frame_xml_text(start: datetime, n_lines: int = 2000) -> str:
    """A stripmap ``Frame`` product XML (stripmapApp's ``<date>_slc.xml``) with :func:`orbit_state`.

    ALOS-like values: L-band, PRF 2155.172 Hz, sensing from ``start`` for ``n_lines`` lines.
    """
    prf = 2155.172
    stop = start + timedelta(seconds=(n_lines - 1) / prf)
    frame = {"sensing_start": start, "sensing_mid": start + (stop - start) / 2,
             "sensing_stop": stop, "starting_range": 850000.0, "far_range": 900000.0,
             "number_of_lines": n_lines, "number_of_samples": 5000, "polarization": "HH",
             "pass_direction": "ASCENDING", "track_number": 450, "frame_number": 600,
             "orbit_number": 20000}
    radar = {"prf": prf, "radar_wavelength": 0.2360571, "range_pixel_size": 9.368514,
             "range_sampling_rate": 16e6, "chirp_slope": 5e11, "pulse_lenght": 2.7e-5,
             "incidence_angle": 38.7}
    platform = {"spacecraft_name": "ALOS", "mission": "ALOS", "antenna_length": 8.9,
                "pointing_direction": -1}
    return isce_xml.frame_xml(frame, radar, platform, synthetic_orbit(start))


def write_geometry(geom_dir: Path, length: int, width: int, suffix: str,
                   lat0: float = LAT0, lon0: float = LON0) -> None:
    """Synthetic geometry: flat 10 m DEM, linear lat/lon grid, 2-band los, masks."""
    rows, cols = np.mgrid[0:length, 0:width].astype(np.float64)
    write_raster(geom_dir / f"hgt.rdr{suffix}", np.full((length, width), 10.0))
    write_raster(geom_dir / f"lat.rdr{suffix}", lat0 - 0.001 * rows + 0.0002 * cols)
    write_raster(geom_dir / f"lon.rdr{suffix}", lon0 - 0.0002 * rows - 0.001 * cols)
    inc = (30.0 + 10.0 * cols / max(1, width - 1)).astype(np.float32)
    az = np.full((length, width), -100.0, np.float32)  # ISCE LOS azimuth: heading -170
    write_raster(geom_dir / f"los.rdr{suffix}", np.stack([inc, az]), scheme="BIL")
    write_raster(geom_dir / f"incLocal.rdr{suffix}", np.stack([inc, inc]), scheme="BIL")
    shadow = np.zeros((length, width), np.uint8)
    shadow[0, 0] = 1
    water = np.ones((length, width), np.uint8)
    water[-1, -1] = 0
    write_raster(geom_dir / f"shadowMask.rdr{suffix}", shadow)
    write_raster(geom_dir / f"waterMask.rdr{suffix}", water)


def bperp_values(dates: list[str]) -> dict[str, float]:
    """Synthetic baselines relative to the first date."""
    return {d: 0.0 if i == 0 else 25.0 * math.sin(i) + 3.0 * i for i, d in enumerate(dates)}


def write_tops_baselines(root: Path, dates: list[str], ref: str, values: dict[str, float]) -> None:
    """``baselines/<ref>_<sec>/<ref>_<sec>.txt`` with two swath lines averaging to the value."""
    for d in dates:
        if d == ref:
            continue
        v = values[d] - values[ref]
        folder = root / "baselines" / f"{ref}_{d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{ref}_{d}.txt").write_text(
            f"swath: IW1\nBperp (average): {v - 0.5!r}\nBpar (average): 1.0\n"
            f"swath: IW2\nBperp (average): {v + 0.5!r}\nBpar (average): 2.0\n"
        )


def make_tops_stack(root: str | Path, n_dates: int = 5, length: int = 40, width: int = 30,
                    seed: int = 0, start: str = "20200101", swaths: tuple[int, ...] = (1,),
                    n_bursts: int = 2) -> Path:
    """A topsStack-layout project folder under ``root``; returns the project folder.

    ``reference/IW<n>.xml`` for each of ``swaths`` (as ISCE2 writes them, :func:`tops_xml_text`),
    swath ``n`` starting ``0.4 * (n - 1)`` s after swath 1, like Sentinel-1's IW1-IW3.
    """
    project = Path(root)
    dates = dates_list(n_dates, start)
    slcs = synthetic_slcs(n_dates, length, width, seed)
    for d, z in zip(dates, slcs, strict=True):
        write_raster(project / "merged" / "SLC" / d / f"{d}.slc.full", z, image_type="slc")
    write_geometry(project / "merged" / "geom_reference", length, width, ".full")
    write_tops_baselines(project, dates, dates[0], bperp_values(dates))
    ref = project / "reference"
    ref.mkdir(parents=True, exist_ok=True)
    t0 = datetime.strptime(dates[0], "%Y%m%d") + timedelta(hours=0, minutes=24, seconds=10)
    for n in swaths:
        (ref / f"IW{n}.xml").write_text(tops_xml_text(t0, n_bursts=n_bursts, swath=n,
                                                      time_offset=0.4 * (n - 1)))
    return project


def rsc_text(start: datetime) -> str:
    """ROI_PAC-style data.rsc of a stripmap reference."""
    values = {
        "WAVELENGTH": 0.236, "RANGE_PIXEL_SIZE": 9.368514, "AZIMUTH_PIXEL_SIZE": 3.1,
        "STARTING_RANGE": 850000.0, "PRF": 2155.172, "EARTH_RADIUS": 6372000.0,
        "HEIGHT": 691650.0, "HEADING": -166.0, "ORBIT_DIRECTION": "DESCENDING",
        "CENTER_LINE_UTC": start.hour * 3600 + start.minute * 60 + start.second,
        "PLATFORM": "Alos", "POLARIZATION": "HH",
    }
    return "".join(f"{k:<24}{v}\n" for k, v in values.items())


def make_stripmap_stack(root: str | Path, n_dates: int = 4, length: int = 36, width: int = 28,
                        seed: int = 1, start: str = "20100105", metadata: str = "rsc") -> Path:
    """A stripmapStack-layout project folder under ``root``; returns the project folder.

    ``metadata = "rsc"``: ``merged/SLC/<ref>/referenceShelve/data.rsc``; ``"frame_xml"``: the
    reference ``Frame`` product XML as ISCE2 writes it, ``<project>/<ref>_slc.xml``
    (:func:`frame_xml_text`; the template must point ``minopy.load.metaFile`` at it).
    """
    project = Path(root)
    dates = dates_list(n_dates, start, step_days=46)
    slcs = synthetic_slcs(n_dates, length, width, seed)
    for d, z in zip(dates, slcs, strict=True):
        write_raster(project / "merged" / "SLC" / d / f"{d}.slc", z, image_type="slc")
    write_geometry(project / "merged" / "geom_reference", length, width, "")
    values = bperp_values(dates)
    base = project / "baselines"
    base.mkdir(parents=True, exist_ok=True)
    for d in dates[1:]:
        v = values[d]
        (base / f"{dates[0]}_{d}.txt").write_text(
            f"PERP_BASELINE_BOTTOM {v - 1.0!r}\nPERP_BASELINE_TOP {v + 1.0!r}\n")
    t0 = datetime.strptime(dates[0], "%Y%m%d") + timedelta(hours=4, minutes=5, seconds=6)
    if metadata == "frame_xml":
        (project / f"{dates[0]}_slc.xml").write_text(frame_xml_text(t0))
        return project
    shelve = project / "merged" / "SLC" / dates[0] / "referenceShelve"
    shelve.mkdir(parents=True, exist_ok=True)
    (shelve / "data.rsc").write_text(rsc_text(t0))
    return project


def houston_dates() -> list[str]:
    """The 93 dates of the Houston stack."""
    return (HOUSTON / "dates.txt").read_text().split()


def houston_pseudo_slc(date: str) -> np.ndarray:
    """Pseudo-SLC of the README recipe: amp * exp(i angle(z_d)), z_ref = 1 (complex64, 256 x 256).

    ``D_20180115.int`` is used as stored and ``20180115_D.int`` conjugated.
    """
    amp = np.fromfile(HOUSTON_CROP / "amplitude" / f"{date}.amp", dtype="<f4").reshape(256, 256)
    return (amp * np.exp(1j * houston_phase(date))).astype(np.complex64)


def houston_phase(date: str) -> np.ndarray:
    """Phase of date relative to the reference, from the real interferogram (float32 radians)."""
    if date == HOUSTON_REF:
        return np.zeros((256, 256), np.float32)
    igrams = HOUSTON_CROP / "igrams"
    before = igrams / f"{date}_{HOUSTON_REF}.int"
    if before.exists():
        z = np.fromfile(before, dtype="<c8").reshape(256, 256)
    else:
        z = np.conj(np.fromfile(igrams / f"{HOUSTON_REF}_{date}.int", dtype="<c8")
                    .reshape(256, 256))
    return np.angle(z).astype(np.float32)


def make_houston_stack(root: str | Path, dates: list[str] | None = None) -> Path:
    """A topsStack-layout project from the real Houston Sentinel-1 crop.

    SLC pixels are real (pseudo-SLCs of the README recipe). The geometry, baselines and reference
    XML are SYNTHETIC (flat DEM, linear lat/lon grid around Houston, invented baselines) and the
    sidecars are ours.
    """
    project = Path(root)
    dates = sorted(dates or houston_dates())
    for d in dates:
        write_raster(project / "merged" / "SLC" / d / f"{d}.slc.full", houston_pseudo_slc(d),
                     image_type="slc")
    write_geometry(project / "merged" / "geom_reference", 256, 256, ".full")
    ref = HOUSTON_REF if HOUSTON_REF in dates else dates[0]
    write_tops_baselines(project, dates, ref, bperp_values(dates))
    (project / "reference").mkdir(parents=True, exist_ok=True)
    t0 = datetime.strptime(ref, "%Y%m%d") + timedelta(minutes=24, seconds=10)
    (project / "reference" / "IW1.xml").write_text(tops_xml_text(t0))
    return project


def make_context(project: Path, overrides: dict[str, str] | None = None,
                 name: str = "HoustonSenDT143") -> StepContext:
    """Write ``<project>/<name>.txt`` (autoPath on plus ``overrides``) and return a StepContext."""
    lines = {"minopy.load.autoPath": "yes", "minopy.inversion.azimuthWindow": "5",
             "minopy.inversion.rangeWindow": "5", "minopy.inversion.patchSize": "16"}
    lines.update(overrides or {})
    template = project / f"{name}.txt"
    template.write_text("".join(f"{k} = {v}\n" for k, v in lines.items()))
    return StepContext(project / "minopy", load_config(template))
