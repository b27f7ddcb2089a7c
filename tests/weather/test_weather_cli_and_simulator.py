"""``minopy weather`` listing and its download guard; the simulator's weather mode."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from minopy.cli.main import main
from minopy.simulate import read_truth, write_stack
from minopy.simulate.atmosphere import los_delay
from minopy.weather import era5


def _files(tmp_path: Path) -> tuple[Path, Path]:
    yy, xx = np.mgrid[0:10, 0:12]
    geom = tmp_path / "geometryRadar.h5"
    with h5py.File(geom, "w") as f:
        f["latitude"] = (29.75 + 0.001 * yy).astype(np.float32)
        f["longitude"] = (-95.37 - 0.001 * xx).astype(np.float32)
    stack = tmp_path / "slcStack.h5"
    with h5py.File(stack, "w") as f:
        f["date"] = np.array(["20200105", "20200117", "20200129"], dtype="S8")
        f.attrs["CENTER_LINE_UTC"] = "1530.0"
    return stack, geom


def test_weather_lists_present_and_missing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    stack, geom = _files(tmp_path)
    wdir = tmp_path / "weather"
    (wdir / "ERA5").mkdir(parents=True)
    (wdir / "ERA5" / "ERA5_N20_N40_W100_W90_20200117_00.grb").write_bytes(b"x")
    gdir = tmp_path / "GACOS"
    gdir.mkdir()
    for ext in (".ztd", ".ztd.rsc"):
        (gdir / f"20200105{ext}").write_bytes(b"x")
    rc = main(["weather", "--stack", str(stack), "--geometry", str(geom), "--weather-dir",
               str(wdir), "--gacos-dir", str(gdir)])
    out = capsys.readouterr().out
    assert rc == 0
    assert "3 dates 20200105..20200129, acquisition 00:26 UTC" in out
    assert "hour 00 UTC, area N20_N40_W100_W90" in out
    assert "20200105  ERA5_N20_N40_W100_W90_20200105_00.grb  MISSING" in out
    assert "20200117  ERA5_N20_N40_W100_W90_20200117_00.grb  present" in out
    assert "20200105  20200105.ztd (+ .rsc, or .ztd.tif)  present" in out
    assert "20200129  20200129.ztd (+ .rsc, or .ztd.tif)  MISSING" in out
    assert "time  : 00:26 UTC" in out  # the GACOS request text


def test_download_needs_credentials_before_any_request(tmp_path: Path, monkeypatch,
                                                      capsys: pytest.CaptureFixture) -> None:
    stack, geom = _files(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("CDSAPI_RC", "CDSAPI_URL", "CDSAPI_KEY"):
        monkeypatch.delenv(var, raising=False)

    def no_network(*args, **kwargs):  # pragma: no cover - must not be reached
        raise AssertionError("cdsapi was called")

    import cdsapi

    monkeypatch.setattr(cdsapi, "Client", no_network)
    rc = main(["weather", "--stack", str(stack), "--geometry", str(geom), "--weather-dir",
               str(tmp_path / "w"), "--download"])
    assert rc == 1
    assert "no Climate Data Store credentials: create ~/.cdsapirc" in capsys.readouterr().err
    assert not (tmp_path / "w" / "ERA5").exists() or not list((tmp_path / "w").rglob("*.grb"))


def test_weather_usage_errors(capsys: pytest.CaptureFixture) -> None:
    assert main(["weather", "--stack", "x.h5"]) == 1
    assert "give --dir WORK_DIR, or --stack FILE and --geometry FILE" in capsys.readouterr().err


def test_simulator_weather_mode(tmp_path: Path) -> None:
    project = write_stack(tmp_path / "s", preset="tiny", n_dates=3, tropo_model="weather",
                          turbulence_std=0.0)
    truth = read_truth(project)
    delay = truth["weather_delay"]
    assert delay.shape == (3, 48, 64) and 2.0 < delay.mean() < 3.5
    # the time series carries minus the delay change (no turbulence here)
    np.testing.assert_allclose(truth["tropo"], -(delay - delay[0]), atol=1e-6)
    names = sorted(p.name for p in (project / "weather" / "ERA5").iterdir())
    dates = [d.decode() for d in truth["date"]]
    assert names == [era5.grib_name(d, "00", (20, 40, -100, -90)) for d in dates]
    assert sorted(p.name for p in (project / "GACOS").iterdir()) == sorted(
        [f"{d}.ztd" for d in dates] + [f"{d}.ztd.rsc" for d in dates])
    assert "weather_delay" in truth["attrs"]["tropo_model"]
    # the same formula gives the same delay at a height
    from minopy.simulate.atmosphere import date_atmospheres

    atm = date_atmospheres(dates, 29.75, -95.37, seed=0)[1]
    h = truth["height"].astype(np.float64)
    inc = truth["incidenceAngle"].astype(np.float64)
    np.testing.assert_allclose(delay[1], los_delay(atm, h, inc), rtol=1e-6)
