"""The step runner: runs the workflow steps in-process, in order, and records completed work.

Each step is the module ``minopy.steps.<name>`` (protocol in ``docs/architecture.md``): ``READS``
(the options it reads, :meth:`minopy.config.Config.selected`), ``inputs(ctx)``, ``outputs(ctx)``,
``run(ctx)`` and optionally ``preflight(ctx)``. After a step succeeds, a fingerprint of its options
and input files is stored in ``<work_dir>/.minopy_state.json``; a later run skips the step when
``minopy.load.updateMode`` is on, ``force`` is off, the fingerprint is unchanged and all its
outputs are intact (they open and hold what the step declares, :mod:`minopy.steps.outputs`); a
broken output is logged and the step runs again. An input of the step written by an earlier step
that this run does not redo, and that is broken, stops the run with the command that repairs it.
Timings go to ``<work_dir>/.minopy_timing.json`` for the HTML report. The work directory is locked
for the run (:mod:`minopy.run_lock`). At the end of a run (also a failed one)
:func:`minopy.plot.finish_run` writes ``summary.json``, shows the results summary and writes the
report.

A failing step stops the run: the traceback goes to ``<work_dir>/log`` and the error propagates
(a :class:`~minopy.errors.MinopyError`; other exceptions are wrapped in a StepError that names the
step and points to the log).
"""

from __future__ import annotations

import difflib
import importlib
import json
import logging
import os
import shlex
import shutil
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from minopy import plot
from minopy.config import load_config
from minopy.config.model import check_reads
from minopy.errors import ConfigError, InputDataError, MinopyError, StepError
from minopy.io.atomic import atomic_path, write_text_atomic
from minopy.io.signature import digest, stat_signature
from minopy.logging_setup import FILE_ONLY, close_logging, log_file, setup_logging, write_header
from minopy.parallel import ExecutionPolicy
from minopy.parallel_env import limit_threads
from minopy.progress import format_duration
from minopy.run_lock import WorkDirLock
from minopy.step_context import StepContext
from minopy.steps.outputs import first_problem, problem
from minopy.workdir import (
    disk_full_error,
    disk_was_full,
    prepare_work_dir,
    remove_stale_temporaries,
)
from minopy.workflow import STATE_FILE, STEP_DESCRIPTIONS, STEP_NAMES, TIMING_FILE

STEP_PACKAGE = "minopy.steps"

_REQUIRED_ATTRS = ("READS", "inputs", "outputs", "run")


def check_step_name(name: str, what: str = "step") -> str:
    """Return ``name`` if it is a step name, else raise ConfigError with the closest match.

    Parameters
    ----------
    name : str
        Step name given by the user.
    what : str
        How the value is named in the message (e.g. ``--start``).
    """
    if name in STEP_NAMES:
        return name
    match = difflib.get_close_matches(name.lower(), STEP_NAMES, n=1, cutoff=0.5)
    hint = f" (did you mean {match[0]}?)" if match else ""
    raise ConfigError(
        f"{what} {name!r} is not a step{hint}; the steps are: {', '.join(STEP_NAMES)}"
    )


def resolve_steps(
    start: str | None = None,
    end: str | None = None,
    dostep: str | None = None,
) -> list[str]:
    """The steps to run, in workflow order.

    Parameters
    ----------
    start, end : str, optional
        First and last step (default: the first and the last step).
    dostep : str, optional
        Run only this step; cannot be combined with ``start``/``end``.

    Raises
    ------
    ConfigError
        For an unknown step name (with the closest one), ``dostep`` combined with ``start`` or
        ``end``, or ``start`` after ``end``.
    """
    if dostep is not None:
        if start is not None or end is not None:
            raise ConfigError("--dostep cannot be combined with --start or --end")
        return [check_step_name(dostep, "--dostep")]
    first = check_step_name(start, "--start") if start is not None else STEP_NAMES[0]
    last = check_step_name(end, "--end") if end is not None else STEP_NAMES[-1]
    i0, i1 = STEP_NAMES.index(first), STEP_NAMES.index(last)
    if i0 > i1:
        raise ConfigError(f"--start {first} comes after --end {last} in the step order: "
                          f"{' -> '.join(STEP_NAMES)}")
    return list(STEP_NAMES[i0:i1 + 1])


def load_step(name: str) -> ModuleType:
    """Import the step module ``minopy.steps.<name>`` and check its protocol.

    Raises
    ------
    StepError
        If the module does not exist ("not available in this version of minopy") or lacks one of
        ``READS``, ``inputs``, ``outputs``, ``run``; or when ``READS`` names something that
        is no option.
    """
    check_step_name(name)
    module_name = f"{STEP_PACKAGE}.{name}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name == module_name:
            raise StepError(f"step {name} is not available in this version of minopy") from None
        raise
    missing = [attr for attr in _REQUIRED_ATTRS if not hasattr(module, attr)]
    if missing:
        raise StepError(f"step {name} is not available in this version of minopy: module "
                        f"{module_name} lacks {', '.join(missing)}")
    try:
        check_reads(module.READS)
    except ValueError as err:
        raise StepError(f"step {name}: READS of {module_name}: {err}") from None
    return module


def _file_signature(path: Path) -> list[int] | str | None:
    """``[size, mtime_ns]`` of a file, ``"missing"`` if absent, None for a directory."""
    if path.is_dir():
        return None
    try:
        return stat_signature(path)
    except FileNotFoundError:
        return "missing"


def fingerprint(step: ModuleType, ctx: StepContext) -> str:
    """SHA-256 of a step's options (``READS``) and input files (size and mtime).

    Parameters
    ----------
    step : module
        Step module following the step protocol.
    ctx : StepContext
        Context of the run.

    Returns
    -------
    str
        Hex digest; it changes when a selected option or an input file changes.
    """
    options = ctx.config.selected(step.READS)
    files: dict[str, Any] = {}
    for path in step.inputs(ctx):
        signature = _file_signature(Path(path))
        if signature is not None:
            files[str(Path(path).resolve())] = signature
    return digest({"options": options, "inputs": files}, default=repr)


def _read_json(path: Path, log: logging.Logger) -> dict[str, Any]:
    """Read a JSON record of the work directory; an unreadable one is reported and ignored."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        log.warning("ignoring %s, it cannot be read (%s); all steps will run", path, err)
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def _describe_outputs(paths: Sequence[Path], work_dir: Path, limit: int = 4) -> str:
    """Short list of output paths (relative to the work dir where possible)."""
    names = []
    for path in paths:
        try:
            names.append(str(Path(path).resolve().relative_to(work_dir)))
        except ValueError:
            names.append(str(path))
    if not names:
        return "no output files"
    text = ", ".join(names[:limit])
    if len(names) > limit:
        text += f" (+{len(names) - limit} more)"
    return text


def run_preflights(ctx: StepContext) -> None:
    """Call ``preflight(ctx)`` of every step that has one: option checks that need the image
    (``inputs/slcStack.h5``), made before any later step runs rather than when that step fails."""
    for name in STEP_NAMES:
        try:
            module = load_step(name)
        except StepError:
            continue
        check = getattr(module, "preflight", None)
        if check is not None:
            check(ctx)


def _relative(path: Path, work_dir: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(work_dir.resolve()))
    except ValueError:
        return str(path)


def repair_command(ctx: StepContext, step: str) -> str:
    """The command that redoes ``step`` and everything after it in this work directory."""
    template = ctx.config.template_file
    return (f"minopyApp.py {shlex.quote(str(template)) if template else '<template>'} --dir "
            f"{shlex.quote(str(ctx.work_dir))} --start {step}")


def _copy_template(template_file: Path, work_dir: Path, log: logging.Logger) -> None:
    """Copy the template to ``<work_dir>/inputs/<name>`` for provenance (atomic)."""
    target = work_dir / "inputs" / template_file.name
    if target.resolve() == template_file.resolve():
        return
    with atomic_path(target) as tmp:
        shutil.copyfile(template_file, tmp)
    log.debug("template copied to %s", target)


class _StepRunner:
    """Runs steps in one work directory and keeps its state and timing records."""

    def __init__(self, ctx: StepContext, force: bool = False) -> None:
        self.ctx = ctx
        self.force = force
        self.log = ctx.log
        self.state_file = ctx.work_dir / STATE_FILE
        self.timing_file = ctx.work_dir / TIMING_FILE
        self.state = _read_json(self.state_file, self.log)
        self.state.setdefault("steps", {})
        self.timing = _read_json(self.timing_file, self.log)
        #: steps whose outputs were checked or written by this run.
        self.handled: set[str] = set()

    def is_up_to_date(self, name: str, step: ModuleType) -> bool:
        """Whether the recorded fingerprint matches and every output is intact.

        A broken output (truncated, missing a dataset, unreadable) is logged and makes the step
        run again.
        """
        if self.force or not self.ctx.config.load.update_mode:
            return False
        record = self.state["steps"].get(name)
        if not record or record.get("fingerprint") != fingerprint(step, self.ctx):
            return False
        try:
            broken = first_problem(step.outputs(self.ctx))
        except MinopyError as err:
            self.log.info("step %s: its outputs cannot be listed (%s); running it", name, err)
            return False
        if broken is not None:
            path, why = broken
            self.log.warning("step %s: its output %s is %s; running the step again", name,
                             _relative(path, self.ctx.work_dir),
                             why if why == "missing" else f"broken ({why})")
        return broken is None

    def check_inputs_from_earlier_steps(self, name: str, step: ModuleType) -> None:
        """Stop with the repair command if an input of ``name`` written by an earlier step that
        this run does not redo is broken (missing inputs are left to the step's own message)."""
        earlier = [s for s in STEP_NAMES[:STEP_NAMES.index(name)] if s not in self.handled]
        if not earlier:
            return
        try:
            wanted = {Path(p).resolve() for p in step.inputs(self.ctx)}
        except MinopyError:
            return  # the step reports its inputs itself
        for producer in earlier:
            try:
                outputs = load_step(producer).outputs(self.ctx)
            except MinopyError:  # a step not available, or nothing to list yet
                continue
            for output in outputs:
                if Path(output).resolve() not in wanted:
                    continue
                why = problem(output)
                if why not in (None, "missing"):
                    raise InputDataError(
                        f"{Path(output)} is broken ({why}). It is written by the {producer} step; "
                        f"repair it with: {repair_command(self.ctx, producer)}")

    def run(self, name: str, step: ModuleType) -> None:
        """Run one step (or skip it when up to date), updating the records."""
        self.check_inputs_from_earlier_steps(name, step)
        if self.is_up_to_date(name, step):
            self.log.info("step %s: up to date, skipped", name)
            self.handled.add(name)
            return
        # forget the old record first: a step killed half-way must not look complete later
        if self.state["steps"].pop(name, None) is not None:
            _write_json(self.state_file, self.state)
        self.log.info("step %s: %s", name, STEP_DESCRIPTIONS.get(name, ""))
        started = datetime.now().astimezone().isoformat(timespec="seconds")
        t0 = time.monotonic()
        try:
            step.run(self.ctx)
            declared = list(step.outputs(self.ctx))
            outputs = [Path(p) for p in declared]
            broken = first_problem(declared)
            if broken is not None:
                path, why = broken
                raise StepError(f"step {name} finished but did not write {path}" if why ==
                                "missing" else f"step {name} finished but its output {path} is "
                                f"broken ({why})")
        except BaseException as err:
            try:
                self._record_timing(name, started, time.monotonic() - t0, [], f"failed: {err!r}")
            except OSError:  # e.g. the disk is full: the failure itself is what matters
                self.log.debug("could not record the failure in %s", self.timing_file)
            raise
        self.handled.add(name)
        seconds = time.monotonic() - t0
        self.state["steps"][name] = {
            "fingerprint": fingerprint(step, self.ctx),
            "finished": datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        _write_json(self.state_file, self.state)
        self._record_timing(name, started, seconds, outputs, "done")
        self.log.info("step %s: done in %s; outputs: %s", name, format_duration(seconds),
                      _describe_outputs(outputs, self.ctx.work_dir.resolve()))
        plot.after_step(self.ctx, name)

    def _record_timing(self, name: str, started: str, seconds: float, outputs: Sequence[Path],
                       status: str) -> None:
        self.timing[name] = {
            "seconds": round(seconds, 3),
            "start": started,
            "outputs": [str(p) for p in outputs],
            "status": status,
        }
        _write_json(self.timing_file, self.timing)


def run_steps(
    template_file: str | os.PathLike | None,
    work_dir: str | os.PathLike,
    steps: Sequence[str],
    overrides: Mapping[str, str] | None = None,
    *,
    verbosity: str = "normal",
    argv: list[str] | None = None,
    force: bool = False,
) -> None:
    """Run workflow steps in-process, in the order given, skipping the ones that are up to date.

    The work directory is created if needed and locked for the run (:mod:`minopy.run_lock`): a
    second run on the same directory stops with an error naming the first. Temporaries left by
    killed runs are removed first (:func:`minopy.workdir.remove_stale_temporaries`).

    Parameters
    ----------
    template_file : path-like or None
        The user's template (copied to ``<work_dir>/inputs/`` for provenance, never modified).
    work_dir : path-like
        Work directory (created if missing); the log is ``<work_dir>/log``.
    steps : sequence of str
        Step names from ``minopy.steps.STEP_NAMES``.
    overrides : mapping, optional
        ``{key: raw value}`` applied over the template.
    verbosity : {"quiet", "normal", "verbose"}
        Console detail; the log file always receives everything.
    argv : list of str, optional
        Command line written to the log header and the lock (default ``sys.argv``).
    force : bool
        Re-run every step in ``steps`` even when it is up to date.

    Raises
    ------
    MinopyError
        A template problem, a step that is not available, or a step failure. Exceptions that are
        not MinopyError are logged with their traceback and re-raised as StepError naming the step;
        a full disk is a DiskFullError; an unusable or locked work directory a WorkDirError.
    """
    work_dir = prepare_work_dir(work_dir)
    with WorkDirLock(work_dir, argv) as lock:
        _run_locked(template_file, work_dir, steps, overrides, verbosity, argv, force,
                    lock.stale_lock_note())


def _run_locked(
    template_file: str | os.PathLike | None,
    work_dir: Path,
    steps: Sequence[str],
    overrides: Mapping[str, str] | None,
    verbosity: str,
    argv: list[str] | None,
    force: bool,
    lock_note: str | None = None,
) -> None:
    """:func:`run_steps` once the work directory is locked."""
    log = setup_logging(work_dir, verbosity)
    write_header(log, argv)
    if lock_note is not None:
        log.warning("%s", lock_note)
    current = "setup"
    config = None
    failure: BaseException | None = None
    t0 = time.monotonic()
    try:
        _clear_temporaries(work_dir, log)
        for name in steps:
            check_step_name(name)
        config = load_config(template_file, overrides)
        if template_file is not None:
            _copy_template(Path(template_file), work_dir, log)
        if config.general.text_cmd is not None:
            log.warning("minopy.textCmd = %s is not used: minopy runs the steps in-process",
                        config.general.text_cmd)
        limit_threads(config.compute.threads_per_worker)
        modules = {name: load_step(name) for name in steps}
        execution = ExecutionPolicy.from_options(config.compute)
        log.info("%s", execution.describe())
        ctx = StepContext(work_dir, config, log, execution=execution, force=force)
        runner = _StepRunner(ctx, force=force)
        log.info("work directory: %s; steps: %s%s", work_dir, ", ".join(steps),
                 " (forced)" if force else "")
        if "load_data" not in modules:
            run_preflights(ctx)  # the image of an earlier load_data is the current one
        for name, module in modules.items():
            current = name
            runner.run(name, module)
            if name == "load_data":
                run_preflights(ctx)
        log.info("finished %d step(s) in %s; log: %s", len(steps),
                 format_duration(time.monotonic() - t0), log_file())
        plot.finish_run(work_dir, config, log)
    except MinopyError as err:
        failure = err
        if disk_was_full(err, work_dir):
            raise disk_full_error(current, work_dir) from err
        log.debug("traceback of the failure in %s:", current, exc_info=True, extra=FILE_ONLY)
        log.error("%s", err, extra=FILE_ONLY)
        raise
    except KeyboardInterrupt as err:
        failure = err
        log.error("interrupted by the user during %s", current, extra=FILE_ONLY)
        raise
    except Exception as err:
        failure = err
        if disk_was_full(err, work_dir):
            raise disk_full_error(current, work_dir) from err
        log.error("%s failed:", current, exc_info=True, extra=FILE_ONLY)
        where = f"step {current}" if current != "setup" else "minopy"
        raise StepError(f"{where} failed with {type(err).__name__}: {err} "
                        f"(the traceback is in {work_dir / 'log'})") from err
    finally:
        if failure is not None:
            _clear_temporaries(work_dir, log)
            if config is not None and not disk_was_full(failure, work_dir):
                # a failed run still gets a summary and a report that show which step failed
                plot.finish_run(work_dir, config, log)
        close_logging()


def _clear_temporaries(work_dir: Path, log: logging.Logger) -> None:
    """Remove the temporaries of interrupted runs (the work directory is locked)."""
    removed = remove_stale_temporaries(work_dir)
    if removed:
        log.info("removed %d temporary file(s)/folder(s) left by an interrupted run (e.g. %s)",
                 len(removed), removed[0].relative_to(work_dir))
