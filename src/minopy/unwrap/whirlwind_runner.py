"""Unwrapping with whirlwind (``whirlwind-insar``): a fast Rust minimum-cost-flow unwrapper.

whirlwind's own component "bridge" post-pass is switched off: joining components is minopy's
two-stage step (:mod:`minopy.unwrap.components`), controlled by ``minopy.unwrap.two-stage``. Inputs
are sanitised as for SNAPHU (NaN -> 0, coherence clipped, zero pixels masked).
"""

from __future__ import annotations

import contextlib

import numpy as np

from minopy.errors import StepError
from minopy.unwrap.snaphu_runner import sanitize


def set_threads(n: int) -> None:
    """Limit whirlwind's thread pool to ``n`` (only possible before its first parallel call)."""
    import whirlwind

    with contextlib.suppress(RuntimeError):  # pool already initialised: keep it
        whirlwind.set_num_threads(max(1, int(n)))


def unwrap_whirlwind(
    igram: np.ndarray,
    corr: np.ndarray,
    nlooks: float,
    mask: np.ndarray | None = None,
    name: str = "interferogram",
) -> tuple[np.ndarray, np.ndarray]:
    """Unwrap one interferogram with whirlwind.

    Parameters
    ----------
    igram, corr : numpy.ndarray
        2-D complex interferogram and its coherence.
    nlooks : float
        Equivalent number of looks of the coherence (>= 1).
    mask : numpy.ndarray, optional
        bool, True = unwrap.
    name : str
        Pair name for error messages.

    Returns
    -------
    unw : numpy.ndarray
        float32 unwrapped phase (0 where masked).
    conncomp : numpy.ndarray
        uint32 component labels, 0 = not unwrapped.
    """
    try:
        import whirlwind
    except ImportError:
        raise StepError("minopy.unwrap.method = whirlwind needs the whirlwind-insar package; "
                        "pip install whirlwind-insar") from None
    ig, co, valid = sanitize(igram, corr, mask)
    unw = np.zeros(ig.shape, dtype=np.float32)
    conncomp = np.zeros(ig.shape, dtype=np.uint32)
    if not valid.any():
        return unw, conncomp
    try:
        out, cc = whirlwind.unwrap(ig, co, float(nlooks), mask=valid, bridge=False,
                                   max_ncomps=255)
    except (ValueError, RuntimeError) as err:
        raise StepError(f"whirlwind failed on pair {name}: {err}") from None
    unw[:] = np.nan_to_num(out)
    conncomp[:] = cc
    unw[~valid] = 0
    conncomp[~valid] = 0
    return unw, conncomp
