"""Plausibility rules for furnished houses, as data the furnisher follows and as checks.

The furnisher (`furnish.py`, `clutter.py`) places things so that every rule holds; `check_house`
tests a finished house against all of them independently (`simsv check-rules`), so a
regression in placement shows up as a named violation instead of a strange frame.

Rules (each a `Violation.rule` name):
- `outside_room`: an object's footprint leaves its room's floor polygon.
- `interpenetration`: two boxes overlap in plan and in height (an object may sink into the
  box of the object it stands on: a pillow into a bed's box, under the headboard's height).
- `floating`: an object's bottom is neither on the floor, nor on the top region of its
  support (footprint centre over the support, bottom within the support's height), nor a
  wall- or ceiling-mounted category at its mount.
- `blocks_door`: something below door height stands in the zone in front of a door.
- `wall_mount_height`: a wall-mounted object's bottom outside its category's range
  (`WALL_MOUNT_BOTTOM_M`), or a TV whose top is above `TV_MAX_TOP_M`.
- `not_against_wall`: a wall-mounted object whose back is not at a wall.
- `sink_room`: a kitchen sink outside a kitchen, a washbasin or vanity outside a bathroom.
- `lamp_on_floor`: a table or desk lamp (`SURFACE_ONLY`) standing on the floor.
- `kitchen_fixture_room`: a kitchen fixture (`KITCHEN_FIXTURES`: counter units, hob, hood,
  dishwasher) outside a kitchen.
- `kitchen_run`: a kitchen sink, stove or hob not set into a counter run (a stove or sink not
  touching a counter cabinet along the same wall; a hob not standing on a counter cabinet).
- `no_yaw_jitter`: a loose object (`LOOSE`) at an exact multiple of 90 degrees.
- `chair_not_facing_table`: a chair within `CHAIR_TABLE_GAP_M` of a table or desk turned more
  than `CHAIR_FACING_MAX_DEG` away from it.
- `door_leaf`: an open door leaf (`houses/doors.py`) leaves the room it swings into or meets
  an object below `doors.LEAF_CLEAR_HEIGHT_M`.
- `repeated_model`: one model used more than `MAX_MODEL_REPEATS` times in a house, outside
  categories that come in sets (`SET_CATEGORIES`).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from shapely.geometry import Point, Polygon

from builder.houses.doors import leaf_obstruction
from builder.houses.spec import House, opening_segment

# bottom heights (m) of wall-mounted things; a model's own catalogue elevation is used when
# it falls inside its category's range
WALL_MOUNT_BOTTOM_M: dict[str, tuple[float, float]] = {
    "painting": (1.1, 1.7), "picture frame": (1.1, 1.7), "mirror": (0.9, 1.4), "clock": (0.95, 1.9),
    "tv": (0.8, 1.3), "towel rack": (0.4, 1.3), "towel": (0.3, 1.3), "coat hanger": (1.45, 1.75),
    "exhaust fan": (1.9, 2.3), "wall cabinet": (1.35, 1.7), "range hood": (1.45, 1.8),
    "wall lamp": (1.4, 1.9), "sink": (0.3, 0.6), "radiator": (0.05, 0.8), "air conditioner": (1.8, 2.4),
    "shower head": (1.0, 1.3), "curtain": (0.0, 0.3), "whiteboard": (0.8, 1.1),
}
TV_MAX_TOP_M = 1.9
"""A TV's top stays below this (a TV on a 1.6 m shelf is not where people put it)."""
CEILING_MIN_BOTTOM_M = 2.0
"""Ceiling lights hang no lower than this (m), clear of the camera and of heads."""
LOOSE = frozenset({
    "cup", "bowl", "bottle", "plate", "book", "box", "kettle", "pan", "cutting board", "laptop",
    "telephone", "headphones", "computer mouse", "keyboard", "shoes", "handbag", "backpack",
    "suitcase", "paper bag", "bucket", "basket", "crate", "vase", "plant", "pillow", "cushion",
    "blanket", "trash bin", "trash can", "heater", "fan", "coffee maker", "toaster", "microwave",
    "power strip", "picture frame", "table lamp", "desk lamp", "clock", "speaker",
})
"""Categories set down by hand rather than aligned with a wall: they get yaw jitter."""
MIN_JITTER_DEG = 2.0
CHAIRS = frozenset({"chair", "office chair", "stool"})
TABLES = frozenset({"table", "dining table", "desk", "kitchen island"})
CHAIR_TABLE_GAP_M = 0.15
CHAIR_FACING_MAX_DEG = 60.0
MAX_MODEL_REPEATS = 2
SET_CATEGORIES = frozenset({
    "chair", "stool", "kitchen cabinet", "wall cabinet", "ceiling lamp", "nightstand", "pillow",
    "cushion", "book", "cup", "bowl", "plate", "bottle", "box", "shoes", "computer mouse", "keyboard",
    "monitor", "power strip", "exhaust fan", "radiator", "heater", "towel", "towel rack",
    "trash bin", "computer tower", "painting", "picture frame", "telephone", "crate", "bucket",
    "paper bag", "cutting board", "pan", "headphones", "blanket", "coat hanger", "mattress",
})
"""Categories that come in sets or are commodity items (dining chairs, kitchen units, cups):
one model may repeat; others are limited to MAX_MODEL_REPEATS per house."""
KITCHEN_SINKS = frozenset({"kitchen sink"})
BATHROOM_SINKS = frozenset({"sink", "bathroom vanity"})
SURFACE_ONLY = frozenset({"table lamp", "desk lamp"})
KITCHEN_FIXTURES = frozenset({"kitchen cabinet", "kitchen island", "cooktop", "range hood", "dishwasher"})
COUNTER_UNITS = frozenset({"kitchen cabinet"})
DOOR_CLEAR_HEIGHT_M = 2.2
DOOR_KEEPOUT_DEPTH_M = 1.0
DOOR_KEEPOUT_MARGIN_M = 0.15
TOUCH_M = 0.06
"""Two units of a counter run count as set into each other within this gap (m)."""
_TOL = 1e-3


@dataclass(frozen=True)
class Violation:
    rule: str
    house_id: str
    object_id: str
    detail: str

    def __str__(self) -> str:
        return f"{self.house_id} {self.rule} {self.object_id}: {self.detail}"


def _poly(o) -> Polygon:
    return Polygon(o.footprint())


def _y(o) -> tuple[float, float]:
    return o.position[1] - o.size[1] / 2, o.position[1] + o.size[1] / 2


def _forward(yaw_deg: float) -> tuple[float, float]:
    r = math.radians(yaw_deg)
    return math.sin(r), math.cos(r)


def door_zones(house: House) -> list[Polygon]:
    """The keep-out rectangle in front of each door, on both sides."""
    walls = {w.id: w for w in house.walls}
    out = []
    for d in house.doors:
        (ax, az), (bx, bz) = opening_segment(d, walls[d.wall0])
        L = math.hypot(bx - ax, bz - az)
        ux, uz = (bx - ax) / L, (bz - az) / L
        nx, nz = -uz, ux
        m, k = DOOR_KEEPOUT_MARGIN_M, DOOR_KEEPOUT_DEPTH_M
        a = (ax - ux * m, az - uz * m)
        b = (bx + ux * m, bz + uz * m)
        out.append(Polygon([(a[0] + nx * k, a[1] + nz * k), (b[0] + nx * k, b[1] + nz * k),
                            (b[0] - nx * k, b[1] - nz * k), (a[0] - nx * k, a[1] - nz * k)]))
    return out


def check_house(house: House) -> list[Violation]:
    """Every rule violation of a house (empty when it is plausible by all rules)."""
    out: list[Violation] = []

    def bad(rule, o, detail):
        out.append(Violation(rule, house.id, o.id, detail))

    objs = house.objects
    by_iid = {o.instance_id: o for o in objs}
    polys = {o.instance_id: _poly(o) for o in objs}
    rooms = {r.id: r for r in house.rooms}
    room_polys = {r.id: Polygon(r.polygon) for r in house.rooms}
    walls_of = {}
    for w in house.walls:
        walls_of.setdefault(w.room_id, []).append(w)
    zones = door_zones(house)

    for o in objs:
        p, (y0, y1) = polys[o.instance_id], _y(o)
        room = rooms.get(o.room_id)
        if room is None or not room_polys[o.room_id].buffer(_TOL).contains(p):
            bad("outside_room", o, "footprint leaves its room")
        if y0 < DOOR_CLEAR_HEIGHT_M and any(p.intersection(z).area > 1e-6 for z in zones):
            bad("blocks_door", o, f"bottom {y0:.2f} m inside a door's keep-out zone")
        _check_support(o, p, y0, y1, by_iid, polys, house.wall_height, walls_of.get(o.room_id, []), bad)
        if o.category == "tv" and y1 > TV_MAX_TOP_M + _TOL:
            bad("wall_mount_height", o, f"TV top at {y1:.2f} m > {TV_MAX_TOP_M} m")
        if room is not None:
            if o.category in KITCHEN_SINKS and room.room_type != "Kitchen":
                bad("sink_room", o, f"kitchen sink in a {room.room_type}")
            if o.category in BATHROOM_SINKS and room.room_type != "Bathroom":
                bad("sink_room", o, f"washbasin in a {room.room_type}")
            if o.category in SURFACE_ONLY and o.mount == "floor":
                bad("lamp_on_floor", o, f"{o.category} on the floor")
            if o.category in KITCHEN_FIXTURES and room.room_type != "Kitchen":
                bad("kitchen_fixture_room", o, f"{o.category} in a {room.room_type}")
        if o.category in LOOSE and o.mount != "wall":
            off = o.yaw_deg % 90.0
            if min(off, 90.0 - off) < MIN_JITTER_DEG - _TOL:
                bad("no_yaw_jitter", o, f"yaw {o.yaw_deg:.1f} deg on the room's axes")

    for door in house.doors:
        hit = leaf_obstruction(house, door)
        if hit:
            bad("door_leaf", door, f"leaf open {door.leaf.angle_deg:.0f} deg {hit}")
    _check_pairs(objs, polys, bad)
    _check_kitchen_runs(house, objs, polys, rooms, bad)
    _check_chairs(objs, polys, bad)
    counts = Counter(o.asset_id for o in objs if o.category not in SET_CATEGORIES)
    first = {}
    for o in objs:
        first.setdefault(o.asset_id, o)
    for aid, n in sorted(counts.items()):
        if n > MAX_MODEL_REPEATS:
            bad("repeated_model", first[aid], f"{aid} used {n} times (max {MAX_MODEL_REPEATS})")
    return out


def _check_support(o, p, y0, y1, by_iid, polys, wall_height, walls, bad) -> None:
    if o.mount == "ceiling":
        if abs(y1 - wall_height) > 0.02 or y0 < CEILING_MIN_BOTTOM_M - _TOL:
            bad("floating", o, f"ceiling mount spans {y0:.2f}-{y1:.2f} m under a {wall_height} m ceiling")
        return
    if o.mount == "wall":
        lo, hi = WALL_MOUNT_BOTTOM_M.get(o.category, (0.0, wall_height))
        if not lo - _TOL <= y0 <= hi + _TOL:
            bad("wall_mount_height", o, f"bottom at {y0:.2f} m outside {lo}-{hi} m for {o.category}")
        bx, bz = _forward(o.yaw_deg)
        back = Point(o.position[0] - bx * o.size[2] / 2, o.position[2] - bz * o.size[2] / 2)
        if not walls or min(_seg_dist(back, w) for w in walls) > 0.05:
            bad("not_against_wall", o, "wall mount with its back off the wall")
        return
    if o.support_id:
        s = by_iid.get(o.support_id)
        if s is None:
            bad("floating", o, f"support {o.support_id} does not exist")
            return
        sy0, sy1 = _y(s)
        if not (polys[s.instance_id].buffer(_TOL).contains(Point(o.position[0], o.position[2]))
                and sy0 + 0.05 <= y0 <= sy1 + _TOL):
            bad("floating", o, f"bottom {y0:.2f} m not on support {s.id} ({sy0:.2f}-{sy1:.2f} m)")
        return
    if y0 > _TOL:
        bad("floating", o, f"bottom at {y0:.2f} m with no support or mount")


def _seg_dist(pt: Point, w) -> float:
    from shapely.geometry import LineString
    return LineString([w.p0, w.p1]).distance(pt)


def _check_pairs(objs, polys, bad) -> None:
    from shapely.strtree import STRtree
    geoms = [polys[o.instance_id] for o in objs]
    tree = STRtree(geoms)
    for i, o in enumerate(objs):
        for j in tree.query(geoms[i]):
            j = int(j)
            if j <= i:
                continue
            q = objs[j]
            if o.support_id == q.instance_id or q.support_id == o.instance_id:
                continue  # resting on it: `floating` checks the contact
            (a0, a1), (b0, b1) = _y(o), _y(q)
            if min(a1, b1) - max(a0, b0) > _TOL and geoms[i].intersection(geoms[j]).area > 1e-6:
                bad("interpenetration", o, f"overlaps {q.id}")


def _check_kitchen_runs(house, objs, polys, rooms, bad) -> None:
    for o in objs:
        room = rooms.get(o.room_id)
        if room is None or room.room_type != "Kitchen":
            continue
        if o.category == "cooktop":
            s = next((q for q in objs if q.instance_id == o.support_id), None)
            if s is None or s.category not in COUNTER_UNITS | {"kitchen island"}:
                bad("kitchen_run", o, "hob not set into a counter")
        elif o.category in KITCHEN_SINKS | {"stove", "dishwasher"} and o.mount != "wall":
            touching = [q for q in objs if q is not o and q.category in COUNTER_UNITS | KITCHEN_SINKS | {"stove", "dishwasher"}
                        and polys[q.instance_id].distance(polys[o.instance_id]) < TOUCH_M
                        and abs(((q.yaw_deg - o.yaw_deg + 180) % 360) - 180) < 1.0]
            if not any(q.category in COUNTER_UNITS for q in touching):
                bad("kitchen_run", o, f"{o.category} not beside a counter unit of the same run")


def _check_chairs(objs, polys, bad) -> None:
    for c in objs:
        tables = [o for o in objs if o.category in TABLES and o.room_id == c.room_id]
        if c.category not in CHAIRS or not tables:
            continue
        near = min(tables, key=lambda t: polys[t.instance_id].distance(polys[c.instance_id]))
        if polys[near.instance_id].distance(polys[c.instance_id]) > CHAIR_TABLE_GAP_M:
            continue
        # the point of the table nearest the chair, seen from the chair's centre
        from shapely.ops import nearest_points
        tp = nearest_points(polys[near.instance_id], Point(c.position[0], c.position[2]))[0]
        dx, dz = tp.x - c.position[0], tp.y - c.position[2]
        fx, fz = _forward(c.yaw_deg)
        if math.hypot(dx, dz) < 1e-6:
            continue
        ang = math.degrees(math.acos(max(-1.0, min(1.0, (dx * fx + dz * fz) / math.hypot(dx, dz)))))
        if ang > CHAIR_FACING_MAX_DEG:
            bad("chair_not_facing_table", c, f"turned {ang:.0f} deg away from {near.id}")
