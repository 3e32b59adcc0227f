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

    def __post_init__(self):
        self.poly = Polygon(self.room.polygon).buffer(-WALL_GAP_M, join_style=2)
        self.centroid = np.array(Polygon(self.room.polygon).centroid.coords[0])
        self.door_zones = unary_union([self._opening_zone(o) for o in self.openings if o.kind == "door"])
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

    def fits(self, poly: Polygon, y0: float, y1: float, on_floor: bool) -> bool:
        if not self.poly.contains(poly):
            return False
        # nothing at door height in front of a door: not furniture, not a painting over the hole
        if y0 < DOOR_CLEAR_HEIGHT_M and poly.intersects(self.door_zones):
            return False
        if y1 > 0.85 and y0 < 2.1 and poly.intersects(self.window_zones):
            return False
        for p in self.placed:
            if p.poly.intersection(poly).area > 1e-6 and min(p.y1, y1) - max(p.y0, y0) > 1e-4:
                return False
        return not on_floor or self.navigable(extra=poly)

    def navigable(self, extra: Polygon | None = None) -> bool:
        """Free space shrunk by the clearance is one piece reaching every door and the centre area."""
        blocked = [p.poly for p in self.placed if p.y0 < 1.8] + ([extra] if extra is not None else [])
        free = self.poly.buffer(-CLEARANCE_M + WALL_GAP_M)
        if blocked:
            free = free.difference(unary_union(blocked).buffer(CLEARANCE_M))
        parts = list(getattr(free, "geoms", [free]))
        if not parts or free.is_empty:
            return False
        main = max(parts, key=lambda g: g.area)
        return main.area > 0.5 and all(main.distance(pt) < 0.05 for pt in self.door_points)

    # ---- placing ---------------------------------------------------------------------------

    def add(self, category: str, center_xz, yaw_deg: float, size, y0: float = 0.0, asset_id: str = "") -> HouseObject | None:
        sx, sy, sz = size
        poly = Polygon(obb_corners_2d(center_xz[0], center_xz[1], sx, sz, yaw_deg))
        if not self.fits(poly, y0, y0 + sy, on_floor=y0 < 0.05):
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
        )
        self.next_instance += 1
        self.placed.append(Placed(obj, poly, y0, y0 + sy))
        return obj

    def sized(self, category: str, max_height: float | None = None, placement: str | None = None):
        """(asset_id, jittered size, the model's category) for a model of `category`, or None."""
        picked = self.pick_asset(category, self.rng, max_height, placement)
        if picked is None:
            return None
        asset_id, size, model_category = picked
        k = 1.0 + self.rng.uniform(-SIZE_JITTER, SIZE_JITTER)
        return asset_id, tuple(round(v * k, 4) for v in size), model_category

    def against_wall(self, category: str, corner: bool = False, height_m: float = 0.0, placement: str | None = None) -> HouseObject | None:
        """Back against a random wall (or into a corner), front facing into the room."""
        got = self.sized(category, placement=placement)
        if got is None:
            return None
        asset_id, size, category = got
        # every wall in random order, a few positions along each: required pieces need a
        # thorough search, and the order keeps the choice random
        for k in self.rng.permutation(len(self.walls)):
            wall = self.walls[int(k)]
            d, n = self._inward(wall)
            half_w = size[0] / 2 + WALL_GAP_M
            if wall.length < 2 * half_w:
                continue
            if corner:
                us = [half_w, wall.length - half_w] if self.rng.random() < 0.5 else [wall.length - half_w, half_w]
            else:
                us = self.rng.uniform(half_w, wall.length - half_w, PLACEMENT_TRIES // 2)
            for u in us:
                c = np.array(wall.p0) + d * u + n * (size[2] / 2 + WALL_GAP_M)
                yaw = math.degrees(math.atan2(n[0], n[1]))
                obj = self.add(category, c, yaw, size, height_m, asset_id)
                if obj:
                    return obj
        return None

    def in_middle(self, category: str, placement: str | None = None) -> HouseObject | None:
        got = self.sized(category, placement=placement)
        if got is None:
            return None
        asset_id, size, category = got
        for _ in range(PLACEMENT_TRIES):
            c = self.centroid + self.rng.uniform(-1.0, 1.0, 2)
            yaw = 90.0 * int(self.rng.integers(4))
            obj = self.add(category, c, yaw, size, 0.0, asset_id)
            if obj:
                return obj
        return None

    def on_top(self, category: str, support: HouseObject) -> HouseObject | None:
        got = self.sized(category, max_height=SURFACE_ITEM_MAX_HEIGHT_M, placement="on_surface")
        if got is None:
            return None
        asset_id, size, category = got
        top = support.position[1] + support.size[1] / 2
        free_w, free_d = support.size[0] - size[0] - 0.04, support.size[2] - size[2] - 0.04
        if free_w < 0 or free_d < 0:
            return None
        yaw_r = math.radians(support.yaw_deg)
        for _ in range(PLACEMENT_TRIES):
            du, dw = self.rng.uniform(-free_w / 2, free_w / 2), self.rng.uniform(-free_d / 2, free_d / 2)
            c = (support.position[0] + math.cos(yaw_r) * du + math.sin(yaw_r) * dw, support.position[2] - math.sin(yaw_r) * du + math.cos(yaw_r) * dw)
            obj = self.add(category, c, support.yaw_deg, size, top, asset_id)
            if obj:
                return obj
        return None

    def facing(self, category: str, anchor: HouseObject, gap_m: float, side: float = 1.0, back: bool = True) -> HouseObject | None:
        """In front of `anchor` (side=+1) or behind it (-1), facing it when `back`."""
        got = self.sized(category)
        if got is None:
            return None
        asset_id, size, category = got
        yaw_r = math.radians(anchor.yaw_deg)
        f = np.array([math.sin(yaw_r), math.cos(yaw_r)])
        dist = anchor.size[2] / 2 + gap_m + size[2] / 2
        c = np.array([anchor.position[0], anchor.position[2]]) + side * f * dist
        yaw = anchor.yaw_deg + (180.0 if back and side > 0 else 0.0)
        return self.add(category, c, yaw, size, 0.0, asset_id)

    def beside(self, category: str, anchor: HouseObject, side: float) -> HouseObject | None:
        """Next to `anchor` along its width, same facing, backs aligned (nightstands by a bed)."""
        got = self.sized(category)
        if got is None:
            return None
        asset_id, size, category = got
        yaw_r = math.radians(anchor.yaw_deg)
        right = np.array([math.cos(yaw_r), -math.sin(yaw_r)])
        f = np.array([math.sin(yaw_r), math.cos(yaw_r)])
        c = np.array([anchor.position[0], anchor.position[2]]) + side * right * (anchor.size[0] / 2 + size[0] / 2 + 0.05)
        c = c - f * (anchor.size[2] / 2 - size[2] / 2)
        return self.add(category, c, anchor.yaw_deg, size, 0.0, asset_id)

    def place(self, item: Item) -> list[HouseObject]:
        """Place one recipe item (a single piece or a group); return what was placed."""
        if item.placement in GROUPS:
            return GROUPS[item.placement](self)
        if item.placement == "wall":
            got = self.against_wall(item.category, placement="wall")
        elif item.placement == "corner":
            got = self.against_wall(item.category, corner=True, placement="corner")
        elif item.placement == "middle":
            got = self.in_middle(item.category, placement="middle")
        elif item.placement == "wall_mounted":
            height = round(float(self.rng.uniform(1.2, 1.5)), 3)
            got = self.against_wall(item.category, height_m=height, placement="wall_mounted")
        elif item.placement == "on_surface":
            supports = [p.obj for p in self.placed if p.obj.category in SUPPORTS]
            self.rng.shuffle(supports)
            got = next((o for o in (self.on_top(item.category, s) for s in supports[:4]) if o), None)
        else:
            raise ValueError(f"unknown placement '{item.placement}' for {item.category}")
        return [got] if got else []


def furnish_room(furnisher: RoomFurnisher, quota: int) -> bool:
    """Required recipe items first, then optional ones in random order until `quota` pieces.
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
    return True
