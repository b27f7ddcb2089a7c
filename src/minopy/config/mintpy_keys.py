"""MintPy's template keys, read from the installed ``mintpy`` package.

MintPy uses only the keys of its default template ``mintpy/defaults/smallbaselineApp.cfg``: it
copies a custom template's value into that file key by key (exact spelling) and silently ignores any
other key. minopy therefore checks every ``mintpy.*`` key of a template against that file, read at
run time from the installed package, so the check always matches the MintPy version that runs.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from importlib import resources

#: the prefix of MintPy's options.
PREFIX = "mintpy."
_KEY_LINE = re.compile(r"^\s*(mintpy\.[A-Za-z0-9_.\-]+)\s*=")
#: sections MintPy renamed (MintPy 1.4 moved the velocity options to ``mintpy.timeFunc``).
RENAMED_SECTIONS = {"mintpy.velocity.": "mintpy.timeFunc."}


@lru_cache(maxsize=1)
def mintpy_template_keys() -> tuple[str, ...]:
    """Every ``mintpy.*`` key of the installed MintPy's ``defaults/smallbaselineApp.cfg``.

    Returns
    -------
    tuple of str
        The keys in file order, as MintPy spells them.
    """
    text = resources.files("mintpy").joinpath("defaults", "smallbaselineApp.cfg").read_text()
    keys = dict.fromkeys(m.group(1) for line in text.splitlines() if (m := _KEY_LINE.match(line)))
    return tuple(keys)


def canonical_mintpy_key(key: str) -> str | None:
    """MintPy's spelling of ``key`` (matched case-insensitively), or None if MintPy lacks it."""
    lower = {k.lower(): k for k in mintpy_template_keys()}
    return lower.get(key.lower())


def closest_mintpy_key(key: str) -> str | None:
    """The MintPy key most similar to ``key``, or None if nothing is close.

    Tries a section MintPy renamed (``mintpy.velocity.excludeDate`` ->
    ``mintpy.timeFunc.excludeDate``), then the whole key, then a key with the same last part in
    another section (``mintpy.deramp.polyOrder`` -> ``mintpy.topographicResidual.polyOrder``).
    """
    lower = {k.lower(): k for k in mintpy_template_keys()}
    for old, new in RENAMED_SECTIONS.items():
        if key.lower().startswith(old.lower()):
            renamed = canonical_mintpy_key(new + key[len(old):])
            if renamed is not None:
                return renamed
    match = difflib.get_close_matches(key.lower(), list(lower), n=1, cutoff=0.75)
    if match:
        return lower[match[0]]
    tail = key.lower().rsplit(".", 1)[-1]
    same_tail = [k for low, k in lower.items() if low.rsplit(".", 1)[-1] == tail]
    if same_tail:
        return difflib.get_close_matches(key, same_tail, n=1, cutoff=0.0)[0]
    return None
