"""Rendering the documented template printed by ``minopyApp.py -H`` and written by ``-g``, and the
README's options table.

The ``minopy.*`` part is generated from the option schema (``options.toml``), so it always lists
every option with its allowed values, default and description; so is the README table
(:func:`render_readme_table`, written by ``python -m minopy.config.generate``). The ``mintpy.*``
part is the static list ``mintpy_options.cfg`` of the MintPy options that the MintPy steps
honour. Every value in the rendered text is ``auto``, so the text is also a valid template that
yields the defaults.
"""

from __future__ import annotations

import textwrap
from importlib import resources

from minopy import __version__
from minopy.config.schema import SECTION_TITLES, Option, load_schema

WIDTH = 100
#: the lines that enclose the generated options table in README.md.
README_BEGIN = ("<!-- options table: generated from src/minopy/config/options.toml by "
                "python -m minopy.config.generate; do not edit -->")
README_END = "<!-- end of the generated options table -->"

_HEADER = f"""\
##------------------------ minopy template (minopy {__version__}) ------------------------##
## Lines are "key = value  # comment"; lines starting with # or % are comments.
## auto = the default given after "auto for"; no / none / false switch an option off.
## Relative paths are relative to the folder of this template.
## Run: minopyApp.py <this template> [--dir <work dir>] [--start STEP] [--end STEP] [--dostep STEP]
"""


def _option_lines(opt: Option, key_width: int) -> list[str]:
    """Comment lines with the description, then ``key = auto  #[allowed], auto for default``."""
    lines = textwrap.wrap(opt.doc, width=WIDTH - 3) if opt.doc else []
    out = [f"## {line}" for line in lines]
    out.append(f"{opt.key:<{key_width}} = auto  #[{opt.allowed()}], auto for {opt.default_text()}")
    return out


def render_minopy_options() -> str:
    """Documented ``minopy.*`` options, grouped by section, every value ``auto``.

    Returns
    -------
    str
        Template text, one ``key = auto  #[allowed values], auto for <default>`` line per option,
        each preceded by its description as ``##`` comment lines.
    """
    groups: dict[str, list[Option]] = {}
    for opt in load_schema().values():
        title = SECTION_TITLES.get(opt.section, opt.section)
        groups.setdefault(title, []).append(opt)
    blocks = []
    for title, options in groups.items():
        width = max(len(o.key) for o in options)
        lines = [f"########## {title}"]
        for opt in options:
            lines.extend(_option_lines(opt, width))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def mintpy_options_text() -> str:
    """The documented list of ``mintpy.*`` options used by the MintPy steps (all ``auto``)."""
    return resources.files("minopy.config").joinpath("mintpy_options.cfg").read_text()


def render_template() -> str:
    """The full documented template: header, all ``minopy.*`` options, then the ``mintpy.*`` ones.

    Returns
    -------
    str
        Text that ``minopyApp.py -H`` prints and ``-g`` writes; parsing it gives the defaults.
    """
    return "\n".join([_HEADER, render_minopy_options(), "", mintpy_options_text()])


def _cell(text: str) -> str:
    return text.replace("|", "/")


def render_readme_table() -> str:
    """The README's table of every ``minopy.*`` option, one table per typed section.

    Returns
    -------
    str
        Markdown between :data:`README_BEGIN` and :data:`README_END` (both included): per section
        a heading and rows ``option | read in code as | default | allowed | meaning``.
    """
    groups: dict[str, list[Option]] = {}
    for opt in load_schema().values():
        groups.setdefault(opt.section, []).append(opt)
    lines = [README_BEGIN]
    for section, options in groups.items():
        lines += ["", f"**{section}** ({SECTION_TITLES.get(section, section)})", "",
                  "| option | read in code as | default | allowed | meaning |",
                  "|---|---|---|---|---|"]
        lines += [f"| `{o.key}` | `config.{o.section}.{o.field}` | {_cell(o.default_text())} | "
                  f"{_cell(o.allowed())} | {_cell(o.doc)} |" for o in options]
    lines += ["", README_END]
    return "\n".join(lines)


def replace_readme_table(text: str) -> str:
    """``text`` (the README) with its generated options table replaced by the current one.

    Raises
    ------
    ValueError
        If the README lacks the :data:`README_BEGIN` / :data:`README_END` lines.
    """
    start, end = text.find(README_BEGIN), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"README lacks the lines {README_BEGIN!r} ... {README_END!r}")
    return text[:start] + render_readme_table() + text[end + len(README_END):]
