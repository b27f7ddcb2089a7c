"""Output strides: coarse-grid metadata (as MintPy's multilook) and the multilooked geometry."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from minopy.errors import ConfigError
from minopy.io.multilook import (
    cell_centre,
    cell_mean,
    multilook_attrs,
    parse_strides,
    write_multilooked_geometry,
)
from minopy.steps.patches import patch_grid

ATTRS = {"LENGTH": "101", "WIDTH": "57", "ALOOKS": "1", "RLOOKS": "1",
         "AZIMUTH_PIXEL_SIZE": "14.1", "RANGE_PIXEL_SIZE": "2.33", "REF_Y": "50", "REF_X": "31",
         "SUBSET_YMIN": "0", "SUBSET_YMAX": "101", "SUBSET_XMIN": "0", "SUBSET_XMAX": "57",
         "WAVELENGTH": "0.0555"}


def test_attributes_match_mintpy_multilook():
    from mintpy.utils.attribute import update_attribute4multilook

    ours = multilook_attrs(ATTRS, (3, 6))
    theirs = update_attribute4multilook(ATTRS, 3, 6, print_msg=False)
    for key, value in theirs.items():
        assert float(ours[key]) == pytest.approx(float(value)), key
    assert ours["minopy.inversion.strides"] == "3,6"
    assert multilook_attrs(ATTRS, (1, 1)) == ATTRS


@pytest.mark.parametrize(("text", "expected"), [("3,6", (3, 6)), (" 2 , 2", (2, 2)),
                                                 (None, (1, 1)), ("auto", (1, 1))])
def test_parse_strides(text, expected):
    assert parse_strides(text) == expected


@pytest.mark.parametrize("text", ["3", "0,1", "a,b", "1,2,3"])
def test_bad_strides_name_the_key(text):
    with pytest.raises(ConfigError, match=r"minopy\.inversion\.strides"):
        parse_strides(text)


def test_cells():
    data = np.arange(7 * 9, dtype=np.float32).reshape(7, 9)
    data[0, 0] = np.nan
    mean = cell_mean(data, (3, 4))
    assert mean.shape == (2, 2)
    assert mean[0, 0] == pytest.approx(np.nanmean(data[:3, :4]))
    assert mean[1, 1] == pytest.approx(data[3:6, 4:8].mean())
    centre = cell_centre(np.arange(7 * 9).reshape(7, 9), (3, 4))
    assert centre.tolist() == [[1 * 9 + 2, 1 * 9 + 6], [4 * 9 + 2, 4 * 9 + 6]]


def test_multilooked_geometry(tmp_path):
    src, dst = tmp_path / "geometryRadar.h5", tmp_path / "coarse.h5"
    rng = np.random.default_rng(0)
    with h5py.File(src, "w") as f:
        f["height"] = rng.normal(size=(101, 57)).astype(np.float32)
        f["waterMask"] = rng.random((101, 57)) > 0.3
        f["bperp"] = np.zeros((3, 101, 57), np.float32)
        f.attrs.update(ATTRS)
    write_multilooked_geometry(src, dst, (3, 6))
    with h5py.File(dst, "r") as f, h5py.File(src, "r") as g:
        assert set(f) == {"height", "waterMask"}
        assert f["height"].shape == (33, 9) and f["waterMask"].dtype == bool
        assert f["height"][1, 2] == pytest.approx(g["height"][3:6, 12:18].mean(), rel=1e-5)
        assert f["waterMask"][1, 2] == g["waterMask"][4, 15]
        assert f.attrs["LENGTH"] == "33" and f.attrs["RLOOKS"] == "6"


@pytest.mark.parametrize(("shape", "strides"), [((101, 57), (3, 6)), ((40, 40), (2, 2)),
                                                ((33, 70), (1, 1))])
def test_patch_cores_hold_whole_cells_and_cover_the_coarse_grid(shape, strides):
    cover = np.zeros((shape[0] // strides[0], shape[1] // strides[1]), int)
    for box in patch_grid(*shape, 16, (7, 7), strides):
        assert box.row0 % strides[0] == 0 and box.col0 % strides[1] == 0
        r0, r1, c0, c1 = box.output_bounds(strides)
        cover[r0:r1, c0:c1] += 1
    assert (cover == 1).all()


def test_truth_comparison_on_the_coarse_grid(tmp_path):
    from minopy.summary import compare_with_truth

    rng = np.random.default_rng(1)
    truth = rng.normal(0, 0.01, (20, 30))
    with h5py.File(tmp_path / "truth.h5", "w") as f:
        f["velocity"] = truth
    vel = cell_centre(truth, (2, 3)) + 1e-4
    with h5py.File(tmp_path / "velocity.h5", "w") as f:
        f["velocity"] = vel.astype(np.float32)
        f.attrs.update({"REF_Y": "3", "REF_X": "4", "minopy.inversion.strides": "2,3"})
    with h5py.File(tmp_path / "maskTempCoh.h5", "w") as f:
        f["mask"] = np.ones(vel.shape, bool)
    result = compare_with_truth(tmp_path, tmp_path / "truth.h5")
    assert result["pixels"] == vel.size and result["velocity_rmse_mm_per_year"] < 0.01


def test_strided_pixels_are_not_multilooked_for_the_inversion_weights():
    from minopy.steps.invert_network import _num_looks

    coarse = multilook_attrs({**ATTRS, "RLOOKS": "4"}, (3, 6))
    assert coarse["ALOOKS"] == "3" and coarse["RLOOKS"] == "24"
    assert _num_looks(coarse) == _num_looks({**ATTRS, "RLOOKS": "4"}) == 2.0
