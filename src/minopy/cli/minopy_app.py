"""``minopyApp.py``: run the minopy workflow (all nine steps, or a range of them) on a template."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from minopy import __version__
from minopy.cli import (
    EXIT_USAGE,
    add_verbosity_arguments,
    console_script,
    run_reporting_errors,
    step_table,
    verbosity_of,
)
from minopy.config.render import render_template
from minopy.errors import ConfigError, MinopyError
from minopy.io.atomic import write_text_atomic
from minopy.runner import resolve_steps, run_steps

PROG = "minopyApp.py"
TEMPLATE_NAME = "minopyApp_template.txt"

EPILOG = f"""\
steps (run in this order):
{step_table()}

examples:
  {PROG} PichinchaSenDT142.txt                           # all steps, work dir ./minopy
  {PROG} PichinchaSenDT142.txt --dir $PWD/minopy         # choose the work directory
  {PROG} PichinchaSenDT142.txt --dostep phase_linking    # one step
  {PROG} PichinchaSenDT142.txt --start generate_ifgram   # from a step to the end
  {PROG} PichinchaSenDT142.txt --start load_data --end concatenate_patch
  {PROG} PichinchaSenDT142.txt --runfiles                # the plan: steps, files, up to date?
  {PROG} PichinchaSenDT142.txt --jobfiles                # batch script for the cluster
  {PROG} -H                                              # all options, documented
  {PROG} -g                                              # write {TEMPLATE_NAME} here

A re-run skips the steps whose outputs are intact and whose options and inputs have not changed
(minopy.load.updateMode = yes; --force re-runs the selected steps anyway). A broken output (e.g. a
truncated file) is recomputed. One run at a time per work directory (<work dir>/.minopy.lock).
Each run appends to <work dir>/log.
"""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``minopyApp.py``."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="InSAR time series with non-linear phase linking: runs the minopy workflow "
                    "on a coregistered ISCE stack described by a template file.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("customTemplateFile", nargs="?", type=Path,
                        help="template file with the minopy.* and mintpy.* options")
    parser.add_argument("--dir", "--work-dir", dest="work_dir", type=Path,
                        help="work directory (default: <template folder>/minopy)")
    parser.add_argument("--start", metavar="STEP", help="first step to run (default: load_data)")
    parser.add_argument("--end", "--stop", dest="end", metavar="STEP",
                        help="last step to run (default: timeseries_correction)")
    parser.add_argument("--dostep", metavar="STEP", help="run only this step")
    parser.add_argument("--force", action="store_true",
                        help="re-run the selected steps even when they are up to date (intact "
                             "phase-linking patches and interferogram pairs made with the same "
                             "options and inputs are still reused)")
    parser.add_argument("--jobfiles", action="store_true",
                        help="write the batch script that runs the whole workflow on the "
                             "minopy.compute.cluster scheduler (slurm, pbs, sge, lsf) into "
                             "<work dir>/run_files/, plus the worker job it submits; runs nothing")
    parser.add_argument("--runfiles", action="store_true",
                        help="print the plan: the selected steps, what each reads and writes, "
                             "and which are up to date; runs nothing")
    parser.add_argument("-H", dest="print_template", action="store_true",
                        help="print the full documented template (all options) and exit")
    parser.add_argument("-g", dest="generate_template", action="store_true",
                        help=f"write a documented template {TEMPLATE_NAME} (all values auto) into "
                             "the work directory, or the current directory, and exit")
    parser.add_argument("-v", "--version", action="version", version=f"{PROG} {__version__}")
    add_verbosity_arguments(parser)
    return parser


def default_work_dir(template_file: Path) -> Path:
    """``<folder of the template>/minopy``."""
    return template_file.resolve().parent / "minopy"


def write_template(folder: Path) -> Path:
    """Write the documented template ``minopyApp_template.txt`` into ``folder``.

    Raises
    ------
    ConfigError
        If the file already exists (it is never overwritten, it may hold the user's edits).
    """
    target = folder / TEMPLATE_NAME
    if target.exists():
        raise ConfigError(f"{target} already exists; remove it or choose another --dir")
    return write_text_atomic(target, render_template())


def main(argv: list[str] | None = None) -> int:
    """Run ``minopyApp.py`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.print_template:
        sys.stdout.write(render_template())
        return 0
    if args.generate_template:
        if args.work_dir is not None:
            folder = args.work_dir
        elif args.customTemplateFile is not None:
            folder = default_work_dir(args.customTemplateFile)
        else:
            folder = Path.cwd()

        def generate() -> None:
            print(f"template written to {write_template(folder)}")

        return run_reporting_errors(PROG, generate)
    if args.customTemplateFile is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        steps = resolve_steps(args.start, args.end, args.dostep)
    except MinopyError as err:
        parser.print_usage(sys.stderr)
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    template = args.customTemplateFile
    if not template.is_file():
        problem = "is not a file" if template.exists() else "does not exist"
        print(f"{PROG}: error: template file {template} {problem}", file=sys.stderr)
        return EXIT_USAGE
    work_dir = args.work_dir if args.work_dir is not None else default_work_dir(template)
    command = [PROG, *(sys.argv[1:] if argv is None else argv)]
    if args.jobfiles or args.runfiles:
        from minopy import plan

        def dry() -> None:
            if args.runfiles:
                plan.print_plan(template, work_dir, steps, force=args.force)
            if args.jobfiles:
                for path in plan.write_job_files(template, work_dir, command):
                    print(f"wrote {path}")

        return run_reporting_errors(PROG, dry)
    return run_reporting_errors(
        PROG,
        lambda: run_steps(template, work_dir, steps, verbosity=verbosity_of(args), argv=command,
                          force=args.force),
    )


def console_main() -> None:
    """Entry point of the installed script (see :func:`minopy.cli.console_script`)."""
    console_script(main)


if __name__ == "__main__":
    console_main()
