"""The figures of each workflow step, drawn from the files that step produced.

:func:`figures_for_step` writes a step's figures into ``ctx.pic_dir`` and returns their paths.
Every figure needs only its own input files; a missing optional file just skips that figure.
Figure file names are fixed (:data:`FIGURES`), so the HTML report can find and caption them.
This module draws the figures of the steps up to unwrapping; those of the network and the results
(load_ifgram onwards) are in :mod:`minopy.plot.result_figures`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import h5py
import numpy as np
from matplotlib.patches import Rectangle

from minopy.errors import InputDataError
from minopy.io.atomic import atomic_path
from minopy.io.isce import open_raster, read_info
from minopy.plot import result_figures
from minopy.plot.data import (
    mean_amplitude,
    optional_h5_map,
    optional_raster_map,
    parse_dates,
)
from minopy.plot.maps import (
    MapPanel,
    display_step,
    draw_panel,
    new_figure,
    save_figure,
    write_histogram,
    write_maps,
)
from minopy.step_context import StepContext

#: step -> ((figure file name, caption), ...) in display order.
FIGURES: dict[str, tuple[tuple[str, str], ...]] = {
    "load_data": (("mean_amplitude.png", "Mean amplitude of the SLC stack"),),
    "phase_linking": (
        ("patches.png", "Phase-linking patches and the valid pixels of each date"),),
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
    **result_figures.FIGURES,
}

#: Number of sample interferograms drawn per figure.
NUM_SAMPLE_PAIRS = 4


def _pic(ctx: StepContext, name: str) -> Path:
    return ctx.pic_dir / name


# ------------------------------------------------------------------ load_data
def _load_data(ctx: StepContext) -> list[Path]:
    if not ctx.slc_stack_file.exists():
        return []
    amp, step, used = mean_amplitude(ctx.slc_stack_file)
    with h5py.File(ctx.slc_stack_file, "r") as f:
        total = int(f["slc"].shape[0])
    with np.errstate(divide="ignore"):
        db = 20.0 * np.log10(np.where(amp > 0, amp, np.nan))
    dates = f"all {total} dates" if used == total else f"{used} of {total} dates (evenly spaced)"
    title = f"mean amplitude of {dates}" + (f", every {step}th pixel" if step > 1 else "")
    return [write_maps(_pic(ctx, "mean_amplitude.png"),
                       [MapPanel(db, title, "gray", label="amplitude (dB)")])]


# ------------------------------------------------------------------ phase_linking
def _patch_results(ctx: StepContext) -> tuple[list[tuple[int, int, int, int]], np.ndarray | None]:
    """Core boxes (row0, row1, col0, col1) of the patch results and the valid pixels per date."""
    boxes, valid = [], None
    for path in sorted(ctx.patches_dir.glob("PATCH_*/result.npz")):
        with np.load(path, allow_pickle=False) as data:
            boxes.append(tuple(int(v) for v in data["box"]))
            counts = np.asarray(data["valid_per_date"], dtype=np.int64)
        valid = counts if valid is None else valid + counts
    return boxes, valid


def _phase_linking(ctx: StepContext) -> list[Path]:
    boxes, valid = _patch_results(ctx)
    if not boxes or not ctx.slc_stack_file.exists():
        return []
    amp, step, _ = mean_amplitude(ctx.slc_stack_file)
    with h5py.File(ctx.slc_stack_file, "r") as f:
        length, width = (int(v) for v in f["slc"].shape[1:])
        dates = parse_dates(f["date"][()]) if "date" in f else []
    with np.errstate(divide="ignore"):
        db = 20.0 * np.log10(np.where(amp > 0, amp, np.nan))
    fig = new_figure(11.0, 4.2)
    ax = fig.add_subplot(1, 2, 1)
    extent = (-0.5, width - 0.5, length - 0.5, -0.5)
    draw_panel(fig, ax, MapPanel(db, f"{len(boxes)} patches on the mean amplitude", "gray",
                                 label="amplitude (dB)", extent=extent, aspect="equal"))
    for i, (r0, r1, c0, c1) in enumerate(boxes):
        ax.add_patch(Rectangle((c0 - 0.5, r0 - 0.5), c1 - c0, r1 - r0, fill=False,
                               edgecolor="tab:orange", linewidth=1.2))
        ax.text((c0 + c1) / 2, (r0 + r1) / 2, str(i), color="tab:orange", ha="center",
                va="center", fontsize=9)
    bar = fig.add_subplot(1, 2, 2)
    share = 100.0 * valid / float(length * width)
    if len(dates) == len(share):
        bar.bar(dates, share, width=8.0, color="steelblue")
        fig.autofmt_xdate()
    else:
        bar.bar(np.arange(len(share)), share, color="steelblue")
    bar.set_ylim(0, 105)
    bar.set_ylabel("valid pixels (%)")
    bar.set_title(f"valid (non-zero, finite) pixels per date, {len(share)} dates", fontsize=10)
    fig.tight_layout()
    return [save_figure(fig, _pic(ctx, "patches.png"))]


# ------------------------------------------------------------- concatenate_patch
def _temporal_coherence_maps(ctx: StepContext) -> tuple[np.ndarray | None, np.ndarray | None]:
    avg = optional_raster_map(ctx.temp_coh_raster("average"))
    full = optional_raster_map(ctx.temp_coh_raster("full"))
    if avg is None:
        avg = optional_h5_map(ctx.phase_series_file, "temporalCoherence", 0)
    if full is None:
        full = optional_h5_map(ctx.phase_series_file, "temporalCoherence", 1)
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
    panels = [MapPanel(m, f"temporal coherence ({kind})", "gray", 0.0, 1.0,
                       label="coherence (0-1)")
              for kind, m in (("average", avg), ("full", full)) if m is not None]
    if panels:
        out.append(write_maps(_pic(ctx, "temporal_coherence.png"), panels))
        values = full if full is not None else avg
        out.append(write_histogram(_pic(ctx, "temporal_coherence_hist.png"), values,
                                   "temporal coherence", "temporal coherence", 50, (0.0, 1.0)))
    shp = optional_raster_map(ctx.inverted_dir / "shp_count")
    if shp is None:
        shp = optional_h5_map(ctx.phase_series_file, "shp")
    if shp is not None:
        out.append(write_maps(_pic(ctx, "shp_count.png"),
                              [MapPanel(shp, "SHP count", "viridis", 0, None, label="pixels")]))
        top = int(np.nanmax(shp)) if np.isfinite(shp).any() else 1
        out.append(write_histogram(_pic(ctx, "shp_count_hist.png"), shp, "SHP count",
                                   "number of SHPs", np.arange(-0.5, top + 1.5, max(1, top // 60))))
    ps = optional_h5_map(ctx.ps_mask_file, "mask")
    if ps is not None:
        ps = ps.astype(bool)
        out.append(write_maps(_pic(ctx, "ps_mask.png"), [MapPanel(
            ps.astype(np.float64), f"PS mask ({int(ps.sum())} shown pixels are PS)",
            ticks={0: "not PS", 1: "PS"})]))
    est = optional_h5_map(ctx.phase_series_file, "estimator")
    if est is not None:
        names = _estimator_names()
        present = sorted(int(v) for v in np.unique(est))
        ticks = {v: names.get(v, f"code {v}") for v in present}
        out.append(write_maps(_pic(ctx, "estimator.png"),
                              [MapPanel(est, "phase linking estimator", ticks=ticks)]))
    disp = optional_raster_map(ctx.inverted_dir / "amp_dispersion_index")
    if disp is not None:
        out.append(write_maps(_pic(ctx, "amplitude_dispersion.png"), [MapPanel(
            disp, "amplitude dispersion index", "magma_r", 0.0, 1.0,
            label="σ_A / μ_A (unitless)")]))
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
        panels.append(MapPanel(phase, folder.name, "hsv", -np.pi, np.pi, label="phase (rad)"))
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
        # no spatial reference yet: a sequential scale, not a diverging one about zero
        unw_panels.append(MapPanel(unw, folder.name, "viridis", label="unwrapped phase (rad)"))
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


_STEP_FUNCTIONS: dict[str, Callable[[StepContext], list[Path]]] = {
    "load_data": _load_data,
    "phase_linking": _phase_linking,
    "concatenate_patch": _concatenate_patch,
    "generate_ifgram": _generate_ifgram,
    "unwrap_ifgram": _unwrap_ifgram,
    **result_figures.STEP_FUNCTIONS,
}


def figures_for_step(ctx: StepContext, step_name: str) -> list[Path]:
    """Write the figures of ``step_name`` into ``ctx.pic_dir`` from the files that step produced.

    Steps whose outputs are missing return an empty list. Each figure is skipped when its input
    is absent.

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
    from minopy.workflow import STEP_NAMES

    if step_name not in STEP_NAMES:
        raise ValueError(f"unknown step {step_name!r}; expected one of {', '.join(STEP_NAMES)}")
    func = _STEP_FUNCTIONS.get(step_name)
    return [] if func is None else func(ctx)
