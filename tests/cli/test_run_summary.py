"""The end of every run: summary.json, the results summary on the console, the report."""

from __future__ import annotations

import json

import pytest

from minopy.errors import InputDataError
from minopy.runner import run_steps

WARNING_STEP = '''
import logging
from pathlib import Path

READS = ()


def inputs(ctx):
    return []


def outputs(ctx):
    return [ctx.work_dir / "{name}.out"]


def run(ctx):
    ctx.log.warning("something to look at in {name}")
    (ctx.work_dir / "{name}.out").write_text("x")
'''


def test_a_run_ends_with_its_summary(fake_steps, project, tmp_path, capsys):
    fake_steps(load_data=WARNING_STEP, phase_linking="good")
    wd = tmp_path / "wd"
    run_steps(project, wd, ["load_data", "phase_linking"])
    summary = json.loads((wd / "summary.json").read_text())
    assert summary["status"] == "incomplete (2 of 9 steps done)"
    assert summary["run"]["warnings"] == ["something to look at in load_data"]
    assert summary["run"]["warning_count"] == 1
    assert summary["run"]["wall_seconds"] >= 0
    assert summary["run"]["peak_memory_mb"]["this_process"] > 10
    assert set(summary["run"]["steps"]) == {"load_data", "phase_linking"}
    assert summary["velocity"] is None  # no network products yet
    out = capsys.readouterr().out
    assert "results (incomplete (2 of 9 steps done)):" in out
    assert "velocity: not available" in out and "1 warning(s)" in out
    assert f"summary: {wd / 'summary.json'}" in out
    assert '<section id="summary">' in (wd / "report.html").read_text()
    # also in the log file
    assert "results (incomplete" in (wd / "log").read_text()


def test_a_failed_run_says_where_it_failed(fake_steps, project, tmp_path):
    fake_steps(load_data="failing")
    wd = tmp_path / "wd"
    with pytest.raises(InputDataError):
        run_steps(project, wd, ["load_data"])
    summary = json.loads((wd / "summary.json").read_text())
    assert summary["status"] == "failed in load_data"
    assert any("x.slc is truncated" in w for w in summary["run"]["warnings"])
