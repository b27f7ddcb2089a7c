"""``minopy.load.processor = gdal``: stacks of complex rasters GDAL reads (radar and geocoded),
MintPy map attributes, subset.lalo through the geotransform, and the bad-input errors."""

from __future__ import annotations

import logging
from pathlib import Path

import builders
import h5py
import numpy as np
import pytest
import rasterio

from minopy.errors import ConfigError, InputDataError
from minopy.io.readers.common import first_date
from minopy.io.stack_h5 import SlcStack
from minopy.simulate import write_stack
from minopy.simulate.gdal_layout import write_geotiff
from minopy.steps import load_data

EPSG = 32615
TRANSFORM = (270650.0, 5.0, 0.0, 3293805.0, 0.0, -15.0)
L, W = 20, 24


def _slc(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((L, W)) + 1j * rng.standard_normal((L, W))).astype(np.complex64)


def _small_stack(root: Path, geocoded: bool = True, n: int = 3,
                 tags: dict | None = None) -> Path:
    """``n`` complex GeoTIFFs ``slc/S1_<date>T002530_x.tif`` and their geometry."""
    epsg, gt = (EPSG, TRANSFORM) if geocoded else (None, None)
    tags = {"WAVELENGTH": 0.0555} if tags is None else tags
    for k, date in enumerate(builders.dates_list(n)):
        write_geotiff(root / "slc" / f"S1_{date}T002530_x.tif", _slc(k), epsg, gt, tags)
    write_geotiff(root / "geometry" / "height.tif", np.full((L, W), 10, np.float32), epsg, gt)
    write_geotiff(root / "geometry" / "incidenceAngle.tif", np.full((L, W), 37, np.float32),
                  epsg, gt)
    if not geocoded:
        lat, lon = np.meshgrid(np.linspace(29.8, 29.7, L), np.linspace(-95.4, -95.3, W),
                               indexing="ij")
        write_geotiff(root / "geometry" / "latitude.tif", lat, epsg, gt)
        write_geotiff(root / "geometry" / "longitude.tif", lon, epsg, gt)
    return root


def _ctx(root: Path, extra: dict[str, str] | None = None):
    values = {"minopy.load.processor": "gdal", "minopy.load.slcFile": "slc/*.tif",
              "minopy.load.demFile": "geometry/height.tif",
              "minopy.load.incAngleFile": "geometry/incidenceAngle.tif",
              "minopy.load.autoPath": "no"}
    if (root / "geometry" / "latitude.tif").exists():
        values["minopy.load.lookupYFile"] = "geometry/latitude.tif"
        values["minopy.load.lookupXFile"] = "geometry/longitude.tif"
    values.update(extra or {})
    ctx = builders.make_context(root, values)
    return ctx


def _error(ctx, pattern: str, kind=InputDataError) -> None:
    with pytest.raises(kind, match=pattern):
        load_data.run(ctx)
    assert not ctx.slc_stack_file.exists()


def test_first_date_in_name():
    assert first_date("S1_20200105T002530_x.tif") == "20200105"
    assert first_date("OPERA_L2_CSLC-S1_T071-151230-IW3_20221019T141020Z_20230516T2056Z.h5") \
        == "20221019"
    assert first_date("t143_304956_iw1.tif") is None


def test_gdal_layout_loads_the_same_slcs_as_isce(tmp_path, caplog):
    """The simulator's ``gdal`` layout (autoPath, processor auto) holds the same SLCs as its
    topsStack layout, and its GDAL metadata give the radar attributes."""
    tops = write_stack(tmp_path / "tops", preset="tiny", layout="tops", seed=2, n_dates=3)
    gdal = write_stack(tmp_path / "gdal", preset="tiny", layout="gdal", seed=2, n_dates=3)
    stacks = {}
    for name, project in (("tops", tops), ("gdal", gdal)):
        ctx = builders.make_context(project)
        with caplog.at_level(logging.INFO, logger="minopy"):
            load_data.run(ctx)
        stacks[name] = SlcStack(ctx.slc_stack_file)
    assert "processor gdal (detected from the folder" in caplog.text
    assert "processor isce (detected from the folder" in caplog.text
    np.testing.assert_array_equal(stacks["tops"].read(), stacks["gdal"].read())
    np.testing.assert_allclose(stacks["tops"].bperp, stacks["gdal"].bperp, atol=1e-5)
    a, b = stacks["tops"].attrs, stacks["gdal"].attrs
    assert b["PROCESSOR"] == "isce" and b["MINOPY_PROCESSOR"] == "gdal" and "Y_FIRST" not in b
    for key in ("WAVELENGTH", "RANGE_PIXEL_SIZE", "STARTING_RANGE", "HEADING", "HEIGHT"):
        assert float(a[key]) == pytest.approx(float(b[key]), rel=1e-5), key
    # baselines from an ISCE baselines folder instead of the list
    ctx = builders.make_context(gdal, {"minopy.load.baselineDir": str(tops / "baselines"),
                                       "minopy.load.updateMode": "no"})
    load_data.run(ctx)
    np.testing.assert_allclose(SlcStack(ctx.slc_stack_file).bperp, stacks["tops"].bperp,
                               atol=0)


def test_geocoded_utm_stack(tmp_path):
    """CRS + geotransform: MintPy map attributes, lat/lon from the grid, attributes derived from
    the geometry, and MintPy's readers see map coordinates."""
    from mintpy.utils import readfile
    from mintpy.utils import utils as ut

    root = _small_stack(tmp_path / "geo")
    ctx = _ctx(root)
    load_data.run(ctx)
    atr = readfile.read_attribute(str(ctx.slc_stack_file))
    assert atr["EPSG"] == "32615" and atr["UTM_ZONE"] == "15N" and atr["X_UNIT"] == "meters"
    assert float(atr["X_FIRST"]) == 270650.0 and float(atr["Y_STEP"]) == -15.0
    assert float(atr["AZIMUTH_PIXEL_SIZE"]) == 15.0
    geom, gatr = readfile.read(str(ctx.geometry_file), datasetName="latitude")
    assert "Y_FIRST" in gatr
    # centre of pixel (0, 0) through pyproj agrees with MintPy's UTM conversion
    lat0, lon0 = ut.utm2latlon(gatr, 270650.0 + 2.5, 3293805.0 - 7.5)
    assert geom[0, 0] == pytest.approx(lat0, abs=1e-5)  # float32
    with h5py.File(ctx.geometry_file, "r") as f:
        assert f["longitude"][0, 0] == pytest.approx(lon0, abs=1e-5)
        slant = f["slantRangeDistance"][()]
    assert np.all(np.isfinite(slant)) and 7e5 < slant.mean() < 1e6
    # MintPy's view.py draws it in map coordinates
    from mintpy.cli import view

    png = tmp_path / "height.png"
    view.main([str(ctx.geometry_file), "height", "--nodisplay", "--noverbose", "-o", str(png)])
    assert png.stat().st_size > 1000


def test_geographic_stack(tmp_path):
    """EPSG:4326: degree attributes, lat/lon are the grid, subset.lalo picks the pixels."""
    gt = (-95.4, 0.0002, 0.0, 29.8, 0.0, -0.0001)
    root = tmp_path / "deg"
    for k, date in enumerate(builders.dates_list(3)):
        write_geotiff(root / "slc" / f"{date}.tif", _slc(k), 4326, gt, {"WAVELENGTH": 0.2384})
    for name, value in (("height", 10.0), ("incidenceAngle", 37.0)):
        write_geotiff(root / "geometry" / f"{name}.tif", np.full((L, W), value, np.float32),
                      4326, gt)
    # rows 2..9 (centres 29.79975 .. 29.79905), columns 3..12 (-95.3993 .. -95.3975)
    ctx = _ctx(root, {"minopy.subset.lalo": "29.79900:29.79980,-95.39940:-95.39740",
                      "minopy.inversion.azimuthWindow": "3", "minopy.inversion.rangeWindow": "3"})
    load_data.run(ctx)
    stack = SlcStack(ctx.slc_stack_file)
    assert stack.attrs["X_UNIT"] == "degrees" and stack.attrs["EPSG"] == "4326"
    assert "UTM_ZONE" not in stack.attrs
    assert stack.shape[1:] == (8, 10)
    assert float(stack.attrs["Y_FIRST"]) == pytest.approx(29.8 - 2 * 0.0001)
    with h5py.File(ctx.geometry_file, "r") as f:
        lat, lon = f["latitude"][()], f["longitude"][()]
    assert lat[0, 0] == pytest.approx(29.8 - 2.5 * 0.0001, abs=1e-6)
    assert lon[0, 0] == pytest.approx(-95.4 + 3.5 * 0.0002, abs=1e-5)


def test_geocoded_subset_lalo_through_the_geotransform(tmp_path):
    """The box holds exactly the pixels whose centres fall in S:N,W:E (UTM: curved edges)."""
    from pyproj import Transformer

    root = _small_stack(tmp_path / "geo")
    to_ll = Transformer.from_crs(EPSG, 4326, always_xy=True)
    lon_w, lat_n = to_ll.transform(270650.0 + 5.0 * 5.6, 3293805.0 - 15.0 * 3.6)
    lon_e, lat_s = to_ll.transform(270650.0 + 5.0 * 15.9, 3293805.0 - 15.0 * 11.9)
    rows, cols = np.mgrid[0:L, 0:W]
    lon, lat = to_ll.transform(270650.0 + 5.0 * (cols + 0.5), 3293805.0 - 15.0 * (rows + 0.5))
    inside = (lat >= lat_s) & (lat <= lat_n) & (lon >= lon_w) & (lon <= lon_e)
    r = np.flatnonzero(inside.any(axis=1))
    c = np.flatnonzero(inside.any(axis=0))
    assert 3 <= r[0] <= 5 and 10 <= r[-1] <= 12 and 5 <= c[0] <= 7 and 14 <= c[-1] <= 16
    ctx = _ctx(root, {"minopy.subset.lalo": f"{lat_s}:{lat_n},{lon_w}:{lon_e}",
                      "minopy.inversion.azimuthWindow": "3", "minopy.inversion.rangeWindow": "3"})
    load_data.run(ctx)
    stack = SlcStack(ctx.slc_stack_file)
    assert stack.shape[1:] == (r[-1] + 1 - r[0], c[-1] + 1 - c[0])
    assert float(stack.attrs["X_FIRST"]) == 270650.0 + c[0] * 5.0
    assert float(stack.attrs["Y_FIRST"]) == 3293805.0 - r[0] * 15.0
    np.testing.assert_array_equal(stack.read(dates=[1])[0],
                                  _slc(1)[r[0]:r[-1] + 1, c[0]:c[-1] + 1])


def test_list_file_and_baseline_file(tmp_path):
    root = _small_stack(tmp_path / "radar", geocoded=False)
    files = sorted((root / "slc").glob("*.tif"))
    (root / "slcs.txt").write_text("# my stack\n" + "\n".join(f"slc/{f.name}" for f in files))
    dates = builders.dates_list(3)
    (root / "bperp.txt").write_text("".join(f"{d} {10.0 * i + 5}\n" for i, d in
                                            enumerate(dates)))
    ctx = _ctx(root, {"minopy.load.slcFile": "slcs.txt", "minopy.load.baselineFile": "bperp.txt"})
    load_data.run(ctx)
    stack = SlcStack(ctx.slc_stack_file)
    assert stack.dates == dates and stack.bperp.tolist() == [0.0, 10.0, 20.0]
    assert stack.attrs["MINOPY_PROCESSOR"] == "gdal" and "LAT_REF1" in stack.attrs


def test_wavelength_required_without_metadata(tmp_path):
    root = _small_stack(tmp_path / "s", tags={})
    _error(_ctx(root), r"lacks WAVELENGTH.*minopy.load.wavelength")
    ctx = _ctx(root, {"minopy.load.wavelength": "0.2384"})
    load_data.run(ctx)
    assert SlcStack(ctx.slc_stack_file).attrs["WAVELENGTH"] == "0.2384"


def test_date_in_two_files(tmp_path):
    root = _small_stack(tmp_path / "s")
    date = builders.dates_list(1)[0]
    write_geotiff(root / "slc" / f"S1_{date}_copy.tif", _slc(9), EPSG, TRANSFORM)
    _error(_ctx(root), rf"date {date} is in two files, .*S1_{date}T002530_x.tif and "
                       rf".*S1_{date}_copy.tif")


def test_mixed_grids_name_the_first_that_differs(tmp_path):
    root = _small_stack(tmp_path / "size")
    bad = sorted((root / "slc").glob("*.tif"))[1]
    write_geotiff(bad, _slc(3)[:, :-1], EPSG, TRANSFORM)
    _error(_ctx(root), rf"SLC {bad} is 20 x 23 .* must share one grid")

    root = _small_stack(tmp_path / "shift")
    bad = sorted((root / "slc").glob("*.tif"))[2]
    write_geotiff(bad, _slc(3), EPSG, (TRANSFORM[0] + 5.0, *TRANSFORM[1:]))
    _error(_ctx(root), rf"SLC {bad} is on another grid")

    root = _small_stack(tmp_path / "crs")
    bad = sorted((root / "slc").glob("*.tif"))[1]
    write_geotiff(bad, _slc(3), 32616, TRANSFORM)
    _error(_ctx(root), rf"SLC {bad} is on another grid \(EPSG:32616")

    root = _small_stack(tmp_path / "nocrs")
    bad = sorted((root / "slc").glob("*.tif"))[1]
    write_geotiff(bad, _slc(3))
    _error(_ctx(root), r"all geocoded or all in radar coordinates")

    root = _small_stack(tmp_path / "geom")
    write_geotiff(root / "geometry" / "height.tif", np.zeros((L, W), np.float32), 32614,
                  TRANSFORM)
    _error(_ctx(root), r"geometry height file .*height.tif is on another grid")


def test_not_complex(tmp_path):
    root = _small_stack(tmp_path / "s")
    bad = sorted((root / "slc").glob("*.tif"))[0]
    write_geotiff(bad, np.abs(_slc(0)), EPSG, TRANSFORM)
    _error(_ctx(root), rf"SLC {bad} holds float32 data; expected complex")


def test_missing_and_unreadable_band(tmp_path):
    root = _small_stack(tmp_path / "s")
    ctx = _ctx(root, {"minopy.load.azAngleFile": "geometry/incidenceAngle.tif"})
    _error(ctx, r"geometry azimuthAngle file .*incidenceAngle.tif has 1 band\(s\); band 2 does "
                r"not exist")
    bad = sorted((root / "slc").glob("*.tif"))[1]
    data = bad.read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    _error(_ctx(root), rf"{bad}")


def test_crs_without_geotransform(tmp_path):
    root = _small_stack(tmp_path / "s")
    bad = sorted((root / "slc").glob("*.tif"))[0]
    with rasterio.open(bad, "r+") as ds:
        ds.crs = "EPSG:4326"
        ds.transform = rasterio.transform.Affine.identity()
    _error(_ctx(root), rf"{bad} has a coordinate reference system .* but no geotransform")


def test_no_slc_pattern(tmp_path):
    root = _small_stack(tmp_path / "s")
    ctx = builders.make_context(root, {"minopy.load.processor": "gdal",
                                       "minopy.load.autoPath": "no"})
    _error(ctx, r"minopy.load.slcFile", ConfigError)


def test_quality_rasters_carry_the_georeferencing(tmp_path):
    """ISCE-format rasters of a geocoded stack: the VRT holds CRS + geotransform (GDAL), the ISCE
    XML the pixel-centre coordinates (MintPy reads them for degree grids)."""
    from mintpy.utils import readfile

    from minopy.io.geogrid import georef_from_attrs
    from minopy.io.isce import read_georef, read_raster, write_raster

    utm = georef_from_attrs({"X_FIRST": "270650.0", "Y_FIRST": "3293805.0", "X_STEP": "5.0",
                             "Y_STEP": "-15.0", "EPSG": "32615"})
    write_raster(tmp_path / "tempCoh_full", np.ones((4, 6), np.float32), georef=utm)
    with rasterio.open(tmp_path / "tempCoh_full.vrt") as ds:
        assert ds.crs.to_epsg() == 32615
        assert ds.transform.to_gdal() == (270650.0, 5.0, 0.0, 3293805.0, 0.0, -15.0)
    deg = georef_from_attrs({"X_FIRST": "-95.4", "Y_FIRST": "29.8", "X_STEP": "0.0002",
                             "Y_STEP": "-0.0001", "EPSG": "4326"})
    write_raster(tmp_path / "shp_count", np.ones((4, 6), np.int16), georef=deg)
    atr = readfile.read_attribute(str(tmp_path / "shp_count"))
    assert float(atr["X_FIRST"]) == pytest.approx(-95.4) and float(atr["Y_STEP"]) == -0.0001
    assert read_raster(tmp_path / "shp_count").shape == (4, 6)
    assert georef_from_attrs({"LENGTH": "4"}) is None
    # read back (the pair rasters of unwrapping take fine.int's)
    assert read_georef(tmp_path / "tempCoh_full") == utm
    write_raster(tmp_path / "plain", np.ones((4, 6), np.float32))
    assert read_georef(tmp_path / "plain") is None


def test_autopath_without_any_layout(tmp_path):
    (tmp_path / "empty").mkdir()
    ctx = builders.make_context(tmp_path / "empty")
    _error(ctx, r"autoPath: no stack layout under .*merged/SLC/ \(ISCE\), cslc/\*.h5 \(OPERA\)")


@pytest.mark.parametrize("kind", ["isce_vrt", "isce_xml", "envi"])
def test_vrt_isce_and_envi_rasters(tmp_path, kind):
    """GDAL reads ISCE rasters through their .vrt or .xml (GDAL's ISCE driver) and ENVI .hdr
    rasters; dates come from the file names."""
    from minopy.io.isce import write_raster

    root = _small_stack(tmp_path / kind, geocoded=False, n=2)
    for old in (root / "slc").glob("*.tif"):
        old.unlink()
    dates = builders.dates_list(2)
    for k, date in enumerate(dates):
        raw = root / "slc" / f"{date}.slc"
        if kind == "envi":
            _slc(k).tofile(raw)
            raw.with_suffix(".hdr").write_text(
                f"ENVI\nsamples = {W}\nlines = {L}\nbands = 1\nheader offset = 0\n"
                "data type = 6\ninterleave = bsq\nbyte order = 0\n")
        else:
            write_raster(raw, _slc(k), image_type="slc")
    # "slc/*" finds an ISCE raster, its .xml and its .vrt: read once, through the .vrt
    pattern = {"isce_vrt": "slc/*", "isce_xml": "slc/*.slc", "envi": "slc/*.slc"}[kind]
    ctx = _ctx(root, {"minopy.load.slcFile": pattern, "minopy.load.wavelength": "0.0555"})
    load_data.run(ctx)
    stack = SlcStack(ctx.slc_stack_file)
    assert stack.dates == dates
    np.testing.assert_array_equal(stack.read(dates=[1])[0], _slc(1))
