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

VSIBENCH_CATEGORIES: tuple[str, ...] = (
    "table", "chair", "door", "tv", "sofa", "bed", "trash bin", "window", "refrigerator", "stool", "toilet",
    "monitor", "pillow", "backpack", "ceiling light", "stove", "bathtub", "keyboard", "washer", "telephone",
    "heater", "bookshelf", "mirror", "lamp", "fireplace", "whiteboard", "trash can", "computer mouse",
    "microwave", "printer", "plant", "radiator", "counter", "towel", "nightstand", "cup", "clock",
    "power strip", "computer tower", "laptop", "dishwasher", "exhaust fan", "closet", "kettle", "blanket",
    "fan", "suitcase", "basket", "shoes", "cutting board", "coat rack", "bucket", "crate", "pan",
    "headphones", "shoe rack", "bowl", "table lamp", "washing machine", "oven", "mattress", "guitar",
    "piano", "paper bag", "cushion",
)
"""VSI-Bench's 65 object categories as its questions name them ("coat rack" for the meta
files' "coat hanger"; docs/reference: official-release.md section 4)."""

BENCHMARK_NAMES: dict[str, str] = {
    "wardrobe": "closet", "coat hanger": "coat rack", "ceiling lamp": "ceiling light",
    "table lamp": "table lamp", "desk lamp": "table lamp", "floor lamp": "lamp", "wall lamp": "lamp",
    "kitchen cabinet": "counter", "kitchen island": "counter", "laundry basket": "basket",
}
"""Fine categories whose benchmark name is not their super category's."""

CONFUSION_GROUPS: tuple[frozenset[str], ...] = tuple(frozenset(g) for g in (
    {"table", "desk", "nightstand"},
    {"cabinet", "dresser", "closet", "tv stand", "counter"},
    {"chair", "stool", "ottoman", "bench"},
    {"tv", "monitor", "computer"},
    {"washer", "clothes dryer", "dishwasher"},
    {"stove", "oven"},
    {"picture", "mirror", "whiteboard"},
    {"shower", "shower curtain", "shower head"},
    {"towel", "towel rack", "blanket"},
    {"fan", "air conditioner", "exhaust fan"},
    {"cup", "bowl", "vase"},
    {"trash can", "trash bin", "bucket", "basket"},
    {"lamp", "table lamp"},
    {"pillow", "cushion"},
    {"heater", "radiator"},
    {"box", "crate", "paper bag"},
    {"backpack", "bag", "suitcase"},
    {"bed", "mattress"},
    {"shoes", "shoe rack"},
))
_GROUP_OF = {name: min(g) for g in CONFUSION_GROUPS for name in g}


@lru_cache(maxsize=None)  # a pure lookup, asked for every object of every trajectory
def family(category: str) -> str:
    """The name a count or an appearance question uses: VSI-Bench's name for the category
    where it has one (`BENCHMARK_NAMES`), else the super category."""
    fine_name = canonical(category)
    return BENCHMARK_NAMES.get(fine_name) or super_category(fine_name)


@lru_cache(maxsize=None)
def reference_name(category: str) -> str:
    """The name "the <category>" questions use for a unique instance: the family when it is a
    VSI-Bench category (an armchair is "the chair", a kitchen cabinet "the counter"), else
    the fine category ("vase", "painting"). A unique reference is the only instance of its
    confusion group in view, so the coarser name is as unambiguous as the fine one."""
    fam = family(category)
    return fam if fam in VSIBENCH_CATEGORIES else canonical(category)


def vsibench_name(category: str) -> str | None:
    """VSI-Bench's category for one of ours, or None when the benchmark has none."""
    fam = family(category)
    return fam if fam in VSIBENCH_CATEGORIES else None


@lru_cache(maxsize=None)
def confusion_group(category: str) -> str:
    """A key shared by every category a viewer could mistake for this one."""
    fam = family(category)
    return _GROUP_OF.get(fam, fam)


def fine(category: str) -> str:
    return canonical(category)
