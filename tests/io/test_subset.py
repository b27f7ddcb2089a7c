"""Tests of radar subset boxes from yx and lat/lon ranges."""

from __future__ import annotations

import numpy as np
import pytest

from minopy.errors import InputDataError
from minopy.io.isce import read_raster
from minopy.io.subset import box_from_lalo, box_from_yx, check_box_size


def test_yx_box():
    assert box_from_yx(((3, 20), (4, 25)), 40, 30) == (4, 3, 25, 20)
    with pytest.raises(InputDataError, match=r"minopy.subset.yx.*0:40.*0:30"):
        box_from_yx(((3, 41), (4, 25)), 40, 30)


@pytest.mark.parametrize("block_rows", [1, 7, 1000])
def test_lalo_box_is_tightest(tops_project, block_rows):
    geom = tops_project / "merged" / "geom_reference"
    lalo = ((29.88, 29.895), (-95.62, -95.605))
    box = box_from_lalo(lalo, geom / "lat.rdr.full", geom / "lon.rdr.full", block_rows)
    lat, lon = read_raster(geom / "lat.rdr.full"), read_raster(geom / "lon.rdr.full")
    inside = (lat >= 29.88) & (lat <= 29.895) & (lon >= -95.62) & (lon <= -95.605)
    rows, cols = np.nonzero(inside)
    assert box == (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1)


def test_lalo_outside(tops_project):
    geom = tops_project / "merged" / "geom_reference"
    with pytest.raises(InputDataError, match=r"outside the image.*latitudes span"):
        box_from_lalo(((10.0, 11.0), (5.0, 6.0)), geom / "lat.rdr.full", geom / "lon.rdr.full")


def test_box_smaller_than_window():
    check_box_size((0, 0, 15, 15), 15, 15, "x")
    with pytest.raises(InputDataError, match="minopy.inversion.azimuthWindow = 15"):
        check_box_size((0, 0, 20, 10), 15, 15, "minopy.subset.yx")
