"""Walkthrough planner and occupancy grid on small hand-built houses."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from builder.capture.occupancy import OVERHEAD_CLEAR_M, build_occupancy
from builder.capture.planner import (
    PlannerConfig,
    Pose,
    pick_start_rooms,
    plan_walkthrough,
    plan_walkthrough_detailed,
    room_tour,
)
from builder.houses.spec import House, HouseObject, Opening, Room, Wall

CFG = PlannerConfig()
TOL = 1e-6


def rect(x0, z0, x1, z1):
    return ((x0, z0), (x1, z0), (x1, z1), (x0, z1))


def make_house(rooms, doors, objects=()):
    """rooms: [(id, polygon)]; doors: [(room0, room1, (x, z) door centre on their shared wall, width)];
    objects: [(id, room, (x, z), (sx, sz), yaw)]."""
    rs = [Room(rid, "LivingRoom", poly, index=i) for i, (rid, poly) in enumerate(rooms)]
    walls = []
    for r in rs:
        for k in range(len(r.polygon)):
            p0, p1 = r.polygon[k], r.polygon[(k + 1) % len(r.polygon)]
            walls.append(Wall(f"wall|{r.id}|{k}", r.id, p0, p1, 2.7, 2000 + len(walls)))
    ops = []
    for i, (r0, r1, c, width) in enumerate(doors):
        w0 = next(w for w in walls if w.room_id == r0 and _on_segment(c, w.p0, w.p1))
        w1 = next(w for w in walls if w.room_id == r1 and _on_segment(c, w.p0, w.p1))
        u = math.dist(w0.p0, c)
        hole = (u - width / 2, 0.0, u + width / 2, 2.1)
        ops.append(Opening(f"door|{i}", "door", w0.id, w1.id, r0, r1, hole, "simsv/doorway", 1 + i, "door"))
    objs = [
        HouseObject(oid, "Box", "parametric/box", (x, 0.4, z), yaw, (sx, 0.8, sz), 100 + i, "box", room)
        for i, (oid, room, (x, z), (sx, sz), yaw) in enumerate(objects)
    ]
    return House("test", 0, 2.7, rs, walls, ops, [], objs)


def _on_segment(c, p0, p1):
    (x, z), (x0, z0), (x1, z1) = c, p0, p1
    cross = (x1 - x0) * (z - z0) - (z1 - z0) * (x - x0)
    dot = (x - x0) * (x1 - x0) + (z - z0) * (z1 - z0)
    return abs(cross) < 1e-9 and 0 <= dot <= (x1 - x0) ** 2 + (z1 - z0) ** 2


def row_house(objects=()):
    """Three 4 x 4 m rooms in a row, 0.9 m doors between neighbours."""
    rooms = [("a", rect(0, 0, 4, 4)), ("b", rect(4, 0, 8, 4)), ("c", rect(8, 0, 12, 4))]
    doors = [("a", "b", (4, 1.0), 0.9), ("b", "c", (8, 3.0), 0.9)]
    return make_house(rooms, doors, objects)


def l_house():
    """An L of three rooms with furniture, one of them an L-shaped room."""
    rooms = [
        ("hall", ((0, 0), (6, 0), (6, 2.5), (2.5, 2.5), (2.5, 5), (0, 5))),
        ("east", rect(6, 0, 10, 4)),
        ("north", rect(0, 5, 4, 9)),
    ]
    doors = [("hall", "east", (6, 1.2), 0.9), ("hall", "north", (1.2, 5), 0.9)]
    objects = [
        ("sofa", "east", (8.0, 3.4), (2.0, 0.9), 0.0),
        ("table", "east", (8.2, 1.5), (1.2, 0.8), 30.0),
        ("bed", "north", (2.0, 7.9), (1.6, 2.0), 90.0),
        ("cabinet", "hall", (0.3, 3.5), (0.5, 1.2), 0.0),
    ]
    return make_house(rooms, doors, objects)


def _yaw_steps(poses):
    y = np.array([p.yaw_deg for p in poses])
    return (np.diff(y) + 180.0) % 360.0 - 180.0


def _check_motion(poses: list[Pose], house: House, cfg: PlannerConfig = CFG, clearance: float | None = None):
    assert cfg.min_frames <= len(poses) <= cfg.max_frames
    xz = np.array([(p.x, p.z) for p in poses])
    step = np.linalg.norm(np.diff(xz, axis=0), axis=1)
    turn = np.abs(_yaw_steps(poses))
    assert step.max() <= cfg.max_linear_speed_mps / cfg.fps + TOL
    assert turn.max() <= cfg.max_angular_speed_dps / cfg.fps + TOL
    assert np.all((step > 1e-9) | (turn > 1e-9)), "identical consecutive poses"
    # smooth: frame-to-frame speed changes within the acceleration limits (1% for sampling)
    assert np.abs(np.diff(step)).max() * cfg.fps**2 <= 1.01 * cfg.max_linear_accel_mps2
    assert np.abs(np.diff(_yaw_steps(poses))).max() * cfg.fps**2 <= 1.01 * cfg.max_angular_accel_dps2
    assert all(abs(p.t_s - i / cfg.fps) < 1e-9 for i, p in enumerate(poses))
    if cfg.style == "spin":
        assert all(p.y == cfg.camera_height_m and p.pitch_deg == cfg.pitch_deg and p.roll_deg == 0.0 for p in poses)
    else:  # handheld: height bobs by at most bob_m, pitch stays in its range
        assert all(abs(p.y - cfg.camera_height_m) <= cfg.bob_m + TOL for p in poses)
        assert all(cfg.pitch_range_deg[0] - TOL <= p.pitch_deg <= cfg.pitch_range_deg[1] + TOL for p in poses)
    grid = build_occupancy(house)
    clr = grid.clearance_at(xz[:, 0], xz[:, 1])
    need = (cfg.clearance_m if clearance is None else clearance) - grid.cell_m
    assert clr.min() >= need, f"pose too close to an obstacle: {clr.min():.3f} m"
    assert grid.free[grid.world_to_cell(xz[:, 0], xz[:, 1])].all()
    # exact geometry too: distance to every furniture footprint below the camera rig's top
    low = [o for o in house.objects if o.position[1] - o.size[1] / 2 < OVERHEAD_CLEAR_M]
    if low:
        boxes = shapely.union_all([Polygon(o.footprint()) for o in low])
        assert shapely.distance(shapely.points(xz), boxes).min() >= need


def _check_scans(plan, house):
    grid = build_occupancy(house)
    for s in plan.scans:
        if s.end_frame >= len(plan.poses):
            continue  # cut short by max_frames
        frames = plan.poses[s.start_frame : s.end_frame + 1]
        assert {(p.x, p.z) for p in frames} == {(s.x, s.z)}, "scan must stay in place"
        assert all(p.phase == "scan" for p in frames)
        assert grid.room_at(s.x, s.z) == s.room_id
        assert abs(np.sum(_yaw_steps(frames))) >= 360.0 - TOL


def test_occupancy_walls_doors_and_objects():
    house = row_house(objects=[("box", "a", (2.0, 2.0), (1.0, 1.0), 45.0)])
    grid = build_occupancy(house)
    assert grid.room_at(1.0, 1.0) == "a" and grid.room_at(6.0, 2.0) == "b" and grid.room_at(-1.0, 2.0) is None
    assert not grid.is_free(2.0, 2.0)  # object
    assert not grid.is_free(4.0, 3.0) and not grid.is_free(8.0, 1.0)  # shared walls away from doors
    assert grid.is_free(4.0, 1.0) and grid.is_free(8.0, 3.0)  # door openings
    assert grid.clearance_at(4.0, 1.0) == pytest.approx(0.45, abs=grid.cell_m)  # half the door width
    assert grid.clearance_at(6.0, 2.0) == pytest.approx(1.95, abs=grid.cell_m)
    x, z = grid.cell_to_world(*grid.world_to_cell(1.23, 3.21))
    assert abs(x - 1.23) <= grid.cell_m / 2 and abs(z - 3.21) <= grid.cell_m / 2


@pytest.mark.parametrize("start", ["a", "b", "c"])
def test_row_house_visits_and_scans_every_room(start):
    house = row_house(objects=[("box", "b", (6.0, 2.0), (1.0, 1.0), 0.0)])
    plan = plan_walkthrough_detailed(house, start, np.random.default_rng(1), CFG)
    assert plan.rooms_scanned == plan.tour and sorted(plan.tour) == ["a", "b", "c"]
    assert plan.tour[0] == start and plan.poses[0].room_id == start
    assert not plan.truncated and not plan.rooms_skipped
    _check_motion(plan.poses, house)
    _check_scans(plan, house)
    assert plan.scans[-1].end_frame == len(plan.poses) - 1  # ends after the last scan


def test_l_house_with_furniture():
    house = l_house()
    plan = plan_walkthrough_detailed(house, "east", np.random.default_rng(7), CFG)
    assert plan.tour == ["east", "hall", "north"] and plan.rooms_scanned == plan.tour
    _check_motion(plan.poses, house)
    _check_scans(plan, house)
    assert {p.room_id for p in plan.poses if p.phase == "move"} >= {"east", "hall", "north"}


def test_dfs_order_and_revisits():
    # star: hub b with leaves a, c; the tour a -> b -> c ... and d behind c
    rooms = [("a", rect(0, 0, 4, 4)), ("b", rect(4, 0, 8, 4)), ("c", rect(8, 0, 12, 4)), ("d", rect(4, 4, 8, 8))]
    doors = [("a", "b", (4, 2), 0.9), ("b", "c", (8, 2), 0.9), ("b", "d", (6, 4), 0.9)]
    house = make_house(rooms, doors)
    assert room_tour(house, "a") == ["a", "b", "c", "d"]
    plan = plan_walkthrough_detailed(house, "a", np.random.default_rng(0), CFG)
    assert plan.rooms_scanned == ["a", "b", "c", "d"]
    _check_motion(plan.poses, house)  # c -> d passes back through b
    _check_scans(plan, house)


def test_deterministic_and_seed_dependent():
    house = l_house()
    p1 = plan_walkthrough(house, "hall", np.random.default_rng(3), CFG)
    p2 = plan_walkthrough(house, "hall", np.random.default_rng(3), CFG)
    p3 = plan_walkthrough(house, "hall", np.random.default_rng(4), CFG)
    assert p1 == p2
    assert p1 != p3


def test_unknown_start_room():
    with pytest.raises(ValueError, match="unknown start room"):
        plan_walkthrough(row_house(), "nope", np.random.default_rng(0), CFG)


def test_blocked_door_skips_room_or_raises():
    # a cabinet right behind the b-c door in room c
    house = row_house(objects=[("cab", "c", (8.4, 3.0), (0.6, 1.6), 0.0)])
    plan = plan_walkthrough_detailed(house, "a", np.random.default_rng(0), CFG)
    assert plan.rooms_scanned == ["a", "b"] and set(plan.rooms_skipped) == {"c"}
    _check_motion(plan.poses, house)
    with pytest.raises(ValueError, match="not reachable"):
        plan_walkthrough(house, "a", np.random.default_rng(0), PlannerConfig(require_all_rooms=True))


def test_narrow_door_falls_back_to_smaller_clearance():
    rooms = [("a", rect(0, 0, 4, 4)), ("b", rect(4, 0, 8, 4))]
    house = make_house(rooms, [("a", "b", (4, 2), 0.5)])  # half width 0.25 < 0.30
    plan = plan_walkthrough_detailed(house, "a", np.random.default_rng(0), CFG)
    assert plan.rooms_scanned == ["a", "b"]
    assert plan.scans[0].clearance_m == CFG.clearance_m and plan.scans[1].clearance_m < CFG.clearance_m
    _check_motion(plan.poses, house, clearance=CFG.min_clearance_m)


def test_frame_limits():
    house = l_house()
    short = PlannerConfig(max_frames=150)
    plan = plan_walkthrough_detailed(house, "hall", np.random.default_rng(0), short)
    assert len(plan.poses) == 150 and plan.truncated and plan.rooms_scanned == ["hall"]
    one_room = make_house([("a", rect(0, 0, 3, 3))], [])
    quick = PlannerConfig(scan_turn_deg=20.0, min_frames=60)
    plan = plan_walkthrough_detailed(one_room, "a", np.random.default_rng(0), quick)
    assert len(plan.poses) >= 60 and abs(plan.scans[0].turn_deg) > 20.0
    _check_motion(plan.poses, one_room, quick)


def test_pick_start_rooms():
    house = l_house()
    rng = np.random.default_rng(0)
    starts = pick_start_rooms(house, 3, rng)
    assert sorted(starts) == ["east", "hall", "north"]
    assert len(pick_start_rooms(house, 5, rng)) == 5
    assert pick_start_rooms(house, 2, np.random.default_rng(9)) == pick_start_rooms(house, 2, np.random.default_rng(9))


@pytest.mark.parametrize("index", [0, 3])
def test_generated_house_motion_is_valid(fake_catalog, index):
    from builder.houses.generate import generate_house

    house = generate_house(index, 11, fake_catalog)
    start = pick_start_rooms(house, 1, np.random.default_rng(index))[0]
    plan = plan_walkthrough_detailed(house, start, np.random.default_rng(0), CFG)
    _check_motion(plan.poses, house, clearance=min(s.clearance_m for s in plan.scans))
    _check_scans(plan, house)
    # a room may be skipped only when furniture blocks its doors (reported, see rooms_skipped)
    assert plan.truncated or set(plan.rooms_scanned) | set(plan.rooms_skipped) >= set(plan.tour)


def test_cramped_start_room_and_doorless_room():
    rooms = [("a", rect(0, 0, 4, 4)), ("closet", rect(4, 0, 4.4, 0.4)), ("island", rect(10, 0, 13, 3))]
    house = make_house(rooms, [("a", "closet", (4, 0.2), 0.3)])
    with pytest.raises(ValueError, match="no room is reachable"):
        plan_walkthrough(house, "closet", np.random.default_rng(0), CFG)
    plan = plan_walkthrough_detailed(house, "a", np.random.default_rng(0), CFG)
    assert plan.rooms_scanned == ["a"] and set(plan.rooms_skipped) == {"closet", "island"}
    assert "doors" in plan.rooms_skipped["island"]
    assert pick_start_rooms(house, 1, np.random.default_rng(0)) != ["island"]


# ---- the "scan" style (handheld camera) ----------------------------------------------------------

from builder.capture.camera import TrajectoryCamera, draw_camera, intrinsics_from_hfov  # noqa: E402
from builder.capture.planner import planner_config_for  # noqa: E402
from builder.qa.view import room_clip_ranges  # noqa: E402

HANDHELD = planner_config_for(TrajectoryCamera("handheld", intrinsics_from_hfov(680, 384, 62.0), 1.45, -10.0), 10)


def _room_sweeps(poses) -> dict[str, float]:
    """Yaw span (deg) of each room's longest run of frames, as QA's room clips measure it."""
    rooms = np.array([p.room_id for p in poses], dtype=object)
    yaw = np.array([p.yaw_deg for p in poses])
    return {room: float(np.degrees(np.ptp(np.unwrap(np.radians(yaw[a:b]))))) for room, a, b in room_clip_ranges(rooms, yaw, 0.0)}


def _pure_rotation_share(poses, fps=10.0) -> float:
    xz = np.array([(p.x, p.z) for p in poses])
    speed = np.linalg.norm(np.diff(xz, axis=0), axis=1) * fps
    rate = np.abs(_yaw_steps(poses)) * fps
    return float(np.mean((speed < 0.05) & (rate > 5.0)))


@pytest.mark.parametrize("house_fn, start", [(row_house, "a"), (l_house, "east"), (l_house, "north")])
def test_scan_style_walks_every_room_and_sweeps_it(house_fn, start):
    house = house_fn()
    plan = plan_walkthrough_detailed(house, start, np.random.default_rng(2), HANDHELD)
    assert plan.rooms_scanned == plan.tour and not plan.truncated and plan.poses[0].room_id == start
    _check_motion(plan.poses, house, HANDHELD)
    sweeps = _room_sweeps(plan.poses)
    assert set(sweeps) == set(plan.tour) and min(sweeps.values()) >= 350.0, sweeps  # every room keeps its room clip
    # a walk, not spins: few frames only turn on the spot; yaw within the handheld limit
    assert _pure_rotation_share(plan.poses) <= 0.15
    assert np.abs(_yaw_steps(plan.poses)).max() * 10 <= HANDHELD.max_angular_speed_dps + TOL <= 40.0
    # the camera walks round each room rather than standing in it (in a narrow room, a thin
    # loop: along the room and back)
    for s in plan.scans:
        xz = np.array([(p.x, p.z) for p in plan.poses[s.start_frame : s.end_frame + 1]])
        assert max(np.ptp(xz[:, 0]), np.ptp(xz[:, 1])) > 1.0
        assert np.linalg.norm(np.diff(xz, axis=0), axis=1).sum() >= 2.0


def test_scan_style_looks_at_furniture_and_varies_pitch():
    house = l_house()
    plan = plan_walkthrough_detailed(house, "east", np.random.default_rng(0), HANDHELD)
    pitch = np.array([p.pitch_deg for p in plan.poses])
    assert pitch.std() >= 5.0  # pitch follows what is looked at (the bed, the sofa, the low table)
    # gaze is drawn to furniture: in the furnished east room, the sofa and table are in the field of
    # view more often than a gaze fixed on the loop's centre would have them
    roll = np.array([p.roll_deg for p in plan.poses])
    assert 0.2 < roll.std() < 2.0 and np.abs(roll).max() < 5.0
    heights = np.array([p.y for p in plan.poses])
    assert np.ptp(heights) > 0.005  # the walking bob


def test_scan_style_deterministic_and_limits():
    house = l_house()
    a = plan_walkthrough(house, "hall", np.random.default_rng(5), HANDHELD)
    b = plan_walkthrough(house, "hall", np.random.default_rng(5), HANDHELD)
    c = plan_walkthrough(house, "hall", np.random.default_rng(6), HANDHELD)
    assert a == b and a != c
    short = replace(HANDHELD, max_frames=150)
    plan = plan_walkthrough_detailed(house, "hall", np.random.default_rng(0), short)
    assert len(plan.poses) == 150 and plan.truncated
    one_room = make_house([("a", rect(0, 0, 3, 3))], [])
    plan = plan_walkthrough_detailed(one_room, "a", np.random.default_rng(0), HANDHELD)
    assert len(plan.poses) >= HANDHELD.min_frames
    _check_motion(plan.poses, one_room, HANDHELD)
    # a room too cramped for a loop is scanned by a spin in place
    closet = make_house([("a", rect(0, 0, 4, 4)), ("b", rect(4, 0, 5.6, 1.6))], [("a", "b", (4, 0.8), 0.9)])
    plan = plan_walkthrough_detailed(closet, "a", np.random.default_rng(0), HANDHELD)
    assert plan.rooms_scanned == ["a", "b"]
    _check_motion(plan.poses, closet, HANDHELD)
    assert min(_room_sweeps(plan.poses).values()) >= 350.0


@pytest.mark.parametrize("index", [0, 3])
def test_scan_style_generated_house(fake_catalog, index):
    from builder.houses.generate import generate_house

    house = generate_house(index, 11, fake_catalog)
    start = pick_start_rooms(house, 1, np.random.default_rng(index))[0]
    plan = plan_walkthrough_detailed(house, start, np.random.default_rng(0), HANDHELD)
    _check_motion(plan.poses, house, HANDHELD, clearance=min(s.clearance_m for s in plan.scans))
    assert plan.truncated or set(plan.rooms_scanned) | set(plan.rooms_skipped) >= set(plan.tour)
    assert _pure_rotation_share(plan.poses) <= 0.15


def test_camera_profiles():
    rng = lambda k: np.random.default_rng(k)  # noqa: E731
    hand = [draw_camera("handheld", 680, 384, 59.0, rng(k)) for k in range(40)]
    hfov = np.array([c.intrinsics.hfov_deg for c in hand])
    assert hfov.min() >= 55.0 and hfov.max() <= 72.0 and np.ptp(hfov) > 8.0
    assert all(1.3 <= c.height_m <= 1.7 for c in hand) and all(c.style == "scan" for c in hand)
    assert all(abs(c.intrinsics.fx - c.intrinsics.fy) < 1e-9 for c in hand)
    # 640x480 keeps the horizontal FOV range; the vertical follows the aspect
    k = draw_camera("handheld", 640, 480, 59.0, rng(1)).intrinsics
    assert 55.0 <= k.hfov_deg <= 72.0 and k.vfov_deg > 0.7 * k.hfov_deg
    paper = [draw_camera("paper", 680, 384, 59.0, rng(k)) for k in range(40)]
    assert all(58.0 - 1e-9 <= c.intrinsics.vfov_deg <= 59.9 + 1e-9 for c in paper)
    assert all(-29.0 - 1e-9 <= c.pitch_deg <= -25.2 + 1e-9 and c.style == "spin" for c in paper)
    assert 86.0 < paper[0].intrinsics.hfov_deg < 92.0  # SIMS-V's ~90 deg horizontal view at 680x384
    fixed = draw_camera("fixed", 680, 384, 59.0, rng(0))
    assert (fixed.intrinsics.vfov_deg, fixed.pitch_deg, fixed.height_m) == (59.0, -12.0, 1.5)
    # the fixed camera plans exactly as the planner did before profiles
    assert planner_config_for(fixed, 10) == PlannerConfig(fps=10)
    with pytest.raises(ValueError, match="unknown camera profile"):
        draw_camera("drone", 680, 384, 59.0, rng(0))
