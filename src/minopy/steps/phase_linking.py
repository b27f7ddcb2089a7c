"""Step ``phase_linking``: estimate the linked phase of every pixel, patch by patch.

``inputs/slcStack.h5`` is tiled into patches (:mod:`minopy.steps.patches`); each patch is a task
that reads its block of the stack (with margins, in one HDF5 read), runs
:func:`minopy.phaselink.patch.process_patch` and writes ``inverted/PATCHES/PATCH_<i>/result.npz``
atomically. A patch whose result exists with the current fingerprint (options, patch box, input
file size and mtime) is reused, so a killed run resumes where it stopped. ``PATCHES/DONE`` is
written last.

Execution (:meth:`minopy.parallel.ExecutionPolicy.plan` of the run's policy, logged at the start):
the phase-linking kernels are parallel inside a patch (numba ``prange`` over rows), so a local run
on up to 8 cores (``numProcessor x threadsPerWorker``, capped at the CPU count), or with fewer than
``2 x numProcessor`` patches, runs the patches one after the other **in this process** with one
numba thread per core. That avoids starting worker processes which each import the package and load
(or, with a stale cache, compile) the kernels, and holds one patch in memory instead of one per
worker. Larger local runs use a dask ``LocalCluster`` of ``numProcessor`` workers x
``threadsPerWorker`` threads, and ``minopy.compute.scheduler`` always uses that dask cluster.
Before local workers start, the kernels are compiled or loaded once here, so the workers load them
from numba's on-disk cache instead of each compiling them at the same time. A local run (in-process
or local dask) warms the kernels up before the patches' progress bar starts: a first run announces
the compilation and shows its progress, and the ETA of the patches does not include it.

Pixels are not processed where the optional mask ``minopy.inversion.mask`` is 0, or where any date
is NaN/inf or exactly 0 (no data). A date without any valid pixel is an error naming that date.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from minopy import parallel
from minopy.config import option_key
from minopy.errors import ConfigError, InputDataError, StepError
from minopy.io import ministack_store
from minopy.io.atomic import write_text_atomic
from minopy.parallel_env import numba_threads, set_numba_threads
from minopy.phaselink.sequential import ministack_bounds
from minopy.phaselink_options import FIELDS, phase_link_options, template_key
from minopy.step_context import StepContext
from minopy.steps import streaming
from minopy.steps.outputs import NpzOutput, Output, TextOutput
from minopy.steps.patches import (
    RESULT_FIELDS,
    PatchBox,
    file_signature,
    fingerprint,
    patch_grid,
    read_block,
    read_mask_array,
    result_fingerprint,
    result_path,
    write_result,
)

#: the options the step reads (:data:`minopy.runner` fingerprints them).
READS: tuple[str, ...] = (
    "inversion",
)
#: a logger for plans made only to list the outputs (their notes were logged by the run).
_QUIET = logging.getLogger("minopy.phase_linking.outputs")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False

#: file written in the patches folder once every patch is complete.
DONE_NAME = "DONE"
#: bump when the patch file layout or the meaning of its contents changes.
PATCH_FORMAT = 1
#: a warm-up that takes longer than this (s) compiled kernels missing from the cache.
LATE_COMPILE_S = 5.0


@dataclass(frozen=True)
class StackInfo:
    """Size and dates of ``slcStack.h5``."""

    path: Path
    num_dates: int
    length: int
    width: int
    dates: tuple[str, ...]


@dataclass(frozen=True)
class PatchTask:
    """Everything a worker needs to compute one patch (paths, not arrays)."""

    slc_file: str
    mask_file: str | None
    box: PatchBox
    options: Any
    fingerprint: str
    out_file: str
    threads: int
    image_shape: tuple[int, int]


@dataclass(frozen=True)
class Plan:
    """The patches of a run and the fingerprint each result must carry."""

    stack: StackInfo
    options: Any
    mask_file: Path | None
    boxes: list[PatchBox]
    fingerprints: list[str]

    @property
    def run_fingerprint(self) -> str:
        """Hash over all patch fingerprints (content of ``DONE``)."""
        return fingerprint({"patches": self.fingerprints})


def read_stack_info(slc_file: Path) -> StackInfo:
    """Read the size and dates of ``slcStack.h5``.

    Raises
    ------
    InputDataError
        If the file is missing or has no 3-D ``slc`` dataset.
    """
    if not slc_file.is_file():
        raise InputDataError(f"{slc_file} does not exist; run the load_data step first")
    try:
        with h5py.File(slc_file, "r") as f:
            if "slc" not in f or f["slc"].ndim != 3:
                raise InputDataError(f"{slc_file}: expected a 3-D dataset 'slc' (N, L, W)")
            n, length, width = (int(v) for v in f["slc"].shape)
            if "date" in f:
                dates = tuple(d.decode() if isinstance(d, bytes) else str(d) for d in f["date"][()])
            else:
                dates = tuple(f"#{i}" for i in range(n))
    except OSError as exc:
        raise InputDataError(f"cannot read {slc_file}: {exc}") from exc
    if len(dates) != n:
        raise InputDataError(f"{slc_file}: 'date' has {len(dates)} entries but 'slc' {n} dates")
    return StackInfo(slc_file, n, length, width, dates)


def validate(config: Any, options: Any, stack: StackInfo) -> None:
    """Check options against the stack before any heavy work.

    Raises
    ------
    InputDataError
        Fewer than 3 dates.
    ConfigError
        A window larger than the image, a patch smaller than the window, or any value
        ``PhaseLinkOptions.validate`` rejects; names the key.
    """
    n, length, width = stack.num_dates, stack.length, stack.width
    if n < 3:
        raise InputDataError(f"{stack.path} has {n} dates; phase linking needs at least 3")
    patch = int(config.inversion.patch_size)
    for field, size in (("azimuth_window", length), ("range_window", width)):
        win = getattr(options, field)
        axis = "rows (length)" if field == "azimuth_window" else "columns (width)"
        if win > size:
            raise ConfigError(f"{template_key(field)} = {win} is larger than the image "
                              f"({size} {axis} in {stack.path.name}); use at most {size}")
        if patch < win:
            raise ConfigError(f"{option_key('inversion', 'patch_size')} = {patch} is smaller than "
                              f"{template_key(field)} = {win}; use a patch of at least {win}")
    try:
        options.validate(n, length, width)
    except ConfigError:
        raise
    except ValueError as exc:
        text = str(exc)
        key = next((template_key(f) for f in FIELDS if re.search(rf"\b{f}\b", text)), None)
        prefix = f"{key}: " if key else "minopy.inversion options: "
        raise ConfigError(f"{prefix}{text}") from exc


def make_plan(ctx: StepContext, log: logging.Logger | None = None) -> Plan:
    """Read the stack, validate the options and lay out the patches with their fingerprints.

    ``log`` receives the notes on the options (default ``ctx.log``).
    """
    config = ctx.config
    stack = read_stack_info(ctx.slc_stack_file)
    options = phase_link_options(config.inversion, log or ctx.log)
    validate(config, options, stack)
    if options.uses_full_stack(stack.num_dates):
        ctx.log.info(
            "%s with %s = %d on %d dates (fewer than 2 x %d): one mini-stack of all dates, i.e. "
            "the full-stack %s estimator (as MiNoPy)", options.method,
            template_key("ministack_size"), options.ministack_size, stack.num_dates,
            options.ministack_size, options.method.removeprefix("sequential_"))
    mask_value = config.inversion.mask
    mask_file = Path(config.resolve_path(str(mask_value))) if mask_value else None
    if mask_file is not None:
        read_mask_array(mask_file, (stack.length, stack.width), box=(0, 1, 0, 1))  # checks only
    margin = (options.azimuth_window // 2, options.range_window // 2)
    boxes = patch_grid(stack.length, stack.width, int(config.inversion.patch_size),
                       margin, options.strides)
    common: dict[str, Any] = {"format": PATCH_FORMAT, "options": dataclasses.asdict(options),
                              "slc": file_signature(stack.path), "mask": file_signature(mask_file)}
    if streaming.is_streaming(config, options.method):
        # results are assembled from the mini-stacks: their states are part of the fingerprint
        count = len(ministack_bounds(stack.num_dates, options.ministack_size)) - 1
        common["ministacks"] = streaming.state_hashes(ctx.inverted_dir / ministack_store.FOLDER,
                                                      count)
    fps = [fingerprint({**common, "box": dataclasses.astuple(b)}) for b in boxes]
    return Plan(stack, options, mask_file, boxes, fps)


def done_text(plan: Plan) -> str:
    """Content of ``PATCHES/DONE`` for a plan (its fingerprint and number of patches)."""
    return json.dumps({"fingerprint": plan.run_fingerprint, "patches": len(plan.boxes)}) + "\n"


def compute_patch(task: PatchTask) -> tuple[int, np.ndarray]:
    """Compute one patch and write its result file (runs in a worker or in-process).

    Returns
    -------
    (int, ndarray)
        The patch index and the number of valid pixels per date in its core.
    """
    from minopy.phaselink.patch import process_patch

    set_numba_threads(task.threads)  # numba is the only thread pool the kernels use
    box = task.box
    slc, good = read_block(task.slc_file, box)
    mask = None
    if task.mask_file is not None:
        mask = read_mask_array(task.mask_file, task.image_shape,
                               box=(box.read_row0, box.read_row1, box.read_col0, box.read_col1))
    r0, r1, c0, c1 = box.core_in_block
    valid_per_date = np.count_nonzero(good[:, r0:r1, c0:c1], axis=(1, 2)).astype(np.int64)
    del good
    result = process_patch(slc, box.core_in_block, task.options, mask=mask)
    arrays = {f.name: np.asarray(getattr(result, f.name)) for f in dataclasses.fields(result)}
    write_result(Path(task.out_file), arrays, box, task.fingerprint, valid_per_date)
    return box.index, valid_per_date


def _clean_patches_dir(patches_dir: Path, num_patches: int) -> None:
    """Remove temporary files of killed runs and patch folders beyond the current grid."""
    if not patches_dir.is_dir():
        return
    for tmp in patches_dir.glob("PATCH_*/.*.part*"):
        tmp.unlink(missing_ok=True)
    for folder in patches_dir.glob("PATCH_*"):
        match = re.fullmatch(r"PATCH_(\d+)", folder.name)
        if folder.is_dir() and match and int(match.group(1)) >= num_patches:
            shutil.rmtree(folder)


def warm_up_kernels(options: Any, num_dates: int, log: logging.Logger | None = None) -> float:
    """Compile the phase-linking kernels, or load them from numba's disk cache, in this process.

    Runs :func:`process_patch` on a tiny block with the run's options, so every kernel is
    compiled for the argument types of the real patches, before the progress bar of the patches
    starts (so the compilation does not distort its ETA). When the cache
    (:func:`minopy.numba_setup.cache_dir`) does not hold the kernels yet, the compilation is
    announced and shows its own progress (elapsed time, kernels ready). Worker processes started
    afterwards load the kernels from the cache instead of compiling them concurrently.

    Returns
    -------
    float
        Seconds taken.
    """
    from minopy import numba_setup
    from minopy.phaselink.patch import process_patch
    from minopy.progress import Activity

    log = log or logging.getLogger("minopy")
    folder = numba_setup.cache_dir()
    cached = numba_setup.kernels_cached(folder)
    if not cached:
        log.info("compiling the phase-linking kernels, first run only (typically 1-2 minutes; "
                 "cached in %s)", folder)
    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    shape = (num_dates, 6, 6)
    slc = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)
    with Activity("compiling the phase-linking kernels", log,
                  status=lambda: f"{numba_setup.compiled_kernel_count()} kernels ready",
                  delay=0.0 if not cached else LATE_COMPILE_S,
                  late_note="" if not cached else "compiling the phase-linking kernels for these "
                  "options (not in the cache yet)"), numba_threads(1):
        process_patch(slc, (2, 4, 2, 4), options)
    seconds = time.perf_counter() - t0
    if not cached or seconds > LATE_COMPILE_S:
        log.info("phase-linking kernels compiled in %.1f s; later runs load them from %s",
                 seconds, folder)
    else:
        log.info("phase-linking kernels loaded from the cache in %.1f s", seconds)
    return seconds


def _log_calibration(ctx: StepContext, o: Any) -> None:
    """Say how SHPs, PS and small samples are decided (README: "Phase linking: what the
    defaults do, and why")."""
    ctx.log.info(
        "SHP selection: %s test at significance %g, its critical value computed for the "
        "correlated dates of each window (N_eff = N / dependence, from the window's coherence), "
        "power differences below %.0f %% accepted (shpMargin), covariance-consistency pruning %s; "
        "PS rule %s%s; pixels with fewer than %d SHPs are flagged few-SHP with a "
        "neighbour-similarity quality", o.shp_test, o.shp_alpha, 100 * o.shp_margin,
        "on" if o.shp_refine else "off", o.ps_rule,
        f" (signal-to-clutter ratio >= {o.ps_min_scr:g})" if o.ps_rule == "scr" else "",
        o.min_num_shp)


def _run_tasks(ctx: StepContext, tasks: list[PatchTask], execution: parallel.Execution,
               options: Any, num_dates: int) -> dict[int, np.ndarray]:
    """Run the tasks as ``execution`` says (:func:`minopy.parallel.run_tasks`), with a progress
    bar; return the valid counts per patch."""
    if not tasks:
        return {}
    if execution.in_process or not ctx.execution.remote:
        warm_up_kernels(options, num_dates, ctx.log)
    jobs = [(f"{t.box.name}-{t.fingerprint[:12]}", (t,)) for t in tasks]
    results = parallel.run_tasks(ctx.execution, execution, compute_patch, jobs, "phase linking",
                                 ctx.log, "patch", key_prefix="phase_linking")
    return dict(results.values())


def _stored_valid_counts(path: Path) -> np.ndarray:
    with np.load(path, allow_pickle=False) as data:
        return np.asarray(data["valid_per_date"])


def _check_dates(plan: Plan, total: np.ndarray) -> None:
    empty = [plan.stack.dates[i] for i in np.flatnonzero(total == 0)]
    if empty:
        raise InputDataError(
            f"{plan.stack.path}: date(s) {', '.join(empty)} have no valid pixel (all zero or "
            "NaN); fix or remove that SLC (or narrow minopy.load.startDate/endDate) and re-run "
            "load_data")


def run(ctx: StepContext, execution: str = "auto") -> None:
    """Phase-link every patch not yet done; write ``PATCHES/DONE`` when all are complete.

    Parameters
    ----------
    ctx : StepContext
    execution : {"auto", "inprocess", "dask"}
        ``auto`` applies the rule of :meth:`minopy.parallel.ExecutionPolicy.plan` (see the module
        docstring); the others force a mode (benchmarks, tests).
    """
    plan = make_plan(ctx)
    patches_dir = ctx.patches_dir
    patches_dir.mkdir(parents=True, exist_ok=True)
    _clean_patches_dir(patches_dir, len(plan.boxes))
    if streaming.is_streaming(ctx.config, plan.options.method):
        _run_streaming(ctx, plan, execution)
        return
    todo = []
    for box, fp in zip(plan.boxes, plan.fingerprints, strict=True):
        out = result_path(patches_dir, box)
        if not (out.is_file() and result_fingerprint(out) == fp):
            todo.append((box, fp, out))
    how = ctx.execution.plan(len(todo), parallel_inside=True, mode=execution)
    tasks = [PatchTask(str(plan.stack.path), None if plan.mask_file is None
                       else str(plan.mask_file), box, plan.options, fp, str(out), how.threads,
                       (plan.stack.length, plan.stack.width)) for box, fp, out in todo]
    ctx.log.info("phase linking %d x %d pixels, %d dates, %s: %d patches (%d to compute, "
                 "%d reused); %s", plan.stack.length, plan.stack.width, plan.stack.num_dates,
                 plan.options.method, len(plan.boxes), len(tasks), len(plan.boxes) - len(tasks),
                 how.describe())
    _log_calibration(ctx, plan.options)
    done_file = patches_dir / DONE_NAME
    if tasks:
        if any(out.is_file() for _, _, out in todo):
            streaming.log_full_recompute(ctx.log, plan.options.method, ctx.config)
        done_file.unlink(missing_ok=True)
    counts = _run_tasks(ctx, tasks, how, plan.options, plan.stack.num_dates)
    total = np.zeros(plan.stack.num_dates, dtype=np.int64)
    for box in plan.boxes:
        valid = counts.get(box.index)
        if valid is None:
            out = result_path(patches_dir, box)
            if not out.is_file():
                raise StepError(f"phase_linking: {box.describe()} has no result after the run")
            valid = _stored_valid_counts(out)
        total += valid
    _check_dates(plan, total)
    text = done_text(plan)
    if not done_file.is_file() or done_file.read_text() != text:
        write_text_atomic(done_file, text)


def _run_streaming(ctx: StepContext, plan: Plan, execution: str) -> None:
    """Link by streaming mini-stacks (:mod:`minopy.steps.streaming`), then write every patch's
    ``result.npz`` from its mini-stack files and ``PATCHES/DONE``."""
    patches = len(plan.boxes)
    how = ctx.execution.plan(patches, parallel_inside=True, mode=execution)
    ctx.log.info("phase linking %d x %d pixels, %d dates, %s (streaming mini-stacks of %d): %d "
                 "patches; %s", plan.stack.length, plan.stack.width, plan.stack.num_dates,
                 plan.options.method, plan.options.ministack_size, patches, how.describe())
    _log_calibration(ctx, plan.options)
    done_file = ctx.patches_dir / DONE_NAME
    done_file.unlink(missing_ok=True)

    def warm_up(options: Any, rows: int) -> None:
        if how.in_process or not ctx.execution.remote:
            warm_up_kernels(options, rows, ctx.log)

    num_ms = streaming.run(ctx, plan, how, warm_up)
    plan = make_plan(ctx)  # the fingerprints now hold the mini-stacks' state hashes
    root = ctx.inverted_dir / ministack_store.FOLDER
    total = np.zeros(plan.stack.num_dates, dtype=np.int64)
    for box, fp in zip(plan.boxes, plan.fingerprints, strict=True):
        out = result_path(ctx.patches_dir, box)
        if out.is_file() and result_fingerprint(out) == fp:
            total += _stored_valid_counts(out)
            continue
        arrays = streaming.assemble(root, box, num_ms)
        valid = arrays.pop("valid_per_date")
        write_result(out, arrays, box, fp, valid)
        total += valid
    _check_dates(plan, total)
    write_text_atomic(done_file, done_text(plan))


def inputs(ctx: StepContext) -> list[Path]:
    """The SLC stack and, if set, the processing mask."""
    files = [ctx.slc_stack_file]
    mask_value = ctx.config.inversion.mask
    if mask_value:
        files.append(Path(ctx.config.resolve_path(str(mask_value))))
    return files


def outputs(ctx: StepContext) -> list[Output]:
    """Every patch result (``PATCH_<i>/result.npz`` computed with the current options and inputs)
    and ``inverted/PATCHES/DONE``, written after them.

    Raises
    ------
    MinopyError
        When the patches cannot be laid out (no readable slcStack.h5, options that do not fit it):
        the outputs cannot be listed, so the step is not up to date.
    """
    done = ctx.patches_dir / DONE_NAME
    plan = make_plan(ctx, _QUIET)
    results: list[Output] = [
        NpzOutput(result_path(ctx.patches_dir, box), RESULT_FIELDS, fp)
        for box, fp in zip(plan.boxes, plan.fingerprints, strict=True)]
    return [*results, TextOutput(done, done_text(plan))]
