"""The automatic reference-pixel choice (minopy.network.reference) on small arrays."""

from __future__ import annotations

import numpy as np
import pytest

from minopy.errors import StepError
from minopy.network.reference import NEIGHBOURHOOD, choose_reference

SHAPE = (30, 40)
MIN_TCOH = 0.5


def _inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    counts = np.full(SHAPE, 10)
    tcoh = np.full(SHAPE, 0.6)
    coh = np.full(SHAPE, 0.9)  # phase-linked interferograms: spatial coherence near 1 everywhere
    allowed = np.ones(SHAPE, bool)
    return counts, tcoh, coh, allowed


def test_reliable_area_beats_an_isolated_ps_and_area_edges():
    counts, tcoh, coh, allowed = _inputs()
    tcoh[5:20, 20:35] = 0.9
    tcoh[25, 5] = 1.0  # an isolated PS
    coh[25, 5] = 1.0
    choice = choose_reference(counts, 10, tcoh, MIN_TCOH, coh, allowed)
    half = NEIGHBOURHOOD // 2
    assert 5 + half <= choice.y < 20 - half and 20 + half <= choice.x < 35 - half
    assert choice.neighbourhood_temporal_coherence == pytest.approx(0.9)
    assert choice.temporal_coherence == pytest.approx(0.9)
    assert choice.num_unwrapped == 10 and choice.reliable
    assert "unwrapped (connected component != 0) in all 10 kept" in choice.describe()
    assert "mean temporal coherence 0.90" in choice.describe()


def test_spatial_coherence_breaks_ties():
    counts, tcoh, coh, allowed = _inputs()
    coh[2:12, 2:12] = 0.99  # same temporal coherence everywhere: the more coherent area wins
    choice = choose_reference(counts, 10, tcoh, MIN_TCOH, coh, allowed)
    assert 2 + NEIGHBOURHOOD // 2 <= choice.y < 12 - NEIGHBOURHOOD // 2
    assert 2 + NEIGHBOURHOOD // 2 <= choice.x < 12 - NEIGHBOURHOOD // 2


def test_pixels_unwrapped_in_all_pairs_come_first():
    counts, tcoh, coh, allowed = _inputs()
    tcoh[5:20, 20:35] = 0.95
    counts[5:20, 20:35] = 9  # the reliable area is not unwrapped in one pair
    choice = choose_reference(counts, 10, tcoh, MIN_TCOH, coh, allowed)
    assert counts[choice.y, choice.x] == 10
    counts[:] = 7
    counts[0, 0] = 8
    choice = choose_reference(counts, 10, tcoh, MIN_TCOH, coh, allowed)
    assert (choice.y, choice.x, choice.num_unwrapped) == (0, 0, 8)
    assert "unwrapped in 8 of 10 kept interferograms, the most of any pixel" in choice.describe()


def test_reliable_and_allowed_pixels():
    counts, tcoh, coh, allowed = _inputs()
    tcoh[:] = 0.3
    tcoh[5:20, 20:35] = 0.45  # below the threshold, but the best there is
    tcoh[0:3, 12:15] = 0.6  # a small reliable group: chosen while it is the only reliable one
    allowed[:, :10] = False  # e.g. water
    choice = choose_reference(counts, 10, tcoh, MIN_TCOH, coh, allowed)
    assert 0 <= choice.y < 3 and 12 <= choice.x < 15 and choice.reliable
    assert allowed[choice.y, choice.x]
    tcoh[0:3, 12:15] = 0.3  # none reliable: the most reliable neighbourhood anyway
    choice = choose_reference(counts, 10, tcoh, MIN_TCOH, coh, allowed)
    assert 5 <= choice.y < 20 and 20 <= choice.x < 35 and not choice.reliable
    assert "reliable pixels" not in choice.describe()


def test_nan_temporal_coherence_counts_as_zero():
    counts, tcoh, coh, allowed = _inputs()
    tcoh[:, :20] = np.nan
    tcoh[10, 5] = 0.99
    choice = choose_reference(counts, 10, tcoh, MIN_TCOH, coh, allowed)
    assert choice.x >= 20 + NEIGHBOURHOOD // 2


def test_nothing_unwrapped_is_an_error():
    counts, tcoh, coh, allowed = _inputs()
    counts[:] = 0
    with pytest.raises(StepError, match="mintpy.reference.yx"):
        choose_reference(counts, 10, tcoh, MIN_TCOH, coh, allowed)
