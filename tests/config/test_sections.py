"""The typed sections, the README table and the template are generated from one schema."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from minopy.config import Config, build_config, generate, load_schema, option_key
from minopy.config.model import check_reads
from minopy.config.render import render_readme_table
from minopy.config.sections import SECTION_CLASSES, InversionOptions

README = Path(__file__).resolve().parents[2] / "README.md"


def test_sections_py_is_current():
    assert generate.TARGET.read_text() == generate.render(), (
        "src/minopy/config/sections.py is stale: run python -m minopy.config.generate")


def test_readme_options_table_is_current():
    assert render_readme_table() in README.read_text(), (
        "the README options table is stale: run python -m minopy.config.generate")


def test_every_option_is_one_typed_field_with_the_schema_default():
    schema = load_schema()
    fields = {(s, f.name): f for s, cls in SECTION_CLASSES.items()
              for f in dataclasses.fields(cls)}
    assert len(fields) == len(schema)
    for key, opt in schema.items():
        field = fields[(opt.section, opt.field)]
        assert field.default == opt.default, key
        assert option_key(opt.section, opt.field) == key


def test_config_reads_typed_attributes_and_values_by_key():
    config = build_config({"minopy.inversion.patchSize": "64", "miaplpy.inversion.rangeWindow": "9",
                           "mintpy.reference.yx": "1,2"})
    assert isinstance(config, Config) and isinstance(config.inversion, InversionOptions)
    assert config.inversion.patch_size == 64 and config.inversion.range_window == 9
    assert config.value("minopy.inversion.patchSize") == 64
    with pytest.raises(KeyError, match="did you mean minopy.inversion.patchSize"):
        config.value("minopy.inversion.patchSise")
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.inversion.patch_size = 3  # type: ignore[misc]


def test_selected_options_by_section_field_and_mintpy_prefix():
    config = build_config({"minopy.unwrap.maskWater": "no", "mintpy.reference.yx": "1,2",
                           "mintpy.deramp": "linear"})
    chosen = config.selected(("unwrap.mask_water", "timeseries", "mintpy.reference."))
    assert chosen["minopy.unwrap.maskWater"] is False
    assert "minopy.unwrap.maskShadow" not in chosen
    assert {k for k in chosen if k.startswith("minopy.timeseries.")} == {
        k for k in load_schema() if k.startswith("minopy.timeseries.")}
    assert chosen["mintpy.reference.yx"] == "1,2" and "mintpy.deramp" not in chosen
    with pytest.raises(ValueError, match="inversion.patchSize, unwrapp"):
        check_reads(("inversion.patchSize", "unwrapp"))
