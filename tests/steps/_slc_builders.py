"""Small synthetic ``slcStack.h5`` files and step contexts for the phase-linking tests."""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import numpy as np

from minopy.config import load_config
from minopy.step_context import StepContext

#: root attributes of a synthetic stack (MintPy names).
BASE_ATTRS = {
    "FILE_TYPE": "timeseries", "WAVELENGTH": "0.05546576", "RANGE_PIXEL_SIZE": "2.329562",
    "AZIMUTH_PIXEL_SIZE": "13.96", "STARTING_RANGE": "800000.0", "EARTH_RADIUS": "6371000.0",
    "HEIGHT": "693000.0", "HEADING": "-167.0", "ORBIT_DIRECTION": "DESCENDING",
    "ANTENNA_SIDE": "-1", "PRF": "486.486", "CENTER_LINE_UTC": "50000.0", "ALOOKS": "1",
    "RLOOKS": "1", "PLATFORM": "sen", "PROCESSOR": "isce", "PROJECT_NAME": "synthetic",
}


def synthetic_slc(num_dates: int, length: int, width: int, seed: int = 0,
                  coherence: float = 0.7) -> np.ndarray:
    """Circular Gaussian SLCs with a common temporal correlation and a deformation ramp.

    Every pixel has ``s_n = exp(i phi_n) (sqrt(c) z + sqrt(1 - c) e_n)`` with ``z, e_n`` standard
    circular Gaussian, so ``|Γ_nm| = c`` off the diagonal, and ``phi_n`` grows with time and range.
    """
    rng = np.random.default_rng(seed)

    def cgauss(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2)

    common = cgauss(1, length, width)
    noise = cgauss(num_dates, length, width)
    slc = np.sqrt(coherence) * common + np.sqrt(1 - coherence) * noise
    t = np.arange(num_dates)[:, None, None] / max(num_dates - 1, 1)
    x = np.arange(width)[None, None, :] / width
    slc *= np.exp(1j * 3.0 * t * (1 + x))
    return slc.astype(np.complex64)


def write_slc_stack(path: Path, slc: np.ndarray, chunks: tuple[int, int, int] | None = None
                    ) -> Path:
    """Write ``slc`` (N, L, W) as a MintPy-style ``slcStack.h5`` with dates 12 days apart."""
    n, length, width = slc.shape
    dates = [np.datetime64("2020-01-01") + np.timedelta64(12 * i, "D") for i in range(n)]
    names = np.array([str(d).replace("-", "") for d in dates], dtype="S8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.create_dataset("slc", data=slc.astype(np.complex64), chunks=chunks)
        f.create_dataset("date", data=names)
        f.create_dataset("bperp", data=np.linspace(0, 50, n).astype(np.float32))
        f.attrs.update(BASE_ATTRS)
        f.attrs.update({"LENGTH": str(length), "WIDTH": str(width)})
    return path


def make_context(work_dir: Path, **options: object) -> StepContext:
    """A StepContext for ``work_dir`` with ``minopy.*`` options given as keyword overrides.

    Keywords use the key without ``minopy.`` and with ``__`` for dots, e.g.
    ``inversion__patchSize=32``.
    """
    overrides = {"minopy." + k.replace("__", "."): str(v) for k, v in options.items()}
    overrides.setdefault("minopy.multiprocessing.numProcessor", "1")
    config = load_config(overrides=overrides)
    return StepContext(Path(work_dir), config, logging.getLogger("minopy.test"))


def build_case(work_dir: Path, num_dates: int = 6, length: int = 40, width: int = 36,
               seed: int = 0, **options: object) -> StepContext:
    """Write a synthetic stack into ``work_dir/inputs`` and return a context with small windows."""
    defaults: dict[str, object] = {
        "inversion__azimuthWindow": 5, "inversion__rangeWindow": 5,
        "inversion__ministackSize": 3, "inversion__patchSize": 16,
        "inversion__phaseLinkingMethod": "EMI",
    }
    defaults.update(options)
    ctx = make_context(work_dir, **defaults)
    write_slc_stack(ctx.slc_stack_file, synthetic_slc(num_dates, length, width, seed))
    return ctx
