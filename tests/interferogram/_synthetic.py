"""A small synthetic ``phase_series.h5`` (plus coherence and geometry) for tests and benchmarks.

The phase of date ``d`` is ``p[d] = wrap(v * t_d * bowl + noise)`` with ``bowl`` a paraboloid
peaking at 1 in the image centre, so pair ``d1_d2`` has the unwrapped phase
``truth(d1, d2) = v * (t_d1 - t_d2) * bowl`` (ISCE convention of :mod:`minopy.interferogram.form`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import h5py
import numpy as np

from minopy.io.isce import write_raster


@dataclass
class SyntheticStack:
    """What :func:`make_phase_series` wrote.

    Attributes
    ----------
    dates : list of str
        Acquisition dates.
    days : numpy.ndarray
        Days since the first date.
    bowl : numpy.ndarray
        (L, W) spatial pattern.
    rate : float
        Radians per day at the bowl's peak.
    """

    dates: list[str]
    days: np.ndarray
    bowl: np.ndarray
    rate: float

    def truth(self, d1: str, d2: str) -> np.ndarray:
        """Unwrapped noise-free phase of pair ``d1_d2`` (``phase(d1) - phase(d2)``)."""
        i, j = self.dates.index(d1), self.dates.index(d2)
        return (self.rate * (self.days[i] - self.days[j]) * self.bowl).astype(np.float32)


def make_phase_series(
    work_dir: str | os.PathLike,
    num_dates: int = 8,
    length: int = 64,
    width: int = 64,
    interval_days: int = 12,
    rate: float = 0.05,
    noise: float = 0.1,
    seed: int = 0,
    start: date = date(2020, 1, 1),
) -> SyntheticStack:
    """Write ``inverted/phase_series.h5``, ``inverted/tempCoh_{average,full}`` and
    ``inputs/geometryRadar.h5`` under ``work_dir``.

    Returns
    -------
    SyntheticStack
        The dates and the truth model.
    """
    work_dir = Path(work_dir)
    rng = np.random.default_rng(seed)
    dates_dt = [start + timedelta(days=interval_days * i) for i in range(num_dates)]
    dates = [d.strftime("%Y%m%d") for d in dates_dt]
    days = np.array([(d - dates_dt[0]).days for d in dates_dt], dtype=np.float64)
    y, x = np.mgrid[:length, :width]
    r2 = ((y - length / 2) / (length / 2)) ** 2 + ((x - width / 2) / (width / 2)) ** 2
    bowl = np.clip(1.0 - r2, 0, None).astype(np.float32)
    phase = np.empty((num_dates, length, width), dtype=np.float32)
    for k in range(num_dates):
        p = rate * days[k] * bowl + (rng.normal(0, noise, (length, width)) if k else 0)
        phase[k] = np.angle(np.exp(1j * p))
    amp = rng.uniform(0.5, 1.5, (num_dates, length, width)).astype(np.float32)
    tcoh = np.clip(0.9 - 0.2 * r2, 0.05, 1).astype(np.float32)
    inverted = work_dir / "inverted"
    inverted.mkdir(parents=True, exist_ok=True)
    attrs = {"FILE_TYPE": "timeseries", "UNIT": "radian", "LENGTH": str(length),
             "WIDTH": str(width), "WAVELENGTH": "0.05546576", "PROCESSOR": "isce"}
    with h5py.File(inverted / "phase_series.h5", "w") as f:
        f["phase"] = phase
        f["amplitude"] = amp
        f["temporalCoherence"] = np.stack([tcoh, tcoh])
        f["shp"] = np.full((length, width), 50, dtype=np.int32)
        f["date"] = np.array(dates, dtype="S8")
        f["bperp"] = rng.uniform(-100, 100, num_dates).astype(np.float32)
        f.attrs.update(attrs)
    write_raster(inverted / "tempCoh_average", tcoh, image_type="cor")
    write_raster(inverted / "tempCoh_full", tcoh, image_type="cor")
    (work_dir / "inputs").mkdir(parents=True, exist_ok=True)
    with h5py.File(work_dir / "inputs" / "geometryRadar.h5", "w") as f:
        f["height"] = np.zeros((length, width), np.float32)
        f["waterMask"] = np.ones((length, width), bool)
        f["shadowMask"] = np.zeros((length, width), bool)
        f.attrs.update({**attrs, "FILE_TYPE": "geometry"})
    return SyntheticStack(dates, days, bowl, rate)
