"""The unwrapping mask: which pixels SNAPHU/whirlwind may unwrap (True = unwrap).

It combines, as the options say:

- a custom mask (``minopy.unwrap.mask``): HDF5 dataset ``mask`` (or the file's only 2-D dataset),
  non-zero = unwrap;
- water (``minopy.unwrap.maskWater``): ``waterMask`` of ``inputs/geometryRadar.h5`` (True = land);
- shadow (``minopy.unwrap.maskShadow``): ``shadowMask`` of the geometry file (True = in shadow).

A geometry file without ``waterMask``/``shadowMask`` simply adds no restriction (logged).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import h5py
import numpy as np

from minopy.errors import InputDataError

log = logging.getLogger(__name__)


def read_custom_mask(path: str | os.PathLike, shape: tuple[int, int]) -> np.ndarray:
    """Read a custom HDF5 mask (dataset ``mask``, else the only 2-D dataset) as bool.

    Raises
    ------
    InputDataError
        If the file is missing/unreadable, holds no suitable dataset, or its shape is not ``shape``.
    """
    path = Path(path)
    if not path.exists():
        raise InputDataError(f"minopy.unwrap.mask: mask file {path} does not exist")
    try:
        with h5py.File(path, "r") as f:
            if "mask" in f:
                ds = f["mask"]
            else:
                two_d = [k for k in f if isinstance(f[k], h5py.Dataset) and f[k].ndim == 2]
                if len(two_d) != 1:
                    raise InputDataError(
                        f"minopy.unwrap.mask: {path} has no dataset 'mask' (and not exactly one "
                        f"2-D dataset: {two_d}); expected an HDF5 file with dataset 'mask'")
                ds = f[two_d[0]]
            data = ds[()]
    except OSError as err:
        raise InputDataError(f"minopy.unwrap.mask: cannot read {path} as HDF5: {err}") from None
    if data.shape != tuple(shape):
        raise InputDataError(
            f"minopy.unwrap.mask: {path} has shape {data.shape}, expected {tuple(shape)} "
            "(the interferogram size)")
    return np.nan_to_num(data).astype(bool)


def _geometry_layer(geometry_file: Path, name: str, shape: tuple[int, int]) -> np.ndarray | None:
    if not geometry_file.exists():
        log.info("no %s: %s not applied to the unwrap mask", geometry_file, name)
        return None
    with h5py.File(geometry_file, "r") as f:
        if name not in f:
            log.info("%s has no %s: not applied to the unwrap mask", geometry_file, name)
            return None
        data = f[name][()]
    if data.shape != tuple(shape):
        raise InputDataError(
            f"{geometry_file}: {name} has shape {data.shape}, expected {tuple(shape)}")
    return data.astype(bool)


def unwrap_mask(
    shape: tuple[int, int],
    geometry_file: str | os.PathLike | None = None,
    custom_mask: str | os.PathLike | None = None,
    mask_water: bool = True,
    mask_shadow: bool = True,
) -> np.ndarray | None:
    """Combine the requested masks; None if nothing restricts unwrapping.

    Parameters
    ----------
    shape : (length, width)
        Interferogram size.
    geometry_file : path-like, optional
        ``inputs/geometryRadar.h5``.
    custom_mask : path-like, optional
        Custom HDF5 mask file.
    mask_water, mask_shadow : bool
        Exclude water (``waterMask`` False) / shadow (``shadowMask`` True).

    Returns
    -------
    numpy.ndarray or None
        bool (length, width), True = unwrap.
    """
    mask: np.ndarray | None = None
    if custom_mask is not None:
        mask = read_custom_mask(custom_mask, shape)
    geo = Path(geometry_file) if geometry_file is not None else None
    if geo is not None and mask_water:
        land = _geometry_layer(geo, "waterMask", shape)
        if land is not None:
            mask = land if mask is None else mask & land
    if geo is not None and mask_shadow:
        shadow = _geometry_layer(geo, "shadowMask", shape)
        if shadow is not None:
            mask = ~shadow if mask is None else mask & ~shadow
    if mask is not None and mask.all():
        return None
    return mask
