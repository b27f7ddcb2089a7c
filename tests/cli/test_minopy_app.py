"""``minopyApp.py`` command line: help, template printing/generation, step selection, exit codes."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from minopy import __version__
from minopy.cli.minopy_app import TEMPLATE_NAME, main
from minopy.config import load_config, load_schema, read_template
from minopy.workflow import STEP_NAMES


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["-v"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"minopyApp.py {__version__}"


def test_help_lists_steps_and_examples(capsys):
    with pytest.raises(SystemExit) as info:
        main(["-h"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for i, name in enumerate(STEP_NAMES, start=1):
        assert re.search(rf"^\s+{i}\. {name}\s+\S", out, re.MULTILINE), name
    assert "--dostep phase_linking" in out and "examples:" in out


def test_no_template_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: minopyApp.py" in capsys.readouterr().err


def test_print_template_documents_every_option(capsys):
    assert main(["-H"]) == 0
    out = capsys.readouterr().out
    for key, opt in load_schema().items():
        line = re.search(rf"^{re.escape(key)}\s+= auto\s+#\[(.*)\], auto for (.*)$", out,
                         re.MULTILINE)
        assert line, key
        assert line.group(2) == opt.default_text()
    for key in ("mintpy.reference.yx", "mintpy.unwrapError.method",
                "mintpy.troposphericDelay.method", "mintpy.geocode.laloStep", "mintpy.save.kmz"):
        assert re.search(rf"^{re.escape(key)}\s+= auto", out, re.MULTILINE), key


def test_generate_template_round_trips_to_defaults(tmp_path, capsys):
    assert main(["-g", "--dir", str(tmp_path)]) == 0
    path = tmp_path / TEMPLATE_NAME
    assert str(path) in capsys.readouterr().out
    config = load_config(path)
    for key, opt in load_schema().items():
        assert config.value(key) == opt.default, key
    assert set(read_template(path)) >= set(load_schema())
    assert config.mintpy["mintpy.reference.yx"] == "auto"
    assert config.mintpy.value("mintpy.reference.yx") is None


def test_generate_template_never_overwrites(tmp_path, capsys):
    (tmp_path / TEMPLATE_NAME).write_text("minopy.inversion.patchSize = 50\n")
    assert main(["-g", "--dir", str(tmp_path)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / TEMPLATE_NAME).read_text() == "minopy.inversion.patchSize = 50\n"


def test_generate_template_in_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["-g"]) == 0
    assert (tmp_path / TEMPLATE_NAME).is_file()


@pytest.mark.parametrize("args, expected", [
    (["--dostep", "unwrap"], "did you mean unwrap_ifgram"),
    (["--start", "load"], "is not a step"),
    (["--end", "invert_netwrk"], "did you mean invert_network"),
    (["--start", "invert_network", "--end", "load_data"], "comes after"),
    (["--stop", "load_data", "--start", "phase_linking"], "comes after"),
])
def test_bad_step_selection_exits_2(project, args, expected, capsys):
    assert main([str(project), *args]) == 2
    assert expected in capsys.readouterr().err


def test_missing_template_exits_2(tmp_path, capsys):
    assert main([str(tmp_path / "nope.txt")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_runs_steps_in_default_work_dir(fake_steps, project, capsys):
    fake_steps(load_data="good", phase_linking="good", concatenate_patch="good")
    assert main([str(project), "--end", "phase_linking"]) == 0
    wd = project.parent / "minopy"
    assert (wd / "runs.txt").read_text().split() == ["load_data", "phase_linking"]
    out = capsys.readouterr().out
    assert "step load_data: done in" in out
    assert main([str(project), "--dostep", "concatenate_patch"]) == 0
    assert (wd / "runs.txt").read_text().split()[-1] == "concatenate_patch"
    assert "--dostep concatenate_patch" in (wd / "log").read_text()


def test_quiet_hides_info_but_log_keeps_it(fake_steps, project, tmp_path, capsys):
    fake_steps(load_data="good")
    wd = tmp_path / "wd"
    assert main([str(project), "--dir", str(wd), "--dostep", "load_data", "--quiet"]) == 0
    assert "step load_data" not in capsys.readouterr().out
    assert "step load_data: done in" in (wd / "log").read_text()


def test_failing_step_exits_1_with_message(fake_steps, project, tmp_path, capsys):
    fake_steps(load_data="failing")
    code = main([str(project), "--dir", str(tmp_path / "wd"), "--dostep", "load_data"])
    assert code == 1
    err = capsys.readouterr().err
    assert "minopyApp.py: error: input file /data/x.slc is truncated" in err
    assert "Traceback" not in err


def test_unavailable_step_exits_1(fake_steps, project, tmp_path, capsys):
    fake_steps()
    assert main([str(project), "--dir", str(tmp_path / "wd"), "--dostep", "load_ifgram"]) == 1
    assert "step load_ifgram is not available in this version of minopy" in capsys.readouterr().err


def test_module_entry_point_runs():
    result = subprocess.run([sys.executable, "-m", "minopy.cli.minopy_app", "-H"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0
    assert "minopy.inversion.patchSize" in result.stdout
