"""A real dask scheduler and two workers on 127.0.0.1: phase linking, generate_ifgram and the
inversion through ``minopy.compute.cluster = tcp://...`` give the bytes of a local run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "steps"))
import _timeseries_synth as synth  # noqa: E402
from _slc_builders import build_case  # noqa: E402

from minopy.io.isce import read_raster  # noqa: E402
from minopy.parallel_env import THREAD_ENV_VARS  # noqa: E402
from minopy.steps import (  # noqa: E402
    concatenate_patch,
    generate_ifgram,
    ifgram_correction,
    invert_network,
    load_ifgram,
    phase_linking,
)

SRC = Path(__file__).resolve().parents[1] / "src"
#: starts 3 processes that import dask and minopy, and runs 6 steps twice (~100 s on 2 busy cores)
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory):
    from distributed import Client

    logs = tmp_path_factory.mktemp("dask_logs")
    address = f"tcp://127.0.0.1:{_free_port()}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])])}
    env.update({name: "1" for name in THREAD_ENV_VARS})
    commands = {"scheduler": ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
                              address.rsplit(":", 1)[1], "--no-dashboard"]}
    for i in range(2):
        commands[f"worker{i}"] = ["distributed.cli.dask_worker", address, "--nthreads", "1",
                                  "--host", "127.0.0.1", "--no-dashboard", "--name", f"worker{i}"]
    procs = []
    try:
        for name, args in commands.items():
            with open(logs / f"{name}.log", "w") as out:
                procs.append(subprocess.Popen([sys.executable, "-m", *args], env=env,
                                              stdout=out, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 120
        while True:
            try:
                with Client(address, timeout=5) as client:
                    if len(client.scheduler_info()["workers"]) == 2:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the dask scheduler and workers did not start: "
                                   + (logs / "worker0.log").read_text()[-2000:])
            time.sleep(1)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def _phase_series(ctx) -> dict[str, np.ndarray]:
    phase_linking.run(ctx)
    concatenate_patch.run(ctx)
    with h5py.File(ctx.phase_series_file, "r") as f:
        return {name: f[name][()] for name in ("phase", "amplitude", "temporalCoherence", "shp")}


def test_phase_linking_and_interferograms_through_tcp(scheduler: str, tmp_path: Path,
                                                      caplog) -> None:
    options = {"interferograms__type": "sequential", "interferograms__numSequential": 2}
    local = build_case(tmp_path / "local", **options)
    remote = build_case(tmp_path / "remote", compute__cluster=scheduler, **options)
    expected = _phase_series(local)
    with caplog.at_level("INFO", logger="minopy"):
        got = _phase_series(remote)
    assert f"the dask scheduler at {scheduler}" in caplog.text
    for name, value in expected.items():
        np.testing.assert_array_equal(got[name], value, err_msg=name)
    generate_ifgram.run(local)
    generate_ifgram.run(remote)
    pairs = sorted(p.name for p in local.ifgram_dir.iterdir() if p.is_dir())
    assert len(pairs) == 9
    for pair in pairs:
        for name in ("fine.int", "filt_fine.cor"):
            np.testing.assert_array_equal(read_raster(remote.ifgram_dir / pair / name),
                                          read_raster(local.ifgram_dir / pair / name))


def test_inversion_through_tcp(scheduler: str, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(invert_network, "BLOCK_BYTES", 4 * 10 * synth.WIDTH * 6)  # 4 blocks
    results = []
    for name, extra in (("local", {}), ("remote", {"minopy.compute.cluster": scheduler})):
        s = synth.build(tmp_path / name, {"minopy.timeseries.calcCov": "yes", **extra},
                        coherence=0.7)
        for step in (load_ifgram, ifgram_correction, invert_network):
            step.run(s.ctx)
        with h5py.File(s.ctx.network_dir / "timeseries.h5", "r") as f, \
                h5py.File(s.ctx.network_dir / "timeseriesDecorCov.h5", "r") as g:
            results.append((f["timeseries"][()], g["timeseries"][()]))
    (ts_a, cov_a), (ts_b, cov_b) = results
    assert np.count_nonzero(ts_a) > 0
    np.testing.assert_array_equal(ts_b, ts_a)
    np.testing.assert_array_equal(cov_b, cov_a)
