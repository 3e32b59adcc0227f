"""Relative direction (easy / medium / hard): standing by one object, facing a second, where
is a third?

The angle is measured in the floor plane at the positioning object. Three objects of one room,
each the only one of its kind in the video. The class must hold (a) at the object centres with
`direction_margin_deg` from every class boundary, and (b) from every standing point on the
positioning object's footprint toward every point of the other two footprints (shrunk by
`direction_footprint`), so "standing by the bed" means the same wherever by the bed one stands.
"""

from __future__ import annotations


import numpy as np

from builder.qa.config import QAConfig
from builder.qa.types.common import (Candidate, KeyedPool, Rejections, permutations_within, signed_angle_deg,
                                     signed_angle_xz, unique_objects)
from builder.qa.view import Scope
from simsv_vsi.question_types import DIRECTION_CLASSES
from simsv_vsi.records import ObjectRef

BOUNDARIES = {  # unsigned angles (degrees) where the class changes
    "object_rel_direction_easy": (0.0, 180.0),
    "object_rel_direction_medium": (0.0, 135.0),
    "object_rel_direction_hard": (0.0, 90.0, 180.0),
}


# rejection rules, in the order they are checked (a triple counts under its first failing rule)
RULES = ("standing_facing_too_close", "query_too_close", "near_boundary", "depends_on_where_one_stands")


def classify(qtype: str, signed_deg: np.ndarray) -> np.ndarray:
    """Class index into DIRECTION_CLASSES[qtype] for signed angles (positive = right)."""
    a = np.abs(signed_deg)
    right = signed_deg > 0
    if qtype == "object_rel_direction_easy":
        return np.where(right, 1, 0)
    if qtype == "object_rel_direction_medium":
        return np.where(a >= 135.0, 2, np.where(right, 1, 0))
    return np.where(a < 90.0, np.where(right, 1, 0), np.where(right, 3, 2))


def boundary_margin(qtype: str, signed_deg: np.ndarray) -> np.ndarray:
    a = np.abs(signed_deg)[..., None]
    return np.abs(a - np.asarray(BOUNDARIES[qtype])).min(-1)


def _scope_triples(scope: Scope) -> np.ndarray:
    """(T, 3): every ordered triple of the scope's unique objects that share a room."""
    by_room: dict[str, list[int]] = {}
    for i in scope.unique[0]:
        by_room.setdefault(scope.view.objects[i].room_id, []).append(i)
    return permutations_within(by_room.values(), 3)


def triple_geometry(view, triples: np.ndarray, cfg: QAConfig) -> dict:
    """What the three levels share about `triples`: separations, centre angle and
    `foot_angles` (every standing point x facing point x query point of the three
    footprints, (T', 125)) for the T' triples marked `footed`: those that pass the first three
    rules for at least one level, the only ones the footprint rule is checked on (about half).
    Every value is computed row by row, so a batch of several scopes' triples gives each row
    the same floats as its scope alone."""
    centers, feet = view.centers_xz, view.footprints
    P, O, Q = (centers[triples[:, k]] for k in range(3))
    sep, qsep = np.linalg.norm(O - P, axis=1), np.linalg.norm(Q - P, axis=1)
    angle = signed_angle_deg(O - P, Q - P)
    footed = ~(sep < cfg.direction_min_separation_m) & ~(qsep < cfg.direction_min_query_m)  # as the rules
    clear = np.zeros(len(triples), bool)
    for qtype in BOUNDARIES:
        clear |= ~(boundary_margin(qtype, angle) < cfg.direction_margin_deg)
    footed &= clear
    t = triples[footed]
    x, z = feet[..., 0], feet[..., 1]  # (objects, 5) each
    sx, sz = x[t[:, 0]][:, :, None, None], z[t[:, 0]][:, :, None, None]  # standing points
    fx, fz = x[t[:, 1]][:, None, :, None] - sx, z[t[:, 1]][:, None, :, None] - sz  # to facing points
    qx, qz = x[t[:, 2]][:, None, None, :] - sx, z[t[:, 2]][:, None, None, :] - sz  # to query points
    return {"triples": triples, "sep": sep, "qsep": qsep, "angle": angle, "footed": footed,
            "foot_angles": signed_angle_xz(fx, fz, qx, qz).reshape(len(t), 125)}


def judge(qtype: str, g: dict, cfg: QAConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the triples of `g` (see triple_geometry): each one's first failing rule (an index
    into RULES, or -1 when accepted), class index and boundary margin. Row by row, as above."""
    angle = g["angle"]
    margin = boundary_margin(qtype, angle)
    cls = classify(qtype, angle)
    failed = np.full(len(angle), -1, np.int64)
    for k, bad in enumerate([g["sep"] < cfg.direction_min_separation_m, g["qsep"] < cfg.direction_min_query_m,
                             margin < cfg.direction_margin_deg]):
        failed[(failed < 0) & bad] = k  # each rejection counted under its first failing rule
    # the footprint rule, on the triples still in (all of them `footed`, so with foot angles)
    ok = failed < 0
    robust = (classify(qtype, g["foot_angles"][ok[g["footed"]]]) == cls[ok][:, None]).all(1)
    failed[np.flatnonzero(ok)[~robust]] = 3
    return failed, cls, margin


def _batch(scope: Scope, cfg: QAConfig) -> tuple[list[Scope], dict, list[int]]:
    """The triple geometry of every scope of the scope's trajectory (walkthrough and room
    clips) as one batch, computed when first asked: the scopes, the geometry, and where each
    scope's rows end. A trajectory has ~6 scopes of a few dozen triples each, so per-call
    overhead, not arithmetic, was the cost of doing them one by one."""
    view = scope.view
    scopes = [view.full, *view.room_clips]
    if not any(s is scope for s in scopes):  # a scope made apart from its view: alone
        scopes = [scope]
    key = ("direction", cfg.direction_min_separation_m, cfg.direction_min_query_m, cfg.direction_footprint,
           cfg.direction_margin_deg)
    if key not in scopes[0].cache:
        parts = [_scope_triples(s) for s in scopes]
        scopes[0].cache[key] = (triple_geometry(view, np.concatenate(parts), cfg),
                                np.cumsum([len(p) for p in parts]).tolist())
    g, ends = scopes[0].cache[key]
    return scopes, g, ends


def _judged(scope: Scope, qtype: str, cfg: QAConfig) -> tuple[dict, slice, np.ndarray, np.ndarray, np.ndarray]:
    """(batch geometry, the scope's rows in it, and for those rows: first failing rule, class,
    margin) for one level; judged for the whole batch when first asked."""
    key = ("direction", qtype, cfg.direction_min_separation_m, cfg.direction_min_query_m, cfg.direction_footprint,
           cfg.direction_margin_deg)
    if key not in scope.cache:
        scopes, g, ends = _batch(scope, cfg)
        failed, cls, margin = judge(qtype, g, cfg)
        for s, a, b in zip(scopes, [0, *ends], ends):
            s.cache[key] = (g, slice(a, b), failed[a:b], cls[a:b], margin[a:b])
    return scope.cache[key]


class DirectionPool(KeyedPool):
    """All accepted (positioning, orienting, querying) triples of the scope, judged at once;
    draws a class uniformly, then a triple of that class (as KeyedPool draws: a session costs
    what it used, not the hundreds of triples a pool may hold)."""

    def __init__(self, qtype: str, scope: Scope, cfg: QAConfig, stats: Rejections):
        self.qtype, self.view = qtype, scope.view
        g, rows, failed, cls, margin = _judged(scope, qtype, cfg)
        unique_objects(scope, stats, qtype)  # count the names turned down against this type
        counts = np.bincount(failed + 1, minlength=len(RULES) + 1).tolist()
        for rule, n in zip(RULES, counts[1:]):
            stats(qtype, rule, n)  # zero counts too: every scope reports every rule
        ok = failed < 0
        self.triples, self.cls = g["triples"][rows][ok], cls[ok]
        self.angle, self.margin, self.sep = g["angle"][rows][ok], margin[ok], g["sep"][rows][ok]
        cat = [o.category for o in self.view.objects]
        # class codes sort as the classes did when drawn from a sorted set of codes
        super().__init__([(cat[a], cat[b], cat[c]) for a, b, c in self.triples.tolist()], self.cls.tolist())

    def make(self, k: int) -> Candidate:
        names = DIRECTION_CLASSES[self.qtype]
        want = int(self.cls[k])
        trio = [self.view.objects[i] for i in self.triples[k]]
        cats = [o.category for o in trio]
        return Candidate(
            tuple(cats),
            {"positioning_object": cats[0], "orienting_object": cats[1], "querying_object": cats[2]},
            [ObjectRef(role, o.category, [o.instance_id])
             for role, o in zip(("positioning", "orienting", "querying"), trio)],
            {"angle_deg": round(float(self.angle[k]), 4), "boundary_margin_deg": round(float(self.margin[k]), 4),
             "separation_m": round(float(self.sep[k]), 6)},
            choices=[names[want]] + [x for x in names if x != names[want]], cls=names[want])


def direction(qtype: str):
    def make(scope: Scope, cfg: QAConfig, stats: Rejections) -> DirectionPool:
        return DirectionPool(qtype, scope, cfg, stats)
    return make
