"""The AI2-THOR backend's adapter code, without the simulator: the CreateHouse payload, camera
poses, event -> frame conversion, the controller protocol (through a recording fake), and the
error when no Unity build is present. The live simulator is not run here (docs/ai2thor.md)."""

import math
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("procthor", reason="ProcTHOR's asset database: pip install --no-deps procthor==0.0.1.dev2")

from builder.capture.annotate import visible_instances  # noqa: E402
from builder.capture.camera import cam_to_world  # noqa: E402
from builder.houses import thor_frame  # noqa: E402
from builder.houses.generate import generate_house  # noqa: E402
from builder.houses.procthor_import import import_house, thor_asset_sizes  # noqa: E402
from builder.houses.spec import FLOOR_ID_BASE, opening_segment  # noqa: E402
from builder.render import thor_backend as tb  # noqa: E402
from tests.fixtures.procthor_house import procthor_house  # noqa: E402


@pytest.fixture(scope="module")
def generated(real_catalog):
    return generate_house(0, 0, real_catalog)


def _segments(house):
    return {w.id: frozenset([tuple(round(v, 6) for v in w.p0), tuple(round(v, 6) for v in w.p1)]) for w in house.walls}


def _hole_segments(house):
    out = {}
    for o in house.doors + house.windows:
        a, b = opening_segment(o, house.wall(o.wall0))
        out[o.id] = (frozenset([tuple(round(v, 6) for v in a), tuple(round(v, 6) for v in b)]), round(o.hole[1], 6), round(o.hole[3], 6))
    return out


@pytest.mark.parametrize("which", ["thor_house", "generated"])
def test_payload_reads_back_as_the_same_house(which, request, real_catalog):
    house = request.getfixturevalue(which)
    payload, ids = tb.house_to_thor(house)
    back = import_house(payload, 0, 0, real_catalog, "payload")  # the independent, opposite direction
    assert [(r.id, r.room_type, round(r.area_m2, 6)) for r in back.rooms] == \
        [(r.id, r.room_type, round(r.area_m2, 6)) for r in house.rooms]
    assert _segments(back) == _segments(house)  # every wall, end points mirrored twice
    assert _hole_segments(back) == _hole_segments(house)  # doors and windows at the same place on the wall
    mine = {o.id: o for o in house.objects}
    exported = {o["id"] for o in payload["objects"]}
    assert exported | set(payload["metadata"]["simsv"]["left_out"]) == set(mine)
    for o in back.objects:
        assert o.position == pytest.approx(mine[o.id].position, abs=1e-6)
        assert math.isclose(o.yaw_deg % 360, mine[o.id].yaw_deg % 360, abs_tol=1e-6)
        assert o.object_type == mine[o.id].object_type
    if which == "thor_house":  # the original AI2-THOR assets go back, so sizes come back exactly
        src = {o["id"]: o["assetId"] for o in procthor_house()["objects"]}
        assert all(p["assetId"] == src[p["id"]] for p in payload["objects"] if p["id"] in src)
        assert all(o.size == pytest.approx(mine[o.id].size) for o in back.objects)
    assert {ids[o] for o in exported} == {mine[o].instance_id for o in exported}
    assert all(ids[w.id] == w.instance_id for w in house.walls)
    assert all(ids[r.id] == FLOOR_ID_BASE + r.index for r in house.rooms)


def test_generated_objects_get_the_closest_asset_of_their_type(generated):
    payload, _ = tb.house_to_thor(generated)
    sizes = thor_asset_sizes()
    mine = {o.id: o for o in generated.objects}
    assert len(payload["objects"]) >= len(mine) // 2
    for p in payload["objects"]:
        o = mine[p["id"]]
        thor_type, box = sizes[p["assetId"]]
        assert thor_type == o.object_type
        err = sum((a - b) ** 2 for a, b in zip(box, o.size))
        assert all(err <= sum((a - b) ** 2 for a, b in zip(bb, o.size)) + 1e-12
                   for t, bb in sizes.values() if t == thor_type)


def test_walls_face_into_their_rooms(generated):
    from shapely.geometry import Point, Polygon

    payload, _ = tb.house_to_thor(generated)
    rooms = {r["id"]: [(p["x"], p["z"]) for p in r["floorPolygon"]] for r in payload["rooms"]}
    for w in payload["walls"]:
        outline = rooms[w["roomId"]]
        ccw = sum(x0 * z1 - x1 * z0 for (x0, z0), (x1, z1) in zip(outline, outline[1:] + outline[:1])) > 0
        a, b = w["polygon"][0], w["polygon"][1]
        dx, dz = b["x"] - a["x"], b["z"] - a["z"]
        n = math.hypot(dx, dz)
        probe = Point((a["x"] + b["x"]) / 2 - 0.05 * dz / n, (a["z"] + b["z"]) / 2 + 0.05 * dx / n)
        assert Polygon(outline).contains(probe) == ccw  # like the outline's own edges
        assert w["polygon"][2]["y"] == w["polygon"][3]["y"] == generated.wall_height


def _unity_screen_x(cam_pos, rot, point):
    """Where a point lands across an AI2-THOR (Unity, left-handed) camera's image: < 0 is left."""
    y, x = math.radians(rot["y"]), math.radians(rot["x"])
    forward = np.array([math.sin(y) * math.cos(x), -math.sin(x), math.cos(y) * math.cos(x)])
    right = np.array([math.cos(y), 0.0, -math.sin(y)])
    d = np.array([point["x"] - cam_pos["x"], point["y"] - cam_pos["y"], point["z"] - cam_pos["z"]])
    return float(d @ right) / float(d @ forward)


@pytest.mark.parametrize("yaw,pitch", [(0.0, 0.0), (90.0, -10.0), (215.0, 12.0)])
def test_camera_pose_and_left_stays_left(yaw, pitch):
    pos = (1.0, 1.5, -2.0)
    c2w = cam_to_world(pos, yaw, pitch)
    position, rotation = tb.thor_camera(c2w)
    assert position == thor_frame.to_thor_point(*pos)
    assert rotation["y"] == pytest.approx(thor_frame.to_thor_yaw(yaw)) and rotation["x"] == pytest.approx(-pitch)
    assert rotation["z"] == 0.0
    for side in (-1.0, 1.0):  # a point to our camera's right (+1) or left (-1), 3 m ahead
        world = c2w[:3, 3] + 3.0 * -c2w[:3, 2] + side * 1.0 * c2w[:3, 0]
        assert np.sign(_unity_screen_x(position, rotation, thor_frame.to_thor_point(*world))) == side


def _event(seg, colours, depth=None, success=True):
    h, w = seg.shape[:2]
    return SimpleNamespace(
        metadata={"lastActionSuccess": success, "errorMessage": "" if success else "Invalid house",
                  "objects": [{"objectId": oid, "objectType": oid.split("|")[0], "assetId": "x", "visible": False,
                               "position": {"x": 0, "y": 0, "z": 0}, "rotation": {"x": 0, "y": 0, "z": 0},
                               "axisAlignedBoundingBox": {"center": {"x": 0, "y": 0, "z": 0}, "size": {"x": 1, "y": 1, "z": 1},
                                                          "cornerPoints": []}}
                              for oid in colours.values()]},
        third_party_camera_frames=[np.full((h, w, 3), 128, np.uint8)],
        third_party_instance_segmentation_frames=[seg],
        third_party_depth_frames=[np.full((h, w), 2.5, np.float32) if depth is None else depth],
        color_to_object_id=colours,
        frame=np.zeros((h, w, 3), np.uint8))


def test_event_to_frame_maps_segmentation_colours_to_our_ids(thor_house):
    _, ids = tb.house_to_thor(thor_house)
    sofa = next(o for o in thor_house.objects if o.id == "Sofa|2|0")
    wall = thor_house.walls[0]
    colours = {(200, 10, 10): "Sofa|2|0", (10, 200, 10): wall.id, (10, 10, 200): "room|2", (7, 7, 7): "Ceiling"}
    seg = np.zeros((6, 8, 3), np.uint8)
    expected = np.zeros((6, 8), np.uint16)
    for (r0, r1, c0, c1), colour in [((0, 2, 0, 8), (7, 7, 7)), ((2, 4, 0, 3), (200, 10, 10)),
                                     ((2, 4, 3, 8), (10, 200, 10)), ((4, 6, 0, 8), (10, 10, 200))]:
        seg[r0:r1, c0:c1] = colour
        expected[r0:r1, c0:c1] = {"Sofa|2|0": sofa.instance_id, wall.id: wall.instance_id,
                                  "room|2": FLOOR_ID_BASE + thor_house.room("room|2").index}.get(colours[colour], 0)
    frame = tb.event_to_frame(_event(seg, colours), ids)
    assert frame.instance.dtype == np.uint16 and np.array_equal(frame.instance, expected)
    assert frame.rgb.shape == (6, 8, 3) and frame.depth.dtype == np.float32 and float(frame.depth[0, 0]) == 2.5
    assert visible_instances(frame.instance) == visible_instances(expected)  # the same annotation as a reference mask
    assert [v.instance_id for v in visible_instances(frame.instance)] == [sofa.instance_id]  # objects only


class RecordingController:
    """Stands in for ai2thor's Controller: records each step and answers with canned events."""

    def __init__(self, fail=None):
        self.steps, self.fail, self.commit_id = [], fail, "fakecommit"

    def step(self, **action):
        self.steps.append(action)
        seg = np.full((4, 4, 3), 9, np.uint8)
        return _event(seg, {(9, 9, 9): "Fridge|3|7"}, success=action["action"] != self.fail)

    def stop(self):
        self.steps.append({"action": "stop"})


def test_backend_sends_the_house_and_moves_the_third_party_camera(thor_house):
    from builder.capture.camera import Intrinsics

    ctrl = RecordingController()
    backend = tb.ThorBackend(Intrinsics(4, 4, 59.0), controller_factory=lambda: ctrl)
    backend.load_house(thor_house)
    assert [s["action"] for s in ctrl.steps] == ["CreateHouse", "AddThirdPartyCamera"]
    assert ctrl.steps[0]["house"] == tb.house_to_thor(thor_house)[0]
    c2w = cam_to_world((-2.0, 1.5, 1.0), 30.0, -5.0)
    frame = backend.render(c2w)
    update = ctrl.steps[-1]
    assert update["action"] == "UpdateThirdPartyCamera" and update["thirdPartyCameraId"] == 0
    assert (update["position"], update["rotation"]) == tb.thor_camera(c2w) and update["fieldOfView"] == 59.0
    fridge = next(o for o in thor_house.objects if o.id == "Fridge|3|7")
    assert np.all(frame.instance == fridge.instance_id)
    backend.close()
    assert ctrl.steps[-1] == {"action": "stop"}


def test_a_failed_action_is_an_error_with_aI2thor_message(thor_house):
    from builder.capture.camera import Intrinsics

    backend = tb.ThorBackend(Intrinsics(4, 4, 59.0), controller_factory=lambda: RecordingController(fail="CreateHouse"))
    with pytest.raises(RuntimeError, match="CreateHouse failed: Invalid house"):
        backend.load_house(thor_house)


def test_missing_build_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv(tb.COMMIT_ENV, raising=False)
    with pytest.raises(RuntimeError, match=r"no AI2-THOR CloudRendering build under .*\.ai2thor/releases"):
        tb.find_build(home=tmp_path)
    build = tmp_path / ".ai2thor" / "releases" / "thor-CloudRendering-abc123"
    build.mkdir(parents=True)
    assert tb.find_build(home=tmp_path) == build
    monkeypatch.setenv(tb.COMMIT_ENV, "other")
    with pytest.raises(RuntimeError, match="SIMSV_AI2THOR_COMMIT=other"):
        tb.find_build(home=tmp_path)


def test_cli_refuses_ai2thor_without_a_build_and_writes_nothing(tmp_path):
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "builder", "generate", "--houses", "1", "--backend", "ai2thor",
                        "--out", str(tmp_path / "out"), "--quiet"], capture_output=True, text=True, env=env)
    assert r.returncode != 0 and ".ai2thor/releases" in r.stderr and "docs/ai2thor.md" in r.stderr
    assert not (tmp_path / "out").exists()


def test_suffixed_ids_map_to_their_longest_known_prefix():
    ids = {"wall|2|1.0|0.0|4.0|0.0": 2001, "room|2": 1002}
    assert tb._our_id("wall|2|1.0|0.0|4.0|0.0", ids) == 2001
    assert tb._our_id("wall|2|1.0|0.0|4.0|0.0|0", ids) == 2001
    assert tb._our_id("wall|2|1.0|0.0|4.0|0.0|0|1", ids) == 2001  # more than one suffix
    assert tb._our_id("room|2", ids) == 1002
    assert tb._our_id("room|3", ids) == 0 and tb._our_id("Ceiling", ids) == 0 and tb._our_id(None, ids) == 0
