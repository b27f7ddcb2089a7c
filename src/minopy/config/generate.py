"""Generate :mod:`minopy.config.sections` (the typed sections) from the schema ``options.toml``.

Run ``python -m minopy.config.generate`` after changing ``options.toml``; it rewrites
``sections.py`` beside this module and the options table of the repository's ``README.md``
(:func:`minopy.config.render.replace_readme_table`). ``tests/config/test_sections.py`` fails while
either is not what this module renders, so the schema stays the single source of every option's
type, default and documentation, and the code that reads ``config.inversion.patch_size`` is
type-checked.

Adding an option: add its entry to ``options.toml`` (type, default, allowed values, doc), run this
module, and read it in code as ``config.<section>.<field>``; a step that reads it names it in its
``READS`` (see :mod:`minopy.runner`).
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from minopy.config.render import replace_readme_table
from minopy.config.schema import SECTION_TITLES, Option, load_schema

#: the generated module.
TARGET = Path(__file__).with_name("sections.py")
#: the README whose options table is generated (in a source checkout).
README = Path(__file__).resolve().parents[3] / "README.md"
WIDTH = 100

_RANGE_TYPES = {"subset_yx": "tuple[tuple[int, int], tuple[int, int]]",
                "subset_lalo": "tuple[tuple[float, float], tuple[float, float]]"}
_PLAIN_TYPES = {"int": "int", "float": "float", "bool": "bool", "str": "str", "path": "str",
                "date": "str"}

_HEADER = '''\
"""Typed configuration: one frozen dataclass per section of the options (``config.<section>``).

GENERATED from ``options.toml`` by ``python -m minopy.config.generate``: do not edit by hand
(``tests/config/test_sections.py`` fails while this file is not current). The template key of each
field is in its docstring; :func:`minopy.config.schema.option_key` gives it to messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal'''


def class_name(section: str) -> str:
    """``inversion`` -> ``InversionOptions``."""
    return f"{section[:1].upper()}{section[1:]}Options"


def literal(value: object) -> str:
    """Python source of a default value, strings in double quotes."""
    return f'"{value}"' if isinstance(value, str) else repr(value)


def annotation(opt: Option) -> str:
    """The Python type of an option's value (``X | None`` when it can be switched off)."""
    if opt.type == "choice":
        text = f"Literal[{', '.join(literal(c) for c in opt.choices)}]"
    else:
        text = _RANGE_TYPES.get(opt.type) or _PLAIN_TYPES[opt.type]
    return f"{text} | None" if opt.nullable or opt.default is None else text


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH - len(indent), break_on_hyphens=False,
                         break_long_words=False)


def _field_lines(opt: Option) -> list[str]:
    head = f"    {opt.field}: "
    line = f"{head}{annotation(opt)} = {literal(opt.default)}"
    if len(line) > WIDTH:  # a long Literal: its values on lines aligned after ``Literal[``
        indent = " " * (len(head) + len("Literal["))
        values = _wrap(", ".join(literal(c) for c in opt.choices) + "]", indent)
        line = "\n".join([f"{head}Literal[{values[0]}",
                          *(indent + v for v in values[1:])])
        line += f" = {literal(opt.default)}"
    lines = [line]
    doc = f"``{opt.key}``: {opt.doc}" if opt.doc else f"``{opt.key}``."
    wrapped = _wrap(doc.replace("\\", "\\\\").replace('"""', "'''"), "    " + "   ")
    if len(wrapped) == 1 and len(wrapped[0]) <= WIDTH - 10:
        lines.append(f'    """{wrapped[0]}"""')
    else:
        lines += [f'    """{wrapped[0]}', *(f"    {w}" for w in wrapped[1:]), '    """']
    return lines


def sections() -> dict[str, list[Option]]:
    """The options of each section, sections in order of their first option in the schema."""
    grouped: dict[str, list[Option]] = {}
    for opt in load_schema().values():
        grouped.setdefault(opt.section, []).append(opt)
    return grouped


def render() -> str:
    """The text of ``sections.py``."""
    grouped = sections()
    blocks = [_HEADER]
    for section, options in grouped.items():
        title = SECTION_TITLES.get(section, section)
        doc = _wrap(f"The ``{section}`` section: {title}.", "    " + "   ")
        lines = ["", "", "@dataclass(frozen=True)", f"class {class_name(section)}:",
                 f'    """{doc[0]}' + ('"""' if len(doc) == 1 else ""),
                 *(f"    {d}" for d in doc[1:]), *(['    """'] if len(doc) > 1 else []), ""]
        for opt in options:
            lines += _field_lines(opt)
        blocks.append("\n".join(lines))
    fields = [f"    {s}: {class_name(s)} = field(default_factory={class_name(s)})"
              for s in grouped]
    mapping = [f'    "{s}": {class_name(s)},' for s in grouped]
    blocks.append("\n".join([
        "", "", "@dataclass(frozen=True)", "class Sections:",
        '    """Every section of the options (the base of :class:`minopy.config.Config`)."""', "",
        *fields, "", "", "#: section name -> its class.",
        "SECTION_CLASSES: dict[str, type] = {", *mapping, "}"]))
    return "\n".join(blocks) + "\n"


def _update(path: Path, text: str) -> None:
    if path.is_file() and path.read_text() == text:
        print(f"{path} is current")
    else:
        path.write_text(text)
        print(f"wrote {path}")


def main() -> int:
    """Rewrite ``sections.py`` and the README's options table; print what changed."""
    _update(TARGET, render())
    if README.is_file():
        _update(README, replace_readme_table(README.read_text()))
    else:
        print(f"no {README} (not a source checkout): only {TARGET.name} was written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
