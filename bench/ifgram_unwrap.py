"""Benchmark: seconds per megapixel of generate_ifgram (with/without filter) and unwrapping.

Builds a synthetic ``phase_series.h5`` (default 30 dates, 256 x 256) in a temporary folder, runs
the generate_ifgram step on a sequential-1 network (29 pairs) without and with Goldstein filtering,
then unwraps every pair with SNAPHU and with whirlwind. Runs in-process (one worker) so the numbers
are per core.

Usage::

    python bench/ifgram_unwrap.py [--dates 30] [--size 256]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from interferogram._synthetic import make_phase_series  # noqa: E402

from minopy.config import load_config  # noqa: E402
from minopy.io.isce import read_raster  # noqa: E402
from minopy.step_context import StepContext  # noqa: E402
from minopy.steps import generate_ifgram, unwrap_ifgram  # noqa: E402


def _ctx(wd: Path, **options: str) -> StepContext:
    overrides = {"minopy.multiprocessing.numProcessor": "1",
                 "minopy.interferograms.type": "sequential",
                 "minopy.interferograms.numSequential": "1", **options}
    return StepContext(wd, load_config(overrides=overrides), logging.getLogger("bench"))


def _accuracy(ctx: StepContext, stack) -> float:
    fractions = []
    for pair in sorted(p for p in ctx.ifgram_dir.iterdir() if p.is_dir()):
        d1, d2 = pair.name.split("_")
        unw = read_raster(pair / "filt_fine.unw", band=2)
        cc = read_raster(pair / "filt_fine.unw.conncomp") > 0
        k = np.rint((unw - stack.truth(d1, d2))[cc] / (2 * np.pi)).astype(int)
        fractions.append(np.bincount(k - k.min()).max() / unw.size if k.size else 0.0)
    return float(np.mean(fractions))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dates", type=int, default=30)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="minopy_bench_") as tmp:
        wd = Path(tmp) / "wd"
        stack = make_phase_series(wd, num_dates=args.dates, length=args.size, width=args.size,
                                  rate=0.05, noise=0.3)
        npairs = args.dates - 1
        mpx = npairs * args.size * args.size / 1e6
        print(f"stack: {args.dates} dates, {args.size}x{args.size}; {npairs} pairs = "
              f"{mpx:.2f} Mpx of interferograms")
        rows = []
        for label, opts in (("generate_ifgram (no filter)", {}),
                            ("generate_ifgram (Goldstein 0.5)",
                             {"minopy.interferograms.filterStrength": "0.5"})):
            ctx = _ctx(wd, **opts)
            t0 = time.perf_counter()
            generate_ifgram.run(ctx)
            rows.append((label, time.perf_counter() - t0, None))
        for method in ("snaphu", "whirlwind"):
            ctx = _ctx(wd, **{"minopy.interferograms.filterStrength": "0.5",
                              "minopy.unwrap.method": method})
            t0 = time.perf_counter()
            unwrap_ifgram.run(ctx)
            rows.append((f"unwrap_ifgram ({method}, filtered, removeFilter)",
                         time.perf_counter() - t0, _accuracy(ctx, stack)))
        print(f"{'task':48s} {'total s':>8s} {'s/Mpx':>8s} {'correct':>8s}")
        for label, sec, acc in rows:
            acc_text = f"{100 * acc:7.2f}%" if acc is not None else ""
            print(f"{label:48s} {sec:8.2f} {sec / mpx:8.2f} {acc_text:>8s}")


if __name__ == "__main__":
    main()
