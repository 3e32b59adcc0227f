"""Which names in a question could point at which objects.

A question names an object by its fine category ("coffee table") or counts a super category
("table": dining, coffee and plain tables). Folding through `SUPER_CATEGORY` handles
sub-categories and `canonical` handles synonyms. On top of that, some super categories look
alike or share everyday names (a nightstand is a "side table"; a washer and a dryer are the
same white box), so they form one confusion group: a reference is unambiguous only if no other
instance of its group is seen in the video.
"""

from __future__ import annotations

from functools import lru_cache

from builder.assets.categories import canonical, super_category

CONFUSION_GROUPS: tuple[frozenset[str], ...] = tuple(frozenset(g) for g in (
    {"table", "desk", "nightstand"},
    {"cabinet", "dresser", "wardrobe", "tv stand"},
    {"chair", "stool", "ottoman", "bench"},
    {"tv", "monitor", "computer"},
    {"washer", "clothes dryer", "dishwasher"},
    {"stove", "oven"},
    {"picture", "mirror", "whiteboard"},
    {"shower", "shower curtain", "shower head"},
    {"towel", "towel rack"},
    {"fan", "air conditioner"},
    {"cup", "bowl", "vase"},
))
_GROUP_OF = {name: min(g) for g in CONFUSION_GROUPS for name in g}


@lru_cache(maxsize=None)  # a pure lookup, asked for every object of every trajectory
def family(category: str) -> str:
    """The super category: the name a count or an appearance question uses."""
    return super_category(category)


@lru_cache(maxsize=None)
def confusion_group(category: str) -> str:
    """A key shared by every category a viewer could mistake for this one."""
    fam = family(category)
    return _GROUP_OF.get(fam, fam)


def fine(category: str) -> str:
    return canonical(category)
