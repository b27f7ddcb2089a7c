"""The ground-truth file ``truth.h5`` written beside a simulated stack.

Datasets (L, W = image size, N = number of dates):

=====================  ==============  ===========================================================
``date``               (N,) S8         acquisition dates YYYYMMDD; date 0 is the reference
``bperp``              (N,) float32    perpendicular baseline (m) relative to date 0
``displacement``       (N, L, W) f32   deformation, LOS m, + towards the satellite, rel. date 0
``tropo``              (N, L, W) f32   tropospheric term of the time series (m, = minus the delay)
``timeseries``         (N, L, W) f32   displacement + tropo + DEM-error term (the SLC phase)
``velocity``           (L, W) f32      linear LOS velocity (m/yr)
``seasonal_amplitude`` (L, W) f32      amplitude of the seasonal cosine (m)
``dem_error``          (L, W) f32      DEM error (m), MintPy ``demErr`` convention
``height``             (L, W) f32      DEM (m)
``amplitude``          (L, W) f32      mean backscatter amplitude of the clutter (SLC units)
``incidenceAngle``     (L, W) f32      degrees
``slantRangeDistance`` (L, W) f32      metres
``waterMask``          (L, W) bool     True = land (MintPy convention); the ISCE file has 0 = water
``shadowMask``         (L, W) bool     True = radar shadow
``psMask``             (L, W) bool     persistent scatterers
``coherence_class``    (L, W) uint8    0 water, 1..K DS classes, 254 shadow, 255 PS
``gamma0``/``gamma_inf``/``tau_days`` (L, W) f32  coherence model of each pixel (0 where incoherent)
``tropo_coefficient``  (N,) float64    per-date height coefficient k_i of the delay (m/m)
``weather_delay``      (N, L, W) f32   only for ``tropo_model = "weather"``: line-of-sight delay
                                       D_i (m, positive, absolute) of the synthetic atmosphere
=====================  ==============  ===========================================================

Root attributes document the conventions (``sign_convention``, ``phase_convention``, ``unit``,
``reference_date``, ``reference_yx`` a suggested coherent reference pixel, ``WAVELENGTH``...).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import h5py
import numpy as np

TRUTH_FILE = "truth.h5"

CONVENTIONS = {
    "unit": "m",
    "sign_convention": (
        "LOS displacement positive towards the satellite (range decrease), as MintPy timeseries.h5"
    ),
    "phase_convention": (
        "angle(slc_i * conj(slc_0)) = +4*pi/WAVELENGTH * timeseries_i (+ decorrelation noise); "
        "an ISCE interferogram ref*conj(sec) has phase -4*pi/WAVELENGTH*(ts_sec - ts_ref); MintPy "
        "unwrapPhase of (ref, sec) is that phase and timeseries = -WAVELENGTH/(4*pi)*unwrapPhase"
    ),
    "timeseries_model": (
        "timeseries = displacement + tropo"
        " + bperp*dem_error/(slantRangeDistance*sin(incidenceAngle))"
    ),
    "displacement_model": (
        "velocity*(t-t0)/365.25 + seasonal_amplitude*(cos(2pi(t-peak)/365.25) - value at t0)"
    ),
    "tropo_model": "-[(k_i-k_0)*(height-mean(height)) + turbulence_i - turbulence_0]",
    "spatial_reference": (
        "none: values are absolute; subtract the value at the processing reference pixel to compare"
    ),
}


def reference_pixel(coherence_class: np.ndarray, velocity: np.ndarray) -> tuple[int, int]:
    """A suggested reference pixel: deep inside the most coherent DS class, away from deformation.

    Returns
    -------
    (row, col)
    """
    from scipy.ndimage import distance_transform_edt

    good = coherence_class == 1
    vmax = float(np.abs(velocity).max()) or 1.0
    calm = good & (np.abs(velocity) < 0.05 * vmax)
    mask = calm if calm.any() else good
    if not mask.any():
        mask = np.ones_like(good)
    dist = distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return int(y), int(x)


def create_truth(path: Path, n_dates: int, shape: tuple[int, int],
                 maps: dict[str, np.ndarray], attrs: dict[str, Any]) -> h5py.File:
    """Open a new truth file with its 2-D/1-D datasets and empty 3-D datasets to fill by date.

    Parameters
    ----------
    path : Path
        File to create (the caller renames it into place).
    n_dates : int
    shape : (L, W)
    maps : dict
        1-D and 2-D datasets to store as they are.
    attrs : dict
        Extra root attributes (merged with :data:`CONVENTIONS`).

    Returns
    -------
    h5py.File
        Open for writing; ``displacement``, ``tropo`` and ``timeseries`` are (N, L, W) float32 and
        chunked one date at a time.
    """
    f = h5py.File(path, "w")
    for name, arr in maps.items():
        f.create_dataset(name, data=arr)
    chunks = (1, min(shape[0], 256), min(shape[1], 256))
    for name in ("displacement", "tropo", "timeseries"):
        f.create_dataset(name, shape=(n_dates, *shape), dtype=np.float32, chunks=chunks)
    for key, value in {**CONVENTIONS, **attrs}.items():
        f.attrs[key] = json.dumps(value) if isinstance(value, (dict, list, tuple)) else value
    return f


def read_truth(path: str | Path, datasets: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Read ``truth.h5`` (or a project folder holding it) into a dict of arrays plus ``attrs``.

    Parameters
    ----------
    path : path-like
        The truth file or the project folder.
    datasets : tuple of str or None
        Names to read (all when None).
    """
    p = Path(path)
    if p.is_dir():
        p = p / TRUTH_FILE
    out: dict[str, Any] = {}
    with h5py.File(p, "r") as f:
        for name in datasets or tuple(f.keys()):
            out[name] = f[name][()]
        attrs = {}
        for key, value in f.attrs.items():
            if isinstance(value, str) and value[:1] in "[{":
                with contextlib.suppress(json.JSONDecodeError):
                    value = json.loads(value)
            attrs[key] = value
        out["attrs"] = attrs
    return out
