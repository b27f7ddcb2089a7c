"""invert_network block by block: dask workers give the in-process bytes; a killed run resumes."""

from __future__ import annotations

import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import _timeseries_synth as synth  # noqa: E402

from minopy.steps import ifgram_correction, inversion_blocks, invert_network, load_ifgram  # noqa: E402

OUTPUTS = {"timeseries.h5": "timeseries", "numInvIfgram.h5": "mask", "maskTempCoh.h5": "mask",
           "temporalCoherence.h5": "temporalCoherence", "timeseriesDecorCov.h5": "timeseries"}


def _prepared(tmp: Path, workers: int) -> synth.Synth:
    s = synth.build(tmp, {"minopy.timeseries.calcCov": "yes",
                          "minopy.multiprocessing.numProcessor": str(workers)}, coherence=0.7)
    load_ifgram.run(s.ctx)
    ifgram_correction.run(s.ctx)
    return s


def _products(net: Path) -> dict[str, np.ndarray]:
    out = {}
    for name, ds in OUTPUTS.items():
        with h5py.File(net / name, "r") as f:
            out[name] = f[ds][()]
    return out


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    # 5 rows per block on the 24-row stack: 5 blocks
    monkeypatch.setattr(invert_network, "BLOCK_BYTES", 4 * 10 * synth.WIDTH * 5)


def test_dask_blocks_are_bit_identical_to_in_process(tmp_path: Path, small_blocks) -> None:
    local = _prepared(tmp_path / "one", workers=1)
    invert_network.run(local.ctx)
    on_dask = _prepared(tmp_path / "two", workers=2)  # a dask LocalCluster of 2 workers
    invert_network.run(on_dask.ctx)
    a, b = _products(local.ctx.network_dir), _products(on_dask.ctx.network_dir)
    for name in OUTPUTS:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert np.count_nonzero(a["timeseries.h5"]) > 0
    assert not (on_dask.ctx.network_dir / inversion_blocks.BLOCKS_DIR).exists()


def test_killed_inversion_resumes_from_its_blocks(tmp_path: Path, small_blocks,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    reference = _prepared(tmp_path / "ref", workers=1)
    invert_network.run(reference.ctx)
    expected = _products(reference.ctx.network_dir)

    s = _prepared(tmp_path / "killed", workers=1)
    real = invert_network.invert_block_task
    calls: list[int] = []

    def dies_on_the_third(task):
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")
        calls.append(task.y0)
        return real(task)

    monkeypatch.setattr(invert_network, "invert_block_task", dies_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        invert_network.run(s.ctx)
    blocks = sorted((s.ctx.network_dir / inversion_blocks.BLOCKS_DIR).glob("block_*.npz"))
    assert len(blocks) == 2 and not (s.ctx.network_dir / "timeseries.h5").exists()
    stamps = {p.name: p.stat().st_mtime_ns for p in blocks}

    resumed: list[int] = []

    def counting(task):
        resumed.append(task.y0)
        assert Path(task.out_file).name not in stamps  # finished blocks are not recomputed
        return real(task)

    monkeypatch.setattr(invert_network, "invert_block_task", counting)
    invert_network.run(s.ctx)
    assert sorted(resumed) == [10, 15, 20]
    got = _products(s.ctx.network_dir)
    for name in OUTPUTS:
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)


def test_a_block_of_other_options_is_recomputed(tmp_path: Path, small_blocks) -> None:
    s = _prepared(tmp_path / "a", workers=1)
    stale = inversion_blocks.block_path(s.ctx.network_dir, 0, 5)
    stale.parent.mkdir(parents=True)
    np.savez(stale, fingerprint=np.array("old"))
    invert_network.run(s.ctx)
    assert not stale.parent.exists()
    with h5py.File(s.ctx.network_dir / "timeseries.h5", "r") as f:
        assert np.count_nonzero(f["timeseries"][:, :5]) > 0
