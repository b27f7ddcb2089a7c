"""``correct_geolocation.py -g geometryRadar.h5 -d demErr.h5 [--reverse]``.

Corrects the latitude/longitude of a radar-coordinate geometry file for MintPy's DEM error, in
place (:func:`minopy.geolocation_file.correct_geometry_file`); ``--reverse`` undoes it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from minopy.errors import MinopyError
from minopy.geolocation_file import correct_geometry_file


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="correct_geolocation.py",
        description="Correct the latitude/longitude of a radar geometry file for the DEM error.",
    )
    parser.add_argument("-g", "--geometry", required=True,
                        help="geometryRadar.h5 (changed in place)")
    parser.add_argument("-d", "--demErr", required=True, help="MintPy demErr.h5")
    parser.add_argument("--reverse", action="store_true", help="undo a previous correction")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        correct_geometry_file(Path(args.geometry), Path(args.demErr), reverse=args.reverse)
    except MinopyError as err:
        print(f"correct_geolocation.py: error: {err}", file=sys.stderr)
        return 1
    state = "removed from" if args.reverse else "applied to"
    print(f"geolocation correction {state} {os.path.abspath(args.geometry)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
