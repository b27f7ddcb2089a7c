"""Network rules on known date lists and baselines."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import numpy as np
import pytest

from minopy.config import load_config
from minopy.config.sections import InterferogramsOptions
from minopy.errors import ConfigError, InputDataError
from minopy.network import kinds
from minopy.network import pairs as net


def make_dates(n: int, step: int = 12, start: date = date(2019, 1, 5)) -> list[str]:
    return [(start + timedelta(days=step * i)).strftime("%Y%m%d") for i in range(n)]


def assert_well_formed(pairs: list[tuple[str, str]], dates: list[str]) -> None:
    assert pairs == sorted(set(pairs))
    for a, b in pairs:
        assert a < b
        assert a in dates and b in dates


def test_single_reference_middle_and_given() -> None:
    dates = make_dates(7)
    pairs = net.single_reference(dates)
    assert_well_formed(pairs, dates)
    assert len(pairs) == 6
    assert all(dates[3] in p for p in pairs)
    assert (dates[0], dates[3]) in pairs  # reference later than the other date: still d1 < d2
    given = net.single_reference(dates, dates[-1])
    assert len(given) == 6 and all(p[1] == dates[-1] for p in given)
    with pytest.raises(ConfigError, match="referenceDate = 20000101"):
        net.single_reference(dates, "20000101")


def test_sequential_counts() -> None:
    dates = make_dates(10)
    for n in (1, 2, 3):
        pairs = net.sequential(dates, n)
        assert_well_formed(pairs, dates)
        assert len(pairs) == sum(min(i, n) for i in range(10))
    assert net.sequential(dates, 1) == list(zip(dates[:-1], dates[1:], strict=True))


def test_mini_stacks_years_links_last_date() -> None:
    dates = make_dates(70, step=15)  # 2019-01 .. 2021-11: three years
    bperp = np.linspace(-50, 50, 70)
    pairs = net.mini_stacks(dates, bperp, ref_month=6)
    assert_well_formed(pairs, dates)
    used = {d for p in pairs for d in p}
    assert used == set(dates)  # the last date is included
    assert dates[-1] in used
    unconnected, groups = net.connectivity(dates, pairs)
    assert not unconnected and len(groups) == 1
    # references are the first June acquisitions
    refs = [min(d for d in dates if d[:4] == y and d[4:6] == "06") for y in ("2019", "2020")]
    for d in dates:
        if d[:4] == "2019" and d != refs[0]:
            assert tuple(sorted((refs[0], d))) in pairs
    assert tuple(sorted(refs)) in pairs


def test_mini_stacks_year_without_ref_month() -> None:
    dates = ["20190105", "20190301", "20190901", "20200105", "20200210"]
    pairs = net.mini_stacks(dates, np.zeros(5), ref_month=6)
    assert_well_formed(pairs, dates)
    assert {d for p in pairs for d in p} == set(dates)


def test_delaunay_thresholds_and_ratio() -> None:
    dates = make_dates(20)
    rng = np.random.default_rng(1)
    bperp = rng.uniform(-150, 150, 20)
    pairs = net.delaunay(dates, bperp, 1.0, temp_thresh=1e4, perp_thresh=1e4)
    assert_well_formed(pairs, dates)
    # a planar triangulation of n points has at most 3n - 6 edges
    assert len(dates) - 1 <= len(pairs) <= 3 * len(dates) - 6
    t = net.days_since_first(dates)
    short = net.delaunay(dates, bperp, 1.0, temp_thresh=30, perp_thresh=100)
    idx = {d: i for i, d in enumerate(dates)}
    for a, b in short:
        assert abs(t[idx[b]] - t[idx[a]]) <= 30
        assert abs(bperp[idx[b]] - bperp[idx[a]]) <= 100
    assert set(short) <= set(pairs)
    # a large ratio stretches the baseline axis: pairs get shorter perpendicular baselines
    wide = net.delaunay(dates, bperp, 10.0, 1e4, 1e4)
    mean_db = [np.mean([abs(bperp[idx[a]] - bperp[idx[b]]) for a, b in p]) for p in (pairs, wide)]
    assert mean_db[1] <= mean_db[0]


def test_delaunay_collinear_falls_back_to_chain() -> None:
    dates = make_dates(5)
    pairs = net.delaunay(dates, np.zeros(5), 1.0, 1e4, 1e4)
    assert pairs == list(zip(dates[:-1], dates[1:], strict=True))


def test_one_year_pairs() -> None:
    dates = make_dates(40, step=24)
    pairs = net.one_year(dates)
    assert_well_formed(pairs, dates)
    t = dict(zip(dates, net.days_since_first(dates), strict=True))
    for a, b in pairs:
        assert abs(t[b] - t[a] - 365) <= net.ONE_YEAR_TOLERANCE_DAYS
    # every date with a partner within +-30 days of one year gets one
    assert len(pairs) == sum(any(abs(t[b] - t[a] - 365) <= 30 for b in dates) for a in dates)
    options = InterferogramsOptions(type="sequential", num_sequential=1, one_year=True)
    merged = kinds.network_pairs(options, dates, np.zeros(40))
    assert set(pairs) <= set(merged)


def test_pair_list_file(tmp_path) -> None:
    dates = make_dates(5)
    f = tmp_path / "pairs.txt"
    f.write_text(f"# my pairs\n{dates[2]}_{dates[0]}\n\n{dates[1]}_{dates[3]}  # comment\n")
    assert net.read_pair_list(f, dates) == [(dates[0], dates[2]), (dates[1], dates[3])]
    f.write_text(f"{dates[0]}_{dates[1]}\n{dates[0]}_20301231\n")
    with pytest.raises(InputDataError, match=r"line 2 .*20301231"):
        net.read_pair_list(f, dates)
    f.write_text("20190105-x\n")
    with pytest.raises(InputDataError, match="line 1"):
        net.read_pair_list(f, dates)
    with pytest.raises(InputDataError, match="cannot read"):
        net.read_pair_list(tmp_path / "missing.txt", dates)


def test_pairs_from_config_list_relative_to_template(tmp_path) -> None:
    dates = make_dates(4)
    (tmp_path / "pairs.txt").write_text(f"{dates[0]}_{dates[3]}\n")
    template = tmp_path / "t.txt"
    template.write_text("minopy.interferograms.list = pairs.txt\n")
    cfg = load_config(template)
    listed = cfg.resolve_path(cfg.interferograms.list)
    assert listed == str(tmp_path / "pairs.txt")
    pairs = kinds.network_pairs(cfg.interferograms, dates, np.zeros(4), listed)
    assert pairs == [(dates[0], dates[3])]
    assert kinds.network_name(cfg.interferograms) == "list"


def test_network_kinds_are_the_allowed_values_and_name_their_folders() -> None:
    from minopy.config import load_schema

    assert set(load_schema()["minopy.interferograms.type"].choices) == set(kinds.NETWORK_KINDS)
    names = {k: kinds.network_name(InterferogramsOptions(type=k)) for k in kinds.NETWORK_KINDS}
    assert names == {"single_reference": "single_reference", "mini_stacks": "mini_stacks",
                     "delaunay": "delaunay_1", "sequential": "sequential_3"}


def test_check_network_warnings(caplog) -> None:
    dates = make_dates(6)
    pairs = [(dates[0], dates[1]), (dates[2], dates[3])]
    with caplog.at_level(logging.WARNING):
        net.check_network(dates, pairs, "list")
    text = caplog.text
    assert dates[4] in text and dates[5] in text and "unconnected" in text
    assert "2 disconnected groups" in text and "rank-deficient" in text
    with pytest.raises(InputDataError, match="no interferogram pairs"):
        net.check_network(dates, [], "delaunay_1")
