"""The automatic reference-pixel choice (minopy.network.reference) on small arrays."""

from __future__ import annotations

import numpy as np
import pytest

from minopy.errors import StepError
from minopy.network.reference import NEIGHBOURHOOD, choose_reference

SHAPE = (30, 40)


def _inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    counts = np.full(SHAPE, 10)
    coh = np.full(SHAPE, 0.3)
    allowed = np.ones(SHAPE, bool)
    reliable = np.ones(SHAPE, bool)
    return counts, coh, allowed, reliable


def test_coherent_area_beats_an_isolated_ps_and_area_edges():
    counts, coh, allowed, reliable = _inputs()
    coh[5:20, 20:35] = 0.7
    coh[25, 5] = 1.0  # an isolated PS
    choice = choose_reference(counts, 10, coh, allowed, reliable)
    half = NEIGHBOURHOOD // 2
    assert 5 + half <= choice.y < 20 - half and 20 + half <= choice.x < 35 - half
    assert choice.neighbourhood_coherence == pytest.approx(0.7)
    assert choice.num_unwrapped == 10 and choice.reliable
    assert "unwrapped (connected component != 0) in all 10 kept" in choice.describe()


def test_pixels_unwrapped_in_all_pairs_come_first():
    counts, coh, allowed, reliable = _inputs()
    coh[5:20, 20:35] = 0.9
    counts[5:20, 20:35] = 9  # the coherent area is not unwrapped in one pair
    choice = choose_reference(counts, 10, coh, allowed, reliable)
    assert counts[choice.y, choice.x] == 10
    counts[:] = 7
    counts[0, 0] = 8
    choice = choose_reference(counts, 10, coh, allowed, reliable)
    assert (choice.y, choice.x, choice.num_unwrapped) == (0, 0, 8)
    assert "unwrapped in 8 of 10 kept interferograms, the most of any pixel" in choice.describe()


def test_reliable_and_allowed_pixels():
    counts, coh, allowed, reliable = _inputs()
    coh[5:20, 20:35] = 0.9
    reliable[5:20, 20:35] = False  # low temporal coherence: avoided while others are reliable
    allowed[:, :10] = False  # e.g. water
    choice = choose_reference(counts, 10, coh, allowed, reliable)
    assert reliable[choice.y, choice.x] and allowed[choice.y, choice.x] and choice.reliable
    reliable[:] = False  # none reliable: the most coherent neighbourhood anyway
    choice = choose_reference(counts, 10, coh, allowed, reliable)
    assert 5 <= choice.y < 20 and 20 <= choice.x < 35 and not choice.reliable


def test_nothing_unwrapped_is_an_error():
    counts, coh, allowed, reliable = _inputs()
    counts[:] = 0
    with pytest.raises(StepError, match="mintpy.reference.yx"):
        choose_reference(counts, 10, coh, allowed, reliable)
