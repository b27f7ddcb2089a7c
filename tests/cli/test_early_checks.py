"""Options checked as soon as the image is known (matrix T25), not when a late step fails."""

from __future__ import annotations

from pathlib import Path

import builders
import pytest

from minopy.errors import ConfigError
from minopy.runner import run_steps


def _template(project: Path, **mintpy: str) -> Path:
    return builders.make_context(project, {"minopy.plot": "no", **mintpy}).config.template_file


@pytest.mark.parametrize("value", ["500,500", "39,30", "-1,3"])
def test_reference_yx_outside_the_image_fails_right_after_load_data(tops_project, value):
    template = _template(tops_project, **{"mintpy.reference.yx": value})
    work = tops_project / "minopy"
    with pytest.raises(ConfigError) as info:
        run_steps(template, work, ["load_data", "phase_linking"], verbosity="quiet")
    message = str(info.value)
    assert f"mintpy.reference.yx = {value} is outside the image, which has 40 rows and 30 " \
           "columns" in message
    assert "expected 0 <= row < 40 and 0 <= column < 30" in message
    assert not (work / "inverted").exists()  # stopped before phase linking
    # a later run that starts after load_data fails at its start too
    with pytest.raises(ConfigError, match="is outside the image"):
        run_steps(template, work, ["phase_linking"], verbosity="quiet")
    assert not (work / "inverted").exists()


def test_reference_yx_inside_the_image_passes(tops_project):
    template = _template(tops_project, **{"mintpy.reference.yx": "39,29"})
    run_steps(template, tops_project / "minopy", ["load_data"], verbosity="quiet")


def test_malformed_reference_yx_is_named(tops_project):
    template = _template(tops_project, **{"mintpy.reference.yx": "12"})
    with pytest.raises(ConfigError, match=r"mintpy.reference.yx = '12'; expected row,column"):
        run_steps(template, tops_project / "minopy", ["load_data"], verbosity="quiet")


def test_reference_lalo_outside_the_scene_fails_right_after_load_data(tops_project):
    template = _template(tops_project, **{"mintpy.reference.lalo": "10.0,20.0"})
    with pytest.raises(ConfigError) as info:
        run_steps(template, tops_project / "minopy", ["load_data"], verbosity="quiet")
    message = str(info.value)
    assert "mintpy.reference.lalo = 10.0,20.0 is" in message
    assert "outside the area covered by the data" in message
    assert str(tops_project / "minopy" / "inputs" / "geometryRadar.h5") in message
