"""The results of a run at a glance: ``<work_dir>/summary.json``, its console text and checks.

:func:`build_summary` reads the products of a work directory and the bookkeeping of the run:

- ``velocity``: percentiles (2, 50, 98 %) and extremes, with their pixels, of MintPy's
  ``velocity.h5`` over the reliable pixels (``maskTempCoh``), in cm/year, relative to the reference
  point;
- ``pixels``: how many were inverted and are reliable, the PS count (``maskPS.h5``) and how many
  are not reliable for each reason (:mod:`minopy.nodata`);
- ``reference``: the reference point (row, column, latitude, longitude) and reference date;
- ``network``: its name, the pairs kept and the pairs per date (redundancy);
- ``run``: the steps' times (``.minopy_timing.json``), this run's wall time, the peak memory of
  this process and of its largest child process, and the warnings it logged;
- ``truth`` (added by ``minopy demo`` after the run): velocity RMSE and correlation against the
  simulation's ``truth.h5`` on the reliable pixels, and PASS or FAIL against
  :data:`TRUTH_TOLERANCE`.

Maps are read in blocks of rows; percentiles come from at most :data:`MAX_SAMPLES` pixels (a
regular subsample, stated in the summary), extremes from every pixel.
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from minopy import __version__, nodata
from minopy.errors import InputDataError
from minopy.io.atomic import write_text_atomic
from minopy.workflow import STEP_NAMES, TIMING_FILE

SUMMARY_NAME = "summary.json"
#: velocities are stored in m/year and summarised in cm/year.
VELOCITY_UNIT = "cm/year"
M_TO_CM = 100.0
#: at most this many pixels feed the percentiles.
MAX_SAMPLES = 4_000_000
#: percentiles of the velocity summary.
PERCENTILES = (2, 50, 98)
#: the demo passes when the velocity matches truth.h5 this well on the reliable pixels.
TRUTH_TOLERANCE = {"rmse_mm_per_year": 2.5, "correlation": 0.95}


@dataclass(frozen=True)
class Redundancy:
    """How many kept interferograms connect each date of a network.

    Attributes
    ----------
    dates : list of str
        YYYYMMDD, sorted.
    pairs_per_date : ndarray of int
        Kept interferograms that include each date.
    kept, total : int
        Interferograms kept (``dropIfgram`` True) and in the stack.
    """

    dates: list[str]
    pairs_per_date: np.ndarray
    kept: int
    total: int


def network_redundancy(ifgram_stack: str | os.PathLike) -> Redundancy:
    """Pairs per date of the kept interferograms of a MintPy ``ifgramStack.h5``.

    Raises
    ------
    InputDataError
        If the file lacks the ``date`` (pairs, 2) dataset.
    """
    with h5py.File(ifgram_stack, "r") as f:
        if "date" not in f or f["date"].ndim != 2:
            raise InputDataError(f"{ifgram_stack} has no 'date' (pairs, 2) dataset")
        pairs = [tuple(d.decode() if isinstance(d, bytes) else str(d) for d in row)
                 for row in f["date"][()]]
        keep = np.asarray(f["dropIfgram"][()], dtype=bool) if "dropIfgram" in f else \
            np.ones(len(pairs), dtype=bool)
    dates = sorted({d for pair in pairs for d in pair})
    index = {d: i for i, d in enumerate(dates)}
    counts = np.zeros(len(dates), dtype=np.int64)
    for (d1, d2), kept in zip(pairs, keep, strict=True):
        if kept:
            counts[index[d1]] += 1
            counts[index[d2]] += 1
    return Redundancy(dates, counts, int(keep.sum()), len(pairs))


def _attr(attrs: Any, key: str) -> str | None:
    value = attrs.get(key)
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def _round(value: float, digits: int = 3) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


def velocity_stats(network_dir: Path) -> dict[str, Any] | None:
    """Percentiles and extremes (cm/year) of ``velocity.h5`` over the reliable pixels.

    None when ``velocity.h5`` does not exist yet.
    """
    path = network_dir / "velocity.h5"
    if not path.is_file():
        return None
    mask_file = network_dir / "maskTempCoh.h5"
    with h5py.File(path, "r") as f:
        dset = f["velocity"]
        length, width = dset.shape
        step = max(1, math.ceil(math.sqrt(length * width / MAX_SAMPLES)))
        lo = (np.inf, -1, -1)
        hi = (-np.inf, -1, -1)
        samples, count = [], 0
        mf = h5py.File(mask_file, "r") if mask_file.is_file() else None
        try:
            for r0 in range(0, length, nodata.BLOCK_ROWS):
                r1 = min(length, r0 + nodata.BLOCK_ROWS)
                vel = np.asarray(dset[r0:r1], dtype=np.float64) * M_TO_CM
                good = np.isfinite(vel)
                if mf is not None:
                    good &= np.asarray(mf["mask"][r0:r1]).astype(bool)
                count += int(good.sum())
                if not good.any():
                    continue
                masked = np.where(good, vel, np.nan)
                i = int(np.nanargmin(masked))
                if masked.flat[i] < lo[0]:
                    lo = (float(masked.flat[i]), r0 + i // width, i % width)
                i = int(np.nanargmax(masked))
                if masked.flat[i] > hi[0]:
                    hi = (float(masked.flat[i]), r0 + i // width, i % width)
                rows = np.arange(r0, r1)
                take = good[(rows % step) == 0][:, ::step]
                samples.append(vel[(rows % step) == 0][:, ::step][take])
        finally:
            if mf is not None:
                mf.close()
        attrs = dict(f.attrs)
    out: dict[str, Any] = {"file": str(path), "unit": VELOCITY_UNIT,
                           "relative_to": "reference point", "reliable_pixels": count,
                           "masked_by": "maskTempCoh" if mask_file.is_file() else None}
    values = np.concatenate(samples) if samples else np.empty(0)
    if values.size:
        pct = np.percentile(values, PERCENTILES)
        out["percentiles"] = {str(p): _round(v) for p, v in zip(PERCENTILES, pct, strict=True)}
        out["percentile_sample_step"] = step
        out["min"] = {"value": _round(lo[0]), "y": lo[1], "x": lo[2]}
        out["max"] = {"value": _round(hi[0]), "y": hi[1], "x": hi[2]}
    out["reference_date"] = _attr(attrs, "REF_DATE")
    return out


def pixel_stats(work_dir: Path, network_dir: Path) -> dict[str, Any] | None:
    """Pixels inverted and reliable, the PS count and the counts of each no-data reason."""
    if not (network_dir / "maskTempCoh.h5").is_file():
        return None
    counts = nodata.reason_counts(network_dir)
    total = sum(counts.values())
    inverted = None
    num_inv = network_dir / "numInvIfgram.h5"
    if num_inv.is_file():
        with h5py.File(num_inv, "r") as f:
            dset = f["mask"]
            inverted = sum(int(np.count_nonzero(dset[r0:r0 + nodata.BLOCK_ROWS] > 0))
                           for r0 in range(0, dset.shape[0], nodata.BLOCK_ROWS))
    ps = None
    ps_file = work_dir / "maskPS.h5"
    if ps_file.is_file():
        with h5py.File(ps_file, "r") as f:
            dset = f["mask"]
            ps = sum(int(np.count_nonzero(dset[r0:r0 + nodata.BLOCK_ROWS]))
                     for r0 in range(0, dset.shape[0], nodata.BLOCK_ROWS))
    reliable = counts[nodata.RELIABLE]
    return {
        "total": total,
        "inverted": inverted,
        "inverted_percent": None if inverted is None else _round(100.0 * inverted / total, 1),
        "reliable": reliable,
        "reliable_percent": _round(100.0 * reliable / total, 1) if total else None,
        "ps": ps,
        "not_reliable": {nodata.REASONS[k]: v for k, v in counts.items()
                         if k != nodata.RELIABLE and v},
        "min_temp_coh": nodata.min_temp_coh(network_dir),
    }


def reference_info(network_dir: Path) -> dict[str, Any] | None:
    """Reference point and date from ``velocity.h5`` (or ``timeseries.h5``); latitude and
    longitude from its attributes (not on projected grids, where MintPy stores metres there),
    else from the network's ``inputs/geometryRadar.h5``."""
    for name in ("velocity.h5", "timeseries.h5"):
        path = network_dir / name
        if path.is_file():
            with h5py.File(path, "r") as f:
                attrs = dict(f.attrs)
            y, x = _attr(attrs, "REF_Y"), _attr(attrs, "REF_X")
            # degrees as text from MintPy, or floats from the geometry below
            lat: str | float | None = _attr(attrs, "REF_LAT")
            lon: str | float | None = _attr(attrs, "REF_LON")
            if "Y_FIRST" in attrs and not str(_attr(attrs, "X_UNIT") or "degrees").startswith(
                    "deg"):
                lat = lon = None  # a projected grid (UTM): MintPy's REF_LAT/LON are y/x in metres
            if lat is None and y is not None and x is not None:
                lat, lon = _geometry_lalo(network_dir, int(y), int(x))
            return {"y": None if y is None else int(y), "x": None if x is None else int(x),
                    "lat": None if lat is None else _round(float(lat), 6),
                    "lon": None if lon is None else _round(float(lon), 6),
                    "date": _attr(attrs, "REF_DATE")}
    return None


def _geometry_lalo(network_dir: Path, y: int, x: int) -> tuple[float | None, float | None]:
    """Latitude and longitude of pixel (y, x) from the network's radar geometry, if any."""
    geom = network_dir / "inputs" / "geometryRadar.h5"
    if not geom.is_file():
        return None, None
    with h5py.File(geom, "r") as f:
        if "latitude" not in f or "longitude" not in f:
            return None, None
        length, width = f["latitude"].shape
        if not (0 <= y < length and 0 <= x < width):
            return None, None
        return float(f["latitude"][y, x]), float(f["longitude"][y, x])


def network_info(network_dir: Path) -> dict[str, Any] | None:
    """The network's name, pairs kept and pairs per date (redundancy)."""
    stack = network_dir / "inputs" / "ifgramStack.h5"
    if not stack.is_file():
        return None
    red = network_redundancy(stack)
    per_date = red.pairs_per_date
    return {
        "name": network_dir.name.removesuffix("_network"),
        "pairs_kept": red.kept,
        "pairs_total": red.total,
        "dates": len(red.dates),
        "first_date": red.dates[0] if red.dates else None,
        "last_date": red.dates[-1] if red.dates else None,
        "pairs_per_date": {"min": int(per_date.min()), "median": _round(float(
            np.median(per_date)), 1), "max": int(per_date.max())} if per_date.size else None,
        "redundancy": _round(2.0 * red.kept / len(red.dates), 2) if red.dates else None,
    }


def _high_water_mark_mb() -> float | None:
    """``VmHWM`` of /proc/self/status (peak resident memory since the process started), MB."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        return None
    return None


def peak_memory_mb() -> dict[str, float]:
    """Peak resident memory of this process and of its largest finished child process, MB.

    This process: ``VmHWM`` on Linux (``ru_maxrss`` would include the memory of the process that
    started it, which Linux carries over at exec); ``ru_maxrss`` elsewhere. Children (dask
    workers, SNAPHU): ``ru_maxrss`` of the largest one that has finished.
    """
    scale = 1.0 if sys.platform == "darwin" else 1024.0  # ru_maxrss: bytes on macOS, KB on Linux
    own = _high_water_mark_mb()
    if own is None:
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale / 2**20
    return {"this_process": round(own, 1), "largest_child_process": round(child, 1)}


def _read_timing(work_dir: Path) -> dict[str, Any]:
    path = work_dir / TIMING_FILE
    try:
        data = json.loads(path.read_text()) if path.is_file() else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def run_status(timing: dict[str, Any]) -> str:
    """``complete``, ``failed in <step>`` or ``incomplete (<k> of 9 steps done)``."""
    failed = [s for s in STEP_NAMES if str((timing.get(s) or {}).get("status", "")
                                           ).startswith("failed")]
    if failed:
        return f"failed in {failed[0]}"
    done = [s for s in STEP_NAMES if (timing.get(s) or {}).get("status") == "done"]
    if len(done) == len(STEP_NAMES):
        return "complete"
    return f"incomplete ({len(done)} of {len(STEP_NAMES)} steps done)"


def build_summary(work_dir: str | os.PathLike, network_dir: str | os.PathLike | None,
                  warnings: list[str] | None = None, run_seconds: float | None = None
                  ) -> dict[str, Any]:
    """The summary of a work directory (see the module docstring for its parts).

    Parameters
    ----------
    work_dir : path-like
        The minopy work directory.
    network_dir : path-like or None
        ``<work_dir>/<network>_network`` of the run's network; None: the most recently modified
        ``*_network`` folder, if any.
    warnings : list of str, optional
        Warnings logged by the run.
    run_seconds : float, optional
        Wall time of the run.
    """
    work_dir = Path(work_dir)
    if network_dir is None:
        found = sorted(work_dir.glob("*_network"), key=lambda p: p.stat().st_mtime)
        network_dir = found[-1] if found else None
    net = Path(network_dir) if network_dir is not None else None
    timing = _read_timing(work_dir)
    steps = {s: {"seconds": rec.get("seconds"), "status": rec.get("status"),
                 "started": rec.get("start")}
             for s in STEP_NAMES if isinstance(rec := timing.get(s), dict)}
    warnings = list(warnings or [])
    summary: dict[str, Any] = {
        "minopy_version": __version__,
        "work_dir": str(work_dir.resolve()),
        "generated": datetime.now().astimezone().isoformat(timespec="seconds"),
        "status": run_status(timing),
        "velocity": velocity_stats(net) if net else None,
        "pixels": pixel_stats(work_dir, net) if net else None,
        "reference": reference_info(net) if net else None,
        "network": network_info(net) if net else None,
        "run": {"wall_seconds": _round(run_seconds, 1) if run_seconds is not None else None,
                "peak_memory_mb": peak_memory_mb(), "warnings": warnings,
                "warning_count": len(warnings), "steps": steps},
    }
    return summary


def read_summary(work_dir: str | os.PathLike) -> dict[str, Any]:
    """``<work_dir>/summary.json``, or an empty dict when missing or unreadable."""
    path = Path(work_dir) / SUMMARY_NAME
    try:
        data = json.loads(path.read_text()) if path.is_file() else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_summary(work_dir: str | os.PathLike, summary: dict[str, Any]) -> Path:
    """Write ``<work_dir>/summary.json`` atomically."""
    return write_text_atomic(Path(work_dir) / SUMMARY_NAME,
                             json.dumps(summary, indent=2, allow_nan=False) + "\n")


def compare_with_truth(network_dir: str | os.PathLike, truth_file: str | os.PathLike
                       ) -> dict[str, Any]:
    """Velocity of ``velocity.h5`` against a simulation's ``truth.h5`` on the reliable pixels.

    Both are taken relative to the reference pixel (MintPy's velocity is relative to it; the truth
    is absolute). The result passes when the RMSE and the correlation are within
    :data:`TRUTH_TOLERANCE`.

    Raises
    ------
    InputDataError
        If a file is missing or the grids differ.
    """
    net = Path(network_dir)
    vel_file, mask_file = net / "velocity.h5", net / "maskTempCoh.h5"
    for path in (vel_file, mask_file, Path(truth_file)):
        if not path.is_file():
            raise InputDataError(f"{path} does not exist; the truth comparison needs it")
    with h5py.File(truth_file, "r") as f:
        truth = np.asarray(f["velocity"][()], dtype=np.float64)
    with h5py.File(vel_file, "r") as f:
        vel = np.asarray(f["velocity"][()], dtype=np.float64)
        ry, rx = int(f.attrs["REF_Y"]), int(f.attrs["REF_X"])
        strides = f.attrs.get("minopy.inversion.strides")
    with h5py.File(mask_file, "r") as f:
        good = np.asarray(f["mask"][()]).astype(bool)
    if strides is not None and truth.shape != vel.shape:
        # output strides: the truth at the centre pixels of the coarse grid's cells
        from minopy.io.multilook import cell_centre, coarse_shape, parse_strides

        step = parse_strides(strides.decode() if isinstance(strides, bytes) else str(strides))
        if coarse_shape(truth.shape[0], truth.shape[1], step) == vel.shape:
            truth = cell_centre(truth, step)
    if not (truth.shape == vel.shape == good.shape):
        raise InputDataError(f"{truth_file} is {truth.shape} but {vel_file} is {vel.shape}: "
                             "not the same grid")
    good &= np.isfinite(vel) & np.isfinite(truth)
    est = vel - vel[ry, rx]
    true = truth - truth[ry, rx]
    diff_mm = 1000.0 * (est - true)[good]
    rmse = float(np.sqrt(np.mean(diff_mm ** 2))) if diff_mm.size else float("nan")
    corr = float(np.corrcoef(est[good], true[good])[0, 1]) if good.sum() > 2 else float("nan")
    passed = (math.isfinite(rmse) and rmse <= TRUTH_TOLERANCE["rmse_mm_per_year"]
              and math.isfinite(corr) and corr >= TRUTH_TOLERANCE["correlation"])
    return {"truth_file": str(truth_file), "pixels": int(good.sum()),
            "velocity_rmse_mm_per_year": _round(rmse, 2),
            "velocity_bias_mm_per_year": _round(float(np.mean(diff_mm)), 2)
            if diff_mm.size else None,
            "velocity_correlation": _round(corr, 4), "tolerance": dict(TRUTH_TOLERANCE),
            "result": "PASS" if passed else "FAIL"}


def _fmt(value: Any, digits: int = 2, signed: bool = True) -> str:
    if value is None:
        return "?"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _duration(seconds: Any) -> str:
    if seconds is None:
        return "?"
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{sec:02d}"


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """The summary as a few lines of text, for the console and the log."""
    lines = [f"results ({summary.get('status', '?')}):"]
    vel = summary.get("velocity")
    if vel and vel.get("percentiles"):
        p = vel["percentiles"]
        lines.append(
            f"  velocity ({vel['unit']}, relative to the reference point, {vel['reliable_pixels']}"
            f" reliable pixels): median {_fmt(p['50'])}, 2-98 % {_fmt(p['2'])} .. {_fmt(p['98'])}"
            f"; min {_fmt(vel['min']['value'])} at y{vel['min']['y']} x{vel['min']['x']}, max "
            f"{_fmt(vel['max']['value'])} at y{vel['max']['y']} x{vel['max']['x']}")
    else:
        lines.append("  velocity: not available (no velocity.h5 or no reliable pixel)")
    pix = summary.get("pixels")
    if pix:
        why = "; ".join(f"{n} {reason}" for reason, n in pix["not_reliable"].items())
        inverted = "?" if pix["inverted"] is None else \
            f"{pix['inverted']} ({_fmt(pix['inverted_percent'], 1, False)} %)"
        lines.append(f"  pixels: {pix['total']}; inverted {inverted}, reliable {pix['reliable']} "
                     f"({_fmt(pix['reliable_percent'], 1, False)} %), PS "
                     f"{'?' if pix['ps'] is None else pix['ps']}"
                     + (f"; not reliable: {why}" if why else ""))
    ref = summary.get("reference")
    if ref:
        where = f"y{ref['y']} x{ref['x']}"
        if ref.get("lat") is not None:
            where += f" ({ref['lat']:.5f}, {ref['lon']:.5f})"
        lines.append(f"  reference point {where}, reference date {ref.get('date') or '?'}")
    net = summary.get("network")
    if net:
        per = net.get("pairs_per_date") or {}
        lines.append(f"  network {net['name']}: {net['pairs_kept']} of {net['pairs_total']} "
                     f"pairs kept, {net['dates']} dates {net['first_date']}..{net['last_date']}, "
                     f"{per.get('min', '?')} to {per.get('max', '?')} pairs per date (median "
                     f"{per.get('median', 0):g})")
    run = summary.get("run") or {}
    steps = run.get("steps") or {}
    slowest = sorted(((s, r.get("seconds") or 0.0) for s, r in steps.items()),
                     key=lambda item: -item[1])[:3]
    mem = run.get("peak_memory_mb") or {}
    lines.append(
        f"  time: this run {_duration(run.get('wall_seconds'))}; slowest steps "
        + ", ".join(f"{s} {_duration(t)}" for s, t in slowest)
        + f"; peak memory {mem.get('this_process', '?')} MB (largest child process "
        f"{mem.get('largest_child_process', '?')} MB); {run.get('warning_count', 0)} warning(s)")
    truth = summary.get("truth")
    if truth:
        lines.append(truth_line(truth))
    return lines


def truth_line(truth: dict[str, Any]) -> str:
    """One line: the comparison with truth.h5 and its verdict."""
    tol = truth["tolerance"]
    return (f"  demo check against truth.h5 ({truth['pixels']} reliable pixels): velocity RMSE "
            f"{_fmt(truth['velocity_rmse_mm_per_year'], 2, False)} mm/year (tolerance <= "
            f"{tol['rmse_mm_per_year']}), correlation "
            f"{_fmt(truth['velocity_correlation'], 3, False)} (tolerance >= "
            f"{tol['correlation']}): {truth['result']}")
