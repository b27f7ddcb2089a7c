"""The typed configuration of a run: :class:`Config`, its sections and the user's MintPy options.

Code reads options as attributes, ``config.inversion.patch_size``; the sections and their types
are generated from the schema (:mod:`minopy.config.sections`). Template keys (``minopy.*``) appear
only at the edges: the template reader, messages (:func:`~minopy.config.schema.option_key`) and
the fingerprints of steps, which name the options a step reads (:meth:`Config.selected`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, overload

from minopy.config.schema import OFF_WORDS, closest_key, load_schema, options_by_field
from minopy.config.sections import SECTION_CLASSES, Sections

#: prefix of the MintPy keys a step may declare among the options it reads.
MINTPY_PREFIX = "mintpy."


class MintpyOptions(Mapping[str, str]):
    """The template's ``mintpy.*`` values as written, in MintPy's spelling (handed to MintPy).

    Parameters
    ----------
    values : mapping, optional
        ``{mintpy key: raw value}``.
    """

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        self._values = dict(values or {})

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"MintpyOptions({self._values!r})"

    def given(self, key: str) -> str | None:
        """The user's value, stripped; None when the key is absent, empty or ``auto``."""
        value = self._values.get(key)
        if value is None or value.strip().lower() in ("", "auto"):
            return None
        return value.strip()

    def value(self, key: str, default: str | None = None) -> str | None:
        """A value as written: ``default`` when absent or auto, None for no/none/off when
        ``default`` is None."""
        value = self._values.get(key)
        if value is None or value.lower() in ("auto", ""):
            return default
        if value.lower() in OFF_WORDS and default is None:
            return None
        return value


@dataclass(frozen=True)
class Config(Sections):
    """Typed options of one run.

    Attributes
    ----------
    compute, general, load, subset, inversion, interferograms, unwrap, timeseries
        The sections (:mod:`minopy.config.sections`), defaults filled in.
    mintpy : MintpyOptions
        The template's ``mintpy.*`` keys, as written.
    template_file : Path or None
        The user's template (None if none was given).
    user_keys : frozenset of str
        The ``minopy.*`` keys the user set explicitly.
    raw : mapping
        The template's keys and values as read (all prefixes).
    """

    mintpy: MintpyOptions = field(default_factory=MintpyOptions)
    template_file: Path | None = None
    user_keys: frozenset[str] = frozenset()
    raw: Mapping[str, str] = field(default_factory=dict)

    def value(self, key: str) -> Any:
        """The typed value of the template key ``key`` (spelled as in the schema).

        Raises
        ------
        KeyError
            If ``key`` is not an option, naming the closest one.
        """
        opt = load_schema().get(key)
        if opt is None:
            hint = closest_key(key)
            extra = f"; did you mean {hint}?" if hint else ""
            raise KeyError(f"{key} is not a minopy option{extra}")
        return getattr(getattr(self, opt.section), opt.field)

    def items(self) -> Iterator[tuple[str, Any]]:
        """``(template key, typed value)`` of every option, in schema order."""
        for key, opt in load_schema().items():
            yield key, getattr(getattr(self, opt.section), opt.field)

    @overload
    def resolve_path(self, value: str) -> str: ...

    @overload
    def resolve_path(self, value: None) -> None: ...

    @overload
    def resolve_path(self, value: str | None) -> str | None: ...

    def resolve_path(self, value: str | None) -> str | None:
        """Make a relative path/glob option absolute, relative to the template's folder."""
        if value is None:
            return None
        expanded = os.path.expandvars(os.path.expanduser(value))
        if os.path.isabs(expanded) or self.template_file is None:
            return expanded
        return str(self.template_file.parent / expanded)

    def selected(self, reads: Iterable[str]) -> dict[str, Any]:
        """The values of the options named in ``reads``, by template key (for fingerprints).

        Parameters
        ----------
        reads : iterable of str
            Each a section (``inversion``), a field (``inversion.patch_size``) or a MintPy key
            or key prefix (``mintpy.reference.``, ``mintpy.unwrapError.method``).

        Returns
        -------
        dict
            ``{template key: typed value}`` of the ``minopy`` options and ``{mintpy key: raw
            value}`` of the user's MintPy keys that start with a declared prefix.
        """
        reads = tuple(reads)
        check_reads(reads)
        wanted = {r for r in reads if not r.startswith(MINTPY_PREFIX)}
        prefixes = tuple(r for r in reads if r.startswith(MINTPY_PREFIX))
        out: dict[str, Any] = {}
        for (section, name), opt in options_by_field().items():
            if section in wanted or f"{section}.{name}" in wanted:
                out[opt.key] = getattr(getattr(self, section), name)
        out.update({k: v for k, v in self.mintpy.items() if prefixes and k.startswith(prefixes)})
        return out


def check_reads(reads: Iterable[str]) -> None:
    """Raise ValueError naming every entry of ``reads`` that is no section, field or MintPy key.

    See :meth:`Config.selected` for the forms.
    """
    fields = options_by_field()
    bad = [r for r in reads if not (r.startswith(MINTPY_PREFIX) or r in SECTION_CLASSES
                                    or tuple(r.split(".", 1)) in fields)]
    if bad:
        raise ValueError(f"not an option or section: {', '.join(bad)} (the sections are "
                         f"{', '.join(SECTION_CLASSES)}; a field is section.field_name)")
