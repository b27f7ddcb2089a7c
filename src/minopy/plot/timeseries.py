"""Point time-series figures: displacement against date, with the linear fit of each point."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes

from minopy.plot.data import decimal_years
from minopy.plot.maps import new_figure, save_figure

#: Displacements are stored in metres and shown in centimetres.
M_TO_CM = 100.0


def linear_fit(dates: Sequence[datetime], values: np.ndarray) -> tuple[float, float]:
    """Least-squares ``values = v * t + c`` with ``t`` in years since the first date.

    Returns
    -------
    (float, float)
        Slope ``v`` (unit per year) and intercept ``c``; NaNs when fewer than 2 finite values.
    """
    years = decimal_years(list(dates))
    vals = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(vals)
    if ok.sum() < 2:
        return float("nan"), float("nan")
    slope, intercept = np.polyfit(years[ok] - years[0], vals[ok], 1)
    return float(slope), float(intercept)


def plot_point_series(ax: Axes, dates: Sequence[datetime], values_m: np.ndarray, label: str,
                      color: str | None = None, fit: bool = True) -> None:
    """Draw one displacement series (metres, shown in cm) and its linear fit on ``ax``."""
    cm = np.asarray(values_m, dtype=np.float64) * M_TO_CM
    slope, intercept = linear_fit(dates, cm) if fit else (float("nan"), float("nan"))
    fitted = bool(np.isfinite(slope))
    # matplotlib's stubs do not list dates, which its unit converters plot
    line = ax.plot(dates, cm, "o", markersize=3, color=color,  # type: ignore[arg-type]
                   label="_nolegend_" if fitted else label)[0]
    if fitted:
        years = decimal_years(list(dates))
        ax.plot(dates, intercept + slope * (years - years[0]),  # type: ignore[arg-type]
                "-", linewidth=1, color=line.get_color(), label=f"{label}: {slope:+.2f} cm/yr")


def write_point_timeseries(path: str | os.PathLike, dates: Sequence[datetime],
                           series_m: np.ndarray, labels: Sequence[str], title: str = "",
                           note: str | None = None) -> Path:
    """Write the displacement time series of several points (one row of ``series_m`` each).

    Parameters
    ----------
    path : path-like
        Output PNG.
    dates : sequence of datetime
        Acquisition dates (N).
    series_m : ndarray (P, N)
        Displacements in metres.
    labels : sequence of str
        One label per point, e.g. ``"y120 x45"``.
    title : str
        Figure title.
    note : str, optional
        Written across the plot, e.g. why a point has no data (its series is then NaN).
    """
    series = np.atleast_2d(np.asarray(series_m, dtype=np.float64))
    if series.shape != (len(labels), len(dates)):
        raise ValueError(f"series shape {series.shape} does not match {len(labels)} labels x "
                         f"{len(dates)} dates")
    fig = new_figure(8.0, 4.2)
    ax = fig.add_subplot(1, 1, 1)
    for values, label in zip(series, labels, strict=True):
        plot_point_series(ax, dates, values, label)
    if note:
        ax.text(0.5, 0.5, note, transform=ax.transAxes, ha="center", va="center", fontsize=10,
                color="0.25", bbox={"facecolor": "0.92", "edgecolor": "0.6"})
    ax.set_xlabel("date")
    ax.set_ylabel("displacement (cm)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    ax.set_title(title, fontsize=10)
    fig.autofmt_xdate()
    fig.tight_layout()
    return save_figure(fig, path)


def write_series_text(path: str | os.PathLike, dates: Sequence[datetime], values_m: np.ndarray,
                      note: str | None = None) -> Path:
    """Write a point's series as text: ``YYYYMMDD displacement_m`` per line (atomically).

    No-data values are written as ``nan``; ``note`` (why there are no data) becomes a comment line.
    """
    from minopy.io.atomic import write_text_atomic

    lines = ["# date displacement(m)"] + ([f"# {note}"] if note else [])
    lines += [f"{d:%Y%m%d} {v:.6f}" for d, v in zip(dates, values_m, strict=True)]
    return write_text_atomic(path, "\n".join(lines) + "\n")
