"""Appending new dates to an existing ``slcStack.h5`` in place (incremental ``load_data``).

When new acquisitions arrive, ``load_data`` asks :func:`plan_append` whether the stack on disk can
be extended: it can when it holds exactly the first dates of the new date list, loaded from the same
window, with the same compression, chunk shape, root attributes (but those that may change,
:data:`UPDATABLE_ATTRS`) and baselines, and every old date's source file still has the path, size
and modification time recorded when it was loaded (dataset ``slc_source``). Then
:func:`append_slc_stack` resizes ``slc`` along the dates, writes only the new dates and rewrites
``date``, ``bperp``, ``slc_digest`` and the attributes; chunks holding only old dates are never
written.

HDF5 cannot append atomically, so :func:`~minopy.io.stack_h5.append_marker`
(``<slcStack.h5>.appending``) exists while the file is modified: a run killed meanwhile leaves it,
and the next ``load_data`` writes the stack anew instead of trusting the file (the step's output
check also reports such a file as broken).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from minopy.io.slc_digest import DIGEST_DATASET, read_date_digests, write_digests
from minopy.io.stack_h5 import (
    BLOCK_BYTES,
    BOX_ATTR,
    Box,
    append_marker,
    attr_text,
    compression_options,
    copy_dates,
    read_sources,
    slc_chunks,
    source_identities,
    write_attrs,
    write_sources,
)

#: root attributes that may differ without the stack being written anew: ``END_DATE`` follows the
#: date list, ``PROJECT_NAME`` the template's name. An append rewrites them.
UPDATABLE_ATTRS = ("END_DATE", "PROJECT_NAME")


@dataclass(frozen=True)
class AppendPlan:
    """What :func:`plan_append` decided.

    Attributes
    ----------
    num_old : int
        Dates of the file kept as they are (0: write the stack anew).
    reason : str
        Why the stack is written anew (for the log); empty when it can be appended to.
    exists : bool
        Whether a stack file exists at all.
    stale_attrs : tuple of str
        :data:`UPDATABLE_ATTRS` whose stored value differs from the new one.
    """

    num_old: int
    reason: str = ""
    exists: bool = True
    stale_attrs: tuple[str, ...] = ()


def _names(items: Sequence[str], limit: int = 5) -> str:
    text = ", ".join(items[:limit])
    return text + (f" (+{len(items) - limit} more)" if len(items) > limit else "")


def _date_problem(old: list[str], dates: Sequence[str]) -> str | None:
    if list(dates[:len(old)]) == old:
        return None
    gone = [d for d in old if d not in dates]
    if gone:
        return f"date(s) {_names(gone)} of the stack are no longer in the date list"
    earlier = [d for d in dates if d not in old and d < old[-1]]
    if earlier:
        return f"new date(s) {_names(earlier)} come before the last loaded date {old[-1]}"
    return "the dates are not the loaded dates followed by new ones"


def plan_append(
    path: str | os.PathLike,
    dates: Sequence[str],
    bperp: np.ndarray,
    attrs: Mapping[str, Any],
    box: Box,
    patch_size: int,
    compression: str,
    sources: Sequence[str | os.PathLike | None],
) -> AppendPlan:
    """Whether ``slcStack.h5`` at ``path`` can be extended to ``dates`` instead of rewritten.

    Parameters
    ----------
    path : path-like
        The existing (or not) ``slcStack.h5``.
    dates, bperp, attrs, box, patch_size, compression
        What :func:`~minopy.io.stack_h5.write_slc_stack` would be called with for the whole new
        date list.
    sources : sequence of path-like or None
        The file holding each date's SLC; None where a reader gives a band without a file (then
        the stack is written anew: whether such a date changed cannot be told).

    Returns
    -------
    AppendPlan
        ``num_old`` dates to keep (``len(dates)`` when nothing is to be added) with the
        :data:`UPDATABLE_ATTRS` that differ, or 0 with the reason.
    """
    path = Path(path)
    x0, y0, x1, y1 = box
    if not path.is_file():
        return AppendPlan(0, f"there is no {path.name} yet", exists=False)
    marker = append_marker(path)
    if marker.exists():
        return AppendPlan(0, f"an earlier append to {path.name} was interrupted ({marker.name} "
                             "exists)")
    try:
        with h5py.File(path, "r") as f:
            ds = f["slc"]
            old = [d.decode() if isinstance(d, bytes) else str(d) for d in f["date"][()]]
            old_bperp = np.asarray(f["bperp"][()], dtype=np.float32)
            shape, chunks, dtype = ds.shape, ds.chunks, ds.dtype
            comp: dict[str, Any] = {"compression": ds.compression} if ds.compression else {}
            if ds.compression == "gzip":
                comp["compression_opts"] = ds.compression_opts
            recorded = read_sources(f)
            old_box = json.loads(ds.attrs.get(BOX_ATTR, "null"))
            has_digests = DIGEST_DATASET in f
            stored_attrs = {k: (v.decode() if isinstance(v, bytes) else str(v))
                            for k, v in f.attrs.items()}
    except (OSError, KeyError, ValueError, TypeError) as err:
        return AppendPlan(0, f"{path.name} cannot be read as an SLC stack ({err})")
    if not isinstance(recorded, dict) or not has_digests or old_box is None:
        return AppendPlan(0, f"{path.name} has no per-date digests and source records (written "
                             "by an older minopy)")
    if len(read_date_digests(path)) != len(old):
        return AppendPlan(0, f"the per-date digests of {path.name} are incomplete")
    no_path = [str(d) for d, s in zip(dates, sources, strict=True) if s is None]
    if no_path:
        return AppendPlan(0, f"the reader gives the SLC of date(s) {_names(no_path)} without a "
                             "file, so whether an old date changed cannot be told")
    problem = _date_problem(old, dates)
    if problem:
        return AppendPlan(0, problem)
    if list(old_box) != [x0, y0, x1, y1] or tuple(shape[1:]) != (y1 - y0, x1 - x0):
        return AppendPlan(0, f"the loaded window changed ({old_box} -> {list(box)})")
    if dtype != np.complex64 or chunks is None \
            or tuple(chunks[1:]) != slc_chunks(1, y1 - y0, x1 - x0, patch_size)[1:]:
        return AppendPlan(0, f"its chunk shape {chunks} does not match the patch size "
                             f"{patch_size}")
    if comp != compression_options(compression):
        return AppendPlan(0, f"the compression changed ({comp.get('compression', 'no')} -> "
                             f"{compression})")
    new_attrs = {k: attr_text(v) for k, v in attrs.items() if v is not None}
    differ = sorted(k for k in set(new_attrs) | set(stored_attrs)
                    if new_attrs.get(k) != stored_attrs.get(k))
    changed = [k for k in differ if k not in UPDATABLE_ATTRS]
    if changed:
        return AppendPlan(0, f"the stack attribute(s) {_names(changed)} changed")
    if not np.array_equal(old_bperp, np.asarray(bperp[:len(old)], dtype=np.float32)):
        moved = [d for d, a, b in zip(old, old_bperp, np.asarray(bperp, np.float32), strict=False)
                 if a != b]
        return AppendPlan(0, f"the baselines of date(s) {_names(moved)} changed")
    now = source_identities(old, list(sources)[:len(old)])
    touched = [d for d in old if recorded.get(d) != now[d]]
    if touched:
        return AppendPlan(0, f"the SLC file of date(s) {_names(touched)} changed since it was "
                             "loaded")
    return AppendPlan(len(old), stale_attrs=tuple(differ))


def append_slc_stack(
    path: str | os.PathLike,
    slc_files: Sequence[Any],
    dates: Sequence[str],
    bperp: np.ndarray,
    attrs: Mapping[str, Any],
    box: Box,
    num_old: int,
    sources: Sequence[str | os.PathLike | None],
    block_bytes: int = BLOCK_BYTES,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Append dates ``num_old ..`` to ``slcStack.h5`` in place; the old dates are not written.

    The caller checked :func:`plan_append`. ``num_old == len(dates)`` only rewrites the small
    datasets and the attributes (e.g. a new ``PROJECT_NAME``). Parameters are those of
    :func:`~minopy.io.stack_h5.write_slc_stack` for the whole new date list (``slc_files`` and
    ``sources`` of every date; only the new dates are read), plus ``num_old``, the number of
    dates the file holds. The marker :func:`~minopy.io.stack_h5.append_marker` exists while the
    file is modified and stays behind if the append fails.
    """
    path = Path(path)
    n = len(slc_files)
    if not len(dates) == n == len(bperp) == len(sources):
        raise ValueError(f"{n} SLC files but {len(dates)} dates, {len(bperp)} baselines and "
                         f"{len(sources)} sources")
    old_digests = read_date_digests(path)
    if list(old_digests) != list(dates[:num_old]):
        raise ValueError(f"{path} does not hold digests of the first {num_old} dates")
    identities = source_identities(dates, sources)
    marker = append_marker(path)
    marker.write_text(json.dumps({"old_dates": num_old, "new_dates": n - num_old}) + "\n")
    with h5py.File(path, "r+") as f:
        ds = f["slc"]
        ds.resize(n, axis=0)
        new_digests = copy_dates(ds, slc_files, num_old, box, block_bytes, progress)
        for name, data in (("date", np.array(list(dates), dtype="S8")),
                           ("bperp", np.asarray(bperp, dtype=np.float32))):
            del f[name]
            f.create_dataset(name, data=data)
        write_digests(f, list(old_digests.values()) + new_digests)
        write_attrs(f, attrs)
        write_sources(f, identities)
        ds.attrs["MODIFICATION_TIME"] = str(os.path.getmtime(path))
    marker.unlink()
    return path
