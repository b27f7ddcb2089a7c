"""The whole nine-step workflow on the demo dataset, compared with the simulation's truth."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
from steps._config_reads import ReadRecorder, covered

from minopy import mintpy_bridge, runner
from minopy.runner import run_steps
from minopy.simulate import demo_template_text, write_stack
from minopy.simulate.evaluate import tropo_residual
from minopy.workflow import STEP_NAMES

#: the options each step read during the demo run (see steps/_config_reads.py).
RECORDER = ReadRecorder()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    project = write_stack(root, preset="demo", layout="tops", seed=0)
    template = project / "demo.txt"
    template.write_text(demo_template_text(project))
    load_config, load_step = runner.load_config, runner.load_step
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "load_config",
                      lambda *args, **kwargs: RECORDER.config(load_config(*args, **kwargs)))
        patch.setattr(runner, "load_step", lambda name: RECORDER.wrap_step(name, load_step(name)))
        patch.setattr(mintpy_bridge, "write_mintpy_config",
                      RECORDER.handoff(mintpy_bridge.write_mintpy_config))
        run_steps(template, project / "minopy", list(STEP_NAMES), verbosity="quiet")
    return project


def test_each_step_reads_only_what_it_fingerprints(demo_run: Path) -> None:
    """Every option a step read during the run (its inputs, outputs, run and preflight) is among
    the options its fingerprint covers (READS), or those it only checks (VALIDATES)."""
    assert set(RECORDER.reads) == set(STEP_NAMES)  # every step was seen reading options
    unlisted = {}
    for name, reads in RECORDER.reads.items():
        step = runner.load_step(name)
        declared = (*step.READS, *getattr(step, "VALIDATES", ()))
        missing = sorted(r for r in reads if not covered(r, declared))
        if missing:
            unlisted[name] = missing
    assert unlisted == {}, f"steps read options their fingerprint does not cover: {unlisted}"


def _network_dir(project: Path) -> Path:
    (net,) = sorted((project / "minopy").glob("*_network"))
    return net


def test_velocity_and_dem_error_recover_the_truth(demo_run: Path) -> None:
    net = _network_dir(demo_run)
    with h5py.File(demo_run / "truth.h5", "r") as f:
        v_true, dz_true = f["velocity"][:], f["dem_error"][:]
    with h5py.File(net / "velocity.h5", "r") as f:
        v_est = f["velocity"][:]
        ry, rx = int(f.attrs["REF_Y"]), int(f.attrs["REF_X"])
    with h5py.File(net / "temporalCoherence.h5", "r") as f:
        tcoh = f["temporalCoherence"][:]
    with h5py.File(net / "demErr.h5", "r") as f:
        dz_est = f["dem"][:]

    good = (tcoh >= 0.7) & np.isfinite(v_est) & np.isfinite(dz_est)
    assert good.sum() > 0.5 * good.size, "too few coherent pixels for a meaningful check"
    dv = (v_est - v_est[ry, rx]) - (v_true - v_true[ry, rx])
    rmse_mm_yr = 1000 * np.sqrt(np.mean(dv[good] ** 2))
    assert rmse_mm_yr <= 2.0, f"velocity RMSE {rmse_mm_yr:.2f} mm/yr"

    r = np.corrcoef(dz_est[good] - dz_est[ry, rx], dz_true[good] - dz_true[ry, rx])[0, 1]
    assert r >= 0.9, f"DEM-error correlation {r:.3f}"


def test_era5_correction_removes_the_simulated_delay(demo_run: Path) -> None:
    """The demo stack carries the delay of a synthetic atmosphere; the demo template corrects it
    with PyAPS from the simulated ERA5 files (no network)."""
    net = _network_dir(demo_run)
    assert "mintpy.troposphericDelay.method = pyaps" in (net / "minopy_mintpy.cfg").read_text()
    res = tropo_residual(demo_run / "truth.h5", net / "timeseries.h5",
                         net / "timeseries_ERA5.h5", net / "maskTempCoh.h5")
    assert res.injected_rms > 2e-3
    assert res.ratio <= 0.10, f"residual {res.residual_rms * 1e3:.2f} mm of " \
                              f"{res.injected_rms * 1e3:.2f} mm"


def test_products_exist_and_open_in_mintpy(demo_run: Path, tmp_path: Path) -> None:
    from mintpy.cli import view
    from mintpy.utils import readfile

    net = _network_dir(demo_run)
    for name in ("timeseries.h5", "velocity.h5", "temporalCoherence.h5", "maskTempCoh.h5",
                 "numInvIfgram.h5", "demErr.h5", "inputs/ifgramStack.h5", "geo/geo_velocity.h5"):
        assert (net / name).is_file(), name
    geo_v, geo_atr = readfile.read(str(net / "geo" / "geo_velocity.h5"), datasetName="velocity")
    assert "Y_FIRST" in geo_atr and np.isfinite(geo_v).mean() > 0.3
    png = tmp_path / "vel.png"
    view.main([str(net / "velocity.h5"), "velocity", "--nodisplay", "-o", str(png)])
    assert png.stat().st_size > 1000


def test_report_and_figures_written(demo_run: Path) -> None:
    work = demo_run / "minopy"
    html = (work / "report.html").read_text()
    assert "data:image/png;base64," in html
    for step in STEP_NAMES:
        assert step in html
    assert len(list((work / "pic").glob("*.png"))) >= 10


def test_rerun_skips_completed_steps(demo_run: Path) -> None:
    work = demo_run / "minopy"
    stamp = (work / "inverted" / "phase_series.h5").stat().st_mtime_ns
    run_steps(demo_run / "demo.txt", work, list(STEP_NAMES), verbosity="quiet")
    assert (work / "inverted" / "phase_series.h5").stat().st_mtime_ns == stamp
    assert "up to date, skipped" in (work / "log").read_text()


def test_summary_and_demo_check_against_truth(demo_run: Path) -> None:
    from minopy.cli.main import check_demo

    work = demo_run / "minopy"
    summary = json.loads((work / "summary.json").read_text())
    assert summary["status"] == "complete"
    vel, pix, net = summary["velocity"], summary["pixels"], summary["network"]
    # the bowl subsides by up to ~4 cm/year; most of the scene is stable
    assert vel["unit"] == "cm/year" and vel["min"]["value"] < -3.0
    assert -2.0 < vel["percentiles"]["50"] < 0.5 and vel["percentiles"]["2"] < -2.0
    assert 0.5 < pix["reliable"] / pix["total"] <= 1.0 and pix["ps"] > 100
    assert pix["reliable"] == vel["reliable_pixels"]
    assert net["name"] == "sequential_3" and net["dates"] == 60
    assert net["pairs_per_date"]["min"] >= 3
    assert summary["reference"]["date"] and summary["reference"]["y"] is not None
    assert summary["run"]["steps"]["phase_linking"]["status"] == "done"
    result = check_demo(work)
    assert result["result"] == "PASS", result
    assert '<span data-key="truth.result" class="pass">PASS</span>' in \
        (work / "report.html").read_text()
    # no-data is NaN in the geocoded velocity, never 0 cm/year
    geo = _network_dir(demo_run) / "geo"
    with h5py.File(geo / "geo_velocity.h5", "r") as f:
        geo_v = f["velocity"][()]
    with h5py.File(geo / "geo_maskTempCoh.h5", "r") as f:
        geo_ok = f["mask"][()].astype(bool)
    assert np.isnan(geo_v[~geo_ok]).all() and np.isfinite(geo_v[geo_ok]).all()
    log = (work / "log").read_text()
    assert "phase-linking kernels compiled in" in log or "phase-linking kernels loaded" in log
