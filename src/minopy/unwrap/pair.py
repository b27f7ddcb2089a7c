"""Unwrap one interferogram pair folder: unwrapper, two-stage joining, filter removal, outputs.

Reads (never its own outputs):
``fine.int`` (and ``filt_fine.int`` when filtered), the coherence raster (phase-linking temporal
coherence or the pair's ``filt_fine.cor``), and the unwrap mask given by the caller.

Writes, atomically and in this order:
``filt_fine.unw.conncomp`` (uint8 BYTE, 0 = not unwrapped), ``filt_fine.unw`` (2-band BIL float32:
band 1 amplitude ``|fine.int|``, band 2 unwrapped phase in radians, 0 where masked) and a stamp
recording the options and input fingerprints, so an unchanged pair is skipped on a re-run and a
changed one is redone from the original inputs.

PS DEM correction (``minopy.unwrap.psDemCorrection``, :mod:`minopy.unwrap.ps_dem`): with a
:class:`~minopy.unwrap.ps_dem.PsDemModel`, the modelled phase ``phi`` of each persistent scatterer
(its DEM error relative to its neighbourhood) is removed from the interferogram (and from
``fine.int`` when the filter is removed) at the PS pixel before unwrapping, ``ifg * exp(-i phi)``,
so the unwrapper sees the PS on its neighbourhood's phase; after component joining and filter
removal, ``phi`` is added back, ``unw + phi``. Both are applied to the arrays read from the inputs,
never to an earlier output, so a re-run applies the correction exactly once, and the result stays
congruent to ``angle(fine.int)`` modulo 2 pi. The model's fingerprint is part of the stamp.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from minopy.errors import InputDataError
from minopy.interferogram.form import FILT_INT_NAME, INT_NAME
from minopy.interferogram.stamp import file_fingerprint, is_done, write_stamp
from minopy.io.isce import open_raster, read_georef, read_info, read_raster, write_raster
from minopy.unwrap.components import join_components
from minopy.unwrap.filter_removal import remove_filter
from minopy.unwrap.ps_dem import PsDemModel
from minopy.unwrap.snaphu_runner import (
    SnaphuOptions,
    effective_overlap,
    sanitize,
    tile_counts,
    unwrap_snaphu,
)
from minopy.unwrap.whirlwind_runner import unwrap_whirlwind

UNW_NAME = "filt_fine.unw"
CONNCOMP_NAME = "filt_fine.unw.conncomp"
STAMP_NAME = ".unwrap_ifgram.json"
#: largest label stored in the uint8 conncomp file.
MAX_LABEL = 255


@dataclass(frozen=True)
class UnwrapSettings:
    """Options of the unwrap step that apply to every pair.

    Attributes
    ----------
    method : str
        ``"snaphu"`` or ``"whirlwind"``.
    nlooks : float
        Equivalent number of looks of the coherence.
    max_discontinuity : float
        SNAPHU DEFOMAX_CYCLE.
    init : str
        SNAPHU initialisation, ``"MCF"`` or ``"MST"``.
    tile_num_pixels : float
        Tile when the image has more pixels than this.
    tile_overlap : int
        Tile overlap in pixels.
    nproc : int
        Processes for SNAPHU tiles.
    two_stage : bool
        Join connected components.
    filtered : bool
        Unwrap ``filt_fine.int`` (filterStrength > 0) instead of ``fine.int``.
    remove_filter : bool
        Put the unfiltered phase back (only when ``filtered``).
    coherence_file : str or None
        Coherence raster for every pair; None = each pair's ``filt_fine.cor``.
    mask_id : list
        Fingerprint of the mask inputs (for the stamp).
    """

    method: str = "snaphu"
    nlooks: float = 1.0
    max_discontinuity: float = 1.2
    init: str = "MCF"
    tile_num_pixels: float = 10_000_000.0
    tile_overlap: int = 400
    nproc: int = 1
    two_stage: bool = True
    filtered: bool = False
    remove_filter: bool = True
    coherence_file: str | None = None
    mask_id: list[Any] = field(default_factory=list)

    def snaphu_options(self, length: int, width: int) -> SnaphuOptions:
        """SNAPHU options for an image of this size (tiles chosen from the pixel count)."""
        ntiles = tile_counts(length, width, self.tile_num_pixels)
        return SnaphuOptions(
            nlooks=self.nlooks, max_discontinuity=self.max_discontinuity, init=self.init,
            ntiles=ntiles, tile_overlap=effective_overlap(length, width, ntiles, self.tile_overlap),
            nproc=self.nproc)


def _stamp_params(pair_dir: Path, settings: UnwrapSettings,
                  ps_dem: PsDemModel | None = None) -> dict[str, Any]:
    params = asdict(settings)
    params.pop("nproc")  # does not change the result
    coh = settings.coherence_file or str(pair_dir / "filt_fine.cor")
    params["inputs"] = {
        "int": file_fingerprint(pair_dir / INT_NAME),
        "filt": file_fingerprint(pair_dir / FILT_INT_NAME) if settings.filtered else None,
        "coherence": file_fingerprint(coh),
    }
    params["ps_dem"] = ps_dem.fingerprint() if ps_dem is not None else None
    params["version"] = 2
    return params


def _read_complex(path: Path) -> np.ndarray:
    if not path.exists():
        raise InputDataError(f"{path} does not exist; run the generate_ifgram step first")
    return read_raster(path, band=1)


def ps_pair_correction(ps_dem: PsDemModel | None, name: str,
                       shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Rows, columns and modelled phase (rad) of the PS of pair ``name`` (``d1_d2``), or None.

    Parameters
    ----------
    ps_dem : PsDemModel or None
        PS DEM-error model of the step.
    name : str
        Pair folder name ``<d1>_<d2>``.
    shape : (int, int)
        Interferogram shape; PS outside it raise :class:`~minopy.errors.InputDataError`.

    Returns
    -------
    tuple or None
        ``(y, x, phi)`` with ``phi = k_z dz (B_d1 - B_d2)``; None without a model.
    """
    if ps_dem is None or ps_dem.y.size == 0:
        return None
    d1, d2 = name.split("_")[:2]
    try:
        phi = ps_dem.pair_phase(d1, d2)
    except KeyError as err:
        raise InputDataError(f"PS DEM correction of pair {name}: {err.args[0]}") from None
    if ps_dem.y.max() >= shape[0] or ps_dem.x.max() >= shape[1]:
        raise InputDataError(f"PS DEM correction of pair {name}: PS pixels lie outside the "
                             f"{shape[0]} x {shape[1]} interferogram")
    return ps_dem.y, ps_dem.x, phi


def _remove_ps(arr: np.ndarray, corr: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """Copy of complex ``arr`` with ``exp(-i phi)`` applied at the PS pixels."""
    y, x, phi = corr
    out = np.array(arr, dtype=np.complex64, copy=True)
    out[y, x] *= np.exp(-1j * phi).astype(np.complex64)
    return out


def unwrap_pair(
    pair_dir: str | os.PathLike,
    settings: UnwrapSettings,
    mask: np.ndarray | None = None,
    skip_complete: bool = True,
    ps_dem: PsDemModel | None = None,
) -> bool:
    """Unwrap the interferogram in ``pair_dir`` and write ``filt_fine.unw`` and its conncomp.

    Parameters
    ----------
    pair_dir : path-like
        ``<ifgram_dir>/<d1>_<d2>``.
    settings : UnwrapSettings
        Step options.
    mask : numpy.ndarray, optional
        bool (length, width), True = unwrap.
    skip_complete : bool
        Skip when the outputs are complete for the same options and inputs.
    ps_dem : PsDemModel, optional
        PS DEM-error model: its phase is removed at the PS before unwrapping and added back after
        (see the module docstring).

    Returns
    -------
    bool
        True if the pair was unwrapped, False if skipped.
    """
    pair_dir = Path(pair_dir)
    name = pair_dir.name
    params = _stamp_params(pair_dir, settings, ps_dem)
    stamp = pair_dir / STAMP_NAME
    if skip_complete and is_done(stamp, params, [pair_dir / UNW_NAME, pair_dir / CONNCOMP_NAME]):
        return False
    stamp.unlink(missing_ok=True)
    fine = _read_complex(pair_dir / INT_NAME)
    igram = _read_complex(pair_dir / FILT_INT_NAME) if settings.filtered else fine
    coh_path = Path(settings.coherence_file or pair_dir / "filt_fine.cor")
    if not coh_path.exists() and not Path(str(coh_path) + ".xml").exists():
        raise InputDataError(f"coherence raster {coh_path} for pair {name} does not exist")
    info = read_info(coh_path)
    if (info.length, info.width) != igram.shape:
        raise InputDataError(
            f"coherence raster {coh_path} is {info.length} x {info.width} but pair {name} is "
            f"{igram.shape[0]} x {igram.shape[1]}")
    corr = np.asarray(open_raster(coh_path)[0], dtype=np.float32)
    ps = ps_pair_correction(ps_dem, name, igram.shape)
    wrapped = fine  # unfiltered phase the filter removal keeps
    if ps is not None:
        wrapped = _remove_ps(fine, ps)
        igram = wrapped if not settings.filtered else _remove_ps(igram, ps)
    if settings.method == "whirlwind":
        unw, cc = unwrap_whirlwind(igram, corr, settings.nlooks, mask, name=name)
    else:
        unw, cc = unwrap_snaphu(igram, corr, settings.snaphu_options(*igram.shape), mask,
                                name=name, scratch_dir=pair_dir)
    if settings.two_stage and int(cc.max()) > 1:
        unw = join_components(unw, cc)
    _, _, valid = sanitize(igram, corr, mask)
    if settings.filtered and settings.remove_filter:
        unw = remove_filter(unw, np.angle(wrapped))
    if ps is not None:
        y, x, phi = ps
        unw = np.asarray(unw, dtype=np.float32).copy()
        unw[y, x] += phi.astype(np.float32)
    unw[~valid] = 0
    cc8 = np.where(cc > MAX_LABEL, 0, cc).astype(np.uint8)
    georef = read_georef(pair_dir / INT_NAME)  # geocoded stacks: the map grid of fine.int
    write_raster(pair_dir / CONNCOMP_NAME, cc8, image_type="cc", georef=georef)
    bands = np.stack([np.abs(fine).astype(np.float32), unw.astype(np.float32)])
    write_raster(pair_dir / UNW_NAME, bands, scheme="BIL", image_type="unw", georef=georef)
    write_stamp(stamp, params)
    return True


def pair_is_current(pair_dir: str | Path, settings: UnwrapSettings,
                    ps_dem: PsDemModel | None = None) -> bool:
    """Whether the pair's outputs are complete and stamped with these options and inputs (the
    check :func:`unwrap_pair` makes first; the step makes it before dispatching any task)."""
    pair_dir = Path(pair_dir)
    return is_done(pair_dir / STAMP_NAME, _stamp_params(pair_dir, settings, ps_dem),
                   [pair_dir / UNW_NAME, pair_dir / CONNCOMP_NAME])


def unwrap_pair_task(pair_dir: str, settings: UnwrapSettings, mask_file: str | None,
                     threads: int = 1, ps_dem: PsDemModel | None = None) -> bool:
    """:func:`unwrap_pair` in a worker; reads the mask raster ``mask_file`` (True = unwrap)."""
    from minopy import parallel
    from minopy.unwrap.whirlwind_runner import set_threads

    parallel.limit_task_threads(threads)
    if settings.method == "whirlwind":
        set_threads(threads)
    mask = read_raster(mask_file, band=1).astype(bool) if mask_file else None
    return unwrap_pair(pair_dir, settings, mask, ps_dem=ps_dem)
