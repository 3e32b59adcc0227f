"""Ego-motion and spatial-memory types on hand-built trajectories with known poses: a pure left
turn, a straight walk, objects in front, left, right and behind. Each answer is checked against
what the poses say by hand, each QC rule against a case built to violate it (and the same case
without the violation), and records are deterministic and leave the existing types alone."""

import numpy as np
import pytest

from builder.qa.balance import balance_answers
from builder.qa.config import QAConfig
from builder.qa.engine import trajectory_records
from builder.qa.types.common import Rejections
from builder.qa.types.egomotion import (ActionPool, bearing_deg, camera_displacement, camera_displacement_between,
                                        camera_turn, ego_direction, goal_aiming)
from simsv_vsi.question_types import DYNAMIC_TYPES, QUESTION_TYPES
from tests.fixtures.qa_scene import make_view, obj, visible

CFG = QAConfig(sample_counts=(8,))
N = 100  # frames at 10 fps; the 8-frame sampler takes 0, 14, 28, 42, 56, 70, 84, 99
OBJECTS = [obj(1, "sofa", "room|0", 5, 8.5), obj(2, "bed", "room|0", 8.5, 5), obj(3, "toilet", "room|0", 1.5, 5),
           obj(4, "fridge", "room|0", 5, 1.5)]


def answers(pool):
    """key -> (correct option or value, candidate) of every candidate a ListPool holds."""
    out = {}
    for cands in pool.by_class.values():
        for c in cands:
            out[c.key] = (c.choices[0] if c.choices else c.value, c)
    return out


def appearing(first_frames: list[int], n: int = N) -> np.ndarray:
    """Pixels: object k clearly visible from frame first_frames[k] on."""
    px = np.zeros((n, len(first_frames)), np.int32)
    for k, f in enumerate(first_frames):
        px[f:, k] = 500
    return px


def turning(yaw_end: float, first=(0, 99), n: int = N, yaw_start: float = 0.0):
    """The camera standing at the room centre turning steadily from yaw_start to yaw_end."""
    return make_view(OBJECTS[:2], appearing(list(first), n), yaw_deg=np.linspace(yaw_start, yaw_end, n))


# --- camera turn -------------------------------------------------------------------------------


def test_pure_left_turn_is_left_90():
    stats = Rejections()
    got = answers(camera_turn(turning(90.0).full, CFG, stats))
    assert got[("sofa", "bed")][0] == "left, about 90 degrees"
    assert ("bed", "sofa") not in got  # the bed appears second: only one order is asked
    ev = got[("sofa", "bed")][1].evidence
    assert ev["turn_right_deg"] == pytest.approx(-90.0) and ev["first_appearance_s"] == {"sofa": 0.0, "bed": 9.9}


def test_right_turn_through_the_yaw_wrap():
    # yaw 0 -> -135 stored wrapped to [0, 360): 0, 359, ..., 225
    view = make_view(OBJECTS[:2], appearing([0, 99]), yaw_deg=np.linspace(0, -135, N) % 360)
    assert answers(camera_turn(view.full, CFG, Rejections()))[("sofa", "bed")][0] == "right, about 135 degrees"


@pytest.mark.parametrize("yaw_end, rule", [(10.0, "turn_near_0_or_180"), (175.0, "turn_near_0_or_180"),
                                           (450.0, "turn_near_0_or_180"), (66.0, "near_turn_boundary")])
def test_turn_rules(yaw_end, rule):
    stats = Rejections()
    assert not answers(camera_turn(turning(yaw_end).full, CFG, stats))
    assert stats.counts[f"camera_turn:{rule}"] == 1
    # a full spin plus a quarter is not "left 90" (the unwrapped yaw), but a plain quarter is
    assert answers(camera_turn(turning(90.0).full, CFG, Rejections()))


def test_turn_needs_the_same_answer_from_every_frame_a_viewer_may_take_for_the_moment():
    # the bed's first pixel is at frame 50 (yaw 45.5), its first sampled frame 56 (yaw 50.9): both
    # round to 45 with 16.6 degrees to spare; sweeping 120 degrees they read 60.6 and 67.9, which
    # straddle the 67.5 boundary
    stats = Rejections()
    assert answers(camera_turn(turning(90.0, first=(0, 50)).full, CFG, stats))[("sofa", "bed")][0] == \
        "left, about 45 degrees"
    assert not answers(camera_turn(turning(120.0, first=(0, 50)).full, CFG, stats))
    assert stats.counts["camera_turn:near_turn_boundary"] == 1


def test_moments_name_one_object():
    # two chairs: "when the chair first appears" would not say which; the sofa and bed stay
    objs = [*OBJECTS[:2], obj(5, "chair", "room|0", 2, 2), obj(6, "armchair", "room|0", 8, 8)]
    stats = Rejections()
    view = make_view(objs, appearing([0, 99, 30, 60]), yaw_deg=np.linspace(0, 90, N))
    assert set(answers(camera_turn(view.full, CFG, stats))) == {("sofa", "bed")}
    assert stats.counts["camera_turn:not_unique"] == 1


def test_moments_must_be_apart_and_survive_sampling():
    stats = Rejections()
    assert not answers(camera_turn(turning(90.0, first=(0, 15)).full, CFG, stats))  # 1.5 s apart
    assert stats.counts["camera_turn:moments_too_close"] == 1
    px = appearing([0, 99])
    px[99, 1] = 0
    px[60, 1] = 500  # the bed is clear in frame 60 only: none of the 8 sampled frames shows it
    stats = Rejections()
    assert not answers(camera_turn(make_view(OBJECTS[:2], px, yaw_deg=np.linspace(0, 90, N)).full, CFG, stats))
    assert stats.counts["camera_turn:not_referable"] == 1  # the shared naming rule turns it down


# --- camera displacement -----------------------------------------------------------------------


def walking(first=(0, 56), start=(1.0, 5.0), end=(9.0, 5.0)):
    cam = np.stack([np.linspace(start[0], end[0], N), np.full(N, 1.4), np.linspace(start[1], end[1], N)], axis=1)
    return make_view(OBJECTS[:2], appearing(list(first)), yaw_deg=np.full(N, 90.0), camera=cam)


def test_straight_walk_displacements():
    view = walking()
    got = answers(camera_displacement(view.full, CFG, Rejections()))
    assert got[("start", "end")][0] == pytest.approx(8.0)
    between = answers(camera_displacement_between(view.full, CFG, Rejections()))
    assert between[("sofa", "bed")][0] == pytest.approx(56 * 8 / 99)


def test_displacement_rules():
    stats = Rejections()
    assert not answers(camera_displacement(walking(end=(1.3, 5.0)).full, CFG, stats))
    assert stats.counts["camera_displacement:displacement_too_short"] == 1
    # the bed's first pixel (frame 50) and first sampled frame (56) are 0.48 m apart: > 10 %
    stats = Rejections()
    assert not answers(camera_displacement_between(walking(first=(0, 50)).full, CFG, stats))
    assert stats.counts["camera_displacement_between:moment_dependent"] == 1


# --- bearings from the last pose ---------------------------------------------------------------


def still(yaw: float = 0.0, objects=OBJECTS, px=None, cam=(5.0, 1.5, 5.0)):
    """Standing at `cam` facing `yaw` the whole video (room 10 x 10 m); by default every object is
    seen early and none at the last frame (answers need memory)."""
    if px is None:
        px = visible(N, len(objects))
        px[-1] = 0
    return make_view(objects, px, yaw_deg=np.full(N, yaw), camera=np.tile(cam, (N, 1)))


def test_ego_direction_front_left_right_behind():
    # facing +z: the sofa (+z) is ahead, the bed (+x) to the left, the toilet (-x) right, the fridge behind
    got = {k[0]: v for k, (v, _) in answers(ego_direction(still().full, CFG, Rejections())).items()}
    assert got == {"sofa": "front", "bed": "left", "toilet": "right", "refrigerator": "behind"}
    # turned to face +x, everything moves a quarter turn to the right
    got = {k[0]: v for k, (v, _) in answers(ego_direction(still(90.0).full, CFG, Rejections())).items()}
    assert got == {"sofa": "right", "bed": "front", "toilet": "behind", "refrigerator": "left"}
    assert bearing_deg(np.array([5.0, 5.0]), 0.0, np.array([[2.0, 5.0]]))[0] == pytest.approx(90.0)


def test_goal_aiming():
    got = {k[0]: v for k, (v, _) in answers(goal_aiming(still().full, CFG, Rejections())).items()}
    assert got == {"bed": "turn left about 90 degrees", "toilet": "turn right about 90 degrees",
                   "refrigerator": "turn around"}
    stats = Rejections()
    goal_aiming(still().full, CFG, stats)
    assert stats.counts["goal_aiming:already_facing"] == 1  # the sofa: straight ahead


def test_bearing_rules():
    tx, tz = 5 - 3.5 * np.sin(np.radians(25)), 5 + 3.5 * np.cos(np.radians(25))  # 25 degrees right
    objs = [obj(1, "sofa", "room|0", 8, 8),  # bearing exactly 45 degrees (left-front boundary)
            obj(2, "bed", "room|0", 5, 5.6),  # 0.6 m from the camera
            obj(3, "toilet", "room|0", tx, tz, size=(3.0, 0.5, 3.0)),  # 3 m wide: a corner reads 42.6 degrees
            obj(4, "fridge", "room|0", 5, 1.5)]
    stats = Rejections()
    got = answers(ego_direction(still(objects=objs).full, CFG, stats))
    assert list(got) == [("refrigerator",)]
    assert stats.counts["ego_direction:too_close_to_camera"] == 1
    assert stats.counts["ego_direction:near_direction_boundary"] == 2
    objs[2] = obj(3, "toilet", "room|0", tx, tz)  # the same toilet, 0.6 m wide: front from all of it
    assert answers(ego_direction(still(objects=objs).full, CFG, Rejections()))[("toilet",)][0] == "front"
    # goal aiming: 66 degrees is within 10 of 67.5
    objs = [obj(1, "sofa", "room|0", 5 + 3 * np.sin(np.radians(66)), 5 + 3 * np.cos(np.radians(66)))]
    stats = Rejections()
    assert not answers(goal_aiming(still(objects=objs).full, CFG, stats))
    assert stats.counts["goal_aiming:near_turn_boundary"] == 1


# --- action consequence ------------------------------------------------------------------------


def actions(view, cfg=CFG, stats=None):
    """(action text, metres) -> object indices that win it, and the pool."""
    pool = ActionPool(view.full, cfg, stats or Rejections())
    out = {}
    for text, n, _, _, _, a, _ in pool.entries:
        out.setdefault((text, n), []).append(pool.uniq[a])
    return out, pool


def test_action_consequence_closest_after_each_action():
    view = still()
    got, _ = actions(view)
    assert {k: [view.objects[i].category for i in v] for k, v in got.items()} == {
        ("walk 2 meters forward", 2): ["sofa"], ("turn left and walk 2 meters", 2): ["bed"],
        ("turn right and walk 2 meters", 2): ["toilet"], ("turn around and walk 2 meters", 2): ["refrigerator"],
        ("walk 1 meter forward", 1): ["sofa"], ("turn left and walk 1 meter", 1): ["bed"],
        ("turn right and walk 1 meter", 1): ["toilet"], ("turn around and walk 1 meter", 1): ["refrigerator"]}


def test_action_rules():
    # at (5, 9.2) facing +z the wall is 0.8 m ahead: every forward walk is blocked
    stats = Rejections()
    objs = [obj(1, "sofa", "room|0", 2, 9), obj(2, "bed", "room|0", 8.5, 5), obj(3, "toilet", "room|0", 1.5, 5),
            obj(4, "fridge", "room|0", 5, 1.5)]
    got, _ = actions(still(objects=objs, cam=(5.0, 1.5, 9.2)), stats=stats)
    assert not [k for k in got if "forward" in k[0]] and stats.counts["action_consequence:walk_blocked"] >= 2
    # two objects equally far from where the walk ends: no clear winner among them
    objs = [obj(1, "sofa", "room|0", 4, 8.5), obj(2, "bed", "room|0", 6, 8.5), obj(3, "toilet", "room|0", 1.5, 5),
            obj(4, "fridge", "room|0", 5, 1.5)]
    stats = Rejections()
    got, _ = actions(still(objects=objs), stats=stats)
    assert ("walk 2 meters forward", 2) not in got and stats.counts["action_consequence:no_clear_margin"] > 0
    objs[1] = obj(2, "bed", "room|0", 8.5, 8.5)  # the bed moved away: the sofa wins clearly
    got, _ = actions(still(objects=objs))
    assert got[("walk 2 meters forward", 2)] == [0]


# --- records: engine, determinism, the existing types untouched -------------------------------


def test_records_deterministic_and_registered():
    view = still()
    a = trajectory_records(view, CFG, Rejections(), list(DYNAMIC_TYPES))
    b = trajectory_records(still(), CFG, Rejections(), list(DYNAMIC_TYPES))
    assert a == b and {r.question_type for r in a} >= {"ego_direction", "goal_aiming", "action_consequence"}
    for r in a:
        qt = QUESTION_TYPES[r.question_type]
        assert r.format in qt.formats and "{" not in r.question
        if r.options:
            assert len(r.options) == qt.num_options
            assert r.answer_value == r.options["ABCDEFGH".index(r.answer)].split(". ", 1)[1]


def test_existing_types_unchanged_by_the_new_ones():
    old = [t for t in QUESTION_TYPES if t not in DYNAMIC_TYPES]
    view = make_view(OBJECTS, appearing([0, 30, 60, 90]), yaw_deg=np.linspace(0, 270, N))
    both = trajectory_records(view, CFG, Rejections())
    alone = trajectory_records(view, CFG, Rejections(), old)
    assert {r.question_type for r in both} - set(old)  # the new types did make records here
    assert [r for r in both if r.question_type in old] == alone
    kept_both, _ = balance_answers(both, CFG.seed)
    kept_alone, _ = balance_answers(alone, CFG.seed)
    assert [r for r in kept_both if r.question_type in old] == kept_alone
