"""Figures of each step, and the runner hooks that must never fail a run."""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import pytest
from _builders import make_context, make_work_dir
from matplotlib.image import imread

from minopy.plot import after_step
from minopy.plot.step_figures import FIGURES, figures_for_step
from minopy.steps import STEP_NAMES


def test_every_step_writes_its_figures(figured_work) -> None:
    ctx, written = figured_work
    for step in STEP_NAMES:
        expected = [name for name, _ in FIGURES.get(step, ())]
        assert [p.name for p in written[step]] == expected, step
        for path in written[step]:
            assert path.parent == ctx.pic_dir
            assert imread(path).shape[0] > 100


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
