"""Two-stage component joining, filter removal and the unwrap mask."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from minopy.errors import InputDataError
from minopy.unwrap.components import component_offsets, join_components
from minopy.unwrap.filter_removal import remove_filter
from minopy.unwrap.mask import unwrap_mask
from minopy.unwrap.whirlwind_runner import unwrap_whirlwind

TWO_PI = 2 * np.pi


def ramp(shape=(120, 200)) -> np.ndarray:
    y, x = np.mgrid[: shape[0], : shape[1]]
    return (0.15 * x + 0.05 * y).astype(np.float32)


def test_two_components_across_masked_strip() -> None:
    truth = ramp()
    cc = np.zeros(truth.shape, np.uint32)
    cc[:, :110] = 1  # the larger component keeps its phase
    cc[:, 116:] = 2  # masked strip of 6 columns between them
    unw = truth.copy()
    unw[:, 116:] += 3 * TWO_PI  # arbitrary offset of the second component
    unw[cc == 0] = 0
    assert component_offsets(unw, cc) == {1: 0, 2: 3}
    joined = join_components(unw, cc)
    np.testing.assert_allclose(joined[cc > 0], truth[cc > 0], atol=1e-4)
    assert np.all(joined[cc == 0] == 0)


def test_largest_component_fixed_and_chain_of_three() -> None:
    truth = ramp((60, 300))
    cc = np.zeros(truth.shape, np.uint32)
    cc[:, :50] = 3
    cc[:, 55:200] = 1  # largest
    cc[:, 205:] = 2
    unw = truth + TWO_PI * np.select([cc == 3, cc == 1, cc == 2], [-2, 5, 1], 0)
    joined = join_components(unw.astype(np.float32), cc)
    diff = (joined - truth)[cc > 0] / TWO_PI
    np.testing.assert_allclose(diff, 5, atol=1e-3)  # everything aligned to component 1


def test_single_component_unchanged() -> None:
    unw = ramp()
    cc = np.ones(unw.shape, np.uint32)
    assert join_components(unw, cc) is unw


def test_two_stage_after_whirlwind_masked_strip() -> None:
    truth = ramp((128, 256)) * 1.5
    ifg = np.exp(1j * truth).astype(np.complex64)
    mask = np.ones(truth.shape, bool)
    mask[:, 120:130] = False
    unw, cc = unwrap_whirlwind(ifg, np.full(truth.shape, 0.9, np.float32), 20, mask)
    joined = join_components(unw, cc) if cc.max() > 1 else unw
    k = np.rint((joined - truth)[cc > 0] / TWO_PI)
    assert np.unique(k).size == 1


def test_remove_filter_exact_and_idempotent() -> None:
    rng = np.random.default_rng(0)
    truth = ramp() * 2
    unfilt = np.angle(np.exp(1j * (truth + rng.normal(0, 0.6, truth.shape))))
    filt_unw = truth + 4 * TWO_PI  # a perfect unwrapped filtered phase, arbitrary cycle offset
    out = remove_filter(filt_unw, unfilt)
    # congruent to the unfiltered wrapped phase, within pi of the filtered unwrapped phase
    np.testing.assert_allclose(np.angle(np.exp(1j * (out - unfilt))), 0, atol=1e-4)
    assert np.abs(out - filt_unw).max() <= np.pi + 1e-4
    np.testing.assert_allclose(out - filt_unw, np.angle(np.exp(1j * (unfilt - truth))), atol=1e-4)
    # the correction depends only on the original inputs: re-running gives the same result
    np.testing.assert_array_equal(remove_filter(filt_unw, unfilt), out)


def test_unwrap_mask(tmp_path) -> None:
    shape = (20, 30)
    geo = tmp_path / "geometryRadar.h5"
    water = np.ones(shape, bool)
    water[:5] = False  # first rows are water
    shadow = np.zeros(shape, bool)
    shadow[:, :3] = True
    with h5py.File(geo, "w") as f:
        f["waterMask"] = water
        f["shadowMask"] = shadow
    custom = tmp_path / "mask.h5"
    cm = np.ones(shape, np.int8)
    cm[-2:] = 0
    with h5py.File(custom, "w") as f:
        f["mask"] = cm
    m = unwrap_mask(shape, geo, custom, True, True)
    assert not m[:5].any() and not m[:, :3].any() and not m[-2:].any()
    assert m[5:-2, 3:].all()
    assert unwrap_mask(shape, geo, None, False, False) is None
    only_water = unwrap_mask(shape, geo, None, True, False)
    assert only_water[:, :3][5:].all() and not only_water[:5].any()
    assert unwrap_mask(shape, tmp_path / "none.h5", None, True, True) is None
    with pytest.raises(InputDataError, match=r"mask.h5 has shape \(20, 30\), expected \(10, 10\)"):
        unwrap_mask((10, 10), None, custom)
    with pytest.raises(InputDataError, match="does not exist"):
        unwrap_mask(shape, None, tmp_path / "nothere.h5")
