"""Figures of a run, the HTML report and the viewers' drawing code.

Entry points for the runner:

- :func:`after_step` after each successful step writes that step's figures to ``<work_dir>/pic``;
- :func:`finish_run` at the end of a run (also a failed one) writes the results summary
  ``<work_dir>/summary.json`` (:mod:`minopy.summary`), shows it on the console and writes
  ``<work_dir>/report.html`` with the summary on top (:func:`write_report`).

Figures and the report are skipped when the option ``minopy.plot`` is off; the summary is always
written. Each only logs a warning when it fails: a plotting problem never fails a processing run.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from minopy.config import Config
from minopy.logging_setup import run_seconds, run_warnings
from minopy.step_context import StepContext

log = logging.getLogger(__name__)


def _plot_enabled(config: Config | None) -> bool:
    return config is None or bool(config.general.plot)


def after_step(ctx: StepContext, step_name: str) -> list[Path]:
    """Write the figures of a finished step into ``ctx.pic_dir``; never raises.

    Parameters
    ----------
    ctx : StepContext
        Context of the run.
    step_name : str
        The step that just finished.

    Returns
    -------
    list of Path
        Figures written; empty when ``minopy.plot`` is off, the step has no figures, or plotting
        failed (the failure is logged as a warning).
    """
    if not _plot_enabled(ctx.config):
        return []
    from minopy.plot.step_figures import figures_for_step

    try:
        figures = figures_for_step(ctx, step_name)
    except Exception as err:  # noqa: BLE001 - a figure must never fail the processing run
        ctx.log.warning("figures of step %s not written: %s: %s", step_name,
                        type(err).__name__, err)
        ctx.log.debug("plotting traceback", exc_info=True)
        return []
    if figures:
        ctx.log.info("step %s: %d figure(s) in %s", step_name, len(figures), ctx.pic_dir)
    return figures


def write_report(work_dir: str | os.PathLike, config: Config | None = None,
                 logger: logging.Logger | None = None) -> Path | None:
    """Write ``<work_dir>/report.html``; never raises.

    Parameters
    ----------
    work_dir : path-like
        The minopy work directory.
    config : Config, optional
        The run's configuration; nothing is written when its ``minopy.plot`` is off.
    logger : logging.Logger, optional
        Where to report (default: this module's logger).

    Returns
    -------
    Path or None
        The report, or None when disabled or when writing failed (logged as a warning).
    """
    logger = logger or log
    if not _plot_enabled(config):
        return None
    from minopy.plot.report import write_report as _write

    try:
        path = _write(work_dir)
    except Exception as err:  # noqa: BLE001 - the report must never fail the processing run
        logger.warning("report not written: %s: %s", type(err).__name__, err)
        logger.debug("report traceback", exc_info=True)
        return None
    logger.info("report: %s", path)
    return path


def write_summary(work_dir: str | os.PathLike, config: Config | None = None,
                  logger: logging.Logger | None = None) -> dict | None:
    """Write ``<work_dir>/summary.json`` for the run that is ending; never raises.

    Returns
    -------
    dict or None
        The summary, or None when it could not be built (logged as a warning).
    """
    from minopy import summary

    logger = logger or log
    try:
        network_dir = (StepContext(Path(work_dir), config).network_dir
                       if config is not None else None)
        result = summary.build_summary(work_dir, network_dir, run_warnings(), run_seconds())
        summary.write_summary(work_dir, result)
    except Exception as err:  # noqa: BLE001 - the summary must never fail the processing run
        logger.warning("summary not written: %s: %s", type(err).__name__, err)
        logger.debug("summary traceback", exc_info=True)
        return None
    return result


def finish_run(work_dir: str | os.PathLike, config: Config | None = None,
               logger: logging.Logger | None = None) -> dict | None:
    """End of a run: ``summary.json``, the summary on the console, and the report; never raises.

    Parameters
    ----------
    work_dir : path-like
        The minopy work directory.
    config : Config, optional
        The run's configuration (its network, ``minopy.plot``).
    logger : logging.Logger, optional
        Where to report (default: this module's logger).

    Returns
    -------
    dict or None
        The summary written, or None.
    """
    from minopy.summary import SUMMARY_NAME, summary_lines

    logger = logger or log
    result = write_summary(work_dir, config, logger)
    if result is not None:
        for line in summary_lines(result):
            logger.info("%s", line)
        logger.info("  summary: %s", Path(work_dir) / SUMMARY_NAME)
    write_report(work_dir, config, logger)
    return result


__all__ = ["after_step", "finish_run", "write_report", "write_summary"]
