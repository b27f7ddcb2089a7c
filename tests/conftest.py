"""Shared fixtures: small ISCE stacks built by ``tests/builders.py``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import builders  # noqa: E402


@pytest.fixture
def tops_project(tmp_path: Path) -> Path:
    """A 5-date, 40 x 30 topsStack-layout project folder."""
    return builders.make_tops_stack(tmp_path / "tops")


@pytest.fixture
def stripmap_project(tmp_path: Path) -> Path:
    """A 4-date, 36 x 28 stripmapStack-layout project folder."""
    return builders.make_stripmap_stack(tmp_path / "stripmap")
