"""Dask execution layer: a local cluster of worker processes, or an existing remote scheduler.

:func:`get_client` is a context manager yielding a ``distributed.Client``:

- ``minopy.compute.scheduler`` unset: a ``LocalCluster`` with ``num_workers`` worker *processes*
  (``minopy.multiprocessing.numProcessor`` capped at the CPU count), each running one task at a
  time; each task may use ``minopy.compute.threadsPerWorker`` numba/BLAS/OpenMP threads, so the
  cores are never oversubscribed (workers x threads). The thread limits are set in the workers'
  environment before they start (so BLAS reads them when numpy is imported) and again in each task
  with :func:`limit_task_threads` (numba's ``set_num_threads`` is per thread). The dashboard is off
  unless ``minopy.compute.dashboard`` gives its address; the scheduler's HTTP server (which dask
  starts anyway, on port 8787 by default, warning "Port 8787 is already in use" when two runs share
  a machine) then listens on a free port of 127.0.0.1. The workers log nothing to the console and
  dask's records in this process go to the log file only, so a failed task is reported once, by
  its exception. The cluster is shut down on exit, also on error.
- ``minopy.compute.scheduler = tcp://host:8786``: connects to that scheduler; the cluster is left
  running on exit. Tasks receive file paths, not arrays, and the workers read and write the files
  themselves, so **the work directory must be on a filesystem shared by all workers** (same
  absolute path on every machine). Start the workers with ``--nthreads 1`` and
  ``OMP_NUM_THREADS``/``NUMBA_NUM_THREADS`` set to ``threadsPerWorker``, e.g.
  ``OMP_NUM_THREADS=1 dask worker tcp://host:8786 --nworkers 16 --nthreads 1``.
- ``minopy.compute.cluster = slurm | pbs | sge | lsf``: the run's dask-jobqueue cluster
  (:func:`minopy.cluster.jobqueue_cluster`: scheduler in this process, batch jobs of workers,
  kept for the run's later steps). ``minopy.compute.cluster = tcp://...`` is the same as
  ``minopy.compute.scheduler``; :func:`minopy.cluster.cluster_options` reads both.

:func:`choose_execution` decides, for a step with a number of independent tasks, whether they run
in this process (one process, numba's own threads inside each task) or on dask; the rule is in its
docstring. A dask ``LocalCluster`` spawns its workers with ``multiprocessing`` "spawn": start it
from an importable module or under ``if __name__ == "__main__":``, never from code typed on stdin.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from minopy.cluster import cluster_options, jobqueue_cluster
from minopy.errors import ConfigError, StepError
from minopy.parallel_env import THREAD_ENV_VARS, limit_threads

log = logging.getLogger(__name__)

#: seconds to wait when connecting to an existing scheduler.
CONNECT_TIMEOUT_S = 20
#: dask loggers that are quietened while a cluster runs.
#: a local run on at most this many cores runs its tasks in-process with numba threads.
IN_PROCESS_MAX_THREADS = 8
#: execution modes accepted by :func:`choose_execution`.
EXECUTION_MODES = ("auto", "inprocess", "dask")
DASK_LOGGERS = ("distributed", "distributed.worker", "distributed.nanny", "distributed.scheduler",
                "distributed.core", "distributed.http.proxy", "bokeh", "tornado")


def num_workers(config: Mapping[str, Any]) -> int:
    """Number of workers: ``numProcessor``, capped at the CPU count for a local cluster.

    Parameters
    ----------
    config : Config
        Options; reads ``minopy.multiprocessing.numProcessor`` and ``minopy.compute.scheduler``.

    Returns
    -------
    int
        At least 1.
    """
    requested = int(config["minopy.multiprocessing.numProcessor"])
    spec = cluster_options(config)
    if spec.workers:  # batch jobs: jobs x processes per job
        return spec.workers
    if spec.remote:
        return max(1, requested)
    return max(1, min(requested, os.cpu_count() or 1))


def threads_per_worker(config: Mapping[str, Any]) -> int:
    """numba/BLAS threads per worker (``minopy.compute.threadsPerWorker``, >= 1)."""
    return max(1, int(config["minopy.compute.threadsPerWorker"]))


def use_in_process(config: Mapping[str, Any], workers: int | None = None) -> bool:
    """Whether work should run in this process without dask (local run with one worker)."""
    k = num_workers(config) if workers is None else workers
    return not cluster_options(config).remote and k <= 1


def thread_env(threads: int) -> dict[str, str]:
    """Environment variables that cap the numeric-library threads at ``threads``."""
    return {name: str(int(threads)) for name in THREAD_ENV_VARS}


def limit_task_threads(threads: int) -> None:
    """Apply the thread limit inside a running task (numba's limit is per calling thread).

    Parameters
    ----------
    threads : int
        numba/BLAS/OpenMP threads allowed to the task, >= 1.
    """
    limit_threads(threads)


@dataclass(frozen=True)
class Execution:
    """How a step runs its tasks (see :func:`choose_execution`).

    Attributes
    ----------
    in_process : bool
        True: the tasks run one after the other in this process.
    workers : int
        dask worker processes (1 when in process).
    threads : int
        numba threads of each task (in process: of this process).
    reason : str
        Why, for the log.
    """

    in_process: bool
    workers: int
    threads: int
    reason: str

    def describe(self) -> str:
        """``in-process, 2 numba threads (...)`` or ``dask, 4 workers x 1 thread (...)``."""
        if self.in_process:
            return (f"in-process, {self.threads} numba thread{'s' if self.threads > 1 else ''}"
                    f" ({self.reason})")
        return (f"dask, {self.workers} worker{'s' if self.workers > 1 else ''} x {self.threads} "
                f"thread{'s' if self.threads > 1 else ''} ({self.reason})")


def choose_execution(config: Mapping[str, Any], num_tasks: int, mode: str = "auto"
                     ) -> Execution:
    """Choose between running ``num_tasks`` independent tasks in-process or on dask.

    Rule (``mode="auto"``), with ``k`` = :func:`num_workers`, ``t`` = :func:`threads_per_worker`
    and ``cores`` = ``min(k * t, CPU count)``:

    1. ``minopy.compute.scheduler`` set: dask on that cluster (``t`` threads per task).
    2. Local and ``cores <= IN_PROCESS_MAX_THREADS`` (8), or fewer than ``2 k`` tasks, or one
       worker: **in-process** with ``cores`` numba threads. Each task is parallel inside (numba
       ``prange``), so one process keeps the cores busy without starting ``k`` worker processes
       that each import the package and load the compiled kernels (seconds of CPU each), and
       memory holds one task instead of ``k``.
    3. Otherwise (many cores and many tasks): a local dask cluster of ``k`` workers x ``t``
       threads, which scales past what one process's serial parts (I/O, sorting) allow.

    Parameters
    ----------
    config : Config
        Options ``numProcessor``, ``threadsPerWorker``, ``scheduler``.
    num_tasks : int
        Tasks to run.
    mode : {"auto", "inprocess", "dask"}
        ``inprocess`` / ``dask`` force the mode (benchmarks, tests).

    Returns
    -------
    Execution
    """
    if mode not in EXECUTION_MODES:
        raise ValueError(f"execution mode {mode!r}; expected one of {EXECUTION_MODES}")
    k, t = num_workers(config), threads_per_worker(config)
    remote = cluster_options(config).remote
    cores = k * t if remote else max(1, min(k * t, os.cpu_count() or 1))
    if mode == "inprocess":
        return Execution(True, 1, cores, "requested")
    if mode == "dask":
        return Execution(False, max(1, min(k, num_tasks)), t, "requested")
    if remote:
        return Execution(False, k, t,
                         f"minopy.compute.cluster: {cluster_options(config).describe()}")
    if k <= 1 or num_tasks <= 1:
        return Execution(True, 1, cores, "one worker" if k <= 1 else "one task")
    if cores <= IN_PROCESS_MAX_THREADS:
        return Execution(True, 1, cores, f"local run on {cores} <= {IN_PROCESS_MAX_THREADS} "
                         "cores: numba threads in one process instead of worker processes")
    if num_tasks < 2 * k:
        return Execution(True, 1, cores, f"{num_tasks} tasks < 2 x {k} workers")
    return Execution(False, k, t, f"local run on {cores} cores with {num_tasks} tasks")


class _ToLogFile(logging.Handler):
    """Hands dask's records to minopy's log file only (never the console)."""

    def emit(self, record: logging.LogRecord) -> None:
        record.console = False
        logging.getLogger("minopy.dask").handle(record)


@contextmanager
def _quiet_dask_logs(level: int = logging.WARNING) -> Iterator[None]:
    """Send dask's log records of ``level`` and above in this process to the log file only.

    A failing task is reported once, by the exception the client re-raises; dask's own error
    records (e.g. "Couldn't gather keys", with tracebacks) would otherwise fill the console.
    """
    handler = _ToLogFile(level)
    saved = {}
    for name in DASK_LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = (logger.level, logger.propagate, list(logger.handlers))
        logger.setLevel(level)
        logger.propagate = False
        logger.handlers = [handler]
    try:
        yield
    finally:
        for name, (lvl, propagate, handlers) in saved.items():
            logger = logging.getLogger(name)
            logger.setLevel(lvl)
            logger.propagate = propagate
            logger.handlers = handlers


@contextmanager
def _env_for_spawn(env: dict[str, str]) -> Iterator[None]:
    """Set ``env`` in this process while workers are spawned, then restore the old values."""
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _check_scheduler(address: str) -> None:
    """Raise ConfigError unless ``address`` looks like a dask scheduler address."""
    if "://" not in address and ":" not in address:
        raise ConfigError(
            f"minopy.compute.scheduler = {address!r} is not a dask scheduler address; expected "
            "e.g. tcp://host:8786 (or none for a local cluster)")


def scheduler_http(dashboard: str | None) -> dict[str, Any]:
    """Scheduler options for the local cluster: no dashboard, HTTP server on a free local port.

    Returns ``{}`` when a dashboard address is given (dask's own handling of it).
    """
    if dashboard:
        return {}
    return {"dashboard": False, "dashboard_address": "127.0.0.1:0"}


@contextmanager
def get_client(config: Mapping[str, Any], workers: int | None = None,
               work_dir: Any = None) -> Iterator[Any]:
    """Yield a dask ``Client``: local worker processes, or an existing scheduler.

    Parameters
    ----------
    config : Config
        Options: ``minopy.multiprocessing.numProcessor``, ``minopy.compute.threadsPerWorker``,
        ``minopy.compute.scheduler``, ``minopy.compute.dashboard``.
    workers : int, optional
        Number of local worker processes; default :func:`num_workers` of ``config``.
    work_dir : path, optional
        Work directory: batch jobs (``minopy.compute.cluster`` slurm/pbs/sge/lsf,
        :mod:`minopy.cluster`) write their logs to ``<work_dir>/dask_jobs``.

    Yields
    ------
    distributed.Client
        Connected client. Submitted tasks should call :func:`limit_task_threads` first.

    Raises
    ------
    ConfigError
        If the scheduler address is malformed.
    StepError
        If the scheduler cannot be reached or the local cluster fails to start.
    """
    import dask
    from distributed import Client, LocalCluster

    threads = threads_per_worker(config)
    env = thread_env(threads)
    spec = cluster_options(config)
    address = spec.address
    with _quiet_dask_logs(), dask.config.set({"distributed.nanny.pre-spawn-environ": env,
                                               "distributed.nanny.environ": env}):
        if spec.workers:  # slurm / pbs / sge / lsf: the run's jobs, kept for its later steps
            client = Client(jobqueue_cluster(spec, work_dir))
            try:
                yield client
            finally:
                client.close()
            return
        if address:
            _check_scheduler(address)
            try:
                client = Client(address, timeout=CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError) as exc:
                raise StepError(
                    f"cannot connect to the dask scheduler minopy.compute.scheduler = {address!r}"
                    f" within {CONNECT_TIMEOUT_S} s: {exc}; start it (dask scheduler) or set the "
                    "option to none for a local cluster") from exc
            log.info("using the dask cluster at %s (%d workers)", address,
                     len(client.scheduler_info().get("workers", {})))
            try:
                yield client
            finally:
                client.close()
            return

        k = num_workers(config) if workers is None else max(1, int(workers))
        dashboard = config.get("minopy.compute.dashboard")
        with _env_for_spawn(env):
            try:
                # the workers' own log records (a failed task's traceback) are not printed:
                # the client re-raises the task's exception, which the runner reports
                cluster = LocalCluster(n_workers=k, threads_per_worker=1, processes=True,
                                       dashboard_address=dashboard, silence_logs=logging.CRITICAL,
                                       env=env, scheduler_kwargs=scheduler_http(dashboard))
            except Exception as exc:  # noqa: BLE001 - reported to the user with the cause
                raise StepError(f"could not start a local dask cluster with {k} workers: {exc}"
                                ) from exc
        log.info("started a local dask cluster: %d workers x %d threads", k, threads)
        if dashboard:
            log.info("dask dashboard: %s", cluster.dashboard_link)
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()
