"""Per-pair completion stamps, so a re-run redoes a pair when its options or inputs changed.

A stamp is a small JSON file in the pair folder holding the parameters and input fingerprints
(size, mtime) a product was made with. It is removed before a pair is (re)processed and written
atomically after all of the pair's files, so a matching stamp plus complete files means done.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from minopy.io.atomic import write_text_atomic
from minopy.io.isce import is_complete
from minopy.io.signature import stat_signature


def file_fingerprint(path: str | os.PathLike) -> list[int] | None:
    """``[size, mtime_ns]`` of a file, or None if it does not exist."""
    try:
        return stat_signature(path)
    except FileNotFoundError:
        return None


def read_stamp(path: Path) -> dict[str, Any] | None:
    """The stamp's content, or None if missing or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_stamp(path: Path, params: dict[str, Any]) -> None:
    """Write the stamp atomically."""
    write_text_atomic(path, json.dumps(params, sort_keys=True, indent=1) + "\n")


def is_done(stamp: Path, params: dict[str, Any], rasters: list[Path]) -> bool:
    """True if ``stamp`` records exactly ``params`` and every raster is complete."""
    return read_stamp(stamp) == json.loads(json.dumps(params)) and all(
        is_complete(r) for r in rasters)
