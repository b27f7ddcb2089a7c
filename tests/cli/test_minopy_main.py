"""``minopy`` helper command: demo (with a stand-in simulator), simulate, steps."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

import minopy
from minopy.cli.main import main
from minopy.workflow import STEP_NAMES


@pytest.fixture
def fake_simulator(monkeypatch):
    """Install a stand-in ``minopy.simulate`` that records its calls and writes input.dat."""
    calls: list[dict] = []

    def write_stack(out_dir: Path, preset: str = "demo", layout: str = "tops",
                    seed: int = 0) -> Path:
        calls.append({"out_dir": out_dir, "preset": preset, "layout": layout, "seed": seed})
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "input.dat").write_bytes(b"x" * 8)
        return out_dir

    module = types.ModuleType("minopy.simulate")
    module.write_stack = write_stack
    module.demo_template_text = (
        lambda project: f"minopy.inversion.patchSize = 48\n# {project.name}\n")
    module.PRESETS = {"demo": {}, "small": {}}
    monkeypatch.setitem(sys.modules, "minopy.simulate", module)
    monkeypatch.setattr(minopy, "simulate", module, raising=False)
    return calls


def test_steps_lists_the_nine_steps(capsys):
    assert main(["steps"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[1] for line in lines] == list(STEP_NAMES)


def test_run_and_view_are_the_app_and_the_viewers(monkeypatch, capsys):
    from minopy.cli import minopy_app, tcoh_view

    calls: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(minopy_app, "main", lambda argv: calls.append(("app", argv)) or 0)
    monkeypatch.setattr(tcoh_view, "main", lambda argv: calls.append(("tcoh", argv)) or 0)
    assert main(["run", "t.txt", "--dir", "wd", "--start", "phase_linking"]) == 0
    assert main(["run", "-H"]) == 0  # options of minopyApp.py pass through, -h/-H too
    assert main(["view", "tcoh", "ts.h5", "--slc", "s.h5"]) == 0
    assert calls == [("app", ["t.txt", "--dir", "wd", "--start", "phase_linking"]),
                     ("app", ["-H"]), ("tcoh", ["ts.h5", "--slc", "s.h5"])]
    with pytest.raises(SystemExit):
        main(["view", "nope"])
    assert "invalid choice: 'nope'" in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "demo" in capsys.readouterr().err


def test_demo_simulates_once_and_runs_the_steps(fake_steps, fake_simulator, tmp_path, capsys):
    fake_steps(**{name: "good" for name in STEP_NAMES})
    out = tmp_path / "demo"
    assert main(["demo", "--dir", str(out)]) == 0
    assert fake_simulator == [{"out_dir": out.resolve(), "preset": "demo", "layout": "tops",
                               "seed": 0}]
    assert (out / "demo.txt").read_text() == "minopy.inversion.patchSize = 48\n# demo\n"
    wd = out / "minopy"
    assert (wd / "runs.txt").read_text().split() == list(STEP_NAMES)
    assert (wd / "load_data.out").read_text() == "patch 48\n"
    out_text = capsys.readouterr().out
    assert "demo finished" in out_text and "results (complete)" in out_text
    # the stand-in steps write no velocity: nothing to compare with truth.h5, and it says so
    assert "demo check against truth.h5 skipped" in out_text
    # second run: reuses the data set, every step is up to date
    assert main(["demo", "--dir", str(out)]) == 0
    assert len(fake_simulator) == 1
    assert (wd / "runs.txt").read_text().split() == list(STEP_NAMES)


def test_demo_selected_steps_run_in_workflow_order(fake_steps, fake_simulator, tmp_path):
    fake_steps(load_data="good", phase_linking="good")
    out = tmp_path / "demo"
    assert main(["demo", "--dir", str(out), "--steps", "phase_linking", "load_data"]) == 0
    assert (out / "minopy" / "runs.txt").read_text().split() == ["load_data", "phase_linking"]


def test_demo_bad_step_name(fake_simulator, tmp_path, capsys):
    assert main(["demo", "--dir", str(tmp_path), "--steps", "load"]) == 2
    assert "'load' is not a step" in capsys.readouterr().err
    assert fake_simulator == []


def test_simulate_help_lists_the_presets(capsys):
    with pytest.raises(SystemExit):
        main(["simulate", "-h"])
    text = " ".join(capsys.readouterr().out.split())
    for preset in ("demo (120 x 160 pixels, 60 dates)", "tiny (48 x 64 pixels, 12 dates)",
                   "houston_like"):
        assert preset in text


def test_simulate_passes_options(fake_simulator, tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(["simulate", "--out", str(out), "--preset", "small", "--layout", "stripmap",
                 "--seed", "7"]) == 0
    assert fake_simulator == [{"out_dir": out.resolve(), "preset": "small",
                               "layout": "stripmap", "seed": 7}]
    assert str(out.resolve()) in capsys.readouterr().out


def test_simulate_unknown_preset(fake_simulator, tmp_path, capsys):
    assert main(["simulate", "--out", str(tmp_path), "--preset", "smal"]) == 1
    err = capsys.readouterr().err
    assert "did you mean small" in err and "demo, small" in err
    assert fake_simulator == []


def test_simulate_without_simulator_is_a_clear_error(monkeypatch, tmp_path, capsys):
    module = types.ModuleType("minopy.simulate")  # lacks write_stack
    monkeypatch.setitem(sys.modules, "minopy.simulate", module)
    monkeypatch.setattr(minopy, "simulate", module, raising=False)
    assert main(["simulate", "--out", str(tmp_path)]) == 1
    assert "minopy.simulate is not available" in capsys.readouterr().err


def _demo_work_dir(tmp_path, truth_offset_noise: float):
    """A demo-like project: the plot builders' work directory with a truth.h5 beside it."""
    import h5py
    import numpy as np
    from plot._builders import make_work_dir

    from minopy.plot import write_summary

    ctx = make_work_dir(tmp_path / "project" / "minopy")
    write_summary(ctx.work_dir, ctx.config)
    with h5py.File(ctx.network_dir / "velocity.h5", "r") as f:
        vel = f["velocity"][()]
    noise = np.random.default_rng(1).normal(0, truth_offset_noise, vel.shape)
    with h5py.File(tmp_path / "project" / "truth.h5", "w") as f:
        f["velocity"] = vel + 0.003 + noise
    return ctx.work_dir


def test_demo_check_against_truth_passes_and_is_recorded(tmp_path):
    import json

    from minopy.cli.main import check_demo

    wd = _demo_work_dir(tmp_path, 0.0)
    result = check_demo(wd)
    assert result["result"] == "PASS" and result["velocity_rmse_mm_per_year"] == 0.0
    assert json.loads((wd / "summary.json").read_text())["truth"] == result
    html = (wd / "report.html").read_text()
    assert '<span data-key="truth.result" class="pass">PASS</span>' in html


def test_demo_fails_when_the_velocity_is_off(fake_steps, fake_simulator, tmp_path, capsys,
                                             monkeypatch):
    from minopy.cli import main as main_module

    wd = _demo_work_dir(tmp_path, 0.01)  # 10 mm/yr of noise in the "truth"
    monkeypatch.setattr(main_module, "run_demo", lambda *args, **kwargs: wd)
    assert main(["demo", "--dir", str(tmp_path / "project")]) == 1
    captured = capsys.readouterr()
    assert "FAIL" in captured.out and "tolerance <= 2.5" in captured.out
    assert "does not match truth.h5 within the tolerance" in captured.err
