"""``minopy``: helper commands around the workflow.

- ``minopy demo``: simulate a small Sentinel-1-like stack, run all nine steps on it and check the
  velocity against the simulation's ``truth.h5`` (PASS or FAIL; exit status 1 on FAIL);
- ``minopy simulate``: write a simulated stack (ISCE, GDAL, geocoded, GAMMA or OPERA layout) with
  its ground truth;
- ``minopy weather``: list (and download) the weather files a stack needs;
- ``minopy steps``: list the workflow steps.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path
from types import ModuleType

from minopy import __version__
from minopy.cli import (
    EXIT_USAGE,
    add_verbosity_arguments,
    console_script,
    run_reporting_errors,
    step_table,
    verbosity_of,
)
from minopy.errors import ConfigError, StepError
from minopy.io.atomic import write_text_atomic
from minopy.runner import check_step_name, run_steps
from minopy.simulate.params import LAYOUTS
from minopy.workflow import STEP_NAMES

PROG = "minopy"
DEMO_TEMPLATE = "demo.txt"
DEFAULT_DEMO_DIR = Path("minopy_demo")


def _simulator() -> ModuleType:
    """The ``minopy.simulate`` module; StepError if this installation does not have it."""
    try:
        from minopy import simulate
    except ImportError as err:
        raise StepError(f"the simulator minopy.simulate is not available ({err})") from None
    for attr in ("write_stack", "demo_template_text", "PRESETS"):
        if not hasattr(simulate, attr):
            raise StepError(f"the simulator minopy.simulate is not available (it lacks {attr})")
    return simulate


def preset_list() -> str:
    """The simulation presets with their size, e.g. ``demo (120 x 160 pixels, 60 dates)``."""
    try:
        from minopy.simulate.params import PRESETS
    except ImportError:  # an installation without the simulator: the command says so when run
        return "the presets of minopy.simulate"
    return ", ".join(f"{name} ({p.length} x {p.width} pixels, {p.n_dates} dates)"
                     for name, p in PRESETS.items())


def _check_preset(simulate: ModuleType, preset: str) -> str:
    """``preset`` if the simulator knows it, else ConfigError naming the presets."""
    presets = sorted(simulate.PRESETS)
    if preset in presets:
        return preset
    match = difflib.get_close_matches(preset, presets, n=1)
    hint = f" (did you mean {match[0]}?)" if match else ""
    raise ConfigError(f"--preset {preset!r} is not a simulation preset{hint}; "
                      f"the presets are: {', '.join(presets)}")


def run_demo(out_dir: Path, steps: list[str], verbosity: str = "normal",
             argv: list[str] | None = None, tropo: str | None = None) -> Path:
    """Simulate the demo stack in ``out_dir`` (once) and run ``steps`` on it.

    The stack is written by ``minopy.simulate.write_stack(out_dir, preset="demo")``; the template
    ``demo.txt`` goes into the returned project folder and the work directory is
    ``<project>/minopy``. When ``<out_dir>/demo.txt`` exists, the data set is reused, so a second
    ``minopy demo`` resumes the workflow instead of simulating again. ``tropo`` chooses the
    tropospheric correction of the template (default: pyaps on the simulated ERA5 files); giving
    it rewrites ``demo.txt``.

    Returns
    -------
    Path
        The work directory.
    """
    out_dir = out_dir.resolve()
    existing = out_dir / DEMO_TEMPLATE
    if existing.is_file():
        template = existing
        print(f"using the demo data set in {out_dir}")
        if tropo is not None:
            write_text_atomic(template, _simulator().demo_template_text(out_dir, tropo=tropo))
    else:
        simulate = _simulator()
        print(f"simulating the demo data set in {out_dir} ...")
        project = Path(simulate.write_stack(out_dir, preset="demo", layout="tops", seed=0))
        text = (simulate.demo_template_text(project) if tropo is None
                else simulate.demo_template_text(project, tropo=tropo))
        template = write_text_atomic(project / DEMO_TEMPLATE, text)
    work_dir = template.parent / "minopy"
    run_steps(template, work_dir, steps, verbosity=verbosity, argv=argv)
    return work_dir


def check_demo(work_dir: Path) -> dict | None:
    """Compare the demo's velocity with ``truth.h5``; record it in summary.json and the report.

    Returns
    -------
    dict or None
        The comparison (:func:`minopy.summary.compare_with_truth`), or None when the run has no
        velocity yet (some steps not run).
    """
    from minopy import plot, summary

    result = summary.read_summary(work_dir)
    network = (result.get("network") or {}).get("name")
    truth_file = work_dir.parent / "truth.h5"
    if not network or not (work_dir / f"{network}_network" / "velocity.h5").is_file():
        return None
    comparison = summary.compare_with_truth(work_dir / f"{network}_network", truth_file)
    result["truth"] = comparison
    summary.write_summary(work_dir, result)
    plot.write_report(work_dir)
    return comparison


def _cmd_demo(args: argparse.Namespace, argv: list[str]) -> int:
    try:
        steps = [check_step_name(s, "--steps") for s in args.steps] if args.steps else None
    except ConfigError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    ordered = [s for s in STEP_NAMES if steps is None or s in steps]

    def demo() -> None:
        from minopy.summary import truth_line

        work_dir = run_demo(args.dir, ordered, verbosity_of(args), argv, tropo=args.tropo)
        comparison = check_demo(work_dir)
        print(f"demo finished: results in {work_dir} (report.html, summary.json, log)")
        if comparison is None:
            print("  demo check against truth.h5 skipped: no velocity.h5 yet (run all steps)")
            return
        print(truth_line(comparison))
        if comparison["result"] != "PASS":
            raise StepError("the demo's velocity does not match truth.h5 within the tolerance "
                            f"(details in {work_dir / 'summary.json'})")

    return run_reporting_errors(PROG, demo)


def _cmd_simulate(args: argparse.Namespace, argv: list[str]) -> int:
    def simulate_stack() -> None:
        simulate = _simulator()
        preset = _check_preset(simulate, args.preset)
        extra = {} if args.tropo_model is None else {"tropo_model": args.tropo_model}
        project = simulate.write_stack(args.out.resolve(), preset=preset, layout=args.layout,
                                       seed=args.seed, **extra)
        print(f"simulated {preset} stack ({args.layout}, seed {args.seed}) written to {project}")

    return run_reporting_errors(PROG, simulate_stack)


def _cmd_weather(args: argparse.Namespace, argv: list[str]) -> int:
    from minopy.cli import weather

    return run_reporting_errors(PROG, lambda: weather.run(args))


def _cmd_steps(args: argparse.Namespace, argv: list[str]) -> int:
    print(step_table(indent=""))
    return 0


#: ``minopy view <name>``: the viewer module of each name (also installed as its own script).
VIEWERS = {"tcoh": "tcoh_view", "cpx": "cpxview", "scatter": "scatterview"}


def _cmd_run(args: argparse.Namespace, argv: list[str]) -> int:
    from minopy.cli import minopy_app

    return minopy_app.main(list(args.arguments))


def _cmd_view(args: argparse.Namespace, argv: list[str]) -> int:
    import importlib

    module = importlib.import_module(f"minopy.cli.{VIEWERS[args.viewer]}")
    return int(module.main(list(args.arguments)))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``minopy`` with its subcommands."""
    parser = argparse.ArgumentParser(prog=PROG, description="minopy helper commands.")
    parser.add_argument("-v", "--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", add_help=False,
                         help="run the workflow on a template (the same as minopyApp.py; "
                              "minopy run -h lists its options)")
    run.add_argument("arguments", nargs=argparse.REMAINDER,
                     help="the arguments of minopyApp.py")
    run.set_defaults(func=_cmd_run)

    view = sub.add_parser("view", add_help=False,
                          help="viewers: tcoh (temporal coherence and SHPs), cpx (complex "
                               "rasters), scatter (pixel scatter); minopy view NAME -h for each")
    view.add_argument("viewer", choices=tuple(VIEWERS), help="the viewer")
    view.add_argument("arguments", nargs=argparse.REMAINDER, help="the viewer's arguments")
    view.set_defaults(func=_cmd_view)

    demo = sub.add_parser("demo", help="simulate a small stack and run the whole workflow on it",
                          description="Simulate the demo stack (once) and run the workflow on it; "
                                      "re-running resumes where the last run stopped.")
    demo.add_argument("--dir", type=Path, default=DEFAULT_DEMO_DIR,
                      help=f"folder for the data set and results (default: ./{DEFAULT_DEMO_DIR})")
    demo.add_argument("--steps", nargs="+", metavar="STEP",
                      help="steps to run (default: all, in workflow order)")
    demo.add_argument("--tropo", choices=("pyaps", "gacos", "height_correlation", "no"),
                      help="tropospheric correction of the demo template (default: pyaps on the "
                           "simulated ERA5 files)")
    add_verbosity_arguments(demo)
    demo.set_defaults(func=_cmd_demo)

    simulate = sub.add_parser("simulate", help="write a simulated stack with ground truth "
                              "(--layout tops|stripmap|gdal|geo|gamma|opera)")
    simulate.add_argument("--out", type=Path, required=True, help="output folder")
    simulate.add_argument("--preset", default="demo", metavar="PRESET",
                          help=f"simulation preset: {preset_list()} (default: demo)")
    simulate.add_argument("--layout", choices=LAYOUTS, default="tops",
                          help="stack layout: ISCE tops/stripmap, gdal (GeoTIFFs in radar "
                               "coordinates), geo (geocoded GeoTIFFs on a UTM grid), gamma "
                               "(*.rslc + *.rslc.par), opera (OPERA CSLC-S1 HDF5) "
                               "(default: tops)")
    simulate.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    simulate.add_argument("--tropo-model", choices=("height", "weather"),
                          help="stratified delay: a height coefficient per date, or a synthetic "
                               "atmosphere with ERA5 GRIB and GACOS files written beside the "
                               "stack (default: the preset's; demo: weather)")
    simulate.set_defaults(func=_cmd_simulate)

    from minopy.cli import weather

    weather.add_parser(sub).set_defaults(func=_cmd_weather)

    steps = sub.add_parser("steps", help="list the workflow steps")
    steps.set_defaults(func=_cmd_steps)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``minopy`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
    parser = build_parser()
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == ["run"]:  # every option after run is minopyApp.py's (argparse's
        # REMAINDER would not take a leading -h or --dir)
        return _cmd_run(argparse.Namespace(arguments=arguments[1:]), [PROG, *arguments])
    args = parser.parse_args(arguments)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return args.func(args, [PROG, *arguments])


def console_main() -> None:
    """Entry point of the installed script (see :func:`minopy.cli.console_script`)."""
    console_script(main)


if __name__ == "__main__":
    console_main()
