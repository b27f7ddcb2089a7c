"""SNAPHU and whirlwind on a synthetic bowl (512 x 512): one constant 2*pi*k on >= 99 %."""

from __future__ import annotations

import numpy as np
import pytest

from minopy.errors import StepError
from minopy.unwrap import snaphu_runner
from minopy.unwrap.snaphu_runner import (
    SnaphuOptions,
    config_text,
    effective_overlap,
    tile_counts,
    unwrap_snaphu,
)
from minopy.unwrap.whirlwind_runner import unwrap_whirlwind

N = 512


@pytest.fixture(scope="module")
def bowl() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y, x = np.mgrid[:N, :N] / N
    truth = 240.0 * ((x - 0.5) ** 2 + (y - 0.5) ** 2)  # ~ 10 fringes
    ifg = np.exp(1j * (truth + rng.normal(0, 0.5, (N, N)))).astype(np.complex64)
    coh = np.full((N, N), 0.7, np.float32)
    return truth, ifg, coh


def constant_cycle_fraction(unw: np.ndarray, truth: np.ndarray, valid: np.ndarray) -> float:
    k = np.rint((unw - truth)[valid] / (2 * np.pi)).astype(int)
    return float(np.bincount(k - k.min()).max() / valid.sum())


def test_snaphu_bowl(bowl) -> None:
    truth, ifg, coh = bowl
    unw, cc = unwrap_snaphu(ifg, coh, SnaphuOptions(nlooks=20))
    assert unw.dtype == np.float32 and cc.dtype == np.uint32
    assert (cc > 0).mean() > 0.99
    assert constant_cycle_fraction(unw, truth, cc > 0) >= 0.99


def test_whirlwind_bowl(bowl) -> None:
    truth, ifg, coh = bowl
    unw, cc = unwrap_whirlwind(ifg, coh, 20)
    assert (cc > 0).mean() > 0.99
    assert constant_cycle_fraction(unw, truth, cc > 0) >= 0.99


def test_tiled_agrees_with_single_tile(bowl) -> None:
    truth, ifg, coh = bowl
    ntiles = tile_counts(N, N, N * N / 4)
    assert ntiles == (2, 2)
    opts = SnaphuOptions(nlooks=20, ntiles=ntiles, nproc=2,
                         tile_overlap=effective_overlap(N, N, ntiles, 400))
    assert opts.tile_overlap == 128
    tiled, cc_t = unwrap_snaphu(ifg, coh, opts)
    single, cc_s = unwrap_snaphu(ifg, coh, SnaphuOptions(nlooks=20))
    both = (cc_t > 0) & (cc_s > 0)
    assert both.mean() > 0.98
    assert constant_cycle_fraction(tiled, single, both) >= 0.99
    assert constant_cycle_fraction(tiled, truth, cc_t > 0) >= 0.99


def test_nan_and_zero_coherence_are_masked(bowl) -> None:
    truth, ifg, coh = bowl
    coh = coh.copy()
    ifg = ifg.copy()
    coh[:40] = np.nan
    coh[100:120] = 0
    ifg[200:210, :] = np.nan
    for unw, cc in (unwrap_snaphu(ifg, coh, SnaphuOptions(nlooks=20)),
                    unwrap_whirlwind(ifg, coh, 20)):
        assert np.isfinite(unw).all()
        assert not cc[:40].any() and not cc[100:120].any() and not cc[200:210].any()
        assert np.all(unw[:40] == 0)
        assert (cc[250:] > 0).mean() > 0.99


def test_everything_masked_returns_zeros() -> None:
    ifg = np.ones((64, 64), np.complex64)
    unw, cc = unwrap_snaphu(ifg, np.zeros((64, 64), np.float32), SnaphuOptions())
    assert not unw.any() and not cc.any()


def test_config_has_defo_and_discontinuity(tmp_path) -> None:
    files = {k: tmp_path / k for k in ("igram", "corr", "unw", "conncomp", "mask", "tiledir")}
    text = config_text(files, 100, SnaphuOptions(max_discontinuity=2.5, init="MST",
                                                 ntiles=(2, 3), tile_overlap=50), masked=True)
    for line in ("STATCOSTMODE DEFO", "DEFOMAX_CYCLE 2.5", "INITMETHOD MST", "NTILEROW 2",
                 "NTILECOL 3", "ROWOVRLP 50", "SINGLETILEREOPTIMIZE TRUE", "BYTEMASKFILE",
                 "LINELENGTH 100"):
        assert line in text


def test_tile_counts() -> None:
    assert tile_counts(1000, 1000, 1e7) == (1, 1)
    rows, cols = tile_counts(4000, 10000, 1e7)
    assert rows * cols >= 4 and 4000 / rows == pytest.approx(10000 / cols, rel=0.6)
    assert effective_overlap(1000, 1000, (1, 1), 400) == 0


def test_snaphu_failure_names_pair(bowl, monkeypatch, tmp_path) -> None:
    truth, ifg, coh = bowl
    fake = tmp_path / "snaphu"
    fake.write_text("#!/bin/sh\necho 'ERROR: simulated failure' >&2\nexit 3\n")
    fake.chmod(0o755)

    from contextlib import contextmanager

    @contextmanager
    def fake_exe():
        yield fake

    monkeypatch.setattr(snaphu_runner, "snaphu_executable", fake_exe)
    with pytest.raises(StepError, match=r"(?s)pair 20200101_20200113 \(exit status 3\).*simulated"):
        unwrap_snaphu(ifg[:64, :64], coh[:64, :64], SnaphuOptions(), name="20200101_20200113",
                      scratch_dir=tmp_path)
    assert not list(tmp_path.glob(".snaphu_*"))  # scratch removed
