"""Thread limits for numeric libraries, so parallel workers do not oversubscribe the cores.

With ``K`` worker processes each running BLAS/OpenMP/numba code, every library would by default
start one thread per core in every worker: ``K x cores`` threads fight over ``cores`` cores.
:func:`limit_threads` caps them at ``n`` per process (``minopy.compute.threadsPerWorker``).

It sets the environment variables read by OpenMP, OpenBLAS, MKL, Accelerate, numexpr and numba,
which worker processes started afterwards inherit. In the current process it also applies the
limit to libraries already loaded: BLAS/OpenMP through ``threadpoolctl`` when it is installed, and
numba through ``numba.set_num_threads`` when numba is already imported.

numba reads ``NUMBA_NUM_THREADS`` when it is imported, as the size of its thread pool, and raises
at the next compilation if the variable changes after its threads were launched. So when numba is
already imported, ``NUMBA_NUM_THREADS`` is left as it is. Call :func:`limit_threads` before
importing modules that use numba (the step runner does) so that worker processes inherit it.
"""

from __future__ import annotations

import logging
import os
import sys

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
    """Limit numeric-library threads to ``n`` in this process and in workers started later.

    Parameters
    ----------
    n : int
        Threads per process, >= 1.

    Returns
    -------
    dict
        The environment variables set, ``{name: str(n)}`` (without ``NUMBA_NUM_THREADS`` when
        numba was already imported).

    Raises
    ------
    ValueError
        If ``n`` < 1.
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"thread limit must be >= 1, got {n}")
    values = {name: str(n) for name in THREAD_ENV_VARS}
    numba = sys.modules.get("numba")
    if numba is not None:
        del values["NUMBA_NUM_THREADS"]
        numba.set_num_threads(min(n, int(numba.config.NUMBA_NUM_THREADS)))
    os.environ.update(values)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        log.debug("threadpoolctl is not installed; thread limits apply through the environment")
    else:
        threadpool_limits(limits=n)
    return values
