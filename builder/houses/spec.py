"""The house spec: a ProcTHOR-compatible house JSON plus the fields our renderer and QA need.

World frame: metres, y up, right-handed; floors lie at y = 0. A 2D point (x, z) is a
position on the floor plan. Yaw is a rotation about +y in degrees; yaw 0 means the
object's front faces +z, yaw 90 means it faces +x.

The JSON keeps ProcTHOR's top-level keys (rooms, walls, doors, windows, objects,
proceduralParameters, metadata) and field names (roomType, floorPolygon, assetId,
position, rotation, holePolygon, ...) so a house can be sent to AI2-THOR's CreateHouse;
everything we add lives under a `simsv` key on each element.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

SCHEMA_VERSION = "simsv-house/1"

# Instance ids: 0 is "nothing rendered". Objects, doors and windows take 1..999 (their
# order in the spec); structure takes fixed offsets so any id names its element.
MAX_OBJECT_INSTANCES = 999
FLOOR_ID_BASE = 1000
WALL_ID_BASE = 2000
CEILING_ID_BASE = 4000

ROOM_TYPES = ("Kitchen", "LivingRoom", "Bedroom", "Bathroom", "Office", "DiningRoom", "Hallway")


class HouseSpecError(ValueError):
    """A malformed house spec; the message names the file and the field."""


@dataclass(frozen=True)
class Room:
    id: str
    room_type: str
    polygon: tuple[tuple[float, float], ...]  # floor outline (x, z), counter-clockwise in the (x, z) plane

    @property
    def area_m2(self) -> float:
        return abs(polygon_area(self.polygon))

    index: int = 0  # position in the house's room list; floor id = FLOOR_ID_BASE + index


@dataclass(frozen=True)
class Wall:
    """One side of one room: a vertical rectangle from p0 to p1, seen from inside the room."""

    id: str
    room_id: str
    p0: tuple[float, float]
    p1: tuple[float, float]
    height: float
    instance_id: int

    @property
    def length(self) -> float:
        return math.dist(self.p0, self.p1)


@dataclass(frozen=True)
class DoorLeaf:
    """How a door's leaf stands (houses/doors.py): open `angle_deg` from closed, hinged at the
    hole's `hinge` end ("u0" or "u1"), swung into room `into`."""

    angle_deg: float
    hinge: str
    into: str


@dataclass(frozen=True)
class Opening:
    """A door or window: a hole in one or two walls. `hole` is (u0, v0, u1, v1): u metres along
    wall0 from its p0, v metres above the floor (ProcTHOR's holePolygon)."""

    id: str
    kind: str  # "door" or "window"
    wall0: str
    wall1: str | None  # the back-to-back wall of the neighbouring room (doors), None on exterior walls
    room0: str
    room1: str | None
    hole: tuple[float, float, float, float]
    asset_id: str
    instance_id: int
    category: str  # "door" or "window"
    leaf: DoorLeaf | None = None  # doors between rooms of generated houses; None: an open doorway


@dataclass(frozen=True)
class HouseObject:
    """A piece of furniture. `position` is the centre of its oriented box, `size` the box's
    (x, y, z) extent in the object's own frame before the yaw."""

    id: str
    object_type: str  # ProcTHOR / AI2-THOR objectType, e.g. "Sofa"
    asset_id: str  # our mesh reference, e.g. "sh3d/BlendSwap-CC-0/sofa" or "parametric/tv"
    position: tuple[float, float, float]
    yaw_deg: float
    size: tuple[float, float, float]
    instance_id: int
    category: str  # canonical category used by the QA engine
    room_id: str
    support_id: int = 0  # instance id of the object it stands on (0: floor, wall or ceiling)
    mount: str = "floor"  # floor | surface | wall | ceiling (see houses/rules.py)

    def footprint(self) -> list[tuple[float, float]]:
        """The box's four floor-plan corners (x, z)."""
        return obb_corners_2d(self.position[0], self.position[2], self.size[0], self.size[2], self.yaw_deg)


@dataclass
class House:
    id: str
    seed: int
    wall_height: float
    rooms: list[Room]
    walls: list[Wall]
    doors: list[Opening]
    windows: list[Opening]
    objects: list[HouseObject]
    metadata: dict = field(default_factory=dict)

    def room(self, room_id: str) -> Room:
        for r in self.rooms:
            if r.id == room_id:
                return r
        raise KeyError(room_id)

    def wall(self, wall_id: str) -> Wall:
        for w in self.walls:
            if w.id == wall_id:
                return w
        raise KeyError(wall_id)

    def instance_names(self) -> dict[int, str]:
        """Every instance id rendered for this house -> the element id it names."""
        names = {o.instance_id: o.id for o in self.objects}
        names.update({o.instance_id: o.id for o in self.doors + self.windows})
        for r in self.rooms:
            names[FLOOR_ID_BASE + r.index] = f"floor|{r.id}"
            names[CEILING_ID_BASE + r.index] = f"ceiling|{r.id}"
        names.update({w.instance_id: w.id for w in self.walls})
        return names

    # ---- JSON round trip -------------------------------------------------------------

    def to_json(self) -> dict:
        return house_to_json(self)

    @classmethod
    def from_json(cls, data: dict, source: str = "<house>") -> "House":
        return house_from_json(data, source)

    def save(self, path: str | Path) -> None:
        from builder.io import write_text_atomic

        write_text_atomic(Path(path), json.dumps(self.to_json(), indent=1, sort_keys=True))

    @classmethod
    def load(cls, path: str | Path) -> "House":
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise HouseSpecError(f"{path}: file not found") from None
        except json.JSONDecodeError as e:
            raise HouseSpecError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from None
        return house_from_json(data, str(path))


# ---- geometry helpers used by the spec and its validation --------------------------------


def polygon_area(poly) -> float:
    """Signed shoelace area in the (x, z) plane; positive when counter-clockwise in (x, z)."""
    s = 0.0
    for (x0, z0), (x1, z1) in zip(poly, list(poly[1:]) + [poly[0]]):
        s += x0 * z1 - x1 * z0
    return 0.5 * s


def obb_corners_2d(cx, cz, sx, sz, yaw_deg) -> list[tuple[float, float]]:
    """Corners of a yawed rectangle. Yaw rotates +z toward +x: local (u, w) -> world."""
    c, s = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    out = []
    for u, w in ((-sx / 2, -sz / 2), (sx / 2, -sz / 2), (sx / 2, sz / 2), (-sx / 2, sz / 2)):
        out.append((cx + c * u + s * w, cz - s * u + c * w))
    return out


def opening_segment(opening: Opening, wall0: Wall) -> tuple[tuple[float, float], tuple[float, float]]:
    """World (x, z) end points of a door or window hole, from its position along wall0."""
    (x0, z0), (x1, z1) = wall0.p0, wall0.p1
    L = wall0.length
    u0, _, u1, _ = opening.hole
    at = lambda u: (x0 + (x1 - x0) * u / L, z0 + (z1 - z0) * u / L)  # noqa: E731
    return at(u0), at(u1)


# ---- serialisation ------------------------------------------------------------------------


def _pt3(x, y, z) -> dict:
    return {"x": round(x, 6), "y": round(y, 6), "z": round(z, 6)}


def house_to_json(h: House) -> dict:
    rooms = [
        {
            "id": r.id,
            "roomType": r.room_type,
            "floorPolygon": [_pt3(x, 0.0, z) for x, z in r.polygon],
            "simsv": {"areaM2": round(r.area_m2, 6), "index": r.index},
        }
        for r in h.rooms
    ]
    walls = [
        {
            "id": w.id,
            "roomId": w.room_id,
            "polygon": [
                _pt3(w.p0[0], 0.0, w.p0[1]),
                _pt3(w.p1[0], 0.0, w.p1[1]),
                _pt3(w.p1[0], w.height, w.p1[1]),
                _pt3(w.p0[0], w.height, w.p0[1]),
            ],
            "simsv": {"instanceId": w.instance_id},
        }
        for w in h.walls
    ]

    def opening(o: Opening) -> dict:
        u0, v0, u1, v1 = o.hole
        return {
            "id": o.id,
            "assetId": o.asset_id,
            "wall0": o.wall0,
            "wall1": o.wall1,
            "room0": o.room0,
            "room1": o.room1,
            "holePolygon": [_pt3(u0, v0, 0.0), _pt3(u1, v1, 0.0)],
            "simsv": {"instanceId": o.instance_id, "category": o.category,
                      **({"leaf": {"angleDeg": o.leaf.angle_deg, "hinge": o.leaf.hinge, "into": o.leaf.into}}
                         if o.leaf is not None else {})},
            # ProcTHOR's own key: how far open, 0 (shut) to 1 (square); AI2-THOR opens its door to it
            **({"openness": round(min(1.0, o.leaf.angle_deg / 90.0), 6)} if o.leaf is not None else {}),
        }

    objects = [
        {
            "id": o.id,
            "objectType": o.object_type,
            "assetId": o.asset_id,
            "position": _pt3(*o.position),
            "rotation": _pt3(0.0, o.yaw_deg, 0.0),
            "kinematic": True,
            "simsv": {
                "instanceId": o.instance_id,
                "category": o.category,
                "roomId": o.room_id,
                "obb": {
                    "center": [round(v, 6) for v in o.position],
                    "size": [round(v, 6) for v in o.size],
                    "yawDeg": round(o.yaw_deg, 6),
                },
                "mesh": o.asset_id,
                **({"supportId": o.support_id} if o.support_id else {}),
                **({"mount": o.mount} if o.mount != "floor" else {}),
            },
        }
        for o in h.objects
    ]
    return {
        "version": SCHEMA_VERSION,
        "id": h.id,
        "rooms": rooms,
        "walls": walls,
        "doors": [opening(o) for o in h.doors],
        "windows": [opening(o) for o in h.windows],
        "objects": objects,
        "proceduralParameters": {"wallHeight": h.wall_height, "seed": h.seed},
        "metadata": {"schema": SCHEMA_VERSION, **h.metadata},
    }


class _Reader:
    """Field access that turns every missing or mistyped field into one HouseSpecError
    naming the source file and the JSON path of the field."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, path: str, msg: str):
        raise HouseSpecError(f"{self.source}: field '{path}': {msg}")

    def get(self, obj, key, path, kind=None):
        if not isinstance(obj, dict) or key not in obj:
            self.fail(f"{path}.{key}" if path else key, "missing")
        val = obj[key]
        wrong_type = kind is not None and not isinstance(val, kind)
        if wrong_type or (isinstance(val, bool) and kind is not bool):
            self.fail(f"{path}.{key}" if path else key, f"expected {getattr(kind, '__name__', 'number')}, got {type(val).__name__}")
        return val

    def num(self, obj, key, path) -> float:
        v = self.get(obj, key, path, (int, float))
        if not math.isfinite(v):
            self.fail(f"{path}.{key}", f"not a finite number ({v})")
        return float(v)

    def point(self, obj, path, keys=("x", "y", "z")) -> tuple[float, ...]:
        if not isinstance(obj, dict):
            self.fail(path, f"expected an object with {'/'.join(keys)}, got {type(obj).__name__}")
        return tuple(self.num(obj, k, path) for k in keys)

    def items(self, obj, key, path) -> list:
        return self.get(obj, key, path, list)

    def hole(self, opening, path) -> tuple[float, float, float, float]:
        """A door's or window's holePolygon: two corners (u along the wall, v up) -> (u0, v0, u1, v1)."""
        hole = self.items(opening, "holePolygon", path)
        if len(hole) != 2:
            self.fail(f"{path}.holePolygon", f"expected 2 corners, got {len(hole)}")
        (u0, v0, _), (u1, v1, _) = (self.point(q, f"{path}.holePolygon[{j}]") for j, q in enumerate(hole))
        if not (u1 > u0 and v1 > v0):
            self.fail(f"{path}.holePolygon", "second corner must be above and right of the first")
        return u0, v0, u1, v1


    def leaf(self, sim, path, room0, room1) -> DoorLeaf:
        leaf = self.get(sim, "leaf", path, dict)
        p = f"{path}.leaf"
        angle = self.num(leaf, "angleDeg", p)
        if not 0.0 <= angle <= 180.0:
            self.fail(f"{p}.angleDeg", f"must be 0..180, got {angle}")
        hinge = self.get(leaf, "hinge", p, str)
        if hinge not in ("u0", "u1"):
            self.fail(f"{p}.hinge", f"must be 'u0' or 'u1', got '{hinge}'")
        into = self.get(leaf, "into", p, str)
        if into not in (room0, room1):
            self.fail(f"{p}.into", f"names '{into}', not one of the door's rooms ({room0}, {room1})")
        return DoorLeaf(angle, hinge, into)


def house_from_json(data: dict, source: str = "<house>") -> House:
    """Parse and validate a house JSON; raise HouseSpecError naming the first bad field."""
    rd = _Reader(source)
    if not isinstance(data, dict):
        rd.fail("<root>", f"expected a JSON object, got {type(data).__name__}")
    version = rd.get(data, "version", "", str)
    if version != SCHEMA_VERSION:
        rd.fail("version", f"unsupported '{version}', this build reads '{SCHEMA_VERSION}'")
    params = rd.get(data, "proceduralParameters", "", dict)
    wall_height = rd.num(params, "wallHeight", "proceduralParameters")

    rooms = []
    for i, r in enumerate(rd.items(data, "rooms", "")):
        p = f"rooms[{i}]"
        poly = tuple(rd.point(q, f"{p}.floorPolygon[{j}]")[::2] for j, q in enumerate(rd.items(r, "floorPolygon", p)))
        if len(poly) < 3:
            rd.fail(f"{p}.floorPolygon", f"needs at least 3 points, got {len(poly)}")
        if abs(polygon_area(poly)) < 1e-6:
            rd.fail(f"{p}.floorPolygon", "has zero area")
        room_type = rd.get(r, "roomType", p, str)
        if room_type not in ROOM_TYPES:
            rd.fail(f"{p}.roomType", f"unknown room type '{room_type}' (known: {', '.join(ROOM_TYPES)})")
        rooms.append(Room(id=rd.get(r, "id", p, str), room_type=room_type, polygon=poly, index=i))
    if not rooms:
        rd.fail("rooms", "a house needs at least one room")
    room_ids = {r.id for r in rooms}
    if len(room_ids) != len(rooms):
        rd.fail("rooms", "room ids are not unique")

    walls = []
    for i, w in enumerate(rd.items(data, "walls", "")):
        p = f"walls[{i}]"
        poly = [rd.point(q, f"{p}.polygon[{j}]") for j, q in enumerate(rd.items(w, "polygon", p))]
        if len(poly) != 4:
            rd.fail(f"{p}.polygon", f"expected 4 corners, got {len(poly)}")
        room_id = rd.get(w, "roomId", p, str)
        if room_id not in room_ids:
            rd.fail(f"{p}.roomId", f"names unknown room '{room_id}'")
        inst = int(rd.num(rd.get(w, "simsv", p, dict), "instanceId", f"{p}.simsv"))
        walls.append(Wall(rd.get(w, "id", p, str), room_id, (poly[0][0], poly[0][2]), (poly[1][0], poly[1][2]), poly[2][1], inst))
    wall_ids = {w.id for w in walls}

    def openings(key: str) -> list[Opening]:
        out = []
        for i, o in enumerate(rd.items(data, key, "")):
            p = f"{key}[{i}]"
            u0, v0, u1, v1 = rd.hole(o, p)
            wall0 = rd.get(o, "wall0", p, str)
            if wall0 not in wall_ids:
                rd.fail(f"{p}.wall0", f"names unknown wall '{wall0}'")
            wall1 = o.get("wall1")
            if wall1 is not None and wall1 not in wall_ids:
                rd.fail(f"{p}.wall1", f"names unknown wall '{wall1}'")
            room0 = rd.get(o, "room0", p, str)
            room1 = o.get("room1")
            for k, rid in (("room0", room0), ("room1", room1)):
                if rid is not None and rid not in room_ids:
                    rd.fail(f"{p}.{k}", f"names unknown room '{rid}'")
            sim = rd.get(o, "simsv", p, dict)
            out.append(
                Opening(
                    id=rd.get(o, "id", p, str),
                    kind=key[:-1],
                    wall0=wall0,
                    wall1=wall1,
                    room0=room0,
                    room1=room1,
                    hole=(u0, v0, u1, v1),
                    asset_id=rd.get(o, "assetId", p, str),
                    instance_id=int(rd.num(sim, "instanceId", f"{p}.simsv")),
                    category=rd.get(sim, "category", f"{p}.simsv", str),
                    leaf=rd.leaf(sim, f"{p}.simsv", room0, room1) if "leaf" in sim else None,
                )
            )
        return out

    doors, windows = openings("doors"), openings("windows")

    objects = []
    for i, o in enumerate(rd.items(data, "objects", "")):
        p = f"objects[{i}]"
        sim = rd.get(o, "simsv", p, dict)
        obb = rd.get(sim, "obb", f"{p}.simsv", dict)
        size = rd.items(obb, "size", f"{p}.simsv.obb")
        if len(size) != 3 or not all(isinstance(v, (int, float)) and v > 0 for v in size):
            rd.fail(f"{p}.simsv.obb.size", f"expected 3 positive numbers, got {size!r}")
        room_id = rd.get(sim, "roomId", f"{p}.simsv", str)
        if room_id not in room_ids:
            rd.fail(f"{p}.simsv.roomId", f"names unknown room '{room_id}'")
        objects.append(
            HouseObject(
                id=rd.get(o, "id", p, str),
                object_type=rd.get(o, "objectType", p, str),
                asset_id=rd.get(o, "assetId", p, str),
                position=rd.point(rd.get(o, "position", p, dict), f"{p}.position"),
                yaw_deg=rd.num(rd.get(o, "rotation", p, dict), "y", f"{p}.rotation"),
                size=tuple(float(v) for v in size),
                instance_id=int(rd.num(sim, "instanceId", f"{p}.simsv")),
                category=rd.get(sim, "category", f"{p}.simsv", str),
                room_id=room_id,
                support_id=int(sim.get("supportId", 0)),
                mount=str(sim.get("mount", "floor")),
            )
        )

    ids = [o.instance_id for o in objects + doors + windows]
    for i, iid in enumerate(ids):
        if not 1 <= iid <= MAX_OBJECT_INSTANCES:
            rd.fail("objects", f"instance id {iid} outside 1..{MAX_OBJECT_INSTANCES}")
    if len(set(ids)) != len(ids):
        rd.fail("objects", "instance ids of objects, doors and windows are not unique")

    return House(
        id=rd.get(data, "id", "", str),
        seed=int(params.get("seed", 0)),
        wall_height=wall_height,
        rooms=rooms,
        walls=walls,
        doors=doors,
        windows=windows,
        objects=objects,
        metadata={k: v for k, v in rd.get(data, "metadata", "", dict).items() if k != "schema"},
    )
