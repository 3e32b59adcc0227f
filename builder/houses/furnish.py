"""Furnishing: place furniture by room type (against walls, in corners, in the middle, on top
of surfaces, and as groups such as table+chairs, sofa+TV, bed+nightstands, desk+chair).

Every placement is checked before it is kept: the oriented box lies inside the room, does
not interpenetrate any other box (footprints overlap only where heights do not), keeps door
approaches clear, keeps tall pieces out of windows, and leaves the room's free space, shrunk
by the camera's clearance, one connected piece that touches every door.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from shapely.geometry import Point, Polygon
from shapely.ops import unary_union

from builder.houses import rules
from builder.houses.doors import pose_of
from builder.houses.recipes import GROUPS, ROOM_RECIPES, SUPPORTS, Item, object_type
from builder.houses.spec import HouseObject, Opening, Room, Wall, obb_corners_2d, opening_segment

WALL_GAP_M = 0.02
"""Gap (m) between furniture and walls, so boxes never touch the wall planes."""
CLEARANCE_M = 0.35
"""Free-space radius (m) the camera needs; slightly above the planner's 0.30 m so the
planner's grid discretisation never finds a room cut off that furnishing left open."""
DOOR_KEEPOUT_DEPTH_M = 1.0
"""Depth (m) of the empty zone in front of each door, on both sides."""
DOOR_KEEPOUT_MARGIN_M = 0.15
"""Extra width (m) of the door zone beyond each jamb."""
DOOR_CLEAR_HEIGHT_M = 2.2
"""Objects starting below this height (m) stay out of door zones (door holes are 2.1 m tall)."""
SURFACE_ITEM_MAX_HEIGHT_M = 0.8
"""Items placed on a surface come only from models at most this tall (a table lamp, not a floor lamp)."""
WINDOW_CLEAR_BELOW_M = 0.95
"""Pieces in front of a window stay below this (m): the 0.9 m sill, plus a worktop's few cm."""
PLACEMENT_TRIES = 12
"""Candidate positions tried per item before giving up on it."""
SIZE_JITTER = 0.05
"""Relative random scaling of catalogue sizes, so repeated models differ slightly."""


@dataclass
class Placed:
    obj: HouseObject
    poly: Polygon
    y0: float
    y1: float
    top: float | None = None  # world height things can be set down on (None: nothing goes on it)


@dataclass(frozen=True)
class Pick:
    """A model chosen for a category, its size jittered."""

    asset_id: str
    size: tuple[float, float, float]
    category: str  # the model's own fine category
    elevation: float = 0.0  # the catalogue's mounting height (m), 0 for floor pieces
    top: float | None = None  # height above its bottom where things can stand; None: nothing


@dataclass
class RoomFurnisher:
    """Places items in one room; `pick_asset(category, rng) -> (asset_id, size_m)`."""

    room: Room
    walls: list[Wall]
    openings: list[Opening]
    rng: np.random.Generator
    pick_asset: callable
    next_instance: int
    all_walls: dict[str, Wall]
    placed: list[Placed] = field(default_factory=list)
    model_uses: dict = field(default_factory=dict)  # asset id -> uses in the house so far
    furniture_count: int = 0  # pieces placed before the clutter stage

    def __post_init__(self):
        self.poly = Polygon(self.room.polygon).buffer(-WALL_GAP_M, join_style=2)
        self.centroid = np.array(Polygon(self.room.polygon).centroid.coords[0])
        # a door's keep-out zone, and the leaf of a door swung into this room (past square it
        # reaches beyond the zone, along the wall)
        self.leaves = [pose_of(o, o.leaf, self.all_walls[o.wall0], self.room).footprint()
                       for o in self.openings if o.kind == "door" and o.leaf is not None and o.leaf.into == self.room.id]
        self.door_zones = unary_union([self._opening_zone(o) for o in self.openings if o.kind == "door"] + self.leaves)
        self.window_zones = unary_union([self._opening_zone(o) for o in self.openings if o.kind == "window"])
        self.door_points = [self._entry_point(o) for o in self.openings if o.kind == "door"]

    # ---- geometry of the room ------------------------------------------------------------

    def _inward(self, wall: Wall) -> tuple[np.ndarray, np.ndarray]:
        p0, p1 = np.array(wall.p0), np.array(wall.p1)
        d = (p1 - p0) / np.linalg.norm(p1 - p0)
        n = np.array([-d[1], d[0]])
        if np.dot(self.centroid - p0, n) < 0:
            n = -n
        return d, n

    def _opening_wall(self, o: Opening) -> Wall:
        return next(w for w in self.walls if w.id in (o.wall0, o.wall1))

    def _opening_span(self, o: Opening) -> tuple[np.ndarray, np.ndarray]:
        a, b = opening_segment(o, self.all_walls[o.wall0])
        return np.array(a), np.array(b)

    def _opening_zone(self, o: Opening) -> Polygon:
        a, b = self._opening_span(o)
        _, n = self._inward(self._opening_wall(o))
        d = (b - a) / np.linalg.norm(b - a)
        m = DOOR_KEEPOUT_MARGIN_M
        depth = DOOR_KEEPOUT_DEPTH_M if o.kind == "door" else 0.6
        a, b = a - d * m, b + d * m
        return Polygon([a, b, b + n * depth, a + n * depth])

    def _entry_point(self, o: Opening) -> Point:
        a, b = self._opening_span(o)
        _, n = self._inward(self._opening_wall(o))
        return Point((a + b) / 2 + n * (CLEARANCE_M + 0.1))

    # ---- checks ---------------------------------------------------------------------------

    def fits(self, poly: Polygon, y0: float, y1: float, on_floor: bool, support: HouseObject | None = None) -> bool:
        if not self.poly.contains(poly):
            return False
        # nothing at door height in front of a door: not furniture, not a painting over the hole
        if y0 < DOOR_CLEAR_HEIGHT_M and poly.intersects(self.door_zones):
            return False
        if y1 > WINDOW_CLEAR_BELOW_M and y0 < 2.1 and poly.intersects(self.window_zones):
            return False
        for p in self.placed:
            if p.obj is support:
                continue  # standing on it (a pillow sinks into a bed's box under its headboard)
            # stricter than rules.check_house (1e-6 m^2): stored positions are rounded to 1e-6 m
            if min(p.y1, y1) - max(p.y0, y0) > 1e-4 and p.poly.intersects(poly) and p.poly.intersection(poly).area > 1e-7:
                return False
        return not on_floor or self.navigable(extra=poly)

    def navigable(self, extra: Polygon | None = None) -> bool:
        """Free space shrunk by the clearance is one piece reaching every door and the centre area."""
        blocked = [p.poly for p in self.placed if p.y0 < 1.8] + self.leaves + ([extra] if extra is not None else [])
        free = self.poly.buffer(-CLEARANCE_M + WALL_GAP_M)
        if blocked:
            free = free.difference(unary_union(blocked).buffer(CLEARANCE_M))
        parts = list(getattr(free, "geoms", [free]))
        if not parts or free.is_empty:
            return False
        main = max(parts, key=lambda g: g.area)
        return main.area > 0.5 and all(main.distance(pt) < 0.05 for pt in self.door_points)

    # ---- placing ---------------------------------------------------------------------------

    def add(self, category: str, center_xz, yaw_deg: float, size, y0: float = 0.0, asset_id: str = "",
            support: HouseObject | None = None, mount: str = "floor", top: float | None = None) -> HouseObject | None:
        sx, sy, sz = size
        poly = Polygon(obb_corners_2d(center_xz[0], center_xz[1], sx, sz, yaw_deg))
        if not self.fits(poly, y0, y0 + sy, on_floor=y0 < 0.05, support=support):
            return None
        if category in rules.CHAIRS and not self._faces_near_table(poly, center_xz, yaw_deg):
            return None
        if category in rules.TABLES and not self._chairs_face(poly):
            return None
        obj = HouseObject(
            id=f"{object_type(category)}|{self.room.index}|{self.next_instance}",
            object_type=object_type(category),
            asset_id=asset_id,
            position=(round(float(center_xz[0]), 6), round(y0 + sy / 2, 6), round(float(center_xz[1]), 6)),
            yaw_deg=round(float(yaw_deg) % 360.0, 6),
            size=tuple(round(float(v), 6) for v in size),
            instance_id=self.next_instance,
            category=category,
            room_id=self.room.id,
            support_id=support.instance_id if support is not None else 0,
            mount="surface" if support is not None and mount == "floor" else mount,
        )
        self.next_instance += 1
        self.placed.append(Placed(obj, poly, y0, y0 + sy, None if top is None else y0 + top))
        if asset_id:
            self.model_uses[asset_id] = self.model_uses.get(asset_id, 0) + 1
        return obj

    def _chairs_face(self, table_poly: Polygon) -> bool:
        """A new table or desk may not end up beside a chair that turns away from it."""
        near = [p for p in self.placed if p.obj.category in rules.CHAIRS
                and p.poly.distance(table_poly) <= rules.CHAIR_TABLE_GAP_M]
        for p in near:
            placed, self.placed = self.placed, [Placed(None, table_poly, 0, 0)]  # the new table alone
            try:
                ok = self._faces_near_table(p.poly, (p.obj.position[0], p.obj.position[2]), p.obj.yaw_deg)
            finally:
                self.placed = placed
            if not ok:
                return False
        return True

    def _faces_near_table(self, poly: Polygon, center_xz, yaw_deg: float) -> bool:
        """A chair next to a table or desk must face it (rules.chair_not_facing_table)."""
        from shapely.ops import nearest_points
        tables = [p for p in self.placed if (p.obj is None or p.obj.category in rules.TABLES)
                  and p.poly.distance(poly) <= rules.CHAIR_TABLE_GAP_M]
        if not tables:
            return True
        near = min(tables, key=lambda p: p.poly.distance(poly))
        tp = nearest_points(near.poly, Point(center_xz[0], center_xz[1]))[0]
        d = np.array([tp.x - center_xz[0], tp.y - center_xz[1]])
        if np.linalg.norm(d) < 1e-6:
            return True
        r = math.radians(yaw_deg)
        cos = float(np.dot(d / np.linalg.norm(d), [math.sin(r), math.cos(r)]))
        return cos >= math.cos(math.radians(rules.CHAIR_FACING_MAX_DEG - 1.0))

    def sized(self, category: str, max_height: float | None = None, placement: str | None = None) -> Pick | None:
        """A model of `category` with its size jittered, or None. Models of categories that do
        not come in sets are used at most rules.MAX_MODEL_REPEATS times per house."""
        picked = self.pick_asset(category, self.rng, max_height, placement, self.model_uses)
        if picked is not None and picked.category in rules.KITCHEN_FIXTURES and self.room.room_type != "Kitchen":
            picked = None  # "cabinet" widens to kitchen units: not outside a kitchen (rules.kitchen_fixture_room)
        if picked is not None and picked.category in rules.SURFACE_ONLY and placement in ("wall", "corner", "middle"):
            picked = None  # "lamp" widens to table lamps: not on the floor (rules.lamp_on_floor)
        if picked is None:
            return None
        k = 1.0 + self.rng.uniform(-SIZE_JITTER, SIZE_JITTER)
        top = None if picked.top is None else round(picked.top * k, 4)
        return Pick(picked.asset_id, tuple(round(v * k, 4) for v in picked.size), picked.category, picked.elevation, top)

    def against_wall(self, category: str, corner: bool = False, height_m: float | None = None, placement: str | None = None,
                     max_height: float | None = None, got: Pick | None = None) -> HouseObject | None:
        """Back against a random wall (or into a corner), front facing into the room. Height:
        `height_m`, else the model's wall-mount height (see `mount_height`), else the floor."""
        got = got or self.sized(category, max_height=max_height, placement=placement)
        if got is None:
            return None
        size = got.size
        if height_m is None:
            height_m = self.mount_height(got, placement == "wall_mounted")
        if height_m is None:
            return None
        # every wall in random order, a few positions along each: required pieces need a
        # thorough search, and the order keeps the choice random
        for k in self.rng.permutation(len(self.walls)):
            wall = self.walls[int(k)]
            half_w = size[0] / 2 + WALL_GAP_M
            if wall.length < 2 * half_w:
                continue
            if corner:
                us = [half_w, wall.length - half_w] if self.rng.random() < 0.5 else [wall.length - half_w, half_w]
            else:
                us = self.rng.uniform(half_w, wall.length - half_w, PLACEMENT_TRIES // 2)
            for u in us:
                obj = self.at_wall(got, wall, float(u), height_m, corner)
                if obj:
                    return obj
        return None

    def at_wall(self, got: Pick, wall: Wall, u: float, height_m: float, corner: bool = False) -> HouseObject | None:
        """`got` with its back to `wall`, centred `u` m along it, bottom at `height_m` (above 0:
        hung on the wall); loose floor pieces are turned a little. None when it does not fit."""
        d, n = self._inward(wall)
        size, category = got.size, got.category
        mount = "wall" if height_m > 0 else "floor"
        # 0.1 mm off the room's inset outline: a box exactly on it fails `fits` on rounding, on some walls
        c = np.array(wall.p0) + d * u + n * (size[2] / 2 + WALL_GAP_M + 1e-4)
        yaw = math.degrees(math.atan2(n[0], n[1]))
        if category in rules.LOOSE and mount != "wall":
            a = self.jitter_deg(8.0)  # set down by hand: not square to the wall
            yaw += a
            ca, sa = abs(math.cos(math.radians(a))), abs(math.sin(math.radians(a)))
            ext_n, ext_u = ca * size[2] + sa * size[0], ca * size[0] + sa * size[2]
            c = c + n * (ext_n - size[2]) / 2  # the turned box clears the wall...
            if corner:  # ...and the side wall of its corner
                c = c + d * (ext_u - size[0]) / 2 * (1.0 if u < wall.length / 2 else -1.0)
        return self.add(category, c, yaw, size, height_m, got.asset_id, mount=mount, top=got.top)

    def jitter_deg(self, max_deg: float) -> float:
        """A yaw offset of rules.MIN_JITTER_DEG..max_deg either way (never on the room's axes)."""
        return float(self.rng.choice([-1.0, 1.0]) * self.rng.uniform(rules.MIN_JITTER_DEG + 0.5, max_deg))

    def mount_height(self, got: Pick, wall_mounted: bool) -> float | None:
        """Bottom height for a model: its catalogue elevation when it lies in its category's
        wall-mount range (rules.WALL_MOUNT_BOTTOM_M), a height drawn from that range for wall
        mounts, the floor otherwise (None when the model cannot be mounted at all)."""
        lo_hi = rules.WALL_MOUNT_BOTTOM_M.get(got.category)
        if got.elevation > 0.05 or wall_mounted:
            if lo_hi is None:
                return None if wall_mounted else 0.0
            lo, hi = lo_hi
            top_room = self.walls[0].height - 0.05
            if lo <= got.elevation <= hi and got.elevation + got.size[1] <= top_room:
                return round(got.elevation, 3)
            hi = min(hi, top_room - got.size[1])
            if got.category == "tv":  # a big TV hangs low enough that its top stays at viewing height
                hi = min(hi, rules.TV_MAX_TOP_M - got.size[1])
            return round(float(self.rng.uniform(lo, hi)), 3) if hi >= lo else None
        return 0.0

    def in_middle(self, category: str, placement: str | None = None) -> HouseObject | None:
        got = self.sized(category, placement=placement)
        if got is None:
            return None
        asset_id, size, category = got.asset_id, got.size, got.category
        for _ in range(PLACEMENT_TRIES):
            c = self.centroid + self.rng.uniform(-1.0, 1.0, 2)
            yaw = 90.0 * int(self.rng.integers(4))
            obj = self.add(category, c, yaw, size, 0.0, asset_id, top=got.top)
            if obj:
                return obj
        return None

    def support_top(self, support: HouseObject) -> float | None:
        """World height things stand on on `support` (its box top unless the model says lower)."""
        placed = next((p for p in self.placed if p.obj is support), None)
        if placed is None or placed.top is None:
            return None
        return placed.top

    def on_top(self, category: str, support: HouseObject, region=None, tries: int = PLACEMENT_TRIES,
               got: Pick | None = None, jitter_deg: float | None = None, margin_m: float = 0.02) -> HouseObject | None:
        """On `support`'s top surface, inside `region` ((u0, u1, w0, w1) as fractions of its
        width and depth, -0.5..0.5) when given; loose categories get yaw jitter."""
        got = got or self.sized(category, max_height=SURFACE_ITEM_MAX_HEIGHT_M, placement="on_surface")
        if got is None:
            return None
        asset_id, size, category = got.asset_id, got.size, got.category
        top = self.support_top(support)
        if top is None or top + size[1] > self.walls[0].height - 0.05:
            return None
        jitter = jitter_deg if jitter_deg is not None else (25.0 if category in rules.LOOSE else 0.0)
        u0, u1, w0, w1 = region or (-0.5, 0.5, -0.5, 0.5)
        yaw_r = math.radians(support.yaw_deg)
        for _ in range(tries):
            yaw = support.yaw_deg + (self.jitter_deg(jitter) if jitter else 0.0)
            # the jittered box's extent along the support's axes
            a = math.radians(yaw - support.yaw_deg)
            ext_u = abs(math.cos(a)) * size[0] + abs(math.sin(a)) * size[2]
            ext_w = abs(math.sin(a)) * size[0] + abs(math.cos(a)) * size[2]
            lo_u, hi_u = u0 * support.size[0] + ext_u / 2 + margin_m, u1 * support.size[0] - ext_u / 2 - margin_m
            lo_w, hi_w = w0 * support.size[2] + ext_w / 2 + margin_m, w1 * support.size[2] - ext_w / 2 - margin_m
            if hi_u < lo_u or hi_w < lo_w:
                return None
            du, dw = self.rng.uniform(lo_u, hi_u), self.rng.uniform(lo_w, hi_w)
            c = (support.position[0] + math.cos(yaw_r) * du + math.sin(yaw_r) * dw, support.position[2] - math.sin(yaw_r) * du + math.cos(yaw_r) * dw)
            obj = self.add(category, c, yaw, size, top, asset_id, support=support, top=got.top)
            if obj:
                return obj
        return None

    def facing(self, category: str, anchor: HouseObject, gap_m: float, side: float = 1.0, back: bool = True,
               max_height: float | None = None) -> HouseObject | None:
        """In front of `anchor` (side=+1) or behind it (-1), facing it when `back`."""
        got = self.sized(category, max_height=max_height)
        if got is None:
            return None
        asset_id, size, category = got.asset_id, got.size, got.category
        yaw_r = math.radians(anchor.yaw_deg)
        f = np.array([math.sin(yaw_r), math.cos(yaw_r)])
        dist = anchor.size[2] / 2 + gap_m + size[2] / 2
        c = np.array([anchor.position[0], anchor.position[2]]) + side * f * dist
        yaw = anchor.yaw_deg + (180.0 if back and side > 0 else 0.0)
        return self.add(category, c, yaw, size, 0.0, asset_id, top=got.top)

    def beside(self, category: str, anchor: HouseObject, side: float, gap_m: float = 0.05,
               got: Pick | None = None) -> HouseObject | None:
        """Next to `anchor` along its width, same facing, backs aligned (nightstands by a bed)."""
        got = got or self.sized(category)
        if got is None:
            return None
        asset_id, size, category = got.asset_id, got.size, got.category
        yaw_r = math.radians(anchor.yaw_deg)
        right = np.array([math.cos(yaw_r), -math.sin(yaw_r)])
        f = np.array([math.sin(yaw_r), math.cos(yaw_r)])
        c = np.array([anchor.position[0], anchor.position[2]]) + side * right * (anchor.size[0] / 2 + size[0] / 2 + gap_m)
        c = c - f * (anchor.size[2] / 2 - size[2] / 2)
        return self.add(category, c, anchor.yaw_deg, size, 0.0, asset_id, top=got.top)

    def on_ceiling(self, category: str, center_xz=None, got: Pick | None = None) -> HouseObject | None:
        """Hung from the ceiling (top at the ceiling, bottom no lower than
        rules.CEILING_MIN_BOTTOM_M), near `center_xz` or the room's centre."""
        h = self.walls[0].height
        got = got or self.sized(category, max_height=h - rules.CEILING_MIN_BOTTOM_M, placement="ceiling")
        if got is None:
            return None
        base = np.asarray(center_xz if center_xz is not None else self.centroid, float)
        for k in range(PLACEMENT_TRIES):
            c = base + (self.rng.uniform(-0.3, 0.3, 2) if k else 0.0)
            obj = self.add(got.category, c, 90.0 * int(self.rng.integers(4)), got.size, round(h - got.size[1], 6),
                           got.asset_id, mount="ceiling")
            if obj:
                return obj
        return None

    def undo(self, n: int) -> None:
        """Take back the last `n` placements (a group that could not be completed)."""
        for _ in range(n):
            p = self.placed.pop()
            self.next_instance -= 1
            aid = p.obj.asset_id
            if aid:
                self.model_uses[aid] -= 1

    def hang_on(self, anchor: HouseObject, category: str) -> HouseObject | None:
        """Hung over `anchor` (a towel over its rail): centred on it, back on the same wall,
        its top just above the anchor's."""
        got = self.sized(category, max_height=0.8)
        if got is None:
            return None
        yaw_r = math.radians(anchor.yaw_deg)
        f = np.array([math.sin(yaw_r), math.cos(yaw_r)])
        back = np.array([anchor.position[0], anchor.position[2]]) - f * anchor.size[2] / 2
        c = back + f * (got.size[2] / 2)
        lo, hi = rules.WALL_MOUNT_BOTTOM_M[got.category] if got.category in rules.WALL_MOUNT_BOTTOM_M else (0.0, 2.0)
        y0 = min(max(anchor.position[1] + anchor.size[1] / 2 + 0.02 - got.size[1], lo), hi)
        return self.add(got.category, c, anchor.yaw_deg, got.size, round(y0, 4), got.asset_id, support=anchor, mount="wall")

    def place_one(self, category: str, placement: str) -> HouseObject | None:
        """One piece of `category` by placement (wall, corner, middle, wall_mounted, ceiling)."""
        if placement == "wall":
            return self.against_wall(category, placement="wall")
        if placement == "corner":
            return self.against_wall(category, corner=True, placement="corner")
        if placement == "middle":
            return self.in_middle(category, placement="middle")
        if placement == "wall_mounted":
            return self.against_wall(category, placement="wall_mounted")
        if placement == "ceiling":
            return self.on_ceiling(category)
        raise ValueError(f"unknown placement '{placement}' for {category}")

    def place(self, item: Item) -> list[HouseObject]:
        """Place one recipe item (a single piece or a group); return what was placed."""
        if item.placement in GROUPS:
            return GROUPS[item.placement](self)
        if item.placement in ("wall", "corner", "middle", "wall_mounted", "ceiling"):
            got = self.place_one(item.category, item.placement)
        elif item.placement == "on_surface":
            supports = [p.obj for p in self.placed if p.obj.category in SUPPORTS and p.top is not None]
            self.rng.shuffle(supports)
            got = next((o for o in (self.on_top(item.category, s) for s in supports[:4]) if o), None)
        else:
            raise ValueError(f"unknown placement '{item.placement}' for {item.category}")
        return [got] if got else []


def furnish_room(furnisher: RoomFurnisher, quota: int, clutter: bool = True) -> bool:
    """Required recipe items first, then optional ones in random order until `quota` pieces,
    then the room's clutter (houses/clutter.py) when `clutter`.
    Returns False when a required item did not fit (the caller redraws the house)."""
    recipe = ROOM_RECIPES[furnisher.room.room_type]
    out: list[HouseObject] = []
    for item in recipe:
        if item.required:
            placed = furnisher.place(item)
            if not placed:
                return False
            out += placed
    optional = [it for it in recipe if not it.required]
    misses = 0
    while len(out) < quota and optional and misses < 3 * len(optional):
        item = optional[int(furnisher.rng.integers(len(optional)))]
        placed = furnisher.place(item)
        misses += not placed
        out += placed
    furnisher.furniture_count = len(furnisher.placed)
    if clutter:
        from builder.houses.clutter import clutter_room
        clutter_room(furnisher)
    return True
