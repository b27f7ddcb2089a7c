"""ERA5 through PyAPS offline: synthetic GRIB files written with ecCodes, names as MintPy's,
reading by field name, the delay against the atmosphere's own integral, inventories."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import h5py
import numpy as np
import pytest

from minopy.errors import InputDataError
from minopy.simulate.atmosphere import G0, K1, RD, date_atmospheres
from minopy.simulate.atmosphere import los_delay as truth_delay
from minopy.simulate.weather_files import write_era5_grib
from minopy.weather import era5
from minopy.weather.grib import ERA5_LEVELS_HPA, import_eccodes, read_era5_fields
from minopy.weather.stack_info import StackWeatherInfo, read_stack_info

SNWE = (20, 40, -100, -90)
DATES = ["20200105", "20200717"]
LAT0, LON0 = 29.75, -95.37


@pytest.fixture(scope="module")
def gribs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("wx") / "ERA5"
    out = {}
    for date, atm in zip(DATES, date_atmospheres(DATES, LAT0, LON0, seed=0), strict=True):
        out[date] = write_era5_grib(folder / era5.grib_name(date, "00", SNWE), atm, date, "00",
                                    SNWE)
    return out


def _scene() -> tuple[np.ndarray, ...]:
    yy, xx = np.mgrid[0:40, 0:50].astype(np.float64)
    lat = LAT0 - 0.01 + 0.02 * yy / 40
    lon = LON0 - 0.01 + 0.02 * xx / 50
    dem = 20.0 + 330.0 * np.sin(xx / 16.0) ** 2 + 2.0 * yy
    inc = 34.0 + 6.0 * xx / 50
    return dem, inc, lat, lon


def test_grib_has_the_fields_and_order_pyaps_reads(gribs: dict[str, Path]) -> None:
    import pygrib

    msgs = list(pygrib.open(str(gribs[DATES[0]])))
    assert len(msgs) == 111
    # PyAPS: message 3i, 3i+1, 3i+2 = z, t, q of the i-th level from 1 to 1000 hPa
    for i, level in enumerate(ERA5_LEVELS_HPA):
        assert [m.shortName for m in msgs[3 * i:3 * i + 3]] == ["z", "t", "q"]
        assert {m.level for m in msgs[3 * i:3 * i + 3]} == {level}
    lats, lons = msgs[0].latlons()
    assert lats[0, 0] == 40 and lats[-1, 0] == 20 and lons[0, 0] == -100 and lons[0, -1] == -90
    assert msgs[0].dataDate == 20200105 and msgs[0].hour == 0
    z1000 = msgs[-3].values
    assert 50 * 9.8 < z1000.mean() < 250 * 9.8  # the 1000 hPa level lies 50-250 m up


def test_reader_matches_pyaps_own_reader(gribs: dict[str, Path]) -> None:
    from pyaps3 import era, processor

    cdic = processor.initconst()
    args = ("ERA5", str(gribs[DATES[1]]), 28.5, 31.0, -96.6, -94.1, cdic)
    ours = era5._reader(*args)
    with contextlib.redirect_stdout(io.StringIO()):
        theirs = era.get_ecmwf(*args)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_delay_matches_the_atmosphere(gribs: dict[str, Path]) -> None:
    dem, inc, lat, lon = _scene()
    atms = date_atmospheres(DATES, LAT0, LON0, seed=0)
    got = [era5.los_delay(gribs[d], dem, inc, lat, lon) for d in DATES]
    want = [-truth_delay(a, dem, inc) for a in atms]  # MintPy's sign
    # absolute: within a few mm of ~2.5-3 m (PyAPS stops at its top level, g = 9.81)
    for g, w in zip(got, want, strict=True):
        assert np.abs(g - w).max() < 0.006
    # the differential delay (what reaches the time series), spatially referenced
    dg, dw = got[1] - got[0], want[1] - want[0]
    dg, dw = dg - dg.mean(), dw - dw.mean()
    assert np.sqrt(np.mean(dw**2)) > 0.004
    assert np.sqrt(np.mean((dg - dw) ** 2)) < 0.02 * np.sqrt(np.mean(dw**2))


def test_plain_pyaps_wet_delay_is_short(gribs: dict[str, Path]) -> None:
    """PyAPS 0.3.7 integrates the wet refractivity from one height step up: documents why
    minopy recomputes it (era5._wet_from_each_height)."""
    import pyaps3

    dem, inc, lat, lon = _scene()
    atm = date_atmospheres(DATES, LAT0, LON0, seed=0)[1]
    with era5._pyaps_reading_by_name(), contextlib.redirect_stdout(io.StringIO()):
        aps = pyaps3.PyAPS(str(gribs[DATES[1]]), grib="ERA5", Del="wet", dem=dem.copy(),
                           inc=inc, lat=lat.copy(), lon=lon.copy())
    plain = np.zeros(dem.shape, np.float32)
    aps.getdelay(plain)
    heights = dem.ravel()
    p, _, _ = atm.profile(heights)
    wet_true = (atm.zenith_delay(heights) - 1e-6 * K1 * RD * p / G0).reshape(dem.shape)
    wet_true /= np.cos(np.deg2rad(inc))
    ratio = float(np.median(plain / wet_true))
    assert 0.85 < ratio < 0.97


def test_reader_accepts_any_message_order(gribs: dict[str, Path], tmp_path: Path) -> None:
    ec = import_eccodes()
    shuffled = tmp_path / "ERA5_shuffled.grb"
    with open(gribs[DATES[0]], "rb") as src:
        messages = []
        while (h := ec.codes_grib_new_from_file(src)) is not None:
            messages.append(ec.codes_get_message(h))
            ec.codes_release(h)
    rng = np.random.default_rng(1)
    shuffled.write_bytes(b"".join(messages[i] for i in rng.permutation(len(messages))))
    _, a = read_era5_fields(gribs[DATES[0]])
    _, b = read_era5_fields(shuffled)
    for name in ("z", "t", "q"):
        np.testing.assert_array_equal(a[name], b[name])


def test_bad_grib_files_are_named(gribs: dict[str, Path], tmp_path: Path) -> None:
    data = gribs[DATES[0]].read_bytes()
    short = tmp_path / "short.grb"
    short.write_bytes(data[: len(data) // 3])
    with pytest.raises(InputDataError, match=r"short\.grb is not a readable GRIB file"):
        read_era5_fields(short)
    ec = import_eccodes()
    with open(gribs[DATES[0]], "rb") as src:
        first = []
        for _ in range(30):
            h = ec.codes_grib_new_from_file(src)
            first.append(ec.codes_get_message(h))
            ec.codes_release(h)
    part = tmp_path / "part.grb"
    part.write_bytes(b"".join(first))
    with pytest.raises(InputDataError, match=r"part\.grb: 81 of the 111 fields are missing"):
        read_era5_fields(part)
    junk = tmp_path / "junk.grb"
    junk.write_bytes(b"not a grib file at all" * 10)
    with pytest.raises(InputDataError, match=r"junk\.grb"):
        read_era5_fields(junk)


def _geometry(path: Path, lat: np.ndarray, lon: np.ndarray) -> Path:
    with h5py.File(path, "w") as f:
        f["latitude"] = lat.astype(np.float32)
        f["longitude"] = lon.astype(np.float32)
        f["height"] = np.zeros(lat.shape, np.float32)
        f["incidenceAngle"] = np.full(lat.shape, 35.0, np.float32)
        f.attrs.update({"LENGTH": str(lat.shape[0]), "WIDTH": str(lat.shape[1]),
                        "FILE_TYPE": "geometry"})
    return path


def _stack(path: Path, dates: list[str], utc: float) -> Path:
    with h5py.File(path, "w") as f:
        f["date"] = np.array(dates, dtype="S8")
        f.attrs["CENTER_LINE_UTC"] = str(utc)
    return path


@pytest.mark.parametrize(("lat0", "lon0", "utc"), [(29.75, -95.37, 1530.0), (-33.9, 151.2, 84000.0),
                                                   (0.5, -0.7, 45000.0), (64.1, 7.9, 41400.0)])
def test_names_are_mintpys(tmp_path: Path, lat0: float, lon0: float, utc: float) -> None:
    from mintpy import tropo_pyaps3

    yy, xx = np.mgrid[0:20, 0:30]
    lat, lon = lat0 + 0.002 * yy, lon0 + 0.003 * xx
    geom = _geometry(tmp_path / "geometryRadar.h5", lat, lon)
    stack = _stack(tmp_path / "timeseries.h5", DATES, utc)
    info = read_stack_info(stack, geom)
    meta = {"LENGTH": "20", "WIDTH": "30"}
    snwe = tropo_pyaps3.get_snwe(meta, geom_file=str(geom))
    hour = tropo_pyaps3.closest_weather_model_hour(str(utc), "ERA5")
    names = tropo_pyaps3.get_grib_filenames(DATES, hour, "ERA5", str(tmp_path), snwe=snwe)
    assert info.era5_snwe == snwe
    assert info.era5_hour == hour
    assert [era5.grib_name(d, info.era5_hour, info.era5_snwe) for d in DATES] == [
        Path(n).name for n in names]


def test_inventory_missing_larger_and_world_files(tmp_path: Path) -> None:
    info = StackWeatherInfo(("20200101", "20200113", "20200125"), 1530.0,
                            (29.74, 29.76, -95.38, -95.36))
    folder = era5.grib_dir(tmp_path)
    assert info.era5_snwe == SNWE
    inv = era5.inventory(info, tmp_path)  # folder absent: everything missing
    assert not inv.complete and inv.snwe == SNWE
    assert [p.name for p in inv.missing] == [
        f"ERA5_N20_N40_W100_W90_{d}_00.grb" for d in info.dates]
    folder.mkdir(parents=True)
    (folder / "ERA5_N20_N40_W100_W90_20200101_00.grb").write_bytes(b"x")
    inv = era5.inventory(info, tmp_path)
    assert [p.name[-15:-7] for p in inv.missing] == ["20200113", "20200125"]
    # a larger area with more dates wins (MintPy's rule); names of the missing ones in that area
    for d in info.dates[:2]:
        (folder / f"ERA5_N10_N50_W110_W80_{d}_00.grb").write_bytes(b"x")
    inv = era5.inventory(info, tmp_path)
    assert inv.snwe == (10, 50, -110, -80)
    assert [p.name for p in inv.missing] == ["ERA5_N10_N50_W110_W80_20200125_00.grb"]
    # complete world-wide files are used
    for d in info.dates:
        (folder / f"ERA5_{d}_00.grb").write_bytes(b"x")
    inv = era5.inventory(info, tmp_path)
    assert inv.complete and inv.snwe is None
    assert inv.files["20200113"].name == "ERA5_20200113_00.grb"


def test_check_files_reports_area_not_covered(gribs: dict[str, Path], tmp_path: Path) -> None:
    info = StackWeatherInfo(tuple(DATES), 1530.0, (45.1, 45.2, 10.0, 10.1))
    inv = era5.Era5Inventory(info, tmp_path, SNWE, dict(gribs), [])
    with pytest.raises(InputDataError, match="covers latitude 20..40"):
        era5.check_files(inv)
