"""Map writers and the data readers behind the figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread
from plot._builders import LENGTH, WIDTH, make_slc_stack, make_timeseries
from plot._pixels import hex_rgb, pixel_rgb

from minopy.errors import InputDataError
from minopy.plot.data import (
    fit_velocity,
    mean_amplitude,
    pick_points,
    read_h5_map,
    read_point_series,
)
from minopy.plot.maps import (
    NODATA_COLOR,
    NODATA_COLOR_ON_GRAY,
    MapPanel,
    display_step,
    read_panel_boxes,
    robust_limits,
    symmetric_limits,
    write_map,
    write_maps,
)


def test_write_map_writes_png_atomically(tmp_path: Path) -> None:
    data = np.arange(12.0).reshape(3, 4)
    mask = np.ones_like(data, dtype=bool)
    mask[0, 0] = False
    out = write_map(tmp_path / "sub" / "m.png", data, "title", mask=mask, label="m")
    img = imread(out)
    assert img.ndim == 3 and img.shape[0] > 50 and img.shape[1] > 50
    assert [p.name for p in out.parent.iterdir()] == ["m.png"]  # no temporary file left


def test_write_maps_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one panel"):
        write_maps(tmp_path / "x.png", [])
    with pytest.raises(ValueError, match="mask shape"):
        write_maps(tmp_path / "x.png", [MapPanel(np.zeros((2, 2)), mask=np.ones((3, 3), bool),
                                                 label="m")])
    with pytest.raises(ValueError, match="needs a label with the unit"):
        write_maps(tmp_path / "x.png", [MapPanel(np.zeros((2, 2)), "no unit")])
    assert not (tmp_path / "x.png").exists()


def test_no_data_is_grey_and_diverging_limits_are_symmetric(tmp_path: Path) -> None:
    data = np.tile(np.linspace(-1.0, 3.0, 20), (10, 1))
    mask = np.ones(data.shape, bool)
    mask[:, :5] = False  # a known masked block
    data[0, 10] = np.nan
    png = write_maps(tmp_path / "m.png", [
        MapPanel(data, "velocity", "RdBu_r", mask=mask, label="cm/year"),
        MapPanel(data, "amplitude", "gray", mask=mask, label="dB")])
    vel, amp = read_panel_boxes(png)
    assert vel["limits"] == list(symmetric_limits(np.where(mask, data, np.nan)))
    assert vel["limits"][0] == -vel["limits"][1] and vel["label"] == "cm/year"
    assert vel["nodata_pixels"] == amp["nodata_pixels"] == 51
    for row in range(10):
        for col in (0, 2, 4):
            assert pixel_rgb(png, vel, row, col) == hex_rgb(NODATA_COLOR)
            assert pixel_rgb(png, amp, row, col) == hex_rgb(NODATA_COLOR_ON_GRAY)
    assert pixel_rgb(png, vel, 0, 10) == hex_rgb(NODATA_COLOR)
    # valid values are never the no-data colour (0 is white on RdBu_r)
    for col in range(5, 20):
        assert pixel_rgb(png, vel, 5, col) != hex_rgb(NODATA_COLOR)
    assert robust_limits(np.array([-1.0, 3.0]), (0, 100)) == (-1.0, 3.0)
    assert symmetric_limits(np.array([-1.0, 3.0]), (0, 100)) == (-3.0, 3.0)


def test_display_step_and_limits() -> None:
    assert display_step((10, 100)) == 1
    assert display_step((5, 3001), max_pixels=1500) == 3
    lo, hi = robust_limits(np.array([np.nan, 1.0, 2.0, 3.0]), (0, 100))
    assert (lo, hi) == (1.0, 3.0)
    assert robust_limits(np.full(3, np.nan)) == (0.0, 1.0)


def test_mean_amplitude_title_counts_the_dates(tmp_path: Path) -> None:
    from plot._builders import make_context

    from minopy.plot.step_figures import figures_for_step

    ctx = make_context(tmp_path / "w")
    make_slc_stack(ctx.slc_stack_file, n=40)
    (png,) = figures_for_step(ctx, "load_data")
    (panel,) = read_panel_boxes(png)
    assert panel["title"] == "mean amplitude of 30 of 40 dates (evenly spaced)"
    assert panel["label"] == "amplitude (dB)"


def test_mean_amplitude_uses_subsample_of_dates(tmp_path: Path) -> None:
    slc = make_slc_stack(tmp_path / "slcStack.h5", n=12)
    amp, step, used = mean_amplitude(slc, max_dates=5)
    assert (step, used) == (1, 5)
    assert amp.shape == (LENGTH, WIDTH)
    assert np.allclose(amp[:, : WIDTH // 2].mean(), 4.0, rtol=0.05)
    assert np.allclose(amp[:, WIDTH // 2:].mean(), 1.0, rtol=0.05)
    small, step, _ = mean_amplitude(slc, step=2)
    assert step == 2 and small.shape == ((LENGTH + 1) // 2, (WIDTH + 1) // 2)


def test_fit_velocity_recovers_linear_rate(tmp_path: Path) -> None:
    vel = np.linspace(-0.03, 0.05, LENGTH * WIDTH).reshape(LENGTH, WIDTH).astype(np.float32)
    ts = make_timeseries(tmp_path / "timeseries.h5", vel)
    fitted, step = fit_velocity(ts)
    assert step == 1
    np.testing.assert_allclose(fitted, vel, atol=2e-4)  # 365.25 d years vs calendar years
    decimated, step = fit_velocity(ts, step=3)
    np.testing.assert_allclose(decimated, vel[::3, ::3], atol=2e-4)


def test_read_point_series_and_bounds(tmp_path: Path) -> None:
    vel = np.full((LENGTH, WIDTH), 0.01, dtype=np.float32)
    ts = make_timeseries(tmp_path / "timeseries.h5", vel)
    dates, series = read_point_series(ts, [(1, 2), (3, 4)])
    assert series.shape == (2, len(dates)) and series[0, 0] == 0.0
    with pytest.raises(InputDataError, match="outside"):
        read_point_series(ts, [(LENGTH, 0)])
    with pytest.raises(InputDataError, match="no dataset 'nope'"):
        read_h5_map(ts, "nope")


def test_pick_points_best_and_spread() -> None:
    q = np.zeros((50, 50))
    q[10, 10], q[11, 11], q[40, 40] = 0.99, 0.98, 0.9
    q[0, 0] = np.nan
    pts = pick_points(q, 2, min_distance=5)
    assert pts == [(10, 10), (40, 40)]  # (11, 11) is too close to (10, 10)
    assert (10, 10) not in pick_points(q, 1, min_distance=5, exclude=[(12, 12)])
