"""``minopy weather``: the weather files a stack needs for the tropospheric correction.

Lists the dates, the acquisition hour, the area and, for ERA5 (PyAPS) and GACOS, the file names
the ``timeseries_correction`` step looks for, with whether each is present. With ``--download``
it fetches the missing ERA5 files from the Climate Data Store (needs a network and
``~/.cdsapirc``): run it on a login node, then process offline. GACOS products are requested on
the GACOS web site; the command prints what to enter.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from minopy.errors import ConfigError
from minopy.weather import era5, gacos
from minopy.weather.download import download_era5, gacos_request_text
from minopy.weather.stack_info import StackWeatherInfo, read_stack_info


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``weather`` subcommand to ``minopy``'s subparsers."""
    p = sub.add_parser(
        "weather", help="list (and download) the weather files a stack needs",
        description="List the weather files a stack needs for the tropospheric correction "
        "(dates, hour, area, ERA5 and GACOS file names, present or missing). With --download, "
        "fetch the missing ERA5 files (needs a network and Climate Data Store credentials).")
    p.add_argument("--dir", type=Path, help="minopy work directory (uses inputs/slcStack.h5 "
                   "and inputs/geometryRadar.h5)")
    p.add_argument("--stack", type=Path, help="stack file with the dates and CENTER_LINE_UTC "
                   "(timeseries.h5, slcStack.h5, ifgramStack.h5)")
    p.add_argument("--geometry", type=Path, help="geometryRadar.h5 with latitude/longitude")
    p.add_argument("--weather-dir", type=Path, help="mintpy.troposphericDelay.weatherDir "
                   "(ERA5 files are in its ERA5 folder)")
    p.add_argument("--gacos-dir", type=Path, help="mintpy.troposphericDelay.gacosDir")
    p.add_argument("--download", action="store_true",
                   help="download the missing ERA5 files into <weather-dir>/ERA5")
    p.add_argument("--retries", type=int, default=3,
                   help="retries of each CDS request (default: 3)")
    return p


def _inputs(args: argparse.Namespace) -> tuple[Path, Path]:
    if args.dir is not None:
        if args.stack is not None or args.geometry is not None:
            raise ConfigError("give either --dir or --stack with --geometry, not both")
        return args.dir / "inputs" / "slcStack.h5", args.dir / "inputs" / "geometryRadar.h5"
    if args.stack is None or args.geometry is None:
        raise ConfigError("give --dir WORK_DIR, or --stack FILE and --geometry FILE")
    return args.stack, args.geometry


def _describe(info: StackWeatherInfo) -> list[str]:
    s, n, w, e = info.bbox
    return [f"stack: {len(info.dates)} dates {info.dates[0]}..{info.dates[-1]}, acquisition "
            f"{info.utc_hhmm} UTC, pixels latitude {s:.4f}..{n:.4f}, longitude {w:.4f}..{e:.4f}"]


def era5_lines(info: StackWeatherInfo, weather_dir: Path | None) -> list[str]:
    """The ERA5 part of the listing."""
    if weather_dir is None:
        names = {d: Path(era5.grib_name(d, info.era5_hour, info.era5_snwe)) for d in info.dates}
        status = dict.fromkeys(info.dates, "")
        where = "<weatherDir>/ERA5"
    else:
        inv = era5.inventory(info, weather_dir)
        names = {d: inv.files.get(d) or next(p for p in inv.missing if d in p.name)
                 for d in info.dates}
        status = {d: "present" if d in inv.files else "MISSING" for d in info.dates}
        where = str(era5.grib_dir(weather_dir))
    lines = [f"ERA5 for PyAPS (mintpy.troposphericDelay.method = pyaps): hour "
             f"{info.era5_hour} UTC, area {era5.snwe_to_str(info.era5_snwe)[1:]}, folder {where}"]
    lines += [f"  {d}  {names[d].name}  {status[d]}".rstrip() for d in info.dates]
    return lines


def gacos_lines(info: StackWeatherInfo, gacos_dir: Path | None) -> list[str]:
    """The GACOS part of the listing."""
    inv = gacos.inventory(info, gacos_dir) if gacos_dir is not None else None
    where = str(gacos_dir) if gacos_dir is not None else "<gacosDir>"
    lines = [f"GACOS (method = gacos): time {info.utc_hhmm} UTC, folder {where}"]
    for d in info.dates:
        status = ""
        if inv is not None:
            status = "present" if d in inv.files else "MISSING"
        name = inv.files[d].name if inv is not None and d in inv.files else gacos.ztd_name(d)
        lines.append(f"  {d}  {name} (+ .rsc, or .ztd.tif)  {status}".rstrip())
    if inv is not None and inv.problems:
        lines += [f"  problem: {p}" for p in inv.problems]
    return lines


def run(args: argparse.Namespace) -> None:
    """List the files; download the missing ERA5 files with ``--download``."""
    stack, geometry = _inputs(args)
    info = read_stack_info(stack, geometry)
    if args.download and args.weather_dir is None:
        raise ConfigError("--download needs --weather-dir (the ERA5 files go to its ERA5 folder)")
    lines = _describe(info) + era5_lines(info, args.weather_dir) + gacos_lines(info,
                                                                               args.gacos_dir)
    print("\n".join(lines))
    if args.gacos_dir is not None and not gacos.inventory(info, args.gacos_dir).complete:
        print(gacos_request_text(info))
    if args.download:
        inv = era5.inventory(info, args.weather_dir)
        if not inv.missing:
            print("all ERA5 files are present; nothing to download")
            return
        targets: dict[str, Path] = {}
        for p in inv.missing:
            m = re.search(r"_(\d{8})_\d{2}\.grb$", p.name)
            assert m is not None  # the inventory names missing files with era5.grib_name()
            targets[m.group(1)] = p
        done = download_era5(targets, info.era5_hour, inv.snwe, retries=args.retries)
        print(f"downloaded {len(done)} ERA5 file(s) into {era5.grib_dir(args.weather_dir)}")
