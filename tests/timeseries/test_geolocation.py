"""DEM-error geolocation correction: direction, hemispheres, round trip, CLI."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from minopy.cli.correct_geolocation import main
from minopy.geolocation import away_direction, metres_per_degree, shift_lat_lon

ASC_AZ, DSC_AZ = 102.0, -102.0  # azimuthAngle of Sentinel-1 ascending / descending (right-looking)


@pytest.mark.parametrize("lat0", [-60.0, -0.001, 0.0, 0.001, 45.0])
@pytest.mark.parametrize("lon0", [-120.0, -0.0005, 0.0, 0.0005, 179.0])
@pytest.mark.parametrize("az", [ASC_AZ, DSC_AZ])
def test_round_trip_and_direction(lat0: float, lon0: float, az: float) -> None:
    lat, lon = np.full(3, lat0), np.full(3, lon0)
    dh, inc = np.array([30.0, -30.0, 0.0]), np.full(3, 35.0)
    new_lat, new_lon = shift_lat_lon(lat, lon, dh, inc, az_angle_deg=np.full(3, az))
    back_lat, back_lon = shift_lat_lon(new_lat, new_lon, dh, inc, az_angle_deg=np.full(3, az),
                                       reverse=True)
    np.testing.assert_allclose(back_lat, lat, atol=1e-12)
    np.testing.assert_allclose(back_lon, lon, atol=1e-12)
    m_lat, m_lon = metres_per_degree(lat0)
    east = (new_lon - lon) * m_lon
    north = (new_lat - lat) * m_lat
    # a scatterer above the DEM is farther from the radar: east for ascending (radar to the west)
    ground = 30.0 / np.tan(np.deg2rad(35.0))
    sign = 1.0 if az == ASC_AZ else -1.0
    np.testing.assert_allclose(east[0], sign * ground * np.sin(np.deg2rad(102.0)), rtol=1e-9)
    np.testing.assert_allclose(north[0], -ground * np.cos(np.deg2rad(102.0)), rtol=1e-9)
    np.testing.assert_allclose([east[1], north[1]], [-east[0], -north[0]], rtol=1e-9)
    assert east[2] == 0 and north[2] == 0


def test_heading_fallback_matches_azimuth_angle() -> None:
    # MintPy: azimuth angle = -(heading - 90) for right-looking; -12 deg heading <-> 102 deg
    e1, n1 = away_direction(az_angle_deg=102.0)
    e2, n2 = away_direction(heading_deg=-12.0, antenna_side=-1)
    np.testing.assert_allclose([e1, n1], [e2, n2], atol=1e-12)
    e3, _ = away_direction(heading_deg=-168.0, antenna_side=-1)  # descending looks west
    assert e3 < 0


def test_metres_per_degree_known_values() -> None:
    m_lat, m_lon = metres_per_degree(np.array([0.0, 45.0]))
    np.testing.assert_allclose(m_lat, [110574.3, 111131.8], rtol=1e-5)
    np.testing.assert_allclose(m_lon, [111319.5, 78846.8], rtol=1e-5)


def _write_geometry(path: Path, shape: tuple[int, int] = (4, 5)) -> None:
    with h5py.File(path, "w") as f:
        f["latitude"] = np.full(shape, 0.0002, np.float32)
        f["longitude"] = np.full(shape, -0.0001, np.float32)
        f["incidenceAngle"] = np.full(shape, 40.0, np.float32)
        f["height"] = np.zeros(shape, np.float32)
        f.attrs["HEADING"] = "-168.0"
        f.attrs["ANTENNA_SIDE"] = "-1"
        f.attrs["FILE_TYPE"] = "geometry"


def test_cli_corrects_once_and_reverses(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    geom, dem = tmp_path / "geometryRadar.h5", tmp_path / "demErr.h5"
    _write_geometry(geom)
    with h5py.File(dem, "w") as f:
        f["dem"] = np.full((4, 5), 50.0, np.float32)
    assert main(["-g", str(geom), "-d", str(dem), "--reverse"]) == 1
    assert "not geolocation-corrected" in capsys.readouterr().err
    assert main(["-g", str(geom), "-d", str(dem)]) == 0
    with h5py.File(geom) as f:
        assert f.attrs["geolocation_corrected"] == "yes"
        lon = f["longitude"][()]
        assert (lon < -0.0001).all()  # descending: radar to the east, shift to the west
    assert main(["-g", str(geom), "-d", str(dem)]) == 1
    assert "already geolocation-corrected" in capsys.readouterr().err
    assert main(["-g", str(geom), "-d", str(dem), "--reverse"]) == 0
    with h5py.File(geom) as f:
        assert f.attrs["geolocation_corrected"] == "no"
        np.testing.assert_allclose(f["longitude"][()], np.float32(-0.0001), atol=1e-12)
        np.testing.assert_allclose(f["latitude"][()], np.float32(0.0002), atol=1e-12)
    assert not list(tmp_path.glob(".*part*"))


def test_cli_rejects_size_mismatch(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    geom, dem = tmp_path / "g.h5", tmp_path / "d.h5"
    _write_geometry(geom)
    with h5py.File(dem, "w") as f:
        f["dem"] = np.zeros((3, 3), np.float32)
    assert main(["-g", str(geom), "-d", str(dem)]) == 1
    assert "same radar grid" in capsys.readouterr().err
