"""Find which triangles of a soup may be back-face culled safely.

Why: on llvmpipe triangle setup is single-threaded and dominates heavy scenes; culling back
faces halves it. Culling is only safe on closed, consistently wound shells (seen from
outside you can never see their back faces). Real assets mix such shells with open sheets
(leaves, cloth, single-sided panels), which must stay double-sided.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

WELD_QUANTUM = 1e-5  # metres (model frame): corners closer than this are the same corner


def _corner_ids(pos: np.ndarray) -> np.ndarray:
    """Equal ids for corners within WELD_QUANTUM of each other (on the same lattice point)."""
    q = np.round(pos / WELD_QUANTUM).astype(np.int64)
    q -= q.min(0)
    if q.max() < (1 << 21):  # pack three 21-bit coordinates into one int64: a 1-D unique is ~10x faster
        key = (q[:, 0] << 42) | (q[:, 1] << 21) | q[:, 2]
        _, vid = np.unique(key, return_inverse=True)
    else:
        _, vid = np.unique(q, axis=0, return_inverse=True)
    return vid.ravel()


def closed_shells(positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a (3T, 3) triangle soup: (cullable (T,) bool, flip (T,) bool).

    cullable: the triangle lies on a closed 2-manifold shell whose triangles all agree on
    orientation. flip: its shell is wound inward (negative volume), so reverse its winding.
    """
    pos = np.asarray(positions, np.float64).reshape(-1, 3)
    t = len(pos) // 3
    none = np.zeros(t, bool)
    if t < 4:
        return none, none.copy()
    tri = _corner_ids(pos[: 3 * t]).reshape(t, 3)
    degenerate = (tri[:, 0] == tri[:, 1]) | (tri[:, 1] == tri[:, 2]) | (tri[:, 0] == tri[:, 2])

    # Directed edges a->b; a consistent closed shell pairs each with exactly one b->a.
    a = tri.ravel()
    b = tri[:, [1, 2, 0]].ravel()
    owner = np.repeat(np.arange(t), 3)
    n_v = int(tri.max()) + 1
    key = a * n_v + b
    rev = b * n_v + a
    order = np.argsort(key, kind="stable")
    ks = key[order]
    dup = np.zeros(len(key), bool)
    same = ks[1:] == ks[:-1]
    dup[order[1:][same]] = True
    dup[order[:-1][same]] = True  # a directed edge used twice: inconsistent or non-manifold
    pos_in_sorted = np.searchsorted(ks, rev)
    pos_in_sorted = np.minimum(pos_in_sorted, len(ks) - 1)
    found = ks[pos_in_sorted] == rev
    mate = np.where(found, order[pos_in_sorted], -1)
    # An undirected edge shared by more than two triangles is non-manifold.
    und = np.minimum(a, b) * n_v + np.maximum(a, b)
    _, und_inv, und_cnt = np.unique(und, return_inverse=True, return_counts=True)
    bad_edge = (mate < 0) | dup | (und_cnt[und_inv.ravel()] != 2)

    # Triangles joined through well-paired edges form components; one bad edge spoils its shell.
    ok = mate >= 0
    g = coo_matrix((np.ones(int(ok.sum())), (owner[ok], owner[mate[ok]])), shape=(t, t))
    n_comp, comp = connected_components(g, directed=False)
    bad_comp = np.zeros(n_comp, bool)
    bad_comp[comp[owner[bad_edge]]] = True
    bad_comp[comp[degenerate]] = True

    # Signed volume per shell (divergence theorem) tells outward vs inward winding.
    p = pos[: 3 * t].reshape(t, 3, 3)
    vol6 = np.einsum("ij,ij->i", p[:, 0], np.cross(p[:, 1], p[:, 2]))
    comp_vol = np.bincount(comp, weights=vol6, minlength=n_comp)
    scale = np.bincount(comp, weights=np.abs(vol6), minlength=n_comp)
    flat = np.abs(comp_vol) <= 1e-9 * np.maximum(scale, 1e-30)  # zero-volume "shells" (double-covered sheets)
    bad_comp |= flat
    cullable = ~bad_comp[comp]
    flip = cullable & (comp_vol[comp] < 0)
    return cullable, flip
