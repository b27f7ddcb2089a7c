"""The results block at the top of ``report.html``, rendered from ``summary.json``.

Every number is a ``<span data-key="...">`` whose key is its path in ``summary.json`` (e.g.
``velocity.percentiles.50``), so the block can be checked against the file it shows.
"""

from __future__ import annotations

import html
from typing import Any

CSS = """
#summary table { font-size: 100%; }
#summary th { width: 11em; }
#summary .big { font-size: 120%; font-weight: bold; }
#summary .pass { color: #070; font-weight: bold; }
#summary .fail { color: #a00; font-weight: bold; }
"""


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _get(summary: dict[str, Any], key: str) -> Any:
    node: Any = summary
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _num(summary: dict[str, Any], key: str, fmt: str = "{}", css: str = "") -> str:
    """The value at ``key`` formatted, in a span carrying the key."""
    value = _get(summary, key)
    text = "?" if value is None else fmt.format(value)
    cls = f' class="{css}"' if css else ""
    return f'<span data-key="{_esc(key)}"{cls}>{_esc(text)}</span>'


def _velocity_row(s: dict[str, Any]) -> str:
    if not _get(s, "velocity.percentiles"):
        return ("<tr><th>velocity</th><td>not available yet (no velocity.h5, or no reliable "
                "pixel)</td></tr>")
    signed = "{:+.2f}"
    return (
        f"<tr><th>velocity ({_esc(s['velocity']['unit'])})</th><td>"
        f"median {_num(s, 'velocity.percentiles.50', signed, 'big')}; "
        f"2 % {_num(s, 'velocity.percentiles.2', signed)}, "
        f"98 % {_num(s, 'velocity.percentiles.98', signed)}; "
        f"min {_num(s, 'velocity.min.value', signed)} at y{_num(s, 'velocity.min.y')} "
        f"x{_num(s, 'velocity.min.x')}, max {_num(s, 'velocity.max.value', signed)} at "
        f"y{_num(s, 'velocity.max.y')} x{_num(s, 'velocity.max.x')}<br>"
        f'<span class="meta">over {_num(s, "velocity.reliable_pixels")} reliable pixels '
        "(maskTempCoh), relative to the reference point</span></td></tr>")


def _pixels_row(s: dict[str, Any]) -> str:
    if not s.get("pixels"):
        return ""
    why = "; ".join(f"{_esc(n)} {_esc(reason)}"
                    for reason, n in (_get(s, "pixels.not_reliable") or {}).items())
    return (
        "<tr><th>pixels</th><td>"
        f"reliable {_num(s, 'pixels.reliable_percent', '{} %', 'big')} "
        f"({_num(s, 'pixels.reliable')} of {_num(s, 'pixels.total')}); inverted "
        f"{_num(s, 'pixels.inverted_percent', '{} %')} ({_num(s, 'pixels.inverted')}); "
        f"PS {_num(s, 'pixels.ps', '{}', 'big')}"
        + (f'<br><span class="meta">not reliable (minTempCoh '
           f"{_num(s, 'pixels.min_temp_coh')}): {why}</span>" if why else "")
        + "</td></tr>")


def _reference_row(s: dict[str, Any]) -> str:
    if not s.get("reference"):
        return ""
    where = f"y{_num(s, 'reference.y')} x{_num(s, 'reference.x')}"
    if _get(s, "reference.lat") is not None:
        where += (f" (latitude {_num(s, 'reference.lat', '{:.5f}')}, longitude "
                  f"{_num(s, 'reference.lon', '{:.5f}')})")
    return (f"<tr><th>reference</th><td>point {where}; date "
            f"{_num(s, 'reference.date', '{}', 'big')}</td></tr>")


def _network_row(s: dict[str, Any]) -> str:
    if not s.get("network"):
        return ""
    return (
        f"<tr><th>network</th><td>{_num(s, 'network.name', '{}', 'big')}: "
        f"{_num(s, 'network.pairs_kept')} of {_num(s, 'network.pairs_total')} pairs kept, "
        f"{_num(s, 'network.dates')} dates ({_num(s, 'network.first_date')} .. "
        f"{_num(s, 'network.last_date')}); redundancy: {_num(s, 'network.pairs_per_date.min')} "
        f"to {_num(s, 'network.pairs_per_date.max')} pairs per date (median "
        f"{_num(s, 'network.pairs_per_date.median', '{:g}')})</td></tr>")


def _run_row(s: dict[str, Any]) -> str:
    warnings = _get(s, "run.warnings") or []
    listed = ""
    if warnings:
        items = "".join(f"<li>{_esc(w)}</li>" for w in warnings[:50])
        listed = f"<details><summary>warnings</summary><ul>{items}</ul></details>"
    return (
        f"<tr><th>run</th><td>{_num(s, 'status', '{}', 'big')}; this run "
        f"{_num(s, 'run.wall_seconds', '{:.1f} s')}; peak memory "
        f"{_num(s, 'run.peak_memory_mb.this_process', '{:.0f} MB')} (largest child process "
        f"{_num(s, 'run.peak_memory_mb.largest_child_process', '{:.0f} MB')}); "
        f"{_num(s, 'run.warning_count')} warning(s){listed}</td></tr>")


def _truth_row(s: dict[str, Any]) -> str:
    if not s.get("truth"):
        return ""
    verdict = _get(s, "truth.result")
    return (
        "<tr><th>demo check against truth.h5</th><td>"
        f"{_num(s, 'truth.result', '{}', 'pass' if verdict == 'PASS' else 'fail')}: velocity "
        f"RMSE {_num(s, 'truth.velocity_rmse_mm_per_year', '{:.2f}')} mm/year (tolerance "
        f"&le; {_num(s, 'truth.tolerance.rmse_mm_per_year')}), correlation "
        f"{_num(s, 'truth.velocity_correlation', '{:.3f}')} (tolerance &ge; "
        f"{_num(s, 'truth.tolerance.correlation')}), on {_num(s, 'truth.pixels')} reliable "
        "pixels</td></tr>")


def summary_section(summary: dict[str, Any]) -> str:
    """The ``<section id="summary">`` of the report; a note when there is no summary yet."""
    if not summary:
        return ('<section id="summary"><h2>Results</h2><p>No results summary '
                "(summary.json) yet.</p></section>")
    rows = (_velocity_row(summary) + _pixels_row(summary) + _reference_row(summary)
            + _network_row(summary) + _run_row(summary) + _truth_row(summary))
    return f'<section id="summary"><h2>Results</h2><table>{rows}</table></section>'
