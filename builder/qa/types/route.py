"""Route planning: start at one object facing a second, walk straight from object to object,
and fill in each turn.

All waypoints are unique objects of one room (rooms are convex, so every straight leg stays
inside the room). The robot faces the first waypoint, so leg 1 needs no turn. At each later
waypoint the turn is the signed angle between the arriving and leaving legs: "turn back" at
135 degrees or more, "turn left"/"turn right" between 45 and 135 degrees; turns within
`route_turn_margin_deg` of 45 or 135 degrees (or nearly straight) are rejected.

Zig-zags (a left turn straight after a right one, or the reverse) are neither asked nor offered
as wrong options. Furniture stands along the walls of convex rooms, so they are rare as answers
(8 of 268 two-turn routes in the audited corpus) but were offered as often as any other
sequence: a blind model learned to rule them out and beat chance (docs/qa-audit.md).
"""

from __future__ import annotations

import itertools

import numpy as np

from builder.qa.config import QAConfig
from builder.qa.types.common import (Candidate, Pool, Rejections, permutations_within, signed_angle_deg,
                                     unique_objects)
from builder.qa.view import Scope
from simsv_vsi.question_types import ROUTE_TURNS
from simsv_vsi.records import ObjectRef

MAX_TRIES = 30


def turn_codes(signed_deg: np.ndarray, margin: float) -> np.ndarray:
    """Index into ROUTE_TURNS (left, right, back) per signed angle, or -1 when ambiguous."""
    a = np.abs(signed_deg)
    side = np.where(signed_deg > 0, 1, 0)
    return np.where(a >= 135.0 + margin, 2, np.where((a >= 45.0 + margin) & (a <= 135.0 - margin), side, -1))


def _unique_by_room(scope: Scope) -> dict[str, list[int]]:
    """Unique objects per room; on a room clip only the clip's own room (a route through a
    neighbouring room seen through a door is not "in this room")."""
    by_room: dict[str, list[int]] = {}
    for i in scope.unique[0]:
        room = scope.view.objects[i].room_id
        if scope.room_id is None or room == scope.room_id:
            by_room.setdefault(room, []).append(i)
    return by_room


def is_zigzag(codes: np.ndarray) -> np.ndarray:
    """(R,) bool for turn codes (R, n_turns): a left turn next to a right one somewhere."""
    return ((codes[:, :-1] + codes[:, 1:]) == 1).any(1)  # left = 0, right = 1, back = 2


def judge_routes(view, seqs: np.ndarray, cfg: QAConfig) -> tuple[np.ndarray, ...]:
    """For waypoint sequences (R, n_turns + 2): a leg too short, a turn ambiguous (and no leg
    too short), a zig-zag (and neither before), turn codes and angles. Row by row, so a batch
    of several scopes' routes gives each row the same floats as its scope alone."""
    legs = np.diff(view.centers_xz[seqs], axis=1)
    angles = signed_angle_deg(legs[:, :-1], legs[:, 1:])
    codes = turn_codes(angles, cfg.route_turn_margin_deg)
    short = (np.linalg.norm(legs, axis=2) < cfg.route_min_leg_m).any(1)
    vague = (codes < 0).any(1) & ~short
    zigzag = is_zigzag(codes) & ~short & ~vague
    return short, vague, zigzag, codes, angles


def _judged_routes(scope: Scope, cfg: QAConfig) -> list[tuple[int, int, np.ndarray, np.ndarray, np.ndarray]]:
    """Per number of turns: (routes with a leg too short, with an ambiguous turn, zig-zags, and
    the accepted routes' waypoints, turn codes, angles) of the scope. Judged for every scope of
    the trajectory in one batch when first asked (per-call overhead, not arithmetic, was the
    cost of ~6 scopes done one by one), then kept per scope."""
    key = ("route", cfg.route_max_turns, cfg.route_turn_margin_deg, cfg.route_min_leg_m)
    if key not in scope.cache:
        view = scope.view
        scopes = [view.full, *view.room_clips]
        if not any(s is scope for s in scopes):  # a scope made apart from its view: alone
            scopes = [scope]
        rooms = [_unique_by_room(s).values() for s in scopes]
        out: list[list] = [[] for _ in scopes]
        for n_turns in range(1, cfg.route_max_turns + 1):
            parts = [permutations_within(r, n_turns + 2) for r in rooms]
            seqs = np.concatenate(parts)
            short, vague, zigzag, codes, angles = judge_routes(view, seqs, cfg)
            ok = ~short & ~vague & ~zigzag
            ends = np.cumsum([len(p) for p in parts]).tolist()
            n_short = np.concatenate([[0], np.cumsum(short)])[[0, *ends]].tolist()
            n_vague = np.concatenate([[0], np.cumsum(vague)])[[0, *ends]].tolist()
            n_zigzag = np.concatenate([[0], np.cumsum(zigzag)])[[0, *ends]].tolist()
            for k, (a, b) in enumerate(zip([0, *ends], ends)):
                keep = ok[a:b]
                out[k].append((n_short[k + 1] - n_short[k], n_vague[k + 1] - n_vague[k],
                               n_zigzag[k + 1] - n_zigzag[k], seqs[a:b][keep], codes[a:b][keep], angles[a:b][keep]))
        for s, judged in zip(scopes, out):
            s.cache[key] = judged
    return scope.cache[key]


def _zigzag_names(turns: tuple[str, ...]) -> bool:
    return bool(is_zigzag(np.array([[ROUTE_TURNS.index(t) for t in turns]]))[0])


class RoutePool(Pool):
    def __init__(self, scope: Scope, cfg: QAConfig, stats: Rejections):
        t = "route_planning"
        self.scope, self.cfg = scope, cfg
        unique_objects(scope, stats, t)  # count the names turned down against this type
        # accepted routes as arrays, one block per number of turns (turn codes index
        # ROUTE_TURNS); a route becomes lists and texts only when drawn
        self.blocks: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []  # (first index, seqs, codes, angles)
        first_turn: dict[int, list[np.ndarray]] = {c: [] for c in range(len(ROUTE_TURNS))}
        self.count = 0
        for n_short, n_vague, n_zigzag, seqs, codes, angles in _judged_routes(scope, cfg):
            stats(t, "leg_too_short", n_short)
            stats(t, "ambiguous_turn", n_vague)
            stats(t, "zigzag", n_zigzag)
            self.blocks.append((self.count, seqs, codes, angles))
            for c, parts in first_turn.items():
                parts.append(np.flatnonzero(codes[:, 0] == c) + self.count)
            self.count += len(seqs)
        # first turn code -> route indices, in order
        self.by_first_turn = {c: np.concatenate(parts) for c, parts in first_turn.items()}

    @property
    def routes(self) -> list[tuple[list[int], list[str], list[float]]]:
        """(waypoint indices, turn names, angles) of every accepted route."""
        return [self._route(i) for i in range(self.count)]

    def _route(self, i: int) -> tuple[list[int], list[str], list[float]]:
        start, seqs, codes, angles = next(b for b in reversed(self.blocks) if b[0] <= i)
        k = i - start
        return seqs[k].tolist(), [ROUTE_TURNS[c] for c in codes[k].tolist()], angles[k].tolist()

    def draw(self, rng, used):
        if not self.count:
            return None
        # balance the first turn's kind, then pick a route
        for _ in range(MAX_TRIES):
            want = rng.below(len(ROUTE_TURNS))
            fits = self.by_first_turn[want]
            if not len(fits):
                fits = range(self.count)
            seq, turns, angles = self._route(int(fits[rng.below(len(fits))]))
            view = self.scope.view
            names = [view.objects[k].category for k in seq]
            if tuple(names) in used:
                continue
            return self._candidate(names, seq, turns, angles, rng)
        return None

    def _candidate(self, names, seq, turns, angles, rng) -> Candidate:
        view = self.scope.view
        steps, k = [], 1
        for i, name in enumerate(names[1:]):
            if i:
                steps.append(f"{k}. [please fill in]")
                k += 1
            steps.append(f"{k}. Go forward until the {name}")
            k += 1
        steps[-1] += "."
        correct = ", ".join(turns)
        space = [", ".join(t) for t in itertools.product(ROUTE_TURNS, repeat=len(turns))
                 if list(t) != turns and not _zigzag_names(t)]  # wrong options: the sequences that are asked
        pick = rng.sample(len(space), min(3, len(space)))
        roles = ["start", "facing", *[f"waypoint_{i}" for i in range(1, len(names) - 2)], "end"]
        return Candidate(
            tuple(names),
            {"start_object": names[0], "facing_object": names[1], "end_object": names[-1], "actions": " ".join(steps)},
            [ObjectRef(r, n, [view.objects[s].instance_id]) for r, n, s in zip(roles, names, seq)],
            {"turn_angles_deg": [round(a, 4) for a in angles]},
            choices=[correct] + [space[i] for i in sorted(pick)], cls=turns[0])
