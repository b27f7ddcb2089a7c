"""Rendering the documented template printed by ``minopyApp.py -H`` and written by ``-g``.

The ``minopy.*`` part is generated from the option schema (``options.toml``), so it always lists
every option with its allowed values, default and description. The ``mintpy.*`` part is the static
list ``mintpy_options.cfg`` of the MintPy options that the MintPy steps honour. Every value in the
rendered text is ``auto``, so the text is also a valid template that yields the defaults.
"""

from __future__ import annotations

import textwrap
from importlib import resources

from minopy import __version__
from minopy.config.schema import Option, load_schema

WIDTH = 100

#: Heading of each option group (second component of the key); two-part keys are "general".
SECTION_TITLES = {
    "multiprocessing": "computing resources",
    "compute": "computing resources",
    "general": "general",
    "load": "load_data / load_ifgram: input files",
    "subset": "load_data: subset of the radar grid",
    "inversion": "phase_linking: SHP selection, phase linking, persistent scatterers",
    "interferograms": "generate_ifgram: interferogram network",
    "unwrap": "unwrap_ifgram",
    "timeseries": "invert_network",
}

_HEADER = f"""\
##------------------------ minopy template (minopy {__version__}) ------------------------##
## Lines are "key = value  # comment"; lines starting with # or % are comments.
## auto = the default given after "auto for"; no / none / false switch an option off.
## Relative paths are relative to the folder of this template.
## Run: minopyApp.py <this template> [--dir <work dir>] [--start STEP] [--end STEP] [--dostep STEP]
"""


def _section_of(key: str) -> str:
    parts = key.split(".")
    return parts[1] if len(parts) > 2 else "general"


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
        title = SECTION_TITLES.get(_section_of(opt.key), _section_of(opt.key))
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
