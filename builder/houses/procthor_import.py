"""ProcTHOR house JSON (e.g. a line of ProcTHOR-10K) -> our house spec, for the embedded renderer.

Geometry goes through `thor_frame` (the one left- to right-handed mirror). Every AI2-THOR asset
is replaced by one of our models of the same object type (the first category in
`assets/categories.py` whose `procthor_type` matches), scaled to the asset's bounding box from
ProcTHOR's asset database, so sizes, positions and yaws are ProcTHOR's while the shapes are ours.
Objects whose type we have no model for are left out and counted in the house's metadata
(`simsv_import.skipped`), as are objects that lie in no room. The AI2-THOR asset of every
imported object is kept in `simsv_import.thor_assets`, for sending the house back to AI2-THOR.

Conventions taken from ProcTHOR's generator: an object's `position` is the centre of its
bounding box, and at rotation 0 an asset's front faces +z (objects against a wall at the low-z
side of a room get rotation 0). Only the yaw (rotation.y) is kept; tilted objects (rotation.x or
.z beyond 1 degree) are imported upright and counted in `simsv_import.tilted`.

The asset database is JSON data from the `procthor` package (0.0.1.dev2, Apache-2.0); its code,
which needs the Unity simulator, is never imported.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections import Counter
from functools import lru_cache
from pathlib import Path

from shapely.geometry import Point, Polygon

from builder.houses import thor_frame
from builder.houses.spec import (
    MAX_OBJECT_INSTANCES,
    ROOM_TYPES,
    WALL_ID_BASE,
    House,
    HouseObject,
    HouseSpecError,
    Opening,
    Room,
    Wall,
    _Reader,
    polygon_area,
)

TILT_TOLERANCE_DEG = 1.0  # rotation.x / .z below this counts as upright


@lru_cache(maxsize=1)
def thor_asset_sizes() -> dict[str, tuple[str, tuple[float, float, float]]]:
    """assetId -> (objectType, bounding-box size x, y, z in metres) from ProcTHOR's asset database."""
    try:
        import procthor
    except ImportError:
        raise RuntimeError("ProcTHOR import needs the procthor package's asset database: "
                           "pip install --no-deps procthor==0.0.1.dev2 (Apache-2.0; scripts/install.sh does this)") from None
    db = json.loads((Path(procthor.__file__).parent / "databases" / "asset-database.json").read_text())
    out = {}
    for object_type, assets in db.items():
        for a in assets:
            b = a["boundingBox"]
            out[a["assetId"]] = (object_type, (float(b["x"]), float(b["y"]), float(b["z"])))
    return out


@lru_cache(maxsize=4)
def read_procthor_houses(path: str) -> tuple[dict, ...]:
    """Houses of a file, in order: a .json house or list of houses, or .jsonl (optionally .gz)
    with one house per line, as ProcTHOR-10K ships them."""
    p = Path(path)
    opener = gzip.open if p.suffix == ".gz" else open
    name = p.name[:-3] if p.suffix == ".gz" else p.name
    try:
        with opener(p, "rt", encoding="utf-8") as f:
            if name.endswith(".jsonl"):
                houses = []
                for n, line in enumerate(f, 1):
                    if line.strip():
                        try:
                            houses.append(json.loads(line))
                        except json.JSONDecodeError as e:
                            raise HouseSpecError(f"{p}: line {n}: not valid JSON ({e.msg})") from None
            else:
                data = json.load(f)
                houses = data if isinstance(data, list) else [data]
    except FileNotFoundError:
        raise HouseSpecError(f"{p}: file not found") from None
    except json.JSONDecodeError as e:
        raise HouseSpecError(f"{p}: not valid JSON ({e.msg} at line {e.lineno})") from None
    except (EOFError, gzip.BadGzipFile, zlib.error, UnicodeDecodeError) as e:  # a truncated or damaged download
        raise HouseSpecError(f"{p}: damaged or truncated file ({e})") from None
    if not houses:
        raise HouseSpecError(f"{p}: no houses in the file")
    return tuple(houses)


def substitute(object_type: str, thor_asset_id: str, catalog):
    """Our model for an AI2-THOR asset: a stable pick among the entries of the category that
    matches its type (the same AI2-THOR asset always gets the same model), or None."""
    from builder.assets.categories import CATEGORIES

    for info in CATEGORIES.values():
        if info.procthor_type == object_type:
            entries = catalog.entries_for(info.name)
            if entries:
                pick = int.from_bytes(hashlib.sha256(thor_asset_id.encode()).digest()[:8], "big") % len(entries)
                return entries[pick]
    return None


def import_house(data: dict, index: int, seed: int, catalog, source: str = "<procthor>") -> House:
    """One ProcTHOR house as our `House`; HouseSpecError names the first bad field."""
    rd = _Reader(f"{source} (house {index})")
    if not isinstance(data, dict):
        rd.fail("<root>", f"expected a JSON object, got {type(data).__name__}")

    rooms, shapes = [], {}
    for i, r in enumerate(rd.items(data, "rooms", "")):
        p = f"rooms[{i}]"
        pts = [rd.point(q, f"{p}.floorPolygon[{j}]") for j, q in enumerate(rd.items(r, "floorPolygon", p))]
        if len(pts) < 3:
            rd.fail(f"{p}.floorPolygon", f"needs at least 3 points, got {len(pts)}")
        poly = [(round(x, 6) + 0.0, round(z, 6) + 0.0) for x, z in thor_frame.from_thor_polygon([{"x": a, "y": b, "z": c} for a, b, c in pts])]
        if polygon_area(poly) < 0:
            poly.reverse()  # our rooms are counter-clockwise in (x, z)
        if abs(polygon_area(poly)) < 1e-6:
            rd.fail(f"{p}.floorPolygon", "has zero area")
        room_type = rd.get(r, "roomType", p, str)
        if room_type not in ROOM_TYPES:
            rd.fail(f"{p}.roomType", f"unknown room type '{room_type}' (known: {', '.join(ROOM_TYPES)})")
        room_id = str(rd.get(r, "id", p, (str, int)))
        rooms.append(Room(id=room_id, room_type=room_type, polygon=tuple(poly), index=i))
        shapes[room_id] = Polygon(poly)
    if not rooms:
        rd.fail("rooms", "a house needs at least one room")

    walls = []
    for i, w in enumerate(rd.items(data, "walls", "")):
        p = f"walls[{i}]"
        room_id = str(rd.get(w, "roomId", p, (str, int)))
        if room_id not in shapes:
            continue  # e.g. the outside face of an exterior wall: nothing in a room sees it
        pts = [rd.point(q, f"{p}.polygon[{j}]") for j, q in enumerate(rd.items(w, "polygon", p))]
        if len(pts) < 4:
            rd.fail(f"{p}.polygon", f"expected 4 corners, got {len(pts)}")
        (x0, _, z0), (x1, _, z1) = (thor_frame.from_thor_point({"x": a, "y": b, "z": c}) for a, b, c in pts[:2])
        height = max(q[1] for q in pts)
        walls.append(Wall(rd.get(w, "id", p, str), room_id, (x0, z0), (x1, z1), height, WALL_ID_BASE + len(walls)))
    if not walls:
        rd.fail("walls", "no wall belongs to a room")
    wall_ids = {w.id for w in walls}
    wall_height = max(w.height for w in walls)

    next_id = iter(range(1, MAX_OBJECT_INSTANCES + 1))
    report = {"skipped": Counter(), "outside": 0, "tilted": 0}
    thor_assets = {}  # object id -> its AI2-THOR asset, so the house can go back to AI2-THOR as it was
    objects = []
    sizes = thor_asset_sizes()

    def add_object(o: dict, p: str) -> None:
        asset = rd.get(o, "assetId", p, str)
        object_type, size = sizes.get(asset, (str(o.get("objectType") or rd.get(o, "id", p, str).split("|")[0]), None))
        if size is None:
            rd.fail(f"{p}.assetId", f"'{asset}' is not in ProcTHOR's asset database")
        rot = rd.get(o, "rotation", p, dict)
        if abs(rd.num(rot, "x", f"{p}.rotation")) > TILT_TOLERANCE_DEG or abs(rd.num(rot, "z", f"{p}.rotation")) > TILT_TOLERANCE_DEG:
            report["tilted"] += 1
        pos = thor_frame.from_thor_point(dict(zip("xyz", rd.point(rd.get(o, "position", p, dict), f"{p}.position"))))
        entry = substitute(object_type, asset, catalog)
        room = next((rid for rid, shape in shapes.items() if shape.covers(Point(pos[0], pos[2]))), None)
        if entry is None:
            report["skipped"][object_type] += 1
        elif room is None:
            report["outside"] += 1
        else:
            iid = next(next_id, None)
            if iid is None:
                rd.fail("objects", f"more than {MAX_OBJECT_INSTANCES} objects, doors and windows")
            thor_assets[rd.get(o, "id", p, str)] = asset
            objects.append(HouseObject(
                id=rd.get(o, "id", p, str), object_type=object_type, asset_id=entry.asset_id,
                position=tuple(round(v, 6) + 0.0 for v in pos),
                yaw_deg=round(thor_frame.from_thor_yaw(rd.num(rot, "y", f"{p}.rotation")), 6),
                size=tuple(round(v, 6) for v in size), instance_id=iid, category=entry.category, room_id=room))
        for j, child in enumerate(o.get("children") or []):
            add_object(child, f"{p}.children[{j}]")

    for i, o in enumerate(rd.items(data, "objects", "")):
        add_object(o, f"objects[{i}]")

    def openings(key: str) -> list[Opening]:
        out = []
        for i, o in enumerate(data.get(key) or []):
            p = f"{key}[{i}]"
            u0, v0, u1, v1 = rd.hole(o, p)
            wall0, wall1 = rd.get(o, "wall0", p, str), o.get("wall1")
            if wall0 not in wall_ids:
                wall0, wall1 = wall1, None  # a door's room-side wall may be listed second
                if wall0 not in wall_ids:
                    rd.fail(f"{p}.wall0", f"names no wall of a room ('{o.get('wall0')}', '{o.get('wall1')}')")
            room0, room1 = str(o.get("room0")), o.get("room1")
            iid = next(next_id, None)
            if iid is None:
                rd.fail(key, f"more than {MAX_OBJECT_INSTANCES} objects, doors and windows")
            out.append(Opening(
                id=rd.get(o, "id", p, str), kind=key[:-1], wall0=wall0,
                wall1=wall1 if wall1 in wall_ids else None,
                room0=room0 if room0 in shapes else next(w.room_id for w in walls if w.id == wall0),
                room1=str(room1) if room1 is not None and str(room1) in shapes and str(room1) != room0 else None,
                hole=(u0, v0, u1, v1), asset_id=rd.get(o, "assetId", p, str), instance_id=iid, category=key[:-1]))
        return out

    doors, windows = openings("doors"), openings("windows")
    meta = {"source": "procthor", "procthor_index": index,
            "simsv_import": {"skipped": dict(sorted(report["skipped"].items())), "outside": report["outside"],
                             "tilted": report["tilted"], "thor_assets": thor_assets}}
    house = House(id=f"procthor_{index:06d}", seed=seed, wall_height=wall_height, rooms=rooms, walls=walls,
                  doors=doors, windows=windows, objects=objects, metadata=meta)
    return House.from_json(house.to_json(), f"{source} (house {index})")  # our own validation too
