"""Scene metadata: the per-house ground truth the QA engine reads (rooms with areas, objects
with oriented boxes and their 8 corners, doors and windows), derived from the house spec."""

from __future__ import annotations

import math

from builder.houses.spec import House, opening_segment

SCENE_SCHEMA_VERSION = "simsv-scene/1"


def obb_corners_3d(center, size, yaw_deg) -> list[list[float]]:
    """The 8 corners of an oriented box (yaw about +y), bottom face first."""
    cx, cy, cz = center
    sx, sy, sz = size
    c, s = math.cos(math.radians(yaw_deg)), math.sin(math.radians(yaw_deg))
    out = []
    for dy in (-sy / 2, sy / 2):
        for u, w in ((-sx / 2, -sz / 2), (sx / 2, -sz / 2), (sx / 2, sz / 2), (-sx / 2, sz / 2)):
            out.append([round(cx + c * u + s * w, 6), round(cy + dy, 6), round(cz - s * u + c * w, 6)])
    return out


def scene_metadata(house: House) -> dict:
    walls = {w.id: w for w in house.walls}

    def opening(o):
        a, b = opening_segment(o, walls[o.wall0])
        return {
            "instance_id": o.instance_id, "id": o.id, "category": o.category, "rooms": [r for r in (o.room0, o.room1) if r],
            "segment": [[round(v, 6) for v in a], [round(v, 6) for v in b]], "bottom_m": o.hole[1], "top_m": o.hole[3],
        }

    return {
        "version": SCENE_SCHEMA_VERSION,
        "house_id": house.id,
        "rooms": [
            {"id": r.id, "room_type": r.room_type, "polygon": [list(p) for p in r.polygon], "area_m2": round(r.area_m2, 6)}
            for r in house.rooms
        ],
        "objects": [
            {
                "instance_id": o.instance_id, "id": o.id, "category": o.category, "object_type": o.object_type,
                "asset_id": o.asset_id, "room_id": o.room_id, "mount": o.mount, "support_id": o.support_id,
                "obb": {"center": list(o.position), "size": list(o.size), "yaw_deg": o.yaw_deg,
                        "corners": obb_corners_3d(o.position, o.size, o.yaw_deg)},
            }
            for o in house.objects
        ],
        "doors": [opening(o) for o in house.doors],
        "windows": [opening(o) for o in house.windows],
    }
