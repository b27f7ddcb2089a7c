"""The dask execution layer: local cluster, thread limits, existing scheduler, errors."""

from __future__ import annotations

import os

import pytest

from minopy import parallel
from minopy.config import load_config
from minopy.errors import ConfigError, StepError


def config(**overrides: str) -> parallel.ExecutionPolicy:
    """The execution policy of the ``compute`` options given as ``section__key="value"``."""
    cfg = load_config(overrides={f"minopy.{k.replace('__', '.')}": v
                                 for k, v in overrides.items()})
    return parallel.ExecutionPolicy.from_options(cfg.compute)


def _worker_threads() -> tuple[str | None, str | None, int, int]:
    """Runs in a task: report the worker's thread settings before and after the task limit."""
    import numba

    pool = int(numba.config.NUMBA_NUM_THREADS)  # sized from the environment at numba import
    parallel.limit_task_threads(2)
    return (os.environ.get("OMP_NUM_THREADS"), os.environ.get("OPENBLAS_NUM_THREADS"), pool,
            numba.get_num_threads())


def test_worker_count_is_capped_for_local_clusters():
    cpus = os.cpu_count() or 1
    assert config(multiprocessing__numProcessor="1000").workers == cpus
    remote = config(multiprocessing__numProcessor="64", compute__scheduler="tcp://h:8786")
    assert remote.workers == 64 and remote.remote
    one = config(multiprocessing__numProcessor="1")
    assert one.plan(10, parallel_inside=False).in_process
    assert not remote.plan(10, parallel_inside=False).in_process
    assert "64 workers x 1 thread" in remote.describe()
    assert parallel.thread_env(2)["OMP_NUM_THREADS"] == "2"


def test_execution_rule(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 32)
    one = config(multiprocessing__numProcessor="1").plan(50, True)
    assert one.in_process and one.threads == 1
    small = config(multiprocessing__numProcessor="4").plan(50, True)
    assert small.in_process and small.threads == 4 and "4 <= 8 cores" in small.describe()
    hybrid = config(multiprocessing__numProcessor="8", compute__threadsPerWorker="2")
    assert hybrid.plan(3, True).in_process  # few patches: threads in one process
    assert hybrid.plan(3, True).threads == 16
    many = hybrid.plan(40, True)
    assert (many.in_process, many.workers, many.threads) == (False, 8, 2)
    assert many.describe().startswith("dask, 8 workers x 2 threads")
    remote = config(multiprocessing__numProcessor="2", compute__scheduler="tcp://h:8786")
    assert not remote.plan(1, True).in_process
    forced = config(multiprocessing__numProcessor="4").plan(2, True, "dask")
    assert (forced.in_process, forced.workers) == (False, 2)
    assert hybrid.plan(40, True, "inprocess").threads == 16
    with pytest.raises(ValueError, match="execution mode"):
        hybrid.plan(4, True, "threads")


def test_pair_tasks_use_one_process_per_worker(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 32)
    policy = config(multiprocessing__numProcessor="4", compute__threadsPerWorker="2")
    pairs = policy.plan(10, parallel_inside=False)
    assert (pairs.in_process, pairs.workers, pairs.threads) == (False, 4, 2)
    assert not pairs.parallel_inside
    single = policy.plan(1, parallel_inside=False)
    assert single.in_process and single.threads == 4  # the one task gets every worker's share


def test_run_tasks_in_process_keeps_job_names():
    policy = config(multiprocessing__numProcessor="1")
    how = policy.plan(3, parallel_inside=True)
    import logging

    out = parallel.run_tasks(policy, how, pow, [("a", (2, 3)), ("b", (3, 2))], "test",
                             logging.getLogger("test"), "task")
    assert out == {"a": 8, "b": 9}


def test_numba_threads_context_restores_the_count():
    import numba

    from minopy.parallel_env import numba_threads

    before = numba.get_num_threads()
    with numba_threads(1000) as n:
        assert n == numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS
    with numba_threads(1) as n:
        assert n == numba.get_num_threads() == 1
    assert numba.get_num_threads() == before


def test_local_cluster_sets_thread_limits_and_shuts_down():
    before = os.environ.get("OMP_NUM_THREADS")
    cfg = config(multiprocessing__numProcessor="2", compute__threadsPerWorker="2")
    with parallel.get_client(cfg, workers=2) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        seen = client.gather([client.submit(_worker_threads, pure=False) for _ in range(2)])
        cluster = client.cluster
    assert all(s == ("2", "2", 2, 2) for s in seen)
    assert client.status == "closed" and cluster.status.name == "closed"
    assert os.environ.get("OMP_NUM_THREADS") == before


def test_existing_scheduler_is_used_and_left_running():
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        cfg = config(compute__scheduler=cluster.scheduler_address)
        with parallel.get_client(cfg) as client:
            assert client.submit(sum, [1, 2, 3]).result() == 6
        assert cluster.status.name == "running"


def test_bad_or_unreachable_scheduler(monkeypatch):
    with pytest.raises(ConfigError, match="not a dask scheduler address"), \
            parallel.get_client(config(compute__scheduler="nohost")):
        pass
    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT_S", 1)
    with pytest.raises(StepError, match="cannot connect to the dask scheduler.*127.0.0.1:9"), \
            parallel.get_client(config(compute__scheduler="tcp://127.0.0.1:9")):
        pass


def test_local_cluster_has_no_dashboard_and_never_competes_for_port_8787():
    import socket
    import warnings

    holder = socket.socket()
    try:
        holder.bind(("0.0.0.0", 8787))  # another run's dashboard; already taken is fine too
        holder.listen()
    except OSError:
        pass
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with parallel.get_client(config(multiprocessing__numProcessor="1"),
                                     workers=1) as client:
                assert client.submit(sum, [1, 2]).result() == 3
                http = client.cluster.scheduler.http_server
                assert http.port != 8787 and http.address == "127.0.0.1"
    finally:
        holder.close()
    assert not [w for w in caught if "already in use" in str(w.message)]
    assert parallel.scheduler_http(":8790") == {}
