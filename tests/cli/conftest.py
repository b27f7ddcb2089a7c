"""Fixtures for the CLI and runner tests: a package of fake step modules and a clean environment."""

from __future__ import annotations

import importlib
import itertools
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from minopy import runner
from minopy.logging_setup import close_logging
from minopy.parallel_env import THREAD_ENV_VARS

_COUNTER = itertools.count()

#: a step following the protocol: options minopy.inversion.* and mintpy.reference.*, input file
#: <project>/input.dat (plus the project folder itself, which is not fingerprinted), one output.
GOOD_STEP = '''
from pathlib import Path

READS = ("inversion", "mintpy.reference.")


def inputs(ctx):
    return [ctx.project_dir / "input.dat", ctx.project_dir]


def outputs(ctx):
    return [ctx.work_dir / "{name}.out"]


def run(ctx):
    size = ctx.config.inversion.patch_size
    (ctx.work_dir / "{name}.out").write_text(f"patch {{size}}\\n")
    with open(ctx.work_dir / "runs.txt", "a") as f:
        f.write("{name}\\n")
'''

FAILING_STEP = '''
from minopy.errors import InputDataError

READS = ()


def inputs(ctx):
    return []


def outputs(ctx):
    return [ctx.work_dir / "never.out"]


def run(ctx):
    raise InputDataError("input file /data/x.slc is truncated: expected 800 bytes, found 10")
'''

CRASHING_STEP = FAILING_STEP.replace(
    'raise InputDataError("input file /data/x.slc is truncated: expected 800 bytes, found 10")',
    'raise ValueError("shapes (3,) and (4,) not aligned")',
)

SILENT_STEP = FAILING_STEP.replace(
    'raise InputDataError("input file /data/x.slc is truncated: expected 800 bytes, found 10")',
    "pass",
)


@pytest.fixture(autouse=True)
def _clean_state(monkeypatch):
    """Restore the thread variables and remove logging handlers after each test."""
    for name in THREAD_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    yield
    close_logging()


@pytest.fixture
def fake_steps(tmp_path, monkeypatch):
    """Return ``make(**{step: kind or source})`` that installs fake step modules for the runner."""
    root = tmp_path / "fake_pkgs"
    package = f"minopy_fake_steps_{next(_COUNTER)}"
    folder = root / package
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setattr(runner, "STEP_PACKAGE", package)

    kinds = {"good": GOOD_STEP, "failing": FAILING_STEP, "crashing": CRASHING_STEP,
             "silent": SILENT_STEP}

    def make(**sources: str) -> str:
        """Write ``<step>.py`` for each step: a kind (good, failing, crashing, silent) or source."""
        for name, source in sources.items():
            text = kinds.get(source, source)
            (folder / f"{name}.py").write_text(textwrap.dedent(text.format(name=name)))
        importlib.invalidate_caches()
        return package

    yield make
    for mod in [m for m in sys.modules if m.startswith(package)]:
        del sys.modules[mod]


@pytest.fixture
def project(tmp_path) -> Path:
    """A project folder with a template and an input file; returns the template path."""
    proj = tmp_path / "project"
    proj.mkdir()
    (proj / "input.dat").write_bytes(b"0123456789")
    template = proj / "Site.txt"
    template.write_text("minopy.inversion.patchSize = 64\nmintpy.reference.yx = 10,20\n")
    return template


@pytest.fixture
def sources() -> SimpleNamespace:
    """Sources of fake step modules: good, failing (MinopyError), crashing, silent (no output)."""
    return SimpleNamespace(good=GOOD_STEP, failing=FAILING_STEP, crashing=CRASHING_STEP,
                           silent=SILENT_STEP)
