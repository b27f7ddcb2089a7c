"""Two-stage unwrapping: join connected components by integer-cycle offsets.

An unwrapper makes each connected component internally consistent, but the 2*pi ambiguity between
components is arbitrary. This module fixes it:

1. Every pixel is assigned to its nearest labelled pixel (Euclidean distance transform), which
   partitions the image into one region per component, so components separated by masked or
   unlabelled strips still become neighbours.
2. For each pair of neighbouring regions ``(a, b)`` and each pair of 4-adjacent pixels across
   their border, the nearest labelled source pixels ``p`` (in ``a``) and ``q`` (in ``b``) give the
   integer ``round((unw[q] - unw[p]) / 2*pi)``: the cycle offset that brings the jump between them
   within ``[-pi, pi]``. The median over the border is the edge's offset ``k_ab`` and the number
   of border pixel pairs its weight.
3. A maximum-weight spanning tree of the component graph, rooted at the largest component (offset
   0), fixes every component's offset ``c_b = c_a + k_ab`` along the tree; ``2*pi*c`` is removed
   from each component.

Labels are kept as the unwrapper wrote them (the components remain SNAPHU's self-consistent
regions); only the phase is shifted. Unlabelled pixels (label 0) are not changed.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

TWO_PI = 2.0 * np.pi


def component_offsets(unw: np.ndarray, conncomp: np.ndarray) -> dict[int, int]:
    """Integer cycle offset of each component relative to the largest one.

    Parameters
    ----------
    unw : numpy.ndarray
        Unwrapped phase (radians).
    conncomp : numpy.ndarray
        Integer labels, 0 = not unwrapped.

    Returns
    -------
    dict
        ``{label: c}``; subtract ``2*pi*c`` from component ``label`` to join it.
    """
    labels = np.unique(conncomp)
    labels = labels[labels > 0]
    if labels.size <= 1:
        return {int(lab): 0 for lab in labels}
    # nearest labelled pixel of every pixel
    _, (iy, ix) = ndimage.distance_transform_edt(conncomp == 0, return_indices=True)
    region = conncomp[iy, ix]
    src_phase = unw[iy, ix].astype(np.float64)
    votes: dict[tuple[int, int], list[np.ndarray]] = {}
    for axis in (0, 1):
        ra = np.moveaxis(region, axis, 0)
        pa = np.moveaxis(src_phase, axis, 0)
        a, b = ra[:-1].ravel(), ra[1:].ravel()
        border = a != b
        if not border.any():
            continue
        a, b = a[border], b[border]
        k = np.rint((pa[1:].ravel()[border] - pa[:-1].ravel()[border]) / TWO_PI)
        # orient each vote from the smaller to the larger label: k(b->a) = -k(a->b)
        swap = a > b
        lo, hi = np.where(swap, b, a), np.where(swap, a, b)
        k = np.where(swap, -k, k)
        key = lo.astype(np.int64) * (int(labels.max()) + 1) + hi
        order = np.argsort(key, kind="stable")
        key, k = key[order], k[order]
        uniq, start = np.unique(key, return_index=True)
        for u, chunk in zip(uniq, np.split(k, start[1:]), strict=True):
            pair = (int(u // (int(labels.max()) + 1)), int(u % (int(labels.max()) + 1)))
            votes.setdefault(pair, []).append(chunk)
    index = {int(lab): i for i, lab in enumerate(labels)}
    n = labels.size
    rows, cols, cost, offset = [], [], [], {}
    for (a, b), chunks in votes.items():
        ks = np.concatenate(chunks)
        offset[(a, b)] = int(np.rint(np.median(ks)))
        rows.append(index[a])
        cols.append(index[b])
        cost.append(1.0 / ks.size)  # many border pixels = reliable edge = cheap
    graph = coo_matrix((cost, (rows, cols)), shape=(n, n)).tocsr()
    tree = minimum_spanning_tree(graph)
    tree = tree + tree.T
    sizes = np.bincount(conncomp.ravel(), minlength=int(labels.max()) + 1)[labels]
    root = int(np.argmax(sizes))
    order, preds = breadth_first_order(tree, root, directed=False, return_predecessors=True)
    result = {int(lab): 0 for lab in labels}
    for node in order[1:]:
        parent = int(preds[node])
        a, b = int(labels[parent]), int(labels[node])
        k_ab = offset[(a, b)] if (a, b) in offset else -offset[(b, a)]
        result[b] = result[a] + k_ab
    return result


def join_components(unw: np.ndarray, conncomp: np.ndarray) -> np.ndarray:
    """Return ``unw`` with every component shifted by its integer-cycle offset (see module doc)."""
    offsets = component_offsets(unw, conncomp)
    if not any(offsets.values()):
        return unw
    lut = np.zeros(int(conncomp.max()) + 1, dtype=np.float64)
    for lab, c in offsets.items():
        lut[lab] = c
    shift = (TWO_PI * lut[conncomp]).astype(unw.dtype)
    return unw - shift
