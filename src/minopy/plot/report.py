"""The HTML run report ``<work_dir>/report.html``: one self-contained file that works offline.

It opens with the results summary (``summary.json``, :mod:`minopy.plot.report_summary`), then lists
the timing, status and outputs of every step, the figures in ``<work_dir>/pic`` (written by
:mod:`minopy.plot.step_figures`) grouped by step, and the template options used.
Images are embedded as base64 ``data:`` URIs and the styling is inline, so the file needs no
other file and no network access.
"""

from __future__ import annotations

import base64
import html
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from minopy import __version__
from minopy.config.template import read_template
from minopy.errors import ConfigError, InputDataError
from minopy.io.atomic import write_text_atomic
from minopy.plot.report_summary import CSS as SUMMARY_CSS
from minopy.plot.report_summary import summary_section
from minopy.plot.step_figures import FIGURES
from minopy.summary import read_summary
from minopy.workflow import STATE_FILE, STEP_NAMES, TIMING_FILE

REPORT_NAME = "report.html"
TEMPLATE_SUFFIXES = (".txt", ".template", ".cfg")
#: At most this many figures that are not minopy's own (e.g. MintPy's) are embedded.
MAX_OTHER_FIGURES = 30
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}

_CSS = """
body { font-family: sans-serif; margin: 1.5em auto; max-width: 1200px; color: #222; }
h1 { border-bottom: 2px solid #446; padding-bottom: .2em; }
h2 { margin-top: 1.6em; color: #335; border-bottom: 1px solid #ccd; }
table { border-collapse: collapse; margin: .5em 0; font-size: 90%; }
th, td { border: 1px solid #ccd; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #eef; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.failed { color: #a00; font-weight: bold; }
.missing { color: #a60; }
figure { display: inline-block; margin: .6em; vertical-align: top; max-width: 100%; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 90%; color: #444; }
.meta { color: #555; font-size: 90%; }
details { margin: .4em 0; }
"""


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise InputDataError(f"{path} is not valid JSON ({err}); delete it or fix it") from err
    if not isinstance(data, dict):
        raise InputDataError(f"{path} must hold a JSON object, found {type(data).__name__}")
    return data


def data_uri(path: Path) -> str:
    """The file as a base64 ``data:`` URI (PNG or JPEG)."""
    mime = IMAGE_TYPES.get(path.suffix.lower())
    if mime is None:
        raise ValueError(f"{path}: only {', '.join(IMAGE_TYPES)} images can be embedded")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def template_options(work_dir: Path) -> tuple[dict[str, str], str]:
    """Options of the run and where they came from.

    Reads the template copy in ``<work_dir>/inputs/`` (``*.txt``, ``*.template``, ``*.cfg`` with
    ``minopy.*``/``mintpy.*`` keys); without one, any ``minopy.*``/``mintpy.*`` entries recorded
    in ``<work_dir>/.minopy_state.json``.

    Returns
    -------
    (dict, str)
        ``{key: raw value}`` and a description of the source ("" when nothing was found).
    """
    inputs = work_dir / "inputs"
    candidates = sorted(p for p in inputs.glob("*") if p.suffix in TEMPLATE_SUFFIXES) \
        if inputs.is_dir() else []
    for path in candidates:
        try:
            values = read_template(path, warn_duplicates=False)
        except ConfigError:
            continue
        options = {k: v for k, v in values.items()
                   if k.startswith(("minopy.", "miaplpy.", "mintpy."))}
        if options:
            return options, f"template copy {path.relative_to(work_dir)}"
    state = _read_json(work_dir / STATE_FILE)
    found: dict[str, str] = {}
    _collect_options(state, found)
    return (found, STATE_FILE) if found else ({}, "")


def _collect_options(node: Any, found: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.startswith(("minopy.", "mintpy.")) \
                    and not isinstance(value, dict | list):
                found[key] = str(value)
            else:
                _collect_options(value, found)
    elif isinstance(node, list):
        for item in node:
            _collect_options(item, found)


def _format_seconds(seconds: float) -> str:
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {sec:02d} s"


def _format_size(num: int) -> str:
    size = float(num)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def _output_item(work_dir: Path, raw: str) -> str:
    path = Path(raw)
    path = path if path.is_absolute() else work_dir / path
    try:
        shown = str(path.resolve().relative_to(work_dir.resolve()))
    except ValueError:
        shown = str(path)
    if path.is_file():
        return f"{_esc(shown)} ({_format_size(path.stat().st_size)})"
    if path.is_dir():
        return f"{_esc(shown)}/"
    return f'<span class="missing">{_esc(shown)} (missing)</span>'


#: outputs listed by name per step; the rest are summarised (a network has hundreds of pair files).
MAX_LISTED_OUTPUTS = 8


def _outputs_cell(work_dir: Path, outputs: list[str]) -> str:
    """The outputs of a step: the first few by name, then a count and total size of the rest."""
    if not outputs:
        return "&ndash;"
    listed = [_output_item(work_dir, o) for o in outputs[:MAX_LISTED_OUTPUTS]]
    rest = [Path(o) if Path(o).is_absolute() else work_dir / o
            for o in outputs[MAX_LISTED_OUTPUTS:]]
    if rest:
        present = [p for p in rest if p.is_file()]
        size = sum(p.stat().st_size for p in present)
        missing = len(rest) - len(present)
        note = f"... and {len(rest)} more files ({_format_size(size)})"
        if missing:
            note += f', <span class="missing">{missing} missing</span>'
        listed.append(note)
    return "<br>".join(listed)


def _timing_section(work_dir: Path, timing: dict[str, Any]) -> str:
    if not timing:
        return f"<p>No step timing recorded ({_esc(TIMING_FILE)} not found).</p>"
    order = [s for s in STEP_NAMES if s in timing] + sorted(s for s in timing
                                                           if s not in STEP_NAMES)
    rows, total = [], 0.0
    for step in order:
        rec = timing[step] if isinstance(timing[step], dict) else {}
        seconds = rec.get("seconds")
        status = str(rec.get("status", "done"))
        try:
            secs = float(seconds)
            total += secs
            sec_text = _format_seconds(secs)
        except (TypeError, ValueError):
            sec_text = "?"
        items = _outputs_cell(work_dir, [str(o) for o in rec.get("outputs") or []])
        css = ' class="failed"' if status.startswith("failed") else ""
        rows.append(f'<tr><td><a href="#step-{_esc(step)}">{_esc(step)}</a></td>'
                    f"<td>{_esc(rec.get('start', ''))}</td><td class=\"num\">{sec_text}</td>"
                    f"<td{css}>{_esc(status)}</td><td>{items}</td></tr>")
    return ("<table><tr><th>step</th><th>started</th><th>time</th><th>status</th>"
            "<th>outputs</th></tr>" + "".join(rows)
            + f'<tr><th colspan="2">total</th><td class="num">{_format_seconds(total)}</td>'
            "<td></td><td></td></tr></table>")


def _options_section(options: dict[str, str], source: str) -> str:
    if not options:
        return "<p>No template options found (no template copy in inputs/).</p>"
    rows = "".join(f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>"
                   for k, v in sorted(options.items()))
    return (f'<p class="meta">From {_esc(source)}; options not listed take their defaults.</p>'
            f"<table><tr><th>option</th><th>value</th></tr>{rows}</table>")


def _figure(path: Path, caption: str) -> str:
    return (f'<figure><img src="{data_uri(path)}" alt="{_esc(caption)}" '
            f'data-file="{_esc(path.name)}"><figcaption>{_esc(caption)}</figcaption></figure>')


def _network_figure(work_dir: Path, pic: Path) -> Path | None:
    if (pic / "network.png").exists():
        return pic / "network.png"
    found = sorted(work_dir.glob("*_network/network.png"))
    return found[0] if found else None


def _figure_sections(work_dir: Path, timing: dict[str, Any]) -> tuple[str, int]:
    pic = work_dir / "pic"
    parts: list[str] = []
    used: set[Path] = set()
    count = 0
    for step in STEP_NAMES:
        figs = []
        for name, caption in FIGURES.get(step, ()):
            path = pic / name
            if name == "network.png":
                path = _network_figure(work_dir, pic) or path
            if path.is_file():
                figs.append(_figure(path, caption))
                used.add(path.resolve())
        if figs or step in timing:
            body = "".join(figs) if figs else '<p class="meta">No figures for this step.</p>'
            parts.append(f'<h3 id="step-{_esc(step)}">{_esc(step)}</h3>{body}')
            count += len(figs)
    others = sorted(p for p in pic.glob("*") if p.suffix.lower() in IMAGE_TYPES
                    and p.resolve() not in used) if pic.is_dir() else []
    if others:
        shown = others[:MAX_OTHER_FIGURES]
        parts.append("<h3>Other figures</h3>" + "".join(_figure(p, p.name) for p in shown))
        count += len(shown)
        if len(others) > len(shown):
            parts.append(f'<p class="meta">{len(others) - len(shown)} more figures in pic/ '
                         "are not embedded.</p>")
    return "".join(parts), count


def render_report(work_dir: str | os.PathLike) -> str:
    """Build the report HTML text for a work directory (see :func:`write_report`)."""
    work_dir = Path(work_dir)
    if not work_dir.is_dir():
        raise InputDataError(f"work directory {work_dir} does not exist")
    timing = _read_json(work_dir / TIMING_FILE)
    options, source = template_options(work_dir)
    figures, count = _figure_sections(work_dir, timing)
    now = datetime.now().astimezone().isoformat(timespec="seconds")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>minopy report: {_esc(work_dir.resolve().name)}</title>"
        f"<style>{_CSS}{SUMMARY_CSS}</style></head><body>"
        f"<h1>minopy run report</h1><p class=\"meta\">Work directory "
        f"<code>{_esc(work_dir.resolve())}</code><br>Generated {_esc(now)} by minopy "
        f"{_esc(__version__)}; {count} figure(s).</p>"
        f"{summary_section(read_summary(work_dir))}"
        f"<h2>Steps</h2>{_timing_section(work_dir, timing)}"
        f"<h2>Figures</h2>{figures or '<p>No figures found in pic/.</p>'}"
        f"<h2>Template options</h2><details open><summary>{len(options)} option(s)</summary>"
        f"{_options_section(options, source)}</details>"
        "</body></html>\n"
    )


def write_report(work_dir: str | os.PathLike) -> Path:
    """Write ``<work_dir>/report.html`` (atomically) and return its path.

    Parameters
    ----------
    work_dir : path-like
        The minopy work directory.

    Raises
    ------
    InputDataError
        If ``work_dir`` does not exist or ``.minopy_timing.json`` / ``.minopy_state.json`` is not
        a valid JSON object.
    """
    work_dir = Path(work_dir)
    text = render_report(work_dir)
    return write_text_atomic(work_dir / REPORT_NAME, text)
