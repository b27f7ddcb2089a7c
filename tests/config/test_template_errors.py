"""Template parsing and validation: errors name the key/value and what is allowed."""

from __future__ import annotations

import pytest

from minopy.config import build_config, load_config
from minopy.config.template import read_template_text
from minopy.errors import ConfigError


def _config(text: str):
    return build_config(read_template_text(text), "site.txt")


def test_unknown_key_suggests_the_closest():
    with pytest.raises(ConfigError) as info:
        _config("minopy.inversion.patchsise = 100\n")
    message = str(info.value)
    assert "unknown option minopy.inversion.patchsise" in message
    assert "did you mean minopy.inversion.patchSize?" in message
    assert "site.txt" in message


def test_unknown_key_in_wrong_section_suggests_by_last_part():
    with pytest.raises(ConfigError, match="did you mean minopy.inversion.rangeWindow"):
        _config("minopy.rangeWindow = 11\n")


def test_keys_are_case_insensitive():
    assert _config("minopy.inversion.PATCHSIZE = 100").inversion.patch_size == 100


@pytest.mark.parametrize("line, expected", [
    ("minopy.inversion.patchSize = 12.5", "an integer >= 16"),
    ("minopy.inversion.patchSize = 8", "an integer >= 16"),
    ("minopy.inversion.patchSize = big", "an integer >= 16"),
    ("minopy.inversion.shpSignificance = 1.5", "a number > 0 and < 1"),
    ("minopy.interferograms.filterStrength = x", "a number >= 0 and <= 1"),
    ("minopy.inversion.phaseLinkingMethod = EMX", "EVD / EMI / PTA"),
    ("minopy.load.updateMode = maybe", "yes / no"),
    ("minopy.load.startDate = 20201301", "a date YYYYMMDD"),
    ("minopy.subset.yx = 10:10,0:5", "y0:y1,x0:x1"),
])
def test_bad_values_name_key_value_and_allowed(line, expected):
    key, value = (s.strip() for s in line.split("="))
    with pytest.raises(ConfigError) as info:
        _config(line)
    message = str(info.value)
    assert key in message and repr(value) in message and expected in message


def test_all_problems_reported_together():
    with pytest.raises(ConfigError) as info:
        _config("minopy.inversion.patchSize = 1\nminopy.unwrap.metod = snaphu\n")
    message = str(info.value)
    assert "template problems" in message
    assert "minopy.inversion.patchSize" in message and "minopy.unwrap.metod" in message


def test_line_without_equals_names_file_and_line():
    with pytest.raises(ConfigError, match=r"site.txt, line 2: 'minopy.plot yes'"):
        build_config(read_template_text("# c\nminopy.plot yes\n", "site.txt"))


@pytest.mark.parametrize("word", ["no", "none", "None", "NONE", "false", "off", "'None'"])
def test_off_words_switch_nullable_options_off(word):
    config = _config(f"minopy.unwrap.mask = {word}\nminopy.inversion.mask = {word}")
    assert config.unwrap.mask is None
    assert config.inversion.mask is None


@pytest.mark.parametrize("word, value", [("no", False), ("False", False), ("none", False),
                                         ("yes", True), ("True", True), ("auto", True)])
def test_bool_words(word, value):
    assert _config(f"minopy.unwrap.maskWater = {word}").unwrap.mask_water is value


def test_auto_and_empty_mean_default():
    config = _config("minopy.inversion.patchSize = auto\nminopy.inversion.rangeWindow =\n"
                     "minopy.interferograms.filterStrength = AUTO  # comment")
    assert config.inversion.patch_size == 200
    assert config.inversion.range_window == 15
    assert config.interferograms.filter_strength == 0.0


def test_no_for_a_choice_with_no():
    assert _config("minopy.timeseries.L2weightFunc = none").timeseries.l2_weight_func \
        == "no"


def test_off_word_for_non_nullable_number_is_an_error():
    with pytest.raises(ConfigError, match="minopy.inversion.patchSize"):
        _config("minopy.inversion.patchSize = no")


def test_mintpy_keys_kept_verbatim_and_other_keys_ignored(caplog):
    config = _config("mintpy.reference.yx = 10,20\nmintpy.deramp = none\nfoo.bar = 1\n")
    assert config.mintpy == {"mintpy.reference.yx": "10,20", "mintpy.deramp": "none"}
    assert config.mintpy.value("mintpy.reference.yx") == "10,20"
    assert config.mintpy.value("mintpy.deramp") is None
    assert "foo.bar" not in config.mintpy and "foo.bar" not in dict(config.items())


def test_mintpy_subset_fallback():
    config = _config("mintpy.subset.yx = 0:100,20:300\nmintpy.subset.lalo = -1.5:-1.0,-78.9:-78.2")
    assert config.subset.yx == ((0, 100), (20, 300))
    assert config.subset.lalo == ((-1.5, -1.0), (-78.9, -78.2))


def test_minopy_subset_wins_over_mintpy():
    config = _config("minopy.subset.yx = 5:50,6:60\nmintpy.subset.yx = 0:100,20:300")
    assert config.subset.yx == ((5, 50), (6, 60))


def test_minopy_subset_no_falls_back_to_mintpy():
    config = _config("minopy.subset.yx = no\nmintpy.subset.yx = 0:100,20:300")
    assert config.subset.yx == ((0, 100), (20, 300))


def test_overrides_and_missing_file(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("minopy.inversion.patchSize = 100\n")
    config = load_config(path, {"minopy.inversion.patchSize": "120"})
    assert config.inversion.patch_size == 120
    assert config.resolve_path("a/b") == str(tmp_path / "a/b")
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.txt")
