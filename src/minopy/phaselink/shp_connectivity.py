"""The 8-connected component of similar window pixels that contains the centre.

A window of ``az x rg`` pixels (``2 ha + 1`` by ``2 hr + 1``) is given as a boolean decision per
window pixel (similar to the centre or not). Two equivalent algorithms: row bit masks grown by
dilation for windows up to :data:`MAX_BIT_WIDTH` columns, a stack-based flood fill otherwise.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Widest window (columns) handled by the bit-parallel connected-component search.
MAX_BIT_WIDTH = 62


@njit(cache=True)
def half_offsets(ha: int, hr: int) -> np.ndarray:
    """Window offsets ``(da, db)`` with ``da > 0``, or ``da == 0`` and ``db > 0``.

    Every unordered pair of pixels closer than the window is ``(p, p + offset)`` for exactly one
    of these offsets, so pair results are computed and stored once.
    """
    out = np.empty((ha * (2 * hr + 1) + hr, 2), dtype=np.int64)
    k = 0
    for db in range(1, hr + 1):
        out[k, 0] = 0
        out[k, 1] = db
        k += 1
    for da in range(1, ha + 1):
        for db in range(-hr, hr + 1):
            out[k, 0] = da
            out[k, 1] = db
            k += 1
    return out


@njit(cache=True)
def offset_index(ha: int, hr: int) -> np.ndarray:
    """Window position -> ``k`` of its half offset (``>= 0``), or ``-k - 1`` when the pair is
    stored at the neighbour with the opposite offset; the centre is ``-(1 << 30)``."""
    offs = half_offsets(ha, hr)
    oidx = np.zeros((2 * ha + 1, 2 * hr + 1), dtype=np.int64)
    for k in range(offs.shape[0]):
        oidx[ha + offs[k, 0], hr + offs[k, 1]] = k
        oidx[ha - offs[k, 0], hr - offs[k, 1]] = -k - 1
    oidx[ha, hr] = -(1 << 30)
    return oidx


@njit(cache=True)
def component_bits(similar: np.ndarray, ha: int, hr: int, allowed: np.ndarray,
                   comp: np.ndarray, out: np.ndarray) -> int:
    """Component of the centre among the ``similar`` window pixels, by row bit masks.

    Parameters
    ----------
    similar : ndarray, shape (az, rg), bool
        Decision per window pixel (the centre must be True).
    ha, hr : int
        Half window sizes (``rg = 2 hr + 1 <= MAX_BIT_WIDTH``).
    allowed, comp : ndarray, shape (az,), uint64
        Workspace.
    out : ndarray, shape (az, rg), bool
        The component (written).

    Returns
    -------
    int
        Its size.
    """
    az, rg = 2 * ha + 1, 2 * hr + 1
    one = np.uint64(1)
    for i in range(az):
        bits = np.uint64(0)
        for j in range(rg):
            if similar[i, j]:
                bits |= one << np.uint64(j)
        allowed[i] = bits
        comp[i] = np.uint64(0)
    comp[ha] = one << np.uint64(hr)
    changed = True
    while changed:
        changed = False
        prev = np.uint64(0)
        for i in range(az):
            cur = comp[i]
            nxt = comp[i + 1] if i + 1 < az else np.uint64(0)
            d = prev | cur | nxt
            d = (d | (d << one) | (d >> one)) & allowed[i]
            prev = cur  # undilated value of this row for the next one
            if d != cur:
                comp[i] = d
                changed = True
    count = 0
    for i in range(az):
        bits = comp[i]
        for j in range(rg):
            inside = (bits >> np.uint64(j)) & one
            out[i, j] = inside != 0
            count += int(inside)
    return count


@njit(cache=True)
def flood_fill(similar: np.ndarray, ha: int, hr: int, state: np.ndarray, stack: np.ndarray,
               out: np.ndarray) -> int:
    """Same result as :func:`component_bits` for any window width, by a stack flood fill.

    ``state`` (az, rg) int8 and ``stack`` (az * rg,) int64 are workspace.
    """
    az, rg = 2 * ha + 1, 2 * hr + 1
    for i in range(az):
        for j in range(rg):
            state[i, j] = 0 if similar[i, j] else 2
            out[i, j] = False
    state[ha, hr] = 1
    out[ha, hr] = True
    count = 1
    stack[0] = ha * rg + hr
    top = 1
    while top > 0:
        top -= 1
        cur = stack[top]
        ci = cur // rg
        cj = cur - ci * rg
        for di in range(-1, 2):
            ni = ci + di
            if ni < 0 or ni >= az:
                continue
            for dj in range(-1, 2):
                nj = cj + dj
                if nj < 0 or nj >= rg or state[ni, nj] != 0:
                    continue
                state[ni, nj] = 1
                out[ni, nj] = True
                count += 1
                stack[top] = ni * rg + nj
                top += 1
    return count


@njit(cache=True)
def centre_component(similar: np.ndarray, ha: int, hr: int, allowed: np.ndarray,
                     comp: np.ndarray, state: np.ndarray, stack: np.ndarray,
                     out: np.ndarray) -> int:
    """:func:`component_bits` or :func:`flood_fill` by window width."""
    if 2 * hr + 1 <= MAX_BIT_WIDTH:
        return component_bits(similar, ha, hr, allowed, comp, out)
    return flood_fill(similar, ha, hr, state, stack, out)
