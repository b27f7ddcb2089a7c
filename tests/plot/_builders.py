"""Small synthetic minopy work directories in the documented file formats, for plotting tests."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import h5py
import numpy as np

from minopy.config import load_config
from minopy.io.isce import write_raster
from minopy.step_context import StepContext

LENGTH, WIDTH, NUM_DATES = 24, 30, 8
WAVELENGTH = 0.0555
#: columns of the work directory's network whose temporal coherence is below minTempCoh.
LOW_COHERENCE_COLS = slice(0, 6)
#: rows and columns of water (no phase-linking coherence) in the work directory's network.
WATER = (slice(18, 24), slice(12, 18))
MIN_TEMP_COH = 0.4
REF_YX = (2, 8)


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
                    ref_yx: tuple[int, int] = (2, 3), attrs: dict | None = None) -> Path:
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
                        "WIDTH": str(ts.shape[2]), "REF_DATE": ds[0], **(attrs or {})})
    return path


def make_single(path: Path, name: str, data: np.ndarray, attrs: dict | None = None) -> Path:
    """An HDF5 file with one 2-D dataset (velocity.h5, temporalCoherence.h5 ...)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f[name] = data
        f.attrs.update({"FILE_TYPE": name, **(attrs or {})})
    return path


def make_geometry(path: Path, lat: np.ndarray, lon: np.ndarray,
                  water: np.ndarray | None = None) -> Path:
    """``geometryRadar.h5`` with latitude/longitude, a flat height and a water mask (True = land).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f["latitude"] = lat.astype("f4")
        f["longitude"] = lon.astype("f4")
        f["height"] = np.zeros(lat.shape, dtype="f4")
        f["waterMask"] = np.ones(lat.shape, dtype=bool) if water is None else ~water
        f["shadowMask"] = np.zeros(lat.shape, dtype=bool)
        f.attrs.update({"FILE_TYPE": "geometry", "LENGTH": str(lat.shape[0]),
                        "WIDTH": str(lat.shape[1])})
    return path


def make_patch_results(patches_dir: Path, n: int = NUM_DATES, length: int = LENGTH,
                       width: int = WIDTH) -> None:
    """Two patch result files (left and right halves) with their boxes and valid counts."""
    half = width // 2
    for i, (c0, c1) in enumerate(((0, half), (half, width))):
        folder = patches_dir / f"PATCH_{i:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        valid = np.full(n, length * (c1 - c0), dtype=np.int64)
        valid[-1] -= 10 * i
        np.savez(folder / "result.npz", box=np.array([0, length, c0, c1]),
                 fingerprint=np.array("x"), valid_per_date=valid)


def make_ifgram_stack(path: Path, pairs: list[tuple[str, str]], ref_yx: tuple[int, int],
                      length: int = LENGTH, width: int = WIDTH) -> Path:
    """MintPy ``ifgramStack.h5``: pair dates, dropIfgram (the last pair dropped), coherence."""
    path.parent.mkdir(parents=True, exist_ok=True)
    coh = np.linspace(0.3, 0.9, length * width).reshape(length, width)
    with h5py.File(path, "w") as f:
        f["date"] = np.array([[d1.encode(), d2.encode()] for d1, d2 in pairs], dtype="S8")
        drop = np.ones(len(pairs), dtype=bool)
        drop[-1] = False
        f["dropIfgram"] = drop
        f["coherence"] = np.repeat(coh[None], len(pairs), axis=0).astype("f4")
        f.attrs.update({"FILE_TYPE": "ifgramStack", "REF_Y": str(ref_yx[0]),
                        "REF_X": str(ref_yx[1])})
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
    make_patch_results(ctx.patches_dir)
    pairs = [(ds[i], ds[j]) for i in range(len(ds)) for j in (i + 1, i + 2) if j < len(ds)]
    make_ifgram_stack(net / "inputs" / "ifgramStack.h5", pairs, REF_YX)
    make_single(net / "avgSpatialCoh.h5", "coherence",
                np.linspace(0.2, 1.0, LENGTH * WIDTH).reshape(LENGTH, WIDTH).astype("f4"))
    conn = np.ones((LENGTH, WIDTH), dtype=bool)
    conn[-3:, -3:] = False
    make_mask(net / "maskConnComp.h5", conn)
    water = np.zeros((LENGTH, WIDTH), dtype=bool)
    water[WATER] = True
    yy, xx = np.mgrid[0:LENGTH, 0:WIDTH]
    make_geometry(net / "inputs" / "geometryRadar.h5", 31.0 - 0.01 * yy, 100.0 + 0.01 * xx,
                  water)
    vel = np.tile(np.linspace(-0.02, 0.01, WIDTH, dtype=np.float32), (LENGTH, 1))
    tcoh = np.full((LENGTH, WIDTH), 0.5, dtype=np.float32)
    tcoh[12, 25] = 0.99
    tcoh[:, LOW_COHERENCE_COLS] = 0.2
    tcoh[water] = np.nan
    reliable = tcoh >= MIN_TEMP_COH
    # as invert_network writes them: 0 where not inverted
    make_timeseries(net / "timeseries.h5", np.where(reliable, vel, 0).astype("f4"),
                    ref_yx=REF_YX, attrs={"minopy.timeseries.minTempCoh": str(MIN_TEMP_COH)})
    make_single(net / "temporalCoherence.h5", "temporalCoherence", tcoh)
    make_mask(net / "maskTempCoh.h5", reliable)
    make_single(net / "numInvIfgram.h5", "mask", np.where(reliable, 7, 0).astype("f4"))
    # MintPy's velocity.h5 before minopy masks it: 0 (not NaN) where not inverted
    ref_attrs = {"REF_Y": str(REF_YX[0]), "REF_X": str(REF_YX[1]), "REF_DATE": ds[0],
                 "LENGTH": str(LENGTH), "WIDTH": str(WIDTH),
                 "UNIT": "m/year"}
    make_single(net / "velocity.h5", "velocity", np.where(reliable, vel, 0).astype("f4"),
                ref_attrs)
    geo_attrs = {"X_FIRST": "100.0", "Y_FIRST": "31.0", "X_STEP": "0.01", "Y_STEP": "-0.01",
                 "REF_LAT": "30.98", "REF_LON": "100.08"}
    make_single(net / "geo" / "geo_velocity.h5", "velocity",
                np.where(reliable, vel, np.nan).astype("f4"), {**ref_attrs, **geo_attrs})
    make_mask(net / "geo" / "geo_maskTempCoh.h5", reliable)
    (ctx.inputs_dir / "template.txt").write_text(
        "minopy.plot = yes\nminopy.interferograms.type = single_reference  # comment\n"
        "mintpy.reference.yx = 2,3\n")
    timing = {step: {"seconds": 1.5 + i, "start": "2024-01-01T10:00:00+00:00",
                     "outputs": [str(ctx.slc_stack_file)] if step == "load_data" else [],
                     "status": "done"} for i, step in enumerate(
                         ("load_data", "phase_linking", "concatenate_patch"))}
    (work_dir / ".minopy_timing.json").write_text(json.dumps(timing))
    return ctx
