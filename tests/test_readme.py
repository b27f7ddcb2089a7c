"""The README documents every template option and every step, and its template keeps its promise."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from minopy.config import load_schema
from minopy.workflow import STEP_NAMES

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_lists_every_option_with_its_default() -> None:
    text = README.read_text()
    for key, option in load_schema().items():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{key}` |")), None)
        assert row is not None, f"{key} missing from README.md"
        assert f"| {option.default_text()} |" in row, f"{key}: README default is stale"


def test_readme_lists_every_step() -> None:
    text = README.read_text()
    for step in STEP_NAMES:
        assert f"`{step}`" in text


def readme_minimal_template() -> str:
    """The README's minimal template (the code block after "A minimal template")."""
    text = README.read_text()
    start = text.index("A minimal template")
    block = text[text.index("```", start) + 3:]
    return block[block.index("\n") + 1:block.index("```")]


@pytest.mark.slow
def test_readme_minimal_template_stays_under_1_gb_on_a_small_stack(tmp_path: Path) -> None:
    """All nine steps with the README's minimal template on the tiny simulated stack (48 x 64,
    12 dates), in a fresh process: no process of the run exceeds 1 GB (MintPy's KMZ writer alone
    took 2 GB when it was on by default)."""
    from minopy.simulate import write_stack

    project = write_stack(tmp_path / "tiny", preset="tiny", seed=0)
    lines = [line for line in readme_minimal_template().splitlines()
             if not line.startswith("minopy.subset.")]  # the README's area is elsewhere
    template = project / "Tiny.txt"
    template.write_text("\n".join(lines) + "\nminopy.multiprocessing.numProcessor = 2\n")
    env = {**os.environ, "PYTHONPATH": str(README.parent / "src")}
    done = subprocess.run([sys.executable, "-m", "minopy.cli.minopy_app", str(template),
                           "--dir", str(project / "minopy"), "--quiet"], env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads((project / "minopy" / "summary.json").read_text())
    assert summary["status"] == "complete"
    memory = summary["run"]["peak_memory_mb"]
    assert 0 < memory["this_process"] < 1024 and memory["largest_child_process"] < 1024, memory
    assert "Port 8787" not in done.stderr
    assert not list((project / "minopy").rglob("*.kmz"))
