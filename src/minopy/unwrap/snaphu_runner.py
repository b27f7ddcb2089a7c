"""Unwrapping with the SNAPHU executable bundled in the ``snaphu`` (snaphu-py) package.

``snaphu.unwrap`` does not expose ``DEFOMAX_CYCLE`` (maxDiscontinuity), ``MAXNCOMPS`` or
``CONNCOMPTHRESH``, so this module writes the SNAPHU configuration itself (the same keys
snaphu-py writes, plus those) and runs the bundled executable with ``subprocess``, checking its
exit status. A failure raises :class:`~minopy.errors.StepError` naming the pair and quoting the end
of SNAPHU's log.

Inputs are sanitised first: NaN interferogram or coherence values become 0, coherence is clipped
to [0, 1], and pixels with zero interferogram or zero/NaN coherence are masked (SNAPHU output 0,
component 0).
"""

from __future__ import annotations

import errno
import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from minopy.errors import StepError

#: SNAPHU settings fixed by minopy (MiNoPy's conf.full).
FIXED_CONFIG = {
    "MINCONNCOMPFRAC": "0.01",
    "CONNCOMPTHRESH": "300",
    "MAXNCOMPS": "100",
    "RMTMPTILE": "TRUE",
}


@dataclass(frozen=True)
class SnaphuOptions:
    """SNAPHU options of one run.

    Attributes
    ----------
    nlooks : float
        Equivalent number of looks of the coherence (NCORRLOOKS).
    max_discontinuity : float
        DEFOMAX_CYCLE, cycles.
    init : str
        ``"MCF"`` or ``"MST"``.
    ntiles : (int, int)
        Tiles along rows and columns; (1, 1) = single tile.
    tile_overlap : int
        Overlap between tiles, pixels.
    nproc : int
        Parallel tile processes.
    """

    nlooks: float = 1.0
    max_discontinuity: float = 1.2
    init: str = "MCF"
    ntiles: tuple[int, int] = (1, 1)
    tile_overlap: int = 400
    nproc: int = 1


def tile_counts(length: int, width: int, tile_num_pixels: float) -> tuple[int, int]:
    """Tiles (rows, columns) so that each tile has about ``tile_num_pixels`` pixels or fewer.

    Images up to ``tile_num_pixels`` pixels are one tile; larger ones get
    ``ceil(L*W / tile_num_pixels)`` tiles or a few more, split to keep tiles roughly square.
    """
    total = length * width
    if total <= tile_num_pixels:
        return (1, 1)
    nt = math.ceil(total / tile_num_pixels)
    rows = max(1, min(length, round(math.sqrt(nt * length / width))))
    cols = max(1, math.ceil(nt / rows))
    return (rows, min(cols, width))


def effective_overlap(length: int, width: int, ntiles: tuple[int, int], overlap: int) -> int:
    """Tile overlap limited to half the smaller tile dimension (SNAPHU needs tiles > overlap)."""
    if ntiles == (1, 1):
        return 0
    tile = min(length // ntiles[0], width // ntiles[1])
    return max(0, min(int(overlap), tile // 2))


@contextmanager
def snaphu_executable() -> Iterator[Path]:
    """Path of the SNAPHU executable bundled with snaphu-py (or ``snaphu`` on PATH)."""
    try:
        from snaphu._snaphu import get_snaphu_executable
    except ImportError:  # pragma: no cover - older/newer snaphu-py layouts
        found = shutil.which("snaphu")
        if found is None:
            raise StepError("the snaphu package (snaphu-py) is not installed and no snaphu "
                            "executable is on PATH; pip install snaphu") from None
        yield Path(found)
        return
    with get_snaphu_executable() as exe:
        yield Path(exe)


def sanitize(igram: np.ndarray, corr: np.ndarray,
             mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NaN-free complex64 interferogram, float32 coherence in [0, 1], and the valid-pixel mask."""
    ig = np.nan_to_num(np.asarray(igram, dtype=np.complex64), nan=0.0, posinf=0.0, neginf=0.0)
    co = np.nan_to_num(np.asarray(corr, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    co = np.clip(co, 0.0, 1.0)
    valid = (ig != 0) & (co > 0)
    if mask is not None:
        valid &= np.asarray(mask, dtype=bool)
    return ig, co, valid


def config_text(files: dict[str, Path], width: int, opts: SnaphuOptions, masked: bool) -> str:
    """The SNAPHU configuration file for one run."""
    lines = {
        "INFILE": files["igram"],
        "INFILEFORMAT": "COMPLEX_DATA",
        "CORRFILE": files["corr"],
        "CORRFILEFORMAT": "FLOAT_DATA",
        "OUTFILE": files["unw"],
        "OUTFILEFORMAT": "FLOAT_DATA",
        "CONNCOMPFILE": files["conncomp"],
        "CONNCOMPOUTTYPE": "UINT",
        "LINELENGTH": width,
        "NCORRLOOKS": opts.nlooks,
        "STATCOSTMODE": "DEFO",
        "DEFOMAX_CYCLE": opts.max_discontinuity,
        "INITMETHOD": opts.init.upper(),
        "NTILEROW": opts.ntiles[0],
        "NTILECOL": opts.ntiles[1],
        "ROWOVRLP": opts.tile_overlap,
        "COLOVRLP": opts.tile_overlap,
        "NPROC": opts.nproc,
        **FIXED_CONFIG,
    }
    if opts.ntiles != (1, 1):
        lines["SINGLETILEREOPTIMIZE"] = "TRUE"
        lines["TILEDIR"] = files["tiledir"]
    if masked:
        lines["BYTEMASKFILE"] = files["mask"]
    return "".join(f"{k} {v}\n" for k, v in lines.items())


def unwrap_snaphu(
    igram: np.ndarray,
    corr: np.ndarray,
    opts: SnaphuOptions,
    mask: np.ndarray | None = None,
    name: str = "interferogram",
    scratch_dir: str | os.PathLike | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Unwrap one interferogram with SNAPHU (DEFO cost).

    Parameters
    ----------
    igram : numpy.ndarray
        2-D complex interferogram.
    corr : numpy.ndarray
        Coherence, same shape.
    opts : SnaphuOptions
        SNAPHU settings.
    mask : numpy.ndarray, optional
        bool, True = unwrap.
    name : str
        Pair name used in error messages.
    scratch_dir : path-like, optional
        Folder for SNAPHU's temporary files (a temporary sub-folder is made and removed).

    Returns
    -------
    unw : numpy.ndarray
        float32 unwrapped phase (0 where masked).
    conncomp : numpy.ndarray
        uint32 connected-component labels, 0 = not unwrapped.

    Raises
    ------
    StepError
        If SNAPHU exits with a non-zero status or writes incomplete output.
    """
    if igram.ndim != 2 or igram.shape != corr.shape:
        raise ValueError(f"{name}: igram {igram.shape} and coherence {corr.shape} differ")
    ig, co, valid = sanitize(igram, corr, mask)
    length, width = ig.shape
    unw = np.zeros((length, width), dtype=np.float32)
    conncomp = np.zeros((length, width), dtype=np.uint32)
    if not valid.any():
        return unw, conncomp
    if scratch_dir is not None:
        Path(scratch_dir).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".snaphu_", dir=scratch_dir) as tmp:
        d = Path(tmp).resolve()
        files = {k: d / f"{k}.bin" for k in ("igram", "corr", "unw", "conncomp", "mask")}
        files["tiledir"] = d / "tiles"
        ig.tofile(files["igram"])
        co.tofile(files["corr"])
        masked = not valid.all()
        if masked:
            valid.astype(np.uint8).tofile(files["mask"])
        config = d / "snaphu.conf"
        config.write_text(config_text(files, width, opts, masked))
        log_file = d / "snaphu.log"
        with snaphu_executable() as exe, open(log_file, "w") as logf:
            proc = subprocess.run([os.fspath(exe), "-f", os.fspath(config)], cwd=d,
                                  stdout=logf, stderr=subprocess.STDOUT, check=False)
        if proc.returncode != 0:
            tail = "\n".join(log_file.read_text(errors="replace").strip().splitlines()[-8:])
            if "device full" in tail:  # SNAPHU's words for ENOSPC
                raise OSError(errno.ENOSPC, f"SNAPHU could not write its output of pair {name}: "
                              "no space left on device", str(d))
            raise StepError(f"SNAPHU failed on pair {name} (exit status {proc.returncode}):\n"
                            f"{tail}")
        expected = length * width * 4
        for key in ("unw", "conncomp"):
            size = files[key].stat().st_size if files[key].exists() else -1
            if size != expected:
                raise StepError(f"SNAPHU on pair {name} wrote {size} bytes of {key}, expected "
                                f"{expected}; see its log:\n{log_file.read_text()[-800:]}")
        unw[:] = np.fromfile(files["unw"], dtype=np.float32).reshape(length, width)
        conncomp[:] = np.fromfile(files["conncomp"], dtype=np.uint32).reshape(length, width)
    unw[~valid] = 0
    conncomp[~valid] = 0
    return unw, conncomp
