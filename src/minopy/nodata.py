"""No-data in the network products: which pixels were not inverted or are unreliable, and why.

MintPy's ``timeseries.h5`` holds 0 for pixels that were not inverted (its convention, kept by
``invert_network``), so a 0 there is no-data, not stable ground. Everything that shows or summarises
the results reads the reason of each pixel from the files of ``<work_dir>/<network>_network``:

- ``temporalCoherence.h5``: the phase-linking coherence; NaN on water, shadow and pixels without a
  phase-linking result;
- ``maskTempCoh.h5``: True for the reliable pixels (inverted and coherence >= ``minTempCoh``);
- ``numInvIfgram.h5``: 0 for pixels that were not inverted;
- ``inputs/geometryRadar.h5``: ``waterMask`` (True = land) and ``shadowMask``;
- the threshold ``minopy.timeseries.minTempCoh`` recorded in ``timeseries.h5``.

:func:`reason_map` classifies pixels (:data:`REASONS`), :func:`explain_pixel` says it in words for
one pixel, and :func:`mask_velocity_file` writes NaN into MintPy's ``velocity.h5`` where the pixel
is not reliable, so the velocity and everything geocoded from it (MintPy's ``view.py``,
``tsview.py`` and ``save_kmz.py`` all treat NaN as no-data) never show no-data as 0 cm/year.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from minopy.errors import InputDataError
from minopy.io.atomic import atomic_path

#: reason code -> description, for maps and summaries (0 is the reliable case).
RELIABLE, WATER, SHADOW, NO_COHERENCE, LOW_COHERENCE, NOT_INVERTED = range(6)
REASONS: dict[int, str] = {
    RELIABLE: "reliable",
    WATER: "water",
    SHADOW: "shadow",
    NO_COHERENCE: "no phase-linking result (masked or no data)",
    LOW_COHERENCE: "temporal coherence below minTempCoh",
    NOT_INVERTED: "too few interferograms (not inverted)",
}
#: short labels for colour bars.
SHORT_REASONS: dict[int, str] = {
    RELIABLE: "reliable", WATER: "water", SHADOW: "shadow", NO_COHERENCE: "no result",
    LOW_COHERENCE: "low coherence", NOT_INVERTED: "too few ifgrams",
}
#: rows read at a time when a whole map is classified or masked.
BLOCK_ROWS = 512
#: the threshold key recorded in timeseries.h5 by invert_network.
THRESHOLD_ATTR = "minopy.timeseries.minTempCoh"


@dataclass(frozen=True)
class NetworkFiles:
    """The files of a network folder that say where the data are."""

    network_dir: Path

    @property
    def temporal_coherence(self) -> Path:
        return self.network_dir / "temporalCoherence.h5"

    @property
    def mask(self) -> Path:
        return self.network_dir / "maskTempCoh.h5"

    @property
    def num_inv(self) -> Path:
        return self.network_dir / "numInvIfgram.h5"

    @property
    def geometry(self) -> Path:
        return self.network_dir / "inputs" / "geometryRadar.h5"

    @property
    def timeseries(self) -> Path:
        return self.network_dir / "timeseries.h5"


def min_temp_coh(network_dir: Path) -> float | None:
    """The ``minTempCoh`` threshold the network was inverted with (None if not recorded)."""
    ts = NetworkFiles(Path(network_dir)).timeseries
    if not ts.is_file():
        return None
    with h5py.File(ts, "r") as f:
        value = f.attrs.get(THRESHOLD_ATTR)
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _read(path: Path, names: tuple[str, ...], rows: slice, step: int) -> np.ndarray | None:
    if not path.is_file():
        return None
    with h5py.File(path, "r") as f:
        name = next((n for n in names if n in f), None)
        if name is None:
            return None
        return np.asarray(f[name][rows.start:rows.stop:step, ::step])


def map_shape(network_dir: Path) -> tuple[int, int]:
    """``(length, width)`` of the network's maps (from ``maskTempCoh.h5``)."""
    path = NetworkFiles(Path(network_dir)).mask
    if not path.is_file():
        raise InputDataError(f"{path} does not exist; run the invert_network step")
    with h5py.File(path, "r") as f:
        if "mask" not in f:
            raise InputDataError(f"{path} has no 'mask' dataset")
        length, width = (int(v) for v in f["mask"].shape)
        return length, width


def reason_map(network_dir: str | Path, step: int = 1, rows: slice | None = None) -> np.ndarray:
    """Reason code (:data:`REASONS`) of each pixel, decimated by ``step``, for a band of rows.

    Parameters
    ----------
    network_dir : path-like
        ``<work_dir>/<network>_network`` after ``invert_network``.
    step : int
        Row/column stride.
    rows : slice, optional
        Rows to classify (default: all).

    Returns
    -------
    ndarray of uint8
        0 (reliable) where ``maskTempCoh`` is True, else the first reason that applies: water,
        shadow or no coherence (where the coherence is NaN), coherence below ``minTempCoh``, or not
        inverted.

    Raises
    ------
    InputDataError
        If ``maskTempCoh.h5`` is missing.
    """
    files = NetworkFiles(Path(network_dir))
    length, _ = map_shape(files.network_dir)
    rows = rows or slice(0, length)
    mask_data = _read(files.mask, ("mask",), rows, step)
    assert mask_data is not None  # map_shape() checked the file and its 'mask' dataset
    mask = mask_data.astype(bool)
    out = np.full(mask.shape, NOT_INVERTED, dtype=np.uint8)
    out[mask] = RELIABLE
    tcoh = _read(files.temporal_coherence, ("temporalCoherence",), rows, step)
    if tcoh is None:
        return out
    tcoh = tcoh.astype(np.float64)
    no_coh = ~mask & ~np.isfinite(tcoh)
    out[no_coh] = NO_COHERENCE
    shadow = _read(files.geometry, ("shadowMask",), rows, step)
    if shadow is not None and shadow.shape == out.shape:
        out[no_coh & (shadow > 0.5)] = SHADOW
    water = _read(files.geometry, ("waterMask",), rows, step)
    if water is not None and water.shape == out.shape:
        out[no_coh & ~(water > 0.5)] = WATER
    threshold = min_temp_coh(files.network_dir)
    if threshold is not None:
        with np.errstate(invalid="ignore"):
            out[~mask & np.isfinite(tcoh) & (tcoh < threshold)] = LOW_COHERENCE
    return out


def reason_counts(network_dir: str | Path) -> dict[int, int]:
    """Number of pixels per reason code over the whole map, read in blocks of rows."""
    length, _ = map_shape(Path(network_dir))
    counts = dict.fromkeys(REASONS, 0)
    for r0 in range(0, length, BLOCK_ROWS):
        codes = reason_map(network_dir, 1, slice(r0, min(length, r0 + BLOCK_ROWS)))
        for code, n in zip(*np.unique(codes, return_counts=True), strict=True):
            counts[int(code)] += int(n)
    return counts


def explain_pixel(network_dir: str | Path, y: int, x: int) -> str | None:
    """Why pixel ``(y, x)`` has no reliable value, in words; None when it is reliable.

    The text names the values behind the decision, e.g. ``"not inverted: temporal coherence
    0.31 < minTempCoh 0.55"``.
    """
    files = NetworkFiles(Path(network_dir))
    code = int(reason_map(files.network_dir, 1, slice(y, y + 1))[0, x])
    if code == RELIABLE:
        return None
    detail = ""
    if code == LOW_COHERENCE:
        tcoh = _read(files.temporal_coherence, ("temporalCoherence",), slice(y, y + 1), 1)
        assert tcoh is not None  # LOW_COHERENCE is only assigned where the coherence was read
        detail = f"temporal coherence {float(tcoh[0, x]):.2f} < minTempCoh " \
                 f"{min_temp_coh(files.network_dir):g}"
    elif code == NOT_INVERTED:
        num = _read(files.num_inv, ("mask",), slice(y, y + 1), 1)
        used = f" ({int(num[0, x])} interferograms used)" if num is not None else ""
        detail = ("too few valid interferograms for a date (mintpy.networkInversion."
                  f"minRedundancy){used}")
    else:
        detail = REASONS[code]
    return f"not inverted: {detail}"


def mask_velocity_file(path: Path, mask_file: Path, keep: tuple[int, int] | None = None) -> int:
    """Write NaN into every 2-D float dataset of a MintPy ``velocity.h5`` where the mask is False.

    Parameters
    ----------
    path : Path
        ``velocity.h5`` (rewritten atomically).
    mask_file : Path
        ``maskTempCoh.h5`` on the same grid.
    keep : (y, x), optional
        A pixel never masked (the reference point, whose velocity is 0 by definition).

    Returns
    -------
    int
        Number of pixels set to NaN.

    Raises
    ------
    InputDataError
        If the mask is missing or not on the velocity's grid.
    """
    if not mask_file.is_file():
        raise InputDataError(f"{mask_file} does not exist; run the invert_network step")
    with h5py.File(mask_file, "r") as f:
        good = np.asarray(f["mask"][()]).astype(bool)
    if keep is not None and 0 <= keep[0] < good.shape[0] and 0 <= keep[1] < good.shape[1]:
        good[keep] = True
    with atomic_path(path) as tmp:
        shutil.copyfile(path, tmp)
        with h5py.File(tmp, "r+") as f:
            for name, dset in f.items():
                if not isinstance(dset, h5py.Dataset) or dset.ndim != 2 \
                        or dset.dtype.kind != "f":
                    continue
                if dset.shape != good.shape:
                    raise InputDataError(f"{path}:{name} is {dset.shape} but {mask_file} is "
                                         f"{good.shape}; they must be on the same grid")
                data = dset[()]
                data[~good] = np.nan
                dset[...] = data
            f.attrs["NO_DATA_VALUE"] = "nan"
    return int((~good).sum())
