"""The viewers: tcoh_view (pixel inspector), cpxview (complex images), scatterview (points)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread
from plot._builders import (
    LENGTH,
    LOW_COHERENCE_COLS,
    WIDTH,
    make_geometry,
    make_mask,
    make_single,
    make_slc_stack,
    make_timeseries,
    make_work_dir,
)

from minopy.cli import cpxview, scatterview, tcoh_view
from minopy.io.isce import write_raster
from minopy.plot.maps import NODATA_COLOR
from minopy.plot.pixel_inspect import inspect_pixel


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("viewers")
    slc = make_slc_stack(root / "inputs" / "slcStack.h5")
    vel = np.full((LENGTH, WIDTH), 0.02, dtype=np.float32)
    return slc, make_timeseries(root / "timeseries.h5", vel)


def test_inspect_pixel_keeps_shps_on_its_side_of_an_amplitude_edge(stack) -> None:
    slc, _ = stack
    res = inspect_pixel(slc, 10, WIDTH // 2 - 3, range_window=15, azimuth_window=9)
    assert res.shp_mask.shape == (9, 15)
    rows, cols = np.nonzero(res.shp_mask)
    assert res.num_shp == rows.size > 20
    assert (cols + res.x - 7 < WIDTH // 2).all()  # the dark half (amplitude 1) is never an SHP
    assert res.gamma.shape == (8, 8)
    np.testing.assert_allclose(np.diag(res.gamma), 1.0)
    assert np.abs(res.gamma).min() > 0.8 and res.temporal_coherence > 0.8
    # the simulated phase grows by 0.3 rad per date
    np.testing.assert_allclose(np.angle(res.gamma[1, 0]), 0.3, atol=0.1)


def test_tcoh_view_writes_figures(stack, tmp_path: Path, capsys) -> None:
    slc, ts = stack
    out = tmp_path / "tv"
    assert tcoh_view.main([str(ts), "--slc", str(slc), "--yx", "5", "6", "-rw", "9", "-aw", "5",
                           "--outdir", str(out), "--nodisplay"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["y5x6_tcoh.png", "y5x6_ts.png", "y5x6_ts.txt"]
    lines = (out / "y5x6_ts.txt").read_text().splitlines()
    assert lines[1] == "20200101 0.000000" and len(lines) == 9
    assert imread(out / "y5x6_tcoh.png").shape[1] > 500
    assert str(out / "y5x6_tcoh.png") in capsys.readouterr().out


def test_tcoh_view_bad_input(stack, tmp_path: Path, capsys, monkeypatch) -> None:
    slc, ts = stack
    assert tcoh_view.main([str(ts), "--slc", str(slc), "--yx", "99", "0", "--nodisplay"]) == 1
    assert "--yx 99 0 is outside the image (24 rows x 30 columns)" in capsys.readouterr().err
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert tcoh_view.main([str(ts), "--slc", str(slc)]) == 1
    assert "give the pixel with --yx" in capsys.readouterr().err
    other = make_slc_stack(tmp_path / "small.h5", length=5, width=5)
    assert tcoh_view.main([str(ts), "--slc", str(other), "--yx", "1", "1", "--nodisplay"]) == 1
    assert "must be on the same grid" in capsys.readouterr().err


def test_cpxview_slc_stack_and_isce(stack, tmp_path: Path, capsys) -> None:
    slc, _ = stack
    out = tmp_path / "a.png"
    assert cpxview.main([str(slc), "--date", "20200113", "--box", "2", "3", "20", "15",
                         "-o", str(out)]) == 0
    assert imread(out).shape[0] > 100
    data, label, step = cpxview.read_complex(cpxview.build_parser().parse_args(
        [str(slc), "--index", "1", "--box", "2", "3", "20", "15"]))
    assert (label, step, data.shape) == ("20200113", 1, (12, 18))
    ifg = tmp_path / "fine.int"
    write_raster(ifg, np.full((6, 7), 2 + 2j, dtype=np.complex64), "BIP", "int")
    data, label, _ = cpxview.read_complex(cpxview.build_parser().parse_args([str(ifg)]))
    np.testing.assert_allclose(np.angle(data), np.pi / 4)
    assert cpxview.main([str(ifg), "-o", str(tmp_path / "b.png")]) == 0
    assert cpxview.main([str(slc), "--box", "0", "0", "99", "5", "-o", str(out)]) == 1
    assert "--box 0 0 99 5 is not inside" in capsys.readouterr().err
    assert cpxview.main([str(slc), "--date", "19990101", "-o", str(out)]) == 1
    assert "--date 19990101 is not in" in capsys.readouterr().err
    cor = tmp_path / "c.cor"
    write_raster(cor, np.ones((3, 3), dtype=np.float32))
    assert cpxview.main([str(cor), "-o", str(out)]) == 1
    assert "expects complex values" in capsys.readouterr().err


@pytest.fixture()
def sparse(tmp_path: Path) -> dict[str, Path]:
    vel = np.arange(LENGTH * WIDTH, dtype=np.float32).reshape(LENGTH, WIDTH) / 1e4
    mask = np.zeros((LENGTH, WIDTH), dtype=bool)
    mask[2, 5] = mask[20, 25] = mask[12, 3] = True
    # latitude decreases down the rows (30.0 .. 30.23), longitude increases along columns
    # (120.0 .. 120.29): the two ranges do not overlap, so swapped axes cannot go unnoticed.
    lat, lon = np.meshgrid(30.23 - 0.01 * np.arange(LENGTH), 120.0 + 0.01 * np.arange(WIDTH),
                           indexing="ij")
    return {"vel": make_single(tmp_path / "velocity.h5", "velocity", vel),
            "mask": make_mask(tmp_path / "maskPS.h5", mask),
            "geom": make_geometry(tmp_path / "geometryRadar.h5", lat, lon)}


def test_scatterview_radar_coordinates(sparse, tmp_path: Path) -> None:
    x, y, values, label = scatterview.scatter_points(sparse["vel"], None, sparse["mask"])
    assert label == "velocity"
    assert sorted(zip(y.tolist(), x.tolist(), strict=True)) == [(2, 5), (12, 3), (20, 25)]
    np.testing.assert_allclose(values, (y * WIDTH + x) / 1e4, rtol=1e-6)
    fig = scatterview.scatter_figure(x, y, values, "v", geo=False)
    ax = fig.axes[0]
    assert ax.yaxis_inverted() and not ax.xaxis_inverted()
    # row 2 is drawn above row 20 (display y grows upwards)
    top = ax.transData.transform((5, 2))
    bottom = ax.transData.transform((25, 20))
    assert top[1] > bottom[1] and top[0] < bottom[0]
    out = tmp_path / "radar.png"
    assert scatterview.main([str(sparse["vel"]), "velocity", "--mask", str(sparse["mask"]),
                             "-o", str(out)]) == 0
    assert imread(out).shape[0] > 100


def test_scatterview_geo_puts_longitude_on_x_and_latitude_on_y(sparse, tmp_path: Path) -> None:
    x, y, _, _ = scatterview.scatter_points(sparse["vel"], None, sparse["mask"], sparse["geom"])
    pts = sorted(zip(x.round(4).tolist(), y.round(4).tolist(), strict=True))
    # pixel (row 12, col 3) -> lon 120.03, lat 30.11; (2, 5) -> 120.05, 30.21; (20, 25) -> 120.25
    assert pts == [(120.03, 30.11), (120.05, 30.21), (120.25, 30.03)]
    fig = scatterview.scatter_figure(x, y, np.ones_like(x), "v", geo=True)
    ax = fig.axes[0]
    assert ax.get_xlabel().startswith("longitude") and ax.get_ylabel().startswith("latitude")
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    assert 120.0 < x0 < x1 < 120.3 and 30.0 < y0 < y1 < 30.25
    # the drawn offsets are (lon, lat), and the north-westernmost point is top-left on screen
    offsets = ax.collections[0].get_offsets()
    np.testing.assert_allclose(offsets[:, 0], x)
    np.testing.assert_allclose(offsets[:, 1], y)
    bbox = ax.get_window_extent()
    nw = ax.transData.transform((120.03, 30.11))
    se = ax.transData.transform((120.25, 30.03))
    north = ax.transData.transform((120.05, 30.21))
    assert bbox.x0 <= nw[0] < se[0] <= bbox.x1
    assert bbox.y0 <= se[1] < nw[1] < north[1] <= bbox.y1
    out = tmp_path / "geo.png"
    assert scatterview.main([str(sparse["vel"]), "--mask", str(sparse["mask"]), "--geo",
                             "--geometry", str(sparse["geom"]), "-o", str(out)]) == 0


def test_scatterview_errors(sparse, tmp_path: Path, capsys) -> None:
    out = str(tmp_path / "x.png")
    assert scatterview.main([str(sparse["vel"]), "--mask", str(sparse["mask"]), "--geo",
                             "-o", out]) == 1
    assert "--geo needs --geometry" in capsys.readouterr().err
    small = make_mask(tmp_path / "small.h5", np.ones((3, 3), dtype=bool))
    assert scatterview.main([str(sparse["vel"]), "--mask", str(small), "-o", out]) == 1
    assert "must be on the same grid" in capsys.readouterr().err
    assert scatterview.main([str(sparse["vel"]), "nope", "--mask", str(sparse["mask"]),
                             "-o", out]) == 1
    assert "no dataset 'nope'" in capsys.readouterr().err


def test_scatterview_timeseries_date(stack, tmp_path: Path) -> None:
    _, ts = stack
    mask = make_mask(tmp_path / "m.h5", np.eye(LENGTH, WIDTH, dtype=bool))
    _, _, values, label = scatterview.scatter_points(ts, "timeseries-20200113", mask)
    assert label == "timeseries 20200113"
    np.testing.assert_allclose(values, 0.02 * 12 / 365.25, rtol=1e-5)


def test_scatterview_no_data_background_and_symmetric_scale(sparse, tmp_path: Path) -> None:
    from matplotlib.colors import to_hex

    x, y, values, _ = scatterview.scatter_points(sparse["vel"], None, sparse["mask"])
    values = values * 100 - 0.5  # cm/year, mostly positive
    values[0] = np.nan
    fig = scatterview.scatter_figure(x, y, values, "v", geo=False, unit="velocity (cm/year)",
                                     cmap="RdBu_r")
    ax = fig.axes[0]
    assert to_hex(ax.get_facecolor()) == NODATA_COLOR  # no point = no data, never "white = 0"
    lo, hi = ax.collections[0].get_clim()
    assert -lo == hi > 0
    assert len(ax.collections[0].get_offsets()) == 2  # the NaN value is not drawn
    assert "1 NaN values" in ax.get_legend().get_texts()[0].get_text()
    assert fig.axes[1].get_ylabel() == "velocity (cm/year)"
    lo, hi = scatterview.scatter_figure(x, y, values, "v", geo=False, unit="u").axes[0] \
        .collections[0].get_clim()
    assert lo > 0  # a sequential scale keeps its percentile limits


def test_tcoh_view_says_why_a_pixel_was_not_inverted(tmp_path: Path, capsys) -> None:
    ctx = make_work_dir(tmp_path / "minopy")
    ts = ctx.network_dir / "timeseries.h5"
    out = tmp_path / "tv"
    y, x = 3, LOW_COHERENCE_COLS.start + 1
    assert tcoh_view.main([str(ts), "--slc", str(ctx.slc_stack_file), "--yx", str(y), str(x),
                           "--outdir", str(out), "--nodisplay"]) == 0
    reason = "not inverted: temporal coherence 0.20 < minTempCoh 0.4"
    assert f"pixel y={y} x={x}: {reason}" in capsys.readouterr().out
    lines = (out / f"y{y}x{x}_ts.txt").read_text().splitlines()
    assert lines[1] == f"# {reason}"
    assert all(line.endswith(" nan") for line in lines[2:]) and len(lines) == 10
    # a reliable pixel has numbers and no note
    assert tcoh_view.main([str(ts), "--slc", str(ctx.slc_stack_file), "--yx", "3", "20",
                           "--outdir", str(out), "--nodisplay"]) == 0
    lines = (out / "y3x20_ts.txt").read_text().splitlines()
    assert not lines[1].startswith("#") and "nan" not in " ".join(lines)


def test_cpxview_default_output_names(stack, tmp_path: Path, monkeypatch) -> None:
    slc, _ = stack
    monkeypatch.chdir(tmp_path)
    assert cpxview.main([str(slc), "--date", "20200113"]) == 0
    assert cpxview.main([str(slc), "--index", "2"]) == 0
    ifg = tmp_path / "fine.int"
    write_raster(ifg, np.full((6, 7), 2 + 2j, dtype=np.complex64), "BIP", "int")
    assert cpxview.main([str(ifg)]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "fine_int_cpx.png", "slcStack_20200113_cpx.png", "slcStack_20200125_cpx.png"]
