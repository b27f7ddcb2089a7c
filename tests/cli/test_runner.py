"""The step runner: order, skipping completed work, re-running on changes, failures, records."""

from __future__ import annotations

import json
import os
import sys

import pytest

from minopy import __version__
from minopy.errors import ConfigError, InputDataError, StepError
from minopy.runner import load_step, resolve_steps, run_steps
from minopy.workflow import STATE_FILE, STEP_NAMES, TIMING_FILE


def _runs(work_dir) -> list[str]:
    path = work_dir / "runs.txt"
    return path.read_text().split() if path.exists() else []


def test_steps_run_in_order_and_record_state(fake_steps, project, tmp_path):
    fake_steps(load_data="good", phase_linking="good")
    wd = tmp_path / "wd"
    run_steps(project, wd, ["load_data", "phase_linking"])
    assert _runs(wd) == ["load_data", "phase_linking"]
    assert (wd / "load_data.out").read_text() == "patch 64\n"
    state = json.loads((wd / STATE_FILE).read_text())
    assert set(state["steps"]) == {"load_data", "phase_linking"}
    timing = json.loads((wd / TIMING_FILE).read_text())
    assert timing["phase_linking"]["status"] == "done"
    assert timing["phase_linking"]["outputs"] == [str(wd / "phase_linking.out")]
    assert timing["phase_linking"]["seconds"] >= 0
    # provenance copy of the template, nothing written next to the user's template
    assert (wd / "inputs" / "Site.txt").read_text() == project.read_text()
    assert sorted(p.name for p in project.parent.iterdir()) == ["Site.txt", "input.dat"]


def test_rerun_skips_completed_steps(fake_steps, project, tmp_path):
    fake_steps(load_data="good")
    wd = tmp_path / "wd"
    run_steps(project, wd, ["load_data"])
    run_steps(project, wd, ["load_data"])
    assert _runs(wd) == ["load_data"]
    assert "step load_data: up to date, skipped" in (wd / "log").read_text()


@pytest.mark.parametrize("change", ["minopy_option", "mintpy_option", "input_file", "output"])
def test_rerun_when_options_inputs_or_outputs_change(fake_steps, project, tmp_path, change):
    fake_steps(load_data="good")
    wd = tmp_path / "wd"
    run_steps(project, wd, ["load_data"])
    if change == "minopy_option":
        project.write_text("minopy.inversion.patchSize = 32\nmintpy.reference.yx = 10,20\n")
    elif change == "mintpy_option":
        project.write_text("minopy.inversion.patchSize = 64\nmintpy.reference.yx = 11,20\n")
    elif change == "input_file":
        data = project.parent / "input.dat"
        data.write_bytes(b"0123456789")
        stat = data.stat()
        os.utime(data, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    else:
        (wd / "load_data.out").unlink()
    run_steps(project, wd, ["load_data"])
    assert _runs(wd) == ["load_data", "load_data"]


def test_unrelated_option_does_not_rerun(fake_steps, project, tmp_path):
    fake_steps(load_data="good")
    wd = tmp_path / "wd"
    run_steps(project, wd, ["load_data"])
    project.write_text(project.read_text() + "minopy.unwrap.method = whirlwind\n")
    run_steps(project, wd, ["load_data"])
    assert _runs(wd) == ["load_data"]


def test_update_mode_off_always_runs(fake_steps, project, tmp_path):
    fake_steps(load_data="good")
    wd = tmp_path / "wd"
    run_steps(project, wd, ["load_data"], overrides={"minopy.load.updateMode": "no"})
    run_steps(project, wd, ["load_data"], overrides={"minopy.load.updateMode": "no"})
    assert _runs(wd) == ["load_data", "load_data"]


def test_minopy_error_stops_the_run(fake_steps, project, tmp_path):
    fake_steps(load_data="failing", phase_linking="good")
    wd = tmp_path / "wd"
    with pytest.raises(InputDataError, match="x.slc is truncated"):
        run_steps(project, wd, ["load_data", "phase_linking"])
    assert _runs(wd) == []
    log_text = (wd / "log").read_text()
    assert "Traceback" in log_text and "x.slc is truncated" in log_text
    timing = json.loads((wd / TIMING_FILE).read_text())
    assert timing["load_data"]["status"].startswith("failed")


def test_unexpected_exception_is_wrapped_with_step_and_log(fake_steps, project, tmp_path):
    fake_steps(load_data="crashing")
    wd = tmp_path / "wd"
    with pytest.raises(StepError) as info:
        run_steps(project, wd, ["load_data"])
    message = str(info.value)
    assert "step load_data failed with ValueError: shapes (3,) and (4,) not aligned" in message
    assert str(wd / "log") in message
    assert "ValueError" in (wd / "log").read_text()


def test_step_that_writes_nothing_fails(fake_steps, project, tmp_path):
    fake_steps(load_data="silent")
    with pytest.raises(StepError, match="finished but did not write .*never.out"):
        run_steps(project, tmp_path / "wd", ["load_data"])


def test_missing_step_module_is_a_clear_error(fake_steps, project, tmp_path):
    fake_steps(load_data="good")
    wd = tmp_path / "wd"
    with pytest.raises(StepError, match="step phase_linking is not available in this version"):
        run_steps(project, wd, ["load_data", "phase_linking"])
    assert _runs(wd) == []  # checked before anything runs


def test_incomplete_step_module_is_rejected(fake_steps):
    fake_steps(load_data="READS = ()\n")
    with pytest.raises(StepError, match="lacks inputs, outputs, run"):
        load_step("load_data")


def test_template_error_is_logged_and_raised(fake_steps, project, tmp_path):
    fake_steps(load_data="good")
    project.write_text("minopy.inversion.patchSise = 64\n")
    wd = tmp_path / "wd"
    with pytest.raises(ConfigError, match="did you mean minopy.inversion.patchSize"):
        run_steps(project, wd, ["load_data"])
    assert "patchSise" in (wd / "log").read_text()


def test_log_has_header_and_summary(fake_steps, project, tmp_path):
    fake_steps(load_data="good")
    wd = tmp_path / "wd"
    run_steps(project, wd, ["load_data"], argv=["minopyApp.py", str(project)])
    run_steps(project, wd, ["load_data"], argv=["minopyApp.py", str(project), "--again"])
    text = (wd / "log").read_text()
    assert text.count("command: minopyApp.py") == 2 and "--again" in text  # appended
    assert f"minopy {__version__}, started" in text
    assert "step load_data: done in" in text and "outputs: load_data.out" in text


def test_thread_limit_is_applied(fake_steps, project, tmp_path):
    fake_steps(load_data="good")
    run_steps(project, tmp_path / "wd", ["load_data"],
              overrides={"minopy.compute.threadsPerWorker": "3"})
    assert os.environ["OMP_NUM_THREADS"] == "3"
    assert os.environ["OPENBLAS_NUM_THREADS"] == "3"


def test_killed_step_does_not_look_complete(fake_steps, sources, project, tmp_path):
    """A step re-run with update mode off forgets its record before running."""
    fake_steps(load_data="good")
    wd = tmp_path / "wd"
    run_steps(project, wd, ["load_data"])
    fake_steps(load_data=sources.failing.replace("never.out", "load_data.out"))
    for mod in [m for m in sys.modules if m.endswith(".load_data") and "fake" in m]:
        del sys.modules[mod]
    with pytest.raises(InputDataError):
        run_steps(project, wd, ["load_data"], overrides={"minopy.load.updateMode": "no"})
    state = json.loads((wd / STATE_FILE).read_text())
    assert "load_data" not in state["steps"]


def test_resolve_steps():
    assert resolve_steps() == list(STEP_NAMES)
    assert resolve_steps(dostep="unwrap_ifgram") == ["unwrap_ifgram"]
    assert resolve_steps("generate_ifgram", "load_ifgram") == [
        "generate_ifgram", "unwrap_ifgram", "load_ifgram"]
    assert resolve_steps(start="invert_network") == ["invert_network", "timeseries_correction"]
    with pytest.raises(ConfigError, match="comes after"):
        resolve_steps("invert_network", "load_data")
    with pytest.raises(ConfigError, match="did you mean phase_linking"):
        resolve_steps(start="phaselinking")
    with pytest.raises(ConfigError, match="cannot be combined"):
        resolve_steps(start="load_data", dostep="load_data")
