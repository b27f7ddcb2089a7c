"""Streaming sequential phase linking: a grown stack links only the mini-stacks with new dates and
gives the full run's answer; invalidation by option, removed date, changed bytes and corrupt
state; a killed update resumes; non-sequential methods and the stack mode recompute fully."""

from __future__ import annotations

import logging

import h5py
import numpy as np
import pytest
from _slc_builders import build_case, synthetic_slc, write_slc_stack

from minopy.errors import ConfigError
from minopy.io import ministack_store as store
from minopy.steps import concatenate_patch, phase_linking, streaming

STREAM = {"inversion__phaseLinkingMethod": "sequential_EMI", "inversion__ministackSize": 3,
          "inversion__sequentialMode": "streaming"}
PRODUCTS = ("phase", "amplitude", "shp", "temporalCoherence", "estimator", "crlbStd")
SLC = synthetic_slc(13, 32, 32, seed=4)
DATES = [str(np.datetime64("2020-01-01") + np.timedelta64(12 * i, "D")).replace("-", "")
         for i in range(13)]


def _write(path, rows, slc=SLC):
    """Write ``slc[rows]`` with the dates ``DATES[rows]`` as slcStack.h5."""
    rows = list(rows)
    write_slc_stack(path, slc[rows])
    with h5py.File(path, "r+") as f:
        f["date"][...] = np.array([DATES[i] for i in rows], dtype="S8")


def _run(ctx) -> dict[str, np.ndarray]:
    phase_linking.run(ctx)
    concatenate_patch.run(ctx)
    with h5py.File(ctx.phase_series_file, "r") as f:
        return {name: f[name][()] for name in PRODUCTS}


def _case(path, rows, slc=SLC, **opts):
    ctx = build_case(path, num_dates=3, length=32, width=32, **{**STREAM, **opts})
    _write(ctx.slc_stack_file, rows, slc)
    return ctx


def _messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records]


@pytest.fixture(scope="module")
def full13(tmp_path_factory):
    """A full streaming run on all 13 dates (mini-stacks [0,3,6,9,13])."""
    return _run(_case(tmp_path_factory.mktemp("full"), range(13)))


def _assert_same(a, b, names=PRODUCTS):
    for name in names:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_update_equals_full_run_and_keeps_old_phases(tmp_path, full13, caplog):
    ctx = _case(tmp_path, range(9))  # [0,3,6,9]: three complete mini-stacks
    before = _run(ctx)
    _write(ctx.slc_stack_file, range(13))  # four new dates
    with caplog.at_level(logging.INFO, logger="minopy"):
        updated = _run(ctx)
    _assert_same(updated, full13)
    # the old dates' phases do not move when dates are added
    np.testing.assert_array_equal(updated["phase"][:9], before["phase"])
    msg = _messages(caplog)
    assert "incremental: 4 new dates, 1 mini-stacks linked (of 4), 3 reused" in msg
    assert any(f"mini-stack 3 ({DATES[9]}..{DATES[12]}) is linked again: it was not linked yet"
               in m for m in msg), msg


def test_streaming_is_a_sensible_estimate(full13):
    """The date-0 frame holds across mini-stacks: the linked phase follows the simulated ramp
    (3 t (1 + x)) in every mini-stack, not only the first."""
    t = np.arange(13)[:, None, None] / 12
    x = np.arange(32)[None, None, :] / 32
    truth = np.broadcast_to(3.0 * t * (1 + x), (13, 32, 32))
    err = np.angle(np.exp(1j * (full13["phase"] - truth)))
    assert np.nanmax(np.abs(np.nanmedian(err[:, 4:-4, 4:-4], axis=(1, 2)))) < 0.1
    assert np.nanmedian(full13["temporalCoherence"][..., 4:-4, 4:-4]) > 0.5


def test_inserted_date_relinks_from_its_ministack(tmp_path, caplog):
    ctx = _case(tmp_path, [0, 1, 2, 3, 4, 5, 7, 8, 9])  # date 6 arrives late
    _run(ctx)
    _write(ctx.slc_stack_file, range(10))
    with caplog.at_level(logging.INFO, logger="minopy"):
        updated = _run(ctx)
    msg = _messages(caplog)
    assert any(f"mini-stack 2 ({DATES[6]}..{DATES[9]}) is linked again: date(s) {DATES[6]} "
               "were inserted among its dates" in m for m in msg), msg
    assert "incremental: 1 new dates, 1 mini-stacks linked (of 3), 2 reused" in msg
    _assert_same(updated, _run(_case(tmp_path / "fresh", range(10))))


@pytest.mark.parametrize("change", ["option", "removed", "bytes", "corrupt"])
def test_invalidation_relinks_and_says_why(tmp_path, full13, change, caplog):
    ctx = _case(tmp_path, range(9))
    _run(ctx)
    rows, grown, expected = list(range(13)), SLC, full13
    level = logging.INFO
    if change == "option":
        ctx = _case(tmp_path, rows, inversion__emiRegularization=0.1)
        expected = _run(_case(tmp_path / "ref", rows, inversion__emiRegularization=0.1))
        why = (f"mini-stack 0 ({DATES[0]}..{DATES[2]}) is linked again: a phase-linking option "
               "changed (minopy.inversion.emiRegularization)")
        linked = "4 mini-stacks linked (of 4), 0 reused"
    elif change == "removed":
        rows = rows[:2] + rows[3:]
        expected = _run(_case(tmp_path / "ref", rows))
        why = f"is linked again: date(s) {DATES[2]} of it were removed or replaced"
        linked = "4 mini-stacks linked (of 4), 0 reused"
    elif change == "bytes":
        grown = SLC.copy()
        grown[4, 10, 10] *= 1.5
        expected = _run(_case(tmp_path / "ref", rows, grown))
        why = f"mini-stack 1 ({DATES[3]}..{DATES[5]}) is linked again: the SLC data of date(s) " \
              f"{DATES[4]} changed"
        linked = "3 mini-stacks linked (of 4), 1 reused"
    else:
        part = store.patch_file(ctx.inverted_dir / store.FOLDER, 1, 0)
        raw = bytearray(part.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        part.write_bytes(bytes(raw))
        why = f"mini-stack 1 ({DATES[3]}..{DATES[5]}) is linked again: its stored state is " \
              "corrupt (PATCH_0000.npz does not match its checksum)"
        linked = "3 mini-stacks linked (of 4), 1 reused"
        level = logging.WARNING
    if change != "option":
        _write(ctx.slc_stack_file, rows, grown)
    with caplog.at_level(logging.INFO, logger="minopy"):
        updated = _run(ctx)
    _assert_same(updated, expected)
    hits = [r for r in caplog.records if why in r.getMessage()]
    assert hits, _messages(caplog)
    assert hits[0].levelno == level
    assert any(linked in m for m in _messages(caplog)), _messages(caplog)


def test_killed_update_resumes_to_the_full_answer(tmp_path, full13, monkeypatch):
    ctx = _case(tmp_path, range(9))
    _run(ctx)
    _write(ctx.slc_stack_file, range(13))
    original = streaming.compute_patch
    calls: list[int] = []

    def killer(task):
        if len(calls) == 2:
            raise KeyboardInterrupt("simulated kill")
        calls.append(task.box.index)
        return original(task)

    monkeypatch.setattr(streaming, "compute_patch", killer)
    with pytest.raises(KeyboardInterrupt):
        phase_linking.run(ctx)
    monkeypatch.setattr(streaming, "compute_patch", original)
    done = [p for p in (ctx.inverted_dir / store.FOLDER / "MS_003").glob("PATCH_*.npz")]
    assert len(done) == 2  # the two patches finished before the kill are kept
    _assert_same(_run(ctx), full13)


@pytest.mark.parametrize("opts, why", [
    ({"inversion__phaseLinkingMethod": "EMI"}, "EMI links all dates at once"),
    ({"inversion__sequentialMode": "stack"}, "sequential_EMI with sequentialMode = stack"),
])
def test_non_streaming_recomputes_fully(tmp_path, opts, why, caplog):
    ctx = _case(tmp_path, range(9), **opts)
    _run(ctx)
    _write(ctx.slc_stack_file, range(13))
    with caplog.at_level(logging.INFO, logger="minopy"):
        updated = _run(ctx)
    assert any(m.startswith("phase_linking: full recompute: ") and why in m
               for m in _messages(caplog)), _messages(caplog)
    assert not (ctx.inverted_dir / store.FOLDER).exists()
    _assert_same(updated, _run(_case(tmp_path / "ref", range(13), **opts)))


def test_streaming_needs_full_resolution(tmp_path):
    ctx = _case(tmp_path, range(9), inversion__strides="2,2")
    with pytest.raises(ConfigError, match="sequentialMode = streaming needs full-resolution"):
        phase_linking.run(ctx)


def test_a_recut_last_ministack_is_relinked_and_says_why(tmp_path, full13, caplog):
    """10 dates make mini-stacks [0,3,6,10] (the last takes the remainder); at 13 dates it is cut
    into [6,9] and [9,13]: mini-stack 2 is linked again, and the log says the stack grew."""
    ctx = _case(tmp_path, range(10))
    _run(ctx)
    _write(ctx.slc_stack_file, range(13))
    with caplog.at_level(logging.INFO, logger="minopy"):
        updated = _run(ctx)
    _assert_same(updated, full13)
    msg = _messages(caplog)
    assert any(f"mini-stack 2 ({DATES[6]}..{DATES[8]}) is linked again: the mini-stacks were cut "
               f"anew as the stack grew (its date(s) {DATES[9]} now start the next mini-stack"
               in m for m in msg), msg
    assert "incremental: 3 new dates, 2 mini-stacks linked (of 4), 2 reused" in msg
