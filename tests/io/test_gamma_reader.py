"""``minopy.load.processor = gamma``: ISP parameter files as GAMMA writes them, big-endian SLCs,
base_perp baselines, the simulator's gamma layout, and bad inputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import builders
import numpy as np
import pytest

from minopy.errors import InputDataError
from minopy.io.gamma_par import (
    SPEED_OF_LIGHT,
    look_geometry,
    par_date,
    radar_attributes,
    read_base_perp,
    read_par,
)
from minopy.io.stack_h5 import SlcStack
from minopy.simulate import write_stack
from minopy.steps import load_data

#: the head of a TerraSAR-X SLC parameter file in GAMMA's own layout (values of a real product).
TSX_PAR = """Gamma Interferometric SAR Processor (ISP) - Image Parameter File

title:     SSC____SM_S
sensor:    TSX-1
date:      2009 9 20 22 2 31.6100
start_time:             79355.103121   s
center_time:            79355.414869   s
end_time:               79355.726617   s
azimuth_line_time:     2.7723245e-04  s
line_header_size:                  0
range_samples:                  3150
azimuth_lines:                  2250
range_looks:                       1
azimuth_looks:                     1
image_format:               SCOMPLEX
image_geometry:             SLANT_RANGE
range_scale_factor:     1.0000000e+00
azimuth_scale_factor:   1.0000000e+00
center_latitude:          31.2356746   degrees
center_longitude:        121.5051487   degrees
heading:                 190.7709114   degrees
range_pixel_spacing:        0.909403   m
azimuth_pixel_spacing:      1.966905   m
near_range_slc:           562804.6249   m
center_range_slc:         564236.4799   m
far_range_slc:            565668.3350   m
first_slant_range_polynomial:        0.00000      0.00000  0.00000e+00  0.00000e+00  \
0.00000e+00  0.00000e+00  s m 1 m^-1 m^-2 m^-3
incidence_angle:             26.4236   degrees
azimuth_deskew:          ON
azimuth_angle:               90.0000   degrees
radar_frequency:        9.6500000e+09   Hz
adc_sampling_rate:      1.6482919e+08   Hz
chirp_bandwidth:        1.5000000e+08   Hz
prf:                     3607.081408   Hz
azimuth_proc_bandwidth:   2765.00000   Hz
doppler_polynomial:         -3.78752  0.00000e+00  0.00000e+00  0.00000e+00  Hz     Hz/m     \
Hz/m^2     Hz/m^3
receiver_gain:              -15.8770   dB
calibration_gain:             0.0000   dB
sar_to_earth_center:             6884232.8404   m
earth_radius_below_sensor:       6372623.3859   m
earth_semi_major_axis:           6378137.0000   m
earth_semi_minor_axis:           6356752.3141   m
number_of_state_vectors:                   12
time_of_first_state_vector:      79305.000000   s
state_vector_interval:              10.000000   s
state_vector_position_1:  -3250782.5338    4704528.7179    3832074.3651   m   m   m
state_vector_velocity_1:    -1064.67600      4362.70100     -6239.43700   m/s m/s m/s
state_vector_position_2:  -3261199.8006    4747876.5060    3769446.6524   m   m   m
state_vector_velocity_2:    -1018.77000      4306.75900     -6285.97900   m/s m/s m/s
state_vector_position_3:  -3271157.7804    4790661.9041    3706357.3610   m   m   m
state_vector_velocity_3:     -972.82000      4250.22400     -6331.75200   m/s m/s m/s
state_vector_position_4:  -3280656.0803    4832879.0283    3642814.2065   m   m   m
state_vector_velocity_4:     -926.83500      4193.10500     -6376.75100   m/s m/s m/s
state_vector_position_5:  -3289694.3692    4874522.0636    3578824.9612   m   m   m
state_vector_velocity_5:     -880.81900      4135.40700     -6420.96900   m/s m/s m/s
state_vector_position_6:  -3298272.3832    4915585.2629    3514397.4508   m   m   m
state_vector_velocity_6:     -834.78000      4077.13900     -6464.40300   m/s m/s m/s
state_vector_position_7:  -3306389.9192    4956062.9512    3449539.5575   m   m   m
state_vector_velocity_7:     -788.72500      4018.30600     -6507.04500   m/s m/s m/s
state_vector_position_8:  -3314046.8433    4995949.5256    3384259.2163   m   m   m
state_vector_velocity_8:     -742.65900      3958.91700     -6548.89100   m/s m/s m/s
state_vector_position_9:  -3321243.0814    5035239.4520    3318564.4131   m   m   m
state_vector_velocity_9:     -696.58900      3898.97800     -6589.93600   m/s m/s m/s
state_vector_position_10:  -3327978.6276    5073927.2726    3252463.1880   m   m   m
state_vector_velocity_10:     -650.52200      3838.49700     -6630.17500   m/s m/s m/s
state_vector_position_11:  -3334253.5378    5112007.6011    3185963.6289   m   m   m
state_vector_velocity_11:     -604.46300      3777.48100     -6669.60200   m/s m/s m/s
state_vector_position_12:  -3340067.9341    5149475.1267    3119073.8739   m   m   m
state_vector_velocity_12:     -558.42000      3715.93800     -6708.21300   m/s m/s m/s
""".replace("\\\n", "")


def test_par_file_as_gamma_writes_it(tmp_path):
    path = tmp_path / "20090920.rslc.par"
    path.write_text(TSX_PAR)
    par = read_par(path)
    assert par_date(par, path) == "20090920"
    attrs = radar_attributes(par, path)
    assert attrs["WAVELENGTH"] == pytest.approx(SPEED_OF_LIGHT / 9.65e9)
    assert attrs["HEIGHT"] == pytest.approx(6884232.8404 - 6372623.3859)
    assert attrs["EARTH_RADIUS"] == 6372623.3859 and attrs["STARTING_RANGE"] == 562804.6249
    assert attrs["HEADING"] == pytest.approx(190.7709114 - 360.0)
    assert attrs["ORBIT_DIRECTION"] == "DESCENDING" and attrs["ANTENNA_SIDE"] == -1
    assert attrs["CENTER_LINE_UTC"] == 79355.414869 and attrs["PLATFORM"] == "TSX-1"
    assert attrs["RANGE_PIXEL_SIZE"] == 0.909403 and attrs["PRF"] == 3607.081408


def _scomplex_stack(root: Path) -> Path:
    """Two small SCOMPLEX SLCs with the TSX parameter file (shrunk), geometry given."""
    L, W = 12, 10
    rng = np.random.default_rng(0)
    for date in ("20090920", "20091001"):
        text = TSX_PAR.replace("2009 9 20", f"{date[:4]} {date[4:6]} {date[6:]}")
        text = text.replace("3150", str(W)).replace("2250", str(L))
        (root / "rslc").mkdir(parents=True, exist_ok=True)
        (root / "rslc" / f"{date}.rslc.par").write_text(text)
        rng.integers(-500, 500, (L, W, 2)).astype(">i2").tofile(root / "rslc" / f"{date}.rslc")
    (root / "geometry").mkdir()
    np.full((L, W), 5.0, ">f4").tofile(root / "geometry" / "20090920.hgt")
    np.full((L, W), 31.2, ">f4").tofile(root / "geometry" / "20090920.lat")
    np.full((L, W), 121.5, ">f4").tofile(root / "geometry" / "20090920.lon")
    return root


def _ctx(root: Path, extra: dict | None = None):
    values = {"minopy.inversion.azimuthWindow": "3", "minopy.inversion.rangeWindow": "3"}
    values.update(extra or {})
    return builders.make_context(root, values)


def test_scomplex_stack_with_computed_incidence(tmp_path):
    root = _scomplex_stack(tmp_path / "tsx")
    ctx = _ctx(root)
    load_data.run(ctx)
    stack = SlcStack(ctx.slc_stack_file)
    raw = np.fromfile(root / "rslc" / "20091001.rslc", ">i2").reshape(12, 10, 2)
    np.testing.assert_array_equal(stack.read(dates=[1])[0], raw[..., 0] + 1j * raw[..., 1])
    assert stack.attrs["MINOPY_PROCESSOR"] == "gamma" and stack.attrs["PLATFORM"] == "TSX-1"
    import h5py

    with h5py.File(ctx.geometry_file, "r") as f:
        inc = f["incidenceAngle"][()]
        rng = f["slantRangeDistance"][()]
    # near range of the real TSX geometry: 26.4236 degrees at the centre of 3150 samples, the
    # sphere's variation across the swath (0.65 degrees) anchored there
    full = look_geometry(read_par(root / "rslc" / "20090920.rslc.par").copy()
                         | {"range_samples": "3150"}, 3150, "tsx")
    assert full[1574:1576].mean() == pytest.approx(26.4236, abs=1e-3)
    assert 0.6 < full[-1] - full[0] < 0.7
    np.testing.assert_allclose(inc[0], full[:10], atol=1e-4)
    assert rng[0, 0] == pytest.approx(562804.6249, abs=0.1)
    assert stack.bperp.tolist() == [0.0, 0.0]  # no base_perp: the (identical) orbits give 0


def test_gamma_layout_matches_the_isce_layout(tmp_path):
    """The simulator's gamma layout: the same SLCs and baselines as its topsStack layout, the
    incidence computed from the parameter file within 0.05 degrees."""
    import h5py

    out = {}
    for layout in ("tops", "gamma"):
        project = write_stack(tmp_path / layout, preset="tiny", layout=layout, seed=5, n_dates=3)
        ctx = builders.make_context(project)
        load_data.run(ctx)
        with h5py.File(ctx.geometry_file, "r") as f:
            out[layout] = (SlcStack(ctx.slc_stack_file), f["incidenceAngle"][()],
                           f["latitude"][()])
    (a, inc_a, lat_a), (b, inc_b, lat_b) = out["tops"], out["gamma"]
    np.testing.assert_array_equal(a.read(), b.read())
    np.testing.assert_allclose(a.bperp, b.bperp, atol=1e-3)
    assert np.abs(inc_a - inc_b).max() < 0.05
    np.testing.assert_array_equal(lat_a, lat_b)
    assert float(b.attrs["HEIGHT"]) == pytest.approx(float(a.attrs["HEIGHT"]), abs=0.1)
    assert b.attrs["ORBIT_DIRECTION"] == "DESCENDING"
    base = sorted((tmp_path / "gamma" / "baselines").glob("*.base_perp"))[0]
    assert read_base_perp(base) == pytest.approx(float(a.bperp[1]), abs=1e-3)
    # without base_perp files: the baselines from the parameter files' orbit state vectors
    shutil.rmtree(tmp_path / "gamma" / "baselines")
    ctx = builders.make_context(tmp_path / "gamma", {"minopy.load.updateMode": "no"})
    load_data.run(ctx)
    np.testing.assert_allclose(SlcStack(ctx.slc_stack_file).bperp, a.bperp, atol=0.05)


def _expect(ctx, pattern: str) -> None:
    with pytest.raises(InputDataError, match=pattern):
        load_data.run(ctx)
    assert not ctx.slc_stack_file.exists()


def test_bad_gamma_inputs(tmp_path):
    root = _scomplex_stack(tmp_path / "date")
    par = root / "rslc" / "20091001.rslc.par"
    par.write_text(par.read_text().replace("2009 10 01", "2009 10 02"))
    _expect(_ctx(root), r"20091001.rslc is named for 20091001 but .*says date 2009 10 02")

    root = _scomplex_stack(tmp_path / "size")
    par = root / "rslc" / "20091001.rslc.par"
    par.write_text(par.read_text().replace("azimuth_lines:                  12",
                                           "azimuth_lines:                  11"))
    _expect(_ctx(root), r"20091001.rslc is 11 x 10 .* share one grid")

    root = _scomplex_stack(tmp_path / "float")
    par = root / "rslc" / "20090920.rslc.par"
    par.write_text(par.read_text().replace("SCOMPLEX", "FLOAT"))
    _expect(_ctx(root), r"image_format FLOAT; expected complex")

    root = _scomplex_stack(tmp_path / "short")
    slc = root / "rslc" / "20091001.rslc"
    slc.write_bytes(slc.read_bytes()[:100])
    _expect(_ctx(root), rf"SLC {slc} has 100 bytes but its parameters say 12 lines")

    root = _scomplex_stack(tmp_path / "nopar")
    (root / "rslc" / "20091001.rslc.par").unlink()
    _expect(_ctx(root), r"20091001.rslc has no parameter file")

    root = _scomplex_stack(tmp_path / "nolat")
    (root / "geometry" / "20090920.lat").unlink()
    _expect(_ctx(root), r"needs latitude .*minopy.load.lookupYFile")


DEM_PAR = """Gamma DIFF&GEO DEM/MAP parameter file
title: simulated
DEM_projection:     EQA
data_format:        REAL*4
DEM_hgt_offset:          0.00000
DEM_scale:               1.00000
width:                  {width}
nlines:                 {nlines}
corner_lat:     31.2000000  decimal degrees
corner_lon:    121.5000000  decimal degrees
post_lat:   -5.0000000e-05  decimal degrees
post_lon:    1.0000000e-04  decimal degrees

ellipsoid_name: WGS 84
ellipsoid_ra:        6378137.000   m
ellipsoid_reciprocal_flattening:  298.2572236
"""


def test_lookup_table_is_inverted(tmp_path, caplog):
    """A gc_map lookup table (map pixel -> range sample + i azimuth line) on an EQA grid gives
    back each radar pixel's latitude/longitude to within the map spacing."""
    import h5py

    root = _scomplex_stack(tmp_path / "lt")
    for ext in ("lat", "lon"):
        (root / "geometry" / f"20090920.{ext}").unlink()
    L, W = 12, 10
    # radar pixel (row, col) lies at lat = 31.2 - 1e-4 row, lon = 121.5 + 2e-4 col + 3e-5 row
    nlines, width = 26, 26
    mrow, mcol = np.mgrid[0:nlines, 0:width].astype(float)
    lat, lon = 31.2 - 5e-5 * mrow, 121.5 + 1e-4 * mcol
    row = (31.2 - lat) / 1e-4
    col = (lon - 121.5 - 3e-5 * row) / 2e-4
    inside = (row >= 0) & (row <= L - 1) & (col >= 0) & (col <= W - 1)
    table = np.where(inside, col + 1j * row, 0).astype(">c8")
    table.tofile(root / "geometry" / "20090920.lt")
    (root / "geometry" / "20090920.dem_par").write_text(DEM_PAR.format(width=width,
                                                                       nlines=nlines))
    ctx = _ctx(root)
    with caplog.at_level("INFO", logger="minopy"):
        load_data.run(ctx)
    with h5py.File(ctx.geometry_file, "r") as f:
        got_lat, got_lon = f["latitude"][()], f["longitude"][()]
    rr, cc = np.mgrid[0:L, 0:W]
    want_lat, want_lon = 31.2 - 1e-4 * rr, 121.5 + 2e-4 * cc + 3e-5 * rr
    # within the map spacing inside, within one radar pixel on the image edge
    inner = (slice(1, -1), slice(1, -1))
    np.testing.assert_allclose(got_lat[inner], want_lat[inner], atol=6e-5)
    np.testing.assert_allclose(got_lon[inner], want_lon[inner], atol=1.2e-4)
    np.testing.assert_allclose(got_lat, want_lat, atol=1.05e-4)
    np.testing.assert_allclose(got_lon, want_lon, atol=2.1e-4)
    assert "from the GAMMA lookup table" in caplog.text
