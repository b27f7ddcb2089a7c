"""The HTML report: content, self-containment, and every image loading in a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from _builders import make_context

from minopy.errors import InputDataError
from minopy.plot import write_report as write_report_hook
from minopy.plot.report import render_report, write_report
from minopy.plot.step_figures import FIGURES

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
                   "Displacement time series at selected points", "mintpy_extra.png",
                   "inputs/slcStack.h5 ("):
        assert needle in text, needle
    srcs = re.findall(r'<img src="([^"]*)"', text)
    assert len(srcs) == NUM_IMAGES
    assert all(s.startswith("data:image/png;base64,") for s in srcs)
    # nothing external: no links to other files, scripts or style sheets
    assert "<script" not in text and "<link" not in text and "http" not in text


def test_report_without_records(tmp_path: Path) -> None:
    text = render_report(tmp_path)
    assert "No step timing recorded" in text and "No figures found" in text
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
COUNT_SCRIPT = """<script>
window.addEventListener('load', function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) { if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++; }
  var p = document.createElement('p'); p.id = 'imgcheck';
  p.textContent = 'IMAGES ' + ok + '/' + imgs.length;
  document.body.appendChild(p);
});
</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_every_image_loads_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    page = tmp_path / "check.html"
    page.write_text(report.read_text().replace("</body>", COUNT_SCRIPT + "</body>"))
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'prof'}",
           "--virtual-time-budget=5000", "--dump-dom", page.as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    match = re.search(r"IMAGES (\d+)/(\d+)", done.stdout)
    assert match, f"no image count in the DOM; chromium said: {done.stderr[-2000:]}"
    ok, total = int(match.group(1)), int(match.group(2))
    assert total == NUM_IMAGES and ok == total
