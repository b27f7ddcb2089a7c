"""ISCE-format raster round trips (raw binary + .xml + .vrt), without ISCE."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio

from minopy.errors import InputDataError
from minopy.io.isce import (
    create_raster,
    is_complete,
    open_raster,
    read_info,
    read_raster,
    write_raster,
)


def _random(dtype: str, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    data = rng.normal(size=shape) * 100
    if np.dtype(dtype).kind == "c":
        data = data + 1j * rng.normal(size=shape)
    return data.astype(dtype)


@pytest.mark.parametrize("scheme", ["BIP", "BIL", "BSQ"])
@pytest.mark.parametrize("dtype", ["complex64", "float32", "float64", "int16", "uint8"])
def test_round_trip_and_gdal_reads_both_sidecars(tmp_path: Path, scheme: str, dtype: str) -> None:
    data = _random(dtype, (3, 7, 11))
    path = tmp_path / f"img_{scheme}_{dtype}.bin"
    info = write_raster(path, data, scheme=scheme, image_type="test")
    assert (info.width, info.length, info.bands, info.scheme) == (11, 7, 3, scheme)
    np.testing.assert_array_equal(read_raster(path, band=None), data)
    np.testing.assert_array_equal(read_raster(path, band=2), data[1])
    np.testing.assert_array_equal(read_raster(path, band=3, box=(2, 1, 9, 5)), data[2, 1:5, 2:9])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # not georeferenced
        for opened in (str(path), str(path) + ".vrt"):
            with rasterio.open(opened) as ds:
                np.testing.assert_array_equal(ds.read(), data)
    assert is_complete(path)


def test_sidecar_from_vrt_only_and_big_endian(tmp_path: Path) -> None:
    data = _random("float32", (1, 4, 5))
    path = tmp_path / "a.bin"
    write_raster(path, data)
    (tmp_path / "a.bin.xml").unlink()  # the .vrt alone describes the file
    np.testing.assert_array_equal(read_raster(path), data[0])
    # an ISCE big-endian file
    big = tmp_path / "big.bin"
    write_raster(big, data)
    data[0].astype(">f4").tofile(big)
    xml = big.with_name("big.bin.xml")
    xml.write_text(xml.read_text().replace("<value>l</value>", "<value>b</value>"))
    assert read_info(big).byte_order == "b"
    out = read_raster(big)
    np.testing.assert_array_equal(out, data[0])
    assert out.dtype.isnative


def test_bad_files_are_named(tmp_path: Path) -> None:
    path = tmp_path / "x.slc"
    write_raster(path, _random("complex64", (1, 4, 4)))
    with open(path, "ab") as fh:
        fh.write(b"\0" * 8)
    with pytest.raises(InputDataError, match=r"x\.slc has 136 bytes"):
        open_raster(path)
    assert not is_complete(path)
    with pytest.raises(InputDataError, match="no ISCE sidecar"):
        read_info(tmp_path / "missing.slc")
    xml = tmp_path / "bad.slc.xml"
    xml.write_text("<imageFile><property name='WIDTH'><value>3</value></property></imageFile>")
    with pytest.raises(InputDataError, match="lacks LENGTH, DATA_TYPE"):
        read_info(tmp_path / "bad.slc")
    xml.write_text("<imageFile><oops")
    with pytest.raises(InputDataError, match="cannot parse"):
        read_info(tmp_path / "bad.slc")


def test_create_raster_is_atomic(tmp_path: Path) -> None:
    path = tmp_path / "blocks.cor"
    with create_raster(path, width=6, length=5, bands=1, dtype=np.float32) as out:
        for row in range(5):  # block-wise writing
            out[0, row] = row
    np.testing.assert_array_equal(read_raster(path)[:, 0], np.arange(5))
    with pytest.raises(RuntimeError), create_raster(path, 6, 5) as out:
        out[0, 0] = 99
        raise RuntimeError("killed")
    # no temp file is left, and the old data lost their sidecars: nothing looks complete
    assert not is_complete(path)
    assert list(tmp_path.iterdir()) == [path]
