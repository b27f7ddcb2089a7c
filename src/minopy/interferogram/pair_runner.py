"""Run one function per interferogram pair, in-process or on dask workers, with a progress bar.

Tasks receive only small arguments (paths, options); each worker reads and writes its own files.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from minopy import parallel
from minopy.progress import ProgressBar
from minopy.steps.context import StepContext


def run_pairs(
    ctx: StepContext,
    func: Callable[..., Any],
    jobs: Sequence[tuple[str, tuple[Any, ...]]],
    desc: str,
) -> list[Any]:
    """Call ``func(*args)`` for every ``(name, args)`` in ``jobs``; return results in job order.

    Runs in this process when one worker is configured (or for a single job), otherwise on the
    dask client of :func:`minopy.parallel.get_client`. The first failure cancels the remaining
    tasks and is re-raised (a :class:`~minopy.errors.MinopyError` keeps its message).
    """
    results: dict[str, Any] = {}
    if not jobs:
        return []
    workers = min(ctx.num_workers, len(jobs))
    with ProgressBar(len(jobs), desc, log=ctx.log, unit="pair") as bar:
        if parallel.use_in_process(ctx.config, workers):
            for name, args in jobs:
                results[name] = func(*args)
                bar.update()
        else:
            from distributed import as_completed

            with parallel.get_client(ctx.config, workers=workers,
                                     work_dir=ctx.work_dir) as client:
                futures = {client.submit(func, *args, pure=False, key=f"{desc}-{name}"): name
                           for name, args in jobs}
                try:
                    for future in as_completed(list(futures)):
                        results[futures[future]] = future.result()
                        bar.update()
                except BaseException:
                    client.cancel(list(futures))
                    raise
    return [results[name] for name, _ in jobs]
