"""Network inversion of unwrapped interferograms into a phase time series, vectorised over pixels.

Pixels are grouped by their pattern of valid observations (in practice most pixels share the pattern
"all valid"); each group is solved at once:

- unweighted L2: one ``lstsq`` with many right-hand sides;
- weighted L2: per-pixel normal equations ``(G^T W G) x = G^T W y`` built with batched matrix
  products and solved with batched ``np.linalg.solve`` (``pinv`` where the group's sub-network is
  rank deficient, which gives the minimum-norm solution);
- L1: iteratively reweighted least squares (IRLS) on the same batched normal equations, with an
  optional first-difference regularisation of the velocities between consecutive dates (weight
  ``smoothing``); ``smoothing = 0`` is plain L1.

Unknowns are either the velocities between consecutive dates (minimum-norm velocity, SBAS, design
matrix ``B``) or the phases of dates 1..N-1 (minimum-norm phase, design matrix ``A``); see
:mod:`minopy.network.design`. Phases are radians relative to the first date.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from minopy.errors import ConfigError
from minopy.network.design import (
    phase_design_matrix,
    velocity_design_matrix,
    velocity_to_phase,
    years_since_first,
)

#: weight functions of the L2 inversion.
WEIGHT_FUNCS = ("var", "fim", "coh", "no")
#: rad^2 added to the phase variance of the ``var`` weights (a 0.01 rad noise floor).
VARIANCE_FLOOR = 1e-4
#: bytes of one (pixels, unknowns, pairs) float64 temporary of the per-pixel normal equations;
#: the pixel batch is sized from it, so memory does not grow with the network size.
_BATCH_BYTES = 32 * 2**20


@dataclass
class InversionResult:
    """Result of :func:`invert_pixels` for P pixels and N dates.

    Attributes
    ----------
    phase : ndarray, float32, (N, P)
        Phase time series in radians relative to the first date; 0 where not inverted.
    num_inv : ndarray, int16, (P,)
        Number of interferograms used for each pixel (0 where not inverted).
    inverted : ndarray, bool, (P,)
        Whether the pixel was inverted.
    """

    phase: np.ndarray
    num_inv: np.ndarray
    inverted: np.ndarray


def coherence_to_weight(
    coherence: np.ndarray, func: str, looks: float = 1.0, epsilon: float = 5e-2
) -> np.ndarray | None:
    """Observation weights from interferometric coherence.

    Parameters
    ----------
    coherence : ndarray
        Coherence in [0, 1]; NaN and values below ``epsilon`` are set to ``epsilon``, values above
        ``1 - 1e-4`` to ``1 - 1e-4``, so every weight is finite and positive.
    func : {'var', 'fim', 'coh', 'no'}
        ``var``: inverse of the phase variance, Cramer-Rao bound ``(1 - g^2) / (2 L g^2)`` plus
        :data:`VARIANCE_FLOOR` (so nearly coherent pairs do not dominate);
        ``fim``: Fisher information ``2 L g^2 / (1 - g^2)``; ``coh``: the coherence itself;
        ``no``: None (unweighted).
    looks : float
        Number of independent looks ``L`` (at least 1).
    epsilon : float
        Smallest coherence used.

    Returns
    -------
    ndarray (float64, same shape) or None
    """
    func = func.lower()
    if func not in WEIGHT_FUNCS:
        raise ConfigError(
            f"minopy.timeseries.L2weightFunc = {func!r}; expected one of {', '.join(WEIGHT_FUNCS)}"
        )
    if func == "no":
        return None
    gamma = np.nan_to_num(np.asarray(coherence, dtype=np.float64), nan=epsilon)
    gamma = np.clip(gamma, epsilon, 1.0 - 1e-4)
    num_looks = max(float(looks), 1.0)
    if func == "coh":
        return gamma
    if func == "fim":
        return 2.0 * num_looks * gamma**2 / (1.0 - gamma**2)
    variance = (1.0 - gamma**2) / (2.0 * num_looks * gamma**2)
    return 1.0 / (variance + VARIANCE_FLOOR)


def _pattern_groups(valid: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield ``(rows, pixel_indices)`` for each distinct column pattern of ``valid`` (M, P)."""
    packed = np.ascontiguousarray(np.packbits(valid, axis=0).T)
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.cumsum(np.bincount(inverse.ravel(), minlength=len(first)))
    start = 0
    for gid, stop in enumerate(bounds):
        pixels = order[start:stop]
        start = stop
        yield np.flatnonzero(valid[:, first[gid]]), pixels


def _weighted_solve(
    mat: np.ndarray, obs: np.ndarray, weight: np.ndarray, full_rank: bool
) -> np.ndarray:
    """Per-pixel weighted least squares: ``mat`` (m, K), ``obs``/``weight`` (m, p) -> (K, p);
    minimum-norm (pseudo-inverse) unless ``full_rank``."""
    out = np.empty((mat.shape[1], obs.shape[1]), dtype=np.float64)
    batch = max(16, _BATCH_BYTES // (8 * mat.shape[0] * mat.shape[1]))
    for s in range(0, obs.shape[1], batch):
        w = weight[:, s:s + batch].T  # (p, m)
        gtw = mat.T[None, :, :] * w[:, None, :]  # (p, K, m)
        normal = gtw @ mat  # (p, K, K)
        rhs = np.einsum("pkm,mp->pk", gtw, obs[:, s:s + batch])
        del gtw
        if full_rank:
            try:
                out[:, s:s + batch] = np.linalg.solve(normal, rhs[..., None])[..., 0].T
                continue
            except np.linalg.LinAlgError:
                pass
        out[:, s:s + batch] = np.einsum("pkl,pl->kp", np.linalg.pinv(normal), rhs)
    return out


def _weighted_phase_solve(pairs: np.ndarray, obs: np.ndarray, weight: np.ndarray,
                          num_unknowns: int) -> np.ndarray:
    """Per-pixel weighted least squares for the phases of a full-rank network.

    The phase design matrix has two entries per pair (-1 at the earlier date, +1 at the later
    one, none at date 0), so the normal equations ``A^T W A`` and ``A^T W y`` are built by
    adding each pair's weight to four entries: O(M) per pixel instead of the O(M K²) of a dense
    product; only the ``K x K`` solve remains. For a full-rank network the phases equal those of
    the velocity parameterisation mapped to phases (the two design matrices differ by an
    invertible factor).

    Parameters
    ----------
    pairs : ndarray, shape (m, 2), int
        Column (``date index - 1``, -1 for date 0) of the earlier and later date of each pair.
    obs, weight : ndarray, shape (m, p), float64
        Observations and positive weights.
    num_unknowns : int
        K (dates - 1).

    Returns
    -------
    ndarray, shape (K, p), float64
        Phases of dates 1..N-1.
    """
    k = num_unknowns
    inner = pairs[(pairs[:, 0] >= 0) & (pairs[:, 1] >= 0)]
    band = int(np.max(np.abs(inner[:, 1] - inner[:, 0]))) if inner.size else 0
    if band <= max(8, k // 4):
        return _banded_phase_solve(pairs, obs, weight, k, band)
    out = np.empty((k, obs.shape[1]), dtype=np.float64)
    batch = max(16, _BATCH_BYTES // (8 * k * k))
    for s in range(0, obs.shape[1], batch):
        w = weight[:, s:s + batch]
        wy = w * obs[:, s:s + batch]
        normal = np.zeros((k * k, w.shape[1]), dtype=np.float64)
        rhs = np.zeros((k, w.shape[1]), dtype=np.float64)
        for m, (a, b) in enumerate(pairs):
            if a >= 0:
                normal[a * k + a] += w[m]
                rhs[a] -= wy[m]
            if b >= 0:
                normal[b * k + b] += w[m]
                rhs[b] += wy[m]
            if a >= 0 and b >= 0:
                normal[a * k + b] -= w[m]
                normal[b * k + a] -= w[m]
        stack = np.ascontiguousarray(normal.T).reshape(-1, k, k)
        try:
            out[:, s:s + batch] = np.linalg.solve(stack, rhs.T[..., None])[..., 0].T
        except np.linalg.LinAlgError:  # numerically singular despite a full-rank design
            out[:, s:s + batch] = np.einsum("pkl,lp->kp", np.linalg.pinv(stack), rhs)
    return out


def _banded_phase_solve(pairs: np.ndarray, obs: np.ndarray, weight: np.ndarray, k: int,
                        band: int) -> np.ndarray:
    """:func:`_weighted_phase_solve` for a network whose pairs span at most ``band`` dates:
    the normal matrix is banded, so a band Cholesky factorisation, vectorised over the pixels,
    costs O(K band²) per pixel.

    Returns
    -------
    ndarray, shape (K, p), float64
    """
    nb = band + 1
    out = np.empty((k, obs.shape[1]), dtype=np.float64)
    batch = max(16, _BATCH_BYTES // (8 * k * (nb + 1)))
    for s in range(0, obs.shape[1], batch):
        w = weight[:, s:s + batch]
        wy = w * obs[:, s:s + batch]
        low = np.zeros((nb, k, w.shape[1]), dtype=np.float64)  # low[d, i] = N[i + d, i]
        rhs = np.zeros((k, w.shape[1]), dtype=np.float64)
        for m, (a, b) in enumerate(pairs):
            if a >= 0:
                low[0, a] += w[m]
                rhs[a] -= wy[m]
            if b >= 0:
                low[0, b] += w[m]
                rhs[b] += wy[m]
            if a >= 0 and b >= 0:
                lo, hi = min(a, b), max(a, b)
                low[hi - lo, lo] -= w[m]
        for j in range(k):  # band Cholesky: low[d, j] becomes L[j + d, j]
            for t in range(max(0, j - band), j):
                ljt = low[j - t, t]
                for d in range(0, min(band - (j - t), k - 1 - j) + 1):
                    low[d, j] -= low[d + j - t, t] * ljt
            low[0, j] = np.sqrt(low[0, j])
            for d in range(1, min(band, k - 1 - j) + 1):
                low[d, j] /= low[0, j]
        x = rhs
        for j in range(k):  # L z = rhs
            x[j] /= low[0, j]
            for d in range(1, min(band, k - 1 - j) + 1):
                x[j + d] -= low[d, j] * x[j]
        for j in range(k - 1, -1, -1):  # L^T x = z
            for d in range(1, min(band, k - 1 - j) + 1):
                x[j] -= low[d, j] * x[j + d]
            x[j] /= low[0, j]
        out[:, s:s + batch] = x
    return out


def _pair_columns(date12_list: Sequence[str], date_list: Sequence[str]) -> np.ndarray:
    """(M, 2) columns of the phase design matrix (date index - 1; -1 for date 0) of each pair."""
    full = phase_design_matrix(date12_list, date_list)
    cols = np.full((full.shape[0], 2), -1, dtype=np.int64)
    for m, row in enumerate(full):
        neg, pos = np.flatnonzero(row < 0), np.flatnonzero(row > 0)
        cols[m] = (neg[0] if neg.size else -1, pos[0] if pos.size else -1)
    return cols


def _smoothing_rows(date_list: Sequence[str], phase_unknowns: bool, smoothing: float) -> np.ndarray:
    """Regularisation rows ``smoothing * dt_med * (v_{k+1} - v_k)`` in the unknowns' space."""
    num = len(date_list) - 1
    if smoothing <= 0 or num < 2:
        return np.zeros((0, num))
    dtime = np.diff(years_since_first(date_list))
    diff = (np.eye(num, k=1) - np.eye(num))[:-1]
    rows = smoothing * float(np.median(dtime)) * diff
    if phase_unknowns:
        rows = rows @ np.linalg.inv(velocity_to_phase(date_list))
    return rows


def _irls(
    mat: np.ndarray,
    obs: np.ndarray,
    weight: np.ndarray | None,
    reg: np.ndarray,
    max_iter: int,
    tol: float,
) -> np.ndarray:
    """L1 solution of ``[mat; reg] x = [obs; 0]`` per pixel by IRLS; returns (K, p)."""
    aug = np.vstack([mat, reg])
    y = np.vstack([obs, np.zeros((reg.shape[0], obs.shape[1]))])
    prior = np.ones_like(y) if weight is None else np.vstack(
        [weight, np.ones((reg.shape[0], obs.shape[1]))]
    )
    full_rank = np.linalg.matrix_rank(aug) == aug.shape[1]
    x = _weighted_solve(aug, y, prior, full_rank)
    active = np.arange(obs.shape[1])
    for _ in range(max_iter):
        resid = np.abs(y[:, active] - aug @ x[:, active])
        w = prior[:, active] / np.maximum(resid, 1e-5)
        w /= w.max(axis=0, keepdims=True)
        new = _weighted_solve(aug, y[:, active], w, full_rank)
        change = np.abs(new - x[:, active]).max(axis=0)
        x[:, active] = new
        active = active[change > tol]
        if active.size == 0:
            break
    return x


def invert_pixels(
    obs: np.ndarray,
    date12_list: Sequence[str],
    date_list: Sequence[str],
    *,
    valid: np.ndarray | None = None,
    weight: np.ndarray | None = None,
    min_norm_velocity: bool = True,
    norm: str = "L2",
    smoothing: float = 0.0,
    max_iter: int = 100,
    tol: float = 1e-5,
) -> InversionResult:
    """Invert the unwrapped phase of many pixels into phase time series.

    Parameters
    ----------
    obs : ndarray, (M, P)
        Unwrapped, referenced interferometric phase (radians) of M pairs at P pixels.
    date12_list : sequence of str
        The M pair names ``YYYYMMDD_YYYYMMDD``.
    date_list : sequence of str
        The N sorted dates of the time series (first = reference date).
    valid : ndarray of bool, (M, P), optional
        Observations to use; default: every finite value of ``obs``. A pixel without any valid
        observation is not inverted.
    weight : ndarray, (M, P), optional
        Positive observation weights (see :func:`coherence_to_weight`); None: unweighted.
    min_norm_velocity : bool
        True: solve for the velocities between consecutive dates (SBAS); False: for the phases.
    norm : {'L2', 'L1'}
        Residual norm.
    smoothing : float
        L1 only: weight of the first-difference regularisation of the velocities (0 = none).
    max_iter, tol : int, float
        L1 only: IRLS iteration limit and convergence threshold on the unknowns.

    Returns
    -------
    InversionResult
    """
    obs = np.asarray(obs, dtype=np.float64)
    if obs.ndim != 2 or obs.shape[0] != len(date12_list):
        raise ValueError(f"obs must be (M={len(date12_list)}, P); got {obs.shape}")
    norm = norm.upper()
    if norm not in ("L1", "L2"):
        raise ConfigError(f"minopy.timeseries.residualNorm = {norm!r}; expected L1 or L2")
    finite = np.isfinite(obs)
    valid = finite if valid is None else (np.asarray(valid, dtype=bool) & finite)
    if weight is not None:
        weight = np.asarray(weight, dtype=np.float64)
        valid &= np.isfinite(weight) & (weight > 0)
    design = (velocity_design_matrix if min_norm_velocity else phase_design_matrix)(
        date12_list, date_list
    )
    to_phase = velocity_to_phase(date_list) if min_norm_velocity else None
    reg = _smoothing_rows(date_list, not min_norm_velocity, smoothing) if norm == "L1" else None
    num_date, num_pix = len(date_list), obs.shape[1]
    phase = np.zeros((num_date, num_pix), dtype=np.float32)
    num_inv = valid.sum(axis=0).astype(np.int16)
    columns = _pair_columns(date12_list, date_list) if weight is not None else None
    for rows, pix in _pattern_groups(valid):
        if rows.size == 0:
            continue
        mat = design[rows]
        y = np.where(valid[np.ix_(rows, pix)], obs[np.ix_(rows, pix)], 0.0)
        w = None if weight is None else weight[np.ix_(rows, pix)]
        if reg is not None:  # L1
            x = _irls(mat, y, w, reg, max_iter, tol)
        elif w is None:
            x = np.linalg.lstsq(mat, y, rcond=1e-10)[0]
        elif columns is not None and np.linalg.matrix_rank(mat) == mat.shape[1]:
            phase[1:, pix] = _weighted_phase_solve(columns[rows], y, w, mat.shape[1])
            continue
        else:
            x = _weighted_solve(mat, y, w, False)
        if to_phase is not None:
            x = to_phase @ x
        phase[1:, pix] = x
    return InversionResult(phase=phase, num_inv=num_inv, inverted=num_inv > 0)
