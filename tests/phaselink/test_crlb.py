"""CRLB against a direct numpy implementation (anchors §1)."""

from __future__ import annotations

import numpy as np
import pytest
from phaselink._coherence_models import exp_coherence

from minopy.phaselink import crlb_std


def _numpy_crlb(g, looks, ref=0):
    a = np.abs(g)
    x = 2 * looks * (a * np.linalg.inv(a) - np.eye(len(a)))
    idx = [i for i in range(len(a)) if i != ref]
    return np.insert(np.sqrt(np.diag(np.linalg.inv(x[np.ix_(idx, idx)]))), ref, 0.0)


def test_ar1_example():
    n = 10
    g = 0.8 ** np.abs(np.arange(n)[:, None] - np.arange(n)[None, :])
    s = crlb_std(g, 20)
    np.testing.assert_allclose(s, _numpy_crlb(g, 20), rtol=1e-10)
    assert s[0] == 0.0
    assert s[1:].mean() == pytest.approx(0.254, abs=5e-4)
    assert s[-1] == pytest.approx(0.356, abs=5e-4)


def test_constant_coherence_and_reference():
    n = 10
    g = np.full((n, n), 0.6)
    np.fill_diagonal(g, 1.0)
    assert crlb_std(g, 20)[1:].mean() == pytest.approx(0.189, abs=5e-4)
    s3 = crlb_std(g, 20, ref=3)
    np.testing.assert_allclose(s3, _numpy_crlb(g, 20, ref=3), rtol=1e-10)
    assert s3[3] == 0.0


def test_batched_and_singular():
    g1 = exp_coherence(15, 12.0, 0.7, 0.2, 36.0)
    batch = np.stack([g1, g1, np.ones((15, 15))])
    out = crlb_std(batch, np.array([50.0, 435.0, 10.0]))
    np.testing.assert_allclose(out[0], _numpy_crlb(g1, 50), rtol=1e-10)
    np.testing.assert_allclose(out[1], _numpy_crlb(g1, 435), rtol=1e-10)
    assert np.isnan(out[2, 1:]).all() and out[2, 0] == 0.0
    # 1/sqrt(L) scaling
    assert out[0, 1:].mean() / out[1, 1:].mean() == pytest.approx(np.sqrt(435 / 50), rel=1e-10)
