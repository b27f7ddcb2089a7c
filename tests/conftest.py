"""Shared fixtures: small ISCE stacks built by ``tests/builders.py``."""

from __future__ import annotations

from pathlib import Path

import builders
import pytest


@pytest.fixture
def tops_project(tmp_path: Path) -> Path:
    """A 5-date, 40 x 30 topsStack-layout project folder."""
    return builders.make_tops_stack(tmp_path / "tops")


@pytest.fixture
def stripmap_project(tmp_path: Path) -> Path:
    """A 4-date, 36 x 28 stripmapStack-layout project folder."""
    return builders.make_stripmap_stack(tmp_path / "stripmap")
