"""Shared fixtures: one synthetic work directory with all figures drawn, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from plot._builders import make_work_dir

from minopy.plot import after_step, write_summary
from minopy.step_context import StepContext
from minopy.workflow import STEP_NAMES


@pytest.fixture(scope="session")
def figured_work(tmp_path_factory: pytest.TempPathFactory
                 ) -> tuple[StepContext, dict[str, list[Path]]]:
    """A complete work directory after every step's figures were drawn (via ``after_step``), with
    its ``summary.json``."""
    ctx = make_work_dir(tmp_path_factory.mktemp("figured") / "minopy")
    figures = {step: after_step(ctx, step) for step in STEP_NAMES}
    write_summary(ctx.work_dir, ctx.config)
    return ctx, figures
