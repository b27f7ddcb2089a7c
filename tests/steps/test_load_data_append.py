"""load_data on a grown stack appends the new dates to slcStack.h5 in place (issue 14), and the
per-date digests of slcStack.h5."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path

import builders
import h5py
import numpy as np
import pytest

from minopy.io.isce import read_raster
from minopy.io.slc_digest import dataset_digests, image_digest, read_date_digests
from minopy.io.stack_h5 import SlcStack, append_marker, read_sources, write_slc_stack
from minopy.steps import load_data
from minopy.steps.outputs import first_problem

OLD_END = "20200125"  # 3 of the 5 dates of the tops project


def _ctx(project: Path, end: str | None = None, **more: str):
    overrides = {"minopy.load.endDate": end} if end else {}
    overrides.update(more)
    return builders.make_context(project, overrides)


def _chunk_bytes(path: Path, before_date: int) -> dict[tuple[int, ...], bytes]:
    """The stored (raw) bytes of every chunk of ``slc`` holding only dates ``< before_date``."""
    out = {}
    with h5py.File(path, "r") as f:
        ds = f["slc"]
        ct = ds.chunks[0]
        for i in range(ds.id.get_num_chunks()):
            offset = ds.id.get_chunk_info(i).chunk_offset
            if offset[0] + ct <= before_date:
                out[offset] = ds.id.read_direct_chunk(offset)[1]
    return out


def _messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records]


def _slc_file(project: Path, date: str) -> Path:
    return next((project / "merged" / "SLC" / date).glob("*.slc.full"))


def _fresh(project: Path, where: Path) -> Path:
    """slcStack.h5 of a full write of the project's whole stack in another work directory."""
    ctx = _ctx(project)
    ctx.work_dir = where
    load_data.run(ctx)
    return ctx.slc_stack_file


def test_later_end_date_appends_in_place(tops_project, caplog, tmp_path):
    ctx = _ctx(tops_project, OLD_END)
    load_data.run(ctx)
    stack_file = ctx.slc_stack_file
    old_chunks = _chunk_bytes(stack_file, 3)
    assert old_chunks
    inode = os.stat(stack_file).st_ino
    old_digests = read_date_digests(stack_file)
    assert list(old_digests) == builders.dates_list(3)
    with caplog.at_level(logging.INFO, logger="minopy"):
        load_data.run(_ctx(tops_project))
    assert ("load_data: incremental: appending 2 new dates to slcStack.h5 (3 dates kept as they "
            "are)") in _messages(caplog)
    assert os.stat(stack_file).st_ino == inode  # extended in place, not replaced
    assert _chunk_bytes(stack_file, 3) == old_chunks  # the old dates' stored bytes untouched
    assert not append_marker(stack_file).exists()
    assert first_problem(load_data.outputs(ctx)) is None

    fresh = _fresh(tops_project, tmp_path / "fresh")
    grown, ref = SlcStack(stack_file), SlcStack(fresh)
    assert grown.dates == ref.dates == builders.dates_list(5)
    np.testing.assert_array_equal(grown.read(), ref.read())
    np.testing.assert_array_equal(grown.bperp, ref.bperp)
    assert grown.attrs == ref.attrs
    grown.close()
    ref.close()
    digests = read_date_digests(stack_file)
    assert digests == read_date_digests(fresh)
    assert {d: digests[d] for d in old_digests} == old_digests
    with h5py.File(stack_file, "r") as f:
        assert dataset_digests(f["slc"], read_bytes=4096) == list(digests.values())
        sources = read_sources(f)
    assert sources is not None and list(sources) == grown.dates
    assert sources["20200206"][0] == str(_slc_file(tops_project, "20200206").resolve())
    assert digests["20200206"] == image_digest(read_raster(_slc_file(tops_project, "20200206")))

    caplog.clear()  # the same dates again: nothing to add, the file is kept
    mtime = os.stat(stack_file).st_mtime_ns
    with caplog.at_level(logging.INFO, logger="minopy"):
        load_data.run(_ctx(tops_project))
    assert any("already holds these 5 dates, loaded from the same files; kept as it is" in m
               for m in _messages(caplog))
    assert os.stat(stack_file).st_mtime_ns == mtime

    renamed = builders.make_context(tops_project, name="Renamed")  # another template name
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="minopy"):
        load_data.run(renamed)
    assert any("updating its attribute(s) PROJECT_NAME in place" in m for m in _messages(caplog))
    assert os.stat(stack_file).st_ino == inode
    assert SlcStack(stack_file).attrs["PROJECT_NAME"] == "Renamed"
    assert read_date_digests(stack_file) == digests and not append_marker(stack_file).exists()


def test_changed_old_source_writes_anew(tops_project, caplog):
    ctx = _ctx(tops_project, OLD_END)
    load_data.run(ctx)
    before = read_date_digests(ctx.slc_stack_file)
    inode = os.stat(ctx.slc_stack_file).st_ino
    src = _slc_file(tops_project, "20200113")
    data = np.memmap(src, dtype=np.complex64, mode="r+")
    data[:10] += np.complex64(1 + 1j)  # same size, other bytes
    data.flush()
    del data
    os.utime(src, ns=(src.stat().st_atime_ns, src.stat().st_mtime_ns + 10**9))
    with caplog.at_level(logging.INFO, logger="minopy"):
        load_data.run(_ctx(tops_project))
    assert ("load_data: writing slcStack.h5 anew: the SLC file of date(s) 20200113 changed since "
            "it was loaded") in _messages(caplog)
    assert os.stat(ctx.slc_stack_file).st_ino != inode  # a full write replaces the file
    after = read_date_digests(ctx.slc_stack_file)
    assert after["20200113"] != before["20200113"]
    assert after["20200101"] == before["20200101"] and after["20200125"] == before["20200125"]


def test_interrupted_append_writes_anew_and_breaks_the_output(tops_project, caplog):
    ctx = _ctx(tops_project, OLD_END)
    load_data.run(ctx)
    append_marker(ctx.slc_stack_file).write_text("{}\n")  # a killed append
    problem = first_problem(load_data.outputs(ctx))
    assert problem is not None and "append was interrupted" in problem[1]
    with caplog.at_level(logging.INFO, logger="minopy"):
        load_data.run(_ctx(tops_project))
    assert ("load_data: writing slcStack.h5 anew: an earlier append to slcStack.h5 was "
            "interrupted (slcStack.h5.appending exists)") in _messages(caplog)
    assert not append_marker(ctx.slc_stack_file).exists()
    assert SlcStack(ctx.slc_stack_file).dates == builders.dates_list(5)
    assert first_problem(load_data.outputs(ctx)) is None


def test_removed_old_date_or_force_writes_anew(tops_project, caplog, tmp_path):
    load_data.run(_ctx(tops_project))
    shutil.move(tops_project / "merged" / "SLC" / "20200113", tmp_path / "20200113")
    with caplog.at_level(logging.INFO, logger="minopy"):
        load_data.run(_ctx(tops_project))
    assert ("load_data: writing slcStack.h5 anew: date(s) 20200113 of the stack are no longer in "
            "the date list") in _messages(caplog)
    ctx = _ctx(tops_project)
    assert SlcStack(ctx.slc_stack_file).num_dates == 4
    ctx.force = True
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="minopy"):
        load_data.run(ctx)
    assert "load_data: writing slcStack.h5 anew: --force" in _messages(caplog)


@pytest.mark.parametrize("change", ["compression", "window"])
def test_other_options_write_anew(tops_project, caplog, change):
    load_data.run(_ctx(tops_project, OLD_END))
    more = ({"minopy.load.compression": "lzf"} if change == "compression"
            else {"minopy.subset.yx": "0:30,0:30"})
    with caplog.at_level(logging.INFO, logger="minopy"):
        load_data.run(_ctx(tops_project, **more))
    want = "the compression changed" if change == "compression" else "the loaded window changed"
    assert any(m.startswith("load_data: writing slcStack.h5 anew: " + want)
               for m in _messages(caplog))


def test_digests_do_not_depend_on_block_size(tmp_path):
    rng = np.random.default_rng(3)
    slc = (rng.normal(size=(4, 37, 29)) + 1j * rng.normal(size=(4, 37, 29))).astype(np.complex64)
    bands = list(slc)
    dates = builders.dates_list(4)
    common = dict(dates=dates, bperp=np.zeros(4), attrs={"LENGTH": 37}, box=(0, 0, 29, 37),
                  patch_size=8)
    small = write_slc_stack(tmp_path / "small.h5", bands, block_bytes=1, **common)
    large = write_slc_stack(tmp_path / "large.h5", bands, compression="gzip", **common)
    with h5py.File(small, "r") as f:
        assert f["slc"].chunks[1:] == (8, 8)
    assert read_date_digests(small) == read_date_digests(large) == {
        d: image_digest(s) for d, s in zip(dates, slc, strict=True)}
    assert len(set(read_date_digests(small).values())) == 4
    rows = b"".join(hashlib.blake2b(r.astype("<c8").tobytes(), digest_size=16).digest()
                    for r in slc[1])  # the documented definition
    assert read_date_digests(small)[dates[1]] == hashlib.blake2b(rows, digest_size=16).hexdigest()
    with h5py.File(small, "r") as f:  # no source files for bands: no append possible later
        assert set((read_sources(f) or {"x": 0}).values()) == {None}


def test_stack_without_digests_reads_empty(tmp_path):
    path = tmp_path / "old.h5"
    with h5py.File(path, "w") as f:
        f["slc"] = np.zeros((2, 3, 3), np.complex64)
        f["date"] = np.array(["20200101", "20200113"], dtype="S8")
    assert read_date_digests(path) == {}
    from minopy.io import stack_h5  # also importable from there (phase linking's streaming mode)

    assert stack_h5.read_date_digests(path) == {}


def test_gdal_layout_new_date_file_is_appended(tmp_path, caplog):
    from minopy.simulate import write_stack

    project = write_stack(tmp_path / "gdal", preset="tiny", layout="gdal", seed=1, n_dates=5)
    last = sorted((project / "slc").glob("*.slc.tif"))[-1]
    shutil.move(last, tmp_path / last.name)  # the last acquisition has not arrived yet
    ctx = builders.make_context(project)
    load_data.run(ctx)
    inode = os.stat(ctx.slc_stack_file).st_ino
    shutil.move(tmp_path / last.name, last)  # ... now it has
    with caplog.at_level(logging.INFO, logger="minopy"):
        load_data.run(builders.make_context(project))
    assert ("load_data: incremental: appending 1 new dates to slcStack.h5 (4 dates kept as they "
            "are)") in _messages(caplog)
    assert os.stat(ctx.slc_stack_file).st_ino == inode
    assert read_date_digests(ctx.slc_stack_file) == read_date_digests(
        _fresh(project, tmp_path / "fresh"))



def test_append_into_a_partly_filled_date_chunk(tmp_path, monkeypatch):
    """Old dates that end inside a chunk (chunk of 2 dates, 3 old dates): the append still gives
    the data and digests of a full write."""
    import minopy.io.stack_h5 as stack_h5
    from minopy.io.stack_append import append_slc_stack

    monkeypatch.setattr(stack_h5, "CHUNK_BYTES", 2 * 8 * 8 * 8)
    rng = np.random.default_rng(5)
    slc = (rng.normal(size=(5, 20, 12)) + 1j * rng.normal(size=(5, 20, 12))).astype(np.complex64)
    dates, bperp = builders.dates_list(5), np.arange(5.0)
    common = dict(box=(0, 0, 12, 20), patch_size=8)
    path = write_slc_stack(tmp_path / "s.h5", list(slc[:3]), dates[:3], bperp[:3],
                           {"END_DATE": dates[2]}, **common)
    with h5py.File(path, "r") as f:
        assert f["slc"].chunks == (2, 8, 8)
    first_chunk = _chunk_bytes(path, 2)
    append_slc_stack(path, list(slc), dates, bperp, {"END_DATE": dates[4]}, common["box"], 3,
                     [None] * 5, block_bytes=1)
    full = write_slc_stack(tmp_path / "full.h5", list(slc), dates, bperp, {"END_DATE": dates[4]},
                           **common)
    assert _chunk_bytes(path, 2) == first_chunk
    np.testing.assert_array_equal(SlcStack(path).read(), slc)
    assert read_date_digests(path) == read_date_digests(full)
    assert SlcStack(path).attrs["END_DATE"] == dates[4]


def test_runner_reruns_load_data_as_an_append_and_force_rewrites(tops_project):
    from minopy.runner import run_steps

    ctx = _ctx(tops_project, OLD_END)
    run_steps(ctx.config.template_file, ctx.work_dir, ["load_data"], verbosity="quiet")
    inode = os.stat(ctx.slc_stack_file).st_ino
    ctx = _ctx(tops_project)  # endDate removed: two new dates
    run_steps(ctx.config.template_file, ctx.work_dir, ["load_data"], verbosity="quiet")
    log = (ctx.work_dir / "log").read_text()
    assert "appending 2 new dates to slcStack.h5 (3 dates kept as they are)" in log
    assert os.stat(ctx.slc_stack_file).st_ino == inode
    assert SlcStack(ctx.slc_stack_file).dates == builders.dates_list(5)
    run_steps(ctx.config.template_file, ctx.work_dir, ["load_data"], verbosity="quiet",
              force=True)
    assert "load_data: writing slcStack.h5 anew: --force" in (ctx.work_dir / "log").read_text()
    assert os.stat(ctx.slc_stack_file).st_ino != inode
