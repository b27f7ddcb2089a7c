"""File signatures and fingerprints: the one place that says when an input or option changed.

A *signature* is what identifies the version of a file cheaply: its size and modification time
(ns), optionally with its absolute path. A *digest* is the SHA-256 of a JSON description (sorted
keys) of options and signatures. The step fingerprints (:func:`minopy.runner.fingerprint`), the
patch fingerprints of phase linking, the per-pair stamps, the weather-delay files and the MintPy
staging check all use these.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def stat_signature(path: str | os.PathLike) -> list[int]:
    """``[size, mtime_ns]`` of a file.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    """
    st = Path(path).stat()
    return [st.st_size, st.st_mtime_ns]


def file_signature(path: str | os.PathLike) -> list[Any]:
    """``[absolute path, size, mtime_ns]`` of a file (FileNotFoundError if it does not exist)."""
    return [str(Path(path).resolve()), *stat_signature(path)]


def digest(payload: Any, default: Callable[[Any], Any] = str) -> str:
    """SHA-256 hex digest of the JSON text of ``payload`` (sorted keys; ``default`` converts
    what JSON cannot hold)."""
    text = json.dumps(payload, sort_keys=True, default=default)
    return hashlib.sha256(text.encode()).hexdigest()
