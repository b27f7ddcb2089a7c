"""Step ``invert_network``: ``ifgramStack.h5`` -> phase time series (minopy's own inversion).

Observations: ``unwrapPhase`` or the dataset of ``mintpy.unwrapError.method``, minus the phase of
the reference pixel (``REF_Y/REF_X``), pairs with ``dropIfgram`` False left out. An observation is
not used where it is NaN, where its raw value is exactly 0 with connected component 0 (the
unwrapper's no-data), or where ``mintpy.networkInversion.maskDataset`` (connectComponent == 0, or
coherence < maskThreshold) masks it.

Pixels: inverted only where the phase-linking temporal coherence (``minopy.timeseries.tempCohType``)
is >= ``minopy.timeseries.minTempCoh``, on land (``minopy.timeseries.waterMask`` file, else the
geometry ``waterMask``) and, with ``minopy.timeseries.shadowMask``, not in shadow. As in MintPy, a
pixel is not inverted either when one of its dates has fewer valid interferograms than
``mintpy.networkInversion.minRedundancy`` (auto: 1; the first date counts too, as its phase is the
datum of the others). Following MintPy, pixels not inverted hold 0 in ``timeseries.h5``, 0 in
``numInvIfgram.h5`` and False in ``maskTempCoh.h5``.

The reference pixel must hold a valid, unwrapped (connected component != 0) phase in every kept
interferogram when the user set it (``mintpy.reference.yx``/``lalo``). An automatic reference
(chosen by ifgram_correction: unwrapped in the most pairs when no pixel is in all) leaves out, with
a warning, the pairs in which it is not unwrapped.

Outputs in ``<net>_network`` (MintPy layout, each written block by block and atomically):
``timeseries.h5`` (metres, ``-wavelength / 4 pi * phase``, REF_DATE = first date),
``temporalCoherence.h5`` (the phase-linking coherence; NaN on water/shadow and where <= 0),
``numInvIfgram.h5`` and ``maskTempCoh.h5`` (temporalCoherence >= minTempCoh and inverted, computed
afresh). With ``minopy.timeseries.calcCov`` also ``timeseriesDecorCov.h5`` (MintPy's layout:
``timeseries`` (N, N, L, W) float32 in m², ``date``): the decorrelation covariance of each pixel's
time series (:mod:`minopy.network.covariance`), which MintPy's velocity step turns into the
velocity uncertainty.

The bands of rows run as tasks (in this process or on the run's dask workers, see
:mod:`minopy.steps.inversion_blocks`); each writes its result file, so a killed run resumes with
the bands it finished, and the outputs are the same bytes wherever a band ran.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from minopy.errors import ConfigError, InputDataError, StepError
from minopy.interferogram.pair_runner import run_pairs
from minopy.io.atomic import atomic_path
from minopy.io.isce import read_raster
from minopy.io.multilook import parse_strides
from minopy.mintpy_bridge import UNWRAP_DATASETS, user_reference_given
from minopy.network.covariance import decorrelation_variance, timeseries_covariance
from minopy.network.design import date_groups, dates_of, phase_design_matrix
from minopy.network.inversion import coherence_to_weight, invert_pixels
from minopy.step_context import StepContext
from minopy.steps.inversion_blocks import (
    BLOCK_FORMAT,
    block_path,
    load_block,
    remove_blocks,
    save_block,
    stored_fingerprint,
)
from minopy.steps.outputs import H5Output, Output
from minopy.steps.patches import file_signature, fingerprint

#: the options the step reads (:data:`minopy.runner` fingerprints them).
READS: tuple[str, ...] = (
    "timeseries", "mintpy.unwrapError.method", "mintpy.networkInversion.", "mintpy.reference.",
)
#: bytes of input read per block (all pairs, a band of rows).
BLOCK_BYTES = 128 * 2**20
#: bytes of time-series covariance (N x N per pixel) computed per block with calcCov.
COV_BLOCK_BYTES = 256 * 2**20


def inputs(ctx: StepContext) -> list[Path]:
    files = [ctx.ifgram_stack_file,
             ctx.temp_coh_raster(ctx.config.timeseries.temp_coh_type)]
    water = ctx.config.resolve_path(ctx.config.timeseries.water_mask)
    return files + ([Path(water)] if water else [])


def outputs(ctx: StepContext) -> list[Output]:
    """The time series and its three companions, in MintPy's layout."""
    files = ctx.inversion_files()
    image = ("L", "W")
    return [H5Output(files["timeseries"], {"timeseries": ("N", "L", "W"), "date": ("N",),
                                           "bperp": ("N",)}),
            H5Output(files["temporalCoherence"], {"temporalCoherence": image}),
            H5Output(files["numInvIfgram"], {"mask": image}),
            H5Output(files["maskTempCoh"], {"mask": image}),
            *([H5Output(files["timeseriesDecorCov"], {"timeseries": ("N", "N", "L", "W"),
                                                     "date": ("N",)})]
              if "timeseriesDecorCov" in files else [])]


def observation_dataset(ctx: StepContext, names: list[str]) -> str:
    """The dataset to invert: the unwrap-error-corrected one when the method is set."""
    method = (ctx.config.mintpy.value("mintpy.unwrapError.method") or "").lower()
    if not method:
        return "unwrapPhase"
    if method not in UNWRAP_DATASETS:
        raise ConfigError(f"mintpy.unwrapError.method = {method!r}; expected one of "
                          f"{', '.join(UNWRAP_DATASETS)} or no")
    name = UNWRAP_DATASETS[method]
    if name not in names:
        raise InputDataError(f"{name} is missing in {ctx.ifgram_stack_file} although "
                             f"mintpy.unwrapError.method = {method}; run ifgram_correction")
    return name


def _mask_rule(ctx: StepContext) -> tuple[str | None, float]:
    name = ctx.config.mintpy.value("mintpy.networkInversion.maskDataset")
    thr = ctx.config.mintpy.value("mintpy.networkInversion.maskThreshold") or "0.4"
    if name is not None and name not in ("coherence", "connectComponent"):
        raise ConfigError(f"mintpy.networkInversion.maskDataset = {name!r}; expected "
                          "coherence, connectComponent or no")
    try:
        return name, float(thr)
    except ValueError:
        raise ConfigError(f"mintpy.networkInversion.maskThreshold = {thr!r} is not a number") \
            from None


def pixel_masks(ctx: StepContext, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Temporal coherence (float32, NaN where excluded) and the land/shadow mask (bool)."""
    kind = ctx.config.timeseries.temp_coh_type
    path = ctx.temp_coh_raster(kind)
    if not path.is_file():
        raise InputDataError(f"{path} does not exist; run concatenate_patch "
                             "(or change minopy.timeseries.tempCohType)")
    tcoh = read_raster(path).astype(np.float32)
    if tcoh.shape != shape:
        raise InputDataError(f"{path} is {tcoh.shape} but the interferograms are {shape}")
    keep = np.ones(shape, dtype=bool)
    water_file = ctx.config.resolve_path(ctx.config.timeseries.water_mask)
    geom = ctx.network_geometry_file
    if water_file:
        with h5py.File(water_file, "r") as f:
            name = next((n for n in ("waterMask", "mask") if n in f), None)
            if name is None:
                raise InputDataError(f"minopy.timeseries.waterMask = {water_file} has no "
                                     "waterMask or mask dataset")
            keep &= np.asarray(f[name][()]) > 0.5
    elif geom.is_file():
        with h5py.File(geom, "r") as f:
            if "waterMask" in f:
                keep &= np.asarray(f["waterMask"][()]) > 0.5
    if ctx.config.timeseries.shadow_mask and geom.is_file():
        with h5py.File(geom, "r") as f:
            if "shadowMask" in f:
                keep &= ~(np.asarray(f["shadowMask"][()]) > 0.5)
    tcoh[~keep | ~(tcoh > 0)] = np.nan
    return tcoh, keep


def _num_looks(attrs: dict[str, Any]) -> float:
    """Looks of the interferograms' coherence: ``NCORRLOOKS``, else ``ALOOKS x RLOOKS / 1.94``.

    Output strides multiply ``ALOOKS``/``RLOOKS`` (MintPy's grid metadata), but a strided pixel is
    the phase-linked pixel at the cell's centre, not an average over the cell: they are divided
    out again.
    """
    if "NCORRLOOKS" in attrs:
        return max(float(attrs["NCORRLOOKS"]), 1.0)
    looks = float(attrs.get("ALOOKS", 1)) * float(attrs.get("RLOOKS", 1))
    strides = attrs.get("minopy.inversion.strides")
    if strides is not None:
        sa, sr = parse_strides(strides.decode() if isinstance(strides, bytes) else str(strides))
        looks /= sa * sr
    return max(float(np.rint(looks / 1.94)), 1.0)


def min_redundancy(ctx: StepContext) -> float:
    """``mintpy.networkInversion.minRedundancy`` (auto: 1.0, MintPy's default)."""
    value = ctx.config.mintpy.value("mintpy.networkInversion.minRedundancy") or "1"
    try:
        out = float(value)
    except ValueError:
        raise ConfigError(f"mintpy.networkInversion.minRedundancy = {value!r} is not a number "
                          "(the minimum number of interferograms of every date; auto = 1)"
                          ) from None
    if out < 0:
        raise ConfigError(f"mintpy.networkInversion.minRedundancy = {value!r}; expected >= 0")
    return out


def _describe_group(group: list[str], dates: list[str]) -> str:
    i0, i1 = dates.index(group[0]), dates.index(group[-1])
    if i1 - i0 + 1 == len(group) and len(group) > 2:
        return f"{group[0]}..{group[-1]} ({len(group)} dates)"
    shown = ", ".join(group[:6]) + (", ..." if len(group) > 6 else "")
    return f"{shown} ({len(group)} date{'s' if len(group) > 1 else ''})"


def check_network(pairs: list[str], num_dropped: int = 0) -> list[str]:
    """Dates of the network; StepError, saying what to change, if the kept pairs do not connect
    them all."""
    if not pairs:
        raise StepError("every interferogram is dropped (dropIfgram all False after "
                        "modify_network); relax the mintpy.network.* options (e.g. "
                        "mintpy.network.coherenceBased = no) and re-run ifgram_correction")
    dates = dates_of(pairs)
    groups = date_groups(pairs, dates)
    if len(groups) > 1:
        desc = "; ".join(_describe_group(g, dates) for g in groups)
        small = [d for g in groups[1:] for d in g]
        dropped = (f" modify_network dropped {num_dropped} of {num_dropped + len(pairs)} pairs:"
                   if num_dropped else "")
        raise StepError(
            f"the network of kept interferograms is disconnected into {len(groups)} groups: "
            f"{desc}. A single time series needs every date linked by interferograms.{dropped} "
            "keep pairs that link the groups (relax mintpy.network.*: coherenceBased = no or a "
            "lower minCoherence, larger tempBaseMax/perpBaseMax, keepMinSpanTree = yes, fewer "
            "excludeDate/excludeIfgIndex), or drop the isolated date(s) with "
            f"mintpy.network.excludeDate = {','.join(small[:10])}, then re-run ifgram_correction; "
            "or generate a denser network (minopy.interferograms.type/numSequential)"
        )
    return dates


def _ts_attrs(attrs: dict[str, Any], dates: list[str], ctx: StepContext, obs: str) -> dict:
    out = {k: v for k, v in attrs.items() if not k.startswith("mintpy.")}
    out.update({
        "FILE_TYPE": "timeseries", "UNIT": "m", "REF_DATE": dates[0], "DATA_TYPE": "float32",
        "mintpy.networkInversion.obsDatasetName": obs,
        "mintpy.networkInversion.minRedundancy": str(min_redundancy(ctx)),
        "minopy.timeseries.residualNorm": ctx.config.timeseries.residual_norm,
        "minopy.timeseries.L2weightFunc": ctx.config.timeseries.l2_weight_func,
        "minopy.timeseries.minNormVelocity": str(ctx.config.timeseries.min_norm_velocity),
        "minopy.timeseries.tempCohType": ctx.config.timeseries.temp_coh_type,
        "minopy.timeseries.minTempCoh": str(ctx.config.timeseries.min_temp_coh),
    })
    return out


@dataclass(frozen=True)
class InversionSettings:
    """The options of the inversion of each block (from the ``timeseries`` options, the
    ``mintpy.networkInversion.*`` keys and the stack's attributes).

    Attributes
    ----------
    weight_func : str
        ``minopy.timeseries.L2weightFunc`` (``no``: unweighted).
    norm : str
        ``L2`` or ``L1``.
    min_tcoh : float
        Pixels with a lower temporal coherence are not inverted.
    min_norm_velocity : bool
        Minimum-norm velocity (True) or phase.
    smoothing : float
        L1 smoothing factor.
    mask_name : str or None
        ``connectComponent``, ``coherence`` or None (``mintpy.networkInversion.maskDataset``).
    mask_threshold : float
        Coherence threshold of the ``coherence`` mask.
    min_redundancy : float
        Fewest valid interferograms of every date of a pixel.
    looks : float
        Equivalent looks of the coherence (weights).
    wavelength : float
        Radar wavelength (m).
    """

    weight_func: str
    norm: str
    min_tcoh: float
    min_norm_velocity: bool
    smoothing: float
    mask_name: str | None
    mask_threshold: float
    min_redundancy: float
    looks: float
    wavelength: float
    calc_cov: bool = False


@dataclass
class Network:
    """What the inversion reads once from ``ifgramStack.h5`` (the kept pairs and the reference).

    Attributes
    ----------
    obs_name : str
        Dataset inverted (``unwrapPhase`` or an unwrap-error-corrected one).
    idx : ndarray of int, shape (K,)
        Indices of the pairs used, in the stack.
    pairs, dates : list of str
        ``d1_d2`` of the K pairs; the dates they link (sorted).
    ref_y, ref_x : int
        Reference pixel.
    ref_phase : ndarray, shape (K,)
        Phase of the reference pixel in each pair (rad).
    shape : tuple of int
        ``(num_pair, length, width)`` of the observation dataset.
    incidence : ndarray, shape (len(dates), K), float32
        1 where a pair links a date.
    bperp : ndarray, shape (len(dates),), float32
        Perpendicular baseline of each date relative to the first (m).
    attrs : dict
        Attributes of the stack.
    """

    obs_name: str
    idx: np.ndarray
    pairs: list[str]
    dates: list[str]
    ref_y: int
    ref_x: int
    ref_phase: np.ndarray
    shape: tuple[int, int, int]
    incidence: np.ndarray
    bperp: np.ndarray
    attrs: dict[str, Any]


@dataclass
class BlockResult:
    """The inversion of one band of rows (``P`` = rows x width pixels).

    Attributes
    ----------
    displacement : ndarray, shape (len(dates), P), float32
        Time series in metres (0 where not inverted).
    num_inv : ndarray, shape (P,), float32
        Interferograms used per pixel.
    inverted : ndarray, shape (P,), bool
        Pixels inverted.
    low_redundancy : int
        Pixels left out for ``min_redundancy``.
    """

    displacement: np.ndarray
    num_inv: np.ndarray
    inverted: np.ndarray
    low_redundancy: int
    covariance: np.ndarray | None = None  # (N, N, P) float32 m², with calcCov


def settings(ctx: StepContext, attrs: dict[str, Any]) -> InversionSettings:
    """The inversion settings of the run and the stack's attributes."""
    ts = ctx.config.timeseries
    mask_name, mask_thr = _mask_rule(ctx)
    return InversionSettings(
        weight_func=ts.l2_weight_func, norm=ts.residual_norm, min_tcoh=float(ts.min_temp_coh),
        min_norm_velocity=ts.min_norm_velocity, smoothing=float(ts.l1_smoothing_factor),
        mask_name=mask_name, mask_threshold=mask_thr, min_redundancy=min_redundancy(ctx),
        looks=_num_looks(attrs), wavelength=float(attrs["WAVELENGTH"]),
        calc_cov=bool(ts.calc_cov))


def read_network(ctx: StepContext, f: h5py.File) -> Network:
    """Read the kept pairs, the reference phase and the baselines from the open stack ``f``.

    Raises
    ------
    InputDataError
        No reference point, or a user reference that is not unwrapped in a kept pair.
    StepError
        The kept pairs do not link all dates (:func:`check_network`).
    """
    path = ctx.ifgram_stack_file
    attrs = dict(f.attrs)
    if "REF_Y" not in attrs or "REF_X" not in attrs:
        raise InputDataError(f"{path} has no reference point (REF_Y/REF_X); run "
                             "ifgram_correction or set mintpy.reference.yx")
    ref_y, ref_x = int(attrs["REF_Y"]), int(attrs["REF_X"])
    obs_name = observation_dataset(ctx, list(f.keys()))
    keep = np.asarray(f["dropIfgram"][()], dtype=bool)
    idx = np.flatnonzero(keep)
    pairs = ["_".join(d.decode() for d in row) for row in f["date"][()][idx]]
    num_pair, length, width = f[obs_name].shape
    ref_phase = f[obs_name][:, ref_y, ref_x][idx].astype(np.float64)
    ref_comp = (f["connectComponent"][:, ref_y, ref_x][idx] if "connectComponent" in f
                else np.ones(idx.size))
    bad = ~np.isfinite(ref_phase) | (ref_comp == 0)
    if bad.any() and user_reference_given(ctx):
        raise InputDataError(
            f"the reference pixel y/x = {ref_y}/{ref_x} (mintpy.reference.yx/lalo) is not "
            f"unwrapped (NaN or connected component 0) in {int(bad.sum())} kept "
            f"interferogram(s), e.g. {pairs[int(np.argmax(bad))]}; choose a pixel inside "
            "maskConnComp.h5 with mintpy.reference.yx/lalo (or leave them auto) and re-run "
            "ifgram_correction"
        )
    if bad.any():
        ctx.log.warning(
            "the automatic reference pixel y/x = %d/%d is not unwrapped in %d of %d kept "
            "interferograms (no pixel is unwrapped in all); those are left out: %s",
            ref_y, ref_x, int(bad.sum()), idx.size,
            ", ".join(p for p, b in zip(pairs, bad, strict=True) if b))
        kept = [p for p, b in zip(pairs, bad, strict=True) if not b]
        lost = sorted(set(dates_of(pairs)) - set(dates_of(kept))) if kept else []
        if lost:
            ctx.log.warning("so the time series leaves out %d date(s) that no other kept "
                            "interferogram links: %s", len(lost), ", ".join(lost))
        idx, ref_phase, pairs = idx[~bad], ref_phase[~bad], kept
    dates = check_network(pairs, int(keep.size - keep.sum()))
    incidence = np.zeros((len(dates), len(pairs)), np.float32)
    pos = {d: i for i, d in enumerate(dates)}
    for k, pair in enumerate(pairs):
        incidence[pos[pair[:8]], k] = incidence[pos[pair[9:]], k] = 1.0
    bperp = np.zeros(len(dates), np.float32)
    bperp[1:] = np.linalg.lstsq(phase_design_matrix(pairs, dates),
                                f["bperp"][()][idx].astype(np.float64), rcond=None)[0]
    return Network(obs_name, idx, pairs, dates, ref_y, ref_x, ref_phase,
                   (int(num_pair), int(length), int(width)), incidence, bperp, attrs)


def invert_block(raw: np.ndarray, comp: np.ndarray, coh: np.ndarray | None,
                 tcoh: np.ndarray, net: Network, opts: InversionSettings) -> BlockResult:
    """Invert one band of rows (pure: no I/O).

    Parameters
    ----------
    raw : ndarray, shape (K, P), float64
        Unwrapped phase of the K kept pairs (rad), not yet referenced.
    comp : ndarray, shape (K, P)
        Connected components (ones when the stack has none).
    coh : ndarray, shape (K, P), float64, or None
        Pair coherence (needed for weights or the coherence mask).
    tcoh : ndarray, shape (P,), float32
        Temporal coherence (NaN where excluded).
    net, opts
        The network (:func:`read_network`) and the settings (:func:`settings`).
    """
    valid = np.isfinite(raw) & ~((raw == 0) & (comp == 0))
    if opts.mask_name == "connectComponent":
        valid &= comp != 0
    if opts.mask_name == "coherence":
        assert coh is not None
        valid &= np.nan_to_num(coh, nan=0.0) >= opts.mask_threshold
    pix = np.flatnonzero(tcoh >= opts.min_tcoh)
    use = valid[:, pix]
    low_redundancy = 0
    if opts.min_redundancy > 0:
        low = (net.incidence @ use.astype(np.float32)).min(axis=0) < opts.min_redundancy
        low_redundancy = int(np.sum(low & use.any(axis=0)))
        use[:, low] = False
    weight = None
    if opts.weight_func != "no":
        assert coh is not None
        weight = coherence_to_weight(coh[:, pix], opts.weight_func, opts.looks)
    res = invert_pixels(raw[:, pix] - net.ref_phase[:, None], net.pairs, net.dates, valid=use,
                        weight=weight, min_norm_velocity=opts.min_norm_velocity, norm=opts.norm,
                        smoothing=opts.smoothing)
    num_pixels = raw.shape[1]
    displacement = np.zeros((len(net.dates), num_pixels), np.float32)
    displacement[:, pix] = res.phase * np.float32(-opts.wavelength / (4 * np.pi))
    num_inv = np.zeros(num_pixels, np.float32)
    num_inv[pix] = res.num_inv
    inverted = np.zeros(num_pixels, bool)
    inverted[pix] = res.inverted
    cov = None
    if opts.calc_cov:
        assert coh is not None
        cov = np.zeros((len(net.dates), len(net.dates), num_pixels), np.float32)
        cov[:, :, pix] = timeseries_covariance(
            net.pairs, net.dates, use & res.inverted[None, :],
            decorrelation_variance(coh[:, pix], opts.looks), weight
        ) * (opts.wavelength / (4 * np.pi)) ** 2
    return BlockResult(displacement, num_inv, inverted, low_redundancy, cov)


def _read_block(f: h5py.File, net: Network, opts: InversionSettings, y0: int, y1: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Observations, components and (when needed) coherence of rows ``y0:y1``, shape (K, P)."""
    idx = net.idx
    raw = f[net.obs_name][:, y0:y1, :][idx].reshape(len(idx), -1).astype(np.float64)
    comp = (f["connectComponent"][:, y0:y1, :][idx].reshape(len(idx), -1)
            if "connectComponent" in f else np.ones_like(raw))
    coh = None
    if opts.weight_func != "no" or opts.mask_name == "coherence" or opts.calc_cov:
        coh = f["coherence"][:, y0:y1, :][idx].reshape(len(idx), -1).astype(np.float64)
    return raw, comp, coh


@dataclass(frozen=True)
class BlockTask:
    """One band of rows ``y0..y1`` as a task (in this process or on a dask worker)."""

    stack_file: str
    net: Network
    opts: InversionSettings
    y0: int
    y1: int
    tcoh: np.ndarray  # (y1 - y0, W) float32, NaN where excluded
    out_file: str
    fingerprint: str
    threads: int = 1


def invert_block_task(task: BlockTask) -> int:
    """Read the band of ``task``, invert it (:func:`invert_block`) and write its block file
    (:func:`minopy.steps.inversion_blocks.save_block`); returns ``y0``."""
    from minopy.parallel import limit_task_threads

    limit_task_threads(task.threads)
    with h5py.File(task.stack_file, "r") as f:
        raw, comp, coh = _read_block(f, task.net, task.opts, task.y0, task.y1)
    block = invert_block(raw, comp, coh, task.tcoh.ravel(), task.net, task.opts)
    arrays = {"displacement": block.displacement, "num_inv": block.num_inv,
              "inverted": block.inverted, "low_redundancy": np.array(block.low_redundancy)}
    if block.covariance is not None:
        arrays["covariance"] = block.covariance
    save_block(Path(task.out_file), task.fingerprint, arrays)
    return task.y0


def _block_tasks(ctx: StepContext, net: Network, opts: InversionSettings, tcoh: np.ndarray
                 ) -> list[BlockTask]:
    """The bands of rows of the run, each with the fingerprint its block file must carry."""
    num_pair, length, width = net.shape
    rows = max(1, int(BLOCK_BYTES // max(1, 4 * num_pair * width)))
    if opts.calc_cov:
        rows = max(1, min(rows, COV_BLOCK_BYTES // max(1, 8 * len(net.dates) ** 2 * width)))
    common = fingerprint({"format": BLOCK_FORMAT, "options": repr(opts), "pairs": net.pairs,
                          "dates": net.dates, "ref": [net.ref_y, net.ref_x],
                          "inputs": [file_signature(p) for p in inputs(ctx)]})
    tasks = []
    for y0 in range(0, length, rows):
        y1 = min(length, y0 + rows)
        tasks.append(BlockTask(str(ctx.ifgram_stack_file), net, opts, y0, y1, tcoh[y0:y1],
                               str(block_path(ctx.network_dir, y0, y1)),
                               fingerprint({"run": common, "rows": [y0, y1]}),
                               ctx.execution.threads))
    return tasks


def _write_attrs(ctx: StepContext, out: dict[str, h5py.File], net: Network,
                 opts: InversionSettings) -> None:
    out["timeseries"].attrs.update(_ts_attrs(net.attrs, net.dates, ctx, net.obs_name))
    base = {k: v for k, v in net.attrs.items() if not k.startswith("mintpy.")}
    base.pop("REF_DATE", None)
    for key, ftype in (("temporalCoherence", "temporalCoherence"),
                       ("numInvIfgram", "mask"), ("maskTempCoh", "mask")):
        out[key].attrs.update({**base, "FILE_TYPE": ftype, "UNIT": "1"})
    out["maskTempCoh"].attrs.update({
        "mintpy.networkInversion.minTempCoh": str(opts.min_tcoh),
        "mintpy.networkInversion.shadowMask": str(bool(ctx.config.timeseries.shadow_mask)),
    })


def run(ctx: StepContext) -> None:
    """Invert the network block by block and write the four MintPy-format outputs: read the
    network (:func:`read_network`), invert each band of rows (:func:`invert_block`, pure) and
    write it."""
    path = ctx.ifgram_stack_file
    if not path.is_file():
        raise InputDataError(f"{path} does not exist; run the load_ifgram step")
    _mask_rule(ctx)  # a bad mask option is reported before the stack is read
    files = ctx.inversion_files()
    with h5py.File(path, "r") as f, ExitStack() as stack:
        net = read_network(ctx, f)
        opts = settings(ctx, net.attrs)
        num_pair, length, width = net.shape
        dates = net.dates
        tcoh, land = pixel_masks(ctx, (length, width))
        if not tcoh[net.ref_y, net.ref_x] >= opts.min_tcoh:
            ctx.log.warning(
                "the reference pixel y/x = %d/%d has tempCoh_%s = %.2f < minopy.timeseries."
                "minTempCoh = %g (or is masked): its phase noise goes into every pixel of the time "
                "series; prefer a coherent reference (mintpy.reference.yx/lalo)", net.ref_y,
                net.ref_x, ctx.config.timeseries.temp_coh_type, tcoh[net.ref_y, net.ref_x],
                opts.min_tcoh)
        tasks = _block_tasks(ctx, net, opts, tcoh)
        todo = [t for t in tasks if stored_fingerprint(Path(t.out_file)) != t.fingerprint]
        ctx.log.info("invert_network: %d x %d pixels, %d pairs, %d dates: %d blocks of rows "
                     "(%d to compute, %d reused)", length, width, len(net.pairs), len(dates),
                     len(tasks), len(todo), len(tasks) - len(todo))
        run_pairs(ctx, invert_block_task, [(f"rows{t.y0}", (t,)) for t in todo],
                  "invert_network")
        tmp = {k: stack.enter_context(atomic_path(p)) for k, p in files.items()}
        out = {k: stack.enter_context(h5py.File(p, "w")) for k, p in tmp.items()}
        ts = out["timeseries"].create_dataset(
            "timeseries", (len(dates), length, width), np.float32,
            chunks=(1, min(length, 256), min(width, 256)))
        out["timeseries"]["date"] = np.array(dates, dtype="S8")
        out["timeseries"]["bperp"] = net.bperp
        num_inv = out["numInvIfgram"].create_dataset("mask", (length, width), np.float32)
        cov = None
        if "timeseriesDecorCov" in out:
            n = len(dates)
            cov = out["timeseriesDecorCov"].create_dataset(
                "timeseries", (n, n, length, width), np.float32,
                chunks=(n, n, 1, min(width, max(1, 2**20 // (4 * n * n)))))
            out["timeseriesDecorCov"]["date"] = np.array(dates, dtype="S8")
        out["temporalCoherence"]["temporalCoherence"] = tcoh
        done = np.zeros((length, width), bool)
        inverted = low_redundancy = 0
        for task in tasks:
            y0, y1 = task.y0, task.y1
            if stored_fingerprint(Path(task.out_file)) != task.fingerprint:
                raise StepError(f"invert_network: the result of rows {y0}-{y1} "
                                f"({task.out_file}) is missing or stale after the run")
            block = load_block(Path(task.out_file))
            ts[:, y0:y1, :] = block["displacement"].reshape(len(dates), y1 - y0, width)
            num_inv[y0:y1, :] = block["num_inv"].reshape(y1 - y0, width)
            done[y0:y1] = block["inverted"].reshape(y1 - y0, width)
            if cov is not None:
                cov[:, :, y0:y1, :] = block["covariance"].reshape(len(dates), len(dates),
                                                                  y1 - y0, width)
            inverted += int(block["inverted"].sum())
            low_redundancy += int(block["low_redundancy"])
        if inverted == 0:
            raise InputDataError(
                f"every pixel is masked: {int(land.sum())} of {land.size} pixels are on land/not "
                f"in shadow, {int(np.sum(tcoh >= opts.min_tcoh))} have tempCoh_"
                f"{ctx.config.timeseries.temp_coh_type} >= minopy.timeseries.minTempCoh = "
                f"{opts.min_tcoh:g}; lower minTempCoh, check minopy.timeseries.waterMask/"
                "shadowMask, or mintpy.networkInversion.maskDataset/minRedundancy"
            )
        if low_redundancy:
            ctx.log.warning(
                "invert_network: %d pixels not inverted because a date has fewer than "
                "mintpy.networkInversion.minRedundancy = %g valid interferograms", low_redundancy,
                opts.min_redundancy)
        out["maskTempCoh"]["mask"] = (np.nan_to_num(tcoh, nan=-1.0) >= opts.min_tcoh) & done
        _write_attrs(ctx, out, net, opts)
        if cov is not None:
            out["timeseriesDecorCov"].attrs.update(_ts_attrs(net.attrs, dates, ctx, net.obs_name))
        for h5 in out.values():
            h5.close()
    remove_blocks(ctx.network_dir)
    ctx.log.info("invert_network: %d pixels inverted, %d dates -> %s", inverted, len(dates),
                 files["timeseries"])
