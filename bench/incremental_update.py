"""Benchmark: a full run on N + M dates against an update of an N-date run (streaming mode).

Three scenarios, each in its own process (so each reports its own peak memory, VmHWM):

1. ``base``: phase_linking + concatenate_patch on the first N dates (work dir A);
2. ``update``: the stack of A grows by M dates (appended in place, as load_data does), then
   phase_linking + concatenate_patch again in A, resuming from the stored state;
3. ``full``: phase_linking + concatenate_patch on all N + M dates in a fresh work dir B.

It prints the wall times, the update/full ratio, the peak memory and whether the two
``phase_series.h5`` are bit-identical. ``--mode`` chooses ``minopy.inversion.sequentialMode``
(default ``streaming``; ``stack`` shows the full recompute of the stack mode).

With ``--chain``, the whole workflow (``minopyApp.py``'s nine steps, through the time series and
velocity) is timed instead, on a stack simulated by :mod:`minopy.simulate` (``tiny`` preset,
``--size`` rows, N + M dates): a run with ``minopy.load.endDate`` at date N, the same work
directory re-run without the end date (the update), and a fresh run on all dates; it prints the
wall times per step (``.minopy_timing.json``), the peak memory of each run, the pairs the update
formed and unwrapped, whether ``phase_series.h5`` is bit-identical and the largest velocity
difference.

Usage::

    PYTHONPATH=src python bench/incremental_update.py --dates 100 --new 10 --size 96 \
        --workdir /tmp/inc_bench
    PYTHONPATH=src python bench/incremental_update.py --chain --dates 100 --new 10 --size 48 \
        --workdir /tmp/inc_chain

The kernels are compiled (or loaded from numba's cache) before the timed part of each process.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import re
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "steps"))

from _slc_builders import BASE_ATTRS as ATTRS  # noqa: E402  (the test stacks' attributes)

from minopy.io.slc_digest import image_digest, write_digests  # noqa: E402


def simulate(num_dates: int, size: int, seed: int = 0) -> np.ndarray:
    """Distributed scatterers with exponentially decaying coherence and a deformation ramp."""
    rng = np.random.default_rng(seed)
    t = np.arange(num_dates)
    gamma = 0.2 + 0.6 * np.exp(-np.abs(t[:, None] - t[None, :]) / 12.0)
    np.fill_diagonal(gamma, 1.0)
    chol = np.linalg.cholesky(gamma)
    noise = (rng.standard_normal((num_dates, size * size))
             + 1j * rng.standard_normal((num_dates, size * size))) / np.sqrt(2)
    slc = (chol @ noise).reshape(num_dates, size, size)
    x = np.arange(size)[None, None, :] / size
    slc *= np.exp(1j * 3.0 * (t[:, None, None] / num_dates) * (1 + x))
    return slc.astype(np.complex64)


def write_stack(path: Path, slc: np.ndarray) -> None:
    n, length, width = slc.shape
    dates = [str(np.datetime64("2020-01-01") + np.timedelta64(12 * i, "D")).replace("-", "")
             for i in range(n)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.create_dataset("slc", data=slc, maxshape=(None, length, width),
                         chunks=(min(n, 16), min(64, length), min(64, width)))
        f.create_dataset("date", data=np.array(dates, dtype="S8"))
        f.create_dataset("bperp", data=np.linspace(0, 50, n).astype(np.float32))
        f.attrs.update(ATTRS)
        f.attrs.update({"LENGTH": str(length), "WIDTH": str(width)})
        write_digests(f, [image_digest(s) for s in slc])  # as load_data records them


def append_stack(path: Path, slc: np.ndarray) -> None:
    """Grow the stack in place to all dates of ``slc`` (old dates untouched)."""
    n = slc.shape[0]
    with h5py.File(path, "r+") as f:
        old = f["slc"].shape[0]
        f["slc"].resize(n, axis=0)
        f["slc"][old:] = slc[old:]
        dates = [str(np.datetime64("2020-01-01") + np.timedelta64(12 * i, "D")).replace("-", "")
                 for i in range(n)]
        for name, data in (("date", np.array(dates, dtype="S8")),
                           ("bperp", np.linspace(0, 50, n).astype(np.float32))):
            del f[name]
            f.create_dataset(name, data=data)
        write_digests(f, [image_digest(s) for s in slc])


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def scenario(args: argparse.Namespace) -> None:
    """One timed scenario (run in a child process); prints a JSON line."""
    from minopy.config import load_config
    from minopy.step_context import StepContext
    from minopy.steps import concatenate_patch, phase_linking

    work = Path(args.workdir) / ("B" if args.scenario == "full" else "A")
    total = args.dates + args.new
    slc = simulate(total, args.size, seed=1)
    stack = work / "inputs" / "slcStack.h5"
    if args.scenario == "base":
        write_stack(stack, slc[:args.dates])
    elif args.scenario == "update":
        append_stack(stack, slc)
    else:
        write_stack(stack, slc)
    del slc
    overrides = {"minopy.inversion.phaseLinkingMethod": "sequential_EMI",
                 "minopy.inversion.sequentialMode": args.mode,
                 "minopy.inversion.ministackSize": str(args.ministack),
                 "minopy.inversion.patchSize": str(args.patch),
                 "minopy.inversion.azimuthWindow": "11", "minopy.inversion.rangeWindow": "11",
                 "minopy.multiprocessing.numProcessor": "1"}
    log = logging.getLogger("minopy.bench")
    ctx = StepContext(work, load_config(overrides=overrides), log)
    plan = phase_linking.make_plan(ctx)
    phase_linking.warm_up_kernels(plan.options, plan.stack.num_dates, log)
    base = dataclasses.replace(plan.options, method="EMI")  # what streaming mini-stacks use
    phase_linking.warm_up_kernels(base, 2 * args.ministack, log)
    t0 = time.perf_counter()
    phase_linking.run(ctx, execution="inprocess")
    t1 = time.perf_counter()
    concatenate_patch.run(ctx)
    t2 = time.perf_counter()
    print(json.dumps({"scenario": args.scenario, "phase_linking_s": t1 - t0,
                      "concatenate_s": t2 - t1, "peak_mib": peak_rss_mib()}))


def chain_run(args: argparse.Namespace) -> None:
    """One whole-workflow run (child process); prints a JSON line."""
    from minopy.runner import run_steps
    from minopy.workflow import STEP_NAMES

    project = Path(args.workdir) / "project"
    template = project / f"bench_{args.scenario}.txt"
    work = project / ("minopy_full" if args.scenario == "full" else "minopy")
    t0 = time.perf_counter()
    run_steps(template, work, list(STEP_NAMES), verbosity="quiet")
    print(json.dumps({"scenario": args.scenario, "wall_s": time.perf_counter() - t0,
                      "peak_mib": peak_rss_mib()}))


def chain(args: argparse.Namespace) -> None:
    """Simulate, write the templates and time the three whole-workflow runs."""
    import shutil

    from minopy.simulate import demo_template_text, write_stack

    shutil.rmtree(args.workdir, ignore_errors=True)
    total = args.dates + args.new
    project = write_stack(Path(args.workdir) / "project", preset="tiny", seed=0, n_dates=total,
                          length=args.size, width=args.size)
    dates = sorted(p.name for p in (project / "merged" / "SLC").iterdir())
    text = demo_template_text(project, tropo="no")
    text = re.sub(r"minopy.inversion.ministackSize *= *\d+",
                  f"minopy.inversion.ministackSize = {args.ministack}", text)
    text += f"\nminopy.plot = no\nminopy.inversion.sequentialMode = {args.mode}\n"
    end = f"minopy.load.endDate = {dates[args.dates - 1]}\n"
    (project / "bench_base.txt").write_text(text + end)
    (project / "bench_update.txt").write_text(text)
    (project / "bench_full.txt").write_text(text)
    rows = {}
    for name in ("base", "update", "full"):
        cmd = [sys.executable, __file__, "--scenario", name, "--chain", *sys.argv[1:]]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        rows[name] = json.loads(out.stdout.strip().splitlines()[-1])
    log = (project / "minopy" / "log").read_text()
    for line in log.splitlines():
        if "incremental:" in line or "were complete and skipped" in line:
            print("  [update] " + line.split(" - ")[-1])
    timing = {}
    for name, work in (("update", "minopy"), ("full", "minopy_full")):
        timing[name] = json.loads((project / work / ".minopy_timing.json").read_text())
    print(f"{'step':<24}{'update (s)':>12}{'full (s)':>10}")
    for step in timing["full"]:
        u, f = (timing[n].get(step, {}).get("seconds") for n in ("update", "full"))
        if isinstance(f, (int, float)):
            print(f"{step:<24}{(u or 0.0):>12.1f}{f:>10.1f}")
    with h5py.File(project / "minopy/inverted/phase_series.h5", "r") as a, \
            h5py.File(project / "minopy_full/inverted/phase_series.h5", "r") as b:
        same = all(np.array_equal(a[k][()], b[k][()], equal_nan=True)
                   for k in ("phase", "temporalCoherence", "amplitude"))
    print(f"phase_series.h5 of the update bit-identical to the full run: {same}")
    vel = []
    for work in ("minopy", "minopy_full"):
        (net,) = sorted((project / work).glob("*_network"))
        with h5py.File(net / "velocity.h5", "r") as f:
            vel.append(f["velocity"][()] * 1000.0)
    diff = np.nanmax(np.abs(vel[0] - vel[1]))
    print(f"whole workflow, simulated {args.size} x {args.size}, {args.dates} + {args.new} dates")
    print(f"{'run':<8}{'wall (s)':>10}{'peak (MiB)':>12}")
    for name, r in rows.items():
        print(f"{name:<8}{r['wall_s']:>10.1f}{r['peak_mib']:>12.0f}")
    print(f"update / full wall time: {rows['update']['wall_s'] / rows['full']['wall_s']:.0%} "
          "(target <= 30%)")
    print(f"largest velocity difference update vs full: {diff:.5f} mm/yr")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dates", type=int, default=100, help="N, dates of the first run")
    ap.add_argument("--new", type=int, default=10, help="M, dates added")
    ap.add_argument("--size", type=int, default=96, help="image is size x size pixels")
    ap.add_argument("--patch", type=int, default=48, help="patch size")
    ap.add_argument("--ministack", type=int, default=10, help="mini-stack size")
    ap.add_argument("--workdir", default="/tmp/minopy_incremental_bench")
    ap.add_argument("--chain", action="store_true", help="time the whole workflow")
    ap.add_argument("--mode", choices=("streaming", "stack"), default="streaming",
                    help="minopy.inversion.sequentialMode")
    ap.add_argument("--scenario", choices=("base", "update", "full"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.chain and args.scenario:
        chain_run(args)
        return
    if args.chain:
        chain(args)
        return
    if args.scenario:
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
        scenario(args)
        return
    import shutil

    shutil.rmtree(args.workdir, ignore_errors=True)
    rows = {}
    for name in ("base", "update", "full"):
        cmd = [sys.executable, __file__, "--scenario", name, *sys.argv[1:]]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True)
        rows[name] = json.loads(out.stdout.strip().splitlines()[-1])
        for line in out.stderr.splitlines():
            if "incremental:" in line:
                print(f"  [{name}] {line}")
    with h5py.File(Path(args.workdir) / "A/inverted/phase_series.h5", "r") as a, \
            h5py.File(Path(args.workdir) / "B/inverted/phase_series.h5", "r") as b:
        same = all(np.array_equal(a[k][()], b[k][()], equal_nan=True)
                   for k in ("phase", "temporalCoherence", "amplitude"))
    print(f"stack {args.size} x {args.size} pixels, {args.dates} + {args.new} dates, "
          f"mini-stack {args.ministack}, patch {args.patch}")
    print(f"{'run':<8}{'phase_linking (s)':>20}{'concatenate (s)':>18}{'peak (MiB)':>12}")
    for name, r in rows.items():
        print(f"{name:<8}{r['phase_linking_s']:>20.1f}{r['concatenate_s']:>18.2f}"
              f"{r['peak_mib']:>12.0f}")
    ratio = rows["update"]["phase_linking_s"] / rows["full"]["phase_linking_s"]
    print(f"update / full phase-linking time: {ratio:.0%} (target <= 20%)")
    print(f"phase_series.h5 of the update bit-identical to the full run: {same}")


if __name__ == "__main__":
    main()
