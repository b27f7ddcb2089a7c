"""The pure block inversion of invert_network (no files): phases in, metres out."""

from __future__ import annotations

import numpy as np

from minopy.steps.invert_network import InversionSettings, Network, invert_block

DATES = ["20200101", "20200113", "20200125", "20200206"]
PAIRS = ["20200101_20200113", "20200113_20200125", "20200101_20200125", "20200125_20200206"]
WAVELENGTH = 0.0555


def _network() -> Network:
    incidence = np.zeros((len(DATES), len(PAIRS)), np.float32)
    for k, pair in enumerate(PAIRS):
        incidence[DATES.index(pair[:8]), k] = incidence[DATES.index(pair[9:]), k] = 1.0
    return Network("unwrapPhase", np.arange(len(PAIRS)), PAIRS, DATES, 0, 0,
                   np.zeros(len(PAIRS)), (len(PAIRS), 1, 3), incidence,
                   np.zeros(len(DATES), np.float32), {})


def _settings(**changes) -> InversionSettings:
    base = dict(weight_func="no", norm="L2", min_tcoh=0.5, min_norm_velocity=True, smoothing=0.01,
                mask_name=None, mask_threshold=0.4, min_redundancy=1.0, looks=1.0,
                wavelength=WAVELENGTH)
    return InversionSettings(**{**base, **changes})


def test_block_inversion_recovers_the_phase_history_in_metres() -> None:
    truth = np.array([0.0, 0.4, 1.1, 1.5])  # rad, one pixel
    pair_phase = np.array([truth[DATES.index(p[9:])] - truth[DATES.index(p[:8])] for p in PAIRS])
    raw = np.repeat(pair_phase[:, None], 3, axis=1)
    comp = np.ones_like(raw)
    tcoh = np.array([0.9, 0.2, 0.9], np.float32)  # the middle pixel is not coherent enough
    raw[3, 2] = np.nan  # the last pixel loses the only pair of the last date
    res = invert_block(raw, comp, None, tcoh, _network(), _settings())
    expected = (truth * -WAVELENGTH / (4 * np.pi)).astype(np.float32)
    np.testing.assert_allclose(res.displacement[:, 0], expected, atol=1e-6)
    assert res.inverted.tolist() == [True, False, False]
    assert res.num_inv.tolist() == [4.0, 0.0, 0.0]
    assert res.low_redundancy == 1 and not res.displacement[:, 1:].any()
