"""Tests of ISCE metadata parsing without ISCE (topsStack XML, stripmap .rsc/.xml, orbit maths)."""

from __future__ import annotations

import math
from datetime import datetime

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


def test_stripmap_product_xml(tmp_path):
    start = datetime(2010, 1, 5, 4, 5, 6)
    text = builders.tops_xml_text(start, n_bursts=1).replace("burst1", "frame")
    xml = tmp_path / "data.xml"
    xml.write_text(text)
    meta = read_stripmap_metadata(xml)
    assert meta["WAVELENGTH"] == builders.WAVELENGTH
    assert meta["beam_mode"] == "SM"
    assert 690e3 < meta["HEIGHT"] < 705e3
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
    meta = apply_template_values({"WAVELENGTH": 0.05, "HEADING": -170.0}, cfg)
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
