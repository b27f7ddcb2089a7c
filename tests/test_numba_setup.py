"""numba's cache: in the user cache directory, keyed to the kernel sources, announced when cold."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import minopy
from minopy import numba_setup
from minopy.numba_setup import cache_dir, kernel_key, kernels_cached

SRC = Path(minopy.__file__).resolve().parents[1]


def test_cache_dir_rules(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    key = "abc123def456"
    assert cache_dir({}, key) == tmp_path / "home" / ".cache" / "minopy" / f"numba-{key}"
    assert cache_dir({"XDG_CACHE_HOME": "/xdg"}, key) == Path("/xdg/minopy") / f"numba-{key}"
    # NUMBA_CACHE_DIR set by the user wins, and is keyed too
    assert cache_dir({"NUMBA_CACHE_DIR": "/n", "XDG_CACHE_HOME": "/xdg"}, key) == \
        Path("/n") / f"numba-{key}"
    # already keyed (inherited from a parent minopy process): kept, not nested
    assert cache_dir({"NUMBA_CACHE_DIR": f"/n/numba-{key}"}, key) == Path(f"/n/numba-{key}")


def test_key_follows_every_kernel_source(tmp_path: Path) -> None:
    src = tmp_path / "phaselink"
    shutil.copytree(numba_setup.KERNEL_SOURCES, src,
                    ignore=shutil.ignore_patterns("__pycache__"))
    key = kernel_key(src)
    assert key == kernel_key(numba_setup.KERNEL_SOURCES) and len(key) == 12
    helper = src / "_linalg.py"  # a helper: numba would not notice its edit in a caller's cache
    helper.write_text(helper.read_text() + "\n# edited\n")
    assert kernel_key(src) != key


def _python(code: str, env: dict[str, str]) -> str:
    full = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME")}
    full.update(env, PYTHONPATH=str(SRC))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=full, timeout=300, check=True)
    return done.stdout.strip()


def test_import_points_numba_at_the_keyed_user_cache(tmp_path: Path) -> None:
    code = ("import os, minopy, numba; "
            "print(os.environ['NUMBA_CACHE_DIR'] + '|' + numba.config.CACHE_DIR)")
    key = kernel_key()
    env_dir, numba_dir = _python(code, {"XDG_CACHE_HOME": str(tmp_path / "xdg")}).split("|")
    assert env_dir == numba_dir == str(tmp_path / "xdg" / "minopy" / f"numba-{key}")
    # numba imported before minopy still uses it; a user's NUMBA_CACHE_DIR is respected
    code = ("import os, numba, minopy; "
            "print(os.environ['NUMBA_CACHE_DIR'] + '|' + numba.config.CACHE_DIR)")
    env_dir, numba_dir = _python(code, {"NUMBA_CACHE_DIR": str(tmp_path / "mine")}).split("|")
    assert env_dir == numba_dir == str(tmp_path / "mine" / f"numba-{key}")


def test_kernels_compile_into_the_user_cache_not_the_installation(tmp_path: Path) -> None:
    """A read-only installation: the compiled kernel lands in the user cache directory."""
    code = ("import numpy as np; from minopy.phaselink.quality import temporal_coherence; "
            "g = np.eye(3, dtype=np.complex64)[None]; "
            "print(temporal_coherence(g, np.ones((1, 3), np.complex64))[0])")
    before = set((numba_setup.KERNEL_SOURCES / "__pycache__").glob("quality.*.nbi"))
    out = _python(code, {"XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert float(out) == pytest.approx(1.0)
    folder = tmp_path / "xdg" / "minopy" / f"numba-{kernel_key()}"
    assert list(folder.rglob("quality.*.nbi")), "no numba index in the user cache"
    assert set((numba_setup.KERNEL_SOURCES / "__pycache__").glob("quality.*.nbi")) == before


def test_kernels_cached_looks_for_the_patch_kernel(tmp_path: Path) -> None:
    assert not kernels_cached(tmp_path / "missing")
    sub = tmp_path / "phaselink_0123"
    sub.mkdir()
    (sub / "quality.temporal_coherence-12.py311.nbi").write_bytes(b"")
    assert not kernels_cached(tmp_path)
    (sub / "_patch_kernel.patch_kernel-56.py311.nbi").write_bytes(b"")
    assert kernels_cached(tmp_path)


def test_cold_warm_up_is_announced_and_kept_out_of_the_eta(tmp_path: Path, monkeypatch,
                                                           caplog) -> None:
    """A cold cache: the compilation is announced, shows progress, and the patches' ETA and
    time do not include it."""
    import minopy.phaselink.patch as patch_module
    from minopy.steps import phase_linking

    monkeypatch.setattr(numba_setup, "kernels_cached", lambda path=None: False)
    monkeypatch.setattr(patch_module, "process_patch", lambda *a, **k: time.sleep(1.2))
    monkeypatch.setattr(phase_linking, "compute_patch",
                        lambda task: (task.index, phase_linking.np.zeros(3, dtype=int)))
    monkeypatch.setattr("minopy.progress.ACTIVITY_LOG_EVERY_S", 0.5)

    class Ctx:
        log = logging.getLogger("minopy.test_warm_up")
        execution = None

    class Box:
        def __init__(self, index: int) -> None:
            self.name = f"PATCH_{index}"

    class Task:
        """Stands for a PatchTask: run_tasks keys the jobs by the box name and fingerprint."""

        def __init__(self, index: int) -> None:
            self.index, self.box, self.fingerprint = index, Box(index), "0" * 12

    execution = phase_linking.parallel.Execution(True, 1, 1, "test")
    with caplog.at_level(logging.INFO, logger="minopy"):
        counts = phase_linking._run_tasks(Ctx(), [Task(0), Task(1)], execution, None, 3)
    assert set(counts) == {0, 1}
    messages = [r.getMessage() for r in caplog.records]
    first = next(i for i, m in enumerate(messages) if "first run only" in m)
    progress = [i for i, m in enumerate(messages)
                if m.startswith("compiling the phase-linking kernels: ")]
    compiled = next(i for i, m in enumerate(messages) if "kernels compiled in" in m)
    done = next(i for i, m in enumerate(messages) if m.startswith("phase linking: 2/2 done in"))
    assert first < progress[0] < compiled < done
    assert "kernels ready" in messages[progress[0]]
    # the 1.2 s of compilation are not in the patches' time
    assert float(messages[done].split("done in ")[1].rstrip("s")) < 1.0
