"""Interferogram network rules: which date pairs to form, as pure functions of dates and baselines.

Every rule returns a sorted list of unique pairs ``(d1, d2)`` of ``YYYYMMDD`` strings with
``d1 < d2`` (the pair folder is ``<earlier>_<later>``), never a self pair.

Rules
-----
``single_reference``
    The reference date (``referenceDate``, or the middle date ``dates[N // 2]``) paired with every
    other date.
``sequential``
    Each date paired with its ``n`` predecessors (``numSequential``).
``mini_stacks``
    One group per calendar year. The group's reference is the first acquisition in
    ``ministackRefMonth``, or, if the year has none, the first acquisition of the middle distinct
    month of that year. The reference is paired with every other date of its year (the last date
    included, no self pair). Consecutive years are linked by (reference, next reference),
    (last date, next first date) and the cross-year pair with the smallest perpendicular baseline.
``delaunay``
    Delaunay triangulation of the points ``(t * s, bperp * ratio)`` where ``t`` is the time in days,
    ``s = span(bperp) / span(t)`` makes both spans equal and ``ratio`` is
    ``delaunayBaselineRatio`` (ratio > 1 favours short perpendicular baselines). Triangle edges
    longer than ``delaunayTempThresh`` days or ``delaunayPerpThresh`` metres are dropped. Dates on a
    line (all baselines equal, or fewer than 3 dates) are triangulated in 1-D: consecutive dates.
``oneYear`` (added to any rule)
    For each date ``d`` the later date closest to ``d + 365`` days, if within ``+-30`` days.
``list``
    Lines ``YYYYMMDD_YYYYMMDD`` read from a user file (``#`` comments and blank lines ignored).

The kinds are registered, with their folder names, in :mod:`minopy.network.kinds`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path

import numpy as np
from scipy.spatial import Delaunay, QhullError

from minopy.errors import ConfigError, InputDataError

log = logging.getLogger(__name__)

Pair = tuple[str, str]

#: the window around 365 days in which oneYear pairs are searched, days.
ONE_YEAR_TOLERANCE_DAYS = 30


def to_date(text: str) -> date:
    """Parse ``YYYYMMDD`` into a :class:`datetime.date` (ValueError if malformed)."""
    return datetime.strptime(text, "%Y%m%d").date()


def days_since_first(dates: Sequence[str]) -> np.ndarray:
    """Days of each date after the first date of ``dates`` (float64)."""
    d = [to_date(x) for x in dates]
    return np.array([(x - d[0]).days for x in d], dtype=np.float64)


def normalize_pairs(pairs: Iterable[tuple[str, str]]) -> list[Pair]:
    """Order each pair as (earlier, later), drop self pairs and duplicates, and sort."""
    out = {(min(a, b), max(a, b)) for a, b in pairs if a != b}
    return sorted(out)


def pair_name(pair: Pair) -> str:
    """``d1_d2`` folder name of a pair."""
    return f"{pair[0]}_{pair[1]}"


def check_dates(dates: Sequence[str]) -> list[str]:
    """``dates`` as a list of str; InputDataError unless they are unique and sorted."""
    dates = [str(d) for d in dates]
    if sorted(set(dates)) != dates:
        raise InputDataError(f"dates must be unique and sorted, got {dates}")
    return dates


def single_reference(dates: Sequence[str], reference: str | None = None) -> list[Pair]:
    """Pairs of one reference date with every other date.

    Parameters
    ----------
    dates : sequence of str
        Sorted unique ``YYYYMMDD`` dates.
    reference : str, optional
        Reference date; None = the middle date ``dates[N // 2]``.

    Raises
    ------
    ConfigError
        If ``reference`` is not one of ``dates``.
    """
    dates = check_dates(dates)
    if reference is None:
        reference = dates[len(dates) // 2]
    if reference not in dates:
        raise ConfigError(
            f"minopy.interferograms.referenceDate = {reference} is not an acquisition date; "
            f"expected one of {dates[0]} ... {dates[-1]} ({len(dates)} dates)"
        )
    return normalize_pairs((reference, d) for d in dates)


def sequential(dates: Sequence[str], num: int) -> list[Pair]:
    """Each date paired with its ``num`` predecessors."""
    dates = check_dates(dates)
    if num < 1:
        raise ConfigError(f"minopy.interferograms.numSequential = {num}; expected >= 1")
    return normalize_pairs(
        (dates[j], dates[i]) for i in range(len(dates)) for j in range(max(0, i - num), i)
    )


def _year_reference(year_dates: list[str], ref_month: int) -> str:
    in_month = [d for d in year_dates if int(d[4:6]) == ref_month]
    if in_month:
        return in_month[0]
    months = sorted({int(d[4:6]) for d in year_dates})
    middle = months[len(months) // 2]
    return next(d for d in year_dates if int(d[4:6]) == middle)


def mini_stacks(dates: Sequence[str], bperp: Sequence[float] | np.ndarray, ref_month: int = 6
                ) -> list[Pair]:
    """Yearly mini-stacks with their reference dates, linked between consecutive years.

    Parameters
    ----------
    dates : sequence of str
        Sorted unique dates.
    bperp : sequence of float
        Perpendicular baseline of each date, metres.
    ref_month : int
        Month (1-12) whose first acquisition is the reference of each year.
    """
    dates = check_dates(dates)
    bp = dict(zip(dates, np.asarray(bperp, dtype=float), strict=True))
    years: dict[str, list[str]] = {}
    for d in dates:
        years.setdefault(d[:4], []).append(d)
    groups = [years[y] for y in sorted(years)]
    refs = [_year_reference(g, ref_month) for g in groups]
    pairs: list[tuple[str, str]] = []
    for group, ref in zip(groups, refs, strict=True):
        pairs += [(ref, d) for d in group]
    for k in range(len(groups) - 1):
        this, nxt = groups[k], groups[k + 1]
        pairs.append((refs[k], refs[k + 1]))
        pairs.append((this[-1], nxt[0]))
        short = min(((a, b) for a in this for b in nxt), key=lambda p: abs(bp[p[0]] - bp[p[1]]))
        pairs.append(short)
    return normalize_pairs(pairs)


def delaunay(
    dates: Sequence[str],
    bperp: Sequence[float] | np.ndarray,
    ratio: float = 1.0,
    temp_thresh: float = 120.0,
    perp_thresh: float = 200.0,
) -> list[Pair]:
    """Delaunay network in the (scaled time, scaled perpendicular baseline) plane.

    Parameters
    ----------
    dates, bperp
        Sorted unique dates and their perpendicular baselines (m).
    ratio : float
        ``delaunayBaselineRatio``: multiplies the baseline axis after the time axis has been scaled
        to the baseline span.
    temp_thresh, perp_thresh : float
        Largest temporal (days) and perpendicular (m) baseline of a kept edge.
    """
    dates = check_dates(dates)
    if ratio <= 0:
        raise ConfigError(f"minopy.interferograms.delaunayBaselineRatio = {ratio}; expected > 0")
    t = days_since_first(dates)
    b = np.asarray(bperp, dtype=float)
    if len(dates) < 2:
        return []
    edges: set[tuple[int, int]] = set()
    b_span, t_span = float(np.ptp(b)), float(np.ptp(t))
    if len(dates) >= 3 and b_span > 0 and t_span > 0:
        points = np.column_stack([t * (b_span / t_span), b * ratio])
        try:
            tri = Delaunay(points)
            for simplex in tri.simplices:
                for i in range(3):
                    a, c = sorted((int(simplex[i]), int(simplex[(i + 1) % 3])))
                    edges.add((a, c))
        except QhullError:  # all points on a line
            edges.clear()
    if not edges:
        edges = {(i, i + 1) for i in range(len(dates) - 1)}
    kept = [
        (dates[i], dates[j]) for i, j in edges
        if abs(t[j] - t[i]) <= temp_thresh and abs(b[j] - b[i]) <= perp_thresh
    ]
    return normalize_pairs(kept)


def one_year(dates: Sequence[str], tolerance: float = ONE_YEAR_TOLERANCE_DAYS) -> list[Pair]:
    """For each date, the later date closest to one year after it, within ``tolerance`` days."""
    dates = check_dates(dates)
    t = days_since_first(dates)
    pairs = []
    for i in range(len(dates)):
        off = np.abs(t[i + 1:] - t[i] - 365.0)
        if off.size and off.min() <= tolerance:
            pairs.append((dates[i], dates[i + 1 + int(np.argmin(off))]))
    return normalize_pairs(pairs)


def read_pair_list(path: str | os.PathLike, dates: Sequence[str]) -> list[Pair]:
    """Read a user pair list (one ``YYYYMMDD_YYYYMMDD`` per line).

    Raises
    ------
    InputDataError
        If the file is missing, a line is malformed or names a date that is not acquired; the
        message names the file and line.
    """
    path = Path(path)
    known = set(dates)
    try:
        lines = path.read_text().splitlines()
    except OSError as err:
        raise InputDataError(
            f"minopy.interferograms.list: cannot read pair list {path}: {err}") from None
    pairs = []
    for num, raw in enumerate(lines, start=1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        parts = text.replace("-", "_").split("_")
        where = f"{path}, line {num} ({raw.strip()!r})"
        if len(parts) != 2:
            raise InputDataError(f"{where}: expected YYYYMMDD_YYYYMMDD")
        for d in parts:
            try:
                to_date(d)
            except ValueError:
                raise InputDataError(f"{where}: {d!r} is not a date YYYYMMDD") from None
            if d not in known:
                raise InputDataError(
                    f"{where}: date {d} is not in the stack (dates {min(known)} ... {max(known)})")
        if parts[0] == parts[1]:
            raise InputDataError(f"{where}: a pair needs two different dates")
        pairs.append((parts[0], parts[1]))
    if not pairs:
        raise InputDataError(f"pair list {path} holds no pairs; expected YYYYMMDD_YYYYMMDD lines")
    return normalize_pairs(pairs)


def connectivity(dates: Sequence[str], pairs: Sequence[Pair]) -> tuple[list[str], list[list[str]]]:
    """Dates used by no pair, and the groups of dates connected by pairs.

    Returns
    -------
    unconnected : list of str
        Dates that appear in no pair.
    groups : list of list of str
        Connected groups of the dates that appear in pairs (one group for a connected network).
    """
    parent = {d: d for d in dates}

    def root(d: str) -> str:
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = parent[d]
        return d

    used: set[str] = set()
    for a, b in pairs:
        used |= {a, b}
        parent[root(a)] = root(b)
    unconnected = [d for d in dates if d not in used]
    groups: dict[str, list[str]] = {}
    for d in dates:
        if d in used:
            groups.setdefault(root(d), []).append(d)
    return unconnected, sorted(groups.values())


def check_network(dates: Sequence[str], pairs: Sequence[Pair], name: str,
                  logger: logging.Logger | None = None) -> None:
    """Warn about dates no pair uses and about a network split into separate groups.

    Raises
    ------
    InputDataError
        If the network has no pairs at all.
    """
    logger = logger or log
    if not pairs:
        raise InputDataError(
            f"network {name} holds no interferogram pairs for {len(dates)} dates; "
            "relax the network options (e.g. delaunayTempThresh/delaunayPerpThresh)")
    unconnected, groups = connectivity(dates, pairs)
    if unconnected:
        logger.warning("network %s leaves %d date(s) unconnected: %s", name, len(unconnected),
                       " ".join(unconnected))
    if len(groups) > 1:
        desc = "; ".join(f"{g[0]}..{g[-1]} ({len(g)} dates)" for g in groups)
        logger.warning(
            "network %s is split into %d disconnected groups: %s. The MintPy network inversion "
            "will be rank-deficient (groups are tied together only by its minimum-norm "
            "constraint).", name, len(groups), desc)


def format_pair_list(pairs: Sequence[Pair]) -> str:
    """Text of ``interferograms_list.txt``: one ``d1_d2`` per line."""
    return "".join(f"{pair_name(p)}\n" for p in pairs)


def parse_pair_list_text(text: str, source: str) -> list[Pair]:
    """Parse the text of a written ``interferograms_list.txt`` (no date check)."""
    pairs = []
    for num, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = line.split("_")
        if len(parts) != 2:
            raise InputDataError(f"{source}, line {num}: {line!r} is not YYYYMMDD_YYYYMMDD")
        pairs.append((parts[0], parts[1]))
    return pairs
