""""Up to date" means intact: broken outputs are recomputed or named with their repair command.

The cases are those of the reliability matrix (C01, C02b-e, C08, C10): a file truncated or deleted
in a finished work directory, then a re-run. The MintPy side (C06, C11) is in
``tests/steps/test_mintpy_outputs.py``.
"""

from __future__ import annotations

from pathlib import Path

import builders
import h5py
import numpy as np
import pytest

from minopy.cli.minopy_app import main
from minopy.errors import InputDataError
from minopy.runner import run_steps
from minopy.steps.outputs import H5Output, NpzOutput, RasterOutput, TextOutput, first_problem

FRONT = ["load_data", "phase_linking", "concatenate_patch"]


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
def front(tops_project: Path) -> tuple[Path, Path]:
    """A tops project run through load_data .. concatenate_patch; returns (template, work dir)."""
    template = builders.make_context(tops_project, {
        "minopy.inversion.phaseLinkingMethod": "EMI", "minopy.plot": "no",
        "minopy.multiprocessing.numProcessor": "1"}).config.template_file
    work = tops_project / "minopy"
    run_steps(template, work, FRONT, verbosity="quiet")
    return template, work


def _runs(work: Path) -> list[str]:
    return [line.split("step ")[1].split(":")[0] for line in (work / "log").read_text().splitlines()
            if ": done in" in line and "step " in line]


def test_truncated_slc_stack_is_reloaded(front):
    """C08: load_data was "up to date" over a truncated slcStack.h5; every re-run failed."""
    template, work = front
    stack = work / "inputs" / "slcStack.h5"
    before = _datasets(stack)
    _truncate(stack)
    run_steps(template, work, FRONT, verbosity="quiet")
    assert _same(_datasets(stack), before)
    log = (work / "log").read_text()
    assert "step load_data: its output inputs/slcStack.h5 is broken (cannot be opened" in log
    assert "running the step again" in log


def test_broken_input_of_a_later_step_names_the_repair_command(front, capsys):
    """C08/C01 with --dostep/--start: the error names the broken file and the one command."""
    template, work = front
    _truncate(work / "inputs" / "slcStack.h5")
    code = main([str(template), "--dir", str(work), "--dostep", "phase_linking"])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert f"{work / 'inputs' / 'slcStack.h5'} is broken (cannot be opened" in err
    assert "It is written by the load_data step; repair it with: minopyApp.py " \
           f"{template} --dir {work} --start load_data" in err
    # the repair command works
    assert main([str(template), "--dir", str(work), "--start", "load_data", "--end",
                 "concatenate_patch"]) == 0


def test_truncated_phase_series_is_rebuilt(front, capsys):
    """C10 (re-run all) and C10b (--dostep concatenate_patch): phase_series.h5 is rebuilt."""
    template, work = front
    series = work / "inverted" / "phase_series.h5"
    before = _datasets(series)
    for selection in (["--end", "concatenate_patch"], ["--dostep", "concatenate_patch"]):
        _truncate(series)
        assert main([str(template), "--dir", str(work), *selection]) == 0
        assert _same(_datasets(series), before)
    assert "its output inverted/phase_series.h5 is broken (cannot be opened" \
        in capsys.readouterr().out
    # C01: a later step started on its own names the broken file and the command
    _truncate(series)
    with pytest.raises(InputDataError, match=r"phase_series.h5 is broken \(cannot be opened.*"
                                             r"written by the concatenate_patch step.*--start "
                                             r"concatenate_patch"):
        run_steps(template, work, ["generate_ifgram"], verbosity="quiet")


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_broken_patch_result_is_recomputed(front, damage):
    """C02b-e: a truncated or deleted patch result (and phase_series.h5 deleted) is recomputed by
    phase_linking, which was "up to date" before and so could never repair it."""
    template, work = front
    patch = work / "inverted" / "PATCHES" / "PATCH_0001" / "result.npz"
    series = work / "inverted" / "phase_series.h5"
    before = _datasets(series)
    if damage == "truncate":
        _truncate(patch)
    else:
        patch.unlink()
    series.unlink()
    run_steps(template, work, ["phase_linking"], verbosity="quiet")  # C02d: --dostep repairs it
    assert first_problem([NpzOutput(patch, ("phase",))]) is None
    assert "6 patches (1 to compute, 5 reused)" in (work / "log").read_text()
    run_steps(template, work, FRONT, verbosity="quiet")  # C02e
    assert _same(_datasets(series), before)


def test_force_reruns_up_to_date_steps(front):
    template, work = front
    series = work / "inverted" / "phase_series.h5"
    stamp = series.stat().st_mtime_ns
    assert main([str(template), "--dir", str(work), "--dostep", "concatenate_patch"]) == 0
    assert series.stat().st_mtime_ns == stamp  # up to date, skipped
    assert main([str(template), "--dir", str(work), "--dostep", "concatenate_patch",
                 "--force"]) == 0
    assert series.stat().st_mtime_ns != stamp
    assert _runs(work).count("concatenate_patch") == 2


def test_output_specs_find_what_is_broken(tmp_path):
    """The typed outputs report truncation, missing datasets, wrong shapes, sidecars, contents."""
    good = tmp_path / "good.h5"
    with h5py.File(good, "w") as f:
        f["ts"] = np.zeros((3, 4, 5), np.float32)
        f["date"] = np.array([b"20200101"] * 3)
        f.attrs.update({"LENGTH": "4", "WIDTH": "5", "REF_Y": "1"})
    spec = {"ts": ("N", "L", "W"), "date": ("N",)}
    assert H5Output(good, spec, attrs=("REF_Y",)).problem() is None
    assert H5Output(good, spec, attrs=("REF_X",)).problem() == "attribute(s) REF_X missing"
    assert H5Output(good, {"ts": ("N", "L", "W"), "date": (2,)}).problem() == \
        "dataset 'date' has shape (3,), expected (2)"
    assert "expected (3, 4, 6)" in H5Output(good, spec, dims={"W": 6}).problem()
    assert H5Output(good, {"mask": ("L", "W")}).problem() == "dataset 'mask' is missing"
    _truncate(good)
    assert H5Output(good, spec).problem().startswith("cannot be opened")
    assert H5Output(tmp_path / "none.h5").problem() == "missing"
    from minopy.io.isce import write_raster
    raster = tmp_path / "r.int"
    write_raster(raster, np.zeros((2, 6, 7), np.float32), "BIL")
    assert RasterOutput(raster, bands=2, shape=(6, 7)).problem() is None
    assert RasterOutput(raster, bands=1).problem() == "has 2 band(s), expected 1"
    _truncate(raster)
    assert RasterOutput(raster).problem() == "has 168 bytes but its sidecar says 336"
    Path(f"{raster}.vrt").unlink()
    assert RasterOutput(raster).problem() == "its .vrt sidecar is missing"
    (tmp_path / "DONE").write_text("a\n")
    assert TextOutput(tmp_path / "DONE", "a\n").problem() is None
    assert TextOutput(tmp_path / "DONE", "b\n").problem() == \
        "does not match the current options and inputs"
