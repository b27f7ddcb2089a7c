"""Tests of ISCE metadata parsing without ISCE (topsStack XML, stripmap .rsc/.xml, orbit maths)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import builders
import numpy as np
import pytest

from minopy.config import load_config
from minopy.errors import InputDataError
from minopy.io.geometry_metadata import azimuth_to_heading, footprint
from minopy.io.isce_metadata import (
    WGS84_A,
    WGS84_E2,
    apply_template_values,
    check_required,
    ecef_to_llh,
    enu_heading,
    radius_of_curvature,
)
from minopy.io.stripmap_metadata import read_stripmap_metadata
from minopy.io.tops_metadata import read_tops_metadata

# A hand-written product XML: mixed case, <value> children, 'pulserepetitionfrequency', no orbit.
SMALL_IW_XML = """<productmanager_name>
  <component name="instance">
    <component name="Bursts">
      <component name="burst2">
        <property name="burstStopUTC"><value>2018-01-15 00:25:03.500000</value></property>
        <property name="burstStartUTC"><value>2018-01-15 00:25:00.500000</value></property>
      </component>
      <component name="Burst1">
        <property name="RadarWavelength"><value>0.05546576</value></property>
        <property name="rangePixelSize"><value>2.3</value></property>
        <property name="azimuthTimeInterval"><value>0.002</value></property>
        <property name="startingRange"><value>799000.5</value></property>
        <property name="pulseRepetitionFrequency"><value>486.5</value></property>
        <property name="passDirection"><value>ASCENDING</value></property>
        <property name="polarization"><value>vv</value></property>
        <property name="trackNumber"><value>143</value></property>
        <property name="swathNumber"><value>2</value></property>
        <property name="burstStartUTC"><value>2018-01-15 00:24:58.000000</value></property>
        <property name="burstStopUTC"><value>2018-01-15 00:25:01.000000</value></property>
      </component>
    </component>
  </component>
</productmanager_name>
"""


def llh_to_ecef(lat: float, lon: float, h: float) -> np.ndarray:
    la, lo = math.radians(lat), math.radians(lon)
    n = WGS84_A / math.sqrt(1 - WGS84_E2 * math.sin(la) ** 2)
    return np.array([(n + h) * math.cos(la) * math.cos(lo), (n + h) * math.cos(la) * math.sin(lo),
                     (n * (1 - WGS84_E2) + h) * math.sin(la)])


def test_small_hand_written_xml(tmp_path):
    path = tmp_path / "IW2.xml"
    path.write_text(SMALL_IW_XML)
    meta = read_tops_metadata([path])
    assert meta["WAVELENGTH"] == 0.05546576
    assert meta["RANGE_PIXEL_SIZE"] == 2.3
    assert meta["STARTING_RANGE"] == 799000.5
    assert meta["PRF"] == 486.5
    assert meta["ORBIT_DIRECTION"] == "ASCENDING"
    assert meta["POLARIZATION"] == "VV"
    assert meta["relative_orbit"] == "143"
    assert meta["beam_swath"] == "2"
    assert meta["beam_mode"] == "IW" and meta["PLATFORM"] == "Sen"
    assert meta["ANTENNA_SIDE"] == -1 and meta["ALOOKS"] == 1 and meta["RLOOKS"] == 1
    # start of burst1, stop of the last burst (burst2), centre between them
    assert meta["startUTC"].startswith("2018-01-15 00:24:58")
    assert meta["stopUTC"].startswith("2018-01-15 00:25:03.5")
    assert meta["CENTER_LINE_UTC"] == pytest.approx(24 * 60 + 60.75)
    # no orbit: no HEIGHT / EARTH_RADIUS, and the check names the template keys to set
    assert "HEIGHT" not in meta
    with pytest.raises(InputDataError, match="minopy.load.satelliteHeight"):
        check_required(meta, str(path))


def test_tops_orbit_attributes(tmp_path):
    project = builders.make_tops_stack(tmp_path, n_dates=2, length=20, width=20)
    meta = read_tops_metadata(sorted((project / "reference").glob("IW*.xml")))
    t_mid = 2.75  # two bursts of 2.75 s: mid time is 2.75 s after the first burst start
    pos, vel = builders.orbit_state(t_mid)
    lat, _, alt = ecef_to_llh(pos)
    assert meta["HEIGHT"] == pytest.approx(alt, abs=1.0)
    assert 690e3 < meta["HEIGHT"] < 705e3
    assert meta["satelliteSpeed"] == pytest.approx(np.linalg.norm(vel), rel=1e-6)
    # full resolution, along the orbit (MintPy convention): speed x azimuth time interval
    assert meta["AZIMUTH_PIXEL_SIZE"] == pytest.approx(np.linalg.norm(vel) * builders.AZ_INTERVAL,
                                                       rel=1e-6)
    ground = meta["azimuthPixelSizeGround"]
    assert ground == pytest.approx(meta["AZIMUTH_PIXEL_SIZE"] * meta["EARTH_RADIUS"]
                                   / (meta["EARTH_RADIUS"] + meta["HEIGHT"]))
    assert meta["HEADING"] == pytest.approx(enu_heading(pos, vel), abs=1e-3)
    assert -180 < meta["HEADING"] < -150  # descending, right-looking S1-like
    assert meta["ORBIT_DIRECTION"] == "DESCENDING"
    assert 6.33e6 < meta["EARTH_RADIUS"] < 6.40e6
    assert meta["EARTH_RADIUS"] == pytest.approx(radius_of_curvature(lat, meta["HEADING"]))
    check_required(meta, "IW1.xml")


@pytest.mark.parametrize("spelling", ["statevector", "state_vector"])
def test_orbit_state_vectors_in_both_spellings(tmp_path, spelling):
    """ISCE2 names the vectors ``statevector1, statevector2, ...`` (TraitSeq of ``statevector``);
    ``state_vector1, ...`` is read too."""
    text = builders.tops_xml_text(datetime(2018, 1, 15, 0, 24, 58))
    assert '<component name="statevector1">' in text  # the fixture writes ISCE2's spelling
    path = tmp_path / "IW1.xml"
    path.write_text(text.replace('name="statevector', f'name="{spelling}'))
    meta = read_tops_metadata([path])
    pos, vel = builders.orbit_state(builders.BURST_SECONDS)  # mid time of the two bursts
    assert meta["HEIGHT"] == pytest.approx(ecef_to_llh(pos)[2], abs=1.0)
    assert meta["satelliteSpeed"] == pytest.approx(np.linalg.norm(vel), rel=1e-6)
    check_required(meta, str(path))


@pytest.mark.parametrize("n_bursts", [1, 3, 10])
def test_bursts_nested_as_isce2_writes_them(tmp_path, n_bursts):
    """Bursts ``burst1 .. burstN`` under ``bursts``, written in text order (``burst10`` before
    ``burst2``), each with its own orbit; times with and without fractional seconds."""
    start = datetime(2018, 1, 15, 0, 24, 58)
    text = builders.tops_xml_text(start, n_bursts=n_bursts)
    if n_bursts == 10:
        assert text.index('"burst10"') < text.index('"burst2"')
    assert "<value>2018-01-15 00:24:58</value>" in text  # whole seconds: no fraction
    assert text.count('<component name="orbit">') == n_bursts
    path = tmp_path / "IW1.xml"
    path.write_text(text)
    meta = read_tops_metadata([path])
    span = n_bursts * builders.BURST_SECONDS
    assert meta["startUTC"] == "2018-01-15 00:24:58.000000"
    stop = start + timedelta(seconds=span)
    assert meta["stopUTC"] == stop.strftime("%Y-%m-%d %H:%M:%S.%f")
    assert meta["CENTER_LINE_UTC"] == pytest.approx(24 * 60 + 58 + span / 2)
    assert meta["PRF"] == builders.PRF  # ISCE2's 'pulserepetitionfrequency'
    assert meta["beam_swath"] == "1"
    pos, _ = builders.orbit_state(span / 2)
    assert meta["HEIGHT"] == pytest.approx(ecef_to_llh(pos)[2], abs=1.0)


@pytest.mark.parametrize("order", [(1, 2, 3), (3, 1, 2), (2, 3)])
def test_several_swaths(tmp_path, order):
    """One to three ``IW<n>.xml``: the near swath (lowest number) gives the starting range, the
    time span covers the bursts of every swath, ``beam_swath`` lists them."""
    project = builders.make_tops_stack(tmp_path / "p", n_dates=2, length=10, width=10,
                                       swaths=tuple(sorted(order)), n_bursts=3)
    files = [project / "reference" / f"IW{n}.xml" for n in order]
    meta = read_tops_metadata(files)
    first, last = min(order), max(order)
    assert meta["beam_swath"] == "".join(str(n) for n in sorted(order))
    step = builders.SWATH_RANGE_STEP
    assert meta["STARTING_RANGE"] == builders.STARTING_RANGE + (first - 1) * step
    t0 = datetime(2020, 1, 1, 0, 24, 10)
    start = t0 + timedelta(seconds=0.4 * (first - 1))
    stop = t0 + timedelta(seconds=0.4 * (last - 1) + 3 * builders.BURST_SECONDS)
    assert meta["startUTC"] == start.strftime("%Y-%m-%d %H:%M:%S.%f")
    assert meta["stopUTC"] == stop.strftime("%Y-%m-%d %H:%M:%S.%f")
    check_required(meta, "IW*.xml")


def test_ecef_llh_round_trip():
    for lat, lon, h in ((29.8, -95.4, 693000.0), (-60.0, 170.0, 0.0), (0.0, 0.0, 100.0)):
        got = ecef_to_llh(llh_to_ecef(lat, lon, h))
        assert got[0] == pytest.approx(lat, abs=1e-9)
        assert got[1] == pytest.approx(lon, abs=1e-9)
        assert got[2] == pytest.approx(h, abs=1e-3)


def test_radius_of_curvature_limits():
    b = WGS84_A * math.sqrt(1 - WGS84_E2)
    # along the meridian at the equator: M = a(1-e2); east-west at the equator: N = a
    assert radius_of_curvature(0.0, 0.0) == pytest.approx(WGS84_A * (1 - WGS84_E2))
    assert radius_of_curvature(0.0, 90.0) == pytest.approx(WGS84_A)
    assert radius_of_curvature(90.0, 0.0) == pytest.approx(WGS84_A**2 / b)


def test_heading_from_los_azimuth():
    assert azimuth_to_heading(-100.0) == pytest.approx(-170.0)
    assert azimuth_to_heading(100.0) == pytest.approx(-10.0)


def test_stripmap_rsc(stripmap_project):
    rsc = next(stripmap_project.glob("merged/SLC/*/referenceShelve/data.rsc"))
    meta = read_stripmap_metadata(rsc)
    assert meta["WAVELENGTH"] == 0.236
    assert meta["HEIGHT"] == 691650.0
    assert meta["beam_mode"] == "SM" and meta["sensor_type"] == "stripmap"
    assert meta["ORBIT_DIRECTION"] == "DESCENDING"
    check_required(meta, str(rsc))


def test_stripmap_frame_xml_as_isce2_writes_it(tmp_path):
    """A stripmap ``Frame`` product XML (stripmapApp's ``<date>_slc.xml``): underscored names
    (``sensing_start``, ``radar_wavelength``), radar values in ``instrument``, sensing times with
    ``T``, ``statevector<k>`` orbit, an attitude whose ``state_vectors`` is a property."""
    start = datetime(2010, 1, 5, 4, 5, 6)
    xml = tmp_path / "20100105_slc.xml"
    xml.write_text(builders.frame_xml_text(start, n_lines=2001))
    text = xml.read_text()
    assert '<property name="sensing_start">' in text and "2010-01-05T04:05:06.000000" in text
    assert '<component name="statevector1">' in text
    meta = read_stripmap_metadata(xml)
    assert meta["WAVELENGTH"] == 0.2360571
    assert meta["PRF"] == 2155.172
    assert meta["RANGE_PIXEL_SIZE"] == 9.368514
    assert meta["STARTING_RANGE"] == 850000.0
    assert meta["POLARIZATION"] == "HH" and meta["PLATFORM"] == "ALOS"
    assert meta["relative_orbit"] == "450"
    assert meta["ORBIT_DIRECTION"] == "ASCENDING"  # pass_direction, not the (descending) orbit
    assert meta["startUTC"].startswith("2010-01-05 04:05:06")
    t_mid = 1000 / 2155.172  # 2001 lines: the centre line is 1000 lines after the start
    assert meta["CENTER_LINE_UTC"] == pytest.approx(4 * 3600 + 5 * 60 + 6 + t_mid)
    pos, vel = builders.orbit_state(t_mid)
    assert meta["HEIGHT"] == pytest.approx(ecef_to_llh(pos)[2], abs=1.0)
    assert meta["AZIMUTH_PIXEL_SIZE"] == pytest.approx(np.linalg.norm(vel) / 2155.172, rel=1e-6)
    assert meta["beam_mode"] == "SM"
    check_required(meta, str(xml))


def test_stripmap_shelve_is_rejected_with_advice(tmp_path):
    dat = tmp_path / "referenceShelve" / "data.dat"
    dat.parent.mkdir()
    dat.write_bytes(b"\x00binary shelve")
    with pytest.raises(InputDataError, match=r"data\.rsc.*minopy\.load\.wavelength"):
        read_stripmap_metadata(dat)


def test_unreadable_xml_names_file(tmp_path):
    bad = tmp_path / "IW1.xml"
    bad.write_text("<productmanager_name><component>")
    with pytest.raises(InputDataError, match="IW1.xml"):
        read_tops_metadata([bad])


def test_template_values_fill_and_override(tmp_path):
    template = tmp_path / "t.txt"
    template.write_text("minopy.load.wavelength = 0.031\nminopy.load.satelliteHeight = 514000\n"
                        "minopy.load.orbitDirection = asc\n")
    cfg = load_config(template)
    meta = apply_template_values({"WAVELENGTH": 0.05, "HEADING": -170.0}, cfg.load)
    assert meta["WAVELENGTH"] == 0.031 and meta["HEIGHT"] == 514000
    assert meta["ORBIT_DIRECTION"] == "ASCENDING"


def test_footprint_corners(tops_project):
    geom = tops_project / "merged" / "geom_reference"
    fp = footprint(geom / "lat.rdr.full", geom / "lon.rdr.full", (2, 3, 12, 13))
    # lat = 29.9 - 0.001 row + 0.0002 col; lon = -95.6 - 0.0002 row - 0.001 col
    assert fp["LAT_REF1"] == pytest.approx(29.9 - 0.003 + 0.0004)
    assert fp["LAT_REF4"] == pytest.approx(29.9 - 0.012 + 0.0022)
    assert fp["LON_REF2"] == pytest.approx(-95.6 - 0.0006 - 0.011)
    assert fp["LON_REF3"] == pytest.approx(-95.6 - 0.0024 - 0.002)
