"""Running MintPy in a staging copy of the network folder, then publishing its files atomically.

MintPy writes its files in place: ``reference_date`` rewrites every time-series file (including
``timeseries.h5``, invert_network's output), ``modify_network``/``reference_point`` modify
``ifgramStack.h5``, and its ``--update`` logic skips work when an older product looks recent. A run
killed half-way, or a step run twice, would then start from changed files and give other
products. So a step that runs MintPy does it in ``<net>/.mintpy_staging_<step>/``, a folder made
afresh for every run:

- its inputs are placed there first: files MintPy may modify are **copied**, files it only reads
  are **symbolic links** (checked to be unchanged afterwards);
- MintPy runs there (:attr:`StepContext.network_dir` points to it);
- on success every file MintPy wrote is moved into ``<net>/`` with ``os.replace``, one atomic
  rename per file, and the products of the step's previous run that this run did not make are
  deleted; the list of the step's files is kept in ``<net>/.<step>.files.json``. A copied input is
  moved back only when the step owns its changes (``publish=True``); otherwise the original
  (e.g. invert_network's ``timeseries.h5``) is never touched;
- on failure, or when the run is killed, ``<net>/`` is unchanged; the staging folder is deleted
  (by the next run if this one was killed).

A killed or repeated step therefore always starts from the same inputs and gives bit-identical
products.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from minopy.errors import StepError
from minopy.io.atomic import write_text_atomic
from minopy.io.signature import stat_signature
from minopy.step_context import StepContext

#: prefix of the staging folders (removed as stale by :mod:`minopy.workdir` after a kill).
STAGING_PREFIX = ".mintpy_staging_"


@dataclass(frozen=True)
class StagedInput:
    """A file or folder of the network folder that MintPy reads.

    Attributes
    ----------
    path : Path
        Its path in the network folder.
    copy : bool
        True: MintPy may modify it, so it gets a private copy; False: a symbolic link.
    publish : bool
        For a copy: move MintPy's modified version back into place (the step owns the changes).
    """

    path: Path
    copy: bool = False
    publish: bool = False


def manifest_file(net: Path, step: str) -> Path:
    """``<net>/.<step>.files.json``: the files the step's last run published."""
    return net / f".{step}.files.json"


def published_files(net: Path, step: str) -> list[Path]:
    """The files the step's last run published (absolute), [] if unknown."""
    try:
        names = json.loads(manifest_file(net, step).read_text())
    except (OSError, ValueError):
        return []
    return [net / name for name in names if isinstance(name, str)]


def _signature(path: Path) -> tuple[int, int]:
    size, mtime_ns = stat_signature(path)
    return size, mtime_ns


def _place_inputs(stage: Path, net: Path, inputs: Sequence[StagedInput]
                  ) -> dict[Path, tuple[int, int]]:
    """Copy or link the inputs into the staging folder; return the linked files' signatures."""
    linked: dict[Path, tuple[int, int]] = {}
    for item in inputs:
        if not item.path.exists():
            continue
        target = stage / item.path.relative_to(net)
        target.parent.mkdir(parents=True, exist_ok=True)
        if item.copy:
            if item.path.is_dir():
                shutil.copytree(item.path, target, symlinks=True)
            else:
                shutil.copy2(item.path, target)
        else:
            target.symlink_to(item.path)
            if item.path.is_file():
                linked[item.path] = _signature(item.path)
    _link_geocoded_geometry(stage)
    return linked


def _link_geocoded_geometry(stage: Path) -> None:
    """MintPy looks for ``inputs/geometryGeo.h5`` when the stack is geocoded (``Y_FIRST``):
    link it to minopy's ``inputs/geometryRadar.h5`` (a link, so it is never published)."""
    import h5py

    geom = stage / "inputs" / "geometryRadar.h5"
    alias = stage / "inputs" / "geometryGeo.h5"
    if not geom.exists() or alias.exists():
        return
    try:
        with h5py.File(geom, "r") as f:
            geocoded = "Y_FIRST" in f.attrs
    except OSError:
        return
    if geocoded:
        alias.symlink_to(geom.name)


def _made_files(stage: Path, inputs: Sequence[StagedInput], net: Path) -> list[Path]:
    """Files to publish (relative): everything MintPy wrote, and copies the step owns."""
    kept_copies = {item.path.relative_to(net) for item in inputs if item.copy and not item.publish}
    made = []
    for root, dirs, files in os.walk(stage):
        dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()]
        for name in files:
            path = Path(root) / name
            rel = path.relative_to(stage)
            if not path.is_symlink() and rel not in kept_copies and not any(
                    parent in kept_copies for parent in rel.parents):
                made.append(rel)
    return sorted(made)


def _publish(stage: Path, net: Path, step: str, made: list[Path]) -> None:
    """Move the made files into ``net`` (atomically each) and delete the previous run's extras."""
    previous = {p.relative_to(net) for p in published_files(net, step)}
    manifest = manifest_file(net, step)
    # record first, so that a run killed while publishing still knows every file it may have placed
    write_text_atomic(manifest, json.dumps(sorted(str(p) for p in previous | set(made)),
                                           indent=1) + "\n")
    for rel in made:
        (net / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage / rel, net / rel)
    for rel in sorted(previous - set(made)):
        (net / rel).unlink(missing_ok=True)
    write_text_atomic(manifest, json.dumps([str(p) for p in made], indent=1) + "\n")


@contextlib.contextmanager
def staging(ctx: StepContext, step: str, inputs: Sequence[StagedInput]
            ) -> Iterator[StepContext]:
    """Run MintPy for ``step`` in a fresh staging copy of the network folder (see the module).

    Parameters
    ----------
    ctx : StepContext
        The step's context.
    step : str
        Step name (names the staging folder and the list of published files).
    inputs : sequence of StagedInput
        What MintPy reads from the network folder; missing ones are left out.

    Yields
    ------
    StepContext
        A context whose ``network_dir`` is the staging folder.

    Raises
    ------
    StepError
        If MintPy modified a file it should only have read (a linked input).
    """
    net = ctx.final_network_dir
    stage = net / f"{STAGING_PREFIX}{step}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    try:
        linked = _place_inputs(stage, net, inputs)
        yield ctx.staged(stage)
        changed = [str(p) for p, sig in linked.items() if _signature(p) != sig]
        if changed:
            raise StepError(f"step {step}: MintPy modified {', '.join(changed)}, which it should "
                            "only read; re-run the steps that write them")
        _publish(stage, net, step, _made_files(stage, inputs, net))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
