"""Small synthetic minopy work directories in the documented file formats, for plotting tests."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import h5py
import numpy as np

from minopy.config import load_config
from minopy.io.isce import write_raster
from minopy.steps.context import StepContext

LENGTH, WIDTH, NUM_DATES = 24, 30, 8
WAVELENGTH = 0.0555


def dates(n: int = NUM_DATES, start: str = "20200101", days: int = 12) -> list[str]:
    """``n`` YYYYMMDD dates ``days`` apart."""
    t0 = datetime.strptime(start, "%Y%m%d")
    return [f"{t0 + timedelta(days=days * i):%Y%m%d}" for i in range(n)]


def _date_array(ds: list[str]) -> np.ndarray:
    return np.array([d.encode() for d in ds], dtype="S8")


def make_slc_stack(path: Path, n: int = NUM_DATES, length: int = LENGTH, width: int = WIDTH,
                   seed: int = 0) -> Path:
    """``slcStack.h5``: a bright left half (amplitude 4) and a dark right half (amplitude 1),
    a common phase ramp per date and small per-pixel noise."""
    rng = np.random.default_rng(seed)
    amp = np.where(np.arange(width)[None, None, :] < width // 2, 4.0, 1.0)
    amp = amp * (1 + 0.05 * rng.standard_normal((n, length, width)))
    phase = 0.3 * np.arange(n)[:, None, None] + 0.2 * rng.standard_normal((n, length, width))
    slc = (amp * np.exp(1j * phase)).astype(np.complex64)
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.create_dataset("slc", data=slc, chunks=(n, min(length, 16), min(width, 16)))
        f["date"] = _date_array(dates(n))
        f["bperp"] = np.linspace(0, 90, n).astype(np.float32) * np.array([1, -1] * n)[:n]
        f.attrs.update({"FILE_TYPE": "timeseries", "LENGTH": str(length), "WIDTH": str(width),
                        "WAVELENGTH": str(WAVELENGTH)})
    return path


def make_phase_series(path: Path, n: int = NUM_DATES, length: int = LENGTH, width: int = WIDTH
                      ) -> Path:
    """``phase_series.h5`` with phase, amplitude, shp, temporalCoherence, estimator."""
    rng = np.random.default_rng(1)
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f["phase"] = np.angle(np.exp(1j * rng.uniform(-4, 4, (n, length, width)))).astype("f4")
        f["amplitude"] = rng.uniform(1, 3, (n, length, width)).astype("f4")
        f["shp"] = rng.integers(1, 120, (length, width)).astype("i4")
        tcoh = rng.uniform(0, 1, (2, length, width)).astype("f4")
        f["temporalCoherence"] = tcoh
        est = np.full((length, width), 2, dtype="u1")
        est[:, :3] = 5
        est[0, :] = 0
        f["estimator"] = est
        f["date"] = _date_array(dates(n))
        f["bperp"] = np.zeros(n, dtype="f4")
        f.attrs.update({"FILE_TYPE": "timeseries", "UNIT": "radian"})
    return path


def make_mask(path: Path, mask: np.ndarray, name: str = "mask") -> Path:
    """A MintPy mask file (``mask`` dataset, bool)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f[name] = np.asarray(mask, dtype=bool)
        f.attrs.update({"FILE_TYPE": "mask", "LENGTH": str(mask.shape[0]),
                        "WIDTH": str(mask.shape[1])})
    return path


def make_timeseries(path: Path, velocity_m_per_year: np.ndarray, n: int = NUM_DATES,
                    ref_yx: tuple[int, int] = (2, 3)) -> Path:
    """MintPy ``timeseries.h5``: linear displacement (m) with the given velocity per pixel."""
    ds = dates(n)
    t = np.array([(datetime.strptime(d, "%Y%m%d") - datetime.strptime(ds[0], "%Y%m%d")).days
                  for d in ds]) / 365.25
    ts = (t[:, None, None] * velocity_m_per_year[None]).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f["timeseries"] = ts
        f["date"] = _date_array(ds)
        f["bperp"] = np.zeros(n, dtype="f4")
        f.attrs.update({"FILE_TYPE": "timeseries", "UNIT": "m", "REF_Y": str(ref_yx[0]),
                        "REF_X": str(ref_yx[1]), "LENGTH": str(ts.shape[1]),
                        "WIDTH": str(ts.shape[2])})
    return path


def make_single(path: Path, name: str, data: np.ndarray, attrs: dict | None = None) -> Path:
    """An HDF5 file with one 2-D dataset (velocity.h5, temporalCoherence.h5 ...)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f[name] = data
        f.attrs.update({"FILE_TYPE": name, **(attrs or {})})
    return path


def make_geometry(path: Path, lat: np.ndarray, lon: np.ndarray) -> Path:
    """``geometryRadar.h5`` with latitude/longitude (and a flat height)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f["latitude"] = lat.astype("f4")
        f["longitude"] = lon.astype("f4")
        f["height"] = np.zeros(lat.shape, dtype="f4")
        f.attrs["FILE_TYPE"] = "geometry"
    return path


def make_pairs(ifgram_dir: Path, pairs: list[tuple[str, str]], length: int = LENGTH,
               width: int = WIDTH) -> list[Path]:
    """Pair folders with ``fine.int``, ``filt_fine.unw`` (2-band BIL) and its conncomp."""
    yy, xx = np.mgrid[0:length, 0:width]
    folders = []
    for k, (d1, d2) in enumerate(pairs):
        folder = ifgram_dir / f"{d1}_{d2}"
        phase = 0.4 * (k + 1) * xx + 0.1 * yy
        write_raster(folder / "fine.int", np.exp(1j * phase).astype(np.complex64), "BIP", "int")
        unw = np.stack([np.ones_like(phase), phase]).astype(np.float32)
        write_raster(folder / "filt_fine.unw", unw, "BIL", "unw")
        cc = np.ones((length, width), dtype=np.uint8)
        cc[:, -4:] = 0
        cc[:4, :4] = 2
        write_raster(folder / "filt_fine.unw.conncomp", cc, "BIP", "cc")
        folders.append(folder)
    return folders


def make_context(work_dir: Path, plot: bool = True) -> StepContext:
    """A StepContext with default options (single_reference network)."""
    config = load_config(None, {"minopy.plot": "yes" if plot else "no"})
    work_dir.mkdir(parents=True, exist_ok=True)
    return StepContext(work_dir, config)


def make_work_dir(work_dir: Path) -> StepContext:
    """A complete small work directory: every file the figures and the report read."""
    ctx = make_context(work_dir)
    make_slc_stack(ctx.slc_stack_file)
    make_phase_series(ctx.phase_series_file)
    ps = np.zeros((LENGTH, WIDTH), dtype=bool)
    ps[5, 7] = ps[10, 20] = True
    make_mask(ctx.ps_mask_file, ps)
    rng = np.random.default_rng(3)
    for kind in ("average", "full"):
        write_raster(ctx.temp_coh_raster(kind), rng.uniform(0, 1, (LENGTH, WIDTH)).astype("f4"))
    write_raster(ctx.inverted_dir / "shp_count", rng.integers(1, 50, (LENGTH, WIDTH)).astype("i4"))
    write_raster(ctx.inverted_dir / "amp_dispersion_index",
                 rng.uniform(0, 1, (LENGTH, WIDTH)).astype("f4"))
    ds = dates()
    make_pairs(ctx.ifgram_dir, [(ds[0], ds[i]) for i in range(1, len(ds))])
    net = ctx.network_dir
    vel = np.tile(np.linspace(-0.02, 0.02, WIDTH, dtype=np.float32), (LENGTH, 1))
    make_timeseries(net / "timeseries.h5", vel)
    tcoh = np.full((LENGTH, WIDTH), 0.5, dtype=np.float32)
    tcoh[12, 25] = 0.99
    make_single(net / "temporalCoherence.h5", "temporalCoherence", tcoh)
    make_mask(net / "maskTempCoh.h5", tcoh > 0.4)
    make_single(net / "velocity.h5", "velocity", vel)
    make_single(net / "geo" / "geo_velocity.h5", "velocity", vel,
                {"X_FIRST": "100.0", "Y_FIRST": "31.0", "X_STEP": "0.01", "Y_STEP": "-0.01"})
    (ctx.inputs_dir / "template.txt").write_text(
        "minopy.plot = yes\nminopy.interferograms.type = single_reference  # comment\n"
        "mintpy.reference.yx = 2,3\n")
    timing = {step: {"seconds": 1.5 + i, "start": "2024-01-01T10:00:00+00:00",
                     "outputs": [str(ctx.slc_stack_file)] if step == "load_data" else [],
                     "status": "done"} for i, step in enumerate(
                         ("load_data", "phase_linking", "concatenate_patch"))}
    (work_dir / ".minopy_timing.json").write_text(json.dumps(timing))
    return ctx
