"""Door leaves: which jamb each interior door hangs from, which room it swings into, how far it
stands open, and where the leaf then is.

A leaf is a slab hinged at one jamb. Closed (0 deg) it fills the hole; open it turns about the
hinge into one room. Three doors in four are swung back against their wall (150-175 deg), the
rest left about square (78-100 deg), as doors rest in lived-in homes; none stands across the
doorway, so the walkthrough's passage through every door stays as wide as the hole. A door
between a hallway and a room swings into the room, as doors do, so no leaf blocks a corridor;
between two rooms, into the bigger one three times in four. Past square a leaf swings back
toward 90 deg while it would leave its room (it rests against a wall close to the hinge); at 90
deg and less it stays inside the door's keep-out zone.

Square leaves standing out 0.9 m into small rooms took the camera's loops away (a 3.4 x 3.2 m
kitchen with two of them had no free piece left to walk round, so it got a spin): with half the
doors square and the swing room drawn evenly, 16 % of the frames of houses 0-7 of seed 0 were
spins against 5 % with the same houses' leaves removed; with these shares, 5.1 % against 4.8 %.

Leaves are drawn with the floor plan, before furnishing, from their own seeded stream: the
furnisher keeps every piece out of them (houses/furnish.py), the camera's occupancy grid blocks
them (capture/occupancy.py), the renderer draws them under the door's instance id
(render/scene.py), and `houses/rules.py` checks that nothing stands in one. Doors of imported
ProcTHOR houses get no leaf (their `leaf` is None), and neither do houses saved before leaves
existed: they render as they did.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from shapely.geometry import Point, Polygon

from builder.houses.spec import DoorLeaf, House, Opening, Room, Wall, opening_segment

SEED_STAGE_DOORS = 4
"""Stage tag of the leaves' seed stream (houses use 1, trajectories 2, start rooms 3)."""
LEAF_ANGLE_DEG = (78.0, 100.0)
"""Open angle of a door left about square, degrees from closed."""
LEAF_WIDE_DEG = (150.0, 175.0)
"""... and of a door swung back against its wall, as `LEAF_WIDE_SHARE` of doors are."""
LEAF_WIDE_SHARE = 0.75
LEAF_INTO_BIGGER = 0.75
"""Share of doors between two rooms (neither a hallway) that swing into the bigger one."""
LEAF_SQUARE_DEG = 90.0
LEAF_BACK_OFF_DEG = 4.0
"""Step (deg) by which a leaf past square that would leave its room is swung back toward square."""
LEAF_THICKNESS_M = 0.04
LEAF_GAP_M = 0.01
"""Clearance between the leaf and the jambs, the head and the floor."""
LEAF_CLEAR_HEIGHT_M = 2.2
"""Objects starting below this height (m) must stay out of a leaf's footprint."""


@dataclass(frozen=True)
class LeafPose:
    """Where a leaf is, on the floor plan: the hinge point, the unit vector from the hinge along
    the leaf (`along`) and the unit vector across its thickness (`across`), in (x, z)."""

    hinge: np.ndarray
    along: np.ndarray
    across: np.ndarray
    width: float
    thickness: float
    bottom: float
    top: float

    def footprint(self) -> Polygon:
        h, a, c = self.hinge, self.along * self.width, self.across * self.thickness
        return Polygon([h, h + a, h + a + c, h + c])


def leaf_rng(seed: int, house_index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, house_index, SEED_STAGE_DOORS]))


def leaf_pose(house: House, door: Opening) -> LeafPose | None:
    """The leaf of `door` as it stands, or None for a door without a leaf."""
    if door.leaf is None:
        return None
    return pose_of(door, door.leaf, house.wall(door.wall0), house.room(door.leaf.into))


def leaf_footprints(house: House) -> list[Polygon]:
    """The floor-plan footprint of every open leaf of the house."""
    return [pose.footprint() for pose in (leaf_pose(house, d) for d in house.doors) if pose is not None]


def pose_of(door: Opening, leaf: DoorLeaf, wall0: Wall, into: Room) -> LeafPose:
    """Where `leaf` puts the slab of `door` (in `wall0`), swung into room `into`."""
    a, b = (np.asarray(p, np.float64) for p in opening_segment(door, wall0))
    d = (b - a) / np.linalg.norm(b - a)
    n = np.array([-d[1], d[0]])
    if not Polygon(into.polygon).contains(Point(*((a + b) / 2 + 0.05 * n))):
        n = -n  # the room the leaf swings into lies on the other side
    t = math.radians(leaf.angle_deg)
    # the hinge sits a leaf's thickness into the room, so a leaf opened past square stays in it
    if leaf.hinge == "u0":
        pivot, shut = a + d * LEAF_GAP_M + n * LEAF_THICKNESS_M, d
    else:
        pivot, shut = b - d * LEAF_GAP_M + n * LEAF_THICKNESS_M, -d
    along = math.cos(t) * shut + math.sin(t) * n
    across = -math.sin(t) * shut + math.cos(t) * n  # at 0 deg: into the room; at 90: away from the opening
    u0, v0, u1, v1 = door.hole
    return LeafPose(pivot, along, across, (u1 - u0) - 2 * LEAF_GAP_M, LEAF_THICKNESS_M, v0 + LEAF_GAP_M, v1 - LEAF_GAP_M)


def leaf_obstruction(house: House, door: Opening) -> str | None:
    """What the leaf of `door` runs into, in words: a wall (it leaves its room near the hinge)
    or an object low enough to meet it; None when it swings free or there is no leaf."""
    pose = leaf_pose(house, door)
    if pose is None:
        return None
    fp = pose.footprint()
    if not Polygon(house.room(door.leaf.into).polygon).buffer(1e-6).contains(fp):
        return f"leaves room {door.leaf.into}"
    for o in house.objects:
        if o.position[1] - o.size[1] / 2 < LEAF_CLEAR_HEIGHT_M and Polygon(o.footprint()).intersection(fp).area > 1e-6:
            return f"meets {o.id}"
    return None


def hang_leaves(doors: list[Opening], walls: list[Wall], rooms: list[Room], rng: np.random.Generator) -> list[Opening]:
    """`doors` with a leaf on every door between two rooms: hinge jamb, swing room and angle
    drawn from `rng` (the swing room is the non-hallway one where a hallway is involved)."""
    walls_by_id = {w.id: w for w in walls}
    rooms_by_id = {r.id: r for r in rooms}
    out = []
    for door in doors:
        hinge = "u0" if rng.random() < 0.5 else "u1"
        into_first = rng.random() < LEAF_INTO_BIGGER
        angle = float(rng.uniform(*(LEAF_WIDE_DEG if rng.random() < LEAF_WIDE_SHARE else LEAF_ANGLE_DEG)))
        if door.room1 is None or door.room0 == door.room1 or door.room1 not in rooms_by_id:
            out.append(door)
            continue
        r0, r1 = rooms_by_id[door.room0], rooms_by_id[door.room1]
        hall0, hall1 = r0.room_type == "Hallway", r1.room_type == "Hallway"
        bigger = r0 if r0.area_m2 >= r1.area_m2 else r1
        into = (r1 if hall0 else r0) if hall0 != hall1 else bigger if into_first else (r1 if bigger is r0 else r0)
        inside = Polygon(into.polygon).buffer(1e-6)
        while angle > LEAF_SQUARE_DEG:  # swing it back until it clears the walls
            leaf = DoorLeaf(round(angle, 3), hinge, into.id)
            if inside.contains(pose_of(door, leaf, walls_by_id[door.wall0], into).footprint()):
                break
            angle = max(LEAF_SQUARE_DEG, angle - LEAF_BACK_OFF_DEG)
        out.append(replace(door, leaf=DoorLeaf(round(angle, 3), hinge, into.id)))
    return out
