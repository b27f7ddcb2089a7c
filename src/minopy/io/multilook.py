"""Output strides: the coarse grid of phase linking and everything after it.

With ``minopy.inversion.strides = sa,sr`` (azimuth, range) the phase-linking outputs have one pixel
per cell of ``sa x sr`` full-resolution pixels (:mod:`minopy.phaselink.centres`), so the image of
``L x W`` pixels becomes ``L // sa x W // sr`` (MintPy's multilook size rule). Everything written
on that grid carries MintPy's multilook metadata (:func:`multilook_attrs`: ``LENGTH``, ``WIDTH``,
``ALOOKS``/``RLOOKS`` and the pixel sizes multiplied, reference and subset pixels divided), and
the geometry is multilooked to the same grid (:func:`write_multilooked_geometry`): real-valued
layers (height, latitude, longitude, angles, slant range) as the mean of each cell, as MintPy's
``multilook.py`` does; masks and integer layers as the cell's centre pixel, the pixel the phase
was linked at.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from minopy.errors import ConfigError, InputDataError
from minopy.io.atomic import atomic_path

#: template key of the output strides.
STRIDES_KEY = "minopy.inversion.strides"


def parse_strides(value: Any, key: str = STRIDES_KEY) -> tuple[int, int]:
    """``"3,6"`` (or ``(3, 6)``, or ``None``/``auto`` = 1,1) -> ``(3, 6)``.

    Raises
    ------
    ConfigError
        Naming the key and the value unless it is two integers >= 1.
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto")):
        return (1, 1)
    parts = (value.replace(" ", "").strip("[]()").split(",") if isinstance(value, str)
             else list(value))
    try:
        out = tuple(int(str(p)) for p in parts)
    except ValueError:
        out = ()
    if len(out) != 2 or min(out) < 1:
        raise ConfigError(f"{key} = {value!r}; expected two integers >= 1, azimuth,range "
                          "(e.g. 3,6; 1,1 = full resolution)")
    return out  # type: ignore[return-value]


def strides_of(config: Any) -> tuple[int, int]:
    """The output strides of a configuration (``config.inversion.strides``)."""
    return parse_strides(config.inversion.strides)


def coarse_shape(length: int, width: int, strides: tuple[int, int]) -> tuple[int, int]:
    """``(length // sa, width // sr)``."""
    return int(length) // int(strides[0]), int(width) // int(strides[1])


def multilook_attrs(attrs: Mapping[str, Any], strides: tuple[int, int]) -> dict[str, Any]:
    """MintPy metadata of a product on the coarse grid of ``strides``.

    Parameters
    ----------
    attrs : mapping
        Attributes of the full-resolution file (``LENGTH``, ``WIDTH`` required).
    strides : (int, int)
        ``(sa, sr)``: looks in azimuth (rows) and range (columns).

    Returns
    -------
    dict
        A copy with ``LENGTH``/``WIDTH`` (floor division), ``XMIN/XMAX/YMIN/YMAX``, ``ALOOKS``/
        ``RLOOKS`` (multiplied), ``AZIMUTH_PIXEL_SIZE``/``RANGE_PIXEL_SIZE`` and ``Y_STEP``/
        ``X_STEP`` (multiplied), ``REF_Y``/``REF_X`` and ``SUBSET_*`` (divided) updated, plus
        ``minopy.inversion.strides``; unchanged values for strides 1,1.
    """
    sa, sr = (int(v) for v in strides)
    out = dict(attrs)
    if (sa, sr) == (1, 1):
        return out
    length, width = coarse_shape(int(attrs["LENGTH"]), int(attrs["WIDTH"]), (sa, sr))
    out.update({"LENGTH": str(length), "WIDTH": str(width), "XMIN": "0", "YMIN": "0",
                "XMAX": str(width - 1), "YMAX": str(length - 1),
                "ALOOKS": str(int(float(attrs.get("ALOOKS", 1))) * sa),
                "RLOOKS": str(int(float(attrs.get("RLOOKS", 1))) * sr),
                STRIDES_KEY: f"{sa},{sr}"})
    for key, look in (("AZIMUTH_PIXEL_SIZE", sa), ("Y_STEP", sa), ("RANGE_PIXEL_SIZE", sr),
                      ("X_STEP", sr)):
        if key in attrs:
            out[key] = str(float(attrs[key]) * look)
    for key, look in (("REF_Y", sa), ("REF_X", sr), ("SUBSET_YMIN", sa), ("SUBSET_YMAX", sa),
                      ("SUBSET_XMIN", sr), ("SUBSET_XMAX", sr)):
        if key in attrs:
            out[key] = str(int(float(attrs[key])) // look)
    return out


def cell_mean(data: np.ndarray, strides: tuple[int, int]) -> np.ndarray:
    """NaN-ignoring mean of each ``sa x sr`` cell of a 2-D array, shape ``coarse_shape``
    (float32; NaN where a cell holds no finite value)."""
    sa, sr = (int(v) for v in strides)
    length, width = coarse_shape(data.shape[0], data.shape[1], (sa, sr))
    cells = np.asarray(data[:length * sa, :width * sr], dtype=np.float64).reshape(
        length, sa, width, sr)
    finite = np.isfinite(cells)
    count = finite.sum(axis=(1, 3))
    total = np.where(finite, cells, 0.0).sum(axis=(1, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan).astype(np.float32)


def cell_centre(data: np.ndarray, strides: tuple[int, int]) -> np.ndarray:
    """The centre pixel ``(i sa + sa // 2, j sr + sr // 2)`` of each cell, shape
    ``coarse_shape``, dtype kept."""
    sa, sr = (int(v) for v in strides)
    length, width = coarse_shape(data.shape[0], data.shape[1], (sa, sr))
    return np.ascontiguousarray(data[sa // 2:length * sa:sa, sr // 2:width * sr:sr])


def multilook_layer(data: np.ndarray, strides: tuple[int, int]) -> np.ndarray:
    """A geometry layer on the coarse grid: cell mean for floats, centre pixel otherwise."""
    if np.issubdtype(data.dtype, np.floating):
        return cell_mean(data, strides).astype(data.dtype, copy=False)
    return cell_centre(data, strides)


def write_multilooked_geometry(src: Path, dst: Path, strides: tuple[int, int]) -> None:
    """Write ``dst``: every 2-D layer of the geometry file ``src`` on the coarse grid, with
    :func:`multilook_attrs` (atomic; 3-D layers such as ``bperp`` are left out).

    Raises
    ------
    InputDataError
        If ``src`` is missing or not an HDF5 geometry file.
    """
    src, dst = Path(src), Path(dst)
    if not src.is_file():
        raise InputDataError(f"{src} does not exist; run the load_data step")
    try:
        with h5py.File(src, "r") as fin, atomic_path(dst) as tmp, h5py.File(tmp, "w") as fout:
            attrs = dict(fin.attrs)
            if "LENGTH" not in attrs or "WIDTH" not in attrs:
                first = next((d for d in fin.values() if isinstance(d, h5py.Dataset)
                              and d.ndim == 2), None)
                if first is None:
                    raise InputDataError(f"{src} has no 2-D geometry layer")
                attrs["LENGTH"], attrs["WIDTH"] = (str(v) for v in first.shape)
            for name, obj in fin.items():
                if isinstance(obj, h5py.Dataset) and obj.ndim == 2:
                    fout.create_dataset(name, data=multilook_layer(obj[()], strides))
                    fout[name].attrs.update(dict(obj.attrs))
            fout.attrs.update(multilook_attrs(attrs, strides))
    except OSError as exc:
        raise InputDataError(f"cannot read the geometry file {src}: {exc}") from exc
