"""End-to-end speed of the ``phase_linking`` step (read slcStack.h5, patches, dask, patch files).

Each configuration runs in a fresh subprocess so its peak memory (``ru_maxrss`` of the process
and of its finished children, i.e. the dask workers) is its own. The numba kernels are compiled
(and cached on disk) by a tiny warm-up run first, so the timings exclude JIT compilation.

Usage::

    python bench/phase_linking_step.py                 # the default set of configurations
    python bench/phase_linking_step.py --one 30 256 EMI 2 128
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py
import numpy as np

#: (dates, size, method, workers, patchSize)
DEFAULT_CASES = (
    (30, 256, "EMI", 1, 128),
    (30, 256, "EMI", 2, 128),
    (100, 256, "sequential_EMI", 2, 128),
)


def build_stack(path: Path, num_dates: int, size: int, seed: int = 0) -> None:
    """Write a ``num_dates`` x ``size`` x ``size`` slcStack.h5 of correlated circular Gaussians."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    dates = np.array([f"2020{1 + i // 28 % 12:02d}{1 + i % 28:02d}".encode() for i in
                      range(num_dates)], dtype="S8")
    dates = np.array(sorted(set(dates.tolist())), dtype="S8")
    if len(dates) < num_dates:  # more than 12*28 dates: fall back to a running index
        dates = np.array([f"{20000101 + i:08d}".encode() for i in range(num_dates)], dtype="S8")
    with h5py.File(path, "w") as f:
        dset = f.create_dataset("slc", (num_dates, size, size), dtype=np.complex64,
                                chunks=(num_dates, min(size, 128), min(size, 128)))
        common = (rng.standard_normal((size, size)) + 1j * rng.standard_normal((size, size)))
        for i in range(num_dates):
            noise = rng.standard_normal((size, size)) + 1j * rng.standard_normal((size, size))
            dset[i] = (np.sqrt(0.6) * common + np.sqrt(0.4) * noise) * np.exp(0.2j * i)
        f["date"] = dates
        f["bperp"] = np.zeros(num_dates, dtype=np.float32)
        f.attrs.update({"FILE_TYPE": "timeseries", "LENGTH": str(size), "WIDTH": str(size),
                        "WAVELENGTH": "0.0555"})


def run_case(num_dates: int, size: int, method: str, workers: int, patch: int) -> dict:
    """Build a stack, run the phase_linking step once and return timing and memory."""
    from minopy.config import load_config
    from minopy.steps import phase_linking
    from minopy.steps.context import StepContext

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "wd"
        config = load_config(overrides={
            "minopy.inversion.phaseLinkingMethod": method,
            "minopy.inversion.shpTest": "ks",
            "minopy.inversion.azimuthWindow": "15",
            "minopy.inversion.rangeWindow": "15",
            "minopy.inversion.patchSize": str(patch),
            "minopy.multiprocessing.numProcessor": str(workers),
            "minopy.compute.threadsPerWorker": "1",
        })
        ctx = StepContext(work, config, logging.getLogger("bench"))
        build_stack(ctx.slc_stack_file, num_dates, size)
        t0 = time.perf_counter()
        phase_linking.run(ctx)
        elapsed = time.perf_counter() - t0
    kb_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kb_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"dates": num_dates, "size": size, "method": method, "workers": workers,
            "patch": patch, "seconds": round(elapsed, 2),
            "px_per_s": round(size * size / elapsed), "peak_mb_self": round(kb_self / 1024),
            "peak_mb_child": round(kb_children / 1024)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=5, metavar=("DATES", "SIZE", "METHOD", "WORKERS", "PATCH"),
                        help="run a single configuration in this process and print JSON")
    args = parser.parse_args(argv)
    if args.one:
        d, s, m, w, p = args.one
        print(json.dumps(run_case(int(d), int(s), m, int(w), int(p))))
        return
    run_case(6, 40, "EMI", 1, 40)  # compile and cache the numba kernels
    run_case(12, 40, "sequential_EMI", 1, 40)
    print(f"{'dates':>5} {'size':>5} {'method':>15} {'workers':>7} {'seconds':>8} {'px/s':>7} "
          f"{'peak MB (self/worker)':>22}")
    for case in DEFAULT_CASES:
        out = subprocess.run([sys.executable, __file__, "--one", *map(str, case)], check=True,
                             capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        print(f"{r['dates']:>5} {r['size']:>5} {r['method']:>15} {r['workers']:>7} "
              f"{r['seconds']:>8} {r['px_per_s']:>7} "
              f"{r['peak_mb_self']:>10}/{r['peak_mb_child']:<11}", flush=True)


if __name__ == "__main__":
    main()
