"""One test per quality-control rule: a hand-made case that violates it is rejected, and the
same case without the violation is accepted (so the test could fail both ways)."""

import numpy as np
import pytest

from builder.qa.config import QAConfig
from builder.qa.engine import trajectory_records
from builder.qa.types.appearance import AppearancePool
from builder.qa.types.closest import rel_distance
from builder.qa.types.common import Rejections
from builder.qa.types.direction import DirectionPool
from builder.qa.types.measurement import abs_distance, counting, object_size, room_size
from builder.qa.types.route import RoutePool
from builder.qa.taxonomy import confusion_group, family
from tests.fixtures.qa_scene import H, W, make_view, obj, square_room, visible

CFG = QAConfig(sample_counts=(8,))


def sizes(view, stats=None):
    pool = object_size(view.full, CFG, stats or Rejections())
    return sorted(c.fields["category"] for cl in pool.by_class.values() for c in cl)


def test_salience_and_sampled_visibility():
    objs = [obj(1, "sofa", "room|0", 2, 2), obj(2, "bed", "room|0", 6, 6), obj(3, "toilet", "room|0", 8, 2)]
    px = visible(40, 3)
    px[:, 1] = 80  # bed: 0.8 % of the frame at most, below salience (1 %)
    px[:, 2] = 0
    px[7, 2] = 500  # toilet: salient, but only in frame 7; the 8-frame sampler takes 0, 5, 11, ...
    stats = Rejections()
    assert sizes(make_view(objs, px), stats) == ["sofa"]
    assert stats.counts["object_size_estimation:not_referable"] == 2
    px[:, 1] = 500
    px[:, 2] = 500
    assert sizes(make_view(objs, px)) == ["bed", "sofa", "toilet"]


def test_unambiguous_references_fold_subcategories_and_confusable_groups():
    assert family("armchair") == "chair" and family("coffee table") == "table"
    assert confusion_group("nightstand") == confusion_group("dining table")
    objs = [obj(1, "chair", "room|0", 2, 2), obj(2, "armchair", "room|0", 6, 6),
            obj(3, "nightstand", "room|0", 8, 2), obj(4, "coffee table", "room|0", 2, 8), obj(5, "sofa", "room|0", 5, 9)]
    stats = Rejections()
    assert sizes(make_view(objs, visible(40, 5)), stats) == ["sofa"]
    assert stats.counts["object_size_estimation:not_unique"] == 2
    # unseen instances do not make a reference ambiguous
    px = visible(40, 5)
    px[:, [1, 3]] = 0
    assert sizes(make_view(objs, px)) == ["chair", "nightstand", "sofa"]


def test_minimum_absolute_distance():
    objs = [obj(1, "sofa", "room|0", 2, 2), obj(2, "bed", "room|0", 6, 2)]
    d = np.array([[0, 0.1], [0.1, 0]])
    stats = Rejections()
    assert len(abs_distance(make_view(objs, visible(40, 2), distance=d).full, CFG, stats)) == 0
    assert stats.counts["object_abs_distance:too_close"] == 2
    assert len(abs_distance(make_view(objs, visible(40, 2), distance=d * 10).full, CFG, Rejections())) == 2


@pytest.mark.parametrize("gap,ok", [(0.1, False), (0.5, True)])
def test_ranking_margin(gap, ok):
    cats = ["sofa", "bed", "toilet", "refrigerator", "bathtub"]
    objs = [obj(i + 1, c, "room|0", i, 0) for i, c in enumerate(cats)]
    d = np.full((5, 5), 9.0)
    np.fill_diagonal(d, 0)
    d[0, 1:] = d[1:, 0] = [1.0, 1.0 + gap, 3.0, 4.0]  # from the sofa: bed closest, toilet next
    pool = rel_distance(make_view(objs, visible(40, 5), distance=d).full, CFG, Rejections())
    answers_for_sofa = {ans for r, ans, _ in pool.options if r == 0}
    assert ("bed" in answers_for_sofa) == ok


def _direction(points, qtype="object_rel_direction_hard", size=(0.4, 0.5, 0.4)):
    objs = [obj(i + 1, c, "room|0", x, z, size) for i, (c, (x, z)) in enumerate(zip(["sofa", "bed", "toilet"], points))]
    stats = Rejections()
    pool = DirectionPool(qtype, make_view(objs, visible(40, 3)).full, CFG, stats)
    ok = {tuple(t) for t in pool.triples.tolist()}
    return (0, 1, 2) in ok, stats


def test_direction_angular_margin():
    # standing at the sofa (5,5) facing the bed (5,8): the toilet at 88 degrees is 2 degrees off the
    # front/back boundary of the hard type (rejected) but far from every easy boundary (accepted)
    a = np.radians(88)
    toilet = (5 - 3 * np.sin(a), 5 + 3 * np.cos(a))
    ok, stats = _direction([(5, 5), (5, 8), toilet])
    assert not ok and stats.counts["object_rel_direction_hard:near_boundary"] >= 1
    assert _direction([(5, 5), (5, 8), toilet], "object_rel_direction_easy")[0]
    a = np.radians(60)
    assert _direction([(5, 5), (5, 8), (5 - 3 * np.sin(a), 5 + 3 * np.cos(a))])[0]


def test_direction_minimum_separation_between_standing_and_facing():
    ok, stats = _direction([(5, 5), (5, 5.6), (2, 6)])
    assert not ok and stats.counts["object_rel_direction_hard:standing_facing_too_close"] >= 1
    assert _direction([(5, 5), (5, 7), (2, 6)])[0]


def test_direction_must_not_depend_on_where_one_stands():
    # a 4 m long sofa: from its two ends the toilet is on different sides
    ok, stats = _direction([(5, 5), (5, 8), (3.6, 5.4)], size=(4.0, 0.5, 0.4))
    assert not ok and stats.counts["object_rel_direction_hard:depends_on_where_one_stands"] >= 1
    assert _direction([(5, 5), (5, 8), (3.6, 5.4)], size=(0.4, 0.5, 0.4))[0]


def _appearance(first_frames, n=200, onset=0):
    cats = ["sofa", "bed", "toilet", "refrigerator", "bathtub"]
    objs = [obj(i + 1, c, "room|0", i, 0) for i, c in enumerate(cats)]
    px = np.zeros((n, 5), np.int32)
    for k, f in enumerate(first_frames):
        px[f:f + onset, k] = 5  # a sliver before it is clearly visible
        px[f + onset:, k] = 500
    stats = Rejections()
    pool = AppearancePool(make_view(objs, px, cfg=QAConfig(sample_counts=(32,))).full, QAConfig(sample_counts=(32,)), stats)
    return pool, stats


def test_appearance_minimum_gap():
    pool, _ = _appearance([0, 40, 80, 120, 135])  # the last two 1.5 s apart
    assert sorted(pool.chains) == [(0, 1, 2, 3), (0, 1, 2, 4)]
    assert sorted(_appearance([0, 40, 80, 120, 160])[0].chains) == sorted(
        [(0, 1, 2, 3), (0, 1, 2, 4), (0, 1, 3, 4), (0, 2, 3, 4), (1, 2, 3, 4)])


def test_appearance_onset_must_be_quick():
    pool, stats = _appearance([0, 40, 80, 120, 160], onset=15)  # 1.5 s of sliver before it shows
    assert not pool.chains and stats.counts["obj_appearance_order:slow_onset"] == 5
    assert _appearance([0, 40, 80, 120, 160], onset=5)[0].chains


def test_appearance_order_survives_frame_sampling():
    # 2,000 frames, 32 samples: one sample every ~6.4 s, so first appearances 2.5 s apart can fall
    # between the same two samples and look simultaneous
    pool, _ = _appearance([0, 500, 1000, 1025, 1500], n=2000)
    assert all(not ({2, 3} <= set(c)) for c in pool.chains)
    assert (0, 1, 2, 4) in pool.chains


def test_counting_is_scoped_to_the_room():
    rooms = [square_room("room|0", 0, 0, 5, 5), square_room("room|1", 5, 0, 10, 5)]
    objs = [obj(1, "chair", "room|0", 1, 1), obj(2, "chair", "room|0", 3, 3), obj(3, "chair", "room|1", 7, 2),
            obj(4, "sofa", "room|0", 2, 4)]
    n = 60
    frame_room = ["room|0"] * 40 + ["room|1"] * 20
    yaw = np.r_[np.linspace(0, 360, 40), np.zeros(20)]
    px = visible(n, 4)
    px[40:, :] = 0
    px[:40, 2] = 0  # the chair of room 1 is not seen from room 0
    view = make_view(objs, px, rooms, frame_room, yaw)
    clip = view.room_clips[0]
    assert clip.room_id == "room|0" and len(view.room_clips) == 1  # room 1 has no full scan
    stats = Rejections()
    pool = counting(clip, CFG, stats)
    got = {c.fields["category"]: c.value for cl in pool.by_class.values() for c in cl}
    # VSI-Bench counts start at 2: the one sofa is not asked about
    assert got == {"chair": 2.0}
    assert stats.counts["object_counting:count_below_min"] == 1
    pool = counting(clip, QAConfig(sample_counts=(8,), min_count=1), Rejections())
    assert {c.fields["category"]: c.value for cl in pool.by_class.values() for c in cl} == {"chair": 2.0, "sofa": 1.0}
    px[:40, 2] = 500  # now it is seen through the door: "how many chairs in this room" is ambiguous
    stats = Rejections()
    pool = counting(make_view(objs, px, rooms, frame_room, yaw).room_clips[0], CFG, stats)
    assert "chair" not in {c.fields["category"] for cl in pool.by_class.values() for c in cl}
    assert stats.counts["object_counting:scope_mismatch"] == 1


def test_route_turns_away_from_boundaries():
    def route(end):
        objs = [obj(1, "sofa", "room|0", 5, 1), obj(2, "bed", "room|0", 5, 5), obj(3, "toilet", "room|0", *end)]
        pool = RoutePool(make_view(objs, visible(40, 3)).full, CFG, Rejections())
        return {tuple(r[0]): r[1] for r in pool.routes}.get((0, 1, 2))

    # walking +z from the sofa to the bed; -x is to the right (right-handed, y up)
    assert route((1, 5)) == ["turn right"]
    assert route((9, 5)) == ["turn left"]
    assert route((5.3, 1.5)) == ["turn back"]
    a = np.radians(47)  # 2 degrees past the straight/turn boundary of 45 degrees
    assert route((5 - 3 * np.sin(a), 5 + 3 * np.cos(a))) is None


def test_whole_trajectory_is_deterministic_and_path_independent():
    cats = ["sofa", "bed", "toilet", "refrigerator", "bathtub", "chair", "tv", "lamp"]
    rng = np.random.default_rng(0)
    objs = [obj(i + 1, c, "room|0", *rng.uniform(0.5, 9.5, 2)) for i, c in enumerate(cats)]
    px = np.zeros((300, len(cats)), np.int32)
    for k in range(len(cats)):
        px[30 * k:, k] = 500
    a = trajectory_records(make_view(objs, px), CFG, Rejections())
    b = trajectory_records(make_view(objs, px, video_dir="elsewhere/renamed"), CFG, Rejections())
    assert len(a) > 20
    strip = lambda rs: [{k: v for k, v in vars(r).items() if k != "video"} for r in rs]  # noqa: E731
    assert strip(a) == strip(b)
    c = trajectory_records(make_view(objs, px, cfg=QAConfig(sample_counts=(8,), seed=1)), QAConfig(sample_counts=(8,), seed=1), Rejections())
    assert strip(c) != strip(a)


def _rec(i, qtype, answer, options=None, objects=()):
    from simsv_vsi.records import ObjectRef, QARecord

    from builder.qa.slot_rng import slot_key
    from simsv_vsi.answers import option_text

    question = f"which of these ({', '.join(option_text(o) for o in options or [])})?"  # as the types that list them
    return QARecord(f"r{i}", "house_000001", 1, 0, "v", "v.mp4", None, 0, 10, 10.0, qtype, "mc", question,
                    options, "A", answer, None, None, [ObjectRef(*o) for o in objects],
                    seed=slot_key((i,)) >> 1)  # a slot key of its own, as every record has


def test_answer_classes_are_balanced_at_the_source():
    from builder.qa.balance import balance_answers

    recs = [_rec(i, "object_rel_direction_easy", "left" if i % 5 else "right", ["A. left", "B. right"]) for i in range(500)]
    kept, dropped = balance_answers(recs, seed=0)
    from collections import Counter
    assert Counter(r.answer_value for r in kept) == {"left": 100, "right": 100} and dropped["object_rel_direction_easy"] == 300


def test_count_answers_are_balanced_per_option_set_and_open_counts_kept():
    """Multiple-choice counts offer 1, 2, 3 and 4 nearly always: kept records answer each
    equally often. Open-ended counts are not choices and are all kept."""
    from collections import Counter

    from builder.qa.balance import balance_answers

    answers = ["1"] * 60 + ["2"] * 20 + ["3"] * 12 + ["4"] * 8
    recs = [_rec(i, "object_counting", a, ["A. 1", "B. 2", "C. 3", "D. 4"]) for i, a in enumerate(answers)]
    recs += [_rec(100 + i, "object_counting", a, ["A. 1", "B. 2", "C. 3", "D. 5"]) for i, a in enumerate("1112")]
    oe = [_rec(200 + i, "object_counting", a) for i, a in enumerate(answers)]
    for r in oe:
        r.format, r.options, r.answer = "oe", None, r.answer_value
    kept, _ = balance_answers(recs + oe, seed=0)
    mc = [r for r in kept if r.options is not None]
    offers_5 = [any(o.endswith(". 5") for o in r.options) for r in mc]  # letters are dealt: options move
    assert Counter(r.answer_value for r, f in zip(mc, offers_5) if not f) == {"1": 8, "2": 8, "3": 8, "4": 8}
    assert Counter(r.answer_value for r, f in zip(mc, offers_5) if f) == {"1": 1, "2": 1}  # its own set
    assert sum(r.options is None for r in kept) == len(oe)


def test_route_answers_are_balanced_per_number_of_turns():
    """One-turn and two-turn routes offer different options, so each set is cut to its own
    rarest class (one pool for both would cut the common one-turn answers to two-turn counts)."""
    from collections import Counter

    from builder.qa.balance import cut_classes

    counts = {"turn back": 90, "turn left": 60, "turn right": 50, "turn back, turn back": 30,
              "turn left, turn back": 20, "turn right, turn right": 25}
    recs = [_rec(k, "route_planning", a) for k, a in enumerate(a for a, n in counts.items() for _ in range(n))]
    kept, dropped = cut_classes(recs, seed=0)  # routes are thinned per start object afterwards
    assert Counter(r.answer_value for r in kept) == {"turn back": 50, "turn left": 50, "turn right": 50,
                                                     "turn back, turn back": 20, "turn left, turn back": 20,
                                                     "turn right, turn right": 20}
    assert dropped["route_planning"] == sum(counts.values()) - 210


def test_category_that_always_wins_is_thinned():
    from collections import Counter

    from builder.qa.balance import balance_answers

    cats = ["sofa", "bed", "toilet", "lamp", "plant"]
    rng = np.random.default_rng(0)
    recs = []
    for i in range(2000):
        opts = list(rng.choice(cats, 4, replace=False))
        # when offered, the sofa wins 60 % of the time: a blind model would learn "pick the sofa"
        win = "sofa" if "sofa" in opts and rng.random() < 0.6 else next(c for c in opts if c != "sofa")
        recs.append(_rec(i, "obj_spatiotemporal_distance", win, [f"{'ABCD'[k]}. {c}" for k, c in enumerate(opts)]))
    kept, _ = balance_answers(recs, seed=0)
    offered = [r for r in kept if any(o.endswith("sofa") for o in r.options)]
    share = Counter(r.answer_value for r in offered)["sofa"] / len(offered)
    assert len(offered) > 200 and share < 0.33  # was 60 %; chance is 25 %


def _tied_to_a_name(qtype, n, answers, names, favoured, p, objects):
    """`n` records of `qtype` whose answer is `favoured` with probability `p` when the first of
    `names` is named (else uniform over `answers`); `objects(i, name)` gives each one's refs."""
    rng = np.random.default_rng(0)
    recs = []
    for i in range(n):
        name = names[i % len(names)]
        ans = favoured if name == names[0] and rng.random() < p else answers[rng.integers(len(answers))]
        opts = [ans, *[a for a in answers if a != ans]]
        recs.append(_rec(i, qtype, ans, [f"{'ABC'[k]}. {a}" for k, a in enumerate(opts)], objects(i, name)))
    return recs


def test_route_that_follows_from_its_start_is_thinned():
    """Routes from the bed turn left 70 % of the time (layouts are regular): a blind model that
    reads "beginning at the bed" would learn it, so such routes are thinned to chance."""
    from collections import Counter

    from builder.qa.balance import balance_answers

    recs = _tied_to_a_name("route_planning", 1500, ["turn left", "turn right", "turn back"], ["bed", "sofa", "desk"],
                           "turn left", 0.7, lambda i, name: [("start", name, [1])])
    kept, _ = balance_answers(recs, seed=0)
    from_bed = Counter(r.answer_value for r in kept if r.objects[0].category == "bed")
    assert sum(from_bed.values()) > 150 and from_bed["turn left"] / sum(from_bed.values()) < 0.42  # was 80 %; chance 33 %


def test_direction_that_follows_from_one_object_is_thinned():
    """The toilet is "back" 55 % of the time it is the object asked about, whoever stands where:
    a blind model reading "is the toilet" would learn it. Thinned per named object and role,
    it drops to about chance, while the classes stay balanced overall."""
    from collections import Counter

    from builder.qa.balance import balance_answers

    def objects(i, name):
        return [("positioning", ["sofa", "bed"][i % 2], [1]), ("orienting", "tv", [2]), ("querying", name, [3])]

    recs = _tied_to_a_name("object_rel_direction_medium", 1800, ["left", "right", "back"], ["toilet", "lamp", "plant"],
                           "back", 0.55, objects)
    kept, _ = balance_answers(recs, seed=0)
    toilet = Counter(r.answer_value for r in kept if r.objects[2].category == "toilet")
    assert sum(toilet.values()) > 150 and toilet["back"] / sum(toilet.values()) < 0.40, toilet  # was 70 %; chance 33 %
    overall = Counter(r.answer_value for r in kept)
    assert max(overall.values()) / min(overall.values()) < 1.3


def test_thinning_spares_a_fair_generator():
    """Winners drawn by chance among the offers, 400 questions over 10 references: each
    (reference, winner) pair happens about 3 times, and luck alone puts many above chance.
    With no prior the thinning cut 31-37 % of such fair records; with THINNING_PRIOR under 28 %."""
    from builder.qa.balance import balance_answers

    cats = [f"c{k}" for k in range(12)]
    for seed in range(3):
        rng = np.random.default_rng(seed)
        recs = []
        for i in range(400):
            opts = list(rng.choice(cats, 4, replace=False))
            recs.append(_rec(i, "object_rel_distance", opts[rng.integers(4)],
                             [f"{'ABCD'[k]}. {c}" for k, c in enumerate(opts)], [("reference", f"r{rng.integers(10)}", [1])]))
        kept, _ = balance_answers(recs, seed=0)
        assert len(kept) > 0.72 * len(recs)


def test_correct_letters_are_dealt_evenly():
    """Shuffled one by one, a few hundred records leave one letter right 30 % of the time often
    enough for a blind model to learn it; dealt, every letter is right equally often (to one),
    and the question's list of names follows its options."""
    from collections import Counter

    from builder.qa.balance import balance_answers
    from simsv_vsi.answers import option_text

    cats = ["sofa", "bed", "toilet", "lamp", "plant"]
    rng = np.random.default_rng(1)
    recs = []
    for i in range(203):  # every answer at A, as no shuffle would leave it
        opts = list(rng.choice(cats, 4, replace=False))
        recs.append(_rec(i, "obj_spatiotemporal_distance", opts[0], [f"{'ABCD'[k]}. {c}" for k, c in enumerate(opts)]))
    before = {r.id: [option_text(o) for o in r.options] for r in recs}
    kept, _ = balance_answers(recs, seed=0)
    letters = Counter(r.answer for r in kept)
    assert len(kept) > 150 and len(letters) == 4 and max(letters.values()) - min(letters.values()) <= 1
    for r in kept:
        names = [option_text(o) for o in r.options]
        assert names["ABCD".index(r.answer)] == r.answer_value
        assert sorted(names) == sorted(before[r.id])
        assert r.question == f"which of these ({', '.join(names)})?"
    with pytest.raises(ValueError, match="share a slot key"):  # each record's draws come from its own key
        balance_answers([recs[0], recs[0]], seed=0)
    dealt = {r.id: r.answer for r in kept}
    again, _ = balance_answers(list(reversed(recs)), seed=0)  # dealing again, in any order, changes nothing
    assert {r.id: r.answer for r in again} == dealt


def test_route_zigzags_are_neither_asked_nor_offered():
    """A right turn then a left one is rejected ("zigzag") and never offered as a wrong option."""
    from builder.qa.slot_rng import SlotRandom

    def pool(end):
        objs = [obj(1, "sofa", "room|0", 5, 1), obj(2, "bed", "room|0", 5, 5), obj(3, "toilet", "room|0", 1, 5),
                obj(4, "chair", "room|0", *end)]
        stats = Rejections()
        return RoutePool(make_view(objs, visible(40, 4)).full, CFG, stats), stats

    # sofa -> bed walks +z, bed -> toilet turns right (to -x); to (1, 9) turns left again: a zig-zag
    zig, stats = pool((1, 9))
    assert (0, 1, 2, 3) not in {tuple(r[0]) for r in zig.routes}
    assert stats.counts["route_planning:zigzag"] >= 1
    ok, _ = pool((1, 1))  # right, then right again
    assert {tuple(r[0]): r[1] for r in ok.routes}[(0, 1, 2, 3)] == ["turn right", "turn right"]
    rng = SlotRandom.from_entropy(3)
    for _ in range(40):
        cand = ok.draw(rng, set())
        offered = cand.choices if cand is not None else []
        assert "turn left, turn right" not in offered and "turn right, turn left" not in offered


def test_room_size_only_when_no_other_room_floor_shows():
    rooms = [square_room("room|0", 0, 0, 5, 5), square_room("room|1", 5, 0, 10, 5)]
    objs = [obj(1, "chair", "room|0", 1, 1)]
    n = 40
    yaw = np.linspace(0, 360, n)
    floor = np.zeros((n, 2), np.int32)
    floor[:, 0] = 20000

    def clip_of(floor_px):
        v = make_view(objs, visible(n, 1), rooms, ["room|0"] * n, yaw)
        v.floor_pixels = floor_px
        return v.room_clips[0]

    assert len(room_size(clip_of(floor), CFG, Rejections()).keys) == 1
    seen = floor.copy()
    seen[17, 1] = int(0.01 * W * H)  # a doorway shows 1 % of a frame of room 1's floor
    stats = Rejections()
    assert len(room_size(clip_of(seen), CFG, stats).keys) == 0
    assert stats.counts["room_size_estimation:other_room_floor_shown"] == 1
    seen[17, 1] = int(0.0005 * W * H)  # a sliver under the threshold does not count
    assert len(room_size(clip_of(seen), CFG, Rejections()).keys) == 1


def test_route_on_a_room_clip_stays_in_the_clip_room():
    # three objects of room 1 (seen through a door) would make a route; the clip is room 0's
    rooms = [square_room("room|0", 0, 0, 5, 10), square_room("room|1", 5, 0, 15, 10)]
    objs = [obj(1, "sofa", "room|1", 6, 1), obj(2, "bed", "room|1", 6, 9), obj(3, "toilet", "room|1", 14, 9),
            obj(4, "chair", "room|0", 2, 2)]
    n = 40
    view = make_view(objs, visible(n, 4), rooms, ["room|0"] * n, np.linspace(0, 360, n))
    clip = view.room_clips[0]
    assert not RoutePool(clip, CFG, Rejections()).routes
    # the same objects in the clip's own room do make routes
    objs = [dict(o, room_id="room|0") for o in objs[:3]] + [objs[3]]
    view = make_view(objs, visible(n, 4), rooms, ["room|0"] * n, np.linspace(0, 360, n))
    assert RoutePool(view.room_clips[0], CFG, Rejections()).routes


def test_room_size_clip_keeps_doorway_frames_out():
    rooms = [square_room("room|0", 0, 0, 5, 5), square_room("room|1", 5, 0, 10, 5)]
    objs = [obj(1, "chair", "room|0", 1, 1)]
    n = 100
    view = make_view(objs, visible(n, 1), rooms, ["room|0"] * n, np.linspace(0, 360, n))
    assert view.room_size_clips == view.room_clips  # no floor counts: the room clip itself
    floor = np.zeros((n, 2), np.int32)
    floor[:20, 1] = int(0.05 * W * H)  # the first 20 frames look through a door into room 1
    floor[90:, 1] = int(0.05 * W * H)
    view = make_view(objs, visible(n, 1), rooms, ["room|0"] * n, np.linspace(0, 360, n))
    view.floor_pixels = floor
    (clip,) = view.room_size_clips
    assert (clip.start, clip.end) == (20, 90) and clip.room_id == "room|0"
    assert clip.video.endswith("room0_own.mp4") and clip.other_floor_peak == 0.0
    recs = [r for r in trajectory_records(view, CFG, Rejections(), ["room_size_estimation"], ("oe",))]
    assert [(r.frame_start, r.frame_end, r.video) for r in recs] == [(20, 90, clip.video)]
    # a clean stretch that turns through too little is not used
    floor[50:, 1] = int(0.05 * W * H)
    view = make_view(objs, visible(n, 1), rooms, ["room|0"] * n, np.linspace(0, 360, n))
    view.floor_pixels = floor
    assert view.room_size_clips == []
