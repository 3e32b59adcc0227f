"""What furnishes each room type: required pieces and groups first, optional ones after.

Categories are the canonical names of `builder.assets.categories`; object types are the
AI2-THOR / ProcTHOR objectType each category is exported as.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Item:
    category: str  # canonical category, or a group name for group placements
    placement: str  # wall | corner | middle | wall_mounted | on_surface | a GROUPS key
    required: bool = False


# Surfaces small items may stand on.
SUPPORTS = {"table", "dining table", "coffee table", "desk", "nightstand", "dresser", "cabinet", "kitchen cabinet", "kitchen island", "file cabinet", "tv stand", "bookshelf"}

OBJECT_TYPES = {
    "sofa": "Sofa", "armchair": "ArmChair", "chair": "Chair", "table": "DiningTable", "dining table": "DiningTable", "kitchen cabinet": "CounterTop", "coffee table": "CoffeeTable",
    "side table": "SideTable", "tv": "Television", "tv stand": "TVStand", "bed": "Bed", "nightstand": "SideTable",
    "dresser": "Dresser", "wardrobe": "Dresser", "desk": "Desk", "lamp": "FloorLamp", "plant": "HousePlant",
    "bookshelf": "ShelvingUnit", "cabinet": "ShelvingUnit", "refrigerator": "Fridge", "stove": "StoveBurner",
    "sink": "Sink", "kitchen counter": "CounterTop", "microwave": "Microwave", "toilet": "Toilet", "bathtub": "Bathtub",
    "washer": "WashingMachine", "trash can": "GarbageCan", "laptop": "Laptop", "monitor": "Desktop", "vase": "Vase",
    "clock": "Clock", "mirror": "Mirror", "painting": "Painting", "stool": "Stool", "kettle": "Kettle",
    "piano": "Piano", "fireplace": "Fireplace", "shower": "ShowerStall", "towel": "Towel", "pillow": "Pillow",
}


OBJECT_TYPES.update({
    "kitchen sink": "Sink", "trash bin": "GarbageCan", "cushion": "Pillow", "shoes": "Boots",
    "bottle": "Bottle", "computer": "Desktop", "wall cabinet": "Cabinet",
})


def object_type(category: str) -> str:
    """The AI2-THOR objectType a category is exported as: OBJECT_TYPES, else the category's
    `procthor_type` (builder.assets.categories), else the name in CamelCase."""
    from builder.assets.categories import CATEGORIES

    if category in OBJECT_TYPES:
        return OBJECT_TYPES[category]
    info = CATEGORIES.get(category)
    if info is not None and info.procthor_type:
        return info.procthor_type
    return "".join(w.capitalize() for w in category.split())


ROOM_RECIPES: dict[str, list[Item]] = {
    "LivingRoom": [
        Item("sofa_set", "sofa_set", required=True),
        Item("armchair", "wall"), Item("bookshelf", "wall"), Item("plant", "corner"), Item("lamp", "corner"),
        Item("side table", "wall"), Item("painting", "wall_mounted"), Item("clock", "wall_mounted"),
        Item("piano", "wall"), Item("fireplace", "wall"), Item("cabinet", "wall"),
        Item("trash bin", "corner"), Item("guitar", "corner"), Item("shoe rack", "wall"), Item("dresser", "wall"),
    ],
    "Kitchen": [
        Item("refrigerator", "wall", required=True), Item("kitchen_run", "kitchen_run", required=True),
        Item("dining_set", "dining_set"), Item("trash can", "corner"),
        Item("cabinet", "wall"), Item("stool", "wall"), Item("plant", "corner"), Item("clock", "wall_mounted"),
        Item("washer", "wall"), Item("kitchen island", "middle"), Item("oven", "wall"),
    ],
    "Bedroom": [
        Item("bed_set", "bed_set", required=True),
        Item("wardrobe", "wall"), Item("dresser", "wall"), Item("desk_set", "desk_set"), Item("lamp", "corner"),
        Item("plant", "corner"), Item("painting", "wall_mounted"), Item("mirror", "wall_mounted"),
        Item("trash bin", "corner"), Item("chair", "wall"), Item("bookshelf", "wall"), Item("guitar", "corner"),
    ],
    "Bathroom": [
        Item("toilet", "wall", required=True), Item("sink", "wall", required=True),
        Item("bathtub", "corner"), Item("mirror", "wall_mounted"), Item("trash bin", "corner"),
        Item("washer", "wall"), Item("cabinet", "wall"), Item("towel_rail", "towel_rail"), Item("plant", "corner"),
    ],
    "Office": [
        Item("desk_set", "desk_set", required=True),
        Item("bookshelf", "wall"), Item("cabinet", "wall"), Item("plant", "corner"), Item("lamp", "corner"),
        Item("trash bin", "corner"), Item("armchair", "wall"), Item("painting", "wall_mounted"), Item("clock", "wall_mounted"),
        Item("desk_set", "desk_set"), Item("whiteboard", "wall"), Item("file cabinet", "wall"), Item("printer", "on_surface"),
    ],
    "DiningRoom": [
        Item("dining_set", "dining_set", required=True),
        Item("cabinet", "wall"), Item("plant", "corner"), Item("lamp", "corner"), Item("painting", "wall_mounted"),
        Item("vase", "on_surface"), Item("side table", "wall"), Item("clock", "wall_mounted"),
    ],
}


# ---- furniture groups ------------------------------------------------------------------------


def sofa_set(f) -> list:
    """Sofa against a wall, coffee table in front, a TV on a stand facing the sofa."""
    sofa = f.against_wall("sofa")
    if sofa is None:
        return []
    out = [sofa]
    table = f.facing("coffee table", sofa, gap_m=0.45, back=False)
    out += [table] if table else []
    stand = f.facing("tv stand", sofa, gap_m=2.0 + (table.size[2] + 0.45 if table else 0.0))
    if stand is None:
        stand = f.against_wall("tv stand")
    tv = None
    if stand is not None:
        out.append(stand)
        tv = f.on_top("tv", stand, jitter_deg=0.0)
    if tv is None:  # no stand, or the TV does not fit on it: hang it on a wall
        tv = f.against_wall("tv", placement="wall_mounted")
    out += [tv] if tv else []
    if table is not None:
        vase = f.on_top("vase", table)
        out += [vase] if vase else []
    return out


def dining_set(f) -> list:
    """A table in the middle with a set of one chair model facing it on both long sides."""
    table = f.in_middle("dining table")
    if table is None:
        return []
    out = [table]
    got = f.sized("chair")
    n_side = 1 if table.size[0] < 1.3 else 2
    for side in (1.0, -1.0):
        for k in range(n_side):
            chair = _chair_at(f, table, side, (k - (n_side - 1) / 2) * table.size[0] / n_side, got)
            out += [chair] if chair else []
    return out


def _chair_at(f, table, side: float, offset_u: float, got):
    if got is None:
        return None
    size = got.size
    yaw_r = math.radians(table.yaw_deg)
    fwd = np.array([math.sin(yaw_r), math.cos(yaw_r)])
    right = np.array([math.cos(yaw_r), -math.sin(yaw_r)])
    # pulled out a little and turned a few degrees, as chairs are left after a meal
    pull = 0.05 + float(f.rng.uniform(0.0, 0.12))
    c = np.array([table.position[0], table.position[2]]) + side * fwd * (table.size[2] / 2 + size[2] / 2 + pull) + right * offset_u
    yaw = table.yaw_deg + (180.0 if side > 0 else 0.0) + f.jitter_deg(8.0)
    return f.add(got.category, c, yaw, size, 0.0, got.asset_id)


def bed_set(f) -> list:
    """Bed with its head against a wall, a nightstand on each side, a lamp on one."""
    bed = f.against_wall("bed")
    if bed is None:
        return []
    out = [bed]
    for side in (1.0, -1.0):
        ns = f.beside("nightstand", bed, side)
        if ns is not None:
            out.append(ns)
    stands = [o for o in out if o.category == "nightstand"]
    if stands:
        lamp = f.on_top("table lamp", stands[0])
        out += [lamp] if lamp else []
    return out


def desk_set(f) -> list:
    """Desk against a wall, a chair facing it, a workstation on it (one or two monitors with a
    keyboard and mouse, a computer tower beside the desk and a power strip on the floor; or a
    laptop with a mouse)."""
    desk = f.against_wall("desk")
    if desk is None:
        return []
    out = [desk]
    chair = f.facing("office chair" if f.room.room_type == "Office" else "chair", desk, gap_m=0.08 + float(f.rng.uniform(0, 0.1)))
    if chair is None:
        chair = f.facing("chair", desk, gap_m=0.08)
    out += [chair] if chair else []
    back, front = (-0.5, 0.0), (0.0, 0.5)  # depth bands of the desk top (its back is -z)
    if f.rng.random() < 0.65:
        n = 2 if desk.size[0] >= 1.3 and f.rng.random() < 0.5 else 1
        for k in range(n):
            u = (-0.5, 0.0) if n == 2 and k == 0 else ((0.0, 0.5) if n == 2 else (-0.3, 0.3))
            m = f.on_top("monitor", desk, region=(*u, *back), jitter_deg=6.0)
            out += [m] if m else []
        kb = f.on_top("keyboard", desk, region=(-0.3, 0.3, *front), jitter_deg=6.0)
        out += [kb] if kb else []
        tower = f.beside("computer tower", desk, side=1.0 if f.rng.random() < 0.5 else -1.0, gap_m=0.03)
        out += [tower] if tower else []
    else:
        lap = f.on_top("laptop", desk, region=(-0.35, 0.35, -0.3, 0.5))
        out += [lap] if lap else []
    mouse = f.on_top("computer mouse", desk, region=(0.2, 0.5, *front))
    out += [mouse] if mouse else []
    return out


def kitchen_run(f) -> list:
    """Counter units along one wall with the sink and the hob set into the run: counter, sink,
    counter(s), stove or a counter carrying a cooktop, counter; wall cabinets above, a range
    hood over the hob."""
    from builder.houses.clutter import counter_run
    return counter_run(f)


def towel_rail(f) -> list:
    """A towel rail on a wall with a towel hanging on it."""
    rail = f.against_wall("towel rack", placement="wall_mounted")
    if rail is None:
        return []
    towel = f.hang_on(rail, "towel")
    return [rail] + ([towel] if towel else [])


GROUPS = {"sofa_set": sofa_set, "dining_set": dining_set, "bed_set": bed_set, "desk_set": desk_set,
          "kitchen_run": kitchen_run, "towel_rail": towel_rail}
