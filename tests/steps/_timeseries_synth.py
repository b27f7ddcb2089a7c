"""A tiny synthetic minopy work directory for the time-series steps (pairs, phase series, geometry).

Truth: displacement d(t, y, x) = v(y, x) * t (metres, LOS, positive towards the satellite) plus a
DEM error dz(y, x) whose phase is 4 pi / lambda * bperp * dz / (r sin(inc)). Interferogram phase of
(d1, d2) is phi(d2) - phi(d1) with phi = -4 pi / lambda * range change, i.e. MintPy's convention.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from minopy.config import load_config
from minopy.io.isce import write_raster
from minopy.step_context import StepContext

WAVELENGTH = 0.05546576
SLANT_RANGE = 850e3
INC = 35.0
LENGTH, WIDTH = 24, 30


@dataclass
class Synth:
    ctx: StepContext
    dates: list[str]
    pairs: list[str]
    velocity: np.ndarray  # m/yr
    dem_error: np.ndarray  # m
    bperp: np.ndarray

    def truth(self, ref_yx: tuple[int, int]) -> np.ndarray:
        """Displacement time series (N, L, W) in metres relative to the first date and ref pixel."""
        t = years(self.dates)[:, None, None]
        topo = (self.bperp[:, None, None] * self.dem_error[None]
                / (SLANT_RANGE * np.sin(np.deg2rad(INC))))
        d = t * self.velocity[None] + topo
        return d - d[:, ref_yx[0], ref_yx[1]][:, None, None]


def years(dates: list[str]) -> np.ndarray:
    t = [dt.datetime.strptime(d, "%Y%m%d") for d in dates]
    return np.array([(x - t[0]).days for x in t]) / 365.25


def stack_attrs() -> dict[str, str]:
    attrs = {
        "LENGTH": str(LENGTH), "WIDTH": str(WIDTH), "WAVELENGTH": str(WAVELENGTH),
        "RANGE_PIXEL_SIZE": "2.33", "AZIMUTH_PIXEL_SIZE": "14.0", "STARTING_RANGE": "845000.0",
        "HEADING": "-12.0", "ANTENNA_SIDE": "-1", "EARTH_RADIUS": "6371000.0",
        "HEIGHT": "693000.0", "CENTER_LINE_UTC": "43200.0", "PRF": "1717.0",
        "ORBIT_DIRECTION": "ASCENDING", "ALOOKS": "1", "RLOOKS": "1", "PLATFORM": "Sen",
        "PROCESSOR": "isce", "PROJECT_NAME": "synthTest", "beam_mode": "IW", "beam_swath": "1",
        "relative_orbit": "42", "POLARIZATION": "VV", "FILE_TYPE": "timeseries", "UNIT": "radian",
    }
    for i, (la, lo) in enumerate([(0.01, -0.01), (0.01, 0.02), (-0.01, -0.01), (-0.01, 0.02)]):
        attrs[f"LAT_REF{i + 1}"], attrs[f"LON_REF{i + 1}"] = str(la), str(lo)
    return attrs


def build(tmp: Path, overrides: dict[str, str] | None = None, coherence: float = 0.9,
          num_dates: int = 6, seed: int = 0) -> Synth:
    """Write the synthetic inputs under ``tmp/minopy`` and return the context and truth."""
    rng = np.random.default_rng(seed)
    opts = {"minopy.interferograms.type": "sequential", "minopy.interferograms.numSequential": "2",
            "minopy.plot": "no", "minopy.timeseries.minTempCoh": "0.5",
            "mintpy.save.kmz": "no", "mintpy.topographicResidual": "no",
            "mintpy.reference.date": "no", "mintpy.compute.maxMemory": "0.5"}
    opts.update(overrides or {})
    ctx = StepContext(tmp / "minopy", load_config(overrides=opts))
    dates = [(dt.date(2020, 1, 1) + dt.timedelta(days=12 * i)).strftime("%Y%m%d")
             for i in range(num_dates)]
    pairs = [f"{a}_{b}" for i, a in enumerate(dates) for b in dates[i + 1:i + 3]]
    yy, xx = np.mgrid[0:LENGTH, 0:WIDTH]
    velocity = 0.02 * np.sin(yy / 5.0) + 0.01 * xx / WIDTH - 0.005
    dem_error = 10.0 * np.cos(xx / 7.0) * np.sin(yy / 9.0)
    bperp = np.concatenate([[0.0], rng.uniform(-120, 120, num_dates - 1)])
    synth = Synth(ctx, dates, pairs, velocity, dem_error, bperp)
    truth = synth.truth((0, 0))  # absolute up to a constant per date
    # an offset per date keeps every interferogram non-zero everywhere
    phase = -4 * np.pi / WAVELENGTH * truth + 0.3 * np.arange(1, num_dates + 1)[:, None, None]
    attrs = stack_attrs()
    ctx.inverted_dir.mkdir(parents=True)
    with h5py.File(ctx.phase_series_file, "w") as f:  # complete, as concatenate_patch writes it
        f["date"] = np.array(dates, dtype="S8")
        f["bperp"] = bperp.astype(np.float32)
        for name in ("phase", "amplitude", "crlbStd"):
            f[name] = np.zeros((num_dates, LENGTH, WIDTH), np.float32)
        f["temporalCoherence"] = np.full((2, LENGTH, WIDTH), 0.95, np.float32)
        f["shp"] = np.zeros((LENGTH, WIDTH), np.int32)
        f["estimator"] = np.zeros((LENGTH, WIDTH), np.uint8)
        f.attrs.update(attrs)
    tcoh = np.full((LENGTH, WIDTH), 0.95, np.float32)
    tcoh[-4:, -5:] = 0.2  # a decorrelated corner
    for kind in ("full", "average"):
        write_raster(ctx.temp_coh_raster(kind), tcoh)
    ctx.inputs_dir.mkdir(parents=True)
    with h5py.File(ctx.geometry_file, "w") as f:
        # crosses the equator and the prime meridian but no pixel is exactly 0 (MintPy no-data)
        f["latitude"] = (0.0105 - 0.02 * (yy + 0.5) / LENGTH).astype(np.float32)
        f["longitude"] = (-0.0103 + 0.03 * (xx + 0.5) / WIDTH).astype(np.float32)
        f["height"] = (100 + 50 * np.sin(xx / 6.0)).astype(np.float32)
        f["incidenceAngle"] = np.full((LENGTH, WIDTH), INC, np.float32)
        f["azimuthAngle"] = np.full((LENGTH, WIDTH), 102.0, np.float32)
        f["slantRangeDistance"] = np.full((LENGTH, WIDTH), SLANT_RANGE, np.float32)
        water = np.ones((LENGTH, WIDTH), bool)
        water[:2, -3:] = False
        f["waterMask"] = water
        shadow = np.zeros((LENGTH, WIDTH), bool)
        shadow[10, 10] = True
        f["shadowMask"] = shadow
        f.attrs.update({**attrs, "FILE_TYPE": "geometry"})
    ctx.ifgram_dir.mkdir(parents=True)
    ctx.network_dir.mkdir(parents=True)
    pos = {d: i for i, d in enumerate(dates)}
    for pair in pairs:
        folder = ctx.ifgram_dir / pair
        unw = phase[pos[pair[9:]]] - phase[pos[pair[:8]]]
        amp = np.ones_like(unw)
        write_raster(folder / "filt_fine.unw", np.stack([amp, unw]).astype(np.float32), "BIL",
                     "unw")
        write_raster(folder / "filt_fine.unw.conncomp", np.ones((LENGTH, WIDTH), np.uint8))
        write_raster(folder / "filt_fine.cor", np.full((LENGTH, WIDTH), coherence, np.float32))
    (ctx.network_dir / "interferograms_list.txt").write_text("\n".join(pairs) + "\n")
    return synth
