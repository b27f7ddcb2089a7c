"""The option schema: every ``minopy.*`` key, its type, default, allowed values and documentation.

The schema lives in ``options.toml`` beside this module; this module loads it and converts template
strings into typed, validated values. Each option belongs to a *section* (``inversion`` for
``minopy.inversion.patchSize``; ``compute`` also holds ``minopy.multiprocessing.numProcessor``, and
the two-part keys form the ``general`` section) and has a *field* name in that section, the rest of
the key in snake case (``patch_size``, ``snaphu_max_discontinuity``): the typed sections of
:mod:`minopy.config.sections` are generated from this.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import tomllib

from minopy.errors import ConfigError

#: strings that switch an option off: False for a bool, None for a nullable option.
OFF_WORDS = frozenset({"no", "none", "false", "off"})
ON_WORDS = frozenset({"yes", "true", "on"})
AUTO_WORD = "auto"

#: section of the keys whose second part is not their own section.
SECTION_ALIASES = {"multiprocessing": "compute"}
#: section of the two-part keys (``minopy.plot``, ``minopy.textCmd``).
GENERAL_SECTION = "general"
#: what each section is about, in workflow order (the template's headings and the classes' docs).
SECTION_TITLES: dict[str, str] = {
    "compute": "computing resources",
    "general": "general",
    "load": "load_data / load_ifgram: input files",
    "subset": "load_data: subset of the radar grid",
    "inversion": "phase_linking: SHP selection, phase linking, persistent scatterers",
    "interferograms": "generate_ifgram: interferogram network",
    "unwrap": "unwrap_ifgram",
    "timeseries": "invert_network",
}


def snake_case(name: str) -> str:
    """``patchSize`` -> ``patch_size``, ``L1smoothingFactor`` -> ``l1_smoothing_factor``,
    ``two-stage`` -> ``two_stage``, ``snaphu.maxDiscontinuity`` -> ``snaphu_max_discontinuity``."""
    name = name.replace("-", "_").replace(".", "_")
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[0-9])(?=[a-z])", "_",
                  name)
    return re.sub(r"_+", "_", name).lower()


def section_and_field(key: str) -> tuple[str, str]:
    """The section and field of a template key: ``minopy.unwrap.snaphu.numLooks`` ->
    ``("unwrap", "snaphu_num_looks")``, ``minopy.plot`` -> ``("general", "plot")``."""
    parts = key.split(".")[1:]
    if len(parts) == 1:
        return GENERAL_SECTION, snake_case(parts[0])
    return SECTION_ALIASES.get(parts[0], parts[0]), snake_case(".".join(parts[1:]))


@dataclass(frozen=True)
class Option:
    """One template option.

    Attributes
    ----------
    key : str
        Template key, e.g. ``minopy.inversion.patchSize``.
    type : str
        ``int``, ``float``, ``bool``, ``choice``, ``str``, ``path``, ``date``, ``subset_yx``,
        ``subset_lalo``.
    default : Any
        Value of ``auto`` (None when the option is off by default).
    nullable : bool
        Whether ``no``/``none``/``false`` switch the option off.
    choices : tuple of str
        Allowed values of a ``choice`` option.
    min, max, exclusive_min, exclusive_max : float or None
        Bounds of numeric options.
    doc : str
        One-line description.
    section, field : str
        Where the option lives in the typed configuration: ``config.<section>.<field>``.
    """

    key: str
    type: str
    default: Any = None
    nullable: bool = False
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    exclusive_min: float | None = None
    exclusive_max: float | None = None
    doc: str = ""
    section: str = field(init=False)
    field: str = field(init=False)

    def __post_init__(self) -> None:
        section, name = section_and_field(self.key)
        object.__setattr__(self, "section", section)
        object.__setattr__(self, "field", name)

    def allowed(self) -> str:
        """Human-readable description of the allowed values."""
        if self.type == "choice":
            text = " / ".join(self.choices)
        elif self.type == "bool":
            text = "yes / no"
        elif self.type in ("int", "float"):
            parts = []
            if self.min is not None:
                parts.append(f">= {self.min:g}")
            if self.exclusive_min is not None:
                parts.append(f"> {self.exclusive_min:g}")
            if self.max is not None:
                parts.append(f"<= {self.max:g}")
            if self.exclusive_max is not None:
                parts.append(f"< {self.exclusive_max:g}")
            text = f"{'an integer' if self.type == 'int' else 'a number'}"
            if parts:
                text += " " + " and ".join(parts)
        elif self.type == "date":
            text = "a date YYYYMMDD"
        elif self.type == "subset_yx":
            text = "y0:y1,x0:x1 (row and column ranges)"
        elif self.type == "subset_lalo":
            text = "S:N,W:E (latitude and longitude ranges, degrees)"
        elif self.type == "path":
            text = "a file path or glob"
        else:
            text = "a string"
        if self.nullable:
            text += " / no"
        return text

    def default_text(self) -> str:
        """The default as written in a template."""
        if self.default is None:
            return "none"
        if self.type == "bool":
            return "yes" if self.default else "no"
        if isinstance(self.default, float) and self.default.is_integer() and self.type == "float":
            return f"{self.default:g}"
        return str(self.default)

    def parse(self, raw: str) -> Any:
        """Convert a template string to a typed value, or raise ConfigError naming key and value."""
        text = raw.strip().strip("'\"").strip()
        low = text.lower()
        if low == AUTO_WORD or text == "":
            return self.default
        if self.type == "bool":
            if low in ON_WORDS:
                return True
            if low in OFF_WORDS:
                return False
            raise self._bad(raw)
        if low in OFF_WORDS and self.nullable:
            return None
        if self.type == "choice" and low in OFF_WORDS and "no" in self.choices:
            return "no"
        try:
            return self._parse_typed(text)
        except (ValueError, TypeError) as err:
            raise self._bad(raw, str(err)) from None

    def _parse_typed(self, text: str) -> Any:
        if self.type == "int":
            value: Any = float(text)
            if not value.is_integer():
                raise ValueError("not an integer")
            value = int(value)
            self._check_range(value)
            return value
        if self.type == "float":
            value = float(text)
            self._check_range(value)
            return value
        if self.type == "choice":
            for choice in self.choices:
                if choice.lower() == text.lower():
                    return choice
            raise ValueError("not an allowed value")
        if self.type == "date":
            datetime.strptime(text, "%Y%m%d")
            if not re.fullmatch(r"\d{8}", text):
                raise ValueError("not YYYYMMDD")
            return text
        if self.type == "subset_yx":
            return _parse_ranges(text, integer=True)
        if self.type == "subset_lalo":
            return _parse_ranges(text, integer=False)
        return text

    def _check_range(self, value: float) -> None:
        if math.isnan(value):
            raise ValueError("not a number")  # NaN passes every comparison below
        if self.min is not None and value < self.min:
            raise ValueError("out of range")
        if self.max is not None and value > self.max:
            raise ValueError("out of range")
        if self.exclusive_min is not None and value <= self.exclusive_min:
            raise ValueError("out of range")
        if self.exclusive_max is not None and value >= self.exclusive_max:
            raise ValueError("out of range")

    def _bad(self, raw: str, why: str = "") -> ConfigError:
        detail = f" ({why})" if why else ""
        return ConfigError(
            f"{self.key} = {raw.strip()!r} is not valid{detail}: expected {self.allowed()}, "
            f"or auto for {self.default_text()}"
        )


def _parse_ranges(text: str, integer: bool) -> tuple[tuple[float, float], tuple[float, float]]:
    """Parse ``a0:a1,b0:b1`` into two sorted ranges; brackets and spaces are ignored."""
    cleaned = text.replace("[", "").replace("]", "").replace(" ", "")
    parts = cleaned.split(",")
    if len(parts) != 2:
        raise ValueError("expected two ranges separated by a comma")
    out = []
    for part in parts:
        ends = part.split(":")
        if len(ends) != 2:
            raise ValueError(f"range {part!r} is not start:end")
        a, b = (float(e) for e in ends)
        if not (math.isfinite(a) and math.isfinite(b)):
            raise ValueError(f"range {part!r} is not finite")
        if integer:
            if not (a.is_integer() and b.is_integer()):
                raise ValueError("pixel ranges must be integers")
            a, b = int(a), int(b)
        lo, hi = sorted((a, b))
        if lo == hi:
            raise ValueError(f"range {part!r} is empty")
        out.append((lo, hi))
    return out[0], out[1]


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Option]:
    """Load all options from ``options.toml``, keyed by template key (in file order)."""
    text = resources.files("minopy.config").joinpath("options.toml").read_text()
    table = tomllib.loads(text)
    options: dict[str, Option] = {}
    for entry in table["option"]:
        entry = dict(entry)
        entry["choices"] = tuple(entry.get("choices", ()))
        opt = Option(**entry)
        options[opt.key] = opt
    return options


@lru_cache(maxsize=1)
def options_by_field() -> dict[tuple[str, str], Option]:
    """The options keyed by ``(section, field)``."""
    return {(o.section, o.field): o for o in load_schema().values()}


def option_key(section: str, name: str) -> str:
    """The template key of ``config.<section>.<name>``, for messages (``minopy.unwrap.mask``).

    Raises
    ------
    KeyError
        For a section or field that is not an option.
    """
    return options_by_field()[(section, name)].key


def closest_key(key: str) -> str | None:
    """The valid key most similar to ``key`` (case-insensitive), or None if nothing is close."""
    schema = load_schema()
    lower = {k.lower(): k for k in schema}
    if key.lower() in lower:
        return lower[key.lower()]
    match = difflib.get_close_matches(key.lower(), list(lower), n=1, cutoff=0.6)
    if match:
        return lower[match[0]]
    # same last component in another section (e.g. minopy.patchSize -> minopy.inversion.patchSize)
    tail = key.lower().rsplit(".", 1)[-1]
    for low, real in lower.items():
        if low.rsplit(".", 1)[-1] == tail:
            return real
    return None
