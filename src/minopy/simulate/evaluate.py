"""How much of a simulated tropospheric delay a correction removed.

For a stack simulated with ``tropo_model = "weather"``, ``truth.h5`` holds the line-of-sight
delay ``D_i`` of each date (``weather_delay``); the time series carries ``-(D_i - D_0)``. A
correction turns ``timeseries.h5`` into ``timeseries_<X>.h5``; what it removed is their
difference. Both the injected term and the removed term are referenced like the time series (to
its reference date and reference pixel ``REF_Y``/``REF_X``), and the residual troposphere is
``removed - injected`` over the pixels of ``maskTempCoh.h5`` and every date. The turbulent part of
the simulated troposphere is not in ``D_i`` and is not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from minopy.errors import InputDataError


@dataclass(frozen=True)
class TropoResidual:
    """RMS (m) of the injected stratified delay and of what the correction left of it."""

    injected_rms: float
    residual_rms: float
    n_values: int

    @property
    def ratio(self) -> float:
        """``residual_rms / injected_rms``."""
        return self.residual_rms / self.injected_rms


def _dates(f: h5py.File) -> list[str]:
    return [d.decode() if isinstance(d, bytes) else str(d) for d in f["date"][()]]


def _attr(f: h5py.File, key: str) -> str:
    value = f.attrs[key]
    return value.decode() if isinstance(value, bytes) else str(value)


def tropo_residual(truth_file: Path, ts_file: Path, corrected_file: Path,
                   mask_file: Path | None = None) -> TropoResidual:
    """Compare the delay removed from ``ts_file`` (into ``corrected_file``) with the truth.

    Raises
    ------
    InputDataError
        If the truth has no ``weather_delay`` or a date of the time series is not in the truth.
    """
    with h5py.File(truth_file, "r") as f:
        if "weather_delay" not in f:
            raise InputDataError(f"{truth_file} has no weather_delay: simulate the stack with "
                                 "tropo_model='weather'")
        truth_dates = _dates(f)
        delay = f["weather_delay"][()].astype(np.float64)
    with h5py.File(ts_file, "r") as f:
        dates = _dates(f)
        ts = f["timeseries"][()].astype(np.float64)
        ref_y, ref_x = int(_attr(f, "REF_Y")), int(_attr(f, "REF_X"))
        ref_date = _attr(f, "REF_DATE") if "REF_DATE" in f.attrs else dates[0]
    with h5py.File(corrected_file, "r") as f:
        if _dates(f) != dates:
            raise InputDataError(f"{corrected_file} and {ts_file} have different dates")
        removed = ts - f["timeseries"][()].astype(np.float64)
    missing = sorted(set(dates) - set(truth_dates))
    if missing:
        raise InputDataError(f"dates {missing} of {ts_file} are not in {truth_file}")
    idx = [truth_dates.index(d) for d in dates]
    injected = -delay[idx]

    def referenced(x: np.ndarray) -> np.ndarray:
        x = x - x[dates.index(ref_date)]
        return x - x[:, ref_y, ref_x][:, None, None]

    injected, removed = referenced(injected), referenced(removed)
    valid = np.isfinite(removed).all(axis=0) & np.isfinite(injected).all(axis=0)
    if mask_file is not None:
        with h5py.File(mask_file, "r") as f:
            valid &= f["mask"][()].astype(bool)
    if not valid.any():
        raise InputDataError(f"no valid pixel to compare in {corrected_file}")
    inj, res = injected[:, valid], (removed - injected)[:, valid]
    return TropoResidual(float(np.sqrt(np.mean(inj**2))), float(np.sqrt(np.mean(res**2))),
                         int(inj.size))
