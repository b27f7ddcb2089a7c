"""Generic figure writers: 2-D maps, multi-panel maps and histograms saved atomically as PNG.

Figures are built on :class:`matplotlib.figure.Figure` with the Agg canvas directly, never through
``pyplot``, so plotting never touches a display or the global backend state. Every writer returns
the path of the PNG it wrote; the file appears under its final name only once it is complete.

Conventions of every map:

- no-data (NaN, or False in the panel's mask) is drawn in :data:`NODATA_COLOR` (grey), never in a
  colour of the scale; on grey-scale maps (amplitude, coherence), where grey is a value, in
  :data:`NODATA_COLOR_ON_GRAY`. A panel with no-data says so under the map ("no data: N pixels").
- diverging colour maps (velocity, displacement) have limits symmetric about zero;
- every continuous colour bar has a label with the unit (a panel without one is an error);
  categorical maps name their classes instead.

Each PNG records what its maps show: the PNG text entry ``minopy:panels`` is a JSON list with, per
map, its title, data shape, colour-bar label and limits (or class names), no-data colour and count,
and the pixel box ``[left, top, right, bottom]`` of the image in the PNG (:func:`read_panel_boxes`),
so tests can check the scales and sample the colour of known pixels.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm, Colormap, ListedColormap, to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from minopy.io.atomic import atomic_path

#: Figure resolution of every PNG written by minopy.
DPI = 100
#: Largest number of rows/columns shown on a map; bigger arrays are decimated for display.
MAX_DISPLAY_PIXELS = 1500
#: Colour of no-data pixels (NaN or masked) on every map with a colour scale.
NODATA_COLOR = "#9a9a9a"
#: No-data colour on grey-scale maps, where grey would read as a value.
NODATA_COLOR_ON_GRAY = "#e8a33d"
#: Colour maps drawn in shades of grey.
GRAY_CMAPS = frozenset({"gray", "gray_r", "Greys", "Greys_r", "binary", "binary_r", "bone",
                        "bone_r"})
#: Diverging colour maps: their limits are made symmetric about zero.
DIVERGING_CMAPS = frozenset({"RdBu", "RdBu_r", "coolwarm", "coolwarm_r", "bwr", "bwr_r",
                             "seismic", "seismic_r", "PuOr", "PuOr_r", "RdYlBu", "RdYlBu_r",
                             "BrBG", "BrBG_r", "PiYG", "PiYG_r", "PRGn", "PRGn_r"})
#: PNG text entry that lists the maps of a figure and their pixel boxes.
PANELS_KEY = "minopy:panels"
_PANEL_GID = "minopy-panel:"
#: tab10 without its grey, which would look like no-data.
_CATEGORY_COLORS = [colormaps["tab10"](i) for i in (0, 1, 2, 3, 4, 5, 6, 8, 9)]


def new_figure(width: float = 6.0, height: float = 5.0) -> Figure:
    """Return an empty figure attached to an Agg canvas (no display involved)."""
    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, path: str | os.PathLike) -> Path:
    """Save ``fig`` as PNG at ``path`` atomically (temp file + rename) and return the path.

    The figure is cropped to its content (as ``bbox_inches="tight"``). Axes that show a map
    (marked by :func:`write_maps`) are listed with their pixel box in the PNG text entry
    :data:`PANELS_KEY`.
    """
    path = Path(path)
    # new_figure() attaches an Agg canvas (FigureCanvasBase has no get_renderer in the stubs)
    renderer = cast(FigureCanvasAgg, fig.canvas).get_renderer()
    fig.draw(renderer)
    bbox = fig.get_tightbbox(renderer).padded(0.1)
    panels = []
    for ax in fig.axes:
        gid = ax.get_gid() or ""
        if not gid.startswith(_PANEL_GID):
            continue
        info = json.loads(gid[len(_PANEL_GID):])
        box = ax.get_window_extent(renderer)
        left, top = box.x0 - bbox.x0 * fig.dpi, bbox.y1 * fig.dpi - box.y1
        panels.append({**info, "box": [round(left, 1), round(top, 1),
                                       round(left + box.width, 1), round(top + box.height, 1)]})
    metadata = {PANELS_KEY: json.dumps(panels)} if panels else {}
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fig.savefig(fh, format="png", dpi=DPI, bbox_inches=bbox, metadata=metadata)
    return path


def read_panel_boxes(path: str | os.PathLike) -> list[dict]:
    """The maps recorded in a PNG written by :func:`save_figure` (title, shape, pixel box)."""
    from PIL import Image

    with Image.open(path) as img:
        text = img.info.get(PANELS_KEY)
    return json.loads(text) if text else []


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


def symmetric_limits(data: np.ndarray, percentiles: tuple[float, float] = (2.0, 98.0)
                     ) -> tuple[float, float]:
    """Limits ``(-m, m)`` about zero, ``m`` the larger magnitude of the two percentiles."""
    lo, hi = robust_limits(data, percentiles)
    m = max(abs(lo), abs(hi)) or 1.0
    return -m, m


def is_diverging(cmap: str | Colormap) -> bool:
    """Whether ``cmap`` is one of the diverging colour maps (:data:`DIVERGING_CMAPS`)."""
    return (cmap if isinstance(cmap, str) else cmap.name) in DIVERGING_CMAPS


def nodata_color(cmap: str | Colormap) -> str:
    """The no-data colour to use with ``cmap`` (grey, or amber on grey-scale maps)."""
    name = cmap if isinstance(cmap, str) else cmap.name
    return NODATA_COLOR_ON_GRAY if name in GRAY_CMAPS else NODATA_COLOR


def with_nodata(cmap: str | Colormap) -> Colormap:
    """A copy of ``cmap`` whose "bad" (NaN, masked) colour is :func:`nodata_color`."""
    base = colormaps[cmap] if isinstance(cmap, str) else cmap
    return base.with_extremes(bad=nodata_color(cmap))


@dataclass
class MapPanel:
    """One map of a figure.

    Attributes
    ----------
    data : ndarray (L, W)
        Values to show; non-finite values are drawn as no-data (:func:`nodata_color`).
    title : str
        Panel title.
    cmap : str or Colormap
        Matplotlib colormap.
    vmin, vmax : float or None
        Colour limits; None takes the 2nd/98th percentile of the shown values (symmetric about
        zero for a diverging colour map: :func:`symmetric_limits`).
    mask : ndarray (L, W) of bool or None
        Pixels where ``mask`` is False are shown as no-data.
    label : str
        Colour-bar label with the unit; required unless ``ticks`` is given.
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


def panel_limits(panel: MapPanel, data: np.ndarray) -> tuple[float, float]:
    """The colour limits of a continuous panel: its own, or robust (symmetric if diverging)."""
    if panel.vmin is not None and panel.vmax is not None:
        return float(panel.vmin), float(panel.vmax)
    lo, hi = symmetric_limits(data) if is_diverging(panel.cmap) else robust_limits(data)
    return (lo if panel.vmin is None else float(panel.vmin),
            hi if panel.vmax is None else float(panel.vmax))


def draw_panel(fig: Figure, ax, panel: MapPanel) -> None:
    """Draw one map with its colour bar on ``ax`` (the conventions of this module).

    Raises
    ------
    ValueError
        For data that are not 2-D, a mask of another shape, or a continuous map without a label.
    """
    data = np.array(panel.data, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(f"map data must be 2-D, got shape {data.shape}")
    if panel.mask is not None:
        mask = np.asarray(panel.mask, dtype=bool)
        if mask.shape != data.shape:
            raise ValueError(f"mask shape {mask.shape} differs from data shape {data.shape}")
        data[~mask] = np.nan
    if not panel.ticks and not panel.label:
        raise ValueError(f"map {panel.title!r}: a colour bar needs a label with the unit")
    kwargs: dict = {"interpolation": "nearest", "origin": "upper"}
    if panel.extent is not None:
        kwargs["extent"] = panel.extent
    kwargs["aspect"] = panel.aspect or ("auto" if panel.extent is not None else "equal")
    if panel.ticks:
        values = sorted(panel.ticks)
        cmap: Colormap = panel.cmap if isinstance(panel.cmap, ListedColormap) else ListedColormap(
            [_categorical_color(i) for i in range(len(values))])
        cmap = cmap.with_extremes(bad=NODATA_COLOR)
        bounds = [v - 0.5 for v in values] + [values[-1] + 0.5]
        shown = np.full(data.shape, np.nan)
        for v in values:
            shown[data == v] = v
        norm = BoundaryNorm(bounds, cmap.N) if len(values) == cmap.N else None
        img = ax.imshow(np.ma.masked_invalid(shown), cmap=cmap, norm=norm, **kwargs)
        cbar = fig.colorbar(img, ax=ax, ticks=values, shrink=0.85)
        cbar.ax.set_yticklabels([panel.ticks[v] for v in values], fontsize=7)
        missing, bad = int(np.isnan(shown).sum()), NODATA_COLOR
        scale: dict = {"classes": [panel.ticks[v] for v in values]}
    else:
        vmin, vmax = panel_limits(panel, data)
        img = ax.imshow(np.ma.masked_invalid(data), cmap=with_nodata(panel.cmap), vmin=vmin,
                        vmax=vmax, **kwargs)
        cbar = fig.colorbar(img, ax=ax, shrink=0.85)
        cbar.set_label(panel.label)
        missing, bad = int((~np.isfinite(data)).sum()), nodata_color(panel.cmap)
        scale = {"label": panel.label, "limits": [vmin, vmax]}
    if missing:
        ax.legend(handles=[Patch(facecolor=bad, edgecolor="0.3",
                                 label=f"no data: {missing} pixels")],
                  loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=7, frameon=False,
                  handlelength=1.2)
    for px, py, text in panel.points:
        ax.plot(px, py, "k^", markersize=6, markerfacecolor="none")
        ax.annotate(text, (px, py), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.set_title(panel.title, fontsize=10)
    ax.set_xlabel(panel.xlabel, fontsize=8)
    ax.set_ylabel(panel.ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_gid(_PANEL_GID + json.dumps({"title": panel.title, "shape": list(data.shape),
                                        "nodata_color": to_hex(bad), "nodata_pixels": missing,
                                        **scale}))


def _categorical_color(i: int) -> tuple[float, float, float, float]:
    return _CATEGORY_COLORS[i % len(_CATEGORY_COLORS)]


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
        draw_panel(fig, fig.add_subplot(nrows, ncols, i + 1), panel)
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
        # the stubs allow only a sequence for bins; matplotlib takes an array of edges too
        hist = ax.hist(vals, bins=bins,  # type: ignore[arg-type]
                       range=value_range, color="steelblue", edgecolor="none")
        counts = cast(np.ndarray, hist[0])  # one data set: a single array of counts
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
