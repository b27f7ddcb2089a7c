"""No-data in the network products: the reason of each pixel, and NaN in MintPy's velocity.h5."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
from plot._builders import LENGTH, LOW_COHERENCE_COLS, REF_YX, WATER, WIDTH, make_work_dir

from minopy import nodata
from minopy.errors import InputDataError


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_work_dir(tmp_path_factory.mktemp("nodata") / "minopy").network_dir


def test_reason_map_and_counts(network: Path) -> None:
    codes = nodata.reason_map(network)
    assert codes.shape == (LENGTH, WIDTH)
    assert (codes[WATER] == nodata.WATER).all()
    low = codes[:, LOW_COHERENCE_COLS]
    assert (low[: WATER[0].start] == nodata.LOW_COHERENCE).all()
    reliable = np.ones((LENGTH, WIDTH), bool)
    reliable[WATER] = False
    reliable[:, LOW_COHERENCE_COLS] = False
    assert (codes[reliable] == nodata.RELIABLE).all()
    counts = nodata.reason_counts(network)
    assert counts[nodata.RELIABLE] == reliable.sum()
    assert counts[nodata.WATER] == codes[WATER].size
    assert sum(counts.values()) == LENGTH * WIDTH
    # decimated and a band of rows
    np.testing.assert_array_equal(nodata.reason_map(network, 2), codes[::2, ::2])
    np.testing.assert_array_equal(nodata.reason_map(network, 1, slice(3, 9)), codes[3:9])


def test_explain_pixel(network: Path) -> None:
    assert nodata.explain_pixel(network, 3, 10) is None
    assert nodata.explain_pixel(network, 3, 1) == \
        "not inverted: temporal coherence 0.20 < minTempCoh 0.4"
    assert nodata.explain_pixel(network, WATER[0].start, WATER[1].start) == "not inverted: water"


def test_not_inverted_although_coherent(tmp_path: Path) -> None:
    net = make_work_dir(tmp_path / "minopy").network_dir
    with h5py.File(net / "maskTempCoh.h5", "r+") as f:
        f["mask"][4, 20] = False
    with h5py.File(net / "numInvIfgram.h5", "r+") as f:
        f["mask"][4, 20] = 0
    assert nodata.reason_map(net)[4, 20] == nodata.NOT_INVERTED
    assert nodata.explain_pixel(net, 4, 20).startswith(
        "not inverted: too few valid interferograms for a date")
    (net / "maskTempCoh.h5").unlink()
    with pytest.raises(InputDataError, match="maskTempCoh.h5 does not exist"):
        nodata.reason_map(net)


def test_mask_velocity_file(tmp_path: Path) -> None:
    net = make_work_dir(tmp_path / "minopy").network_dir
    vel_file = net / "velocity.h5"
    with h5py.File(vel_file, "r+") as f:
        f["velocityStd"] = np.ones((LENGTH, WIDTH), np.float32)
        f["count"] = np.ones((LENGTH, WIDTH), np.int16)
        before = f["velocity"][()]
    with h5py.File(net / "maskTempCoh.h5", "r") as f:
        good = f["mask"][()]
    good_with_ref = good.copy()
    good_with_ref[REF_YX] = True
    with h5py.File(net / "maskTempCoh.h5", "r+") as f:
        f["mask"][REF_YX] = False  # the reference pixel is kept even so
    count = nodata.mask_velocity_file(vel_file, net / "maskTempCoh.h5", keep=REF_YX)
    assert count == (~good_with_ref).sum()
    with h5py.File(vel_file, "r") as f:
        vel, std, cnt = f["velocity"][()], f["velocityStd"][()], f["count"][()]
        assert f.attrs["NO_DATA_VALUE"] == "nan" and f.attrs["FILE_TYPE"] == "velocity"
    assert np.isnan(vel[~good_with_ref]).all() and np.isnan(std[~good_with_ref]).all()
    np.testing.assert_array_equal(vel[good_with_ref], before[good_with_ref])
    assert (cnt == 1).all()  # integer datasets are left alone
    assert sorted(p.name for p in net.glob(".*velocity*")) == []  # no temporary file left
    # MintPy's view.py reads NaN as no-data
    from mintpy.cli import view

    png = tmp_path / "v.png"
    view.main([str(vel_file), "velocity", "--nodisplay", "-o", str(png)])
    assert png.stat().st_size > 1000
