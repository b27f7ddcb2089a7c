"""The update workflow as a user runs it: ``minopyApp.py TEMPLATE`` again after extending
``minopy.load.endDate``, with ``sequentialMode = streaming``. load_data appends, phase_linking links
one mini-stack, generate_ifgram and unwrap_ifgram do only the new pairs, and every product equals
a fresh run's on the grown stack."""

from __future__ import annotations

import re
from pathlib import Path

import h5py
import numpy as np
import pytest

from minopy.io.isce import read_raster
from minopy.logging_setup import LOG_FILE_NAME
from minopy.runner import run_steps
from minopy.simulate import demo_template_text, write_stack

STEPS = ["load_data", "phase_linking", "concatenate_patch", "generate_ifgram", "unwrap_ifgram"]


def _template(project: Path, end: str | None) -> Path:
    text = demo_template_text(project, tropo="no")
    text = re.sub(r"minopy.inversion.ministackSize *= *\d+", "minopy.inversion.ministackSize = 3",
                  text)
    text = re.sub(r"minopy.inversion.patchSize *= *\d+", "minopy.inversion.patchSize = 16", text)
    text += ("\nminopy.plot = no\nminopy.inversion.sequentialMode = streaming\n"
             "minopy.multiprocessing.numProcessor = 1\n")
    text = text.replace("minopy.multiprocessing.numProcessor = 2\n", "")
    if end:
        text += f"minopy.load.endDate = {end}\n"
    path = project / ("update.txt" if end is None else "base.txt")
    path.write_text(text)
    return path


def _pair_files(work: Path) -> dict[str, Path]:
    files = sorted(work.glob("inverted/interferograms_*/*/filt_fine.unw"))
    return {p.parent.name: p for p in files}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return write_stack(tmp_path_factory.mktemp("stream") / "project", preset="tiny", seed=3,
                       n_dates=9, length=32, width=32)


def test_rerun_on_a_later_end_date_updates_only_what_is_new(project, tmp_path):
    dates = sorted(p.name for p in (project / "merged" / "SLC").iterdir())
    work = tmp_path / "work"
    run_steps(_template(project, dates[5]), work, STEPS, verbosity="quiet")  # 6 dates: [0,3,6]
    old_pairs = _pair_files(work)
    stamps = {name: p.stat().st_mtime_ns for name, p in old_pairs.items()}
    inode = (work / "inputs" / "slcStack.h5").stat().st_ino
    log_file = work / LOG_FILE_NAME
    start = len(log_file.read_text())
    run_steps(_template(project, None), work, STEPS, verbosity="quiet")  # 9 dates: [0,3,6,9]
    log = log_file.read_text()[start:]
    assert "appending 3 new dates" in log
    assert (work / "inputs" / "slcStack.h5").stat().st_ino == inode
    assert "incremental: 3 new dates, 1 mini-stacks linked (of 3), 2 reused" in log
    new_pairs = _pair_files(work)
    added = sorted(set(new_pairs) - set(old_pairs))
    assert added and all(n.split("_")[1] in dates[6:] for n in added)
    n_old, n_all = len(old_pairs), len(new_pairs)
    assert f"generate_ifgram: {n_old} of {n_all} pairs were complete and skipped" in log
    assert f"unwrap_ifgram: {n_old} of {n_all} pairs were complete and skipped" in log
    assert {n: p.stat().st_mtime_ns for n, p in old_pairs.items()} == stamps

    fresh = tmp_path / "fresh"
    run_steps(_template(project, None), fresh, STEPS, verbosity="quiet")
    with h5py.File(work / "inverted/phase_series.h5", "r") as a, \
            h5py.File(fresh / "inverted/phase_series.h5", "r") as b:
        for name in ("phase", "amplitude", "temporalCoherence", "shp"):
            np.testing.assert_array_equal(a[name][()], b[name][()], err_msg=name)
    fresh_pairs = _pair_files(fresh)
    assert sorted(fresh_pairs) == sorted(new_pairs)
    for name, path in new_pairs.items():
        np.testing.assert_array_equal(read_raster(path, band=2),
                                      read_raster(fresh_pairs[name], band=2), err_msg=name)
