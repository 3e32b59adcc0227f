"""Answer classes balanced at the source: per choice type (and multiple-choice counts), the
corpus keeps equally many records of each answer ("left", "back-right", "turn left, turn
back", "2", ...).

Some classes are simply easier to find than others (an object in front of the viewer is more
common than one behind, inside a room), and drawing classes evenly within each video cannot
fix what a video does not offer. A blind model would learn "front-left is a good guess", so
after all videos are drawn, each class is cut down to the count of the rarest common class
(records kept by a hash of (seed, slot key), so the choice does not depend on order). Classes under
`MIN_SHARE` of a type are kept whole: too rare for a blind model to bet on, and cutting to them
would empty the type. Classes are compared within what the question shows a blind model it
chooses among: a route's number of turns (one-turn and two-turn routes have different
options), so each is balanced on its own.

Last, the correct letters are dealt: per multiple-choice type and number of options, the kept
records in hash order get A, B, C, D, A, ... as their correct letter, so every letter is right
equally often (to one). Shuffling each record's options on its own makes the letter uniform
only in expectation: on a few hundred records of a type one letter is right 30 % of the time
often enough for a blind model to learn it (the audit saw it). The answer swaps places with
the option at its dealt letter, which keeps the other options in a uniformly random order.
A record's letter thus depends on which records the corpus keeps, as its being kept does.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from builder.qa.slot_rng import mix64
from simsv_vsi.answers import LETTERS, letter_options, option_text
from simsv_vsi.question_types import QUESTION_TYPES
from simsv_vsi.records import QARecord

# types whose answers a blind model could tie to the names it reads: a category should win as
# often as chance says when it is offered (for appearance order: come first), and a route's
# answer should not follow from where it starts (house layouts are regular: on 80
# houses, win rates per start object alone beat chance by 5.9 points on held-out houses), nor
# a direction from any one of its three objects (a toilet stands against a wall: rarely ahead)
DIRECTION_TYPES = ("object_rel_direction_easy", "object_rel_direction_medium", "object_rel_direction_hard")
# ego-motion types whose answer a blind model could tie to the objects they name (the bed is
# behind at the end, the camera turns left after the fridge): judged per named object too
EGO_NAMED_TYPES = ("camera_turn", "ego_direction", "goal_aiming")
CATEGORY_TYPES = ("object_rel_distance", "obj_spatiotemporal_distance", "obj_appearance_order", "route_planning",
                  *DIRECTION_TYPES, *EGO_NAMED_TYPES, "action_consequence")
CATEGORY_ROUNDS = 2
# counts too: their options are nearly always 1, 2, 3 and 4 (a count above 4 is rare), so a fair
# question is one whose answer is each of them equally often, yet 88 % of counts are 1 and the
# distractor rule (choices.py) evens them out only as well as the prior's rare tail is known
BALANCED_TYPES = (*DIRECTION_TYPES, "route_planning", "object_counting", *EGO_NAMED_TYPES)
MIN_SHARE = 0.03
# Category thinning keeps an event in proportion (expected + PRIOR) / (happened + PRIOR): an
# event a few counts above chance is mostly luck, which an unbiased generator shows as well,
# and cutting it to chance threw those questions away (at 5 questions per walkthrough, 72 % of
# c40's relative-distance questions; 37 % with the prior). Large excesses (the nightstand
# closest to the bed) are still cut to about chance. Audited: docs/qa-audit.md.
THINNING_PRIOR = 2.0


# one constant per decision a record's hash is drawn for (arbitrary odd 64-bit numbers)
CUT, ROUND, LETTER = 0x9FB21C651E98DF25, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9


def _u(seed: int, r: QARecord, use: int) -> int:
    """The record's own 64-bit draw for one decision: a hash of (seed, its slot key, use). The
    slot key (`seed` field) is already a hash of (global seed, house, trajectory, type, format,
    slot), so the draw is independent of the record's content and of every other record's."""
    return mix64(mix64(r.seed ^ use) ^ seed)


def balance_answers(records: list[QARecord], seed: int) -> tuple[list[QARecord], Counter]:
    """The records with every BALANCED_TYPES answer class cut to the same count, categories
    thinned to chance and correct letters dealt evenly (the kept records' options are changed in
    place); and how many were dropped per type."""
    if len({r.seed for r in records}) != len(records):  # each record's draws come from its slot key
        raise ValueError("balance_answers: records share a slot key (`seed`); one record per slot")
    kept, dropped = cut_classes(records, seed)
    kept, cat_dropped = _balance_categories(kept, seed)
    return _deal_letters(kept, seed), dropped + cat_dropped


def cut_classes(records: list[QARecord], seed: int) -> tuple[list[QARecord], Counter]:
    """The records with every BALANCED_TYPES answer class cut to the same count (the first
    step of `balance_answers`); and how many were dropped per type."""
    groups: dict[tuple[str, str], dict[str, list[QARecord]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        if r.question_type in BALANCED_TYPES and r.format == "mc":
            groups[r.question_type, r.format, _option_space(r)][r.answer_value].append(r)
    drop: set[str] = set()
    dropped: Counter = Counter()
    for (qtype, _, _), by_class in groups.items():
        total = sum(len(v) for v in by_class.values())
        common = {c: v for c, v in by_class.items() if len(v) >= MIN_SHARE * total}
        n_min = min(len(v) for v in common.values())
        for v in common.values():
            for r in sorted(v, key=lambda r: (_u(seed, r, CUT), r.id))[n_min:]:
                drop.add(r.id)
                dropped[qtype] += 1
    return [r for r in records if r.id not in drop], dropped


def _option_space(r: QARecord) -> int | tuple:
    """Which set of options the question tells a blind model it picks from: a route's number
    of turns (its question has a blank per turn), a count's option values; one set for every
    other type."""
    if r.question_type == "route_planning":
        return r.answer_value.count(", ") + 1
    if r.question_type == "object_counting":
        return tuple(sorted(option_text(o) for o in r.options))
    return 0


def _events(r: QARecord) -> tuple[list, list]:
    """(what happened, what could have happened with chance 1/k each) for a CATEGORY_TYPES
    record. Relative distance is judged per reference ("closest to the bed"); appearance order
    per position of each category; a route per start object; a direction per named object."""
    if r.question_type == "obj_appearance_order":
        order = r.answer_value.split(", ")
        return list(zip(order, range(len(order)))), [(c, p) for c in order for p in range(len(order))]
    offered = [o.split(". ", 1)[1] for o in r.options]
    if r.question_type == "object_rel_distance":
        ref = next(o.category for o in r.objects if o.role == "reference")
        return [(ref, r.answer_value)], [(ref, c) for c in offered]
    if r.question_type == "route_planning":
        start = next(o.category for o in r.objects if o.role == "start")
        return [(start, r.answer_value)], [(start, c) for c in offered]
    if r.question_type in DIRECTION_TYPES or r.question_type in EGO_NAMED_TYPES:  # per object named, in its role
        named = [(o.role, o.category) for o in r.objects]
        return [(*n, r.answer_value) for n in named], [(*n, c) for n in named for c in offered]
    return [r.answer_value], offered


def _balance_categories(records: list[QARecord], seed: int) -> tuple[list[QARecord], Counter]:
    """Thin records so that what a blind model could learn from category names alone (which
    categories tend to be closest to a bed, to the camera at the end, to appear first) holds
    no more often than chance: each event is kept in proportion (chance count / actual count,
    both plus THINNING_PRIOR), by a hash of (seed, slot key); two rounds, each with a fresh
    draw, settle the counts."""
    dropped: Counter = Counter()
    groups: dict[str, list[QARecord]] = {t: [] for t in CATEGORY_TYPES}  # each type's records, in order
    for r in records:
        if r.question_type in groups:
            groups[r.question_type].append(r)
    drop: set[str] = set()
    for qtype, group in groups.items():
        # (record, what happened, what was offered, chance of each offer); fixed across rounds
        rows = [(r, *_events(r), 1 / len(r.options)) for r in group]
        for rnd in range(CATEGORY_ROUNDS):
            if not rows:
                break
            happened: dict = {}  # plain dicts: Counter's per-key Python calls cost more here
            expected: dict = {}
            for _, h, offered, chance in rows:
                for e in h:
                    happened[e] = happened.get(e, 0) + 1
                for e in offered:
                    expected[e] = expected.get(e, 0) + chance
            kept = []
            for row in rows:
                r = row[0]
                keep = 1.0
                for e in row[1]:
                    keep = min(keep, (expected[e] + THINNING_PRIOR) / (happened[e] + THINNING_PRIOR))
                if _u(seed, r, ROUND + rnd) / 2.0 ** 64 >= keep:  # a fresh draw each round
                    dropped[qtype] += 1
                    drop.add(r.id)
                else:
                    kept.append(row)
            rows = kept
    return [r for r in records if r.id not in drop], dropped


def _deal_letters(records: list[QARecord], seed: int) -> list[QARecord]:
    """`records`, each multiple-choice type's correct letters dealt in turn over its records in
    hash order (see the module docstring). Records are changed in place: a copy of each costs
    more than the whole deal."""
    groups: dict[tuple[str, int], list[QARecord]] = defaultdict(list)
    for r in records:
        if r.options is not None:
            groups[r.question_type, len(r.options)].append(r)
    for (qtype, k), group in groups.items():
        in_question = QUESTION_TYPES[qtype].options_in_question
        group.sort(key=lambda r: (_u(seed, r, LETTER), r.id))
        for turn, r in enumerate(group):
            _move_answer(r, turn % k, in_question)
    return records


def _move_answer(r: QARecord, to: int, in_question: bool) -> None:
    """Swap `r`'s correct option with the option at position `to`."""
    at = LETTERS.index(r.answer)
    if at == to:
        return
    old = [option_text(o) for o in r.options]
    new = list(old)
    new[at], new[to] = old[to], old[at]
    if in_question:  # the names are listed in letter order: move them the same way
        listed = ", ".join(old)
        if r.question.count(listed) != 1:
            raise ValueError(f"{r.id}: question does not list its options once as {listed!r}")
        r.question = r.question.replace(listed, ", ".join(new))
    r.options, r.answer = letter_options(new), LETTERS[to]
