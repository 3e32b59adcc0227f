"""Content figures of houses, from their specs alone (no rendering): objects per room, the
share of small objects, categories per house, and which of VSI-Bench's 65 categories occur.

These are the house half of issue 20's realism table; `simsv check-rules` prints them next
to the rule violations, and frame-level figures (objects per frame, blank walls) need a
rendered corpus.
"""

from __future__ import annotations

from collections import Counter
from statistics import median

from builder.houses.spec import House
from builder.qa.taxonomy import VSIBENCH_CATEGORIES, vsibench_name

SMALL_M = 0.3
"""An object is small when its longest box side is under this (m)."""


def house_figures(houses: list[House]) -> dict:
    """Figures over a list of houses (doors and windows count as VSI-Bench's door and window
    categories, not as objects)."""
    per_room, cats_per_house, small, total = [], [], 0, 0
    vsi_seen: Counter = Counter()
    for h in houses:
        rooms = Counter(o.room_id for o in h.objects)
        per_room += [rooms.get(r.id, 0) for r in h.rooms]
        cats = {o.category for o in h.objects}
        cats_per_house.append(len(cats) + bool(h.doors) + bool(h.windows))
        small += sum(max(o.size) < SMALL_M for o in h.objects)
        total += len(h.objects)
        names = {vsibench_name(c) for c in cats} - {None}
        names |= {"door"} if h.doors else set()
        names |= {"window"} if h.windows else set()
        vsi_seen.update(names)
    return {
        "houses": len(houses),
        "rooms": len(per_room),
        "objects": total,
        "objects_per_room_median": median(per_room) if per_room else 0,
        "small_object_share": round(small / total, 4) if total else 0.0,
        "categories_per_house_median": median(cats_per_house) if cats_per_house else 0,
        "vsibench_categories_present": len(vsi_seen),
        "vsibench_houses_per_category": {c: vsi_seen.get(c, 0) for c in VSIBENCH_CATEGORIES},
    }


def format_figures(fig: dict) -> str:
    missing = [c for c, n in fig["vsibench_houses_per_category"].items() if n == 0]
    lines = [
        f"houses {fig['houses']}, rooms {fig['rooms']}, objects {fig['objects']}",
        f"objects per room (median)       {fig['objects_per_room_median']}",
        f"objects under {SMALL_M} m (share)     {fig['small_object_share']:.1%}",
        f"categories per house (median)   {fig['categories_per_house_median']}",
        f"VSI-Bench categories present    {fig['vsibench_categories_present']} of {len(VSIBENCH_CATEGORIES)}",
        f"  missing: {', '.join(missing) if missing else '(none)'}",
    ]
    return "\n".join(lines)
