"""Floor plans: rectangular rooms by recursive splitting, room types, doors, walls and windows.

Splitting one footprint rectangle guarantees that rooms tile the house without gaps or
overlaps and that the adjacency graph is connected (siblings of every split share a wall),
so a door tree over that graph always reaches every room.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from builder.houses.spec import WALL_ID_BASE, Opening, Room, Wall

GRID_M = 0.1
"""Room corners snap to this grid (m), so coordinates print cleanly and compare exactly."""

WALL_HEIGHT_M = 2.7
DOOR_WIDTH_M = 0.9
DOOR_HEIGHT_M = 2.1
DOOR_END_MARGIN_M = 0.25
"""Minimum distance (m) from a door jamb to the end of the shared wall segment."""
MIN_SHARED_FOR_DOOR_M = DOOR_WIDTH_M + 2 * DOOR_END_MARGIN_M
WINDOW_SILL_M = 0.9
WINDOW_TOP_M = 2.1
WINDOW_PROBABILITY = 0.8
"""Chance that a room with an exterior wall gets a window."""
EXTRA_DOOR_PROBABILITY = 0.25
"""Chance of a second door between two adjacent non-bathroom rooms already joined via others (loops)."""

TARGET_AREA_M2 = {"LivingRoom": 24.0, "Kitchen": 14.0, "Bedroom": 14.0, "Bathroom": 6.0, "Office": 10.0, "DiningRoom": 13.0}
MAX_LAYOUT_TRIES = 50
"""Splits resampled until every room can be reached through doors (bounded rejection sampling)."""
MIN_ROOM_SIDE_M = 2.2
"""No room is narrower than this (m): the camera needs space for a 360-degree scan."""

# Rooms added in this order as the room count grows; the largest rectangle becomes the living room.
ROOM_TYPE_ORDER = ("LivingRoom", "Kitchen", "Bedroom", "Bathroom", "Bedroom", "Office", "DiningRoom", "Bathroom")


@dataclass
class Rect:
    x0: float
    z0: float
    x1: float
    z1: float

    @property
    def w(self) -> float:
        return self.x1 - self.x0

    @property
    def d(self) -> float:
        return self.z1 - self.z0

    @property
    def area(self) -> float:
        return self.w * self.d

    def polygon(self) -> tuple[tuple[float, float], ...]:
        # counter-clockwise in the (x, z) plane
        return ((self.x0, self.z0), (self.x1, self.z0), (self.x1, self.z1), (self.x0, self.z1))


def snap(v: float) -> float:
    return round(round(v / GRID_M) * GRID_M, 6)


def snap_down(v: float) -> float:
    return round(math.floor(v / GRID_M + 1e-9) * GRID_M, 6)


def split_rects(n_rooms: int, rng: np.random.Generator) -> list[Rect]:
    """Split a footprint sized for `n_rooms` into `n_rooms` rectangles, largest first."""
    types = ROOM_TYPE_ORDER[:n_rooms]
    total = sum(TARGET_AREA_M2[t] for t in types) * rng.uniform(0.9, 1.15)
    aspect = rng.uniform(1.0, 1.6)
    w, d = snap(math.sqrt(total * aspect)), snap(math.sqrt(total / aspect))
    rects = [Rect(0.0, 0.0, w, d)]
    while len(rects) < n_rooms:
        rects.sort(key=lambda r: (-r.area, r.x0, r.z0))
        for i, r in enumerate(rects):
            along_x = r.w >= r.d
            side = r.w if along_x else r.d
            if side < 2 * MIN_ROOM_SIDE_M:
                continue
            lo, hi = MIN_ROOM_SIDE_M / side, 1 - MIN_ROOM_SIDE_M / side
            t = rng.uniform(max(lo, 0.35), min(hi, 0.65)) if lo < 0.35 else rng.uniform(lo, hi)
            if along_x:
                c = snap(r.x0 + t * r.w)
                a, b = Rect(r.x0, r.z0, c, r.z1), Rect(c, r.z0, r.x1, r.z1)
            else:
                c = snap(r.z0 + t * r.d)
                a, b = Rect(r.x0, r.z0, r.x1, c), Rect(r.x0, c, r.x1, r.z1)
            rects[i : i + 1] = [a, b]
            break
        else:
            raise ValueError(f"cannot split a {w}x{d} m footprint into {n_rooms} rooms of side >= {MIN_ROOM_SIDE_M} m")
    rects.sort(key=lambda r: (-r.area, r.x0, r.z0))
    return rects


def shared_segment(a: Rect, b: Rect) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The wall segment two rectangles share, or None."""
    eps = 1e-6
    for xa, xb in ((a.x1, b.x0), (a.x0, b.x1)):
        if abs(xa - xb) < eps:
            z0, z1 = max(a.z0, b.z0), min(a.z1, b.z1)
            if z1 - z0 > eps:
                return (xa, z0), (xa, z1)
    for za, zb in ((a.z1, b.z0), (a.z0, b.z1)):
        if abs(za - zb) < eps:
            x0, x1 = max(a.x0, b.x0), min(a.x1, b.x1)
            if x1 - x0 > eps:
                return (x0, za), (x1, za)
    return None


def room_walls(room: Room, first_index: int, height: float) -> list[Wall]:
    pts = room.polygon
    return [
        Wall(f"wall|{room.id}|{k}", room.id, pts[k], pts[(k + 1) % len(pts)], height, WALL_ID_BASE + first_index + k)
        for k in range(len(pts))
    ]


def wall_containing(walls: list[Wall], room_id: str, seg) -> Wall:
    """The wall of `room_id` that contains the collinear segment `seg`."""
    (ax, az), (bx, bz) = seg
    for w in walls:
        if w.room_id != room_id:
            continue
        (px, pz), (qx, qz) = w.p0, w.p1
        cross_a = (qx - px) * (az - pz) - (qz - pz) * (ax - px)
        cross_b = (qx - px) * (bz - pz) - (qz - pz) * (bx - px)
        if abs(cross_a) < 1e-6 and abs(cross_b) < 1e-6:
            return w
    raise ValueError(f"no wall of {room_id} contains segment {seg}")


def along(wall: Wall, point) -> float:
    """Distance (m) of a point on the wall's line from the wall's p0."""
    dx, dz = wall.p1[0] - wall.p0[0], wall.p1[1] - wall.p0[1]
    return ((point[0] - wall.p0[0]) * dx + (point[1] - wall.p0[1]) * dz) / wall.length


def door_tree(rects: list[Rect], types: list[str], rng: np.random.Generator) -> list[tuple[int, int]]:
    """Room pairs to join with doors: a BFS tree from the living room over adjacencies wide
    enough for a door, plus a few extra doors. Bathrooms stay leaves (one door)."""
    n = len(rects)
    adj = {i: [j for j in range(n) if j != i and _door_fits(rects[i], rects[j])] for i in range(n)}
    pairs, seen, queue = [], {0}, [0]
    while queue:
        i = queue.pop(0)
        if types[i] == "Bathroom" and i != 0:
            continue
        for j in adj[i]:
            if j not in seen:
                seen.add(j)
                queue.append(j)
                pairs.append((i, j))
    while len(seen) < n:
        # a bathroom was the only way through: let one pass a door on, rather than fail
        i, j = next((i, j) for i in sorted(seen) for j in adj[i] if j not in seen)
        pairs.append((i, j))
        seen.add(j)
        queue = [j]
        while queue:
            a = queue.pop(0)
            for b in adj[a]:
                if b not in seen and types[a] != "Bathroom":
                    seen.add(b)
                    queue.append(b)
                    pairs.append((a, b))
    for i in range(n):
        for j in adj[i]:
            if i < j and (i, j) not in pairs and (j, i) not in pairs and "Bathroom" not in (types[i], types[j]):
                if rng.random() < EXTRA_DOOR_PROBABILITY:
                    pairs.append((i, j))
    return pairs


def _door_graph_connected(rects: list[Rect]) -> bool:
    seen, stack = {0}, [0]
    while stack:
        i = stack.pop()
        for j in range(len(rects)):
            if j not in seen and _door_fits(rects[i], rects[j]):
                seen.add(j)
                stack.append(j)
    return len(seen) == len(rects)


def _door_fits(a: Rect, b: Rect) -> bool:
    seg = shared_segment(a, b)
    return seg is not None and math.dist(*seg) >= MIN_SHARED_FOR_DOOR_M


def make_doors(rooms: list[Room], rects: list[Rect], walls: list[Wall], pairs, rng, first_instance: int) -> list[Opening]:
    doors = []
    for k, (i, j) in enumerate(pairs):
        seg = shared_segment(rects[i], rects[j])
        w0 = wall_containing(walls, rooms[i].id, seg)
        w1 = wall_containing(walls, rooms[j].id, seg)
        s0, s1 = sorted((along(w0, seg[0]), along(w0, seg[1])))
        lo = s0 + DOOR_END_MARGIN_M
        hi = max(lo, s1 - DOOR_END_MARGIN_M - DOOR_WIDTH_M)  # a segment of exactly the minimum can measure 1e-16 short
        u0 = min(max(snap(rng.uniform(lo, hi)), lo), hi)
        doors.append(
            Opening(
                id=f"door|{rooms[i].id}|{rooms[j].id}",
                kind="door",
                wall0=w0.id,
                wall1=w1.id,
                room0=rooms[i].id,
                room1=rooms[j].id,
                hole=(round(u0, 6), 0.0, round(u0 + DOOR_WIDTH_M, 6), DOOR_HEIGHT_M),
                asset_id="simsv/doorway",
                instance_id=first_instance + k,
                category="door",
            )
        )
    return doors


def make_windows(rooms, rects, walls, doors, footprint: Rect, rng, first_instance: int) -> list[Opening]:
    """At most one window per room, centred somewhere on an exterior wall."""
    windows = []
    for room, rect in zip(rooms, rects):
        exterior = [w for w in walls if w.room_id == room.id and _on_boundary(w, footprint) and w.length >= 1.6]
        if not exterior or rng.random() > WINDOW_PROBABILITY:
            continue
        w = exterior[int(rng.integers(len(exterior)))]
        width = snap_down(rng.uniform(0.8, min(1.6, w.length - 0.6)))
        u0 = snap_down(rng.uniform(0.3, w.length - 0.3 - width))
        windows.append(
            Opening(
                id=f"window|{room.id}|{len(windows)}",
                kind="window",
                wall0=w.id,
                wall1=None,
                room0=room.id,
                room1=None,
                hole=(u0, WINDOW_SILL_M, round(u0 + width, 6), WINDOW_TOP_M),
                asset_id="simsv/window",
                instance_id=first_instance + len(windows),
                category="window",
            )
        )
    return windows


def _on_boundary(w: Wall, r: Rect) -> bool:
    (x0, z0), (x1, z1) = w.p0, w.p1
    return (x0 == x1 and x0 in (r.x0, r.x1)) or (z0 == z1 and z0 in (r.z0, r.z1))


def assign_room_types(rects: list[Rect], types: list[str]) -> list[str]:
    """The largest rectangle is the living room, the smallest ones bathrooms, and bedrooms
    take the widest of the rest (a bed needs about 2.8 m of width with space to walk past)."""
    n = len(rects)
    assigned = [""] * n
    assigned[0] = types[0]
    by_area = sorted(range(1, n), key=lambda i: (rects[i].area, i))
    n_bath = types.count("Bathroom")
    for i in by_area[:n_bath]:
        assigned[i] = "Bathroom"
    rest = [t for t in types[1:] if t != "Bathroom"]
    rest.sort(key=lambda t: t != "Bedroom")  # bedrooms first, stable for the others
    free = sorted((i for i in range(1, n) if not assigned[i]), key=lambda i: (-min(rects[i].w, rects[i].d), i))
    for i, t in zip(free, rest):
        assigned[i] = t
    return assigned


@dataclass
class FloorPlan:
    rooms: list[Room]
    walls: list[Wall]
    doors: list[Opening]
    windows: list[Opening]


def generate_floorplan(n_rooms: int, rng: np.random.Generator, first_instance: int = 1) -> FloorPlan:
    """Rooms, walls, doors and windows for an `n_rooms` house; openings take instance ids
    from `first_instance` upward."""
    for _ in range(MAX_LAYOUT_TRIES):
        try:
            rects = split_rects(n_rooms, rng)
        except ValueError:  # a narrow footprint drawn for many rooms: draw another one
            continue
        if _door_graph_connected(rects):
            break
    else:
        raise ValueError(f"no door-connected layout of {n_rooms} rooms in {MAX_LAYOUT_TRIES} tries")
    footprint = Rect(min(r.x0 for r in rects), min(r.z0 for r in rects), max(r.x1 for r in rects), max(r.z1 for r in rects))
    types = list(ROOM_TYPE_ORDER[:n_rooms])
    assigned = assign_room_types(rects, types)
    rooms = [Room(id=f"room|{i}", room_type=assigned[i], polygon=rects[i].polygon(), index=i) for i in range(n_rooms)]
    walls: list[Wall] = []
    for room in rooms:
        walls += room_walls(room, len(walls), WALL_HEIGHT_M)
    pairs = door_tree(rects, assigned, rng)
    doors = make_doors(rooms, rects, walls, pairs, rng, first_instance)
    windows = make_windows(rooms, rects, walls, doors, footprint, rng, first_instance + len(doors))
    return FloorPlan(rooms, walls, doors, windows)
