"""Tests of finding ISCE stack files (autoPath and explicit globs)."""

from __future__ import annotations

import shutil

import builders
import fs_faults
import pytest

from minopy.config import load_config
from minopy.errors import ConfigError, InputDataError
from minopy.io.autopath import StackFiles, find_stack_files


def _find(cfg, project) -> StackFiles:
    return find_stack_files(cfg.load, project, cfg.resolve_path)


def _config(project, text):
    template = project / "t.txt"
    template.write_text(text)
    return load_config(template)


def test_tops_autopath(tops_project):
    files = _find(_config(tops_project, "minopy.load.autoPath = yes\n"), tops_project)
    assert files.layout == "tops"
    assert files.dates == builders.dates_list(5)
    assert all(p.name.endswith(".slc.full") for p in files.slc_files.values())
    assert [p.name for p in files.meta_files] == ["IW1.xml"]
    assert files.geometry["azimuthAngle"].band == 2
    assert files.geometry["incidenceAngle"].path.name == "los.rdr.full"
    assert files.baseline_dir == tops_project / "baselines"
    assert len(files.all_files()) == 5 + 1 + 6 + 4


def test_stripmap_autopath(stripmap_project):
    files = _find(_config(stripmap_project, "minopy.load.autoPath = yes\n"),
                             stripmap_project)
    assert files.layout == "stripmap"
    assert files.meta_files[0].name == "data.rsc"
    assert files.geometry["height"].path.name == "hgt.rdr"


def test_explicit_globs_relative_to_template(tops_project):
    sub = tops_project / "templates"
    sub.mkdir()
    cfg = _config(sub, "minopy.load.slcFile = ../merged/SLC/*/*.slc.full\n"
                       "minopy.load.metaFile = ../reference/IW*.xml\n"
                       "minopy.load.demFile = ../merged/geom_reference/hgt.rdr.full\n"
                       "minopy.load.startDate = 20200113\nminopy.load.endDate = 20200206\n")
    files = _find(cfg, sub)
    assert files.layout == "tops"
    assert files.dates == ["20200113", "20200125", "20200206"]
    assert set(files.geometry) == {"height"}
    assert files.baseline_dir is None


def test_neither_autopath_nor_slcfile(tops_project):
    with pytest.raises(ConfigError, match="minopy.load.autoPath"):
        _find(_config(tops_project, ""), tops_project)


def test_missing_pattern_is_named(tmp_path, tops_project):
    cfg = _config(tops_project, "minopy.load.autoPath = yes\n")
    shutil.rmtree(tops_project / "merged" / "geom_reference")
    with pytest.raises(InputDataError, match=r"autoPath \(topsStack\).*hgt\.rdr\.full"):
        _find(cfg, tops_project)
    empty = tmp_path / "empty"
    (empty / "reference").mkdir(parents=True)
    with pytest.raises(InputDataError, match=r"merged/SLC/\*/\*\.slc\.full found no SLC"):
        _find(cfg, empty)


def test_bad_date_directory(tops_project):
    slc = tops_project / "merged" / "SLC"
    (slc / "20200101").rename(slc / "2020Jan01")
    cfg = _config(tops_project, "minopy.load.autoPath = yes\n")
    with pytest.raises(InputDataError, match=r"YYYYMMDD.*2020Jan01"):
        _find(cfg, tops_project)


def test_no_dates_in_range(tops_project):
    cfg = _config(tops_project, "minopy.load.autoPath = yes\nminopy.load.startDate = 20210101\n")
    with pytest.raises(InputDataError, match=r"startDate = 20210101.*20200101 to 20200218"):
        _find(cfg, tops_project)


def test_slc_file_named_for_another_date_is_an_error(tops_project):
    """D23: merged/SLC/20200113/20200125.slc.full must not be loaded as 20200113."""
    slc = tops_project / "merged" / "SLC"
    first, second = "20200113", "20200125"
    for side in ("", ".xml", ".vrt"):
        (slc / first / f"{first}.slc.full{side}").rename(slc / f"tmp{side}")
        (slc / second / f"{second}.slc.full{side}").rename(slc / first / f"{second}.slc.full{side}")
        (slc / f"tmp{side}").rename(slc / second / f"{first}.slc.full{side}")
    cfg = _config(tops_project, "minopy.load.autoPath = yes\n")
    with pytest.raises(InputDataError) as info:
        _find(cfg, tops_project)
    message = str(info.value)
    assert f"{slc / first / (second + '.slc.full')} is in folder {first} but its name says " \
           f"{second}" in message
    assert f"{slc / second / (first + '.slc.full')} is in folder {second} but its name says " \
           f"{first}" in message
    # the same check for an explicit glob
    cfg = _config(tops_project, "minopy.load.slcFile = merged/SLC/*/*.slc.full\n"
                                "minopy.load.metaFile = reference/IW*.xml\n")
    with pytest.raises(InputDataError, match="but its name says"):
        _find(cfg, tops_project)


def test_tops_stack_without_reference_folder_is_named(tops_project):
    """D28: a tops stack lacking reference/ is not reported as a stripmap stack without *.slc."""
    shutil.rmtree(tops_project / "reference")
    cfg = _config(tops_project, "minopy.load.autoPath = yes\n")
    with pytest.raises(InputDataError) as info:
        _find(cfg, tops_project)
    message = str(info.value)
    assert "are a topsStack layout" in message
    assert f"{tops_project / 'reference'} does not exist" in message
    assert "found no SLC" not in message


@pytest.mark.parametrize("folder", ["merged/geom_reference", "merged/SLC", "reference"])
def test_unreadable_folder_is_reported_as_unreadable(tops_project, monkeypatch, folder):
    """P03: a folder without read permission is named, not reported as a missing file."""
    cfg = _config(tops_project, "minopy.load.autoPath = yes\n")
    with fs_faults.unreadable(tops_project / folder, monkeypatch), \
            pytest.raises(InputDataError) as info:
        _find(cfg, tops_project)
    assert f"cannot read the folder {tops_project / folder} (permission denied)" \
        in str(info.value)
