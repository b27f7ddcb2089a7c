"""Template keys: MiaplPy templates, MintPy key checks, prefix typos, duplicates, NaN numbers."""

from __future__ import annotations

import logging

import pytest

from minopy.config import build_config, load_schema
from minopy.config.miaplpy import MIAPLPY_KEYS, RENAMED_KEYS, UNSUPPORTED_KEYS, minopy_key_for
from minopy.config.mintpy_keys import mintpy_template_keys
from minopy.config.template import read_template_text
from minopy.errors import ConfigError

#: part of a MiaplPy template as MiaplPy documents it (miaplpyApp.cfg), with user values.
MIAPLPY_TEMPLATE = """\
miaplpy.load.processor      = isce
miaplpy.load.autoPath       = yes
miaplpy.subset.yx           = 0:40,0:60
miaplpy.inversion.patchSize                = 40
miaplpy.inversion.ministackSize            = 6
miaplpy.inversion.rangeWindow              = 11
miaplpy.inversion.azimuthWindow            = 9
miaplpy.inversion.phaseLinkingMethod       = SBW   # [EVD, EMI, ..., SBW]
miaplpy.inversion.sbw_connNum              = 4
miaplpy.interferograms.networkType         = sequential
miaplpy.interferograms.connNum             = 5
miaplpy.unwrap.snaphu.tileNumPixels        = auto
miaplpy.timeseries.minTempCoh              = 0.6
miaplpy.timeseries.L2weightFunc            = fim
mintpy.troposphericDelay.method = height_correlation
"""


def _config(text: str):
    return build_config(read_template_text(text, "site.txt"), "site.txt")


def test_miaplpy_template_maps_onto_minopy_options(caplog):
    caplog.set_level(logging.DEBUG, logger="minopy")
    config = _config(MIAPLPY_TEMPLATE)
    assert config.load.auto_path is True
    assert config.subset.yx == ((0, 40), (0, 60))
    assert config.inversion.patch_size == 40
    assert config.inversion.ministack_size == 6
    assert config.inversion.range_window == 11
    assert config.inversion.azimuth_window == 9
    assert config.inversion.phase_linking_method == "StBAS"
    assert config.inversion.stbas_num_con == 4
    assert config.interferograms.type == "sequential"
    assert config.interferograms.num_sequential == 5
    assert config.timeseries.min_temp_coh == 0.6
    assert config.timeseries.l2_weight_func == "fim"
    assert config.mintpy == {"mintpy.troposphericDelay.method": "height_correlation"}
    # one note per mapped key in the log, a summary for the console
    notes = [r.getMessage() for r in caplog.records if "MiaplPy key mapped" in r.getMessage()]
    assert len(notes) == 14
    assert ("MiaplPy key mapped: miaplpy.interferograms.networkType = sequential -> "
            "minopy.interferograms.type = sequential") in notes
    assert ("MiaplPy key mapped: miaplpy.inversion.phaseLinkingMethod = SBW -> "
            "minopy.inversion.phaseLinkingMethod = StBAS") in notes
    assert "14 miaplpy.* key(s) mapped onto minopy options" in caplog.text
    assert "ignoring template key" not in caplog.text


def test_every_miaplpy_key_has_a_minopy_option_or_is_listed_as_unsupported():
    schema = load_schema()
    for key in MIAPLPY_KEYS:
        if key in UNSUPPORTED_KEYS:
            continue
        assert minopy_key_for(key) in schema, key
    assert set(RENAMED_KEYS) <= set(MIAPLPY_KEYS)


def test_miaplpy_key_without_equivalent_warns_or_fails(caplog):
    _config("miaplpy.inversion.numArchived = auto\n")
    assert "ignoring miaplpy.inversion.numArchived = auto" in caplog.text
    with pytest.raises(ConfigError, match=r"miaplpy.inversion.numArchived = 5 has no minopy "
                                          r"equivalent \(the archived images of MiaplPy's "
                                          r"real_time"):
        _config("miaplpy.inversion.numArchived = 5\n")


def test_unknown_miaplpy_key_is_an_error():
    with pytest.raises(ConfigError, match="unknown MiaplPy option miaplpy.inversion.patchSzie: "
                                          "minopy has no option minopy.inversion.patchSzie; did "
                                          "you mean minopy.inversion.patchSize"):
        _config("miaplpy.inversion.patchSzie = 40\n")


def test_miaplpy_name_under_minopy_prefix_suggests_the_minopy_name():
    with pytest.raises(ConfigError, match="unknown option minopy.interferograms.networkType; did "
                                          "you mean minopy.interferograms.type"):
        _config("minopy.interferograms.networkType = sequential\n")


def test_misspelt_mintpy_key_is_an_error_with_the_closest_mintpy_key():
    with pytest.raises(ConfigError) as info:
        _config("mintpy.troposphericDelay.methd = height_correlation\n")
    message = str(info.value)
    assert "unknown MintPy option mintpy.troposphericDelay.methd" in message
    assert "did you mean mintpy.troposphericDelay.method?" in message


def test_renamed_mintpy_section_is_suggested():
    with pytest.raises(ConfigError, match="did you mean mintpy.timeFunc.excludeDate"):
        _config("mintpy.velocity.excludeDate = no\n")


def test_mintpy_keys_are_checked_against_mintpys_own_template():
    keys = mintpy_template_keys()
    assert "mintpy.troposphericDelay.method" in keys and "mintpy.reference.yx" in keys
    assert len(keys) > 100
    config = _config("".join(f"{k} = auto\n" for k in keys))
    assert set(config.mintpy) == set(keys)


def test_mintpy_key_case_is_corrected_to_mintpys_spelling():
    config = _config("mintpy.troposphericdelay.METHOD = height_correlation\n")
    assert config.mintpy == {"mintpy.troposphericDelay.method": "height_correlation"}


@pytest.mark.parametrize("line, hint", [
    ("minopi.inversion.patchSize = 16", "minopy.inversion.patchSize"),
    ("mintpi.deramp = linear", "mintpy.deramp"),
    ("miaplp.inversion.patchSize = 16", "minopy.inversion.patchSize"),
])
def test_misspelt_prefix_is_an_error(line, hint):
    with pytest.raises(ConfigError) as info:
        _config(line + "\n")
    message = str(info.value)
    assert f"unknown key prefix in {line.split()[0]}: did you mean {hint}?" in message


def test_foreign_prefix_is_ignored_with_a_warning(caplog):
    config = _config("ssaraopt.platform = SENTINEL-1A\ntopsStack.boundingBox = 1 2 3 4\n")
    assert "ignoring template key ssaraopt.platform" in caplog.text
    assert "ignoring template key topsStack.boundingBox" in caplog.text
    assert config.mintpy == {}


@pytest.mark.parametrize("text, used", [
    ("minopy.inversion.patchSize = 40\nminopy.inversion.patchSize = 16\n", 16),
    ("minopy.inversion.patchSize = 40\nminopy.inversion.PATCHSIZE = 16\n", 16),
    ("miaplpy.inversion.patchSize = 40\nminopy.inversion.patchSize = 16\n", 16),
    ("minopy.inversion.patchSize = 16\nminopy.inversion.rangeWindow = 9\n"
     "miaplpy.inversion.patchSize = 40\n", 40),
])
def test_duplicated_key_warns_naming_both_lines(caplog, text, used):
    config = _config(text)
    assert config.inversion.patch_size == used
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    first, second = (i + 1 for i, line in enumerate(text.splitlines()) if "patch" in line.lower())
    assert "site.txt: minopy.inversion.patchSize is given twice, with different values" \
        in warnings[0]
    assert f"line {first} (" in warnings[0] and f"line {second} (" in warnings[0]
    assert f"line {second} is used" in warnings[0]


def test_duplicated_mintpy_key_warns(caplog):
    config = _config("mintpy.deramp = linear\nmintpy.deramp = no\n")
    assert config.mintpy == {"mintpy.deramp": "no"}
    assert "mintpy.deramp is given twice, with different values: line 1 (mintpy.deramp = linear)" \
           " and line 2 (mintpy.deramp = no)" in caplog.text


@pytest.mark.parametrize("line", [
    "minopy.timeseries.minTempCoh = nan",
    "minopy.timeseries.minTempCoh = NaN",
    "minopy.interferograms.filterStrength = nan",
    "minopy.inversion.psAmpDispersion = nan",
    "minopy.unwrap.snaphu.maxDiscontinuity = nan",
    "minopy.subset.lalo = nan:1,2:3",
])
def test_nan_numbers_are_rejected_when_the_template_is_read(line):
    key = line.split()[0]
    with pytest.raises(ConfigError, match=rf"{key} = '.*' is not valid \((not a number|range "
                                          r"'nan:1' is not finite)\)"):
        _config(line)


def test_infinity_still_means_no_limit():
    config = _config("minopy.inversion.psAmpDispersion = inf")
    assert config.inversion.ps_amp_dispersion == float("inf")
