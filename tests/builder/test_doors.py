"""Door leaves (builder/houses/doors.py): drawn per house, kept in their room, out of hallways and
out of the furniture; blocked for the camera; drawn under their door's id; read back from JSON."""

import copy
import math
from dataclasses import replace

import pytest
from shapely.geometry import Point, Polygon

from builder.capture.occupancy import build_occupancy
from builder.houses.doors import LEAF_ANGLE_DEG, LEAF_WIDE_DEG, hang_leaves, leaf_obstruction, leaf_pose, leaf_rng
from builder.houses.floorplan import room_walls
from builder.houses.generate import generate_house
from builder.houses.rules import check_house
from builder.houses.spec import DoorLeaf, House, HouseObject, Opening, Room

H = 2.7


@pytest.fixture(scope="module")
def houses(fake_catalog):
    return [generate_house(i, 3, fake_catalog) for i in range(3)]


def two_rooms(kind0="Bedroom", kind1="Hallway"):
    """Two 4 x 3 m rooms side by side (x = 0..4 and 4..8) with a door in the shared wall."""
    rooms = [Room("room|0", kind0, ((0, 0), (4, 0), (4, 3), (0, 3)), index=0),
             Room("room|1", kind1, ((4, 0), (8, 0), (8, 3), (4, 3)), index=1)]
    walls = room_walls(rooms[0], 0, H) + room_walls(rooms[1], 4, H)
    w0 = next(w for w in walls if w.room_id == "room|0" and w.p0[0] == 4 and w.p1[0] == 4)
    w1 = next(w for w in walls if w.room_id == "room|1" and w.p0[0] == 4 and w.p1[0] == 4)
    u0 = 1.0 if w0.p0[1] == 0 else w0.length - 1.9  # the hole spans z = 1.0 .. 1.9 either way
    door = Opening("door|room|0|room|1", "door", w0.id, w1.id, "room|0", "room|1", (u0, 0.0, u0 + 0.9, 2.1),
                   "simsv/doorway", 1, "door")
    return rooms, walls, door


def test_every_interior_door_gets_a_leaf_in_range_and_in_its_room(houses):
    n = 0
    for h in houses:
        for d in h.doors:
            assert d.leaf is not None and d.leaf.into in (d.room0, d.room1)
            assert LEAF_ANGLE_DEG[0] <= d.leaf.angle_deg <= LEAF_WIDE_DEG[1]
            fp = leaf_pose(h, d).footprint()
            assert Polygon(h.room(d.leaf.into).polygon).buffer(1e-6).contains(fp)
            assert leaf_obstruction(h, d) is None  # the furnisher kept every piece out of it
            n += 1
        assert not [v for v in check_house(h) if v.rule == "door_leaf"]
    assert n >= 10
    angles = [d.leaf.angle_deg for h in houses for d in h.doors]
    assert min(angles) < 90 and max(angles) > LEAF_WIDE_DEG[0]  # varied: short of square, and back against the wall


def test_leaves_are_deterministic_and_from_their_own_stream(fake_catalog, houses):
    again = generate_house(0, 3, fake_catalog)
    assert again.to_json() == houses[0].to_json()
    rooms, walls, door = two_rooms("Bedroom", "Kitchen")
    a = hang_leaves([door], walls, rooms, leaf_rng(3, 0))
    b = hang_leaves([door], walls, rooms, leaf_rng(3, 0))
    c = hang_leaves([door], walls, rooms, leaf_rng(3, 1))
    assert a == b and a != c


def test_a_door_to_a_hallway_swings_into_the_room():
    for kinds, room in ((("Bedroom", "Hallway"), "room|0"), (("Hallway", "Bathroom"), "room|1")):
        rooms, walls, door = two_rooms(*kinds)
        for k in range(8):
            (hung,) = hang_leaves([door], walls, rooms, leaf_rng(k, 0))
            assert hung.leaf.into == room


def test_leaf_geometry_square_open():
    rooms, walls, door = two_rooms()
    house = House("h", 0, H, rooms, walls, [replace(door, leaf=DoorLeaf(90.0, "u0", "room|0"))], [], [])
    pose = leaf_pose(house, house.doors[0])
    fp = pose.footprint()
    # square open into room 0 (x < 4): the slab stands out of the wall by the hole's width less
    # its two gaps, at one jamb, a leaf's thickness off the wall
    minx, minz, maxx, maxz = fp.bounds
    assert maxx == pytest.approx(4 - 0.04) and minx == pytest.approx(4 - 0.04 - 0.88)
    assert maxz - minz == pytest.approx(0.04)
    # at a jamb (z = 1.0 or 1.9), 1 cm in from it, its thickness toward the wall beside the hole
    assert (round(minz, 6), round(maxz, 6)) in ((0.97, 1.01), (1.89, 1.93))
    assert math.isclose(fp.area, 0.88 * 0.04, rel_tol=1e-9)


def test_something_in_a_leaf_is_a_rule_violation():
    rooms, walls, door = two_rooms()
    house = House("h", 0, H, rooms, walls, [replace(door, leaf=DoorLeaf(90.0, "u0", "room|0"))], [], [])
    c = leaf_pose(house, house.doors[0]).footprint().centroid
    box = HouseObject("plant|9", "HousePlant", "parametric/plant", (c.x, 0.5, c.y), 15.0, (0.3, 1.0, 0.3), 9,
                      "plant", "room|0")
    assert "meets plant|9" in leaf_obstruction(replace(house, objects=[box]), house.doors[0])
    assert "door_leaf" in {v.rule for v in check_house(replace(house, objects=[box]))}


def test_the_camera_cannot_walk_through_a_leaf(houses):
    h = houses[0]
    bare = replace(h, doors=[replace(d, leaf=None) for d in h.doors])
    with_leaves, without = build_occupancy(h), build_occupancy(bare)
    for d in h.doors:
        c = leaf_pose(h, d).footprint().centroid
        r, col = with_leaves.world_to_cell(c.x, c.y)
        assert not with_leaves.free[r, col] and without.free[r, col]


def test_leaf_json_round_trip_and_bad_fields(tmp_path, houses):
    from builder.houses.spec import HouseSpecError

    h = houses[1]
    data = h.to_json()
    assert House.from_json(data).doors == h.doors
    assert all(0 < d["openness"] <= 1 for d in data["doors"])  # ProcTHOR's key, for AI2-THOR
    for field, value, words in (("angleDeg", 200, "0..180"), ("hinge", "middle", "'u0' or 'u1'"), ("into", "room|99", "not one of")):
        bad = copy.deepcopy(data)
        bad["doors"][0]["simsv"]["leaf"][field] = value
        path = tmp_path / "bad.json"
        path.write_text(__import__("json").dumps(bad))
        with pytest.raises(HouseSpecError) as e:
            House.load(path)
        assert f"doors[0].simsv.leaf.{field}" in str(e.value) and words in str(e.value) and str(path) in str(e.value)
    old = copy.deepcopy(data)  # a house saved before leaves: open doorways, as it rendered then
    for d in old["doors"]:
        d["simsv"].pop("leaf")
        d.pop("openness")
    assert all(d.leaf is None for d in House.from_json(old).doors)


@pytest.mark.render
def test_the_leaf_is_drawn_under_its_doors_id(houses):
    from builder.capture.camera import Intrinsics, cam_to_world
    from builder.render.renderer import Renderer
    from builder.render.scene import build_drawables

    h = houses[0]
    bare = replace(h, objects=[])  # nothing between the camera and the leaf
    shot = None
    for door in h.doors:  # a door with 1.8 m of its room in front of one face of its leaf
        pose = leaf_pose(h, door)
        mid = pose.hinge + pose.along * pose.width / 2
        for eye in (mid + pose.across * 1.8, mid - pose.across * 1.8):
            if Polygon(h.room(door.leaf.into).polygon).buffer(-0.2).contains(Point(*eye)):
                shot = door, eye, mid
    assert shot is not None
    door, eye, mid = shot
    look = mid - eye
    c2w = cam_to_world((eye[0], 1.2, eye[1]), math.degrees(math.atan2(look[0], look[1])), 0.0)
    frames = []
    with Renderer(Intrinsics(96, 64, 60.0)) as r:
        for hh in (bare, replace(bare, doors=[replace(d, leaf=None) for d in bare.doors])):
            r.load(build_drawables(hh, load_mesh=None))  # no objects: no meshes
            frames.append(r.render(c2w))
    with_leaf, without = frames
    # the leaf fills the middle of the frame under its door's id, at its distance; without it
    # the camera sees past the doorway's edge
    assert with_leaf.instance[32, 48] == door.instance_id
    assert with_leaf.depth[32, 48] == pytest.approx(1.8, abs=0.06)
    assert (with_leaf.instance == door.instance_id).sum() > (without.instance == door.instance_id).sum() + 500
