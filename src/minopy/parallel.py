"""The execution policy of a run, and the one way the parallel steps run their tasks.

:class:`ExecutionPolicy` is made once per run from the ``compute`` options (by the runner, which
logs it once) and handed to the steps in their context. For each batch of independent tasks a
step asks :meth:`ExecutionPolicy.plan` how to run them, in this process (one task after the
other, each using the cores through numba threads) or on dask (a local cluster of worker
processes, or an existing scheduler), and runs them with :func:`run_tasks`, which shows their
progress, returns their results and cancels the rest on the first failure. The rule is in
:meth:`ExecutionPolicy.plan`; :meth:`ExecutionPolicy.workers` is the one worker count.

:func:`get_client` is a context manager yielding a ``distributed.Client``:

- ``minopy.compute.scheduler`` unset: a ``LocalCluster`` of ``workers`` worker *processes*
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

A dask ``LocalCluster`` spawns its workers with ``multiprocessing`` "spawn": start it from an
importable module or under ``if __name__ == "__main__":``, never from code typed on stdin.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from minopy.cluster import ClusterOptions, cluster_options, jobqueue_cluster
from minopy.config.sections import ComputeOptions
from minopy.errors import ConfigError, StepError
from minopy.parallel_env import THREAD_ENV_VARS, limit_threads, numba_threads

log = logging.getLogger(__name__)

#: seconds to wait when connecting to an existing scheduler.
CONNECT_TIMEOUT_S = 20
#: a local run on at most this many cores runs tasks that are parallel inside in-process.
IN_PROCESS_MAX_THREADS = 8
#: execution modes accepted by :meth:`ExecutionPolicy.plan`.
EXECUTION_MODES = ("auto", "inprocess", "dask")
#: dask loggers that are quietened while a cluster runs.
DASK_LOGGERS = ("distributed", "distributed.worker", "distributed.nanny", "distributed.scheduler",
                "distributed.core", "distributed.http.proxy", "bokeh", "tornado")


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
    """How a step runs one batch of tasks (see :meth:`ExecutionPolicy.plan`).

    Attributes
    ----------
    in_process : bool
        True: the tasks run one after the other in this process.
    workers : int
        dask worker processes (1 when in process).
    threads : int
        Threads of each task (in process: of this process).
    reason : str
        Why, for the log.
    parallel_inside : bool
        Whether each task is parallel inside (numba ``prange``): in process, :func:`run_tasks`
        then sets the numba thread count to :attr:`threads` while they run; tasks that are not
        (interferogram pairs) take their thread count as an argument and leave numba alone.
    """

    in_process: bool
    workers: int
    threads: int
    reason: str
    parallel_inside: bool = True

    def describe(self) -> str:
        """``in-process, 2 numba threads (...)`` or ``dask, 4 workers x 1 thread (...)``."""
        if self.in_process:
            return (f"in-process, {self.threads} numba thread{'s' if self.threads > 1 else ''}"
                    f" ({self.reason})")
        return (f"dask, {self.workers} worker{'s' if self.workers > 1 else ''} x {self.threads} "
                f"thread{'s' if self.threads > 1 else ''} ({self.reason})")


@dataclass(frozen=True)
class ExecutionPolicy:
    """Where the tasks of a run may go: this machine, or an existing dask scheduler.

    Attributes
    ----------
    num_processor : int
        ``minopy.multiprocessing.numProcessor``: the workers asked for.
    threads : int
        ``minopy.compute.threadsPerWorker``: numba/BLAS threads per worker, >= 1.
    scheduler : str or None
        ``minopy.compute.scheduler``: address of an existing dask scheduler.
    dashboard : str or None
        ``minopy.compute.dashboard``: address of the local cluster's dashboard.
    """

    num_processor: int = 1
    threads: int = 1
    scheduler: str | None = None
    dashboard: str | None = None
    cluster: ClusterOptions | None = None

    @classmethod
    def from_options(cls, options: ComputeOptions) -> ExecutionPolicy:
        """The policy of the ``compute`` section."""
        spec = cluster_options(options)
        return cls(int(options.num_processor), max(1, int(options.threads_per_worker)),
                   spec.address if spec.kind == "tcp" else None, options.dashboard or None,
                   spec if spec.remote else None)

    @property
    def remote(self) -> bool:
        """Whether the tasks run elsewhere than on this machine: an existing dask scheduler or
        batch jobs (:mod:`minopy.cluster`)."""
        return bool(self.scheduler) or self.cluster is not None

    @property
    def workers(self) -> int:
        """Number of workers: ``numProcessor``, capped at the CPU count for a local cluster;
        ``jobs x processes`` for batch jobs."""
        if self.cluster is not None and self.cluster.workers:
            return self.cluster.workers
        if self.remote:
            return max(1, self.num_processor)
        return max(1, min(self.num_processor, os.cpu_count() or 1))

    @property
    def cores(self) -> int:
        """Cores the run may use: workers x threads (on this machine, at most its CPU count)."""
        k, t = self.workers, self.threads
        return k * t if self.remote else max(1, min(k * t, os.cpu_count() or 1))

    def describe(self) -> str:
        """One line for the log at the start of a run."""
        where = (self.cluster.describe() if self.cluster is not None
                 else f"the dask scheduler {self.scheduler}" if self.remote
                 else f"this machine ({os.cpu_count() or 1} CPU cores)")
        return (f"execution: {where}, {self.workers} worker{'s' if self.workers > 1 else ''} x "
                f"{self.threads} thread{'s' if self.threads > 1 else ''}; tasks that are "
                f"parallel inside run in this process on up to {IN_PROCESS_MAX_THREADS} cores")

    def plan(self, num_tasks: int, parallel_inside: bool, mode: str = "auto") -> Execution:
        """How to run ``num_tasks`` independent tasks.

        Rule (``mode="auto"``), with ``k`` = :attr:`workers`, ``t`` = :attr:`threads` and
        ``cores`` = :attr:`cores`:

        1. A scheduler is set: dask on that cluster, ``t`` threads per task.
        2. Tasks that are **parallel inside** (numba ``prange``, e.g. the phase-linking patches):
           in this process with ``cores`` numba threads when there is one worker or one task,
           when ``cores <= IN_PROCESS_MAX_THREADS`` (8), or when there are fewer than ``2 k``
           tasks. One process then keeps the cores busy without starting ``k`` worker processes
           that each import the package and load the compiled kernels (seconds of CPU each), and
           memory holds one task instead of ``k``. Otherwise a local dask cluster of ``k``
           workers x ``t`` threads, which scales past what one process's serial parts allow.
        3. Tasks that run on **one thread** each (interferogram pairs): in this process, each
           task given ``k`` threads, when there is one worker or one task; otherwise a local
           dask cluster of ``min(k, num_tasks)`` workers x ``t`` threads.

        Parameters
        ----------
        num_tasks : int
            Tasks to run.
        parallel_inside : bool
            Whether each task uses several threads itself (see the rule).
        mode : {"auto", "inprocess", "dask"}
            ``inprocess`` / ``dask`` force the mode (benchmarks, tests).

        Returns
        -------
        Execution
        """
        if mode not in EXECUTION_MODES:
            raise ValueError(f"execution mode {mode!r}; expected one of {EXECUTION_MODES}")
        k, t, cores = self.workers, self.threads, self.cores
        if mode == "inprocess":
            return Execution(True, 1, cores, "requested", parallel_inside)
        if mode == "dask":
            return Execution(False, max(1, min(k, num_tasks)), t, "requested", parallel_inside)
        if self.remote:
            return Execution(False, k, t, "minopy.compute.cluster: " + (
                self.cluster.describe() if self.cluster is not None
                else f"the dask scheduler at {self.scheduler}"), parallel_inside)
        if not parallel_inside:
            pool = max(1, min(k, num_tasks))
            if pool <= 1:
                return Execution(True, 1, k, "one worker" if k <= 1 else "one task", False)
            return Execution(False, pool, t, f"{num_tasks} tasks on {pool} workers", False)
        if k <= 1 or num_tasks <= 1:
            return Execution(True, 1, cores, "one worker" if k <= 1 else "one task")
        if cores <= IN_PROCESS_MAX_THREADS:
            return Execution(True, 1, cores, f"local run on {cores} <= {IN_PROCESS_MAX_THREADS}"
                             " cores: numba threads in one process instead of worker processes")
        if num_tasks < 2 * k:
            return Execution(True, 1, cores, f"{num_tasks} tasks < 2 x {k} workers")
        return Execution(False, k, t, f"local run on {cores} cores with {num_tasks} tasks")


def run_tasks(policy: ExecutionPolicy, execution: Execution, func: Callable[..., Any],
              jobs: Sequence[tuple[str, tuple[Any, ...]]], label: str, log: logging.Logger,
              unit: str, key_prefix: str | None = None) -> dict[str, Any]:
    """Call ``func(*args)`` for every ``(name, args)`` of ``jobs`` as ``execution`` says.

    Tasks receive only small arguments (paths, options); each reads and writes its own files.
    In this process the tasks run one after the other with ``execution.threads`` numba threads
    (restored afterwards); on dask they are submitted to the client of :func:`get_client`. A
    progress bar (:class:`minopy.progress.ProgressBar`) counts the finished tasks. The first
    failure cancels the remaining tasks and is re-raised (a
    :class:`~minopy.errors.MinopyError` keeps its message). The dask key of a task is
    ``<key_prefix>-<name>`` (``key_prefix`` defaults to ``label``).

    Returns
    -------
    dict
        ``{name: result}`` of every job.
    """
    from minopy.progress import ProgressBar

    results: dict[str, Any] = {}
    if not jobs:
        return results
    with ProgressBar(len(jobs), label, log=log, unit=unit) as bar:
        if execution.in_process:
            with numba_threads(execution.threads) if execution.parallel_inside \
                    else nullcontext():
                for name, args in jobs:
                    results[name] = func(*args)
                    bar.update()
            return results
        from distributed import as_completed

        with get_client(policy, workers=execution.workers) as client:
            prefix = key_prefix or label
            futures = {client.submit(func, *args, pure=False, key=f"{prefix}-{name}"): name
                       for name, args in jobs}
            try:
                for future in as_completed(list(futures)):
                    results[futures[future]] = future.result()
                    bar.update()
            except BaseException:
                client.cancel(list(futures))
                raise
    return results


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
def get_client(policy: ExecutionPolicy, workers: int | None = None) -> Iterator[Any]:
    """Yield a dask ``Client``: local worker processes, or an existing scheduler.

    Parameters
    ----------
    policy : ExecutionPolicy
        Workers, threads per worker, scheduler and dashboard.
    workers : int, optional
        Number of local worker processes; default :attr:`ExecutionPolicy.workers`.

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

    threads = policy.threads
    env = thread_env(threads)
    address = policy.scheduler
    with _quiet_dask_logs(), dask.config.set({"distributed.nanny.pre-spawn-environ": env,
                                               "distributed.nanny.environ": env}):
        if policy.cluster is not None and policy.cluster.workers:
            # slurm / pbs / sge / lsf: the run's jobs, kept for its later steps
            client = Client(jobqueue_cluster(policy.cluster))
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

        k = policy.workers if workers is None else max(1, int(workers))
        dashboard = policy.dashboard
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
