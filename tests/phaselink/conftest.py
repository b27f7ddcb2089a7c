"""Fixtures for the phase-linking tests."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # for _coherence_models


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
