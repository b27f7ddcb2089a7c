"""Tests of perpendicular-baseline reading (topsStack and stripmapStack)."""

from __future__ import annotations

import builders
import numpy as np
import pytest

from minopy.errors import InputDataError
from minopy.io.baselines import read_baselines, read_stripmap_baseline, read_tops_baseline


def test_tops_file_averages_swaths(tmp_path):
    f = tmp_path / "b.txt"
    f.write_text("swath: IW1\nBperp (average): 10.0\nBpar (average): 3\n"
                 "swath: IW2\nBperp (average): 14.0\n")
    assert read_tops_baseline(f) == 12.0


def test_stripmap_file_averages_top_bottom(tmp_path):
    f = tmp_path / "b.txt"
    f.write_text("PERP_BASELINE_BOTTOM 173.9\nPERP_BASELINE_TOP 174.1\n")
    assert read_stripmap_baseline(f) == pytest.approx(174.0)


def test_stack_relative_to_first_date(tmp_path):
    dates = builders.dates_list(5)
    values = builders.bperp_values(dates)
    ref = dates[2]  # reference in the middle: baselines are re-referenced to the first date
    builders.write_tops_baselines(tmp_path, dates, ref, values)
    got = read_baselines(tmp_path / "baselines", dates)
    want = np.array([values[d] - values[dates[0]] for d in dates], np.float32)
    np.testing.assert_allclose(got, want, atol=1e-5)
    assert got.dtype == np.float32 and got[0] == 0


def test_stripmap_stack(stripmap_project):
    dates = sorted(p.name for p in (stripmap_project / "merged" / "SLC").iterdir())
    got = read_baselines(stripmap_project / "baselines", dates)
    values = builders.bperp_values(dates)
    np.testing.assert_allclose(got, [values[d] for d in dates], atol=1e-5)


def test_missing_date_and_bad_lines(tmp_path):
    dates = builders.dates_list(3)
    builders.write_tops_baselines(tmp_path, dates[:2], dates[0], builders.bperp_values(dates))
    with pytest.raises(InputDataError, match=dates[2]):
        read_baselines(tmp_path / "baselines", dates)
    bad = tmp_path / "bad.txt"
    bad.write_text("Bperp (average): abc\n")
    with pytest.raises(InputDataError, match="bad.txt"):
        read_tops_baseline(bad)
    with pytest.raises(InputDataError, match="PERP_BASELINE_TOP"):
        read_stripmap_baseline(bad)
    with pytest.raises(InputDataError, match="does not exist"):
        read_baselines(tmp_path / "nowhere", dates)
