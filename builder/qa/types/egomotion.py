"""Ego-motion and spatial memory: what the camera itself did, and where things are from its last
pose (SAT's dynamic skills, asked over video time with exact answers).

The camera's pose at every frame is in frames.parquet: its centre and its yaw, the heading in
the floor plane (yaw 0 faces +z, yaw grows turning left; docs/capture-format.md). Pitch and roll
never enter: every direction and turn here is in the floor plane, and nothing assumes a camera
height, field of view or path shape. What each answer measures:

- camera_displacement: straight-line distance between the camera centres at the video's first
  and last frames (both are always among the K uniformly sampled frames);
- camera_displacement_between, camera_turn: between the first appearances ("moments") of two
  objects, the distance the camera moved, or its total turn (the unwrapped change of yaw,
  so a full spin is never read as no turn) to the nearest 45 degrees;
- ego_direction, goal_aiming: the bearing of an object's centre from the last pose, as front /
  left / right / behind (boundaries at 45 and 135 degrees) or as the turn that faces it, to
  the nearest 45 degrees;
- action_consequence: after walking N m forward (or turning left, right or around and walking
  N m) from the last pose, which of four objects is closest (floor-plane distance to its
  oriented footprint).

Quality control, beyond the naming rules every type shares (unique or whole-family names,
salience, visibility under sampling):
- a moment names one object (the only one of its kind in the video, as "the <category>" needs)
  and is every frame a viewer could take for its first appearance: the first frame with a pixel, the first clear frame (`sampled_fraction`), and both within each K-frame sample. Two
  moments are `appearance_min_gap_s` apart, every frame of the first precedes every frame of
  the second, and the answer is the same from every pair of their frames: the turn class with
  `ego_turn_margin_deg` to spare, the displacement within `ego_displacement_spread_rel`;
- a bearing holds from every point of the object's footprint (shrunk by `direction_footprint`),
  `ego_direction_margin_deg` / `ego_turn_margin_deg` from every class boundary, and the object's
  centre is `ego_min_object_distance_m` from the camera;
- an action's walk stays `action_clearance_m` inside the camera's room and away from furniture,
  and the closest object wins by `rank_margin_m` and `rank_margin_rel` for walks
  `action_walk_tolerance_m` shorter or longer and headings `action_heading_tolerance_deg` off.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from builder.qa.config import QAConfig
from builder.qa.types.common import Candidate, Deferred, ListPool, Pool, Rejections, signed_angle_xz, unique_objects
from builder.qa.view import Scope
from simsv_vsi.question_types import ACTION_TURNS, AIM_CLASSES, EGO_DIRECTIONS, TURN_CLASSES
from simsv_vsi.records import ObjectRef

MAX_TRIES = 30
MIN_OBSTACLE_HEIGHT_M = 0.05  # rugs and mats are walked over


# --- poses and classes -------------------------------------------------------------------------


def forward_xz(yaw_deg) -> np.ndarray:
    """(..., 2) unit heading (x, z) for yaw in degrees (yaw 0 faces +z, yaw 90 faces +x)."""
    r = np.radians(np.asarray(yaw_deg, float))
    return np.stack([np.sin(r), np.cos(r)], axis=-1)


def bearing_deg(cam_xz: np.ndarray, yaw_deg: float, points_xz: np.ndarray) -> np.ndarray:
    """Signed floor-plane angle from the camera's heading to each point; positive = right."""
    f = forward_xz(yaw_deg)
    d = np.asarray(points_xz, float) - cam_xz
    return signed_angle_xz(f[0], f[1], d[..., 0], d[..., 1])


def unwrapped_yaw(yaw_deg: np.ndarray) -> np.ndarray:
    """Yaw without the jumps at +-180 (frames turn far less than 180 degrees apart)."""
    return np.degrees(np.unwrap(np.radians(np.asarray(yaw_deg, float))))


def turn_steps(right_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(nearest multiple of 45 degrees of |turn| as 0..k, margin to the nearest rounding
    boundary 22.5 + 45j) for signed turns."""
    a = np.abs(right_deg)
    k = np.floor(a / 45.0 + 0.5)
    return k.astype(np.int64), 22.5 - np.abs(a - 45.0 * k)


def turn_class(right_deg: float) -> str:
    """camera_turn's option for a turn of 45, 90 or 135 degrees (positive = right)."""
    k = int(turn_steps(np.array(right_deg))[0])
    return TURN_CLASSES[(3 if right_deg > 0 else 0) + k - 1]


def aim_class(bearing: float) -> str:
    """goal_aiming's option for a bearing rounded to 45, 90, 135 or 180 degrees."""
    k = int(turn_steps(np.array(bearing))[0])
    return AIM_CLASSES[-1] if k == 4 else AIM_CLASSES[(3 if bearing > 0 else 0) + k - 1]


def ego_direction_index(bearing: np.ndarray) -> np.ndarray:
    """Index into EGO_DIRECTIONS (front, left, right, behind) per signed bearing."""
    a = np.abs(bearing)
    return np.where(a < 45.0, 0, np.where(a > 135.0, 3, np.where(bearing > 0, 2, 1)))


def ego_direction_margin(bearing: np.ndarray) -> np.ndarray:
    a = np.abs(bearing)
    return np.minimum(np.abs(a - 45.0), np.abs(a - 135.0))


def footprint_distance(points_xz: np.ndarray, objects) -> np.ndarray:
    """(P, O) floor-plane distance from each point to each object's full oriented footprint (0
    inside it)."""
    out = np.empty((len(points_xz), len(objects)))
    for j, o in enumerate(objects):
        c, s = np.cos(np.radians(o.yaw_deg)), np.sin(np.radians(o.yaw_deg))
        dx, dz = points_xz[:, 0] - o.center[0], points_xz[:, 1] - o.center[2]
        u, w = c * dx - s * dz, s * dx + c * dz  # inverse of SceneObject.footprint's rotation
        out[:, j] = np.hypot(np.maximum(np.abs(u) - o.size[0] / 2, 0), np.maximum(np.abs(w) - o.size[2] / 2, 0))
    return out


def action_text(turn: str, metres: int) -> str:
    unit = "meter" if metres == 1 else "meters"
    return f"walk {metres} {unit} forward" if turn == "walk" else f"{turn} {metres} {unit}"


def _r(x, nd: int = 4):
    return round(float(x), nd)


# --- camera displacement since the start -------------------------------------------------------


def camera_displacement(scope: Scope, cfg: QAConfig, stats: Rejections) -> ListPool:
    t = "camera_displacement"
    view = scope.view
    a, b = scope.start, scope.end - 1
    d = float(np.linalg.norm(view.camera[b] - view.camera[a]))
    if d < cfg.ego_min_displacement_m:
        stats(t, "displacement_too_short")
        return ListPool([])
    evidence = {"camera_first_frame": [_r(v, 6) for v in view.camera[a]],
                "camera_last_frame": [_r(v, 6) for v in view.camera[b]], "frames": [a, b]}
    return ListPool([Candidate(("start", "end"), {}, [], evidence, value=d)])


# --- moments: first appearances a viewer can place ---------------------------------------------


class Moments:
    """The objects of a scope whose first appearance can be named ("when the sofa first
    appears": only objects that may be called "the <category>", so the moment is one object's),
    and for each every frame a viewer could take for it (absolute frame numbers): `frames[:, 0]`
    the first frame with a pixel, then the first clear frame, then per K the first sampled frame
    with a pixel and the first clear one. `ok[a, b]`: moment b clearly after moment a."""

    def __init__(self, scope: Scope, cfg: QAConfig, stats: Rejections, qtype: str):
        view = scope.view
        uniq = unique_objects(scope, stats, qtype)
        self.names, self.members = [], []
        self.frames = np.zeros((0, 2 + 2 * len(cfg.sample_counts)), np.int64)
        if not uniq:
            self.ok = np.zeros((0, 0), bool)
            return
        members = [[i] for i in uniq]
        cols = [i for m in members for i in m]
        starts = np.cumsum([0] + [len(m) for m in members[:-1]])
        px = np.maximum.reduceat(scope.pixels[:, cols], starts, axis=1)  # (frames, families)
        seen, clear = px >= cfg.seen_pixels, px >= cfg.sampled_fraction * view.frame_pixels
        first = seen.argmax(0)
        onset = np.where(clear.any(0), clear.argmax(0), -1)
        cols_k = [first, onset]
        sampled_ok = np.ones(len(members), bool)
        for idx in scope.sample_indices:
            for hit in (seen[idx], clear[idx]):
                sampled_ok &= hit.any(0)
                cols_k.append(idx[hit.argmax(0)])
        frames = np.stack(cols_k, axis=1) + scope.start
        slow = (onset < 0) | ((onset - first) / view.fps > cfg.appearance_onset_max_s)
        unsampled = ~slow & ~sampled_ok
        for rule, bad in (("slow_onset", slow), ("not_in_sampled_frames", unsampled)):
            if bad.any():
                stats(qtype, rule, int(bad.sum()))
        keep = np.flatnonzero(~slow & ~unsampled)
        self.names = [view.objects[members[k][0]].category for k in keep.tolist()]
        self.members = [members[k] for k in keep.tolist()]
        self.frames = frames[keep]
        f0 = self.frames[:, 0]
        gap = (f0[None, :] - f0[:, None]) / view.fps >= cfg.appearance_min_gap_s
        self.ok = gap & (self.frames.max(1)[:, None] < self.frames.min(1)[None, :])
        n_close = int((~self.ok & ~np.eye(len(keep), dtype=bool) & (f0[None, :] > f0[:, None])).sum())
        if n_close:
            stats(qtype, "moments_too_close", n_close)

    def objects(self, view, a: int, b: int) -> list[ObjectRef]:
        return [ObjectRef(role, self.names[k], [view.objects[i].instance_id for i in self.members[k]])
                for role, k in (("object1", a), ("object2", b))]

    def evidence(self, view, a: int, b: int) -> dict:
        return {"moment_frames": {self.names[k]: self.frames[k].tolist() for k in (a, b)},
                "first_appearance_s": {self.names[k]: _r(self.frames[k, 0] / view.fps) for k in (a, b)}}


def _pairs(m: Moments) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.nonzero(m.ok)
    return a, b


def camera_displacement_between(scope: Scope, cfg: QAConfig, stats: Rejections) -> ListPool:
    t = "camera_displacement_between"
    view = scope.view
    m = Moments(scope, cfg, stats, t)
    a, b = _pairs(m)
    if not len(a):
        return ListPool([])
    pa, pb = view.camera[m.frames[a]], view.camera[m.frames[b]]  # (pairs, moments, 3)
    d = np.linalg.norm(pb[:, None, :, :] - pa[:, :, None, :], axis=-1).reshape(len(a), -1)  # every frame pair
    nominal = d[:, 0]
    short = nominal < cfg.ego_min_displacement_m
    vague = ~short & (d.max(1) - d.min(1) > cfg.ego_displacement_spread_rel * nominal)
    stats(t, "displacement_too_short", int(short.sum()))
    stats(t, "moment_dependent", int(vague.sum()))
    out = []
    for k in np.flatnonzero(~short & ~vague).tolist():
        out.append(Deferred((m.names[a[k]], m.names[b[k]]),
                            partial(_displacement_candidate, view, m, int(a[k]), int(b[k]), float(nominal[k]),
                                    float(d[k].min()), float(d[k].max()))))
    return ListPool(out)


def _displacement_candidate(view, m: Moments, a: int, b: int, value: float, lo: float, hi: float) -> Candidate:
    return Candidate((m.names[a], m.names[b]), {"object1": m.names[a], "object2": m.names[b]}, m.objects(view, a, b),
                     {**m.evidence(view, a, b), "displacement_range_m": [_r(lo, 6), _r(hi, 6)]}, value=value)


# --- camera turn between two moments -----------------------------------------------------------


def camera_turn(scope: Scope, cfg: QAConfig, stats: Rejections) -> ListPool:
    t = "camera_turn"
    view = scope.view
    m = Moments(scope, cfg, stats, t)
    a, b = _pairs(m)
    if not len(a):
        return ListPool([])
    u = unwrapped_yaw(view.yaw_deg)
    # right turn = yaw decreasing; every frame pair of the two moments, nominal (first, first) first
    right = -(u[m.frames[b]][:, None, :] - u[m.frames[a]][:, :, None]).reshape(len(a), -1)
    k, _ = turn_steps(right[:, 0])
    steps = (k >= 1) & (k <= 3)
    sign = np.sign(right[:, :1])
    margin = (22.5 - np.abs(right * sign - 45.0 * k[:, None])).min(1)
    vague = steps & (margin < cfg.ego_turn_margin_deg)
    stats(t, "turn_near_0_or_180", int((~steps).sum()))
    stats(t, "near_turn_boundary", int(vague.sum()))
    out = []
    for i in np.flatnonzero(steps & ~vague).tolist():
        cls = turn_class(float(right[i, 0]))
        out.append(Deferred((m.names[a[i]], m.names[b[i]]),
                            partial(_turn_candidate, view, m, int(a[i]), int(b[i]), cls, float(right[i, 0]),
                                    float(margin[i])), cls))
    return ListPool(out)


def _turn_candidate(view, m: Moments, a: int, b: int, cls: str, right: float, margin: float) -> Candidate:
    return Candidate((m.names[a], m.names[b]), {"object1": m.names[a], "object2": m.names[b]}, m.objects(view, a, b),
                     {**m.evidence(view, a, b), "turn_right_deg": _r(right), "boundary_margin_deg": _r(margin)},
                     choices=[cls, *(c for c in TURN_CLASSES if c != cls)], cls=cls)


# --- bearings from the last pose ---------------------------------------------------------------


def _last_bearings(scope: Scope, cfg: QAConfig, stats: Rejections, qtype: str):
    """(unique objects, bearing at each footprint point (U, 5) with the centre first, centre
    distance, camera (x, z), yaw) at the scope's last frame; objects too close counted."""
    view = scope.view
    e = scope.end - 1
    cam, yaw = view.camera[e, [0, 2]], float(view.yaw_deg[e])
    uniq = np.array(unique_objects(scope, stats, qtype), np.int64)
    bearing = bearing_deg(cam, yaw, view.footprints[uniq]) if len(uniq) else np.zeros((0, 5))
    dist = np.linalg.norm(view.centers_xz[uniq] - cam, axis=1) if len(uniq) else np.zeros(0)
    near = dist < cfg.ego_min_object_distance_m
    stats(qtype, "too_close_to_camera", int(near.sum()))
    return uniq[~near], bearing[~near], dist[~near], cam, yaw


def _bearing_evidence(view, scope: Scope, i: int, bearing: float, margin: float, dist: float, cam, yaw) -> dict:
    return {"bearing_right_deg": _r(bearing), "boundary_margin_deg": _r(margin), "distance_m": _r(dist, 6),
            "camera_last_frame": [_r(v, 6) for v in cam], "yaw_last_frame_deg": _r(yaw),
            "in_view_last_frame": bool(view.pixels[scope.end - 1, i] > 0)}


def ego_direction(scope: Scope, cfg: QAConfig, stats: Rejections) -> ListPool:
    t = "ego_direction"
    view = scope.view
    uniq, bearing, dist, cam, yaw = _last_bearings(scope, cfg, stats, t)
    cls = ego_direction_index(bearing)
    margin = np.where((cls == cls[:, :1]).all(1), ego_direction_margin(bearing).min(1), -1.0)
    good = margin >= cfg.ego_direction_margin_deg
    stats(t, "near_direction_boundary", int((~good).sum()))
    out = []
    for k in np.flatnonzero(good).tolist():
        name = EGO_DIRECTIONS[int(cls[k, 0])]
        o = view.objects[int(uniq[k])]
        ev = _bearing_evidence(view, scope, o.index, bearing[k, 0], margin[k], dist[k], cam, yaw)
        out.append(Candidate((o.category,), {"category": o.category}, [ObjectRef("target", o.category, [o.instance_id])],
                             ev, choices=[name, *(c for c in EGO_DIRECTIONS if c != name)], cls=name))
    return ListPool(out)


def goal_aiming(scope: Scope, cfg: QAConfig, stats: Rejections) -> ListPool:
    t = "goal_aiming"
    view = scope.view
    uniq, bearing, dist, cam, yaw = _last_bearings(scope, cfg, stats, t)
    k, _ = turn_steps(bearing[:, 0])
    facing = k == 0
    # the same rounded turn from every footprint point: same side (but for "around") and margin
    same_side = (np.sign(bearing) == np.sign(bearing[:, :1])).all(1) | (k == 4)
    margin = np.where(same_side, (22.5 - np.abs(np.abs(bearing) - 45.0 * k[:, None])).min(1), -1.0)
    vague = ~facing & (margin < cfg.ego_turn_margin_deg)
    stats(t, "already_facing", int(facing.sum()))
    stats(t, "near_turn_boundary", int(vague.sum()))
    out = []
    for j in np.flatnonzero(~facing & ~vague).tolist():
        name = aim_class(float(bearing[j, 0]))
        o = view.objects[int(uniq[j])]
        ev = _bearing_evidence(view, scope, o.index, bearing[j, 0], margin[j], dist[j], cam, yaw)
        others = [c for c in AIM_CLASSES if c != name]
        out.append(Deferred((o.category,), partial(_aim_candidate, o, name, others, ev), name))
    return ListPool(out)


def _aim_candidate(o, name: str, others: list[str], evidence: dict) -> Candidate:
    return Candidate((o.category,), {"category": o.category}, [ObjectRef("target", o.category, [o.instance_id])],
                     evidence, choices=[name, *others], cls=name)


# --- action consequence ------------------------------------------------------------------------


def walk_is_clear(view, room_id: str, start_xz: np.ndarray, ends_xz: np.ndarray, clearance: float) -> bool:
    """Every straight walk from `start_xz` to each end stays `clearance` inside the room's floor
    polygon and `clearance` away from every piece of furniture's footprint."""
    from shapely.geometry import LineString, Polygon  # builder dependency; only this type needs it

    floor = Polygon(view.rooms[room_id]["polygon"]).buffer(-clearance)
    obstacles = _obstacles(view)
    for end in ends_xz:
        line = LineString([tuple(start_xz), tuple(end)])
        if not floor.contains(line) or line.distance(obstacles) < clearance:
            return False
    return True


def _obstacles(view):
    from shapely.geometry import MultiPolygon, Polygon
    from shapely.ops import unary_union

    if "obstacles" not in view.__dict__:
        polys = [Polygon(o.footprint(1.0)[[1, 2, 3, 4]]) for o in view.objects if o.size[1] >= MIN_OBSTACLE_HEIGHT_M]
        view.__dict__["obstacles"] = unary_union(polys) if polys else MultiPolygon()
    return view.__dict__["obstacles"]


class ActionPool(Pool):
    """Draws (action, closest object, three clearly farther objects) like ClosestPool draws its
    sets: a kind of action uniformly (walk forward, turn left / right / around and walk), an
    entry of it uniformly, then three of its farther objects."""

    def __init__(self, scope: Scope, cfg: QAConfig, stats: Rejections):
        t = "action_consequence"
        self.scope = scope
        view = scope.view
        self.entries = []  # (action text, walk m, heading change, end point, distances (U,), answer, farther)
        self.by_turn: dict[str, list[int]] = {}  # action kind -> its entries (forward walks are often blocked)
        uniq = unique_objects(scope, stats, t)
        e = scope.end - 1
        room_id = view.frame_room[e]
        if room_id is None or room_id not in view.rooms:
            stats(t, "camera_not_in_room")
            return
        if len(uniq) < 4:
            return
        self.uniq = uniq
        cam, yaw = view.camera[e, [0, 2]], float(view.yaw_deg[e])
        objs = [view.objects[i] for i in uniq]
        tol_h, tol_w = cfg.action_heading_tolerance_deg, cfg.action_walk_tolerance_m
        for turn, dyaw in ACTION_TURNS.items():
            heads = forward_xz(yaw + dyaw + np.array([0.0, -tol_h, tol_h]))  # nominal first
            for n in range(1, cfg.action_max_walk_m + 1):
                lengths = np.array([n, n - tol_w, n + tol_w], float)
                if not walk_is_clear(view, room_id, cam, cam + lengths[2] * heads, cfg.action_clearance_m):
                    stats(t, "walk_blocked")
                    continue
                points = (cam + lengths[:, None, None] * heads[None, :, :]).reshape(-1, 2)  # (9, 2), nominal first
                d = footprint_distance(points, objs)
                unclear = 0
                for a in range(len(objs)):
                    far = ((d - d[:, [a]] >= cfg.rank_margin_m) & (d >= d[:, [a]] * (1 + cfg.rank_margin_rel))).all(0)
                    far_idx = np.flatnonzero(far).tolist()
                    if len(far_idx) >= 3:
                        self.by_turn.setdefault(turn, []).append(len(self.entries))
                        self.entries.append((action_text(turn, n), n, dyaw, points[0], d[0], a, far_idx))
                    else:
                        unclear += 1
                if unclear:
                    stats(t, "no_clear_margin", unclear)
        self.cam, self.yaw = cam, yaw

    def draw(self, rng, used):
        if not self.entries:
            return None
        cats = [self.scope.view.objects[i].category for i in self.uniq]
        turns = list(self.by_turn)  # each kind of action as often as the video allows, then an entry
        for _ in range(MAX_TRIES):
            kind = self.by_turn[turns[rng.below(len(turns))]]
            entry = self.entries[kind[rng.below(len(kind))]]
            text, _, _, _, _, a, far = entry
            others = [far[i] for i in sorted(rng.sample(len(far), 3))]
            key = (text, cats[a], *sorted(cats[o] for o in others))
            if key not in used:
                return self._candidate(key, entry, others)
        return None

    def _candidate(self, key, entry, others) -> Candidate:
        view = self.scope.view
        text, n, dyaw, end, d, a, _ = entry
        picks = [a, *others]
        objs = [view.objects[self.uniq[k]] for k in picks]
        labels = [o.category for o in objs]
        evidence = {"action": text, "walk_m": n, "heading_change_left_deg": dyaw,
                    "camera_last_frame": [_r(v, 6) for v in self.cam], "yaw_last_frame_deg": _r(self.yaw),
                    "end_point": [_r(v, 6) for v in end],
                    "distances_m": {lab: _r(d[k], 6) for lab, k in zip(labels, picks)}}
        return Candidate(key, {"action": text},
                         [ObjectRef(f"choice_{k}", o.category, [o.instance_id]) for k, o in enumerate(objs)],
                         evidence, choices=labels)


def action_consequence(scope: Scope, cfg: QAConfig, stats: Rejections) -> ActionPool:
    return ActionPool(scope, cfg, stats)


DYNAMIC_POOLS = {
    "camera_displacement": camera_displacement,
    "camera_displacement_between": camera_displacement_between,
    "camera_turn": camera_turn,
    "ego_direction": ego_direction,
    "goal_aiming": goal_aiming,
    "action_consequence": action_consequence,
}
