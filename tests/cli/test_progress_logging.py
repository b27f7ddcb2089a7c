"""Progress reporting, logging set-up and thread limits."""

from __future__ import annotations

import io
import logging
import os
import re
import time

import pytest

from minopy.logging_setup import FILE_ONLY, setup_logging
from minopy.parallel_env import limit_threads
from minopy.progress import Activity, ProgressBar, format_duration, progress


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def listlog():
    logger = logging.getLogger("minopy.test_progress")
    handler = _ListHandler()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield logger, handler
    logger.removeHandler(handler)


def test_format_duration():
    assert format_duration(3.21) == "3.2s"
    assert format_duration(62) == "0:01:02"
    assert format_duration(3 * 3600 + 5) == "3:00:05"


def test_milestones_every_ten_percent_without_tty(listlog):
    logger, handler = listlog
    items = list(progress(range(50), desc="patches", log=logger))
    assert items == list(range(50))
    messages = [r.getMessage() for r in handler.records]
    milestones = [m for m in messages if "ETA" in m]
    assert [int(re.search(r"(\d+)%", m).group(1)) for m in milestones] == list(range(10, 100, 10))
    assert re.match(r"patches: 10% \(5/50\), elapsed \S+, ETA \S+", milestones[0])
    assert messages[-1].startswith("patches: 50/50 done in")
    assert all(getattr(r, "console", True) for r in handler.records)


def test_manual_bar_on_tty_sends_milestones_to_file_only(listlog, capsys):
    logger, handler = listlog
    with ProgressBar(4, "pairs", log=logger, interactive=True) as bar:
        for _ in range(4):
            bar.update()
    assert "pairs" in capsys.readouterr().err  # the tqdm bar
    *milestones, final = handler.records
    assert len(milestones) == 3 and all(r.console is False for r in milestones)
    assert final.getMessage().startswith("pairs: 4/4 done in")
    assert getattr(final, "console", True)
    assert bar.done == 4 and bar.eta() == 0


def test_progress_with_zero_items(listlog):
    logger, handler = listlog
    assert list(progress([], desc="nothing", log=logger)) == []
    assert handler.records[-1].getMessage().startswith("nothing: 0/0 done")


def test_negative_total_rejected():
    with pytest.raises(ValueError):
        ProgressBar(-1, "x")


def test_logging_console_and_file(tmp_path):
    console = io.StringIO()
    logger = setup_logging(tmp_path, "normal", stream=console)
    logging.getLogger("minopy.some.module").info("hello %d", 1)
    logger.debug("details")
    logger.info("only in the file", extra=FILE_ONLY)
    logger.warning("careful")
    assert console.getvalue().splitlines() == ["hello 1", "WARNING: careful"]
    text = (tmp_path / "log").read_text()
    for expected in ("hello 1", "details", "only in the file", "careful"):
        assert expected in text


@pytest.mark.parametrize("verbosity, shown", [("quiet", ["WARNING: w"]),
                                              ("verbose", ["d", "i", "WARNING: w"])])
def test_verbosity(tmp_path, verbosity, shown):
    console = io.StringIO()
    logger = setup_logging(None, verbosity, stream=console)
    logger.debug("d")
    logger.info("i")
    logger.warning("w")
    assert console.getvalue().splitlines() == shown
    assert not (tmp_path / "log").exists()


def test_setup_twice_replaces_handlers(tmp_path):
    console = io.StringIO()
    setup_logging(tmp_path, stream=console)
    logger = setup_logging(tmp_path, stream=console)
    logger.info("once")
    assert console.getvalue() == "once\n"
    assert (tmp_path / "log").read_text().count("once") == 1


def test_bad_verbosity():
    with pytest.raises(ValueError, match="loud"):
        setup_logging(None, "loud")


def test_limit_threads_sets_environment():
    values = limit_threads(2)
    for name, value in values.items():
        assert os.environ[name] == value == "2"
    assert "OMP_NUM_THREADS" in values
    with pytest.raises(ValueError):
        limit_threads(0)


def test_activity_shows_elapsed_time_and_status(listlog):
    logger, handler = listlog
    with Activity("compiling", log=logger, status=lambda: "3 ready", log_every=0.2,
                  interactive=False) as act:
        time.sleep(0.75)
    lines = [r.getMessage() for r in handler.records]
    assert act.shown and 2 <= len(lines) == act.lines <= 4
    assert re.fullmatch(r"compiling: \S+ elapsed, 3 ready", lines[0])


def test_activity_with_delay_stays_silent_when_quick(listlog):
    logger, handler = listlog
    with Activity("loading", log=logger, delay=1.0, late_note="slow!", log_every=0.1,
                  interactive=False) as act:
        time.sleep(0.2)
    assert not act.shown and handler.records == []
    with Activity("loading", log=logger, delay=0.1, late_note="slow!", log_every=0.1,
                  interactive=False) as act:
        time.sleep(0.5)
    assert act.shown and handler.records[0].getMessage() == "slow!"


def test_activity_live_line_on_a_terminal(listlog, capsys):
    logger, handler = listlog
    with Activity("compiling", log=logger, status=lambda: "7 ready", interval=0.05,
                  interactive=True):
        time.sleep(0.3)
    err = capsys.readouterr().err
    assert "compiling" in err and "7 ready" in err
    assert handler.records == []  # the caller logs the outcome
