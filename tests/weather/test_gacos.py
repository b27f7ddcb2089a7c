"""GACOS products: .ztd + .rsc and GeoTIFF reading, pixel centres, LOS delay, inventory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from minopy.errors import InputDataError
from minopy.simulate.weather_files import gacos_grid, write_gacos_ztd
from minopy.weather import gacos
from minopy.weather.stack_info import StackWeatherInfo

BBOX = (29.70, 29.80, -95.45, -95.30)
STEP = 0.001


def _plane(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """A zenith delay linear in latitude and longitude (bilinear interpolation is exact)."""
    return 2.4 + 0.5 * (lat - 29.75) - 0.3 * (lon + 95.37)


@pytest.fixture
def product(tmp_path: Path) -> Path:
    lats, lons, rsc = gacos_grid(BBOX, STEP, margin=2 * STEP)
    glat, glon = np.meshgrid(lats, lons, indexing="ij")
    return write_gacos_ztd(tmp_path / "20200105.ztd", _plane(glat, glon), rsc)


def _pixels() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    lat = rng.uniform(BBOX[0], BBOX[1], (30, 40))
    lon = rng.uniform(BBOX[2], BBOX[3], (30, 40))
    inc = rng.uniform(30.0, 45.0, (30, 40))
    return lat, lon, inc


def test_ztd_rsc_pixel_centres_and_los_delay(product: Path) -> None:
    p = gacos.read_product(product)
    rsc = gacos.read_rsc(product.with_name(product.name + ".rsc"))
    # the first pixel is centred half a step inside the X_FIRST/Y_FIRST corner
    assert p.lats[0] == pytest.approx(float(rsc["Y_FIRST"]) - STEP / 2)
    assert p.lons[0] == pytest.approx(float(rsc["X_FIRST"]) + STEP / 2)
    lat, lon, inc = _pixels()
    got = gacos.los_delay(product, inc, lat, lon)
    want = -_plane(lat, lon) / np.cos(np.deg2rad(inc))  # MintPy's sign: minus the delay
    np.testing.assert_allclose(got, want, atol=2e-6)


def test_geotiff_reads_like_the_ztd(product: Path, tmp_path: Path) -> None:
    import tifffile

    p = gacos.read_product(product)
    rsc = gacos.read_rsc(product.with_name(product.name + ".rsc"))
    x0, y0 = float(rsc["X_FIRST"]), float(rsc["Y_FIRST"])
    tif = tmp_path / "20200105.ztd.tif"
    geokeys = (1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326)
    tifffile.imwrite(tif, p.data.astype(np.float32), extratags=[
        (33550, 12, 3, (STEP, STEP, 0.0), False),
        (33922, 12, 6, (0.0, 0.0, 0.0, x0, y0, 0.0), False),
        (34735, 3, len(geokeys), geokeys, False)])
    q = gacos.read_product(tif)
    np.testing.assert_allclose(q.lats, p.lats)
    np.testing.assert_allclose(q.lons, p.lons)
    np.testing.assert_array_equal(q.data, p.data)
    lat, lon, inc = _pixels()
    np.testing.assert_allclose(gacos.los_delay(tif, inc, lat, lon),
                               gacos.los_delay(product, inc, lat, lon), atol=1e-7)


def test_bad_products_are_named(product: Path, tmp_path: Path) -> None:
    rsc = product.with_name(product.name + ".rsc")
    text = rsc.read_text()
    rsc.write_text(text.replace("WIDTH", "WIDE", 1))
    with pytest.raises(InputDataError, match=r"20200105\.ztd\.rsc lacks WIDTH"):
        gacos.read_product(product)
    rsc.write_text(text)
    product.write_bytes(product.read_bytes()[:-8])
    with pytest.raises(InputDataError, match=r"20200105\.ztd has \d+ bytes"):
        gacos.read_product(product)
    tif = tmp_path / "20200117.ztd.tif"
    import tifffile

    tifffile.imwrite(tif, np.zeros((4, 4), np.float32))
    with pytest.raises(InputDataError, match="not georeferenced"):
        gacos.read_product(tif)


def test_inventory_and_coverage(product: Path, tmp_path: Path) -> None:
    dates = ("20200105", "20200117", "20200129")
    info = StackWeatherInfo(dates, 1530.0, (29.74, 29.76, -95.38, -95.36))
    (tmp_path / "20200117.ztd").write_bytes(b"")  # no .rsc
    inv = gacos.inventory(info, tmp_path)
    assert list(inv.files) == ["20200105"]
    assert [p.name for p in inv.missing] == ["20200129.ztd"]
    assert inv.problems == [f"{tmp_path / '20200117.ztd'} has no header 20200117.ztd.rsc"]
    assert not inv.complete
    far = StackWeatherInfo(("20200105",), 1530.0, (30.5, 30.6, -95.38, -95.36))
    with pytest.raises(InputDataError, match="not the stack's pixels"):
        gacos.check_files(gacos.inventory(far, tmp_path))
