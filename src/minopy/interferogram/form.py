"""Full-resolution interferograms of one date pair from ``inverted/phase_series.h5``, in row blocks.

Sign convention (ISCE, as MintPy expects for ISCE data)
-------------------------------------------------------
``phase_series.h5`` stores, per date ``d``, the wrapped phase ``p[d] = angle(s_d * conj(s_0))``
relative to the first date, and the amplitude ``a[d]``. The interferogram of pair ``d1_d2``
(``d1`` earlier) is ``ifg = s_d1 * conj(s_d2)``, i.e.

    ``fine.int = a[d1] * a[d2] * exp(i * (p[d1] - p[d2]))``.

With ISCE's SLC phase ``-4*pi/lambda * range``, the phase of ``d1_d2`` is
``4*pi/lambda * (range(d2) - range(d1))``: MintPy's design matrix (``A[d1] = -1``, ``A[d2] = +1``)
and its ``-lambda / (4*pi)`` phase-to-range factor turn it into LOS displacement positive towards
the satellite, with no sign flip.

Files written in the pair folder
--------------------------------
``fine.int``        complex64 interferogram (ISCE ``int``, BIP, ``.xml`` + ``.vrt``).
``filt_fine.int``   Goldstein-Werner filtered copy, only when ``filter_strength > 0``.
``filt_fine.cor``   float32 coherence of ``fine.int`` (see :mod:`.coherence`); computed from the
                    unfiltered phase, because filtering inflates the phase-derived coherence.
Each is written block by block to a temporary name and renamed when complete.

Re-runs
-------
The pair's stamp ``.generate_ifgram.json`` records what its products depend on
(:func:`pair_stamp_params`): the content digests of the two dates' ``phase`` and ``amplitude``
(:mod:`.series_digest`), the image size, the georeferencing written into the sidecars and the
options. A pair whose stamp matches and whose rasters are complete is skipped without writing
anything, also when ``phase_series.h5`` was rewritten with other dates (their files keep their
mtimes, so ``unwrap_ifgram`` skips the pair too).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from minopy.errors import InputDataError
from minopy.interferogram.coherence import WINDOW, phase_coherence_rows
from minopy.interferogram.goldstein import PATCH_SIZE, goldstein_rows
from minopy.interferogram.series_digest import series_digests
from minopy.interferogram.stamp import is_done, write_stamp
from minopy.io.geogrid import georef_from_attrs
from minopy.io.isce import create_raster, open_raster

INT_NAME = "fine.int"
FILT_INT_NAME = "filt_fine.int"
COR_NAME = "filt_fine.cor"
STAMP_NAME = ".generate_ifgram.json"
#: bytes of working memory per block (about; the filter needs ~12 complex copies of a block).
BLOCK_BYTES = 48 * 1024**2


def form_interferogram(phase1: np.ndarray, amp1: np.ndarray, phase2: np.ndarray,
                       amp2: np.ndarray) -> np.ndarray:
    """``amp1 * amp2 * exp(i (phase1 - phase2))`` as complex64; NaN inputs give 0."""
    mag = np.asarray(amp1, dtype=np.float32) * np.asarray(amp2, dtype=np.float32)
    dphi = np.asarray(phase1, dtype=np.float32) - np.asarray(phase2, dtype=np.float32)
    ifg = (mag * np.exp(1j * dphi)).astype(np.complex64)
    ifg[~np.isfinite(ifg)] = 0
    return ifg


def read_dates_bperp(phase_series_file: str | os.PathLike) -> tuple[list[str], np.ndarray]:
    """Dates (``YYYYMMDD``) and perpendicular baselines (m) of a phase-series file."""
    path = Path(phase_series_file)
    if not path.exists():
        raise InputDataError(f"{path} does not exist; run the concatenate_patch step first")
    try:
        with h5py.File(path, "r") as f:
            for name in ("date", "phase", "amplitude"):
                if name not in f:
                    raise InputDataError(f"{path} lacks the dataset '{name}'")
            dates = [d.decode() if isinstance(d, bytes) else str(d) for d in f["date"][()]]
            n = len(dates)
            bperp = f["bperp"][()].astype(np.float64) if "bperp" in f else np.zeros(n)
    except OSError as err:
        raise InputDataError(f"cannot read {path}: {err}") from None
    if bperp.shape != (n,):
        raise InputDataError(f"{path}: bperp has shape {bperp.shape}, expected ({n},)")
    return dates, bperp


def block_rows_for(width: int, step: int = PATCH_SIZE // 2) -> int:
    """Rows per block so that one block's working set stays near :data:`BLOCK_BYTES`."""
    rows = BLOCK_BYTES // max(1, width * 8 * 12)
    return max(step, (rows // step) * step)


def pair_outputs(pair_dir: Path, filtered: bool) -> list[Path]:
    """The rasters of a complete pair folder."""
    names = [INT_NAME, *([FILT_INT_NAME] if filtered else []), COR_NAME]
    return [pair_dir / n for n in names]


#: version of the stamp's content (2: content digests instead of the file's size and mtime).
STAMP_VERSION = 2


def pair_stamp_params(
    phase_series_file: str | os.PathLike,
    d1: str,
    d2: str,
    filter_strength: float,
    digests: Mapping[str, Mapping[str, str]] | None = None,
    header: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What the products of pair ``d1_d2`` depend on, as recorded in its stamp.

    Parameters
    ----------
    phase_series_file : path-like
        ``inverted/phase_series.h5``.
    d1, d2 : str
        Dates of the pair.
    filter_strength : float
        Goldstein-Werner alpha.
    digests : mapping, optional
        ``{date: {"phase": hex, "amplitude": hex}}`` (:func:`.series_digest.series_digests`) holding
        at least ``d1`` and ``d2``, computed by the caller from this file; default: read the two
        dates now.
    header : mapping, optional
        :func:`series_header` of this file; default: read it now.

    Returns
    -------
    dict
        ``filterStrength``, ``coherence_window``, ``patch_size``, ``version``, ``shape``
        ``[L, W]``, ``georef`` (geotransform and WKT, or None), ``inputs``
        ``{d1: {phase, amplitude}, d2: ...}``.
    """
    ps_file = Path(phase_series_file)
    if digests is None or d1 not in digests or d2 not in digests:
        digests = series_digests(ps_file, [d1, d2])
    return {"filterStrength": float(filter_strength), "coherence_window": WINDOW,
            "patch_size": PATCH_SIZE, "version": STAMP_VERSION,
            **(header if header is not None else series_header(ps_file)),
            "inputs": {d: dict(digests[d]) for d in (d1, d2)}}


def series_header(phase_series_file: str | os.PathLike) -> dict[str, Any]:
    """``{"shape": [L, W], "georef": ...}`` of a phase-series file: what every pair's products
    share (read once per step by the caller of :func:`pair_stamp_params`)."""
    ps_file = Path(phase_series_file)
    try:
        with h5py.File(ps_file, "r") as f:
            shape = [int(v) for v in f["phase"].shape[1:]]
            georef = georef_from_attrs({k: (v.decode() if isinstance(v, bytes) else v)
                                        for k, v in f.attrs.items()})
    except (OSError, KeyError) as err:
        raise InputDataError(f"cannot read {ps_file}: {err}") from None
    return {"shape": shape, "georef": asdict(georef) if georef is not None else None}


def pair_is_current(phase_series_file: str | os.PathLike, d1: str, d2: str,
                    pair_dir: str | os.PathLike, filter_strength: float,
                    digests: Mapping[str, Mapping[str, str]] | None = None,
                    header: Mapping[str, Any] | None = None) -> bool:
    """Whether the pair's rasters are complete and stamped with these inputs and options (the
    check :func:`generate_pair` makes first; the step makes it before dispatching any task)."""
    pair_dir = Path(pair_dir)
    params = pair_stamp_params(phase_series_file, d1, d2, filter_strength, digests, header)
    return is_done(pair_dir / STAMP_NAME, params, pair_outputs(pair_dir, filter_strength > 0))


def generate_pair(
    phase_series_file: str | os.PathLike,
    d1: str,
    d2: str,
    pair_dir: str | os.PathLike,
    filter_strength: float = 0.0,
    block_rows: int | None = None,
    skip_complete: bool = True,
    digests: Mapping[str, Mapping[str, str]] | None = None,
) -> bool:
    """Write ``fine.int``, optionally ``filt_fine.int``, and ``filt_fine.cor`` of pair ``d1_d2``.

    Parameters
    ----------
    phase_series_file : path-like
        ``inverted/phase_series.h5``.
    d1, d2 : str
        Dates of the pair, ``d1 < d2``.
    pair_dir : path-like
        Output folder ``<ifgram_dir>/<d1>_<d2>``.
    filter_strength : float
        Goldstein-Werner alpha; 0 = no filtering and no ``filt_fine.int``.
    block_rows : int, optional
        Rows per block (a multiple of 16); default from the image width.
    skip_complete : bool
        Return without writing anything when the pair is complete and its stamp records the same
        inputs (content of the two dates) and options (:func:`pair_stamp_params`).
    digests : mapping, optional
        Content digests of the dates, see :func:`pair_stamp_params`.

    Returns
    -------
    bool
        True if the pair was (re)generated, False if it was complete and skipped.
    """
    pair_dir = Path(pair_dir)
    ps_file = Path(phase_series_file)
    filtered = filter_strength > 0
    params = pair_stamp_params(ps_file, d1, d2, filter_strength, digests)
    stamp = pair_dir / STAMP_NAME
    if skip_complete and is_done(stamp, params, pair_outputs(pair_dir, filtered)):
        return False
    pair_dir.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    step = PATCH_SIZE // 2
    with h5py.File(ps_file, "r") as f:
        dates = [d.decode() if isinstance(d, bytes) else str(d) for d in f["date"][()]]
        for d in (d1, d2):
            if d not in dates:
                raise InputDataError(f"{ps_file}: pair {d1}_{d2} names date {d}, not in the file")
        i1, i2 = dates.index(d1), dates.index(d2)
        phase, amp = f["phase"], f["amplitude"]
        _, length, width = phase.shape
        georef = georef_from_attrs({k: (v.decode() if isinstance(v, bytes) else v)
                                    for k, v in f.attrs.items()})
        rows = block_rows or block_rows_for(width)
        rows = max(step, (rows // step) * step)
        with create_raster(pair_dir / INT_NAME, width, length, 1, np.complex64, "BIP",
                           "int", georef) as out:
            for r0 in range(0, length, rows):
                r1 = min(length, r0 + rows)
                out[0, r0:r1] = form_interferogram(phase[i1, r0:r1], amp[i1, r0:r1],
                                                   phase[i2, r0:r1], amp[i2, r0:r1])
    ifg = open_raster(pair_dir / INT_NAME)[0]
    if filtered:
        with create_raster(pair_dir / FILT_INT_NAME, width, length, 1, np.complex64, "BIP",
                           "int", georef) as out:
            for r0 in range(0, length, rows):
                r1 = min(length, r0 + rows)
                out[0, r0:r1] = goldstein_rows(ifg, r0, r1, filter_strength)
    else:
        (pair_dir / FILT_INT_NAME).unlink(missing_ok=True)
        for side in (".xml", ".vrt"):
            (pair_dir / (FILT_INT_NAME + side)).unlink(missing_ok=True)
    with create_raster(pair_dir / COR_NAME, width, length, 1, np.float32, "BIP", "cor",
                       georef) as out:
        for r0 in range(0, length, rows):
            r1 = min(length, r0 + rows)
            out[0, r0:r1] = phase_coherence_rows(ifg, r0, r1)
    del ifg
    write_stamp(stamp, params)
    return True
