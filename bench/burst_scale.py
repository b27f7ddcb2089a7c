"""Burst-scale phase linking: throughput, peak memory and the time of a 35 Mpx Sentinel-1 burst.

Run by hand (not a test)::

    PYTHONPATH=src python bench/burst_scale.py                       # 1500 x 4000 x 30 (issue 15)
    PYTHONPATH=src python bench/burst_scale.py --length 300 --width 800   # a reduced size

Cases (each in a fresh subprocess, so its peak RSS is its own; ``phase_linking.run`` in process,
``threads`` numba threads, KS test, EMI, 15 x 15 windows, patchSize 200):

1. the ``length x width x dates`` stack at full resolution;
2. the same with output strides 3,6 (``minopy.inversion.strides``);
3. a 256 x 256 stack at full resolution: its peak RSS against case 1's shows that memory is
   bounded by the patch, not by the image.

The stack is S1-like (``bench/phase_linking_step.py``'s mosaic of distributed-scatterer classes
with 0.5 % bright PS), written band by band so that building it needs little memory. The numba
kernels are compiled (or loaded) by a warm-up before the cases, so the timings exclude JIT.
``px/s`` counts full-resolution pixels covered per second (for strides: output pixels x 18); the
35 Mpx time is ``35e6 / px/s``. The machine may be shared: the CPU seconds are reported too.
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

sys.path.insert(0, str(Path(__file__).parent))
from phase_linking_step import (  # noqa: E402
    DS_CLASSES,
    PS_FRACTION,
    REVISIT_DAYS,
    class_mosaic,
)

#: pixels of a Sentinel-1 IW burst at full resolution (~1500 x 23000 after merging, 35 Mpx).
BURST_PX = 35e6
#: rows written per band when building the stack.
BAND_ROWS = 100


def build_stack(path: Path, num_dates: int, length: int, width: int, patch: int,
                seed: int = 0) -> None:
    """Write an S1-like ``slcStack.h5`` band by band (memory: one band)."""
    from minopy.io.stack_h5 import slc_chunks
    from minopy.simulate.coherence import coherence_matrix, complex_normal, matrix_sqrt
    from minopy.simulate.params import CoherenceClass

    rng = np.random.default_rng(seed)
    t = np.arange(num_dates) * float(REVISIT_DAYS)
    roots = [amp * matrix_sqrt(coherence_matrix(t, CoherenceClass(f"ds{k}", g0, gi, tau))
                               .astype(np.complex128))
             for k, (g0, gi, tau, amp) in enumerate(DS_CLASSES)]
    labels = class_mosaic(rng, length, width, np.int8)
    years = t / 365.25
    tilt = 0.8 * rng.standard_normal(num_dates)
    dates = [np.datetime64("2020-01-01") + np.timedelta64(int(d), "D") for d in t]
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        ds = f.create_dataset("slc", (num_dates, length, width), np.complex64,
                              chunks=slc_chunks(num_dates, length, width, patch))
        for y0 in range(0, length, BAND_ROWS):
            y1 = min(length, y0 + BAND_ROWS)
            lab = labels[y0:y1].reshape(-1)
            band = np.empty((num_dates, lab.size), np.complex64)
            for k, root in enumerate(roots):
                idx = np.flatnonzero(lab == k)
                band[:, idx] = root @ complex_normal(rng, (num_dates, idx.size))
            ps = rng.random(lab.size) < PS_FRACTION
            band[:, ps] = 8.0 * (1.0 + 0.05 * rng.standard_normal((num_dates, int(ps.sum()))))
            yy, xx = np.mgrid[y0:y1, 0:width]
            yy, xx = yy / length, xx / width
            bowl = np.exp(-((yy - 0.5) ** 2 + (xx - 0.4) ** 2) / 0.05).reshape(-1)
            phase = (-2.0 * np.pi * years[:, None] * bowl[None, :]
                     + tilt[:, None] * (yy + xx).reshape(1, -1))
            band *= np.exp(1j * phase).astype(np.complex64)
            ds[:, y0:y1, :] = band.reshape(num_dates, y1 - y0, width)
        f["date"] = np.array([str(d).replace("-", "") for d in dates], dtype="S8")
        f["bperp"] = rng.normal(0, 50, num_dates).astype(np.float32)
        f.attrs.update({"FILE_TYPE": "timeseries", "LENGTH": str(length), "WIDTH": str(width),
                        "WAVELENGTH": "0.05546576", "PLATFORM": "sen"})


def run_case(stack: Path, strides: str, threads: int, patch: int, method: str) -> dict:
    """Phase-link ``stack`` once in this process; timing, CPU and peak RSS."""
    from minopy.config import load_config
    from minopy.parallel_env import limit_threads

    limit_threads(threads)
    import shutil

    from minopy.step_context import StepContext
    from minopy.steps import phase_linking

    with tempfile.TemporaryDirectory(dir=stack.parent) as tmp:
        config = load_config(overrides={
            "minopy.inversion.phaseLinkingMethod": method, "minopy.inversion.shpTest": "ks",
            "minopy.inversion.azimuthWindow": "15", "minopy.inversion.rangeWindow": "15",
            "minopy.inversion.patchSize": str(patch), "minopy.inversion.strides": strides,
            "minopy.multiprocessing.numProcessor": "1",
            "minopy.compute.threadsPerWorker": str(threads)})
        ctx = StepContext(Path(tmp) / "wd", config, logging.getLogger("bench"))
        ctx.inputs_dir.mkdir(parents=True)
        shutil.copyfile(stack, ctx.slc_stack_file)
        usage0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        phase_linking.run(ctx, execution="inprocess")
        seconds = time.perf_counter() - t0
        usage1 = resource.getrusage(resource.RUSAGE_SELF)
        with h5py.File(stack, "r") as f:
            _, length, width = f["slc"].shape
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    px = length * width
    return {"size": f"{length}x{width}", "strides": strides, "seconds": round(seconds, 1),
            "cpu_s": round(cpu, 1), "px_per_s": round(px / seconds),
            "burst_min": round(BURST_PX / (px / seconds) / 60, 1),
            "peak_rss_mb": round(usage1.ru_maxrss / 1024)}


def _subprocess(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=1500)
    parser.add_argument("--width", type=int, default=4000)
    parser.add_argument("--dates", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--patch", type=int, default=200)
    parser.add_argument("--method", default="EMI")
    parser.add_argument("--small", type=int, default=256, help="edge of the memory check stack")
    parser.add_argument("--one", nargs=2, metavar=("STACK", "STRIDES"), help=argparse.SUPPRESS)
    parser.add_argument("--build", nargs=3, metavar=("PATH", "LENGTH", "WIDTH"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build:
        path, length, width = args.build
        build_stack(Path(path), args.dates, int(length), int(width), args.patch)
        print(json.dumps({"built": path}))
        return
    if args.one:
        print(json.dumps(run_case(Path(args.one[0]), args.one[1], args.threads, args.patch,
                                  args.method)))
        return
    common = ["--dates", str(args.dates), "--threads", str(args.threads), "--patch",
              str(args.patch), "--method", args.method]
    with tempfile.TemporaryDirectory() as tmp:
        big, small, warm = (Path(tmp) / f"{n}.h5" for n in ("big", "small", "warm"))
        _subprocess("--build", str(warm), "40", "40", *common)
        _subprocess("--one", str(warm), "1,1", *common)  # compile or load the kernels
        _subprocess("--build", str(big), str(args.length), str(args.width), *common)
        _subprocess("--build", str(small), str(args.small), str(args.small), *common)
        print(f"phase linking, {args.dates} dates, KS + {args.method}, 15 x 15, "
              f"{args.threads} numba threads, patchSize {args.patch}")
        print(f"{'stack':>11} {'strides':>7} {'wall s':>7} {'cpu s':>7} {'px/s':>8} "
              f"{'35 Mpx burst':>13} {'peak RSS':>9}")
        for stack, strides in ((big, "1,1"), (big, "3,6"), (small, "1,1")):
            r = _subprocess("--one", str(stack), strides, *common)
            print(f"{r['size']:>11} {r['strides']:>7} {r['seconds']:>7} {r['cpu_s']:>7} "
                  f"{r['px_per_s']:>8} {r['burst_min']:>9} min {r['peak_rss_mb']:>6} MB",
                  flush=True)


if __name__ == "__main__":
    main()
