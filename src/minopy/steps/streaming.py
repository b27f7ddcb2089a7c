"""Streaming sequential phase linking for the ``phase_linking`` step (updates by mini-stack).

With a ``sequential_*`` method and ``minopy.inversion.sequentialMode = streaming`` the step links
the stack one mini-stack at a time (:mod:`minopy.phaselink.streaming`): for mini-stack ``k`` every
patch reads only the mini-stack's dates and the compressed images ``C_0 .. C_{k-1}`` over its
block, runs :func:`~minopy.phaselink.patch.process_patch` with the base estimator on that
pseudo-stack, and writes its products and ``C_k`` to ``inverted/ministacks/MS_<k>/``
(:mod:`minopy.io.ministack_store`). Once every patch of ``k`` is done, ``compressed.h5``, the
running ``tempCoh_average`` and ``state.json`` are written; then ``k + 1`` starts (it needs
``C_k`` in the margins of its blocks, which come from neighbouring patches).

A re-run keeps every leading mini-stack whose state verifies: same options, mask, image and
patch layout, the same dates with the same content digests (``slcStack.h5``), the same previous
mini-stack (hash chain) and files that match their checksums. The first one that fails says why
in the log, and it and all later mini-stacks are linked again; so a grown stack links only the
mini-stacks holding new dates, a date inserted among old ones re-links from its mini-stack on,
and a corrupt state is recomputed (with a warning), never used. Killed runs resume per patch.

Finally every patch's ``PATCHES/PATCH_<i>/result.npz`` is assembled from its mini-stack files,
in the format of the stack mode, so ``concatenate_patch`` works unchanged:
``phase``, ``amplitude``, ``crlb_std`` of each date from its mini-stack; ``temporal_coherence``
``[0]`` the mean of the mini-stack coherences, ``[1]`` the last mini-stack's (whose pseudo-stack
spans all dates through the compressed images); ``ps_mask`` PS in every mini-stack;
``shp_count``, ``estimator`` and ``top_eigenvalues`` the last mini-stack's; ``amp_dispersion``
over all dates.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from minopy import parallel
from minopy.errors import ConfigError, StepError
from minopy.io import ministack_store as store
from minopy.io.fingerprinted_npz import npz_fingerprint, write_npz
from minopy.io.isce import create_raster
from minopy.io.signature import digest
from minopy.io.slc_digest import dataset_digests, read_date_digests
from minopy.parallel_env import set_numba_threads
from minopy.phaselink.sequential import ministack_bounds
from minopy.phaselink.streaming import RunningStats, link_ministack
from minopy.phaselink_options import template_key
from minopy.step_context import StepContext
from minopy.steps.patches import PatchBox, file_signature, read_block, read_mask_array

#: fields of a mini-stack patch file.
PER_DATE = ("phase", "amplitude", "crlb_std", "valid_per_date")
LAST = ("temporal_coherence", "shp_count", "estimator", "top_eigenvalues")
SUMS = ("coherence_sum", "amplitude_sum", "amplitude_sq_sum", "ps_always", "counts")
PATCH_FIELDS = (*PER_DATE, *LAST, *SUMS, "compressed")


def is_streaming(config: Any, method: str) -> bool:
    """Whether the step links by streaming mini-stacks."""
    return method.startswith("sequential_") and config.inversion.sequential_mode == "streaming"


def check_options(options: Any) -> None:
    """Streaming needs full-resolution output and mini-stacks of at least 3 dates.

    Raises
    ------
    ConfigError
        Naming the key and what is allowed.
    """
    mode = "minopy.inversion.sequentialMode = streaming"
    if tuple(options.strides) != (1, 1):
        raise ConfigError(f"{mode} needs full-resolution output: set {template_key('strides')} "
                          f"= 1,1 (it is {options.strides[0]},{options.strides[1]}), or use "
                          "sequentialMode = stack")
    if options.ministack_size < 3:
        raise ConfigError(f"{mode}: {template_key('ministack_size')} = "
                          f"{options.ministack_size} is too small; use at least 3")


@dataclass(frozen=True)
class MiniStack:
    """Mini-stack ``index``: dates ``start .. stop - 1`` of the stack, their names and digests."""

    index: int
    start: int
    stop: int
    dates: tuple[str, ...]
    digests: tuple[str, ...]


def date_digests(slc_file: Path, dates: tuple[str, ...]) -> tuple[str, ...]:
    """Content digest of every date of ``slcStack.h5`` (:mod:`minopy.io.slc_digest`): the ones
    ``load_data`` recorded, else recomputed from the data (stacks written before digests were
    kept; the same definition, so a later append with recorded digests keeps the mini-stacks)."""
    stored = read_date_digests(slc_file)
    if all(d in stored for d in dates):
        return tuple(stored[d] for d in dates)
    with h5py.File(slc_file, "r") as f:
        return tuple(dataset_digests(f["slc"]))


def partition(dates: tuple[str, ...], digests: tuple[str, ...], size: int) -> list[MiniStack]:
    """The mini-stacks of the stack (:func:`~minopy.phaselink.sequential.ministack_bounds`)."""
    b = [int(v) for v in ministack_bounds(len(dates), size)]
    return [MiniStack(k, b[k], b[k + 1], dates[b[k]:b[k + 1]], digests[b[k]:b[k + 1]])
            for k in range(len(b) - 1)]


def base_options(options: Any) -> Any:
    """The options each mini-stack is linked with: the base estimator of the sequential one."""
    return dataclasses.replace(options, method=options.method.removeprefix("sequential_"))


def common_provenance(ctx: StepContext, options: Any, shape: tuple[int, int],
                      mask_file: Path | None) -> dict[str, Any]:
    """What every mini-stack depends on besides its dates and the mini-stacks before it (as
    JSON holds it, so it compares equal to a stored one)."""
    return json.loads(json.dumps({
        "options": dataclasses.asdict(options), "mask": file_signature(mask_file),
        "shape": list(shape), "patch_size": int(ctx.config.inversion.patch_size)}))


def provenance(common: dict[str, Any], ms: MiniStack, previous: str | None) -> dict[str, Any]:
    """The provenance of mini-stack ``ms`` after the state hash ``previous`` of ``ms - 1``."""
    return {**common, "index": ms.index, "dates": list(ms.dates), "digests": list(ms.digests),
            "previous": previous}


def explain(old: dict[str, Any], new: dict[str, Any], stack_dates: tuple[str, ...] = ()) -> str:
    """Why a stored mini-stack with provenance ``old`` cannot stand for ``new`` (for the log);
    ``stack_dates`` are all dates of the current stack."""
    if old.get("options") != new["options"]:
        a, b = old.get("options") or {}, new["options"]
        names = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        return "a phase-linking option changed (" + ", ".join(
            template_key(n) if n != "method" else template_key("method") for n in names) + ")"
    if old.get("mask") != new["mask"]:
        return "the processing mask changed"
    if old.get("shape") != new["shape"] or old.get("patch_size") != new["patch_size"]:
        return "the image size or the patch size changed"
    old_dates, new_dates = list(old.get("dates") or []), new["dates"]
    if old_dates != new_dates:
        gone = [d for d in old_dates if d not in new_dates]
        moved = [d for d in gone if d in stack_dates]
        if gone and len(moved) == len(gone):
            return (f"the mini-stacks were cut anew as the stack grew (its date(s) "
                    f"{', '.join(moved[:5])} now start the next mini-stack; the last mini-stack "
                    "takes up to 2 x ministackSize - 1 dates)")
        if gone:
            return f"date(s) {', '.join(gone[:5])} of it were removed or replaced"
        added = [d for d in new_dates if d not in old_dates]
        if new_dates[:len(old_dates)] == old_dates:
            return f"it now also holds date(s) {', '.join(added[:5])}"
        return f"date(s) {', '.join(added[:5])} were inserted among its dates"
    old_dig = old.get("digests") or []
    changed = [d for d, a, b in zip(new_dates, old_dig, new["digests"], strict=False) if a != b]
    if changed or len(old_dig) != len(new_dates):
        return f"the SLC data of date(s) {', '.join(changed[:5])} changed"
    if old.get("previous") != new["previous"]:
        return "an earlier mini-stack was linked again"
    return "its stored state differs"


@dataclass(frozen=True)
class Decision:
    """Which mini-stacks are reused and why the first other one is linked again."""

    reuse: int
    hashes: list[str]
    reason: str
    corrupt: bool
    stored_dates: frozenset[str]


def decide(root: Path, ministacks: list[MiniStack], common: dict[str, Any]) -> Decision:
    """Walk the stored mini-stacks in order; keep every one whose state verifies."""
    hashes: list[str] = []
    stored: set[str] = set()  # every date a stored mini-stack holds (for "N new dates")
    for folder in sorted(root.glob("MS_*")) if root.is_dir() else []:
        state, _ = store.read_state(folder)
        if state:
            stored.update(state.get("provenance", {}).get("dates") or [])
    reason, corrupt = "", False
    for ms in ministacks:
        folder = store.ministack_dir(root, ms.index)
        state, h = store.read_state(folder)
        expected = provenance(common, ms, hashes[-1] if hashes else None)
        if state is None:
            reason = "it was not linked yet"
            break
        if not state or h is None:
            reason, corrupt = f"its {store.STATE_NAME} is unreadable", True
            break
        if state.get("fingerprint") != digest(expected):
            reason = explain(state.get("provenance") or {}, expected,
                             tuple(d for m in ministacks for d in m.dates))
            break
        bad = store.verify_files(folder, state)
        if bad:
            reason, corrupt = f"its stored state is corrupt ({bad})", True
            break
        hashes.append(h)
    return Decision(len(hashes), hashes, reason, corrupt, frozenset(stored))


def state_hashes(root: Path, count: int) -> list[str | None]:
    """The state hashes of mini-stacks ``0 .. count - 1`` as stored (None where missing)."""
    return [store.read_state(store.ministack_dir(root, k))[1] for k in range(count)]


@dataclass(frozen=True)
class StoredMiniStack:
    """A linked mini-stack as the later steps see it: its dates ``start .. stop - 1`` of the
    phase series and its folder (``tempCoh_average``, ``maskPS``)."""

    index: int
    start: int
    stop: int
    folder: Path


def stored_ministacks(root: Path, dates: list[str]) -> list[StoredMiniStack] | None:
    """The linked mini-stacks whose dates, in order, are exactly ``dates``; None when the
    folder does not hold such a complete set (stack mode, or not linked yet)."""
    out: list[StoredMiniStack] = []
    pos = 0
    k = 0
    while pos < len(dates):
        folder = store.ministack_dir(root, k)
        state, _ = store.read_state(folder)
        ms_dates = list((state or {}).get("provenance", {}).get("dates") or [])
        if not ms_dates or dates[pos:pos + len(ms_dates)] != ms_dates:
            return None
        out.append(StoredMiniStack(k, pos, pos + len(ms_dates), folder))
        pos += len(ms_dates)
        k += 1
    return out or None


@dataclass(frozen=True)
class MiniStackTask:
    """Everything a worker needs to link one patch of one mini-stack (paths, not arrays)."""

    slc_file: str
    mask_file: str | None
    box: PatchBox
    options: Any
    root: str
    k: int
    start: int
    stop: int
    fingerprint: str
    threads: int
    image_shape: tuple[int, int]


def compute_patch(task: MiniStackTask) -> tuple[int, np.ndarray]:
    """Link one patch of one mini-stack and write its file (runs in a worker or in-process).

    Returns
    -------
    (int, ndarray)
        The patch index and the number of valid pixels per date of the mini-stack in its core.
    """
    set_numba_threads(task.threads)
    box, k, root = task.box, task.k, Path(task.root)
    window = (box.read_row0, box.read_row1, box.read_col0, box.read_col1)
    slc, good = read_block(task.slc_file, box, slice(task.start, task.stop))
    r0, r1, c0, c1 = box.core_in_block
    valid_per_date = np.count_nonzero(good[:, r0:r1, c0:c1], axis=(1, 2)).astype(np.int64)
    del good
    comp = store.read_compressed(
        [store.ministack_dir(root, j) / store.COMPRESSED_NAME for j in range(k)], window)
    mask = None
    if task.mask_file is not None:
        mask = read_mask_array(task.mask_file, task.image_shape, box=window)
    linked = link_ministack(slc, comp, box.core_in_block, task.options, mask=mask)
    res = linked.result
    core = slc[:, r0:r1, c0:c1]
    if k == 0:
        stats = RunningStats.empty(core.shape[1:])
    else:
        prev = store.read_patch(store.patch_file(root, k - 1, box.index), SUMS)
        counts = prev["counts"]
        stats = RunningStats(prev["coherence_sum"], prev["amplitude_sum"],
                             prev["amplitude_sq_sum"], int(counts[0]), int(counts[1]),
                             prev["ps_always"])
    stats = stats.add(res.temporal_coherence[0], core, res.ps_mask)
    arrays = {
        "phase": linked.phase, "amplitude": linked.amplitude,
        "crlb_std": linked.crlb_std, "valid_per_date": valid_per_date,
        "temporal_coherence": res.temporal_coherence, "shp_count": res.shp_count,
        "estimator": res.estimator, "top_eigenvalues": res.top_eigenvalues,
        "coherence_sum": stats.coherence_sum, "amplitude_sum": stats.amplitude_sum,
        "amplitude_sq_sum": stats.amplitude_sq_sum, "ps_always": stats.ps_always,
        "counts": np.array([stats.num_dates, stats.num_ministacks], dtype=np.int64),
        "compressed": linked.compressed,
    }
    write_npz(store.patch_file(root, k, box.index), task.fingerprint, arrays)
    return box.index, valid_per_date


def finish_ministack(root: Path, k: int, boxes: list[PatchBox], shape: tuple[int, int],
                     chunk: int, prov: dict[str, Any], fp: str) -> str:
    """Write ``compressed.h5``, the running ``tempCoh_average`` and ``state.json`` of ``k``
    from its patch files (one patch in memory at a time); return the state hash."""
    folder = store.ministack_dir(root, k)
    path = folder / store.COMPRESSED_NAME
    f = store.create_compressed(path, shape, chunk)
    try:
        with create_raster(folder / store.COHERENCE_NAME, shape[1], shape[0], 1, np.float32,
                           "BIL", "cor") as coh, \
                create_raster(folder / store.PS_NAME, shape[1], shape[0], 1, np.uint8, "BIL",
                              "msk") as ps:
            for box in boxes:
                part = store.read_patch(store.patch_file(root, k, box.index),
                                        ("compressed", "coherence_sum", "ps_always"))
                rows, cols = slice(box.row0, box.row1), slice(box.col0, box.col1)
                f["compressed"][rows, cols] = part["compressed"]
                coh[0, rows, cols] = (part["coherence_sum"] / (k + 1)).astype(np.float32)
                ps[0, rows, cols] = part["ps_always"]
    except BaseException:
        name = f.filename
        f.close()
        Path(name).unlink(missing_ok=True)
        raise
    store.finish_compressed(f, path)
    files = [store.patch_file(root, k, b.index).name for b in boxes]
    files += [store.COMPRESSED_NAME, store.COHERENCE_NAME, store.PS_NAME]
    return store.write_state(folder, prov, fp, files)


def assemble(root: Path, box: PatchBox, count: int) -> dict[str, np.ndarray]:
    """The patch's result arrays (stack-mode format) from its ``count`` mini-stack files."""
    parts = [store.read_patch(store.patch_file(root, k, box.index), PER_DATE)
             for k in range(count)]
    last = store.read_patch(store.patch_file(root, count - 1, box.index), (*LAST, *SUMS))
    n = last["counts"]
    stats = RunningStats(last["coherence_sum"], last["amplitude_sum"], last["amplitude_sq_sum"],
                         int(n[0]), int(n[1]), last["ps_always"])
    tcoh = np.stack([stats.average_coherence(), last["temporal_coherence"][1]])
    return {
        "phase": np.concatenate([p["phase"] for p in parts]),
        "amplitude": np.concatenate([p["amplitude"] for p in parts]),
        "crlb_std": np.concatenate([p["crlb_std"] for p in parts]),
        "shp_count": last["shp_count"], "temporal_coherence": tcoh,
        "ps_mask": stats.ps_always, "amp_dispersion": stats.amplitude_dispersion(),
        "top_eigenvalues": last["top_eigenvalues"], "estimator": last["estimator"],
        "valid_per_date": np.concatenate([p["valid_per_date"] for p in parts]),
    }


def _clean(root: Path, keep: int) -> None:
    """Remove mini-stack folders from ``keep`` on that no longer belong to the stack, and
    temporary files of killed runs."""
    if not root.is_dir():
        return
    for tmp in root.glob("MS_*/.*.part*"):
        tmp.unlink(missing_ok=True)
    for folder in sorted(root.glob("MS_*")):
        try:
            k = int(folder.name[3:])
        except ValueError:
            continue
        if k >= keep and folder.is_dir():
            shutil.rmtree(folder)


def run(ctx: StepContext, plan: Any, how: parallel.Execution, warm_up: Any) -> int:
    """Link the mini-stacks that are not current; return the number of mini-stacks.

    ``plan`` is the step's :class:`~minopy.steps.phase_linking.Plan`; ``warm_up(options, rows)``
    loads or compiles the kernels in this process before the first task.
    """
    log = ctx.log
    options = plan.options
    check_options(options)
    stack = plan.stack
    shape = (stack.length, stack.width)
    root = ctx.inverted_dir / store.FOLDER
    digests = date_digests(stack.path, stack.dates)
    ministacks = partition(stack.dates, digests, options.ministack_size)
    common = common_provenance(ctx, options, shape, plan.mask_file)
    decision = decide(root, ministacks, common)
    todo = ministacks[decision.reuse:]
    new_dates = [d for d in stack.dates if d not in decision.stored_dates]
    total = len(ministacks)
    if decision.stored_dates:
        if todo:
            first = todo[0]
            say = log.warning if decision.corrupt else log.info
            say("streaming: mini-stack %d (%s..%s) is linked again: %s", first.index,
                first.dates[0], first.dates[-1], decision.reason)
        log.info("incremental: %d new dates, %d mini-stacks linked (of %d), %d reused",
                 len(new_dates), len(todo), total, decision.reuse)
    else:
        log.info("streaming: %d mini-stacks of %d dates (the last %d), each linked with the "
                 "compressed SLCs of the earlier ones", total, options.ministack_size,
                 ministacks[-1].stop - ministacks[-1].start)
    hashes = list(decision.hashes)
    base = base_options(options)
    if todo:
        warm_up(base, todo[0].index + todo[0].stop - todo[0].start)
    for ms in todo:
        folder = store.ministack_dir(root, ms.index)
        (folder / store.STATE_NAME).unlink(missing_ok=True)
        prov = provenance(common, ms, hashes[-1] if hashes else None)
        fp = digest(prov)
        tasks = []
        for box in plan.boxes:
            if npz_fingerprint(store.patch_file(root, ms.index, box.index)) != fp:
                tasks.append(MiniStackTask(
                    str(stack.path), None if plan.mask_file is None else str(plan.mask_file),
                    box, base, str(root), ms.index, ms.start, ms.stop, fp, how.threads, shape))
        jobs = [(f"MS{ms.index:03d}-{t.box.name}-{fp[:12]}", (t,)) for t in tasks]
        parallel.run_tasks(ctx.execution, how, compute_patch, jobs,
                           f"mini-stack {ms.index + 1}/{total}", log, "patch",
                           key_prefix="phase_linking")
        hashes.append(finish_ministack(root, ms.index, plan.boxes, shape,
                                       int(ctx.config.inversion.patch_size), prov, fp))
    _clean(root, total)
    if len(hashes) != total:
        raise StepError(f"phase_linking: {total} mini-stacks expected, {len(hashes)} linked")
    return total


def log_full_recompute(log: logging.Logger, method: str, config: Any) -> None:
    """Say why an updated stack is linked again from scratch."""
    if method.startswith("sequential_"):
        log.info("phase_linking: full recompute: %s with sequentialMode = %s selects SHPs on "
                 "all dates and connects the datum over all mini-stacks (sequentialMode = "
                 "streaming updates by mini-stack)", method, config.inversion.sequential_mode)
    else:
        log.info("phase_linking: full recompute: %s links all dates at once (a sequential_* "
                 "method with sequentialMode = streaming updates by mini-stack)", method)
