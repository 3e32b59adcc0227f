"""Exact geometric ground truth for the QA engine: object surfaces in the world frame and exact
minimum distances between them (and from camera points to them).

World frame: metres, y up (see builder/houses/spec.py). An object's surface is its mesh placed
by `object_model_matrix`, the same transform the renderer uses, so the distances match what
the videos show. A surface is a triangle soup, (T, 3, 3) float64: triangle, corner, xyz.

Distances are exact up to floating point: every candidate triangle pair that could beat the
best distance found so far is tested with an exact triangle-triangle distance; pruning only
ever drops pairs whose lower bound already rules them out. Surfaces closer than TOUCH_EPS
count as touching and get 0.0 (float32 mesh vertices carry ~1e-7 relative error anyway).

The search is a dual-tree branch and bound over median-split bounding-volume hierarchies,
run for many surface pairs at once so each numpy call works on large arrays:
  - every node pair on the frontier gets a lower bound (from the two boxes) and an upper
    bound (distance between one surface vertex of each node);
  - node pairs whose lower bound is not below their query's best upper bound are dropped;
  - a first, narrow beam pass finds a near-optimal upper bound, so the exhaustive second pass
    prunes from the top of the trees;
  - surviving leaf pairs are expanded to triangle pairs, best lower bounds first, and filtered
    by separating-axis bounds on their actual vertices before the exact test. Far-apart pairs
    need these: box bounds are loose by about a leaf's size, while the distance between two far
    surfaces varies by much less than that across the many leaves facing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from builder.assets.mesh import Mesh
from builder.houses.spec import House, HouseObject
from builder.render.scene import object_model_matrix

TOUCH_EPS = 1e-6  # metres; closer surfaces are reported as touching (0.0)
LEAF_SIZE = 8  # max triangles per BVH leaf: small leaves keep the exact tests few
BEAM = 4  # node pairs per query followed by the first, upper-bound pass
CHUNK_LEAF_PAIRS = 2048  # leaf pairs per vectorised batch: <= 2048 * LEAF_SIZE^2 triangle pairs
_SLIVER_SIN2 = 1e-16  # sin^2 of a triangle's corner angle below which its plane is not trusted

# ---- surfaces --------------------------------------------------------------------------------


def mesh_triangles(mesh: Mesh) -> np.ndarray:
    """All triangles of a mesh in its model frame, (T, 3, 3) float64."""
    return np.concatenate([p.positions for p in mesh.parts]).astype(np.float64).reshape(-1, 3, 3)


def object_triangles(obj: HouseObject, mesh: Mesh) -> np.ndarray:
    """World-space triangles (T, 3, 3) float64 of one object, placed exactly as it is rendered."""
    m = object_model_matrix(obj, mesh.size)
    return mesh_triangles(mesh) @ m[:3, :3].T + m[:3, 3]


# ---- exact primitive distances -----------------------------------------------------------
# The kernels take component-first arrays, xyz on axis 0, shape (3, ...), elementwise over the
# other axes: dot and cross products are then sums of whole-array products, several times
# faster in numpy than reductions over a short last axis.


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def _safe(den: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Denominator with the masked-out entries replaced by 1, so np.where never divides by 0."""
    return np.where(ok, den, 1.0)


def _point_segment_distance(p, a, b) -> np.ndarray:
    ab = b - a
    ll = _dot(ab, ab)
    t = np.clip(_dot(p - a, ab) / _safe(ll, ll > 0), 0.0, 1.0)  # zero-length segment: t = 0
    d = p - (a + t * ab)
    return np.sqrt(_dot(d, d))


def _segment_segment_distance(p1, q1, p2, q2) -> np.ndarray:
    """Distance between segments p1q1 and p2q2: closest parameters on the infinite lines,
    clamped to the segments (the standard clamp-and-recompute scheme; handles parallel and
    zero-length segments)."""
    d1, d2, r = q1 - p1, q2 - p2, p1 - p2
    a, e, b = _dot(d1, d1), _dot(d2, d2), _dot(d1, d2)
    c, f = _dot(d1, r), _dot(d2, r)
    denom = a * e - b * b
    # Non-parallel: s from the lines' closest points. Parallel or degenerate: any s works, take 0.
    skew = denom > 1e-14 * a * e
    s = np.where(skew, np.clip((b * f - c * e) / _safe(denom, skew), 0.0, 1.0), 0.0)
    t = (b * s + f) / _safe(e, e > 0)
    tc = np.clip(t, 0.0, 1.0)
    # When t had to be clamped (or segment 2 is a point), s must be re-projected from t.
    redo = (t != tc) | (e <= 0)
    s = np.where(redo, np.clip((b * tc - c) / _safe(a, a > 0), 0.0, 1.0), s)
    d = (p1 + s * d1) - (p2 + tc * d2)
    return np.sqrt(_dot(d, d))


def _plane(v0, v1, v2):
    """Normal (unnormalised) of a triangle, |n|^2, and whether the triangle is a usable plane
    (not a sliver whose normal direction would be rounding noise)."""
    e1, e2 = v1 - v0, v2 - v0
    n = _cross(e1, e2)
    nn = _dot(n, n)
    return n, nn, nn > _SLIVER_SIN2 * _dot(e1, e1) * _dot(e2, e2)


def _projects_inside(p, v0, v1, v2, n) -> np.ndarray:
    """Whether p's orthogonal projection onto the triangle's plane lies in the (closed) triangle:
    p is on the inner side of all three edges (the normal component of p does not matter)."""
    return ((_dot(_cross(v1 - v0, p - v0), n) >= 0) & (_dot(_cross(v2 - v1, p - v1), n) >= 0)
            & (_dot(_cross(v0 - v2, p - v2), n) >= 0))


def _face_distance(p, v0, v1, v2) -> np.ndarray:
    """Distance from p to the triangle's interior where p projects inside it, else inf (the
    closest point is then on the boundary, which edge distances cover)."""
    n, nn, ok = _plane(v0, v1, v2)
    inside = ok & _projects_inside(p, v0, v1, v2, n)
    return np.where(inside, np.abs(_dot(n, p - v0)) / np.sqrt(_safe(nn, ok)), np.inf)


def _components(tris: np.ndarray) -> np.ndarray:
    """(K, 3, 3) triangles -> (3, K, 3) component-first: [xyz, triangle, corner]."""
    return np.ascontiguousarray(np.asarray(tris, np.float64).transpose(2, 0, 1))


def point_triangle_distance(points: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """Exact distance from points[k] (K, 3) to triangle tris[k] (K, 3, 3): face region when the
    point projects inside, otherwise the nearest edge or vertex (clamped edge projections)."""
    p = np.asarray(points, np.float64).T
    t = _components(tris)
    v0, v1, v2 = t[..., 0], t[..., 1], t[..., 2]
    d = _face_distance(p, v0, v1, v2)
    for a, b in ((v0, v1), (v1, v2), (v2, v0)):
        d = np.minimum(d, _point_segment_distance(p, a, b))
    return d


def _edges_pierce(e0, e1, tri) -> np.ndarray:
    """(K,) whether any of the edges e0[:, k, i] -> e1[:, k, i] (3, K, 3) passes strictly
    through the plane of triangle tri[:, k] (3, K, 3) at a point inside it."""
    v0, v1, v2 = tri[..., 0:1], tri[..., 1:2], tri[..., 2:3]
    n, _, ok = _plane(v0, v1, v2)
    s0, s1 = _dot(n, e0 - v0), _dot(n, e1 - v0)
    crosses = ok & (s0 * s1 < 0)  # an end point on the plane is caught by the face distance
    x = e0 + s0 / _safe(s0 - s1, crosses) * (e1 - e0)
    return (crosses & _projects_inside(x, v0, v1, v2, n)).any(1)


def triangle_distance(ta: np.ndarray, tb: np.ndarray) -> np.ndarray:
    """Exact distance between triangles ta[k] and tb[k], (K, 3, 3) each -> (K,).

    Disjoint triangles: the closest pair is vertex-to-face or edge-to-edge, so the minimum of
    the 6 vertex-to-interior and 9 edge-edge distances (a vertex to the other's boundary is an
    edge-edge case). Intersecting triangles: some edge of one meets the other; it either pierces
    the interior (tested) or touches an edge or lies in the plane (distance 0 above)."""
    a, b = _components(ta), _components(tb)
    a1, b1 = a[..., [1, 2, 0]], b[..., [1, 2, 0]]  # edge i runs from corner i to corner i+1
    d = _segment_segment_distance(a[..., :, None], a1[..., :, None], b[..., None, :], b1[..., None, :]).min((1, 2))
    d = np.minimum(d, _face_distance(a, b[..., 0:1], b[..., 1:2], b[..., 2:3]).min(1))
    d = np.minimum(d, _face_distance(b, a[..., 0:1], a[..., 1:2], a[..., 2:3]).min(1))
    return np.where(_edges_pierce(a, a1, b) | _edges_pierce(b, b1, a), 0.0, d)


def _point_kernel(ta: np.ndarray, tb: np.ndarray) -> np.ndarray:
    """Leaf kernel for point queries: points are stored as triangles with three equal corners."""
    return point_triangle_distance(ta[:, 0], tb)


# ---- bounding-volume hierarchies -----------------------------------------------------------


@dataclass
class _Forest:
    """Several BVHs in flat arrays. Each tree is a complete binary tree in heap order whose
    node k at depth L covers triangles [k*T >> L, (k+1)*T >> L) of its tree (sorted so these
    ranges are spatially compact), so children need no pointers beyond `child`."""

    tris: np.ndarray  # (T, 3, 3) all triangles, in tree order
    tri_lo: np.ndarray  # (T, 3) per-triangle box
    tri_hi: np.ndarray
    lo: np.ndarray  # (M, 3) per-node box
    hi: np.ndarray
    rep: np.ndarray  # (M, 3) a vertex of the node's surface: upper bounds need real points
    start: np.ndarray  # (M,) triangle range
    end: np.ndarray
    child: np.ndarray  # (M,) index of the first child (the second is next to it), -1 at leaves
    diag2: np.ndarray  # (M,) squared box diagonal: which side of a node pair to split
    roots: np.ndarray  # root node of each tree

    @classmethod
    def build(cls, tris_list: Sequence[np.ndarray], points: np.ndarray | None = None) -> "_Forest":
        """One tree per triangle soup, then (optionally) one single-node tree per point."""
        trees = [_tree_arrays(np.asarray(t, np.float64)) for t in tris_list]
        if points is not None and len(points):
            trees.append(_point_arrays(np.asarray(points, np.float64).reshape(-1, 3)))
        t_off = np.cumsum([0] + [len(t["tris"]) for t in trees])
        n_off = np.cumsum([0] + [len(t["lo"]) for t in trees])
        cat = lambda key: np.concatenate([t[key] for t in trees])  # noqa: E731
        shift = lambda key, off: np.concatenate([t[key] + o for t, o in zip(trees, off)])  # noqa: E731
        child = np.concatenate([np.where(t["child"] >= 0, t["child"] + o, -1) for t, o in zip(trees, n_off)])
        lo, hi = cat("lo"), cat("hi")
        return cls(tris=cat("tris"), tri_lo=cat("tri_lo"), tri_hi=cat("tri_hi"), lo=lo, hi=hi, rep=cat("rep"),
                   start=shift("start", t_off), end=shift("end", t_off), child=child,
                   diag2=((hi - lo) ** 2).sum(1), roots=shift("roots", n_off))


def _tree_arrays(tris: np.ndarray) -> dict:
    """Median-split BVH of one triangle soup, built level by level: at each depth every node's
    triangles are sorted along the longest axis of their centroids' box, so halving a range
    halves the node. One argsort per level, no Python loop over nodes."""
    n_tri = len(tris)
    if n_tri == 0 or tris.shape[1:] != (3, 3):
        raise ValueError(f"expected a non-empty (T, 3, 3) triangle array, got shape {tris.shape}")
    depth = 0
    while -(-n_tri >> depth) > LEAF_SIZE:  # ceil(T / 2^depth) = the largest leaf
        depth += 1
    centroid = (tris[:, 0] + tris[:, 1] + tris[:, 2]) / 3  # faster than reducing the short axis
    order = np.arange(n_tri)
    for level in range(depth):
        bounds = (np.arange((1 << level) + 1) * n_tri) >> level
        node = np.repeat(np.arange(1 << level), np.diff(bounds))
        c = centroid[order]
        c_lo = np.minimum.reduceat(c, bounds[:-1])
        extent = np.maximum.reduceat(c, bounds[:-1]) - c_lo
        axis = extent.argmax(1)[node]
        # Position in [0, 1] along the node's split axis; added to the node index it turns the
        # per-node sorts into one argsort of the whole level.
        frac = (c[np.arange(n_tri), axis] - c_lo[node, axis]) / np.maximum(extent[node, axis], 1e-300)
        order = order[np.argsort(node + 0.5 * frac)]
    tris = tris[order]
    tlo = np.minimum(np.minimum(tris[:, 0], tris[:, 1]), tris[:, 2])
    thi = np.maximum(np.maximum(tris[:, 0], tris[:, 1]), tris[:, 2])
    levels = [(np.arange((1 << lv) + 1) * n_tri) >> lv for lv in range(depth + 1)]
    starts = np.concatenate([b[:-1] for b in levels])
    heap = np.arange(len(starts))
    return {
        "tris": tris,
        "tri_lo": tlo,
        "tri_hi": thi,
        "lo": np.concatenate([np.minimum.reduceat(tlo, b[:-1]) for b in levels]),
        "hi": np.concatenate([np.maximum.reduceat(thi, b[:-1]) for b in levels]),
        "rep": tris[starts, 0],
        "start": starts,
        "end": np.concatenate([b[1:] for b in levels]),
        "child": np.where(heap < (1 << depth) - 1, 2 * heap + 1, -1),
        "roots": np.zeros(1, np.int64),
    }


def _point_arrays(points: np.ndarray) -> dict:
    """Single-leaf trees, one per point, each holding the point as a triangle with equal corners."""
    idx = np.arange(len(points))
    return {"tris": np.repeat(points[:, None], 3, 1), "tri_lo": points, "tri_hi": points,
            "lo": points, "hi": points, "rep": points, "start": idx, "end": idx + 1,
            "child": np.full(len(points), -1), "roots": idx}


# ---- branch and bound ------------------------------------------------------------------------


def _row_norm(v: np.ndarray) -> np.ndarray:
    """Euclidean norms of the rows of a (K, 3) array."""
    return np.sqrt(np.einsum("ki,ki->k", v, v))


def _box_bound(lo_a, hi_a, lo_b, hi_b) -> np.ndarray:
    """Lower bound on the distance between the contents of two axis-aligned boxes: the larger of
    the gap between the boxes and their separation along the line through their centres. The
    second is much tighter for far, diagonal pairs, where box gaps barely vary between the many
    leaf pairs facing each other."""
    g = np.maximum(np.maximum(lo_a - hi_b, lo_b - hi_a), 0.0)
    delta = (lo_b + hi_b - lo_a - hi_a) / 2
    length = _row_norm(delta)
    reach = np.einsum("ki,ki->k", np.abs(delta), hi_a - lo_a + hi_b - lo_b) / 2  # half-extents along delta
    return np.maximum(_row_norm(g), length - reach / _safe(length, length > 0))


def _slab_bound(va: np.ndarray, vb: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Lower bound (K,) on the distance between the hulls of point sets va[k] and vb[k]
    (K, m, 3): the gap between their projections on direction u[k] (a separating axis). Along
    the line joining two small far-apart sets it is nearly exact, unlike box bounds."""
    length = _row_norm(u)
    proj_a, proj_b = np.einsum("kvi,ki->kv", va, u), np.einsum("kvi,ki->kv", vb, u)
    return (proj_b.min(1) - proj_a.max(1)) / _safe(length, length > 0)


def _min_distances(forest: _Forest, node_a: np.ndarray, node_b: np.ndarray,
                   kernel: Callable[[np.ndarray, np.ndarray], np.ndarray] = triangle_distance) -> np.ndarray:
    """Exact minimum distance between the surfaces under root nodes node_a[i] and node_b[i]."""
    best = np.full(len(node_a), np.inf)  # best distance found so far per query: an upper bound
    # A narrow beam search first finds a near-optimal distance cheaply, so the exhaustive pass
    # prunes from its first level on instead of only once it reaches the leaves.
    _search(forest, np.asarray(node_a), np.asarray(node_b), best, kernel, BEAM)
    _search(forest, np.asarray(node_a), np.asarray(node_b), best, kernel, None)
    return np.where(best <= TOUCH_EPS, 0.0, best)


def _search(f: _Forest, node_a, node_b, best: np.ndarray, kernel, beam: int | None) -> None:
    """Dual-tree branch and bound for queries i = (node_a[i], node_b[i]), lowering best[i] in
    place. With `beam`, only that many node pairs per query (lowest bounds) are followed, which
    gives an upper bound, not the answer."""
    pid, na, nb = np.arange(len(node_a)), node_a, node_b
    leaves: list[tuple[np.ndarray, ...]] = []
    while len(pid):
        lb = _box_bound(f.lo[na], f.hi[na], f.lo[nb], f.hi[nb])
        np.minimum.at(best, pid, _row_norm(f.rep[na] - f.rep[nb]))
        # Keep a node pair only if it could still improve its query, and only while the query is
        # not already known to touch (then nothing can change its answer).
        keep = (lb < best[pid]) & (best[pid] > TOUCH_EPS)
        if beam is not None:
            order = np.lexsort((lb, pid))
            keep[order[_rank_in_group(pid[order]) >= beam]] = False
        pid, na, nb, lb = pid[keep], na[keep], nb[keep], lb[keep]
        leaf_a, leaf_b = f.child[na] < 0, f.child[nb] < 0
        done = leaf_a & leaf_b
        leaves.append((pid[done], na[done], nb[done], lb[done]))
        # Split the node with the larger box (or the only one that still has children).
        split_a = ~leaf_a & (leaf_b | (f.diag2[na] >= f.diag2[nb]))
        go = ~done
        pid, na, nb, split_a = pid[go], na[go], nb[go], split_a[go]
        first_a = np.where(split_a, f.child[na], na)
        first_b = np.where(split_a, nb, f.child[nb])
        pid = np.repeat(pid, 2)
        second = np.tile([0, 1], len(first_a))
        na = np.repeat(first_a, 2) + second * np.repeat(split_a, 2)
        nb = np.repeat(first_b, 2) + second * np.repeat(~split_a, 2)
    if leaves:
        _leaf_pairs(f, *(np.concatenate(c) for c in zip(*leaves)), best, kernel)


def _rank_in_group(sorted_keys: np.ndarray) -> np.ndarray:
    """Position of each element among the equal keys before it, for a sorted key array."""
    return np.arange(len(sorted_keys)) - np.searchsorted(sorted_keys, sorted_keys)


def _leaf_pairs(f: _Forest, pid, na, nb, lb, best: np.ndarray, kernel) -> None:
    """Exact triangle tests for the surviving leaf pairs, updating `best` in place. Each query's
    leaf pairs are taken in order of lower bound, in bands of rank [0,1), [1,2), [2,4), ...: the
    first bands usually contain the answer, and later bands are then mostly pruned."""
    order = np.lexsort((lb, pid))
    pid, na, nb, lb = pid[order], na[order], nb[order], lb[order]
    rank = _rank_in_group(pid)
    low, top = 0, (rank.max() if len(rank) else -1)
    while low <= top:
        high = max(1, 2 * low)
        sel = np.flatnonzero((rank >= low) & (rank < high) & (lb < best[pid]) & (best[pid] > TOUCH_EPS))
        low = high
        for at in range(0, len(sel), CHUNK_LEAF_PAIRS):
            part = sel[at:at + CHUNK_LEAF_PAIRS]
            _triangle_pairs(f, pid[part], na[part], nb[part], best, kernel)


def _leaf_vertices(f: _Forest, nodes: np.ndarray) -> np.ndarray:
    """(K, 3 * LEAF_SIZE, 3) vertices of leaf nodes, short leaves padded with repeats of their
    last triangle (repeats do not change a projection's extremes)."""
    size = f.end[nodes] - f.start[nodes]
    idx = f.start[nodes, None] + np.minimum(np.arange(LEAF_SIZE), size[:, None] - 1)
    return f.tris[idx].reshape(len(nodes), -1, 3)


def _triangle_pairs(f: _Forest, pid, na, nb, best: np.ndarray, kernel) -> None:
    """Exact distances for the triangle pairs of the given leaf pairs that survive, in turn, a
    slab bound on the leaves' actual vertices, a box bound and a slab bound per triangle pair."""
    u = f.lo[nb] + f.hi[nb] - f.lo[na] - f.hi[na]
    keep = _slab_bound(_leaf_vertices(f, na), _leaf_vertices(f, nb), u) < best[pid]
    pid, na, nb = pid[keep], na[keep], nb[keep]
    n_b = f.end[nb] - f.start[nb]
    count = (f.end[na] - f.start[na]) * n_b
    owner = np.repeat(np.arange(len(pid)), count)
    r = np.arange(len(owner)) - np.repeat(np.cumsum(count) - count, count)  # index within its leaf pair
    ia = f.start[na][owner] + r // n_b[owner]
    ib = f.start[nb][owner] + r % n_b[owner]
    q = pid[owner]
    keep = _box_bound(f.tri_lo[ia], f.tri_hi[ia], f.tri_lo[ib], f.tri_hi[ib]) < best[q]
    ta, tb, q = f.tris[ia[keep]], f.tris[ib[keep]], q[keep]
    keep = _slab_bound(ta, tb, tb.sum(1) - ta.sum(1)) < best[q]
    if keep.any():
        np.minimum.at(best, q[keep], kernel(ta[keep], tb[keep]))


# ---- public distance queries -------------------------------------------------------------


def point_mesh_distance(points: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """Exact distance (P,) from each point (P, 3) to the closest point of a triangle soup
    (0.0 within TOUCH_EPS of it)."""
    points = np.asarray(points, np.float64).reshape(-1, 3)
    forest = _Forest.build([tris], points)
    return _min_distances(forest, forest.roots[1:], np.zeros(len(points), np.int64), _point_kernel)


def mesh_distance(tris_a: np.ndarray, tris_b: np.ndarray) -> float:
    """Exact minimum distance between two triangle soups; 0.0 when they intersect or touch."""
    forest = _Forest.build([tris_a, tris_b])
    return float(_min_distances(forest, forest.roots[:1], forest.roots[1:])[0])


def pairwise_object_distances(tris_list: Sequence[np.ndarray]) -> np.ndarray:
    """(N, N) exact surface distances between all pairs of triangle soups: symmetric, 0 on the
    diagonal. All pairs share one branch-and-bound pass."""
    if not len(tris_list):
        return np.zeros((0, 0))
    return _pairwise(_Forest.build(tris_list), len(tris_list))


def _pairwise(forest: _Forest, n: int) -> np.ndarray:
    i, j = np.triu_indices(n, 1)
    out = np.zeros((n, n))
    out[i, j] = out[j, i] = _min_distances(forest, forest.roots[i], forest.roots[j])
    return out


@dataclass
class HouseGeometry:
    """Exact distances of one house's objects (furniture; not doors, windows or structure)."""

    instance_ids: np.ndarray  # (N,) instance id of each object, in house.objects order
    distances: np.ndarray  # (N, N) exact surface-to-surface distances, metres
    camera_distances: np.ndarray | None  # (P, N) camera point to object surface, or None


def house_geometry(house: House, load_mesh: Callable[[str], Mesh],
                   camera_points: np.ndarray | None = None) -> HouseGeometry:
    """Exact distances between all objects of a house (and from optional camera points (P, 3)
    to each object). `load_mesh(asset_id)` is called once per distinct asset."""
    if not house.objects:
        n_points = 0 if camera_points is None else len(camera_points)
        return HouseGeometry(np.zeros(0, np.int64), np.zeros((0, 0)),
                             None if camera_points is None else np.zeros((n_points, 0)))
    meshes: dict[str, Mesh] = {}
    tris_list = []
    for obj in house.objects:
        if obj.asset_id not in meshes:
            meshes[obj.asset_id] = load_mesh(obj.asset_id)
        tris_list.append(object_triangles(obj, meshes[obj.asset_id]))
    n = len(tris_list)
    forest = _Forest.build(tris_list, camera_points)
    cam = None
    if camera_points is not None:
        n_points = len(forest.roots) - n
        p_idx, o_idx = np.divmod(np.arange(n_points * n), n)
        cam = _min_distances(forest, forest.roots[n + p_idx], forest.roots[o_idx], _point_kernel)
        cam = cam.reshape(n_points, n)
    return HouseGeometry(instance_ids=np.array([o.instance_id for o in house.objects], np.int64),
                         distances=_pairwise(forest, n), camera_distances=cam)
