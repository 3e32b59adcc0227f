"""Numeric questions: object counting and room size (on room clips), absolute distance and
object size (on the whole walkthrough).

What each answer measures:
- count: instances of the family whose box centre's room is the clip's room (2 to max_count);
- room size: the floor polygon's area (shoelace), m^2, on room clips cut to show no other
  room's floor (TrajectoryView.room_size_clips, QAConfig.room_size_*);
- object size: the longest side of the object's oriented box, cm (the mesh fills the box);
- absolute distance: the minimum distance between the two meshes' surfaces, m; for a family
  with several instances, the minimum over them.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from builder.qa.config import QAConfig
from builder.qa.types.common import Candidate, Deferred, KeyedPool, ListPool, Rejections, families, unique_objects
from builder.qa.view import Scope
from builder.houses.spec import polygon_area
from simsv_vsi.records import ObjectRef


def counting(scope: Scope, cfg: QAConfig, stats: Rejections) -> ListPool:
    t = "object_counting"
    view = scope.view
    out = []
    for fam, members in families(scope, stats, t).items():
        in_room = view.room_families.get((scope.room_id, fam), [])
        if not in_room:
            stats(t, "seen_through_door_only")
            continue
        if set(members) != set(in_room):
            # an instance of this room unseen, or one from another room seen through a door
            stats(t, "scope_mismatch")
            continue
        if len(in_room) > cfg.max_count:
            stats(t, "count_above_max")
            continue
        if len(in_room) < cfg.min_count:
            stats(t, "count_below_min")
            continue
        out.append(Candidate((fam,), {"category": fam}, [ObjectRef("category", fam, _ids(view, in_room))],
                             {"room_id": scope.room_id}, value=float(len(in_room)), cls=str(len(in_room))))
    return ListPool(out)


def room_size(scope: Scope, cfg: QAConfig, stats: Rejections) -> ListPool:
    other = scope.other_floor_peak
    if other is not None and other > cfg.room_size_max_other_floor:
        stats("room_size_estimation", "other_room_floor_shown")
        return ListPool([])
    room = scope.view.rooms[scope.room_id]
    area = abs(polygon_area([tuple(p) for p in room["polygon"]]))
    return ListPool([Candidate(("room",), {}, [], {"room_id": scope.room_id, "polygon": room["polygon"]},
                               value=float(area))])


def object_size(scope: Scope, cfg: QAConfig, stats: Rejections) -> ListPool:
    view = scope.view
    out = []
    for i in unique_objects(scope, stats, "object_size_estimation"):
        o = view.objects[i]
        out.append(Deferred((o.category,), partial(_size_candidate, o)))
    return ListPool(out)


def _size_candidate(o) -> Candidate:
    return Candidate((o.category,), {"category": o.category}, [ObjectRef("category", o.category, [o.instance_id])],
                     {"obb_size_m": [round(float(s), 6) for s in o.size]}, value=o.longest_m * 100.0)


def abs_distance(scope: Scope, cfg: QAConfig, stats: Rejections) -> KeyedPool:
    """Pairs (unique object, family of another confusion group) at least `min_abs_distance_m`
    apart, in (object, family) order."""
    t = "object_abs_distance"
    view = scope.view
    fams = families(scope, stats, t)
    uniq = unique_objects(scope, stats, t)
    D = scope.family_distances
    names = [view.objects[m[0]].category if len(m) == 1 else f for f, m in fams.items()]
    members = list(fams.values())
    code = {}  # confusion group -> small int, to compare groups as arrays
    group_u = np.array([code.setdefault(view.objects[a].group, len(code)) for a in uniq], np.int64)
    group_f = np.array([code.setdefault(view.objects[m[0]].group, len(code)) for m in members], np.int64)
    other = group_u[:, None] != group_f[None, :]
    far = D >= cfg.min_abs_distance_m
    stats(t, "too_close", int(((D < cfg.min_abs_distance_m) & other).sum()))
    rows, cols = (x.tolist() for x in np.nonzero(far & other))  # row-major: the (object, family) order
    objs = [view.objects[uniq[k]] for k in rows]
    keys = [_pair_key(o.category, names[j]) for o, j in zip(objs, cols)]

    def make(i: int) -> Candidate:
        a, j = uniq[rows[i]], cols[i]
        return _abs_candidate(view, objs[i], names[j], members[j], view.distance[a, members[j]])

    return KeyedPool(keys, None, make)


def _pair_key(a: str, b: str) -> tuple[str, str]:
    """The two names in sorted order (as tuple(sorted(...)), for the many pairs of a pool)."""
    return (a, b) if a <= b else (b, a)


def _abs_candidate(view, oa, name_b: str, members: list[int], d) -> Candidate:
    return Candidate(
        _pair_key(oa.category, name_b), {"object1": oa.category, "object2": name_b},
        [ObjectRef("object1", oa.category, [oa.instance_id]), ObjectRef("object2", name_b, _ids(view, members))],
        {"instance_distances_m": [round(float(x), 6) for x in d]}, value=float(d.min()))


def _ids(view, indices) -> list[int]:
    return [view.objects[i].instance_id for i in indices]

