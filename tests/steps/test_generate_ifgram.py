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
