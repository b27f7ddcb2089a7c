"""Which options each step reads: a recording stand-in for the run's Config, and a static scan.

:class:`ReadRecorder` wraps a :class:`minopy.config.Config`: ``config.<section>.<field>`` and the
explicit MintPy key look-ups (``config.mintpy.get(key)``, ``.value``, ``.given``, ``[key]``, ``in``)
are recorded under the step that is running (:meth:`ReadRecorder.wrap_step`). Handing all of the
user's MintPy keys to MintPy (iterating ``config.mintpy``) is not a read: a step names the MintPy
prefixes that its MintPy steps honour, and writing the MintPy configuration file is such a hand-off
(:meth:`ReadRecorder.handoff`). Methods of the Config (``selected``, ``resolve_path``) run on
the real object, so the runner's own fingerprinting is not recorded.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from minopy.config import Config
from minopy.config.model import MINTPY_PREFIX
from minopy.config.sections import SECTION_CLASSES

STEP_FUNCTIONS = ("inputs", "outputs", "run", "preflight")


class ReadRecorder:
    """The options read while each step's functions run: ``{step: {"section.field", key}}``."""

    def __init__(self) -> None:
        self.current: str | None = None
        self.reads: dict[str, set[str]] = {}

    def record(self, name: str) -> None:
        if self.current is not None:
            self.reads.setdefault(self.current, set()).add(name)

    def config(self, config: Config) -> Any:
        """A stand-in for ``config`` that records what is read from it."""
        return _RecordingConfig(config, self)

    def wrap_step(self, name: str, module: types.ModuleType) -> types.SimpleNamespace:
        """``module`` with its step functions wrapped to attribute the reads to ``name``."""
        attrs = {k: getattr(module, k) for k in dir(module) if not k.startswith("__")}
        for fname in STEP_FUNCTIONS:
            if fname in attrs:
                attrs[fname] = self._attributed(name, attrs[fname])
        return types.SimpleNamespace(**attrs)

    def handoff(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func`` with its reads attributed to no step: writing the MintPy configuration file
        (:func:`minopy.mintpy_bridge.write_mintpy_config`) hands every option MintPy may need to
        MintPy, whose steps each honour the prefixes their minopy step declares."""
        def call(*args: Any, **kwargs: Any) -> Any:
            outer, self.current = self.current, None
            try:
                return func(*args, **kwargs)
            finally:
                self.current = outer
        return call

    def _attributed(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            outer, self.current = self.current, name
            try:
                return func(*args, **kwargs)
            finally:
                self.current = outer
        return call


class _RecordingConfig:
    def __init__(self, config: Config, recorder: ReadRecorder) -> None:
        self._config, self._recorder = config, recorder

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._config, name)
        if name in SECTION_CLASSES:
            return _RecordingSection(name, value, self._recorder)
        if name == "mintpy":
            return _RecordingMintpy(value, self._recorder)
        return value


class _RecordingSection:
    def __init__(self, section: str, options: Any, recorder: ReadRecorder) -> None:
        self._section, self._options, self._recorder = section, options, recorder

    def __getattr__(self, name: str) -> Any:
        self._recorder.record(f"{self._section}.{name}")
        return getattr(self._options, name)


class _RecordingMintpy:
    def __init__(self, options: Any, recorder: ReadRecorder) -> None:
        self._options, self._recorder = options, recorder

    def _read(self, key: str) -> None:
        self._recorder.record(key)

    def __getitem__(self, key: str) -> str:
        self._read(key)
        return self._options[key]

    def __contains__(self, key: object) -> bool:
        self._read(str(key))
        return key in self._options

    def get(self, key: str, default: Any = None) -> Any:
        self._read(key)
        return self._options.get(key, default)

    def value(self, key: str, default: str | None = None) -> str | None:
        self._read(key)
        return self._options.value(key, default)

    def given(self, key: str) -> str | None:
        self._read(key)
        return self._options.given(key)

    def __iter__(self) -> Any:
        return iter(self._options)

    def __len__(self) -> int:
        return len(self._options)

    def items(self) -> Any:
        return self._options.items()

    def keys(self) -> Any:
        return self._options.keys()


def covered(read: str, declared: Iterable[str]) -> bool:
    """Whether the option ``read`` (``section.field`` or a MintPy key) is among ``declared``
    (sections, fields, MintPy keys or key prefixes)."""
    for entry in declared:
        if read.startswith(MINTPY_PREFIX):
            if entry.startswith(MINTPY_PREFIX) and (read == entry or (
                    entry.endswith(".") and read.startswith(entry))):
                return True
        elif read == entry or read.split(".", 1)[0] == entry:
            return True
    return False


def static_reads(path: Path) -> set[str]:
    """``section.field`` of every ``<x>.config.<section>.<field>`` / ``config.<section>.<field>``
    / ``cfg.<section>.<field>`` attribute chain in a module's source."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)):
            continue
        section, holder = node.value.attr, node.value.value
        name = holder.attr if isinstance(holder, ast.Attribute) else getattr(holder, "id", "")
        if name in ("config", "cfg") and section in SECTION_CLASSES:
            found.add(f"{section}.{node.attr}")
    return found
