"""The work directory: unusable ones, a full disk, the lock, temporaries of interrupted runs."""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import fs_faults
import pytest

from minopy.cli.minopy_app import main
from minopy.errors import WorkDirError
from minopy.run_lock import LOCK_NAME, WorkDirLock, process_start, read_lock
from minopy.runner import run_steps

#: a step that fills the disk half-way through writing its output.
FILLING_STEP = '''
import fs_faults
from minopy.io.atomic import atomic_path

READS = ()


def inputs(ctx):
    return []


def outputs(ctx):
    return [ctx.work_dir / "big.out"]


def run(ctx):
    (ctx.work_dir / ".killed_worker.h5.part4242").write_bytes(b"")  # as a killed worker leaves
    with atomic_path(ctx.work_dir / "big.out") as tmp:
        tmp.write_bytes(b"first block")
        fs_faults.fill_disk()
        ctx.log.info("second block")
        with open(tmp.with_name(tmp.name + ".idx"), "wb") as fh:
            fh.write(b"index")
'''

#: a step that waits until the file ``go`` exists in the work directory (a long run).
WAITING_STEP = '''
import time

READS = ()


def inputs(ctx):
    return []


def outputs(ctx):
    return [ctx.work_dir / "{name}.out"]


def run(ctx):
    (ctx.work_dir / "started").write_text("yes")
    t0 = time.monotonic()
    while not (ctx.work_dir / "go").exists():
        if time.monotonic() - t0 > 60:
            raise RuntimeError("nobody said go")
        time.sleep(0.05)
    (ctx.work_dir / "{name}.out").write_text("done")
'''


def _error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _assert_one_clean_error(code: int, captured, expected: str) -> str:
    assert code == 1
    lines = _error_lines(captured.err)
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("minopyApp.py: error: ")
    assert expected in lines[0]
    assert "Traceback" not in captured.out + captured.err
    return lines[0]


def test_dir_that_is_a_file(fake_steps, project, tmp_path, capsys):
    """R04."""
    fake_steps(load_data="good")
    target = tmp_path / "work"
    target.write_text("not a folder")
    code = main([str(project), "--dir", str(target), "--dostep", "load_data"])
    _assert_one_clean_error(code, capsys.readouterr(),
                            f"cannot use {target} as the work directory: {target} is a file")
    assert target.read_text() == "not a folder"


def test_dir_on_a_read_only_file_system(fake_steps, project, tmp_path, monkeypatch, capsys):
    """R03."""
    fake_steps(load_data="good")
    mount = tmp_path / "ro"
    mount.mkdir()
    with fs_faults.unwritable(mount, monkeypatch, errno.EROFS):
        code = main([str(project), "--dir", str(mount / "work"), "--dostep", "load_data"])
    _assert_one_clean_error(code, capsys.readouterr(), f"cannot create the work directory "
                            f"{mount / 'work'}: read-only file system")
    assert not (mount / "work").exists()


def test_default_dir_inside_a_read_only_input_tree(fake_steps, project, monkeypatch, capsys):
    """R02: no --dir, so the work directory would be <template folder>/minopy."""
    fake_steps(load_data="good")
    before = sorted(p.name for p in project.parent.iterdir())
    with fs_faults.unwritable(project.parent, monkeypatch, errno.EROFS):
        code = main([str(project), "--dostep", "load_data"])
    _assert_one_clean_error(code, capsys.readouterr(), f"cannot create the work directory "
                            f"{project.parent / 'minopy'}: read-only file system")
    assert sorted(p.name for p in project.parent.iterdir()) == before


def test_existing_dir_not_writable(fake_steps, project, tmp_path, monkeypatch, capsys):
    """R06."""
    fake_steps(load_data="good")
    work = tmp_path / "work"
    work.mkdir()
    with fs_faults.unwritable(work, monkeypatch):
        code = main([str(project), "--dir", str(work), "--dostep", "load_data"])
    _assert_one_clean_error(code, capsys.readouterr(),
                            f"cannot write in the work directory {work}: permission denied")
    assert list(work.iterdir()) == []


def test_full_disk_gives_one_message_and_leaves_no_temporaries(fake_steps, project, tmp_path,
                                                                 monkeypatch, capsys):
    """F01: the disk fills up during a step (the log file cannot be written either)."""
    package = fake_steps(load_data=FILLING_STEP)
    work = tmp_path / "work"
    with fs_faults.full_disk(work, monkeypatch):
        code = main([str(project), "--dir", str(work), "--dostep", "load_data"])
    line = _assert_one_clean_error(code, capsys.readouterr(), "disk full: no space left on "
                                   f"device for the work directory {work}")
    assert "during step load_data" in line and "re-run the same command" in line
    assert [p for p in work.rglob("*") if ".part" in p.name] == []
    assert not (work / LOCK_NAME).exists()
    assert not (work / "big.out").exists()
    # space freed: the same command completes
    fake_steps(load_data="good")
    del sys.modules[f"{package}.load_data"]
    assert main([str(project), "--dir", str(work), "--dostep", "load_data"]) == 0


def test_full_disk_in_the_installed_script_exits_at_once(fake_steps, project, tmp_path):
    """The console script prints the one line and ends without the interpreter's clean-up."""
    package = fake_steps(load_data=FILLING_STEP)
    tests_dir = Path(fs_faults.__file__).parent
    driver = tmp_path / "driver.py"
    driver.write_text(textwrap.dedent(f"""
        import sys
        import pytest
        sys.path[:0] = [{str(tmp_path / 'fake_pkgs')!r}, {str(tests_dir)!r}]
        import fs_faults
        from minopy import runner
        from minopy.cli import minopy_app
        runner.STEP_PACKAGE = {package!r}
        sys.argv = ["minopyApp.py", {str(project)!r}, "--dir", {str(tmp_path / 'w')!r},
                    "--dostep", "load_data"]
        with pytest.MonkeyPatch.context() as mp, fs_faults.full_disk(
                __import__("pathlib").Path({str(tmp_path / 'w')!r}), mp):
            minopy_app.console_main()
        print("not reached")
    """))
    result = subprocess.run([sys.executable, str(driver)], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 1, result.stderr
    assert _error_lines(result.stderr) == [line for line in _error_lines(result.stderr)
                                           if line.startswith("minopyApp.py: error: disk full")]
    assert len(_error_lines(result.stderr)) == 1
    assert "not reached" not in result.stdout


def _driver(tmp_path: Path, package: str, work: Path, project: Path) -> Path:
    """A script that runs minopyApp.py with the fake step package (in another process)."""
    driver = tmp_path / "run_app.py"
    driver.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(tmp_path / 'fake_pkgs')!r})
        from minopy import runner
        from minopy.cli import minopy_app
        runner.STEP_PACKAGE = {package!r}
        sys.exit(minopy_app.main([{str(project)!r}, "--dir", {str(work)!r},
                                  "--dostep", "load_data"]))
    """))
    return driver


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    t0 = time.monotonic()
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - t0 < timeout, f"{path} did not appear"
        time.sleep(0.05)


def test_two_concurrent_runs(fake_steps, project, tmp_path, capsys):
    """X01/X02: a second run on the same --dir stops at once, naming the first run."""
    package = fake_steps(load_data=WAITING_STEP)
    work = tmp_path / "work"
    first = subprocess.Popen([sys.executable, str(_driver(tmp_path, package, work, project))],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(work / "started", first)
        code = main([str(project), "--dir", str(work), "--dostep", "load_data"])
        line = _assert_one_clean_error(code, capsys.readouterr(),
                                       f"the work directory {work} is in use by another minopy "
                                       f"run: PID {first.pid} on host {socket.gethostname()}, "
                                       "started ")
        assert "Wait for it to finish" in line
        assert not (work / "load_data.out").exists()
        (work / "go").write_text("")
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0, err
    finally:
        if first.poll() is None:
            first.kill()
    assert (work / "load_data.out").read_text() == "done"
    assert not (work / LOCK_NAME).exists()
    log = (work / "log").read_text()
    assert log.count("step load_data: done in") == 1


def test_lock_of_a_killed_run_is_stale(fake_steps, project, tmp_path, caplog):
    """A run killed with kill -9 leaves its lock; the next run removes it and proceeds."""
    fake_steps(load_data="good")
    work = tmp_path / "work"
    work.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import time
        from pathlib import Path
        from minopy.run_lock import WorkDirLock
        WorkDirLock(Path({str(work)!r}), ["minopyApp.py", "killed.txt"]).__enter__()
        Path({str(work / 'locked')!r}).write_text("")
        time.sleep(600)
    """)], env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        _wait_for(work / "locked", holder)
        assert read_lock(work / LOCK_NAME).pid == holder.pid
        with pytest.raises(WorkDirError, match=f"PID {holder.pid} on host"):
            run_steps(project, work, ["load_data"])
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert (work / LOCK_NAME).exists()
    run_steps(project, work, ["load_data"])
    assert (work / "load_data.out").exists()
    assert f"removed the stale lock of a run that is no longer running (PID {holder.pid}" \
        in (work / "log").read_text()
    assert not (work / LOCK_NAME).exists()


def _write_lock(work: Path, **fields) -> None:
    lock = WorkDirLock(work, ["minopyApp.py", "other.txt"])
    data = {**lock.info.__dict__, **fields}
    (work / LOCK_NAME).write_text(json.dumps(data))


def test_lock_whose_pid_now_belongs_to_another_process_is_stale(fake_steps, project, tmp_path):
    fake_steps(load_data="good")
    work = tmp_path / "work"
    work.mkdir()
    if process_start(os.getppid()) is None:
        pytest.skip("no /proc: process start times are not available on this system")
    _write_lock(work, pid=os.getppid(), process_start="1", token="old")
    run_steps(project, work, ["load_data"])
    assert "removed the stale lock" in (work / "log").read_text()


def test_lock_of_a_run_on_another_host_is_an_error(fake_steps, project, tmp_path):
    fake_steps(load_data="good")
    work = tmp_path / "work"
    work.mkdir()
    _write_lock(work, pid=123, host="node42.cluster", token="other")
    with pytest.raises(WorkDirError) as info:
        run_steps(project, work, ["load_data"])
    message = str(info.value)
    assert "in use by another minopy run: PID 123 on host node42.cluster, started" in message
    assert f"delete {work / LOCK_NAME} and re-run" in message
    assert (work / LOCK_NAME).exists()


def test_lock_is_released_after_success_and_failure(fake_steps, sources, project, tmp_path):
    fake_steps(load_data="good", phase_linking="failing")
    work = tmp_path / "work"
    run_steps(project, work, ["load_data"])
    assert not (work / LOCK_NAME).exists()
    with pytest.raises(Exception, match="truncated"):
        run_steps(project, work, ["phase_linking"])
    assert not (work / LOCK_NAME).exists()


def test_temporaries_of_interrupted_runs_are_removed(fake_steps, project, tmp_path):
    """K2-K4, F02: .part files and SNAPHU/MintPy scratch folders of killed runs."""
    fake_steps(load_data="good")
    work = tmp_path / "work"
    pair = work / "inverted" / "interferograms_sequential_3" / "20200101_20200113"
    stale = [work / "inputs" / ".slcStack.h5.part1234", pair / ".fine.int.part99",
             pair / ".snaphu_k2j3h4", work / "sequential_3_network" / ".timeseries.h5.part7",
             work / "sequential_3_network" / ".mintpy_staging_timeseries_correction"]
    kept = [work / "notes.part", pair / "fine.int", work / "inputs" / ".hidden",
            work / "elsewhere" / ".x.part12"]
    for path in stale + kept:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.name.startswith((".snaphu_", ".mintpy_staging_")):
            path.mkdir()
            (path / "igram.bin").write_bytes(b"x")
        else:
            path.write_bytes(b"x")
    run_steps(project, work, ["load_data"])
    assert [p for p in stale if p.exists()] == []
    assert all(p.exists() for p in kept)
    assert "removed 5 temporary file(s)/folder(s) left by an interrupted run" \
        in (work / "log").read_text()
