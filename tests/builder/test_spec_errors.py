"""Each malformed house spec gets one clear error naming the file and the field."""

import copy
import json

import pytest

from builder.houses.generate import generate_house
from builder.houses.spec import House, HouseSpecError


@pytest.fixture(scope="module")
def good(fake_catalog):
    return generate_house(0, 1, fake_catalog).to_json()


def _load(tmp_path, data):
    path = tmp_path / "bad_house.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    with pytest.raises(HouseSpecError) as e:
        House.load(path)
    assert str(path) in str(e.value)
    return str(e.value)


CASES = [
    (lambda d: d.pop("rooms"), "'rooms'"),
    (lambda d: d["rooms"][0].update(roomType="Garage"), "rooms[0].roomType"),
    (lambda d: d["rooms"][1].update(floorPolygon=d["rooms"][1]["floorPolygon"][:2]), "rooms[1].floorPolygon"),
    (lambda d: d["rooms"][0]["floorPolygon"][0].update(x="1.0"), "rooms[0].floorPolygon[0].x"),
    (lambda d: d["objects"][2]["position"].pop("z"), "objects[2].position.z"),
    (lambda d: d["objects"][0]["simsv"]["obb"].update(size=[1, -2, 1]), "objects[0].simsv.obb.size"),
    (lambda d: d["objects"][0]["simsv"].update(roomId="room|99"), "objects[0].simsv.roomId"),
    (lambda d: d["doors"][0].update(wall0="wall|nowhere"), "doors[0].wall0"),
    (lambda d: d["objects"][1]["simsv"].update(instanceId=d["objects"][0]["simsv"]["instanceId"]), "not unique"),
    (lambda d: d.update(version="simsv-house/0"), "version"),
    (lambda d: d["proceduralParameters"].update(wallHeight=float("nan")), "wallHeight"),
]


@pytest.mark.parametrize("mutate,field", CASES)
def test_bad_field_named(tmp_path, good, mutate, field):
    data = copy.deepcopy(good)
    mutate(data)
    assert field in _load(tmp_path, data)


def test_not_json(tmp_path):
    assert "not valid JSON" in _load(tmp_path, "{rooms: [}")


def test_missing_file(tmp_path):
    with pytest.raises(HouseSpecError, match="file not found"):
        House.load(tmp_path / "nope.json")
