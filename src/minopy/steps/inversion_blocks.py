"""invert_network's block files: one band of rows of ``ifgramStack.h5`` per task, resumable.

Each task (:func:`minopy.steps.invert_network.invert_block_task`) receives paths and the small
network description, reads its rows of the stack itself, inverts them and writes
``<net>/.invert_network/block_<y0>_<y1>.npz`` atomically (:func:`save_block`) with the
fingerprint of the options and inputs it was made with. A run killed half-way reuses the blocks it
finished (:func:`stored_fingerprint`); the step assembles the outputs from the block files (the
same numbers wherever a block ran) and then removes the folder (:func:`remove_blocks`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from minopy.io.atomic import atomic_path

#: folder of the block results inside the network folder.
BLOCKS_DIR = ".invert_network"
#: bump when the content of a block file changes meaning.
BLOCK_FORMAT = 1


def block_path(network_dir: Path, y0: int, y1: int) -> Path:
    """``<net>/.invert_network/block_<y0>_<y1>.npz``."""
    return Path(network_dir) / BLOCKS_DIR / f"block_{y0:06d}_{y1:06d}.npz"


def stored_fingerprint(path: Path) -> str | None:
    """The fingerprint in a block file, None if absent or unreadable."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return str(data["fingerprint"])
    except Exception:  # noqa: BLE001 - missing, truncated (BadZipFile), or without the key
        return None


def save_block(path: Path, fingerprint: str, arrays: dict[str, np.ndarray]) -> None:
    """Write a block file atomically (``arrays`` plus the fingerprint)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        payload: dict[str, Any] = {"fingerprint": np.array(fingerprint), **arrays}
        np.savez(fh, **payload)


def load_block(path: Path) -> dict[str, np.ndarray]:
    """Every array of a block file."""
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def remove_blocks(network_dir: Path) -> None:
    """Delete the block folder (after the outputs are written)."""
    shutil.rmtree(Path(network_dir) / BLOCKS_DIR, ignore_errors=True)
