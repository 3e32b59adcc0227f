"""Occupancy grid of a house floor plan, its clearance field, and path tools on it (A*,
line-of-sight shortcutting, corner rounding).

Grid cell (row, col) covers x in [x0 + col*cell, x0 + (col+1)*cell) and z likewise with rows;
rows index z, columns index x. A cell is free when its centre lies inside some room shrunk by
half a wall thickness and outside every blocking object footprint and door leaf, or inside the
opening of a door between two rooms. Rooms are separate polygons that share edges, so shrinking them leaves
a blocked band along every shared wall that only the door openings cross.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
import shapely
from scipy import ndimage
from shapely.geometry import Polygon

from builder.houses.doors import leaf_footprints
from builder.houses.spec import House, opening_segment

DEFAULT_CELL_M = 0.05
WALL_HALF_THICKNESS_M = 0.05
OVERHEAD_CLEAR_M = 1.8
"""Objects whose underside is at or above this height (m) do not block the camera rig
(ceiling lamps, high shelves); the furnisher uses the same cut-off."""


@dataclass
class OccupancyGrid:
    cell_m: float  # cell edge (m)
    origin: tuple[float, float]  # world (x, z) of the corner of cell (0, 0)
    free: np.ndarray  # bool [rows, cols]
    clearance: np.ndarray  # float [rows, cols]: metres from the cell centre to the nearest blocked cell centre
    room_label: np.ndarray  # int16 [rows, cols]: index into room_ids of the (unshrunk) room holding the cell, -1 none
    room_ids: tuple[str, ...]
    interior: np.ndarray  # bool [rows, cols]: inside a room shrunk by half a wall (not in a door opening)

    @property
    def shape(self) -> tuple[int, int]:
        return self.free.shape

    def world_to_cell(self, x, z):
        """(row, col) of the cell holding world point(s) (x, z); may lie outside the grid."""
        col = np.floor((np.asarray(x, dtype=float) - self.origin[0]) / self.cell_m).astype(int)
        row = np.floor((np.asarray(z, dtype=float) - self.origin[1]) / self.cell_m).astype(int)
        return row, col

    def cell_to_world(self, row, col):
        """World (x, z) of cell centre(s)."""
        x = self.origin[0] + (np.asarray(col, dtype=float) + 0.5) * self.cell_m
        z = self.origin[1] + (np.asarray(row, dtype=float) + 0.5) * self.cell_m
        return x, z

    def _lookup(self, arr: np.ndarray, x, z, outside):
        row, col = self.world_to_cell(x, z)
        inside = (row >= 0) & (row < arr.shape[0]) & (col >= 0) & (col < arr.shape[1])
        out = np.where(inside, arr[np.clip(row, 0, arr.shape[0] - 1), np.clip(col, 0, arr.shape[1] - 1)], outside)
        return out if out.ndim else out.item()

    def clearance_at(self, x, z):
        """Clearance (m) at world point(s), from the nearest cell; 0 outside the grid."""
        return self._lookup(self.clearance, x, z, 0.0)

    def is_free(self, x, z):
        return self._lookup(self.free, x, z, False)

    def room_index_at(self, x, z):
        """Index into room_ids of the room at world point(s); -1 outside every room."""
        return self._lookup(self.room_label, x, z, -1)

    def room_at(self, x: float, z: float) -> str | None:
        """Id of the room holding world point (x, z), or None outside every room."""
        i = int(self.room_index_at(x, z))
        return self.room_ids[i] if i >= 0 else None

    def segment_min_clearance(self, p0, p1) -> float:
        """Smallest clearance (m) sampled every half cell along the segment p0 -> p1."""
        n = max(2, int(math.ceil(math.dist(p0, p1) / (0.5 * self.cell_m))) + 1)
        t = np.linspace(0.0, 1.0, n)
        xs = p0[0] + (p1[0] - p0[0]) * t
        zs = p0[1] + (p1[1] - p0[1]) * t
        return float(np.min(self.clearance_at(xs, zs)))


def _raster(poly: Polygon, grid_x: np.ndarray, grid_z: np.ndarray, cell: float, origin) -> tuple[slice, slice, np.ndarray]:
    """Cells whose centres lie inside `poly`, as a window (row slice, col slice, bool mask)."""
    if poly.is_empty:
        return slice(0, 0), slice(0, 0), np.zeros((0, 0), bool)
    x0, z0, x1, z1 = poly.bounds
    c0 = max(0, int(math.floor((x0 - origin[0]) / cell)))
    c1 = min(grid_x.shape[1], int(math.ceil((x1 - origin[0]) / cell)) + 1)
    r0 = max(0, int(math.floor((z0 - origin[1]) / cell)))
    r1 = min(grid_x.shape[0], int(math.ceil((z1 - origin[1]) / cell)) + 1)
    rs, cs = slice(r0, r1), slice(c0, c1)
    return rs, cs, shapely.contains_xy(poly, grid_x[rs, cs], grid_z[rs, cs])


def door_rectangle(house: House, door, half_wall_m: float, cell_m: float) -> Polygon:
    """Free rectangle through a door: the hole's span along the wall, deep enough across
    it to bridge the blocked wall band into both shrunk rooms."""
    a, b = (np.array(p) for p in opening_segment(door, house.wall(door.wall0)))
    d = (b - a) / max(np.linalg.norm(b - a), 1e-9)
    n = np.array([-d[1], d[0]]) * (half_wall_m + 2 * cell_m)
    return Polygon([a - n, b - n, b + n, a + n])


def build_occupancy(
    house: House,
    cell_m: float = DEFAULT_CELL_M,
    half_wall_m: float = WALL_HALF_THICKNESS_M,
    overhead_clear_m: float = OVERHEAD_CLEAR_M,
) -> OccupancyGrid:
    """Rasterise `house` into free space and its clearance field (see module docstring)."""
    polys = [Polygon(r.polygon) for r in house.rooms]
    xmin = min(p.bounds[0] for p in polys)
    zmin = min(p.bounds[1] for p in polys)
    xmax = max(p.bounds[2] for p in polys)
    zmax = max(p.bounds[3] for p in polys)
    pad = 3 * cell_m  # a blocked border, so grid search never needs bounds checks
    origin = (xmin - pad, zmin - pad)
    cols = int(math.ceil((xmax - xmin + 2 * pad) / cell_m))
    rows = int(math.ceil((zmax - zmin + 2 * pad) / cell_m))
    gx, gz = np.meshgrid(origin[0] + (np.arange(cols) + 0.5) * cell_m, origin[1] + (np.arange(rows) + 0.5) * cell_m)

    interior = np.zeros((rows, cols), bool)
    label = np.full((rows, cols), -1, np.int16)
    for i, poly in enumerate(polys):
        rs, cs, m = _raster(poly, gx, gz, cell_m, origin)
        win = label[rs, cs]
        win[m & (win < 0)] = i  # first room wins on a shared edge
        rs, cs, m = _raster(poly.buffer(-half_wall_m, join_style="mitre"), gx, gz, cell_m, origin)
        interior[rs, cs] |= m
    free = interior.copy()
    room_ids = {r.id for r in house.rooms}
    for door in house.doors:
        # exterior doors would only open a sliver outside the house: keep them closed
        if door.room1 is None or door.room1 not in room_ids or door.room0 == door.room1:
            continue
        rs, cs, m = _raster(door_rectangle(house, door, half_wall_m, cell_m), gx, gz, cell_m, origin)
        free[rs, cs] |= m
    for obj in house.objects:
        if obj.position[1] - obj.size[1] / 2 >= overhead_clear_m:
            continue
        # grown by half a cell, so thin pieces (a mirror on a stand) cannot slip between cell centres
        rs, cs, m = _raster(Polygon(obj.footprint()).buffer(0.5 * cell_m, join_style="mitre"), gx, gz, cell_m, origin)
        free[rs, cs] &= ~m
    for leaf in leaf_footprints(house):  # an open door leaf stands on the floor like a thin piece of furniture
        rs, cs, m = _raster(leaf.buffer(0.5 * cell_m, join_style="mitre"), gx, gz, cell_m, origin)
        free[rs, cs] &= ~m
    free[:2, :] = free[-2:, :] = False
    free[:, :2] = free[:, -2:] = False
    clearance = ndimage.distance_transform_edt(free) * cell_m
    return OccupancyGrid(cell_m, origin, free, clearance, label, tuple(r.id for r in house.rooms), interior)


# ---- grid search and path smoothing ------------------------------------------------------------


def astar(
    grid: OccupancyGrid,
    start: tuple[int, int],
    goal: tuple[int, int],
    min_clearance_m: float,
    prefer_clearance_m: float,
    clearance_weight: float,
) -> list[tuple[int, int]] | None:
    """8-connected A* over cells with clearance >= min_clearance_m; None if the goal is unreachable.

    Step cost = length * (1 + weight * shortfall), shortfall = how far (as a fraction) the
    clearance falls below prefer_clearance_m, so paths keep off walls and furniture where
    they can. The cost is never below the length, so the octile heuristic stays admissible.
    """
    if min_clearance_m <= 0:
        raise ValueError("min_clearance_m must be positive (the grid border must stay blocked)")
    rows, cols = grid.shape
    clr = grid.clearance
    ok = (clr >= min_clearance_m).ravel().tolist()
    pen = (1.0 + clearance_weight * np.clip((prefer_clearance_m - clr) / prefer_clearance_m, 0.0, 1.0)).ravel().tolist()
    s, g = start[0] * cols + start[1], goal[0] * cols + goal[1]
    if not (ok[s] and ok[g]):
        return None
    gr, gc = goal
    sq2 = math.sqrt(2.0)
    nbrs = [(-cols - 1, sq2), (-cols, 1.0), (-cols + 1, sq2), (-1, 1.0), (1, 1.0), (cols - 1, sq2), (cols, 1.0), (cols + 1, sq2)]

    def h(v: int) -> float:
        dr, dc = abs(v // cols - gr), abs(v % cols - gc)
        return max(dr, dc) + (sq2 - 1.0) * min(dr, dc)

    cost = {s: 0.0}
    parent = {s: -1}
    closed = bytearray(rows * cols)
    heap = [(h(s), 0.0, s)]
    while heap:
        _, gu, u = heapq.heappop(heap)
        if closed[u]:
            continue
        if u == g:
            break
        closed[u] = 1
        pu = pen[u]
        for off, step in nbrs:
            v = u + off
            if closed[v] or not ok[v]:
                continue
            gv = gu + step * 0.5 * (pu + pen[v])
            if gv < cost.get(v, math.inf):
                cost[v] = gv
                parent[v] = u
                heapq.heappush(heap, (gv + h(v), gv, v))
    if g not in parent:
        return None
    path = []
    v = g
    while v >= 0:
        path.append(divmod(v, cols))
        v = parent[v]
    return path[::-1]


def shortcut(grid: OccupancyGrid, pts: np.ndarray, min_clearance_m: float, margin_m: float) -> np.ndarray:
    """Line-of-sight simplification of a polyline (N x 2 world points).

    A shortcut i -> j is kept only if its sampled clearance stays >= min(min_clearance_m +
    margin_m, smallest clearance of the original points i..j): it may not hug obstacles more
    than the search path did, which keeps door crossings centred and leaves room for fillets.
    """
    n = len(pts)
    if n <= 2:
        return pts.copy()
    clr = np.asarray(grid.clearance_at(pts[:, 0], pts[:, 1]), float)

    def visible(i: int, j: int) -> bool:
        need = min(min_clearance_m + margin_m, float(clr[i : j + 1].min())) - 1e-9
        return grid.segment_min_clearance(pts[i], pts[j]) >= need

    out = [0]
    i = 0
    while i < n - 1:
        # gallop then bisect for the farthest visible point; every kept segment was checked
        good, step = i + 1, 1
        while good + step < n and visible(i, good + step):
            good += step
            step *= 2
        lo, hi = good, min(good + step, n)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if visible(i, mid):
                lo = mid
            else:
                hi = mid
        out.append(lo)
        i = lo
    return pts[out]


def _fillet(grid: OccupancyGrid, prev, v, nxt, t_max: float, level: float, max_radius_m: float, step_m: float):
    """Dense arc rounding the corner at v, or None if no radius keeps clearance >= level."""
    d_in, d_out = (v - prev) / np.linalg.norm(v - prev), (nxt - v) / np.linalg.norm(nxt - v)
    phi = math.acos(float(np.clip(d_in @ d_out, -1.0, 1.0)))
    if phi > math.radians(150):  # hairpins: a stop-and-turn reads better than a tiny arc
        return None
    side = 1.0 if d_in[0] * d_out[1] - d_in[1] * d_out[0] > 0 else -1.0
    r = max_radius_m
    while r >= 0.1:
        r_eff = min(r, t_max / math.tan(phi / 2))
        if r_eff < 0.1:
            return None
        t1 = v - d_in * r_eff * math.tan(phi / 2)
        c = t1 + side * r_eff * np.array([-d_in[1], d_in[0]])
        a0 = math.atan2(t1[1] - c[1], t1[0] - c[0])
        n = max(2, int(math.ceil(r_eff * phi / step_m)))
        a = a0 + side * phi * np.linspace(0.0, 1.0, n + 1)
        arc = np.stack([c[0] + r_eff * np.cos(a), c[1] + r_eff * np.sin(a)], axis=1)
        if np.min(grid.clearance_at(arc[:, 0], arc[:, 1])) >= level:
            return arc
        r = r_eff / 2
    return None


def _line(p, q, step: float) -> np.ndarray:
    """Points from p (excluded) to q (included)."""
    n = max(1, int(math.ceil(np.linalg.norm(q - p) / step)))
    out = p + (q - p) * (np.arange(1, n + 1) / n)[:, None]
    out[-1] = q  # exact end, so the next phase starts where this one stopped
    return out


def round_corners(grid: OccupancyGrid, pts: np.ndarray, level: float, max_radius_m: float, step_m: float) -> list[np.ndarray]:
    """Densify a polyline (points every step_m), rounding corners with circular arcs where the
    arc keeps clearance >= level. Corners that cannot be rounded split the result into runs
    (the caller stops and turns there); consecutive runs share the corner point."""
    keep = [0]  # drop collinear vertices
    for i in range(1, len(pts) - 1):
        u, w = pts[i] - pts[keep[-1]], pts[i + 1] - pts[i]
        if abs(u[0] * w[1] - u[1] * w[0]) > 1e-9 * np.linalg.norm(u) * np.linalg.norm(w) or u @ w < 0:
            keep.append(i)
    pts = pts[keep + [len(pts) - 1]]
    runs, cur, here = [], [pts[:1]], pts[0]
    for i in range(1, len(pts) - 1):
        share = lambda j: 1.0 if j in (0, len(pts) - 1) else 0.5  # noqa: E731 - fillets split inner segments
        t_max = 0.98 * min(share(i - 1) * np.linalg.norm(pts[i] - pts[i - 1]), share(i + 1) * np.linalg.norm(pts[i + 1] - pts[i]))
        arc = _fillet(grid, pts[i - 1], pts[i], pts[i + 1], t_max, level, max_radius_m, step_m)
        if arc is None:
            cur.append(_line(here, pts[i], step_m))
            runs.append(np.concatenate(cur))
            cur, here = [pts[i : i + 1]], pts[i]
        else:
            cur += [_line(here, arc[0], step_m), arc[1:]]
            here = arc[-1]
    cur.append(_line(here, pts[-1], step_m))
    runs.append(np.concatenate(cur))
    return [r[np.r_[True, np.linalg.norm(np.diff(r, axis=0), axis=1) > 1e-9]] for r in runs]


def components(grid: OccupancyGrid, min_clearance_m: float) -> np.ndarray:
    """8-connected labels of cells with clearance >= min_clearance_m (0 = not usable)."""
    lab, _ = ndimage.label(grid.clearance >= min_clearance_m, structure=np.ones((3, 3), int))
    return lab
