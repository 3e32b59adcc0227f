"""The `ai2thor` rendering backend: our house in AI2-THOR (CloudRendering), frames back in our terms.

- `house_to_thor(house)`: our spec -> the ProcTHOR-format house that `CreateHouse` takes, through
  `houses/thor_frame` (the left-handed mirror), with each wall turned along its room's outline
  and each object given an AI2-THOR asset: the one it was imported with (ProcTHOR import), else
  the asset of its type whose bounding box is closest to its size.
- `ThorBackend`: one Controller per process. The camera is a third-party camera moved to each
  pose with `UpdateThirdPartyCamera` (position, Euler rotation, vertical field of view): unlike
  the agent, it is placed exactly, with no collision check, height limit or horizon clamp.
- `event_to_frame`: the third-party camera's RGB, its instance segmentation mapped to our instance
  ids through `color_to_object_id` and the payload's ids, and its depth. Visibility comes from
  these masks (capture/annotate.py), never from AI2-THOR's `visible` flag (1.5 m cut-off).

The live simulator has not been run on our machines (no Unity build can be downloaded there);
the conversions are tested on event data shaped as AI2-THOR documents it (docs/ai2thor.md).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from builder.capture.camera import Intrinsics
from builder.houses import thor_frame
from builder.houses.spec import FLOOR_ID_BASE, House
from builder.render.renderer import RenderedFrame

RELEASES = Path("~/.ai2thor/releases")
COMMIT_ENV = "SIMSV_AI2THOR_COMMIT"  # pins the build (thor-CloudRendering-<commit>) when several are present
DEFAULT_DOOR, DEFAULT_WINDOW = "Doorway_1", "Window_Slider_36x36"  # for openings not imported from ProcTHOR
FLOOR_MATERIAL = {"Kitchen": "GreyFloor", "Bathroom": "GreyFloor", "Bedroom": "BedroomFloor1"}
DEFAULT_FLOOR_MATERIAL, WALL_MATERIAL = "DarkWoodFloors", "DrywallBeige"


def _ours_to_thor_asset(object_type: str, size, sizes) -> str | None:
    """The AI2-THOR asset of a type whose bounding box is closest to `size` (ties: by id)."""
    cands = sorted((a, b) for a, (t, b) in sizes.items() if t == object_type)
    if not cands:
        return None
    return min(cands, key=lambda ab: (sum((x - y) ** 2 for x, y in zip(ab[1], size)), ab[0]))[0]


def _wall_ends_thor(house: House, wall) -> tuple[dict, dict, bool]:
    """A wall's end points in AI2-THOR's frame, ordered like its room outline's edges there
    (ProcTHOR's walls follow the floor polygon); True when that reversed our p0 -> p1."""
    from shapely.geometry import Point, Polygon

    room = house.room(wall.room_id)
    outline = [(p["x"], p["z"]) for p in thor_frame.to_thor_polygon(room.polygon)]
    ccw = sum(x0 * z1 - x1 * z0 for (x0, z0), (x1, z1) in zip(outline, outline[1:] + outline[:1])) > 0
    a, b = thor_frame.to_thor_point(wall.p0[0], 0.0, wall.p0[1]), thor_frame.to_thor_point(wall.p1[0], 0.0, wall.p1[1])
    dx, dz = b["x"] - a["x"], b["z"] - a["z"]
    length = math.hypot(dx, dz) or 1.0
    mid = ((a["x"] + b["x"]) / 2, (a["z"] + b["z"]) / 2)
    left_inside = Polygon(outline).contains(Point(mid[0] - 0.05 * dz / length, mid[1] + 0.05 * dx / length))
    # edges of a counter-clockwise outline have the room on their left
    swap = left_inside != ccw
    return (b, a, True) if swap else (a, b, False)


def house_to_thor(house: House) -> tuple[dict, dict[str, int]]:
    """The CreateHouse payload for a house, and AI2-THOR object id -> our instance id."""
    from builder.houses.procthor_import import thor_asset_sizes

    sizes = thor_asset_sizes()
    imported = house.metadata.get("simsv_import", {}).get("thor_assets", {})
    ids: dict[str, int] = {}
    rooms = []
    for r in house.rooms:
        rooms.append({"id": r.id, "roomType": r.room_type, "children": [], "ceilings": [],
                      "floorPolygon": thor_frame.to_thor_polygon(r.polygon),
                      "floorMaterial": {"name": FLOOR_MATERIAL.get(r.room_type, DEFAULT_FLOOR_MATERIAL)}})
        ids[r.id] = FLOOR_ID_BASE + r.index  # AI2-THOR names a room's floor by the room's id
    walls, swapped = [], {}
    for w in house.walls:
        a, b, swapped[w.id] = _wall_ends_thor(house, w)
        top_a, top_b = dict(a, y=w.height), dict(b, y=w.height)
        walls.append({"id": w.id, "roomId": w.room_id, "polygon": [a, b, top_a, top_b], "material": {"name": WALL_MATERIAL}})
        ids[w.id] = w.instance_id

    def opening(o, default_asset):
        u0, v0, u1, v1 = o.hole
        if swapped[o.wall0]:  # the hole is measured from the wall's first corner
            length = house.wall(o.wall0).length
            u0, u1 = length - u1, length - u0
        ids[o.id] = o.instance_id
        d = {"id": o.id, "assetId": o.asset_id if o.asset_id in sizes else default_asset,
             "wall0": o.wall0, "wall1": o.wall1, "room0": o.room0, "room1": o.room1 or o.room0,
             "holePolygon": [{"x": u0, "y": v0, "z": 0.0}, {"x": u1, "y": v1, "z": 0.0}],
             "assetPosition": {"x": (u0 + u1) / 2, "y": (v0 + v1) / 2, "z": 0.0}}
        return dict(d, openness=1.0) if o.kind == "door" else d

    objects, left_out = [], []
    for o in house.objects:
        asset = imported.get(o.id) or _ours_to_thor_asset(o.object_type, o.size, sizes)
        if asset is None:
            left_out.append(o.id)
            continue
        objects.append({"id": o.id, "assetId": asset, "kinematic": True,
                        "position": thor_frame.to_thor_point(*o.position),
                        "rotation": {"x": 0.0, "y": thor_frame.to_thor_yaw(o.yaw_deg), "z": 0.0}})
        ids[o.id] = o.instance_id
    lights = [{"id": "DirectionalLight", "type": "directional", "position": {"x": 0.84, "y": 0.1855, "z": -1.09},
               "rotation": {"x": 43.375, "y": -3.902, "z": -63.618}, "intensity": 0.35, "indirectMultiplier": 1.0,
               "rgb": {"r": 1.0, "g": 1.0, "b": 1.0},
               "shadow": {"type": "Soft", "strength": 1, "normalBias": 0, "bias": 0, "nearPlane": 0.2,
                          "resolution": "FromQualitySettings"}}]
    for r in house.rooms:
        cx = sum(x for x, _ in r.polygon) / len(r.polygon)
        cz = sum(z for _, z in r.polygon) / len(r.polygon)
        lights.append({"id": f"light_{r.index}", "type": "point", "position": thor_frame.to_thor_point(cx, house.wall_height - 0.2, cz),
                       "intensity": 0.75, "range": 15, "rgb": {"r": 1.0, "g": 0.855, "b": 0.722},
                       "shadow": {"type": "Soft", "strength": 1, "normalBias": 0, "bias": 0.05, "nearPlane": 0.2,
                                  "resolution": "FromQualitySettings"}})
    payload = {
        "rooms": rooms, "walls": walls, "objects": objects,
        "doors": [opening(o, DEFAULT_DOOR) for o in house.doors],
        "windows": [opening(o, DEFAULT_WINDOW) for o in house.windows],
        "proceduralParameters": {"ceilingMaterial": {"name": WALL_MATERIAL}, "floorColliderThickness": 1.0,
                                 "lights": lights, "receptacleHeight": 0.7, "reflections": [], "skyboxId": "Sky1"},
        "metadata": {"schema": "1.0.0", "simsv": {"house_id": house.id, "left_out": left_out}},
    }
    return payload, ids


def thor_camera(cam_to_world: np.ndarray) -> tuple[dict, dict]:
    """A camera-to-world pose (OpenGL camera frame, no roll) -> AI2-THOR position and rotation."""
    m = np.asarray(cam_to_world, np.float64)
    fwd = -m[:3, 2]
    yaw = math.degrees(math.atan2(fwd[0], fwd[2]))
    pitch = math.degrees(math.asin(max(-1.0, min(1.0, fwd[1]))))
    position = thor_frame.to_thor_point(*m[:3, 3])
    return position, {"x": thor_frame.to_thor_horizon(pitch), "y": thor_frame.to_thor_yaw(yaw), "z": 0.0}


def event_to_frame(event, ids: dict[str, int], camera: int = 0) -> RenderedFrame:
    """The third-party camera's images of an AI2-THOR event as our RenderedFrame; pixels of objects
    our house does not name (AI2-THOR's own ceiling, say) get id 0."""
    rgb = np.ascontiguousarray(np.asarray(event.third_party_camera_frames[camera])[..., :3], dtype=np.uint8)
    seg = np.asarray(event.third_party_instance_segmentation_frames[camera])[..., :3].astype(np.int64)
    keys = (seg[..., 0] << 16) | (seg[..., 1] << 8) | seg[..., 2]
    colours, inverse = np.unique(keys, return_inverse=True)
    lookup = np.zeros(len(colours), np.uint16)
    for k, c in enumerate(colours.tolist()):
        object_id = event.color_to_object_id.get(((c >> 16) & 255, (c >> 8) & 255, c & 255))
        lookup[k] = _our_id(object_id, ids)
    instance = lookup[inverse.reshape(keys.shape)]
    depth = np.ascontiguousarray(np.asarray(event.third_party_depth_frames[camera]), dtype=np.float32)
    return RenderedFrame(rgb, instance, depth)


def _our_id(object_id: str | None, ids: dict[str, int]) -> int:
    if object_id is None:
        return 0
    if object_id in ids:
        return ids[object_id]
    # AI2-THOR may suffix structure ids (e.g. "wall|2|...|0"); match the longest known prefix
    head = object_id
    while "|" in head:
        head = head.rsplit("|", 1)[0]
        if head in ids:
            return ids[head]
    return 0


def find_build(home: Path | None = None) -> Path:
    """The unpacked CloudRendering build AI2-THOR will start, or a clear error."""
    root = (home / ".ai2thor" / "releases") if home else RELEASES.expanduser()
    commit = os.environ.get(COMMIT_ENV)
    found = sorted(root.glob(f"thor-CloudRendering-{commit or '*'}")) if root.is_dir() else []
    if not found:
        raise RuntimeError(
            f"no AI2-THOR CloudRendering build under {root}"
            + (f" for {COMMIT_ENV}={commit}" if commit else "")
            + ": this machine cannot download it. Unpack thor-CloudRendering-<commit> there "
              "(see docs/ai2thor.md), or use --backend embedded.")
    return found[-1]


class ThorBackend:
    """AI2-THOR behind the backend interface (render/backend.py)."""

    def __init__(self, intrinsics: Intrinsics, controller_factory=None):
        self.intrinsics = intrinsics
        self._factory = controller_factory or self._start_controller
        self._controller = None
        self._ids: dict[str, int] = {}
        self.renderer_string = "AI2-THOR CloudRendering"

    def _start_controller(self):
        build = find_build()
        try:
            from ai2thor.controller import Controller
            from ai2thor.platform import CloudRendering
        except ImportError:
            raise RuntimeError("the ai2thor backend needs the ai2thor package: pip install -e '.[ai2thor]'") from None
        k = self.intrinsics
        commit = build.name.rsplit("-", 1)[-1]
        return Controller(platform=CloudRendering, commit_id=commit, scene="Procedural", width=k.width, height=k.height,
                          fieldOfView=k.vfov_deg, renderInstanceSegmentation=True, renderDepthImage=True,
                          snapToGrid=False)

    def _step(self, **action):
        event = self._controller.step(**action)
        if not event.metadata.get("lastActionSuccess", False):
            raise RuntimeError(f"AI2-THOR {action['action']} failed: {event.metadata.get('errorMessage', '')}")
        return event

    def load_house(self, house: House) -> None:
        if self._controller is None:
            self._controller = self._factory()
        payload, self._ids = house_to_thor(house)
        self._step(action="CreateHouse", house=payload)
        position, rotation = thor_camera(np.eye(4))
        self._step(action="AddThirdPartyCamera", position=position, rotation=rotation,
                   fieldOfView=self.intrinsics.vfov_deg)
        self.renderer_string = f"AI2-THOR CloudRendering ({getattr(self._controller, 'commit_id', '?')})"

    def render(self, cam_to_world: np.ndarray) -> RenderedFrame:
        position, rotation = thor_camera(cam_to_world)
        event = self._step(action="UpdateThirdPartyCamera", thirdPartyCameraId=0, position=position,
                           rotation=rotation, fieldOfView=self.intrinsics.vfov_deg)
        return event_to_frame(event, self._ids)

    def close(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
