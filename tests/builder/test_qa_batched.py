"""Batched (whole-trajectory) question pools against the simple per-scope computation they
replace: the same candidates, the same floats, the same rejection counts."""

import numpy as np
import pytest

from builder.qa.config import QAConfig
from builder.qa.slot_rng import SlotRandom
from builder.qa.types.common import Candidate, KeyedPool, Rejections, permutations_within, signed_angle_deg
from builder.qa.types.direction import RULES, DirectionPool, boundary_margin, classify
from builder.qa.types.route import RoutePool, turn_codes
from tests.fixtures.qa_scene import make_view, obj, square_room

CFG = QAConfig(sample_counts=(8,))
CATEGORIES = ["sofa", "bed", "toilet", "refrigerator", "bathtub", "television", "desk", "oven", "sink",
              "chair", "armchair", "dining table", "nightstand", "bookshelf", "plant"]
DIRECTIONS = ["object_rel_direction_easy", "object_rel_direction_medium", "object_rel_direction_hard"]


def multi_room_view(seed: int, gaps: bool = False):
    """Three rooms visited in turn (each run a 360-degree scan, so each gets a room clip), a
    dozen objects per room at random, random visibility: scopes share objects and triples.
    `gaps`: short passes through a fourth room (no clip) after the first and last room, and
    pixel counts at random."""
    rng = np.random.default_rng(seed)
    rooms = [square_room(f"room|{k}", 10 * k, 0, 10 * k + 8, 8) for k in range(3)]
    objs, iid = [], 1
    for k in range(3):
        for c in rng.choice(CATEGORIES, 9, replace=False):
            objs.append(obj(iid, str(c), f"room|{k}", 10 * k + rng.uniform(0.5, 7.5), rng.uniform(0.5, 7.5),
                            size=(rng.uniform(0.3, 1.5), 0.5, rng.uniform(0.3, 1.5)), yaw=rng.uniform(0, 360)))
            iid += 1
    run = 40
    frame_room = [f"room|{k}" for k in range(3) for _ in range(run)]
    yaw = np.concatenate([np.linspace(0, 360, run)] * 3)
    room_of = np.repeat(np.arange(3), 9)
    px = np.where(np.repeat(np.arange(3), run)[:, None] == room_of[None, :], 500, 0)  # seen in its room
    px[rng.random(px.shape) < 0.02] = 500  # and now and then through a door
    px[:, rng.choice(len(objs), 4, replace=False)] = 0  # a few never seen
    if gaps:
        frame_room = frame_room[:run] + ["room|9"] * 7 + frame_room[run:] + ["room|9"] * 5
        yaw = np.concatenate([yaw[:run], np.zeros(7), yaw[run:], np.zeros(5)])
        px = rng.integers(0, 150, (len(frame_room), len(objs)))  # around the 50 and 100 px thresholds
        px[rng.random(px.shape) < 0.95] = 0  # rare, so one frame more or less changes the peaks
    return make_view(objs, px, rooms=rooms, frame_room=frame_room, yaw_deg=yaw, cfg=CFG)


def simple_direction(qtype: str, scope, cfg: QAConfig):
    """The per-scope computation, rule after rule, as before batching."""
    view = scope.view
    by_room = {}
    for i in scope.unique[0]:
        by_room.setdefault(view.objects[i].room_id, []).append(i)
    triples = permutations_within(by_room.values(), 3)
    centers, feet = view.centers_xz, view.footprints
    P, O, Q = (centers[triples[:, k]] for k in range(3))
    sep, qsep = np.linalg.norm(O - P, axis=1), np.linalg.norm(Q - P, axis=1)
    angle = signed_angle_deg(O - P, Q - P)
    margin, cls = boundary_margin(qtype, angle), classify(qtype, angle)
    ok, counts = np.ones(len(triples), bool), {}
    for rule, bad in zip(RULES, [sep < cfg.direction_min_separation_m, qsep < cfg.direction_min_query_m,
                                 margin < cfg.direction_margin_deg]):
        counts[rule] = int((ok & bad).sum())
        ok &= ~bad
    t = triples[ok]
    sp, fp, qp = feet[t[:, 0]][:, :, None, None], feet[t[:, 1]][:, None, :, None], feet[t[:, 2]][:, None, None, :]
    foot = signed_angle_deg(fp - sp, qp - sp).reshape(len(t), 125)
    robust = (classify(qtype, foot) == cls[ok][:, None]).all(1)
    counts[RULES[3]] = int((~robust).sum())
    ok[ok] = robust
    return triples[ok], cls[ok], angle[ok], margin[ok], sep[ok], counts


@pytest.mark.parametrize("seed", range(6))
def test_direction_pools_batched_over_scopes_match_per_scope(seed):
    view = multi_room_view(seed)
    scopes = [view.full, *view.room_clips]
    assert len(view.room_clips) == 3
    checked = 0
    for qtype in DIRECTIONS:
        for scope in scopes:
            stats = Rejections()
            pool = DirectionPool(qtype, scope, CFG, stats)
            triples, cls, angle, margin, sep, counts = simple_direction(qtype, scope, CFG)
            np.testing.assert_array_equal(pool.triples, triples)
            np.testing.assert_array_equal(pool.cls, cls)
            for got, want in ((pool.angle, angle), (pool.margin, margin), (pool.sep, sep)):
                assert got.tobytes() == want.tobytes()  # bit for bit
            assert {r: stats.counts[f"{qtype}:{r}"] for r in RULES} == counts
            assert pool.keys == [tuple(view.objects[i].category for i in t) for t in triples.tolist()]
            checked += len(triples)
    assert checked > 0


def simple_routes(scope, cfg: QAConfig):
    """Accepted routes of one scope and the rejection counts, as before batching."""
    view = scope.view
    by_room = {}
    for i in scope.unique[0]:
        by_room.setdefault(view.objects[i].room_id, []).append(i)
    blocks, counts = [], {"leg_too_short": 0, "ambiguous_turn": 0, "zigzag": 0}
    for n_turns in range(1, cfg.route_max_turns + 1):
        seqs = permutations_within(by_room.values(), n_turns + 2)
        legs = np.diff(view.centers_xz[seqs], axis=1)
        angles = signed_angle_deg(legs[:, :-1], legs[:, 1:])
        codes = turn_codes(angles, cfg.route_turn_margin_deg)
        short = (np.linalg.norm(legs, axis=2) < cfg.route_min_leg_m).any(1)
        vague = (codes < 0).any(1) & ~short
        counts["leg_too_short"] += int(short.sum())
        counts["ambiguous_turn"] += int(vague.sum())
        zigzag = np.array([any({a, b} == {0, 1} for a, b in zip(c, c[1:])) for c in codes.tolist()], bool)
        zigzag &= ~short & ~vague
        counts["zigzag"] += int(zigzag.sum())
        ok = ~short & ~vague & ~zigzag
        blocks.append((seqs[ok], codes[ok], angles[ok]))
    return blocks, counts


@pytest.mark.parametrize("seed", range(6))
def test_route_pools_batched_over_scopes_match_per_scope(seed):
    view = multi_room_view(seed)
    checked = 0
    for scope in [view.full, *view.room_clips]:
        stats = Rejections()
        pool = RoutePool(scope, CFG, stats)
        blocks, counts = simple_routes(scope, CFG)
        assert len(pool.blocks) == len(blocks)
        for (_, seqs, codes, angles), (want_seqs, want_codes, want_angles) in zip(pool.blocks, blocks):
            np.testing.assert_array_equal(seqs, want_seqs)
            np.testing.assert_array_equal(codes, want_codes)
            assert angles.tobytes() == want_angles.tobytes()
            checked += len(seqs)
        assert {r: stats.counts[f"route_planning:{r}"] for r in counts} == counts
    assert checked > 0


def simple_keyed_draws(keys, classes, rng, n):
    """KeyedPool's draws by scanning every candidate: a class uniformly among those with an
    unused key, then an unused candidate of it uniformly, in list order."""
    used, out = set(), []
    for _ in range(n):
        free = [i for i, k in enumerate(keys) if k not in used]
        open_classes = sorted({classes[i] for i in free})
        if not open_classes:
            out.append(None)
            continue
        c = open_classes[rng.below(len(open_classes))]
        pick = [i for i in free if classes[i] == c]
        i = pick[rng.below(len(pick))]
        used.add(keys[i])
        out.append(i)
    return out


@pytest.mark.parametrize("given_as", ["list", "one class"])
@pytest.mark.parametrize("seed", range(20))
def test_keyed_session_matches_a_full_scan(seed, given_as):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    keys = [(f"k{int(k)}",) for k in rng.integers(0, n if seed % 2 else 4 * n, n)]  # odd seeds: shared keys
    codes = rng.integers(0, 3, n) if given_as != "one class" else np.zeros(n, np.int64)
    classes = [str(c) for c in codes]
    given = {"list": classes, "one class": None}[given_as]
    pool = KeyedPool(keys, given, lambda i: Candidate(keys[i], {}, [], {}, cls=classes[i]))
    session, got = pool.session(), []
    draws = SlotRandom.from_entropy(seed + 100)
    for _ in range(n + 3):
        cand = session.draw(draws)
        got.append(None if cand is None else cand)
    want = simple_keyed_draws(keys, classes, SlotRandom.from_entropy(seed + 100), n + 3)
    assert [None if c is None else (c.key, c.cls) for c in got] == \
        [None if i is None else (keys[i], classes[i]) for i in want]


def test_signed_angle_from_components_is_bit_identical_to_the_pair_form():
    """signed_angle_xz spares the (..., 2) broadcasting; it must give the very same floats as the
    pair form it replaced, signed zeros included (a -0.0 dot turns 0 degrees into 180)."""
    import itertools

    from builder.qa.types.common import signed_angle_xz

    def pair_form(f, t):
        return np.degrees(np.arctan2(f[..., 0] * t[..., 1] - f[..., 1] * t[..., 0], (f * t).sum(-1)))

    corners = np.array(list(itertools.product([0.0, -0.0, 1.0, -1.0, 2.5], repeat=4)))
    rng = np.random.default_rng(0)
    for f, t in [(corners[:, :2], corners[:, 2:]), (rng.normal(size=(500, 5, 2)), rng.normal(size=(500, 5, 2)))]:
        want = pair_form(f, t)
        assert np.array_equal(signed_angle_deg(f, t).view(np.int64), want.view(np.int64))
        assert np.array_equal(signed_angle_xz(f[..., 0], f[..., 1], t[..., 0], t[..., 1]).view(np.int64),
                              want.view(np.int64))


def test_closed_view_leaves_no_cycles():
    """The QA stage pauses the cyclic collector while it makes and gathers records, so making a
    trajectory's records and closing its view must leave nothing only that collector could free
    (a pool keeping a bound method of itself, or scopes and their view referring to each other)."""
    import gc

    from builder.qa.engine import trajectory_records

    first = multi_room_view(3)
    records = trajectory_records(first, CFG, Rejections())
    assert records
    first.close()
    del first
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        view = multi_room_view(3)
        assert trajectory_records(view, CFG, Rejections()) == records
        view.close()
        del view
        gc.collect()
        assert [type(o).__name__ for o in gc.garbage] == []
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("gaps", [False, True], ids=["clips_cover_all", "frames_between_clips"])
def test_scope_visibility_batched_over_scopes_matches_per_scope(seed, gaps):
    """Peaks and the sampled-frame check for all scopes at once (two reduceats) against each
    scope alone, with frames outside every clip too (a short pass through a fourth room)."""
    from simsv_vsi.sampling import uniform_frame_indices

    view = multi_room_view(seed, gaps)
    scopes = [view.full, *view.room_clips]
    assert len(view.room_clips) == 3 and (not gaps or view.room_clips[1].start == 47)
    need = CFG.sampled_fraction * view.frame_pixels
    for s in scopes:
        px = view.pixels[s.start:s.end]
        assert np.array_equal(s.peak, px.max(0))
        assert np.array_equal(s.seen, (px >= CFG.seen_pixels).any(0))
        assert np.array_equal(s.salient, px.max(0) >= CFG.salience_fraction * view.frame_pixels)
        want = np.ones(len(view.objects), bool)
        for k in CFG.sample_counts:
            want &= (px[uniform_frame_indices(len(px), k)] >= need).any(0)
        assert np.array_equal(s.sampled_ok, want)
