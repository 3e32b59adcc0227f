"""Answer classes balanced at the source: per choice type, the corpus keeps equally many
records of each answer ("left", "back-right", "turn left, turn back", ...).

Some classes are simply easier to find than others (an object in front of the viewer is more
common than one behind, inside a room), and drawing classes evenly within each video cannot
fix what a video does not offer. A blind model would learn "front-left is a good guess", so
after all videos are drawn, each class is cut down to the count of the rarest common class
(records kept by a hash of (seed, id), so the choice does not depend on order). Classes under
`MIN_SHARE` of a type are kept whole: too rare for a blind model to bet on, and cutting to them
would empty the type.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict

from simsv_vsi.records import QARecord

BALANCED_TYPES = ("object_rel_direction_easy", "object_rel_direction_medium", "object_rel_direction_hard",
                  "route_planning")
MIN_SHARE = 0.03


def _u(seed: int, rid: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}\x1fbalance\x1f{rid}".encode()).digest()[:8], "big")


def balance_answers(records: list[QARecord], seed: int) -> tuple[list[QARecord], Counter]:
    """The records with every BALANCED_TYPES answer class cut to the same count; and how many
    were dropped per type."""
    groups: dict[tuple[str, str], dict[str, list[QARecord]]] = defaultdict(lambda: defaultdict(list))
    for r in records:
        if r.question_type in BALANCED_TYPES:
            groups[r.question_type, r.format][r.answer_value].append(r)
    drop: set[str] = set()
    dropped: Counter = Counter()
    for (qtype, _), by_class in groups.items():
        total = sum(len(v) for v in by_class.values())
        common = {c: v for c, v in by_class.items() if len(v) >= MIN_SHARE * total}
        n_min = min(len(v) for v in common.values())
        for v in common.values():
            for r in sorted(v, key=lambda r: (_u(seed, r.id), r.id))[n_min:]:
                drop.add(r.id)
                dropped[qtype] += 1
    return [r for r in records if r.id not in drop], dropped
