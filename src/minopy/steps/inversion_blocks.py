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

import numpy as np

from minopy.io.fingerprinted_npz import npz_fingerprint, write_npz

#: folder of the block results inside the network folder.
BLOCKS_DIR = ".invert_network"
#: bump when the content of a block file changes meaning.
BLOCK_FORMAT = 1


def block_path(network_dir: Path, y0: int, y1: int) -> Path:
    """``<net>/.invert_network/block_<y0>_<y1>.npz``."""
    return Path(network_dir) / BLOCKS_DIR / f"block_{y0:06d}_{y1:06d}.npz"


#: the fingerprint in a block file, None if absent or unreadable.
stored_fingerprint = npz_fingerprint
#: write a block file atomically (``arrays`` plus the fingerprint).
save_block = write_npz


def load_block(path: Path) -> dict[str, np.ndarray]:
    """Every array of a block file."""
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def remove_blocks(network_dir: Path) -> None:
    """Delete the block folder (after the outputs are written)."""
    shutil.rmtree(Path(network_dir) / BLOCKS_DIR, ignore_errors=True)
