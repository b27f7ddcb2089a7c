"""End-to-end speed of the ``phase_linking`` step (read slcStack.h5, patches, workers, results).

The stack is S1-like: 12-day revisit, chunked to the patch like ``load_data`` writes it, a mosaic
of distributed-scatterer regions (different brightness and temporal-coherence decay, so the KS
test finds realistic SHP sets and region borders), 0.5 % bright persistent scatterers, and a
deformation + atmosphere phase.

The stacks are built once; each case then runs in a fresh subprocess on a copy, so its peak memory
and CPU time are its own: ``ru_maxrss`` of the process ("self") and the largest of its finished
children ("workers": the dask worker processes), and CPU time (user + system) of the process plus
its children. The machine may be shared, so compare CPU seconds besides wall seconds. The numba
kernels are compiled and cached on disk by a tiny warm-up run first, so the timings exclude JIT
compilation but include loading the cache in every fresh process; ``jit`` reports kernels that
were compiled in the main process during the case anyway (numba's cache went stale because a
kernel source changed meanwhile: that case's numbers are not comparable).

Execution modes (``phase_linking.run(ctx, execution=...)``):

- ``inprocess``: one process, numba ``prange`` over ``threads`` threads;
- ``dask``: a local dask cluster of ``workers`` processes x ``threads`` threads;
- ``auto``: the step's own choice (logged).

Usage::

    python bench/phase_linking_step.py                  # the default set of cases
    python bench/phase_linking_step.py --one 30 256 EMI inprocess 1 2 128 [STACK.h5]
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

#: (dates, size, method, execution, workers, threads, patchSize)
DEFAULT_CASES = (
    (30, 256, "EMI", "inprocess", 1, 1, 128),
    (30, 256, "EMI", "inprocess", 1, 2, 128),
    (30, 256, "EMI", "dask", 2, 1, 128),
    (30, 256, "EMI", "auto", 2, 1, 128),
    (100, 256, "sequential_EMI", "inprocess", 1, 1, 128),
    (100, 256, "sequential_EMI", "inprocess", 1, 2, 128),
    (100, 256, "sequential_EMI", "dask", 2, 1, 128),
    (100, 256, "sequential_EMI", "auto", 2, 1, 128),
)

#: distributed-scatterer classes: (gamma0, gamma_inf, tau_days, mean amplitude).
DS_CLASSES = ((0.85, 0.35, 60.0, 1.0), (0.7, 0.15, 36.0, 1.6), (0.6, 0.05, 24.0, 0.7),
              (0.9, 0.5, 120.0, 2.4))
#: fraction of persistent scatterers (bright, fully coherent).
PS_FRACTION = 0.005
#: revisit in days.
REVISIT_DAYS = 12


def class_mosaic(rng: np.random.Generator, length: int, width: int,
                 dtype: type = np.int64) -> np.ndarray:
    """Region map: a mosaic of 24-64 px blocks, each of a random class of ``DS_CLASSES``."""
    labels = np.zeros((length, width), dtype=dtype)
    r = 0
    while r < length:
        hr = int(rng.integers(24, 65))
        c = 0
        while c < width:
            wc = int(rng.integers(24, 65))
            labels[r:r + hr, c:c + wc] = rng.integers(len(DS_CLASSES))
            c += wc
        r += hr
    return labels


def build_stack(path: Path, num_dates: int, size: int, patch: int, seed: int = 0) -> None:
    """Write an S1-like ``num_dates`` x ``size`` x ``size`` ``slcStack.h5`` (see module doc)."""
    from minopy.io.stack_h5 import slc_chunks
    from minopy.simulate.coherence import coherence_matrix, complex_normal, matrix_sqrt
    from minopy.simulate.params import CoherenceClass

    rng = np.random.default_rng(seed)
    t = np.arange(num_dates) * float(REVISIT_DAYS)
    labels = class_mosaic(rng, size, size)
    slc = np.empty((num_dates, size * size), dtype=np.complex64)
    flat = labels.reshape(-1)
    for k, (g0, ginf, tau, amp) in enumerate(DS_CLASSES):
        idx = np.flatnonzero(flat == k)
        if idx.size == 0:
            continue
        cls = CoherenceClass(f"ds{k}", g0, ginf, tau)
        root = matrix_sqrt(coherence_matrix(t, cls).astype(np.complex128))
        slc[:, idx] = amp * (root @ complex_normal(rng, (num_dates, idx.size)))
    ps = rng.random(size * size) < PS_FRACTION
    slc[:, ps] = (8.0 * (1.0 + 0.05 * rng.standard_normal((num_dates, int(ps.sum())))))
    yy, xx = np.mgrid[0:size, 0:size] / size
    bowl = np.exp(-((yy - 0.5) ** 2 + (xx - 0.4) ** 2) / 0.05).reshape(-1)
    years = t / 365.25
    phase = (-2.0 * np.pi * years[:, None] * bowl[None, :]
             + 0.8 * rng.standard_normal((num_dates, 1)) * (yy + xx).reshape(1, -1))
    slc *= np.exp(1j * phase).astype(np.complex64)
    dates = [np.datetime64("2020-01-01") + np.timedelta64(int(d), "D") for d in t]
    names = np.array([str(d).replace("-", "") for d in dates], dtype="S8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.create_dataset("slc", data=slc.reshape(num_dates, size, size),
                         chunks=slc_chunks(num_dates, size, size, patch))
        f["date"] = names
        f["bperp"] = rng.normal(0, 50, num_dates).astype(np.float32)
        f.attrs.update({"FILE_TYPE": "timeseries", "LENGTH": str(size), "WIDTH": str(size),
                        "WAVELENGTH": "0.05546576", "PLATFORM": "sen"})


def _cpu_seconds() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def _jit_compiles() -> int:
    """Number of phase-linking kernel compilations (numba cache misses) in this process."""
    from numba.core.registry import CPUDispatcher

    import minopy.phaselink as pl

    total = 0
    for mod_name, mod in list(sys.modules.items()):
        if not mod_name.startswith(pl.__name__):
            continue
        for obj in vars(mod).values():
            if isinstance(obj, CPUDispatcher):
                total += sum(obj.stats.cache_misses.values())
    return total


def run_case(num_dates: int, size: int, method: str, execution: str, workers: int,
             threads: int, patch: int, stack: Path | None = None) -> dict:
    """Run the phase_linking step once on ``stack`` (built if None); return timing and memory."""
    from minopy.config import load_config
    from minopy.parallel_env import limit_threads

    limit_threads(threads)  # as the step runner does
    from minopy.step_context import StepContext
    from minopy.steps import phase_linking

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "wd"
        config = load_config(overrides={
            "minopy.inversion.phaseLinkingMethod": method,
            "minopy.inversion.shpTest": "ks",
            "minopy.inversion.azimuthWindow": "15",
            "minopy.inversion.rangeWindow": "15",
            "minopy.inversion.patchSize": str(patch),
            "minopy.multiprocessing.numProcessor": str(workers),
            "minopy.compute.threadsPerWorker": str(threads),
        })
        log = logging.getLogger("bench")
        ctx = StepContext(work, config, log)
        if stack is None:
            build_stack(ctx.slc_stack_file, num_dates, size, patch)
        else:
            ctx.inputs_dir.mkdir(parents=True)
            shutil.copyfile(stack, ctx.slc_stack_file)
        cpu0 = _cpu_seconds()
        t0 = time.perf_counter()
        phase_linking.run(ctx, execution=execution)
        elapsed = time.perf_counter() - t0
        cpu1 = _cpu_seconds()
    kb_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kb_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    cpu = (cpu1[0] - cpu0[0]) + (cpu1[1] - cpu0[1])
    return {"dates": num_dates, "size": size, "method": method, "execution": execution,
            "workers": workers, "threads": threads, "patch": patch,
            "seconds": round(elapsed, 2), "px_per_s": round(size * size / elapsed),
            "cpu_s": round(cpu, 2), "px_per_cpu_s": round(size * size / max(cpu, 1e-9)),
            "peak_mb_self": round(kb_self / 1024), "peak_mb_child": round(kb_children / 1024),
            "jit": _jit_compiles()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs="+",
                        metavar="DATES SIZE METHOD EXEC WORKERS THREADS PATCH [STACK]",
                        help="run a single configuration in this process and print JSON")
    parser.add_argument("--build", nargs=4, metavar=("DATES", "SIZE", "PATCH", "PATH"),
                        help="only write a stack")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case (best wall time)")
    args = parser.parse_args(argv)
    if args.build:
        d, s, p, path = args.build
        build_stack(Path(path), int(d), int(s), int(p))
        return
    if args.one:
        d, s, m, e, w, t, p, *stack = args.one
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(relativeCreated)7.0f ms %(message)s")
        print(json.dumps(run_case(int(d), int(s), m, e, int(w), int(t), int(p),
                                  Path(stack[0]) if stack else None)))
        return
    # Everything heavy runs in subprocesses: a child's ru_maxrss starts at its parent's RSS at
    # fork time on Linux, so this process stays small.
    for warm in (("6", "40", "EMI"), ("12", "40", "sequential_EMI")):  # compile, fill the cache
        subprocess.run([sys.executable, __file__, "--one", *warm, "inprocess", "1", "1", "40"],
                       check=True, capture_output=True)
    print(f"{'dates':>5} {'size':>5} {'method':>15} {'exec':>9} {'w x t':>5} {'wall s':>7} "
          f"{'px/s':>7} {'cpu s':>6} {'px/cpu-s':>8} {'peak MB self/worker':>20} {'jit':>3}")
    with tempfile.TemporaryDirectory() as tmp:
        stacks: dict[tuple[int, int, int], Path] = {}
        for d, s, *_, p in DEFAULT_CASES:
            if (d, s, p) not in stacks:
                stacks[d, s, p] = Path(tmp) / f"slcStack_{d}_{s}_{p}.h5"
                subprocess.run([sys.executable, __file__, "--build", str(d), str(s), str(p),
                                str(stacks[d, s, p])], check=True)
        for case in DEFAULT_CASES:
            runs = []
            for _ in range(args.repeat):
                stack = stacks[case[0], case[1], case[-1]]
                out = subprocess.run([sys.executable, __file__, "--one", *map(str, case),
                                      str(stack)], check=True, capture_output=True,
                                     text=True).stdout
                runs.append(json.loads(out.strip().splitlines()[-1]))
            r = min(runs, key=lambda x: x["seconds"])
            print(f"{r['dates']:>5} {r['size']:>5} {r['method']:>15} {r['execution']:>9} "
                  f"{r['workers']:>1} x {r['threads']:<1} {r['seconds']:>7} {r['px_per_s']:>7} "
                  f"{r['cpu_s']:>6} {r['px_per_cpu_s']:>8} "
                  f"{r['peak_mb_self']:>9}/{r['peak_mb_child']:<10} {r['jit']:>3}", flush=True)


if __name__ == "__main__":
    main()
