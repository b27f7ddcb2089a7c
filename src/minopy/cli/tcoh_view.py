"""``tcoh_view``: inspect one pixel's displacement, SHPs and coherence matrix.

Usage::

    tcoh_view timeseries.h5 --slc inputs/slcStack.h5 --yx 120 345 [-rw 15 -aw 15] [--outdir DIR]

For pixel ``(Y, X)`` it writes into ``--outdir`` (default: the current folder):

- ``y{Y}x{X}_ts.png`` and ``y{Y}x{X}_ts.txt``: the displacement time series with its linear fit;
  when ``maskTempCoh.h5`` beside the time series marks the pixel as not reliable, the series is
  no-data (NaN, never MintPy's 0) and the figure, the text file and the console say why (e.g.
  ``not inverted: temporal coherence 0.31 < minTempCoh 0.55``, :func:`minopy.nodata.explain_pixel`);
- ``y{Y}x{X}_tcoh.png``: |Γ| and ∠Γ of the coherence matrix estimated from the pixel's SHPs
  (KS test in an ``aw x rw`` window of ``slcStack.h5``), and the window's mean amplitude with
  the SHPs marked.

Without ``--yx``, when a display is available and ``--nodisplay`` is not given, it shows the last
displacement map (unreliable pixels in the no-data grey); clicking a pixel opens these figures (and
saves them).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import h5py
import numpy as np

from minopy.errors import InputDataError

PROG = "tcoh_view"


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Displacement time series, SHPs and coherence matrix of a pixel.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  tcoh_view timeseries.h5 --slc ../inputs/slcStack.h5 --yx 120 345 "
               "--nodisplay")
    parser.add_argument("timeseries", type=Path, help="MintPy timeseries.h5 (displacement, m)")
    parser.add_argument("--slc", type=Path, required=True, help="inputs/slcStack.h5")
    parser.add_argument("--yx", type=int, nargs=2, metavar=("Y", "X"),
                        help="pixel row and column (required without a display)")
    parser.add_argument("-rw", "--range-window", type=int, default=15, dest="range_window",
                        help="SHP window width in range columns (default 15)")
    parser.add_argument("-aw", "--azimuth-window", type=int, default=15, dest="azimuth_window",
                        help="SHP window height in azimuth rows (default 15)")
    parser.add_argument("--alpha", type=float, default=0.01,
                        help="significance level of the KS SHP test (default 0.01)")
    parser.add_argument("--outdir", type=Path, default=Path("."),
                        help="folder for the figures (default: current folder)")
    parser.add_argument("--nodisplay", action="store_true",
                        help="never open a window; only write the figures")
    return parser


def has_display() -> bool:
    """Whether an interactive window can be opened."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def _check_inputs(ts_file: Path, slc_file: Path) -> tuple[int, int]:
    for path in (ts_file, slc_file):
        if not path.is_file():
            raise InputDataError(f"{path} does not exist")
    with h5py.File(ts_file, "r") as f:
        if "timeseries" not in f:
            raise InputDataError(f"{ts_file} has no 'timeseries' dataset; give a MintPy "
                                 "timeseries.h5")
        ts_shape = f["timeseries"].shape[1:]
    with h5py.File(slc_file, "r") as f:
        if "slc" not in f:
            raise InputDataError(f"{slc_file} has no 'slc' dataset; give inputs/slcStack.h5")
        slc_shape = f["slc"].shape[1:]
    if ts_shape != slc_shape:
        raise InputDataError(f"{ts_file} is {ts_shape[0]} x {ts_shape[1]} pixels but {slc_file} "
                             f"is {slc_shape[0]} x {slc_shape[1]}; they must be on the same grid")
    return ts_shape


def _check_window(args: argparse.Namespace) -> None:
    for name in ("range_window", "azimuth_window"):
        if getattr(args, name) < 1:
            raise InputDataError(f"--{name.replace('_', '-')} must be >= 1, "
                                 f"got {getattr(args, name)}")
    if not 0.0 < args.alpha < 1.0:
        raise InputDataError(f"--alpha must be in (0, 1), got {args.alpha}")


def no_data_reason(ts_file: Path, y: int, x: int) -> str | None:
    """Why pixel ``(y, x)`` of ``ts_file`` has no reliable displacement; None if it has one.

    Read from the network files beside the time series (``maskTempCoh.h5`` ...); None as well
    when they are not there (a time series outside a minopy work directory).
    """
    from minopy import nodata

    folder = ts_file.resolve().parent
    if not (folder / "maskTempCoh.h5").is_file():
        return None
    return nodata.explain_pixel(folder, y, x)


def inspect_and_save(args: argparse.Namespace, y: int, x: int) -> list[Path]:
    """Write the time-series and coherence figures of pixel ``(y, x)``; return their paths."""
    from minopy.plot.data import read_point_series
    from minopy.plot.pixel_inspect import inspect_pixel, write_pixel_figure
    from minopy.plot.timeseries import write_point_timeseries, write_series_text

    dates, series = read_point_series(args.timeseries, [(y, x)])
    reason = no_data_reason(args.timeseries, y, x)
    if reason is not None:
        series[:] = np.nan  # MintPy's 0 for a pixel that was not inverted is not a displacement
        print(f"pixel y={y} x={x}: {reason}")
    result = inspect_pixel(args.slc, y, x, args.range_window, args.azimuth_window, args.alpha)
    stem = args.outdir / f"y{y}x{x}"
    return [
        write_point_timeseries(f"{stem}_ts.png", dates, series, [f"y{y} x{x}"],
                               f"{args.timeseries.name}: pixel y={y} x={x}", note=reason),
        write_series_text(f"{stem}_ts.txt", dates, series[0], note=reason),
        write_pixel_figure(f"{stem}_tcoh.png", result),
    ]


def _interactive(args: argparse.Namespace) -> None:  # pragma: no cover - needs a display
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    from minopy.plot.data import read_h5_map, read_reliable_mask
    from minopy.plot.maps import symmetric_limits, with_nodata

    with h5py.File(args.timeseries, "r") as f:
        last = f["timeseries"].shape[0] - 1
    data, step = read_h5_map(args.timeseries, "timeseries", index=last)
    data = data * 100.0
    mask = read_reliable_mask(args.timeseries.resolve().parent, data.shape, step)
    if mask is not None:
        data[~mask] = np.nan
    fig, ax = plt.subplots(figsize=(7, 6))
    vmin, vmax = symmetric_limits(data)
    img = ax.imshow(np.ma.masked_invalid(data), cmap=with_nodata("RdBu_r"), vmin=vmin, vmax=vmax,
                    interpolation="nearest")
    fig.colorbar(img, ax=ax, label="displacement (cm), last date; grey: no data")
    ax.set_title("click a pixel (close the window to quit)")

    def on_click(event) -> None:
        if event.inaxes is not ax or event.xdata is None:
            return
        y, x = int(round(event.ydata)) * step, int(round(event.xdata)) * step
        for path in inspect_and_save(args, y, x):
            print(path)
            if path.suffix == ".png":
                pfig, pax = plt.subplots(figsize=(12, 5))
                pax.imshow(mpimg.imread(path))
                pax.set_axis_off()
                pfig.show()

    fig.canvas.mpl_connect("button_press_event", on_click)
    plt.show()


def run(args: argparse.Namespace) -> list[Path]:
    """Run ``tcoh_view`` on parsed arguments; return the files written."""
    _check_window(args)
    length, width = _check_inputs(args.timeseries, args.slc)
    interactive = not args.nodisplay and has_display()
    if args.yx is None:
        if not interactive:
            raise InputDataError("no display available: give the pixel with --yx Y X")
        _interactive(args)
        return []
    y, x = args.yx
    if not (0 <= y < length and 0 <= x < width):
        raise InputDataError(f"--yx {y} {x} is outside the image ({length} rows x {width} "
                             "columns)")
    paths = inspect_and_save(args, y, x)
    for path in paths:
        print(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``tcoh_view``; returns the exit status."""
    from minopy.cli import run_reporting_errors

    args = build_parser().parse_args(argv)
    return run_reporting_errors(PROG, lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
