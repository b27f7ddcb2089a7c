"""Reading MiNoPy-style text templates into a typed, validated configuration.

A template holds lines ``key = value  # comment``. Lines starting with ``#`` or ``%`` are comments.
``minopy.*`` keys are validated against the schema (unknown key or bad value: ConfigError naming the
key, the closest valid key or the allowed values). ``mintpy.*`` keys are kept verbatim for the
MintPy steps. Any other key is ignored with a warning.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from minopy.config.schema import OFF_WORDS, closest_key, load_schema
from minopy.errors import ConfigError

log = logging.getLogger(__name__)


def read_template_text(text: str, source: str = "<template>") -> dict[str, str]:
    """Parse template text into ``{key: raw value}``.

    Parameters
    ----------
    text : str
        Template content.
    source : str
        Name used in error messages.

    Raises
    ------
    ConfigError
        On a line that is not ``key = value`` (names the file and line number).
    """
    values: dict[str, str] = {}
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
        values[key] = value
    return values


def read_template(path: str | os.PathLike) -> dict[str, str]:
    """Read a template file into ``{key: raw value}``; ConfigError if it cannot be read."""
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"template file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read template file {path}: {err}") from None
    return read_template_text(text, str(path))


class Config(Mapping[str, Any]):
    """Typed options of one run.

    ``config["minopy.inversion.patchSize"]`` is an ``int``; every ``minopy.*`` key of the schema is
    present (defaults filled in). ``config.mintpy`` holds the raw ``mintpy.*`` keys of the template.
    ``config.template_file`` is the user's template (None if none was given) and
    ``config.user_keys`` the ``minopy.*`` keys the user set explicitly.
    """

    def __init__(
        self,
        values: dict[str, Any],
        mintpy: dict[str, str],
        template_file: Path | None,
        user_keys: frozenset[str],
        raw: dict[str, str],
    ) -> None:
        self._values = values
        self.mintpy = mintpy
        self.template_file = template_file
        self.user_keys = user_keys
        self.raw = raw

    def __getitem__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            hint = closest_key(key)
            extra = f"; did you mean {hint}?" if hint else ""
            raise KeyError(f"{key} is not a minopy option{extra}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def section(self, prefix: str) -> dict[str, Any]:
        """All options whose key starts with ``prefix`` (e.g. ``minopy.inversion.``)."""
        return {k: v for k, v in self._values.items() if k.startswith(prefix)}

    def resolve_path(self, value: str | None) -> str | None:
        """Make a relative path/glob option absolute, relative to the template's folder."""
        if value is None:
            return None
        expanded = os.path.expandvars(os.path.expanduser(value))
        if os.path.isabs(expanded) or self.template_file is None:
            return expanded
        return str(self.template_file.parent / expanded)

    def mintpy_value(self, key: str, default: str | None = None) -> str | None:
        """A ``mintpy.*`` value as written (None for auto/none/no when ``default`` is None)."""
        value = self.mintpy.get(key)
        if value is None or value.lower() in ("auto", ""):
            return default
        if value.lower() in OFF_WORDS and default is None:
            return None
        return value


#: mintpy.* keys whose value is used for the minopy.* key when the latter is not set.
MINTPY_FALLBACKS = {
    "minopy.subset.yx": "mintpy.subset.yx",
    "minopy.subset.lalo": "mintpy.subset.lalo",
    "minopy.load.autoPath": "mintpy.load.autoPath",
    "minopy.load.compression": "mintpy.load.compression",
}


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
        For an unknown ``minopy.*`` key (naming the closest valid key) or a bad value (naming key,
        value and what is allowed). All problems are reported together.
    """
    schema = load_schema()
    lower_schema = {k.lower(): k for k in schema}
    problems: list[str] = []
    given: dict[str, str] = {}
    mintpy: dict[str, str] = {}
    for key, value in raw.items():
        if key.startswith("minopy."):
            real = lower_schema.get(key.lower())
            if real is None:
                hint = closest_key(key)
                problems.append(
                    f"unknown option {key}" + (f"; did you mean {hint}?" if hint else "")
                )
                continue
            given[real] = value
        elif key.startswith("mintpy."):
            mintpy[key] = value
        else:
            log.warning("ignoring template key %s: only minopy.* and mintpy.* keys are used", key)
    for minopy_key, mintpy_key in MINTPY_FALLBACKS.items():
        fallback = mintpy.get(mintpy_key)
        own = given.get(minopy_key)
        own_unset = own is None or own.strip().lower() in ("auto", *OFF_WORDS)
        if own_unset and fallback is not None and fallback.strip().lower() not in ("auto", ""):
            given[minopy_key] = fallback
    values: dict[str, Any] = {}
    for key, opt in schema.items():
        try:
            values[key] = opt.parse(given[key]) if key in given else opt.default
        except ConfigError as err:
            problems.append(str(err))
    if problems:
        where = f" in {template_file}" if template_file else ""
        raise ConfigError(f"template problem{'s' if len(problems) > 1 else ''}{where}:\n  - "
                          + "\n  - ".join(problems))
    path = Path(template_file).resolve() if template_file else None
    return Config(values, mintpy, path, frozenset(given), dict(raw))


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
