"""Generate the co-registered SLCs, row block by row block.

Each pixel's N-date vector is ``z = a * S_c w`` with ``w ~ CN(0, I_N)``, ``S_c`` a square root of
its class's coherence matrix (identity for water and shadow), ``a`` the backscatter amplitude;
persistent scatterers add a deterministic return ``a * sqrt(SCR) * exp(j phi_ps)`` to the clutter
of their background class. Every date is then multiplied by ``exp(+j 4 pi / wavelength * ts)``
(see :mod:`minopy.simulate.signals`) and by the amplitude scale. Memory is bounded by one block of
``block_rows`` rows for all dates; the random draws of block ``b`` come from ``(seed, 30, b)`` so
the result does not depend on anything but the parameters and the seed.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from minopy.io.isce import create_raster
from minopy.simulate.coherence import coherence_matrix, complex_normal, matrix_sqrt
from minopy.simulate.params import SimulationParams
from minopy.simulate.scene import CLASS_SHADOW, CLASS_WATER, SceneMaps, component_rng


def class_square_roots(params: SimulationParams, t_days: np.ndarray) -> dict[int, np.ndarray]:
    """Square roots of the coherence matrices by class code (identity for incoherent classes)."""
    n = len(t_days)
    roots = {CLASS_WATER: np.eye(n), CLASS_SHADOW: np.eye(n)}
    for code, cls in enumerate(params.classes, start=1):
        roots[code] = matrix_sqrt(coherence_matrix(t_days, cls))
    return roots


def slc_block(params: SimulationParams, seed: int, block: int, rows: slice, scene: SceneMaps,
              roots: dict[int, np.ndarray], ts: np.ndarray) -> np.ndarray:
    """SLC values of a row block for all dates.

    Parameters
    ----------
    params, seed : the simulation
    block : int
        Block index (selects the random stream).
    rows : slice
        Rows of the block.
    scene : SceneMaps
    roots : dict
        Output of :func:`class_square_roots`.
    ts : numpy.ndarray, shape (N, rows, W)
        Time-series signal (m) of the block.

    Returns
    -------
    numpy.ndarray, shape (N, rows, W), complex64
    """
    n, nr, w = ts.shape
    rng = component_rng(seed, 30, block)
    white = complex_normal(rng, (n, nr * w))
    bg = scene.background[rows].ravel()
    z = np.zeros((n, nr * w), dtype=np.complex128)
    for code, root in roots.items():
        idx = np.flatnonzero(bg == code)
        if idx.size:
            z[:, idx] = root @ white[:, idx]
    amp = scene.amplitude[rows].ravel().astype(np.float64)
    z *= amp
    ps = np.flatnonzero(scene.ps[rows].ravel())
    if ps.size:
        phi = scene.ps_phase[rows].ravel()[ps]
        z[:, ps] += amp[ps] * np.sqrt(params.ps_scr) * np.exp(1j * phi)
    z = z.reshape(n, nr, w)
    z *= np.exp(1j * (4 * np.pi / params.wavelength) * ts.astype(np.float64))
    z *= params.amplitude_scale
    return z.astype(np.complex64)


def write_slcs(paths: list[Path], params: SimulationParams, seed: int, scene: SceneMaps,
               roots: dict[int, np.ndarray],
               read_ts: Callable[[slice], np.ndarray]) -> None:
    """Write one complex64 ISCE raster (image type ``slc``) per date, block by block.

    Parameters
    ----------
    paths : list of Path
        Output SLC files, one per date in date order.
    read_ts : callable
        ``read_ts(rows) -> (N, rows, W)`` time-series signal of a row block (m).
    """
    L, W = params.length, params.width
    with ExitStack() as stack:
        outs = [stack.enter_context(create_raster(p, W, L, 1, np.complex64, "BIP", "slc"))
                for p in paths]
        for block, r0 in enumerate(range(0, L, params.block_rows)):
            rows = slice(r0, min(r0 + params.block_rows, L))
            z = slc_block(params, seed, block, rows, scene, roots, read_ts(rows))
            for k, out in enumerate(outs):
                out[0, rows, :] = z[k]
