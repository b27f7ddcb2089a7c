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
"""

from __future__ import annotations

import os
from pathlib import Path

import h5py
import numpy as np

from minopy.errors import InputDataError
from minopy.interferogram.coherence import WINDOW, phase_coherence_rows
from minopy.interferogram.goldstein import PATCH_SIZE, goldstein_rows
from minopy.interferogram.stamp import file_fingerprint, is_done, write_stamp
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


def generate_pair(
    phase_series_file: str | os.PathLike,
    d1: str,
    d2: str,
    pair_dir: str | os.PathLike,
    filter_strength: float = 0.0,
    block_rows: int | None = None,
    skip_complete: bool = True,
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
        Return at once when the pair is complete with the same inputs and options.

    Returns
    -------
    bool
        True if the pair was (re)generated, False if it was complete and skipped.
    """
    pair_dir = Path(pair_dir)
    ps_file = Path(phase_series_file)
    filtered = filter_strength > 0
    params = {"filterStrength": float(filter_strength), "phase_series": file_fingerprint(ps_file),
              "coherence_window": WINDOW, "patch_size": PATCH_SIZE, "version": 1}
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
