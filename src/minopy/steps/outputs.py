"""What a step writes, declared with the checks that tell an intact output from a broken one.

A step's ``outputs(ctx)`` lists its outputs. Each entry is path-like (``os.fspath`` gives its path)
and is one of:

- a plain :class:`~pathlib.Path`: intact when it exists;
- :class:`H5Output`: an HDF5 file that opens (a truncated file does not), holds the given
  datasets with shapes matching their patterns and has the given attributes. In a pattern such as
  ``("N", "L", "W")`` a letter stands for the same size in every dataset of the file, an integer for
  itself and None for any size; ``L`` and ``W`` are the file's ``LENGTH``/``WIDTH`` attributes when
  it has them, and ``dims`` can fix letters from elsewhere (e.g. the size of the SLC stack);
- :class:`RasterOutput`: an ISCE raster whose data file and ``.xml``/``.vrt`` sidecars exist and
  whose size matches its sidecar, optionally with a given number of bands and size;
- :class:`TextOutput`: a small text file with the expected content (e.g. a completion marker that
  records what it completes);
- :class:`NpzOutput`: a ``.npz`` archive (a phase-linking patch result) that opens, holds the given
  arrays and, when given, carries the expected ``fingerprint`` (the options and inputs it was
  computed from).

:func:`problem` returns None for an intact output and otherwise why it is broken. The runner checks
every output before it skips a step as up to date (a broken one makes the step run again) and after
the step ran.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minopy.errors import InputDataError

#: a dataset shape pattern: letters (shared sizes), integers (fixed sizes) or None (any size).
Shape = tuple[str | int | None, ...]


@dataclass(frozen=True)
class Output:
    """An output file that must exist (base of the typed outputs)."""

    path: Path

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __str__(self) -> str:
        return str(self.path)

    def problem(self) -> str | None:
        """None when the output is intact, else why it is not."""
        return None if self.path.exists() else "missing"


def _match(name: str, shape: tuple[int, ...], pattern: Shape, dims: dict[str, int]) -> str | None:
    if len(shape) != len(pattern):
        return f"dataset '{name}' has shape {shape}, expected {len(pattern)} dimensions"
    for size, want in zip(shape, pattern, strict=True):
        if want is None:
            continue
        if isinstance(want, str):
            want = dims.setdefault(want, size)
        if size != want:
            return f"dataset '{name}' has shape {shape}, expected {_describe(pattern, dims)}"
    return None


def _describe(pattern: Shape, dims: Mapping[str, int]) -> str:
    sizes = [str(dims.get(p, p)) if isinstance(p, str) else ("any" if p is None else str(p))
             for p in pattern]
    return f"({', '.join(sizes)})"


@dataclass(frozen=True)
class H5Output(Output):
    """An HDF5 output: opens, holds ``datasets`` (name -> shape pattern) and ``attrs``."""

    datasets: Mapping[str, Shape] = field(default_factory=dict)
    attrs: tuple[str, ...] = ()
    dims: Mapping[str, int] = field(default_factory=dict)

    def problem(self) -> str | None:
        import h5py

        if not self.path.is_file():
            return "missing"
        try:
            with h5py.File(self.path, "r") as f:
                dims = dict(self.dims)
                for key, letter in (("LENGTH", "L"), ("WIDTH", "W")):
                    if key in f.attrs and letter not in dims:
                        try:
                            dims[letter] = int(f.attrs[key])
                        except (TypeError, ValueError):
                            return f"attribute {key} = {f.attrs[key]!r} is not an integer"
                for name, pattern in self.datasets.items():
                    if name not in f or not isinstance(f[name], h5py.Dataset):
                        return f"dataset '{name}' is missing"
                    mismatch = _match(name, tuple(f[name].shape), pattern, dims)
                    if mismatch:
                        return mismatch
                missing = [a for a in self.attrs if a not in f.attrs]
                if missing:
                    return f"attribute(s) {', '.join(missing)} missing"
        except OSError as err:
            return f"cannot be opened ({err})"
        return None


@dataclass(frozen=True)
class RasterOutput(Output):
    """An ISCE-format raster: data file and sidecars present, size matching the sidecar."""

    bands: int | None = None
    shape: tuple[int, int] | None = None

    def problem(self) -> str | None:
        from minopy.io.isce import data_path, read_info

        data = data_path(self.path)
        if not data.exists():
            return "missing"
        sidecars = [s for s in (".xml", ".vrt") if not Path(f"{data}{s}").exists()]
        if sidecars:
            return f"its {' and '.join(sidecars)} sidecar is missing"
        try:
            info = read_info(data)
        except InputDataError as err:
            return f"its sidecar is missing or unreadable ({err})"
        size = data.stat().st_size
        if size != info.nbytes:
            return f"has {size} bytes but its sidecar says {info.nbytes}"
        if self.bands is not None and info.bands != self.bands:
            return f"has {info.bands} band(s), expected {self.bands}"
        if self.shape is not None and (info.length, info.width) != tuple(self.shape):
            return (f"is {info.length} x {info.width} pixels, expected {self.shape[0]} x "
                    f"{self.shape[1]}")
        return None


@dataclass(frozen=True)
class TextOutput(Output):
    """A text file whose content must be ``text``."""

    text: str = ""

    def problem(self) -> str | None:
        try:
            content = self.path.read_text()
        except FileNotFoundError:
            return "missing"
        except (OSError, UnicodeDecodeError) as err:
            return f"cannot be read ({err})"
        return None if content == self.text else "does not match the current options and inputs"


@dataclass(frozen=True)
class NpzOutput(Output):
    """A ``.npz`` archive holding ``arrays`` (and, when given, the ``fingerprint`` array)."""

    arrays: tuple[str, ...] = ()
    fingerprint: str | None = None

    def problem(self) -> str | None:
        import numpy as np

        if not self.path.is_file():
            return "missing"
        try:
            with np.load(self.path, allow_pickle=False) as data:
                missing = [a for a in self.arrays if a not in data.files]
                if missing:
                    return f"array(s) {', '.join(missing)} missing"
                if self.fingerprint is not None:
                    stored = str(data["fingerprint"]) if "fingerprint" in data.files else None
                    if stored != self.fingerprint:
                        return "was computed with other options or inputs"
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
            return f"cannot be read ({err})"
        return None


def problem(output: Any) -> str | None:
    """Why ``output`` (a typed output or a plain path) is not intact; None when it is."""
    if isinstance(output, Output):
        return output.problem()
    return None if Path(output).exists() else "missing"


def first_problem(outputs: Iterable[Any]) -> tuple[Path, str] | None:
    """The first output that is not intact, with the reason; None when all are."""
    for output in outputs:
        why = problem(output)
        if why is not None:
            return Path(output), why
    return None
