"""Cold numba compile of the phase-linking kernels, with the time per kernel.

Run by hand, with an empty cache so nothing is loaded from disk::

    NUMBA_CACHE_DIR=$(mktemp -d) PYTHONPATH=src python bench/cold_compile.py

Prints the wall time of the import plus the first ``process_patch`` (sequential_EMI, the default
method) and the compile time per kernel (inclusive of the kernels it calls), with the number of
signatures each was compiled for: a kernel compiled more than once is a duplicate signature
(e.g. literal arguments), which costs a whole extra compile.
"""

from __future__ import annotations

import collections
import time

import numpy as np
from numba.core import event


def main() -> None:
    with event.install_recorder("numba:compile") as rec:
        t0 = time.perf_counter()
        from minopy.phaselink import process_patch
        from minopy.phaselink_options import default_phase_link_options

        rng = np.random.default_rng(0)
        shape = (12, 24, 24)
        z = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)
        process_patch(z, (7, 17, 7, 17),
                      default_phase_link_options(method="sequential_EMI", ministack_size=5))
        total = time.perf_counter() - t0
    seconds: dict[str, float] = collections.defaultdict(float)
    count: collections.Counter[str] = collections.Counter()
    starts = {}
    for ts, ev in rec.buffer:
        disp = ev.data.get("dispatcher")
        name = f"{disp.py_func.__module__.split('.')[-1]}.{disp.py_func.__qualname__}"
        key = (id(disp), str(ev.data.get("args")))
        if ev.is_start:
            starts[key] = ts
        elif key in starts:
            seconds[name] += ts - starts.pop(key)
            count[name] += 1
    print(f"cold compile + first patch: {total:.1f} s")
    for name, sec in sorted(seconds.items(), key=lambda kv: -kv[1])[:20]:
        print(f"{sec:7.1f} s  x{count[name]}  {name}")


if __name__ == "__main__":
    main()
