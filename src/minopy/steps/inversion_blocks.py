"""invert_network's block tasks: one band of rows of ``ifgramStack.h5`` per task, resumable.

A :class:`BlockTask` holds paths and small arrays only (the pairs kept, the reference phase, the
date incidence, the options, the band's temporal coherence), so it runs in this process or on any
dask worker that sees the work directory (:func:`minopy.interferogram.pair_runner.run_pairs`).
Each task reads its rows of the stack itself, inverts them (:func:`invert_block`) and writes
``<net>/.invert_network/block_<y0>_<y1>.npz`` atomically, with the fingerprint of the options and
inputs it was made with. A run killed half-way reuses the blocks it finished; the step assembles
the outputs from the block files (the same numbers wherever a block ran) and removes the folder.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from minopy.io.atomic import atomic_path
from minopy.network.covariance import decorrelation_variance, timeseries_covariance
from minopy.network.inversion import coherence_to_weight, invert_pixels

#: folder of the block results inside the network folder.
BLOCKS_DIR = ".invert_network"
#: bump when the content of a block file changes meaning.
BLOCK_FORMAT = 1


@dataclass(frozen=True)
class InversionSetup:
    """What every block needs (the same for all blocks of a run)."""

    stack_file: str
    obs_name: str
    idx: np.ndarray  # (M,) indices of the pairs used in the stack
    pairs: tuple[str, ...]
    dates: tuple[str, ...]
    ref_phase: np.ndarray  # (M,) float64
    incidence: np.ndarray  # (N, M) float32
    width: int
    mask_name: str | None
    mask_thr: float
    weight_func: str
    norm: str
    min_norm_velocity: bool
    smoothing: float
    min_tcoh: float
    min_red: float
    looks: float
    wavelength: float
    calc_cov: bool


@dataclass(frozen=True)
class BlockTask:
    """One band of rows ``y0..y1`` and where its result goes."""

    setup: InversionSetup
    y0: int
    y1: int
    tcoh: np.ndarray  # (y1 - y0, W) float32, NaN where excluded
    out_file: str
    fingerprint: str
    threads: int = 1


def block_path(network_dir: Path, y0: int, y1: int) -> Path:
    """``<net>/.invert_network/block_<y0>_<y1>.npz``."""
    return Path(network_dir) / BLOCKS_DIR / f"block_{y0:06d}_{y1:06d}.npz"


def stored_fingerprint(path: Path) -> str | None:
    """The fingerprint in a block file, None if absent or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return str(data["fingerprint"])
    except (OSError, KeyError, ValueError, EOFError):
        return None
    except Exception:  # noqa: BLE001 - a truncated zip raises BadZipFile and others
        return None


def invert_block(task: BlockTask) -> tuple[int, int, int]:
    """Invert one band of rows and write its block file.

    Returns
    -------
    (int, int, int)
        ``y0``, pixels inverted, pixels left out for low redundancy.
    """
    from minopy.parallel import limit_task_threads

    limit_task_threads(task.threads)
    s, y0, y1 = task.setup, task.y0, task.y1
    width, idx = s.width, s.idx
    with h5py.File(s.stack_file, "r") as f:
        raw = f[s.obs_name][:, y0:y1, :][idx].reshape(len(idx), -1).astype(np.float64)
        comp = (f["connectComponent"][:, y0:y1, :][idx].reshape(len(idx), -1)
                if "connectComponent" in f else np.ones_like(raw))
        coh = None
        if s.weight_func != "no" or s.mask_name == "coherence" or s.calc_cov:
            coh = f["coherence"][:, y0:y1, :][idx].reshape(len(idx), -1).astype(np.float64)
    valid = np.isfinite(raw) & ~((raw == 0) & (comp == 0))
    if s.mask_name == "connectComponent":
        valid &= comp != 0
    if s.mask_name == "coherence":
        valid &= np.nan_to_num(coh, nan=0.0) >= s.mask_thr
    pix = np.flatnonzero((task.tcoh >= s.min_tcoh).ravel())
    use = valid[:, pix]
    low_redundancy = 0
    if s.min_red > 0:
        low = (s.incidence @ use.astype(np.float32)).min(axis=0) < s.min_red
        low_redundancy = int(np.sum(low & use.any(axis=0)))
        use[:, low] = False
    weight = None if s.weight_func == "no" else coherence_to_weight(coh[:, pix], s.weight_func,
                                                                     s.looks)
    res = invert_pixels(raw[:, pix] - s.ref_phase[:, None], list(s.pairs), list(s.dates),
                        valid=use, weight=weight, min_norm_velocity=s.min_norm_velocity,
                        norm=s.norm, smoothing=s.smoothing)
    num_date, size = len(s.dates), (y1 - y0) * width
    ts = np.zeros((num_date, size), np.float32)
    ts[:, pix] = res.phase * np.float32(-s.wavelength / (4 * np.pi))
    counts = np.zeros(size, np.float32)
    counts[pix] = res.num_inv
    done = np.zeros(size, bool)
    done[pix] = res.inverted
    arrays = {"timeseries": ts.reshape(num_date, y1 - y0, width),
              "numInvIfgram": counts.reshape(y1 - y0, width),
              "done": done.reshape(y1 - y0, width)}
    if s.calc_cov:
        cov = np.zeros((num_date, num_date, size), np.float32)
        cov[:, :, pix] = timeseries_covariance(
            list(s.pairs), list(s.dates), use & res.inverted[None, :],
            decorrelation_variance(coh[:, pix], s.looks), weight
        ) * (s.wavelength / (4 * np.pi)) ** 2
        arrays["timeseriesDecorCov"] = cov.reshape(num_date, num_date, y1 - y0, width)
    inverted = int(res.inverted.sum())
    out = Path(task.out_file)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, fingerprint=np.array(task.fingerprint), rows=np.array([y0, y1]),
                 counters=np.array([inverted, low_redundancy]), **arrays)
    return y0, inverted, low_redundancy


def read_block(path: Path, name: str) -> np.ndarray:
    """One array of a block file."""
    with np.load(path, allow_pickle=False) as data:
        return data[name]


def remove_blocks(network_dir: Path) -> None:
    """Delete the block folder (after the outputs are written)."""
    shutil.rmtree(Path(network_dir) / BLOCKS_DIR, ignore_errors=True)
