"""Resumable work files: an uncompressed ``.npz`` written atomically with the fingerprint of the
options and inputs it was made with, so a re-run can tell a current file from a stale one.

Used by the phase-linking patch results, the streaming mini-stack patches and invert_network's
row blocks.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from minopy.io.atomic import atomic_path


def write_npz(path: Path, fingerprint: str, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` plus ``fingerprint`` to ``path`` atomically (its folder is created)."""
    payload: dict[str, Any] = {"fingerprint": np.array(fingerprint), **arrays}
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **payload)


def npz_fingerprint(path: Path) -> str | None:
    """The fingerprint stored in the file; None when it is missing, truncated or has none."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return str(data["fingerprint"])
    except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile):
        return None
