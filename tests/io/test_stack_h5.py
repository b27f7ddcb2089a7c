"""Tests of the slcStack/geometry HDF5 writers and the SlcStack reader."""

from __future__ import annotations

import pickle

import builders
import h5py
import numpy as np
import pytest

from minopy.io.autopath import RasterSource
from minopy.io.isce import write_raster
from minopy.io.stack_h5 import SlcStack, slc_chunks, write_geometry, write_slc_stack


def _slc_files(tmp_path, n=6, length=33, width=21):
    data = builders.synthetic_slcs(n, length, width, seed=3)
    files = []
    for i, z in enumerate(data):
        f = tmp_path / f"d{i}.slc"
        write_raster(f, z)
        files.append(f)
    return data, files


def test_chunks_follow_patches():
    assert slc_chunks(10, 1000, 2000, 200) == (10, 200, 200)
    ct, cy, cx = slc_chunks(500, 1000, 2000, 200)
    assert (cy, cx) == (200, 200) and ct * cy * cx * 8 <= 8 * 1024**2 and ct > 1
    assert slc_chunks(3, 50, 40, 200) == (3, 50, 40)


@pytest.mark.parametrize("compression", ["no", "lzf", "gzip"])
def test_write_read_small_blocks(tmp_path, compression):
    data, files = _slc_files(tmp_path)
    box = (2, 3, 19, 30)
    dates = builders.dates_list(len(files))
    out = tmp_path / "out" / "slcStack.h5"
    # a tiny block budget forces many blocks: the result must not depend on the blocking
    write_slc_stack(out, files, dates, np.arange(6.0), {"WAVELENGTH": 0.05, "LENGTH": 27},
                    box, patch_size=16, compression=compression, block_bytes=1)
    assert not list(out.parent.glob(".*part*"))
    with h5py.File(out) as f:
        ds = f["slc"]
        assert ds.chunks == slc_chunks(6, 27, 17, 16)
        assert ds.compression == (None if compression == "no" else compression)
        assert ds.dtype == np.complex64
    stack = SlcStack(out)
    assert stack.shape == (6, 27, 17)
    assert stack.dates == dates
    np.testing.assert_array_equal(stack.bperp, np.arange(6.0, dtype=np.float32))
    assert stack.attrs["WAVELENGTH"] == "0.05"
    np.testing.assert_array_equal(stack.read(), data[:, 3:30, 2:19])
    np.testing.assert_array_equal(stack.read(box=(1, 2, 5, 9), dates=slice(1, 4)),
                                  data[1:4, 5:12, 3:7])
    np.testing.assert_array_equal(stack.read(box=(0, 0, 3, 3), dates=[0, 5]),
                                  data[[0, 5], 3:6, 2:5])
    clone = pickle.loads(pickle.dumps(stack))
    np.testing.assert_array_equal(clone.read(dates=[2]), data[[2], 3:30, 2:19])
    with pytest.raises(ValueError):
        stack.read(box=(0, 0, 18, 5))
    stack.close()


def test_failed_write_leaves_nothing(tmp_path):
    _, files = _slc_files(tmp_path, n=2)
    small = tmp_path / "small.slc"
    write_raster(small, builders.synthetic_slcs(1, 10, 21)[0])
    out = tmp_path / "slcStack.h5"
    with pytest.raises(ValueError):  # the third SLC is too small: fails in the middle of the write
        write_slc_stack(out, [*files, small], builders.dates_list(3), np.zeros(3), {},
                        (0, 0, 21, 33), 16)
    assert not out.exists() and not list(tmp_path.glob(".slcStack*"))


def test_geometry_masks_and_range(tmp_path, tops_project):
    geom = tops_project / "merged" / "geom_reference"
    sources = {"height": RasterSource(geom / "hgt.rdr.full"),
               "incidenceAngle": RasterSource(geom / "los.rdr.full", 1),
               "azimuthAngle": RasterSource(geom / "los.rdr.full", 2),
               "shadowMask": RasterSource(geom / "shadowMask.rdr.full"),
               "waterMask": RasterSource(geom / "waterMask.rdr.full")}
    out = tmp_path / "geometryRadar.h5"
    attrs = {"STARTING_RANGE": 1000.0, "RANGE_PIXEL_SIZE": 2.5, "DATE": "20200101"}
    write_geometry(out, sources, attrs, (0, 0, 30, 40), patch_size=16, block_rows=7)
    with h5py.File(out) as f:
        assert f.attrs["FILE_TYPE"] == "geometry" and "DATE" not in f.attrs
        assert f["shadowMask"].dtype == bool and f["shadowMask"][0, 0]
        assert f["shadowMask"][:].sum() == 1
        assert not f["waterMask"][-1, -1] and f["waterMask"][:].sum() == 40 * 30 - 1
        np.testing.assert_allclose(f["slantRangeDistance"][5], 1000.0 + 2.5 * np.arange(30))
        np.testing.assert_array_equal(f["azimuthAngle"][:], -100.0)
        assert f["height"].compression == "lzf"
