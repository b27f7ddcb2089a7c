"""The README documents every template option and every step."""

from pathlib import Path

from minopy.config import load_schema
from minopy.steps import STEP_NAMES

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
