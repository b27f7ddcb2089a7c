"""Residual troposphere after ERA5 (PyAPS), GACOS and height_correlation on one simulated stack.

Simulates a stack with ``tropo_model = "weather"`` (its ERA5-like GRIB files and GACOS products
are written beside it), runs the nine steps once with ``pyaps``, then ``timeseries_correction``
again with ``gacos`` and with ``height_correlation``, and prints for each method the RMS of the
injected stratified delay, the RMS of what the correction left of it
(:func:`minopy.simulate.evaluate.tropo_residual`) and their ratio.

Run by hand (not a test)::

    PYTHONPATH=src python bench/tropo_residuals.py --preset demo --out /tmp/tropo_bench
    PYTHONPATH=src python bench/tropo_residuals.py --preset tiny --out /tmp/tropo_tiny
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from minopy.runner import run_steps
from minopy.simulate import demo_template_text, write_stack
from minopy.simulate.evaluate import tropo_residual
from minopy.workflow import STEP_NAMES

#: method -> suffix of the corrected time series.
METHODS = {"pyaps": "ERA5", "gacos": "GACOS", "height_correlation": "tropHgt"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="demo")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    t0 = time.time()
    project = write_stack(args.out, preset=args.preset, seed=args.seed, tropo_model="weather")
    print(f"simulated {args.preset} in {time.time() - t0:.0f} s")
    work = project / "minopy"
    rows = []
    for i, (method, suffix) in enumerate(METHODS.items()):
        template = project / f"tropo_{method}.txt"
        template.write_text(demo_template_text(project, tropo=method))
        steps = list(STEP_NAMES) if i == 0 else ["timeseries_correction"]
        t0 = time.time()
        run_steps(template, work, steps, verbosity="quiet")
        seconds = time.time() - t0
        (net,) = sorted(work.glob("*_network"))
        res = tropo_residual(project / "truth.h5", net / "timeseries.h5",
                             net / f"timeseries_{suffix}.h5", net / "maskTempCoh.h5")
        rows.append((method, res, seconds))
    print(f"{'method':<20} {'injected RMS':>13} {'residual RMS':>13} {'ratio':>7}  time")
    for method, res, seconds in rows:
        print(f"{method:<20} {res.injected_rms * 1e3:10.2f} mm {res.residual_rms * 1e3:10.2f} mm "
              f"{res.ratio * 100:6.1f}%  {seconds:.0f} s")


if __name__ == "__main__":
    main()
