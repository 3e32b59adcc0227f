"""Clutter: the small things of a lived-in home, put on their supports after furnishing.

Books and boxes on shelves, cups, bowls, kettles, pans and cutting boards on counters, a
workstation on desks, pillows and a blanket on beds, cushions on sofas, shoes, bags and
suitcases on floors, ceiling lights, radiators or heaters, bins, buckets; then every bare
stretch of wall gets a piece (`dress_walls`), and what stands on supports is set last, so the
dressing's shelves and cabinets get their books and cups too. Everything goes
through the furnisher's checks (`RoomFurnisher.add`), so clutter obeys the same rules as
furniture (houses/rules.py): inside the room, no interpenetration except with the support it
stands on, door zones clear, the room still navigable. Tables below say what goes where:
(category, probability, most instances).

Also the kitchen's counter run (`counter_run`), the one group whose units must touch.
"""

from __future__ import annotations

import math

import numpy as np

from builder.houses import rules

# support category -> what may stand on it; region: part of the top ((u0, u1, w0, w1) as
# fractions of width and depth, back at w = -0.5) or None for anywhere
SURFACE_CLUTTER: dict[str, list[tuple[str, float, int]]] = {
    "kitchen cabinet": [("microwave", 0.5, 1), ("kettle", 0.6, 1), ("pan", 0.5, 1), ("cutting board", 0.55, 1), ("cup", 0.9, 5),
                        ("bowl", 0.6, 3), ("bottle", 0.5, 3), ("plate", 0.5, 3), ("coffee maker", 0.35, 1),
                        ("toaster", 0.3, 1), ("paper bag", 0.25, 1), ("plant", 0.2, 1),
                        ("towel", 0.2, 1)],
    "kitchen island": [("bowl", 0.6, 1), ("cup", 0.6, 2), ("cutting board", 0.4, 1), ("plate", 0.4, 2)],
    "dining table": [("bowl", 0.5, 1), ("cup", 0.8, 5), ("plate", 0.6, 4), ("vase", 0.4, 1), ("bottle", 0.4, 1),
                     ("book", 0.2, 1), ("laptop", 0.15, 1), ("telephone", 0.15, 1)],
    "table": [("cup", 0.5, 2), ("book", 0.4, 2), ("vase", 0.3, 1), ("bowl", 0.3, 1), ("telephone", 0.2, 1)],
    "coffee table": [("book", 0.8, 4), ("cup", 0.6, 3), ("vase", 0.3, 1), ("bowl", 0.3, 1), ("telephone", 0.3, 1),
                     ("plant", 0.2, 1), ("headphones", 0.15, 1)],
    "desk": [("cup", 0.6, 3), ("book", 0.7, 4), ("headphones", 0.4, 1), ("telephone", 0.4, 1), ("desk lamp", 0.4, 1),
             ("plant", 0.25, 1), ("printer", 0.25, 1), ("box", 0.15, 1),
             ("picture frame", 0.3, 1)],
    "nightstand": [("book", 0.8, 4), ("cup", 0.5, 1), ("clock", 0.5, 1), ("telephone", 0.3, 1), ("headphones", 0.15, 1),
                   ("picture frame", 0.3, 1)],
    "dresser": [("box", 0.4, 1), ("book", 0.5, 3), ("cup", 0.3, 1), ("vase", 0.3, 1), ("picture frame", 0.5, 2), ("handbag", 0.3, 1),
                ("plant", 0.3, 1), ("clock", 0.2, 1), ("table lamp", 0.3, 1)],
    "bookshelf": [("book", 0.95, 14), ("box", 0.5, 2), ("plant", 0.3, 1), ("picture frame", 0.5, 2)],
    "tv stand": [("box", 0.3, 1), ("plant", 0.3, 1), ("speaker", 0.3, 2), ("book", 0.6, 4), ("cup", 0.3, 1),
                 ("picture frame", 0.3, 2)],
    "cabinet": [("box", 0.4, 1), ("book", 0.6, 4), ("cup", 0.3, 2), ("plant", 0.3, 1), ("vase", 0.3, 1), ("printer", 0.2, 1)],
    "side table": [("book", 0.5, 2), ("cup", 0.4, 1), ("table lamp", 0.3, 1), ("telephone", 0.2, 1), ("picture frame", 0.3, 1)],
    "file cabinet": [("printer", 0.5, 1), ("box", 0.4, 1), ("plant", 0.3, 1), ("telephone", 0.2, 1)],
    "bed": [("pillow", 1.0, 2), ("blanket", 0.7, 1), ("cushion", 0.2, 1)],
    "sofa": [("cushion", 0.9, 3), ("blanket", 0.4, 1)],
    "armchair": [("cushion", 0.5, 1)],
    "washer": [("towel", 0.4, 1), ("box", 0.2, 1)],
    # bathroom surfaces: the catalogue's bottles are wine and beer bottles, so no bottles here
    "sink": [("cup", 0.7, 1)],
    "bathroom vanity": [("cup", 0.7, 1), ("towel", 0.5, 1), ("plant", 0.2, 1)],
    "clothes dryer": [("towel", 0.3, 1)],
    "toilet": [("book", 0.15, 1)],
}
REGIONS: dict[str, dict[str, tuple[float, float, float, float]]] = {
    "bed": {"pillow": (-0.45, 0.45, -0.46, -0.22), "blanket": (-0.4, 0.4, 0.15, 0.48), "cushion": (-0.4, 0.4, -0.3, 0.0)},
    "sofa": {"cushion": (-0.46, 0.46, -0.25, 0.1), "blanket": (-0.45, 0.45, -0.2, 0.2)},
    "armchair": {"cushion": (-0.3, 0.3, -0.25, 0.1)},
    "bookshelf": {"*": (-0.44, 0.44, -0.3, 0.42)},
}
SHELF_ITEM_MAX_HEIGHT_M = 0.25
"""Things set on a bookshelf's shelf (its top_m lies inside the case) fit under the next shelf."""
SUPPORT_MAX_TOP_M = 1.6
"""Nothing is put on supports higher than this (out of reach and out of sight)."""

# room type -> floor, wall and corner clutter: (category, placement, probability, most instances)
ROOM_CLUTTER: dict[str, list[tuple[str, str, float, int]]] = {
    "LivingRoom": [("shoes", "wall", 0.8, 3), ("backpack", "wall", 0.48, 1), ("basket", "corner", 0.56, 1),
                   ("radiator", "wall", 0.8, 1), ("heater", "wall", 0.4, 1), ("power strip", "wall", 0.64, 1),
                   ("coat hanger", "wall_mounted", 0.56, 1), ("paper bag", "wall", 0.4, 1), ("plant", "corner", 0.8, 1),
                   ("trash bin", "corner", 0.64, 1), ("handbag", "wall", 0.4, 1), ("fan", "corner", 0.24, 1)],
    "Kitchen": [("trash can", "corner", 1.0, 1), ("bucket", "corner", 0.56, 1), ("crate", "corner", 0.48, 1),
                ("radiator", "wall", 0.64, 1), ("basket", "corner", 0.48, 1), ("paper bag", "wall", 0.56, 1),
                ("exhaust fan", "wall_mounted", 0.64, 1), ("towel", "wall_mounted", 0.0, 0)],
    "Bedroom": [("shoes", "wall", 1.0, 3), ("backpack", "wall", 0.72, 1), ("suitcase", "wall", 0.64, 1),
                ("radiator", "wall", 0.8, 1), ("heater", "wall", 0.48, 1), ("handbag", "wall", 0.48, 1),
                ("laundry basket", "corner", 0.56, 1), ("coat hanger", "wall_mounted", 0.48, 1),
                ("power strip", "wall", 0.48, 1), ("mattress", "wall", 0.13, 1), ("fan", "corner", 0.32, 1),
                ("box", "corner", 0.48, 1)],
    "Bathroom": [("radiator", "wall", 1.0, 1), ("exhaust fan", "wall_mounted", 1.0, 1), ("bucket", "corner", 0.8, 1),
                 ("laundry basket", "corner", 0.8, 1), ("heater", "wall", 0.48, 1), ("trash bin", "corner", 0.96, 1),
                 ("shoes", "wall", 0.48, 1), ("plant", "corner", 0.48, 1), ("basket", "corner", 0.48, 1),
                 ("paper bag", "wall", 0.32, 1)],
    "Office": [("backpack", "wall", 1.0, 2), ("whiteboard", "wall", 0.64, 1), ("heater", "wall", 0.64, 1),
               ("radiator", "wall", 0.8, 1), ("power strip", "wall", 1.0, 2), ("crate", "corner", 0.56, 1),
               ("coat hanger", "wall_mounted", 0.64, 1), ("box", "corner", 0.8, 2), ("paper bag", "wall", 0.56, 1),
               ("suitcase", "wall", 0.32, 1), ("fan", "corner", 0.48, 1), ("shoes", "wall", 0.32, 1),
               ("trash bin", "corner", 1.0, 1), ("plant", "corner", 0.8, 1), ("bucket", "corner", 0.24, 1),
               ("clock", "wall_mounted", 0.64, 1), ("painting", "wall_mounted", 0.64, 2)],
    "DiningRoom": [("radiator", "wall", 0.8, 1), ("plant", "corner", 0.8, 1), ("basket", "corner", 0.48, 1)],
}
CEILING_LIGHT_AREA_M2 = 12.0
"""One ceiling light per this much floor (at least one per room)."""


def clutter_room(f) -> int:
    """Put the room's clutter in place; returns how many objects were added."""
    before = len(f.placed)
    _ceiling_lights(f)
    # floor, walls and corners first, then bare walls dressed, then what stands on every
    # support (the dressing's shelves and cabinets included)
    for category, placement, prob, most in ROOM_CLUTTER.get(f.room.room_type, []):
        if most == 0 or f.rng.random() >= prob:
            continue
        for _ in range(1 + int(f.rng.integers(most))):
            f.place_one(category, placement)
    dress_walls(f)
    for p in list(f.placed):
        s = p.obj
        table = SURFACE_CLUTTER.get(s.category)
        if table is None or p.top is None or p.top > SUPPORT_MAX_TOP_M:
            continue
        inside = p.top < p.y1 - 0.05  # a shelf inside the case, a sofa seat, a bed's mattress
        for category, prob, most in table:
            if most == 0 or f.rng.random() >= prob:
                continue
            n = 1 + int(f.rng.integers(most))
            region = REGIONS.get(s.category, {})
            region = region.get(category, region.get("*"))
            got = None
            for _ in range(n):
                if got is None or category not in rules.SET_CATEGORIES:
                    got = f.sized(category, max_height=_max_height(s, inside), placement="on_surface")
                    if got is None:
                        break
                f.on_top(category, s, region=region, got=got, tries=6)
    return len(f.placed) - before


# ---- bare walls ---------------------------------------------------------------------------------

BARE_WALL_M = 0.7
"""A stretch of wall at least this long with nothing on it or in front of it gets dressed: a
scan sweeps every wall of a room, and real rooms have few long empty walls (measured by `simsv
stats` as blank-wall frames)."""
WALL_REACH_M = 0.8
"""A piece whose footprint comes this close to a wall covers its stretch of that wall ..."""
DRESSING_MIN_FACE_M2 = 0.12
"""... when its front (width x height) is at least this big: shoes or a power strip leave a
wall looking bare."""
DRESS_TRIES = 6
"""Candidates tried per bare stretch before it is left bare."""
DRESSING_REPEATS = frozenset({"painting", "plant", "bookshelf", "cabinet", "chair"})
"""What a room may have several of; other dressing goes only where the room has none yet."""

# room type -> what dresses a bare wall, (category, placement), tried in random order
WALL_DRESSING: dict[str, list[tuple[str, str]]] = {
    "LivingRoom": [("painting", "wall_mounted"), ("bookshelf", "wall"), ("cabinet", "wall"), ("plant", "wall"),
                   ("clock", "wall_mounted"), ("side table", "wall"), ("lamp", "wall"), ("mirror", "wall_mounted"),
                   ("radiator", "wall"), ("tv stand", "wall")],
    "Kitchen": [("painting", "wall_mounted"), ("cabinet", "wall"), ("clock", "wall_mounted"), ("radiator", "wall"),
                ("plant", "wall"), ("trash can", "wall"), ("stool", "wall")],
    "Bedroom": [("painting", "wall_mounted"), ("dresser", "wall"), ("bookshelf", "wall"), ("mirror", "wall_mounted"),
                ("radiator", "wall"), ("plant", "wall"), ("chair", "wall"), ("lamp", "wall")],
    "Bathroom": [("mirror", "wall_mounted"), ("cabinet", "wall"), ("radiator", "wall"), ("painting", "wall_mounted"),
                 ("laundry basket", "wall"), ("plant", "wall")],
    "Office": [("whiteboard", "wall"), ("bookshelf", "wall"), ("file cabinet", "wall"), ("painting", "wall_mounted"),
               ("clock", "wall_mounted"), ("plant", "wall"), ("cabinet", "wall"), ("radiator", "wall")],
    "DiningRoom": [("painting", "wall_mounted"), ("cabinet", "wall"), ("dresser", "wall"), ("plant", "wall"),
                   ("clock", "wall_mounted"), ("bookshelf", "wall"), ("mirror", "wall_mounted"), ("lamp", "wall")],
}


def bare_stretches(f, wall) -> list[tuple[float, float]]:
    """(u0, u1) stretches of `wall`, metres from its p0, at least BARE_WALL_M long, that no
    door, window or placed piece of some size covers."""
    d, n = f._inward(wall)
    p0 = np.array(wall.p0)
    covered = []
    for p in f.placed:
        if p.obj.size[0] * p.obj.size[1] < DRESSING_MIN_FACE_M2:
            continue
        pts = np.asarray(p.poly.exterior.coords) - p0
        if float(np.min(pts @ n)) < WALL_REACH_M:
            u = pts @ d
            covered.append((float(u.min()), float(u.max())))
    for o in f.openings:
        if wall.id in (o.wall0, o.wall1):
            a, b = f._opening_span(o)
            covered.append(tuple(sorted((float((a - p0) @ d), float((b - p0) @ d)))))
    out, at = [], 0.0
    for u0, u1 in sorted(covered) + [(wall.length, wall.length)]:
        if u0 - at >= BARE_WALL_M:
            out.append((at, min(u0, wall.length)))
        at = max(at, u1)
    return out


def dress_walls(f) -> int:
    """Something on or against every bare stretch of wall (WALL_DRESSING), near its middle;
    returns how many pieces were added."""
    table = WALL_DRESSING.get(f.room.room_type, [])
    added = 0
    for k in f.rng.permutation(len(f.walls)):
        wall = f.walls[int(k)]
        for _ in range(4):  # a long wall may take several pieces
            gaps = bare_stretches(f, wall)
            if not gaps or not table:
                break
            u0, u1 = max(gaps, key=lambda g: g[1] - g[0])
            obj = None
            present = {p.obj.category for p in f.placed}
            options = [(c, pl) for c, pl in table if c in DRESSING_REPEATS or c not in present]  # one clock per room
            for j in f.rng.permutation(len(options))[:DRESS_TRIES]:
                category, placement = options[int(j)]
                got = f.sized(category, placement=placement)
                if got is None or got.size[0] > u1 - u0:
                    continue
                h = f.mount_height(got, placement == "wall_mounted")
                if h is None:
                    continue
                room = u1 - u0 - got.size[0]
                for u in (0.5, 0.3, 0.7):
                    obj = f.at_wall(got, wall, u0 + got.size[0] / 2 + u * room, h)
                    if obj is not None:
                        break
                if obj is not None:
                    break
            if obj is None:
                break
            added += 1
    return added


def _max_height(support, inside: bool) -> float:
    if support.category == "bookshelf" and inside:
        return SHELF_ITEM_MAX_HEIGHT_M
    return 0.8


def _ceiling_lights(f) -> None:
    """Ceiling lights of one model spread over the room's long axis (one per
    CEILING_LIGHT_AREA_M2, one to three)."""
    n = max(1, min(3, int(f.room.area_m2 // CEILING_LIGHT_AREA_M2)))
    got = f.sized("ceiling lamp", max_height=f.walls[0].height - rules.CEILING_MIN_BOTTOM_M, placement="ceiling")
    if got is None:
        return
    xs, zs = zip(*f.room.polygon)
    long_x = max(xs) - min(xs) >= max(zs) - min(zs)
    for k in range(n):
        c = np.array(f.centroid, float)
        if n > 1:
            t = (k + 0.5) / n
            if long_x:
                c[0] = min(xs) + t * (max(xs) - min(xs))
            else:
                c[1] = min(zs) + t * (max(zs) - min(zs))
        f.on_ceiling("ceiling lamp", c, got=got)


# ---- the kitchen's counter run ------------------------------------------------------------------

COUNTER_MAX_HEIGHT_M = 1.0
"""Counter units are base cabinets (no tall larder units in the run)."""


def counter_run(f) -> list:
    """Base units along one wall, the sink and the hob set in: [counter] sink counter hob
    [counter] [dishwasher], tried from the longest sequence to the shortest on every wall;
    wall cabinets go above the counters and a range hood over the hob."""
    unit = f.sized("kitchen cabinet", max_height=COUNTER_MAX_HEIGHT_M, placement="wall")
    sink = f.sized("kitchen sink", placement="wall")
    if unit is None or sink is None:
        return []
    stove = f.sized("stove", placement="wall") if f.rng.random() < 0.5 else None
    if stove is not None and abs(stove.size[1] - unit.size[1]) > 0.1:
        stove = None  # a stove much taller or lower than the counter does not sit in the run
    hob = ("stove", stove) if stove is not None else ("hob", unit)
    washer = f.sized("dishwasher", placement="wall") if f.rng.random() < 0.6 else None
    oven = f.sized("oven", placement="wall") if f.rng.random() < 0.5 else None
    if oven is not None and oven.size[1] < unit.size[1]:
        oven = None  # a built-in oven box needs a housing; only oven columns stand in a run
    # every sink and stove touches a counter unit (rules.kitchen_run); a hob is a counter unit
    seqs = [[("counter", unit), ("sink", sink), ("counter", unit), hob, ("counter", unit)],
            [("sink", sink), ("counter", unit), hob, ("counter", unit)],
            [("sink", sink), ("counter", unit), hob]]
    if stove is None:
        seqs.append([("sink", sink), hob])
    if washer is not None:
        seqs.insert(0, seqs[0][:2] + [("dishwasher", washer)] + seqs[0][2:])
    if oven is not None:
        seqs.insert(0, seqs[0] + [("oven", oven)])
    walls = [f.walls[int(k)] for k in f.rng.permutation(len(f.walls))]
    for seq in seqs:
        width = sum(p.size[0] for _, p in seq) + 0.005 * (len(seq) - 1)
        for wall in walls:
            if wall.length < width + 0.05:
                continue
            for u0 in f.rng.uniform(0.03, wall.length - width - 0.02, 4):
                placed = _place_run(f, wall, u0, seq)
                if placed:
                    return placed + _above_run(f, wall, placed)
    return []


def _place_run(f, wall, u0: float, seq) -> list:
    d, n = f._inward(wall)
    yaw = math.degrees(math.atan2(n[0], n[1]))
    out, u = [], u0
    for kind, pick in seq:
        c = np.array(wall.p0) + d * (u + pick.size[0] / 2) + n * (pick.size[2] / 2 + 0.02)
        category = pick.category
        obj = f.add(category, c, yaw, pick.size, 0.0, pick.asset_id, top=pick.top)
        if obj is None:
            f.undo(len(out))
            return []
        out.append(obj)
        if kind == "hob":
            hob = None
            for _ in range(4):  # a hob that fits the unit's top
                got = f.sized("cooktop", placement="on_surface")
                if got is not None and got.size[0] <= obj.size[0] - 0.01 and got.size[2] <= obj.size[2] - 0.01:
                    hob = f.on_top("cooktop", obj, got=got, jitter_deg=0.0, margin_m=0.004)
                    break
            if hob is None:
                f.undo(len(out))
                return []
            out.append(hob)
        u += pick.size[0] + 0.005
    return out


def _above_run(f, wall, units) -> list:
    """Wall cabinets over some counters, a range hood over the hob or stove."""
    out = []
    d, n = f._inward(wall)
    yaw = math.degrees(math.atan2(n[0], n[1]))
    for o in units:
        if o.category in ("stove", "cooktop"):
            got = f.sized("range hood", placement="wall_mounted")
        elif o.category == "kitchen cabinet" and f.rng.random() < 0.7:
            got = f.sized("wall cabinet", placement="wall_mounted")
        else:
            continue
        if got is None:
            continue
        h = f.mount_height(got, True)
        if h is None:
            continue
        c = np.array([o.position[0], o.position[2]])
        c = c - n * (np.dot(c - np.array(wall.p0), n)) + n * (got.size[2] / 2 + 0.02)
        obj = f.add(got.category, c, yaw, got.size, h, got.asset_id, mount="wall")
        out += [obj] if obj else []
    return out
