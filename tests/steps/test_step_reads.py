"""Each step declares the options it reads (READS), and its fingerprint is made of them.

The demo run checks the reads of every step as they happen (tests/test_end_to_end.py); this
module checks the source of each step module (also the branches the demo does not take) and the
fingerprint's dependence on the declared options.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from steps._config_reads import covered, static_reads

from minopy import runner
from minopy.config import load_config
from minopy.step_context import StepContext
from minopy.workflow import STEP_NAMES


@pytest.mark.parametrize("name", STEP_NAMES)
def test_step_source_reads_only_declared_options(name: str) -> None:
    step = runner.load_step(name)
    declared = (*step.READS, *getattr(step, "VALIDATES", ()))
    missing = sorted(r for r in static_reads(Path(step.__file__)) if not covered(r, declared))
    assert missing == [], f"{name} reads {missing} but READS = {step.READS}"


def test_fingerprint_follows_the_declared_options(tmp_path: Path) -> None:
    step = runner.load_step("unwrap_ifgram")
    assert "unwrap" in step.READS and "inversion" not in step.READS

    def print_of(**overrides: str) -> str:
        return runner.fingerprint(step, StepContext(tmp_path, load_config(overrides=overrides)))

    base = print_of()
    assert print_of(**{"minopy.unwrap.maskWater": "no"}) != base
    assert print_of(**{"minopy.inversion.patchSize": "64"}) == base


def test_a_step_declaring_an_unknown_option_is_rejected(tmp_path: Path, monkeypatch) -> None:
    import types

    module = types.ModuleType("minopy.steps.load_data")
    module.READS = ("unwrap.mask_watr",)  # type: ignore[attr-defined]
    for fname in ("inputs", "outputs", "run"):
        setattr(module, fname, lambda ctx: [])
    monkeypatch.setattr(runner.importlib, "import_module", lambda name: module)
    with pytest.raises(runner.StepError, match="unwrap.mask_watr"):
        runner.load_step("load_data")
