"""Numeric core of phase linking: SHP selection, coherence, estimators, quality and PS tests.

The step that does I/O calls :func:`process_patch` with an SLC block; the other functions are
batched building blocks (used by tests, benchmarks and simulations). Nothing here reads or writes
files or changes global thread settings; choose the thread count with ``numba.set_num_threads``.
"""

from .covariance import sample_coherence, shp_coherence
from .crlb import crlb_std
from .estimators import ESTIMATOR_CODES, estimate_phases
from .patch import METHODS, PatchResult, PhaseLinkOptionError, PhaseLinkOptions, process_patch
from .ps import amplitude_dispersion, top_eigenvalues
from .quality import temporal_coherence
from .sequential import ministack_bounds, sequential_phase_linking
from .shp import ShpSelection, ks_critical_distance, select_shp, similar_pairs, valid_pixels

__all__ = [
    "ESTIMATOR_CODES",
    "METHODS",
    "PatchResult",
    "PhaseLinkOptionError",
    "PhaseLinkOptions",
    "ShpSelection",
    "amplitude_dispersion",
    "crlb_std",
    "estimate_phases",
    "ks_critical_distance",
    "ministack_bounds",
    "process_patch",
    "sample_coherence",
    "select_shp",
    "sequential_phase_linking",
    "shp_coherence",
    "similar_pairs",
    "temporal_coherence",
    "top_eigenvalues",
    "valid_pixels",
]
