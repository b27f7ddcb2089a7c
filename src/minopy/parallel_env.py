"""Thread limits for numeric libraries, so parallel workers do not oversubscribe the cores.

With ``K`` worker processes each running BLAS/OpenMP/numba code, every library would by default
start one thread per core in every worker: ``K x cores`` threads fight over ``cores`` cores.
:func:`limit_threads` caps them at ``n`` per process (``minopy.compute.threadsPerWorker``).

It sets the environment variables read by OpenMP, OpenBLAS, MKL, Accelerate and numexpr, which
processes started afterwards inherit, and applies the limit to libraries already loaded: BLAS/OpenMP
through ``threadpoolctl`` when it is installed, and numba through ``numba.set_num_threads`` when
numba is already imported.

numba is treated apart. ``NUMBA_NUM_THREADS``, read when numba is imported, is the size of its
thread pool, which cannot grow afterwards (numba raises if the variable changes after its threads
were launched). :func:`limit_threads` therefore leaves ``NUMBA_NUM_THREADS`` alone in this process,
so the pool keeps one thread per core and a step that runs its kernels in-process can use all of
them with :func:`numba_threads` (the phase-linking step does). Worker processes get
``NUMBA_NUM_THREADS`` in their environment when they are spawned (:mod:`minopy.parallel`), and each
task sets the active count with :func:`set_numba_threads`, which only affects the calling thread.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

#: environment variables that bound the thread pools of numeric libraries.
THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)


def limit_threads(n: int) -> dict[str, str]:
    """Limit numeric-library threads to ``n`` in this process and in processes started later.

    Parameters
    ----------
    n : int
        Threads per process, >= 1.

    Returns
    -------
    dict
        The environment variables set, ``{name: str(n)}``; ``NUMBA_NUM_THREADS`` is not among them
        (numba's active count is set with ``numba.set_num_threads`` when numba is imported).

    Raises
    ------
    ValueError
        If ``n`` < 1.
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"thread limit must be >= 1, got {n}")
    values = {name: str(n) for name in THREAD_ENV_VARS if name != "NUMBA_NUM_THREADS"}
    if "numba" in sys.modules:
        set_numba_threads(n)
    os.environ.update(values)
    limit_blas_threads(n)
    return values


def limit_blas_threads(n: int) -> None:
    """Apply a BLAS/OpenMP limit to the libraries already loaded (needs threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        log.debug("threadpoolctl is not installed; thread limits apply through the environment")
    else:
        threadpool_limits(limits=n)


def numba_pool_size() -> int:
    """Size of numba's thread pool in this process (imports numba)."""
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]  # set at import


def set_numba_threads(n: int) -> int:
    """Let numba code called from this thread use ``min(n, pool size)`` threads.

    Returns
    -------
    int
        The previous count, to restore it.
    """
    import numba

    previous = int(numba.get_num_threads())
    numba.set_num_threads(max(1, min(int(n), numba_pool_size())))
    return previous


@contextmanager
def numba_threads(n: int) -> Iterator[int]:
    """Run the block with ``min(n, pool size)`` numba threads; yields that count.

    The previous count of the calling thread is restored on exit.
    """
    previous = set_numba_threads(n)
    try:
        import numba

        yield int(numba.get_num_threads())
    finally:
        set_numba_threads(previous)
