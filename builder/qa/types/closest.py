"""Which of four categories is closest: to a named object (relative distance) or to the
camera at the last frame (spatiotemporal distance).

Distances are between closest points of meshes (to the camera centre for the spatiotemporal
type); a family with several instances takes its closest instance. The winner must beat the
runner-up by `rank_margin_m` and by `rank_margin_rel`, so the ranking survives small
estimation error.
"""

from __future__ import annotations

import numpy as np

from builder.qa.config import QAConfig
from builder.qa.types.common import Candidate, Pool, Rejections, families, unique_objects
from builder.qa.view import Scope
from simsv_vsi.records import ObjectRef

MAX_TRIES = 30


class ClosestPool(Pool):
    """Draws (answer, three others) sets: the answer family first, then three families that are
    clearly farther. `dist[r]` maps a reference index (or None) to {family: distance}."""

    def __init__(self, qtype: str, cfg: QAConfig, refs: list, dist: dict, members: dict, scope: Scope,
                 stats: Rejections):
        self.qtype, self.cfg, self.scope, self.members = qtype, cfg, scope, members
        self.options = []  # (reference, answer family, farther families)
        unclear = 0
        for r in refs:
            clear, n_unclear = _farther(dist[r], cfg.rank_margin_m, 1 + cfg.rank_margin_rel, 3)
            self.options.extend((r, fam, far) for fam, far in clear)
            unclear += n_unclear
        if unclear:  # counted once per pool (no entry when none)
            stats(qtype, "no_clear_margin", unclear)
        self.dist = dist

    def draw(self, rng, used):
        if not self.options:
            return None
        for _ in range(MAX_TRIES):
            r, ans, far = self.options[rng.below(len(self.options))]
            others = [far[i] for i in sorted(rng.sample(len(far), 3))]
            key = (r, ans, *sorted(others))
            if key not in used:
                return self._candidate(key, r, ans, others)
        return None

    def _candidate(self, key, r, ans, others) -> Candidate:
        view = self.scope.view
        names = [ans, *others]
        labels = [self._name(f) for f in names]
        objs = [ObjectRef(f"choice_{k}", labels[k], [view.objects[i].instance_id for i in self.members[f]])
                for k, f in enumerate(names)]
        fields = {}
        evidence = {"distances_m": {labels[k]: round(float(self.dist[r][f]), 6) for k, f in enumerate(names)}}
        if r is not None:
            o = view.objects[r]
            fields["category"] = o.category
            objs.insert(0, ObjectRef("reference", o.category, [o.instance_id]))
        else:
            evidence["camera_last_frame"] = [round(float(v), 6) for v in view.camera[self.scope.end - 1]]
        return Candidate(key, fields, objs, evidence, choices=labels)

    def _name(self, fam: str) -> str:
        members = self.members[fam]
        return self.scope.view.objects[members[0]].category if len(members) == 1 else fam


def _closest_instance(distance: np.ndarray, members: list[list[int]]) -> list[float]:
    """Per family, the smallest of its instances' distances (one reduceat for all families)."""
    if not members:
        return []
    starts = np.cumsum([0] + [len(m) for m in members[:-1]])
    return np.minimum.reduceat(distance[[i for m in members for i in m]], starts).tolist()


def _farther(d: dict[str, float], margin_m: float, ratio: float, need: int) -> tuple[list[tuple[str, list[str]]], int]:
    """For each family of `d` (in order) with at least `need` families clearly farther (by
    `margin_m` and by the factor `ratio`): the family and those, sorted by name (filtering the
    name-sorted items keeps that order); and how many families had fewer. (A handful of
    families per video: plain loops beat arrays here.)"""
    by_name = sorted(d.items())
    out = []
    for fam, da in d.items():
        far = [f for f, df in by_name if df - da >= margin_m and df >= da * ratio]
        if len(far) >= need:
            out.append((fam, far))
    return out, len(d) - len(out)


def rel_distance(scope: Scope, cfg: QAConfig, stats: Rejections) -> ClosestPool:
    t = "object_rel_distance"
    view = scope.view
    fams = families(scope, stats, t)
    refs = unique_objects(scope, stats, t)
    D = scope.family_distances.tolist()
    groups = [view.objects[m[0]].group for m in fams.values()]
    dist = {r: {f: D[k][j] for j, f in enumerate(fams) if groups[j] != view.objects[r].group}
            for k, r in enumerate(refs)}
    return ClosestPool(t, cfg, refs, dist, fams, scope, stats)


def spatiotemporal(scope: Scope, cfg: QAConfig, stats: Rejections) -> ClosestPool:
    t = "obj_spatiotemporal_distance"
    fams = families(scope, stats, t)
    dist = {None: dict(zip(fams, _closest_instance(scope.ego_last, list(fams.values()))))}
    return ClosestPool(t, cfg, [None], dist, fams, scope, stats)
