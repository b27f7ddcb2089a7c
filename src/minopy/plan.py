"""What a run would do, without doing it: ``minopyApp.py … --runfiles`` (the plan) and
``--jobfiles`` (the batch script that runs the workflow on an HPC scheduler).

:func:`make_plan` resolves the steps of a run: for each, the files it reads and writes (the step's
``inputs``/``outputs``) and whether it is up to date, by the runner's own rule (recorded
fingerprint of options and inputs, every output intact, ``updateMode`` on, no ``--force``). A step
after one that runs is reported as running too: the earlier step rewrites its inputs. Nothing is
written, locked or started.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from minopy import cluster
from minopy.config import load_config
from minopy.errors import MinopyError
from minopy.io.atomic import write_text_atomic
from minopy.runner import fingerprint, load_step
from minopy.step_context import StepContext
from minopy.steps.outputs import first_problem
from minopy.workflow import STATE_FILE

_QUIET = logging.getLogger("minopy.plan")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False
#: files listed per step before "... and N more".
MAX_FILES = 6


@dataclass
class StepPlan:
    """One step of a plan."""

    name: str
    reads: list[Path] = field(default_factory=list)
    writes: list[Path] = field(default_factory=list)
    up_to_date: bool = False
    reason: str = ""


def _status(ctx: StepContext, name: str, module, state: dict, force: bool) -> tuple[bool, str]:
    if force:
        return False, "--force"
    if not ctx.config.load.update_mode:
        return False, "minopy.load.updateMode = no"
    record = state.get(name)
    if not record:
        return False, "never completed in this work directory"
    if record.get("fingerprint") != fingerprint(module, ctx):
        return False, "options or inputs changed since it last ran"
    broken = first_problem(module.outputs(ctx))
    if broken is not None:
        return False, f"output {broken[0]} is {broken[1]}"
    return True, f"finished {record.get('finished', '?')}"


def make_plan(template_file: Path | None, work_dir: Path, steps: list[str],
              overrides: dict[str, str] | None = None, force: bool = False
              ) -> tuple[StepContext, list[StepPlan]]:
    """Resolve the plan of a run (see the module docstring); reads only."""
    config = load_config(template_file, overrides)
    ctx = StepContext(Path(work_dir), config, _QUIET)
    try:
        state = json.loads((Path(work_dir) / STATE_FILE).read_text()).get("steps", {})
    except (OSError, ValueError):
        state = {}
    plans: list[StepPlan] = []
    earlier_runs = None
    for name in steps:
        module = load_step(name)
        plan = StepPlan(name)
        try:
            plan.reads = [Path(p) for p in module.inputs(ctx)]
            plan.writes = [Path(p) for p in module.outputs(ctx)]
        except MinopyError as err:
            plan.reason = f"its files cannot be listed yet ({err})"
        if earlier_runs is not None:
            plan.reason = plan.reason or f"runs after {earlier_runs}, which rewrites its inputs"
        elif not plan.reason:
            try:
                plan.up_to_date, plan.reason = _status(ctx, name, module, state, force)
            except MinopyError as err:
                plan.reason = str(err)
        if not plan.up_to_date and earlier_runs is None:
            earlier_runs = name
        plans.append(plan)
    return ctx, plans


def _short(path: Path, work_dir: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(work_dir.resolve()))
    except ValueError:
        return str(path)


def _files(paths: list[Path], work_dir: Path) -> str:
    names = list(dict.fromkeys(_short(p, work_dir) for p in paths))
    shown = ", ".join(names[:MAX_FILES])
    more = len(names) - MAX_FILES
    return (shown + (f", ... and {more} more" if more > 0 else "")) or "-"


def render_plan(ctx: StepContext, plans: list[StepPlan]) -> str:
    """The plan as text: one block per step with its state, reads and writes."""
    opts = cluster.cluster_options(ctx.config)
    lines = [f"minopy plan for {ctx.work_dir} (work runs on {opts.describe()}; paths relative "
             "to the work directory)"]
    for i, plan in enumerate(plans, 1):
        state = "up to date, skipped" if plan.up_to_date else "will run"
        lines.append(f"{i}. {plan.name}: {state} ({plan.reason})")
        lines.append(f"     reads:  {_files(plan.reads, ctx.work_dir)}")
        lines.append(f"     writes: {_files(plan.writes, ctx.work_dir)}")
    todo = [p.name for p in plans if not p.up_to_date]
    lines.append(f"{len(todo)} of {len(plans)} step(s) to run" + (
        f": {', '.join(todo)}" if todo else ""))
    return "\n".join(lines) + "\n"


def write_job_files(template_file: Path, work_dir: Path, argv: list[str],
                    overrides: dict[str, str] | None = None) -> list[Path]:
    """Write ``<work_dir>/run_files/minopy_<kind>.job`` (the batch script running the whole
    workflow, with the template's cluster) and ``dask_worker_<kind>.job`` (the worker job it
    submits, for reference; the scheduler address is filled in when the driver runs).

    ``argv`` is the minopyApp.py command line without ``--jobfiles``. Nothing is submitted.

    Raises
    ------
    ConfigError
        If ``minopy.compute.cluster`` is not a batch scheduler.
    """
    config = load_config(template_file, overrides)
    opts = cluster.cluster_options(config)
    work_dir = Path(work_dir).resolve()
    folder = work_dir / "run_files"
    command = _absolute_command(argv, template_file, work_dir)
    driver = cluster.driver_job_script(opts, command, work_dir)
    worker = cluster.worker_job_script(opts, work_dir)
    folder.mkdir(parents=True, exist_ok=True)
    out = [write_text_atomic(folder / f"minopy_{opts.kind}.job", driver),
           write_text_atomic(folder / f"dask_worker_{opts.kind}.job", worker)]
    for path in out:
        os.chmod(path, 0o755)
    return out


def _absolute_command(argv: list[str], template_file: Path, work_dir: Path) -> list[str]:
    """``minopyApp.py <template> --dir <work_dir> [the other flags]`` with absolute paths."""
    rest, skip = [], False
    for arg in argv[1:]:
        if skip:
            skip = False
            continue
        if arg in ("--dir", "--work-dir"):
            skip = True
            continue
        if arg.startswith(("--dir=", "--work-dir=")) or arg in ("--jobfiles", "--runfiles"):
            continue
        if Path(arg) == Path(template_file) or (not arg.startswith("-") and Path(arg).is_file()
                                                and Path(arg).resolve() ==
                                                Path(template_file).resolve()):
            continue
        rest.append(arg)
    return [Path(argv[0]).name if argv else "minopyApp.py", str(Path(template_file).resolve()),
            "--dir", str(work_dir), *rest]


def print_plan(template_file: Path, work_dir: Path, steps: list[str], force: bool = False) -> None:
    """Print :func:`render_plan` of a run to stdout."""
    ctx, plans = make_plan(template_file, work_dir, steps, force=force)
    sys.stdout.write(render_plan(ctx, plans))
