"""``minopy.load.processor = opera``: OPERA CSLC-S1 products of one burst, in the product's own
layout (written by the simulator, checked against the real product structure), and bad inputs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import builders
import h5py
import numpy as np
import pytest
import rasterio

from minopy.errors import InputDataError
from minopy.io.stack_h5 import SlcStack
from minopy.simulate import write_stack
from minopy.steps import load_data

#: the official CSLC-S1 file name pattern (OPERA product specification).
CSLC_NAME = re.compile(r"OPERA_L2_CSLC-S1_T\d{3}-\d{6}-IW[1-3]_\d{8}T\d{6}Z_\d{8}T\d{6}Z_"
                       r"S1[AB]_(VV|HH)_v\d+\.\d+\.h5")
#: datasets a CSLC-S1 v1.0 product holds that the reader uses.
CSLC_PATHS = ("/data/VV", "/data/x_coordinates", "/data/y_coordinates", "/data/x_spacing",
              "/data/y_spacing", "/data/projection", "/identification/burst_id",
              "/identification/zero_doppler_start_time", "/identification/zero_doppler_end_time",
              "/identification/orbit_pass_direction",
              "/metadata/processing_information/input_burst_metadata/wavelength",
              "/metadata/orbit/position_x", "/metadata/orbit/reference_epoch")
STATIC_PATHS = ("/data/los_east", "/data/los_north", "/data/layover_shadow_mask",
                "/data/local_incidence_angle", "/data/x_coordinates", "/data/projection")


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    root = tmp_path_factory.mktemp("opera")
    return {layout: write_stack(root / layout, preset="tiny", layout=layout, seed=6, n_dates=3)
            for layout in ("geo", "opera")}


def test_products_have_the_real_structure(projects):
    cslcs = sorted((projects["opera"] / "cslc").glob("*.h5"))
    assert len(cslcs) == 3 and all(CSLC_NAME.fullmatch(p.name) for p in cslcs)
    with h5py.File(cslcs[0], "r") as f:
        for path in CSLC_PATHS:
            assert path in f, path
        assert f["/data/VV"].dtype == np.complex64
        assert re.fullmatch(r"t\d{3}_\d{6}_iw[1-3]", f["/identification/burst_id"][()].decode())
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}",
                            f["/identification/zero_doppler_start_time"][()].decode())
        assert int(f["/data/projection"][()]) == f["/data/projection"].attrs["epsg_code"]
        x = f["/data/x_coordinates"][()]
        assert x[1] - x[0] == f["/data/x_spacing"][()]
    (static,) = (projects["opera"] / "static").glob("*.h5")
    with h5py.File(static, "r") as f:
        for path in STATIC_PATHS:
            assert path in f, path
        assert f["/data/layover_shadow_mask"].dtype == np.int8
    # GDAL reads the complex layer as an HDF5 subdataset, on the same pixels
    with rasterio.open(f'HDF5:"{cslcs[1]}"://data/VV') as ds, h5py.File(cslcs[1], "r") as f:
        np.testing.assert_array_equal(ds.read(1), f["/data/VV"][()])


def test_opera_stack_matches_the_geocoded_gdal_stack(projects):
    out = {}
    for layout, project in projects.items():
        ctx = builders.make_context(project)
        load_data.run(ctx)
        with h5py.File(ctx.geometry_file, "r") as f:
            out[layout] = (SlcStack(ctx.slc_stack_file), {k: f[k][()] for k in f})
    (geo, ggeo), (opera, gop) = out["geo"], out["opera"]
    np.testing.assert_array_equal(geo.read(), opera.read())
    np.testing.assert_allclose(geo.bperp, opera.bperp, atol=1e-5)
    a = opera.attrs
    assert a["PROCESSOR"] == "opera" and a["EPSG"] == "32615" and a["relative_orbit"] == "143"
    assert a["OPERA_BURST_ID"] == "t143_304956_iw1"
    assert float(a["WAVELENGTH"]) == pytest.approx(0.05546576)
    assert a["ORBIT_DIRECTION"] == "DESCENDING"
    for key in ("X_FIRST", "Y_FIRST", "X_STEP", "Y_STEP"):
        assert float(a[key]) == float(geo.attrs[key]), key
    # geometry from the static layers' LOS unit vectors
    np.testing.assert_allclose(gop["incidenceAngle"], ggeo["incidenceAngle"], atol=1e-3)
    np.testing.assert_allclose(gop["azimuthAngle"], ggeo["azimuthAngle"], atol=1e-3)
    np.testing.assert_array_equal(gop["shadowMask"], ggeo["shadowMask"])
    np.testing.assert_array_equal(gop["latitude"], ggeo["latitude"])
    assert not gop["height"].any()  # no DEM given: zero, with a warning


def _copy(projects, tmp_path: Path) -> Path:
    out = tmp_path / "p"
    shutil.copytree(projects["opera"], out, ignore=shutil.ignore_patterns("minopy", "*.txt"))
    return out


def _expect(project: Path, pattern: str, extra: dict | None = None) -> None:
    ctx = builders.make_context(project, extra)
    with pytest.raises(InputDataError, match=pattern):
        load_data.run(ctx)
    assert not ctx.slc_stack_file.exists()


def test_bad_opera_inputs(projects, tmp_path):
    p = _copy(projects, tmp_path / "burst")
    bad = sorted((p / "cslc").glob("*.h5"))[2]
    with h5py.File(bad, "r+") as f:
        del f["/identification/burst_id"]
        f["/identification/burst_id"] = np.bytes_("t143_304957_iw1")
    _expect(p, rf"CSLC {bad} is burst t143_304957_iw1 but .* is burst t143_304956_iw1")

    p = _copy(projects, tmp_path / "twice")
    first = sorted((p / "cslc").glob("*.h5"))[0]
    twin = first.with_name(first.name.replace("20240101T000000Z", "20240202T000000Z"))
    shutil.copy(first, twin)
    _expect(p, r"date 20200105 is in two CSLC files")

    p = _copy(projects, tmp_path / "real")
    bad = sorted((p / "cslc").glob("*.h5"))[1]
    with h5py.File(bad, "r+") as f:
        data = np.abs(f["/data/VV"][()])
        del f["/data/VV"]
        f["/data/VV"] = data
    _expect(p, rf"{bad}: /data/VV holds float32 data; expected complex")

    p = _copy(projects, tmp_path / "nostatic")
    shutil.rmtree(p / "static")
    _expect(p, r"needs the CSLC-STATIC layers of burst t143_304956_iw1.*minopy.load.metaFile")

    p = _copy(projects, tmp_path / "otherstatic")
    (static,) = (p / "static").glob("*.h5")
    with h5py.File(static, "r+") as f:
        del f["/identification/burst_id"]
        f["/identification/burst_id"] = np.bytes_("t143_304957_iw1")
    _expect(p, r"no CSLC-STATIC file of burst t143_304956_iw1; found .*\(t143_304957_iw1\)")

    p = _copy(projects, tmp_path / "grid")
    bad = sorted((p / "cslc").glob("*.h5"))[1]
    with h5py.File(bad, "r+") as f:
        f["/data/x_coordinates"][...] = f["/data/x_coordinates"][()] + 5.0
    _expect(p, rf"CSLC {bad} is on another grid")


def test_gdal_processor_reads_hdf5_subdatasets(projects, tmp_path):
    """processor = gdal with a list file of HDF5 subdatasets (the CSLCs' /data/VV)."""
    from minopy.simulate.gdal_layout import write_geotiff

    cslcs = sorted((projects["opera"] / "cslc").glob("*.h5"))
    root = tmp_path / "sub"
    (root / "geometry").mkdir(parents=True)
    (root / "slcs.txt").write_text("".join(f'HDF5:"{p}"://data/VV\n' for p in cslcs))
    shape = (48, 64)
    for name, value in (("height", 1.0), ("incidenceAngle", 37.0), ("latitude", 29.7),
                        ("longitude", -95.3)):
        write_geotiff(root / "geometry" / f"{name}.tif", np.full(shape, value, np.float32))
    ctx = builders.make_context(root, {
        "minopy.load.processor": "gdal", "minopy.load.autoPath": "no",
        "minopy.load.slcFile": "slcs.txt", "minopy.load.wavelength": "0.0555",
        **{f"minopy.load.{key}": f"geometry/{name}.tif" for key, name in (
            ("demFile", "height"), ("incAngleFile", "incidenceAngle"),
            ("lookupYFile", "latitude"), ("lookupXFile", "longitude"))}})
    load_data.run(ctx)
    stack = SlcStack(ctx.slc_stack_file)
    assert stack.dates == ["20200105", "20200117", "20200129"]
    with h5py.File(cslcs[2], "r") as f:
        np.testing.assert_array_equal(stack.read(dates=[2])[0], f["/data/VV"][()])
