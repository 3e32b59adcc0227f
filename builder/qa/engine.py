"""Questions for one trajectory: for every type, format and slot, draw a checked candidate and
format it as a record.

Each slot has its own RNG seeded from (global seed, house, trajectory, type, format, slot), so
a record depends on nothing but its inputs: not on paths, other houses, or run order.
"""

from __future__ import annotations

import json
from functools import partial

from builder.qa.choices import answer_priors, numeric_options, prior_for, shuffle_options
from builder.qa.config import QAConfig
from builder.qa.slot_rng import SlotRandom, SlotStreams
from builder.qa.types.appearance import AppearancePool
from builder.qa.types.closest import rel_distance, spatiotemporal
from builder.qa.types.common import Candidate, Pool, Rejections
from builder.qa.types.direction import direction
from builder.qa.types.egomotion import DYNAMIC_POOLS
from builder.qa.types.measurement import abs_distance, counting, object_size, room_size
from builder.qa.types.route import RoutePool
from builder.qa.view import Scope, TrajectoryView
from simsv_vsi.answers import format_number, option_text
from simsv_vsi.question_types import QUESTION_TYPES, QuestionType, type_code
from simsv_vsi.records import QARecord

POOLS = {
    "object_counting": counting,
    "object_abs_distance": abs_distance,
    "object_size_estimation": object_size,
    "room_size_estimation": room_size,
    "object_rel_distance": rel_distance,
    "object_rel_direction_easy": direction("object_rel_direction_easy"),
    "object_rel_direction_medium": direction("object_rel_direction_medium"),
    "object_rel_direction_hard": direction("object_rel_direction_hard"),
    "route_planning": RoutePool,
    "obj_appearance_order": AppearancePool,
    "obj_spatiotemporal_distance": spatiotemporal,
    **DYNAMIC_POOLS,  # ego-motion and spatial memory
}
assert set(POOLS) == set(QUESTION_TYPES), "every registered type needs a generator"
FORMAT_CODE = {"oe": 1, "mc": 2}
TYPE_CODE = {name: type_code(name) for name in QUESTION_TYPES}
INT63 = (1 << 63) - 1
EVIDENCE_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"))  # json.dumps builds one per call
SLOT_TRIES = 20  # questions a slot may try (multiple choice needs fair options) before it stays empty


def slot_random(seed: int, house_index: int, trajectory: int, qtype: str, fmt: str, slot: int) -> SlotRandom:
    """The stream a slot draws from (`SlotStreams` starts a trajectory's streams at once)."""
    return SlotRandom.from_entropy(*_slot_entropy(seed, house_index, trajectory, qtype, fmt, slot))


def _slot_entropy(seed: int, house_index: int, trajectory: int, qtype: str, fmt: str, slot: int) -> tuple[int, ...]:
    return seed, house_index, trajectory, TYPE_CODE[qtype], FORMAT_CODE[fmt], slot


def trajectory_records(view: TrajectoryView, cfg: QAConfig, stats: Rejections,
                       types: list[str] | None = None, formats: tuple[str, ...] = ("oe", "mc")) -> list[QARecord]:
    priors = answer_priors() if "mc" in formats else {}
    types = types or list(QUESTION_TYPES)
    slots = _slots(view, cfg)
    entropy = partial(_slot_entropy, cfg.seed, view.house_index, view.trajectory)
    # every slot's stream, keyed in one go (see slot_rng.py)
    streams = SlotStreams([entropy(name, fmt, k) for name in types for fmt in QUESTION_TYPES[name].formats
                       if fmt in formats for s in _scopes(view, QUESTION_TYPES[name]) for k in slots[id(s)]])
    out: list[QARecord] = []
    for name in types:
        qt = QUESTION_TYPES[name]
        scopes = _scopes(view, qt)
        pools: list[Pool] = [POOLS[name](s, cfg, stats) for s in scopes]
        for fmt in (f for f in qt.formats if f in formats):
            for scope, pool in zip(scopes, pools):
                session = pool.session()  # each key asked (or tried) once in this video and format
                for slot in slots[id(scope)]:
                    rng = streams.rng(entropy(name, fmt, slot))  # == slot_random(...)
                    rec = None
                    for _ in range(SLOT_TRIES):
                        cand = session.draw(rng)
                        if cand is None:
                            break
                        rec = _record(view, scope, qt, fmt, slot, cand, rng, priors, cfg, rng.key & INT63)
                        if rec is not None:
                            break
                        stats(name, "no_fair_options")
                    if rec is None:
                        stats(name, "slot_empty")
                        break
                    out.append(rec)
    return out


def _scopes(view: TrajectoryView, qt: QuestionType) -> list[Scope]:
    if qt.name == "room_size_estimation":
        return view.room_size_clips  # room clips with doorways kept out (QAConfig.room_size_*)
    return view.room_clips if qt.scope == "room" else [view.full, *view.room_clips]


def _slots(view: TrajectoryView, cfg: QAConfig) -> dict[int, range]:
    """Fixed slot numbers per video (by id of its scope): the walkthrough first, then each
    room clip in turn, then each room-size clip."""
    out = {id(view.full): range(cfg.questions_per_type)}
    for k, scope in enumerate([*view.room_clips, *view.room_size_clips]):
        first = cfg.questions_per_type + k * cfg.questions_per_room
        out[id(scope)] = range(first, first + cfg.questions_per_room)
    return out


def _record(view: TrajectoryView, scope: Scope, qt: QuestionType, fmt: str, slot: int, cand: Candidate,
            rng: SlotRandom, priors, cfg: QAConfig, seed: int) -> QARecord | None:
    fields = cand.fields
    options = None
    if qt.answer == "numeric":
        answer_value = format_number(cand.value, qt.decimals)
        answer = answer_value
        if fmt == "mc":
            prior = prior_for(priors, qt.name, cand.fields)
            texts = None if prior is None else numeric_options(cand.value, qt.decimals, prior, rng, qt.num_options,
                                                                 cfg.mc_min_option_gap_rel)
            if texts is None:
                return None
            options, answer = shuffle_options(texts, 0, rng)
    else:
        answer_value = cand.choices[0]
        options, answer = shuffle_options(cand.choices, 0, rng)
        if qt.options_in_question:
            fields = {**fields, **{f"choice_{'abcd'[k]}": option_text(o) for k, o in enumerate(options)}}
    question = qt.template.format(**fields)
    return QARecord(
        id=f"{scope.video_id}:{qt.name}:{fmt}:{slot}",
        house_id=view.house_id, house_index=view.house_index, trajectory=view.trajectory,
        video_id=scope.video_id, video=scope.video, room_id=scope.room_id,
        frame_start=scope.start, frame_end=scope.end, fps=view.fps,
        question_type=qt.name, format=fmt, question=question, options=options,
        answer=answer, answer_value=answer_value,
        gt_value=None if cand.value is None else float(cand.value), unit=qt.unit,
        objects=cand.objects, evidence=EVIDENCE_JSON.encode(cand.evidence),
        seed=seed)
