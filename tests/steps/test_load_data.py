"""End-to-end tests of the load_data step (tops and stripmap layouts, subsets, bad input)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import builders
import h5py
import numpy as np
import pytest

from minopy.errors import ConfigError, InputDataError
from minopy.io.isce import read_raster, write_raster
from minopy.io.stack_h5 import SlcStack, slc_chunks
from minopy.steps import load_data
from minopy.steps.outputs import first_problem


def tree_state(root: Path) -> dict[str, tuple[str, int]]:
    """sha256 and mtime of every file under root."""
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(),
                                       p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def input_trees(project: Path) -> dict[str, tuple[str, int]]:
    state = {}
    for sub in ("merged", "reference", "baselines"):
        if (project / sub).exists():
            state.update({f"{sub}/{k}": v for k, v in tree_state(project / sub).items()})
    return state


def source_slcs(project: Path, suffix: str) -> np.ndarray:
    files = sorted((project / "merged" / "SLC").glob(f"*/*.slc{suffix}"))
    return np.stack([read_raster(f) for f in files])


def test_tops_full_load_and_mintpy_reads(tops_project):
    from mintpy.cli import info
    from mintpy.utils import readfile

    before = input_trees(tops_project)
    ctx = builders.make_context(tops_project)
    assert [Path(p) for p in load_data.outputs(ctx)] == [ctx.slc_stack_file, ctx.geometry_file]
    assert first_problem(load_data.outputs(ctx)) == (ctx.slc_stack_file, "missing")
    assert len(load_data.inputs(ctx)) == 16
    load_data.run(ctx)
    assert first_problem(load_data.outputs(ctx)) is None
    assert input_trees(tops_project) == before  # input tree untouched
    stack = SlcStack(ctx.slc_stack_file)
    np.testing.assert_array_equal(stack.read(), source_slcs(tops_project, ".full"))
    assert stack.dates == builders.dates_list(5)
    values = builders.bperp_values(stack.dates)
    np.testing.assert_allclose(stack.bperp, [values[d] for d in stack.dates], atol=1e-4)
    a = stack.attrs
    assert a["FILE_TYPE"] == "timeseries" and a["PROCESSOR"] == "isce"
    assert a["PROJECT_NAME"] == "HoustonSenDT143"
    assert (a["LENGTH"], a["WIDTH"]) == ("40", "30")
    assert a["beam_mode"] == "IW" and a["sensor_type"] == "tops" and a["PLATFORM"] == "Sen"
    for key in ("WAVELENGTH", "RANGE_PIXEL_SIZE", "AZIMUTH_PIXEL_SIZE", "STARTING_RANGE",
                "EARTH_RADIUS", "HEIGHT", "HEADING", "PRF", "CENTER_LINE_UTC", "LAT_REF4",
                "LON_REF1", "SUBSET_XMAX", "ORBIT_DIRECTION", "ANTENNA_SIDE"):
        assert key in a, key
    with h5py.File(ctx.slc_stack_file) as f:
        assert f["slc"].chunks == slc_chunks(5, 40, 30, 16)
        assert f["date"].dtype == np.dtype("S8")
    # MintPy opens both files
    info.main([str(ctx.slc_stack_file)])
    info.main([str(ctx.geometry_file)])
    hgt, atr = readfile.read(str(ctx.geometry_file), datasetName="height")
    assert hgt.shape == (40, 30) and atr["FILE_TYPE"] == "geometry"
    inc = readfile.read(str(ctx.geometry_file), datasetName="incidenceAngle")[0]
    los = read_raster(tops_project / "merged/geom_reference/los.rdr.full", band=1)
    np.testing.assert_array_equal(inc, los)
    slc = readfile.read(str(ctx.slc_stack_file))[0]
    assert slc.shape == (5, 40, 30)


def test_tops_three_swaths_as_isce2_writes_them(tmp_path):
    """reference/IW1-3.xml, three bursts each, statevector<k> orbits: the near swath's starting
    range, all swaths in beam_swath, every required attribute."""
    project = builders.make_tops_stack(tmp_path / "tops3", n_dates=3, swaths=(1, 2, 3),
                                       n_bursts=3)
    ctx = builders.make_context(project)
    load_data.run(ctx)
    a = SlcStack(ctx.slc_stack_file).attrs
    assert a["beam_swath"] == "123" and a["sensor_type"] == "tops"
    assert float(a["STARTING_RANGE"]) == builders.STARTING_RANGE
    assert 690e3 < float(a["HEIGHT"]) < 705e3
    assert a["startUTC"].startswith("2020-01-01 00:24:10")


def test_stripmap_frame_product_xml(tmp_path):
    """A stripmap stack whose metadata is the reference Frame XML as ISCE2 writes it."""
    project = builders.make_stripmap_stack(tmp_path / "sm", metadata="frame_xml")
    ctx = builders.make_context(project, {"minopy.load.metaFile": "20100105_slc.xml"})
    load_data.run(ctx)
    a = SlcStack(ctx.slc_stack_file).attrs
    assert a["beam_mode"] == "SM" and a["sensor_type"] == "stripmap"
    assert float(a["WAVELENGTH"]) == 0.2360571 and a["PLATFORM"] == "ALOS"
    assert a["ORBIT_DIRECTION"] == "ASCENDING"
    assert 690e3 < float(a["HEIGHT"]) < 705e3
    assert float(a["AZIMUTH_PIXEL_SIZE"]) == pytest.approx(
        float(a["satelliteSpeed"]) / 2155.172, rel=1e-9)


def test_stripmap_yx_subset(stripmap_project):
    ctx = builders.make_context(stripmap_project, {"minopy.subset.yx": "5:30,4:20",
                                                   "minopy.load.compression": "gzip"})
    load_data.run(ctx)
    stack = SlcStack(ctx.slc_stack_file)
    np.testing.assert_array_equal(stack.read(), source_slcs(stripmap_project, "")[:, 5:30, 4:20])
    a = stack.attrs
    assert a["beam_mode"] == "SM" and a["sensor_type"] == "stripmap"
    assert (a["SUBSET_YMIN"], a["SUBSET_YMAX"], a["SUBSET_XMIN"], a["SUBSET_XMAX"]) == (
        "5", "30", "4", "20")
    assert float(a["STARTING_RANGE"]) == pytest.approx(850000.0 + 4 * 9.368514)
    assert float(a["AZIMUTH_PIXEL_SIZE"]) == 3.1  # full resolution: never scaled by looks
    with h5py.File(ctx.slc_stack_file) as f:
        assert f["slc"].compression == "gzip"
    with h5py.File(ctx.geometry_file) as g:
        assert g["height"].shape == (25, 16)
        np.testing.assert_allclose(g["slantRangeDistance"][0],
                                   850000.0 + (4 + np.arange(16)) * 9.368514, rtol=1e-7)
        lat = read_raster(stripmap_project / "merged/geom_reference/lat.rdr")
        np.testing.assert_array_equal(g["latitude"][:], lat[5:30, 4:20].astype(np.float32))


def test_lalo_subset_and_dates(tops_project):
    ctx = builders.make_context(tops_project, {"minopy.subset.lalo": "29.87:29.895,-95.63:-95.61",
                                               "minopy.load.startDate": "20200113",
                                               "minopy.load.endDate": "20200206",
                                               "minopy.load.compression": "lzf"})
    load_data.run(ctx)
    lat = read_raster(tops_project / "merged/geom_reference/lat.rdr.full")
    lon = read_raster(tops_project / "merged/geom_reference/lon.rdr.full")
    rows, cols = np.nonzero((lat >= 29.87) & (lat <= 29.895) & (lon >= -95.63) & (lon <= -95.61))
    y0, y1, x0, x1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    stack = SlcStack(ctx.slc_stack_file)
    assert stack.dates == ["20200113", "20200125", "20200206"]
    assert stack.bperp[0] == 0
    np.testing.assert_array_equal(stack.read(), source_slcs(tops_project, ".full")[1:4, y0:y1,
                                                                                    x0:x1])
    assert stack.attrs["SUBSET_YMIN"] == str(y0) and stack.attrs["SUBSET_XMAX"] == str(x1)
    assert float(stack.attrs["LAT_REF1"]) == pytest.approx(lat[y0, x0])


def _expect_error(project, match, overrides=None):
    ctx = builders.make_context(project, overrides)
    with pytest.raises(InputDataError, match=match):
        load_data.run(ctx)
    assert not ctx.slc_stack_file.exists() and not ctx.geometry_file.exists()


def test_slcs_of_different_sizes(tops_project):
    f = tops_project / "merged/SLC/20200125/20200125.slc.full"
    write_raster(f, builders.synthetic_slcs(1, 39, 30)[0])
    _expect_error(tops_project, r"differ in size.*39 x 30: 20200125")


def test_non_complex_slc(tops_project):
    f = tops_project / "merged/SLC/20200113/20200113.slc.full"
    write_raster(f, np.zeros((40, 30), np.float32))
    _expect_error(tops_project, r"20200113.slc.full holds FLOAT.*complex")


def test_sidecar_size_mismatch(tops_project):
    f = tops_project / "merged/SLC/20200113/20200113.slc.full"
    with open(f, "ab") as fh:
        fh.write(b"\0" * 8)
    _expect_error(tops_project, r"20200113.slc.full has 9608 bytes")


def test_missing_sidecar(tops_project):
    for side in (".xml", ".vrt"):
        Path(f"{tops_project}/merged/SLC/20200113/20200113.slc.full{side}").unlink()
    _expect_error(tops_project, r"no ISCE sidecar.*20200113.slc.full")


def test_geometry_size_mismatch(tops_project):
    write_raster(tops_project / "merged/geom_reference/hgt.rdr.full", np.zeros((40, 31)))
    _expect_error(tops_project, r"height file .*hgt.rdr.full is 40 x 31 but the SLCs are 40 x 30")


def test_subset_outside_and_too_small(tops_project):
    _expect_error(tops_project, r"outside the image", {"minopy.subset.yx": "0:50,0:10"})
    _expect_error(tops_project, r"outside the image", {"minopy.subset.lalo": "1:2,3:4"})
    _expect_error(tops_project, r"smaller than the phase-linking window",
                  {"minopy.subset.yx": "0:4,0:10"})


def test_missing_metadata_names_keys(tops_project):
    (tops_project / "reference" / "IW1.xml").write_text(
        builders.tops_xml_text(builders.datetime(2020, 1, 1), with_orbit=False))
    _expect_error(tops_project,
                  r"lacks AZIMUTH_PIXEL_SIZE, EARTH_RADIUS, HEIGHT.*minopy.load.earthRadius")
    ctx = builders.make_context(tops_project, {"minopy.load.earthRadius": "6371000",
                                               "minopy.load.satelliteHeight": "693000",
                                               "minopy.load.azimuthPixelSize": "14.1"})
    load_data.run(ctx)  # heading comes from los band 2 when the orbit is missing
    a = SlcStack(ctx.slc_stack_file).attrs
    assert float(a["HEADING"]) == pytest.approx(-170.0)
    assert a["HEIGHT"] == "693000.0" and a["ORBIT_DIRECTION"] == "DESCENDING"


def test_missing_baselines(tops_project):
    shutil.rmtree(tops_project / "baselines" / "20200101_20200206")
    _expect_error(tops_project, r"no perpendicular baseline for date\(s\) 20200206")


def _mintpy_views(ctx, out_dir: Path) -> None:
    """MintPy's info.py and view.py open both outputs (view.py shows SLC amplitudes)."""
    from mintpy.cli import info, view

    dates = SlcStack(ctx.slc_stack_file).dates
    info.main([str(ctx.slc_stack_file)])
    info.main([str(ctx.geometry_file)])
    for name, args in (("slc", [str(ctx.slc_stack_file), f"slc-{dates[0]}", f"slc-{dates[-1]}"]),
                       ("hgt", [str(ctx.geometry_file), "height"])):
        png = out_dir / f"view_{name}.png"
        view.main([*args, "--nodisplay", "--noverbose", "-o", str(png)])
        assert png.stat().st_size > 1000


def test_loads_simulator_output(tmp_path):
    from minopy import simulate
    for layout in ("tops", "stripmap"):
        project = simulate.write_stack(tmp_path / layout, preset="tiny", layout=layout, seed=0)
        ctx = builders.make_context(project)
        load_data.run(ctx)
        stack = SlcStack(ctx.slc_stack_file)
        suffix = ".full" if layout == "tops" else ""
        np.testing.assert_array_equal(stack.read(), source_slcs(project, suffix))
        assert stack.attrs["sensor_type"] == layout
        _mintpy_views(ctx, tmp_path / layout)


def _houston_check(tmp_path, dates):
    project = builders.make_houston_stack(tmp_path / "houston", dates)
    ctx = builders.make_context(project)
    load_data.run(ctx)
    stack = SlcStack(ctx.slc_stack_file)
    assert stack.dates == sorted(dates)
    for i, d in enumerate(stack.dates):
        z = stack.read(dates=[i])[0]
        src = read_raster(project / "merged/SLC" / d / f"{d}.slc.full")
        np.testing.assert_array_equal(np.angle(z), np.angle(src))  # bitwise copy
        # equal to the real interferogram phase to float32 precision
        np.testing.assert_allclose(np.angle(z), builders.houston_phase(d), atol=2e-6, rtol=0)
    _mintpy_views(ctx, tmp_path)


@pytest.mark.skipif(not builders.HOUSTON_CROP.exists(), reason="Houston data not available")
def test_houston_exact_phase(tmp_path):
    dates = builders.houston_dates()
    pick = sorted(set(dates[20:32]) | {builders.HOUSTON_REF})
    _houston_check(tmp_path, pick)


@pytest.mark.slow
@pytest.mark.skipif(not builders.HOUSTON_CROP.exists(), reason="Houston data not available")
def test_houston_exact_phase_all_dates(tmp_path):
    _houston_check(tmp_path, builders.houston_dates())


def test_stripmap_shelve_needs_template_values(stripmap_project):
    shelve = next(stripmap_project.glob("merged/SLC/*/referenceShelve"))
    (shelve / "data.rsc").unlink()
    (shelve / "data.dat").write_bytes(b"\x00shelve")
    _expect_error(stripmap_project, r"data.dat is an ISCE binary shelve.*minopy.load.wavelength")
    values = {"minopy.load.wavelength": "0.236", "minopy.load.rangePixelSize": "9.37",
              "minopy.load.azimuthPixelSize": "3.1", "minopy.load.startingRange": "850000",
              "minopy.load.earthRadius": "6372000", "minopy.load.satelliteHeight": "691650",
              "minopy.load.heading": "-166", "minopy.load.centerLineUTC": "14706"}
    ctx = builders.make_context(stripmap_project, values)
    load_data.run(ctx)
    a = SlcStack(ctx.slc_stack_file).attrs
    assert a["WAVELENGTH"] == "0.236" and a["ORBIT_DIRECTION"] == "DESCENDING"
    assert a["beam_mode"] == "SM"


def test_per_pixel_baselines_are_refused_clearly(tops_project):
    ctx = builders.make_context(tops_project, {"minopy.load.bperpFile": "baselines/*/*.bperp"})
    with pytest.raises(ConfigError, match=r"minopy.load.bperpFile .* not supported"):
        load_data.run(ctx)
    assert not ctx.slc_stack_file.exists()
