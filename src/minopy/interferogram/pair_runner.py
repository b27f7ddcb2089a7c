"""Run one function per interferogram pair, in-process or on dask workers, with a progress bar.

Tasks receive only small arguments (paths, options); each worker reads and writes its own files.
Where they run is the run's :class:`~minopy.parallel.ExecutionPolicy` (``ctx.execution``), which
:func:`pair_execution` applies to pairs (tasks that each run on the threads they are given).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from minopy import parallel
from minopy.step_context import StepContext


def pair_execution(ctx: StepContext, num_pairs: int) -> parallel.Execution:
    """How ``num_pairs`` pair tasks run (:meth:`~minopy.parallel.ExecutionPolicy.plan`); its
    ``threads`` is what each task may use (e.g. SNAPHU's processes)."""
    return ctx.execution.plan(num_pairs, parallel_inside=False)


def run_pairs(
    ctx: StepContext,
    func: Callable[..., Any],
    jobs: Sequence[tuple[str, tuple[Any, ...]]],
    desc: str,
    execution: parallel.Execution | None = None,
) -> list[Any]:
    """Call ``func(*args)`` for every ``(name, args)`` in ``jobs``; return results in job order.

    Runs as ``execution`` says (default :func:`pair_execution`): in this process when one worker
    is configured (or for a single job), otherwise on the dask client of
    :func:`minopy.parallel.get_client`. The first failure cancels the remaining tasks and is
    re-raised (a :class:`~minopy.errors.MinopyError` keeps its message).
    """
    if not jobs:
        return []
    how = execution if execution is not None else pair_execution(ctx, len(jobs))
    results = parallel.run_tasks(ctx.execution, how, func, jobs, desc, ctx.log, "pair")
    return [results[name] for name, _ in jobs]
