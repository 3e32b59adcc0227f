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
from builder.qa.types.common import (Candidate, Pool, Rejections, permutations_within, ref, signed_angle_deg,
                                     unique_objects)
from builder.qa.view import Scope
from simsv_vsi.question_types import DIRECTION_CLASSES

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


def _triple_geometry(scope: Scope, cfg: QAConfig) -> dict:
    """Every ordered triple of unique objects sharing a room, with what the three levels share
    (computed once per scope): separations, centre angle, category names, and `foot_angles`
    (every standing point x facing point x query point of the three footprints, (T, 125)) for
    the triples whose separations pass, the only ones the footprint rule is checked on."""
    key = ("direction", cfg.direction_min_separation_m, cfg.direction_min_query_m, cfg.direction_footprint)
    if key not in scope.cache:
        view = scope.view
        by_room: dict[str, list[int]] = {}
        for i in scope.unique[0]:
            by_room.setdefault(view.objects[i].room_id, []).append(i)
        triples = permutations_within(by_room.values(), 3)
        centers, feet = view.centers_xz, view.footprints
        P, O, Q = (centers[triples[:, k]] for k in range(3))
        sep, qsep = np.linalg.norm(O - P, axis=1), np.linalg.norm(Q - P, axis=1)
        spaced = ~(sep < cfg.direction_min_separation_m) & ~(qsep < cfg.direction_min_query_m)  # as the rules
        t = triples[spaced]
        sp = feet[t[:, 0]][:, :, None, None]
        fp = feet[t[:, 1]][:, None, :, None]
        qp = feet[t[:, 2]][:, None, None, :]
        objs = view.objects
        scope.cache[key] = {
            "triples": triples, "sep": sep, "qsep": qsep, "angle": signed_angle_deg(O - P, Q - P),
            "keys": [tuple(objs[i].category for i in row) for row in triples.tolist()],
            "spaced": spaced, "foot_angles": signed_angle_deg(fp - sp, qp - sp).reshape(len(t), 125)}
    return scope.cache[key]


class DirectionPool(Pool):
    """All accepted (positioning, orienting, querying) triples of the scope, judged at once;
    draws a class uniformly, then a triple of that class."""

    def __init__(self, qtype: str, scope: Scope, cfg: QAConfig, stats: Rejections):
        self.qtype, self.view = qtype, scope.view
        g = _triple_geometry(scope, cfg)
        unique_objects(scope, stats, qtype)  # count the names turned down against this type
        triples, sep, qsep, angle = g["triples"], g["sep"], g["qsep"], g["angle"]
        if not len(triples):  # a quarter of the scopes: nothing to judge, every rule counts 0
            for rule in RULES:
                stats(qtype, rule, 0)
            self.triples, self.cls, self.angle, self.margin, self.sep = triples, *(np.zeros(0) for _ in range(4))
            self.keys, self.cls_list = [], []
            return
        margin = boundary_margin(qtype, angle)
        cls = classify(qtype, angle)
        ok = np.ones(len(triples), bool)
        for rule, bad in zip(RULES, [sep < cfg.direction_min_separation_m, qsep < cfg.direction_min_query_m,
                                     margin < cfg.direction_margin_deg]):
            stats(qtype, rule, int((ok & bad).sum()))  # each rejection counted under its first failing rule
            ok &= ~bad
        # the footprint rule, on the triples still in (all of them `spaced`, so with foot angles)
        robust = (classify(qtype, g["foot_angles"][ok[g["spaced"]]]) == cls[ok][:, None]).all(1)
        stats(qtype, RULES[3], int((~robust).sum()))
        ok[ok] = robust
        self.triples, self.cls = triples[ok], cls[ok]
        self.angle, self.margin, self.sep = angle[ok], margin[ok], sep[ok]
        self.keys = [g["keys"][i] for i in np.flatnonzero(ok).tolist()]
        self.cls_list = self.cls.tolist()

    def draw(self, rng, used):
        names = DIRECTION_CLASSES[self.qtype]
        objs = self.view.objects
        free = [k for k, key in enumerate(self.keys) if key not in used]
        open_classes = sorted({self.cls_list[k] for k in free})
        if not open_classes:
            return None
        want = open_classes[rng.integers(len(open_classes))]
        pick = [k for k in free if self.cls_list[k] == want]
        k = pick[rng.integers(len(pick))]
        trio = [objs[i] for i in self.triples[k]]
        cats = [o.category for o in trio]
        return Candidate(
            tuple(cats),
            {"positioning_object": cats[0], "orienting_object": cats[1], "querying_object": cats[2]},
            [ref(role, o.category, [o.instance_id]) for role, o in zip(("positioning", "orienting", "querying"), trio)],
            {"angle_deg": round(float(self.angle[k]), 4), "boundary_margin_deg": round(float(self.margin[k]), 4),
             "separation_m": round(float(self.sep[k]), 6)},
            choices=[names[want]] + [x for x in names if x != names[want]], cls=names[want])


def direction(qtype: str):
    def make(scope: Scope, cfg: QAConfig, stats: Rejections) -> DirectionPool:
        return DirectionPool(qtype, scope, cfg, stats)
    return make
