"""Network plot: acquisitions in the (time, perpendicular baseline) plane, pairs as lines."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from minopy.io.atomic import atomic_path
from minopy.network.pairs import Pair, to_date


def plot_network(
    path: str | os.PathLike,
    dates: Sequence[str],
    bperp: Sequence[float],
    pairs: Sequence[Pair],
    title: str = "",
) -> Path:
    """Write a PNG of the network: dates as dots at (date, bperp), each pair as a line.

    Parameters
    ----------
    path : path-like
        Output PNG (written atomically).
    dates, bperp
        Acquisition dates ``YYYYMMDD`` and perpendicular baselines in metres.
    pairs : sequence of (d1, d2)
        Interferogram pairs.
    title : str
        Plot title, e.g. the network name.

    Returns
    -------
    Path
        The written file.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    t = [to_date(d) for d in dates]
    b = np.asarray(bperp, dtype=float)
    index = {d: i for i, d in enumerate(dates)}
    used = {d for p in pairs for d in p}
    fig = Figure(figsize=(8, 4.5), dpi=120)
    ax = fig.add_subplot(1, 1, 1)
    for d1, d2 in pairs:
        i, j = index[d1], index[d2]
        # matplotlib's stubs do not list dates, which its unit converters plot
        ax.plot([t[i], t[j]], [b[i], b[j]],  # type: ignore[arg-type]
                "-", color="tab:blue", lw=0.8, alpha=0.7)
    free = np.array([d not in used for d in dates])
    tt = np.array(t, dtype="datetime64[D]")
    ax.plot(tt[~free], b[~free], "o", color="tab:orange", ms=5, zorder=3, label="acquisition")
    if free.any():
        ax.plot(tt[free], b[free], "x", color="tab:red", ms=7, zorder=3, label="unconnected")
    ax.set_xlabel("Time")
    ax.set_ylabel("Perpendicular baseline [m]")
    ax.set_title(f"{title}: {len(dates)} dates, {len(pairs)} pairs" if title else
                 f"{len(dates)} dates, {len(pairs)} pairs")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    fig.autofmt_xdate()
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return path
