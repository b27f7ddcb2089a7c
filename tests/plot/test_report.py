"""The HTML report: content, self-containment, and every image loading in a real browser."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from plot._builders import LOW_COHERENCE_COLS, WATER, make_context

from minopy.errors import InputDataError
from minopy.plot import write_report as write_report_hook
from minopy.plot.maps import NODATA_COLOR, read_panel_boxes
from minopy.plot.report import render_report, write_report
from minopy.plot.step_figures import FIGURES
from minopy.summary import read_summary

#: minopy's own figures plus one foreign figure in pic/.
NUM_IMAGES = sum(len(figs) for figs in FIGURES.values()) + 1


@pytest.fixture(scope="module")
def report(figured_work) -> Path:
    ctx, _ = figured_work
    extra = ctx.pic_dir / "mintpy_extra.png"
    extra.write_bytes((ctx.pic_dir / "velocity.png").read_bytes())
    return write_report(ctx.work_dir)


def test_report_content(report: Path) -> None:
    text = report.read_text()
    assert report.name == "report.html"
    for needle in ("minopy.interferograms.type", "single_reference", "mintpy.reference.yx",
                   "template copy inputs/template.txt", "load_data", "2.5 s",
                   "Histogram of the full temporal coherence", "Histogram of the SHP count",
                   "Interferogram network", "Velocity (radar coordinates)",
                   "fastest-moving", "mintpy_extra.png", "inputs/slcStack.h5 ("):
        assert needle in text, needle
    assert "No figures for this step" not in text
    # the results come first
    assert text.index('<section id="summary">') < text.index("<h2>Steps</h2>")
    srcs = re.findall(r'<img src="([^"]*)"', text)
    assert len(srcs) == NUM_IMAGES
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    # nothing external: no links to other files, scripts or style sheets
    assert "<script" not in text and "<link" not in text and "http" not in text


def summary_spans(text: str) -> dict[str, str]:
    """``data-key`` -> text of the numbers in the report's summary block."""
    block = text[text.index('<section id="summary">'):text.index("</section>")]
    return dict(re.findall(r'<span data-key="([^"]+)"[^>]*>([^<]*)</span>', block))


def expected_spans(summary: dict) -> dict[str, str]:
    """What the summary block must show for the numbers of summary.json."""
    vel, pix, net = summary["velocity"], summary["pixels"], summary["network"]
    return {
        "velocity.percentiles.50": f"{vel['percentiles']['50']:+.2f}",
        "velocity.percentiles.2": f"{vel['percentiles']['2']:+.2f}",
        "velocity.percentiles.98": f"{vel['percentiles']['98']:+.2f}",
        "velocity.min.value": f"{vel['min']['value']:+.2f}",
        "velocity.max.value": f"{vel['max']['value']:+.2f}",
        "velocity.reliable_pixels": str(vel["reliable_pixels"]),
        "pixels.reliable_percent": f"{pix['reliable_percent']} %",
        "pixels.reliable": str(pix["reliable"]), "pixels.ps": str(pix["ps"]),
        "pixels.inverted": str(pix["inverted"]),
        "reference.y": str(summary["reference"]["y"]),
        "reference.date": summary["reference"]["date"],
        "network.name": net["name"], "network.pairs_kept": str(net["pairs_kept"]),
        "network.pairs_per_date.min": str(net["pairs_per_date"]["min"]),
        "network.pairs_per_date.max": str(net["pairs_per_date"]["max"]),
        "run.warning_count": str(summary["run"]["warning_count"]),
    }


def test_report_summary_block_shows_summary_json(report: Path) -> None:
    summary = read_summary(report.parent)
    spans = summary_spans(report.read_text())
    expected = expected_spans(summary)
    assert {k: spans.get(k) for k in expected} == expected
    # the builder's network: 24 x 30 pixels, low coherence in 6 columns, a 6 x 6 water block
    assert summary["pixels"]["total"] == 720 and summary["pixels"]["ps"] == 2
    assert summary["pixels"]["reliable"] == 720 - 24 * 6 - 36
    assert summary["pixels"]["not_reliable"] == {
        "water": 36, "temporal coherence below minTempCoh": 144}
    assert summary["velocity"]["unit"] == "cm/year"
    assert summary["network"]["pairs_kept"] == 12 and summary["network"]["pairs_total"] == 13


def test_report_without_records(tmp_path: Path) -> None:
    text = render_report(tmp_path)
    assert "No step timing recorded" in text and "No figures found" in text
    assert "No results summary" in text
    (tmp_path / ".minopy_timing.json").write_text("{broken")
    with pytest.raises(InputDataError, match="minopy_timing.json is not valid JSON"):
        render_report(tmp_path)
    with pytest.raises(InputDataError, match="does not exist"):
        render_report(tmp_path / "missing")


def test_report_options_from_state_file(tmp_path: Path) -> None:
    (tmp_path / ".minopy_state.json").write_text(json.dumps(
        {"steps": {"load_data": {"options": {"minopy.load.autoPath": "yes"}}}}))
    assert "minopy.load.autoPath" in render_report(tmp_path)


def test_report_hook_respects_option_and_never_raises(tmp_path: Path, caplog) -> None:
    off = make_context(tmp_path, plot=False)
    assert write_report_hook(tmp_path, off.config) is None
    assert not (tmp_path / "report.html").exists()
    assert write_report_hook(tmp_path / "missing") is None
    assert "report not written" in caplog.text
    assert write_report_hook(tmp_path) == tmp_path / "report.html"


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHECK_SCRIPT = """<script>
var SAMPLES = %s;
window.addEventListener('load', function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) { if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++; }
  var out = {images: [ok, imgs.length], summary: {}, samples: []};
  var block = document.getElementById('summary');
  if (block) {
    block.querySelectorAll('[data-key]').forEach(function (e) {
      out.summary[e.getAttribute('data-key')] = e.textContent; });
  }
  SAMPLES.forEach(function (q) {
    var img = document.querySelector('img[data-file="' + q.file + '"]');
    var c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    var g = c.getContext('2d'); g.drawImage(img, 0, 0);
    var d = g.getImageData(q.x, q.y, 1, 1).data;
    out.samples.push({file: q.file, masked: q.masked, rgb: [d[0], d[1], d[2]]});
  });
  var p = document.createElement('pre'); p.id = 'check';
  p.textContent = 'CHECK ' + JSON.stringify(out) + ' END';
  document.body.appendChild(p);
});
</script>"""


def _samples(pic: Path) -> list[dict]:
    """PNG pixels of known masked (low coherence, water) and reliable data pixels of the
    velocity maps."""
    out = []
    for name in ("velocity.png", "geo_velocity.png", "velocity_inverted.png"):
        panel = read_panel_boxes(pic / name)[0]
        left, top, right, bottom = panel["box"]
        length, width = panel["shape"]
        cells = [(r, c, True) for r in (0, 9, 17) for c in range(LOW_COHERENCE_COLS.stop)]
        cells += [(r, WATER[1].start + 2, True) for r in range(WATER[0].start, WATER[0].stop)]
        cells += [(r, c, False) for r in (3, 10) for c in (8, 20, 27)]
        out += [{"file": name, "masked": masked,
                 "x": int(left + (c + 0.5) * (right - left) / width),
                 "y": int(top + (r + 0.5) * (bottom - top) / length)} for r, c, masked in cells]
    return out


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_report_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    """What a reader sees: every image loads, the summary block shows summary.json's numbers,
    and no-data pixels of the velocity maps are the no-data grey (sampled in the browser)."""
    samples = _samples(report.parent / "pic")
    page = tmp_path / "check.html"
    page.write_text(report.read_text().replace(
        "</body>", CHECK_SCRIPT % json.dumps(samples) + "</body>"))
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--disable-dev-shm-usage", "--force-color-profile=srgb",
           f"--user-data-dir={tmp_path / 'prof'}", "--virtual-time-budget=5000", "--dump-dom",
           page.as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    match = re.search(r"<pre id=\"check\">CHECK (.*?) END</pre>", done.stdout)
    assert match, f"no check output in the DOM; chromium said: {done.stderr[-2000:]}"
    out = json.loads(html.unescape(match.group(1)))
    ok, total = out["images"]
    assert total == NUM_IMAGES and ok == total
    expected = expected_spans(read_summary(report.parent))
    assert {k: out["summary"].get(k) for k in expected} == expected
    grey = [int(NODATA_COLOR[i:i + 2], 16) for i in (1, 3, 5)]
    assert len(out["samples"]) == len(samples)
    for sample in out["samples"]:
        is_grey = all(abs(a - b) <= 2 for a, b in zip(sample["rgb"], grey, strict=True))
        assert is_grey == sample["masked"], sample
