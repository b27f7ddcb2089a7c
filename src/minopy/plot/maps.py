"""Generic figure writers: 2-D maps, multi-panel maps and histograms saved atomically as PNG.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas directly, never through
``pyplot``, so plotting never touches a display or the global backend state. Every writer returns
the path of the PNG it wrote; the file appears under its final name only once it is complete.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure

from minopy.io.atomic import atomic_path

#: Figure resolution of every PNG written by minopy.
DPI = 100
#: Largest number of rows/columns shown on a map; bigger arrays are decimated for display.
MAX_DISPLAY_PIXELS = 1500


def new_figure(width: float = 6.0, height: float = 5.0) -> Figure:
    """Return an empty figure attached to an Agg canvas (no display involved)."""
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, path: str | os.PathLike) -> Path:
    """Save ``fig`` as PNG at ``path`` atomically (temp file + rename) and return the path."""
    path = Path(path)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fig.savefig(fh, format="png", dpi=DPI, bbox_inches="tight")
    return path


def display_step(shape: Sequence[int], max_pixels: int = MAX_DISPLAY_PIXELS) -> int:
    """Decimation stride so that neither of the last two dimensions exceeds ``max_pixels``."""
    return max(1, math.ceil(max(int(shape[-2]), int(shape[-1])) / max_pixels))


def robust_limits(data: np.ndarray, percentiles: tuple[float, float] = (2.0, 98.0)
                  ) -> tuple[float, float]:
    """Colour limits from percentiles of the finite values; ``(0, 1)`` if none are finite."""
    finite = np.asarray(data)[np.isfinite(data)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = (float(v) for v in np.percentile(finite, percentiles))
    if hi <= lo:
        hi = lo + (abs(lo) * 1e-3 or 1.0)
    return lo, hi


@dataclass
class MapPanel:
    """One map of a figure.

    Attributes
    ----------
    data : ndarray (L, W)
        Values to show; non-finite values are drawn as no-data (white).
    title : str
        Panel title.
    cmap : str or Colormap
        Matplotlib colormap.
    vmin, vmax : float or None
        Colour limits; None takes the 2nd/98th percentile of the shown values.
    mask : ndarray (L, W) of bool or None
        Pixels where ``mask`` is False are shown as no-data.
    label : str
        Colour-bar label (unit).
    ticks : dict[int, str] or None
        For categorical maps: value -> name; draws a discrete colour bar with these names.
    extent : (left, right, bottom, top) or None
        Axis coordinates of the image (geographic maps); None uses column/row numbers.
    xlabel, ylabel : str
        Axis labels.
    points : list of (x, y, label)
        Points marked with a triangle and a label, in axis coordinates.
    aspect : str or None
        Image aspect; default ``"equal"`` (pixels square), or ``"auto"`` with an ``extent``.
    """

    data: np.ndarray
    title: str = ""
    cmap: str | ListedColormap = "viridis"
    vmin: float | None = None
    vmax: float | None = None
    mask: np.ndarray | None = None
    label: str = ""
    ticks: dict[int, str] | None = None
    extent: tuple[float, float, float, float] | None = None
    xlabel: str = "range (column)"
    ylabel: str = "azimuth (row)"
    points: list[tuple[float, float, str]] = field(default_factory=list)
    aspect: str | None = None


def _draw_panel(fig: Figure, ax, panel: MapPanel) -> None:
    data = np.array(panel.data, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(f"map data must be 2-D, got shape {data.shape}")
    if panel.mask is not None:
        mask = np.asarray(panel.mask, dtype=bool)
        if mask.shape != data.shape:
            raise ValueError(f"mask shape {mask.shape} differs from data shape {data.shape}")
        data[~mask] = np.nan
    kwargs: dict = {"interpolation": "nearest", "origin": "upper"}
    if panel.extent is not None:
        kwargs["extent"] = panel.extent
    kwargs["aspect"] = panel.aspect or ("auto" if panel.extent is not None else "equal")
    if panel.ticks:
        values = sorted(panel.ticks)
        cmap = panel.cmap if isinstance(panel.cmap, ListedColormap) else ListedColormap(
            [_categorical_color(i) for i in range(len(values))])
        bounds = [v - 0.5 for v in values] + [values[-1] + 0.5]
        shown = np.full(data.shape, np.nan)
        for v in values:
            shown[data == v] = v
        norm = BoundaryNorm(bounds, cmap.N) if len(values) == cmap.N else None
        img = ax.imshow(np.ma.masked_invalid(shown), cmap=cmap, norm=norm, **kwargs)
        cbar = fig.colorbar(img, ax=ax, ticks=values, shrink=0.85)
        cbar.ax.set_yticklabels([panel.ticks[v] for v in values], fontsize=7)
    else:
        vmin, vmax = panel.vmin, panel.vmax
        if vmin is None or vmax is None:
            lo, hi = robust_limits(data)
            vmin = lo if vmin is None else vmin
            vmax = hi if vmax is None else vmax
        img = ax.imshow(np.ma.masked_invalid(data), cmap=panel.cmap, vmin=vmin, vmax=vmax,
                        **kwargs)
        cbar = fig.colorbar(img, ax=ax, shrink=0.85)
        if panel.label:
            cbar.set_label(panel.label)
    for px, py, text in panel.points:
        ax.plot(px, py, "k^", markersize=6, markerfacecolor="none")
        ax.annotate(text, (px, py), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_title(panel.title, fontsize=10)
    ax.set_xlabel(panel.xlabel, fontsize=8)
    ax.set_ylabel(panel.ylabel, fontsize=8)
    ax.tick_params(labelsize=7)


def _categorical_color(i: int) -> tuple[float, float, float, float]:
    from matplotlib import colormaps

    return colormaps["tab10"](i % 10)


def write_maps(path: str | os.PathLike, panels: Sequence[MapPanel], suptitle: str = "",
               ncols: int | None = None) -> Path:
    """Write one or more maps side by side (a grid of ``ncols`` columns) to a PNG.

    Parameters
    ----------
    path : path-like
        Output PNG.
    panels : sequence of MapPanel
        The maps, in reading order.
    suptitle : str
        Figure title.
    ncols : int, optional
        Columns of the grid; default ``min(len(panels), 4)``.

    Returns
    -------
    Path
        The PNG written.
    """
    if not panels:
        raise ValueError("write_maps needs at least one panel")
    ncols = ncols or min(len(panels), 4)
    nrows = math.ceil(len(panels) / ncols)
    fig = new_figure(4.6 * ncols, 4.0 * nrows)
    for i, panel in enumerate(panels):
        _draw_panel(fig, fig.add_subplot(nrows, ncols, i + 1), panel)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return save_figure(fig, path)


def write_map(path: str | os.PathLike, data: np.ndarray, title: str = "",
              cmap: str = "viridis", vmin: float | None = None, vmax: float | None = None,
              mask: np.ndarray | None = None, label: str = "") -> Path:
    """Write a single 2-D map with a colour bar to a PNG.

    Parameters
    ----------
    path : path-like
        Output PNG.
    data : ndarray (L, W)
        Values; non-finite values are shown as no-data.
    title : str
        Figure title.
    cmap : str
        Matplotlib colormap name.
    vmin, vmax : float, optional
        Colour limits (default: 2nd/98th percentiles).
    mask : ndarray (L, W) of bool, optional
        False pixels are shown as no-data.
    label : str
        Colour-bar label.
    """
    return write_maps(path, [MapPanel(data, title, cmap, vmin, vmax, mask, label)])


def write_histogram(path: str | os.PathLike, values: np.ndarray, title: str, xlabel: str,
                    bins: int | np.ndarray = 50, value_range: tuple[float, float] | None = None
                    ) -> Path:
    """Write a histogram of the finite ``values`` to a PNG (count on a log axis if skewed)."""
    vals = np.asarray(values, dtype=np.float64).ravel()
    vals = vals[np.isfinite(vals)]
    fig = new_figure(6.0, 3.8)
    ax = fig.add_subplot(1, 1, 1)
    if vals.size:
        counts, _, _ = ax.hist(vals, bins=bins, range=value_range, color="steelblue",
                               edgecolor="none")
        if counts.max() > 100 * max(1.0, np.median(counts[counts > 0])):
            ax.set_yscale("log")
        ax.axvline(float(np.median(vals)), color="k", linestyle="--", linewidth=1,
                   label=f"median {np.median(vals):.3g}")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no valid values", ha="center", va="center", transform=ax.transAxes)
    ax.set_title(f"{title} ({vals.size} values)", fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("pixel count")
    fig.tight_layout()
    return save_figure(fig, path)
