"""``cpxview``: amplitude (dB) and phase of a complex image.

Usage::

    cpxview inputs/slcStack.h5 [--dset slc] [--date YYYYMMDD | --index i] [--box x0 y0 x1 y1]
            [-o out.png]
    cpxview inverted/interferograms_single_reference/20200101_20200113/fine.int -o int.png

Without ``-o`` the PNG goes to the current folder as ``<file stem>_<date>_cpx.png`` for a stack
(``slcStack_20200105_cpx.png``; ``slcStack_index3_cpx.png`` for a stack without dates) and
``<file name with _ for .>_cpx.png`` for a raster (``fine_int_cpx.png``).

Reads one layer of a 3-D complex HDF5 dataset (``slcStack.h5``'s ``slc``) or band 1 of an ISCE
complex raster (``.slc``, ``.int``; via :func:`minopy.io.isce.read_raster`), and writes a PNG with
the amplitude in dB and the phase side by side. Large images are decimated for display.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import h5py
import numpy as np

from minopy.errors import InputDataError
from minopy.plot.data import parse_dates
from minopy.plot.maps import MapPanel, display_step, robust_limits, write_maps

PROG = "cpxview"
HDF5_SUFFIXES = (".h5", ".hdf5", ".he5")


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Amplitude (dB) and phase of slcStack.h5 or an ISCE complex file.")
    parser.add_argument("file", type=Path, help="slcStack.h5, or an ISCE .slc/.int raster")
    parser.add_argument("--dset", default="slc", help="HDF5 dataset (default: slc)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--date", help="date YYYYMMDD of a 3-D HDF5 dataset")
    which.add_argument("--index", type=int, help="layer index of a 3-D HDF5 dataset (default 0)")
    parser.add_argument("--box", type=int, nargs=4, metavar=("X0", "Y0", "X1", "Y1"),
                        help="pixel window: columns X0:X1, rows Y0:Y1")
    parser.add_argument("-o", "--output", type=Path,
                        help="output PNG (default here: slcStack_<date>_cpx.png for a stack, "
                             "fine_int_cpx.png for a raster fine.int)")
    return parser


def _check_box(box: list[int] | None, length: int, width: int, source: Path
               ) -> tuple[int, int, int, int]:
    if box is None:
        return 0, 0, width, length
    x0, y0, x1, y1 = box
    if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= length):
        raise InputDataError(f"--box {x0} {y0} {x1} {y1} is not inside {source} ({width} columns "
                             f"x {length} rows); expected 0 <= X0 < X1 <= {width}, "
                             f"0 <= Y0 < Y1 <= {length}")
    return x0, y0, x1, y1


def _layer_index(f: h5py.File, count: int, date: str | None, index: int | None) -> tuple[int, str]:
    if date is not None:
        if "date" not in f:
            raise InputDataError(f"{f.filename} has no 'date' dataset; use --index instead")
        names = [f"{d:%Y%m%d}" for d in parse_dates(f["date"][()])]
        if date not in names:
            raise InputDataError(f"--date {date} is not in {f.filename}; its dates are "
                                 f"{names[0]} .. {names[-1]} ({len(names)} dates)")
        return names.index(date), date
    i = 0 if index is None else index
    if not 0 <= i < count:
        raise InputDataError(f"--index {i} is out of range for {f.filename} ({count} layers)")
    label = f"index {i}"
    if "date" in f and len(f["date"]) == count:
        label = f"{parse_dates(f['date'][i:i + 1])[0]:%Y%m%d}"
    return i, label


def read_complex(args: argparse.Namespace) -> tuple[np.ndarray, str, int]:
    """Read the requested complex layer, boxed and decimated.

    Returns
    -------
    (ndarray, str, int)
        The complex image, a label (date or index), and the display stride.
    """
    path: Path = args.file
    if not path.exists():
        raise InputDataError(f"{path} does not exist")
    if path.suffix.lower() in HDF5_SUFFIXES:
        with h5py.File(path, "r") as f:
            if args.dset not in f:
                raise InputDataError(f"{path} has no dataset {args.dset!r}; it has "
                                     f"{sorted(f.keys())}")
            dset = f[args.dset]
            if dset.ndim not in (2, 3):
                raise InputDataError(f"{path}:{args.dset} has shape {dset.shape}; expected 2-D "
                                     "or 3-D (dates, rows, columns)")
            length, width = dset.shape[-2:]
            x0, y0, x1, y1 = _check_box(args.box, length, width, path)
            step = display_step((y1 - y0, x1 - x0))
            if dset.ndim == 3:
                i, label = _layer_index(f, dset.shape[0], args.date, args.index)
                data = dset[i, y0:y1:step, x0:x1:step]
            else:
                label = args.dset
                data = dset[y0:y1:step, x0:x1:step]
    else:
        from minopy.io.isce import open_raster

        if args.date is not None or args.index is not None:
            raise InputDataError(f"--date/--index apply to HDF5 stacks, not to the raster {path}")
        arr = open_raster(path)
        length, width = arr.shape[1:]
        x0, y0, x1, y1 = _check_box(args.box, length, width, path)
        step = display_step((y1 - y0, x1 - x0))
        data = np.array(arr[0, y0:y1:step, x0:x1:step])
        label = path.name
    if not np.iscomplexobj(data):
        raise InputDataError(f"{path} holds {data.dtype} data; cpxview expects complex values "
                             "(an SLC or an interferogram)")
    return np.asarray(data), label, step


def write_cpx_figure(path: Path, data: np.ndarray, title: str,
                     origin: tuple[int, int] = (0, 0), step: int = 1) -> Path:
    """Write amplitude (dB) and phase panels of a complex image to ``path``."""
    with np.errstate(divide="ignore"):
        db = 20.0 * np.log10(np.where(np.abs(data) > 0, np.abs(data), np.nan))
    lo, hi = robust_limits(db, (1.0, 99.0))
    x0, y0 = origin
    ny, nx = data.shape
    extent = (x0 - 0.5, x0 + nx * step - 0.5, y0 + ny * step - 0.5, y0 - 0.5)
    panels = [
        MapPanel(db, "amplitude", "gray", lo, hi, label="amplitude (dB)", extent=extent,
                 aspect="equal"),
        MapPanel(np.angle(data), "phase", "hsv", -np.pi, np.pi, label="phase (rad)",
                 extent=extent, aspect="equal"),
    ]
    return write_maps(path, panels, title)


def default_output(file: Path, label: str) -> Path:
    """``slcStack_20200105_cpx.png`` (stack layer), ``fine_int_cpx.png`` (raster)."""
    if file.suffix.lower() in HDF5_SUFFIXES:
        return Path(f"{file.stem}_{label.replace(' ', '')}_cpx.png")
    return Path(f"{file.name.replace('.', '_')}_cpx.png")


def run(args: argparse.Namespace) -> Path:
    """Run ``cpxview`` on parsed arguments; return the PNG written."""
    data, label, step = read_complex(args)
    out = args.output if args.output is not None else default_output(args.file, label)
    origin = (args.box[0], args.box[1]) if args.box else (0, 0)
    title = f"{args.file.name} ({label})" + (f", every {step}th pixel" if step > 1 else "")
    path = write_cpx_figure(out, data, title, origin, step)
    print(path)
    return path


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``cpxview``; returns the exit status."""
    from minopy.cli import run_reporting_errors

    args = build_parser().parse_args(argv)
    return run_reporting_errors(PROG, lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
