"""The documented template of ``-H``/``-g`` and the MintPy options list."""

from __future__ import annotations

import re

from minopy.config import build_config, load_schema
from minopy.config.render import mintpy_options_text, render_minopy_options, render_template
from minopy.config.template import read_template_text


def test_every_option_documented_once_with_doc():
    text = render_minopy_options()
    for key, opt in load_schema().items():
        assert len(re.findall(rf"^{re.escape(key)}\s+=", text, re.MULTILINE)) == 1, key
        first_doc_words = " ".join(opt.doc.split()[:3])
        assert first_doc_words in text, key
    assert all(len(line) <= 100 for line in text.splitlines() if line.startswith("##"))


def test_rendered_template_parses_to_defaults():
    raw = read_template_text(render_template())
    config = build_config(raw)
    for key, opt in load_schema().items():
        assert config.value(key) == opt.default, key
    assert all(value == "auto" for value in raw.values())


MINTPY_REQUIRED = [
    "mintpy.network.tempBaseMax", "mintpy.network.coherenceBased", "mintpy.network.excludeDate",
    "mintpy.reference.yx", "mintpy.reference.lalo", "mintpy.reference.maskFile",
    "mintpy.reference.minCoherence",
    "mintpy.unwrapError.method", "mintpy.unwrapError.waterMaskFile", "mintpy.unwrapError.ramp",
    "mintpy.unwrapError.bridgePtsRadius", "mintpy.unwrapError.numSample",
    "mintpy.networkInversion.maskDataset", "mintpy.networkInversion.maskThreshold",
    "mintpy.networkInversion.minRedundancy", "mintpy.solidEarthTides",
    "mintpy.troposphericDelay.method", "mintpy.troposphericDelay.polyOrder",
    "mintpy.troposphericDelay.looks", "mintpy.troposphericDelay.minCorrelation",
    "mintpy.troposphericDelay.weatherModel", "mintpy.troposphericDelay.weatherDir",
    "mintpy.deramp", "mintpy.topographicResidual", "mintpy.topographicResidual.polyOrder",
    "mintpy.topographicResidual.phaseVelocity", "mintpy.topographicResidual.stepDate",
    "mintpy.topographicResidual.excludeDate", "mintpy.topographicResidual.pixelwiseGeometry",
    "mintpy.residualRMS.cutoff", "mintpy.reference.date", "mintpy.timeFunc.startDate",
    "mintpy.timeFunc.endDate", "mintpy.timeFunc.excludeDate",
    "mintpy.timeFunc.uncertaintyQuantification", "mintpy.geocode", "mintpy.geocode.SNWE",
    "mintpy.geocode.laloStep", "mintpy.geocode.interpMethod", "mintpy.geocode.fillValue",
    "mintpy.save.kmz", "mintpy.save.hdfEos5", "mintpy.plot",
]


def test_mintpy_options_list():
    raw = read_template_text(mintpy_options_text())
    assert set(MINTPY_REQUIRED) <= set(raw)
    assert all(k.startswith("mintpy.") and v == "auto" for k, v in raw.items())
    for line in mintpy_options_text().splitlines():
        if line.startswith("mintpy."):
            assert re.search(r"#\[.+\], auto for \S", line), line
    assert build_config(raw).mintpy == raw


def test_mintpy_defaults_match_mintpy_auto_file():
    """The 'auto for' values agree with MintPy's own smallbaselineApp_auto.cfg."""
    from importlib import resources

    auto = read_template_text(
        resources.files("mintpy.defaults").joinpath("smallbaselineApp_auto.cfg").read_text())
    documented = {}
    for line in mintpy_options_text().splitlines():
        match = re.match(r"^(mintpy\.\S+)\s+=.*auto for ([^,]+)", line)
        if match:
            documented[match.group(1)] = match.group(2).strip()
    checked = 0
    for key, value in documented.items():
        if key in auto and " " not in value:
            assert value.lower() == auto[key].lower(), (key, value, auto[key])
            checked += 1
    assert checked >= 30
