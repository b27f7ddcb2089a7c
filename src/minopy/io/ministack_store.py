"""Files of the streaming mini-stacks in ``inverted/ministacks/MS_<k:03d>/``.

One folder per mini-stack ``k`` holds

- ``PATCH_<i:04d>.npz``: the patch's products for the mini-stack's dates and the running sums
  (written atomically, with the mini-stack fingerprint: a file with another one is stale);
- ``compressed.h5``: the compressed image ``C_k`` of the whole image, dataset ``compressed``
  ``(length, width)`` complex64, the input of every later mini-stack;
- ``tempCoh_average`` (ISCE float32 raster): the mean temporal coherence of mini-stacks
  ``0..k``, and ``maskPS`` (ISCE uint8 raster): PS in every mini-stack ``0..k``; the unwrapping
  inputs of the pairs whose later date is in mini-stack ``k``;
- ``state.json``, written last: the provenance (options, dates and their content digests, the
  previous mini-stack's state hash), the fingerprint and the SHA-256 of every file above. A
  folder whose state does not verify is never used.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from minopy.io.atomic import write_text_atomic

#: folder of the mini-stacks inside ``inverted/``.
FOLDER = "ministacks"
COMPRESSED_NAME = "compressed.h5"
COHERENCE_NAME = "tempCoh_average"
PS_NAME = "maskPS"
STATE_NAME = "state.json"
#: bump when the files' layout or meaning changes.
FORMAT = 1


def ministack_dir(root: Path, k: int) -> Path:
    """``<root>/MS_<k:03d>``."""
    return Path(root) / f"MS_{k:03d}"


def patch_file(root: Path, k: int, index: int) -> Path:
    """``<root>/MS_<k:03d>/PATCH_<index:04d>.npz``."""
    return ministack_dir(root, k) / f"PATCH_{index:04d}.npz"


def sha256_file(path: Path, block: int = 16 * 1024**2) -> str:
    """SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(block):
            h.update(chunk)
    return h.hexdigest()


def read_patch(path: Path, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The arrays ``names`` of a patch file (OSError/KeyError/ValueError when unreadable)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {n: data[n] for n in names}
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{path}: {exc}") from exc


def create_compressed(path: Path, shape: tuple[int, int], chunk: int) -> h5py.File:
    """Open a new ``compressed.h5`` at a temporary name; :func:`finish_compressed` renames it."""
    from minopy.io.atomic import temp_name

    tmp = temp_name(path)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    f = h5py.File(tmp, "w")
    c = (min(chunk, shape[0]), min(chunk, shape[1]))
    f.create_dataset("compressed", shape=shape, dtype=np.complex64, chunks=c)
    return f


def finish_compressed(f: h5py.File, path: Path) -> None:
    """Close the file from :func:`create_compressed` and rename it to ``path``."""
    tmp = Path(f.filename)
    f.close()
    os.replace(tmp, path)


def read_compressed(paths: list[Path], window: tuple[int, int, int, int]) -> np.ndarray:
    """The compressed images ``paths`` over ``window = (row0, row1, col0, col1)``.

    Returns
    -------
    ndarray, shape (len(paths), row1 - row0, col1 - col0), complex64
    """
    r0, r1, c0, c1 = window
    out = np.empty((len(paths), r1 - r0, c1 - c0), dtype=np.complex64)
    for i, p in enumerate(paths):
        with h5py.File(p, "r") as f:
            out[i] = f["compressed"][r0:r1, c0:c1]
    return out


def write_state(folder: Path, provenance: dict[str, Any], fingerprint: str,
                files: list[str]) -> str:
    """Write ``state.json`` (provenance, fingerprint, SHA-256 of ``files`` in ``folder``)
    atomically; return the SHA-256 of its text (the next mini-stack's ``previous``)."""
    state = {"format": FORMAT, "fingerprint": fingerprint, "provenance": provenance,
             "files": {name: sha256_file(folder / name) for name in files}}
    text = json.dumps(state, sort_keys=True, indent=1) + "\n"
    write_text_atomic(folder / STATE_NAME, text)
    return hashlib.sha256(text.encode()).hexdigest()


def read_state(folder: Path) -> tuple[dict[str, Any] | None, str | None]:
    """``(state, sha256 of its text)``; ``(None, None)`` when missing, ``({}, None)`` when
    unreadable (corrupt)."""
    path = folder / STATE_NAME
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None, None
    except OSError:
        return {}, None
    try:
        state = json.loads(text)
    except ValueError:
        return {}, None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        return {}, None
    return state, hashlib.sha256(text.encode()).hexdigest()


def verify_files(folder: Path, state: dict[str, Any]) -> str | None:
    """None when every file listed in ``state`` has its recorded SHA-256, else what differs."""
    files = state.get("files")
    if not isinstance(files, dict) or not files:
        return "the state lists no files"
    for name, expected in sorted(files.items()):
        path = folder / name
        try:
            actual = sha256_file(path)
        except OSError as exc:
            return f"{name} is unreadable ({exc.strerror or exc})"
        if actual != expected:
            return f"{name} does not match its checksum"
    return None
