"""The results summary of a work directory, its text, and the demo's check against truth.h5."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import h5py
import numpy as np
import pytest
from plot._builders import LOW_COHERENCE_COLS, REF_YX, WATER, make_work_dir

from minopy import summary
from minopy.errors import InputDataError


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory):
    return make_work_dir(tmp_path_factory.mktemp("summary") / "minopy")


def _reliable_velocity_cm(net: Path) -> np.ndarray:
    with h5py.File(net / "velocity.h5", "r") as f:
        vel = f["velocity"][()] * 100.0
    with h5py.File(net / "maskTempCoh.h5", "r") as f:
        mask = f["mask"][()]
    return np.where(mask, vel, np.nan)


def test_summary_of_a_work_directory(work) -> None:
    net = work.network_dir
    result = summary.build_summary(work.work_dir, net, ["a warning"], 12.3)
    vel = _reliable_velocity_cm(net)
    v = result["velocity"]
    assert v["unit"] == "cm/year" and v["reliable_pixels"] == np.isfinite(vel).sum()
    np.testing.assert_allclose([v["percentiles"][k] for k in ("2", "50", "98")],
                               np.nanpercentile(vel, [2, 50, 98]), atol=1e-3)
    assert v["min"]["value"] == pytest.approx(np.nanmin(vel), abs=1e-3)
    assert v["min"]["x"] == LOW_COHERENCE_COLS.stop  # the fastest reliable column
    assert v["max"]["value"] == pytest.approx(np.nanmax(vel), abs=1e-3) and v["max"]["x"] == 29
    assert v["reference_date"] == "20200101"
    pix = result["pixels"]
    water = (WATER[0].stop - WATER[0].start) * (WATER[1].stop - WATER[1].start)
    low = 24 * (LOW_COHERENCE_COLS.stop - LOW_COHERENCE_COLS.start)
    assert pix["total"] == 720 and pix["reliable"] == pix["inverted"] == 720 - water - low
    assert pix["reliable_percent"] == round(100 * (720 - water - low) / 720, 1)
    assert pix["ps"] == 2 and pix["min_temp_coh"] == 0.4
    assert pix["not_reliable"] == {"water": water, "temporal coherence below minTempCoh": low}
    # latitude and longitude of the reference pixel from the geometry (31.0 - 0.01 y, 100 + 0.01 x)
    ref = result["reference"]
    assert (ref["y"], ref["x"], ref["date"]) == (*REF_YX, "20200101")
    assert ref["lat"] == pytest.approx(30.98, abs=1e-5) and ref["lon"] == pytest.approx(100.08,
                                                                                     abs=1e-5)
    net_info = result["network"]
    assert net_info["name"] == "single_reference" and net_info["dates"] == 8
    assert (net_info["pairs_kept"], net_info["pairs_total"]) == (12, 13)
    assert net_info["pairs_per_date"] == {"min": 1, "median": 3.5, "max": 4}
    run = result["run"]
    assert run["warnings"] == ["a warning"] and run["wall_seconds"] == 12.3
    assert run["steps"]["phase_linking"]["seconds"] == 2.5
    assert result["status"] == "incomplete (3 of 9 steps done)"
    # the JSON is strict (no NaN) and reads back identically
    path = summary.write_summary(work.work_dir, result)
    assert json.loads(path.read_text()) == result == summary.read_summary(work.work_dir)
    text = "\n".join(summary.summary_lines(result))
    for needle in (f"median {v['percentiles']['50']:+.2f}", f"reliable {pix['reliable']}",
                   "PS 2", "36 water",
                   "reference point y2 x8 (30.98000, 100.08000), reference date 20200101",
                   "network single_reference: 12 of 13 pairs kept, 8 dates",
                   "1 to 4 pairs per date", "1 warning(s)", "peak memory"):
        assert needle in text, needle


def test_percentiles_from_a_subsample_of_a_large_map(work, monkeypatch) -> None:
    monkeypatch.setattr(summary, "MAX_SAMPLES", 100)
    v = summary.velocity_stats(work.network_dir)
    assert v["percentile_sample_step"] == 3
    full = summary.build_summary(work.work_dir, work.network_dir)["velocity"]
    assert v["min"] == full["min"] and v["max"] == full["max"]  # extremes from every pixel


def _truth(path: Path, velocity: np.ndarray) -> Path:
    with h5py.File(path, "w") as f:
        f["velocity"] = velocity.astype(np.float32)
    return path


def test_compare_with_truth(work, tmp_path: Path) -> None:
    net = work.network_dir
    with h5py.File(net / "velocity.h5", "r") as f:
        vel = f["velocity"][()].astype(np.float64)
    # the truth is absolute: any constant offset is removed at the reference pixel
    exact = summary.compare_with_truth(net, _truth(tmp_path / "t1.h5", vel + 0.01))
    assert exact["result"] == "PASS" and exact["velocity_rmse_mm_per_year"] == 0.0
    assert exact["velocity_correlation"] == pytest.approx(1.0)
    assert exact["pixels"] == 720 - 36 - 144
    noisy = vel + np.random.default_rng(0).normal(0, 0.004, vel.shape)  # 4 mm/yr noise
    bad = summary.compare_with_truth(net, _truth(tmp_path / "t2.h5", noisy))
    assert bad["result"] == "FAIL" and bad["velocity_rmse_mm_per_year"] > 2.5
    line = summary.truth_line(bad)
    assert "velocity RMSE" in line and "(tolerance <= 2.5)" in line and line.endswith("FAIL")
    with pytest.raises(InputDataError, match="not the same grid"):
        summary.compare_with_truth(net, _truth(tmp_path / "t3.h5", vel[:5]))


def test_finish_run_logs_and_writes(work, caplog) -> None:
    from minopy.plot import finish_run

    with caplog.at_level(logging.INFO, logger="minopy"):
        result = finish_run(work.work_dir, work.config, logging.getLogger("minopy"))
    assert result["network"]["name"] == "single_reference"
    assert summary.read_summary(work.work_dir)["velocity"] == result["velocity"]
    assert caplog.records[0].getMessage().startswith("results (incomplete")
    assert '<section id="summary">' in (work.work_dir / "report.html").read_text()


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux /proc")
def test_peak_memory_is_the_process_own_not_its_parents() -> None:
    """Linux carries ru_maxrss over exec: a run started by a big process (pytest after hundreds
    of tests) would report the parent's size. The summary reports the run's own peak."""
    import os
    import subprocess
    import sys

    big = np.ones(800 * 2**20 // 8)  # this process: at least 800 MB
    code = ("import json, numpy as np; from minopy.summary import peak_memory_mb; "
            "a = np.ones(100 * 2**20 // 8); print(json.dumps(peak_memory_mb()))")
    src = str(Path(summary.__file__).resolve().parents[1])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": src}, check=True, timeout=120)
    own = json.loads(done.stdout)["this_process"]
    assert 100 < own < 600, own
    assert big.sum() > 0
