"""Put the unfiltered phase back after unwrapping a filtered interferogram (removeFilter).

The unwrapped filtered phase ``U_f`` fixes the ambiguity; the result keeps the unfiltered wrapped
phase ``w`` exactly, with the cycle count that brings it closest to ``U_f``:

    ``U = w + 2*pi * round((U_f - w) / 2*pi)``

(equivalently ``U_f + wrap(w - w_f)``, since ``U_f`` is congruent to the filtered wrapped phase
``w_f``). ``U`` is congruent to ``w`` modulo 2*pi everywhere, and differs from ``U_f`` by less than
pi. Rounding against ``w`` rather than ``w_f`` avoids a spurious 2*pi jump where ``w`` and ``w_f``
straddle the +-pi cut.

The correction is a pure function of the unwrapper's output and the original ``fine.int``, and the
unwrap step always writes the final ``.unw`` from those inputs, never from its own earlier output,
so a re-run applies it exactly once.
"""

from __future__ import annotations

import numpy as np

TWO_PI = 2.0 * np.pi


def remove_filter(unw_filtered: np.ndarray, wrapped_unfiltered: np.ndarray) -> np.ndarray:
    """Unwrapped unfiltered phase from the unwrapped filtered phase and the unfiltered phase.

    Parameters
    ----------
    unw_filtered : numpy.ndarray
        Unwrapped phase of the filtered interferogram (radians).
    wrapped_unfiltered : numpy.ndarray
        Wrapped phase of the unfiltered interferogram, ``angle(fine.int)``.

    Returns
    -------
    numpy.ndarray
        float32 unwrapped unfiltered phase.
    """
    u = np.asarray(unw_filtered, dtype=np.float64)
    w = np.asarray(wrapped_unfiltered, dtype=np.float64)
    return (w + TWO_PI * np.rint((u - w) / TWO_PI)).astype(np.float32)
