"""Figures of each step, and the runner hooks that must never fail a run."""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import pytest
from matplotlib.image import imread
from plot._builders import LOW_COHERENCE_COLS, REF_YX, WATER, make_context, make_work_dir
from plot._pixels import hex_rgb, pixel_rgb

from minopy.plot import after_step
from minopy.plot.maps import NODATA_COLOR, read_panel_boxes
from minopy.plot.result_figures import choose_points
from minopy.plot.step_figures import FIGURES, figures_for_step
from minopy.workflow import STEP_NAMES


def test_every_step_writes_its_figures(figured_work) -> None:
    ctx, written = figured_work
    for step in STEP_NAMES:
        expected = [name for name, _ in FIGURES.get(step, ())]
        assert [p.name for p in written[step]] == expected, step
        for path in written[step]:
            assert path.parent == ctx.pic_dir
            assert imread(path).shape[0] > 100


def test_every_step_has_figures_and_every_colour_bar_a_unit(figured_work) -> None:
    ctx, written = figured_work
    assert all(written[step] for step in STEP_NAMES)
    for paths in written.values():
        for path in paths:
            for panel in read_panel_boxes(path):
                assert panel.get("label") or panel.get("classes"), (path.name, panel["title"])


def test_velocity_maps_show_no_data_in_grey_with_shared_symmetric_limits(figured_work) -> None:
    """The files hold 0 (velocity.h5, as MintPy writes it) or NaN (geo) where not reliable:
    both maps show those pixels in the no-data grey, with the same limits about zero."""
    ctx, _ = figured_work
    limits = []
    for name in ("velocity.png", "geo_velocity.png", "velocity_inverted.png"):
        png = ctx.pic_dir / name
        panel = read_panel_boxes(png)[0]
        limits.append(panel["limits"])
        assert -panel["limits"][0] == panel["limits"][1] > 0
        for row in (0, 5, 17):  # the low-coherence columns
            for col in range(LOW_COHERENCE_COLS.start, LOW_COHERENCE_COLS.stop):
                assert pixel_rgb(png, panel, row, col) == hex_rgb(NODATA_COLOR), (name, row, col)
        for row in range(WATER[0].start, WATER[0].stop):  # the water
            assert pixel_rgb(png, panel, row, WATER[1].start + 1) == hex_rgb(NODATA_COLOR)
        assert pixel_rgb(png, panel, 5, 20) != hex_rgb(NODATA_COLOR)
    assert limits[0] == limits[1]
    reasons = read_panel_boxes(ctx.pic_dir / "velocity_inverted.png")[1]
    assert reasons["classes"] == ["reliable", "water", "low coherence"]


def test_time_series_points_include_the_fastest_reliable_pixels(figured_work) -> None:
    ctx, _ = figured_work
    net = ctx.network_dir
    points, labels = choose_points(net / "timeseries.h5", net)
    assert points[0] == REF_YX and labels[0].startswith("reference")
    fast = [p for p, label in zip(points, labels, strict=True) if label.startswith("fastest")]
    coherent = [p for p, label in zip(points, labels, strict=True)
                if label.startswith("coherent")]
    assert len(fast) == 2 and len(coherent) == 2
    # the fastest reliable velocity is in the first column after the low-coherence ones
    assert all(x == LOW_COHERENCE_COLS.stop for _, x in fast)
    assert (12, 25) in coherent  # the most coherent pixel
    with h5py.File(net / "maskTempCoh.h5", "r") as f:
        mask = f["mask"][()]
    assert all(mask[y, x] for y, x in points)


def test_missing_files_skip_figures(tmp_path: Path) -> None:
    ctx = make_context(tmp_path / "empty")
    for step in STEP_NAMES:
        assert figures_for_step(ctx, step) == []
    with pytest.raises(ValueError, match="unknown step"):
        figures_for_step(ctx, "unwrap")


def test_network_png_is_copied(tmp_path: Path) -> None:
    ctx = make_context(tmp_path / "w")
    src = ctx.network_dir / "network.png"
    src.parent.mkdir(parents=True)
    src.write_bytes(b"\x89PNG fake")
    paths = figures_for_step(ctx, "generate_ifgram")
    assert [p.name for p in paths] == ["network.png"]
    assert paths[0].read_bytes() == b"\x89PNG fake"


def test_after_step_logs_and_swallows_errors(tmp_path: Path, caplog) -> None:
    ctx = make_context(tmp_path / "bad")
    ctx.slc_stack_file.parent.mkdir(parents=True)
    with h5py.File(ctx.slc_stack_file, "w") as f:
        f["slc"] = [1.0, 2.0]  # 1-D: not a stack
    with caplog.at_level(logging.WARNING, logger="minopy"):
        assert after_step(ctx, "load_data") == []
    assert "figures of step load_data not written" in caplog.text
    assert "expected 3 dimensions" in caplog.text


def test_after_step_disabled(tmp_path: Path) -> None:
    ctx = make_work_dir(tmp_path / "w")
    off = make_context(ctx.work_dir, plot=False)
    assert after_step(off, "load_data") == []
    assert not off.pic_dir.exists()
    assert [p.name for p in after_step(ctx, "load_data")] == ["mean_amplitude.png"]
