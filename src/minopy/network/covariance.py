"""Time-series covariance from the interferograms' decorrelation noise (``--calc-cov``).

Each interferogram's phase variance follows from its coherence ``g`` and number of looks ``L``
by the Cramér-Rao bound of distributed scatterers (Rodriguez & Martin 1992; Hanssen 2001, eq.
4.2.24): ``var = (1 - g^2) / (2 L g^2)`` rad². Interferograms are taken as independent, so their
covariance is ``S = diag(var)``, and the estimator of the phases of dates 1..N-1,
``x = K y`` with ``K = (A^T W A)^-1 A^T W`` (the weighted least squares of the inversion; ``W = I``
when unweighted; a pseudo-inverse where a pixel's sub-network is rank deficient), has the
covariance ``C = K S K^T`` (linear propagation; Yunjun et al. 2022's time-series covariance as
written by MintPy's ``ifgram_inversion.py --calc-cov``). Row and column 0 (the reference date)
are 0. Pure numerics; the step converts to m² and writes ``timeseriesDecorCov.h5``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from minopy.network.design import phase_design_matrix

#: coherence range used for the variance (as the weights): [EPSILON, 1 - 1e-4].
EPSILON = 5e-2
#: bytes of the per-pixel (p, K, m) temporaries of one batch.
_BATCH_BYTES = 32 * 2**20


def decorrelation_variance(coherence: np.ndarray, looks: float) -> np.ndarray:
    """Phase variance (rad²) of interferograms of ``coherence`` with ``looks`` looks.

    Parameters
    ----------
    coherence : ndarray
        Coherence in [0, 1]; NaN and values below 0.05 count as 0.05, values above 1 - 1e-4
        as 1 - 1e-4.
    looks : float
        Number of independent looks ``L`` (at least 1).

    Returns
    -------
    ndarray, float64, same shape
        ``(1 - g^2) / (2 L g^2)``.
    """
    gamma = np.clip(np.nan_to_num(np.asarray(coherence, np.float64), nan=EPSILON), EPSILON,
                    1.0 - 1e-4)
    return (1.0 - gamma**2) / (2.0 * max(float(looks), 1.0) * gamma**2)


def _groups(valid: np.ndarray):
    packed = np.ascontiguousarray(np.packbits(valid, axis=0).T)
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    for gid in range(len(first)):
        yield np.flatnonzero(valid[:, first[gid]]), np.flatnonzero(inverse == gid)


def timeseries_covariance(
    date12_list: Sequence[str],
    date_list: Sequence[str],
    valid: np.ndarray,
    variance: np.ndarray,
    weight: np.ndarray | None = None,
) -> np.ndarray:
    """Covariance of the inverted phase time series of P pixels.

    Parameters
    ----------
    date12_list : sequence of str
        The M pairs ``YYYYMMDD_YYYYMMDD``.
    date_list : sequence of str
        The N sorted dates (date 0 is the reference of the phases).
    valid : ndarray of bool, (M, P)
        Observations the inversion used (a pixel without any is left at 0).
    variance : ndarray, (M, P)
        Phase variance of each observation, rad² (:func:`decorrelation_variance`).
    weight : ndarray, (M, P), optional
        The inversion's weights (None: unweighted least squares).

    Returns
    -------
    ndarray, float64, (N, N, P)
        ``K S K^T`` in rad², 0 in row/column 0 and for pixels not inverted.
    """
    valid = np.asarray(valid, dtype=bool)
    num_pair, num_pix = valid.shape
    num_date = len(date_list)
    out = np.zeros((num_date, num_date, num_pix))
    design = phase_design_matrix(date12_list, date_list)
    variance = np.asarray(variance, np.float64)
    for rows, pix in _groups(valid):
        if rows.size == 0:
            continue
        mat = design[rows]  # (m, K)
        full_rank = np.linalg.matrix_rank(mat) == mat.shape[1]
        batch = max(16, _BATCH_BYTES // (8 * mat.shape[0] * mat.shape[1]))
        for s in range(0, pix.size, batch):
            p = pix[s:s + batch]
            var = variance[np.ix_(rows, p)].T  # (p, m)
            w = np.ones_like(var) if weight is None else np.asarray(
                weight, np.float64)[np.ix_(rows, p)].T
            gtw = mat.T[None, :, :] * w[:, None, :]  # (p, K, m)
            normal = gtw @ mat  # (p, K, K)
            gain = None
            if full_rank:
                try:
                    gain = np.linalg.solve(normal, gtw)  # (p, K, m)
                except np.linalg.LinAlgError:
                    gain = None
            if gain is None:
                gain = np.linalg.pinv(normal) @ gtw
            out[1:, 1:, p] = np.einsum("pkm,pm,plm->klp", gain, var, gain, optimize=True)
    return out
