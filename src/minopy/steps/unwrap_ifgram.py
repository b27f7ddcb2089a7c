"""Step ``unwrap_ifgram``: unwrap every pair of the network with SNAPHU (or whirlwind).

For each pair of ``<net>_network/interferograms_list.txt`` (written by generate_ifgram):

- input: ``filt_fine.int`` when ``filterStrength > 0``, else ``fine.int``; coherence: the
  phase-linking temporal coherence ``inverted/tempCoh_average`` (default), ``tempCoh_full``, or the
  pair's own ``filt_fine.cor`` (``minopy.unwrap.coherence``); the mask ``inverted/mask_unwrap``
  (custom mask, water, shadow as the options say);
- SNAPHU, DEFO cost, ``DEFOMAX_CYCLE = maxDiscontinuity``, MCF/MST initialisation, tiles when the
  image has more than ``tileNumPixels`` pixels (:mod:`minopy.unwrap.snaphu_runner`); or whirlwind;
- two-stage joining of connected components (:mod:`minopy.unwrap.components`);
- removeFilter (:mod:`minopy.unwrap.filter_removal`), computed from the original inputs every time;
- PS DEM correction (``minopy.unwrap.psDemCorrection``, :mod:`minopy.unwrap.ps_dem`): the DEM error
  of each persistent scatterer of ``maskPS.h5`` relative to its neighbourhood is estimated once
  from ``inverted/phase_series.h5``; its phase is removed at the PS before unwrapping each pair and
  added back afterwards, so the unwrapper does not put the PS on its neighbourhood's cycle. Skipped
  with a log line when ``maskPS.h5`` is missing;
- outputs ``filt_fine.unw`` (2-band BIL float32: amplitude, unwrapped phase) and
  ``filt_fine.unw.conncomp`` (uint8, 0 = not unwrapped).

The unwrapped phase of pair ``d1_d2`` follows the ISCE convention of ``fine.int``
(``phase(d1) - phase(d2)`` of the SLCs), which MintPy reads as ``unwrapPhase`` with no sign change.

Coherence looks: ``minopy.unwrap.snaphu.numLooks`` defaults to 23.8, SNAPHU's own default (what
MiNoPy used by not setting NCORRLOOKS): the phase-linking coherence is estimated from many samples,
and with 1 look SNAPHU's DEFO cost labels no pixel as belonging to a reliable component.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import numpy as np

from minopy.errors import InputDataError
from minopy.interferogram.form import read_dates_bperp
from minopy.interferogram.pair_runner import pair_execution, run_pairs
from minopy.io import ministack_store
from minopy.io.isce import open_raster, read_info, write_raster
from minopy.network.pairs import parse_pair_list_text
from minopy.step_context import StepContext
from minopy.steps import streaming
from minopy.steps.outputs import Output, RasterOutput
from minopy.unwrap.mask import unwrap_mask
from minopy.unwrap.pair import (
    CONNCOMP_NAME,
    UNW_NAME,
    UnwrapSettings,
    pair_is_current,
    unwrap_pair_task,
)
from minopy.unwrap.ps_dem import PsDemModel, load_ps_dem_model

#: the options the step reads (:data:`minopy.runner` fingerprints them).
READS: tuple[str, ...] = ("interferograms", "unwrap", "inversion.strides",
                          "inversion.phase_linking_method", "inversion.sequential_mode")


def listed_pairs(ctx: StepContext) -> list[str]:
    """Pair names ``d1_d2`` of the network's pair list."""
    path = ctx.pair_list_file
    if not path.is_file():
        raise InputDataError(f"no pair list {path}; run the generate_ifgram step first")
    return [f"{a}_{b}" for a, b in parse_pair_list_text(path.read_text(), str(path))]


def coherence_file(ctx: StepContext) -> Path | None:
    """Coherence raster for all pairs, or None for each pair's own ``filt_fine.cor``."""
    kind = ctx.config.unwrap.coherence
    if kind == "pair":
        return None
    path = ctx.temp_coh_raster(kind.split("_", 1)[1])
    try:
        read_info(path)
    except InputDataError:
        raise InputDataError(
            f"minopy.unwrap.coherence = {kind}: {path} (with .xml/.vrt) is missing; run the "
            "concatenate_patch step, or set minopy.unwrap.coherence = pair") from None
    return path


def nlooks(ctx: StepContext) -> float:
    """Equivalent looks of the coherence (see the module docstring)."""
    return float(ctx.config.unwrap.snaphu_num_looks)


def inputs(ctx: StepContext) -> list[Path]:
    files = [ctx.pair_list_file, ctx.output_geometry_file]
    kind = ctx.config.unwrap.coherence
    if kind != "pair":
        files.append(ctx.temp_coh_raster(kind.split("_", 1)[1]))
    custom = ctx.config.unwrap.mask
    if custom:
        files.append(Path(ctx.config.resolve_path(custom)))
    if ctx.config.unwrap.ps_dem_correction:
        files += [ctx.ps_mask_file, ctx.phase_series_file]
    return files


def outputs(ctx: StepContext) -> list[Path | Output]:
    """Each listed pair's unwrapped phase (2 bands) and connected components."""
    files: list[Path | Output] = [ctx.pair_list_file]
    try:
        names = listed_pairs(ctx)
    except InputDataError:
        return files
    for name in names:
        files += [RasterOutput(ctx.ifgram_dir / name / CONNCOMP_NAME, bands=1),
                  RasterOutput(ctx.ifgram_dir / name / UNW_NAME, bands=2)]
    return files


def _write_mask(ctx: StepContext, shape: tuple[int, int]) -> tuple[str | None, list[str]]:
    """Build the unwrap mask; write it to ``inverted/mask_unwrap``; return its path and id."""
    cfg = ctx.config
    custom = cfg.unwrap.mask
    mask = unwrap_mask(shape, ctx.output_geometry_file,
                       cfg.resolve_path(custom) if custom else None,
                       cfg.unwrap.mask_water, cfg.unwrap.mask_shadow)
    path = ctx.unwrap_mask_file
    if mask is None:
        path.unlink(missing_ok=True)
        return None, []
    ctx.log.info("unwrap mask: %.1f%% of pixels unwrapped -> %s", 100 * mask.mean(), path)
    write_raster(path, mask.astype(np.uint8), image_type="msk")
    return str(path), [hashlib.sha1(np.packbits(mask).tobytes()).hexdigest()]


def ps_dem_model(ctx: StepContext) -> PsDemModel | None:
    """The PS DEM-error model of the step (None when the option is off or there are no PS)."""
    if not ctx.config.unwrap.ps_dem_correction:
        return None
    model, message = load_ps_dem_model(ctx.phase_series_file, ctx.ps_mask_file,
                                       ctx.output_geometry_file)
    ctx.log.info(message)
    return model


def ministack_inputs(ctx: StepContext, settings: UnwrapSettings, ps_dem: bool,
                     names: list[str]) -> dict[str, tuple[UnwrapSettings, PsDemModel | None]]:
    """Streaming mode: each pair's settings and PS DEM model from the mini-stacks up to the one
    holding its later date (its ``tempCoh_average`` and ``maskPS``), so a pair's inputs do not
    change when later dates are added. Empty in stack mode."""
    cfg = ctx.config
    if not streaming.is_streaming(cfg, cfg.inversion.phase_linking_method):
        return {}
    dates, _ = read_dates_bperp(ctx.phase_series_file)
    stored = streaming.stored_ministacks(ctx.inverted_dir / ministack_store.FOLDER, dates)
    if stored is None:
        raise InputDataError(
            f"minopy.inversion.sequentialMode = streaming, but the mini-stacks in "
            f"{ctx.inverted_dir / ministack_store.FOLDER} do not hold the dates of "
            f"{ctx.phase_series_file}; run the phase_linking and concatenate_patch steps again")
    where = {d: ms for ms in stored for d in dates[ms.start:ms.stop]}
    per_ms: dict[int, tuple[UnwrapSettings, PsDemModel | None]] = {}
    out = {}
    for name in names:
        ms = where[name.split("_")[1]]
        if ms.index not in per_ms:
            coh = ms.folder / ministack_store.COHERENCE_NAME
            pair_settings = settings if cfg.unwrap.coherence == "pair" else \
                dataclasses.replace(settings, coherence_file=str(coh))
            model = None
            if ps_dem:
                model, message = load_ps_dem_model(
                    ctx.phase_series_file, ctx.ps_mask_file, ctx.output_geometry_file,
                    num_dates=ms.stop, ps_override=open_raster(ms.folder / ministack_store.PS_NAME)
                    [0] != 0, coherence_override=open_raster(coh)[0])
                ctx.log.info("mini-stack %d: %s", ms.index, message)
            per_ms[ms.index] = (pair_settings, model)
        out[name] = per_ms[ms.index]
    ctx.log.info("unwrap_ifgram: streaming: each pair uses the coherence%s of the mini-stacks up "
                 "to the one holding its later date (%d mini-stacks)",
                 " and PS DEM model" if ps_dem else "", len(stored))
    return out


def run(ctx: StepContext) -> None:
    cfg = ctx.config
    names = listed_pairs(ctx)
    if not names:
        raise InputDataError(f"pair list {ctx.pair_list_file} is empty")
    first = ctx.ifgram_dir / names[0] / "fine.int"
    info = read_info(first)
    shape = (info.length, info.width)
    coh = coherence_file(ctx)
    mask_path, mask_id = _write_mask(ctx, shape)
    how = pair_execution(ctx, len(names))
    settings = UnwrapSettings(
        method=cfg.unwrap.method,
        nlooks=nlooks(ctx),
        max_discontinuity=float(cfg.unwrap.snaphu_max_discontinuity),
        init=cfg.unwrap.snaphu_init_method,
        tile_num_pixels=float(cfg.unwrap.snaphu_tile_num_pixels),
        tile_overlap=int(cfg.unwrap.snaphu_tile_overlap),
        nproc=how.threads,
        two_stage=bool(cfg.unwrap.two_stage),
        filtered=float(cfg.interferograms.filter_strength) > 0,
        remove_filter=bool(cfg.unwrap.remove_filter),
        coherence_file=str(coh) if coh is not None else None,
        mask_id=mask_id,
    )
    causal = ministack_inputs(ctx, settings, bool(cfg.unwrap.ps_dem_correction), names)
    ps_dem = ps_dem_model(ctx) if not causal else None
    ntiles = settings.snaphu_options(*shape).ntiles
    ctx.log.info("unwrap_ifgram: %d pairs with %s (coherence %s, %g looks%s) in %s", len(names),
                 settings.method, coh or "filt_fine.cor of each pair", settings.nlooks,
                 f", {ntiles[0]}x{ntiles[1]} tiles" if settings.method == "snaphu"
                 and ntiles != (1, 1) else "", ctx.ifgram_dir)
    todo = [(name, *(causal.get(name) or (settings, ps_dem))) for name in names]
    todo = [(n, s, m) for n, s, m in todo if not pair_is_current(ctx.ifgram_dir / n, s, m)]
    if todo and len(todo) < len(names):  # fewer tasks: each may get more threads
        how = pair_execution(ctx, len(todo))
    jobs = [(n, (str(ctx.ifgram_dir / n), dataclasses.replace(s, nproc=how.threads), mask_path,
                 how.threads, m)) for n, s, m in todo]
    done = run_pairs(ctx, unwrap_pair_task, jobs, "unwrap_ifgram", how)
    skipped = len(names) - sum(bool(d) for d in done)
    if skipped:
        ctx.log.info("unwrap_ifgram: %d of %d pairs were complete and skipped", skipped,
                     len(names))
