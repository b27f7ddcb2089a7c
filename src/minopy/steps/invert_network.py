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
"""

from __future__ import annotations

import dataclasses
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from minopy import parallel
from minopy.errors import ConfigError, InputDataError, StepError
from minopy.interferogram.pair_runner import run_pairs
from minopy.io.atomic import atomic_path
from minopy.io.isce import read_raster
from minopy.io.multilook import parse_strides
from minopy.mintpy_bridge import TS_COV_NAME, UNWRAP_DATASETS, user_reference_given
from minopy.network.design import date_groups, dates_of, phase_design_matrix
from minopy.steps.context import StepContext
from minopy.steps.inversion_blocks import (
    BLOCK_FORMAT,
    BlockTask,
    InversionSetup,
    block_path,
    invert_block,
    remove_blocks,
    stored_fingerprint,
)
from minopy.steps.load_ifgram import geometry_copy, stack_file
from minopy.steps.outputs import H5Output, Output
from minopy.steps.patches import file_signature, fingerprint

OPTION_PREFIXES: tuple[str, ...] = ("minopy.timeseries.", "mintpy.unwrapError.method",
                                    "mintpy.networkInversion.", "mintpy.reference.")
#: bytes of input read per block (all pairs, a band of rows).
BLOCK_BYTES = 128 * 2**20
#: bytes of time-series covariance (N x N per pixel) computed per block with calcCov.
COV_BLOCK_BYTES = 256 * 2**20
#: the time-series covariance file (MintPy's name for the decorrelation covariance).
COV_NAME = TS_COV_NAME


def output_files(ctx: StepContext) -> dict[str, Path]:
    """The outputs by kind (``timeseriesDecorCov`` only with ``minopy.timeseries.calcCov``)."""
    net = ctx.network_dir
    files = {"timeseries": net / "timeseries.h5", "temporalCoherence": net /
             "temporalCoherence.h5", "numInvIfgram": net / "numInvIfgram.h5",
             "maskTempCoh": net / "maskTempCoh.h5"}
    if ctx.config.get("minopy.timeseries.calcCov"):
        files["timeseriesDecorCov"] = net / COV_NAME
    return files


def inputs(ctx: StepContext) -> list[Path]:
    files = [stack_file(ctx), ctx.temp_coh_raster(ctx.config["minopy.timeseries.tempCohType"])]
    water = ctx.config.resolve_path(ctx.config["minopy.timeseries.waterMask"])
    return files + ([Path(water)] if water else [])


def outputs(ctx: StepContext) -> list[Output]:
    """The time series and its three companions, in MintPy's layout."""
    files = output_files(ctx)
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
    method = (ctx.config.mintpy_value("mintpy.unwrapError.method") or "").lower()
    if not method:
        return "unwrapPhase"
    if method not in UNWRAP_DATASETS:
        raise ConfigError(f"mintpy.unwrapError.method = {method!r}; expected one of "
                          f"{', '.join(UNWRAP_DATASETS)} or no")
    name = UNWRAP_DATASETS[method]
    if name not in names:
        raise InputDataError(f"{name} is missing in {stack_file(ctx)} although "
                             f"mintpy.unwrapError.method = {method}; run ifgram_correction")
    return name


def _mask_rule(ctx: StepContext) -> tuple[str | None, float]:
    name = ctx.config.mintpy_value("mintpy.networkInversion.maskDataset")
    thr = ctx.config.mintpy_value("mintpy.networkInversion.maskThreshold") or "0.4"
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
    kind = ctx.config["minopy.timeseries.tempCohType"]
    path = ctx.temp_coh_raster(kind)
    if not path.is_file():
        raise InputDataError(f"{path} does not exist; run concatenate_patch "
                             "(or change minopy.timeseries.tempCohType)")
    tcoh = read_raster(path).astype(np.float32)
    if tcoh.shape != shape:
        raise InputDataError(f"{path} is {tcoh.shape} but the interferograms are {shape}")
    keep = np.ones(shape, dtype=bool)
    water_file = ctx.config.resolve_path(ctx.config["minopy.timeseries.waterMask"])
    geom = geometry_copy(ctx)
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
    if ctx.config["minopy.timeseries.shadowMask"] and geom.is_file():
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
    value = ctx.config.mintpy_value("mintpy.networkInversion.minRedundancy") or "1"
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
        "minopy.timeseries.residualNorm": ctx.config["minopy.timeseries.residualNorm"],
        "minopy.timeseries.L2weightFunc": ctx.config["minopy.timeseries.L2weightFunc"],
        "minopy.timeseries.minNormVelocity": str(ctx.config["minopy.timeseries.minNormVelocity"]),
        "minopy.timeseries.tempCohType": ctx.config["minopy.timeseries.tempCohType"],
        "minopy.timeseries.minTempCoh": str(ctx.config["minopy.timeseries.minTempCoh"]),
    })
    return out


def rows_for(num_pair: int, width: int) -> int:
    """Rows of one block: all pairs of a band of rows within :data:`BLOCK_BYTES`."""
    return max(1, int(BLOCK_BYTES // max(1, 4 * num_pair * width)))


def run(ctx: StepContext) -> None:
    """Invert the network block by block and write the four MintPy-format outputs."""
    cfg = ctx.config
    path = stack_file(ctx)
    if not path.is_file():
        raise InputDataError(f"{path} does not exist; run the load_ifgram step")
    mask_name, mask_thr = _mask_rule(ctx)
    func = cfg["minopy.timeseries.L2weightFunc"]
    norm = cfg["minopy.timeseries.residualNorm"]
    min_tcoh = float(cfg["minopy.timeseries.minTempCoh"])
    files = output_files(ctx)
    with h5py.File(path, "r") as f, ExitStack() as stack:
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
        min_red = min_redundancy(ctx)
        incidence = np.zeros((len(dates), len(pairs)), np.float32)
        pos = {d: i for i, d in enumerate(dates)}
        for k, pair in enumerate(pairs):
            incidence[pos[pair[:8]], k] = incidence[pos[pair[9:]], k] = 1.0
        tcoh, land = pixel_masks(ctx, (length, width))
        if not tcoh[ref_y, ref_x] >= min_tcoh:
            ctx.log.warning(
                "the reference pixel y/x = %d/%d has tempCoh_%s = %.2f < minopy.timeseries."
                "minTempCoh = %g (or is masked): its phase noise goes into every pixel of the time "
                "series; prefer a coherent reference (mintpy.reference.yx/lalo)", ref_y, ref_x,
                cfg["minopy.timeseries.tempCohType"], tcoh[ref_y, ref_x], min_tcoh)
        looks = _num_looks(attrs)
        wavelength = float(attrs["WAVELENGTH"])
        bperp = np.zeros(len(dates), np.float32)
        bperp[1:] = np.linalg.lstsq(phase_design_matrix(pairs, dates),
                                    f["bperp"][()][idx].astype(np.float64), rcond=None)[0]
        calc_cov = "timeseriesDecorCov" in files
        setup = InversionSetup(
            stack_file=str(path), obs_name=obs_name, idx=idx, pairs=tuple(pairs),
            dates=tuple(dates), ref_phase=ref_phase, incidence=incidence, width=width,
            mask_name=mask_name, mask_thr=mask_thr, weight_func=func, norm=norm,
            min_norm_velocity=bool(cfg["minopy.timeseries.minNormVelocity"]),
            smoothing=float(cfg["minopy.timeseries.L1smoothingFactor"]), min_tcoh=min_tcoh,
            min_red=min_red, looks=looks, wavelength=wavelength, calc_cov=calc_cov)
        rows = rows_for(num_pair, width)
        if calc_cov:
            rows = max(1, min(rows, COV_BLOCK_BYTES // max(1, 8 * len(dates) ** 2 * width)))
        common = fingerprint({"format": BLOCK_FORMAT, "setup": repr(dataclasses.astuple(setup)),
                              "inputs": [file_signature(p) for p in inputs(ctx)]})
        tasks = []
        for y0 in range(0, length, rows):
            y1 = min(length, y0 + rows)
            out_file = block_path(ctx.network_dir, y0, y1)
            fp = fingerprint({"run": common, "rows": [y0, y1]})
            tasks.append(BlockTask(setup, y0, y1, tcoh[y0:y1], str(out_file), fp,
                                   parallel.threads_per_worker(cfg)))
        todo = [t for t in tasks if stored_fingerprint(Path(t.out_file)) != t.fingerprint]
        ctx.log.info("invert_network: %d x %d pixels, %d pairs, %d dates: %d blocks of %d rows "
                     "(%d to compute, %d reused)", length, width, len(pairs), len(dates),
                     len(tasks), rows, len(todo), len(tasks) - len(todo))
        run_pairs(ctx, invert_block, [(f"rows{t.y0}", (t,)) for t in todo], "invert_network")
        tmp = {k: stack.enter_context(atomic_path(p)) for k, p in files.items()}
        out = {k: stack.enter_context(h5py.File(p, "w")) for k, p in tmp.items()}
        ts = out["timeseries"].create_dataset(
            "timeseries", (len(dates), length, width), np.float32,
            chunks=(1, min(length, 256), min(width, 256)))
        out["timeseries"]["date"] = np.array(dates, dtype="S8")
        out["timeseries"]["bperp"] = bperp
        num_inv = out["numInvIfgram"].create_dataset("mask", (length, width), np.float32)
        cov = None
        if calc_cov:
            n = len(dates)
            cov = out["timeseriesDecorCov"].create_dataset(
                "timeseries", (n, n, length, width), np.float32,
                chunks=(n, n, 1, min(width, max(1, 2**20 // (4 * n * n)))))
            out["timeseriesDecorCov"]["date"] = np.array(dates, dtype="S8")
        out["temporalCoherence"]["temporalCoherence"] = tcoh
        done = np.zeros((length, width), bool)
        inverted = low_redundancy = 0
        for task in tasks:
            block = Path(task.out_file)
            if stored_fingerprint(block) != task.fingerprint:
                raise StepError(f"invert_network: the result of rows {task.y0}-{task.y1} "
                                f"({block}) is missing or stale after the run")
            with np.load(block, allow_pickle=False) as data:
                ts[:, task.y0:task.y1, :] = data["timeseries"]
                num_inv[task.y0:task.y1, :] = data["numInvIfgram"]
                done[task.y0:task.y1] = data["done"]
                if cov is not None:
                    cov[:, :, task.y0:task.y1, :] = data["timeseriesDecorCov"]
                inverted += int(data["counters"][0])
                low_redundancy += int(data["counters"][1])
        if inverted == 0:
            raise InputDataError(
                f"every pixel is masked: {int(land.sum())} of {land.size} pixels are on land/not "
                f"in shadow, {int(np.sum(tcoh >= min_tcoh))} have tempCoh_"
                f"{cfg['minopy.timeseries.tempCohType']} >= minopy.timeseries.minTempCoh = "
                f"{min_tcoh:g}; lower minTempCoh, check minopy.timeseries.waterMask/shadowMask, "
                "or mintpy.networkInversion.maskDataset/minRedundancy"
            )
        if low_redundancy:
            ctx.log.warning(
                "invert_network: %d pixels not inverted because a date has fewer than "
                "mintpy.networkInversion.minRedundancy = %g valid interferograms", low_redundancy,
                min_red)
        out["maskTempCoh"]["mask"] = (np.nan_to_num(tcoh, nan=-1.0) >= min_tcoh) & done
        out["timeseries"].attrs.update(_ts_attrs(attrs, dates, ctx, obs_name))
        if cov is not None:
            out["timeseriesDecorCov"].attrs.update(_ts_attrs(attrs, dates, ctx, obs_name))
        base = {k: v for k, v in attrs.items() if not k.startswith("mintpy.")}
        base.pop("REF_DATE", None)
        for key, ftype in (("temporalCoherence", "temporalCoherence"),
                           ("numInvIfgram", "mask"), ("maskTempCoh", "mask")):
            out[key].attrs.update({**base, "FILE_TYPE": ftype, "UNIT": "1"})
        out["maskTempCoh"].attrs.update({
            "mintpy.networkInversion.minTempCoh": str(min_tcoh),
            "mintpy.networkInversion.shadowMask": str(bool(cfg["minopy.timeseries.shadowMask"])),
        })
        for h5 in out.values():
            h5.close()
    remove_blocks(ctx.network_dir)
    ctx.log.info("invert_network: %d pixels inverted, %d dates -> %s", inverted, len(dates),
                 files["timeseries"])
