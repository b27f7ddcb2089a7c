"""The tropospheric delay time series file (MintPy's ``inputs/ERA5.h5`` / ``inputs/GACOS.h5``).

Layout as MintPy's ``tropo_pyaps3``/``tropo_gacos`` write it: ``timeseries`` (N, L, W) float32 in
metres, the line-of-sight delay with MintPy's sign (minus the delay: a delay looks like motion
away from the satellite), absolute in space and time; ``date`` (N,) ``S8``; the attributes of the
displacement time series without its reference (``REF_*``), ``FILE_TYPE = timeseries``,
``UNIT = m``. minopy adds ``MINOPY_WEATHER_SIGNATURE``, a digest of the weather files, the
geometry and the dates it was computed from, so that an unchanged file is reused and a changed
input recomputes it. The file is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import h5py
import numpy as np

from minopy.io.atomic import atomic_path
from minopy.io.signature import digest, file_signature

SIGNATURE_ATTR = "MINOPY_WEATHER_SIGNATURE"
_DROP = ("REF_DATE", "REF_X", "REF_Y", "REF_LAT", "REF_LON")


_stat = file_signature


def signature(method: str, files: Sequence[Path], geometry_file: Path,
              dates: Sequence[str], extra: Mapping[str, object] | None = None) -> str:
    """Digest of the inputs of a delay file (file names, sizes, modification times, dates)."""
    payload = {"method": method, "files": [_stat(p) for p in files],
               "geometry": _stat(geometry_file), "dates": list(dates), "extra": extra or {}}
    return digest(payload, default=_no_default)


def _no_default(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def is_current(path: Path, sig: str) -> bool:
    """Whether ``path`` exists, is complete and was computed from inputs with digest ``sig``."""
    if not Path(path).is_file():
        return False
    try:
        with h5py.File(path, "r") as f:
            value = f.attrs.get(SIGNATURE_ATTR, "")
            return (value.decode() if isinstance(value, bytes) else str(value)) == sig
    except OSError:
        return False


def write_delay_file(path: Path, dates: Sequence[str], attrs: Mapping[str, object],
                     shape: tuple[int, int], delay_of: Callable[[int], np.ndarray],
                     sig: str) -> Path:
    """Write the delay time series, one date at a time, atomically.

    Parameters
    ----------
    path : Path
        Final file (e.g. ``<net>_network/inputs/ERA5.h5``).
    dates : sequence of str
        YYYYMMDD, in the order of ``delay_of``'s index.
    attrs : mapping
        Attributes of the displacement time series (copied without ``REF_*``).
    shape : (L, W)
    delay_of : callable
        ``delay_of(i)`` returns the (L, W) delay of date ``i`` in metres, MintPy sign.
    sig : str
        Input digest stored as ``MINOPY_WEATHER_SIGNATURE``.
    """
    meta = {k: v for k, v in attrs.items() if k not in _DROP}
    meta.update({"FILE_TYPE": "timeseries", "UNIT": "m", "LENGTH": str(shape[0]),
                 "WIDTH": str(shape[1])})
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.create_dataset("date", data=np.array(list(dates), dtype="S8"))
        ds = f.create_dataset("timeseries", shape=(len(dates), *shape), dtype=np.float32,
                              chunks=(1, *shape))
        for key, value in meta.items():
            f.attrs[key] = value
        for i in range(len(dates)):
            ds[i] = np.asarray(delay_of(i), dtype=np.float32)
        f.attrs[SIGNATURE_ATTR] = sig
    return Path(path)
