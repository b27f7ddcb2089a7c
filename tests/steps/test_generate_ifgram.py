"""Step generate_ifgram on a tiny synthetic phase_series.h5."""

from __future__ import annotations

import numpy as np
import pytest
from interferogram._synthetic import make_phase_series

from minopy.config import load_config
from minopy.errors import InputDataError
from minopy.io.isce import is_complete, read_info, read_raster
from minopy.step_context import StepContext
from minopy.steps import generate_ifgram
from minopy.steps.outputs import first_problem


def make_ctx(tmp_path, **options):
    overrides = {"minopy.multiprocessing.numProcessor": "1", **options}
    return StepContext(tmp_path / "wd", load_config(overrides=overrides))


@pytest.fixture
def stack(tmp_path):
    return make_phase_series(tmp_path / "wd", num_dates=5, length=48, width=40)


def test_single_reference_unfiltered(tmp_path, stack) -> None:
    ctx = make_ctx(tmp_path)
    assert generate_ifgram.READS == ("interferograms",)
    generate_ifgram.run(ctx)
    listing = (ctx.network_dir / "interferograms_list.txt").read_text().split()
    mid = stack.dates[2]
    assert len(listing) == 4 and all(mid in p for p in listing)
    assert all(p.split("_")[0] < p.split("_")[1] for p in listing)
    assert (ctx.network_dir / "network.png").stat().st_size > 1000
    assert first_problem(generate_ifgram.outputs(ctx)) is None
    d1, d2 = stack.dates[0], mid
    pair = ctx.ifgram_dir / f"{d1}_{d2}"
    info = read_info(pair / "fine.int")
    assert (info.data_type, info.length, info.width) == ("CFLOAT", 48, 40)
    assert not (pair / "filt_fine.int").exists()
    ifg = read_raster(pair / "fine.int")
    import h5py

    with h5py.File(ctx.phase_series_file) as f:
        p, a = f["phase"][()], f["amplitude"][()]
    i, j = 0, 2
    expected = a[i] * a[j] * np.exp(1j * (p[i] - p[j]))
    np.testing.assert_allclose(ifg, expected, rtol=1e-4, atol=1e-5)
    cor = read_raster(pair / "filt_fine.cor")
    assert cor.dtype == np.float32 and cor.min() >= 0 and cor.max() <= 1


def test_filtered_rerun_skips_and_option_change_redoes(tmp_path, stack) -> None:
    ctx = make_ctx(tmp_path, **{"minopy.interferograms.filterStrength": "0.5",
                                "minopy.interferograms.type": "sequential",
                                "minopy.interferograms.numSequential": "2"})
    generate_ifgram.run(ctx)
    assert ctx.ifgram_dir.name == "interferograms_sequential_2"
    pairs = sorted(ctx.ifgram_dir.iterdir())
    assert len(pairs) == 7
    filt = pairs[0] / "filt_fine.int"
    assert is_complete(filt)
    mtime = filt.stat().st_mtime_ns
    generate_ifgram.run(ctx)  # complete: skipped
    assert filt.stat().st_mtime_ns == mtime
    ctx2 = make_ctx(tmp_path, **{"minopy.interferograms.filterStrength": "0",
                                 "minopy.interferograms.type": "sequential",
                                 "minopy.interferograms.numSequential": "2"})
    generate_ifgram.run(ctx2)  # alpha 0: no filtered copy any more
    assert not filt.exists() and not (pairs[0] / "filt_fine.int.xml").exists()


@pytest.mark.slow
def test_parallel_pairs_on_dask(tmp_path, stack) -> None:
    ctx = StepContext(tmp_path / "wd", load_config(overrides={
        "minopy.multiprocessing.numProcessor": "2", "minopy.interferograms.type": "sequential",
        "minopy.interferograms.numSequential": "1"}))
    generate_ifgram.run(ctx)
    assert first_problem(generate_ifgram.outputs(ctx)) is None


def test_list_with_unknown_date(tmp_path, stack) -> None:
    listing = tmp_path / "pairs.txt"
    listing.write_text(f"{stack.dates[0]}_{stack.dates[1]}\n{stack.dates[0]}_20991231\n")
    ctx = make_ctx(tmp_path, **{"minopy.interferograms.list": str(listing)})
    assert ctx.network_name == "list"
    with pytest.raises(InputDataError, match=r"pairs.txt, line 2 .*20991231"):
        generate_ifgram.run(ctx)


def test_missing_phase_series(tmp_path) -> None:
    ctx = make_ctx(tmp_path)
    with pytest.raises(InputDataError, match="phase_series.h5 does not exist"):
        generate_ifgram.run(ctx)
    assert generate_ifgram.outputs(ctx)[0].name == "interferograms_list.txt"


def _write_series(path, source, num_dates, bump_date=None) -> None:
    """``phase_series.h5`` with the first ``num_dates`` dates of ``source`` (a new file, as
    concatenate_patch writes it); ``bump_date``: that date's phase changed at one pixel."""
    import h5py

    with h5py.File(source, "r") as src, h5py.File(path, "w") as f:
        for name in ("phase", "amplitude", "date", "bperp"):
            f[name] = src[name][:num_dates]
        for name in ("temporalCoherence", "shp"):
            f[name] = src[name][()]
        f.attrs.update(dict(src.attrs))
        if bump_date is not None:
            f["phase"][bump_date, 3, 4] += np.float32(0.5)


def _mtimes(folder) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_rewritten_series_redoes_only_changed_and_new_pairs(tmp_path, caplog) -> None:
    import logging
    import shutil

    make_phase_series(tmp_path / "wd", num_dates=6, length=48, width=40)
    ctx = make_ctx(tmp_path, **{"minopy.interferograms.filterStrength": "0.5",
                                "minopy.interferograms.type": "sequential",
                                "minopy.interferograms.numSequential": "1"})
    full = tmp_path / "six_dates.h5"
    shutil.copy(ctx.phase_series_file, full)
    _write_series(ctx.phase_series_file, full, 5)
    generate_ifgram.run(ctx)
    old = _mtimes(ctx.ifgram_dir)
    old_pairs = sorted(p.name for p in ctx.ifgram_dir.iterdir())
    assert len(old_pairs) == 4 and len(old) == 4 * 10  # 3 rasters + 2 sidecars each, stamp

    _write_series(ctx.phase_series_file, full, 6)  # same old dates, one new date
    with caplog.at_level(logging.INFO, logger="minopy"):
        generate_ifgram.run(ctx)
    assert any(m.startswith("generate_ifgram: 4 of 5 pairs were complete and skipped") for m in [
        r.getMessage() for r in caplog.records])
    now = _mtimes(ctx.ifgram_dir)
    assert {k: v for k, v in now.items() if k.split("/")[0] in old_pairs} == old
    new_pair = (set(p.name for p in ctx.ifgram_dir.iterdir()) - set(old_pairs)).pop()
    assert new_pair.endswith(_dates(full)[5])

    d3 = _dates(full)[2]
    _write_series(ctx.phase_series_file, full, 6, bump_date=2)  # date 3's phase changed
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="minopy"):
        generate_ifgram.run(ctx)
    assert any(m.startswith("generate_ifgram: 3 of 5 pairs were complete and skipped") for m in [
        r.getMessage() for r in caplog.records])
    after = _mtimes(ctx.ifgram_dir)
    redone = {k.split("/")[0] for k in after if after[k] != now[k]}
    assert redone == {p for p in _pair_names(ctx) if d3 in p}
    assert len(redone) == 2
    assert first_problem(generate_ifgram.outputs(ctx)) is None


def _dates(path) -> list[str]:
    import h5py

    with h5py.File(path, "r") as f:
        return [d.decode() for d in f["date"][()]]


def _pair_names(ctx) -> list[str]:
    return sorted(p.name for p in ctx.ifgram_dir.iterdir())


def test_series_digests_do_not_depend_on_the_block_size(tmp_path, stack) -> None:
    from minopy.interferogram.series_digest import series_digests

    ctx = make_ctx(tmp_path)
    whole = series_digests(ctx.phase_series_file)
    assert list(whole) == stack.dates
    assert series_digests(ctx.phase_series_file, read_bytes=1) == whole
    some = series_digests(ctx.phase_series_file, [stack.dates[3], stack.dates[1]], read_bytes=100)
    assert some == {d: whole[d] for d in (stack.dates[3], stack.dates[1])}
    assert len({v["phase"] for v in whole.values()}) == len(stack.dates)
    import hashlib

    import h5py

    with h5py.File(ctx.phase_series_file, "r") as f:  # the documented definition
        amp = f["amplitude"][2].astype("<f4").tobytes()
    assert whole[stack.dates[2]]["amplitude"] == hashlib.blake2b(amp, digest_size=16).hexdigest()
    with pytest.raises(InputDataError, match="20991231"):
        series_digests(ctx.phase_series_file, ["20991231"])
