"""ProcTHOR house import: geometry through the mirror, sizes from the asset database, our models
in place of AI2-THOR's, clear errors, same bytes twice, and a rendered walkthrough that sees them."""

import copy
import gzip
import json
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest

pytest.importorskip("procthor", reason="ProcTHOR's asset database: pip install --no-deps procthor==0.0.1.dev2")

from builder.houses.procthor_import import import_house, read_procthor_houses, thor_asset_sizes  # noqa: E402
from builder.houses.spec import HouseSpecError, polygon_area  # noqa: E402
from tests.fixtures.procthor_house import procthor_house  # noqa: E402


def test_rooms_walls_and_openings(thor_house):
    assert [(r.id, r.room_type) for r in thor_house.rooms] == [("room|2", "LivingRoom"), ("room|3", "Kitchen")]
    assert [round(r.area_m2, 6) for r in thor_house.rooms] == [16.0, 12.0]  # the mirror keeps areas
    assert all(polygon_area(r.polygon) > 0 for r in thor_house.rooms)  # counter-clockwise, as our rooms are
    assert len(thor_house.walls) == 8 and thor_house.wall_height == 2.5
    (door,), (window,) = thor_house.doors, thor_house.windows
    assert (door.wall0, door.wall1, door.room0, door.room1) == (
        "wall|2|4.00|0.00|4.00|4.00", "wall|3|4.00|0.00|4.00|4.00", "room|2", "room|3")
    assert door.hole == (1.5, 0.0, 2.5, 2.1)
    assert window.wall1 is None and window.room1 is None  # its second wall is the outside


def test_mirror_keeps_objects_in_their_rooms_and_facing_in(thor_house):
    by_id = {o.id: o for o in thor_house.objects}
    fridge = by_id["Fridge|3|7"]
    assert fridge.position == (-6.55, 0.9834, 1.0) and fridge.room_id == "room|3"
    # Unity rotation 270 faces -x, into the kitchen from its x = 7 wall; mirrored, +x from x = -7
    assert fridge.yaw_deg == 90.0
    sofa = by_id["Sofa|2|0"]
    assert sofa.room_id == "room|2" and sofa.yaw_deg == 0.0  # against the z = 0 wall, facing +z
    # every object's footprint centre lies in the room it is assigned to, on our side of x = 0
    for o in thor_house.objects:
        room = thor_house.room(o.room_id)
        xs = [p[0] for p in room.polygon]
        assert min(xs) <= o.position[0] <= max(xs) and o.position[0] < 0


def test_sizes_come_from_the_asset_database_and_models_from_our_catalogue(thor_house, real_catalog):
    sizes = thor_asset_sizes()
    src = {o["id"]: o["assetId"] for o in procthor_house()["objects"]}
    src.update({c["id"]: c["assetId"] for o in procthor_house()["objects"] for c in o.get("children", [])})
    for o in thor_house.objects:
        thor_type, bbox = sizes[src[o.id]]
        assert o.object_type == thor_type
        assert o.size == pytest.approx(bbox, abs=1e-6)
        entry = real_catalog.entry(o.asset_id)  # a model we can render, of the matching category
        assert entry.category == o.category
    cats = {o.id: o.category for o in thor_house.objects}
    assert cats["Sofa|2|0"] == "sofa" and cats["Fridge|3|7"] == "refrigerator" and cats["Vase|2|4"] == "vase"
    assert "Television|2|2" in cats  # a child on the TV stand is imported too


def test_types_without_a_model_are_left_out_and_counted(thor_house):
    assert "Statue|2|5" not in {o.id for o in thor_house.objects}
    meta = thor_house.metadata["simsv_import"]
    assert (meta["skipped"], meta["outside"], meta["tilted"]) == ({"Statue": 1}, 0, 0)
    assert meta["thor_assets"]["Fridge|3|7"] == "Fridge_1" and len(meta["thor_assets"]) == len(thor_house.objects)


def test_objects_outside_every_room_and_tilted_ones_are_counted(real_catalog):
    data = procthor_house()
    data["objects"][3]["position"]["x"] = 9.0  # the plant, now outside both rooms
    data["objects"][0]["rotation"]["x"] = 20.0
    h = import_house(data, 0, 0, real_catalog, "fixture.json")
    assert "HousePlant|2|6" not in {o.id for o in h.objects}
    assert h.metadata["simsv_import"]["outside"] == 1 and h.metadata["simsv_import"]["tilted"] == 1


@pytest.mark.parametrize("edit,field", [
    (lambda d: d["rooms"][0].pop("roomType"), "rooms[0].roomType"),
    (lambda d: d["rooms"][1].update(roomType="Garage"), "rooms[1].roomType"),
    (lambda d: d["objects"][2]["children"][0].update(assetId="No_Such_Asset"), "objects[2].children[0].assetId"),
    (lambda d: d["objects"][4]["position"].pop("z"), "objects[4].position.z"),
    (lambda d: d["doors"][0].update(wall0="wall|9|x", wall1="wall|9|y"), "doors[0].wall0"),
    (lambda d: d["walls"][0]["polygon"].pop(), "walls[0].polygon"),
])
def test_bad_fields_are_named(real_catalog, edit, field):
    data = copy.deepcopy(procthor_house())
    edit(data)
    with pytest.raises(HouseSpecError) as e:
        import_house(data, 3, 0, real_catalog, "houses.jsonl")
    assert "houses.jsonl (house 3)" in str(e.value) and f"'{field}'" in str(e.value)


def test_same_input_same_bytes(real_catalog):
    a = json.dumps(import_house(procthor_house(), 0, 0, real_catalog).to_json(), sort_keys=True)
    b = json.dumps(import_house(procthor_house(), 0, 0, real_catalog).to_json(), sort_keys=True)
    assert a == b


def test_file_formats(tmp_path):
    one = procthor_house()
    (tmp_path / "h.json").write_text(json.dumps(one))
    (tmp_path / "l.json").write_text(json.dumps([one, one]))
    with gzip.open(tmp_path / "h.jsonl.gz", "wt") as f:
        f.write(json.dumps(one) + "\n" + json.dumps(one) + "\n\n")
    (tmp_path / "bad.jsonl").write_text(json.dumps(one) + "\n{oops\n")
    assert len(read_procthor_houses(str(tmp_path / "h.json"))) == 1
    assert len(read_procthor_houses(str(tmp_path / "l.json"))) == 2
    assert len(read_procthor_houses(str(tmp_path / "h.jsonl.gz"))) == 2
    with pytest.raises(HouseSpecError, match="bad.jsonl: line 2"):
        read_procthor_houses(str(tmp_path / "bad.jsonl"))


def test_cli_rejects_more_houses_than_the_file_holds(tmp_path):
    (tmp_path / "h.jsonl").write_text(json.dumps(procthor_house()) + "\n")
    r = subprocess.run([sys.executable, "-m", "builder", "generate", "--procthor", str(tmp_path / "h.jsonl"),
                        "--houses", "2", "--out", str(tmp_path / "out"), "--quiet"], capture_output=True, text=True)
    assert r.returncode != 0 and "holds 1 houses" in r.stderr
    assert not (tmp_path / "out" / "houses").exists()


@pytest.mark.render
def test_imported_house_renders_and_its_objects_are_seen(tmp_path):
    (tmp_path / "h.jsonl").write_text(json.dumps(procthor_house()) + "\n")
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "builder", "generate", "--procthor", str(tmp_path / "h.jsonl"),
                        "--out", str(out), "--width", "128", "--height", "72", "--trajectories", "1", "--quiet"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    hdir = out / "houses" / "house_000000"
    scene = json.loads((hdir / "scene.json").read_text())
    ids = {o["instance_id"]: o["id"] for o in scene["objects"]}
    table = pq.read_table(hdir / "traj_00" / "frames.parquet").to_pydict()
    seen = {v["instance_id"] for vis in table["visible"] for v in vis if v["fraction"] > 0.001}
    assert {"Sofa|2|0", "Fridge|3|7", "DiningTable|3|8", "TVStand|2|1"} <= {ids[i] for i in seen if i in ids}
    assert set(table["room_id"]) >= {"room|2", "room|3"}  # the walkthrough goes through the door into the kitchen
    assert np.mean([len(v) > 0 for v in table["visible"]]) > 0.5
