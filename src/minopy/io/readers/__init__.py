"""One reader per processor, behind one interface, so ``load_data`` stays processor-agnostic.

Each reader module defines

``input_files(config, project_dir) -> list[Path]``
    The files the stack is read from (cheap: for the step's fingerprint).
``open_stack(config, project_dir, log) -> StackInputs``
    Find, check and open the stack (see :class:`minopy.io.readers.base.StackInputs`).
``detect(project_dir) -> bool``
    Whether ``project_dir`` holds this processor's autoPath layout.

:func:`processor_of` resolves ``minopy.load.processor`` (``auto`` is detected from the folder with
autoPath, or from the ``slcFile`` names) and :func:`open_stack` dispatches.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from types import ModuleType
from typing import Any

from minopy.errors import ConfigError, InputDataError
from minopy.io.readers.base import Band, StackInputs

__all__ = ["PROCESSORS", "Band", "StackInputs", "input_files", "open_stack", "processor_of"]

#: processors in the order autodetection tries them.
PROCESSORS = ("isce", "opera", "gamma", "gdal")
#: file name endings of the SLCs that tell the processor when ``slcFile`` is given.
_SUFFIX_PROCESSOR = ((".rslc", "gamma"), (".h5", "opera"), (".tif", "gdal"), (".tiff", "gdal"),
                     (".vrt", "gdal"), (".hdr", "gdal"), (".img", "gdal"), (".nc", "gdal"))


def reader(processor: str) -> ModuleType:
    """The reader module of ``processor``."""
    if processor not in PROCESSORS:
        raise ConfigError(f"minopy.load.processor = {processor!r}: expected one of auto, "
                          f"{', '.join(PROCESSORS)}")
    return importlib.import_module(f"minopy.io.readers.{processor}")


def detect_processor(project_dir: Path) -> str | None:
    """The processor whose autoPath layout ``project_dir`` holds, or None."""
    for name in PROCESSORS:
        if reader(name).detect(project_dir):
            return name
    return None


def processor_of(config: Any, project_dir: str | Path) -> tuple[str, str]:
    """``(processor, how it was chosen)`` for ``minopy.load.processor``.

    ``auto``: with ``minopy.load.autoPath = yes`` the processor whose layout the project folder
    holds; else from the ``minopy.load.slcFile`` names (``.rslc`` gamma, ``.h5`` opera,
    ``.tif``/``.vrt``/... gdal); else ISCE.
    """
    value = str(config.load.processor or "auto").lower()
    if value != "auto":
        return value, "minopy.load.processor"
    project_dir = Path(project_dir)
    if config.load.auto_path:
        found = detect_processor(project_dir)
        if found is not None:
            return found, f"detected from the folder {project_dir}"
    pattern = config.load.slc_file
    if pattern is None and config.load.auto_path and not (project_dir / "merged").exists():
        raise InputDataError(
            f"minopy.load.autoPath: no stack layout under {project_dir}: expected merged/SLC/ "
            "(ISCE), cslc/*.h5 (OPERA), rslc/*.rslc (GAMMA) or slc/ with rasters (GDAL); or set "
            "minopy.load.slcFile and minopy.load.processor")
    if pattern is not None:
        name = str(pattern).lower()
        for suffix, proc in _SUFFIX_PROCESSOR:
            if name.endswith(suffix):
                return proc, f"from the minopy.load.slcFile names (*{suffix})"
    return "isce", "default"


def input_files(config: Any, project_dir: str | Path) -> list[Path]:
    """Every file ``load_data`` reads for this configuration."""
    processor, _ = processor_of(config, project_dir)
    return reader(processor).input_files(config, Path(project_dir))


def open_stack(config: Any, project_dir: str | Path, log: logging.Logger) -> StackInputs:
    """Open the stack with the reader of its processor (logging which one and why)."""
    processor, how = processor_of(config, project_dir)
    log.info("load_data: processor %s (%s)", processor, how)
    return reader(processor).open_stack(config, Path(project_dir), log)
