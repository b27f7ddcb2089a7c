"""Command-line entry points (``minopyApp.py``, ``minopy``) and the helpers they share."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable

from minopy.errors import DiskFullError, MinopyError
from minopy.workflow import STEP_DESCRIPTIONS, STEP_NAMES

#: exit status for errors the user must fix (a template problem, a failed step).
EXIT_FAILURE = 1
#: exit status for a wrong command line (argparse convention).
EXIT_USAGE = 2
#: exit status after Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130


def step_table(indent: str = "  ") -> str:
    """The steps in order with one line of description each."""
    width = max(len(name) for name in STEP_NAMES)
    return "\n".join(
        f"{indent}{i}. {name:<{width}}  {STEP_DESCRIPTIONS[name]}"
        for i, name in enumerate(STEP_NAMES, start=1)
    )


def add_verbosity_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the mutually exclusive ``--verbose`` / ``--quiet`` switches."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--verbose", action="store_true",
                       help="show debug messages on the console")
    group.add_argument("--quiet", action="store_true",
                       help="show only warnings and errors on the console (no progress bars)")


def verbosity_of(args: argparse.Namespace) -> str:
    """``quiet``, ``verbose`` or ``normal`` from the parsed switches."""
    if args.quiet:
        return "quiet"
    if args.verbose:
        return "verbose"
    return "normal"


#: set by :func:`console_script`: leave the process at once after a full disk (see there).
_HARD_EXIT_ON_DISK_FULL = False


def console_script(main: Callable[[], int]) -> None:
    """Run a command's ``main()`` as a console script and exit with its status.

    After a full disk the process ends at once (``os._exit``) once the message is printed: HDF5
    cannot clean up a file whose write failed for lack of space, and the interpreter's clean-up
    would then crash with a segmentation fault after the message. Everything minopy must tidy
    (lock, log, temporaries, dask cluster) is done before the error reaches the command line.
    """
    global _HARD_EXIT_ON_DISK_FULL
    _HARD_EXIT_ON_DISK_FULL = True
    sys.exit(main())


def run_reporting_errors(prog: str, action: Callable[[], None]) -> int:
    """Call ``action`` and turn its outcome into an exit status.

    A :class:`~minopy.errors.MinopyError` is printed as ``<prog>: error: <message>`` (no traceback;
    the runner has logged it) and gives status 1; Ctrl-C gives 130.
    """
    try:
        action()
    except DiskFullError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        if _HARD_EXIT_ON_DISK_FULL:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(EXIT_FAILURE)  # see console_script; ``err`` keeps HDF5's objects alive
        return EXIT_FAILURE
    except MinopyError as err:
        print(f"{prog}: error: {err}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0
