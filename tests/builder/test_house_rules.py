"""Each plausibility rule (builder/houses/rules.py) catches a violation built by hand, and a
hand-built plausible room passes them all."""

import dataclasses

import pytest

from builder.houses.floorplan import room_walls
from builder.houses.rules import check_house
from builder.houses.spec import House, HouseObject, Opening, Room

H = 2.7


def room(rid="room|0", kind="Kitchen", x0=0.0, z0=0.0, x1=5.0, z1=4.0):
    return Room(rid, kind, ((x0, z0), (x1, z0), (x1, z1), (x0, z1)))


def obj(iid, category, x, z, size, yaw=0.0, y0=0.0, rid="room|0", asset=None, support=0, mount="floor"):
    return HouseObject(id=f"{category}|{iid}", object_type=category.title(), asset_id=asset or f"parametric/{category}/{iid}",
                       position=(x, y0 + size[1] / 2, z), yaw_deg=yaw, size=size, instance_id=iid, category=category,
                       room_id=rid, support_id=support, mount=mount)


def house(objects, rooms=None, doors=()):
    rooms = rooms or [room()]
    walls = []
    for k, r in enumerate(rooms):
        walls += room_walls(r, len(walls), H)
    return House("house_test", 0, H, rooms, walls, list(doors), [], objects)


# a plausible kitchen along the wall z = 0 (fronts face +z): counter, sink, counter with a
# hob, a table with a chair facing it, a cup with jitter on the counter, a clock on a wall
def good_objects():
    return [
        obj(1, "kitchen cabinet", 0.32, 0.32, (0.6, 0.88, 0.6)),
        obj(2, "kitchen sink", 0.925, 0.32, (0.6, 0.9, 0.6)),
        obj(3, "kitchen cabinet", 1.53, 0.32, (0.6, 0.88, 0.6)),
        obj(4, "cooktop", 1.53, 0.32, (0.5, 0.05, 0.5), y0=0.88, support=3, mount="surface"),
        obj(5, "cup", 0.3, 0.3, (0.09, 0.11, 0.09), yaw=17.0, y0=0.88, support=1, mount="surface"),
        obj(6, "dining table", 3.0, 2.5, (1.2, 0.75, 0.8)),
        obj(7, "chair", 3.0, 3.22, (0.45, 0.9, 0.5), yaw=180.0),
        obj(8, "clock", 4.0, 0.045, (0.3, 0.3, 0.05), y0=1.6, mount="wall"),
    ]


def rules_of(objects, **kw):
    return sorted({v.rule for v in check_house(house(objects, **kw))})


def replace(objects, iid, **changes):
    return [dataclasses.replace(o, **changes) if o.instance_id == iid else o for o in objects]


def test_a_plausible_kitchen_passes():
    assert check_house(house(good_objects())) == []


def test_outside_room():
    assert rules_of(replace(good_objects(), 6, position=(5.2, 0.375, 2.5))) == ["outside_room"]


def test_interpenetration():
    objs = good_objects() + [obj(9, "trash can", 3.3, 2.5, (0.3, 0.6, 0.3), yaw=12.0)]  # inside the table's box
    assert rules_of(objs) == ["interpenetration"]


def test_floating():
    assert rules_of(replace(good_objects(), 6, position=(3.0, 0.575, 2.5))) == ["floating"]  # 0.2 m up
    # an object claiming a support must stand within the support's height and over it
    assert rules_of(replace(good_objects(), 5, position=(0.3, 1.2, 0.3))) == ["floating"]


def test_blocks_door():
    door = Opening(id="door|0", kind="door", wall0="wall|room|0|2", wall1=None, room0="room|0",
                   room1=None, hole=(0.2, 0.0, 1.0, 2.1), asset_id="", instance_id=50, category="door")
    objs = good_objects() + [obj(9, "plant", 4.4, 3.5, (0.4, 1.0, 0.4), yaw=12.0)]
    # wall 2 of the room runs along z = 4 from x = 5 to x = 0: the hole spans x = 4.8..4
    assert rules_of(objs, doors=[door]) == ["blocks_door"]
    assert rules_of(good_objects(), doors=[door]) == []


def test_wall_mount_height():
    assert rules_of(replace(good_objects(), 8, position=(4.0, 0.55, 0.045))) == ["wall_mount_height"]
    tv_high = good_objects() + [obj(9, "tv", 4.0, 3.93, (1.0, 0.6, 0.1), yaw=180.0, y0=1.5, mount="wall")]
    assert rules_of(tv_high) == ["wall_mount_height"]


def test_not_against_wall():
    assert rules_of(replace(good_objects(), 8, position=(4.0, 1.75, 1.0))) == ["not_against_wall"]


def test_sink_room():
    rooms = [room(), room("room|1", "Bathroom", 5.0, 0.0, 8.0, 4.0)]
    objs = good_objects() + [obj(9, "kitchen sink", 6.5, 0.32, (0.6, 0.9, 0.6), rid="room|1")]
    assert "sink_room" in rules_of(objs, rooms=rooms)
    objs = good_objects() + [obj(9, "bathroom vanity", 4.0, 3.6, (0.8, 0.9, 0.5), yaw=180.0)]
    assert rules_of(objs) == ["sink_room"]


def test_kitchen_fixture_room():
    rooms = [room(), room("room|1", "Bathroom", 5.0, 0.0, 8.0, 4.0)]
    objs = good_objects() + [obj(9, "kitchen cabinet", 6.5, 0.32, (0.6, 0.88, 0.6), rid="room|1")]
    assert rules_of(objs, rooms=rooms) == ["kitchen_fixture_room"]


def test_lamp_on_floor():
    objs = good_objects() + [obj(9, "table lamp", 4.6, 3.6, (0.3, 0.45, 0.3), yaw=183.0)]
    assert rules_of(objs) == ["lamp_on_floor"]


def test_kitchen_run():
    # the sink moved away from the counters: not set into the run
    assert rules_of(replace(good_objects(), 2, position=(4.3, 0.45, 1.5))) == ["kitchen_run"]
    # a hob standing on the floor, not on a counter
    objs = [o for o in good_objects() if o.instance_id != 4] + [obj(4, "cooktop", 4.0, 1.5, (0.5, 0.05, 0.5))]
    assert rules_of(objs) == ["kitchen_run"]


def test_no_yaw_jitter():
    assert rules_of(replace(good_objects(), 5, yaw_deg=90.0)) == ["no_yaw_jitter"]


def test_chair_not_facing_table():
    assert rules_of(replace(good_objects(), 7, yaw_deg=0.0)) == ["chair_not_facing_table"]
    # a chair far from any table may face anywhere
    assert rules_of(replace(good_objects(), 7, yaw_deg=0.0, position=(0.5, 0.45, 3.5))) == []


def test_repeated_model():
    objs = good_objects() + [obj(10 + k, "plant", 4.6, 1.0 + 0.6 * k, (0.4, 1.0, 0.4), yaw=12.0, asset="sh3d/x/plant")
                             for k in range(3)]
    assert rules_of(objs) == ["repeated_model"]
    # sets share a model: four cups of one model are fine
    cups = [obj(10 + k, "cup", 0.15 + 0.15 * k, 0.5, (0.09, 0.11, 0.09), yaw=20.0, y0=0.88, support=1, mount="surface",
                asset="sh3d/x/cup") for k in range(2)]
    assert rules_of(good_objects() + cups) == []


def test_check_rules_command_on_generated_houses(capsys, tmp_path):
    from builder.cli import main
    from builder.houses import check
    from tests.fixtures.fake_catalog import FakeCatalog
    houses = check.generated_houses(3, 7, FakeCatalog())
    assert check.run(houses) == 0
    out = capsys.readouterr().out
    assert "0 rule violation(s) in 3 house(s)" in out and "VSI-Bench categories present" in out
    bad = house(replace(good_objects(), 5, yaw_deg=0.0))
    assert check.run([bad]) == 1
    assert "no_yaw_jitter" in capsys.readouterr().out
    with pytest.raises(SystemExit) as e:  # the flag's range is checked while parsing
        main(["check-rules", "--generate", "0"])
    assert e.value.code == 2
    assert "--generate" in capsys.readouterr().err
    for i, h in enumerate(houses):
        h.save(tmp_path / "houses" / f"house_{i:06d}" / "house.json")
    assert [h.id for h in check.corpus_houses(tmp_path)] == [h.id for h in houses]
    assert main(["check-rules", "--corpus", str(tmp_path / "nowhere")]) == 2
