"""``scatterview``: draw only the unmasked pixels of a map, as scatter points.

Usage::

    scatterview velocity.h5 [velocity] --mask maskTempCoh.h5 -o vel_points.png
    scatterview velocity.h5 --mask ../maskPS.h5 --geo --geometry inputs/geometryRadar.h5 -o geo.png
    scatterview timeseries.h5 timeseries-20200325 --mask maskTempCoh.h5 -o ts.png

Meant for sparse PS/DS results. In radar coordinates x is the column and y the row (y axis
pointing down, like an image). With ``--geo`` each point is placed at its own longitude (x) and
latitude (y) read from the geometry file, so no geocoding is needed.

Everything that is not a drawn point is no-data: the background is the no-data grey of the maps
(:data:`minopy.plot.maps.NODATA_COLOR`), never a colour of the scale, and a NaN value among the
unmasked pixels is not drawn. Diverging scales (velocity, displacement) are symmetric about zero.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import h5py
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from minopy.errors import InputDataError
from minopy.plot.data import parse_dates
from minopy.plot.maps import (
    NODATA_COLOR,
    is_diverging,
    new_figure,
    robust_limits,
    save_figure,
    symmetric_limits,
)

PROG = "scatterview"
#: Rows read at a time when gathering values and coordinates of unmasked pixels.
BLOCK_ROWS = 1024
#: Scale and unit shown for datasets stored in metres or m/year.
DISPLAY_UNITS = {"velocity": (100.0, "velocity (cm/year)"),
                 "timeseries": (100.0, "displacement (cm)")}


def colorbar_label(path: Path, name: str) -> str:
    """``<dataset> (<UNIT attribute>)`` for datasets minopy does not rescale."""
    with h5py.File(path, "r") as f:
        unit = f[name].attrs.get("UNIT", f.attrs.get("UNIT"))
    unit = unit.decode() if isinstance(unit, bytes) else unit
    return f"{name} ({unit if unit not in (None, '') else 'no UNIT in the file'})"


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Scatter plot of the unmasked pixels of a map (PS/DS display).")
    parser.add_argument("file", type=Path, help="HDF5 file (velocity.h5, temporalCoherence.h5 ..)")
    parser.add_argument("dset", nargs="?",
                        help="dataset; name-YYYYMMDD for one date of a 3-D dataset "
                             "(default: the file's main dataset)")
    parser.add_argument("--mask", type=Path, required=True,
                        help="mask file (maskPS.h5, maskTempCoh.h5): only True pixels are drawn")
    parser.add_argument("--geo", action="store_true",
                        help="draw at longitude/latitude from --geometry")
    parser.add_argument("--geometry", type=Path, help="geometryRadar.h5 (latitude, longitude)")
    parser.add_argument("--vlim", type=float, nargs=2, metavar=("VMIN", "VMAX"),
                        help="colour limits in display units (default: 2nd/98th percentile, "
                             "symmetric about zero for velocity and displacement)")
    parser.add_argument("--cmap", default=None, help="colormap (default: RdBu_r or viridis)")
    parser.add_argument("-s", "--size", type=float, default=1.0, help="marker size (default 1)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="output PNG")
    return parser


def _main_dataset(f: h5py.File) -> str:
    file_type = str(f.attrs.get("FILE_TYPE", ""))
    if file_type in f:
        return file_type
    names = [k for k in sorted(f.keys()) if isinstance(f[k], h5py.Dataset) and f[k].ndim in (2, 3)]
    if not names:
        raise InputDataError(f"{f.filename} has no 2-D or 3-D dataset to show")
    return names[0]


def resolve_dataset(path: Path, dset: str | None) -> tuple[str, int | None, str]:
    """Dataset name, layer index (3-D) and a label for ``dset`` (``name`` or ``name-YYYYMMDD``)."""
    if not path.is_file():
        raise InputDataError(f"{path} does not exist")
    with h5py.File(path, "r") as f:
        name, date = dset, None
        if dset is not None and dset not in f and "-" in dset:
            name, date = dset.rsplit("-", 1)
        name = name or _main_dataset(f)
        if name not in f:
            raise InputDataError(f"{path} has no dataset {name!r}; it has {sorted(f.keys())}")
        ds = f[name]
        if ds.ndim == 2:
            if date is not None:
                raise InputDataError(f"{path}:{name} is 2-D; a date ({date}) applies to 3-D data")
            return name, None, name
        if ds.ndim != 3:
            raise InputDataError(f"{path}:{name} has shape {ds.shape}; expected 2-D or 3-D")
        if "date" not in f:
            raise InputDataError(f"{path} has no 'date' dataset to pick a layer of {name!r}")
        dates = [f"{d:%Y%m%d}" for d in parse_dates(f["date"][()])]
        if date is None:
            date = dates[-1]
        if date not in dates:
            raise InputDataError(f"date {date} is not in {path}; its dates are {dates[0]} .. "
                                 f"{dates[-1]}")
        return name, dates.index(date), f"{name} {date}"


def read_mask(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """The boolean mask of a MintPy mask file (``mask`` or its only 2-D dataset)."""
    if not path.is_file():
        raise InputDataError(f"mask file {path} does not exist")
    with h5py.File(path, "r") as f:
        name = "mask" if "mask" in f else None
        if name is None:
            names = [k for k in f if isinstance(f[k], h5py.Dataset) and f[k].ndim == 2]
            if len(names) != 1:
                raise InputDataError(f"{path}: expected a 'mask' dataset; it has {sorted(f)}")
            name = names[0]
        mask = np.asarray(f[name][()]).astype(bool)
    if mask.shape != tuple(shape):
        raise InputDataError(f"mask {path} is {mask.shape[0]} x {mask.shape[1]} but the data is "
                             f"{shape[0]} x {shape[1]}; they must be on the same grid")
    return mask


def _gather(path: Path, name: str, index: int | None, mask: np.ndarray) -> np.ndarray:
    """Values of the True pixels of ``mask``, read in blocks of rows (row-major order)."""
    out = []
    with h5py.File(path, "r") as f:
        ds = f[name]
        for r0 in range(0, mask.shape[0], BLOCK_ROWS):
            rows = mask[r0:r0 + BLOCK_ROWS]
            if not rows.any():
                continue
            block = ds[r0:r0 + BLOCK_ROWS] if index is None else ds[index, r0:r0 + BLOCK_ROWS]
            out.append(np.asarray(block)[rows])
    return np.concatenate(out) if out else np.empty(0)


def _shape_of(path: Path, name: str) -> tuple[int, int]:
    with h5py.File(path, "r") as f:
        length, width = (int(v) for v in f[name].shape[-2:])  # resolve_dataset(): 2-D or 3-D
        return length, width


def scatter_points(file: Path, dset: str | None, mask_file: Path,
                   geometry: Path | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """The points to draw: ``(x, y, value, label)`` for every unmasked pixel.

    In radar coordinates ``x`` is the column and ``y`` the row; with ``geometry`` ``x`` is the
    longitude and ``y`` the latitude of each pixel.
    """
    name, index, label = resolve_dataset(file, dset)
    shape = _shape_of(file, name)
    mask = read_mask(mask_file, shape)
    values = _gather(file, name, index, mask).astype(np.float64)
    if geometry is None:
        rows, cols = np.nonzero(mask)
        return cols.astype(np.float64), rows.astype(np.float64), values, label
    if not geometry.is_file():
        raise InputDataError(f"geometry file {geometry} does not exist")
    with h5py.File(geometry, "r") as f:
        for key in ("latitude", "longitude"):
            if key not in f:
                raise InputDataError(f"{geometry} has no {key!r} dataset; give geometryRadar.h5")
            if f[key].shape != shape:
                raise InputDataError(f"{geometry}:{key} is {f[key].shape} but the data is {shape}")
    lat = _gather(geometry, "latitude", None, mask).astype(np.float64)
    lon = _gather(geometry, "longitude", None, mask).astype(np.float64)
    return lon, lat, values, label


def scatter_figure(x: np.ndarray, y: np.ndarray, values: np.ndarray, title: str, geo: bool,
                   unit: str = "", cmap: str = "viridis", vlim: tuple[float, float] | None = None,
                   size: float = 1.0) -> Figure:
    """Figure of the points: radar (column, row; y down) or geographic (longitude, latitude).

    The background (no point) and NaN values are no-data, in :data:`NODATA_COLOR`.
    """
    fig = new_figure(7.0, 6.0)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_facecolor(NODATA_COLOR)
    if vlim is None:
        vlim = symmetric_limits(values) if is_diverging(cmap) else robust_limits(values)
    vmin, vmax = vlim
    finite = np.isfinite(values)
    sc = ax.scatter(x[finite], y[finite], c=values[finite], s=size, cmap=cmap, vmin=vmin,
                    vmax=vmax, marker="o", linewidths=0)
    fig.colorbar(sc, ax=ax, shrink=0.85, label=unit)
    ax.legend(handles=[Patch(facecolor=NODATA_COLOR, edgecolor="0.3",
                             label="no data (masked)" + (f"; {int((~finite).sum())} NaN values"
                                                         if (~finite).any() else ""))],
              loc="upper center", bbox_to_anchor=(0.5, -0.1), fontsize=7, frameon=False)
    if geo:
        ax.set_xlabel("longitude (°)")
        ax.set_ylabel("latitude (°)")
        mid = np.deg2rad(np.nanmean(y)) if y.size else 0.0
        ax.set_aspect(1.0 / max(np.cos(mid), 1e-3))
    else:
        ax.set_xlabel("range (column)")
        ax.set_ylabel("azimuth (row)")
        ax.set_aspect("equal")
        if not ax.yaxis_inverted():
            ax.invert_yaxis()
    pad_x = 0.02 * max(np.ptp(x) if x.size else 1.0, 1e-6)
    pad_y = 0.02 * max(np.ptp(y) if y.size else 1.0, 1e-6)
    if x.size:
        ax.set_xlim(x.min() - pad_x, x.max() + pad_x)
        lo, hi = y.min() - pad_y, y.max() + pad_y
        ax.set_ylim((hi, lo) if not geo else (lo, hi))
    ax.set_title(f"{title} ({int(finite.sum())} points)", fontsize=10)
    ax.grid(True, alpha=0.3, color="white")
    fig.tight_layout()
    return fig


def run(args: argparse.Namespace) -> Path:
    """Run ``scatterview`` on parsed arguments; return the PNG written."""
    if args.geo and args.geometry is None:
        raise InputDataError("--geo needs --geometry inputs/geometryRadar.h5 (latitude, longitude)")
    x, y, values, label = scatter_points(args.file, args.dset, args.mask,
                                         args.geometry if args.geo else None)
    name = label.split()[0]
    scale, unit = DISPLAY_UNITS.get(name, (1.0, None))
    unit = unit or colorbar_label(args.file, name)
    cmap = args.cmap or ("RdBu_r" if name in DISPLAY_UNITS else "viridis")
    fig = scatter_figure(x, y, values * scale, f"{args.file.name}: {label}", args.geo, unit,
                         cmap, tuple(args.vlim) if args.vlim else None, args.size)
    path = save_figure(fig, args.output)
    print(path)
    return path


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``scatterview``; returns the exit status."""
    from minopy.cli import run_reporting_errors

    args = build_parser().parse_args(argv)
    return run_reporting_errors(PROG, lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
