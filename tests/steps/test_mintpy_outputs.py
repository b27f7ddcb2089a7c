"""MintPy steps: broken outputs named or recomputed (matrix C06, C06b, C11), staging of MintPy's
files (every file published atomically, inputs never modified) and bit-identical repeats (K6, K7).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import h5py
import numpy as np
import pytest
from steps import _timeseries_synth as synth

from minopy import mintpy_bridge
from minopy.errors import InputDataError, StepError
from minopy.mintpy_staging import StagedInput, staging
from minopy.runner import run_steps
from minopy.steps import invert_network, load_ifgram, timeseries_correction
from minopy.steps.outputs import H5Output, first_problem
from minopy.workflow import STATE_FILE


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _datasets(path: Path) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset)
                     else None)
    return out


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(
        np.array_equal(a[k], b[k], equal_nan=a[k].dtype.kind in "fc") for k in a)


@pytest.fixture
def network(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """The synthetic network run through load_ifgram .. invert_network by the runner."""
    s = synth.build(tmp_path)
    overrides = dict(s.ctx.config.raw)
    logging.getLogger("minopy").setLevel(logging.WARNING)
    run_steps(None, s.ctx.work_dir, ["load_ifgram", "ifgram_correction", "invert_network"],
              overrides, verbosity="quiet")
    return overrides, s.ctx.work_dir


def test_truncated_timeseries_is_recomputed_or_named(network):
    """C06/C06b: invert_network was "up to date" over a truncated timeseries.h5 and the MintPy
    step failed forever with a message that did not name the file."""
    overrides, work = network
    ts = work / "sequential_2_network" / "timeseries.h5"
    before = _datasets(ts)
    _truncate(ts)
    with pytest.raises(InputDataError) as info:
        run_steps(None, work, ["timeseries_correction"], overrides, verbosity="quiet")
    message = str(info.value)
    assert f"{ts} is broken (cannot be opened" in message
    assert f"written by the invert_network step; repair it with: minopyApp.py <template> --dir " \
           f"{work} --start invert_network" in message
    run_steps(None, work, ["invert_network"], overrides, verbosity="quiet")
    assert _same(_datasets(ts), before)


def test_truncated_ifgram_stack_is_named_and_reloaded(network):
    """C11: the error named neither ifgramStack.h5 nor a way out; load_ifgram was skipped."""
    overrides, work = network
    stack = work / "sequential_2_network" / "inputs" / "ifgramStack.h5"
    _truncate(stack)
    with pytest.raises(InputDataError, match=rf"{stack} is broken \(cannot be opened.*written by "
                                             r"the load_ifgram step.*--start load_ifgram"):
        run_steps(None, work, ["invert_network"], overrides, verbosity="quiet")
    run_steps(None, work, ["load_ifgram", "ifgram_correction", "invert_network"], overrides,
              verbosity="quiet")
    assert first_problem([H5Output(stack, {"unwrapPhase": ("M", "L", "W")},
                                   attrs=("REF_Y", "REF_X"))]) is None
    state = json.loads((work / STATE_FILE).read_text())
    assert {"load_ifgram", "ifgram_correction", "invert_network"} <= set(state["steps"])


def _staging_case(tmp_path: Path):
    from minopy.config import load_config
    from minopy.step_context import StepContext

    ctx = StepContext(tmp_path / "work", load_config(overrides={"minopy.plot": "no"}))
    net = ctx.network_dir
    (net / "inputs").mkdir(parents=True)
    for name in ("timeseries.h5", "maskTempCoh.h5", "inputs/ifgramStack.h5", "geo_old.h5"):
        with h5py.File(net / name, "w") as f:
            f["x"] = np.arange(4.0)
    (net / ".timeseries_correction.files.json").write_text(json.dumps(["geo_old.h5"]))
    inputs = [StagedInput(net / "timeseries.h5", copy=True),
              StagedInput(net / "inputs" / "ifgramStack.h5", copy=True, publish=True),
              StagedInput(net / "maskTempCoh.h5")]
    return ctx, net, inputs


def test_staging_publishes_what_mintpy_wrote_and_keeps_the_inputs(tmp_path):
    ctx, net, inputs = _staging_case(tmp_path)
    series = (net / "timeseries.h5").read_bytes()
    with staging(ctx, "timeseries_correction", inputs) as staged:
        stage = staged.network_dir
        assert stage != net and stage.name.startswith(".mintpy_staging_")
        assert (stage / "maskTempCoh.h5").is_symlink()
        with h5py.File(stage / "timeseries.h5", "r+") as f:  # what reference_date does
            f.attrs["REF_DATE"] = "20200113"
        with h5py.File(stage / "inputs" / "ifgramStack.h5", "r+") as f:
            f.attrs["REF_Y"] = "3"
        (stage / "geo").mkdir()
        for name in ("velocity.h5", "geo/geo_velocity.h5"):
            with h5py.File(stage / name, "w") as f:
                f["velocity"] = np.ones((2, 2))
        assert not (net / "velocity.h5").exists()  # nothing is published before the end
    assert (net / "timeseries.h5").read_bytes() == series  # invert_network's file untouched
    with h5py.File(net / "inputs" / "ifgramStack.h5") as f:
        assert f.attrs["REF_Y"] == "3"  # the step owns the stack's changes
    assert (net / "velocity.h5").is_file() and (net / "geo" / "geo_velocity.h5").is_file()
    assert not (net / "geo_old.h5").exists()  # a product of the previous run not made again
    assert sorted(json.loads((net / ".timeseries_correction.files.json").read_text())) == [
        "geo/geo_velocity.h5", "inputs/ifgramStack.h5", "velocity.h5"]
    assert not any(p.name.startswith(".mintpy_staging_") for p in net.iterdir())


def test_staging_publishes_nothing_when_mintpy_fails(tmp_path):
    ctx, net, inputs = _staging_case(tmp_path)
    before = {p: p.read_bytes() for p in net.rglob("*") if p.is_file()}
    with pytest.raises(RuntimeError), staging(ctx, "timeseries_correction", inputs) as staged:
        with h5py.File(staged.network_dir / "velocity.h5", "w") as f:
            f["velocity"] = np.ones(2)
        raise RuntimeError("MintPy stopped half-way")
    assert {p: p.read_bytes() for p in net.rglob("*") if p.is_file()} == before
    assert not any(p.name.startswith(".mintpy_staging_") for p in net.iterdir())


def test_staging_refuses_a_modified_read_only_input(tmp_path):
    ctx, net, inputs = _staging_case(tmp_path)
    with pytest.raises(StepError, match="MintPy modified .*maskTempCoh.h5, which it should only "
                                        "read"), \
            staging(ctx, "timeseries_correction", inputs) as staged, \
            h5py.File(staged.network_dir / "maskTempCoh.h5", "r+") as f:
        f.attrs["changed"] = 1
    assert not (net / "velocity.h5").exists()


@pytest.mark.slow
def test_timeseries_correction_repeats_and_resumes_bit_identically(tmp_path, monkeypatch):
    """K6/K7: reference_date used to rewrite timeseries.h5 in place, so a repeated or resumed
    timeseries_correction started from another file and gave other products."""
    s = synth.build(tmp_path, {"mintpy.topographicResidual": "yes",
                               "mintpy.reference.date": "auto", "mintpy.geocode": "no"})
    load_ifgram.run(s.ctx)
    with h5py.File(s.ctx.ifgram_stack_file, "r+") as f:
        f.attrs.update({"REF_Y": "3", "REF_X": "4"})
    invert_network.run(s.ctx)
    net = s.ctx.network_dir
    series = (net / "timeseries.h5").read_bytes()
    products = ("demErr.h5", "timeseries_demErr.h5", "velocity.h5", "timeseriesResidual.h5")
    timeseries_correction.run(s.ctx)
    first = {name: _datasets(net / name) for name in products}
    with h5py.File(net / "timeseries_demErr.h5") as f:
        assert f.attrs["REF_DATE"] != s.dates[0]  # reference_date did re-reference
    assert (net / "timeseries.h5").read_bytes() == series

    timeseries_correction.run(s.ctx)  # K7: the step again
    assert all(_same(_datasets(net / name), first[name]) for name in products)
    assert (net / "timeseries.h5").read_bytes() == series

    real_run = mintpy_bridge.run_steps

    def killed_after_reference_date(ctx, steps, replace=None):
        done = [step for step in steps if mintpy_bridge.TIMESERIES_STEPS.index(step)
                <= mintpy_bridge.TIMESERIES_STEPS.index("reference_date")]
        real_run(ctx, done, replace)
        raise KeyboardInterrupt  # stands for kill -9 after reference_date

    monkeypatch.setattr(mintpy_bridge, "run_steps", killed_after_reference_date)
    with pytest.raises(KeyboardInterrupt):
        timeseries_correction.run(s.ctx)
    monkeypatch.setattr(mintpy_bridge, "run_steps", real_run)
    assert (net / "timeseries.h5").read_bytes() == series
    timeseries_correction.run(s.ctx)  # K6: resumed
    assert all(_same(_datasets(net / name), first[name]) for name in products)
