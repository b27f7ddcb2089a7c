"""``minopy.compute.cluster = slurm`` end to end with stand-in ``sbatch``/``scancel`` commands that
run the job script dask-jobqueue submits as a local process: the jobs start, their workers join
the run's scheduler, the inversion runs on them, and closing the cluster cancels the jobs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "steps"))
import _timeseries_synth as synth  # noqa: E402

from minopy import cluster  # noqa: E402
from minopy.steps import ifgram_correction, invert_network, load_ifgram  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src"

SBATCH = """#!/usr/bin/env bash
# stand-in for sbatch: keep the script (dask-jobqueue deletes it) and run it as a local job
mkdir -p "{jobs}"
cp "$1" "{jobs}/job$$.sh"
setsid bash "{jobs}/job$$.sh" > "{jobs}/job$$.log" 2>&1 < /dev/null &
echo "Submitted batch job $!"
"""
SCANCEL = """#!/usr/bin/env bash
# stand-in for scancel: end the job's process group
kill -TERM -- -"$1" 2>/dev/null || true
echo "$1" >> "{jobs}/cancelled"
"""


@pytest.fixture
def fake_slurm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir, jobs = tmp_path / "bin", tmp_path / "jobs"
    bin_dir.mkdir()
    for name, text in (("sbatch", SBATCH), ("scancel", SCANCEL)):
        (bin_dir / name).write_text(text.format(jobs=jobs))
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])]))
    yield jobs
    cluster.close_clusters()


def test_inversion_on_slurm_jobs(fake_slurm: Path, tmp_path: Path) -> None:
    local = synth.build(tmp_path / "local", {"minopy.timeseries.calcCov": "yes"}, coherence=0.7)
    remote = synth.build(tmp_path / "slurm", {
        "minopy.timeseries.calcCov": "yes", "minopy.compute.cluster": "slurm",
        "minopy.compute.cores": "1", "minopy.compute.memory": "2GB", "minopy.compute.jobs": "2",
        "minopy.compute.walltime": "00:10:00", "minopy.compute.queue": "normal"}, coherence=0.7)
    results = []
    for s in (local, remote):
        for step in (load_ifgram, ifgram_correction, invert_network):
            step.run(s.ctx)
        with h5py.File(s.ctx.network_dir / "timeseries.h5", "r") as f, \
                h5py.File(s.ctx.network_dir / "timeseriesDecorCov.h5", "r") as g:
            results.append((f["timeseries"][()], g["timeseries"][()]))
    np.testing.assert_array_equal(results[1][0], results[0][0])
    np.testing.assert_array_equal(results[1][1], results[0][1])
    scripts = sorted(fake_slurm.glob("job*.sh"))
    assert len(scripts) == 2
    text = scripts[0].read_text()
    assert "#SBATCH -p normal" in text and "#SBATCH -t 00:10:00" in text
    assert "distributed.cli.dask_worker" in text
    assert (remote.ctx.work_dir / "dask_jobs").is_dir()
    cluster.close_clusters()
    assert len((fake_slurm / "cancelled").read_text().split()) == 2
