"""The figures of each workflow step, drawn from the files that step produced.

:func:`figures_for_step` writes a step's figures into ``ctx.pic_dir`` and returns their paths.
Every figure needs only its own input files; a missing optional file just skips that figure.
Figure file names are fixed (:data:`FIGURES`), so the HTML report can find and caption them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import h5py
import numpy as np

from minopy.errors import InputDataError
from minopy.io.atomic import atomic_path
from minopy.io.isce import open_raster, read_info
from minopy.plot.data import (
    fit_velocity,
    mean_amplitude,
    newest_timeseries,
    parse_dates,
    pick_points,
    read_h5_map,
    read_point_series,
)
from minopy.plot.maps import (
    MapPanel,
    display_step,
    new_figure,
    save_figure,
    write_histogram,
    write_maps,
)
from minopy.plot.timeseries import write_point_timeseries
from minopy.steps.context import StepContext

#: step -> ((figure file name, caption), ...) in display order.
FIGURES: dict[str, tuple[tuple[str, str], ...]] = {
    "load_data": (("mean_amplitude.png", "Mean amplitude of the SLC stack"),),
    "concatenate_patch": (
        ("temporal_coherence.png", "Temporal coherence of phase linking (average and full)"),
        ("temporal_coherence_hist.png", "Histogram of the full temporal coherence"),
        ("shp_count.png", "Number of statistically homogeneous pixels (SHP) per pixel"),
        ("shp_count_hist.png", "Histogram of the SHP count"),
        ("ps_mask.png", "Persistent scatterer mask"),
        ("estimator.png", "Estimator used per pixel"),
        ("amplitude_dispersion.png", "Amplitude dispersion index"),
    ),
    "generate_ifgram": (
        ("network.png", "Interferogram network"),
        ("wrapped_ifgrams.png", "Sample wrapped interferograms"),
    ),
    "unwrap_ifgram": (("unwrapped_ifgrams.png", "Sample unwrapped interferograms"),),
    "invert_network": (
        ("velocity_inverted.png", "Velocity fitted to the inverted time series"),
        ("network_temporal_coherence.png", "Temporal coherence of the network inversion"),
        ("network_temporal_coherence_hist.png", "Histogram of the inversion temporal coherence"),
    ),
    "timeseries_correction": (
        ("velocity.png", "Velocity (radar coordinates)"),
        ("geo_velocity.png", "Velocity (geographic coordinates)"),
        ("timeseries_points.png", "Displacement time series at selected points"),
    ),
}

#: Number of sample interferograms drawn per figure.
NUM_SAMPLE_PAIRS = 4
#: Number of points (besides the reference point) in the time-series figure.
NUM_POINTS = 4


def _pic(ctx: StepContext, name: str) -> Path:
    return ctx.pic_dir / name


def _read_raster_map(path: Path, band: int = 1) -> np.ndarray | None:
    """Decimated band of an ISCE raster, or None if the raster is missing."""
    if not (path.exists() and (Path(f"{path}.xml").exists() or Path(f"{path}.vrt").exists())):
        return None
    arr = open_raster(path)
    step = display_step(arr.shape)
    return np.array(arr[band - 1, ::step, ::step])


def _h5_map(path: Path, name: str, index: int | None = None) -> np.ndarray | None:
    """Decimated map from an HDF5 file, or None if the file or dataset is missing."""
    if not path.exists():
        return None
    with h5py.File(path, "r") as f:
        if name not in f:
            return None
    return read_h5_map(path, name, index)[0]


# ------------------------------------------------------------------ load_data
def _load_data(ctx: StepContext) -> list[Path]:
    if not ctx.slc_stack_file.exists():
        return []
    amp, step, used = mean_amplitude(ctx.slc_stack_file)
    with np.errstate(divide="ignore"):
        db = 20.0 * np.log10(np.where(amp > 0, amp, np.nan))
    title = f"mean amplitude of {used} dates" + (f" (every {step}th pixel)" if step > 1 else "")
    return [write_maps(_pic(ctx, "mean_amplitude.png"),
                       [MapPanel(db, title, "gray", label="dB")])]


# ------------------------------------------------------------- concatenate_patch
def _temporal_coherence_maps(ctx: StepContext) -> tuple[np.ndarray | None, np.ndarray | None]:
    avg = _read_raster_map(ctx.temp_coh_raster("average"))
    full = _read_raster_map(ctx.temp_coh_raster("full"))
    if avg is None:
        avg = _h5_map(ctx.phase_series_file, "temporalCoherence", 0)
    if full is None:
        full = _h5_map(ctx.phase_series_file, "temporalCoherence", 1)
    return avg, full


def _estimator_names() -> dict[int, str]:
    try:
        from minopy.phaselink.estimators import ESTIMATOR_CODES
    except ImportError:  # numeric core unavailable: show the codes only
        return {}
    return dict(ESTIMATOR_CODES)


def _concatenate_patch(ctx: StepContext) -> list[Path]:
    out: list[Path] = []
    avg, full = _temporal_coherence_maps(ctx)
    panels = [MapPanel(m, f"temporal coherence ({kind})", "gray", 0.0, 1.0)
              for kind, m in (("average", avg), ("full", full)) if m is not None]
    if panels:
        out.append(write_maps(_pic(ctx, "temporal_coherence.png"), panels))
        values = full if full is not None else avg
        out.append(write_histogram(_pic(ctx, "temporal_coherence_hist.png"), values,
                                   "temporal coherence", "temporal coherence", 50, (0.0, 1.0)))
    shp = _read_raster_map(ctx.inverted_dir / "shp_count")
    if shp is None:
        shp = _h5_map(ctx.phase_series_file, "shp")
    if shp is not None:
        out.append(write_maps(_pic(ctx, "shp_count.png"),
                              [MapPanel(shp, "SHP count", "viridis", 0, None, label="pixels")]))
        top = int(np.nanmax(shp)) if np.isfinite(shp).any() else 1
        out.append(write_histogram(_pic(ctx, "shp_count_hist.png"), shp, "SHP count",
                                   "number of SHPs", np.arange(-0.5, top + 1.5, max(1, top // 60))))
    ps = _h5_map(ctx.ps_mask_file, "mask")
    if ps is not None:
        ps = ps.astype(bool)
        out.append(write_maps(_pic(ctx, "ps_mask.png"), [MapPanel(
            ps.astype(np.float64), f"PS mask ({int(ps.sum())} shown pixels are PS)", "gray_r",
            0.0, 1.0)]))
    est = _h5_map(ctx.phase_series_file, "estimator")
    if est is not None:
        names = _estimator_names()
        present = sorted(int(v) for v in np.unique(est))
        ticks = {v: names.get(v, f"code {v}") for v in present}
        out.append(write_maps(_pic(ctx, "estimator.png"),
                              [MapPanel(est, "phase linking estimator", ticks=ticks)]))
    disp = _read_raster_map(ctx.inverted_dir / "amp_dispersion_index")
    if disp is not None:
        out.append(write_maps(_pic(ctx, "amplitude_dispersion.png"), [MapPanel(
            disp, "amplitude dispersion index", "magma_r", 0.0, 1.0, label="σ_A / μ_A")]))
    return out


# --------------------------------------------------------------- generate_ifgram
def pair_folders(ifgram_dir: Path, file_name: str) -> list[Path]:
    """Pair folders ``<d1>_<d2>`` of ``ifgram_dir`` that hold ``file_name``, sorted by name."""
    if not ifgram_dir.is_dir():
        return []
    return sorted(p for p in ifgram_dir.iterdir()
                  if p.is_dir() and "_" in p.name and (p / file_name).exists())


def sample_pairs(folders: list[Path], count: int = NUM_SAMPLE_PAIRS) -> list[Path]:
    """Up to ``count`` folders spread evenly over the sorted list (first and last included)."""
    if len(folders) <= count:
        return folders
    idx = np.unique(np.linspace(0, len(folders) - 1, count).round().astype(int))
    return [folders[i] for i in idx]


def _stack_dates_bperp(ctx: StepContext) -> tuple[list[datetime], np.ndarray] | None:
    for path in (ctx.slc_stack_file, ctx.phase_series_file):
        if path.exists():
            with h5py.File(path, "r") as f:
                if "date" in f:
                    dates = parse_dates(f["date"][()])
                    bperp = f["bperp"][()] if "bperp" in f else np.zeros(len(dates))
                    return dates, np.asarray(bperp, dtype=np.float64)
    return None


def write_network_plot(path: Path, dates: list[datetime], bperp: np.ndarray,
                       pairs: list[tuple[str, str]]) -> Path:
    """Draw an interferogram network: acquisitions (date, Bperp) joined by one line per pair."""
    lookup = {f"{d:%Y%m%d}": (d, b) for d, b in zip(dates, bperp, strict=True)}
    fig = new_figure(7.0, 4.0)
    ax = fig.add_subplot(1, 1, 1)
    for d1, d2 in pairs:
        if d1 in lookup and d2 in lookup:
            (t1, b1), (t2, b2) = lookup[d1], lookup[d2]
            ax.plot([t1, t2], [b1, b2], "-", color="steelblue", linewidth=0.8, alpha=0.7)
    ax.plot(dates, bperp, "o", color="darkorange", markersize=4)
    ax.set_title(f"{len(pairs)} interferograms, {len(dates)} acquisitions", fontsize=10)
    ax.set_xlabel("date")
    ax.set_ylabel("perpendicular baseline (m)")
    ax.grid(True, alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    return save_figure(fig, path)


def _network(ctx: StepContext) -> Path | None:
    target = _pic(ctx, "network.png")
    source = ctx.network_dir / "network.png"
    if source.exists():
        with atomic_path(target) as tmp:
            shutil.copyfile(source, tmp)
        return target
    pairs = [tuple(p.name.split("_", 1)) for p in pair_folders(ctx.ifgram_dir, "fine.int")]
    stack = _stack_dates_bperp(ctx)
    if not pairs or stack is None:
        return None
    return write_network_plot(target, stack[0], stack[1], pairs)


def _generate_ifgram(ctx: StepContext) -> list[Path]:
    out = [p for p in [_network(ctx)] if p is not None]
    pairs = sample_pairs(pair_folders(ctx.ifgram_dir, "fine.int"))
    panels = []
    for folder in pairs:
        arr = open_raster(folder / "fine.int")
        step = display_step(arr.shape)
        phase = np.angle(np.array(arr[0, ::step, ::step]))
        panels.append(MapPanel(phase, folder.name, "hsv", -np.pi, np.pi, label="rad"))
    if panels:
        out.append(write_maps(_pic(ctx, "wrapped_ifgrams.png"), panels,
                              "wrapped interferogram phase (fine.int)"))
    return out


# ------------------------------------------------------------------ unwrap_ifgram
def _unwrap_ifgram(ctx: StepContext) -> list[Path]:
    pairs = sample_pairs(pair_folders(ctx.ifgram_dir, "filt_fine.unw"))
    unw_panels, cc_panels = [], []
    for folder in pairs:
        unw_file = folder / "filt_fine.unw"
        if read_info(unw_file).bands < 2:
            raise InputDataError(f"{unw_file} has 1 band; expected 2 (amplitude, phase)")
        arr = open_raster(unw_file)
        step = display_step(arr.shape)
        unw = np.array(arr[1, ::step, ::step], dtype=np.float64)
        cc_file = folder / "filt_fine.unw.conncomp"
        cc = None
        if cc_file.exists():
            cc = np.array(open_raster(cc_file)[0, ::step, ::step])
            unw[cc == 0] = np.nan
        unw_panels.append(MapPanel(unw, folder.name, "RdBu_r", label="rad"))
        if cc is not None:
            labels = sorted(int(v) for v in np.unique(cc))
            cc_panels.append(MapPanel(cc, f"{folder.name} components",
                                      ticks={v: ("not unwrapped" if v == 0 else str(v))
                                             for v in labels}))
    if not unw_panels:
        return []
    panels = unw_panels + cc_panels
    return [write_maps(_pic(ctx, "unwrapped_ifgrams.png"), panels,
                       "unwrapped phase (filt_fine.unw) and connected components",
                       ncols=len(unw_panels))]


# ------------------------------------------------------------------ invert_network
def _invert_network(ctx: StepContext) -> list[Path]:
    out: list[Path] = []
    net = ctx.network_dir
    mask = _h5_map(net / "maskTempCoh.h5", "mask")
    ts_file = net / "timeseries.h5"
    if ts_file.exists():
        vel, _ = fit_velocity(ts_file)
        panels = [MapPanel(vel * 100.0, "velocity (linear fit)", "RdBu_r", label="cm/year")]
        if mask is not None and mask.shape == vel.shape:
            panels.append(MapPanel(vel * 100.0, "velocity, maskTempCoh applied", "RdBu_r",
                                   mask=mask.astype(bool), label="cm/year"))
        out.append(write_maps(_pic(ctx, "velocity_inverted.png"), panels))
    tcoh = _h5_map(net / "temporalCoherence.h5", "temporalCoherence")
    if tcoh is not None:
        panels = [MapPanel(tcoh, "temporal coherence", "gray", 0.0, 1.0)]
        if mask is not None:
            panels.append(MapPanel(mask.astype(np.float64), "maskTempCoh", "gray_r", 0.0, 1.0))
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


def _velocity_figures(ctx: StepContext) -> list[Path]:
    out: list[Path] = []
    net = ctx.network_dir
    vel = _h5_map(net / "velocity.h5", "velocity")
    if vel is not None:
        mask = _h5_map(net / "maskTempCoh.h5", "mask")
        mask = mask.astype(bool) if mask is not None and mask.shape == vel.shape else None
        out.append(write_maps(_pic(ctx, "velocity.png"), [MapPanel(
            vel * 100.0, "velocity" + (" (maskTempCoh)" if mask is not None else ""), "RdBu_r",
            mask=mask, label="cm/year")]))
    geo_file = net / "geo" / "geo_velocity.h5"
    geo = _h5_map(geo_file, "velocity")
    if geo is not None:
        extent = _geo_extent(geo_file)
        labels = ("longitude (°)", "latitude (°)") if extent else ("column", "row")
        out.append(write_maps(_pic(ctx, "geo_velocity.png"), [MapPanel(
            geo * 100.0, "geocoded velocity", "RdBu_r", label="cm/year", extent=extent,
            xlabel=labels[0], ylabel=labels[1])]))
    return out


def choose_points(ts_file: Path, coherence_file: Path | None, count: int = NUM_POINTS
                  ) -> tuple[list[tuple[int, int]], list[str]]:
    """The reference point (if recorded) plus the ``count`` best-coherence pixels, spread out."""
    with h5py.File(ts_file, "r") as f:
        _, length, width = f["timeseries"].shape
        ref = None
        if "REF_Y" in f.attrs and "REF_X" in f.attrs:
            ref = (int(f.attrs["REF_Y"]), int(f.attrs["REF_X"]))
    points: list[tuple[int, int]] = []
    labels: list[str] = []
    if ref is not None and 0 <= ref[0] < length and 0 <= ref[1] < width:
        points.append(ref)
        labels.append(f"reference y{ref[0]} x{ref[1]}")
    quality = None
    if coherence_file is not None and coherence_file.exists():
        with h5py.File(coherence_file, "r") as f:
            if "temporalCoherence" in f and f["temporalCoherence"].shape == (length, width):
                quality = f["temporalCoherence"][()]
    if quality is None:  # no coherence: spread points over the image centre region
        quality = -np.hypot(*np.meshgrid(np.arange(length) - length / 2,
                                         np.arange(width) - width / 2, indexing="ij"))
    for y, x in pick_points(quality, count, exclude=points):
        points.append((y, x))
        labels.append(f"y{y} x{x}")
    return points, labels


def _timeseries_points(ctx: StepContext) -> list[Path]:
    ts_file = newest_timeseries(ctx.network_dir)
    if ts_file is None:
        return []
    points, labels = choose_points(ts_file, ctx.network_dir / "temporalCoherence.h5")
    if not points:
        return []
    dates, series = read_point_series(ts_file, points)
    return [write_point_timeseries(_pic(ctx, "timeseries_points.png"), dates, series, labels,
                                   f"displacement from {ts_file.name}")]


def _timeseries_correction(ctx: StepContext) -> list[Path]:
    return _velocity_figures(ctx) + _timeseries_points(ctx)


_STEP_FUNCTIONS: dict[str, Callable[[StepContext], list[Path]]] = {
    "load_data": _load_data,
    "concatenate_patch": _concatenate_patch,
    "generate_ifgram": _generate_ifgram,
    "unwrap_ifgram": _unwrap_ifgram,
    "invert_network": _invert_network,
    "timeseries_correction": _timeseries_correction,
}


def figures_for_step(ctx: StepContext, step_name: str) -> list[Path]:
    """Write the figures of ``step_name`` into ``ctx.pic_dir`` from the files that step produced.

    Steps without figures (phase_linking, load_ifgram, ifgram_correction) return an empty list,
    as do steps whose outputs are missing. Each figure is skipped when its input is absent.

    Parameters
    ----------
    ctx : StepContext
        Run context (paths).
    step_name : str
        One of :data:`minopy.steps.STEP_NAMES`.

    Returns
    -------
    list of Path
        PNG files written.

    Raises
    ------
    ValueError
        For an unknown step name.
    """
    from minopy.steps import STEP_NAMES

    if step_name not in STEP_NAMES:
        raise ValueError(f"unknown step {step_name!r}; expected one of {', '.join(STEP_NAMES)}")
    func = _STEP_FUNCTIONS.get(step_name)
    return [] if func is None else func(ctx)
