"""Where the dask workers run: this machine, an HPC scheduler (dask-jobqueue), or a running
dask scheduler.

``minopy.compute.cluster``:

- ``local`` (default): a ``LocalCluster`` of this machine (or no dask at all, see
  :func:`minopy.parallel.choose_execution`).
- ``slurm`` | ``pbs`` | ``sge`` | ``lsf``: dask-jobqueue starts a scheduler in this process and
  submits ``minopy.compute.jobs`` batch jobs (``sbatch``/``qsub``/``bsub``), each running
  ``cores // threadsPerWorker`` single-threaded dask worker processes that share the job's
  ``memory`` (every worker's memory limit is ``memory / processes``; dask spills to
  ``localDirectory`` at 60 % of it, pauses at 80 % and restarts a worker at 95 %). Each worker task
  may use ``threadsPerWorker`` numba/BLAS threads. Job header lines come from ``queue``,
  ``account``, ``walltime`` and ``jobDirectives``; ``setupCommands`` (``;``-separated shell lines,
  e.g. ``module load anaconda; conda activate minopy``) run before the worker starts.
- ``tcp://host:port``: a dask scheduler started by hand (``dask scheduler``), as the older
  ``minopy.compute.scheduler``.

Tasks receive file paths and read/write the work directory themselves, so with any cluster but
``local`` **the work directory must be on a file system that every job sees at the same path**.

:func:`cluster_options` reads the options (the one place), :func:`jobqueue_cluster` builds the
dask-jobqueue cluster, :func:`worker_job_script` / :func:`driver_job_script` write the batch
scripts without starting anything (``minopyApp.py --jobfiles``).
"""

from __future__ import annotations

import atexit
import logging
import shlex
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from minopy.errors import ConfigError

log = logging.getLogger(__name__)

#: batch schedulers supported through dask-jobqueue: kind -> (cluster class, job class).
JOBQUEUE_KINDS: dict[str, tuple[str, str]] = {
    "slurm": ("SLURMCluster", "SLURMJob"),
    "pbs": ("PBSCluster", "PBSJob"),
    "sge": ("SGECluster", "SGEJob"),
    "lsf": ("LSFCluster", "LSFJob"),
}
#: the submit command of each kind, for messages and the generated script's comment.
SUBMIT = {"slurm": "sbatch", "pbs": "qsub", "sge": "qsub", "lsf": "bsub <"}
#: cores and memory of the driver job written by ``--jobfiles`` (the run's own process, which
#: starts the dask scheduler, reads the small inputs and merges results; the workers do the rest).
DRIVER_CORES = 2
DRIVER_MEMORY = "8GB"
#: seconds the driver waits for the first worker job to start before it logs a note.
FIRST_WORKER_NOTE_S = 60


@dataclass(frozen=True)
class ClusterOptions:
    """The ``minopy.compute.*`` options of the cluster (see the module docstring).

    Attributes
    ----------
    kind : {"local", "slurm", "pbs", "sge", "lsf", "tcp"}
    address : str or None
        ``tcp://host:port`` for ``tcp``.
    queue, account : str or None
    walltime : str
        Per worker job, ``HH:MM:SS``.
    cores : int
        Cores of one worker job.
    memory : str
        Memory of one worker job, e.g. ``16GB``.
    jobs : int
        Worker jobs submitted.
    threads : int
        numba/BLAS threads per worker process (``threadsPerWorker``).
    job_directives : tuple of str
        Extra header lines (without the ``#SBATCH``/``#PBS`` prefix).
    setup_commands : tuple of str
        Shell lines run before the worker (or the driver) starts.
    local_directory : str or None
        Node-local scratch for the workers' spill files.
    log_directory : str or None
        Where the jobs write their output (``<work_dir>/dask_jobs``, set by the step context).
    """

    kind: str = "local"
    address: str | None = None
    queue: str | None = None
    account: str | None = None
    walltime: str = "02:00:00"
    cores: int = 4
    memory: str = "16GB"
    jobs: int = 2
    threads: int = 1
    job_directives: tuple[str, ...] = ()
    setup_commands: tuple[str, ...] = ()
    local_directory: str | None = None
    log_directory: str | None = None

    @property
    def remote(self) -> bool:
        """Whether the workers run elsewhere than in a local cluster (shared file system)."""
        return self.kind != "local"

    @property
    def processes(self) -> int:
        """Worker processes per job: ``cores // threads`` (at least 1)."""
        return max(1, self.cores // max(1, self.threads))

    @property
    def workers(self) -> int:
        """Worker processes in all: ``jobs x processes`` (``tcp``: unknown, 0)."""
        return self.jobs * self.processes if self.kind in JOBQUEUE_KINDS else 0

    def describe(self) -> str:
        if self.kind == "tcp":
            return f"the dask scheduler at {self.address}"
        if self.kind == "local":
            return "a local cluster"
        return (f"{self.kind} ({self.jobs} job{'s' if self.jobs > 1 else ''} x {self.cores} "
                f"cores, {self.memory}, {self.walltime}"
                + (f", queue {self.queue}" if self.queue else "") + ")")


def _split(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip() for part in str(value).split(";") if part.strip())


#: template key -> field of the ``compute`` section (``config.sections.ComputeOptions``).
_FIELDS = {
    "minopy.compute.cluster": "cluster", "minopy.compute.scheduler": "scheduler",
    "minopy.compute.queue": "queue", "minopy.compute.account": "account",
    "minopy.compute.walltime": "walltime", "minopy.compute.cores": "cores",
    "minopy.compute.memory": "memory", "minopy.compute.jobs": "jobs",
    "minopy.compute.jobDirectives": "job_directives",
    "minopy.compute.setupCommands": "setup_commands",
    "minopy.compute.localDirectory": "local_directory",
    "minopy.compute.threadsPerWorker": "threads_per_worker",
}


def _get(config: Any, key: str, default: Any = None) -> Any:
    """A compute option from a ``Config`` (``config.compute``), its ``compute`` section, or a
    mapping of template keys (tests, scripts)."""
    section = getattr(config, "compute", None)
    if section is None and hasattr(config, "threads_per_worker"):
        section = config
    if section is not None:
        value = getattr(section, _FIELDS[key], None)
    else:
        try:
            value = config[key]
        except KeyError:
            value = None
    return default if value is None else value


def cluster_options(config: Any) -> ClusterOptions:
    """The cluster options of a configuration (the only place they are read).

    ``minopy.compute.scheduler = tcp://...`` (the older key) means ``cluster = tcp://...``.

    Raises
    ------
    ConfigError
        Naming the key, the value and what is allowed.
    """
    raw = str(_get(config, "minopy.compute.cluster", "local")).strip()
    key = "minopy.compute.cluster"
    old = _get(config, "minopy.compute.scheduler")
    if raw.lower() in ("", "auto", "local", "none", "no") and old:
        raw, key = str(old).strip(), "minopy.compute.scheduler"
    kind = raw.lower()
    address = None
    if "://" in raw or (":" in raw and kind not in JOBQUEUE_KINDS) \
            or key == "minopy.compute.scheduler":
        address = raw if "://" in raw else f"tcp://{raw}"
        protocol, host_port = address.split("://", 1)
        if protocol in ("tcp", "tls") and (":" not in host_port
                                           or not host_port.rsplit(":", 1)[1].isdigit()):
            raise ConfigError(f"{key} = {raw!r} is not a dask scheduler address; expected "
                              "tcp://host:port, e.g. tcp://10.0.0.5:8786")
        kind = "tcp"
    elif kind in ("", "auto", "none", "no"):
        kind = "local"
    elif kind != "local" and kind not in JOBQUEUE_KINDS:
        raise ConfigError(f"minopy.compute.cluster = {raw!r}; expected local, "
                          f"{', '.join(JOBQUEUE_KINDS)} or tcp://host:port")
    opts = ClusterOptions(
        kind=kind, address=address,
        queue=_get(config, "minopy.compute.queue"),
        account=_get(config, "minopy.compute.account"),
        walltime=str(_get(config, "minopy.compute.walltime", "02:00:00")),
        cores=int(_get(config, "minopy.compute.cores", 4)),
        memory=str(_get(config, "minopy.compute.memory", "16GB")),
        jobs=int(_get(config, "minopy.compute.jobs", 2)),
        threads=max(1, int(_get(config, "minopy.compute.threadsPerWorker", 1))),
        job_directives=_split(_get(config, "minopy.compute.jobDirectives")),
        setup_commands=_split(_get(config, "minopy.compute.setupCommands")),
        local_directory=_get(config, "minopy.compute.localDirectory"),
    )
    if kind in JOBQUEUE_KINDS:
        _check_walltime(opts.walltime)
        _check_memory(opts.memory)
        if opts.cores < 1 or opts.jobs < 1:
            raise ConfigError(f"minopy.compute.cores = {opts.cores}, minopy.compute.jobs = "
                              f"{opts.jobs}; both must be >= 1")
    return opts


def _check_walltime(value: str) -> None:
    parts = value.split(":")
    if not (1 <= len(parts) <= 3 and all(p.isdigit() for p in parts)):
        raise ConfigError(f"minopy.compute.walltime = {value!r}; expected HH:MM:SS (e.g. "
                          "04:00:00)")


def _check_memory(value: str) -> None:
    from dask.utils import parse_bytes

    try:
        if parse_bytes(value) <= 0:
            raise ValueError
    except (ValueError, TypeError):
        raise ConfigError(f"minopy.compute.memory = {value!r}; expected an amount such as 16GB "
                          "(memory of one worker job)") from None


def _thread_exports(threads: int) -> list[str]:
    from minopy.parallel_env import THREAD_ENV_VARS

    return [f"export {name}={int(threads)}" for name in THREAD_ENV_VARS]


def _job_kwargs(opts: ClusterOptions, work_dir: Path | None) -> dict[str, Any]:
    """Keyword arguments of the dask-jobqueue job/cluster class of ``opts.kind``."""
    kwargs: dict[str, Any] = {
        # one dask thread per worker process: each task uses ``threads`` numba threads itself
        "cores": opts.processes, "processes": opts.processes, "memory": opts.memory,
        "walltime": opts.walltime, "queue": opts.queue, "job_name": "minopy-worker",
        "job_extra_directives": list(opts.job_directives),
        "job_script_prologue": [*opts.setup_commands, *_thread_exports(opts.threads)],
        "python": sys.executable,
    }
    if opts.local_directory:
        kwargs["local_directory"] = str(opts.local_directory)
    if work_dir is not None:
        kwargs["log_directory"] = str(Path(work_dir) / "dask_jobs")
    elif opts.log_directory:
        kwargs["log_directory"] = str(opts.log_directory)
    cpus = opts.processes * opts.threads
    if opts.kind == "slurm":
        kwargs["account"] = opts.account
        kwargs["job_cpu"] = cpus
    elif opts.kind == "pbs":
        kwargs["account"] = opts.account
        kwargs["resource_spec"] = f"select=1:ncpus={cpus}:mem={_pbs_memory(opts.memory)}"
    elif opts.kind == "lsf":
        kwargs["project"] = opts.account
        kwargs["ncpus"] = cpus
        kwargs["walltime"] = _lsf_walltime(opts.walltime)
    elif opts.kind == "sge":
        kwargs["project"] = opts.account
    return kwargs


def _lsf_walltime(walltime: str) -> str:
    """``HH:MM:SS`` -> LSF's ``-W [hour:]minute`` (seconds rounded up to a minute)."""
    parts = [int(p) for p in walltime.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0)
    hours, minutes, seconds = parts
    minutes += hours * 60 + (1 if seconds else 0)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _pbs_memory(memory: str) -> str:
    from dask.utils import parse_bytes

    return f"{max(1, int(parse_bytes(memory) // 2**30))}GB"


def _classes(kind: str) -> tuple[Any, Any]:
    import importlib

    try:
        module = importlib.import_module(f"dask_jobqueue.{kind}")
    except ImportError as exc:
        raise ConfigError(f"minopy.compute.cluster = {kind} needs dask-jobqueue "
                          "(pip install dask-jobqueue)") from exc
    cluster_name, job_name = JOBQUEUE_KINDS[kind]
    return getattr(module, cluster_name), getattr(module, job_name)


def worker_job_script(opts: ClusterOptions, work_dir: Path | None = None,
                      scheduler: str = "tcp://SCHEDULER:8786") -> str:
    """The batch script of one worker job, as dask-jobqueue submits it (nothing is started).

    ``scheduler`` is a placeholder: the real address is the driver's, known when it runs.
    """
    if opts.kind not in JOBQUEUE_KINDS:
        raise ConfigError(f"no worker job script for minopy.compute.cluster = {opts.kind}")
    _, job_cls = _classes(opts.kind)
    return job_cls(scheduler=scheduler, name="minopy-worker",
                   **_job_kwargs(opts, work_dir)).job_script()


def driver_job_script(opts: ClusterOptions, command: list[str], work_dir: Path,
                      name: str = "minopy") -> str:
    """The batch script that runs the whole workflow (``command``) with the cluster ``opts``.

    The header (queue, account, walltime, directives) is the scheduler's own, made by
    dask-jobqueue's job class for a small driver job of :data:`DRIVER_CORES` cores and
    :data:`DRIVER_MEMORY`; the driver then submits the ``jobs`` worker jobs itself while it runs.
    """
    if opts.kind not in JOBQUEUE_KINDS:
        raise ConfigError(f"--jobfiles needs minopy.compute.cluster = one of "
                          f"{', '.join(JOBQUEUE_KINDS)} (it is {opts.kind})")
    _, job_cls = _classes(opts.kind)
    driver = replace(opts, cores=DRIVER_CORES, threads=1, memory=DRIVER_MEMORY)
    kwargs = _job_kwargs(driver, None)
    kwargs.update(job_name=name, log_directory=str(Path(work_dir) / "dask_jobs"))
    job = job_cls(scheduler="tcp://unused:8786", name=name, **kwargs)
    lines = [
        "#!/usr/bin/env bash",
        job.job_header,
        "",
        f"# minopy workflow on {opts.describe()}: submit with  {SUBMIT[opts.kind]} "
        f"{Path(work_dir) / 'run_files' / f'minopy_{opts.kind}.job'}",
        "# This job runs minopyApp.py (the driver: the dask scheduler and the steps' light "
        "work); it submits",
        f"# {opts.jobs} worker job(s) of {opts.cores} cores / {opts.memory} itself while it "
        "runs (see dask_worker_" f"{opts.kind}.job).",
        "# The work directory must be on a file system shared with the worker jobs.",
        "set -e",
        *opts.setup_commands,
        f"cd {shlex.quote(str(work_dir))}",
        " ".join(shlex.quote(c) for c in command),
        "",
    ]
    return "\n".join(lines)


#: the batch-job clusters of this process: one per (options, work directory), reused by every
#: step of a run (jobs wait in the queue once), closed (jobs cancelled) at exit.
_CLUSTERS: dict[tuple[ClusterOptions, str], Any] = {}


def close_clusters() -> None:
    """Close the batch-job clusters of this process (cancels their jobs)."""
    while _CLUSTERS:
        _, jobs = _CLUSTERS.popitem()
        try:
            jobs.close()
        except Exception as exc:  # noqa: BLE001 - at exit; the jobs end with their walltime
            log.warning("could not close the %s cluster: %s", type(jobs).__name__, exc)


def jobqueue_cluster(opts: ClusterOptions, work_dir: Path | None = None) -> Any:
    """The dask-jobqueue cluster of ``opts`` (its scheduler in this process), with its jobs
    submitted; started on the first call, then reused until :func:`close_clusters` (at exit).

    Returns
    -------
    dask_jobqueue.JobQueueCluster
        Scaled to ``opts.jobs`` jobs.
    """
    key = (opts, str(work_dir))
    if key in _CLUSTERS:
        return _CLUSTERS[key]
    if not _CLUSTERS:
        atexit.register(close_clusters)
    cluster_cls, _ = _classes(opts.kind)
    kwargs = _job_kwargs(opts, work_dir)
    if kwargs.get("log_directory"):
        Path(kwargs["log_directory"]).mkdir(parents=True, exist_ok=True)
    cluster = cluster_cls(**kwargs, scheduler_options={"dashboard_address": ":0"})
    cluster.scale(jobs=opts.jobs)
    _CLUSTERS[key] = cluster
    log.info("submitted %d %s worker job(s): %d cores, %s each (%d workers x %d threads)",
             opts.jobs, opts.kind, opts.cores, opts.memory, opts.processes, opts.threads)
    return cluster
