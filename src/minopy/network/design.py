"""Design matrices of an interferogram network (MintPy's conventions), and its connectivity.

An interferogram ``d1_d2`` (``d1`` earlier than ``d2``) observes ``phi(d2) - phi(d1)``, so its
row of the phase design matrix ``A`` has ``-1`` in the column of ``d1`` and ``+1`` in the column of
``d2`` (MintPy ``ifgramStack.get_design_matrix4timeseries``). The first date is the reference: its
column is removed and its phase is zero. The velocity design matrix ``B`` has, for the unknown
velocity ``v_k`` between dates ``k`` and ``k+1``, the interval ``t_{k+1} - t_k`` (years) in every
interferogram that spans it; the phase is then ``phi_k = sum_{j<k} v_j dt_j`` (SBAS minimum-norm
velocity, Berardino et al. 2002).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from minopy.errors import InputDataError


def split_date12(date12_list: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split ``YYYYMMDD_YYYYMMDD`` pair names into first and second dates.

    Raises
    ------
    InputDataError
        If a name is not two 8-digit dates joined by ``_`` with the first one earlier.
    """
    d1s, d2s = [], []
    for name in date12_list:
        parts = str(name).split("_")
        if len(parts) != 2 or not all(len(p) == 8 and p.isdigit() for p in parts):
            raise InputDataError(f"interferogram name {name!r} is not YYYYMMDD_YYYYMMDD")
        if parts[0] >= parts[1]:
            raise InputDataError(
                f"interferogram {name}: the first date must be earlier than the second"
            )
        d1s.append(parts[0])
        d2s.append(parts[1])
    return d1s, d2s


def dates_of(date12_list: Sequence[str]) -> list[str]:
    """Sorted unique dates of the pairs."""
    d1s, d2s = split_date12(date12_list)
    return sorted(set(d1s) | set(d2s))


def years_since_first(date_list: Sequence[str]) -> np.ndarray:
    """Time of each date in years (365.25 days) since the first date, float64."""
    days = [dt.datetime.strptime(d, "%Y%m%d") for d in date_list]
    return np.array([(d - days[0]).days for d in days], dtype=np.float64) / 365.25


def _indices(date12_list: Sequence[str], date_list: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    d1s, d2s = split_date12(date12_list)
    pos = {d: i for i, d in enumerate(date_list)}
    missing = sorted({d for d in d1s + d2s if d not in pos})
    if missing:
        raise InputDataError(f"pair dates {missing} are not in the date list")
    return np.array([pos[d] for d in d1s]), np.array([pos[d] for d in d2s])


def phase_design_matrix(date12_list: Sequence[str], date_list: Sequence[str]) -> np.ndarray:
    """Design matrix ``A`` (M, N-1) for the phase of dates 1..N-1 relative to date 0."""
    i1, i2 = _indices(date12_list, date_list)
    full = np.zeros((len(i1), len(date_list)), dtype=np.float64)
    rows = np.arange(len(i1))
    full[rows, i1] = -1.0
    full[rows, i2] = 1.0
    return full[:, 1:]


def velocity_design_matrix(date12_list: Sequence[str], date_list: Sequence[str]) -> np.ndarray:
    """Design matrix ``B`` (M, N-1) for the velocities between consecutive dates (rad/year)."""
    i1, i2 = _indices(date12_list, date_list)
    dtime = np.diff(years_since_first(date_list))
    mat = np.zeros((len(i1), len(date_list) - 1), dtype=np.float64)
    for row, (a, b) in enumerate(zip(i1, i2, strict=True)):
        mat[row, a:b] = dtime[a:b]
    return mat


def velocity_to_phase(date_list: Sequence[str]) -> np.ndarray:
    """Matrix ``C`` (N-1, N-1) mapping interval velocities to the phases of dates 1..N-1."""
    dtime = np.diff(years_since_first(date_list))
    return np.tril(np.ones((len(dtime), len(dtime)))) * dtime[None, :]


def date_groups(
    date12_list: Sequence[str], date_list: Sequence[str] | None = None
) -> list[list[str]]:
    """Groups of dates connected by the pairs (union-find), largest first.

    A network whose dates fall in more than one group cannot be inverted into one time series.
    """
    if date_list is None:
        date_list = dates_of(date12_list)
    parent = list(range(len(date_list)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if len(date12_list):
        i1, i2 = _indices(date12_list, date_list)
        for a, b in zip(i1, i2, strict=True):
            ra, rb = root(int(a)), root(int(b))
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[str]] = {}
    for i, d in enumerate(date_list):
        groups.setdefault(root(i), []).append(d)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))
