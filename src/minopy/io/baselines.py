"""Perpendicular baselines of an ISCE stack.

topsStack: ``baselines/<ref>_<sec>/<ref>_<sec>.txt`` with one ``Bperp (average): v`` line per swath
(averaged). stripmapStack: ``baselines/<ref>_<sec>.txt`` with ``PERP_BASELINE_TOP`` and
``PERP_BASELINE_BOTTOM`` (averaged). The stack reference date has baseline 0.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from minopy.errors import InputDataError

_PAIR = re.compile(r"^(\d{8})_(\d{8})$")


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text().splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise InputDataError(f"cannot read baseline file {path}: {err}") from None


def read_tops_baseline(path: str | Path) -> float:
    """Mean of the ``Bperp (average):`` values of a topsStack baseline file (metres)."""
    path = Path(path)
    values = []
    for line in _read_lines(path):
        key, _, value = line.partition(":")
        if key.strip().lower() == "bperp (average)":
            try:
                values.append(float(value))
            except ValueError:
                raise InputDataError(f"{path}: {line.strip()!r} has no number after ':'") from None
    if not values:
        raise InputDataError(f"{path}: no 'Bperp (average): <value>' line")
    return float(np.mean(values))


def read_stripmap_baseline(path: str | Path) -> float:
    """Mean of ``PERP_BASELINE_TOP`` and ``PERP_BASELINE_BOTTOM`` of a stripmapStack file."""
    path = Path(path)
    found: dict[str, float] = {}
    for line in _read_lines(path):
        parts = line.replace(":", " ").split()
        if len(parts) >= 2 and parts[0].upper() in ("PERP_BASELINE_TOP", "PERP_BASELINE_BOTTOM"):
            try:
                found[parts[0].upper()] = float(parts[1])
            except ValueError:
                raise InputDataError(f"{path}: {line.strip()!r} is not 'KEY number'") from None
    missing = {"PERP_BASELINE_TOP", "PERP_BASELINE_BOTTOM"} - set(found)
    if missing:
        raise InputDataError(f"{path}: lacks {', '.join(sorted(missing))}")
    return (found["PERP_BASELINE_TOP"] + found["PERP_BASELINE_BOTTOM"]) / 2.0


def find_baseline_files(baseline_dir: str | Path) -> dict[tuple[str, str], Path]:
    """``{(ref, sec): file}`` for both layouts found in ``baseline_dir``."""
    root = Path(baseline_dir)
    out: dict[tuple[str, str], Path] = {}
    for entry in sorted(root.iterdir()):
        stem = entry.name[:-4] if entry.name.endswith(".txt") else entry.name
        match = _PAIR.match(stem)
        if not match:
            continue
        if entry.is_dir():
            txt = entry / f"{entry.name}.txt"
            if txt.is_file():
                out[(match.group(1), match.group(2))] = txt
        elif entry.is_file():
            out[(match.group(1), match.group(2))] = entry
    return out


def read_baselines(baseline_dir: str | Path, dates: Sequence[str]) -> np.ndarray:
    """Perpendicular baseline of each date relative to the first of ``dates`` (float32, metres).

    Parameters
    ----------
    baseline_dir : path-like
        ISCE ``baselines`` folder (topsStack sub-folders or stripmapStack text files).
    dates : sequence of str
        Sorted YYYYMMDD dates to return baselines for.

    Raises
    ------
    InputDataError
        If the folder is missing or a date has no baseline file (listing the dates).
    """
    root = Path(baseline_dir)
    if not root.is_dir():
        raise InputDataError(
            f"baseline directory {root} does not exist; set minopy.load.baselineDir"
        )
    files = find_baseline_files(root)
    if not files:
        raise InputDataError(
            f"no baseline files in {root}: expected <ref>_<sec>/<ref>_<sec>.txt (topsStack) or "
            "<ref>_<sec>.txt (stripmapStack)"
        )
    refs = sorted({ref for ref, _ in files})
    if len(refs) > 1:
        raise InputDataError(
            f"{root} holds baselines against several reference dates {refs}; expected one stack "
            "reference"
        )
    value: dict[str, float] = {refs[0]: 0.0}
    for (_ref, sec), path in files.items():
        if sec in dates:
            value[sec] = (read_tops_baseline(path) if path.parent != root
                          else read_stripmap_baseline(path))
    missing = [d for d in dates if d not in value]
    if missing:
        raise InputDataError(
            f"no perpendicular baseline for date(s) {', '.join(missing)} in {root}"
        )
    bperp = np.array([value[d] for d in dates], dtype=np.float64)
    return (bperp - bperp[0]).astype(np.float32)
