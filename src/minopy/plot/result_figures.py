"""Figures of the network and result steps: load_ifgram, ifgram_correction, invert_network and
timeseries_correction.

No-data is never drawn as a value: ``timeseries.h5`` holds 0 for the pixels that were not inverted
(MintPy's convention), so every map and point choice here applies ``maskTempCoh`` and the map of
why pixels have no velocity (:func:`minopy.nodata.reason_map`) is drawn beside the velocity.
Velocity maps use a colour scale symmetric about zero, the same limits in radar and geographic
coordinates, and mark the reference point.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
from matplotlib.ticker import MaxNLocator

from minopy import nodata
from minopy.plot.data import (
    fit_velocity,
    newest_timeseries,
    optional_h5_map,
    pick_points,
    read_point_series,
    read_reliable_mask,
)
from minopy.plot.maps import (
    MapPanel,
    display_step,
    draw_panel,
    new_figure,
    save_figure,
    symmetric_limits,
    write_histogram,
    write_maps,
)
from minopy.plot.timeseries import write_point_timeseries
from minopy.step_context import StepContext
from minopy.summary import network_redundancy

#: step -> ((figure file name, caption), ...) in display order.
FIGURES: dict[str, tuple[tuple[str, str], ...]] = {
    "load_ifgram": (
        ("ifgram_stack.png", "Mean coherence of the interferogram stack and pairs per date"),),
    "ifgram_correction": (
        ("reference_point.png", "Reference point on the average spatial coherence, and the "
                                "connected-component mask"),),
    "invert_network": (
        ("velocity_inverted.png", "Velocity fitted to the inverted time series (reliable pixels), "
                                  "and why the other pixels have none"),
        ("network_temporal_coherence.png", "Temporal coherence of the network inversion"),
        ("network_temporal_coherence_hist.png", "Histogram of the inversion temporal coherence"),
    ),
    "timeseries_correction": (
        ("velocity.png", "Velocity (radar coordinates)"),
        ("geo_velocity.png", "Velocity (geographic coordinates, same colour limits)"),
        ("timeseries_points.png", "Displacement time series at the reference point, the "
                                  "fastest-moving and the most coherent reliable pixels"),
    ),
}

#: Pairs averaged at most for the mean-coherence map.
MAX_COHERENCE_PAIRS = 50
#: Points of each kind (fastest-moving, most coherent) in the time-series figure.
NUM_FAST_POINTS = 2
NUM_COHERENT_POINTS = 2
#: Velocities are stored in m/year and shown in cm/year.
M_TO_CM = 100.0
VELOCITY_UNIT = "velocity (cm/year)"


def _pic(ctx: StepContext, name: str) -> Path:
    return ctx.pic_dir / name


def _stack(ctx: StepContext) -> Path:
    return ctx.network_dir / "inputs" / "ifgramStack.h5"


def _reference_yx(path: Path) -> tuple[int, int] | None:
    if not path.is_file():
        return None
    with h5py.File(path, "r") as f:
        if "REF_Y" not in f.attrs or "REF_X" not in f.attrs:
            return None
        return int(f.attrs["REF_Y"]), int(f.attrs["REF_X"])


def _ref_points(ref: tuple[int, int] | None, step: int) -> list[tuple[float, float, str]]:
    return [] if ref is None else [(ref[1] / step, ref[0] / step, "ref")]


# ------------------------------------------------------------------ load_ifgram
def _mean_coherence(stack: Path) -> tuple[np.ndarray, int, int] | None:
    """Mean coherence of (at most MAX_COHERENCE_PAIRS evenly spaced) kept pairs, decimated."""
    with h5py.File(stack, "r") as f:
        if "coherence" not in f:
            return None
        dset = f["coherence"]
        keep = np.flatnonzero(np.asarray(f["dropIfgram"][()], dtype=bool)) \
            if "dropIfgram" in f else np.arange(dset.shape[0])
        if keep.size == 0:
            return None
        idx = keep[np.unique(np.linspace(0, keep.size - 1, min(keep.size, MAX_COHERENCE_PAIRS))
                             .round().astype(int))]
        step = display_step(dset.shape)
        total = None
        for i in idx:
            layer = np.asarray(dset[int(i), ::step, ::step], dtype=np.float64)
            total = layer if total is None else total + layer
    return total / len(idx), step, len(idx)


def _load_ifgram(ctx: StepContext) -> list[Path]:
    stack = _stack(ctx)
    if not stack.is_file():
        return []
    red = network_redundancy(stack)
    fig = new_figure(11.0, 4.2)
    mean = _mean_coherence(stack)
    if mean is not None:
        coh, step, used = mean
        draw_panel(fig, fig.add_subplot(1, 2, 1), MapPanel(
            coh, f"mean coherence of {used} kept pairs" + (f", every {step}th pixel"
                                                         if step > 1 else ""),
            "gray", 0.0, 1.0, label="coherence (0-1)"))
    ax = fig.add_subplot(1, 2, 2)
    x = np.array([np.datetime64(f"{d[:4]}-{d[4:6]}-{d[6:8]}") for d in red.dates])
    ax.bar(x, red.pairs_per_date, width=8.0, color="steelblue")
    ax.set_ylabel("kept interferograms with the date")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    low = int(red.pairs_per_date.min()) if red.dates else 0
    ax.set_title(f"{red.kept} of {red.total} pairs kept; {low} to "
                 f"{int(red.pairs_per_date.max()) if red.dates else 0} pairs per date",
                 fontsize=10)
    fig.autofmt_xdate()
    fig.tight_layout()
    return [save_figure(fig, _pic(ctx, "ifgram_stack.png"))]


# ------------------------------------------------------------- ifgram_correction
def _ifgram_correction(ctx: StepContext) -> list[Path]:
    net = ctx.network_dir
    coh = optional_h5_map(net / "avgSpatialCoh.h5", "coherence")
    if coh is None:
        return []
    with h5py.File(net / "avgSpatialCoh.h5", "r") as f:
        step = display_step(f["coherence"].shape)
    ref = _reference_yx(_stack(ctx))
    where = f"y{ref[0]} x{ref[1]}" if ref else "not set"
    panels = [MapPanel(coh, f"average spatial coherence\nreference {where}", "gray",
                       0.0, 1.0, label="coherence (0-1)", points=_ref_points(ref, step))]
    conn = optional_h5_map(net / "maskConnComp.h5", "mask")
    if conn is not None and conn.shape == coh.shape:
        panels.append(MapPanel(conn.astype(np.float64), "connected in every kept pair",
                               ticks={0: "not connected", 1: "connected"},
                               points=_ref_points(ref, step)))
    return [write_maps(_pic(ctx, "reference_point.png"), panels)]


# ------------------------------------------------------------------ invert_network
def _reason_panel(net: Path, step: int, shape: tuple[int, ...]) -> MapPanel | None:
    try:
        codes = nodata.reason_map(net, step)
    except Exception:  # noqa: BLE001 - the velocity panel is still worth drawing
        return None
    if codes.shape != shape:
        return None
    present = sorted(int(v) for v in np.unique(codes))
    return MapPanel(codes.astype(np.float64), "why pixels have no velocity",
                    ticks={v: nodata.SHORT_REASONS[v] for v in present})


def _invert_network(ctx: StepContext) -> list[Path]:
    out: list[Path] = []
    net = ctx.network_dir
    ts_file = net / "timeseries.h5"
    if ts_file.exists():
        vel, step = fit_velocity(ts_file)
        mask = read_reliable_mask(net, vel.shape, step)
        vel_cm = vel * M_TO_CM
        panels = [MapPanel(vel_cm, "velocity (linear fit), reliable pixels", "RdBu_r",
                           *symmetric_limits(vel_cm[mask] if mask is not None else vel_cm),
                           mask=mask, label=VELOCITY_UNIT)]
        if mask is not None:
            reasons = _reason_panel(net, step, vel.shape)
            if reasons is not None:
                panels.append(reasons)
        out.append(write_maps(_pic(ctx, "velocity_inverted.png"), panels))
    tcoh = optional_h5_map(net / "temporalCoherence.h5", "temporalCoherence")
    if tcoh is not None:
        panels = [MapPanel(tcoh, "temporal coherence", "gray", 0.0, 1.0,
                           label="coherence (0-1)")]
        mask = optional_h5_map(net / "maskTempCoh.h5", "mask")
        if mask is not None:
            panels.append(MapPanel(mask.astype(np.float64), "maskTempCoh",
                                   ticks={0: "not reliable", 1: "reliable"}))
        out.append(write_maps(_pic(ctx, "network_temporal_coherence.png"), panels))
        out.append(write_histogram(_pic(ctx, "network_temporal_coherence_hist.png"), tcoh,
                                   "temporal coherence of the inversion", "temporal coherence",
                                   50, (0.0, 1.0)))
    return out


# ------------------------------------------------------------- timeseries_correction
def _geo_extent(path: Path) -> tuple[float, float, float, float] | None:
    with h5py.File(path, "r") as f:
        attrs = f.attrs
        try:
            x0, y0 = float(attrs["X_FIRST"]), float(attrs["Y_FIRST"])
            dx, dy = float(attrs["X_STEP"]), float(attrs["Y_STEP"])
            length, width = f["velocity"].shape
        except (KeyError, ValueError):
            return None
    return x0, x0 + dx * width, y0 + dy * length, y0


def _geo_reference(path: Path) -> list[tuple[float, float, str]]:
    with h5py.File(path, "r") as f:
        try:
            return [(float(f.attrs["REF_LON"]), float(f.attrs["REF_LAT"]), "ref")]
        except (KeyError, ValueError):
            return []


def velocity_limits(ctx: StepContext) -> tuple[float, float]:
    """Symmetric colour limits (cm/year) of the reliable velocities, shared by radar and geo maps.

    From ``velocity.h5`` masked by ``maskTempCoh`` (``geo/geo_velocity.h5`` when the radar file is
    missing); ``(-1, 1)`` when neither exists.
    """
    net = ctx.network_dir
    for path, geo in ((net / "velocity.h5", False), (net / "geo" / "geo_velocity.h5", True)):
        vel = optional_h5_map(path, "velocity")
        if vel is None:
            continue
        with h5py.File(path, "r") as f:
            step = display_step(f["velocity"].shape)
        mask = read_reliable_mask(net, vel.shape, step, geo=geo)
        values = vel[mask] if mask is not None else vel
        return symmetric_limits(values * M_TO_CM)
    return -1.0, 1.0


def _velocity_figures(ctx: StepContext) -> list[Path]:
    out: list[Path] = []
    net = ctx.network_dir
    vlim = velocity_limits(ctx)
    radar = net / "velocity.h5"
    vel = optional_h5_map(radar, "velocity")
    if vel is not None:
        with h5py.File(radar, "r") as f:
            step = display_step(f["velocity"].shape)
        mask = read_reliable_mask(net, vel.shape, step)
        out.append(write_maps(_pic(ctx, "velocity.png"), [MapPanel(
            vel * M_TO_CM, "velocity relative to the reference point"
            + ("\nreliable pixels (maskTempCoh)" if mask is not None else ""), "RdBu_r", *vlim,
            mask=mask, label=VELOCITY_UNIT, points=_ref_points(_reference_yx(radar), step))]))
    geo_file = net / "geo" / "geo_velocity.h5"
    geo = optional_h5_map(geo_file, "velocity")
    if geo is not None:
        with h5py.File(geo_file, "r") as f:
            step = display_step(f["velocity"].shape)
        mask = read_reliable_mask(net, geo.shape, step, geo=True)
        extent = _geo_extent(geo_file)
        labels = ("longitude (°)", "latitude (°)") if extent else ("column", "row")
        out.append(write_maps(_pic(ctx, "geo_velocity.png"), [MapPanel(
            geo * M_TO_CM, "geocoded velocity" + (", reliable pixels" if mask is not None
                                                  else ""), "RdBu_r", *vlim, mask=mask,
            label=VELOCITY_UNIT, extent=extent, xlabel=labels[0], ylabel=labels[1],
            points=_geo_reference(geo_file) if extent else [])]))
    return out


def choose_points(ts_file: Path, network_dir: Path, num_fast: int = NUM_FAST_POINTS,
                  num_coherent: int = NUM_COHERENT_POINTS
                  ) -> tuple[list[tuple[int, int]], list[str]]:
    """Points of the time-series figure, all reliable (``maskTempCoh``): the reference point, the
    ``num_fast`` fastest-moving pixels and the ``num_coherent`` most coherent ones, spread out.

    Velocities come from ``velocity.h5`` when it is on the time series' grid, else from a linear
    fit to ``ts_file``; both are read decimated (:func:`display_step`) and the points are given in
    full-resolution pixels. Without ``maskTempCoh.h5`` every finite pixel counts as reliable.
    """
    with h5py.File(ts_file, "r") as f:
        _, length, width = f["timeseries"].shape
    step = display_step((length, width))
    ref = _reference_yx(ts_file)
    points: list[tuple[int, int]] = []
    labels: list[str] = []
    if ref is not None and 0 <= ref[0] < length and 0 <= ref[1] < width:
        points.append(ref)
        labels.append(f"reference y{ref[0]} x{ref[1]}")
    vel = optional_h5_map(network_dir / "velocity.h5", "velocity", step=step)
    if vel is None or vel.shape != (len(range(0, length, step)), len(range(0, width, step))):
        vel, _ = fit_velocity(ts_file, step)
    mask = read_reliable_mask(network_dir, vel.shape, step)
    reliable = np.isfinite(vel) & (mask if mask is not None else True)
    tcoh = optional_h5_map(network_dir / "temporalCoherence.h5", "temporalCoherence", step=step)
    if tcoh is None or tcoh.shape != vel.shape:
        tcoh = np.ones(vel.shape)
    near = [(y // step, x // step) for y, x in points]
    spread = max(vel.shape) / 10.0
    for kind, quality, count in (("fastest", np.abs(vel), num_fast),
                                 ("coherent", tcoh, num_coherent)):
        picked = pick_points(np.where(reliable, quality, np.nan), count, spread, exclude=near)
        near += picked
        for y, x in picked:
            points.append((y * step, x * step))
            labels.append(f"{kind} y{y * step} x{x * step}")
    return points, labels


def _timeseries_points(ctx: StepContext) -> list[Path]:
    ts_file = newest_timeseries(ctx.network_dir)
    if ts_file is None:
        return []
    points, labels = choose_points(ts_file, ctx.network_dir)
    if not points:
        return []
    dates, series = read_point_series(ts_file, points)
    with h5py.File(ts_file, "r") as f:
        ref_date = f.attrs.get("REF_DATE", "")
    title = f"displacement from {ts_file.name}" + (f", relative to {ref_date}" if ref_date
                                                   else "")
    return [write_point_timeseries(_pic(ctx, "timeseries_points.png"), dates, series, labels,
                                   title)]


def _timeseries_correction(ctx: StepContext) -> list[Path]:
    return _velocity_figures(ctx) + _timeseries_points(ctx)


#: step -> figure function.
STEP_FUNCTIONS: dict[str, Callable[[StepContext], list[Path]]] = {
    "load_ifgram": _load_ifgram,
    "ifgram_correction": _ifgram_correction,
    "invert_network": _invert_network,
    "timeseries_correction": _timeseries_correction,
}
