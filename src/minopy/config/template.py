"""Reading MiNoPy-style text templates into a typed, validated configuration.

A template holds lines ``key = value  # comment``. Lines starting with ``#`` or ``%`` are comments.

- ``minopy.*`` keys (any case) are validated against the schema: an unknown key or a bad value is a
  ConfigError naming the key, the closest valid key or the allowed values.
- ``miaplpy.*`` keys (MiaplPy templates) are mapped onto the ``minopy.*`` options
  (:mod:`minopy.config.miaplpy`, including MiaplPy's renames), each mapping noted in the log.
- ``mintpy.*`` keys are checked against the installed MintPy's own template keys
  (:mod:`minopy.config.mintpy_keys`): a key MintPy does not know, which it would silently ignore,
  is an error naming the closest MintPy key. Known keys are kept (in MintPy's spelling) for the
  MintPy steps.
- A key whose prefix is a misspelling of ``minopy``, ``miaplpy`` or ``mintpy`` (``minopi.*``) is an
  error; any other key (e.g. ``ssaraopt.*`` of a MinSAR template) is ignored with a warning.
- A key given twice (in any of its spellings) is a warning naming both lines; the later line wins.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minopy.config import miaplpy
from minopy.config.mintpy_keys import canonical_mintpy_key, closest_mintpy_key
from minopy.config.model import Config, MintpyOptions
from minopy.config.schema import OFF_WORDS, closest_key, load_schema
from minopy.config.sections import SECTION_CLASSES
from minopy.errors import ConfigError

log = logging.getLogger(__name__)

#: the key prefixes minopy reads (a prefix close to one of them is a typo, not a foreign key).
KNOWN_PREFIXES = ("minopy", miaplpy.PREFIX.rstrip("."), "mintpy")


def key_identity(key: str) -> str:
    """The option a template key sets, so that two spellings of one option compare equal.

    ``minopy.*`` keys are case-insensitive (an option's identity is its schema spelling),
    ``miaplpy.*`` keys stand for their ``minopy.*`` option, ``mintpy.*`` keys are matched to
    MintPy's spelling; any other key is itself.
    """
    if miaplpy.is_miaplpy_key(key):
        key = miaplpy.minopy_key_for(key)
    if key.lower().startswith("minopy."):
        return {k.lower(): k for k in load_schema()}.get(key.lower(), key.lower())
    if key.lower().startswith("mintpy."):
        return canonical_mintpy_key(key) or key
    return key


def read_template_text(text: str, source: str = "<template>", warn_duplicates: bool = True
                       ) -> dict[str, str]:
    """Parse template text into ``{key: raw value}``.

    Parameters
    ----------
    text : str
        Template content.
    source : str
        Name used in error messages.
    warn_duplicates : bool
        Log a warning for a key given twice (off when re-reading a template already checked).

    Returns
    -------
    dict
        ``{key: value}`` in the order of the lines; for a key given twice (in any of its spellings,
        see :func:`key_identity`) only the later line is kept, with a warning naming both lines.

    Raises
    ------
    ConfigError
        On a line that is not ``key = value`` (names the file and line number).
    """
    values: dict[str, str] = {}
    seen: dict[str, tuple[int, str, str]] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#%":
            continue
        content = stripped.split("#", 1)[0].strip()
        if not content:
            continue
        if "=" not in content:
            raise ConfigError(
                f"{source}, line {lineno}: {stripped!r} is not of the form 'key = value'"
            )
        key, value = (s.strip() for s in content.split("=", 1))
        if not key or " " in key:
            raise ConfigError(f"{source}, line {lineno}: {key!r} is not a valid key")
        identity = key_identity(key)
        if identity in seen and warn_duplicates:
            first_line, first_key, first_value = seen[identity]
            same = "the same value" if first_value == value else "different values"
            log.warning("%s: %s is given twice, with %s: line %d (%s = %s) and line %d (%s = %s); "
                        "line %d is used", source, identity, same, first_line, first_key,
                        first_value, lineno, key, value, lineno)
        if identity in seen:
            values.pop(seen[identity][1], None)
        seen[identity] = (lineno, key, value)
        values[key] = value
    return values


def read_template(path: str | os.PathLike, warn_duplicates: bool = True) -> dict[str, str]:
    """Read a template file into ``{key: raw value}`` (see :func:`read_template_text`).

    Raises
    ------
    ConfigError
        If the file is missing, unreadable or not a template.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"template file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read template file {path}: {err}") from None
    return read_template_text(text, str(path), warn_duplicates)


#: mintpy.* keys whose value is used for the minopy.* key when the latter is not set.
MINTPY_FALLBACKS = {
    "minopy.subset.yx": "mintpy.subset.yx",
    "minopy.subset.lalo": "mintpy.subset.lalo",
    "minopy.load.autoPath": "mintpy.load.autoPath",
    "minopy.load.compression": "mintpy.load.compression",
}


def _unknown_minopy_key(key: str) -> str:
    """Message for a ``minopy.*``/``miaplpy.*`` key that is not an option, with the closest one."""
    target = miaplpy.minopy_key_for(key) if miaplpy.is_miaplpy_key(key) else key
    hint = closest_key(target)
    if hint is None:
        # a MiaplPy name under the minopy prefix, e.g. minopy.interferograms.networkType
        renamed = miaplpy.minopy_key_for(miaplpy.PREFIX + key.split(".", 1)[1])
        hint = closest_key(renamed) if renamed.lower() != key.lower() else None
    if miaplpy.is_miaplpy_key(key):
        return (f"unknown MiaplPy option {key}: minopy has no option {target}"
                + (f"; did you mean {hint}?" if hint else ""))
    return f"unknown option {key}" + (f"; did you mean {hint}?" if hint else "")


def _misspelt_prefix(key: str, prefix: str) -> str:
    """Message for a key whose prefix is a misspelling of ``prefix`` (``minopi.*``)."""
    candidate = f"{prefix}.{key.split('.', 1)[1]}"
    if prefix == "mintpy":
        hint = canonical_mintpy_key(candidate) or closest_mintpy_key(candidate)
    else:
        hint = closest_key(key_identity(candidate))
    return (f"unknown key prefix in {key}: did you mean {hint or candidate}? (the prefixes are "
            "minopy., miaplpy. and mintpy.)")


def build_config(
    raw: Mapping[str, str],
    template_file: str | os.PathLike | None = None,
) -> Config:
    """Validate raw template values and fill in defaults.

    Parameters
    ----------
    raw : mapping
        ``{key: raw string}`` as read from a template (plus any overrides).
    template_file : path-like, optional
        Where the values came from, used to resolve relative paths and in messages.

    Raises
    ------
    ConfigError
        For an unknown ``minopy.*``/``miaplpy.*``/``mintpy.*`` key or a misspelt prefix (naming
        the closest valid key), or a bad value (naming key, value and what is allowed). All
        problems are reported together.
    """
    keys = _sort_keys(raw)
    _apply_mintpy_fallbacks(keys.given, keys.mintpy)
    sections: dict[str, dict[str, Any]] = {}
    for key, opt in load_schema().items():
        try:
            value = opt.parse(keys.given[key]) if key in keys.given else opt.default
        except ConfigError as err:
            keys.problems.append(str(err))
            continue
        sections.setdefault(opt.section, {})[opt.field] = value
    if keys.problems:
        where = f" in {template_file}" if template_file else ""
        raise ConfigError(f"template problem{'s' if len(keys.problems) > 1 else ''}{where}:\n  - "
                          + "\n  - ".join(keys.problems))
    path = Path(template_file).resolve() if template_file else None
    typed = {name: SECTION_CLASSES[name](**values) for name, values in sections.items()}
    return Config(**typed, mintpy=MintpyOptions(keys.mintpy), template_file=path,
                  user_keys=frozenset(keys.given), raw=dict(raw))


@dataclass
class _SortedKeys:
    """A template's keys sorted by prefix: ``minopy`` values by schema key, MintPy's own."""

    given: dict[str, str] = field(default_factory=dict)
    mintpy: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _sort_keys(raw: Mapping[str, str]) -> _SortedKeys:
    """Sort the keys of a template by prefix, mapping ``miaplpy.*`` keys onto minopy options;
    every unknown key or misspelt prefix is a problem (all are collected)."""
    lower_schema = {k.lower(): k for k in load_schema()}
    out = _SortedKeys()
    mapped: list[str] = []
    for key, value in raw.items():
        prefix = key.split(".", 1)[0].lower() if "." in key else ""
        if prefix == "miaplpy" and (entry := miaplpy.unsupported(key)) is not None:
            harmless, meaning = entry
            if value.strip().strip("'\"").lower() not in harmless:
                out.problems.append(f"{key} = {value} has no minopy equivalent ({meaning}); "
                                    "remove it or set it to auto")
            else:
                log.warning("ignoring %s = %s: %s", key, value, meaning)
        elif prefix in ("minopy", "miaplpy"):
            real = lower_schema.get(key_identity(key).lower())
            if real is None:
                out.problems.append(_unknown_minopy_key(key))
                continue
            if prefix == "miaplpy":
                value = miaplpy.minopy_value_for(real, value)
                mapped.append(f"{key} = {raw[key]} -> {real} = {value}")
            out.given[real] = value
        elif prefix == "mintpy":
            real = canonical_mintpy_key(key)
            if real is None:
                hint = closest_mintpy_key(key)
                out.problems.append(f"unknown MintPy option {key} (MintPy would ignore it)"
                                    + (f"; did you mean {hint}?" if hint else ""))
                continue
            out.mintpy[real] = value
        elif prefix and (near := difflib.get_close_matches(prefix, KNOWN_PREFIXES, n=1,
                                                             cutoff=0.7)):
            out.problems.append(_misspelt_prefix(key, near[0]))
        else:
            log.warning("ignoring template key %s: only minopy.*, miaplpy.* and mintpy.* keys "
                        "are used", key)
    if mapped:
        log.info("MiaplPy template: %d miaplpy.* key(s) mapped onto minopy options (listed in "
                 "the log)", len(mapped))
        for line in mapped:
            log.debug("MiaplPy key mapped: %s", line)
    return out


def _apply_mintpy_fallbacks(given: dict[str, str], mintpy: Mapping[str, str]) -> None:
    """Use the ``mintpy.*`` value of :data:`MINTPY_FALLBACKS` for a ``minopy.*`` key not set."""
    for minopy_key, mintpy_key in MINTPY_FALLBACKS.items():
        fallback = mintpy.get(mintpy_key)
        own = given.get(minopy_key)
        own_unset = own is None or own.strip().lower() in ("auto", *OFF_WORDS)
        if own_unset and fallback is not None and fallback.strip().lower() not in ("auto", ""):
            given[minopy_key] = fallback


def load_config(
    template_file: str | os.PathLike | None = None,
    overrides: Mapping[str, str] | None = None,
) -> Config:
    """Read a template file (optional) plus ``overrides`` into a validated :class:`Config`."""
    raw: dict[str, str] = {}
    if template_file is not None:
        raw.update(read_template(template_file))
    if overrides:
        raw.update(overrides)
    return build_config(raw, template_file)
