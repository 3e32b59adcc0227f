"""`simsv stats` on a corpus written by hand, whose every figure is known."""

import json
import math
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from builder.capture.walkthrough import FRAMES_SCHEMA
from builder.stats import VSI_BENCH_CATEGORIES, corpus_stats, stats_text

W, H = 100, 50
FX = W / (2 * math.tan(math.radians(30.0)))  # horizontal field of view 60 deg


def _obj(iid, cat, room, size):
    return {"instance_id": iid, "category": cat, "room_id": room, "obb": {"center": [0, 0, 0], "size": size, "yaw_deg": 0}}


def _frames(path):
    # two frames walking at 1 m/s, then two frame pairs turning on the spot at 100 deg/s
    xs, yaws, pitch = [0.0, 0.1, 0.2, 0.2, 0.2], [0.0, 0.0, 0.0, 10.0, 20.0], [-10.0, -10.0, -20.0, -20.0, -10.0]
    visible = [
        [{"instance_id": 10, "fraction": 0.01}, {"instance_id": 11, "fraction": 0.002}],  # 1 shown, covers 1.2 %
        [{"instance_id": 1, "fraction": 0.06}],  # the door alone
        [{"instance_id": 10, "fraction": 0.03}, {"instance_id": 11, "fraction": 0.03}, {"instance_id": 1, "fraction": 0.02}],
        [{"instance_id": 5000, "fraction": 0.9}],  # a wall is not an object
        [{"instance_id": 12, "fraction": 0.049}],  # just under 5 %
    ]
    rows = {name: [] for name in FRAMES_SCHEMA.names}
    for i in range(5):
        for k, v in (("frame_index", i), ("t_s", i / 10), ("x", xs[i]), ("y", 1.5), ("z", 0.0), ("yaw_deg", yaws[i]),
                     ("pitch_deg", pitch[i]), ("roll_deg", 0.0), ("cam_to_world", [0.0] * 16), ("fx", FX), ("fy", FX),
                     ("cx", W / 2), ("cy", H / 2), ("width", W), ("height", H), ("room_id", "r0")):
            rows[k].append(v)
        rows["visible"].append([{**v, "pixels": 1, "bbox": [0, 0, 1, 1]} for v in visible[i]])
    pq.write_table(pa.table(rows, schema=FRAMES_SCHEMA), path)


@pytest.fixture
def corpus(tmp_path):
    hdir = tmp_path / "houses" / "house_000000"
    (hdir / "traj_00").mkdir(parents=True)
    scene = {
        "rooms": [{"id": "r0"}, {"id": "r1"}],
        "objects": [_obj(10, "chair", "r0", [0.5, 0.9, 0.5]), _obj(11, "dining table", "r0", [1.6, 0.75, 0.9]),
                    _obj(12, "cup", "r0", [0.08, 0.1, 0.08]), _obj(13, "television", "r1", [0.9, 0.25, 0.1])],
        "doors": [{"instance_id": 1, "category": "door"}], "windows": [],
    }
    (hdir / "scene.json").write_text(json.dumps(scene))  # the door counts in frames and for VSI-Bench names, not per room
    _frames(hdir / "traj_00" / "frames.parquet")
    (hdir / "traj_00" / "DONE").write_text("{}")
    (hdir / "DONE").write_text("{}")
    unfinished = tmp_path / "houses" / "house_000001"  # a house still being built is not counted
    unfinished.mkdir()
    (unfinished / "scene.json").write_text(json.dumps({**scene, "objects": [_obj(20, "cup", "r0", [0.1] * 3)] * 5}))
    return tmp_path


def test_known_figures(corpus):
    s = corpus_stats(corpus)
    assert (s["houses"], s["trajectories"], s["frames"], s["objects"], s["rooms"]) == (1, 1, 5, 4, 2)
    assert s["hfov_deg_median"] == pytest.approx(60.0) and s["height_m_median"] == 1.5
    assert s["pitch_std_deg_median"] == pytest.approx(round(float(__import__("numpy").std([-10, -10, -20, -20, -10])), 2))
    assert s["pure_rotation_share"] == 0.5  # 2 of 4 frame pairs turn without moving
    assert s["yaw_rate_p95_dps"] == pytest.approx(100.0)
    assert s["objects_per_frame_median"] == 1.0  # shown per frame: 1, 1 (the door), 3, 0 (a wall), 1
    assert s["frames_without_object_share"] == 0.2
    assert s["blank_wall_share"] == 0.6  # covers 1.2, 6, 8, 0, 4.9 %
    # without doors and windows: shown 1, 0, 2, 0, 1; covers 1.2, 0, 6, 0, 4.9 %
    assert s["objects_only"] == {"objects_per_frame_median": 1.0, "frames_without_object_share": 0.4, "blank_wall_share": 0.8}
    assert s["objects_per_room_median"] == 2.0  # 3 and 1
    assert s["small_object_share"] == 0.25  # the cup alone (0.1 m); the television is 0.9 m long
    assert s["categories_per_house_median"] == 4.0
    assert sorted(s["vsi_categories"]) == ["chair", "cup", "door", "table", "tv"]
    assert s["vsi_categories_present"] == 5 and len(s["vsi_categories_missing"]) == 60
    met = s["goals_met"]
    assert met["hfov_deg_median"] and met["height_m_median"] and not met["pure_rotation_share"]
    assert not met["objects_per_frame_median"] and not met["small_object_share"]
    text = stats_text(s)
    assert "| frames that only rotate on the spot | 50.0 % | <= 15 % | no |" in text
    assert len(VSI_BENCH_CATEGORIES) == len(set(VSI_BENCH_CATEGORIES)) == 65


def test_cli_writes_json_and_refuses_an_empty_folder(corpus, tmp_path):
    r = subprocess.run([sys.executable, "-m", "builder", "stats", "--corpus", str(corpus)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "VSI-Bench categories present (5/65)" in r.stdout
    assert json.loads((corpus / "stats.json").read_text())["frames"] == 5
    empty = tmp_path / "empty"
    empty.mkdir()
    r = subprocess.run([sys.executable, "-m", "builder", "stats", "--corpus", str(empty)], capture_output=True, text=True)
    assert r.returncode == 2 and "no finished house" in r.stderr and r.stderr.count("\n") == 1
    assert not (empty / "stats.json").exists()
